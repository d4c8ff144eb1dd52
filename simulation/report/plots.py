"""Figures of ensemble results: outcome shares, text levels, support, positions, blockers; as
PNG, PDF or SVG, by the file's ending (`report.FIGURE_FORMATS`).

Figures are drawn on matplotlib's non-interactive Agg canvas without touching pyplot's global
state, so plotting is safe in scripts, tests and worker processes. Issues are rows labelled with
their titles so that ~25 issues stay readable; colours are from the Okabe-Ito colour-blind-safe
palette.
"""

import os
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps, rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from simulation.inputs.catalogue import REACHED, SCALE_POINTS
from simulation.outcomes import AGREEMENTS, NONE, OUTCOMES
from simulation.report import FIGURE_FORMATS, counted
from simulation.report.summary import (
    group_positions,
    share_decimals,
    share_label,
    tie_label,
    tied_levels,
    with_blocs,
)

DPI = 120
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")
"""Okabe-Ito colours minus yellow, which is too faint for lines on white."""
OUTCOME_COLOURS = dict(zip(OUTCOMES, ("#0072B2", "#E69F00", "#BBBBBB"), strict=True))
REACH_COLOURS = dict(zip(REACHED, ("#009E73", "#CC79A7"), strict=True))
"""The text-reach figure's colour of each described point: Okabe-Ito colours no outcome has,
since a text reaching a point may be multilateral or plurilateral."""
_LABEL_WIDTH = 60


def _label(text: object) -> str:
    """Issue title shortened to fit a tick label."""
    return textwrap.shorten(str(text), width=_LABEL_WIDTH, placeholder="…")


def _titles(issues: pd.DataFrame, ids: pd.Index | list[str]) -> list[str]:
    """Short titles for issue ids from the catalogue; raise for ids it does not know."""
    titles = issues["title"].set_axis(issues.index.astype(str))
    unknown = sorted(set(map(str, ids)) - set(titles.index))
    if unknown:
        raise ValueError(f"issues missing from the catalogue: {unknown}")
    return [_label(titles[str(i)]) for i in ids]


def _figure(width: float, height: float) -> Figure:
    """A figure bound to an Agg canvas."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write the figure in the format its file name ends in (`FIGURE_FORMATS`), creating parent
    folders, through a temporary file renamed into place, so no half-written figure is ever
    left; return the path. PDF embeds its fonts as TrueType (Type 42: journals refuse Type 3)
    and SVG names its elements from a fixed salt, so that either's bytes depend on the figure
    alone."""
    out = Path(path)
    fmt = out.suffix.removeprefix(".").lower()
    if fmt not in FIGURE_FORMATS:
        raise ValueError(f"{out.name}: a figure is written as {', '.join(FIGURE_FORMATS)}, "
                         "named by its ending")
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.tmp")
    try:
        with rc_context({"pdf.fonttype": 42, "svg.hashsalt": "mc11"}):
            fig.savefig(temporary, dpi=DPI, format=fmt, **FIGURE_FORMATS[fmt])
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)
    return out


def _issue_rows(ax: Axes, labels: list[str]) -> np.ndarray:
    """Put issues on the y axis top to bottom in the given order; return their y positions."""
    y = np.arange(len(labels))
    ax.set_yticks(y, labels)
    ax.set_ylim(max(len(labels), 1) - 0.5, -0.5)
    return y


def _height(n_rows: int) -> float:
    """Figure height in inches for n_rows issue rows."""
    return 1.8 + 0.32 * max(n_rows, 1)


def _whiskers(summary: pd.DataFrame, column: str, share: np.ndarray) -> np.ndarray:
    """Error-bar lengths below and above `share` to the summary's `column`_low and _high."""
    return np.vstack([share - summary[f"{column}_low"].fillna(0).to_numpy(),
                      summary[f"{column}_high"].fillna(0).to_numpy() - share])


def _runs_per_issue(summary: pd.DataFrame) -> str:
    """The summary's run count per issue, as an axis label says it: "n = 200 per issue"."""
    runs = summary["n_runs"]
    n_text = f"{runs.min()}" if runs.min() == runs.max() else f"{runs.min()}-{runs.max()}"
    return f"n = {n_text} per issue"


def plot_outcomes(summary: pd.DataFrame, path: str | Path) -> Path:
    """Stacked bars of P(multilateral), P(plurilateral), P(none) per issue, Wilson 95% whiskers."""
    fig = _figure(11, _height(len(summary)))
    ax = fig.add_subplot()
    y = _issue_rows(ax, [_label(t) for t in summary["title"]])
    left = np.zeros(len(summary))
    for name in OUTCOMES:
        share = summary[f"p_{name}"].fillna(0).to_numpy()
        ax.barh(y, share, left=left, height=0.7, color=OUTCOME_COLOURS[name],
                label=f"P({name})", edgecolor="white", linewidth=0.5)
        if name != NONE:
            whiskers = ax.errorbar(left + share, y, xerr=_whiskers(summary, f"p_{name}", share),
                                   fmt="none", ecolor="black", elinewidth=1, capsize=2.5)
            # where nothing ends with no deal, the plurilateral share's whisker, drawn at 1,
            # reaches past the axis: shown whole in the margin, not cut at the frame
            for part in (*whiskers.lines[1], *whiskers.lines[2]):
                part.set_clip_on(False)
        left = left + share
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"Share of Monte Carlo runs ({_runs_per_issue(summary)})")
    ax.set_ylabel("Issue")
    ax.set_title("Outcome per issue at MC11\n"
                 "whiskers: 95% Wilson interval of the multilateral and plurilateral shares")
    ax.grid(axis="x", alpha=0.3)
    fig.legend(loc="outside lower center", ncols=3, frameon=False)
    return save_figure(fig, path)


def plot_text_reach(summary: pd.DataFrame, path: str | Path) -> Path:
    """Per issue, the share of runs whose agreed text reaches the scale's described `mid` and
    `high` points, with Wilson 95% whiskers: how substantial the agreements are."""
    fig = _figure(11, _height(len(summary)))
    ax = fig.add_subplot()
    y = _issue_rows(ax, [_label(t) for t in summary["title"]])
    # the first point on top, as the legend lists it (the y axis runs downwards)
    for offset, point in zip((-0.18, 0.18), REACHED, strict=True):
        colour = REACH_COLOURS[point]
        share = summary[f"p_text_{point}"].fillna(0).to_numpy()
        ax.barh(y + offset, share, height=0.36, color=colour,
                label=f"P(agreed text reaches {point})")
        ax.errorbar(share, y + offset, xerr=_whiskers(summary, f"p_text_{point}", share),
                    fmt="none", ecolor="black", elinewidth=0.8, capsize=2)
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"Share of Monte Carlo runs ({_runs_per_issue(summary)})")
    ax.set_ylabel("Issue")
    # centred on the figure: the title is wider than the axes beside long issue titles
    points = " and ".join(f"{point} ({SCALE_POINTS[point]:g})" for point in REACHED)
    fig.suptitle(f"How far the agreed texts go: the scale's described {points} "
                 "points\nwhiskers: 95% Wilson interval")
    ax.grid(axis="x", alpha=0.3)
    fig.legend(loc="outside lower center", ncols=2, frameon=False)
    return save_figure(fig, path)


def plot_text_levels(levels: pd.DataFrame, issues: pd.DataFrame, path: str | Path) -> Path:
    """Per catalogue issue, the agreed text level of multilateral and of plurilateral deals as
    two boxes (25-75%, median, whiskers 10-90%), from text_levels.csv; the status quo marked.

    A plurilateral text binds only its members, so it is drawn apart from the multilateral one.
    """
    ids = list(issues.index.astype(str))
    fig = _figure(11, _height(len(ids)) + 0.6)
    ax = fig.add_subplot()
    y = _issue_rows(ax, _titles(issues, ids))
    frame = levels.assign(issue=levels["issue"].astype(str))
    kinds = dict(zip(AGREEMENTS, (-0.18, 0.18), strict=True))
    for kind, offset in kinds.items():
        rows = frame[frame["outcome"] == kind].set_index("issue")
        stats = [{"med": r.text_median, "q1": r.text_p25, "q3": r.text_p75,
                  "whislo": r.text_p10, "whishi": r.text_p90, "fliers": []}
                 for r in rows.reindex([i for i in ids if i in rows.index]).itertuples()]
        where = [y[ids.index(i)] + offset for i in ids if i in rows.index]
        if stats:
            ax.bxp(stats, positions=where, orientation="horizontal", widths=0.3,
                   patch_artist=True, showfliers=False, manage_ticks=False,
                   boxprops={"facecolor": OUTCOME_COLOURS[kind], "alpha": 0.75},
                   medianprops={"color": "black"})
            # the median as a dot too, so a kind seen in one run (a flat box) still shows
            ax.scatter([s["med"] for s in stats], where, color=OUTCOME_COLOURS[kind],
                       edgecolor="black", linewidth=0.5, s=14, zorder=3)
    ax.scatter(issues["status_quo"].to_numpy(dtype=float), y, marker="D", color="#D55E00",
               zorder=3, s=28, clip_on=False)
    counts = frame.pivot_table(index="issue", columns="outcome", values="n_runs", aggfunc="sum")
    for yi, issue in zip(y, ids, strict=True):
        parts = [f"{kind[:5]}. {int(counts.at[issue, kind])}" for kind in kinds
                 if issue in counts.index and kind in counts.columns
                 and pd.notna(counts.at[issue, kind])]
        ax.annotate(", ".join(parts) or "no agreement in any run", (1.0, yi),
                    xycoords=("axes fraction", "data"), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=7, color="dimgray")
    ax.set_xlim(0, 100)
    ax.set_xlabel("Agreed text level (issue scale 0-100)")
    ax.set_ylabel("Issue")
    ax.set_title("Agreed text level per issue: multilateral deals bind all members,\n"
                 "plurilateral deals only theirs (runs of each kind at the right)")
    ax.grid(axis="x", alpha=0.3)
    fig.legend(handles=[
        Patch(facecolor=OUTCOME_COLOURS["multilateral"], alpha=0.75,
              label="multilateral text (box: 25-75%, line: median, whiskers: 10-90% of runs)"),
        Patch(facecolor=OUTCOME_COLOURS["plurilateral"], alpha=0.75, label="plurilateral text"),
        Line2D([], [], marker="D", color="#D55E00", linestyle="none", label="status quo"),
    ], loc="outside lower center", ncols=3, frameon=False)
    return save_figure(fig, path)


def plot_support(support_summary: pd.DataFrame, issues: pd.DataFrame, path: str | Path,
                 coalitions: pd.DataFrame | None = None,
                 coalition_names: dict[str, str] | None = None) -> Path:
    """Mean support per issue over the calendar with a 10-90% band; one panel per issue cluster,
    and given `coalitions` (coalitions.csv) a last panel of the coalitions' sizes."""
    catalogue = issues.set_axis(issues.index.astype(str))
    frame = support_summary.assign(issue=support_summary["issue"].astype(str))
    _titles(issues, list(frame["issue"].unique()))
    clusters = [c for c in catalogue["cluster"].unique()
                if catalogue.index[catalogue["cluster"] == c].isin(frame["issue"]).any()]
    periods = frame.drop_duplicates("period").sort_values("period")
    panels = max(len(clusters), 1) + (coalitions is not None)
    fig = _figure(13, 1.2 + 2.6 * panels)
    axes = fig.subplots(panels, 1, sharex=True, squeeze=False)[:, 0]
    for ax, cluster in zip(axes, clusters, strict=False):
        members = [i for i in catalogue.index[catalogue["cluster"] == cluster]
                   if i in set(frame["issue"])]
        lines = {issue: _label(catalogue.at[issue, "title"]) for issue in members}
        _spread_lines(ax, frame, "issue", lines, "support")
        # a little beyond 0 and 1: the axes' frame, drawn over the lines, would hide a line
        # at full (or no) support
        ax.set_ylim(-0.03, 1.03)
        ax.set_yticks(np.linspace(0, 1, 6))
        ax.set_ylabel("Support (capability share)")
        title = catalogue.loc[catalogue["cluster"] == cluster].get("cluster_title")
        ax.set_title(cluster if title is None else title.iloc[0], loc="left", fontsize=10)
    if coalitions is not None:
        ax = axes[-1]
        names = coalition_names or {}
        lines = {c: _label(names.get(c, c)) for c in coalitions["coalition"].astype(str).unique()}
        _spread_lines(ax, coalitions.assign(coalition=coalitions["coalition"].astype(str)),
                      "coalition", lines, "size")
        ax.set_ylim(bottom=0)
        ax.set_ylabel("Members")
        ax.set_title("Coalition sizes after each month's coalition round", loc="left",
                     fontsize=10)
    axes[-1].set_xticks(periods["period"], periods["period_label"], rotation=30, ha="right")
    axes[-1].set_xlabel("Negotiating period")
    subject = "Support for the chair's text" + (" and coalition sizes" if coalitions is not None
                                                 else "")
    runs = frame["n_runs"].max()
    fig.suptitle(f"{subject} over the calendar (line: mean over {counted(runs, 'run')}; band: "
                 "10-90% of runs)")
    return save_figure(fig, path)


def _spread_lines(ax: Axes, frame: pd.DataFrame, by: str, lines: dict[str, str],
                  prefix: str) -> None:
    """One line (mean) and band (10-90%) per entry of `lines` (id -> legend label)."""
    for k, (key, label) in enumerate(lines.items()):
        rows = frame[frame[by] == key].sort_values("period")
        colour = OKABE_ITO[k % len(OKABE_ITO)]
        style = ("-", "--", ":")[(k // len(OKABE_ITO)) % 3]
        ax.plot(rows["period"], rows[f"{prefix}_mean"], color=colour, linestyle=style,
                marker="o", markersize=3, label=label)
        ax.fill_between(rows["period"], rows[f"{prefix}_p10"], rows[f"{prefix}_p90"],
                        color=colour, alpha=0.15, linewidth=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)


def plot_position_heatmap(positions: pd.DataFrame, issues: pd.DataFrame, path: str | Path) -> Path:
    """Issue x member-group heatmap of salience-weighted mean positions, diverging around 50."""
    table = group_positions(positions)
    ids = [i for i in issues.index.astype(str) if i in table.columns]
    _titles(issues, list(table.columns))
    values = table[ids].T.to_numpy(dtype=float)
    fig = _figure(4.5 + 1.1 * table.shape[0], _height(len(ids)))
    ax = fig.add_subplot()
    image = ax.imshow(np.ma.masked_invalid(values), aspect="auto",
                      cmap=colormaps["PuOr_r"].with_extremes(bad="#EEEEEE"),
                      norm=TwoSlopeNorm(vcenter=50, vmin=0, vmax=100))
    ax.set_yticks(np.arange(len(ids)), _titles(issues, ids))
    ax.set_xticks(np.arange(table.shape[0]),
                  [textwrap.fill(str(g), 14) for g in table.index], fontsize=8)
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    for (row, col), value in np.ndenumerate(values):
        if np.isfinite(value):
            ax.text(col, row, f"{value:.0f}", ha="center", va="center", fontsize=7, in_layout=False,
                    color="white" if abs(value - 50) > 30 else "black")
    fig.colorbar(image, ax=ax, shrink=0.6, label="Mean position (0-100)")
    ax.set_xlabel("Member group")
    ax.set_ylabel("Issue")
    ax.set_title("Starting positions before the talks (the 2016 data, after the scenario's "
                 "overrides):\nsalience-weighted mean position by member group "
                 "(50 = scale midpoint)")
    return save_figure(fig, path)


def plot_blockers(blocker_freq: pd.DataFrame, path: str | Path, top: int = 3,
                  issues: pd.DataFrame | None = None,
                  blocs: dict[str, list[str]] | None = None) -> Path:
    """Each issue that someone blocked, under its title: its most frequent blockers as bars of
    their share of runs, in two columns of issues; the issues nobody blocked are listed below.

    Members tied at a share share one bar ("A = B"); a bloc most of whose members block
    together is one entry, its members listed at the bottom; below the `top` blockers (with
    ties) comes the next distinct share, as in the summary. Every share has the same decimals:
    two, or as many as the issue needing most to tell its shares apart; a non-zero share that
    rounds to 0 reads "<0.01" (at two decimals).
    An axes per column, not per issue: matplotlib spends ~50 ms on an axes' ticks and layout
    (a panel per issue took 1.3 s for a 1,000-run baseline, where all 25 issues are blocked;
    the two columns take 0.36 s).
    """
    freq = blocker_freq.assign(issue=blocker_freq["issue"].astype(str))
    ids = list(dict.fromkeys(freq["issue"]))
    titles = {i: i for i in ids}
    if issues is not None:
        _titles(issues, ids)
        ids = list(issues.index.astype(str))
        titles = dict(zip(ids, _titles(issues, ids), strict=True))
    blocked = [i for i in ids if (freq["issue"] == i).any()]
    unblocked = [titles[i] for i in ids if i not in blocked]
    blocs = blocs or {}
    levels = {issue: [(share, with_blocs(members, blocs)) for share, members in tied_levels(
        freq[freq["issue"] == issue].set_index("member")["share"]
        .sort_values(ascending=False, kind="stable"), top, blocs)] for issue in blocked}
    half = -(-len(blocked) // 2)
    columns = [blocked[:half], blocked[half:]] if len(blocked) > 1 else [blocked]
    lines = max(sum(1 + len(levels[issue]) for issue in column) for column in columns)
    notes = []
    if unblocked:
        notes.append(textwrap.fill(f"No member blocked, in any run: {'; '.join(unblocked)}.",
                                   170))
    entries = [entry for issue in blocked for _, named in levels[issue] for entry in named]
    notes += [textwrap.fill(f"{bloc} ({len(codes)} members): {', '.join(codes)}.", 170)
              for bloc, codes in blocs.items()
              if any(entry.startswith(f"{bloc} (") for entry in entries)]
    note_lines = sum(n.count("\n") + 1 for n in notes)
    decimals = max((share_decimals([share for share, _ in levels[issue]]) for issue in blocked),
                   default=2)  # one format in the figure: as many as the issue needing most
    fig = _figure(14, 1.6 + 0.24 * max(lines, 1) + 0.2 * note_lines)
    for ax, column in zip(fig.subplots(1, len(columns), squeeze=False)[0], columns,
                          strict=True):
        _blocker_column(ax, column, levels, titles, decimals)
        ax.set_visible(bool(column))
    if notes:
        fig.text(0.01, 0.005, "\n".join(notes), fontsize=8, va="bottom", ha="left")
        height = fig.get_figheight()
        fig.get_layout_engine().set(rect=(0, 0.2 * note_lines / height + 0.01, 1,
                                          1 - 0.2 * note_lines / height - 0.01))
    blocking = freq[freq["share"] > 0]  # a share is a count over the runs: it gives their number
    runs = {round(count / share) for count, share in zip(blocking["count"], blocking["share"],
                                                          strict=True)}
    in_runs = f" in {counted(runs.pop(), 'run')}" if len(runs) == 1 else ""
    fig.suptitle(f"Who blocks what{in_runs}: per issue, the {top} most frequent blockers (ties "
                 "shown as A = B) and the next share")
    return save_figure(fig, path)


def _blocker_column(ax: Axes, column: list[str],
                    levels: dict[str, list[tuple[float, list[str]]]],
                    titles: dict[str, str], decimals: int) -> None:
    """One column of plot_blockers: each issue's title on a row, then a bar for each share with
    the members or blocs (`levels`) at it, the share to `decimals` decimals."""
    row = 0
    for issue in column:
        if row:
            ax.axhline(row - 0.5, color="#999999", linewidth=0.5)
        ax.text(0, row, textwrap.shorten(titles[issue], 70, placeholder="…"), fontsize=9,
                fontweight="bold", va="center")
        shares = [share for share, _ in levels[issue]]
        rows = np.arange(row + 1, row + 1 + len(shares))
        ax.barh(rows, shares, height=0.7, color="#D55E00", alpha=0.8)
        for y, (share, named) in zip(rows, levels[issue], strict=True):
            ax.text(share + 0.01, y, f"{tie_label(named, 5).replace('=', ' = ')}: "
                    f"{share_label(share, decimals)}", va="center", fontsize=8)
        row += 1 + len(shares)
    ax.set_yticks([])
    ax.set_ylim(max(row, 1) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.tick_params(labeltop=True, top=True)
    ax.set_xlabel("Share of runs in which it blocked", fontsize=8)
    ax.grid(axis="x", alpha=0.3)


MAX_COMPARED = 20
"""Folders compared with the reference that one comparison figure draws: beyond it an issue's
row holds too many markers to tell apart."""
_MARKERS = "osD^v<>ph*"
"""Markers of the compared folders, with the Okabe-Ito colours: 7 colours and 10 markers cycled
together give 70 distinct pairs."""


def plot_comparison(comparison: pd.DataFrame | Sequence[pd.DataFrame], path: str | Path,
                    name_a: str = "A", name_b: str | Sequence[str] = "B") -> Path:
    """Dot-and-whisker plot of the change (b - a) in each outcome probability with 95% intervals.

    Filled dots mark changes whose Newcombe interval excludes zero. Given several comparisons
    (all against the same a, named by `name_b`, at most MAX_COMPARED), each issue row shows one
    marker per scenario, each scenario in its own colour and marker shape.
    """
    several = not isinstance(comparison, pd.DataFrame)
    comparisons = list(comparison) if several else [comparison]
    names = list(name_b) if several else [name_b]
    if len(comparisons) > MAX_COMPARED:
        raise ValueError(f"a comparison figure draws at most {MAX_COMPARED} scenarios compared "
                         f"with the reference, not {len(comparisons)}")
    first = comparisons[0]
    fig = _figure(13, _height(len(first) * (1 + 0.5 * (len(comparisons) - 1))))
    axes = fig.subplots(1, len(OUTCOMES), sharey=True)
    labels = [_label(t) for t in first["title"]]
    spread = 0.6 / len(comparisons)
    styles = [(OKABE_ITO[c % len(OKABE_ITO)], _MARKERS[c % len(_MARKERS)])
              for c in range(len(comparisons))]
    reach = change_range(comparisons)
    for ax, name in zip(axes, OUTCOMES, strict=True):
        rows = _issue_rows(ax, labels)
        for c, (table, (colour, marker)) in enumerate(zip(comparisons, styles, strict=True)):
            if not several:
                colour = "#555555" if name == NONE else OUTCOME_COLOURS[name]
            table = table.reindex(first.index)
            y = rows + (c - (len(comparisons) - 1) / 2) * spread
            diff = table[f"diff_{name}"].to_numpy(dtype=float)
            err = np.vstack([diff - table[f"diff_{name}_low"].to_numpy(dtype=float),
                             table[f"diff_{name}_high"].to_numpy(dtype=float) - diff])
            ax.errorbar(diff, y, xerr=err, fmt="none", ecolor=colour, elinewidth=1.2,
                        capsize=2.5)
            flagged = table[f"diff_{name}_excludes_zero"].to_numpy(dtype=bool)
            ax.scatter(diff[flagged], y[flagged], color=colour, zorder=3, s=30, marker=marker)
            ax.scatter(diff[~flagged], y[~flagged], facecolor="white", edgecolor=colour,
                       zorder=3, s=30, marker=marker)
        ax.axvline(0, color="black", linewidth=0.8)
        change_axis(ax, reach)
        ax.set_title(f"Δ P({name})", fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_ylabel("Issue")
    changed = f"each scenario below − {name_a}" if several else f"{names[0]} − {name_a}"
    axes[1].set_xlabel(textwrap.fill(f"Change in probability: {changed}", 45))
    fig.get_layout_engine().set(wspace=0.12)  # one panel's last tick label apart from the next's
    handles = [
        Line2D([], [], marker="o", color="dimgray", linestyle="none", label="interval excludes 0"),
        Line2D([], [], marker="o", markerfacecolor="white", color="dimgray", linestyle="none",
               label="interval includes 0"),
    ]
    if several:
        handles += [Line2D([], [], marker=marker, color=colour, linestyle="none",
                           label=textwrap.fill(label, 50))
                    for label, (colour, marker) in zip(names, styles, strict=True)]
    _fitting_legend(fig, handles)
    fig.suptitle(textwrap.fill(f"Change in outcome probabilities: {', '.join(names)} vs {name_a} "
                               "(95% Newcombe hybrid score intervals)", 120))
    return save_figure(fig, path)


CHANGE_RANGES = (0.1, 0.2, 0.4, 0.6, 1.0)
"""The half-widths an axis of changes in probability may take (a comparison figure's, the
dashboard's), each split into quarters by ticks at round values (0.05, 0.1, 0.2, 0.3 or 0.5
apart)."""


def change_range(comparisons: Sequence[pd.DataFrame], outcomes: Sequence[str] = OUTCOMES
                 ) -> float:
    """The narrowest of CHANGE_RANGES that holds every interval's ends of the `outcomes` in the
    `comparisons`, with a margin: intervals a few hundredths wide (a paired comparison's) stay
    readable, not dots on an axis from -1 to 1."""
    ends = [table[f"diff_{name}_{end}"].to_numpy(dtype=float) for table in comparisons
            for name in outcomes for end in ("low", "high")]
    largest = np.nanmax(np.abs(np.concatenate(ends)), initial=0.0)
    return next((reach for reach in CHANGE_RANGES if 1.05 * largest <= reach), CHANGE_RANGES[-1])


def change_axis(ax: Axes, reach: float) -> None:
    """An x axis of changes from -reach to +reach, ticked at quarters, each change signed."""
    ticks = np.linspace(-reach, reach, 5)
    ax.set_xlim(-reach, reach)
    ax.set_xticks(ticks, [f"{tick:+g}".replace("-", "−") if tick else "0" for tick in ticks])


def _fitting_legend(fig: Figure, handles: list[Line2D]) -> None:
    """A legend below the panels in as many columns as fit the figure's width, in rows."""
    renderer = fig.canvas.get_renderer()
    for ncols in range(len(handles), 0, -1):
        legend = fig.legend(handles=handles, loc="outside lower center", ncols=ncols,
                            frameon=False)
        if ncols == 1 or legend.get_window_extent(renderer).width <= 0.96 * fig.bbox.width:
            return
        legend.remove()

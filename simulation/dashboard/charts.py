"""The dashboard's figures: baseline and what-if side by side, and one negotiation's network.

Drawn on matplotlib's Agg canvas without pyplot (safe in the server's threads), with the
report's outcome colours; at most as wide as the page's results column in a 1280-pixel window,
so that the browser shows them at their own size, their text at least 11 pixels high.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import Bbox

from simulation.dashboard.state import Tables
from simulation.dashboard.watch import Month, layout
from simulation.engine.model import NegotiationModel
from simulation.engine.rules import SCALE_MAX, SCALE_MIN
from simulation.inputs.catalogue import SCALE_POINTS
from simulation.outcomes import AGREEMENTS, NONE, OUTCOMES
from simulation.report.plots import OUTCOME_COLOURS, change_axis, change_range

BASELINE, WHAT_IF = "#999999", "#0072B2"
DPI = 90
WIDTH = 9.2  # inches: 828 pixels, the results column of a 1280-pixel window
TEXT, SMALL = 10, 9  # points: 12.5 and 11.25 pixels
HUB_SIZE = 260  # points squared: a coalition's marker in the network chart


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _figure(width: float, height: float, left: float, bottom: float, top: float = 0.4,
            right: float = 0.25) -> Figure:
    """A figure with fixed margins (inches): a constrained layout costs more than the drawing."""
    fig = Figure(figsize=(width, height), dpi=DPI)
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height,
                        top=1 - top / height, wspace=0.12)
    FigureCanvasAgg(fig)
    return fig


def _rows(ax: Axes, ids: list[str]) -> np.ndarray:
    y = np.arange(len(ids))
    ax.set_yticks(y, ids, fontsize=SMALL)
    ax.set_ylim(len(ids) - 0.5, -0.5)
    return y


def _run_of(tables: Tables) -> str:
    return f"{tables.scenario.name}, {tables.runs} runs, seed {tables.seed}"


def outcome_chart(baseline: Tables, what_if: Tables, changes: pd.DataFrame) -> Figure:
    """Outcome shares per issue for the baseline and the what-if (stacked, Wilson whiskers),
    and the change in P(multilateral) and P(plurilateral) with Newcombe intervals."""
    ids = list(what_if.summary["issue"])
    fig = _figure(WIDTH, 1.95 + 0.26 * len(ids), left=2.0, bottom=0.85, top=1.1)
    fig.suptitle(f"baseline: {_run_of(baseline)}\nwhat-if: {_run_of(what_if)}", x=0.01,
                 ha="left", fontsize=TEXT)
    axes = fig.subplots(1, 3, sharey=True)
    for ax, tables, title in ((axes[0], baseline, "baseline"), (axes[1], what_if, "what-if")):
        table = tables.summary
        y, left = _rows(ax, ids), np.zeros(len(ids))
        for name in OUTCOMES:
            share = table[f"p_{name}"].fillna(0).to_numpy()
            ax.barh(y, share, left=left, height=0.7, color=OUTCOME_COLOURS[name], label=name)
            if name != NONE:
                err = np.vstack([share - table[f"p_{name}_low"].fillna(0).to_numpy(),
                                 table[f"p_{name}_high"].fillna(0).to_numpy() - share])
                ax.errorbar(left + share, y, xerr=err, fmt="none", ecolor="black", elinewidth=0.8,
                            capsize=2)
            left = left + share
        ax.set_xlim(0, 1)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0", ".25", ".5", ".75", "1 "], fontsize=SMALL)
        ax.set_title(f"{title}\noutcome shares", fontsize=TEXT)
        ax.grid(axis="x", alpha=0.3)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower left", fontsize=SMALL, ncols=3,
               frameon=False)
    ax = axes[2]
    y = _rows(ax, ids)
    for name, shift in zip(AGREEMENTS, (-0.15, 0.15), strict=True):
        diff = changes[f"diff_{name}"].to_numpy()
        err = np.vstack([diff - changes[f"diff_{name}_low"].to_numpy(),
                         changes[f"diff_{name}_high"].to_numpy() - diff])
        ax.errorbar(diff, y + shift, xerr=err, fmt="o", markersize=3, capsize=2,
                    color=OUTCOME_COLOURS[name], label=f"P({name})")
    ax.axvline(0, color="black", linewidth=0.8)
    change_axis(ax, change_range([changes], AGREEMENTS))
    ax.tick_params(axis="x", labelsize=SMALL)
    ax.set_title("what-if minus baseline\n(95% Newcombe interval)", fontsize=TEXT)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.04), fontsize=SMALL, ncols=2,
              frameon=False, handletextpad=0.2, columnspacing=0.8)
    ax.grid(axis="x", alpha=0.3)
    return fig


def text_chart(baseline: pd.DataFrame, what_if: pd.DataFrame) -> Figure:
    """Agreed text levels on each issue's 0-100 scale: median and 10-90% range over runs with a
    deal, baseline above what-if, the status quo marked."""
    ids = list(what_if["issue"])
    fig = _figure(WIDTH, 1.6 + 0.26 * len(ids), left=2.0, bottom=0.85, right=0.55)
    ax = fig.add_subplot()
    y = _rows(ax, ids)
    for frame, colour, shift, label in ((baseline, BASELINE, -0.17, "baseline"),
                                        (what_if, WHAT_IF, 0.17, "what-if")):
        median = frame["text_median"].to_numpy(float)
        ax.hlines(y + shift, frame["text_p10"], frame["text_p90"], color=colour, linewidth=2)
        ax.plot(median, y + shift, "o", color=colour, markersize=4, label=f"{label} median, 10-90%")
    ax.plot(what_if["status_quo"], y, "D", color="#D55E00", markersize=4, label="status quo")
    ax.set_xlim(SCALE_MIN, SCALE_MAX)
    ax.set_xticks(list(SCALE_POINTS.values()),
                  [f"{at:.0f} ({point})" for point, at in SCALE_POINTS.items()], fontsize=SMALL)
    ax.set_title("Agreed text level (runs with a deal)", fontsize=TEXT)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.05), fontsize=SMALL, ncols=3,
              frameon=False)
    return fig


def support_chart(baseline: Tables, what_if: Tables, issue: str) -> Figure:
    """Support for the chair's text on one issue over the calendar: mean and 10-90% band."""
    fig = _figure(WIDTH, 3.8, left=0.8, bottom=1.0)
    ax = fig.add_subplot()
    for tables, colour, label in ((baseline, BASELINE, "baseline"), (what_if, WHAT_IF, "what-if")):
        rows = tables.support[tables.support["issue"] == issue]
        x = np.arange(len(rows))
        ax.fill_between(x, rows["support_p10"], rows["support_p90"], color=colour, alpha=0.2)
        ax.plot(x, rows["support_mean"], color=colour, label=f"{label} mean (band: 10-90%)")
    labels = [str(label).split(" ")[0] for label in rows["period_label"]]
    ax.set_xticks(np.arange(len(labels)), labels, rotation=60, fontsize=SMALL)
    ax.tick_params(axis="y", labelsize=SMALL)
    ax.set_ylim(0, 1)
    ax.set_ylabel("capability share accepting", fontsize=SMALL)
    ax.set_title(f"Support for the chair's text on {issue} over the calendar", fontsize=TEXT)
    ax.legend(fontsize=SMALL, loc="lower right")
    ax.grid(alpha=0.3)
    return fig


_AROUND = ((0, 1, "center", "bottom"), (0, -1, "center", "top"), (1, 0, "left", "center"),
           (-1, 0, "right", "center"), (0.7, 0.7, "left", "bottom"),
           (-0.7, 0.7, "right", "bottom"), (0.7, -0.7, "left", "top"),
           (-0.7, -0.7, "right", "top"))  # where a label may go around its point


def _place_labels(ax: Axes, labels: list[tuple[str, np.ndarray, float]], taken: list[Bbox]
                  ) -> None:
    """Write each (text, point, distance in points) label beside its point where it stays in
    the axes and overlaps nothing in `taken` (labels written before it, markers, the legend);
    one that fits nowhere is left out, so put the important ones first."""
    renderer = ax.figure.canvas.get_renderer()
    inside = ax.get_window_extent(renderer)
    for text, point, distance in labels:
        for dx, dy, ha, va in _AROUND:
            label = ax.annotate(text, point, xytext=(dx * distance, dy * distance),
                                textcoords="offset points", ha=ha, va=va, fontsize=SMALL,
                                zorder=5)
            box = label.get_window_extent(renderer)
            if (inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0
                    and box.y1 <= inside.y1 and not any(box.overlaps(t) for t in taken)):
                taken.append(box)
                break
            label.remove()


def _marker_boxes(ax: Axes, points: np.ndarray, size: float) -> list[Bbox]:
    """The screen boxes of round markers of `size` (points squared) at `points`."""
    radius = np.sqrt(size) / 2 * ax.figure.dpi / 72
    return [Bbox.from_extents(x - radius, y - radius, x + radius, y + radius)
            for x, y in ax.transData.transform(points)]


def network_chart(model: NegotiationModel, issue: str, month: Month | None) -> Figure:
    """Members (coloured by position on `issue`) linked to their coalitions now; this month's
    joins in green, leaves dashed red. The coalitions, then the largest members, are named
    where a label overlaps no other label nor a coalition's marker."""
    nego = model.negotiation
    membership = model.membership[0]
    hubs, spots = layout(nego, membership)
    column = nego.issues.index(issue)
    fig = _figure(8, 7, left=0.05, bottom=0.05)
    ax = fig.add_subplot()
    for member, coalition in np.argwhere(membership):
        ax.plot(*zip(spots[member], hubs[coalition], strict=True), color="#cccccc",
                linewidth=0.4, zorder=1)
    for pairs, style in ((month.joined if month else [], {"color": "#009E73", "linewidth": 1.6}),
                         (month.left if month else [], {"color": "#D55E00", "linewidth": 1.4,
                                                        "linestyle": "--"})):
        for member, coalition in pairs:
            ax.plot(*zip(spots[member], hubs[coalition], strict=True), zorder=2, **style)
    dots = ax.scatter(spots[:, 0], spots[:, 1], c=model.positions[0][:, column],
                      cmap=colormaps["viridis"], vmin=0, vmax=100, s=14 + 60 * nego.capability
                      / nego.capability.max(), zorder=3, edgecolors="white", linewidths=0.3)
    ax.scatter(hubs[:, 0], hubs[:, 1], s=HUB_SIZE, color="#E69F00", zorder=4, edgecolors="black")
    bar = fig.colorbar(dots, ax=ax, shrink=0.6)
    bar.set_label(f"position on {issue}", fontsize=SMALL)
    bar.ax.tick_params(labelsize=SMALL)
    legend = ax.legend(handles=[Line2D([], [], color="#009E73", label="joined this month"),
                                Line2D([], [], color="#D55E00", linestyle="--",
                                       label="left this month")],
                       loc="lower left", fontsize=SMALL)
    ax.set_title(f"{model.period_label}: members and coalitions", fontsize=TEXT)
    ax.set_axis_off()
    ax.set_xlim(-1.8, 1.8)
    ax.set_ylim(-1.8, 1.8)
    ax.set_aspect("equal")
    ax.apply_aspect()  # the axes' final box, which the labels are measured in
    renderer = fig.canvas.get_renderer()
    taken = [legend.get_window_extent(renderer), *_marker_boxes(ax, hubs, HUB_SIZE)]
    coalitions = [(f"{name} ({size})", hub, 11) for hub, name, size in
                  zip(hubs, nego.coalitions, membership.sum(axis=0), strict=True)]
    members = [(nego.members[row], spots[row], 4) for row in np.argsort(nego.capability)[::-1][:8]]
    _place_labels(ax, coalitions + members, taken)
    return fig


def positions_chart(model: NegotiationModel, issue: str, start: np.ndarray) -> Figure:
    """Members' positions on one issue now (dots, size = capability) against where they
    started (grey), sorted by position."""
    nego = model.negotiation
    column = nego.issues.index(issue)
    now = model.positions[0][:, column]
    order = np.argsort(now)
    fig = _figure(8, 3.4, left=0.8, bottom=0.5)
    ax = fig.add_subplot()
    x = np.arange(len(order))
    ax.scatter(x, start[order], s=6, color="#bbbbbb", label="start")
    ax.scatter(x, now[order], s=8 + 60 * nego.capability[order] / nego.capability.max(),
               color=WHAT_IF, label="now")
    ax.axhline(float(nego.status_quo[column]), color="#D55E00", linewidth=0.8,
               label="status quo")
    # a margin beyond the scale's ends, where many a status quo and member sit: on the axes'
    # edge a status quo of 0 (the mandate's) was hidden by the frame
    ax.set_ylim(SCALE_MIN - 3, SCALE_MAX + 3)
    ax.set_xticks([])
    ax.tick_params(axis="y", labelsize=SMALL)
    ax.set_xlabel("members, by current position", fontsize=SMALL)
    ax.set_ylabel("position (0-100)", fontsize=SMALL)
    ax.set_title(f"Positions on {issue}: {model.period_label}", fontsize=TEXT)
    ax.legend(fontsize=SMALL, loc="upper left")
    return fig

"""Figures of sweeps and sensitivity analyses: outcome shares along a swept constant (a heat map
for two), a constant's indices per issue, and a constant x issue heat map of the indices.

Drawn like `report.plots`: matplotlib's Agg canvas, no pyplot state, Okabe-Ito colours.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from simulation.outcomes import OUTCOMES, SHARE_COLUMNS
from simulation.report import counted
from simulation.report.plots import DPI, OUTCOME_COLOURS, save_figure
from simulation.report.summary import wilson_interval
from simulation.runs.sensitivity import MIN_VARIANCE
from simulation.runs.sweep import SHARES, STATISTICS

PANEL_COLUMNS = 5
"""The most panels (one per issue) a design figure puts side by side; more start a new row."""


def _grid(count: int, width: float = 3.0, height: float = 2.2) -> tuple[Figure, list]:
    columns = min(PANEL_COLUMNS, count)
    rows = math.ceil(count / columns)
    figure = Figure(figsize=(width * columns, height * rows + 0.8), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = [figure.add_subplot(rows, columns, i + 1) for i in range(count)]
    return figure, axes


def _panel_title(title: str, note: str = "") -> str:
    """An issue's title shortened, with an ellipsis, so that it and `note` fit the two lines
    of a panel's title."""
    short = textwrap.shorten(title, width=60 - len(note), placeholder="…")
    return textwrap.fill(short + note, width=34)


MARKED_VALUES = 6
"""The most swept values a sweep's panel marks on its x axis by their own ticks; beyond them
the labels would run together in a panel's width, and matplotlib's round ticks are kept."""

_MARKERS = dict(zip(OUTCOMES, (("o", 5), ("s", 4), ("^", 3)), strict=True))
"""Each outcome's marker, the later ones smaller, so that shares that coincide stay visible."""


def with_intervals(table: pd.DataFrame, runs: int) -> pd.DataFrame:
    """A sweep's table with each point's run count (`n_runs`) and, beside each share of its
    runs (`SHARES`: the outcomes' and the agreed texts' reach), its Wilson 95% interval
    (`<share>_low`, `_high`): a point's shares are over its `runs` runs alone, so each carries
    an ensemble's Monte Carlo error of that many runs."""
    shown = table.copy()
    shown.insert(shown.columns.get_loc(SHARE_COLUMNS[OUTCOMES[0]]), "n_runs", runs)
    for column in SHARES:
        low, high = wilson_interval(np.rint(shown[column].to_numpy() * runs), runs)
        at = shown.columns.get_loc(column) + 1
        shown.insert(at, f"{column}_low", low)
        shown.insert(at + 1, f"{column}_high", high)
    return shown


def sweep_column_rows() -> list[str]:
    """The README's rows (markdown) for sweep.csv's columns: each point statistic's meaning
    (`STATISTICS`), with the columns `with_intervals` adds."""
    rows = ["| `point`, then each constant the design sets | the design point's number (from "
            "0, in the design's order) and its constants' values (`--set`'s, in a sweep) |",
            "| `issue` | the issue (each point has one row per issue, in the catalogue's order) |",
            "| `n_runs` | the point's runs (`--runs-per-point`), the denominator of every share |"]
    for name, meaning in STATISTICS.items():
        interval = f", then its Wilson 95% interval (`{name}_low`, `{name}_high`)" \
            if name in SHARES else ""
        rows.append(f"| `{name}` | {meaning}{interval} |")
    return rows


def plot_sweep(table: pd.DataFrame, constants: list[str], titles: dict[str, str], runs: int,
               path: Path, fixed: dict[str, float] | None = None) -> Path:
    """Draw `sweep_figure` into `path`."""
    return save_figure(sweep_figure(table, constants, titles, runs, fixed), path)


def sweep_figure(table: pd.DataFrame, constants: list[str], titles: dict[str, str], runs: int,
                 fixed: dict[str, float] | None = None) -> Figure:
    """Each issue's outcome shares along the swept constant (one constant; with their Wilson
    95% bands where the table has them, `with_intervals`), or its P(multilateral) over the grid
    of two constants; with more, along the first, the others averaged. `runs`: the runs per
    grid point, named in the title; `fixed`: the constants the sweep set to one value, named
    there too. The panels on the left and at the bottom name their axes."""
    issues = list(dict.fromkeys(table["issue"]))
    figure, axes = _grid(len(issues))
    columns = min(PANEL_COLUMNS, len(issues))  # as _grid lays them out
    for k, (axis, issue) in enumerate(zip(axes, issues, strict=True)):
        if k % columns == 0:
            axis.set_ylabel(constants[1] if len(constants) == 2 else "Share of runs",
                            fontsize=6)
        if k >= len(issues) - columns:
            axis.set_xlabel(constants[0], fontsize=6)
        rows = table[table["issue"] == issue]
        if len(constants) == 2:
            wide = rows.pivot_table(index=constants[1], columns=constants[0],
                                    values="p_multilateral")
            image = axis.imshow(wide.to_numpy(), origin="lower", aspect="auto", vmin=0, vmax=1,
                                cmap="viridis")
            axis.set_xticks(range(wide.shape[1]), [f"{v:g}" for v in wide.columns], fontsize=6)
            axis.set_yticks(range(wide.shape[0]), [f"{v:g}" for v in wide.index], fontsize=6)
        else:
            along = rows.groupby(constants[0]).mean(numeric_only=True)
            for outcome, column in SHARE_COLUMNS.items():
                marker, size = _MARKERS[outcome]
                axis.plot(along.index, along[column], marker=marker, markersize=size,
                          color=OUTCOME_COLOURS[outcome], label=outcome)
                if len(constants) == 1 and f"{column}_low" in along:  # a point's own interval
                    axis.fill_between(along.index, along[f"{column}_low"],
                                      along[f"{column}_high"], color=OUTCOME_COLOURS[outcome],
                                      alpha=0.15, linewidth=0)
            axis.set_ylim(-0.03, 1.03)
            if len(along) <= MARKED_VALUES:  # the grid's values, not matplotlib's round ones
                axis.set_xticks(along.index, [f"{v:g}" for v in along.index])
            axis.tick_params(labelsize=6)
        axis.set_title(_panel_title(titles.get(issue, issue)), fontsize=7)
    held = f" ({counted(runs, 'run')} per grid point)" + "".join(
        f"; {path} = {value:g}" for path, value in (fixed or {}).items())
    if len(constants) == 2:
        figure.set_layout_engine("constrained")  # keeps the panels apart beside the colour bar
        figure.colorbar(image, ax=axes, shrink=0.6, label="P(multilateral)")
        figure.suptitle(f"P(multilateral) by {constants[0]} (x) and {constants[1]} (y){held}",
                        fontsize=9)
    else:
        note = " (other swept constants averaged)" if len(constants) > 2 else ""
        banded = len(constants) == 1 and f"{SHARE_COLUMNS[OUTCOMES[0]]}_low" in table
        bands = "\nbands: each point's 95% Wilson interval" if banded else ""
        figure.suptitle(f"Outcome shares along {constants[0]}{note}{held}{bands}", fontsize=9)
        below = _legend_below(figure, *axes[0].get_legend_handles_labels())
        figure.tight_layout(rect=(0, below, 1, 0.97))
    return figure


def _legend_below(figure: Figure, handles: list, labels: list[str]) -> float:
    """A legend of `handles` in one row under the panels, not in a panel, where it would cover
    some panel's data; return the share of the figure's height it takes, for the layout to keep
    the panels above it."""
    legend = figure.legend(handles, labels, loc="lower center", ncols=max(len(handles), 1),
                           fontsize=7, frameon=False, bbox_to_anchor=(0.5, 0.0))
    height = legend.get_window_extent(figure.canvas.get_renderer()).height
    return height / figure.bbox.height + 0.005


def _measure(indices: pd.DataFrame) -> str:
    return "ST" if "ST" in set(indices["index"]) else "mu_star"


def plot_indices(indices: pd.DataFrame, titles: dict[str, str], path: Path,
                 verdict: str = "p_multilateral", top: int = 6) -> Path:
    """Per issue, the constants with the largest indices for a verdict (Sobol ST with its 95%
    interval beside S1, or Morris mu* with its interval; an interval stops at 0, below which
    neither index can be); an issue whose verdict varies less than MIN_VARIANCE over the design
    has no bars, its panel marked as not estimated (as the heat map leaves it blank and the
    printout leaves it out)."""
    measure = _measure(indices)
    chosen = indices[indices["verdict"] == verdict]
    issues = list(dict.fromkeys(chosen["issue"]))
    figure, axes = _grid(len(issues), width=3.6, height=2.4)
    for axis, issue in zip(axes, issues, strict=True):
        rows = chosen[chosen["issue"] == issue]
        variance = rows["variance"].max()
        if not variance >= MIN_VARIANCE:  # NaN too: no indices to show
            axis.set_axis_off()
            axis.text(0.5, 0.5, "not estimated:\nno variation" if variance == 0 else
                      f"not estimated:\nvariance < {MIN_VARIANCE:g}", ha="center",
                      va="center", fontsize=7, color="#555555", transform=axis.transAxes)
            axis.set_title(_panel_title(titles.get(issue, issue)), fontsize=7)
            continue
        main = rows[rows["index"] == measure].sort_values("value", ascending=False).head(top)
        names = [p.split(".", 1)[1] if "." in p else p for p in main["parameter"]]
        y = np.arange(len(main))[::-1]
        value, conf = main["value"].fillna(0).to_numpy(), main["conf"].fillna(0).to_numpy()
        # neither mu*, a mean of absolute effects, nor ST, a mean of squared changes over the
        # variance, is ever below 0: nor is its interval's lower end
        below = np.minimum(conf, value)
        axis.barh(y, value, xerr=[below, conf], color="#0072B2", height=0.4, label=measure,
                  error_kw={"elinewidth": 0.6})
        if measure == "ST":
            first = rows[rows["index"] == "S1"].set_index("parameter").reindex(main["parameter"])
            axis.barh(y - 0.4, first["value"].fillna(0), color="#E69F00", height=0.4,
                      label="S1")
        axis.set_yticks(y - (0.2 if measure == "ST" else 0), names, fontsize=5)
        axis.set_xlabel("share of the verdict's variance" if measure == "ST" else
                        "mean absolute elementary effect", fontsize=6)
        axis.tick_params(axis="x", labelsize=6)
        axis.set_title(_panel_title(titles.get(issue, issue)), fontsize=7)
    estimated = [axis for axis in axes if axis.axison]
    below = _legend_below(figure, *estimated[0].get_legend_handles_labels()) if estimated else 0
    shown = "ST (ranked) and S1" if measure == "ST" else measure
    figure.suptitle(f"Sensitivity of {verdict} per issue: {shown} (not estimated: the "
                    f"verdict's variance over the design < {MIN_VARIANCE:g})", fontsize=9)
    figure.tight_layout(rect=(0, below, 1, 1))
    return save_figure(figure, path)


def plot_heatmap(indices: pd.DataFrame, titles: dict[str, str], path: Path,
                 verdict: str = "p_multilateral") -> Path:
    """Constant x issue heat map of the total index (Sobol ST or Morris mu*) of a verdict."""
    measure = _measure(indices)
    chosen = indices[(indices["verdict"] == verdict) & (indices["index"] == measure)]
    chosen = chosen.assign(value=chosen["value"].where(chosen["variance"] >= MIN_VARIANCE))
    wide = chosen.pivot_table(index="parameter", columns="issue", values="value",
                              sort=False, dropna=False)
    # at least 6 x 3.5 inches: room for the title and, with few constants, the issue titles
    figure = Figure(figsize=(max(6.0, 3.0 + 0.32 * wide.shape[1]),
                             max(3.5, 2.0 + 0.28 * wide.shape[0])), dpi=DPI, layout="constrained")
    axis = figure.add_subplot()
    image = axis.imshow(wide.to_numpy(dtype=float), aspect="auto", cmap="viridis", vmin=0,
                        vmax=1 if measure == "ST" else None)
    labels = [textwrap.shorten(titles.get(i, i), width=30, placeholder="…") for i in wide.columns]
    axis.set_xticks(range(wide.shape[1]), labels, rotation=70, ha="right", fontsize=6)
    axis.set_yticks(range(wide.shape[0]), list(wide.index), fontsize=6)
    figure.colorbar(image, ax=axis, shrink=0.7, label=f"{measure} of {verdict}")
    figure.suptitle(f"{measure} of {verdict} per constant and issue\n(blank: the verdict's "
                    f"variance over the design < {MIN_VARIANCE:g})", fontsize=9)
    return save_figure(figure, path)

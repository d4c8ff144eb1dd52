"""The dashboard's figures: baseline and what-if side by side, and one negotiation's network.

Drawn on matplotlib's Agg canvas without pyplot (safe in the server's threads), with the
report's outcome colours.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from simulation.dashboard.state import Tables
from simulation.dashboard.watch import Month, layout
from simulation.engine.model import NegotiationModel
from simulation.outcomes import OUTCOMES
from simulation.report.plots import OUTCOME_COLOURS

BASELINE, WHAT_IF = "#999999", "#0072B2"


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _figure(width: float, height: float, left: float = 0.08, bottom: float = 0.12) -> Figure:
    """A figure with fixed margins (inches): a constrained layout costs more than the drawing."""
    fig = Figure(figsize=(width, height), dpi=90)
    fig.subplots_adjust(left=left * 8 / width, right=1 - 0.25 / width, bottom=bottom * 3 / height,
                        top=1 - 0.35 / height, wspace=0.08)
    FigureCanvasAgg(fig)
    return fig


def _rows(ax, ids: list[str]) -> np.ndarray:
    y = np.arange(len(ids))
    ax.set_yticks(y, ids)
    ax.set_ylim(len(ids) - 0.5, -0.5)
    return y


def outcome_chart(baseline: Tables, what_if: Tables, changes: pd.DataFrame) -> Figure:
    """Outcome shares per issue for the baseline and the what-if (stacked, Wilson whiskers),
    and the change in P(multilateral) and P(plurilateral) with Newcombe intervals."""
    ids = list(what_if.summary["issue"])
    fig = _figure(13, 1.4 + 0.26 * len(ids), left=0.27, bottom=0.25)
    axes = fig.subplots(1, 3, sharey=True)
    for ax, tables, title in ((axes[0], baseline, "baseline"), (axes[1], what_if, "what-if")):
        table = tables.summary
        y, left = _rows(ax, ids), np.zeros(len(ids))
        for name in OUTCOMES:
            share = table[f"p_{name}"].fillna(0).to_numpy()
            ax.barh(y, share, left=left, height=0.7, color=OUTCOME_COLOURS[name], label=name)
            if name != "none":
                err = np.vstack([share - table[f"p_{name}_low"].fillna(0).to_numpy(),
                                 table[f"p_{name}_high"].fillna(0).to_numpy() - share])
                ax.errorbar(left + share, y, xerr=err, fmt="none", ecolor="black", elinewidth=0.8,
                            capsize=2)
            left = left + share
        ax.set_xlim(0, 1)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0", ".25", ".5", ".75", "1 "])
        ax.set_title(f"{title}: {tables.scenario.name}, {tables.runs} runs, seed {tables.seed}",
                     fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower left", fontsize=7, ncols=3,
               frameon=False)
    ax = axes[2]
    y = _rows(ax, ids)
    for name, shift in (("multilateral", -0.15), ("plurilateral", 0.15)):
        diff = changes[f"diff_{name}"].to_numpy()
        err = np.vstack([diff - changes[f"diff_{name}_low"].to_numpy(),
                         changes[f"diff_{name}_high"].to_numpy() - diff])
        ax.errorbar(diff, y + shift, xerr=err, fmt="o", markersize=3, capsize=2,
                    color=OUTCOME_COLOURS[name], label=f"P({name})")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlim(-1, 1)
    ax.set_xticks([-1, -0.5, 0, 0.5, 1], ["-1", "-0.5", "0", "+0.5", "+1"])
    ax.set_title("what-if minus baseline (95% Newcombe interval)", fontsize=9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.04), fontsize=7, ncols=2,
              frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return fig


def text_chart(baseline: pd.DataFrame, what_if: pd.DataFrame) -> Figure:
    """Agreed text levels on each issue's 0-100 scale: median and 10-90% range over runs with a
    deal, baseline above what-if, the status quo marked."""
    ids = list(what_if["issue"])
    fig = _figure(8, 1.4 + 0.26 * len(ids), left=0.27, bottom=0.25)
    ax = fig.add_subplot()
    y = _rows(ax, ids)
    for frame, colour, shift, label in ((baseline, BASELINE, -0.17, "baseline"),
                                        (what_if, WHAT_IF, 0.17, "what-if")):
        median = frame["text_median"].to_numpy(float)
        ax.hlines(y + shift, frame["text_p10"], frame["text_p90"], color=colour, linewidth=2)
        ax.plot(median, y + shift, "o", color=colour, markersize=4, label=f"{label} median, 10-90%")
    ax.plot(what_if["status_quo"], y, "D", color="#D55E00", markersize=4, label="status quo")
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 50, 100], ["0 (low)", "50 (mid)", "100 (high)"])
    ax.set_title("Agreed text level (runs with a deal)", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06), fontsize=7, ncols=3,
              frameon=False)
    return fig


def support_chart(baseline: Tables, what_if: Tables, issue: str) -> Figure:
    """Support for the chair's text on one issue over the calendar: mean and 10-90% band."""
    fig = _figure(8, 3.2, left=0.09, bottom=0.3)
    ax = fig.add_subplot()
    for tables, colour, label in ((baseline, BASELINE, "baseline"), (what_if, WHAT_IF, "what-if")):
        rows = tables.support[tables.support["issue"] == issue]
        x = np.arange(len(rows))
        ax.fill_between(x, rows["support_p10"], rows["support_p90"], color=colour, alpha=0.2)
        ax.plot(x, rows["support_mean"], color=colour, label=f"{label} mean (band: 10-90%)")
    labels = [str(label).split(" ")[0] for label in rows["period_label"]]
    ax.set_xticks(np.arange(len(labels)), labels, rotation=60, fontsize=7)
    ax.set_ylim(0, 1)
    ax.set_ylabel("capability share accepting")
    ax.set_title(f"Support for the chair's text on {issue} over the calendar", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3)
    return fig


def network_chart(model: NegotiationModel, issue: str, month: Month | None) -> Figure:
    """Members (coloured by position on `issue`) linked to their coalitions now; this month's
    joins in green, leaves dashed red."""
    nego = model.negotiation
    membership = model.membership[0]
    hubs, spots = layout(nego, membership)
    column = nego.issues.index(issue)
    fig = _figure(7, 6, left=0.01, bottom=0.01)
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
    ax.scatter(hubs[:, 0], hubs[:, 1], s=260, color="#E69F00", zorder=4, edgecolors="black")
    for (x, yv), name, size in zip(hubs, nego.coalitions, membership.sum(axis=0), strict=True):
        ax.annotate(f"{name} ({size})", (x, yv), xytext=(0, 11), textcoords="offset points",
                    ha="center", fontsize=7, zorder=5)
    for row in np.argsort(nego.capability)[-8:]:
        ax.annotate(nego.members[row], spots[row], fontsize=6, xytext=(3, 3),
                    textcoords="offset points")
    fig.colorbar(dots, ax=ax, shrink=0.6, label=f"position on {issue}")
    ax.legend(handles=[Line2D([], [], color="#009E73", label="joined this month"),
                       Line2D([], [], color="#D55E00", linestyle="--", label="left this month")],
              loc="lower left", fontsize=7)
    ax.set_title(f"{model.period_label}: members and coalitions", fontsize=9)
    ax.set_axis_off()
    ax.set_aspect("equal")
    return fig


def positions_chart(model: NegotiationModel, issue: str, start: np.ndarray) -> Figure:
    """Members' positions on one issue now (dots, size = capability) against where they
    started (grey), sorted by position."""
    nego = model.negotiation
    column = nego.issues.index(issue)
    now = model.positions[0][:, column]
    order = np.argsort(now)
    fig = _figure(7, 3, left=0.09, bottom=0.12)
    ax = fig.add_subplot()
    x = np.arange(len(order))
    ax.scatter(x, start[order], s=6, color="#bbbbbb", label="start")
    ax.scatter(x, now[order], s=8 + 60 * nego.capability[order] / nego.capability.max(),
               color=WHAT_IF, label="now")
    ax.axhline(float(nego.status_quo[column]), color="#D55E00", linewidth=0.8,
               label="status quo")
    ax.set_ylim(0, 100)
    ax.set_xticks([])
    ax.set_xlabel("members, by current position")
    ax.set_ylabel("position (0-100)")
    ax.set_title(f"Positions on {issue}: {model.period_label}", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    return fig

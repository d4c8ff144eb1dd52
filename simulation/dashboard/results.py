"""The results view: the what-if against the baseline, issue by issue."""

from __future__ import annotations

import pandas as pd
import solara

from simulation.dashboard import charts, editor, state
from simulation.inputs.catalogue import SCALE_POINTS, SCALE_WORDS
from simulation.outcomes import OUTCOMES
from simulation.report.summary import interval_changes


def shares_table(baseline: state.Tables, what_if: state.Tables,
                 changes: pd.DataFrame) -> pd.DataFrame:
    """Per issue: each outcome's share with its 95% interval, baseline and what-if, and the
    change with its Newcombe interval (* = the interval excludes 0)."""
    view = pd.DataFrame({"issue": what_if.summary["issue"]})
    for name in OUTCOMES:
        for label, tables in (("base", baseline), ("what-if", what_if)):
            t = tables.summary
            view[f"P({name}) {label}"] = [
                f"{p:.3f} [{lo:.3f}, {hi:.3f}]" for p, lo, hi in
                zip(t[f"p_{name}"], t[f"p_{name}_low"], t[f"p_{name}_high"], strict=True)]
        view[f"change {name}"] = interval_changes(changes, f"diff_{name}", decimals=3)
    return view


def levels_table(baseline: pd.DataFrame, what_if: pd.DataFrame) -> pd.DataFrame:
    """Per issue: median agreed text (each kind's too where both kinds of deal are common),
    baseline and what-if, with the scale's anchor words."""
    def text(frame: pd.DataFrame) -> list[str]:
        return ["no deal" if pd.isna(m) else f"{m:.0f} ({lo:.0f}-{hi:.0f})"
                + ("" if pd.isna(kinds) else f"; {kinds}") for m, lo, hi, kinds in
                zip(frame["text_median"], frame["text_p10"], frame["text_p90"],
                    frame["by_kind"], strict=True)]

    return pd.DataFrame({"issue": what_if["issue"], "base text": text(baseline),
                         "what-if text": text(what_if), "status quo": what_if["status_quo"],
                         **{f"{SCALE_POINTS[point]:.0f} means": what_if[point]
                            for point in SCALE_WORDS}})


def blockers_table(baseline: state.Tables, what_if: state.Tables) -> pd.DataFrame:
    """Per issue: the most frequent blockers (share of runs), baseline and what-if, and the
    largest changes in blocking shares between them."""
    changes = state.blocker_changes(baseline, what_if)
    return pd.DataFrame({"issue": what_if.summary["issue"],
                         "base blockers": baseline.summary["top_blockers"].fillna(""),
                         "what-if blockers": what_if.summary["top_blockers"].fillna(""),
                         "largest changes": [changes.get(issue, "")
                                             for issue in what_if.summary["issue"]]})


BLOCKERS_KEY = ("blockers: the share of all runs in which each blocked consensus, '=' joining "
                "members at the same share, a bloc most of whose members blocked together named "
                "once; largest changes: the share before -> after and the change, what-if minus "
                "baseline [95% Newcombe interval, the runs taken as independent]; * the interval "
                "excludes 0.")
LEVELS_KEY = ("text: the median agreed text (10-90% of the runs with a deal of either kind), "
              "and each kind's median with its share of runs where multilateral and plurilateral "
              "deals each reach a tenth of the runs: a pooled median between two camps describes "
              "neither.")


def html_table(frame: pd.DataFrame, css: str) -> None:
    """A plain HTML table (every row visible, readable by the browser tests), its headers
    aligned as its cells (pandas right-aligns the headers only), scrolled sideways in its box
    when wider than the page."""
    solara.HTML(tag="div", unsafe_innerHTML=frame.to_html(index=False, classes=[css],
                                                          border=0, na_rep="", justify="left"),
                classes=[f"{css}-box", "table-box"])


def _figure(build, dependencies: list, css: str) -> None:
    """A matplotlib figure built and converted once per change of its inputs."""
    figure = solara.use_memo(build, dependencies=dependencies)
    with solara.Div(classes=[css]):
        solara.FigureMatplotlib(figure, dependencies=dependencies, format="png")


_OUTCOME_CHARTS: dict[tuple, bytes] = {}  # the same inputs, runs and seed: the same chart
_KEPT = 32


def outcome_png(baseline: state.Tables, what_if: state.Tables, changes: pd.DataFrame) -> bytes:
    """The outcome chart as PNG, drawn once per (scenarios, runs, seed) for every open page."""
    key = tuple((t.scenario.input_hash(), t.runs, t.seed) for t in (baseline, what_if))
    if key not in _OUTCOME_CHARTS:
        while len(_OUTCOME_CHARTS) >= _KEPT:
            _OUTCOME_CHARTS.pop(next(iter(_OUTCOME_CHARTS)))
        _OUTCOME_CHARTS[key] = charts.png(charts.outcome_chart(baseline, what_if, changes))
    return _OUTCOME_CHARTS[key]


@solara.component
def OutcomesTab(baseline: state.Tables, what_if: state.Tables, changes: pd.DataFrame) -> None:
    """The outcome shares of both ensembles and their changes, as a chart and a table."""
    image = solara.use_memo(lambda: outcome_png(baseline, what_if, changes),
                            dependencies=[baseline, what_if])
    with solara.Div(classes=["outcome-chart"]):
        solara.Image(image)
    solara.Text(shares_key(changes), classes=["shares-key"], style=editor.CAPTION)
    html_table(shares_table(baseline, what_if, changes), "shares")


def shares_key(changes: pd.DataFrame) -> str:
    """What the shares table's brackets and stars mean (the page said it nowhere)."""
    how = ("paired run by run (both ran the same runs of one seed, as `mc11 compare` pairs them)"
           if changes["paired"].all() else "the runs taken as independent")
    return ("P(...): the share of simulated runs ending so on the issue, the model's reading "
            "of the preferences under the scenario's protocol, not a calibrated probability "
            "(README, \"Limitations\") [95% Wilson interval: the Monte Carlo error of the number "
            "of runs alone, not the forecast's uncertainty]; change: what-if minus baseline "
            f"[95% Newcombe interval, {how}]; * the interval excludes 0.")


@solara.component
def LevelsTab(levels: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """The agreed text levels of both ensembles against each issue's scale."""
    _figure(lambda: charts.text_chart(*levels), [levels], "text-chart")
    solara.Text(LEVELS_KEY, classes=["levels-key"], style=editor.CAPTION)
    html_table(levels_table(*levels), "levels")


@solara.component
def BlockersTab(baseline: state.Tables, what_if: state.Tables) -> None:
    """The most frequent blockers of both ensembles and the largest changes, computed once per
    pair of ensembles (the blocs come from each scenario's arrays)."""
    table = solara.use_memo(lambda: blockers_table(baseline, what_if),
                            dependencies=[baseline, what_if])
    solara.Text(BLOCKERS_KEY, classes=["blockers-key"], style=editor.CAPTION)
    html_table(table, "blockers")


@solara.component
def SupportTab(baseline: state.Tables, what_if: state.Tables) -> None:
    """Support for one chosen issue over the calendar, in both ensembles."""
    issue = solara.use_reactive(what_if.summary["issue"].iloc[0])
    solara.Select("Issue", values=list(what_if.summary["issue"]), value=issue)
    _figure(lambda: charts.support_chart(baseline, what_if, issue.value),
            [baseline, what_if, issue.value], "support-chart")


@solara.component
def ResultsView(baseline: state.Tables, what_if: state.Tables) -> None:
    """Outcome shares, text levels, blockers and support: the what-if beside the baseline."""
    changes = solara.use_memo(lambda: state.comparison(baseline, what_if),
                              dependencies=[baseline, what_if])
    levels = solara.use_memo(lambda: (state.text_levels(baseline), state.text_levels(what_if)),
                             dependencies=[baseline, what_if])
    tab = solara.use_reactive(0)
    with solara.lab.Tabs(value=tab):  # only the open tab is drawn
        with solara.lab.Tab("Outcomes"):
            if tab.value == 0:
                OutcomesTab(baseline, what_if, changes)
        with solara.lab.Tab("Text levels"):
            if tab.value == 1:
                LevelsTab(levels)
        with solara.lab.Tab("Blockers"):
            if tab.value == 2:
                BlockersTab(baseline, what_if)
        with solara.lab.Tab("Support over time"):
            if tab.value == 3:
                SupportTab(baseline, what_if)

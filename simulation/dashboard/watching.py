"""The "watch one negotiation" view: Mesa-style Reset / Step / Run to MC11 controls over one
replication, its coalition network and members' positions on a chosen issue."""

from __future__ import annotations

from html import escape

import solara

from simulation.dashboard import charts, editor, results, watch
from simulation.inputs import MAX_RUNS
from simulation.inputs.scenario import Scenario


@solara.component
def WatchView(scenario: Scenario, seed: int) -> None:
    """Step one replication of the what-if through the calendar, month by month."""
    replication = solara.use_reactive(0)
    typed_badly = solara.use_reactive(False)  # the Replication field's text is not a number
    issue = solara.use_reactive(scenario.catalogue.issue_ids[0])
    model, set_model = solara.use_state(None)
    month, set_month = solara.use_state(None)
    start, set_start = solara.use_state(None)

    def reset():
        fresh = watch.watched_model(scenario, seed, replication.value)
        set_model(fresh)
        set_month(None)
        set_start(fresh.positions[0].copy())

    solara.use_effect(reset, [scenario, seed, replication.value])

    def step():
        if model is not None and model.running:
            set_month(watch.step_month(model))

    def to_the_end():
        last = None
        while model is not None and model.running:
            last = watch.step_month(model)
        set_month(last)

    stuck = model is None or not model.running or typed_badly.value
    with solara.Row():
        with solara.Div(classes=["watch-replication"]):
            # replication i is row i of an ensemble of more runs: one mc11 can run
            editor.NumberField("Replication", replication.value, replication.set, typed_badly,
                               whole=True, low=0, high=MAX_RUNS - 1,
                               hint="the ensemble's run to watch; 0 is its first")
        solara.Select("Issue", values=scenario.catalogue.issue_ids, value=issue)
        solara.Button("Reset", on_click=reset, classes=["watch-reset"],
                      disabled=typed_badly.value)
        solara.Button("Step one month", on_click=step, color="primary", classes=["watch-step"],
                      disabled=stuck)
        solara.Button("Run to MC11", on_click=to_the_end, classes=["watch-end"], disabled=stuck)
    if model is None:
        return
    total = len(model.negotiation.calendar)
    solara.Text(f"{scenario.name}, seed {seed}, replication {replication.value}: "
                f"month {model.steps} of {total}"
                + (f" ({month.label})" if month else " (before the first month)"),
                classes=["watch-status"])
    column = scenario.catalogue.issue_ids.index(issue.value)
    # one above the other, each at its own size (side by side, the network was squeezed to a
    # thumbnail in a 1280-pixel window)
    with solara.Div(classes=["network-chart"]):
        solara.FigureMatplotlib(charts.network_chart(model, issue.value, month), format="png")
    with solara.Div(classes=["positions-chart"]):
        solara.FigureMatplotlib(charts.positions_chart(model, issue.value, start[:, column]),
                                format="png")
    if month is not None:
        names = model.negotiation.coalitions
        codes = model.negotiation.members
        _line("Joined", ", ".join(f"{codes[m]} → {names[c]}" for m, c in month.joined))
        _line("Left", ", ".join(f"{codes[m]} ← {names[c]}" for m, c in month.left))
    if model.verdict is not None:
        solara.HTML(tag="h3", unsafe_innerHTML="Verdict at MC11 (equals this replication's row "
                    "in an ensemble of this what-if and seed, of more runs than its number)")
        results.html_table(watch.verdict_table(model), "verdict")
    elif month is not None and month.events:
        solara.HTML(tag="div", unsafe_innerHTML="<b>This month:</b><ul>" + "".join(
            f"<li>{escape(event)}</li>" for event in month.events[:40]) + "</ul>")


def _line(label: str, text: str) -> None:
    """A bold label and its text (plain HTML: solara's Markdown fetches a math renderer from
    the internet on every page)."""
    solara.HTML(tag="div", unsafe_innerHTML=f"<b>{label}:</b> {escape(text) or 'nobody'}")

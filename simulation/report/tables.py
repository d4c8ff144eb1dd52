"""The tables of a results folder (`simulation.outputs.TABLES`): summary, per-period spreads,
blockers, plurilateral membership."""

from __future__ import annotations

import pandas as pd

from simulation.inputs.catalogue import CLUSTER_TITLES
from simulation.inputs.scenario import Scenario
from simulation.outputs import OUTPUT, OUTPUTS, Combine
from simulation.report import summary
from simulation.report.figures import coalition_titles, position_groups, write_figures
from simulation.runs.ensemble import EnsembleResult
from simulation.runs.results import Run, write_atomic


def issues_frame(scenario: Scenario) -> pd.DataFrame:
    """The catalogue as the frame the summaries and plots expect (index: issue id)."""
    return pd.DataFrame(
        [{"issue": i.id, "title": i.title, "cluster": i.cluster,
          "cluster_title": CLUSTER_TITLES[i.cluster], "status_quo": i.status_quo}
         for i in scenario.catalogue.issues]
    ).set_index("issue")


def write_report(run: Run, result: EnsembleResult, plots: bool = True) -> None:
    """The summary tables and (if `plots`) the figures of a finished ensemble's folder."""
    folder = run.folder
    issues = issues_frame(run.scenario)
    outcomes = result.outcomes
    blockers = summary.blocker_frequencies(outcomes)
    table = summary.summarise(outcomes, issues, blockers=blockers).rename_axis("issue") \
        .reset_index()
    write_atomic(folder / "summary.csv", table.to_csv(index=False))
    write_atomic(folder / "summary.json",
                 table.to_json(orient="records", indent=1, force_ascii=False) + "\n")
    spreads = period_tables(result)
    for name, frame in spreads.items():
        write_atomic(folder / OUTPUT[name].tables[0], frame.to_csv(index=False))
    write_atomic(folder / "blockers.csv", blockers.to_csv(index=False))
    write_atomic(folder / "plurilateral_membership.csv",
                 summary.plurilateral_membership(outcomes).to_csv(index=False))
    priors = {path: prior.describe() for path, prior in run.scenario.priors.items()}
    if priors:
        write_atomic(folder / "priors.csv",
                     summary.uncertain_parameters(outcomes, priors).to_csv(index=False))
    if plots:
        write_figures(folder, outcomes, table, spreads["support"], blockers, issues,
                      position_groups(run.scenario), spreads["coalition_sizes"],
                      coalition_titles(run.scenario))


def period_tables(result: EnsembleResult) -> dict[str, pd.DataFrame]:
    """Per per-period output (`Combine.SPREAD`): its table over the calendar, by issue or
    coalition."""
    negotiation = result.negotiation
    labels = [f"{p.month} {p.label}" for p in negotiation.calendar]
    names = {"issue": negotiation.issues, "coalition": negotiation.coalitions}
    return {o.name: summary.spread_over_time(getattr(result, o.name), labels, names[o.axes[1]],
                                             by=o.axes[1], prefix=o.column)
            for o in OUTPUTS if o.combine is Combine.SPREAD}

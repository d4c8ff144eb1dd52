"""The tables of a results folder: summary, support, blockers, plurilateral membership."""

from __future__ import annotations

import pandas as pd

from simulation.inputs.scenario import Scenario
from simulation.report import summary
from simulation.report.figures import position_groups, write_figures
from simulation.runs.ensemble import EnsembleResult
from simulation.runs.results import Run, write_atomic


def issues_frame(scenario: Scenario) -> pd.DataFrame:
    """The catalogue as the frame the summaries and plots expect (index: issue id)."""
    return pd.DataFrame(
        [{"issue": i.id, "title": i.title, "cluster": i.cluster, "status_quo": i.status_quo}
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
    labels = [f"{p.month} {p.label}" for p in result.negotiation.calendar]
    support = summary.support_over_time(result.support, labels, result.negotiation.issues)
    write_atomic(folder / "support.csv", support.to_csv(index=False))
    write_atomic(folder / "blockers.csv", blockers.to_csv(index=False))
    write_atomic(folder / "plurilateral_membership.csv",
                 summary.plurilateral_membership(outcomes).to_csv(index=False))
    if plots:
        write_figures(folder, outcomes, table, support, blockers, issues,
                    position_groups(run.scenario))

"""The tables of a results folder (`simulation.outputs.TABLES`): summary, per-period spreads,
blockers, plurilateral membership."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.engine.negotiation import Negotiation
from simulation.errors import write_atomic
from simulation.inputs.catalogue import CLUSTER_TITLES, REACHED, SCALE_WORDS
from simulation.inputs.scenario import Scenario, check_scenario
from simulation.outcomes import AGREEMENTS, OUTCOMES
from simulation.outputs import OUTPUT, OUTPUTS, Combine
from simulation.report import json_records, summary
from simulation.report.figures import (
    FigureTables,
    bloc_members,
    coalition_titles,
    position_groups,
    write_figures,
)
from simulation.runs.aggregate import Aggregate
from simulation.runs.ensemble import DRAW
from simulation.runs.results import Run


def issues_frame(scenario: Scenario) -> pd.DataFrame:
    """The catalogue as the frame the summaries and plots expect (index: issue id)."""
    check_scenario(scenario, "issues_frame")
    return pd.DataFrame(
        [{"issue": i.id, "title": i.title, "cluster": i.cluster,
          "cluster_title": CLUSTER_TITLES[i.cluster], "status_quo": i.status_quo,
          **{f"scale_{point}": getattr(i.scale, point) for point in SCALE_WORDS}}
         for i in scenario.catalogue.issues]
    ).set_index("issue")


def figure_tables(scenario: Scenario, negotiation: Negotiation,
                  **results: pd.DataFrame | None) -> FigureTables:
    """The standard figures' tables: the scenario's, with the `results` given (summary, levels,
    support, blockers, coalitions; none before a run has finished)."""
    return FigureTables(issues_frame(scenario), position_groups(scenario),
                        coalition_titles(scenario), bloc_members(scenario, negotiation), **results)


def summary_tables(scenario: Scenario, aggregate: Aggregate
                   ) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], pd.DataFrame]:
    """An ensemble's summary (one row per issue, as summary.csv holds it), its member shares
    (blockers, plurilateral members) and its text levels: for results folders and the
    dashboard alike."""
    issues = issues_frame(scenario)
    negotiation = aggregate.negotiation
    blocs = bloc_members(scenario, negotiation)
    members = {name: summary.member_shares_from_counts(counts, negotiation.members,
                                                       negotiation.issues, aggregate.runs)
               for name, counts in aggregate.member_counts.items()}
    if aggregate.exact:
        outcomes = aggregate.outcome_table()
        table = summary.summarise(outcomes, issues, blockers=members["blockers"], blocs=blocs)
        levels = summary.text_levels(outcomes)
    else:
        table = summary.summary_table(*_summary_parts(aggregate), members["blockers"], issues,
                                      blocs=blocs, reached=_reached(aggregate))
        levels = _text_levels(aggregate)
    return table.rename_axis("issue").reset_index(), members, levels


def write_report(run: Run, aggregate: Aggregate, plots: bool = True,
                 workers: int = 1) -> FigureTables:
    """The tables (`simulation.outputs.TABLES`) and, if `plots`, the figures (on up to
    `workers` processes) of a finished ensemble's folder, from its chunks combined in
    `aggregate`. Returns the figures' tables: `mc11 run` draws the figures itself once the
    folder is complete, so that a stop while drawing leaves a folder `mc11 plot` completes."""
    folder, scenario = run.folder, run.scenario
    table, members, levels = summary_tables(scenario, aggregate)
    write_atomic(folder / "summary.csv", table.to_csv(index=False))
    write_atomic(folder / "summary.json", json_records(table))
    write_atomic(folder / "text_levels.csv", levels.to_csv(index=False))
    spreads = period_tables(aggregate)
    for name, frame in spreads.items():
        write_atomic(folder / OUTPUT[name].tables[0], frame.to_csv(index=False))
    for name, frame in members.items():
        write_atomic(folder / OUTPUT[name].tables[1], frame.to_csv(index=False))
    if scenario.priors:
        draws = pd.DataFrame({f"{DRAW}{path}": values
                              for path, values in aggregate.drawn().items()})
        write_atomic(folder / "priors.csv", summary.uncertain_parameters(
            draws.assign(run=np.arange(len(draws))), scenario.priors).to_csv(index=False))
    figures = figure_tables(scenario, aggregate.negotiation, summary=table, levels=levels,
                            support=spreads["support"], blockers=members["blockers"],
                            coalitions=spreads["coalition_sizes"])
    if plots:
        write_figures(figures, folder / "plots", workers)
    return figures


def _summary_parts(aggregate: Aggregate) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Outcome counts, text statistics and median coverage by issue, from the histograms."""
    issues = list(aggregate.negotiation.issues)
    counts = pd.DataFrame(aggregate.outcome_counts, index=issues, columns=list(OUTCOMES))
    text = aggregate.histograms["text.any"]
    texts = pd.DataFrame({"text_median": text.quantile(0.5), "text_p10": text.quantile(0.1),
                          "text_p90": text.quantile(0.9)}, index=issues)
    coverage = pd.Series(aggregate.histograms["coverage"].quantile(0.5), index=issues)
    return counts, texts, coverage


def _reached(aggregate: Aggregate) -> pd.DataFrame:
    """Per issue, the runs whose agreed text reaches each described point of the scale (the
    aggregate counts them exactly, whatever the run count)."""
    return pd.DataFrame(aggregate.reached_counts, index=list(aggregate.negotiation.issues),
                        columns=list(REACHED))


def _text_levels(aggregate: Aggregate) -> pd.DataFrame:
    """text_levels.csv from the histograms of agreed texts by kind of agreement."""
    issues = list(aggregate.negotiation.issues)
    rows = []
    for k, issue in enumerate(issues):
        for kind in AGREEMENTS:
            histogram = aggregate.histograms[f"text.{kind}"]
            n = int(histogram.counts[k].sum())
            if n:
                rows.append({"issue": issue, "outcome": kind, "n_runs": n,
                             **{f"text_{name}": histogram.quantile(q)[k]
                                for name, q in summary.TEXT_QUANTILES.items()}})
    return pd.DataFrame(rows, columns=["issue", "outcome", "n_runs",
                                       *(f"text_{n}" for n in summary.TEXT_QUANTILES)])


def period_tables(aggregate: Aggregate) -> dict[str, pd.DataFrame]:
    """Per per-period output (`Combine.SPREAD`): its table over the calendar, by issue or
    coalition."""
    negotiation = aggregate.negotiation
    labels = [period.title for period in negotiation.calendar]
    names = {"issue": negotiation.issues, "coalition": negotiation.coalitions}
    tables = {}
    for output in OUTPUTS:
        if output.combine is not Combine.SPREAD:
            continue
        by, prefix = output.axes[1], output.column
        if aggregate.exact:
            tables[output.name] = summary.spread_over_time(
                aggregate.values(output.name), labels, names[by], by=by, prefix=prefix)
            continue
        histogram = aggregate.histograms[output.name]
        tables[output.name] = summary.spread_frame(
            labels, names[by], by, prefix, histogram.n, histogram.mean(), histogram.quantile(0.1),
            histogram.quantile(0.9))
    return tables

"""The standard figures of a results folder, drawn the same way by `mc11 run` and `mc11 plot`."""

from __future__ import annotations

import multiprocessing
import operator
import warnings
from collections.abc import Callable, Collection
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.engine.negotiation import Negotiation
from simulation.inputs.catalogue import STATUS_WORDS
from simulation.inputs.scenario import Scenario, check_scenario
from simulation.report import DEFAULT_FIGURE_FORMAT
from simulation.runs.workers import end_quietly_when_stopped


def position_groups(scenario: Scenario) -> pd.DataFrame:
    """The preference table with each member's group label, for the position heatmap.

    The groups come from the data: the members named on their own (each proposal's first
    sponsor, and the members a group stance names), then each bloc (groups.yaml), then the
    other proposal sponsors, then everyone else by development status."""
    catalogue = scenario.catalogue
    named = [p.sponsors[0] for p in catalogue.proposals]
    named += [code for g in catalogue.group_stances for code in g.applies_to.members or []]
    names = {m.code: m.name for m in catalogue.members}
    sponsors = {code for p in catalogue.proposals for code in p.sponsors}
    blocs = [g for g in catalogue.group_stances if g.bloc]
    labels = {}
    for member in catalogue.actors:
        bloc = next((g.name for g in blocs if g.applies_to.selects(member)), None)
        if member.code in named:
            labels[member.code] = names[member.code]
        elif bloc is not None:
            labels[member.code] = bloc
        elif member.code in sponsors:
            labels[member.code] = "Other proposal sponsors"
        else:
            labels[member.code] = f"Other {STATUS_WORDS.get(member.status, member.status)}"
    order = [names[c] for c in dict.fromkeys(named)] + [g.name for g in blocs] + \
        ["Other proposal sponsors", *(f"Other {w}" for w in STATUS_WORDS.values())]
    table = scenario.preferences
    table = table.assign(group=pd.Categorical(table["member"].map(labels),
                                              categories=list(dict.fromkeys(order))))
    return table.sort_values("group", kind="stable").assign(group=lambda t: t["group"].astype(str))[
        ["member", "group", "issue", "position", "salience"]]


def bloc_members(scenario: Scenario, negotiation: Negotiation) -> dict[str, list[str]]:
    """Each bloc (groups.yaml, `bloc: true`) by name, with its negotiating members."""
    check_scenario(scenario, "bloc_members")
    if not isinstance(negotiation, Negotiation):
        raise TypeError(f"bloc_members takes the scenario's Negotiation, not "
                        f"{type(negotiation).__name__} {negotiation!r:.60}: give "
                        "scenario.negotiation() (called)")
    rows = [i for i, bloc in enumerate(negotiation.bloc) if bloc]
    names = {g.id: g.name for g in scenario.catalogue.group_stances}
    members = np.array(negotiation.members)
    return {names.get(negotiation.coalitions[i], negotiation.coalitions[i]):
            members[negotiation.founders[:, i]].tolist() for i in rows}


def coalition_titles(scenario: Scenario) -> dict[str, str]:
    """Each coalition of the negotiation in words: a proposal's sponsors with their first
    members' names, or a bloc's name."""
    catalogue = scenario.catalogue
    names = {member.code: member.name for member in catalogue.members}
    titles = {}
    for proposal in catalogue.proposals:
        first = ", ".join(names.get(code, code) for code in proposal.sponsors[:2])
        more = " et al." if len(proposal.sponsors) > 2 else ""
        titles[proposal.symbol] = f"Sponsors of {proposal.symbol} ({first}{more})"
    for group in catalogue.group_stances:
        if group.bloc:  # the only groups that are coalitions (inputs.arrays)
            titles[group.id] = f"{group.name} (bloc)"
    return titles


@dataclass(frozen=True)
class FigureTables:
    """What the standard figures are drawn from: the scenario's issues, positions, coalition
    names and blocs, and a results folder's tables (summary, text_levels, support, blockers,
    coalitions), which are None before the run has finished."""

    issues: pd.DataFrame
    positions: pd.DataFrame
    coalition_names: dict[str, str]
    blocs: dict[str, list[str]]
    summary: pd.DataFrame | None = None
    levels: pd.DataFrame | None = None
    support: pd.DataFrame | None = None
    blockers: pd.DataFrame | None = None
    coalitions: pd.DataFrame | None = None


def _outcomes(tables: FigureTables, path: Path) -> Path:
    return _plots().plot_outcomes(tables.summary, path)


def _text_levels(tables: FigureTables, path: Path) -> Path:
    return _plots().plot_text_levels(tables.levels, tables.issues, path)


def _text_reach(tables: FigureTables, path: Path) -> Path | None:
    """None for folders written before the summary had the reach columns."""
    if "p_text_mid" not in tables.summary:
        return None
    return _plots().plot_text_reach(tables.summary, path)


def _support(tables: FigureTables, path: Path) -> Path:
    return _plots().plot_support(tables.support, tables.issues, path,
                                 coalitions=tables.coalitions,
                                 coalition_names=tables.coalition_names)


def _positions(tables: FigureTables, path: Path) -> Path:
    return _plots().plot_position_heatmap(tables.positions, tables.issues, path)


def _blockers(tables: FigureTables, path: Path) -> Path:
    return _plots().plot_blockers(tables.blockers, path, issues=tables.issues, blocs=tables.blocs)


@dataclass(frozen=True)
class StandardFigure:
    """A standard figure: the function drawing it into a file, its name (the file's in the plots
    folder, without the format's ending), and whether it needs only the scenario's tables (then
    `mc11 run` draws it while the replications run, on a core that waits)."""

    draw: Callable[[FigureTables, Path], Path | None]
    name: str
    scenario_only: bool = False

    def file(self, fmt: str = DEFAULT_FIGURE_FORMAT) -> str:
        """The figure's file name in the format `fmt` (one of `FIGURE_FORMATS`)."""
        return f"{self.name}.{fmt}"

    def into(self, tables: FigureTables, target: Path,
             fmt: str = DEFAULT_FIGURE_FORMAT) -> Path | None:
        """Draw the figure into its file of format `fmt` in the folder `target`; None if it has
        nothing to draw."""
        return self.draw(tables, target / self.file(fmt))


FIGURES: tuple[StandardFigure, ...] = (
    StandardFigure(_support, "support"),
    StandardFigure(_positions, "positions", scenario_only=True),
    StandardFigure(_text_levels, "text_levels"), StandardFigure(_outcomes, "outcomes"),
    StandardFigure(_blockers, "blockers"), StandardFigure(_text_reach, "text_reach"))
"""The standard figures: a new figure is a function above and one entry here. They are drawn
in this order, costliest first (measured in `docs/performance.md`), so that on two processes
the longest does not start last."""


def _plots():
    """The plotting module, imported only when figures are drawn (matplotlib takes ~0.4 s)."""
    from simulation.report import plots

    return plots


def draw_ahead(tables: FigureTables, target: Path,
               fmt: str = DEFAULT_FIGURE_FORMAT) -> list[StandardFigure]:
    """Draw into `target`, in the format `fmt`, the figures that need only the scenario's
    tables, e.g. while a run's workers are busy; return them, for `write_figures` to leave out
    once the run has finished. Imports the plotting module, so the figures drawn later start at
    once."""
    target.mkdir(exist_ok=True)
    ahead = [figure for figure in FIGURES if figure.scenario_only]
    for figure in ahead:
        figure.into(tables, target, fmt)
    return ahead


def write_figures(tables: FigureTables, target: Path, workers: int = 1,
                  drawn: Collection[StandardFigure] = (),
                  fmt: str = DEFAULT_FIGURE_FORMAT) -> list[Path]:
    """Draw the standard figures but those `drawn` already into the folder `target`, as files
    of the format `fmt` (one of `FIGURE_FORMATS`); with `workers` > 1, on that many forked
    processes at once (each figure is independent and drawn from the same tables, so the files
    are the same either way)."""
    target.mkdir(exist_ok=True)
    _plots()  # imported once here, so forked processes inherit it
    draws = [figure.into for figure in FIGURES if figure not in drawn]
    workers = min(workers, len(draws))
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        paths = [draw(tables, target, fmt) for draw in draws]
    else:
        with warnings.catch_warnings():  # the parent's threads hold no lock matplotlib needs
            warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                     initializer=end_quietly_when_stopped) as pool:
                paths = list(pool.map(operator.call, draws, repeat(tables), repeat(target),
                                      repeat(fmt)))
    return [path for path in paths if path is not None]

"""The MC11 data as the engine's arrays: members, issues, derived preferences, coalitions."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from simulation.engine.derivation import EMPHASES, DerivedCells, Override, derives
from simulation.engine.negotiation import Negotiation, Period
from simulation.inputs.catalogue import Catalogue
from simulation.inputs.overrides import Override as ScenarioOverride
from simulation.inputs.preferences import member_attributes


def cell_reader(table: pd.DataFrame, members: Sequence[str], issues: Sequence[str]
                ) -> Callable[[str], np.ndarray]:
    """A long table's columns (one row per member and issue) as (members, issues) arrays, NaN
    where the table has no row: its rows are placed once, then each column read in one step."""
    rows = pd.Index(members).get_indexer(table["member"])
    columns = pd.Index(issues).get_indexer(table["issue"])
    found = (rows >= 0) & (columns >= 0)
    rows, columns = rows[found], columns[found]

    def column(name: str) -> np.ndarray:
        values = table[name].to_numpy()[found]
        cells = np.full((len(members), len(issues)), np.nan,
                        dtype=float if values.dtype.kind in "biuf" else object)
        cells[rows, columns] = values
        return cells

    return column


def build_negotiation(
    catalogue: Catalogue,
    table: pd.DataFrame,
    calendar: tuple[Period, ...],
    participants: list[str] | None = None,
) -> Negotiation:
    """Turn the data and a preference table into arrays; `participants` limits the actors."""
    attributes = member_attributes(catalogue)
    if participants is not None:
        attributes = attributes[attributes["member"].isin(participants)]
    codes = tuple(attributes["member"])
    issues = tuple(catalogue.issue_ids)
    matrix = cell_reader(table, codes, issues)

    capability = attributes["capability"].to_numpy(dtype=float)
    names, founders, blocs = [], [], []
    for proposal in catalogue.proposals:
        names.append(proposal.symbol)
        founders.append([code in proposal.sponsors for code in codes])
        blocs.append(False)
    for group in catalogue.group_stances:
        if group.bloc:
            names.append(group.id)
            founders.append(list(attributes["bloc"] == group.id))
            blocs.append(True)
    return Negotiation(
        members=codes,
        issues=issues,
        positions=matrix("position"),
        saliences=matrix("salience"),
        position_sd=matrix("position_sd"),
        salience_sd=matrix("salience_sd"),
        capability=capability / capability.sum(),
        status_quo=np.array([catalogue.issue(i).status_quo for i in issues]),
        new_discipline=np.array([catalogue.issue(i).new_discipline for i in issues]),
        doha_linked=attributes["doha_linked"].to_numpy(dtype=bool),
        coalitions=tuple(names),
        founders=np.array(founders, dtype=bool).T.reshape(len(codes), len(names)),
        bloc=np.array(blocs, dtype=bool),
        calendar=calendar,
    )


def derived_cells(
    terms: pd.DataFrame,
    override_cells: Sequence[tuple[set[str], set[str]]],
    negotiation: Negotiation,
    constants: dict[str, float],
    overrides: Sequence[ScenarioOverride],
) -> DerivedCells:
    """The derivation terms (`preferences.derivation_terms`) and the scenario's overrides as
    arrays over the negotiation's members and issues (`engine.derivation`)."""
    members, issues = list(negotiation.members), list(negotiation.issues)
    matrix = cell_reader(terms, members, issues)

    statuses = tuple(sorted(set(terms["status"]) - {""}))
    status = matrix("status")
    rows = np.full(status.shape, -1)
    for row, name in enumerate(statuses):
        rows[status == name] = row
    steps = []
    for (who, where), override in zip(override_cells, overrides, strict=True):
        mask = np.isin(members, list(who))[:, None] & np.isin(issues, list(where))[None]
        steps.append(Override(mask, tuple(override.given())))
    return DerivedCells(
        constants={p: v for p, v in constants.items() if derives(p)},
        position_sums=np.stack([matrix(f"sum_{e}").astype(float) for e in EMPHASES]),
        stance_counts=np.stack([matrix(f"count_{e}").astype(float) for e in EMPHASES]),
        engaged=matrix("engaged").astype(bool),
        status=rows,
        statuses=statuses,
        new_discipline=negotiation.new_discipline,
        overrides=tuple(steps),
    )

"""The MC11 data as the engine's arrays: members, issues, derived preferences, coalitions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.engine.negotiation import Negotiation, Period
from simulation.inputs.catalogue import Catalogue
from simulation.inputs.preferences import member_attributes


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

    def matrix(column: str) -> np.ndarray:
        wide = table.pivot(index="member", columns="issue", values=column)
        return wide.reindex(index=list(codes), columns=list(issues)).to_numpy(dtype=float)

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

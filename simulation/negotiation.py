"""The fixed inputs of a negotiation as arrays: who negotiates, on what, from where, and when.

A `Negotiation` is built once (per ensemble, per worker) from the data files and the derived
preference table, so each replication only samples from it and runs the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulation.catalogue import DATA_DIR, Catalogue, read_yaml, validation_problem
from simulation.errors import InputError
from simulation.preferences import member_attributes

PERIOD_KINDS = (
    "forum", "mini_ministerial", "general_council", "dedicated_discussion", "quiet", "ministerial",
)


class Period(BaseModel):
    """One negotiating period (a month) and the meetings that set its attention and pressure."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    label: str
    kind: str
    attention: float = Field(ge=0, le=1, allow_inf_nan=False)
    pressure: float = Field(ge=0, le=1, allow_inf_nan=False)
    source: str


def load_calendar(path: Path | str | None = None) -> tuple[Period, ...]:
    """Read a calendar file; its last period must be the ministerial conference."""
    path = Path(path) if path is not None else DATA_DIR / "calendar.yaml"
    raw = read_yaml(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("periods"), list) or not raw["periods"]:
        raise InputError(str(path), "periods", "the file must hold a non-empty list 'periods'")
    periods = []
    for index, item in enumerate(raw["periods"]):
        try:
            period = Period.model_validate(item)
        except ValidationError as exc:
            field, message = validation_problem(exc, Period)
            raise InputError(str(path), f"periods: entry {index + 1}: {field}", message) from None
        if period.kind not in PERIOD_KINDS:
            raise InputError(
                str(path), f"periods: entry {index + 1}: kind",
                f"{period.kind!r}; allowed: {', '.join(PERIOD_KINDS)}",
            )
        periods.append(period)
    if periods[-1].kind != "ministerial":
        raise InputError(str(path), "periods", "the last period must be of kind 'ministerial'")
    return tuple(periods)


@dataclass(frozen=True)
class Negotiation:
    """Arrays for n actors and k issues; rows follow `members`, columns follow `issues`."""

    members: tuple[str, ...]
    issues: tuple[str, ...]
    positions: np.ndarray  # (n, k) derived positions, 0-100
    saliences: np.ndarray  # (n, k) derived saliences, 0-1
    position_sd: np.ndarray  # (n, k) sampling spread of positions
    salience_sd: np.ndarray  # (n, k) sampling spread of saliences
    capability: np.ndarray  # (n,) shares of world trade, summing to 1
    status_quo: np.ndarray  # (k,)
    new_discipline: np.ndarray  # (k,) bool
    doha_linked: np.ndarray  # (n,) bool
    coalitions: tuple[str, ...]  # g initial coalitions: proposal sponsors and blocs
    founders: np.ndarray  # (n, g) bool: the members each coalition starts with
    bloc: np.ndarray  # (g,) bool: the coalition accepts or objects as one at MC11
    calendar: tuple[Period, ...]

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.members), len(self.issues)


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

"""The fixed inputs of a negotiation as arrays: who negotiates, on what, from where, and when.

A `Negotiation` is built once per ensemble (by the inputs layer from the data files, or by
`runs.forecast` from a user's own data) and shared with the workers, so each replication only
samples from it and runs the rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import Field

from simulation.engine.derivation import DerivedCells
from simulation.engine.schema import FileSchema


class Period(FileSchema):
    """One negotiating period (a month) and the meetings that set its attention and pressure."""
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    label: str
    kind: str
    attention: float = Field(ge=0, le=1, allow_inf_nan=False)
    pressure: float = Field(ge=0, le=1, allow_inf_nan=False)
    source: str

    @property
    def title(self) -> str:
        """The period as tables and traces name it: '2017-12 MC11 Buenos Aires (10-13 Dec)'."""
        return f"{self.month} {self.label}"


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
    # how the preferences follow the derivation constants, for replications that vary them
    derivation: DerivedCells | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """(members, issues): the shape of every member x issue array."""
        return len(self.members), len(self.issues)

    @property
    def axis_sizes(self) -> dict[str, int]:
        """The length of each named axis of its arrays (the `axes` of `simulation.outputs`)."""
        return {"member": len(self.members), "issue": len(self.issues),
                "period": len(self.calendar), "coalition": len(self.coalitions)}

"""The WTO member as a Mesa agent: its identity, with its state read from the model.

Positions, saliences and coalition membership live in arrays owned by `NegotiationModel`, one row
per member, so the rules run vectorised over all members (the model's steps are the members'
behaviour); a `Member` exposes its row as readable views, for notebooks and anyone who walks the
model's agents (the traces and the dashboard read the arrays themselves). Only a model of one
replication has Member agents (a batch of replications is many worlds at once, where "this
member" would be ambiguous).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from simulation.engine.model import NegotiationModel


class Member(mesa.Agent):
    """One negotiating WTO member (the EU speaks for its 28 member states)."""

    model: NegotiationModel

    def __init__(self, model: NegotiationModel, row: int, code: str) -> None:
        super().__init__(model)
        self.row = row
        self.code = code

    @property
    def positions(self) -> dict[str, float]:
        """This member's current position on each issue."""
        return dict(zip(self.model.negotiation.issues, self.model.positions[0, self.row].tolist(),
                        strict=True))

    @property
    def saliences(self) -> dict[str, float]:
        """How much this member cares about each issue (0-1)."""
        return dict(zip(self.model.negotiation.issues, self.model.saliences[0, self.row].tolist(),
                        strict=True))

    @property
    def capability(self) -> float:
        """Share of world trade, normalised over the negotiating members."""
        return float(self.model.negotiation.capability[self.row])

    @property
    def doha_linked(self) -> bool:
        """Ties progress on new rules to unfinished Doha issues."""
        return bool(self.model.negotiation.doha_linked[self.row])

    @property
    def coalitions(self) -> list[str]:
        """The coalitions this member belongs to now."""
        names = np.array(self.model.negotiation.coalitions)
        return names[self.model.membership[0, self.row]].tolist()

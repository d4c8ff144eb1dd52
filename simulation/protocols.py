"""Bargaining protocols: how members move their positions in one negotiating context.

Every protocol has the same interface, `bargain`, so a user can add one: it receives the current
positions and the period's context and returns the new positions plus a record of notable moves.
`compromise` pulls members toward their coalitions and the overall weighted mean; `exchange`
trades concessions between members who care about different issues (Stokman & Van Oosten 1994).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from simulation import exchange
from simulation.parameters import BargainingParameters


@dataclass(frozen=True)
class BargainingContext:
    """What a protocol knows about the period it bargains in."""

    saliences: np.ndarray  # (n, k)
    capability: np.ndarray  # (n,)
    targets: np.ndarray  # (n, k) where each member's coalitions pull it
    active: np.ndarray  # (n,) bool: members engaged this period
    pressure: float  # 0-1: how hard the calendar pushes toward convergence
    rng: np.random.Generator


class BargainingProtocol(Protocol):
    """The interface every protocol implements."""

    name: str

    def bargain(
        self, positions: np.ndarray, context: BargainingContext
    ) -> tuple[np.ndarray, list[tuple]]:
        """New positions (n, k) and the exchanges of this period as (member i, member j,
        issue p, issue q, gain) row indices, for traces (empty for protocols without any)."""
        ...


def weighted_mean_positions(
    positions: np.ndarray, saliences: np.ndarray, capability: np.ndarray
) -> np.ndarray:
    """The capability x salience weighted mean position per issue: the expected outcome."""
    weights = capability[:, None] * saliences
    return (weights * positions).sum(axis=0) / np.maximum(weights.sum(axis=0), 1e-12)


@dataclass(frozen=True)
class Compromise:
    """Members move toward their coalition platform and, more slowly, the overall weighted mean.

    The step shrinks with salience: members give way on what they care little about.
    """

    params: BargainingParameters
    name: str = "compromise"

    def bargain(
        self, positions: np.ndarray, context: BargainingContext
    ) -> tuple[np.ndarray, list[tuple]]:
        overall = weighted_mean_positions(positions, context.saliences, context.capability)
        give = context.pressure * (1.0 - context.saliences)
        pull = (self.params.coalition_rate * (context.targets - positions)
                + self.params.overall_rate * (overall[None, :] - positions))
        noise = context.rng.normal(0.0, self.params.noise_sd, positions.shape)
        moved = np.clip(positions + give * (pull + noise), 0.0, 100.0)
        return np.where(context.active[:, None], moved, positions), []


@dataclass(frozen=True)
class Exchange:
    """Stokman-style equal-gain exchanges among the members engaged this period."""

    params: BargainingParameters
    name: str = "exchange"

    def bargain(
        self, positions: np.ndarray, context: BargainingContext
    ) -> tuple[np.ndarray, list[tuple]]:
        active = np.flatnonzero(context.active)
        if len(active) < 2:
            return positions, []
        moved, realised = exchange.exchange_round(
            positions[active], context.saliences[active], context.capability[active],
            rule=self.params.exchange_rule,
        )
        new = positions.copy()
        new[active] = moved
        return new, [(int(active[r["i"]]), int(active[r["j"]]), int(r["p"]), int(r["q"]),
                      float(r["gain"])) for r in realised]


def make_protocol(params: BargainingParameters) -> BargainingProtocol:
    """The protocol a scenario names."""
    return {"compromise": Compromise, "exchange": Exchange}[params.protocol](params)

"""Bargaining protocols: how members move their positions in one negotiating context.

Every protocol has the same interface, `bargain`, so a user can add one: it receives the current
positions of a batch of replications (r, n, k) and the period's context and returns the new
positions plus the exchanges it realised (for traces).
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

    saliences: np.ndarray  # (r, n, k)
    capability: np.ndarray  # (n,)
    targets: np.ndarray  # (r, n, k) where each member's coalitions pull it
    active: np.ndarray  # (r, n) bool: members engaged this period
    pressure: float  # 0-1: how hard the calendar pushes toward convergence
    shocks: np.ndarray  # (r, n, k) standard normal draws: this period's chance, per replication


class BargainingProtocol(Protocol):
    """The interface every protocol implements."""

    name: str

    def bargain(
        self, positions: np.ndarray, context: BargainingContext
    ) -> tuple[np.ndarray, list[tuple]]:
        """New positions (r, n, k) and the exchanges realised this period, for traces, as
        (replication, `exchange.REALISED_DTYPE` records with member rows); empty for protocols
        without exchanges."""
        ...


def weighted_mean_positions(
    positions: np.ndarray, saliences: np.ndarray, capability: np.ndarray
) -> np.ndarray:
    """The capability x salience weighted mean position per issue (..., k): the expected
    outcome."""
    weights = capability[:, None] * saliences
    return (weights * positions).sum(axis=-2) / np.maximum(weights.sum(axis=-2), 1e-12)


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
                + self.params.overall_rate * (overall[..., None, :] - positions))
        noise = self.params.noise_sd * context.shocks
        moved = np.clip(positions + give * (pull + noise), 0.0, 100.0)
        return np.where(context.active[..., None], moved, positions), []


@dataclass(frozen=True)
class Exchange:
    """Stokman-style equal-gain exchanges among the members engaged this period (each
    replication of the batch trades on its own: the exchange search does not vectorise)."""

    params: BargainingParameters
    name: str = "exchange"

    def bargain(
        self, positions: np.ndarray, context: BargainingContext
    ) -> tuple[np.ndarray, list[tuple]]:
        new, realised_by_replication = positions.copy(), []
        for replication, engaged in enumerate(context.active):
            active = np.flatnonzero(engaged)
            if len(active) < 2:
                continue
            moved, realised = exchange.exchange_round(
                positions[replication, active], context.saliences[replication, active],
                context.capability[active], rule=self.params.exchange_rule,
            )
            new[replication, active] = moved
            realised["i"], realised["j"] = active[realised["i"]], active[realised["j"]]
            realised_by_replication.append((replication, realised))
        return new, realised_by_replication


def make_protocol(params: BargainingParameters) -> BargainingProtocol:
    """The protocol a scenario names."""
    return {"compromise": Compromise, "exchange": Exchange}[params.protocol](params)

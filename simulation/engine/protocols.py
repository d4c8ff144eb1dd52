"""Bargaining protocols: how members move their positions in one negotiating context.

Every protocol has the same interface, `bargain`, so a user can add one: it receives the current
positions of a batch of replications (r, n, k) and the period's context and returns the new
positions plus the exchanges it realised (for traces).
`compromise` pulls members toward their coalitions and the overall weighted mean; `exchange`
trades concessions between members who care about different issues (Stokman & Van Oosten 1994).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import numpy as np
from numba import njit

from simulation.engine import exchange
from simulation.engine.batches import as_batch
from simulation.engine.parameters import BargainingParameters


@dataclass(frozen=True)
class BargainingContext:
    """What a protocol knows about the period it bargains in."""

    saliences: np.ndarray  # (r, n, k)
    capability: np.ndarray  # (n,)
    targets: np.ndarray  # (r, n, k) where each member's coalitions pull it
    active: np.ndarray  # (r, n) bool: members engaged this period
    pressure: float  # 0-1: how hard the calendar pushes toward convergence
    draw_shocks: Callable[[np.ndarray], np.ndarray]  # the replications' chance: see `shocks`

    @cached_property
    def shocks(self) -> np.ndarray:
        """This period's standard normal shocks (r, n, k) for the active members, 0 for the
        others; drawn when a protocol first asks, so a protocol without chance draws none."""
        return self.draw_shocks(self.active)


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


@njit(cache=True)
def _weighted_means(positions, saliences, capability):
    r, n, k = positions.shape
    mean, total = np.zeros((r, k)), np.empty(k)
    for b in range(r):
        total[:] = 0.0
        for m in range(n):
            for i in range(k):
                weight = capability[m] * saliences[b, m, i]
                mean[b, i] += weight * positions[b, m, i]
                total[i] += weight
        for i in range(k):
            mean[b, i] /= max(total[i], 1e-12)
    return mean


def weighted_mean_positions(
    positions: np.ndarray, saliences: np.ndarray, capability: np.ndarray
) -> np.ndarray:
    """The capability x salience weighted mean position per issue (..., k): the expected
    outcome."""
    means = _weighted_means(as_batch(positions), as_batch(saliences, positions), capability)
    return means.reshape(positions.shape[:-2] + positions.shape[-1:])


@njit(cache=True)
def _compromise(positions, saliences, capability, targets, active, shocks, pressure,
                coalition_rate, overall_rate, noise_sd):
    overall = _weighted_means(positions, saliences, capability)
    moved = positions.copy()
    r, n, k = positions.shape
    for b in range(r):
        for m in range(n):
            if not active[b, m]:
                continue
            for i in range(k):
                x = positions[b, m, i]
                give = pressure * (1.0 - saliences[b, m, i])
                pull = coalition_rate * (targets[b, m, i] - x) + overall_rate * (overall[b, i] - x)
                moved[b, m, i] = min(max(x + give * (pull + noise_sd * shocks[b, m, i]), 0.0),
                                     100.0)
    return moved


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
        params = self.params
        moved = _compromise(positions, context.saliences, context.capability, context.targets,
                            context.active, context.shocks, context.pressure,
                            params.coalition_rate, params.overall_rate, params.noise_sd)
        return moved, []


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

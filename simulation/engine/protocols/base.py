"""What every bargaining protocol shares: the period's context, the interface, the typed result
of a round, and the weighted mean position (the expected outcome several protocols pull toward).

A protocol receives the current positions of a batch of replications (r, n, k) and the period's
context, and returns a `Round`: the new positions plus what it realised, for traces.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple
from typing import Protocol as Interface

import numpy as np
from numba import njit

from simulation.engine.batches import as_batch
from simulation.engine.exchange import REALISED_DTYPE
from simulation.engine.varying import Values, parameter_path, per_replication


@dataclass(frozen=True)
class BargainingContext:
    """What a protocol knows about the period it bargains in."""

    saliences: np.ndarray  # (r, n, k)
    capability: np.ndarray  # (n,)
    targets: np.ndarray  # (r, n, k) where each member's coalitions pull it
    active: np.ndarray  # (r, n) bool: members engaged this period
    pressure: float | np.ndarray  # 0-1: how hard the calendar pushes (or one per replication)
    draw_shocks: Callable[[np.ndarray], np.ndarray]  # the replications' chance: see `shocks`
    values: Values = field(default_factory=dict)  # constants varying by replication

    def setting(self, params: object, name: str) -> np.ndarray:
        """A numeric `bargaining:` setting as one value per replication (r,): its values
        where the replications vary it (`engine.varying`), else the scenario's."""
        return per_replication(self.values, parameter_path("bargaining", name),
                               getattr(params, name), len(self.active))

    @property
    def pressures(self) -> np.ndarray:
        """The period's pressure as one value per replication (r,), a new writable array
        whether the calendar gives it once or per replication (numba compiles a kernel apart
        for read-only or strided arrays)."""
        return np.array(np.broadcast_to(np.asarray(self.pressure, dtype=float),
                                        (len(self.active),)))

    @cached_property
    def shocks(self) -> np.ndarray:
        """This period's standard normal shocks (r, n, k) for the active members, 0 for the
        others; drawn when a protocol first asks, so a protocol without chance draws none."""
        return self.draw_shocks(self.active)


class Exchanges(NamedTuple):
    """The exchanges one replication realised in a period, in the order they were realised:
    `exchange.REALISED_DTYPE` records whose actors are member rows."""

    replication: int
    records: np.ndarray


class Round(NamedTuple):
    """The result of one period's bargaining."""

    positions: np.ndarray  # (r, n, k) the members' new positions
    exchanges: tuple[Exchanges, ...] = ()  # per replication that realised any (exchange only)

    def exchanges_of(self, replication: int) -> np.ndarray:
        """The exchanges `replication` realised (empty records if none)."""
        for realised in self.exchanges:
            if realised.replication == replication:
                return realised.records
        return np.zeros(0, REALISED_DTYPE)


class Protocol(Interface):
    """The interface every protocol implements; built from the scenario's `bargaining:`
    settings (`parameters.BargainingParameters`)."""

    def bargain(self, positions: np.ndarray, context: BargainingContext) -> Round:
        """One period's bargaining of a batch of replications."""
        ...


@njit(cache=True)
def _weighted_means(positions, saliences, capability):
    """The plain statement of this rule: rules.weighted_mean_positions."""
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
            if total[i] <= 0:  # no one cares: capability alone
                mean[b, i], total[i] = 0.0, capability.sum()
                for m in range(n):
                    mean[b, i] += capability[m] * positions[b, m, i]
            mean[b, i] /= total[i]
    return mean


def weighted_mean_positions(
    positions: np.ndarray, saliences: np.ndarray, capability: np.ndarray
) -> np.ndarray:
    """The capability x salience weighted mean position per issue (..., k): the expected
    outcome."""
    means = _weighted_means(as_batch(positions), as_batch(saliences, positions), capability)
    return means.reshape(positions.shape[:-2] + positions.shape[-1:])

"""The coalition round as pure array functions: platforms, affinity, joining and leaving.

A coalition's platform is the capability x salience weighted mean of its members' positions;
a member's affinity to a coalition is how close it stands to that platform on the issues both
care about. Members join coalitions they are close to and leave those they have drifted from;
founders (the sponsors of a proposal) are more loyal, and a bloc (the African Group) holds its
members together with probability `bloc_discipline` each period.

Arrays: positions and saliences (..., n, k), membership (..., n, g); leading axes, if any, are
the replications of a batch. Capability (n,), founders (n, g) and bloc (g,) are the same in all.
The sums over members, coalitions and issues are loops compiled with numba, over all replications
at once: each replaces a dozen whole-array numpy passes.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simulation.batches import as_batch
from simulation.parameters import CoalitionParameters


@njit(cache=True)
def _platforms(positions, saliences, capability, membership):
    r, n, k = positions.shape
    g = membership.shape[2]
    platform, salience = np.zeros((r, g, k)), np.zeros((r, g, k))
    weight = np.empty(k)
    for b in range(r):
        for c in range(g):
            weight[:] = 0.0
            size = 0.0
            for m in range(n):
                if membership[b, m, c]:
                    size += 1.0
                    for i in range(k):
                        w = capability[m] * saliences[b, m, i]
                        weight[i] += w
                        platform[b, c, i] += w * positions[b, m, i]
                        salience[b, c, i] += saliences[b, m, i]
            for i in range(k):
                platform[b, c, i] = platform[b, c, i] / weight[i] if weight[i] > 0 else 0.0
                salience[b, c, i] = salience[b, c, i] / size if size > 0 else 0.0
    return platform, salience


def platforms(
    positions: np.ndarray, saliences: np.ndarray, capability: np.ndarray, membership: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each coalition's platform (..., g, k) and its mean salience; both 0 for an empty
    coalition, which then pulls and attracts no one."""
    platform, salience = _platforms(as_batch(positions), as_batch(saliences), capability,
                                    as_batch(membership))
    shape = (*membership.shape[:-2], *platform.shape[1:])
    return platform.reshape(shape), salience.reshape(shape)


@njit(cache=True)
def _affinity(positions_by_issue, saliences_by_issue, platform, coalition_salience):
    r, k, n = positions_by_issue.shape
    g = platform.shape[1]
    closeness = np.empty((r, n, g))
    distance, shared = np.empty(n), np.empty(n)
    for b in range(r):
        for c in range(g):
            distance[:] = 0.0
            shared[:] = 0.0
            for i in range(k):  # the innermost loop runs over members: it vectorises
                x, s = positions_by_issue[b, i], saliences_by_issue[b, i]
                where, weight = platform[b, c, i], coalition_salience[b, c, i]
                for m in range(n):
                    w = s[m] * weight
                    distance[m] += w * abs(x[m] - where)
                    shared[m] += w
            for m in range(n):
                closeness[b, m, c] = (1.0 - distance[m] / (100.0 * shared[m])
                                      if shared[m] > 0 else 0.0)
    return closeness


def _by_issue(a: np.ndarray) -> np.ndarray:
    """A member array (..., n, k) as a contiguous (r, k, n) array: one row per issue."""
    return np.ascontiguousarray(np.swapaxes(as_batch(a), -1, -2))


def affinity(
    positions: np.ndarray,
    saliences: np.ndarray,
    platform: np.ndarray,
    coalition_salience: np.ndarray,
) -> np.ndarray:
    """Closeness (..., n, g) in [0, 1] of each member to each platform, weighted by shared
    salience (0 to a coalition with which it shares no salient issue)."""
    closeness = _affinity(_by_issue(positions), _by_issue(saliences), as_batch(platform),
                          as_batch(coalition_salience))
    return closeness.reshape((*positions.shape[:-1], platform.shape[-2]))


@njit(cache=True)
def _update_membership(membership, founders, bloc, closeness, active, bloc_holds,
                       join_threshold, leave_threshold, founder_loyalty):
    r, n, g = membership.shape
    updated = membership.copy()
    for b in range(r):
        for m in range(n):
            if not active[b, m]:
                continue
            for c in range(g):
                if not membership[b, m, c]:
                    updated[b, m, c] = closeness[b, m, c] >= join_threshold and not bloc[c]
                else:
                    loyalty = founder_loyalty if founders[m, c] else 0.0
                    held = founders[m, c] and bloc[c] and bloc_holds[b, c]
                    updated[b, m, c] = held or closeness[b, m, c] >= leave_threshold - loyalty
    return updated


def update_membership(
    membership: np.ndarray,
    founders: np.ndarray,
    bloc: np.ndarray,
    closeness: np.ndarray,
    active: np.ndarray,
    bloc_holds: np.ndarray,
    params: CoalitionParameters,
) -> np.ndarray:
    """The new membership (..., n, g): active members (..., n) join close coalitions (except
    blocs, which members do not join at will) and leave distant ones, founders only further
    away; founders of a bloc whose discipline holds (..., g) stay."""
    batch = as_batch(membership)
    r, n, g = batch.shape
    updated = _update_membership(
        batch, founders, bloc, as_batch(closeness), active.reshape(r, n),
        bloc_holds.reshape(r, g), params.join_threshold, params.leave_threshold,
        params.founder_loyalty)
    return updated.reshape(membership.shape)


@njit(cache=True)
def _coalition_targets(positions, membership, platform, coalition_salience):
    r, n, k = positions.shape
    target, total = np.empty((r, n, k)), np.empty(k)
    for b in range(r):
        for m in range(n):
            target[b, m] = 0.0
            total[:] = 0.0
            for c in range(platform.shape[1]):
                if membership[b, m, c]:
                    for i in range(k):
                        target[b, m, i] += coalition_salience[b, c, i] * platform[b, c, i]
                        total[i] += coalition_salience[b, c, i]
            for i in range(k):
                target[b, m, i] = target[b, m, i] / total[i] if total[i] > 0 else positions[b, m, i]
    return target


def coalition_targets(
    positions: np.ndarray,
    membership: np.ndarray,
    platform: np.ndarray,
    coalition_salience: np.ndarray,
) -> np.ndarray:
    """Where each member's coalitions pull it (..., n, k): the salience-weighted mean of their
    platforms. A member in no coalition is pulled nowhere (its target is its own position)."""
    target = _coalition_targets(as_batch(positions), as_batch(membership), as_batch(platform),
                                as_batch(coalition_salience))
    return target.reshape(positions.shape)

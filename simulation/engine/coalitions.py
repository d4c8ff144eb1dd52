"""The coalition round as pure array functions: platforms, affinity, joining and leaving.

A coalition's platform is the capability x salience weighted mean of its members' positions;
a member's affinity to a coalition is how close it stands to that platform on the issues both
care about. Members join coalitions they are close to and leave those they have drifted from;
founders (the sponsors of a proposal) are more loyal, and a bloc (the African Group) holds its
members together with probability `bloc_discipline` each period.

Arrays: positions and saliences (..., n, k), membership (..., n, g); leading axes, if any, are
the replications of a batch. Capability (n,), founders (n, g) and bloc (g,) are the same in all.
Each rule is a loop compiled with numba for one replication (`_platforms_of`, ...; their plain
statements are in engine.rules, which the kernels' docstrings cite). `coalition_round`, which the
model calls, runs the whole round replication by replication, so one replication's arrays stay in
the processor's cache while the round uses them; `affinity`, `update_membership` and
`coalition_targets` run one step over a batch, so that the tests check each step alone.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from simulation.engine.batches import as_batch
from simulation.engine.parameters import CoalitionParameters
from simulation.engine.rules import SCALE_WIDTH
from simulation.engine.varying import Values, parameter_path, per_replication

_THRESHOLDS = ("join_threshold", "leave_threshold", "founder_loyalty")


def _thresholds(params: CoalitionParameters, values: Values | None, replications: int
                ) -> tuple[np.ndarray, ...]:
    """Joining, leaving and founder loyalty as one value per replication (r,)."""
    return tuple(per_replication(values or {}, parameter_path("coalitions", name),
                                 getattr(params, name), replications) for name in _THRESHOLDS)


@njit(cache=True)
def _platforms_of(X, S, C, M, platform, salience):
    """The plain statement of this rule: rules.coalition_platforms."""
    n, k = X.shape
    weight = np.empty(k)
    for c in range(M.shape[1]):
        weight[:] = 0.0
        platform[c] = 0.0
        salience[c] = 0.0
        size = 0.0
        for m in range(n):
            if M[m, c]:
                size += 1.0
                for i in range(k):
                    w = C[m] * S[m, i]
                    weight[i] += w
                    platform[c, i] += w * X[m, i]
                    salience[c, i] += S[m, i]
        for i in range(k):
            platform[c, i] = platform[c, i] / weight[i] if weight[i] > 0 else 0.0
            salience[c, i] = salience[c, i] / size if size > 0 else 0.0


@njit(cache=True)
def _affinity_of(X, S, platform, coalition_salience, engaged, closeness, by_issue):
    """Rows `engaged` of `closeness`; the other rows are left as they are.
    The plain statement of this rule: rules.affinity."""
    k, count = X.shape[1], len(engaged)
    positions, saliences, distance, shared = by_issue[0], by_issue[1], by_issue[2, 0], \
        by_issue[2, 1]
    for row in range(count):  # one row per issue, so that the innermost loop runs over members
        for i in range(k):
            positions[i, row], saliences[i, row] = X[engaged[row], i], S[engaged[row], i]
    for c in range(platform.shape[0]):
        distance[:] = 0.0
        shared[:] = 0.0
        for i in range(k):  # members innermost: it vectorises without reordering any sum
            x, s = positions[i], saliences[i]
            where, weight = platform[c, i], coalition_salience[c, i]
            for row in range(count):
                w = s[row] * weight
                distance[row] += w * abs(x[row] - where)
                shared[row] += w
        for row in range(count):
            closeness[engaged[row], c] = 1.0 - distance[row] / (SCALE_WIDTH * shared[row]) \
                if shared[row] > 0 else 0.0


def _issue_rows(n: int, k: int) -> np.ndarray:
    """Working space for `_affinity_of`: positions and saliences by issue, and two member rows."""
    return np.empty((3, max(k, 2), n))


@njit(cache=True)
def _update_of(M, founders, bloc, closeness, active, bloc_holds, join_threshold,
               leave_threshold, founder_loyalty, updated):
    """The plain statement of this rule: rules.revise_membership."""
    n, g = M.shape
    for m in range(n):
        for c in range(g):
            if not active[m]:
                updated[m, c] = M[m, c]
            elif not M[m, c]:
                updated[m, c] = closeness[m, c] >= join_threshold and not bloc[c]
            else:
                loyalty = founder_loyalty if founders[m, c] else 0.0
                held = founders[m, c] and bloc[c] and bloc_holds[c]
                updated[m, c] = held or closeness[m, c] >= leave_threshold - loyalty


@njit(cache=True)
def _targets_of(X, M, platform, coalition_salience, active, target):
    """Targets of the `active` members; the others' are their own positions.
    The plain statement of this rule: rules.coalition_targets."""
    n, k = X.shape
    total = np.empty(k)
    for m in range(n):
        if not active[m]:
            target[m] = X[m]
            continue
        target[m] = 0.0
        total[:] = 0.0
        for c in range(platform.shape[0]):
            if M[m, c]:
                for i in range(k):
                    target[m, i] += coalition_salience[c, i] * platform[c, i]
                    total[i] += coalition_salience[c, i]
        for i in range(k):
            target[m, i] = target[m, i] / total[i] if total[i] > 0 else X[m, i]


@njit(cache=True)
def _platforms(X, S, C, M):
    platform, salience = np.empty((len(X), M.shape[2], X.shape[2])), \
        np.empty((len(X), M.shape[2], X.shape[2]))
    for b in range(len(X)):
        _platforms_of(X[b], S[b], C, M[b], platform[b], salience[b])
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
def _affinity(X, S, platform, coalition_salience, by_issue):
    closeness, everyone = np.empty((len(X), X.shape[1], platform.shape[1])), np.arange(X.shape[1])
    for b in range(len(X)):
        _affinity_of(X[b], S[b], platform[b], coalition_salience[b], everyone, closeness[b],
                     by_issue)
    return closeness


def affinity(
    positions: np.ndarray,
    saliences: np.ndarray,
    platform: np.ndarray,
    coalition_salience: np.ndarray,
) -> np.ndarray:
    """Closeness (..., n, g) in [0, 1] of each member to each platform, weighted by shared
    salience (0 to a coalition with which it shares no salient issue)."""
    closeness = _affinity(as_batch(positions), as_batch(saliences), as_batch(platform),
                          as_batch(coalition_salience), _issue_rows(*positions.shape[-2:]))
    return closeness.reshape((*positions.shape[:-1], platform.shape[-2]))


@njit(cache=True)
def _update_membership(M, founders, bloc, closeness, active, bloc_holds, join_threshold,
                       leave_threshold, founder_loyalty):
    updated = np.empty_like(M)
    for b in range(len(M)):
        _update_of(M[b], founders, bloc, closeness[b], active[b], bloc_holds[b],
                   join_threshold[b], leave_threshold[b], founder_loyalty[b], updated[b])
    return updated


def update_membership(
    membership: np.ndarray,
    founders: np.ndarray,
    bloc: np.ndarray,
    closeness: np.ndarray,
    active: np.ndarray,
    bloc_holds: np.ndarray,
    params: CoalitionParameters,
    values: Values | None = None,
) -> np.ndarray:
    """The new membership (..., n, g): active members (..., n) join close coalitions (except
    blocs, which members do not join at will) and leave distant ones, founders only further
    away; founders of a bloc whose discipline holds (..., g) stay. `values` may give the
    thresholds one value per replication (see `engine.varying`)."""
    batch = as_batch(membership)
    r, n, g = batch.shape
    updated = _update_membership(
        batch, founders, bloc, as_batch(closeness), active.reshape(r, n),
        bloc_holds.reshape(r, g), *_thresholds(params, values, r))
    return updated.reshape(membership.shape)


@njit(cache=True)
def _coalition_targets(X, M, platform, coalition_salience):
    target, everyone = np.empty(X.shape), np.ones(X.shape[1], np.bool_)
    for b in range(len(X)):
        _targets_of(X[b], M[b], platform[b], coalition_salience[b], everyone, target[b])
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


class CoalitionRound(NamedTuple):
    """What a coalition round leaves: the new membership and where it pulls each member."""

    membership: np.ndarray  # (..., n, g) bool
    targets: np.ndarray  # (..., n, k)
    sizes: np.ndarray  # (..., g) members per coalition


@njit(cache=True)
def _round(X, S, C, M, founders, bloc, active, bloc_holds, join_threshold, leave_threshold,
           founder_loyalty, by_issue):
    """The whole round, replication by replication; its plain statement: rules.affinity,
    revise_membership, coalition_platforms and coalition_targets, as engine.reference runs them."""
    r, n, k = X.shape
    g = M.shape[2]
    updated, targets, sizes = np.empty_like(M), np.empty(X.shape), np.zeros((r, g), np.int32)
    platform, salience, closeness = np.empty((g, k)), np.empty((g, k)), np.zeros((n, g))
    for b in range(r):
        engaged = np.flatnonzero(active[b])  # only they revise their membership and move
        _platforms_of(X[b], S[b], C, M[b], platform, salience)
        _affinity_of(X[b], S[b], platform, salience, engaged, closeness, by_issue)
        _update_of(M[b], founders, bloc, closeness, active[b], bloc_holds[b],
                   join_threshold[b], leave_threshold[b], founder_loyalty[b], updated[b])
        _platforms_of(X[b], S[b], C, updated[b], platform, salience)
        _targets_of(X[b], updated[b], platform, salience, active[b], targets[b])
        for m in range(n):
            for c in range(g):
                sizes[b, c] += updated[b, m, c]
    return updated, targets, sizes


def coalition_round(
    positions: np.ndarray,
    saliences: np.ndarray,
    capability: np.ndarray,
    membership: np.ndarray,
    founders: np.ndarray,
    bloc: np.ndarray,
    active: np.ndarray,
    bloc_holds: np.ndarray,
    params: CoalitionParameters,
    values: Values | None = None,
) -> CoalitionRound:
    """One period's round: the active members (..., n) revise their membership by their
    affinity to today's platforms (`update_membership`), and the new coalitions' platforms
    give each active member its target (`coalition_targets`); the others, who do not move
    this period, get their own positions. Also counts the new coalitions' members. `values` may
    give the thresholds one value per replication (see `engine.varying`)."""
    batch = as_batch(membership)
    r, n, g = batch.shape
    updated, targets, sizes = _round(
        as_batch(positions), as_batch(saliences), capability, batch, founders, bloc,
        active.reshape(r, n), bloc_holds.reshape(r, g), *_thresholds(params, values, r),
        _issue_rows(n, positions.shape[-1]))
    return CoalitionRound(updated.reshape(membership.shape), targets.reshape(positions.shape),
                          sizes.reshape((*membership.shape[:-2], g)))

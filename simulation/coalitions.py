"""The coalition round as pure array functions: platforms, affinity, joining and leaving.

A coalition's platform is the capability x salience weighted mean of its members' positions;
a member's affinity to a coalition is how close it stands to that platform on the issues both
care about. Members join coalitions they are close to and leave those they have drifted from;
founders (the sponsors of a proposal) are more loyal, and a bloc (the African Group) holds its
members together with probability `bloc_discipline` each period.

Arrays: positions and saliences (..., n, k), membership (..., n, g); leading axes, if any, are
the replications of a batch. Capability (n,), founders (n, g) and bloc (g,) are the same in all.
"""

from __future__ import annotations

import numpy as np

from simulation.parameters import CoalitionParameters


def platforms(
    positions: np.ndarray, saliences: np.ndarray, capability: np.ndarray, membership: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each coalition's platform (..., g, k) and its mean salience; both 0 for an empty
    coalition, which then pulls and attracts no one."""
    weights = capability[:, None] * saliences
    member_weights = np.swapaxes(membership, -1, -2).astype(float)
    total = member_weights @ weights
    platform = np.divide(member_weights @ (weights * positions), total,
                         out=np.zeros_like(total), where=total > 0)
    size = member_weights.sum(axis=-1, keepdims=True)
    salience = np.divide(member_weights @ saliences, size, out=np.zeros_like(total),
                         where=size > 0)
    return platform, salience


def affinity(
    positions: np.ndarray,
    saliences: np.ndarray,
    platform: np.ndarray,
    coalition_salience: np.ndarray,
) -> np.ndarray:
    """Closeness (..., n, g) in [0, 1] of each member to each platform, weighted by shared
    salience."""
    distance = positions[..., :, None, :] - platform[..., None, :, :]
    np.abs(distance, out=distance)
    distance *= coalition_salience[..., None, :, :]
    weighted = np.einsum("...nk,...ngk->...ng", saliences, distance)
    total = saliences @ np.swapaxes(coalition_salience, -1, -2)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = 1.0 - weighted / (100.0 * total)
    return np.where(total > 0, score, 0.0)


def update_membership(
    membership: np.ndarray,
    founders: np.ndarray,
    bloc: np.ndarray,
    closeness: np.ndarray,
    active: np.ndarray,
    bloc_holds: np.ndarray,
    params: CoalitionParameters,
) -> np.ndarray:
    """The new membership (..., n, g): active members (..., n) join close coalitions and leave
    distant ones; founders of a bloc whose discipline holds (..., g) stay."""
    engaged = active[..., None]
    joins = engaged & ~membership & (closeness >= params.join_threshold) & ~bloc
    leave_below = params.leave_threshold - params.founder_loyalty * founders
    leaves = engaged & membership & (closeness < leave_below)
    held = founders & bloc & bloc_holds[..., None, :]
    return (membership | joins) & ~(leaves & ~held)


def coalition_targets(
    positions: np.ndarray,
    membership: np.ndarray,
    platform: np.ndarray,
    coalition_salience: np.ndarray,
) -> np.ndarray:
    """Where each member's coalitions pull it (..., n, k): the salience-weighted mean of their
    platforms. A member in no coalition is pulled nowhere (its target is its own position)."""
    weight = membership.astype(float)
    total = weight @ coalition_salience
    with np.errstate(invalid="ignore", divide="ignore"):
        target = (weight @ (coalition_salience * platform)) / total
    return np.where(total > 0, target, positions)

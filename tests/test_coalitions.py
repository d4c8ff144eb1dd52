"""Tests of the coalition round's rules (engine.coalitions): platforms, affinity, targets.

Each rule is checked against its definition written out with plain numpy, on random members,
issues and memberships, one replication at a time and as a batch.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.engine.coalitions import (
    affinity,
    coalition_round,
    coalition_targets,
    platforms,
    update_membership,
)
from simulation.engine.parameters import CoalitionParameters

FAST = settings(max_examples=60)


@st.composite
def rounds(draw) -> tuple[np.ndarray, ...]:
    """Positions (r,n,k), saliences (r,n,k), capability (n,) and membership (r,n,g), with some
    zero saliences and empty coalitions."""
    r, n, k = (draw(st.integers(1, hi)) for hi in (3, 15, 5))
    g = draw(st.integers(0, 4))  # a negotiation may have no coalitions at all
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    saliences = rng.choice([0.0, 0.3, 0.7, 1.0], size=(r, n, k)) * rng.random((r, n, k))
    return (rng.uniform(0, 100, (r, n, k)), saliences, rng.uniform(0.01, 1, n),
            rng.random((r, n, g)) < draw(st.sampled_from([0.0, 0.3, 0.8])))


def defined_platforms(X, S, C, M):
    """Capability x salience weighted mean position and mean salience of each coalition."""
    members = np.swapaxes(M, -1, -2).astype(float)
    weight = members @ (C[:, None] * S)
    size = members.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        platform = np.where(weight > 0, (members @ (C[:, None] * S * X)) / weight, 0.0)
        salience = np.where(size > 0, (members @ S) / size, 0.0)
    return platform, salience


@FAST
@given(rounds())
def test_platforms_are_the_weighted_means_of_members(case):
    X, S, C, M = case
    platform, salience = platforms(X, S, C, M)
    expected = defined_platforms(X, S, C, M)
    np.testing.assert_allclose(platform, expected[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(salience, expected[1], rtol=1e-12, atol=1e-12)
    alone = platforms(X[0], S[0], C, M[0])
    np.testing.assert_array_equal(alone[0], platform[0])
    np.testing.assert_array_equal(alone[1], salience[0])


@FAST
@given(rounds())
def test_affinity_is_one_minus_the_salience_weighted_distance(case):
    X, S, C, M = case
    platform, salience = platforms(X, S, C, M)
    closeness = affinity(X, S, platform, salience)
    shared = S @ np.swapaxes(salience, -1, -2)
    gaps = np.abs(X[:, :, None] - platform[:, None])
    distance = np.einsum("rnk,rgk,rngk->rng", S, salience, gaps)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.where(shared > 0, 1 - distance / (100 * shared), 0.0)
    np.testing.assert_allclose(closeness, expected, rtol=1e-12, atol=1e-12)
    assert np.all((closeness >= 0) & (closeness <= 1))
    np.testing.assert_array_equal(affinity(X[0], S[0], platform[0], salience[0]), closeness[0])


def test_a_member_on_its_coalition_platform_has_affinity_one():
    X = np.array([[30.0, 70.0], [90.0, 10.0]])
    S = np.array([[1.0, 0.5], [0.2, 0.0]])
    platform, salience = platforms(X, S, np.ones(2), np.array([[True], [False]]))
    np.testing.assert_array_equal(platform, [[30.0, 70.0]])
    # the other member shares salience 0.2 * 1 and stands 60 away: 1 - 0.2 * 60 / (100 * 0.2)
    np.testing.assert_allclose(affinity(X, S, platform, salience), [[1.0], [0.4]])


@FAST
@given(rounds())
def test_targets_are_the_salience_weighted_platforms_of_a_members_coalitions(case):
    X, S, C, M = case
    platform, salience = platforms(X, S, C, M)
    targets = coalition_targets(X, M, platform, salience)
    weight = M.astype(float)
    total = weight @ salience
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.where(total > 0, (weight @ (salience * platform)) / total, X)
    np.testing.assert_allclose(targets, expected, rtol=1e-12, atol=1e-12)
    loners = ~M.any(axis=-1)
    np.testing.assert_array_equal(targets[loners], X[loners])
    np.testing.assert_array_equal(coalition_targets(X[0], M[0], platform[0], salience[0]),
                                  targets[0])


@FAST
@given(rounds(), st.data())
def test_membership_update_follows_the_joining_and_leaving_rule(case, data):
    M = case[3]
    (r, n, g), rng = M.shape, np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    founders, bloc = rng.random((n, g)) < 0.3, rng.random(g) < 0.3
    closeness = rng.choice([0.5, 0.6, 0.7, 0.8, 0.85, 0.9], size=(r, n, g))  # on the thresholds
    active, holds = rng.random((r, n)) < 0.7, rng.random((r, g)) < 0.5
    params = CoalitionParameters(join_threshold=0.85, leave_threshold=0.7, founder_loyalty=0.1)
    updated = update_membership(M, founders, bloc, closeness, active, holds, params)
    engaged = active[..., None]
    joins = engaged & ~M & (closeness >= 0.85) & ~bloc
    leaves = engaged & M & (closeness < 0.7 - 0.1 * founders)
    held = founders & bloc & holds[:, None, :]
    np.testing.assert_array_equal(updated, (M | joins) & ~(leaves & ~held))
    np.testing.assert_array_equal(
        update_membership(M[0], founders, bloc, closeness[0], active[0], holds[0], params),
        updated[0])


@FAST
@given(rounds(), st.data())
def test_a_round_revises_membership_then_pulls_the_active_members(case, data):
    X, S, C, M = case
    (r, n, g), rng = M.shape, np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    founders, bloc = rng.random((n, g)) < 0.3, rng.random(g) < 0.3
    active, holds = rng.random((r, n)) < data.draw(st.sampled_from([0.0, 0.6, 1.0])), \
        rng.random((r, g)) < 0.5
    params = CoalitionParameters(join_threshold=0.8, leave_threshold=0.6, founder_loyalty=0.1)
    done = coalition_round(X, S, C, M, founders, bloc, active, holds, params)
    closeness = affinity(X, S, *platforms(X, S, C, M))
    updated = update_membership(M, founders, bloc, closeness, active, holds, params)
    np.testing.assert_array_equal(done.membership, updated)
    np.testing.assert_array_equal(done.sizes, updated.sum(axis=1))
    targets = coalition_targets(X, updated, *platforms(X, S, C, updated))
    np.testing.assert_array_equal(done.targets[active], targets[active])
    np.testing.assert_array_equal(done.targets[~active], X[~active])  # they do not move

"""The compiled challenge round equals engine.challenge's round (to rounding), and reproduces
the published worked example (see tests/test_challenge.py for its provenance)."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.engine import challenge as ch
from simulation.engine.challenge_kernel import (
    _voters_below,
    challenge_round_fast,
    challenge_rounds_fast,
)
from simulation.inputs.scenario import load_scenario

DATA = Path(__file__).parent / "data"
TOL = 1e-9  # positions on their own scale; sums and powers run in another order


@settings(max_examples=80)
@given(seed=st.integers(0, 2**32 - 1), grid=st.booleans(), q=st.sampled_from([1.0, 0.6, 0.0]),
       risk=st.booleans(), rule=st.sampled_from(["least_move", "reference"]),
       fixed=st.booleans())
def test_compiled_round_equals_the_numpy_round(seed, grid, q, risk, rule, fixed):
    """Grid positions make equal positions and tied offers common."""
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(2, 30)), int(rng.integers(1, 5))
    X = rng.choice([0.0, 20.0, 50.0, 80.0, 100.0], (n, k)) if grid else rng.uniform(0, 100, (n, k))
    S = rng.uniform(0, 1, (n, k))
    C = rng.uniform(0.01, 5, n)
    params = ch.ChallengeParameters(q=q, t=float(rng.uniform()), risk=risk, offer_rule=rule,
                                    position_range=100.0 if fixed else None)
    expected, _ = ch.challenge_round(X, S, C, params)
    np.testing.assert_allclose(challenge_round_fast(X, S, C, params), expected, rtol=0, atol=TOL)


@settings(max_examples=80)
@given(seed=st.integers(0, 2**32 - 1), q=st.sampled_from([1.0, 0.6]), risk=st.booleans(),
       rule=st.sampled_from(["least_move", "reference"]))
def test_compiled_round_equals_the_numpy_round_with_duplicated_members(seed, q, risk, rule):
    """Members sharing a position (sorted into one tie group: the closed-form votes handle them
    together) or a whole row (position, salience and capability), and members with salience 0
    (no offers): the kernel's shortcuts, including skipping pairs that cannot offer, leave the
    round of the readable model, which treats every member on its own."""
    rng = np.random.default_rng(seed)
    m, k = int(rng.integers(2, 12)), int(rng.integers(1, 4))
    X = rng.uniform(0, 100, (m, k))
    S = rng.uniform(0, 1, (m, k))
    C = rng.uniform(0.01, 5, m)
    copies = rng.integers(0, m, int(rng.integers(1, 2 * m)))  # whole rows repeated
    X, S, C = np.vstack([X, X[copies]]), np.vstack([S, S[copies]]), np.concatenate([C, C[copies]])
    shared = rng.integers(0, len(X), int(rng.integers(0, len(X))))  # same place, own salience
    X[shared] = X[rng.integers(0, len(X))]
    S[rng.random(S.shape) < 0.1] = 0.0
    order = rng.permutation(len(X))  # duplicates scattered, not adjacent
    X, S, C = X[order], S[order], C[order]
    params = ch.ChallengeParameters(q=q, t=float(rng.uniform()), risk=risk, offer_rule=rule,
                                    position_range=100.0)
    expected, _ = ch.challenge_round(X, S, C, params)
    got = challenge_round_fast(X, S, C, params)
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOL)
    # identical members end identically placed, whatever their place in the arrays
    same = (X[:, None] == X[None]).all(-1) & (S[:, None] == S[None]).all(-1) & (
        C[:, None] == C[None])
    for a, b in np.argwhere(same):
        assert (got[a] == got[b]).all()


@settings(max_examples=60)
@given(seed=st.integers(0, 2**32 - 1), q=st.sampled_from([1.0, 0.6]), risk=st.booleans(),
       rule=st.sampled_from(["least_move", "reference"]))
def test_compiled_round_equals_the_numpy_round_with_clustered_members(seed, q, risk, rule):
    """Members in a few tight clusters far apart: from one member to the next the midpoints jump
    across whole clusters, so the voters below a midpoint grow by many at once."""
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(2, 40)), int(rng.integers(1, 4))
    centres = rng.uniform(0, 100, int(rng.integers(1, 6)))
    X = np.clip(rng.choice(centres, (n, k)) + rng.normal(0, 0.05, (n, k)), 0, 100)
    S = rng.uniform(0, 1, (n, k))
    C = rng.uniform(0.01, 5, n)
    params = ch.ChallengeParameters(q=q, t=float(rng.uniform()), risk=risk, offer_rule=rule,
                                    position_range=100.0)
    expected, _ = ch.challenge_round(X, S, C, params)
    np.testing.assert_allclose(challenge_round_fast(X, S, C, params), expected, rtol=0, atol=TOL)


@settings(max_examples=100)
@given(seed=st.integers(0, 2**32 - 1), clusters=st.integers(1, 8), spread=st.sampled_from(
    [0.0, 0.01, 1.0, 30.0]))
def test_the_midpoint_sweep_counts_the_voters_below_each_midpoint(seed, clusters, spread):
    """For every pair a < b of sorted positions, the voters strictly below the midpoint of x_a
    and x_b (at least a), as np.searchsorted finds them: with exact ties (spread 0), clusters
    whose midpoints jump over many voters at once, and spread-out positions."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 90))
    centres = rng.uniform(0, 100, clusters)
    xs = np.sort(np.clip(rng.choice(centres, n) + rng.normal(0, spread, n), 0, 100))
    below = np.zeros((n, n), dtype=np.intp)
    _voters_below(xs, below)
    expected = np.maximum(np.searchsorted(xs, 0.5 * (xs[:, None] + xs[None, :])),
                          np.arange(n)[:, None])
    upper = np.triu_indices(n, 1)
    np.testing.assert_array_equal(below[upper], expected[upper])


def test_compiled_round_equals_the_numpy_round_on_the_mc11_members():
    negotiation = load_scenario("scenarios/baseline.yaml").negotiation()
    args = negotiation.positions, negotiation.saliences, negotiation.capability
    params = ch.ChallengeParameters(position_range=100.0)
    expected, offers = ch.challenge_round(*args, params)
    assert (offers.accepted != ch.NONE).sum() > 100  # many members take an offer
    np.testing.assert_allclose(challenge_round_fast(*args, params), expected, rtol=0, atol=TOL)


@settings(max_examples=40)
@given(seed=st.integers(0, 2**32 - 1), risk=st.booleans(),
       rule=st.sampled_from(["least_move", "reference"]))
def test_a_batch_s_rounds_equal_each_replication_s_round(seed, risk, rule):
    """One compiled call for a batch (what the challenge protocol makes each month): each
    replication's engaged members play their round with its own Q, T and pressure, to the bit;
    the others, and replications with fewer than two engaged, keep their positions."""
    rng = np.random.default_rng(seed)
    r, n, k = int(rng.integers(1, 6)), int(rng.integers(2, 25)), int(rng.integers(1, 4))
    X, S = rng.uniform(0, 100, (r, n, k)), rng.uniform(0, 1, (r, n, k))
    C = rng.uniform(0.01, 5, n)
    active = rng.random((r, n)) < rng.uniform(0.05, 1, (r, 1))
    q, t = rng.choice([1.0, 0.6, 0.0], r), rng.uniform(0, 1, r)
    pressure = rng.uniform(0.1, 1, r)
    expected = X.copy()
    for b in range(r):
        rows = np.flatnonzero(active[b])
        if len(rows) < 2:
            continue
        params = ch.ChallengeParameters(q=q[b], t=t[b], risk=risk, offer_rule=rule,
                                        position_range=100.0)
        start = X[b, rows]
        offered = challenge_round_fast(start, S[b, rows], C[rows], params)
        expected[b, rows] = start + pressure[b] * (offered - start)
    template = ch.ChallengeParameters(risk=risk, offer_rule=rule, position_range=100.0)
    got = challenge_rounds_fast(X, S, C, active, q, t, pressure, template)
    np.testing.assert_array_equal(got, expected)


def test_a_batch_s_rounds_reject_beliefs_that_are_not_probabilities():
    X, S, C = np.zeros((2, 3, 1)), np.ones((2, 3, 1)), np.ones(3)
    active = np.ones((2, 3), dtype=bool)
    with pytest.raises(ValueError, match="q and t are probabilities"):
        challenge_rounds_fast(X, S, C, active, [1.0, 1.2], [1.0, 1.0], [1.0, 1.0],
                              ch.ChallengeParameters(position_range=100.0))


def test_compiled_rounds_reproduce_the_published_example():
    with open(DATA / "challenge_bdm1994_input.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    positions = np.array([[float(r["position"])] for r in rows])
    saliences = np.array([[float(r["salience"])] for r in rows])
    capability = np.array([float(r["capability"]) for r in rows])
    with open(DATA / "challenge_bdm1994_forecast.csv", newline="") as f:
        published = [float(r["weighted_median"]) for r in csv.DictReader(f)]
    params = ch.ChallengeParameters(offer_rule="reference")
    scale = ch.starting_range(positions, params)
    medians = [ch.forecast(positions, saliences, capability)[0][0]]
    for _ in range(10):
        positions = challenge_round_fast(positions, saliences, capability, params, scale)
        medians.append(ch.forecast(positions, saliences, capability)[0][0])
    np.testing.assert_allclose(medians, published, rtol=1e-9)


_ROUNDS_OF_MC11 = """
import sys
import numpy as np
from simulation.engine import challenge as ch
from simulation.engine.challenge_kernel import challenge_round_fast
from simulation.inputs.scenario import load_scenario
negotiation = load_scenario("scenarios/baseline.yaml").negotiation()
positions, saliences = negotiation.positions, negotiation.saliences
params = ch.ChallengeParameters(q=0.7, t=0.4, position_range=100.0)
rounds = []
for _ in range(4):
    positions = challenge_round_fast(positions, saliences, negotiation.capability, params)
    rounds.append(positions)
np.save(sys.argv[1], np.stack(rounds))
"""


@pytest.mark.slow
def test_the_first_run_after_compiling_equals_the_runs_that_load_the_cache(tmp_path):
    """Rounds with Q < 1 and security risk attitudes (where the compiler once fused
    multiply-adds differently in a fresh compile and in the cache): a process that compiles the
    kernel and one that loads it from numba's cache give the same bits."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    root = Path(__file__).resolve().parents[1]
    for run in ("compiled", "cached"):
        subprocess.run([sys.executable, "-c", _ROUNDS_OF_MC11, str(tmp_path / f"{run}.npy")],
                       env=env, cwd=root, check=True, timeout=600)
    compiled, cached = np.load(tmp_path / "compiled.npy"), np.load(tmp_path / "cached.npy")
    assert np.ptp(compiled[-1], axis=0).max() > 0  # the members still disagree: offers were made
    np.testing.assert_array_equal(compiled, cached)

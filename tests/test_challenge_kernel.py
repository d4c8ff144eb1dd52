"""The compiled challenge round equals engine.challenge's round (to rounding), and reproduces
the published worked example (see tests/test_challenge.py for its provenance)."""

import csv
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.engine import challenge as ch
from simulation.engine.challenge_kernel import challenge_round_fast
from simulation.inputs.scenario import load_scenario

DATA = Path(__file__).parent / "data"
TOL = 1e-9  # positions on their own scale; sums and powers run in another order


@settings(max_examples=80, deadline=None)
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


def test_compiled_round_equals_the_numpy_round_on_the_mc11_members():
    negotiation = load_scenario("scenarios/baseline.yaml").negotiation()
    args = negotiation.positions, negotiation.saliences, negotiation.capability
    params = ch.ChallengeParameters(position_range=100.0)
    expected, offers = ch.challenge_round(*args, params)
    assert (offers.accepted != ch.NONE).sum() > 100  # many members take an offer
    np.testing.assert_allclose(challenge_round_fast(*args, params), expected, rtol=0, atol=TOL)


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

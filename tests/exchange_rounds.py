"""Shared by the tests of the compiled exchange rules: random rounds, and the check that a
compiled round equals the numpy statement of its rule to the bit."""

from collections.abc import Callable

import numpy as np

from simulation.engine import exchange as ex
from simulation.engine.protocols.base import BargainingContext
from simulation.inputs.scenario import load_scenario


def random_round(seed: int, grid: bool, masked: bool):
    """A random round (X, S, C, mask): 2-39 members, 2-8 issues; `grid` puts positions on
    multiples of 25 and saliences on quarters, which makes equal gains, cut moves and repeated
    moves common; capability per member or per member-issue; a fifth of the cells left out
    if `masked`."""
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(2, 40)), int(rng.integers(2, 9))
    if grid:
        X = rng.choice([0.0, 25.0, 50.0, 75.0, 100.0], (n, k))
        S = rng.choice([0.25, 0.5, 0.75, 1.0], (n, k))
    else:
        X, S = rng.uniform(0, 100, (n, k)), rng.uniform(0.01, 1, (n, k))
    C = rng.uniform(0.1, 5, n) if seed % 2 else rng.uniform(0.1, 5, (n, k))
    mask = rng.random((n, k)) > 0.2 if masked else None
    return X, S, C, mask


def assert_same_round(rule: str, compiled: Callable, X, S, C, mask=None) -> np.ndarray:
    """The compiled round of `rule` realises the same exchanges, in the same order, with the same
    floats, and moves to the same positions as exchange.exchange_round; its exchanges."""
    expected_X, expected = ex.exchange_round(X, S, C, mask, rule=rule)
    got_X, got = compiled(X, S, C, mask)
    assert got.dtype == expected.dtype
    assert got.tobytes() == expected.tobytes()
    assert got_X.tobytes() == expected_X.tobytes()
    return got


def baseline_batch(seed: int, engaged: float):
    """Two replications of the baseline's members with noisy positions, each engaging about the
    share `engaged` of them: (negotiation, positions, saliences, active, bargaining context)."""
    negotiation = load_scenario("scenarios/baseline.yaml").negotiation()
    rng = np.random.default_rng(seed)
    r, (n, k) = 2, negotiation.positions.shape
    positions = np.clip(negotiation.positions + rng.normal(0, 5, (r, n, k)), 0, 100)
    saliences = np.broadcast_to(negotiation.saliences, (r, n, k)).copy()
    active = rng.random((r, n)) < engaged
    context = BargainingContext(saliences, negotiation.capability, positions, active, 1.0,
                                lambda a: np.zeros((r, n, k)))
    return negotiation, positions, saliences, active, context


def near_tie_below_one() -> tuple[np.ndarray, ...]:
    """Two members trading on issues 0 and 1, two more alike on issues 2 and 3 (the other cells
    left out), their saliences 7 x 10^-12 higher: gains of 0.072 differing by 5 x 10^-13, inside
    the tie tolerance (1e-12 x max(gain, 1)) but not within 1e-12 x gain."""
    X = np.array([[20.0, 20.0, 0, 0], [80.0, 80.0, 0, 0], [0, 0, 20.0, 20.0],
                  [0, 0, 80.0, 80.0]])
    S = np.zeros((4, 4))
    S[:2, :2] = np.array([[0.8, 0.2], [0.2, 0.8]]) * 0.01
    S[2:, 2:] = S[:2, :2] * (1 + 7e-12)
    return X, S, np.ones(4), S > 0

"""The compiled once-rule round equals the readable numpy statement of the rule, to the bit."""

import functools

import numpy as np
import pytest
from exchange_rounds import assert_same_round, baseline_batch, random_round
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.engine import exchange as ex
from simulation.engine.exchange_once import _select, exchange_round_once
from simulation.engine.parameters import BargainingParameters
from simulation.engine.protocols.exchange import Exchange
from simulation.inputs.scenario import load_scenario

same_round = functools.partial(assert_same_round, "once", exchange_round_once)


@settings(max_examples=60)
@given(seed=st.integers(0, 2**32 - 1), grid=st.booleans(), masked=st.booleans())
def test_compiled_round_equals_the_numpy_rule(seed, grid, masked):
    """Grid positions and quarter saliences make equal gains common: ties must go the same way
    (to the earlier candidate in the reference's order)."""
    same_round(*random_round(seed, grid, masked))


def test_compiled_round_equals_the_numpy_rule_on_the_mc11_members():
    """A full-size round (136 members, 25 issues: ~10^5 candidates), where the selection goes
    through many buckets of gain."""
    negotiation = load_scenario("scenarios/baseline.yaml").negotiation()
    realised = same_round(negotiation.positions, negotiation.saliences, negotiation.capability)
    assert realised.size > 50


def test_the_protocol_runs_the_once_rule_per_replication():
    negotiation, positions, saliences, active, context = baseline_batch(5, 0.6)
    bargained = Exchange(BargainingParameters(protocol="exchange")).bargain(positions, context)
    for b in range(len(active)):
        rows = np.flatnonzero(active[b])
        moved, realised = ex.exchange_round(positions[b, rows], saliences[b, rows],
                                            negotiation.capability[rows], rule="once")
        assert np.array_equal(bargained.positions[b, rows], moved)
        assert np.array_equal(bargained.positions[b, ~active[b]], positions[b, ~active[b]])
        records = bargained.exchanges_of(b)
        assert np.array_equal(records["i"], rows[realised["i"]])
        assert np.array_equal(records["gain"], realised["gain"])


def test_positions_off_the_scale_are_refused():
    with pytest.raises(ValueError, match="positions must lie"):
        exchange_round_once(np.array([[0.0, 101.0], [50.0, 50.0]]), np.ones((2, 2)), np.ones(2))


# --- mutation testing, fifteenth round (docs/mutation_testing.md) --------------------------


def test_more_equal_gains_than_one_sorted_batch_holds_are_all_realised():
    """35 alike members left of the expected outcome on both issues, 35 alike right of it and
    caring the other way: 1,225 candidate exchanges of one gain (more than the first sorted batch
    of the selection before 2026-12-05 held; now all in one bucket). Each member trades once,
    with its partner in the reference's order."""
    X = np.array([[20.0, 20.0]] * 35 + [[80.0, 80.0]] * 35)
    S = np.array([[0.8, 0.2]] * 35 + [[0.2, 0.8]] * 35)
    realised = same_round(X, S, np.ones(70))
    assert realised.size == 35


def test_a_left_out_cell_is_not_read_on_a_scale_not_starting_at_0():
    """On a 10-90 scale, a cell the mask leaves out (which the round holds as 0) neither
    refuses the round nor changes it, as in the numpy statement."""
    X = np.array([[20.0, 20.0], [80.0, 80.0], [30.0, 70.0], [60.0, 40.0]])
    S = np.array([[0.8, 0.2], [0.2, 0.8], [0.5, 0.6], [0.7, 0.3]])
    mask = np.ones((4, 2), dtype=bool)
    mask[3, 1] = False
    expected_X, expected = ex.exchange_round(X, S, np.ones(4), mask, rule="once", lower=10.0,
                                             upper=90.0)
    got_X, got = exchange_round_once(X, S, np.ones(4), mask, lower=10.0, upper=90.0)
    assert expected.size > 0
    assert got.tobytes() == expected.tobytes() and got_X.tobytes() == expected_X.tobytes()


# --- the selection in buckets of gain (2026-12-05) -----------------------------------------


def _greedy_in_gain_order(cells: np.ndarray, gains: np.ndarray) -> list[int]:
    """exchange._select_once as one loop over a full sort: by gain, ties to the earlier
    candidate, each taken unless one of its four actor-issues is used."""
    used: set[int] = set()
    taken = []
    for row in sorted(range(gains.size), key=lambda r: (-gains[r], r)):
        if used.isdisjoint(cells[row]):
            used.update(cells[row])
            taken.append(row)
    return taken


@settings(max_examples=200)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(1, 400),
       spread=st.sampled_from(["ties", "neighbours", "wide"]))
def test_the_selection_realises_the_full_sorts_greedy_sequence(seed, size, spread):
    """Equal gains, gains one float apart (the same bucket) and gains over twenty orders of
    magnitude (thousands of buckets apart): the same sequence as a greedy pass over a full
    stable sort."""
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(2, 12)), int(rng.integers(2, 6))
    i, j = rng.integers(0, n, size), rng.integers(0, n, size)
    p = rng.integers(0, k - 1, size)
    q = p + 1 + rng.integers(0, k - 1 - p)
    if spread == "ties":
        gains = rng.choice([1e-10, 0.5, 0.5 + 1e-9, 2.0], size)
    elif spread == "neighbours":
        gains = 1.0 + rng.integers(0, 4, size) * np.spacing(1.0)
    else:
        gains = 10.0 ** rng.uniform(-10, 10, size)
    cells = np.stack([i * k + q, j * k + p, i * k + p, j * k + q], 1)
    taken = _select(i.astype(np.int32), j.astype(np.int32), p.astype(np.int32),
                    q.astype(np.int32), gains, n, k)
    assert taken.tolist() == _greedy_in_gain_order(cells, gains)

"""Tests of the MC11 consensus rule, package mode and plurilateral path (engine.consensus).

Most properties run on small random negotiations with "exact" numbers (integer positions,
capabilities and status quo, saliences in quarters, tolerances in halves), so that sums and ties
are exact and every feasible set that exists contains a multiple of 0.5: a grid of step 0.5 is
then an exact brute-force oracle for "some text everyone accepts".
"""

from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simulation.engine import rules
from simulation.engine.consensus import (
    MULTILATERAL,
    NO_AGREEMENT,
    PLURILATERAL,
    Blocs,
    acceptance_intervals,
    apply_blocs,
    chair_support,
    chair_texts,
    decide_at_ministerial,
    package_consensus,
    replication_tolerances,
)

FAST = settings(max_examples=75)  # ~100 would take the file past 20 s
HALF_GRID = np.arange(0.0, 100.5, 0.5)


class Negotiation(NamedTuple):
    X: np.ndarray
    S: np.ndarray
    C: np.ndarray
    q: np.ndarray
    tol: np.ndarray
    min_step: float


def integers(shape: tuple[int, ...], lo: int, hi: int) -> st.SearchStrategy[np.ndarray]:
    """Integer-valued float arrays (drawn as a flat list of ints: much faster than `arrays`)."""
    size = int(np.prod(shape))
    values = st.lists(st.integers(lo, hi), min_size=size, max_size=size)
    return values.map(lambda v: np.array(v, dtype=float).reshape(shape))


@st.composite
def negotiations(draw, min_salience: float = 0.0, max_issues: int = 5) -> Negotiation:
    """A small MC11 with exact arithmetic (see module docstring)."""
    n = draw(st.integers(1, 12))
    k = draw(st.integers(1, max_issues))
    return Negotiation(
        X=draw(integers((n, k), 0, 100)),
        S=draw(integers((n, k), round(4 * min_salience), 4)) / 4,
        C=draw(integers((n,), 1, 50)),
        q=draw(integers((k,), 0, 100)),
        tol=draw(integers((n, k), 0, 40)) / 2,
        min_step=draw(st.sampled_from([1.0, 2.5, 5.0, 10.0])),
    )


@st.composite
def float_negotiations(draw) -> Negotiation:
    """A small MC11 with arbitrary floats, for properties that must hold up to rounding."""
    n = draw(st.integers(1, 12))
    k = draw(st.integers(1, 5))

    def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
        return st.floats(lo, hi, allow_nan=False, allow_subnormal=False)

    return Negotiation(
        X=draw(arrays(float, (n, k), elements=floats(0, 100))),
        S=draw(arrays(float, (n, k), elements=floats(0, 1))),
        C=draw(arrays(float, (n,), elements=floats(0.01, 10))),
        q=draw(arrays(float, (k,), elements=floats(0, 100))),
        tol=draw(arrays(float, (n, k), elements=floats(0, 30))),
        min_step=draw(floats(0.5, 20)),
    )


def decide(neg: Negotiation, critical_mass: float = 0.5, **kwargs):
    return decide_at_ministerial(*neg, critical_mass=critical_mass, **kwargs)


def accepts(X, q, tol, t) -> np.ndarray:
    """(n,k): member accepts text t[i] on issue i (the rule, written out independently)."""
    return np.abs(X - t) <= np.abs(X - q) + tol


def accepted_changes(X, q, tol, min_step) -> np.ndarray:
    """(k, grid): which half-grid texts change q by >= min_step and are accepted by all of X."""
    t = HALF_GRID[None, None, :]
    ok = np.abs(X[..., None] - t) <= (np.abs(X - q) + tol)[..., None]
    return ok.all(axis=0) & (np.abs(HALF_GRID - q[:, None]) >= min_step)


# --- tolerances and acceptance sets ---------------------------------------------------------


def _tolerances(S, base, doha, new, cut):
    """`replication_tolerances` of one replication."""
    return replication_tolerances(S[None], np.array([base]), doha, new, np.array([cut]))[0]


def test_tolerances_hand_computed():
    S = np.array([[0.0, 0.5], [0.5, 0.25]])
    doha = np.array([False, True])
    new = np.array([True, False])
    expected = np.array([[10.0, 5.0], [3.0, 7.5]])  # 10 * 0.5 * (1 - 0.4) = 3 for the linked one
    np.testing.assert_allclose(_tolerances(S, 10.0, doha, new, 0.4), expected)


@FAST
@given(
    arrays(float, (4, 3), elements=st.floats(0, 1)),
    st.floats(0, 50),
    st.floats(0, 1),
)
def test_tolerance_falls_with_salience_and_linkage(S, base, cut):
    doha = np.array([True, False, True, False])
    new = np.array([True, True, False])
    tol = _tolerances(S, base, doha, new, cut)
    higher = _tolerances(np.minimum(S + 0.1, 1.0), base, doha, new, cut)
    assert np.all(higher <= tol + 1e-12)
    assert np.all(tol <= _tolerances(S, base, doha, new, 0.0) + 1e-12)
    unlinked = ~np.outer(doha, new)
    np.testing.assert_allclose(tol[unlinked], (base * (1 - S))[unlinked])


@FAST
@given(arrays(float, (2, 4, 3), elements=st.floats(0, 1)),
       st.lists(st.floats(0, 50), min_size=2, max_size=2),
       st.lists(st.floats(0, 1), min_size=2, max_size=2))
def test_each_replication_tolerates_what_its_own_constants_give(S, bases, cuts):
    """Each replication's tolerances are the plain statement's (rules.tolerances) with its own
    base tolerance and linkage cut."""
    doha, new = np.array([True, False, True, False]), np.array([True, True, False])
    batch = replication_tolerances(S, np.array(bases), doha, new, np.array(cuts))
    for row in range(2):
        np.testing.assert_array_equal(batch[row], rules.tolerances(
            S[row].tolist(), bases[row], doha.tolist(), new.tolist(), cuts[row]))


def test_tolerances_reject_bad_parameters():
    with pytest.raises(ValueError):
        _tolerances(np.zeros((1, 1)), 5.0, np.array([True]), np.array([True]), 1.5)
    with pytest.raises(ValueError):
        _tolerances(np.zeros((1, 1)), -1.0, np.array([True]), np.array([True]), 0.5)


def test_acceptance_intervals_hand_computed():
    X = np.array([[30.0, 90.0]])
    lo, hi = acceptance_intervals(X, np.array([50.0, 20.0]), np.array([[5.0, 10.0]]))
    np.testing.assert_array_equal(lo, [[5.0, 10.0]])  # d = 25 and d = 80
    np.testing.assert_array_equal(hi, [[55.0, 100.0]])  # 170 clipped to the scale


@FAST
@given(negotiations())
def test_acceptance_interval_is_the_acceptance_rule(neg):
    lo, hi = acceptance_intervals(neg.X, neg.q, neg.tol)
    assert np.all((lo <= neg.q) & (neg.q <= hi)), "everyone accepts the status quo"
    t = HALF_GRID[:, None, None]
    np.testing.assert_array_equal((lo <= t) & (t <= hi), accepts(neg.X, neg.q, neg.tol, t))


# --- multilateral consensus ------------------------------------------------------------------


@FAST
@given(negotiations(), st.data())
def test_identical_members_agree_at_their_common_position(neg, data):
    row = data.draw(integers(neg.X.shape[1:], 0, 100))
    X = np.broadcast_to(row, neg.X.shape).copy()
    out = decide(neg._replace(X=X))
    far = np.abs(row - neg.q) >= neg.min_step
    assert np.all(out.outcome[far] == MULTILATERAL)
    np.testing.assert_array_equal(out.text[far], row[far])


@FAST
@given(negotiations(), st.data())
def test_member_at_status_quo_with_full_salience_and_no_tolerance_blocks(neg, data):
    n, k = neg.X.shape
    m = data.draw(st.integers(0, n - 1))
    i = data.draw(st.integers(0, k - 1))
    assume(neg.q[i] - neg.min_step >= 0 or neg.q[i] + neg.min_step <= 100)
    X, S, tol = neg.X.copy(), neg.S.copy(), neg.tol.copy()
    X[m, i], S[m, i], tol[m, i] = neg.q[i], 1.0, 0.0
    out = decide(neg._replace(X=X, S=S, tol=tol))
    assert out.outcome[i] != MULTILATERAL
    assert out.blockers[m, i]
    assert not out.plurilateral_members[m, i]


@FAST
@given(negotiations())
def test_agreement_iff_some_change_is_accepted_by_all(neg):
    out = decide(neg)
    exists = accepted_changes(neg.X, neg.q, neg.tol, neg.min_step).any(axis=1)
    np.testing.assert_array_equal(out.outcome == MULTILATERAL, exists)


@FAST
@given(float_negotiations())
def test_tabled_text_is_accepted_by_all_and_changes_the_status_quo(neg):
    out = decide(neg)
    agreed = out.outcome == MULTILATERAL
    t = out.text[agreed]
    X, q, tol = neg.X[:, agreed], neg.q[agreed], neg.tol[:, agreed]
    assert np.all(np.abs(X - t) <= np.abs(X - q) + tol + 1e-9)
    assert np.all(np.abs(t - q) >= neg.min_step - 1e-9)


@FAST
@given(negotiations(), st.data())
def test_raising_a_tolerance_never_breaks_an_agreement(neg, data):
    extra = data.draw(integers(neg.tol.shape, 0, 20))
    before = decide(neg).outcome == MULTILATERAL
    after = decide(neg._replace(tol=neg.tol + extra)).outcome == MULTILATERAL
    assert np.all(after[before])


def test_chair_tables_the_weighted_median_clipped_to_the_common_set():
    X = np.array([[20.0], [40.0], [90.0]])
    S, q, tol = np.ones((3, 1)), np.array([0.0]), np.full((3, 1), 5.0)
    # Intervals [0, 45], [0, 85], [0, 100]: common set [5, 45] once the min_step band is cut.
    out = decide_at_ministerial(X, S, [1, 1, 1], q, tol, min_step=5, critical_mass=0.5)
    assert out.outcome[0] == MULTILATERAL and out.text[0] == 40.0  # the median member
    heavy = decide_at_ministerial(X, S, [1, 1, 5], q, tol, min_step=5, critical_mass=0.5)
    assert heavy.text[0] == 45.0  # median 90 (the big trader) is projected onto [5, 45]
    assert heavy.coverage[0] == 1.0 and not heavy.blockers.any()


def test_chair_text_pushed_out_of_the_min_step_band():
    S, q, tol = np.ones((3, 1)), np.array([10.0]), np.full((3, 1), 20.0)
    # Intervals [0, 34], [0, 30], [0, 100]: common set minus the band is [0, 0] u [20, 30].
    X = np.array([[12.0], [0.0], [100.0]])
    out = decide_at_ministerial(X, S, [5, 1, 1], q, tol, min_step=10, critical_mass=0.5)
    assert out.text[0] == 20.0  # median 12 lies in the band; 20 is nearer than 0
    # A median exactly on q is as near to 0 as to 20: the tie goes to the upper piece.
    X[0, 0] = 10.0
    tie = decide_at_ministerial(X, S, [5, 1, 1], q, tol, min_step=10, critical_mass=0.5)
    assert tie.text[0] == 20.0
    # Exactly min_step away from q counts as a change.
    low = decide_at_ministerial(X[1:], S[1:], [3, 1], q, tol[1:], min_step=10, critical_mass=0.5)
    assert low.outcome[0] == MULTILATERAL and low.text[0] == 0.0


# --- blockers ------------------------------------------------------------------------------


def brute_force_median(x: np.ndarray, w: np.ndarray) -> float:
    """The weighted median by its definition: the lowest position where the cumulative weight
    reaches half, averaged with the lowest where it exceeds half (the lowest position if none)."""
    half = w.sum() / 2
    up_to = [w[x <= v].sum() for v in x]
    lower = min((v for v, cum in zip(x, up_to, strict=True) if cum >= half), default=x.min())
    upper = min((v for v, cum in zip(x, up_to, strict=True) if cum > half), default=x.min())
    return (lower + upper) / 2


@st.composite
def crowded_columns(draw) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Many members on few distinct positions (ties, zero saliences), up to 60 members, as
    positions X (n,k), saliences S (n,k) and capabilities C (n,), all exact."""
    n, k = draw(st.integers(1, 60)), draw(st.integers(1, 3))
    spread = draw(st.sampled_from([0, 1, 3, 100]))
    return (draw(integers((n, k), 0, spread)) + draw(st.integers(0, 100 - spread)),
            draw(integers((n, k), 0, 4)) / 4, draw(integers((n,), 1, 50)))


@FAST
@given(crowded_columns())
def test_chair_text_is_the_weighted_median_by_its_definition(columns):
    X, S, C = columns
    weights = C[:, None] * S
    weights = np.where(weights.sum(axis=0) > 0, weights, C[:, None])  # nobody cares: capability
    expected = [brute_force_median(X[:, i], weights[:, i]) for i in range(X.shape[1])]
    np.testing.assert_array_equal(chair_texts(X, S, C), expected)


def test_an_exact_half_split_of_decimal_saliences_takes_the_midpoint():
    """0.2 + 0.15 and 0.35 are equal in exact arithmetic but not in floating point, whichever
    order they are added in: the member at 0 holds exactly half the weight, so the chair's text
    is midway between 0 and 75, in the compiled rule as in its plain statement."""
    X, S, C = np.array([[75.0], [100.0], [0.0]]), np.array([[0.2], [0.15], [0.35]]), np.ones(3)
    assert chair_texts(X, S, C)[0] == 37.5
    assert rules.chair_text(X.tolist(), S.tolist(), C.tolist(), 0) == 37.5


@settings(max_examples=300)
@given(st.integers(2, 6).flatmap(lambda n: st.tuples(
    integers((n, 1), 0, 4).map(lambda x: x * 25), integers((n, 1), 1, 20).map(lambda s: s * 0.05),
    arrays(float, n, elements=st.sampled_from([1.0, 2.0])))))
def test_the_compiled_chair_text_is_its_plain_statement_with_decimal_saliences(columns):
    """A few members on the scale's described points, saliences in steps of 0.05 (not exact in
    binary): exact half splits whose float sums depend on the order of addition, which differs
    between the two statements of the rule (about 1 draw in 250 did before)."""
    X, S, C = columns
    plain = rules.chair_text(X.tolist(), S.tolist(), C.tolist(), 0)
    assert chair_texts(X, S, C)[0] == plain


@FAST
@given(crowded_columns(), st.data())
def test_a_guess_at_the_chair_text_never_changes_it(columns, data):
    X, S, C = columns
    exact = chair_texts(X, S, C)
    # guesses on the answer, beside it (within and beyond the window searched first), none
    offsets = data.draw(arrays(float, X.shape[1], elements=st.sampled_from(
        [0.0, 0.5, -1.0, 1.0, 1.5, -3.0, 40.0, np.nan])))
    np.testing.assert_array_equal(chair_texts(X, S, C, near=exact + offsets), exact)
    stacked = np.stack([X, X[::-1]]), np.stack([S, S[::-1]])
    guesses = np.stack([exact + offsets, exact[::-1]])
    np.testing.assert_array_equal(chair_texts(*stacked, C, near=guesses),
                                  [exact, chair_texts(X[::-1], S[::-1], C)])


@FAST
@given(crowded_columns(), st.data())
def test_chair_support_is_the_capability_accepting_the_chair_text(columns, data):
    X, S, C = columns
    q = data.draw(integers((X.shape[1],), 0, 100))
    tol = data.draw(integers(X.shape, 0, 40)) / 2
    accepting = accepts(X, q, tol, chair_texts(X, S, C))
    np.testing.assert_array_equal(chair_support(X, S, C, q, tol), C @ accepting)
    np.testing.assert_array_equal(chair_support(X, S, C, q, tol, texts=chair_texts(X, S, C)),
                                  C @ accepting)
    other = (X[::-1], S[::-1], C, q, tol[::-1])
    batch = chair_support(np.stack([X, other[0]]), np.stack([S, other[1]]), C, q,
                          np.stack([tol, other[4]]))
    np.testing.assert_array_equal(batch, [C @ accepting, chair_support(*other)])


@given(negotiations())
def test_blockers_are_the_pivotal_members_by_brute_force(neg):
    out = decide(neg)
    n, k = neg.X.shape
    others_agree = np.array(
        [
            accepted_changes(np.delete(neg.X, m, 0), neg.q, np.delete(neg.tol, m, 0), neg.min_step)
            .any(axis=1)
            .tolist()
            for m in range(n)
        ]
    )  # (n, k)
    room = (neg.q - neg.min_step >= 0) | (neg.q + neg.min_step <= 100)
    for i in range(k):
        if out.outcome[i] == MULTILATERAL:
            assert not out.blockers[:, i].any()
        elif others_agree[:, i].any():
            np.testing.assert_array_equal(out.blockers[:, i], others_agree[:, i])
        elif room[i]:
            # Nobody pivotal: the blockers are exactly the rejecters of some change text.
            changes = HALF_GRID[np.abs(HALF_GRID - neg.q[i]) >= neg.min_step]
            rejecters = ~accepts(neg.X[:, [i]], neg.q[i], neg.tol[:, [i]], changes)
            assert (rejecters == out.blockers[:, [i]]).all(axis=0).any()
            assert out.blockers[:, i].any()
        else:
            assert not out.blockers[:, i].any()  # no change fits on the scale at all


@FAST
@given(negotiations())
def test_without_a_pivot_the_rejecters_of_the_change_nearest_the_chair_text_block(neg):
    """With every member twinned nobody is pivotal (its twin objects alike): where there is no
    consensus, the blockers are exactly the members who reject the change nearest the chair's
    text (the upper one on a tie), found here on the half grid."""
    twins = neg._replace(X=np.repeat(neg.X, 2, axis=0), S=np.repeat(neg.S, 2, axis=0),
                         C=np.repeat(neg.C, 2), tol=np.repeat(neg.tol, 2, axis=0))
    out = decide(twins)
    texts = chair_texts(twins.X, twins.S, twins.C)
    for i in range(neg.X.shape[1]):
        changes = HALF_GRID[np.abs(HALF_GRID - neg.q[i]) >= neg.min_step]
        if out.outcome[i] == MULTILATERAL or not changes.size:
            assert not out.blockers[:, i].any()
            continue
        gap = np.abs(changes - texts[i])
        change = changes[gap == gap.min()].max()
        rejecters = ~accepts(twins.X[:, i], neg.q[i], twins.tol[:, i], change)
        np.testing.assert_array_equal(out.blockers[:, i], rejecters)


def test_single_pivotal_member_is_the_blocker():
    X = np.array([[80.0], [80.0], [50.0]])
    S, q, tol = np.ones((3, 1)), np.array([50.0]), np.zeros((3, 1))
    out = decide_at_ministerial(X, S, [1, 1, 1], q, tol, min_step=5, critical_mass=0.6)
    np.testing.assert_array_equal(out.blockers[:, 0], [False, False, True])
    # The willing (both at 80) go ahead at their own median text, 2/3 of trade.
    assert out.outcome[0] == PLURILATERAL and out.text[0] == 80.0
    assert out.coverage[0] == pytest.approx(2 / 3)
    np.testing.assert_array_equal(out.plurilateral_members[:, 0], [True, True, False])


def test_without_a_pivot_the_rejecters_of_the_most_supported_change_block():
    X = np.array([[50.0], [50.0], [90.0]])
    S, q, tol = np.ones((3, 1)), np.array([50.0]), np.zeros((3, 1))
    # Two members sit on q: removing either leaves the other. The median (50 = q) is pushed to
    # 55; both members at q reject it, the one at 90 accepts it.
    out = decide_at_ministerial(X, S, [1, 1, 1], q, tol, min_step=5, critical_mass=0.6)
    np.testing.assert_array_equal(out.blockers[:, 0], [True, True, False])
    assert out.outcome[0] == NO_AGREEMENT and np.isnan(out.text[0])
    assert out.coverage[0] == pytest.approx(1 / 3)
    assert not out.plurilateral_members.any()


def test_without_a_pivot_the_blockers_reject_the_change_the_chair_points_to():
    # Two members sit on q = 50 and accept nothing else; two heavier ones at 10 accept [0, 50].
    # Nobody is pivotal. The chair's text (10) points down: the change nearest it is 10 itself,
    # which only the two at q reject (the change above q, 55, all four would reject).
    X = np.array([[50.0], [50.0], [10.0], [10.0]])
    S, q, tol = np.ones((4, 1)), np.array([50.0]), np.zeros((4, 1))
    out = decide_at_ministerial(X, S, [1, 1, 3, 3], q, tol, min_step=5, critical_mass=0.9)
    assert out.outcome[0] == NO_AGREEMENT
    np.testing.assert_array_equal(out.blockers[:, 0], [True, True, False, False])


# --- plurilateral path ---------------------------------------------------------------------


@FAST
@given(negotiations(), st.sampled_from([0.1, 0.3, 0.5, 0.8, 1.0]), st.booleans())
def test_plurilateral_deal_covers_critical_mass_and_only_the_willing(neg, critical_mass, package):
    out = decide(neg, critical_mass=critical_mass, package=package)
    share = neg.C / neg.C.sum()
    # Brute force on a fine grid: the best share of members no worse off under some change.
    grid = np.linspace(0, 100, 401)
    willing = np.abs(neg.X[..., None] - grid) <= np.abs(neg.X - neg.q)[..., None]
    changes = np.abs(grid - neg.q[:, None]) >= neg.min_step
    best = np.einsum("n,nkg->kg", share, willing).max(axis=1, where=changes, initial=0.0)
    for i in np.flatnonzero(out.outcome == PLURILATERAL):
        t, members = out.text[i], out.plurilateral_members[:, i]
        assert abs(t - neg.q[i]) >= neg.min_step - 1e-9
        no_worse = np.abs(neg.X[:, i] - t) <= np.abs(neg.X[:, i] - neg.q[i])
        np.testing.assert_array_equal(members, no_worse)  # all who join, nobody else
        assert out.coverage[i] == pytest.approx(share[members].sum())
        assert out.coverage[i] >= critical_mass - 1e-12
        # The text goes no further than its members want (their positions' range), unless
        # the smallest change counted as a deal (min_step) is further than that.
        within = (min(neg.q[i], neg.X[members, i].min()) - 1e-9 <= t
                  <= max(neg.q[i], neg.X[members, i].max()) + 1e-9)
        assert within or abs(abs(t - neg.q[i]) - neg.min_step) < 1e-9
    for i in np.flatnonzero(out.outcome == NO_AGREEMENT):
        assert best[i] < critical_mass + 1e-9  # no change at all gathers a critical mass
        assert out.coverage[i] == pytest.approx(best[i], abs=1e-12)  # the widest any gathers
        assert not out.plurilateral_members[:, i].any() and np.isnan(out.text[i])


def test_plurilateral_text_is_as_ambitious_as_the_critical_mass_allows():
    # q = 0; shares 0.4, 0.3, 0.2, 0.05, 0.05 at 80, 60, 30, 10 and 0 (the last blocks
    # consensus). Critical mass 0.9: the member at 30 completes it, so the text can reach 60
    # (twice 30), which the core's weighted median (60) allows.
    X = np.array([[80.0], [60.0], [30.0], [10.0], [0.0]])
    S, q, tol, C = np.ones((5, 1)), np.array([0.0]), np.zeros((5, 1)), [4, 3, 2, 0.5, 0.5]
    out = decide_at_ministerial(X, S, C, q, tol, min_step=5, critical_mass=0.9)
    assert out.outcome[0] == PLURILATERAL and out.text[0] == 60.0
    np.testing.assert_array_equal(out.plurilateral_members[:, 0], [True, True, True, False, False])
    assert out.coverage[0] == pytest.approx(0.9)
    # With a lower critical mass the two largest alone set the text at their median, 80.
    lower = decide_at_ministerial(X, S, C, q, tol, min_step=5, critical_mass=0.7)
    assert lower.text[0] == 80.0 and lower.coverage[0] == pytest.approx(0.7)


def test_equal_coverage_on_both_sides_goes_up_whatever_the_order():
    # q = 50: one member wants 80, the other 20, each half of trade: both sides gather the
    # critical mass alike, and the tie goes to the upper side.
    X = np.array([[80.0], [20.0]])
    S, q, tol = np.ones((2, 1)), np.array([50.0]), np.zeros((2, 1))
    for order in ([0, 1], [1, 0]):
        out = decide_at_ministerial(X[order], S, [1, 1], q, tol, min_step=5, critical_mass=0.5)
        assert out.outcome[0] == PLURILATERAL and out.text[0] == 80.0
        assert out.coverage[0] == 0.5
        np.testing.assert_array_equal(out.plurilateral_members[:, 0], np.array(order) == 0)


def test_a_core_wanting_less_than_the_smallest_change_agrees_the_smallest_change():
    # q = 0, min_step 10: the two keen members (at 6 and 7, two thirds of trade) want less than
    # a change counts, but they are no worse off at 10 (within twice their reach): the deal is
    # the smallest change, 10, among them.
    X = np.array([[6.0], [7.0], [0.0]])
    S, q, tol = np.ones((3, 1)), np.array([0.0]), np.zeros((3, 1))
    out = decide_at_ministerial(X, S, [1, 1, 1], q, tol, min_step=10, critical_mass=0.6)
    assert out.outcome[0] == PLURILATERAL and out.text[0] == 10.0
    np.testing.assert_array_equal(out.plurilateral_members[:, 0], [True, True, False])


def test_the_core_pushes_to_its_capability_x_salience_weighted_median():
    # q = 0, critical mass 0.6: the core is the members at 80 (salience 0.25) and 60 (salience
    # 1), of equal capability. Weighted by salience their median wish is 60 (by capability
    # alone it would be 70, midway).
    X = np.array([[80.0], [60.0], [0.0]])
    S, q, tol = np.array([[0.25], [1.0], [1.0]]), np.array([0.0]), np.zeros((3, 1))
    out = decide_at_ministerial(X, S, [1, 1, 1], q, tol, min_step=5, critical_mass=0.6)
    assert out.outcome[0] == PLURILATERAL and out.text[0] == 60.0


def test_coverage_without_a_deal_is_the_share_no_worse_off_at_the_smallest_change():
    # q = 50, min_step 10: the member at 57 wants less than a change counts but is no worse
    # off at 60 (within twice its reach of 7); half of trade, short of the critical mass.
    X, S, tol = np.array([[57.0], [50.0]]), np.ones((2, 1)), np.zeros((2, 1))
    out = decide_at_ministerial(X, S, [1, 1], [50.0], tol, min_step=10, critical_mass=0.6)
    assert out.outcome[0] == NO_AGREEMENT and out.coverage[0] == 0.5
    # q = 97, min_step 5: no change above q fits on the scale (102 > 100), so the two members
    # at 100 can gather nobody: no change at all gathers any trade.
    X = np.array([[100.0], [100.0], [97.0]])
    out = decide_at_ministerial(X, np.ones((3, 1)), [1, 1, 1], [97.0], np.zeros((3, 1)),
                                min_step=5, critical_mass=0.6)
    assert out.outcome[0] == NO_AGREEMENT and out.coverage[0] == 0.0


def test_bloc_discipline_moves_its_members_together():
    X = np.array([[50.0], [0.0], [60.0]])
    S, q, tol, C = np.ones((3, 1)), np.array([0.0]), np.zeros((3, 1)), [1, 1, 1]
    alone = decide_at_ministerial(X, S, C, q, tol, min_step=5, critical_mass=0.3)
    np.testing.assert_array_equal(alone.blockers[:, 0], [False, True, False])
    # Member 2 alone is a critical mass (1/3 >= 0.3) and wants 60; member 0 joins at 60 too.
    assert alone.outcome[0] == PLURILATERAL and alone.text[0] == 60.0
    np.testing.assert_array_equal(alone.plurilateral_members[:, 0], [True, False, True])

    bloc = Blocs(
        of=np.array([0, 0, -1]),
        position=np.array([[0.0]]),
        salience=np.array([[1.0]]),
        tolerance=np.array([[0.0]]),
    )
    together = decide_at_ministerial(X, S, C, q, tol, min_step=5, critical_mass=0.3, blocs=bloc)
    np.testing.assert_array_equal(together.blockers[:, 0], [True, True, False])
    assert together.outcome[0] == PLURILATERAL and together.text[0] == 60.0
    assert together.coverage[0] == pytest.approx(1 / 3)
    np.testing.assert_array_equal(together.plurilateral_members[:, 0], [False, False, True])


def test_a_bloc_accepts_what_its_own_tolerance_allows():
    # Member 0 speaks for a bloc at q = 0 that tolerates a loss of 30: it accepts [0, 30], and
    # the chair's text 20 (member 1's position, the heavier in capability x salience) is agreed.
    X, S, tol = np.array([[50.0], [20.0]]), np.ones((2, 1)), np.zeros((2, 1))
    bloc = Blocs(of=np.array([0, -1]), position=np.array([[0.0]]), salience=np.array([[0.5]]),
                 tolerance=np.array([[30.0]]))
    out = decide_at_ministerial(X, S, [1, 1], [0.0], tol, min_step=5, critical_mass=0.9,
                                blocs=bloc)
    assert out.outcome[0] == MULTILATERAL and out.text[0] == 20.0


@FAST
@given(negotiations(), st.data())
def test_bloc_members_share_intervals_and_fates(neg, data):
    n, k = neg.X.shape
    g = data.draw(st.integers(1, 3))
    blocs = Blocs(
        of=data.draw(arrays(int, (n,), elements=st.integers(-1, g - 1))),
        position=data.draw(integers((g, k), 0, 100)),
        salience=data.draw(integers((g, k), 0, 4)) / 4,
        tolerance=data.draw(integers((g, k), 0, 20)),
    )
    X = apply_blocs(neg.X, blocs.of, blocs.position)
    lo, hi = acceptance_intervals(X, neg.q, apply_blocs(neg.tol, blocs.of, blocs.tolerance))
    bloc_lo, bloc_hi = acceptance_intervals(blocs.position, neg.q, blocs.tolerance)
    np.testing.assert_array_equal(lo, apply_blocs(lo, blocs.of, bloc_lo))
    np.testing.assert_array_equal(hi, apply_blocs(hi, blocs.of, bloc_hi))
    alone = blocs.of < 0
    np.testing.assert_array_equal(X[alone], neg.X[alone])
    out = decide(neg, blocs=blocs)
    for b in range(g):
        rows = np.flatnonzero(blocs.of == b)
        if rows.size:
            assert (out.blockers[rows] == out.blockers[rows[0]]).all()
            assert (out.plurilateral_members[rows] == out.plurilateral_members[rows[0]]).all()


@FAST
@given(negotiations(), st.data(), st.booleans(), st.sampled_from([0.2, 0.5, 0.9]))
def test_a_batch_of_replications_decides_each_as_if_alone(neg, data, package, critical_mass):
    """The verdict on a stack (r, n, k) of negotiations is the stack of their verdicts."""
    n, k = neg.X.shape
    r = data.draw(st.integers(1, 3))
    X = np.stack([neg.X] + [data.draw(integers((n, k), 0, 100)) for _ in range(r - 1)])
    S = np.stack([neg.S] + [data.draw(integers((n, k), 0, 4)) / 4 for _ in range(r - 1)])
    tol = np.stack([neg.tol] * r)
    blocs = Blocs(of=data.draw(arrays(int, (r, n), elements=st.integers(-1, 0))),
                  position=data.draw(integers((r, 1, k), 0, 100)),
                  salience=np.full((r, 1, k), 0.5), tolerance=np.full((r, 1, k), 2.0))
    batch = decide_at_ministerial(X, S, neg.C, neg.q, tol, neg.min_step, critical_mass,
                                  package=package, blocs=blocs)
    for row in range(r):
        own_blocs = Blocs(*(getattr(blocs, f)[row] for f in Blocs.__dataclass_fields__))
        alone = decide_at_ministerial(X[row], S[row], neg.C, neg.q, tol[row], neg.min_step,
                                      critical_mass, package=package, blocs=own_blocs)
        for field in ("outcome", "text", "blockers", "plurilateral_members", "coverage"):
            np.testing.assert_array_equal(getattr(batch, field)[row], getattr(alone, field))


# --- package mode (single undertaking) -----------------------------------------------------


def test_package_trades_a_loss_on_one_issue_for_a_gain_on_another():
    # Member 0 sits on q for issue 0 with no tolerance: issue by issue it blocks issue 0.
    X = np.array([[0.0, 100.0], [100.0, 100.0]])
    S = np.array([[0.25, 1.0], [1.0, 0.25]])
    q, tol, C = np.zeros(2), np.zeros((2, 2)), [1, 1]
    by_issue = decide_at_ministerial(X, S, C, q, tol, min_step=5, critical_mass=0.5)
    np.testing.assert_array_equal(by_issue.outcome, [PLURILATERAL, MULTILATERAL])
    np.testing.assert_array_equal(by_issue.blockers, [[True, False], [False, False]])
    np.testing.assert_array_equal(by_issue.coverage, [0.5, 1.0])
    # As a package it loses 0.25 * 100 on issue 0 but gains 1 * 100 on issue 1: it accepts both.
    single = decide_at_ministerial(X, S, C, q, tol, min_step=5, critical_mass=0.5, package=True)
    np.testing.assert_array_equal(single.outcome, [MULTILATERAL, MULTILATERAL])
    np.testing.assert_array_equal(single.text, [100.0, 100.0])
    assert not single.blockers.any() and not single.plurilateral_members.any()


def test_package_drops_the_issue_the_rejecters_lose_most_on():
    X = np.array([[0.0, 0.0], [100.0, 100.0]])
    S = np.array([[1.0, 0.5], [0.5, 1.0]])
    tol = np.array([[0.0, 100.0], [0.0, 0.0]])
    # Medians (weights C x S, C = [1, 3]) are 100 on both issues. Member 0 loses 100 + 50 against
    # a weighted tolerance of 50: it rejects; issue 0 (loss 100) goes, then it accepts 50 <= 50.
    agreed, text, blockers = package_consensus(X, S, np.zeros(2), tol, np.array([1.0, 3.0]), 5)
    np.testing.assert_array_equal(agreed, [False, True])
    np.testing.assert_array_equal(text, [np.nan, 100.0])
    np.testing.assert_array_equal(blockers, [[True, False], [False, False]])


def test_package_of_one_issue_can_fail_where_issue_by_issue_succeeds():
    X = np.array([[20.0], [40.0], [90.0]])
    S, q, tol, C = np.ones((3, 1)), np.array([0.0]), np.full((3, 1), 5.0), [1, 1, 5]
    # The package tables the raw median 90: members 0 and 1 lose 50 and 10 against a tolerance
    # of 5 and reject it. Issue by issue the chair moves the text to 45, which all accept.
    by_issue = decide_at_ministerial(X, S, C, q, tol, min_step=5, critical_mass=0.9)
    single = decide_at_ministerial(X, S, C, q, tol, min_step=5, critical_mass=0.9, package=True)
    assert by_issue.outcome[0] == MULTILATERAL and by_issue.text[0] == 45.0
    np.testing.assert_array_equal(single.blockers[:, 0], [True, True, False])
    # Critical mass 0.9 needs the member at 20 too, so the text can reach 40 (twice 20); the
    # core's median 90 lies beyond, so the text is 40, where member 0 is no worse off.
    assert single.outcome[0] == PLURILATERAL and single.text[0] == 40.0
    assert single.coverage[0] == 1.0


@FAST
@given(negotiations(min_salience=0.25, max_issues=1))
def test_one_issue_package_agreement_implies_issue_agreement_on_the_same_text(neg):
    single = decide(neg, package=True)
    by_issue = decide(neg)
    if single.outcome[0] == MULTILATERAL:
        assert by_issue.outcome[0] == MULTILATERAL
        assert by_issue.text[0] == single.text[0]


@FAST
@given(negotiations())
def test_everyone_accepts_the_final_package(neg):
    agreed, text, blockers = package_consensus(neg.X, neg.S, neg.q, neg.tol, neg.C, neg.min_step)
    X, S, q, tol = neg.X[:, agreed], neg.S[:, agreed], neg.q[agreed], neg.tol[:, agreed]
    net_loss = (S * (np.abs(X - text[agreed]) - np.abs(X - q))).sum(axis=1)
    assert np.all(net_loss <= (S * tol).sum(axis=1))
    assert np.all(np.abs(text[agreed] - neg.q[agreed]) >= neg.min_step)
    assert not blockers[:, agreed].any()


@FAST
@given(negotiations())
def test_the_package_leaves_out_only_issues_that_change_nothing_or_that_rejecters_dropped(neg):
    agreed, _, blockers = package_consensus(neg.X, neg.S, neg.q, neg.tol, neg.C, neg.min_step)
    changes = np.abs(chair_texts(neg.X, neg.S, neg.C) - neg.q) >= neg.min_step
    np.testing.assert_array_equal(agreed | blockers.any(axis=0), changes)
    assert not (agreed & blockers.any(axis=0)).any()


def test_a_package_text_exactly_min_step_from_the_status_quo_is_a_change():
    X, S, tol = np.full((2, 1), 5.0), np.ones((2, 1)), np.zeros((2, 1))
    single = decide_at_ministerial(X, S, [1, 1], [0.0], tol, min_step=5, critical_mass=0.5,
                                   package=True)
    assert single.outcome[0] == MULTILATERAL and single.text[0] == 5.0


# --- invariance and interface --------------------------------------------------------------


@FAST
@given(negotiations(), st.data(), st.booleans(), st.sampled_from([0.2, 0.5, 0.9]))
def test_relabelling_members_permutes_the_outcome(neg, data, package, critical_mass):
    perm = np.array(data.draw(st.permutations(range(neg.X.shape[0]))))
    shuffled = neg._replace(X=neg.X[perm], S=neg.S[perm], C=neg.C[perm], tol=neg.tol[perm])
    a = decide(neg, critical_mass, package=package)
    b = decide(shuffled, critical_mass, package=package)
    np.testing.assert_array_equal(a.outcome, b.outcome)
    np.testing.assert_array_equal(a.text, b.text)
    np.testing.assert_allclose(a.coverage, b.coverage, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(a.blockers[perm], b.blockers)
    np.testing.assert_array_equal(a.plurilateral_members[perm], b.plurilateral_members)


def test_outcome_is_read_only_and_typed():
    out = decide_at_ministerial([[60.0]], [[1.0]], [1.0], [0.0], [[0.0]], 5, 0.5)
    assert out.outcome.dtype == np.int8 and out.outcome[0] == MULTILATERAL
    with pytest.raises(ValueError):
        out.text[0] = 0.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"min_step": 0.0}, "min_step"),
        ({"critical_mass": 0.0}, "critical_mass"),
        ({"C": [0.0]}, "capabilities"),
        ({"X": [[120.0]]}, "positions"),
        ({"q": [0.0, 1.0]}, "one per issue"),
        ({"blocs": Blocs(np.array([1]), *(np.zeros((1, 1)),) * 3)}, "bloc"),
    ],
)
def test_bad_input_is_refused(change, message):
    args = {"X": [[60.0]], "S": [[1.0]], "C": [1.0], "q": [0.0], "tol": [[0.0]]}
    args |= {"min_step": 5.0, "critical_mass": 0.5} | change
    with pytest.raises(ValueError, match=message):
        decide_at_ministerial(**args)

"""Stokman & Van Oosten (1994) exchange model, "equal gain" variant, as vectorised numpy.

The model
---------
Each actor ``a`` has, on each issue ``r``, a position ``X[a, r]`` on a 0-100 scale, a salience
``S[a, r]`` in (0, 1] and a capability (power) ``C[a]`` (or ``C[a, r]``).  The expected outcome of
an issue is the power x salience weighted mean of the positions (the reference calls it the Nash
bargaining solution, "nbs").  Two actors ``i`` and ``j`` on opposite sides of the expected outcome
on *both* issues ``p`` and ``q`` can gain by trading voting positions: ``i`` gives way on the issue
it cares relatively less about (``q``) and ``j`` gives way on ``p``.  The sizes of the two moves are
chosen so that both actors gain the same expected utility (the "equal gain" rule); one of them
moves all the way to the other's position and the other only partially.  In a round the exchange
with the highest gain is realised first, every exchange that shares an actor-issue with it is
recalculated from the new positions, and so on until no feasible exchange remains.

Reference
---------
Stokman, F. N. & Van Oosten, R. (1994). The Exchange of Voting Positions: An Object-Oriented
Model of Policy Networks. In B. Bueno de Mesquita & F. N. Stokman (eds), *European Community
Decision Making: Models, Applications, and Comparisons*, Yale University Press, 105-127.

This module is an independent numpy re-implementation (no code copied) that follows the public
Python reference ``decide-exchange-model`` (github.com/foarsitter/decide-exchange-model, package
``decide``, GPL-3.0; checked against the 2022.1.28 release and the GitHub head), file by file:

* ``expected_outcomes``: ``decide/model/calculations.py`` ``nash_bargaining_solution`` and
  ``calc_nbs_denominator``.
* candidate search (``candidate_exchanges``): ``decide/model/base.py``
  ``AbstractModel.determine_positions`` (an actor is "left" when ``x <= nbs``) and
  ``determine_groups_and_calculate_exchanges`` (groups A/D and B/C per issue pair), and
  ``AbstractExchange.__init__`` (role choice by salience ratio ``s_p / s_q``).
* moves and gains (``_evaluate``): ``decide/model/equalgain.py`` ``EqualGainExchange.calculate``
  (``j`` first tries to move fully on ``p``; if ``i``'s implied move on ``q`` would overshoot
  ``j``'s position, ``i`` moves fully and ``j`` partially), using ``calculations.py``
  ``by_absolute_move``, ``by_exchange_ratio``, ``reverse_move`` and ``expected_utility``;
  ``base.py`` ``AbstractExchangeActor.check_nbs`` (the move is cut so that the expected outcome
  does not pass the partner's position) with ``calculations.adjusted_nbs`` and
  ``adjusted_nbs_by_position``; ``AbstractExchangeActor.is_move_valid`` (0-100 bounds, no change
  of direction within a round, non-zero move) and the ``gain < 1e-10`` rule.
* selection (``select_exchanges``): ``equalgain.py`` ``EqualGainModel.highest_gain`` and
  ``base.py`` ``AbstractModel.remove_invalid_exchanges`` / ``AbstractExchange.recalculate``,
  ``invalidate_exchange_by_supply`` and ``update_updates``, driven as in
  ``decide/model/helpers/helpers.py`` ``ModelLoop.loop``.
* next-round positions (``next_start_positions``): ``calculations.py`` ``new_start_position``
  (salience weight 0.4, fixed weight 0.1).

Deliberate deviations: float64 instead of ``decimal.Decimal``, with a 1e-9 slack where the
reference compares positions that are equal in exact arithmetic (an expected outcome landing
exactly on a partner's position counts as not passing it; the reference's 28-digit rounding
decides such knife-edge cases either way); exact ties in gain are broken by candidate order (or
uniformly at random with ``rng``) instead of the reference's coin flip, whose second branch also
duplicates the runner-up in its list; cells with salience or power 0 (or masked out) are left
out of exchanges (the reference's reader drops salience-0 rows and divides by zero on power 0).
Note that the reference does *not* limit an actor-issue to one realised exchange per round: an
actor may move again on the same issue, in the same direction, after its exchanges are
recalculated, and ``rule="reference"`` does the same; ``rule="once"`` is a faster alternative
that does limit it (not in the reference).

Speed: the selection realises the best exchanges that share no actor-issue in one batch,
recalculating every affected exchange once per realised member in order, and rolls back any
member that an earlier member's recalculations could overtake, so the sequence is exactly the
one-at-a-time one; an exchange reached only through an issue it demands is not recalculated
when check_nbs shows the result would be unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

LOWER = 0.0
UPPER = 100.0
GAIN_MIN = 1e-10  # equalgain.py: an exchange with a gain below this is not valid
MOVE_MIN = 1e-10  # base.py is_move_valid: a move of at most this size is not valid
# Float64 slack for position comparisons that are exact in the reference's Decimal arithmetic
# (an outcome landing exactly on a partner's position, a full move landing on a bound).
POS_TOL = 1e-9
TIE_TOL = 1e-12  # relative tolerance within which two gains tie (`_tie_gap`)
# calculations.new_start_position's weights of a moved member's next start position
SALIENCE_WEIGHT, FIXED_WEIGHT = 0.4, 0.1

REALISED_DTYPE = np.dtype(
    [
        ("i", np.int64),  # actor that gives way on q (demands p)
        ("j", np.int64),  # actor that gives way on p (demands q)
        ("p", np.int64),  # lower-numbered issue of the pair: i's demand, j's supply issue
        ("q", np.int64),  # higher-numbered issue: i's supply, j's demand issue
        ("gain", np.float64),  # equal expected-utility gain of each actor
        ("x_i", np.float64),  # i's position on q before this exchange
        ("y_i", np.float64),  # i's new (voting) position on q
        ("x_j", np.float64),  # j's position on p before this exchange
        ("y_j", np.float64),  # j's new (voting) position on p
        ("shift_p", np.float64),  # move of the expected outcome on p
        ("shift_q", np.float64),  # move of the expected outcome on q
        # expected outcomes on p and q before this exchange, as it was calculated: the other
        # actors' positions it knows of (the reference's "updates"), its own actors at x_j / x_i
        ("nbs_p", np.float64),
        ("nbs_q", np.float64),
    ]
)

# Columns of the static per-candidate table (gathered row-wise for speed).
(_S_IP, _S_IQ, _S_JP, _S_JQ, _W_IQ, _W_JP, _XI_D, _XJ_D, _X0_IQ, _X0_JP,
 _D_P, _D_Q, _T_P, _T_Q, _RQP, _A_P, _A_Q, _K_I) = range(18)  # fmt: skip
_N_STATIC = 18
_BLOCK = 64  # block size of the max-structure used to find the best exchange


def _tie_gap(gain: float, tie_tol: float) -> float:
    """How far below ``gain`` another gain still ties with it: ``tie_tol`` relative to the gain,
    absolute below 1 (so that tiny gains tie within 1e-12, not within 1e-12 of themselves)."""
    return tie_tol * max(abs(gain), 1.0)


def _prepare(
    X: np.ndarray, S: np.ndarray, C: np.ndarray, mask: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate inputs; return X and S (0 where absent), W = C*S (0 where absent), presence."""
    X = np.asarray(X, dtype=np.float64)
    S = np.asarray(S, dtype=np.float64)
    if X.ndim != 2 or S.shape != X.shape:
        raise ValueError(f"X and S must both be (n actors, k issues); got {X.shape}, {S.shape}")
    C = np.asarray(C, dtype=np.float64)
    if C.ndim == 1 and C.shape[0] == X.shape[0]:
        C = C[:, None]
    if C.ndim != 2 or C.shape[0] != X.shape[0] or C.shape[1] not in (1, X.shape[1]):
        raise ValueError(f"C must be (n,) or (n, k); got {C.shape}")
    present = np.ones(X.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if present.shape != X.shape:
        raise ValueError(f"mask must be (n, k); got {present.shape}")
    present = present & (S > 0) & (C > 0)
    return (
        np.where(present, X, 0.0),
        np.where(present, S, 0.0),
        np.where(present, C * S, 0.0),
        present,
    )


def expected_outcomes(
    X: np.ndarray, S: np.ndarray, C: np.ndarray, mask: np.ndarray | None = None
) -> np.ndarray:
    """Power x salience weighted mean position per issue (the reference's "nbs"); NaN if empty."""
    Xc, _, W, _ = _prepare(X, S, C, mask)
    den = W.sum(axis=0)
    num = (W * Xc).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


@dataclass
class Candidates:
    """All feasible exchanges of a round, each evaluated at the round's starting positions.

    One entry per candidate, in the reference's order (issue pairs in index order, then group
    A x D and B x C actor pairs); ``valid`` marks the candidates that could be realised.
    """

    i: np.ndarray  # actor giving way on q, demanding p
    j: np.ndarray  # actor giving way on p, demanding q
    p: np.ndarray  # issue pair, p < q
    q: np.ndarray
    gain: np.ndarray  # equal expected-utility gain
    move_i: np.ndarray  # signed move of i on q
    move_j: np.ndarray  # signed move of j on p
    y_i: np.ndarray  # i's new position on q
    y_j: np.ndarray  # j's new position on p
    shift_p: np.ndarray  # resulting move of the expected outcome on p
    shift_q: np.ndarray  # and on q
    valid: np.ndarray
    static: np.ndarray  # (m, _N_STATIC) constants used to recalculate during selection
    X0: np.ndarray  # (n, k) starting positions (0 where absent)
    W: np.ndarray  # (n, k) power x salience (0 where absent)
    lower: float = LOWER
    upper: float = UPPER
    probes: np.ndarray | None = None  # (m, 5) check_nbs probes at the round's start

    def __len__(self) -> int:
        return int(self.i.shape[0])


def _pair_indices(
    left: np.ndarray, present: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Actor pairs (first, second) and issue pairs (p < q) on opposite sides on both issues."""
    k = left.shape[1]
    group = left.astype(np.int8)
    firsts, seconds, ps, qs = [], [], [], []
    for p in range(k - 1):
        for q in range(p + 1, k):
            both = present[:, p] & present[:, q]
            g = np.where(both, group[:, p] + 2 * group[:, q], -1)
            for g1, g2 in ((0, 3), (1, 2)):  # groups A x D, then B x C (base.py order)
                a1 = np.flatnonzero(g == g1)
                a2 = np.flatnonzero(g == g2)
                if a1.size and a2.size:
                    firsts.append(np.repeat(a1, a2.size))
                    seconds.append(np.tile(a2, a1.size))
                    ps.append(np.full(a1.size * a2.size, p))
                    qs.append(np.full(a1.size * a2.size, q))
    if not firsts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty
    return tuple(np.concatenate(v).astype(np.int64) for v in (firsts, seconds, ps, qs))


def _move_ok(
    move: np.ndarray, x: np.ndarray, hist: tuple[np.ndarray, np.ndarray], lower: float, upper: float
) -> np.ndarray:
    """base.py is_move_valid: non-zero, inside the scale, sum <= span, same direction as before.

    ``hist`` is (direction, sum) of the role's earlier moves this round (direction 0 if none;
    a live exchange's earlier moves always share one direction).
    """
    new = x + move
    return (
        (np.abs(move) > MOVE_MIN)
        & (new >= lower - POS_TOL)
        & (new <= upper + POS_TOL)
        & (hist[1] + move <= upper - lower + POS_TOL)
        & (hist[0] * move >= 0)
    )


def _evaluate(
    st: np.ndarray,
    xi_s: np.ndarray,
    xj_s: np.ndarray,
    hist_i: tuple[np.ndarray, np.ndarray],
    hist_j: tuple[np.ndarray, np.ndarray],
    nbs_i: tuple[np.ndarray, np.ndarray],
    nbs_j: tuple[np.ndarray, np.ndarray],
    lower: float,
    upper: float,
) -> tuple[np.ndarray, ...]:
    """Equal-gain moves for a batch of exchanges (EqualGainExchange.calculate + check_nbs).

    ``st``: static columns; ``xi_s`` / ``xj_s``: current positions of i on q and j on p;
    ``hist_*``: earlier moves this round; ``nbs_i`` / ``nbs_j``: numerator of the expected
    outcome on q / p with the partners' recorded moves, and the actor's own recorded position
    there (NaN if none).  Returns move_i, move_j, shift_p, shift_q, gain, valid and the
    check_nbs probes (partner's position minus outcome, before and after the move, for i then
    j, and whether a move was cut), which tell when a later recalculation would change nothing.
    """
    r_qp, a_p, a_q = st[:, _RQP], st[:, _A_P], st[:, _A_Q]
    di = st[:, _XJ_D] - xi_s  # i moves on q toward j's position
    dj = st[:, _XI_D] - xj_s  # j moves on p toward i's position
    full_i, full_j = np.abs(di), np.abs(dj)
    sign_i, sign_j = np.sign(di), np.sign(dj)

    # j moves fully on p (by_absolute_move); i's implied move on q (by_exchange_ratio,
    # reverse_move); if that overshoots j's position, i moves fully and j partially.
    dp = full_j * a_p
    mi = dp * st[:, _K_I]
    over = mi > full_i
    mi = np.where(over, full_i, mi)
    dq = mi * a_q
    dp = np.where(over, dq / r_qp, dp)
    mj = np.where(over, dp / a_p, full_j)
    mi = mi * sign_i
    mj = mj * sign_j
    gain = np.abs(dq * st[:, _S_IQ] - dp * st[:, _S_IP])  # calculations.expected_utility
    valid = (
        (gain >= GAIN_MIN)
        & _move_ok(mi, xi_s, hist_i, lower, upper)
        & _move_ok(mj, xj_s, hist_j, lower, upper)
    )

    # check_nbs, first for i (supply q) then for j (supply p): if the expected outcome would
    # pass the partner's position, cut the move so that it lands exactly there.
    probes = []
    was_cut = np.zeros(valid.shape, dtype=bool)
    for side in (0, 1):
        if side == 0:
            rest, own, a, w, d, xs, x0 = *nbs_i, a_q, st[:, _W_IQ], st[:, _D_Q], xi_s, st[:, _X0_IQ]
            target, move = st[:, _XJ_D], mi
        else:
            rest, own, a, w, d, xs, x0 = *nbs_j, a_p, st[:, _W_JP], st[:, _D_P], xj_s, st[:, _X0_JP]
            target, move = st[:, _XI_D], mj
        base = (rest - w * x0) / d  # outcome without this actor's own term
        t0 = target - (base + a * xs)  # partner's position minus outcome before ...
        t1 = t0 - a * move  # ... and after the move (adjusted_nbs)
        cut = valid & (np.minimum(t0, t1) < -POS_TOL) & (np.maximum(t0, t1) > POS_TOL)
        probes += [t0, t1]
        if not cut.any():
            continue
        was_cut |= cut
        pos = np.where(np.isnan(own), xs, own)  # adjusted_nbs_by_position lets updates win
        shift = np.abs(target - (base + a * pos))  # exchange_ratio of the cut move
        if side == 0:
            new_dq, new_dp = shift, shift / r_qp
            new_mi, new_mj = shift / a_q * sign_i, new_dp / a_p * sign_j
        else:
            new_dp, new_dq = shift, shift * r_qp
            new_mi, new_mj = new_dq / a_q * sign_i, shift / a_p * sign_j
        dp = np.where(cut, new_dp, dp)
        dq = np.where(cut, new_dq, dq)
        mi = np.where(cut, new_mi, mi)
        mj = np.where(cut, new_mj, mj)
        gain = np.where(cut, np.abs(dq * st[:, _S_IQ] - dp * st[:, _S_IP]), gain)

    # the gain threshold applies before check_nbs only; the moves are checked again after it
    valid &= _move_ok(mi, xi_s, hist_i, lower, upper) & _move_ok(mj, xj_s, hist_j, lower, upper)
    return mi, mj, dp, dq, gain, valid, (*probes, was_cut)


def candidate_exchanges(
    X: np.ndarray,
    S: np.ndarray,
    C: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    lower: float = LOWER,
    upper: float = UPPER,
) -> Candidates:
    """Find every feasible exchange (all actor pairs x issue pairs) and its equal-gain moves.

    Positions must lie on the ``[lower, upper]`` scale (the reference hard-codes 0-100).
    Power ``C`` may be per actor (n,) or per actor-issue (n, k); ``mask`` marks present cells.
    """
    Xc, Sc, W, present = _prepare(X, S, C, mask)
    if np.any(present & ((Xc < lower) | (Xc > upper))):
        raise ValueError(f"positions must lie in [{lower}, {upper}]")
    den = W.sum(axis=0)
    num = (W * Xc).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        nbs = np.where(den > 0, num / den, np.nan)
    left = Xc <= nbs[None, :]  # base.py ActorIssue.is_left_to_nbs

    a1, a2, p, q = _pair_indices(left, present)
    # AbstractExchange.__init__: the actor with the higher s_p / s_q demands p (is "i")
    swap = Sc[a1, p] / Sc[a1, q] < Sc[a2, p] / Sc[a2, q]
    i = np.where(swap, a2, a1)
    j = np.where(swap, a1, a2)

    st = np.empty((i.size, _N_STATIC), order="F")  # columns contiguous while building
    st[:, _S_IP], st[:, _S_IQ], st[:, _S_JP], st[:, _S_JQ] = Sc[i, p], Sc[i, q], Sc[j, p], Sc[j, q]
    st[:, _W_IQ], st[:, _W_JP] = W[i, q], W[j, p]
    st[:, _XI_D], st[:, _XJ_D] = Xc[i, p], Xc[j, q]
    st[:, _X0_IQ], st[:, _X0_JP] = Xc[i, q], Xc[j, p]
    st[:, _D_P], st[:, _D_Q] = den[p], den[q]
    st[:, _T_P], st[:, _T_Q] = num[p], num[q]
    # outcome shift on q per unit shift on p that equalises the gains (by_exchange_ratio)
    st[:, _RQP] = (st[:, _S_IP] + st[:, _S_JP]) / (st[:, _S_IQ] + st[:, _S_JQ])
    st[:, _A_P] = st[:, _W_JP] / st[:, _D_P]  # outcome shift per unit move of j on p
    st[:, _A_Q] = st[:, _W_IQ] / st[:, _D_Q]  # outcome shift per unit move of i on q
    st[:, _K_I] = st[:, _RQP] / st[:, _A_Q]  # i's move on q per unit outcome shift on p

    no_hist = (np.zeros(i.size), np.zeros(i.size))
    no_own = np.full(i.size, np.nan)
    mi, mj, dp, dq, gain, valid, probes = _evaluate(
        st,
        st[:, _X0_IQ],
        st[:, _X0_JP],
        no_hist,
        no_hist,
        (st[:, _T_Q], no_own),
        (st[:, _T_P], no_own),
        lower,
        upper,
    )
    return Candidates(
        i=i,
        j=j,
        p=p,
        q=q,
        gain=gain,
        move_i=mi,
        move_j=mj,
        y_i=st[:, _X0_IQ] + mi,
        y_j=st[:, _X0_JP] + mj,
        shift_p=dp,
        shift_q=dq,
        valid=valid,
        static=st,
        X0=Xc,
        W=W,
        lower=lower,
        upper=upper,
        probes=np.stack(probes, 1),
    )


def _cell_index(cells: np.ndarray, n_cells: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR index from cell id to the positions in ``cells`` holding it."""
    small = np.int16 if n_cells <= np.iinfo(np.int16).max else cells.dtype
    order = np.argsort(cells.astype(small), kind="stable")  # radix sort for small ints
    starts = np.zeros(n_cells + 1, dtype=np.int64)
    np.cumsum(np.bincount(cells, minlength=n_cells), out=starts[1:])
    return order, starts


# Row-major tables of the exchanges in play (one gather fetches a row's whole state).
_I_I, _I_J, _I_P, _I_Q, _I_SUP_I, _I_SUP_J, _I_DEM_I, _I_DEM_J = range(8)
_D_XI, _D_XJ, _D_MI, _D_MJ, _D_DP, _D_DQ, _D_GAIN, _D_HID, _D_HIS, _D_HJD, _D_HJS = range(11)
_D_PROBES = slice(11, 16)  # check_nbs probes: t0_i, t1_i, t0_j, t1_j, was_cut
_D_T0_I, _D_T0_J = 11, 13  # partner's position minus the outcome, before the move
_N_DYN = 16


class _Pool:
    """The exchanges still in play during selection, with indexes for fast updates.

    ``ids``: actors, issues and the cells each role supplies (moves on) and demands;
    ``dyn``: current positions, moves, shifts, gain and each role's earlier moves this round
    (direction and sum: base.py keeps them as "moves" lists); ``score``: gain, -inf once out.
    """

    def __init__(self, cands: Candidates, keep: np.ndarray) -> None:
        self.n_cells = cands.X0.size
        k = cands.X0.shape[1]
        m = keep.size
        i, j, p, q = cands.i[keep], cands.j[keep], cands.p[keep], cands.q[keep]
        cols = [i, j, p, q, i * k + q, j * k + p, i * k + p, j * k + q]
        self.ids = np.stack(cols, 1).astype(np.int32 if self.n_cells < 2**31 else np.int64)
        self.st = np.ascontiguousarray(cands.static[keep])
        self.dyn = np.zeros((m, _N_DYN))
        self.dyn[:, _D_XI] = self.st[:, _X0_IQ]
        self.dyn[:, _D_XJ] = self.st[:, _X0_JP]
        self.dyn[:, _D_MI], self.dyn[:, _D_MJ] = cands.move_i[keep], cands.move_j[keep]
        self.dyn[:, _D_DP], self.dyn[:, _D_DQ] = cands.shift_p[keep], cands.shift_q[keep]
        self.dyn[:, _D_GAIN] = cands.gain[keep]
        self.dyn[:, _D_PROBES] = cands.probes[keep]
        self.score = cands.gain[keep]
        self.n_alive = m
        self._index()

    def _index(self) -> None:
        """(Re)build the cell indexes and block maxima for the current rows."""
        m = self.m = self.ids.shape[0]
        ids = self.ids
        self.sup = _cell_index(np.concatenate([ids[:, _I_SUP_I], ids[:, _I_SUP_J]]), self.n_cells)
        self.dem = _cell_index(np.concatenate([ids[:, _I_DEM_I], ids[:, _I_DEM_J]]), self.n_cells)
        nb = -(-m // _BLOCK)
        padded = np.full(nb * _BLOCK, -np.inf)
        padded[:m] = self.score[:m]
        self.score = padded
        self.blocks = padded.reshape(nb, _BLOCK)
        self.bmax = self.blocks.max(axis=1)
        self.stamp = np.full(m, -1, dtype=np.int64)

    def compact(self) -> None:
        """Drop removed rows (keeping candidate order) and rebuild the indexes."""
        keep = np.flatnonzero(self.score[: self.m] > -np.inf)
        self.ids, self.st, self.dyn = (
            np.take(a, keep, axis=0) for a in (self.ids, self.st, self.dyn)
        )
        self.score = self.score[keep]
        self.n_alive = keep.size
        self._index()

    def best(self, tie_tol: float, rng: np.random.Generator | None) -> int:
        """Row of the highest gain (ties: earliest row, or random with ``rng``); -1 if none."""
        b = int(np.argmax(self.bmax))
        top = self.bmax[b]
        if top == -np.inf:
            return -1
        thr = top - _tie_gap(top, tie_tol)
        tb = np.flatnonzero(self.bmax >= thr)
        if tb.size == 1 and rng is None:
            return b * _BLOCK + int(np.argmax(self.blocks[b] >= thr))
        rows = (tb[:, None] * _BLOCK + np.arange(_BLOCK))[self.blocks[tb] >= thr]
        return int(rows[0] if rng is None or rows.size == 1 else rng.choice(rows))

    def top_rows(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``count`` best alive rows and their scores, by score then row."""
        nb = self.bmax.size
        blks = np.argpartition(self.bmax, -count)[-count:] if nb > count else np.arange(nb)
        rows = (blks[:, None] * _BLOCK + np.arange(_BLOCK)).ravel()
        scores = self.blocks[blks].ravel()
        alive = scores > -np.inf
        rows, scores = rows[alive], scores[alive]
        order = np.lexsort((rows, -scores))[:count]
        return rows[order], scores[order]

    def rescore(self, rows: np.ndarray, scores: np.ndarray) -> None:
        """Set new scores of distinct rows (-inf removes a row) and refresh the block maxima."""
        was = self.score[rows] > -np.inf
        self.n_alive += int(np.count_nonzero(scores > -np.inf)) - int(np.count_nonzero(was))
        self.score[rows] = scores
        blk = rows // _BLOCK
        if blk.size > 1:  # drop adjacent repeats (rows usually come sorted); others are harmless
            blk = blk[np.flatnonzero(np.diff(blk, prepend=-1))]
        self.bmax[blk] = self.blocks[blk].max(axis=1)

    def set_dyn(self, rows: np.ndarray, values: np.ndarray) -> None:
        """dyn[rows] = values, copying whole rows as raw bytes (faster than fancy assignment)."""
        row = np.dtype((np.void, self.dyn.shape[1] * self.dyn.itemsize))
        self.dyn.view(row).reshape(-1)[rows] = np.ascontiguousarray(values).view(row).reshape(-1)

    def rows_with(self, sup_cells: tuple[int, ...], dem_cells: tuple[int, ...]) -> np.ndarray:
        """Alive rows with a supply cell in ``sup_cells`` or a demand cell in ``dem_cells``."""
        parts = []
        for (order, starts), cells in ((self.sup, sup_cells), (self.dem, dem_cells)):
            parts += [order[starts[x] : starts[x + 1]] for x in cells]
        rows = np.concatenate(parts)
        rows[rows >= self.m] -= self.m  # the second half of an index holds the j roles
        rows = rows[self.score[rows] > -np.inf]
        pos = np.arange(rows.size)  # keep the first occurrence of each row, without sorting
        self.stamp[rows] = pos
        return rows[self.stamp[rows] == pos]


def _select_once(cands: Candidates, keep: np.ndarray) -> np.ndarray:
    """Greedy scan in gain order: take an exchange unless one of its actor-issues is used."""
    k = cands.X0.shape[1]
    order = keep[np.argsort(-cands.gain[keep], kind="stable")]  # ties: earliest first
    i, j, p, q = cands.i[order], cands.j[order], cands.p[order], cands.q[order]
    cells = np.stack([i * k + q, j * k + p, i * k + p, j * k + q])  # (4, m)
    used = np.zeros(cands.X0.size, dtype=bool)
    taken: list[int] = []
    start, size = 0, 64
    while start < order.size:
        chunk = cells[:, start : start + size]
        free = np.flatnonzero(~used[chunk].any(axis=0))
        for t in free.tolist():  # the few still free: sequential within the chunk
            four = chunk[:, t]
            if not used[four].any():
                used[four] = True
                taken.append(start + t)
        start += size
        size = min(size * 2, 65536) if free.size < size // 8 else size
    t = order[np.array(taken, dtype=np.int64)]
    out = np.zeros(t.size, dtype=REALISED_DTYPE)
    st = cands.static
    for name, values in (
        ("i", cands.i[t]),
        ("j", cands.j[t]),
        ("p", cands.p[t]),
        ("q", cands.q[t]),
        ("gain", cands.gain[t]),
        ("x_i", st[t, _X0_IQ]),
        ("y_i", np.clip(cands.y_i[t], cands.lower, cands.upper)),
        ("x_j", st[t, _X0_JP]),
        ("y_j", np.clip(cands.y_j[t], cands.lower, cands.upper)),
        ("shift_p", cands.shift_p[t]),
        ("shift_q", cands.shift_q[t]),
        ("nbs_p", st[t, _T_P] / st[t, _D_P]),  # no recalculation: the round's start outcomes
        ("nbs_q", st[t, _T_Q] / st[t, _D_Q]),
    ):
        out[name] = values
    return out


def select_exchanges(
    cands: Candidates,
    *,
    rule: Literal["reference", "once"] = "reference",
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Realise exchanges highest gain first until none is left; return a REALISED_DTYPE array.

    ``rule="reference"`` follows ModelLoop.loop / highest_gain / remove_invalid_exchanges: every
    exchange sharing an actor-issue with the realised one is recalculated from the new positions
    (an actor may move again on an issue, in the same direction).  ``rule="once"`` (not in the
    reference; much faster) instead drops every exchange that shares an actor-issue with a
    realised one, so each actor-issue takes part in at most one exchange per round.  Gains
    within ``TIE_TOL`` (relative) of the best are tied; ties go to the earliest candidate, or to
    a random one if ``rng`` is given (under "once" only exact ties count, and go to the earliest).
    """
    if rule not in ("reference", "once"):
        raise ValueError(f"rule must be 'reference' or 'once'; got {rule!r}")
    keep = np.flatnonzero(cands.valid)  # invalid candidates are dropped at the first removal
    if keep.size == 0:
        return np.zeros(0, dtype=REALISED_DTYPE)
    if rule == "once":
        return _select_once(cands, keep)
    pool = _Pool(cands, keep)
    run = _Round(pool, cands)
    out: list[tuple] = []
    while True:
        if pool.m > 8 * _BLOCK and pool.n_alive < pool.m // 2:
            pool.compact()
        members = run.next_members(TIE_TOL, rng)
        if members.size == 0:
            break
        out.extend(run.realise(members, TIE_TOL))
    return np.array(out, dtype=REALISED_DTYPE)


_BATCH = 16  # how many of the best exchanges a batch may realise at once


def members_standing(recalculated: np.ndarray, gains: np.ndarray, tie_tol: float) -> int:
    """How many of a batch's first members stand, given each member's gain and the best score
    its recalculations gave: a member stands only if no exchange recalculated by the members
    before it now scores within the tie tolerance of its gain or above it, since one at a time
    that exchange would go first or tie with it (a tie is settled by `_Pool.best`)."""
    running = np.maximum.accumulate(recalculated)
    for s in range(1, gains.size):
        if running[s - 1] >= gains[s] - _tie_gap(gains[s], tie_tol):
            return s
    return gains.size


class _Round:
    """Realises exchanges in batches that give exactly the reference's one-by-one sequence.

    The best exchanges that share no actor-issue with each other are realised together; every
    exchange they affect is recalculated once per realised exchange, in order.  A member that
    the recalculations of earlier members could overtake is rolled back and retried later.
    """

    def __init__(self, pool: _Pool, cands: Candidates) -> None:
        self.pool = pool
        self.n, self.k = cands.X0.shape
        self.X0, self.W = cands.X0, cands.W
        self.lower, self.upper = cands.lower, cands.upper
        # Reference "updates": positions of partners that moved on an issue an actor demanded,
        # keyed by the demanding actor-issue, so that all exchanges can share one table.
        self.upd = np.full((self.n, self.k, self.n), np.nan)
        self.upd_sum = np.zeros((self.n, self.k))  # sum of W[u, r] * (upd - X0[u, r])
        self.upd_flat, self.upd_sum_flat = self.upd.reshape(-1), self.upd_sum.reshape(-1)
        self.writer = np.full(self.n * self.k, -1, dtype=np.int64)  # batch slot per cell

    def next_members(self, tie_tol: float, rng: np.random.Generator | None) -> np.ndarray:
        """Rows to realise next: the best, plus following ones that cannot interfere."""
        pool = self.pool
        rows, scores = pool.top_rows(_BATCH + 1)
        if rows.size == 0:
            return rows
        gap = [_tie_gap(g, tie_tol) for g in scores.tolist()]
        if rows.size > 1 and scores[0] - scores[1] <= gap[0]:
            return np.array([pool.best(tie_tol, rng)])  # a tie: settle it on its own
        cells = pool.ids[rows][:, _I_SUP_I:].tolist()  # sup_i, sup_j, dem_i, dem_j
        sup, dem = set(cells[0][:2]), set(cells[0][2:])
        last = rows.size - 1 if rows.size == _BATCH + 1 else rows.size
        t = 1
        while t < last:
            if t + 1 < rows.size and scores[t] - scores[t + 1] <= gap[t]:
                break  # its order relative to the next one is a tie
            s2, d2 = set(cells[t][:2]), set(cells[t][2:])
            if s2 & sup or d2 & dem:
                break  # an earlier member would recalculate it
            sup |= s2
            dem |= d2
            t += 1
        return rows[:t]

    def _write_updates(self, a: int, r: int, u: int, y: float) -> float:
        """Record u's new position y on issue r for actor a (recalculate / update_updates);
        return the change in the table's weighted sum."""
        old = self.upd[a, r, u]
        if np.isnan(old):
            new, prev = y, self.X0[u, r]
        else:
            new = min(old, y) if self.X0[u, r] <= old else max(old, y)
            prev = old
        self.upd[a, r, u] = new
        delta = self.W[u, r] * (new - prev)
        self.upd_sum[a, r] += delta
        return delta

    def realise(self, members: np.ndarray, tie_tol: float) -> list[tuple]:
        """Realise ``members`` in order and recalculate what they affect; keep the longest prefix
        that no earlier member's recalculations overtook (`members_standing`), roll the rest back
        and return the kept members' records."""
        pool, k = self.pool, self.k
        t = members.size
        ids, dyn = pool.ids[members], pool.dyn[members]
        e_i, e_j, e_p, e_q = ids[:, _I_I], ids[:, _I_J], ids[:, _I_P], ids[:, _I_Q]
        x_i, x_j = dyn[:, _D_XI], dyn[:, _D_XJ]
        y_i = np.clip(x_i + dyn[:, _D_MI], self.lower, self.upper)
        y_j = np.clip(x_j + dyn[:, _D_MJ], self.lower, self.upper)
        gains = dyn[:, _D_GAIN].copy()
        st = pool.st[members]
        nbs_p, nbs_q = st[:, _XI_D] - dyn[:, _D_T0_J], st[:, _XJ_D] - dyn[:, _D_T0_I]
        cols = (e_i, e_j, e_p, e_q, gains, x_i, y_i, x_j, y_j, dyn[:, _D_DP], dyn[:, _D_DQ],
                nbs_p, nbs_q)
        records = list(zip(*(col.tolist() for col in cols), strict=True))
        pool.rescore(members, np.full(t, -np.inf))

        # updates tables; the values before the batch are kept for versioned reads
        cells = np.stack([ids[:, _I_DEM_J], ids[:, _I_DEM_I]], 1).ravel()  # 2 per member
        a_r = np.divmod(cells, k)
        pre_row = self.upd[a_r[0], a_r[1]]  # (2t, n) copy
        pre_sum = self.upd_sum[a_r[0], a_r[1]]
        self.writer[cells] = np.arange(2 * t)
        delta = np.empty(2 * t)  # change of each written cell's weighted sum ...
        who = np.empty(2 * t, dtype=np.int64)  # ... and whose position it records
        for s, (ei, ej, ep, eq) in enumerate(ids[:, :4].tolist()):
            delta[2 * s] = self._write_updates(ej, eq, ei, float(y_i[s]))
            delta[2 * s + 1] = self._write_updates(ei, ep, ej, float(y_j[s]))
            who[2 * s], who[2 * s + 1] = ei, ej

        # rows each member affects; then passes over every row's events in member order
        hits = [pool.rows_with(tuple(row[:2]), tuple(row[2:])) for row in ids[:, 4:].tolist()]
        rows = np.concatenate(hits)
        ev = np.repeat(np.arange(t), [h.size for h in hits])
        order = np.lexsort((ev, rows))
        rows, ev = rows[order], ev[order]
        new_row = np.ones(rows.size, dtype=bool)
        new_row[1:] = rows[1:] != rows[:-1]
        starts = np.flatnonzero(new_row)
        rank = np.arange(rows.size) - np.repeat(starts, np.diff(np.append(starts, rows.size)))
        ev_best = np.full(t, -np.inf)  # best recalculated score per member's event
        moved = (ids[:, _I_SUP_I], ids[:, _I_SUP_J], y_i, y_j)
        passes = []
        for rnk in range(int(rank.max()) + 1 if rows.size else 0):
            sel = rank == rnk
            passes.append(
                self._pass(rows[sel], ev[sel], moved, (pre_row, pre_sum, delta, who), ev_best)
            )

        accepted = members_standing(ev_best, gains, tie_tol)
        if accepted < t:  # undo everything done for the later members
            for hit, hit_ev, saved, saved_score in reversed(passes):
                back = hit_ev >= accepted
                if back.any():
                    pool.set_dyn(hit[back], saved[back])
                    pool.rescore(hit[back], saved_score[back])
            for slot in range(2 * accepted, 2 * t):
                self.upd[a_r[0][slot], a_r[1][slot]] = pre_row[slot]
                self.upd_sum[a_r[0][slot], a_r[1][slot]] = pre_sum[slot]
            pool.rescore(members[accepted:], gains[accepted:])
        self.writer[cells] = -1
        return records[:accepted]

    def _pass(
        self,
        hit: np.ndarray,
        ev: np.ndarray,
        moved: tuple[np.ndarray, ...],
        written: tuple[np.ndarray, ...],
        ev_best: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Recalculate distinct rows ``hit``, each for the realised member ``ev``.

        EqualGainExchange.recalculate: the moved supply positions and move histories, the
        updates tables, then calculate().  ``moved``: each member's moved cells and new
        positions; ``written``: each written table cell's row and sum before the batch, the
        change of its sum and whose position it records.  Returns what undoes the pass.
        """
        pool = self.pool
        alive = pool.score[hit] > -np.inf  # an exchange made invalid earlier is gone for good
        hit, ev = hit[alive], ev[alive]
        ids, old, sh = (np.take(a, hit, axis=0) for a in (pool.ids, pool.dyn, pool.st))
        old_score = pool.score[hit]
        new = old.copy()
        sup_i, sup_j, y_i, y_j = (v[ev] for v in moved)
        pre_row, pre_sum, delta, who = written
        # A role whose supply cell moved keeps its previous move in its history
        # (invalidate_exchange_by_supply); any other role's previous move is discarded.
        supply_hit = np.zeros(hit.size, dtype=bool)
        turned = np.zeros(hit.size, dtype=bool)  # a moved role now has to go back: invalid
        for cell, x, mv, hdir, hsum, target in (
            (ids[:, _I_SUP_I], _D_XI, _D_MI, _D_HID, _D_HIS, sh[:, _XJ_D]),
            (ids[:, _I_SUP_J], _D_XJ, _D_MJ, _D_HJD, _D_HJS, sh[:, _XI_D]),
        ):
            on_i, on_j = cell == sup_i, cell == sup_j
            hist = on_i | on_j
            supply_hit |= hist
            new[:, hdir] = np.where(hist, np.sign(old[:, mv]), old[:, hdir])
            new[:, hsum] += np.where(hist, old[:, mv], 0.0)
            new[:, x] = np.where(on_i, y_i, np.where(on_j, y_j, old[:, x]))
            turned |= hist & (np.sign(target - new[:, x]) * old[:, mv] <= 0)

        # The expected outcome as each mover sees it: its own recorded position apart, and a
        # table cell written by a later batch member read as it was before the batch.
        nbs, shifts = [], []
        for dem, mover, w_col, x0_col, t_col, d_col in (
            (ids[:, _I_DEM_J], ids[:, _I_I], _W_IQ, _X0_IQ, _T_Q, _D_Q),  # i moves on q
            (ids[:, _I_DEM_I], ids[:, _I_J], _W_JP, _X0_JP, _T_P, _D_P),  # j moves on p
        ):
            own = self.upd_flat[dem.astype(np.int64) * self.n + mover]
            total = self.upd_sum_flat[dem]
            slot = self.writer[dem]
            later = (slot >= 0) & (slot // 2 > ev)
            if later.any():
                own = np.where(later, pre_row[slot, mover], own)
                total = np.where(later, pre_sum[slot], total)
            rest = sh[:, t_col] + total
            rest -= np.where(np.isnan(own), 0.0, sh[:, w_col] * (own - sh[:, x0_col]))
            nbs.append((rest, own))
            # how far this member's write moved the outcome this mover sees
            now = (slot >= 0) & (slot // 2 == ev) & (who[slot] != mover)
            shifts.append(np.where(now, delta[slot], 0.0) / sh[:, d_col])

        # An exchange reached only through a demanded issue, not cut before and not crossing
        # its partner now, would be recalculated to exactly its present state: skip it.
        t0i, t1i, t0j, t1j, was_cut = (old[:, c] for c in range(11, 16))
        t0i, t1i, t0j, t1j = t0i - shifts[0], t1i - shifts[0], t0j - shifts[1], t1j - shifts[1]
        cross_i = (np.minimum(t0i, t1i) < -POS_TOL) & (np.maximum(t0i, t1i) > POS_TOL)
        cross_j = (np.minimum(t0j, t1j) < -POS_TOL) & (np.maximum(t0j, t1j) > POS_TOL)
        redo = (supply_hit | (was_cut > 0) | cross_i | cross_j) & ~turned
        new[:, 11], new[:, 12], new[:, 13], new[:, 14] = t0i, t1i, t0j, t1j
        score = np.where(turned, -np.inf, old_score)
        if redo.any():
            r = np.flatnonzero(redo)
            nr = new[r]
            mi, mj, dp, dq, gain, valid, probes = _evaluate(
                sh[r],
                nr[:, _D_XI],
                nr[:, _D_XJ],
                (nr[:, _D_HID], nr[:, _D_HIS]),
                (nr[:, _D_HJD], nr[:, _D_HJS]),
                (nbs[0][0][r], nbs[0][1][r]),
                (nbs[1][0][r], nbs[1][1][r]),
                self.lower,
                self.upper,
            )
            nr[:, _D_MI], nr[:, _D_MJ], nr[:, _D_DP], nr[:, _D_DQ] = mi, mj, dp, dq
            nr[:, _D_GAIN] = gain
            nr[:, _D_PROBES] = np.stack(probes, 1)
            new[r] = nr
            score[r] = np.where(valid, gain, -np.inf)
        pool.set_dyn(hit, new)
        pool.rescore(hit, score)
        np.maximum.at(ev_best, ev, score)
        return hit, ev, old, old_score


def next_start_positions(
    X: np.ndarray,
    S: np.ndarray,
    realised: np.ndarray,
    *,
    salience_weight: float = SALIENCE_WEIGHT,
    fixed_weight: float = FIXED_WEIGHT,
) -> np.ndarray:
    """Next round's positions: x + ((1 - s) * sw + fw) * (y - x) for every moved cell, the share
    capped at 1 (weights summing above 1 would carry a member past its voting position).

    ``y`` is the cell's last voting position this round (calculations.new_start_position,
    ModelLoop.loop).  ``salience_weight=0, fixed_weight=1`` keeps the voting positions.
    """
    X = np.asarray(X, dtype=np.float64)
    S = np.asarray(S, dtype=np.float64)
    k = X.shape[1]
    # moved cells and their y in realisation order; a later exchange of a cell starts from the
    # earlier one's y, so the last one is final (ModelLoop.loop writes them in this order)
    cells = np.stack([realised["i"] * k + realised["q"], realised["j"] * k + realised["p"]], 1)
    ys = np.stack([realised["y_i"], realised["y_j"]], 1).ravel()
    cells = cells.ravel()
    uniq, first_from_end = np.unique(cells[::-1], return_index=True)
    Y = X.copy()
    Y.flat[uniq] = ys[cells.size - 1 - first_from_end]
    share = np.minimum((1.0 - S) * salience_weight + fixed_weight, 1.0)  # never past y
    return X + share * (Y - X)


# The columns of decide-exchange-model's per-round exchange files for its equal-gain model
# (csvWriter.py, the header it writes for an equal-gain Exchange, into
# output/<data>/exchanges/<round>.output.csv):
# i's actor and supply issue, j's actor and supply issue, the equal gain; i's position on its
# supply issue before the exchange, move, voting position y and the position it moves toward
# (j's, on i's supply issue); the same for j; the outcome shifts on p and q; and the expected
# outcome of i's and of j's supply issue before (nbs_0) and after (nbs_1) the move.
REFERENCE_COLUMNS = (
    "actor_name", "supply", "actor_name", "supply", "gain",
    "supply", "move", "y", "demand",
    "supply", "move", "y", "demand",
    "dp", "dq", "nbs_0", "nbs_1", "nbs_0", "nbs_1",
)  # fmt: skip


def reference_rows(
    realised: np.ndarray, X: np.ndarray, actors: Sequence[str], issues: Sequence[str]
) -> list[tuple]:
    """One row per realised exchange in REFERENCE_COLUMNS; ``X``: the round's start positions."""
    rows = []
    for r in realised.tolist():
        rec = dict(zip(REALISED_DTYPE.names, r, strict=True))
        i, j, p, q = rec["i"], rec["j"], rec["p"], rec["q"]
        move_i, move_j = rec["y_i"] - rec["x_i"], rec["y_j"] - rec["x_j"]
        rows.append((
            actors[i], issues[q], actors[j], issues[p], rec["gain"],
            rec["x_i"], move_i, rec["y_i"], float(X[j, q]),
            rec["x_j"], move_j, rec["y_j"], float(X[i, p]),
            rec["shift_p"], rec["shift_q"],
            rec["nbs_q"], rec["nbs_q"] + math.copysign(rec["shift_q"], move_i),
            rec["nbs_p"], rec["nbs_p"] + math.copysign(rec["shift_p"], move_j),
        ))  # fmt: skip
    return rows


def exchange_round(
    X: np.ndarray,
    S: np.ndarray,
    C: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    rule: Literal["reference", "once"] = "reference",
    salience_weight: float = SALIENCE_WEIGHT,
    fixed_weight: float = FIXED_WEIGHT,
    rng: np.random.Generator | None = None,
    lower: float = LOWER,
    upper: float = UPPER,
) -> tuple[np.ndarray, np.ndarray]:
    """One round: find, evaluate and realise exchanges; return (next positions, realised)."""
    cands = candidate_exchanges(X, S, C, mask, lower=lower, upper=upper)
    realised = select_exchanges(cands, rule=rule, rng=rng)
    new_X = next_start_positions(
        X, S, realised, salience_weight=salience_weight, fixed_weight=fixed_weight
    )
    return new_X, realised

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

Deliberate deviations: float64 instead of ``decimal.Decimal``; exact ties in gain are broken by
candidate order (or uniformly at random with ``rng``) instead of the reference's coin flip, whose
second branch also duplicates the runner-up in its list; cells with salience or power 0 (or
masked out) are left out of exchanges (the reference's reader drops salience-0 rows and divides
by zero on power 0).  Note that the reference does *not* limit an actor-issue to one realised
exchange per round: an actor may move again on the same issue, in the same direction, after its
exchanges are recalculated, and this module does the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LOWER = 0.0
UPPER = 100.0
GAIN_MIN = 1e-10  # equalgain.py: an exchange with a gain below this is not valid
MOVE_MIN = 1e-10  # base.py is_move_valid: a move of at most this size is not valid
# Float64 slack for position comparisons that are exact in the reference's Decimal arithmetic
# (an outcome landing exactly on a partner's position, a full move landing on the bound).
POS_TOL = 1e-9

REALISED_DTYPE = np.dtype(
    [
        ("i", np.int64),  # actor that gives way on q (demands p)
        ("j", np.int64),  # actor that gives way on p (demands q)
        ("p", np.int64),  # lower-numbered issue of the pair; i's demand, j's supply issue
        ("q", np.int64),  # higher-numbered issue; i's supply, j's demand issue
        ("gain", np.float64),  # equal expected-utility gain of each actor
        ("x_i", np.float64),  # i's position on q before this exchange
        ("y_i", np.float64),  # i's new (voting) position on q
        ("x_j", np.float64),  # j's position on p before this exchange
        ("y_j", np.float64),  # j's new (voting) position on p
        ("shift_p", np.float64),  # move of the expected outcome on p
        ("shift_q", np.float64),  # move of the expected outcome on q
    ]
)

# Columns of the static per-candidate table (gathered row-wise for speed).
_S_IP, _S_IQ, _S_JP, _S_JQ, _W_IQ, _W_JP, _XI_D, _XJ_D, _X0_IQ, _X0_JP = range(10)
_D_P, _D_Q, _T_P, _T_Q = range(10, 14)
_N_STATIC = 14


def _prepare(
    X: np.ndarray, S: np.ndarray, C: np.ndarray, mask: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate inputs; return X, S, weights W = C*S (0 where absent), presence mask, power."""
    X = np.asarray(X, dtype=np.float64)
    S = np.asarray(S, dtype=np.float64)
    if X.ndim != 2 or S.shape != X.shape:
        raise ValueError(f"X and S must both be (n actors, k issues); got {X.shape}, {S.shape}")
    Cf = np.asarray(C, dtype=np.float64)
    if Cf.ndim == 1:
        Cf = np.broadcast_to(Cf[:, None], X.shape)
    if Cf.shape != X.shape:
        raise ValueError(f"C must be (n,) or (n, k); got {np.shape(C)}")
    present = np.ones(X.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if present.shape != X.shape:
        raise ValueError(f"mask must be (n, k); got {present.shape}")
    present = present & (S > 0) & (Cf > 0)
    W = np.where(present, Cf * S, 0.0)
    return np.where(present, X, 0.0), S, W, present, Cf


def expected_outcomes(
    X: np.ndarray, S: np.ndarray, C: np.ndarray, mask: np.ndarray | None = None
) -> np.ndarray:
    """Power x salience weighted mean position per issue (the reference's "nbs"); NaN if empty."""
    Xc, _, W, _, _ = _prepare(X, S, C, mask)
    den = W.sum(axis=0)
    num = (W * Xc).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


@dataclass
class Candidates:
    """All feasible exchanges of a round, each evaluated at the round's starting positions.

    Arrays have one entry per candidate, in the reference's order (issue pairs in index order,
    then group A x D and B x C actor pairs).  ``valid`` marks candidates that could be realised.
    """

    i: np.ndarray
    j: np.ndarray
    p: np.ndarray
    q: np.ndarray
    gain: np.ndarray
    move_i: np.ndarray
    move_j: np.ndarray
    y_i: np.ndarray
    y_j: np.ndarray
    shift_p: np.ndarray
    shift_q: np.ndarray
    valid: np.ndarray
    # context needed to recalculate exchanges during selection
    static: np.ndarray  # (m, _N_STATIC) per-candidate constants
    X0: np.ndarray  # (n, k) starting positions (0 where absent)
    W: np.ndarray  # (n, k) power x salience (0 where absent)
    lower: float = LOWER
    upper: float = UPPER

    def __len__(self) -> int:
        return int(self.i.shape[0])


def _pair_indices(
    left: np.ndarray, present: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Actor pairs (first, second) and issue pairs (p < q) on opposite sides on both issues."""
    n, k = left.shape
    firsts, seconds, ps, qs = [], [], [], []
    for p in range(k - 1):
        for q in range(p + 1, k):
            both = present[:, p] & present[:, q]
            g = left[:, p].astype(np.int8) + 2 * left[:, q].astype(np.int8)
            for g1, g2 in ((0, 3), (1, 2)):  # groups A x D, then B x C (base.py order)
                a1 = np.flatnonzero(both & (g == g1))
                a2 = np.flatnonzero(both & (g == g2))
                if a1.size == 0 or a2.size == 0:
                    continue
                firsts.append(np.repeat(a1, a2.size))
                seconds.append(np.tile(a2, a1.size))
                ps.append(np.full(a1.size * a2.size, p))
                qs.append(np.full(a1.size * a2.size, q))
    if not firsts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty
    return (
        np.concatenate(firsts).astype(np.int64),
        np.concatenate(seconds).astype(np.int64),
        np.concatenate(ps).astype(np.int64),
        np.concatenate(qs).astype(np.int64),
    )


def _move_ok(
    move: np.ndarray,
    x: np.ndarray,
    pmin: np.ndarray,
    pmax: np.ndarray,
    psum: np.ndarray,
    lower: float,
    upper: float,
) -> np.ndarray:
    """base.py is_move_valid: size, bounds, sum and same direction as this round's earlier moves."""
    a = np.abs(move)
    new = x + move
    mn = np.minimum(pmin, move)
    mx = np.maximum(pmax, move)
    return (
        (a <= upper - lower + POS_TOL)
        & (a > MOVE_MIN)
        & (new >= lower - POS_TOL)
        & (new <= upper + POS_TOL)
        & (psum + move <= upper - lower + POS_TOL)
        & (((mn < 0) & (mx < 0)) | ((mn > 0) & (mx > 0)))
    )


def _evaluate(
    st: np.ndarray,
    xi_s: np.ndarray,
    xj_s: np.ndarray,
    hist_i: tuple[np.ndarray, np.ndarray, np.ndarray],
    hist_j: tuple[np.ndarray, np.ndarray, np.ndarray],
    nbs_i: tuple[np.ndarray, np.ndarray],
    nbs_j: tuple[np.ndarray, np.ndarray],
    lower: float,
    upper: float,
) -> tuple[np.ndarray, ...]:
    """Equal-gain moves for a batch of exchanges (EqualGainExchange.calculate + check_nbs).

    ``st`` holds the static columns; ``xi_s`` / ``xj_s`` the current positions of i on q and j on
    p; ``hist_*`` the (min, max, sum) of earlier moves this round; ``nbs_i`` / ``nbs_j`` the
    other actors' contribution to the outcome numerator on q / p and the actor's own recorded
    position there (NaN if none).  Returns move_i, move_j, shift_p, shift_q, gain, valid.
    """
    s_ip, s_iq, s_jp, s_jq = st[:, _S_IP], st[:, _S_IQ], st[:, _S_JP], st[:, _S_JQ]
    w_iq, w_jp = st[:, _W_IQ], st[:, _W_JP]
    xi_d, xj_d = st[:, _XI_D], st[:, _XJ_D]
    d_p, d_q = st[:, _D_P], st[:, _D_Q]

    # q-shift per unit p-shift that equalises the two gains (calculations.by_exchange_ratio)
    r_qp = (s_ip + s_jp) / (s_iq + s_jq)
    full_j = np.abs(xi_d - xj_s)  # j moves all the way to i's position on p
    full_i = np.abs(xj_d - xi_s)  # i moves all the way to j's position on q

    dp = full_j * w_jp / d_p  # calculations.by_absolute_move
    dq = dp * r_qp
    mi = dq * d_q / w_iq  # calculations.reverse_move
    mj = full_j.copy()
    over = np.abs(mi) > full_i  # i would overshoot: i moves fully, j partially
    dq = np.where(over, full_i * w_iq / d_q, dq)
    dp = np.where(over, dq / r_qp, dp)
    mi = np.where(over, full_i, mi)
    mj = np.where(over, dp * d_p / w_jp, mj)

    sign_i = np.where(xi_s > xj_d, -1.0, 1.0)
    sign_j = np.where(xj_s > xi_d, -1.0, 1.0)
    mi = mi * sign_i
    mj = mj * sign_j
    gain = np.abs(dq * s_iq - dp * s_ip)

    valid = (
        _move_ok(mi, xi_s, *hist_i, lower, upper)
        & _move_ok(mj, xj_s, *hist_j, lower, upper)
        & (gain >= GAIN_MIN)
    )

    # check_nbs for i (supply q), then for j (supply p): cut the move so the expected
    # outcome does not pass the partner's position.
    for side in ("i", "j"):
        if side == "i":
            rest, own, w, d, xs, x0, target = nbs_i[0], nbs_i[1], w_iq, d_q, xi_s, st[:, _X0_IQ], xj_d
            move = mi
        else:
            rest, own, w, d, xs, x0, target = nbs_j[0], nbs_j[1], w_jp, d_p, xj_s, st[:, _X0_JP], xi_d
            move = mj
        base = rest - w * x0  # numerator without this actor's own term
        nbs0 = (base + w * xs) / d
        nbs1 = (base + w * (xs + move)) / d
        above = (target - nbs0 >= -POS_TOL) & (target - nbs1 >= -POS_TOL)
        below = (target - nbs0 <= POS_TOL) & (target - nbs1 <= POS_TOL)
        cut = valid & ~(above | below)
        if not cut.any():
            continue
        pos = np.where(np.isnan(own), xs, own)  # adjusted_nbs_by_position lets updates win
        delta = np.abs((target - (base + w * pos) / d) * d / w)
        shift = delta * w / d  # calculations.exchange_ratio
        if side == "i":
            new_dq, new_dp = shift, shift / r_qp
            new_mi, new_mj = delta * sign_i, np.abs(new_dp * d_p / w_jp) * sign_j
        else:
            new_dp, new_dq = shift, shift * r_qp
            new_mj, new_mi = delta * sign_j, np.abs(new_dq * d_q / w_iq) * sign_i
        dp = np.where(cut, new_dp, dp)
        dq = np.where(cut, new_dq, dq)
        mi = np.where(cut, new_mi, mi)
        mj = np.where(cut, new_mj, mj)
        gain = np.where(cut, np.abs(dq * s_iq - dp * s_ip), gain)

    checked = valid  # exchanges that reached check_nbs keep their gain test; moves re-checked
    valid = (
        checked
        & _move_ok(mi, xi_s, *hist_i, lower, upper)
        & _move_ok(mj, xj_s, *hist_j, lower, upper)
    )
    return mi, mj, dp, dq, gain, valid


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

    ``X`` must be on the ``[lower, upper]`` scale (the reference hard-codes 0-100).
    """
    Xc, Sf, W, present, _ = _prepare(X, S, C, mask)
    den = W.sum(axis=0)
    num = (W * Xc).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        nbs = np.where(den > 0, num / den, np.nan)
    left = Xc <= nbs[None, :]  # base.py ActorIssue.is_left_to_nbs

    a1, a2, p, q = _pair_indices(left, present)
    # AbstractExchange.__init__: the actor with the higher s_p / s_q demands p (is "i")
    swap = Sf[a1, p] / Sf[a1, q] < Sf[a2, p] / Sf[a2, q]
    i = np.where(swap, a2, a1)
    j = np.where(swap, a1, a2)

    st = np.empty((i.size, _N_STATIC))
    st[:, _S_IP], st[:, _S_IQ] = Sf[i, p], Sf[i, q]
    st[:, _S_JP], st[:, _S_JQ] = Sf[j, p], Sf[j, q]
    st[:, _W_IQ], st[:, _W_JP] = W[i, q], W[j, p]
    st[:, _XI_D], st[:, _XJ_D] = Xc[i, p], Xc[j, q]
    st[:, _X0_IQ], st[:, _X0_JP] = Xc[i, q], Xc[j, p]
    st[:, _D_P], st[:, _D_Q] = den[p], den[q]
    st[:, _T_P], st[:, _T_Q] = num[p], num[q]

    empty_hist = (np.full(i.size, np.inf), np.full(i.size, -np.inf), np.zeros(i.size))
    no_own = np.full(i.size, np.nan)
    mi, mj, dp, dq, gain, valid = _evaluate(
        st,
        st[:, _X0_IQ],
        st[:, _X0_JP],
        empty_hist,
        empty_hist,
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
    )


def _cell_index(cells: np.ndarray, n_cells: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR index from cell id to the positions in ``cells`` holding it."""
    order = np.argsort(cells, kind="stable")
    starts = np.zeros(n_cells + 1, dtype=np.int64)
    np.cumsum(np.bincount(cells, minlength=n_cells), out=starts[1:])
    return order, starts


def select_exchanges(
    cands: Candidates,
    *,
    rng: np.random.Generator | None = None,
    tie_tol: float = 1e-12,
) -> np.ndarray:
    """Realise exchanges highest gain first, recalculating affected ones, until none is left.

    Follows ModelLoop.loop / highest_gain / remove_invalid_exchanges of the reference.  Gains
    within ``tie_tol`` (relative) of the best count as tied; ties go to the earliest candidate,
    or to a uniformly random one if ``rng`` is given.  Returns a ``REALISED_DTYPE`` array.
    """
    n, k = cands.X0.shape
    keep = np.flatnonzero(cands.valid)  # invalid candidates are dropped at the first removal
    m = keep.size
    out = np.zeros(0, dtype=REALISED_DTYPE)
    if m == 0:
        return out
    ci, cj, cp, cq = cands.i[keep], cands.j[keep], cands.p[keep], cands.q[keep]
    st = cands.static[keep]
    gain = cands.gain[keep].copy()
    mi, mj = cands.move_i[keep].copy(), cands.move_j[keep].copy()
    dp, dq = cands.shift_p[keep].copy(), cands.shift_q[keep].copy()
    xi_s, xj_s = st[:, _X0_IQ].copy(), st[:, _X0_JP].copy()
    # earlier moves of the same role this round: min, max, sum (base.py "moves" lists)
    hi_min, hi_max, hi_sum = np.full(m, np.inf), np.full(m, -np.inf), np.zeros(m)
    hj_min, hj_max, hj_sum = np.full(m, np.inf), np.full(m, -np.inf), np.zeros(m)
    score = gain.copy()  # -inf once removed

    # Reference "updates": positions of partners that moved on an issue an actor demanded.
    # They are keyed by the demanding actor-issue cell, so they can be shared by all exchanges.
    upd = np.full((n, k, n), np.nan)
    upd_sum = np.zeros((n, k))  # sum over recorded u of W[u, r] * (upd - X0[u, r])
    X0, W = cands.X0, cands.W

    n_cells = n * k
    sup_cells = np.concatenate([ci * k + cq, cj * k + cp])  # i supplies q, j supplies p
    dem_cells = np.concatenate([ci * k + cp, cj * k + cq])  # i demands p, j demands q
    sup_order, sup_start = _cell_index(sup_cells, n_cells)
    dem_order, dem_start = _cell_index(dem_cells, n_cells)
    lower, upper = cands.lower, cands.upper
    rows = []

    while True:
        best = int(np.argmax(score))
        top = score[best]
        if not np.isfinite(top):
            break
        tied = np.flatnonzero(score >= top - tie_tol * max(abs(top), 1.0))
        if tied.size > 1:
            best = int(tied[0] if rng is None else rng.choice(tied))
        e_i, e_j, e_p, e_q = ci[best], cj[best], cp[best], cq[best]
        y_i = min(max(xi_s[best] + mi[best], lower), upper)
        y_j = min(max(xj_s[best] + mj[best], lower), upper)
        rows.append(
            (e_i, e_j, e_p, e_q, gain[best], xi_s[best], y_i, xj_s[best], y_j, dp[best], dq[best])
        )
        score[best] = -np.inf

        # record the partners' new positions for the demanding cells (recalculate/update_updates)
        for a, r, u, y in ((e_j, e_q, e_i, y_i), (e_i, e_p, e_j, y_j)):
            old = upd[a, r, u]
            if np.isnan(old):
                new, prev = y, X0[u, r]
            else:
                new = min(old, y) if X0[u, r] <= old else max(old, y)
                prev = old
            upd[a, r, u] = new
            upd_sum[a, r] += W[u, r] * (new - prev)

        # exchanges sharing a supply cell or a demand cell with the realised one
        c_i, c_j = e_i * k + e_q, e_j * k + e_p
        d_i, d_j = e_i * k + e_p, e_j * k + e_q
        parts = [
            sup_order[sup_start[c] : sup_start[c + 1]] for c in (c_i, c_j)
        ] + [dem_order[dem_start[c] : dem_start[c + 1]] for c in (d_i, d_j)]
        hit = np.unique(np.concatenate(parts) % m)
        hit = hit[np.isfinite(score[hit])]
        if hit.size == 0:
            continue

        cell_iq = ci[hit] * k + cq[hit]
        cell_jp = cj[hit] * k + cp[hit]
        match_i = (cell_iq == c_i) | (cell_iq == c_j)
        match_j = (cell_jp == c_i) | (cell_jp == c_j)
        # a role whose supply cell moved keeps its previous move in its history
        # (invalidate_exchange_by_supply); otherwise the previous move is discarded.
        hm = hit[match_i]
        hi_min[hm] = np.minimum(hi_min[hm], mi[hm])
        hi_max[hm] = np.maximum(hi_max[hm], mi[hm])
        hi_sum[hm] += mi[hm]
        hm = hit[match_j]
        hj_min[hm] = np.minimum(hj_min[hm], mj[hm])
        hj_max[hm] = np.maximum(hj_max[hm], mj[hm])
        hj_sum[hm] += mj[hm]
        xi_s[hit] = np.where(cell_iq == c_i, y_i, np.where(cell_iq == c_j, y_j, xi_s[hit]))
        xj_s[hit] = np.where(cell_jp == c_i, y_i, np.where(cell_jp == c_j, y_j, xj_s[hit]))

        h_i, h_j, h_p, h_q = ci[hit], cj[hit], cp[hit], cq[hit]
        sh = st[hit]
        # outcome on q as seen by i (demander j): others' recorded updates, own update apart
        own_i = upd[h_j, h_q, h_i]
        rest_i = sh[:, _T_Q] + upd_sum[h_j, h_q] - np.where(
            np.isnan(own_i), 0.0, sh[:, _W_IQ] * (own_i - sh[:, _X0_IQ])
        )
        own_j = upd[h_i, h_p, h_j]
        rest_j = sh[:, _T_P] + upd_sum[h_i, h_p] - np.where(
            np.isnan(own_j), 0.0, sh[:, _W_JP] * (own_j - sh[:, _X0_JP])
        )
        r_mi, r_mj, r_dp, r_dq, r_gain, r_valid = _evaluate(
            sh,
            xi_s[hit],
            xj_s[hit],
            (hi_min[hit], hi_max[hit], hi_sum[hit]),
            (hj_min[hit], hj_max[hit], hj_sum[hit]),
            (rest_i, own_i),
            (rest_j, own_j),
            lower,
            upper,
        )
        mi[hit], mj[hit], dp[hit], dq[hit], gain[hit] = r_mi, r_mj, r_dp, r_dq, r_gain
        score[hit] = np.where(r_valid, r_gain, -np.inf)

    if rows:
        out = np.array(rows, dtype=REALISED_DTYPE)
    return out


def next_start_positions(
    X: np.ndarray,
    S: np.ndarray,
    realised: np.ndarray,
    *,
    salience_weight: float = 0.4,
    fixed_weight: float = 0.1,
) -> np.ndarray:
    """Positions for the next round: x + ((1 - s) * sw + fw) * (y - x) for every moved cell.

    ``y`` is the last voting position of the cell this round (calculations.new_start_position;
    ModelLoop.loop).  Use ``salience_weight=0, fixed_weight=1`` to keep the voting positions.
    """
    X = np.asarray(X, dtype=np.float64)
    S = np.asarray(S, dtype=np.float64)
    Y = X.copy()
    # later exchanges start from earlier ones' y, so the last write per cell is the final y
    Y[realised["i"], realised["q"]] = realised["y_i"]
    Y[realised["j"], realised["p"]] = realised["y_j"]
    return X + ((1.0 - S) * salience_weight + fixed_weight) * (Y - X)


def exchange_round(
    X: np.ndarray,
    S: np.ndarray,
    C: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    salience_weight: float = 0.4,
    fixed_weight: float = 0.1,
    rng: np.random.Generator | None = None,
    lower: float = LOWER,
    upper: float = UPPER,
) -> tuple[np.ndarray, np.ndarray]:
    """One round: find, evaluate and realise exchanges; return (next positions, realised)."""
    cands = candidate_exchanges(X, S, C, mask, lower=lower, upper=upper)
    realised = select_exchanges(cands, rng=rng)
    new_X = next_start_positions(
        X, S, realised, salience_weight=salience_weight, fixed_weight=fixed_weight
    )
    return new_X, realised

"""The exchange round under `exchange_rule: once`, compiled: the same exchanges, in the same order,
as `exchange.candidate_exchanges` followed by `exchange.select_exchanges(rule="once")`.

That pair is the readable statement of the rule (numpy over every candidate); this kernel is what
the exchange protocol runs, because a member-state round has up to ~220,000 candidates of which a
few hundred are realised. It differs in how it finds them, not in what it finds:
- each candidate is evaluated by the same floating-point operations in the same order (several
  at a time by the processor's vector instructions, each as if alone), so gains and moves are
  equal to the bit;
- instead of sorting every candidate by gain, it puts them in buckets of gain (a counting sort
  on the gains' leading bits) and goes through the buckets from the highest: it drops the
  candidates that share an actor-issue with an exchange already realised, sorts the rest by
  gain and realises them in that order unless an earlier one of them took one of their
  actor-issues. Every candidate of a bucket ranks below every one of the buckets before it, so
  the sequence is the full sort's, ties included (equal gains go to the earlier candidate, in
  the reference's order), and each candidate is looked at once or twice, not sorted.
`tests/test_exchange_once.py` checks the equality on random and MC11 rounds.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from simulation.engine.exchange import (
    FIXED_WEIGHT,
    GAIN_MIN,
    LOWER,
    MOVE_MIN,
    POS_TOL,
    REALISED_DTYPE,
    SALIENCE_WEIGHT,
    UPPER,
    _prepare,
    next_start_positions,
)

_BUCKETS = 4096  # most buckets of gain the selection sorts its candidates into (`_gain_buckets`)


@njit(cache=True)
def _move_ok(move, x, lower, upper):
    """exchange._move_ok for a role without earlier moves this round."""
    new = x + move
    return (abs(move) > MOVE_MIN and new >= lower - POS_TOL and new <= upper + POS_TOL
            and move <= upper - lower + POS_TOL and 0.0 * move >= 0)


@njit(cache=True, inline="always")
def equal_gain_moves(di, dj, a_p, a_q, r_qp, s_ip, s_iq):
    """exchange._evaluate's moves: i toward j's position on q (distance di), j toward i's on p
    (dj), sized so that both gain the same, the larger capped at its full distance:
    (mi, mj, dp, dq, gain). Both compiled exchange rules inline it."""
    k_i = r_qp / a_q
    full_i, full_j = abs(di), abs(dj)
    dp = full_j * a_p
    mi = dp * k_i
    over = mi > full_i
    if over:
        mi = full_i
    dq = mi * a_q
    if over:
        dp = dq / r_qp
    mj = dp / a_p if over else full_j
    return mi * np.sign(di), mj * np.sign(dj), dp, dq, abs(dq * s_iq - dp * s_ip)


@njit(cache=True, inline="always")
def cut_moves(shift, on_q, di, dj, a_p, a_q, r_qp, s_ip, s_iq):
    """check_nbs' cut: the moves when the outcome of q (`on_q`; else of p) is shifted by only
    `shift`, to land on the partner's position: (mi, mj, dp, dq, gain)."""
    if on_q:
        dq, dp = shift, shift / r_qp
        mi, mj = shift / a_q * np.sign(di), dp / a_p * np.sign(dj)
    else:
        dp, dq = shift, shift * r_qp
        mi, mj = dq / a_q * np.sign(di), shift / a_p * np.sign(dj)
    return mi, mj, dp, dq, abs(dq * s_iq - dp * s_ip)


@njit(cache=True, inline="always")
def _evaluate(s_ip, s_iq, s_jp, s_jq, a_p, a_q, xi_d, xj_d, x0_iq, x0_jp, e_iq, e_jp, lower,
              upper):
    """exchange._evaluate of one candidate at the round's start: (mi, mj, dp, dq, gain, valid).

    a_p = W[j, p] / den[p] and a_q = W[i, q] / den[q] (outcome shift per unit move); e_iq and
    e_jp: the expected outcome as its mover computes it, base + a * x (see `_round_constants`).
    """
    r_qp = (s_ip + s_jp) / (s_iq + s_jq)
    di = xj_d - x0_iq
    dj = xi_d - x0_jp
    mi, mj, dp, dq, gain = equal_gain_moves(di, dj, a_p, a_q, r_qp, s_ip, s_iq)
    valid = (gain >= GAIN_MIN and _move_ok(mi, x0_iq, lower, upper)
             and _move_ok(mj, x0_jp, lower, upper))
    if not valid:
        return mi, mj, dp, dq, gain, False
    # check_nbs, i (supply q) first: a move carrying the outcome past the partner's position is
    # cut to land there (t0, t1: partner's position minus the outcome before and after the move)
    t0 = xj_d - e_iq
    t1 = t0 - a_q * mi
    if min(t0, t1) < -POS_TOL and max(t0, t1) > POS_TOL:
        mi, mj, dp, dq, gain = cut_moves(abs(t0), True, di, dj, a_p, a_q, r_qp, s_ip, s_iq)
    t0 = xi_d - e_jp
    t1 = t0 - a_p * mj
    if min(t0, t1) < -POS_TOL and max(t0, t1) > POS_TOL:
        mi, mj, dp, dq, gain = cut_moves(abs(t0), False, di, dj, a_p, a_q, r_qp, s_ip, s_iq)
    valid = _move_ok(mi, x0_iq, lower, upper) and _move_ok(mj, x0_jp, lower, upper)
    return mi, mj, dp, dq, gain, valid


def _round_constants(X: np.ndarray, W: np.ndarray, den: np.ndarray,
                     num: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per actor-issue: A = W / den, the outcome's shift per unit move, and E = base + A * X,
    the expected outcome as that actor computes it in check_nbs (base: the outcome without its
    own term). The same operations as exchange._evaluate, once per cell instead of per
    candidate."""
    with np.errstate(invalid="ignore", divide="ignore"):
        A = W / den[None, :]
        E = (num[None, :] - W * X) / den[None, :] + A * X
    return A, E


# Rows of a pair of issues' table of members (`_candidates`): what an exchange between two of them
# reads of each, on issues p and q.
_RATIO, _S_P, _S_Q, _A_P, _A_Q, _X_P, _X_Q, _E_P, _E_Q = range(9)


@njit(cache=True, inline="always")
def _of(one, others, v, row, other):
    """Row `row` of the other member (column v of `others`) if `other`, else of `one`."""
    return others[row, v] if other else one[row]


@njit(cache=True, inline="always")
def _gains_with(one, others, count, lower, upper, gain, valid):
    """The gains and validity of the exchanges of issues p and q between one member and each of
    the first `count` columns of `others` (the pair's table of the other group). Each is
    `_evaluate`d as the candidate it is (the higher s_p / s_q demands p, is i); the loop has no
    other branches, so the compiler evaluates several pairs at a time (AVX), each to the bit
    as alone. `one` holds the member's column as a tuple of values: from the table itself the
    compiler chose between two addresses and gathered, 1.4 times slower (2026-12-05)."""
    for v in range(count):
        other_is_i = one[_RATIO] < others[_RATIO, v]
        gain[v], valid[v] = _evaluate(
            _of(one, others, v, _S_P, other_is_i), _of(one, others, v, _S_Q, other_is_i),
            _of(one, others, v, _S_P, not other_is_i), _of(one, others, v, _S_Q, not other_is_i),
            _of(one, others, v, _A_P, not other_is_i), _of(one, others, v, _A_Q, other_is_i),
            _of(one, others, v, _X_P, other_is_i), _of(one, others, v, _X_Q, not other_is_i),
            _of(one, others, v, _X_Q, other_is_i), _of(one, others, v, _X_P, not other_is_i),
            _of(one, others, v, _E_Q, other_is_i), _of(one, others, v, _E_P, not other_is_i),
            lower, upper)[4:]


@njit(cache=True, error_model="numpy")
def _candidates(X, S, A, E, present, left, lower, upper, evaluate):
    """exchange.candidate_exchanges, valid ones only, in the reference's order (issue pairs,
    then groups A x D and B x C, then actor pairs): actors i, j, issues p, q and gains.

    Without `evaluate`, every pair across the outcome on both issues, unevaluated (no gains):
    the reference rule evaluates each candidate when its selection starts, and evaluating it
    here as well cost 6% of its round (2026-12-03). Divisions follow numpy (as the rule's
    statement does), which lets the compiler vectorise `_gains_with`."""
    n, k = X.shape
    size = 0
    for p in range(k - 1):
        for q in range(p + 1, k):
            counts = np.zeros(4, dtype=np.int64)
            for a in range(n):
                if present[a, p] and present[a, q]:
                    counts[left[a, p] + 2 * left[a, q]] += 1
            size += counts[0] * counts[3] + counts[1] * counts[2]
    ci = np.empty(size, dtype=np.int32)
    cj = np.empty(size, dtype=np.int32)
    cp = np.empty(size, dtype=np.int32)
    cq = np.empty(size, dtype=np.int32)
    gains = np.empty(size if evaluate else 0)
    m = 0
    members = np.empty((4, n), dtype=np.int64)
    table = np.empty((4, 9, n))  # the pair's members of each group (rows _RATIO ... _E_Q)
    gain = np.empty(n)
    valid = np.empty(n, dtype=np.bool_)
    for p in range(k - 1):
        for q in range(p + 1, k):
            counts = np.zeros(4, dtype=np.int64)
            for a in range(n):
                if present[a, p] and present[a, q]:
                    g = left[a, p] + 2 * left[a, q]
                    members[g, counts[g]] = a
                    counts[g] += 1
            for g in range(4):
                for u in range(counts[g]):
                    a, column = members[g, u], table[g, :, u]
                    column[_RATIO] = S[a, p] / S[a, q]
                    if evaluate:
                        column[_S_P], column[_S_Q] = S[a, p], S[a, q]
                        column[_A_P], column[_A_Q] = A[a, p], A[a, q]
                        column[_X_P], column[_X_Q] = X[a, p], X[a, q]
                        column[_E_P], column[_E_Q] = E[a, p], E[a, q]
            for g1 in range(2):
                g2 = 3 - g1
                others = table[g2]
                for u in range(counts[g1]):
                    a1 = members[g1, u]
                    column = table[g1, :, u]
                    one = (column[0], column[1], column[2], column[3], column[4], column[5],
                           column[6], column[7], column[8])
                    if evaluate:
                        _gains_with(one, others, counts[g2], lower, upper, gain, valid)
                    for v in range(counts[g2]):
                        if evaluate and not valid[v]:
                            continue
                        a2 = members[g2, v]
                        # AbstractExchange.__init__: the higher s_p / s_q demands p (is i)
                        swap = one[_RATIO] < others[_RATIO, v]
                        ci[m], cj[m] = (a2, a1) if swap else (a1, a2)
                        cp[m], cq[m] = p, q
                        if evaluate:
                            gains[m] = gain[v]
                        m += 1
    return ci[:m], cj[:m], cp[:m], cq[:m], gains[:m]


@njit(cache=True)
def _gain_buckets(ci, cj, cp, cq, gains, k):
    """The candidates in buckets of gain, highest first, by a counting sort on the gains' bits
    (positive floats order as their bit patterns do; at most _BUCKETS buckets): (starts, rows,
    cells). Bucket b holds rows[starts[b]:starts[b + 1]], in candidate order, and cells the
    four actor-issues of each (those exchange._select_once marks used)."""
    bits = gains.view(np.int64)  # valid gains are at least GAIN_MIN > 0
    low, high = bits.min(), bits.max()
    shift = 0
    while (high - low) >> shift >= _BUCKETS:
        shift += 1
    last = (high - low) >> shift
    starts = np.zeros(last + 2, dtype=np.int64)
    for row in range(gains.size):
        starts[last - ((bits[row] - low) >> shift) + 1] += 1
    starts = np.cumsum(starts)
    fill = starts[:-1].copy()
    rows = np.empty(gains.size, dtype=np.int64)
    cells = np.empty((gains.size, 4), dtype=np.int32)
    for row in range(gains.size):
        bucket = last - ((bits[row] - low) >> shift)
        at = fill[bucket]
        rows[at] = row
        cells[at, 0], cells[at, 1] = ci[row] * k + cq[row], cj[row] * k + cp[row]
        cells[at, 2], cells[at, 3] = ci[row] * k + cp[row], cj[row] * k + cq[row]
        fill[bucket] += 1
    return starts, rows, cells


@njit(cache=True, inline="always")
def _free(used, cells, at):
    """None of the four actor-issues in row `at` of `_gain_buckets`' cells is used yet."""
    return not (used[cells[at, 0]] or used[cells[at, 1]] or used[cells[at, 2]]
                or used[cells[at, 3]])


@njit(cache=True)
def _select(ci, cj, cp, cq, gains, n, k):
    """exchange._select_once: rows of the candidates realised under the once rule, in
    realisation order."""
    taken = np.empty(min(gains.size, n * k), dtype=np.int64)
    if gains.size == 0:
        return taken
    starts, rows, cells = _gain_buckets(ci, cj, cp, cq, gains, k)
    used = np.zeros(n * k, dtype=np.bool_)
    free = np.empty(gains.size, dtype=np.int64)
    count = 0
    for bucket in range(starts.size - 1):
        size = 0
        for at in range(starts[bucket], starts[bucket + 1]):
            if _free(used, cells, at):
                free[size] = at
                size += 1
        if size > 1:  # the bucket's candidates still possible, by gain (ties: earlier first)
            free[:size] = free[:size][np.argsort(-gains[rows[free[:size]]], kind="mergesort")]
        for at in free[:size]:
            if _free(used, cells, at):
                for c in range(4):
                    used[cells[at, c]] = True
                taken[count] = rows[at]
                count += 1
    return taken[:count]


@njit(cache=True)
def _records(X, S, A, E, den, num, ci, cj, cp, cq, taken, lower, upper):
    """The realised exchanges' fields (exchange.REALISED_DTYPE order), as exchange._select_once
    reports them."""
    out = np.empty((taken.size, 13))
    for t in range(taken.size):
        row = taken[t]
        i, j, p, q = ci[row], cj[row], cp[row], cq[row]
        mi, mj, dp, dq, gain, _ = _evaluate(
            S[i, p], S[i, q], S[j, p], S[j, q], A[j, p], A[i, q], X[i, p], X[j, q], X[i, q],
            X[j, p], E[i, q], E[j, p], lower, upper)
        fields = (float(i), float(j), float(p), float(q), gain, X[i, q],
                  min(max(X[i, q] + mi, lower), upper), X[j, p],
                  min(max(X[j, p] + mj, lower), upper), dp, dq, num[p] / den[p], num[q] / den[q])
        for column in range(13):
            out[t, column] = fields[column]
    return out


def exchange_round_once(
    X: np.ndarray,
    S: np.ndarray,
    C: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    salience_weight: float = SALIENCE_WEIGHT,
    fixed_weight: float = FIXED_WEIGHT,
    lower: float = LOWER,
    upper: float = UPPER,
) -> tuple[np.ndarray, np.ndarray]:
    """`exchange.exchange_round(..., rule="once")`, compiled: (next positions, realised)."""
    Xc, Sc, _, den, num, A, E, (ci, cj, cp, cq, gains) = round_start(X, S, C, mask, lower, upper)
    n, k = Xc.shape
    taken = _select(ci, cj, cp, cq, gains, n, k)
    fields = _records(Xc, Sc, A, E, den, num, ci, cj, cp, cq, taken, lower, upper)
    return round_end(X, S, fields, salience_weight, fixed_weight)


class RoundStart(NamedTuple):
    """What both compiled rules start a round from: the prepared positions, saliences and
    weights, the expected outcomes' denominators and numerators, `_round_constants`' A and E,
    and the candidates (i, j, p, q, gain at the round's start)."""

    X: np.ndarray
    S: np.ndarray
    W: np.ndarray
    den: np.ndarray
    num: np.ndarray
    A: np.ndarray
    E: np.ndarray
    candidates: tuple[np.ndarray, ...]


def round_start(X, S, C, mask, lower: float, upper: float,
                evaluate: bool = True) -> RoundStart:
    """Prepare a round as exchange.candidate_exchanges does and list its candidates (without
    `evaluate`, all pairs across the outcome, see `_candidates`); positions off the scale are
    refused."""
    Xc, Sc, W, present = _prepare(X, S, C, mask)
    if np.any(present & ((Xc < lower) | (Xc > upper))):
        raise ValueError(f"positions must lie in [{lower}, {upper}]")
    den = W.sum(axis=0)
    num = (W * Xc).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        nbs = np.where(den > 0, num / den, np.nan)
    left = (Xc <= nbs[None, :]).astype(np.int64)
    A, E = _round_constants(Xc, W, den, num)
    return RoundStart(Xc, Sc, W, den, num, A, E,
                      _candidates(Xc, Sc, A, E, present, left, lower, upper, evaluate))


def round_end(X, S, fields: np.ndarray, salience_weight: float,
              fixed_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """The realised exchanges (one row of `fields` each, columns as REALISED_DTYPE) as records,
    and the next round's start positions."""
    realised = np.zeros(fields.shape[0], dtype=REALISED_DTYPE)
    for column, name in enumerate(REALISED_DTYPE.names):
        realised[name] = fields[:, column]
    new_X = next_start_positions(X, S, realised, salience_weight=salience_weight,
                                 fixed_weight=fixed_weight)
    return new_X, realised

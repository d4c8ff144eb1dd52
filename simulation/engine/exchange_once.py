"""The exchange round under `exchange_rule: once`, compiled: the same exchanges, in the same order,
as `exchange.candidate_exchanges` followed by `exchange.select_exchanges(rule="once")`.

That pair is the readable statement of the rule (numpy over every candidate); this kernel is what
the exchange protocol runs, because a member-state round has up to ~220,000 candidates of which a
few hundred are realised. It differs in how it finds them, not in what it finds:
- each candidate is evaluated by the same floating-point operations in the same order (scalar
  instead of vectorised), so gains and moves are equal to the bit;
- instead of sorting every candidate by gain, it sorts the best few hundred still possible (a
  partition by gain), realises what it can among them in gain order, drops every candidate that
  shares an actor-issue with a realised exchange, and repeats. All candidates left outside a
  batch rank below all inside it, so the sequence is the full sort's, ties included (equal gains
  go to the earlier candidate, in the reference's order).
`tests/test_exchange_once.py` checks the equality on random and MC11 rounds.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from simulation.engine.exchange import (
    GAIN_MIN,
    LOWER,
    MOVE_MIN,
    POS_TOL,
    REALISED_DTYPE,
    UPPER,
    _prepare,
    next_start_positions,
)

_FIRST_BATCH = 1024  # candidates sorted in a selection batch (doubling while few are taken)


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


@njit(cache=True)
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


@njit(cache=True)
def _candidates(X, S, A, E, present, left, lower, upper, evaluate):
    """exchange.candidate_exchanges, valid ones only, in the reference's order (issue pairs,
    then groups A x D and B x C, then actor pairs): actors i, j, issues p, q and gains.

    Without `evaluate`, every pair across the outcome on both issues, unevaluated (no gains):
    the reference rule evaluates each candidate when its selection starts, and evaluating it
    here as well cost 6% of its round (2026-12-03)."""
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
    ratio = np.empty(n)
    for p in range(k - 1):
        for q in range(p + 1, k):
            counts = np.zeros(4, dtype=np.int64)
            for a in range(n):
                if present[a, p] and present[a, q]:
                    g = left[a, p] + 2 * left[a, q]
                    members[g, counts[g]] = a
                    counts[g] += 1
                    ratio[a] = S[a, p] / S[a, q]
            for g1 in range(2):
                g2 = 3 - g1
                for u in range(counts[g1]):
                    a1 = members[g1, u]
                    for v in range(counts[g2]):
                        a2 = members[g2, v]
                        # AbstractExchange.__init__: the higher s_p / s_q demands p (is i)
                        i, j = (a2, a1) if ratio[a1] < ratio[a2] else (a1, a2)
                        if not evaluate:
                            ci[m], cj[m], cp[m], cq[m] = i, j, p, q
                            m += 1
                            continue
                        _, _, _, _, gain, valid = _evaluate(
                            S[i, p], S[i, q], S[j, p], S[j, q], A[j, p], A[i, q], X[i, p],
                            X[j, q], X[i, q], X[j, p], E[i, q], E[j, p], lower, upper)
                        if valid:
                            ci[m], cj[m], cp[m], cq[m], gains[m] = i, j, p, q, gain
                            m += 1
    return ci[:m], cj[:m], cp[:m], cq[:m], gains[:m]


@njit(cache=True)
def _select(ci, cj, cp, cq, gains, n, k):
    """exchange._select_once: rows of the candidates realised under the once rule, in
    realisation order."""
    used = np.zeros(n * k, dtype=np.bool_)
    alive = np.arange(gains.size)
    taken = np.empty(min(gains.size, n * k), dtype=np.int64)
    count = 0
    batch = _FIRST_BATCH
    threshold = np.inf
    while alive.size > 0:
        if alive.size > batch:
            threshold = -np.partition(-gains[alive], batch - 1)[batch - 1]
            top = alive[gains[alive] >= threshold]
        else:
            top = alive
        order = top[np.argsort(-gains[top], kind="mergesort")]  # ties: earlier candidate
        before = count
        for row in order:
            a = ci[row] * k + cq[row]
            b = cj[row] * k + cp[row]
            c = ci[row] * k + cp[row]
            d = cj[row] * k + cq[row]
            if not (used[a] or used[b] or used[c] or used[d]):
                used[a] = used[b] = used[c] = used[d] = True
                taken[count] = row
                count += 1
        if count - before < batch // 8:
            batch *= 2
        keep = np.empty(alive.size, dtype=np.int64)
        kept = 0
        cut = top.size < alive.size
        for row in alive:
            if cut and gains[row] >= threshold:
                continue  # sorted in this batch
            if not (used[ci[row] * k + cq[row]] or used[cj[row] * k + cp[row]]
                    or used[ci[row] * k + cp[row]] or used[cj[row] * k + cq[row]]):
                keep[kept] = row
                kept += 1
        alive = keep[:kept] if cut else keep[:0]
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
    salience_weight: float = 0.4,
    fixed_weight: float = 0.1,
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

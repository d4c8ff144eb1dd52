"""One round of the challenge model, compiled: what the challenge protocol runs each month.

`engine.challenge` is the readable statement of the model (numpy over (n, n, k) dyad arrays,
tested against the published worked example); this kernel computes the same round issue by
issue in one pass, keeping only n x n scratch arrays, so that a month of the MC11 ensemble costs
milliseconds. It follows `challenge.challenge_round` step by step (the function each loop
implements is named in its comment); sums run in another order and powers are exp(r log x), so
results agree to rounding (tests/test_challenge_kernel.py: 1e-9 on the 0-100 scale), not bit
for bit.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from simulation.engine.challenge import (
    CAPITULATION,
    COMPROMISE,
    CONFRONTATION,
    NONE,
    SAME_POSITION,
    TIE,
    ChallengeParameters,
    _check,
    starting_range,
)

_FAR = 1e300  # challenge._FAR: an offer out of the running


@njit(cache=True)
def _weighted_median(x, w, order):
    """challenge.weighted_median of one issue; `order`: the stable sort of x."""
    n = x.size
    total = 0.0
    for v in range(n):
        total += w[order[v]]
    if not total > 0:
        return np.median(x)
    half, tol = 0.5 * total, 1e-12 * max(total, 1e-300)
    cum, lo, hi = 0.0, -1, -1
    for v in range(n):
        cum += w[order[v]]
        if lo < 0 and cum >= half - tol:
            lo = v
        if hi < 0 and cum > half + tol:
            hi = v
    if hi < 0:
        hi = lo
    return 0.5 * (x[order[lo]] + x[order[hi]])


@njit(cache=True)
def _voters_below(x, order):
    """challenge._Votes (its `below`): (n, n) how many voters sit below the midpoint of x_i
    and x_j (np.searchsorted in the sorted positions), by one sweep per actor in sorted order."""
    n = x.size
    xs = x[order]
    below = np.empty((n, n), dtype=np.int64)
    for a in range(n):
        p = 0
        for b in range(a, n):
            middle = 0.5 * (x[order[a]] + x[order[b]])
            while p < n and xs[p] < middle:
                p += 1
            below[order[a], order[b]] = p
            below[order[b], order[a]] = p
    return below


@njit(cache=True)
def _votes(x, w, r, order, below, distance, log_distance, use_r, support):
    """challenge._Votes.support of one issue into `support` (n, n): votes for x_i over x_j,
    from prefix sums over the voters in sorted order; `use_r` False is every r = 1
    (d^r = exp(r log d), from the shared `log_distance`)."""
    n = x.size
    prefix = np.empty((n + 1, n))  # prefix[v, j]: sum over the v lowest voters of w d_vj^r_v
    prefix[0] = 0.0
    for v in range(n):
        voter = order[v]
        for j in range(n):
            if use_r:
                u = math.exp(r[voter] * log_distance[voter, j]) * w[voter]
            else:
                u = distance[voter, j] * w[voter]
            prefix[v + 1, j] = prefix[v, j] + u
    for i in range(n):
        support[i, i] = 0.0
        for j in range(i + 1, n):
            m = below[i, j]
            difference = prefix[m, j] - prefix[m, i]  # voters below: for i over j
            if x[i] < x[j]:
                support[i, j] = max(difference, 0.0)
                support[j, i] = max(prefix[n, i] - prefix[n, j] + difference, 0.0)
            else:
                support[i, j] = max(prefix[n, j] - prefix[n, i] - difference, 0.0)
                support[j, i] = max(-difference, 0.0) if x[j] < x[i] else \
                    max(prefix[n, i] - prefix[n, j] + difference, 0.0)


@njit(cache=True)
def _probabilities(support):
    """challenge.probability_of_success: P_ij over the votes of all pairs (in place)."""
    total = 2.0 * support.sum()
    if total > 0:
        support /= total


@njit(cache=True)
def _change(d, r, to_median, q, t, use_r):
    """challenge.change_utilities, weighted: (1 - Q)(T U_b + (1 - T) U_w) for perceiver
    exponent r, distance d and the challenger's |x - mu| `to_median`."""
    shift = 0.25 * min(to_median + d, 2.0)
    if use_r:
        better = 2.0 - 4.0 * max(0.5 - shift, 0.0) ** r
        worse = 2.0 - 4.0 * (0.5 + shift) ** r
    else:
        better, worse = 4.0 * shift, -4.0 * shift
    return (1.0 - q) * (t * better + (1.0 - t) * worse)


@njit(cache=True)
def _issue_round(x, s, c, scale, q, t, risk, reference_rule, new):
    """challenge.challenge_round on one issue: the actors' new positions into `new`."""
    n = x.size
    w = c * s
    order = np.argsort(x, kind="mergesort")
    median = _weighted_median(x, w, order)
    to_median = np.abs(x - median) / scale
    # challenge.challenge_round's distance (voters' distances are not clipped) and the logs
    # the powers need, once per pair of actors: (x)^r = exp(r log x)
    distance = np.empty((n, n))
    log_distance = np.empty((n, n))
    log_near = np.empty((n, n))  # log(0.5 - 0.5 d): the utility of success
    log_far = np.empty((n, n))  # log(0.5 + 0.5 d): of failure
    for i in range(n):
        for j in range(i, n):
            d = abs(x[i] - x[j]) / scale
            distance[i, j] = distance[j, i] = d
            if risk:
                log_distance[i, j] = log_distance[j, i] = math.log(d) if d > 0 else -np.inf
                u = min(d, 1.0)
                log_near[i, j] = log_near[j, i] = math.log(0.5 - 0.5 * u) if u < 1 else -np.inf
                log_far[i, j] = log_far[j, i] = math.log(0.5 + 0.5 * u)
    r = np.ones(n)
    support = np.empty((n, n))
    below = _voters_below(x, order)
    _votes(x, w, r, order, below, distance, log_distance, False, support)
    _probabilities(support)
    if risk:
        # challenge.risk_exponents: danger_i = sum over a != i of E^a(U_ai) at r = 1
        danger = np.zeros(n)
        for a in range(n):
            for b in range(n):
                if a == b:
                    continue
                d = min(distance[a, b], 1.0)
                gap = 2.0 * d - -(2.0 * d)
                eu = 2.0 * d - (1.0 - support[a, b]) * s[b] * gap
                if q < 1.0:
                    eu -= _change(d, 1.0, to_median[a], q, t, False)
                danger[b] += eu
        high, low = danger.max(), danger.min()
        spread = high - low
        for i in range(n):
            acceptance = (2.0 * danger[i] - high - low) / spread if spread > 0 else 0.0
            r[i] = (1.0 - acceptance / 3.0) / (1.0 + acceptance / 3.0)
        _votes(x, w, r, order, below, distance, log_distance, True, support)
        _probabilities(support)
    # challenge.expected_utilities, classify_offers, offered_positions and best_offers, per
    # perceiver i over the others j
    kind = np.empty(n, dtype=np.int8)
    offered = np.empty(n)
    key = np.empty(n)
    eu_ji = np.empty(n)
    for i in range(n):
        best_rank = 4
        status_quo = 2.0 - 4.0 * 0.5 ** r[i] if risk else 0.0
        for j in range(n):
            kind[j] = NONE
            offered[j] = x[i]
            d = min(distance[i, j], 1.0)
            if not (d > SAME_POSITION and s[j] > 0):
                eu_ji[j] = 0.0
                key[j] = 0.0
                continue
            # challenge.basic_utilities with r_i: 2 - 4 (0.5 -/+ 0.5 d)^r_i
            if risk:
                success = -4.0 * math.exp(r[i] * log_near[i, j]) + 2.0
                failure = -4.0 * math.exp(r[i] * log_far[i, j]) + 2.0
            else:
                success = 2.0 * d
                failure = -success
            gap = success - failure
            base = success - q * status_quo if q else success
            ij = base - (1.0 - support[i, j]) * s[j] * gap
            ji = base - (1.0 - support[j, i]) * s[i] * gap
            if q < 1.0:
                ij -= _change(d, r[i], to_median[i], q, t, risk)
                ji -= _change(d, r[i], to_median[j], q, t, risk)
            eu_ji[j] = ji
            if ji > ij and ij > 0.0:
                kind[j] = CONFRONTATION
                offered[j] = x[j]
            elif ji > 0.0 and ij < 0.0:
                if ji + ij > 0.0:
                    kind[j] = COMPROMISE
                    offered[j] = (x[j] - x[i]) * (abs(ij) / abs(ji)) + x[i]
                elif ji + ij < 0.0:
                    kind[j] = CAPITULATION
                    offered[j] = x[j]
            if kind[j] == COMPROMISE and reference_rule:
                a, b = abs(ij), abs(ji)
                key[j] = (a * x[i] + b * x[j]) / (a + b)
            else:
                key[j] = abs(offered[j] - x[i])
            if kind[j] != NONE:
                best_rank = min(best_rank, kind[j])
        if best_rank == 4:
            new[i] = x[i]
            continue
        lowest = np.inf
        for j in range(n):
            if kind[j] != best_rank:
                key[j] += _FAR
            lowest = min(lowest, key[j])
        # ties within rounding: the larger E^i(U_ji), then nearer the median, then lower
        limit = lowest + TIE * scale
        strongest = np.inf
        for j in range(n):
            if key[j] <= limit:
                strongest = min(strongest, -eu_ji[j])
        nearest = np.inf
        for j in range(n):
            if key[j] <= limit and -eu_ji[j] <= strongest + TIE:
                nearest = min(nearest, abs(offered[j] - median))
        choice = np.inf
        for j in range(n):
            if (key[j] <= limit and -eu_ji[j] <= strongest + TIE
                    and abs(offered[j] - median) <= nearest + TIE * scale):
                choice = min(choice, offered[j])
        new[i] = choice


@njit(cache=True)
def _round(X, S, C, scale, q, t, risk, reference_rule):
    """challenge.challenge_round: the new positions (n, k), issue by issue."""
    n, k = X.shape
    new = np.empty((n, k))
    column = np.empty(n)
    for issue in range(k):
        _issue_round(np.ascontiguousarray(X[:, issue]), np.ascontiguousarray(S[:, issue]), C,
                     scale[issue], q, t, risk, reference_rule, column)
        new[:, issue] = column
    return new


def challenge_round_fast(
    positions: np.ndarray,
    saliences: np.ndarray,
    capability: np.ndarray,
    params: ChallengeParameters,
    position_range: np.ndarray | None = None,
) -> np.ndarray:
    """The new positions of `challenge.challenge_round` (n, k), compiled."""
    positions = np.asarray(positions, dtype=float)
    saliences = np.asarray(saliences, dtype=float)
    capability = np.asarray(capability, dtype=float)
    _check(positions, saliences, capability)
    scale = starting_range(positions, params) if position_range is None else position_range
    scale = np.broadcast_to(np.asarray(scale, dtype=float), positions.shape[1:]).copy()
    return _round(positions, saliences, capability, scale, float(params.q), float(params.t),
                  bool(params.risk), params.offer_rule == "reference")

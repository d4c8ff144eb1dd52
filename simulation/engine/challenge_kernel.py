"""One round of the challenge model, compiled: what the challenge protocol runs each month.

`engine.challenge` is the readable statement of the model (numpy over (n, n, k) dyad arrays,
tested against the published worked example); this kernel computes the same round issue by
issue, keeping only n x n scratch arrays (they stay in the processor's cache), so that a month of
the MC11 ensemble costs about two milliseconds. It follows `challenge.challenge_round` step by
step (the function each loop implements is named in its docstring), with these economies, none
of which changes a result beyond rounding:
  - the actors of an issue are sorted by position: the voters below each midpoint are found by
    sweeps (`_sweep_row`), and each perceiver's senders can be visited from the nearest outwards;
    as the midpoint only rises with a, row a's count for each b starts from row a - 1's and
    seldom advances, by at most two voters taken without branches, and a row that needs more
    is swept again along b (data-dependent loop exits are hard to predict);
  - the votes with every r = 1 (for the security levels) are linear in the distances, so they
    come in closed form from prefix sums of w and w x (`_linear_pair`) instead of a table; the
    risk exponents' loop over the pairs reads a's sums once per row and those at b's first
    voter once per issue;
  - powers x^r = exp(r log x) use `vector_math`'s exp and log, which the compiler vectorises
    (numba's math.exp and math.log run one value at a time without SVML), and the voters'
    log-distances, symmetric, are taken once per pair;
  - with Q = 1 a pair in which b cannot challenge a more strongly than a challenges b,
    (1 - P_ba) s_a >= (1 - P_ab) s_b, makes a no offer whatever the utilities (both expected
    utilities are the same base less these numbers times the same positive gap, and rounding
    is monotone), so its utilities are not computed: about half of the pairs;
  - a perceiver's senders are tried from the nearest outwards until it has a confrontation and
    every confrontation tied with it within best_offers' tolerance (a confrontation's key is the
    distance it moves a, and the other types rank below it): on the MC11 rounds 82% of the
    perceivers stop after a few senders; the others (no confrontation among the 8 nearest)
    evaluate every sender in vectorised loops (`_all_offers`);
  - loops over a row's pairs run over an index from 0 (b = a + 1 + j), which LLVM vectorises (a
    loop over range(a + 1, n) it leaves scalar), and sums whose order must not change run in
    loops of their own after the vectorised ones;
  - `challenge_rounds_fast` plays a whole batch's month in one compiled call.
Sums run in another order and the powers differ from numpy's by up to an ulp, so results agree
with `challenge.challenge_round` to rounding (tests/test_challenge_kernel.py: 1e-9 on the 0-100
scale), not bit for bit; distances that enter the utilities are divided by the scale exactly as
there, since (1 - d)^r with r near 1/2 magnifies an ulp of d near 1. The order of the actors does
not matter: ties between offers are broken by their values, never by who sent them. The
vectorised loops that take powers (`_votes_table`, `_all_offers`) let the compiler fuse a multiply
and an add into one instruction (`fastmath={"contract"}`, 10-15% faster): on one machine results
are the same whatever the workers or batches, but their last bits may differ on a CPU without
fused multiply-add; no sum is reordered by the compiler. `_nearest_offers`, scalar, does not
(no measurable cost): with it, where the compiler fused depended on whether its callees had been
compiled in the same process, so with Q < 1 the first run after compiling differed in the last
digits from later runs that load the cache (tests/test_challenge_kernel.py checks both ways).
How each economy was measured, and what was tried and dropped: docs/performance.md.
"""

from __future__ import annotations

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
from simulation.engine.vector_math import vexp, vlog

_WALK = 8  # senders `_nearest_offers` tries before it leaves a perceiver to `_all_offers`


@njit(cache=True)
def _weighted_median(xs, ws):
    """challenge.weighted_median of one issue, its positions `xs` sorted."""
    n = xs.size
    total = 0.0
    for v in range(n):
        total += ws[v]
    if not total > 0:
        return np.median(xs)
    half, tol = 0.5 * total, 1e-12 * max(total, 1e-300)
    cum, lo, hi = 0.0, -1, -1
    for v in range(n):
        cum += ws[v]
        if lo < 0 and cum >= half - tol:
            lo = v
        if hi < 0 and cum > half + tol:
            hi = v
    if hi < 0:
        hi = lo
    return 0.5 * (xs[lo] + xs[hi])


@njit(inline="always")
def _padded(xs):
    """The sorted positions followed by three +inf, so that a sweep stops at the end unasked
    and `_sweep_row` may look two voters past any count."""
    padded = np.empty(xs.size + 3)
    padded[:-3] = xs
    padded[-3:] = np.inf
    return padded


@njit(inline="always")
def _sweep_row(padded, a, skip, below):
    """Row a of a midpoint sweep into `below` (b > a): the first voter from a + skip on at or
    above the midpoint of x_a and x_b. The midpoint only rises with a, so row a - 1's count is
    where row a's starts; on the MC11 rounds 97% of the counts then advance by at most two
    voters. Those two steps are taken without branches (data-dependent loop exits are hard to
    predict), and only a row with a longer advance is swept again along b, from those counts
    (the midpoint also rises with b)."""
    n, x, first = padded.size - 3, padded[a], a + skip
    longer = False
    for j in range(n - a - 1):  # indexed from 0: faster here than range(a + 1, n)
        b = a + 1 + j
        m = max(below[a - 1, b], first) if a > 0 else first
        middle = 0.5 * (x + padded[b])
        below[a, b] = m + (padded[m] < middle) + (padded[m + 1] < middle)
        longer |= padded[m + 2] < middle
    if longer:
        m = first
        for b in range(a + 1, n):
            m = max(m, below[a, b])
            middle = 0.5 * (x + padded[b])
            while padded[m] < middle:
                m += 1
            below[a, b] = m


@njit(cache=True)
def _voters_below(xs, below):
    """challenge._Votes (its `below`): for a < b, how many voters sit below the midpoint of
    x_a and x_b (np.searchsorted in the sorted positions `xs`, at least a), by `_sweep_row`."""
    padded = _padded(xs)
    for a in range(xs.size):
        _sweep_row(padded, a, 0, below)


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def _votes_table(xs, ws, scale, r, logs, prefix):
    """challenge._Votes.support, its prefix sums: prefix[v, b] = sum over the v lowest voters u
    of w_u d_ub^r_u (d^r = exp(r log d)); `logs` (n, n) is scratch for log d, symmetric, so
    taken once per pair."""
    n = xs.size
    per_unit = 1.0 / scale
    for a in range(n):
        x = xs[a]
        for j in range(n - a):  # from 0: a loop from a does not vectorise
            b = a + j
            logs[a, b] = vlog(abs(x - xs[b]) * per_unit)
    for a in range(n):
        for b in range(a):
            logs[a, b] = logs[b, a]
    running = np.zeros(n)  # a row of its own: the compiler vectorises the loop over b
    prefix[0] = 0.0
    for v in range(n):
        w, rv = ws[v], r[v]
        for b in range(n):
            running[b] += vexp(rv * logs[v, b]) * w
        prefix[v + 1] = running


@njit(inline="always")
def _per_vote(total):
    """challenge.probability_of_success's 1 / sum over all ordered pairs of |votes| (1 if
    there are none), from the sum of the votes over the pairs a < b in both directions: so that
    P_ab = support[a, b] * _per_vote(total)."""
    total *= 2.0
    return 1.0 / total if total > 0 else 1.0


@njit(cache=True)
def _linear_sums(xs, ws):
    """For challenge._Votes.support with every r = 1 (`_linear_pair`): sums of w and of w x over
    the v lowest voters (n + 1), and for each actor the first voter at its position and the one
    past its last."""
    n = xs.size
    weight, moment = np.zeros(n + 1), np.zeros(n + 1)
    start, upto = np.empty(n, dtype=np.intp), np.empty(n, dtype=np.intp)
    for v in range(n):
        weight[v + 1] = weight[v] + ws[v]
        moment[v + 1] = moment[v] + ws[v] * xs[v]
        start[v] = v if v == 0 or xs[v - 1] < xs[v] else start[v - 1]
    for v in range(n - 1, -1, -1):
        upto[v] = v + 1 if v == n - 1 or xs[v] < xs[v + 1] else upto[v + 1]
    return weight, moment, start, upto


@njit(inline="always")
def _linear_pair(xs, a, b, m, weight, moment, start, upto):
    """challenge._Votes.support of a over b and of b over a (a < b, `m` voters below their
    midpoint) when every r = 1, in closed form: votes are linear in the distances, so sums over
    voters are differences of prefix sums of w and w x. In units of the scale (P is a ratio of
    votes: the scale cancels)."""
    low, high = xs[a], xs[b]
    past, first, n = upto[a], start[b], xs.size
    both, apart = low + high, high - low
    # voters at or below x_a gain x_b - x_a, those between x_a and the midpoint x_a + x_b - 2 x_v;
    # those above it and below x_b 2 x_v - x_a - x_b, and those at or above x_b x_b - x_a
    ab = both * (weight[m] - weight[past]) - 2.0 * (moment[m] - moment[past]) + (
        apart * weight[past])
    ba = 2.0 * (moment[first] - moment[m]) - both * (weight[first] - weight[m]) + (
        apart * (weight[n] - weight[first]))
    distinct = low < high  # else the same position: both exactly 0 (selected, no branch)
    return max(ab, 0.0) if distinct else 0.0, max(ba, 0.0) if distinct else 0.0


@njit(cache=True, error_model="numpy")
def _linear_support(xs, ws, below, support):
    """challenge._Votes.support with every r = 1 (`_linear_pair`), as `_support` gives it, and
    the sum of the votes."""
    n = xs.size
    weight, moment, start, upto = _linear_sums(xs, ws)
    total_ab = total_ba = 0.0
    for a in range(n):
        support[a, a] = 0.0
        for b in range(a + 1, n):
            ab, ba = _linear_pair(xs, a, b, below[a, b], weight, moment, start, upto)
            support[a, b], support[b, a] = ab, ba
            total_ab += ab
            total_ba += ba
    return total_ab + total_ba


@njit(cache=True, error_model="numpy")
def _support(xs, below, prefix, support):
    """challenge._Votes.support: a's votes over b (n, n) from the prefix sums of the votes; and
    their sum (for `_per_vote`)."""
    n = xs.size
    total_ab = total_ba = 0.0  # two running sums: they run in parallel
    for a in range(n):
        support[a, a] = 0.0
        for b in range(a + 1, n):
            m = below[a, b]
            difference = prefix[m, b] - prefix[m, a]  # voters below the midpoint: a over b
            if xs[a] < xs[b]:
                ab = max(difference, 0.0)
            else:  # the same position: both exactly 0
                ab = max(prefix[n, b] - prefix[n, a] - difference, 0.0)
            ba = max(prefix[n, a] - prefix[n, b] + difference, 0.0)
            support[a, b], support[b, a] = ab, ba
            total_ab += ab
            total_ba += ba
    return total_ab + total_ba


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


@njit(cache=True, error_model="numpy")
def _risk_exponents(xs, ss, ws, scale, median, q, t, below, r):
    """challenge.risk_exponents into `r`: danger_b = sum over a != b of E^a(U_ab) at r = 1,
    = 2u - (1 - P_ab) s_b 4u for Q = 1, with u = d_ab clipped; summed as 2 sum_a u - 4 s_b
    (sum_a u - sum_a u P_ab), so that one pass over the pairs, with the votes of `_linear_pair`,
    gives the three sums per actor. Each row first sweeps its midpoints into `below`."""
    n = xs.size
    weight, moment, start, upto = _linear_sums(xs, ws)
    reach, weighted, change = np.zeros(n), np.zeros(n), np.zeros(n)  # per target b
    partial = np.zeros(n)  # the votes, summed per actor
    first_weight, first_moment, rest = np.empty(n), np.empty(n), np.empty(n)  # per b
    for b in range(n):  # _linear_pair's sums at b's first voter, gathered once
        first_weight[b], first_moment[b] = weight[start[b]], moment[start[b]]
        rest[b] = weight[n] - weight[start[b]]
    mid_weight, mid_moment = np.empty(n), np.empty(n)  # per b, at row a's midpoint voter
    u_row, ba_row, votes_row = np.empty(n), np.empty(n), np.empty(n)  # row a's terms, per b
    padded = _padded(xs)
    per_unit = 1.0 / scale  # r = 1: d enters linearly, an ulp of it is an ulp of danger
    for a in range(n):
        _sweep_row(padded, a, 1, below)
        for j in range(n - a - 1):  # the sums at each b's midpoint, gathered into a row
            b = a + 1 + j
            m = below[a, b]
            mid_weight[b], mid_moment[b] = weight[m], moment[m]
        low, past = xs[a], upto[a]
        past_weight, past_moment = weight[past], moment[past]
        for j in range(n - a - 1):  # no sums along the row, indexed from 0: it vectorises
            b = a + 1 + j
            high = xs[b]
            u = min(abs(low - high) * per_unit, 1.0)
            both, apart = low + high, high - low  # as in _linear_pair
            ab = both * (mid_weight[b] - past_weight) - 2.0 * (mid_moment[b] - past_moment) + (
                apart * past_weight)
            ba = 2.0 * (first_moment[b] - mid_moment[b]) - both * (
                first_weight[b] - mid_weight[b]) + apart * rest[b]
            distinct = low < high
            ab, ba = max(ab, 0.0) if distinct else 0.0, max(ba, 0.0) if distinct else 0.0
            reach[b] += u
            weighted[b] += u * ab  # a challenges b
            u_row[b], ba_row[b], votes_row[b] = u, u * ba, ab + ba
        own_reach = own_weighted = own_votes = 0.0  # a's sums, in order along the row
        for b in range(a + 1, n):
            own_reach += u_row[b]
            own_weighted += ba_row[b]
            own_votes += votes_row[b]
        reach[a] += own_reach
        weighted[a] += own_weighted
        partial[a] = own_votes
    if q < 1.0:
        for a in range(n):
            to_median = abs(xs[a] - median) / scale
            for b in range(a + 1, n):
                u = min(abs(xs[a] - xs[b]) * per_unit, 1.0)
                change[b] += _change(u, 1.0, to_median, q, t, False)
                change[a] += _change(u, 1.0, abs(xs[b] - median) / scale, q, t, False)
    per_vote = _per_vote(partial.sum())
    danger = 2.0 * reach - 4.0 * ss * (reach - per_vote * weighted) - change
    high, low = danger.max(), danger.min()
    spread = high - low
    for a in range(n):
        acceptance = (2.0 * danger[a] - high - low) / spread if spread > 0 else 0.0
        r[a] = (1.0 - acceptance / 3.0) / (1.0 + acceptance / 3.0)


@njit(cache=True, fastmath={"nnan", "nsz"})
def _lowest_key(kind, key, count, rank):
    """challenge.best_offers' lowest key among the first `count` offers of type `rank` (keys
    are never nan, so the compiler may take the minimum in SIMD lanes)."""
    lowest = np.inf
    for c in range(count):
        lowest = min(lowest, key[c] if kind[c] == rank else np.inf)
    return lowest


@njit(cache=True)
def _best(kind, offered, key, eu_ba, count, best_rank, median, scale):
    """challenge.best_offers for one perceiver among its first `count` offers: the position of
    its best offer of type `best_rank`; ties within rounding go to the larger E^a(U_ba), then
    nearer the median, then the lower position."""
    limit = _lowest_key(kind, key, count, best_rank) + TIE * scale
    ties, pick = 0, -1
    for c in range(count):
        hit = (kind[c] == best_rank) & (key[c] <= limit)
        ties += 1 if hit else 0
        pick = c if hit else pick
    if ties == 1:
        return offered[pick]
    strongest = np.inf
    for c in range(count):
        if kind[c] == best_rank and key[c] <= limit:
            strongest = min(strongest, -eu_ba[c])
    nearest = np.inf
    for c in range(count):
        if kind[c] == best_rank and key[c] <= limit and -eu_ba[c] <= strongest + TIE:
            nearest = min(nearest, abs(offered[c] - median))
    choice = np.inf
    for c in range(count):
        if (kind[c] == best_rank and key[c] <= limit and -eu_ba[c] <= strongest + TIE
                and abs(offered[c] - median) <= nearest + TIE * scale):
            choice = min(choice, offered[c])
    return choice


@njit(cache=True, error_model="numpy")
def _issue_round(xs, ss, ws, scale, q, t, risk, reference_rule, scratch, new):
    """challenge.challenge_round on one issue, its actors sorted by position: their new
    positions into `new`."""
    n = xs.size
    below, prefix, support = scratch
    r = np.ones(n)
    median = _weighted_median(xs, ws)
    if risk:
        _risk_exponents(xs, ss, ws, scale, median, q, t, below, r)
        _votes_table(xs, ws, scale, r, support, prefix)
        per_vote = _per_vote(_support(xs, below, prefix, support))
    else:
        _voters_below(xs, below)
        per_vote = _per_vote(_linear_support(xs, ws, below, support))
    # challenge.expected_utilities, classify_offers, offered_positions and best_offers, per
    # perceiver a over the others b that can make it an offer
    clipped, target, near, far = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    ab, ba, offered, key = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    kind = np.empty(n, dtype=np.int8)
    for a in range(n):
        status_quo = 2.0 - 4.0 * _power(0.5, r[a]) if risk else 0.0  # basic_utilities
        count, best_rank = _nearest_offers(a, xs, ss, r[a], support, per_vote, scale, median,
                                           status_quo, q, t, risk, reference_rule, ba, kind,
                                           offered, key)
        if best_rank < 0:
            count = _candidates(a, xs, ss, support, per_vote, scale, q, clipped, target, ab, ba)
            best_rank = _all_offers(xs[a], r[a], median, scale, status_quo, q, t, risk,
                                    reference_rule, count, clipped, target, near, far, ab, ba,
                                    kind, offered, key)
        new[a] = xs[a] if best_rank == 4 else _best(kind, offered, key, ba, count, best_rank,
                                                      median, scale)


@njit(inline="always")
def _power(base, r):
    """base^r = exp(r log base), 0 for base 0: the powers of challenge.basic_utilities and
    challenge._Votes.support."""
    return vexp(r * vlog(base))


@njit(inline="always")
def _resistances(support, per_vote, ss, a, b):
    """(1 - P_ab) s_b, how much b resists a's challenge, and (1 - P_ba) s_a, how much a resists
    b's: the weights of failure in challenge.expected_utilities' E^a(U_ab) and E^a(U_ba);
    P_ab = support[a, b] * per_vote."""
    return (1.0 - support[a, b] * per_vote) * ss[b], (1.0 - support[b, a] * per_vote) * ss[a]


@njit(inline="always")
def _utilities(u, near, far, status_quo, q, risk, resisted, resisting):
    """challenge.expected_utilities of perceiver a for one pair at distance `u` (clipped):
    E^a(U_ab) and E^a(U_ba) from b's and a's resistance, (1 - P_ab) s_b and (1 - P_ba) s_a,
    and basic_utilities' powers `near` = (0.5 - 0.5 u)^r_a, `far` = (0.5 + 0.5 u)^r_a (the
    change terms of Q < 1 excepted: `_change`)."""
    if risk:  # 2 - 4 (0.5 -/+ 0.5 d)^r_a
        success = -4.0 * near + 2.0
        failure = -4.0 * far + 2.0
    else:
        success = 2.0 * u
        failure = -success
    gap = success - failure
    base = success - q * status_quo if q else success
    return base - resisted * gap, base - resisting * gap


@njit(inline="always")
def _offer(x, xb, eu_ab, eu_ba, reference_rule):
    """challenge.classify_offers and offered_positions for one pair, perceiver a at `x` and b
    at `xb`, and best_offers' key: the offer's type, the position it gives a, its key."""
    confrontation = (eu_ba > eu_ab) & (eu_ab > 0.0)
    pressed = (eu_ba > 0.0) & (eu_ab < 0.0)
    compromise = pressed & (eu_ba + eu_ab > 0.0)
    capitulation = pressed & (eu_ba + eu_ab < 0.0)
    rank = CONFRONTATION * confrontation + COMPROMISE * compromise + CAPITULATION * capitulation
    share = abs(eu_ab) / abs(eu_ba)
    moved = xb if confrontation | capitulation else x
    offer = (xb - x) * share + x if compromise else moved
    key = abs(offer - x)
    if reference_rule:  # compromises: the lowest weighted position
        weighted = (abs(eu_ab) * x + abs(eu_ba) * xb) / (abs(eu_ab) + abs(eu_ba))
        key = weighted if compromise else key
    return rank, offer, key


@njit(cache=True, error_model="numpy")
def _candidates(a, xs, ss, support, per_vote, scale, q, clipped, target, ab, ba):
    """The senders b that can make perceiver a an offer (challenge.classify_offers'
    `can_offer`, less the pairs that cannot make one whatever the utilities), compacted: their
    clipped distance, position, and b's and a's resistance (in `ab`, `ba`); their number."""
    n, x = xs.size, xs[a]
    count = 0
    for b in range(n):  # no branches: which b pass is unpredictable
        # divided as in challenge.challenge_round: (1 - d)^r, r near 1/2, magnifies an ulp of d
        u = min(abs(x - xs[b]) / scale, 1.0)
        resisted, resisting = _resistances(support, per_vote, ss, a, b)
        # with Q = 1, E^a(U_ba) <= E^a(U_ab) whatever the powers unless b resists less
        can = (u > SAME_POSITION) & (ss[b] > 0) & ((q != 1.0) | (resisting < resisted))
        clipped[count], target[count], ab[count], ba[count] = u, xs[b], resisted, resisting
        count += 1 if can else 0
    return count


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def _all_offers(x, r, median, scale, status_quo, q, t, risk, reference_rule, count, clipped,
                target, near, far, ab, ba, kind, offered, key):
    """challenge.expected_utilities, classify_offers and offered_positions for the first `count`
    candidates (from `_candidates`), in loops the compiler vectorises: E^a(U_ab), E^a(U_ba)
    into `ab`, `ba`, types, offered positions, keys; the best type offered (4: none)."""
    if risk:
        for c in range(count):
            near[c] = _power(0.5 - 0.5 * clipped[c], r)
            far[c] = _power(0.5 + 0.5 * clipped[c], r)
    for c in range(count):
        ab[c], ba[c] = _utilities(clipped[c], near[c], far[c], status_quo, q, risk, ab[c], ba[c])
    if q < 1.0:
        to_median = abs(x - median) / scale
        for c in range(count):
            ab[c] -= _change(clipped[c], r, to_median, q, t, risk)
            ba[c] -= _change(clipped[c], r, abs(target[c] - median) / scale, q, t, risk)
    best_rank = 4
    for c in range(count):
        rank, offered[c], key[c] = _offer(x, target[c], ab[c], ba[c], reference_rule)
        kind[c] = rank
        best_rank = min(best_rank, rank + 4 * (rank == NONE))
    return best_rank


@njit(cache=True, error_model="numpy")
def _nearest_offers(a, xs, ss, r, support, per_vote, scale, median, status_quo, q, t, risk,
                    reference_rule, ba, kind, offered, key):
    """The offers perceiver a needs for challenge.best_offers, from the nearest sender outwards,
    until it has a confrontation and every confrontation tied with it (a farther one is worse:
    its key is its distance, and the other types rank below): their number and the best type
    (4: none), or (0, -1) if the `_WALK` nearest senders made no confrontation (`_all_offers`
    then does better). The same arithmetic as `_all_offers`, one offer at a time."""
    n, x = xs.size, xs[a]
    count, walked, best_rank, lo, hi, limit = 0, 0, 4, a - 1, a + 1, np.inf
    to_median = abs(x - median) / scale
    while lo >= 0 or hi < n:
        below, above = x - xs[lo] if lo >= 0 else np.inf, xs[hi] - x if hi < n else np.inf
        b = lo if below <= above else hi
        distance = abs(x - xs[b])
        if distance > limit:
            break
        lo, hi = (lo - 1, hi) if below <= above else (lo, hi + 1)
        walked += 1
        u = min(distance / scale, 1.0)  # as in _candidates
        resisted, resisting = _resistances(support, per_vote, ss, a, b)
        if u > SAME_POSITION and ss[b] > 0 and (q != 1.0 or resisting < resisted):
            near = _power(0.5 - 0.5 * u, r) if risk else 0.0
            far = _power(0.5 + 0.5 * u, r) if risk else 0.0
            eu_ab, eu_ba = _utilities(u, near, far, status_quo, q, risk, resisted, resisting)
            if q < 1.0:
                eu_ab -= _change(u, r, to_median, q, t, risk)
                eu_ba -= _change(u, r, abs(xs[b] - median) / scale, q, t, risk)
            rank, offered[count], key[count] = _offer(x, xs[b], eu_ab, eu_ba, reference_rule)
            kind[count], ba[count] = rank, eu_ba
            if rank == CONFRONTATION and best_rank != CONFRONTATION:
                limit = key[count] + TIE * scale  # best_offers' tie tolerance
            best_rank = min(best_rank, rank + 4 * (rank == NONE))
            count += 1
        if best_rank != CONFRONTATION and walked >= _WALK:
            return 0, -1
    return count, best_rank


@njit(cache=True)
def _round(X, S, C, scale, q, t, risk, reference_rule):
    """challenge.challenge_round: the new positions (n, k), issue by issue."""
    n, k = X.shape
    new = np.empty((n, k))
    scratch = (np.empty((n, n), dtype=np.intp), np.empty((n + 1, n)), np.empty((n, n)))
    xs, ss, ws, moved = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    for issue in range(k):
        order = np.argsort(X[:, issue], kind="mergesort")
        for a in range(n):
            xs[a] = X[order[a], issue]
            ss[a] = S[order[a], issue]
            ws[a] = C[order[a]] * ss[a]
        # nothing can move where no one cares or all stand (within rounding) together
        if ss.max() > 0 and min((xs[n - 1] - xs[0]) / scale[issue], 1.0) > SAME_POSITION:
            _issue_round(xs, ss, ws, scale[issue], q, t, risk, reference_rule, scratch, moved)
        else:
            moved[:] = xs
        for a in range(n):
            new[order[a], issue] = moved[a]
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


@njit(cache=True)
def _rounds(positions, saliences, capability, active, scale, q, t, pressure, risk,
            reference_rule):
    """challenge.challenge_round (`_round`) for each replication of a batch among its engaged
    members (at least two), each moved its replication's `pressure` share of the way to the
    offer it accepts."""
    moved = positions.copy()
    k = positions.shape[2]
    for replication in range(positions.shape[0]):
        rows = np.flatnonzero(active[replication])
        m = rows.size
        if m < 2:
            continue
        start, held, capable = np.empty((m, k)), np.empty((m, k)), np.empty(m)
        for i in range(m):
            start[i] = positions[replication, rows[i]]
            held[i] = saliences[replication, rows[i]]
            capable[i] = capability[rows[i]]
        offered = _round(start, held, capable, scale, q[replication], t[replication], risk,
                         reference_rule)
        share = pressure[replication]
        for i in range(m):
            for issue in range(k):
                x = start[i, issue]
                moved[replication, rows[i], issue] = x + share * (offered[i, issue] - x)
    return moved


def challenge_rounds_fast(
    positions: np.ndarray,
    saliences: np.ndarray,
    capability: np.ndarray,
    active: np.ndarray,
    q: np.ndarray,
    t: np.ndarray,
    pressure: np.ndarray,
    params: ChallengeParameters,
) -> np.ndarray:
    """A batch's round (r, n, k) in one compiled call: in each replication the engaged members
    (`active`, (r, n)) play `challenge.challenge_round` with that replication's Q and T (r,)
    and `params`' other settings, and move the `pressure` share (r,) of the way to the offer
    they accept; the others keep their positions. Each round equals `challenge_round_fast`'s."""
    if params.position_range is None:
        raise ValueError("a batch's rounds need a fixed position_range")
    positions = np.ascontiguousarray(positions, dtype=float)
    saliences = np.ascontiguousarray(saliences, dtype=float)
    capability = np.ascontiguousarray(capability, dtype=float)
    active = np.ascontiguousarray(active, dtype=bool)
    # new writable arrays, whether the values are given once or per replication: numba
    # compiles a kernel apart for read-only or strided ones
    q, t, pressure = (np.array(np.broadcast_to(np.asarray(v, dtype=float), active.shape[:1]))
                      for v in (q, t, pressure))
    if not (((q >= 0.0) & (q <= 1.0)).all() and ((t >= 0.0) & (t <= 1.0)).all()):
        raise ValueError(f"q and t are probabilities, got q={q}, t={t}")
    _check(positions[active], saliences[active], capability[np.nonzero(active)[1]])
    scale = np.full(positions.shape[2], float(params.position_range))
    return _rounds(positions, saliences, capability, active, scale, q, t, pressure,
                   bool(params.risk), params.offer_rule == "reference")

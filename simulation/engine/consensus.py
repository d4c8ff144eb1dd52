"""The WTO consensus rule at MC11 and the plurilateral path, as pure vectorised functions.

In trade-policy terms: at a Ministerial Conference nothing is agreed unless every member accepts
it. A member accepts a draft text on an issue if it loses no more than it can tolerate compared
with the status quo (no new discipline, or the rule as it stands): |x - t| <= |x - q| + tol. Its
tolerance falls with the issue's salience, and members that tie new rules to unfinished Doha
business (e.g. public stockholding) tolerate less on the new disciplines. A text only counts as an
outcome if it moves at least `min_step` away from the status quo: a ministerial decision that
changes nothing is no agreement.

* Issue by issue (the default), the chair tables the capability x salience weighted median of the
  members' positions (the text with the widest weighted support), moved to the nearest text that
  every member accepts and that changes the status quo. When there is no such text, the blockers
  are the members whose objection alone stands between the others and a deal; when no single
  member is pivotal, they are the members who reject the chair's change (the weighted median
  moved out of the min_step band).
* In package mode (single undertaking) members weigh the whole package: a loss on one issue can be
  paid for by a gain on another, and the chair drops the most contested issues until everyone
  accepts what is left.
* Where there is no consensus, the willing may go ahead among themselves (as with the ITA or a
  joint statement initiative): a plurilateral deal exists if the members no worse off under some
  ambitious text cover a critical mass of world trade.
* A disciplined bloc (e.g. the African Group) speaks with one voice: its members take the bloc's
  platform, salience and tolerance, so they accept, object and join plurilaterals together.

Arrays: n members, k issues; positions X (n,k) and status quo q (k,) on the 0-100 scale,
saliences S (n,k) in [0,1], capabilities C (n,) > 0 (share of world trade), tolerances (n,k) >= 0.
Every rule runs over all members at once; only the package loop steps over issues. What works
issue by issue on sorted members (the weighted medians behind the chair's texts, the plurilateral
path, the largest objection of the others) is a loop compiled with numba: a binned weighted
quickselect per issue, linear in members where a sort would not be; the monthly chair's text
first looks among the few members near last month's text. Member arrays may carry leading axes
(r,n,k), one per replication of a batch: members are always axis -2. The plain statement of every
rule here is in engine.rules; each kernel's docstring names its rule there.
"""

from dataclasses import dataclass
from typing import Final, NamedTuple

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from simulation.engine.batches import as_batch
from simulation.engine.rules import COVERAGE_SLACK, HALF_SLACK, SCALE_MAX, SCALE_MIN
from simulation.outcomes import MULTILATERAL, NO_AGREEMENT, PLURILATERAL

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

_SCALE: Final = (SCALE_MIN, SCALE_MAX)  # where positions and texts lie
_MOVES: Final = (SCALE_MIN - SCALE_MAX, SCALE_MAX - SCALE_MIN)  # how far a text can move
# Half-width of the window searched first around a guessed text: between two months the chair's
# text moves less than this in ~96% of issues (baseline), with ~4 of 136 members inside.
_NEAR: Final = 1.0


@dataclass(frozen=True)
class Blocs:
    """Disciplined coalitions at MC11: member m speaks as bloc `of[m]` (-1 = on its own).

    Rows of `position`, `salience` and `tolerance` (g,k) are the blocs' platforms, their members'
    mean saliences and the tolerances the caller derives from those (`replication_tolerances`).
    """

    of: NDArray[np.int_]  # (n,) or (r, n)
    position: FloatArray
    salience: FloatArray
    tolerance: FloatArray


@dataclass(frozen=True)
class Ministerial:
    """What MC11 decides per issue: outcome code, text, blockers, plurilateral members, coverage.

    `coverage` is 1 for multilateral outcomes, otherwise the best plurilateral coverage found
    (also when short of critical mass). Arrays are read-only.
    """

    outcome: NDArray[np.int8]
    text: FloatArray
    blockers: BoolArray
    plurilateral_members: BoolArray
    coverage: FloatArray

    def __post_init__(self) -> None:
        for value in vars(self).values():
            value.flags.writeable = False


class Plurilateral(NamedTuple):
    """Per issue: whether a critical mass exists, its text, best coverage, and who is in."""

    deal: BoolArray
    text: FloatArray
    coverage: FloatArray
    members: BoolArray


class Package(NamedTuple):
    """Issues agreed in a single undertaking, their texts, and who made each dropped issue go."""

    agreed: BoolArray
    text: FloatArray
    blockers: BoolArray


def _per_batch(value: float | FloatArray, batch: tuple[int, ...]) -> FloatArray:
    """A constant given once or per replication, as one float per replication of the flat
    batch (the rules' kernels index it by replication), always a new writable array: numba
    compiles a kernel apart for each kind of array (read-only views, strides) it is given."""
    return np.array(np.broadcast_to(np.asarray(value, dtype=float), batch).reshape(-1))


def replication_tolerances(
    S: FloatArray,
    base_tolerance: FloatArray,
    doha_linked: BoolArray,
    new_discipline: BoolArray,
    linkage_cut: FloatArray,
) -> FloatArray:
    """Loss each member tolerates per issue in a batch (r, n, k): base * (1 - salience), cut
    for Doha-linked members on new disciplines, with the base tolerance and linkage cut of
    each replication (r,). The plain statement of this rule: rules.tolerances."""
    base, cut_by = (np.asarray(v, dtype=float)[:, None, None] for v in (base_tolerance,
                                                                        linkage_cut))
    if np.any(base < 0) or np.any((cut_by < 0) | (cut_by > 1)):
        raise ValueError("base_tolerance must be >= 0 and linkage_cut in [0, 1]")
    cut = np.outer(doha_linked, new_discipline)[None] * cut_by
    return base * (1.0 - S) * (1.0 - cut)


def acceptance_intervals(
    X: FloatArray, q: FloatArray, tol: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Texts each member accepts, [x - d, x + d] with d = |x - q| + tol, clipped to the scale.

    The status quo is always inside: nobody rejects what it already has.
    The plain statement of this rule: rules.acceptance_interval."""
    d = np.abs(X - q) + tol
    return np.clip(X - d, SCALE_MIN, SCALE_MAX), np.clip(X + d, SCALE_MIN, SCALE_MAX)


def apply_blocs(
    values: FloatArray, bloc_of: NDArray[np.int_], bloc_values: FloatArray
) -> FloatArray:
    """Give each bloc member its bloc's row (-1 = no bloc): the bloc accepts or objects as one.

    Works on any member array (..., n, k): positions, saliences, tolerances or acceptance bounds,
    with `bloc_of` (..., n) and `bloc_values` (..., g, k)."""
    bloc_of = np.asarray(bloc_of)
    if bloc_of.size and (bloc_of.min() < -1 or bloc_of.max() >= bloc_values.shape[-2]):
        raise ValueError("bloc_of must be -1 or the row of a bloc")
    of = np.broadcast_to(bloc_of, values.shape[:-1]).reshape(-1, values.shape[-2])
    rows = np.broadcast_to(bloc_values, values.shape[:-2] + bloc_values.shape[-2:])
    spoken = _speak_as_blocs(as_batch(values), of, as_batch(rows).astype(values.dtype, copy=False))
    return spoken.reshape(values.shape)


@njit(cache=True)
def _speak_as_blocs(values, bloc_of, bloc_values):
    """The plain statement of this rule: rules.speak_as_blocs."""
    spoken = values.copy()
    for b in range(len(values)):
        for m in range(values.shape[1]):
            if bloc_of[b, m] >= 0:
                spoken[b, m] = bloc_values[b, bloc_of[b, m]]
    return spoken


@njit(cache=True)
def _reaches(weight: float, target: float, strict: bool) -> bool:
    return weight > target or (not strict and weight == target)


@njit(cache=True)
def _quickselect(values: FloatArray, weights: FloatArray, target: float, strict: bool,
                 below: float) -> tuple[float, float]:
    """The smallest of `values` at which `below` plus the cumulative weight reaches `target`
    (the largest, if rounding leaves it short), and the weight reached there. A three-way
    quickselect that reorders both arrays in place. Part of the weighted median (its plain
    statement: rules.weighted_median)."""
    lo, hi = 0, len(values)  # the answer lies in [lo, hi); `below` weighs all values under it
    while True:
        pivot = values[(lo + hi) // 2]
        less = same = 0.0
        lt, i, gt = lo, lo, hi  # partition: [lo, lt) < pivot, [lt, gt) == pivot, [gt, hi) >
        while i < gt:
            value, weight = values[i], weights[i]
            if value < pivot:
                values[i], weights[i] = values[lt], weights[lt]
                values[lt], weights[lt] = value, weight
                less += weight
                lt += 1
                i += 1
            elif value > pivot:
                gt -= 1
                values[i], weights[i] = values[gt], weights[gt]
                values[gt], weights[gt] = value, weight
            else:
                same += weight
                i += 1
        if lt > lo and _reaches(below + less, target, strict):
            hi = lt
        elif gt == hi or _reaches(below + less + same, target, strict):
            return pivot, below + less + same
        else:
            below += less + same
            lo = gt


@njit(cache=True)
def _select(values: FloatArray, weights: FloatArray, target: float, strict: bool,
            bounds: tuple[float, float], scratch: FloatArray) -> tuple[float, float]:
    """The smallest value whose cumulative weight (of all values up to and including it)
    reaches `target` (exceeds it, if strict), and that cumulative weight; the smallest value
    (and weight 0) if none does. All values lie within `bounds`; `scratch` (4, n) is working
    space.

    The values are first counted into n equal-width bins over `bounds` (a pass without
    unpredictable branches); only the bin where the weight crosses `target` is searched, by
    quickselect. Part of the weighted median (its plain statement: rules.weighted_median)."""
    n = len(values)
    bin_of, bin_weight, inside_values, inside_weights = scratch[0], scratch[1], scratch[2], \
        scratch[3]
    bin_weight[:] = 0.0
    low, high = bounds
    scale = n / (high - low) if high > low else 0.0  # 0: one bin
    for m in range(n):
        bin_of[m] = min(int((values[m] - low) * scale), n - 1)
        bin_weight[int(bin_of[m])] += weights[m]
    below = 0.0
    for crossing in range(n):
        if _reaches(below + bin_weight[crossing], target, strict):
            break
        below += bin_weight[crossing]
    else:
        return values.min(), 0.0
    count = 0
    for m in range(n):
        if bin_of[m] == crossing:
            inside_values[count], inside_weights[count] = values[m], weights[m]
            count += 1
    return _quickselect(inside_values[:count], inside_weights[:count], target, strict, below)


@njit(cache=True)
def _median(values: FloatArray, weights: FloatArray, total: float, bounds: tuple[float, float],
            scratch: FloatArray) -> float:
    """The weighted median of one column (values within `bounds`) whose weights sum to `total`
    (the midpoint when the weight splits in half, to HALF_SLACK of the total).
    The plain statement of this rule: rules.weighted_median."""
    half, slack = total / 2.0, total * HALF_SLACK
    lower, reached = _select(values, weights, half - slack, False, bounds, scratch)
    upper = lower if reached > half + slack else \
        _select(values, weights, half + slack, True, bounds, scratch)[0]
    return (lower + upper) / 2.0


@njit(cache=True)
def _chair_text(values, saliences, C, near, weights, scratch):
    """One issue's weighted median (see `chair_texts`). One pass weighs the members and sets
    aside the few within `_NEAR` of `near`, a guess at the text (NaN: none): when the median
    lies among them, a quickselect of those few finds it; otherwise `_median` searches
    everyone. The plain statement of this rule: rules.chair_text."""
    low, high = near - _NEAR, near + _NEAR
    few_values, few_weights = scratch[2], scratch[3]
    total = below = inside = 0.0
    count = 0
    for m in range(len(values)):  # without branches: members lie on either side at random
        value, weight = values[m], C[m] * saliences[m]
        within = (value >= low) & (value <= high)
        weights[m] = weight
        total += weight
        below += weight if value < low else 0.0
        inside += weight if within else 0.0
        few_values[count], few_weights[count] = value, weight
        count += within
    if total <= 0:  # nobody cares: capability alone
        return _median(values, C, C.sum(), _SCALE, scratch)
    half, slack = total / 2.0, total * HALF_SLACK
    if count == 0 or _reaches(below, half - slack, False) or \
            not _reaches(below + inside, half - slack, False):
        return _median(values, weights, total, _SCALE, scratch)
    lower, reached = _quickselect(few_values[:count], few_weights[:count], half - slack, False,
                                  below)
    if reached > half + slack:
        return lower
    # the weight splits in half at `lower`: the median is midway to the next position
    return (lower + _select(values, weights, half + slack, True, _SCALE, scratch)[0]) / 2.0


@njit(cache=True)
def _chair_texts(X, S, C, near):
    r, n, k = X.shape
    texts, weights, scratch = np.empty((r, k)), np.empty(n), np.empty((4, n))
    for b in range(r):
        for i in range(k):
            texts[b, i] = _chair_text(X[b, :, i], S[b, :, i], C, near[b, i], weights, scratch)
    return texts


def chair_texts(
    X: FloatArray, S: FloatArray, C: FloatArray, near: FloatArray | None = None
) -> FloatArray:
    """The chair's starting text per issue: the capability x salience weighted median position,
    which no other text beats in weighted support (capability alone if no one cares).

    `near` (..., k), a guess such as last period's texts, only makes it faster: the members
    within `_NEAR` of the guess are searched first."""
    guess = np.full(X.shape[:-2] + X.shape[-1:], np.nan) if near is None else near
    return _chair_texts(as_batch(X), as_batch(S, X), C,
                        guess.reshape(-1, X.shape[-1])).reshape(guess.shape)


@njit(cache=True)
def _chair_support(X, C, q, tol, texts):
    """The plain statement of this rule: rules.chair_support."""
    r, n, k = X.shape
    support, accepting, text = np.empty((r, k)), np.empty(k), np.empty(k)
    for b in range(r):
        # row by row into local sums, without branches (members accept at random), so the
        # issues loop runs in vector registers
        accepting[:], text[:] = 0.0, texts[b]
        for m in range(n):
            capability, positions, tolerated = C[m], X[b, m], tol[b, m]
            for i in range(k):
                x = positions[i]
                d = abs(x - q[i]) + tolerated[i]
                accepts = (min(max(x - d, SCALE_MIN), SCALE_MAX) <= text[i]) & (
                    text[i] <= min(max(x + d, SCALE_MIN), SCALE_MAX))
                accepting[i] += capability if accepts else 0.0
        support[b] = accepting
    return support


def chair_support(X: FloatArray, S: FloatArray, C: FloatArray, q: FloatArray,
                  tol: FloatArray, texts: FloatArray | None = None) -> FloatArray:
    """Per issue (..., k), the capability of the members that accept the chair's text (see
    `chair_texts`, or give them as `texts` where known, and `acceptance_intervals`): how close
    the talks stand to consensus."""
    texts = chair_texts(X, S, C) if texts is None else texts
    support = _chair_support(as_batch(X), C, q, as_batch(tol, X), texts.reshape(-1, X.shape[-1]))
    return support.reshape(texts.shape)


@njit(cache=True)
def _nearest_text(t, lowest, highest, q, min_step):
    """Nearest point to t in [lowest, q - min_step] u [q + min_step, highest]; the upper piece on
    a tie; NaN where both pieces are empty. The plain statement of this rule:
    rules.nearest_change."""
    below, above = q - min_step >= lowest, q + min_step <= highest
    t_below = min(max(t, lowest), q - min_step)
    t_above = min(max(t, q + min_step), highest)
    if above and (not below or abs(t_above - t) <= abs(t_below - t)):
        return t_above
    return t_below if below else np.nan


@njit(cache=True)
def _by_issue(lo, hi, q, median, min_step):
    """The plain statement of this rule: rules.consensus_on_issue (with rules.blockers)."""
    r, n, k = lo.shape
    text, blockers = np.empty((r, k)), np.zeros((r, n, k), np.bool_)
    for b in range(r):
        for i in range(k):
            # the two largest lower bounds and the two smallest upper bounds, with where the
            # first of each stands: what the others accept is the members' minus one member's
            top_lo, second_lo, top_lo_at = -np.inf, -np.inf, -1
            top_hi, second_hi, top_hi_at = np.inf, np.inf, -1
            for m in range(n):
                if lo[b, m, i] > top_lo:
                    top_lo, second_lo, top_lo_at = lo[b, m, i], top_lo, m
                elif lo[b, m, i] > second_lo:
                    second_lo = lo[b, m, i]
                if hi[b, m, i] < top_hi:
                    top_hi, second_hi, top_hi_at = hi[b, m, i], top_hi, m
                elif hi[b, m, i] < second_hi:
                    second_hi = hi[b, m, i]
            text[b, i] = _nearest_text(median[b, i], top_lo, top_hi, q[i], min_step[b])
            if not np.isnan(text[b, i]):
                continue
            if n == 1:
                second_lo, second_hi = SCALE_MIN, SCALE_MAX
            anyone_pivotal = False
            for m in range(n):
                others_lo = second_lo if m == top_lo_at else top_lo
                others_hi = second_hi if m == top_hi_at else top_hi
                pivotal = q[i] - min_step[b] >= others_lo or q[i] + min_step[b] <= others_hi
                blockers[b, m, i] = pivotal
                anyone_pivotal |= pivotal
            if not anyone_pivotal:
                change = _nearest_text(median[b, i], SCALE_MIN, SCALE_MAX, q[i], min_step[b])
                for m in range(n):
                    blockers[b, m, i] = change < lo[b, m, i] or change > hi[b, m, i]
    return text, blockers


def consensus_by_issue(
    lo: FloatArray, hi: FloatArray, q: FloatArray, median: FloatArray,
    min_step: float | FloatArray,
) -> tuple[BoolArray, FloatArray, BoolArray]:
    """Consensus issue by issue, from each member's acceptance interval [lo, hi] (..., n, k):
    (agreed, text, blockers).

    The text is the chair's `median` moved to the nearest point every member accepts that is
    >= min_step from q (the upper side on a tie); NaN where there is none. Without consensus the
    blockers are the members whose objection alone stops the others agreeing a change; if nobody
    is pivotal, those who reject the chair's change (the chair's median, moved out of the
    min_step band towards the nearer side, upwards on a tie). A member whose leave-one-out set is
    non-empty where the whole membership's is empty cannot meet it, so pivotal = the others
    could agree without it. `min_step` is one value or one per replication (...)."""
    text, blockers = _by_issue(as_batch(lo), as_batch(hi, lo), q,
                               median.reshape(-1, median.shape[-1]),
                               _per_batch(min_step, lo.shape[:-2]))
    text = text.reshape(median.shape)
    return ~np.isnan(text), text, blockers.reshape(lo.shape)


def plurilateral(
    X: FloatArray,
    S: FloatArray,
    C: FloatArray,
    q: FloatArray,
    min_step: float | FloatArray,
    critical_mass: float | FloatArray,
) -> Plurilateral:
    """Plurilateral path per issue: the most ambitious text that a critical mass still joins.

    Members join a text if they are no worse off than under q. Moving the text away from q loses
    members one by one, so on each side of q the demandeurs can push the text up to twice the
    distance from q of the member that completes the critical mass; they push no further than the
    capability x salience weighted median of that core (or min_step, if that is further). A
    deal needs the text >= min_step from
    q; where both sides qualify, the one covering more trade wins. Without a deal, `coverage`
    is the best share any change on the scale could gather (the members no worse off at the
    smallest change, where it fits).
    `min_step` and `critical_mass` are one value or one per replication (...)."""
    share = C / C.sum()
    batch = X.shape[:-2]
    deal, text, coverage, members = _plurilaterals(
        as_batch(X), as_batch(S, X), C, share, q, _per_batch(min_step, batch),
        _per_batch(critical_mass, batch) - COVERAGE_SLACK)
    issues = X.shape[:-2] + X.shape[-1:]
    return Plurilateral(deal.reshape(issues), text.reshape(issues), coverage.reshape(issues),
                        members.reshape(X.shape))


@njit(cache=True)
def _plurilaterals(X, S, C, share, q, min_step, critical_mass):
    """The plain statement of this rule: rules.plurilateral_deal."""
    r, n, k = X.shape
    deal, text, coverage = np.zeros((r, k), np.bool_), np.empty((r, k)), np.empty((r, k))
    members = np.zeros((r, n, k), np.bool_)
    reach, keen, weights, scratch = np.empty(n), np.empty(n), np.empty(n), np.empty((4, n))
    for b in range(r):
        for i in range(k):
            for side in (1.0, -1.0):
                room = SCALE_MAX - q[i] if side > 0 else q[i] - SCALE_MIN
                for m in range(n):  # how far each member wants to move toward this side
                    reach[m] = side * (X[b, m, i] - q[i])
                    keen[m] = -reach[m]
                # members from the keenest down until they cover the critical mass
                threshold = -_select(keen, share, critical_mass[b], False, _MOVES, scratch)[0]
                total = 0.0
                for m in range(n):
                    weights[m] = C[m] * S[b, m, i] if reach[m] >= threshold else 0.0
                    total += weights[m]
                if total <= 0:  # nobody in the core cares: capability alone
                    for m in range(n):
                        weights[m] = C[m] if reach[m] >= threshold else 0.0
                        total += weights[m]
                wanted = _median(reach, weights, total, _MOVES, scratch)
                distance = min(min(2.0 * threshold, max(wanted, min_step[b])), room)
                covered = widest = 0.0
                for m in range(n):
                    if distance > 0 and reach[m] >= distance / 2.0:
                        covered += share[m]
                    if reach[m] >= min_step[b] / 2.0 and room >= min_step[b]:
                        widest += share[m]
                agreed = distance >= min_step[b] and covered >= critical_mass[b]
                reported = covered if agreed else widest
                # the upward side first; the downward one replaces it with a deal where it had
                # none, or with more coverage where both have (or both lack) a deal (beyond
                # rounding: equal coverage summed in another order is a tie, won by the upward)
                if side > 0 or (agreed and not deal[b, i]) or (
                        agreed == deal[b, i] and reported > coverage[b, i] + COVERAGE_SLACK):
                    deal[b, i], coverage[b, i] = agreed, reported
                    text[b, i] = q[i] + side * distance if agreed else np.nan
                    for m in range(n):
                        members[b, m, i] = agreed and distance > 0 and reach[m] >= distance / 2.0
    return deal, text, coverage, members


def package_consensus(
    X: FloatArray,
    S: FloatArray,
    q: FloatArray,
    tol: FloatArray,
    C: FloatArray,
    min_step: float,
) -> Package:
    """Single undertaking: members accept the whole package iff their salience-weighted net loss
    over its issues is within their salience-weighted tolerance, so gains on one issue pay for
    losses on another. The chair tables the weighted-median texts that change q by >= min_step and,
    while anyone rejects, drops the issue where the rejecters' capability-weighted loss is largest
    (the lowest issue index on a tie). blockers[:, i] = the rejecters when issue i was dropped.
    The plain statement of this rule: rules.single_undertaking."""
    text = chair_texts(X, S, C)
    in_package = np.abs(text - q) >= min_step
    loss = S * (np.abs(X - text) - np.abs(X - q))
    slack = S * tol
    blockers = np.zeros(X.shape, dtype=bool)
    while in_package.any():
        rejecters = np.where(in_package, loss - slack, 0.0).sum(axis=1) > 0
        if not rejecters.any():
            break
        drop = np.argmax(np.where(in_package, C[rejecters] @ loss[rejecters], -np.inf))
        in_package[drop] = False
        blockers[:, drop] = rejecters
    return Package(in_package, np.where(in_package, text, np.nan), blockers)


def _package_each(
    X: FloatArray, S: FloatArray, q: FloatArray, tol: FloatArray, C: FloatArray,
    min_step: float | FloatArray,
) -> Package:
    """`package_consensus` for every replication of a batch (..., n, k): each drops its own
    issues, so the loop runs replication by replication."""
    batch = X.shape[:-2]
    flat = [a.reshape(-1, *X.shape[-2:]) for a in (X, S, tol)]
    steps = _per_batch(min_step, batch).tolist()
    runs = [package_consensus(x, s, q, t, C, step)
            for x, s, t, step in zip(*flat, steps, strict=True)]
    return Package(*(np.stack(parts).reshape(batch + parts[0].shape)
                     for parts in zip(*runs, strict=True)))


def _check_inputs(
    X: FloatArray,
    S: FloatArray,
    C: FloatArray,
    q: FloatArray,
    tol: FloatArray,
    min_step: float | FloatArray,
    critical_mass: float | FloatArray,
) -> None:
    """Raise ValueError on inconsistent shapes or values out of range."""
    if X.ndim < 2 or X.shape[-2] == 0 or S.shape != X.shape or tol.shape != X.shape:
        raise ValueError("X, S and tol must share one non-empty (members, issues) shape")
    if C.shape != X.shape[-2:-1] or q.shape != X.shape[-1:]:
        raise ValueError("C must have one entry per member and q one per issue")
    checks = {
        "positions and status quo must lie in [0, 100]": all(
            np.all((a >= SCALE_MIN) & (a <= SCALE_MAX)) for a in (X, q)
        ),
        "saliences must lie in [0, 1]": np.all((S >= 0) & (S <= 1)),
        "capabilities must be > 0": np.all(C > 0),
        "tolerances must be >= 0": np.all(tol >= 0),
        "min_step must be > 0": np.all(np.asarray(min_step) > 0),
        "critical_mass must lie in (0, 1]": np.all((np.asarray(critical_mass) > 0)
                                                   & (np.asarray(critical_mass) <= 1)),
    }
    for message, ok in checks.items():
        if not ok:
            raise ValueError(message)


def decide_at_ministerial(
    X: ArrayLike,
    S: ArrayLike,
    C: ArrayLike,
    q: ArrayLike,
    tol: ArrayLike,
    min_step: float | FloatArray,
    critical_mass: float | FloatArray,
    package: bool = False,
    blocs: Blocs | None = None,
) -> Ministerial:
    """MC11's verdict on every issue: multilateral consensus (issue by issue, or as a package),
    else a plurilateral deal among a critical mass of the willing, else no agreement. With a
    batch (r, n, k) of replications, every array of the verdict gains the leading axis, and
    `min_step` and `critical_mass` may give one value per replication (r,)."""
    X, S, C, q, tol = (np.asarray(a, dtype=float) for a in (X, S, C, q, tol))
    _check_inputs(X, S, C, q, tol, min_step, critical_mass)
    if blocs is not None:
        X = apply_blocs(X, blocs.of, blocs.position)
        S = apply_blocs(S, blocs.of, blocs.salience)
        tol = apply_blocs(tol, blocs.of, blocs.tolerance)
    if package:
        agreed, text, blockers = _package_each(X, S, q, tol, C, min_step)
    else:
        lo, hi = acceptance_intervals(X, q, tol)
        agreed, text, blockers = consensus_by_issue(lo, hi, q, chair_texts(X, S, C), min_step)
    pluri = plurilateral(X, S, C, q, min_step, critical_mass)
    deal = pluri.deal & ~agreed
    outcome = np.where(agreed, MULTILATERAL, np.where(deal, PLURILATERAL, NO_AGREEMENT))
    return Ministerial(
        outcome=outcome.astype(np.int8),
        text=np.where(agreed, text, pluri.text),
        blockers=blockers,
        plurilateral_members=pluri.members & deal[..., None, :],
        coverage=np.where(agreed, 1.0, pluri.coverage),
    )

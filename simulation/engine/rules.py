"""The rules of the negotiation, stated plainly: one function per rule, Python loops on lists.

This is the readable statement of what a replication does, in the order it does it (see
engine.reference, which runs a whole replication with these functions). The engine's fast
versions (numba kernels in coalitions, protocols and consensus) must give the same results:
tests/test_reference_oracle.py runs both on the same seeds. Each kernel's docstring names the
rule here it implements. The exchange protocol is stated in engine.exchange (numpy functions,
checked against the decide-exchange-model reference in tests/test_exchange_reference.py).

Notation: n members (rows), k issues (columns), g coalitions. X[m][i] a member's position on the
0-100 scale, S[m][i] its salience in [0, 1], C[m] its capability (share of world trade), q[i]
the status quo, member[m][c] whether member m belongs to coalition c.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from simulation.engine.parameters import BargainingParameters, CoalitionParameters

Table = list[list[float]]
SCALE_MIN, SCALE_MAX = 0.0, 100.0
SCALE_WIDTH = SCALE_MAX - SCALE_MIN  # the farthest two positions can lie apart
SALIENCE_MIN = 0.01  # the least salience of a member that takes part in an issue (0: none)
COVERAGE_SLACK = 1e-12  # coverage is a float sum of trade shares: allow rounding
HALF_SLACK = 1e-12  # a weight this share of the total from half splits it in half (rounding)


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


# --- before the first period ----------------------------------------------------------------


def sample_preferences(X: Table, S: Table, x_sd: Table, s_sd: Table, x_noise: Table,
                       s_noise: Table) -> tuple[Table, Table]:
    """A replication's positions and saliences: the derived ones plus standard normal noise
    times their uncertainty, kept on the scale (saliences in [SALIENCE_MIN, 1]); a member with
    salience 0 takes no part in the issue (own data: no position), and stays so."""
    n, k = len(X), len(X[0])
    return ([[_clip(X[m][i] + x_noise[m][i] * x_sd[m][i], SCALE_MIN, SCALE_MAX) for i in range(k)]
             for m in range(n)],
            [[_clip(S[m][i] + s_noise[m][i] * s_sd[m][i], SALIENCE_MIN, 1.0) if S[m][i] > 0.0
              else 0.0 for i in range(k)] for m in range(n)])


def tolerances(S: Table, base: float, doha_linked: Sequence[bool],
               new_discipline: Sequence[bool], linkage_cut: float) -> Table:
    """The loss each member tolerates per issue: base * (1 - salience), cut by `linkage_cut`
    for members that link new disciplines to unfinished Doha business."""
    return [[base * (1.0 - S[m][i])
             * (1.0 - (linkage_cut if doha_linked[m] and new_discipline[i] else 0.0))
             for i in range(len(S[0]))] for m in range(len(S))]


# --- the coalition round (every period) -----------------------------------------------------


def coalition_platforms(X: Table, S: Table, C: Sequence[float],
                        member: list[list[bool]]) -> tuple[Table, Table]:
    """Each coalition's platform (its members' capability x salience weighted mean position)
    and its members' mean salience, per issue; 0 for an empty coalition, which then pulls and
    attracts no one."""
    n, k, g = len(X), len(X[0]), len(member[0])
    platform, salience = [[0.0] * k for _ in range(g)], [[0.0] * k for _ in range(g)]
    for c in range(g):
        size = sum(1 for m in range(n) if member[m][c])
        for i in range(k):
            weighted, weight, total_salience = 0.0, 0.0, 0.0
            for m in range(n):
                if member[m][c]:
                    w = C[m] * S[m][i]
                    weighted += w * X[m][i]
                    weight += w
                    total_salience += S[m][i]
            platform[c][i] = weighted / weight if weight > 0 else 0.0
            salience[c][i] = total_salience / size if size else 0.0
    return platform, salience


def affinity(X: Table, S: Table, platform: Table, salience: Table) -> Table:
    """How close (0-1) each member stands to each coalition's platform: 1 minus the distance,
    weighted by the salience both give each issue (0 if they share no salient issue)."""
    n, k, g = len(X), len(X[0]), len(platform)
    closeness = [[0.0] * g for _ in range(n)]
    for m in range(n):
        for c in range(g):
            total, weighted = 0.0, 0.0
            for i in range(k):
                w = S[m][i] * salience[c][i]
                total += w
                weighted += w * abs(X[m][i] - platform[c][i])
            closeness[m][c] = 1.0 - weighted / (SCALE_WIDTH * total) if total > 0 else 0.0
    return closeness


def revise_membership(member: list[list[bool]], founders: list[list[bool]],
                      bloc: Sequence[bool], closeness: Table, active: Sequence[bool],
                      holds: Sequence[bool], params: CoalitionParameters) -> list[list[bool]]:
    """Engaged members join coalitions they are close to (never a bloc: one does not join the
    African Group at will) and leave those they have drifted from; founders leave only further
    away; the founders of a bloc whose discipline holds this period stay."""
    new = []
    for m in range(len(member)):
        row = []
        for c in range(len(bloc)):
            inside = member[m][c]
            if active[m] and not inside and closeness[m][c] >= params.join_threshold \
                    and not bloc[c]:
                inside = True
            leave_below = params.leave_threshold - params.founder_loyalty * founders[m][c]
            leaves = active[m] and member[m][c] and closeness[m][c] < leave_below
            held = founders[m][c] and bloc[c] and holds[c]
            if leaves and not held:
                inside = False
            row.append(inside)
        new.append(row)
    return new


def coalition_targets(X: Table, member: list[list[bool]], platform: Table,
                      salience: Table) -> Table:
    """Where a member's coalitions pull it: the salience-weighted mean of their platforms (its
    own position if it belongs to none)."""
    n, k, g = len(X), len(X[0]), len(platform)
    targets = [[0.0] * k for _ in range(n)]
    for m in range(n):
        for i in range(k):
            total, pulled = 0.0, 0.0
            for c in range(g):
                if member[m][c]:
                    total += salience[c][i]
                    pulled += salience[c][i] * platform[c][i]
            targets[m][i] = pulled / total if total > 0 else X[m][i]
    return targets


# --- bargaining (every period) --------------------------------------------------------------


def weighted_mean_positions(X: Table, S: Table, C: Sequence[float]) -> list[float]:
    """The capability x salience weighted mean position per issue (the expected outcome;
    capability alone where no one cares, as for the chair's text)."""
    means = []
    for i in range(len(X[0])):
        weighted, weight = 0.0, 0.0
        for m in range(len(X)):
            w = C[m] * S[m][i]
            weighted += w * X[m][i]
            weight += w
        if weight <= 0:
            weighted, weight = sum(C[m] * X[m][i] for m in range(len(X))), sum(C)
        means.append(weighted / weight)
    return means


def compromise(X: Table, S: Table, C: Sequence[float], targets: Table, active: Sequence[bool],
               pressure: float, params: BargainingParameters, shocks: Table) -> Table:
    """The compromise protocol: each engaged member moves toward its coalitions' target and,
    more slowly, the overall mean, plus noise (`noise_sd` x its shock); the step is the
    period's pressure times (1 - salience): members give way on what they care little about."""
    overall = weighted_mean_positions(X, S, C)
    new = []
    for m in range(len(X)):
        if not active[m]:
            new.append(list(X[m]))
            continue
        noise = [params.noise_sd * shock for shock in shocks[m]]
        row = []
        for i in range(len(X[0])):
            give = pressure * (1.0 - S[m][i])
            pull = (params.coalition_rate * (targets[m][i] - X[m][i])
                    + params.overall_rate * (overall[i] - X[m][i]))
            row.append(_clip(X[m][i] + give * (pull + noise[i]), SCALE_MIN, SCALE_MAX))
        new.append(row)
    return new


# --- the chair's text and the consensus rule ------------------------------------------------


def acceptance_interval(x: float, q: float, tol: float) -> tuple[float, float]:
    """The texts a member accepts on one issue: those that leave it no more than `tol` worse
    off than the status quo, [x - d, x + d] with d = |x - q| + tol, kept on the scale."""
    d = abs(x - q) + tol
    return _clip(x - d, SCALE_MIN, SCALE_MAX), _clip(x + d, SCALE_MIN, SCALE_MAX)


def weighted_median(values: Sequence[float], weights: Sequence[float]) -> float:
    """The weighted median (the midpoint when the weight splits in half, to HALF_SLACK of the
    total: sums in another order, as the compiled statement adds them, differ in the last bits
    where exact arithmetic splits exactly)."""
    order = sorted(range(len(values)), key=lambda m: values[m])
    cumulative, running = [], 0.0
    for m in order:
        running += weights[m]
        cumulative.append(running)
    half, slack = running / 2.0, running * HALF_SLACK
    lower = next((j for j, c in enumerate(cumulative) if c >= half - slack), 0)
    upper = next((j for j, c in enumerate(cumulative) if c > half + slack), 0)
    return (values[order[lower]] + values[order[upper]]) / 2.0


def chair_text(X: Table, S: Table, C: Sequence[float], i: int) -> float:
    """The chair's text on issue i: the capability x salience weighted median position, which
    no other text beats in weighted support (capability alone if no one cares)."""
    weights = [C[m] * S[m][i] for m in range(len(X))]
    if not sum(weights) > 0:
        weights = list(C)
    return weighted_median([X[m][i] for m in range(len(X))], weights)


def chair_support(X: Table, C: Sequence[float], q: Sequence[float], tol: Table,
                  texts: Sequence[float]) -> list[float]:
    """Per issue, the capability of the members that accept the chair's text: how close the
    talks stand to consensus (recorded every period)."""
    support = []
    for i, text in enumerate(texts):
        accepting = 0.0
        for m in range(len(X)):
            low, high = acceptance_interval(X[m][i], q[i], tol[m][i])
            if low <= text <= high:
                accepting += C[m]
        support.append(accepting)
    return support


def nearest_change(t: float, low: float, high: float, q: float, min_step: float) -> float:
    """The text nearest to t within [low, high] that moves at least min_step from the status
    quo (the upper side on a tie); NaN if there is none."""
    below, above = q - min_step >= low, q + min_step <= high
    t_below = min(max(t, low), q - min_step)
    t_above = min(max(t, q + min_step), high)
    if above and (not below or abs(t_above - t) <= abs(t_below - t)):
        return t_above
    return t_below if below else float("nan")


def blockers(lo: Sequence[float], hi: Sequence[float], q: float, median: float,
             min_step: float) -> list[int]:
    """Who blocks an issue without consensus: the pivotal members (the others could agree a
    change without them); if nobody is pivotal, those who reject the chair's change (the
    weighted median moved out of the min_step band)."""
    n = len(lo)
    if q - min_step >= max(lo) or q + min_step <= min(hi):
        return []  # a change everyone accepts exists: nobody blocks
    pivotal = []
    for m in range(n):
        others = [o for o in range(n) if o != m]
        low = max((lo[o] for o in others), default=SCALE_MIN)
        high = min((hi[o] for o in others), default=SCALE_MAX)
        if q - min_step >= low or q + min_step <= high:
            pivotal.append(m)
    if pivotal:
        return pivotal
    change = nearest_change(median, SCALE_MIN, SCALE_MAX, q, min_step)
    return [m for m in range(n) if change < lo[m] or change > hi[m]]


class Consensus(NamedTuple):
    """One issue at MC11 under the consensus rule: the agreed text (NaN: none) and blockers."""

    text: float
    blockers: list[int]


def consensus_on_issue(X: Table, S: Table, C: Sequence[float], tol: Table, q: float, i: int,
                       min_step: float) -> Consensus:
    """Issue by issue: the chair's text moved to the nearest change that every member accepts;
    without one, the blockers."""
    bounds = [acceptance_interval(X[m][i], q, tol[m][i]) for m in range(len(X))]
    lo, hi = [b[0] for b in bounds], [b[1] for b in bounds]
    median = chair_text(X, S, C, i)
    return Consensus(nearest_change(median, max(lo), min(hi), q, min_step),
                     blockers(lo, hi, q, median, min_step))


def single_undertaking(X: Table, S: Table, C: Sequence[float], q: Sequence[float], tol: Table,
                       min_step: float) -> tuple[list[bool], list[float], list[list[int]]]:
    """Package mode: members weigh the whole package (a gain on one issue pays for a loss on
    another); while anyone rejects, the chair drops the issue with the largest
    capability-weighted loss of the rejecters. (agreed, texts, rejecters when each dropped)."""
    n, k = len(X), len(q)
    texts = [chair_text(X, S, C, i) for i in range(k)]
    in_package = [abs(texts[i] - q[i]) >= min_step for i in range(k)]
    loss = [[S[m][i] * (abs(X[m][i] - texts[i]) - abs(X[m][i] - q[i])) for i in range(k)]
            for m in range(n)]
    dropped_by: list[list[int]] = [[] for _ in range(k)]
    while any(in_package):
        rejecters = [m for m in range(n)
                     if sum(loss[m][i] - S[m][i] * tol[m][i] if in_package[i] else 0.0
                            for i in range(k)) > 0]
        if not rejecters:
            break
        drop, largest = None, None
        for i in range(k):
            if in_package[i]:
                weighted = sum(C[m] * loss[m][i] for m in rejecters)
                if largest is None or weighted > largest:
                    drop, largest = i, weighted
        in_package[drop] = False
        dropped_by[drop] = rejecters
    return in_package, [texts[i] if in_package[i] else float("nan") for i in range(k)], dropped_by


class Plurilateral(NamedTuple):
    """One issue's plurilateral path: a deal?, its text, the coverage, its members."""

    deal: bool
    text: float
    coverage: float
    members: list[int]


def plurilateral_deal(X: Table, S: Table, C: Sequence[float], i: int, q: float,
                      min_step: float, critical_mass: float) -> Plurilateral:
    """The most ambitious text on issue i that members covering a critical mass of trade still
    join (those no worse off than under q). On each side of q the keenest members, down to the
    one who completes the critical mass (reach: how far it wants to move), push the text to
    their capability x salience weighted median reach, at least min_step and at most twice the
    last one's reach. Above q first; below wins with a deal where above has none, or with more
    coverage (beyond rounding: a tie stays above, whatever the members' order). Without a deal,
    coverage is the widest share any change on the scale could gather."""
    n, total_capability = len(X), sum(C)
    share = [c / total_capability for c in C]
    best = None
    for side, room in ((1.0, SCALE_MAX - q), (-1.0, q - SCALE_MIN)):
        reach = [side * (X[m][i] - q) for m in range(n)]
        order = sorted(range(n), key=lambda m: -reach[m])
        covered, pivot = 0.0, None
        for rank, m in enumerate(order):
            covered += share[m]
            if pivot is None and covered >= critical_mass - COVERAGE_SLACK:
                pivot = rank
        threshold = reach[order[pivot if pivot is not None else 0]]
        core_capability = [C[m] if reach[m] >= threshold else 0.0 for m in range(n)]
        weights = [core_capability[m] * S[m][i] for m in range(n)]
        if not sum(weights) > 0:
            weights = core_capability
        wanted = weighted_median(reach, weights)
        distance = min(min(2.0 * threshold, max(wanted, min_step)), room)
        members = [m for m in range(n) if reach[m] >= distance / 2.0 and distance > 0]
        coverage = sum(share[m] for m in members)
        deal = distance >= min_step and coverage >= critical_mass - COVERAGE_SLACK
        fits = room >= min_step  # the smallest change on this side lies on the scale
        widest = sum(share[m] for m in range(n) if fits and reach[m] >= min_step / 2.0)
        candidate = Plurilateral(deal, q + side * distance if deal else float("nan"),
                                 coverage if deal else widest, members if deal else [])
        if best is None or (candidate.deal and not best.deal) or (
                candidate.deal == best.deal
                and candidate.coverage > best.coverage + COVERAGE_SLACK):
            best = candidate
    return best


def speak_as_blocs(X: Table, S: Table, tol: Table, member: list[list[bool]],
                   blocs: Sequence[int], holds: Sequence[bool], platform: Table,
                   salience: Table, bloc_tolerance: Table) -> tuple[Table, Table, Table]:
    """At MC11 each disciplined bloc (coalitions `blocs`) that holds speaks with one voice: its
    members take the bloc's platform, its mean salience and the tolerance that salience gives
    (`bloc_tolerance`, one row per bloc); a later bloc overrides an earlier one."""
    X, S, tol = [list(r) for r in X], [list(r) for r in S], [list(r) for r in tol]
    for row, c in enumerate(blocs):
        if not holds[row]:
            continue
        for m in range(len(X)):
            if member[m][c]:
                X[m], S[m], tol[m] = list(platform[c]), list(salience[c]), list(bloc_tolerance[row])
    return X, S, tol

"""A slow, obvious reference implementation of one replication, for checking and benchmarking.

What it is for
--------------
`engine.model.NegotiationModel` runs the rules vectorised over numpy arrays. This module runs
the SAME rules written the plain way: Python loops over members, issues and coalitions on lists
of floats, one rule at a time, in the order the model applies them. It has two uses:

* an oracle: `tests/test_reference_oracle.py` checks that the fast engine and this module reach
  the same verdict (outcome codes, blockers, plurilateral members; texts to 1e-9) for the same
  seed. Float sums run in a different order here (left to right instead of numpy's pairwise or
  BLAS order), so texts and support agree to rounding, not bit for bit;
* the slow baseline of `benchmarks/bench_ensemble.py`, which reports how much faster the
  vectorised engine is.

numpy is used only for the random `Generator` (SFC64, seeded with the replication's seed), and it
is asked for exactly the same draws, in the same order, as the fast engine (`engine.chance`):
before the first period `standard_normal((n, k))` for the positions' sampling noise, the same for
saliences, `random((periods, n))` for engagement and `random((periods + 1, g))` for bloc
discipline (the last row at MC11); then every period, member by member, `standard_normal(k)` for
the compromise protocol's noise of each engaged member.

Scope: the compromise protocol only (the exchange protocol has its own reference test,
tests/test_exchange_reference.py, and is left to the fast engine); the MC11 verdict issue by
issue with disciplined blocs, and also in package mode (single undertaking), which is a short loop.
Input checks (`consensus._check_inputs`) are not repeated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NO_AGREEMENT = 0
PLURILATERAL = 1
MULTILATERAL = 2
SCALE_MIN = 0.0
SCALE_MAX = 100.0
COVERAGE_SLACK = 1e-12


@dataclass
class ReferenceResult:
    """One replication's verdict per issue, plus the recorded support and mean positions."""

    outcome: list[int]  # per issue: NO_AGREEMENT / PLURILATERAL / MULTILATERAL
    text: list[float]  # per issue, NaN when no agreement
    coverage: list[float]  # per issue
    blockers: list[list[int]]  # per issue: the blocking members' row indices, ascending
    plurilateral_members: list[list[int]]  # per issue: members of the plurilateral deal
    support: list[list[float]]  # per period, per issue
    mean_position: list[list[float]]  # per period, per issue


def _nan_to_num(value: float) -> float:
    return 0.0 if value != value else value


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


# --- coalitions -----------------------------------------------------------------------------


def platforms(X, S, C, member):
    """Each coalition's platform and mean salience per issue (NaN for an empty coalition)."""
    n, k, g = len(X), len(X[0]), len(member[0])
    platform = [[0.0] * k for _ in range(g)]
    salience = [[0.0] * k for _ in range(g)]
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
            platform[c][i] = weighted / weight if weight != 0 else float("nan")
            salience[c][i] = total_salience / size if size else float("nan")
    return platform, salience


def affinity(X, S, platform, salience):
    """Closeness in [0, 1] of each member to each coalition's platform."""
    n, k, g = len(X), len(X[0]), len(platform)
    closeness = [[0.0] * g for _ in range(n)]
    for m in range(n):
        for c in range(g):
            total, weighted = 0.0, 0.0
            for i in range(k):
                w = S[m][i] * _nan_to_num(salience[c][i])
                total += w
                weighted += w * abs(X[m][i] - _nan_to_num(platform[c][i]))
            closeness[m][c] = 1.0 - weighted / (100.0 * total) if total > 0 else 0.0
    return closeness


def update_membership(member, founders, bloc, closeness, active, holds, params):
    """Active members join close (non-bloc) coalitions and leave distant ones, unless held."""
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


def coalition_targets(X, member, platform, salience):
    """The salience-weighted mean of each member's coalition platforms (own position if none)."""
    n, k, g = len(X), len(X[0]), len(platform)
    targets = [[0.0] * k for _ in range(n)]
    for m in range(n):
        for i in range(k):
            total, pulled = 0.0, 0.0
            for c in range(g):
                if member[m][c]:
                    w = _nan_to_num(salience[c][i])
                    total += w
                    pulled += w * _nan_to_num(platform[c][i])
            targets[m][i] = pulled / total if total > 0 else X[m][i]
    return targets


# --- bargaining -----------------------------------------------------------------------------


def weighted_mean_positions(X, S, C):
    """The capability x salience weighted mean position per issue."""
    means = []
    for i in range(len(X[0])):
        weighted, weight = 0.0, 0.0
        for m in range(len(X)):
            w = C[m] * S[m][i]
            weighted += w * X[m][i]
            weight += w
        means.append(weighted / max(weight, 1e-12))
    return means


def compromise(X, S, C, targets, active, pressure, params, rng):
    """Active members move toward their coalitions' target and the overall mean, plus noise
    (`noise_sd` times a standard normal shock that each active member draws, member by member,
    one per issue)."""
    overall = weighted_mean_positions(X, S, C)
    new = []
    for m in range(len(X)):
        if not active[m]:
            new.append(list(X[m]))
            continue
        noise = [params.noise_sd * shock for shock in rng.standard_normal(len(X[0])).tolist()]
        row = []
        for i in range(len(X[0])):
            give = pressure * (1.0 - S[m][i])
            pull = (params.coalition_rate * (targets[m][i] - X[m][i])
                    + params.overall_rate * (overall[i] - X[m][i]))
            row.append(_clip(X[m][i] + give * (pull + noise[i]), SCALE_MIN, SCALE_MAX))
        new.append(row)
    return new


# --- the consensus rule ---------------------------------------------------------------------


def tolerances(S, base, doha_linked, new_discipline, linkage_cut):
    """Loss each member tolerates per issue: base * (1 - salience), cut for Doha-linked members."""
    return [[base * (1.0 - S[m][i]) * (1.0 - (linkage_cut if doha_linked[m] and new_discipline[i]
                                              else 0.0))
             for i in range(len(S[0]))] for m in range(len(S))]


def acceptance_interval(x, q, tol):
    """The texts a member accepts on one issue: [x - d, x + d], d = |x - q| + tol, clipped."""
    d = abs(x - q) + tol
    return _clip(x - d, SCALE_MIN, SCALE_MAX), _clip(x + d, SCALE_MIN, SCALE_MAX)


def weighted_median(values, weights):
    """Weighted median (midpoint when the weight splits exactly in half); ties in input order."""
    order = sorted(range(len(values)), key=lambda m: values[m])
    cumulative, running = [], 0.0
    for m in order:
        running += weights[m]
        cumulative.append(running)
    half = running / 2.0
    lower = next((j for j, c in enumerate(cumulative) if c >= half), 0)
    upper = next((j for j, c in enumerate(cumulative) if c > half), 0)
    return (values[order[lower]] + values[order[upper]]) / 2.0


def chair_text(X, S, C, i):
    """The capability x salience weighted median position on issue i (capability if no one
    cares)."""
    weights = [C[m] * S[m][i] for m in range(len(X))]
    if not sum(weights) > 0:
        weights = list(C)
    return weighted_median([X[m][i] for m in range(len(X))], weights)


def project(t, low, high, q, min_step):
    """Nearest point to t in [low, q - min_step] u [q + min_step, high]; the upper piece on a
    tie; NaN if both pieces are empty."""
    below, above = q - min_step >= low, q + min_step <= high
    t_below = min(max(t, low), q - min_step)
    t_above = min(max(t, q + min_step), high)
    if above and (not below or abs(t_above - t) <= abs(t_below - t)):
        return t_above
    return t_below if below else float("nan")


def issue_blockers(lo, hi, q, median, min_step):
    """Members blocking an issue without consensus: the pivotal ones (the others could agree
    a change without them), else those who reject the most supported change."""
    n = len(lo)
    if q - min_step >= max(lo) or q + min_step <= min(hi):
        return []  # there is a feasible change: nobody blocks
    pivotal = []
    for m in range(n):
        others = [o for o in range(n) if o != m]
        low = max((lo[o] for o in others), default=SCALE_MIN)
        high = min((hi[o] for o in others), default=SCALE_MAX)
        if q - min_step >= low or q + min_step <= high:
            pivotal.append(m)
    if pivotal:
        return pivotal
    change = project(median, SCALE_MIN, SCALE_MAX, q, min_step)
    return [m for m in range(n) if change < lo[m] or change > hi[m]]


def plurilateral_issue(X, S, C, i, q, min_step, critical_mass):
    """The plurilateral path on issue i: (deal, text, coverage, members), trying the side above
    q, then below; the side with a deal, else with more coverage, wins."""
    n = len(X)
    total_capability = sum(C)
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
        widest = sum(share[m] for m in range(n) if reach[m] >= min_step / 2.0)
        candidate = (deal, q + side * distance if deal else float("nan"),
                     coverage if deal else widest, members if deal else [])
        if best is None or (candidate[0] and not best[0]) or (
                candidate[0] == best[0] and candidate[2] > best[2]):
            best = candidate
    return best


def package(X, S, C, q, tol, min_step):
    """Single undertaking: (agreed, texts, blockers per issue); the chair drops the issue with the
    largest capability-weighted loss of the rejecters while anyone rejects."""
    n, k = len(X), len(q)
    texts = [chair_text(X, S, C, i) for i in range(k)]
    in_package = [abs(texts[i] - q[i]) >= min_step for i in range(k)]
    loss = [[S[m][i] * (abs(X[m][i] - texts[i]) - abs(X[m][i] - q[i])) for i in range(k)]
            for m in range(n)]
    blockers: list[list[int]] = [[] for _ in range(k)]
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
        blockers[drop] = rejecters
    return in_package, [texts[i] if in_package[i] else float("nan") for i in range(k)], blockers


# --- the replication ------------------------------------------------------------------------


class ReferenceModel:
    """One replication of the negotiation, rule by rule, on plain lists."""

    def __init__(self, negotiation, parameters, rng) -> None:
        self.nego = negotiation
        self.params = parameters
        self.n, self.k = negotiation.shape
        self.draw_chance(np.random.Generator(np.random.SFC64(rng)), len(negotiation.calendar),
                         len(negotiation.coalitions))
        self.C = negotiation.capability.tolist()
        self.q = negotiation.status_quo.tolist()
        self.founders = negotiation.founders.tolist()
        self.bloc = negotiation.bloc.tolist()
        self.X, self.S = self.sample_preferences()
        self.member = [list(row) for row in self.founders]
        rule = parameters.consensus
        self.tol = tolerances(self.S, rule.base_tolerance, negotiation.doha_linked.tolist(),
                              negotiation.new_discipline.tolist(), rule.linkage_cut)
        self.support: list[list[float]] = []
        self.mean_position: list[list[float]] = []

    def draw_chance(self, rng, periods, g) -> None:
        """The draws made before the first period, in the fast engine's order, from the same
        stream: numpy's SFC64 generator (simulation/engine/chance.py draws it in compiled loops)."""
        n, k = self.n, self.k
        self.rng = rng
        self.x_noise = rng.standard_normal((n, k)).tolist()
        self.s_noise = rng.standard_normal((n, k)).tolist()
        self.engaged = rng.random((periods, n)).tolist()
        self.hold_draws = rng.random((periods + 1, g)).tolist()

    def sample_preferences(self):
        nego = self.nego
        X, S = nego.positions.tolist(), nego.saliences.tolist()
        if not self.params.sample_uncertainty:
            return X, S
        x_noise, s_noise = self.x_noise, self.s_noise
        x_sd, s_sd = nego.position_sd.tolist(), nego.salience_sd.tolist()
        X = [[_clip(X[m][i] + x_noise[m][i] * x_sd[m][i], 0.0, 100.0) for i in range(self.k)]
             for m in range(self.n)]
        S = [[_clip(S[m][i] + s_noise[m][i] * s_sd[m][i], 0.01, 1.0) for i in range(self.k)]
             for m in range(self.n)]
        return X, S

    def run(self) -> ReferenceResult:
        if self.params.bargaining.protocol != "compromise":
            raise NotImplementedError("the reference engine implements the compromise protocol")
        for t, period in enumerate(self.nego.calendar):
            active = [draw < period.attention for draw in self.engaged[t]]
            self.revise_coalitions(active, self.hold_draws[t])
            self.bargain(active, period.pressure)
            self.record_period()
        return self.ministerial()

    def revise_coalitions(self, active, draws) -> None:
        platform, salience = platforms(self.X, self.S, self.C, self.member)
        closeness = affinity(self.X, self.S, platform, salience)
        holds = [d < self.params.coalitions.bloc_discipline for d in draws]
        self.member = update_membership(self.member, self.founders, self.bloc, closeness, active,
                                        holds, self.params.coalitions)

    def bargain(self, active, pressure) -> None:
        platform, salience = platforms(self.X, self.S, self.C, self.member)
        targets = coalition_targets(self.X, self.member, platform, salience)
        self.X = compromise(self.X, self.S, self.C, targets, active, pressure,
                            self.params.bargaining, self.rng)

    def record_period(self) -> None:
        support, means = [], []
        for i in range(self.k):
            text = chair_text(self.X, self.S, self.C, i)
            accepted, weighted, weight = 0.0, 0.0, 0.0
            for m in range(self.n):
                lo, hi = acceptance_interval(self.X[m][i], self.q[i], self.tol[m][i])
                if lo <= text <= hi:
                    accepted += self.C[m]
                w = self.C[m] * self.S[m][i]
                weighted += w * self.X[m][i]
                weight += w
            support.append(accepted)
            means.append(weighted / weight)
        self.support.append(support)
        self.mean_position.append(means)

    def blocs(self):
        """Members speak with their bloc's platform, salience and tolerance if the bloc holds."""
        nego, rule = self.nego, self.params.consensus
        platform, salience = platforms(self.X, self.S, self.C, self.member)
        rows = [c for c in range(len(self.bloc)) if self.bloc[c]]
        draws = [self.hold_draws[-1][c] for c in rows]
        X, S, tol = [list(r) for r in self.X], [list(r) for r in self.S], self.tol
        tol = [list(r) for r in tol]
        doha = nego.doha_linked.tolist()
        new_discipline = nego.new_discipline.tolist()
        for c, draw in zip(rows, draws, strict=True):
            if not draw < self.params.coalitions.bloc_discipline:
                continue
            linked = any(doha[m] for m in range(self.n) if self.founders[m][c])
            bloc_salience = [_nan_to_num(s) for s in salience[c]]
            bloc_tol = tolerances([bloc_salience], rule.base_tolerance, [linked], new_discipline,
                                  rule.linkage_cut)[0]
            for m in range(self.n):
                if self.member[m][c]:  # a later bloc overrides an earlier one
                    X[m] = [_nan_to_num(x) for x in platform[c]]
                    S[m] = list(bloc_salience)
                    tol[m] = list(bloc_tol)
        return X, S, tol

    def ministerial(self) -> ReferenceResult:
        rule = self.params.consensus
        X, S, tol = self.blocs()
        C, q, n, k = self.C, self.q, self.n, self.k
        agreed, texts, blockers = [False] * k, [float("nan")] * k, [[] for _ in range(k)]
        if rule.package:
            agreed, texts, blockers = package(X, S, C, q, tol, rule.min_step)
        else:
            for i in range(k):
                bounds = [acceptance_interval(X[m][i], q[i], tol[m][i]) for m in range(n)]
                lo, hi = [b[0] for b in bounds], [b[1] for b in bounds]
                median = chair_text(X, S, C, i)
                texts[i] = project(median, max(lo), min(hi), q[i], rule.min_step)
                agreed[i] = texts[i] == texts[i]
                blockers[i] = issue_blockers(lo, hi, q[i], median, rule.min_step)
        outcome, text, coverage, plurilateral = [], [], [], []
        for i in range(k):
            deal, pluri_text, pluri_coverage, members = plurilateral_issue(
                X, S, C, i, q[i], rule.min_step, rule.critical_mass)
            if agreed[i]:
                outcome.append(MULTILATERAL)
                text.append(texts[i])
                coverage.append(1.0)
                plurilateral.append([])
            else:
                outcome.append(PLURILATERAL if deal else NO_AGREEMENT)
                text.append(pluri_text)
                coverage.append(pluri_coverage)
                plurilateral.append(members)
        return ReferenceResult(outcome, text, coverage, blockers, plurilateral, self.support,
                               self.mean_position)


def run_replication(negotiation, parameters, rng) -> ReferenceResult:
    """One replication of the compromise protocol: the MC11 verdict and the recorded periods.

    `rng` is what `NegotiationModel` would get: a Generator, SeedSequence or int."""
    return ReferenceModel(negotiation, parameters, rng).run()


def differences(fast, reference: ReferenceResult, replication: int = 0,
                tolerance: float = 1e-9) -> list[str]:
    """How replication `replication` of a fast `RunResult` differs from a `ReferenceResult`
    (empty list = they agree): outcome codes, blockers and plurilateral members exactly; texts,
    coverage, support and mean positions to `tolerance`."""
    fast = fast.take(replication)
    problems = []
    k = len(reference.outcome)
    for i in range(k):
        if int(fast.outcome[i]) != reference.outcome[i]:
            problems.append(f"issue {i}: outcome {int(fast.outcome[i])} != {reference.outcome[i]}")
        fast_blockers = np.flatnonzero(fast.blockers[:, i]).tolist()
        if fast_blockers != reference.blockers[i]:
            problems.append(f"issue {i}: blockers {fast_blockers} != {reference.blockers[i]}")
        fast_members = np.flatnonzero(fast.plurilateral_members[:, i]).tolist()
        if fast_members != reference.plurilateral_members[i]:
            problems.append(f"issue {i}: plurilateral members {fast_members} != "
                            f"{reference.plurilateral_members[i]}")
    for name in ("text", "coverage", "support", "mean_position"):
        a, b = np.asarray(getattr(fast, name), dtype=float), np.asarray(getattr(reference, name))
        if a.shape != b.shape or not np.allclose(a, b, rtol=0.0, atol=tolerance, equal_nan=True):
            worst = np.nanmax(np.abs(a - b)) if a.shape == b.shape else "shape"
            problems.append(f"{name}: differs by up to {worst}")
    return problems

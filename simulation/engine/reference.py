"""One replication run rule by rule with engine.rules: the slow, obvious twin of the model.

`NegotiationModel` runs the rules as compiled kernels over a batch of replications. This module
runs one replication with the plain statements of engine.rules, in the model's order, on lists.
It is the oracle of tests/test_reference_oracle.py (same seed, same verdict: outcome codes,
blockers and plurilateral members exactly; texts, coverage, support, mean positions to rounding,
since sums run in another order) and the slow baseline of benchmarks/bench_ensemble.py.

The draws are numpy's SFC64 generator seeded with the replication's seed, asked for exactly what
engine.chance draws, in the same order: before the first period standard_normal((n, k)) for the
positions' noise, the same for saliences, random((periods, n)) for engagement and
random((periods + 1, g)) for bloc discipline (the last row at MC11); then every period, member by
member, standard_normal(k) for the bargaining shocks of each engaged member.

Scope: the compromise protocol (the exchange protocol is stated in engine.exchange), MC11 issue by
issue or as a single undertaking, with disciplined blocs. Input checks are not repeated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.engine import rules
from simulation.engine.negotiation import Negotiation
from simulation.engine.parameters import Parameters
from simulation.outcomes import MULTILATERAL, NO_AGREEMENT, PLURILATERAL

SeedLike = int | np.random.SeedSequence


@dataclass
class ReferenceResult:
    """One replication's verdict per issue, plus what it records every period."""

    outcome: list[int]  # per issue: NO_AGREEMENT / PLURILATERAL / MULTILATERAL
    text: list[float]  # per issue, NaN when no agreement
    coverage: list[float]  # per issue
    median_position: list[float]  # per issue: the last chair's texts (weighted medians)
    blockers: list[list[int]]  # per issue: the blocking members' rows, ascending
    plurilateral_members: list[list[int]]  # per issue: members of the plurilateral deal
    support: list[list[float]]  # per period, per issue
    mean_position: list[list[float]]  # per period, per issue
    coalition_sizes: list[list[int]]  # per period, per coalition


class ReferenceModel:
    """One replication of the negotiation, rule by rule, on plain lists."""

    def __init__(self, negotiation: Negotiation, parameters: Parameters, seed: SeedLike) -> None:
        if parameters.bargaining.protocol != "compromise":
            raise NotImplementedError("the reference runs the compromise protocol")
        self.nego, self.params = negotiation, parameters
        self.n, self.k = negotiation.shape
        self.rng = np.random.Generator(np.random.SFC64(seed))
        periods, g = len(negotiation.calendar), len(negotiation.coalitions)
        x_noise = self.rng.standard_normal((self.n, self.k)).tolist()
        s_noise = self.rng.standard_normal((self.n, self.k)).tolist()
        self.engagement = self.rng.random((periods, self.n)).tolist()
        self.bloc_draws = self.rng.random((periods + 1, g)).tolist()
        self.C = negotiation.capability.tolist()
        self.q = negotiation.status_quo.tolist()
        self.founders = negotiation.founders.tolist()
        self.bloc = negotiation.bloc.tolist()
        self.X, self.S = negotiation.positions.tolist(), negotiation.saliences.tolist()
        if parameters.sample_uncertainty:
            self.X, self.S = rules.sample_preferences(
                self.X, self.S, negotiation.position_sd.tolist(),
                negotiation.salience_sd.tolist(), x_noise, s_noise)
        self.member = [list(row) for row in self.founders]
        self.tol = self.tolerances(self.S, negotiation.doha_linked.tolist())
        self.support: list[list[float]] = []
        self.median_position: list[float] = []  # the last period's chair texts
        self.mean_position: list[list[float]] = []
        self.coalition_sizes: list[list[int]] = []

    def tolerances(self, S: rules.Table, doha_linked: list[bool]) -> rules.Table:
        rule = self.params.consensus
        return rules.tolerances(S, rule.base_tolerance, doha_linked,
                                self.nego.new_discipline.tolist(), rule.linkage_cut)

    def run(self) -> ReferenceResult:
        for t, period in enumerate(self.nego.calendar):
            active = [draw < period.attention for draw in self.engagement[t]]
            self.revise_coalitions(active, self.bloc_draws[t])
            self.bargain(active, period.pressure)
            self.record_period()
        return self.ministerial()

    def revise_coalitions(self, active: list[bool], draws: list[float]) -> None:
        platform, salience = rules.coalition_platforms(self.X, self.S, self.C, self.member)
        closeness = rules.affinity(self.X, self.S, platform, salience)
        holds = [d < self.params.coalitions.bloc_discipline for d in draws]
        self.member = rules.revise_membership(self.member, self.founders, self.bloc, closeness,
                                              active, holds, self.params.coalitions)
        self.coalition_sizes.append([sum(row[c] for row in self.member)
                                     for c in range(len(self.bloc))])

    def bargain(self, active: list[bool], pressure: float) -> None:
        platform, salience = rules.coalition_platforms(self.X, self.S, self.C, self.member)
        targets = rules.coalition_targets(self.X, self.member, platform, salience)
        shocks = [self.rng.standard_normal(self.k).tolist() if engaged else [0.0] * self.k
                  for engaged in active]
        self.X = rules.compromise(self.X, self.S, self.C, targets, active, pressure,
                                  self.params.bargaining, shocks)

    def record_period(self) -> None:
        texts = [rules.chair_text(self.X, self.S, self.C, i) for i in range(self.k)]
        self.median_position = texts
        self.support.append(rules.chair_support(self.X, self.C, self.q, self.tol, texts))
        self.mean_position.append(rules.weighted_mean_positions(self.X, self.S, self.C))

    def blocs(self) -> tuple[rules.Table, rules.Table, rules.Table]:
        """Positions, saliences and tolerances at MC11, with the disciplined blocs that hold
        speaking as one."""
        platform, salience = rules.coalition_platforms(self.X, self.S, self.C, self.member)
        rows = [c for c in range(len(self.bloc)) if self.bloc[c]]
        holds = [self.bloc_draws[-1][c] < self.params.coalitions.bloc_discipline for c in rows]
        doha = self.nego.doha_linked.tolist()
        linked = [any(doha[m] for m in range(self.n) if self.founders[m][c]) for c in rows]
        bloc_tolerance = self.tolerances([salience[c] for c in rows], linked)
        return rules.speak_as_blocs(self.X, self.S, self.tol, self.member, rows, holds, platform,
                                    salience, bloc_tolerance)

    def ministerial(self) -> ReferenceResult:
        rule = self.params.consensus
        X, S, tol = self.blocs()
        C, q, k = self.C, self.q, self.k
        if rule.package:
            agreed, texts, blockers = rules.single_undertaking(X, S, C, q, tol, rule.min_step)
        else:
            verdicts = [rules.consensus_on_issue(X, S, C, tol, q[i], i, rule.min_step)
                        for i in range(k)]
            texts = [v.text for v in verdicts]
            agreed = [text == text for text in texts]
            blockers = [v.blockers for v in verdicts]
        outcome, text, coverage, plurilateral = [], [], [], []
        for i in range(k):
            pluri = rules.plurilateral_deal(X, S, C, i, q[i], rule.min_step, rule.critical_mass)
            if agreed[i]:
                outcome.append(MULTILATERAL)
                text.append(texts[i])
                coverage.append(1.0)
                plurilateral.append([])
            else:
                outcome.append(PLURILATERAL if pluri.deal else NO_AGREEMENT)
                text.append(pluri.text)
                coverage.append(pluri.coverage)
                plurilateral.append(pluri.members)
        return ReferenceResult(outcome, text, coverage, self.median_position, blockers,
                               plurilateral, self.support,
                               self.mean_position, self.coalition_sizes)


def run_replication(negotiation: Negotiation, parameters: Parameters,
                    seed: SeedLike) -> ReferenceResult:
    """One replication of the compromise protocol: the MC11 verdict and the recorded periods.
    `seed` is what `NegotiationModel` gets for that replication (an int or a SeedSequence)."""
    return ReferenceModel(negotiation, parameters, seed).run()


def differences(fast, reference: ReferenceResult, replication: int = 0,
                tolerance: float = 1e-9) -> list[str]:
    """How replication `replication` of a fast `RunResult` differs from a `ReferenceResult`
    (empty: they agree): outcome codes, blockers, plurilateral members and coalition sizes
    exactly; texts, coverage, median and mean positions and support to `tolerance`."""
    fast = fast.take(replication)
    problems = []
    for i, expected in enumerate(reference.outcome):
        if int(fast.outcome[i]) != expected:
            problems.append(f"issue {i}: outcome {int(fast.outcome[i])} != {expected}")
        for name, fast_rows, rows in (
                ("blockers", fast.blockers, reference.blockers),
                ("plurilateral members", fast.plurilateral_members,
                 reference.plurilateral_members)):
            found = np.flatnonzero(fast_rows[:, i]).tolist()
            if found != rows[i]:
                problems.append(f"issue {i}: {name} {found} != {rows[i]}")
    if np.asarray(fast.coalition_sizes).tolist() != reference.coalition_sizes:
        problems.append("coalition sizes differ")
    for name in ("text", "coverage", "median_position", "support", "mean_position"):
        a, b = np.asarray(getattr(fast, name), dtype=float), np.asarray(getattr(reference, name))
        if a.shape != b.shape or not np.allclose(a, b, rtol=0.0, atol=tolerance, equal_nan=True):
            worst = np.nanmax(np.abs(a - b)) if a.shape == b.shape else "shape"
            problems.append(f"{name}: differs by up to {worst}")
    return problems

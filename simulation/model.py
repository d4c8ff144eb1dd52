"""The negotiation as a Mesa model: monthly coalition and bargaining rounds, then MC11's verdict.

One `step()` is one period of the calendar. Each period the members that engage (a draw with the
period's attention) revise their coalitions, then bargain under the chosen protocol. In the last
period, the ministerial conference, the consensus rule decides every issue, and the plurilateral
path is tried where consensus fails. All member state lives in arrays owned by the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from simulation import coalitions, consensus
from simulation.agents import Member
from simulation.negotiation import Negotiation
from simulation.parameters import Parameters
from simulation.protocols import BargainingContext, make_protocol


@dataclass(frozen=True)
class RunResult:
    """One replication's outcome: the verdict per issue and what the calendar looked like."""

    outcome: np.ndarray  # (k,) int8: consensus.NO_AGREEMENT / PLURILATERAL / MULTILATERAL
    text: np.ndarray  # (k,) agreed text level, NaN when none
    coverage: np.ndarray  # (k,) share of trade covered (1 for multilateral)
    blockers: np.ndarray  # (n, k) bool
    plurilateral_members: np.ndarray  # (n, k) bool
    support: np.ndarray  # (periods, k) capability share accepting the chair's text each period
    mean_position: np.ndarray  # (periods, k) capability x salience weighted mean position
    coalition_sizes: np.ndarray  # (periods, g) members per coalition


class NegotiationModel(mesa.Model):
    """WTO members negotiating e-commerce from the 2016 Public Forum to MC11."""

    def __init__(
        self,
        negotiation: Negotiation,
        parameters: Parameters | None = None,
        rng: int | np.random.SeedSequence | np.random.Generator | None = None,
        trace: bool = False,
    ) -> None:
        super().__init__(rng=rng)
        self.negotiation = negotiation
        self.parameters = parameters or Parameters()
        self.protocol = make_protocol(self.parameters.bargaining)
        self.trace = trace
        self.events: list[tuple] = []
        self.positions, self.saliences = self._sample_preferences()
        self.membership = negotiation.founders.copy()
        self.tolerance = self._tolerances(self.saliences)
        self.verdict: consensus.Ministerial | None = None
        periods, k, g = len(negotiation.calendar), len(negotiation.issues), len(negotiation.bloc)
        self.support = np.zeros((periods, k))
        self.mean_position = np.zeros((periods, k))
        self.coalition_sizes = np.zeros((periods, g), dtype=np.int32)
        Member.create_agents(self, len(negotiation.members), list(range(len(negotiation.members))),
                             list(negotiation.members))
        self.datacollector = mesa.DataCollector(
            model_reporters={"period": "period_label", "coalitions": "coalition_count"}
        ) if trace else None

    @property
    def period_index(self) -> int:
        return self.steps - 1

    @property
    def period_label(self) -> str:
        period = self.negotiation.calendar[max(self.period_index, 0)]
        return f"{period.month} {period.label}"

    @property
    def coalition_count(self) -> dict[str, int]:
        return dict(zip(self.negotiation.coalitions, self.membership.sum(axis=0).tolist(),
                        strict=True))

    def _sample_preferences(self) -> tuple[np.ndarray, np.ndarray]:
        """Draw positions and saliences within their derived uncertainty."""
        nego = self.negotiation
        if not self.parameters.sample_uncertainty:
            return nego.positions.copy(), nego.saliences.copy()
        shape = nego.positions.shape
        positions = nego.positions + self.rng.normal(0.0, 1.0, shape) * nego.position_sd
        saliences = nego.saliences + self.rng.normal(0.0, 1.0, shape) * nego.salience_sd
        return np.clip(positions, 0.0, 100.0), np.clip(saliences, 0.01, 1.0)

    def _tolerances(self, saliences: np.ndarray) -> np.ndarray:
        rule = self.parameters.consensus
        return consensus.tolerances(saliences, rule.base_tolerance, self.negotiation.doha_linked,
                                    self.negotiation.new_discipline, rule.linkage_cut)

    def step(self) -> None:
        """One negotiating period: engagement draw, coalition round, bargaining, and at the end
        of the calendar the ministerial conference."""
        period = self.negotiation.calendar[self.period_index]
        active = self.rng.random(len(self.negotiation.members)) < period.attention
        self.revise_coalitions(active)
        self.bargain(active, period.pressure)
        self.record_period()
        if self.period_index == len(self.negotiation.calendar) - 1:
            self.verdict = self.hold_ministerial()
            self.running = False

    def revise_coalitions(self, active: np.ndarray) -> None:
        """Engaged members join coalitions whose platform is close and leave those drifted away."""
        nego = self.negotiation
        platform, salience = coalitions.platforms(self.positions, self.saliences, nego.capability,
                                                  self.membership)
        closeness = coalitions.affinity(self.positions, self.saliences, platform, salience)
        holds = self.rng.random(len(nego.bloc)) < self.parameters.coalitions.bloc_discipline
        before = self.membership
        self.membership = coalitions.update_membership(
            before, nego.founders, nego.bloc, closeness, active, holds, self.parameters.coalitions
        )
        if self.trace:
            self._trace_membership(before)

    def bargain(self, active: np.ndarray, pressure: float) -> None:
        """Members move their positions under the scenario's bargaining protocol."""
        nego = self.negotiation
        platform, salience = coalitions.platforms(self.positions, self.saliences, nego.capability,
                                                  self.membership)
        targets = coalitions.coalition_targets(self.positions, self.membership, platform, salience)
        context = BargainingContext(self.saliences, nego.capability, targets, active, pressure,
                                    self.rng)
        before = self.positions
        self.positions, moves = self.protocol.bargain(before, context)
        if self.trace:
            self._trace_moves(before, moves)

    def blocs(self) -> consensus.Blocs:
        """The disciplined blocs at MC11: each holds with probability `bloc_discipline`."""
        nego = self.negotiation
        platform, salience = coalitions.platforms(self.positions, self.saliences, nego.capability,
                                                  self.membership)
        rows = np.flatnonzero(nego.bloc)
        holds = self.rng.random(len(rows)) < self.parameters.coalitions.bloc_discipline
        of = np.full(len(nego.members), -1)
        for row, (coalition, hold) in enumerate(zip(rows, holds, strict=True)):
            if hold:
                of[self.membership[:, coalition]] = row
        bloc_salience = salience[rows]
        linked = np.array([nego.doha_linked[nego.founders[:, c]].any() for c in rows], dtype=bool)
        rule = self.parameters.consensus
        tolerance = consensus.tolerances(bloc_salience, rule.base_tolerance, linked,
                                         nego.new_discipline, rule.linkage_cut)
        return consensus.Blocs(of=of, position=platform[rows],
                               salience=bloc_salience, tolerance=tolerance)

    def hold_ministerial(self) -> consensus.Ministerial:
        """MC11: the consensus rule on every issue, then the plurilateral path where it fails."""
        rule = self.parameters.consensus
        return consensus.decide_at_ministerial(
            self.positions, self.saliences, self.negotiation.capability,
            self.negotiation.status_quo, self.tolerance, rule.min_step, rule.critical_mass,
            package=rule.package, blocs=self.blocs(),
        )

    def record_period(self) -> None:
        """Keep what the summary needs: support for the chair's text, mean positions, coalitions."""
        nego, index = self.negotiation, self.period_index
        lo, hi = consensus.acceptance_intervals(self.positions, nego.status_quo, self.tolerance)
        text = consensus.chair_texts(self.positions, self.saliences, nego.capability)
        accepts = (lo <= text[None, :]) & (text[None, :] <= hi)
        self.support[index] = nego.capability @ accepts
        weights = nego.capability[:, None] * self.saliences
        self.mean_position[index] = (weights * self.positions).sum(axis=0) / weights.sum(axis=0)
        self.coalition_sizes[index] = self.membership.sum(axis=0)
        if self.datacollector is not None:
            self.datacollector.collect(self)

    def _trace_membership(self, before: np.ndarray) -> None:
        names, codes = self.negotiation.coalitions, self.negotiation.members
        for member, coalition in zip(*np.nonzero(self.membership & ~before), strict=True):
            self.events.append((self.period_label, "joins", codes[member], names[coalition]))
        for member, coalition in zip(*np.nonzero(before & ~self.membership), strict=True):
            self.events.append((self.period_label, "leaves", codes[member], names[coalition]))

    def _trace_moves(self, before: np.ndarray, moves: list[tuple]) -> None:
        shift = np.abs(self.positions - before)
        codes, issues = self.negotiation.members, self.negotiation.issues
        for member, issue in zip(*np.nonzero(shift >= 10.0), strict=True):
            self.events.append((self.period_label, "moves", codes[member],
                                f"{issues[issue]}: {before[member, issue]:.0f} -> "
                                f"{self.positions[member, issue]:.0f}"))
        for i, j, p, q, gain in moves:
            self.events.append((self.period_label, "exchange", codes[i],
                                f"with {codes[j]}: gives on {issues[q]} for {issues[p]}, "
                                f"gain {gain:.3f}"))

    def run(self) -> RunResult:
        """Run the whole calendar and return the verdict and the recorded periods."""
        while self.running:
            self.step()
        verdict = self.verdict
        return RunResult(
            outcome=verdict.outcome, text=verdict.text, coverage=verdict.coverage,
            blockers=verdict.blockers, plurilateral_members=verdict.plurilateral_members,
            support=self.support, mean_position=self.mean_position,
            coalition_sizes=self.coalition_sizes,
        )

"""The negotiation as a Mesa model: monthly coalition and bargaining rounds, then MC11's verdict.

One `step()` is one period of the calendar. Each period the members that engage (a draw with the
period's attention) revise their coalitions, then bargain under the chosen protocol. In the last
period, the ministerial conference, the consensus rule decides every issue, and the plurilateral
path is tried where consensus fails.

All member state lives in arrays owned by the model, with a leading replication axis: a model
runs one replication (the default) or a batch of independent replications at once, which is how
ensembles stay fast (one call per rule per period for the whole batch). Each replication
draws its chance from its own stream (`engine.chance`), so its results never depend on which
other replications share its batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields, make_dataclass

import mesa
import numpy as np

from simulation.engine import coalitions, consensus
from simulation.engine.agents import Member
from simulation.engine.chance import Chance, SeedLike, around, seed_sequence
from simulation.engine.negotiation import Negotiation
from simulation.engine.parameters import Parameters
from simulation.engine.protocols import make_protocol
from simulation.engine.protocols.base import BargainingContext, Round, weighted_mean_positions
from simulation.engine.rules import SALIENCE_MIN, SCALE_MAX, SCALE_MIN
from simulation.engine.varying import Values, calendar_path, parameter_path, per_replication
from simulation.outputs import OUTPUTS

NOTABLE_MOVE = 10.0
"""The least move (points on the 0-100 scale) of a member's position in a period that a trace
records as a `moves` event."""


def _take(self, rows: int | slice):
    """Some replications' results (one replication without its axis, for an int)."""
    return type(self)(*(getattr(self, f.name)[rows] for f in fields(self)))


def _concatenate(cls, parts: Sequence):
    """The results of consecutive batches as one."""
    return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))


RunResult = make_dataclass(
    "RunResult", [(output.name, np.ndarray) for output in OUTPUTS], frozen=True,
    namespace={"take": _take, "concatenate": classmethod(_concatenate), "__doc__":
               "The replications' outputs, one field per `simulation.outputs.OUTPUTS` entry, "
               "each with a leading replication axis."})


class NegotiationModel(mesa.Model):
    """WTO members negotiating e-commerce from the 2016 Public Forum to MC11.

    `rng` seeds a single replication; `seeds` instead runs one replication per seed as a batch
    (no Member agents, no traces), with results identical to running each seed alone. `values`
    gives constants one value per replication (paths as in `engine.varying`): drawn from a
    scenario's priors, or a design point's.
    """

    def __init__(
        self,
        negotiation: Negotiation,
        parameters: Parameters | None = None,
        rng: SeedLike = None,
        trace: bool = False,
        seeds: Sequence[SeedLike] | None = None,
        values: Values | None = None,
    ) -> None:
        seeds = [rng] if seeds is None else list(seeds)
        if not seeds:
            raise ValueError("`seeds` must name at least one replication")
        if trace and len(seeds) > 1:
            raise ValueError("traces follow one replication: give `rng`, not `seeds`")
        seeds = [seed_sequence(seed) for seed in seeds]
        self.chance = Chance(seeds, negotiation)
        # Mesa's own streams (self.rng, self.random) get a child seed: they never consume a
        # replication's draws.
        super().__init__(rng=np.random.default_rng(seeds[0].spawn(1)[0]))
        self.negotiation = negotiation
        self.parameters = parameters or Parameters()
        self.values = dict(values or {})
        self.protocol = make_protocol(self.parameters.bargaining)
        self.attention, self.pressure = self._calendar_levels(len(seeds))
        self.trace = trace
        self.events: list[tuple] = []
        # traces: per period, the start positions and the exchanges realised in that period
        self.exchanges: list[tuple[np.ndarray, np.ndarray]] = []
        self.positions, self.saliences = self._sample_preferences()
        replications = len(seeds)
        self.membership = np.repeat(negotiation.founders[None], replications, axis=0)
        self.tolerance = self._tolerances(self.saliences, negotiation.doha_linked)
        self.verdict: consensus.Ministerial | None = None
        self.chair_text = np.full((replications, len(negotiation.issues)), np.nan)  # none yet
        periods, k, g = len(negotiation.calendar), len(negotiation.issues), len(negotiation.bloc)
        self.support = np.zeros((replications, periods, k))
        self.mean_position = np.zeros((replications, periods, k))
        self.coalition_sizes = np.zeros((replications, periods, g), dtype=np.int32)
        if replications == 1:
            n = len(negotiation.members)
            Member.create_agents(self, n, list(range(n)), list(negotiation.members))
        self.datacollector = mesa.DataCollector(
            model_reporters={"period": "period_label", "coalitions": "coalition_count"}
        ) if trace else None

    @property
    def period_index(self) -> int:
        """The calendar row of the period just run (-1 before the first step)."""
        return self.steps - 1

    @property
    def period_label(self) -> str:
        """The period just run (or the first, before any), as `Period.title` names it."""
        return self.negotiation.calendar[max(self.period_index, 0)].title

    @property
    def coalition_count(self) -> dict[str, int]:
        """Members per coalition now, in the first replication."""
        return dict(zip(self.negotiation.coalitions, self.membership[0].sum(axis=0).tolist(),
                        strict=True))

    def constant(self, group: str, name: str) -> np.ndarray:
        """A behavioural parameter as one value per replication (r,)."""
        default = getattr(getattr(self.parameters, group), name)
        return per_replication(self.values, parameter_path(group, name), default,
                               len(self.chance.streams))

    def _calendar_levels(self, replications: int) -> tuple[np.ndarray, np.ndarray]:
        """Attention and pressure of each period (r, periods), by replication."""
        calendar = self.negotiation.calendar
        return tuple(np.stack([per_replication(self.values, calendar_path(p.kind, level),
                                               getattr(p, level), replications)
                               for p in calendar], axis=1)
                     for level in ("attention", "pressure"))

    def _sample_preferences(self) -> tuple[np.ndarray, np.ndarray]:
        """Draw positions and saliences within their derived uncertainty, around the derived
        preferences (each replication's own, where it varies the derivation constants)."""
        nego, chance = self.negotiation, self.chance
        positions, saliences = nego.positions, nego.saliences
        if nego.derivation is not None and any(p in nego.derivation.constants
                                               for p in self.values):
            positions, saliences = nego.derivation.preferences(self.values,
                                                               len(chance.streams))
        if not self.parameters.sample_uncertainty:
            shape = chance.position_noise.shape
            return (np.broadcast_to(positions, shape).copy(),
                    np.broadcast_to(saliences, shape).copy())
        sampled = around(saliences, nego.salience_sd, chance.salience_noise, SALIENCE_MIN,
                         1.0)
        # a member with salience 0 takes no part in the issue (own data: no position); it stays so
        return (around(positions, nego.position_sd, chance.position_noise, SCALE_MIN,
                       SCALE_MAX),
                np.where(saliences > 0.0, sampled, 0.0))

    def _tolerances(self, saliences: np.ndarray, doha_linked: np.ndarray) -> np.ndarray:
        """Each member's (or bloc's) tolerance (r, ., k) under its replication's rule."""
        return consensus.replication_tolerances(
            saliences, self.constant("consensus", "base_tolerance"), doha_linked,
            self.negotiation.new_discipline, self.constant("consensus", "linkage_cut"))

    def step(self) -> None:
        """One negotiating period: engagement draw, coalition round, bargaining, and at the end
        of the calendar the ministerial conference."""
        index = self.period_index
        active = self.chance.engagement[:, index] < self.attention[:, index, None]
        targets = self.revise_coalitions(active)
        self.bargain(active, self.pressure[:, index], targets)
        self.record_period()
        if index == len(self.negotiation.calendar) - 1:
            self.verdict = self.hold_ministerial()
            self.running = False

    def revise_coalitions(self, active: np.ndarray) -> np.ndarray:
        """Engaged members join coalitions whose platform is close and leave those drifted away;
        returns where the revised coalitions pull each member (..., n, k)."""
        nego = self.negotiation
        holds = self._blocs_hold(self.period_index)
        before = self.membership
        self.membership, targets, sizes = coalitions.coalition_round(
            self.positions, self.saliences, nego.capability, before, nego.founders, nego.bloc,
            active, holds, self.parameters.coalitions, self.values)
        self.coalition_sizes[:, self.period_index] = sizes
        if self.trace:
            self._trace_membership(before)
        return targets

    def bargain(self, active: np.ndarray, pressure: np.ndarray, targets: np.ndarray) -> None:
        """Members move their positions under the scenario's bargaining protocol, pulled toward
        their coalitions' `targets`."""
        context = BargainingContext(self.saliences, self.negotiation.capability, targets, active,
                                    pressure, self.chance.shocks, self.values)
        before = self.positions
        bargained = self.protocol.bargain(before, context)
        self.positions = bargained.positions
        self.observe_bargaining(before, context)
        if self.trace:
            self._trace_moves(before, bargained)

    def observe_bargaining(self, before: np.ndarray, context: BargainingContext) -> None:
        """Called after each bargaining round with the positions before it and its context (the
        new positions are `self.positions`): a hook for subclasses that explain moves; the
        model itself keeps nothing."""

    def blocs(self) -> consensus.Blocs:
        """The disciplined blocs at MC11: each holds with probability `bloc_discipline`."""
        nego = self.negotiation
        platform, salience = coalitions.platforms(self.positions, self.saliences, nego.capability,
                                                  self.membership)
        rows = np.flatnonzero(nego.bloc)
        holds = self._blocs_hold(-1)[:, rows]
        of = np.full(self.membership.shape[:2], -1)
        for row, coalition in enumerate(rows):
            of = np.where(self.membership[..., coalition] & holds[:, row, None], row, of)
        bloc_salience = salience[:, rows]
        linked = (nego.founders[:, rows] & nego.doha_linked[:, None]).any(axis=0)
        tolerance = self._tolerances(bloc_salience, linked)
        return consensus.Blocs(of=of, position=platform[:, rows],
                               salience=bloc_salience, tolerance=tolerance)

    def _blocs_hold(self, period: int) -> np.ndarray:
        """(r, g): whether each coalition, where it is a bloc, holds together in `period`
        (with probability `bloc_discipline`, from the replication's own draws)."""
        return self.chance.bloc_holds[:, period] < \
            self.constant("coalitions", "bloc_discipline")[:, None]

    def hold_ministerial(self) -> consensus.Ministerial:
        """MC11: the consensus rule on every issue, then the plurilateral path where it fails."""
        return consensus.decide_at_ministerial(
            self.positions, self.saliences, self.negotiation.capability,
            self.negotiation.status_quo, self.tolerance, self.constant("consensus", "min_step"),
            self.constant("consensus", "critical_mass"),
            package=self.parameters.consensus.package, blocs=self.blocs(),
        )

    def record_period(self) -> None:
        """Keep what the summary needs: support for the chair's text and mean positions (the
        coalition round counts the coalitions' members)."""
        nego, index = self.negotiation, self.period_index
        # last period's texts guide the search for this period's: they move little in a month
        self.chair_text = consensus.chair_texts(self.positions, self.saliences, nego.capability,
                                                near=self.chair_text)
        self.support[:, index] = consensus.chair_support(self.positions, self.saliences,
                                                         nego.capability, nego.status_quo,
                                                         self.tolerance, texts=self.chair_text)
        self.mean_position[:, index] = weighted_mean_positions(self.positions, self.saliences,
                                                               nego.capability)
        if self.datacollector is not None:
            self.datacollector.collect(self)

    def _trace_membership(self, before: np.ndarray) -> None:
        names, codes = self.negotiation.coalitions, self.negotiation.members
        now, before = self.membership[0], before[0]
        for member, coalition in zip(*np.nonzero(now & ~before), strict=True):
            self.events.append((self.period_label, "joins", codes[member], names[coalition]))
        for member, coalition in zip(*np.nonzero(before & ~now), strict=True):
            self.events.append((self.period_label, "leaves", codes[member], names[coalition]))

    def _trace_moves(self, before: np.ndarray, bargained: Round) -> None:
        now, before = self.positions[0], before[0]
        codes, issues = self.negotiation.members, self.negotiation.issues
        for member, issue in zip(*np.nonzero(np.abs(now - before) >= NOTABLE_MOVE), strict=True):
            self.events.append((self.period_label, "moves", codes[member],
                                f"{issues[issue]}: {before[member, issue]:.0f} -> "
                                f"{now[member, issue]:.0f}"))
        records = bargained.exchanges_of(0)
        self.exchanges.append((before, records))
        for i, j, p, q, gain in zip(*(records[f].tolist() for f in "ijpq"), records["gain"],
                                    strict=True):
            self.events.append((self.period_label, "exchange", codes[i],
                                f"with {codes[j]}: gives on {issues[q]} for {issues[p]}, "
                                f"gain {gain:.3f}"))

    def run(self) -> RunResult:
        """Run the whole calendar and return the verdicts and the recorded periods."""
        while self.running:
            self.step()
        verdict = self.verdict
        return RunResult(
            outcome=verdict.outcome, text=verdict.text, coverage=verdict.coverage,
            median_position=self.chair_text, blockers=verdict.blockers,
            plurilateral_members=verdict.plurilateral_members, support=self.support,
            mean_position=self.mean_position, coalition_sizes=self.coalition_sizes,
        )

"""Behaviour of the Mesa model: reproducibility, the calendar, agents as views, traces."""

import dataclasses
import random

import numpy as np
import pytest

from simulation.engine.agents import Member
from simulation.engine.model import NegotiationModel
from simulation.engine.parameters import BargainingParameters, Parameters
from simulation.inputs.arrays import build_negotiation
from simulation.inputs.calendar import load_calendar
from simulation.inputs.catalogue import default_catalogue
from simulation.inputs.preferences import derive_preferences
from simulation.inputs.scenario import scenario_from_mapping
from simulation.outcomes import MULTILATERAL, NO_AGREEMENT, PLURILATERAL


@pytest.fixture(scope="module")
def negotiation():
    catalogue = default_catalogue()
    return build_negotiation(catalogue, derive_preferences(catalogue), load_calendar())


def _same(a, b) -> None:
    for field in ("outcome", "text", "coverage", "blockers", "plurilateral_members", "support",
                  "mean_position", "coalition_sizes"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


def test_same_seed_same_result_bit_for_bit(negotiation):
    _same(NegotiationModel(negotiation, rng=11).run(), NegotiationModel(negotiation, rng=11).run())


def test_different_seeds_give_different_runs(negotiation):
    a = NegotiationModel(negotiation, rng=1).run()
    b = NegotiationModel(negotiation, rng=2).run()
    assert not np.array_equal(a.mean_position, b.mean_position)


def test_global_random_state_is_neither_used_nor_consumed(negotiation):
    np.random.seed(0)
    random.seed(0)
    before = (np.random.get_state()[1].copy(), random.getstate())
    first = NegotiationModel(negotiation, rng=5).run()
    np.testing.assert_array_equal(np.random.get_state()[1], before[0])
    assert random.getstate() == before[1]
    np.random.seed(123)
    random.seed(123)
    _same(first, NegotiationModel(negotiation, rng=5).run())


def test_one_step_per_calendar_period_then_the_ministerial(negotiation):
    model = NegotiationModel(negotiation, rng=3)
    periods = len(negotiation.calendar)
    for _ in range(periods - 1):
        model.step()
        assert model.running and model.verdict is None
    model.step()
    assert not model.running and model.verdict is not None
    assert model.steps == periods
    assert negotiation.calendar[-1].kind == "ministerial"


def test_a_batch_gives_each_replication_exactly_what_it_gives_alone(negotiation):
    seeds = [np.random.SeedSequence(7, spawn_key=(i,)) for i in range(4)]
    batch = NegotiationModel(negotiation, seeds=seeds).run()
    assert batch.outcome.shape == (4, len(negotiation.issues))
    for row, seed in enumerate(seeds):
        alone = NegotiationModel(negotiation, rng=seed).run()
        _same(alone, batch.take(slice(row, row + 1)))
    assert not np.array_equal(batch.mean_position[0], batch.mean_position[1])


def test_a_batch_has_no_agents_and_no_traces(negotiation):
    seeds = [1, 2]
    assert len(NegotiationModel(negotiation, seeds=seeds).agents) == 0
    with pytest.raises(ValueError, match="one replication"):
        NegotiationModel(negotiation, seeds=seeds, trace=True)
    with pytest.raises(ValueError, match="at least one"):
        NegotiationModel(negotiation, seeds=[])


def test_outcomes_are_well_formed(negotiation):
    result = NegotiationModel(negotiation, rng=9).run().take(0)
    n, k = negotiation.shape
    assert result.outcome.shape == (k,) and result.blockers.shape == (n, k)
    assert set(result.outcome.tolist()) <= {NO_AGREEMENT, PLURILATERAL, MULTILATERAL}
    agreed = result.outcome != NO_AGREEMENT
    assert np.isnan(result.text[~agreed]).all() and np.isfinite(result.text[agreed]).all()
    assert not result.plurilateral_members[:, result.outcome != PLURILATERAL].any()
    assert ((result.support >= 0) & (result.support <= 1 + 1e-12)).all()
    assert ((result.mean_position >= 0) & (result.mean_position <= 100)).all()


def test_members_are_mesa_agents_that_view_the_model_arrays(negotiation):
    model = NegotiationModel(negotiation, rng=4)
    members = list(model.agents_by_type[Member])
    assert len(members) == len(negotiation.members) == 136
    usa = next(m for m in members if m.code == "USA")
    model.step()
    assert usa.positions == dict(zip(negotiation.issues, model.positions[0, usa.row],
                                     strict=True))
    assert usa.saliences["data_localisation"] == model.saliences[0, usa.row, 1 + 4]
    assert "JOB/GC/94" in usa.coalitions
    assert usa.capability == pytest.approx(negotiation.capability[usa.row])
    india = next(m for m in members if m.code == "IND")
    assert india.doha_linked and not usa.doha_linked


def test_uncertainty_sampling_can_be_switched_off(negotiation):
    exact = NegotiationModel(negotiation, Parameters(sample_uncertainty=False), rng=1)
    np.testing.assert_array_equal(exact.positions[0], negotiation.positions)
    sampled = NegotiationModel(negotiation, rng=1)
    assert not np.array_equal(sampled.positions[0], negotiation.positions)


def test_low_salience_members_move_more_under_compromise(negotiation):
    """The compromise step shrinks with salience: members give way where they care little."""
    parameters = Parameters(sample_uncertainty=False,
                            bargaining=BargainingParameters(noise_sd=0.0))
    model = NegotiationModel(negotiation, parameters, rng=2)
    start = model.positions.copy()
    model.run()
    moved = np.abs(model.positions - start)[0]
    low = negotiation.saliences <= 0.2
    high = negotiation.saliences >= 0.9
    assert moved[low].mean() > 3 * moved[high].mean()


def test_trace_records_coalition_changes_and_moves(negotiation):
    model = NegotiationModel(negotiation, rng=8, trace=True)
    model.run()
    kinds = {event[1] for event in model.events}
    assert "moves" in kinds
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == len(negotiation.calendar)
    assert frame["period"].iloc[-1].endswith(negotiation.calendar[-1].label)


def test_exchange_protocol_runs_and_is_reproducible(negotiation):
    parameters = Parameters(bargaining=BargainingParameters(protocol="exchange"))
    a = NegotiationModel(negotiation, parameters, rng=6).run()
    _same(a, NegotiationModel(negotiation, parameters, rng=6).run())


# --- mutation testing, fifth round (docs/mutation_testing.md) -----------------------------


def test_a_members_coalitions_are_those_it_belongs_to_now(negotiation):
    """A member's `coalitions` follow the coalition rounds: a coalition it joined (the trace
    says so) and has not left since is listed, one it left is not."""
    model = NegotiationModel(negotiation, rng=8, trace=True)
    model.run()
    members = {m.code: m for m in model.agents_by_type[Member]}
    last: dict[tuple[str, str], str] = {}
    for _, kind, code, coalition in (e for e in model.events if e[1] in ("joins", "leaves")):
        last[code, coalition] = kind
    assert "joins" in last.values()
    for (code, coalition), kind in last.items():
        assert (coalition in members[code].coalitions) == (kind == "joins"), (code, coalition)


def test_a_member_a_scenario_makes_indifferent_stays_out_of_the_issue():
    """Salience 0 (a scenario's set_salience: 0) means no part in the issue: no replication's
    sampling gives the member a salience there."""
    scenario = scenario_from_mapping({"name": "x", "overrides": [
        {"members": ["USA"], "issue": "mandate", "set_salience": 0}]})
    negotiation = scenario.negotiation()
    usa, mandate = negotiation.members.index("USA"), negotiation.issues.index("mandate")
    assert negotiation.saliences[usa, mandate] == 0
    model = NegotiationModel(negotiation, seeds=range(20))
    assert (model.saliences[:, usa, mandate] == 0).all()
    assert (np.delete(model.saliences[:, usa], mandate, axis=1) > 0).all()  # elsewhere it cares


def test_a_drawn_derivation_constant_counts_beside_drawn_parameters():
    """A replication's values may vary derivation constants and behavioural parameters at once:
    its preferences follow its derivation constant all the same."""
    negotiation = scenario_from_mapping({"name": "x"}).negotiation(derived=True)
    exact = Parameters(sample_uncertainty=False)
    weight = {"derivation.emphasis_salience.headline": np.array([0.5])}
    both = {**weight, "parameters.consensus.base_tolerance": np.array([12.0])}
    alone = NegotiationModel(negotiation, exact, seeds=[1], values=weight)
    mixed = NegotiationModel(negotiation, exact, seeds=[1], values=both)
    assert not np.array_equal(alone.saliences[0], negotiation.saliences)
    np.testing.assert_array_equal(mixed.saliences, alone.saliences)
    np.testing.assert_array_equal(mixed.positions, alone.positions)


def test_a_blocs_discipline_is_drawn_afresh_each_month(negotiation):
    """Whether a bloc holds its founders is each month's own draw: a bloc that held in the first
    month but not after loses the founders that drifted from its platform."""
    parameters = Parameters(coalitions={"leave_threshold": 1.0, "founder_loyalty": 0.0,
                                        "bloc_discipline": 0.5})
    model = NegotiationModel(negotiation, parameters, rng=3)
    model.chance.bloc_holds[:] = 0.9  # no month holds ...
    model.chance.bloc_holds[:, 0] = 0.1  # ... but the first
    model.chance.engagement[:] = 0.0  # everyone engages
    blocs = np.flatnonzero(negotiation.bloc)
    founders = negotiation.founders[:, blocs].sum()
    model.step()
    assert model.membership[0][:, blocs].sum() == founders
    model.step()
    assert model.membership[0][:, blocs].sum() < founders


# --- mutation testing, fifteenth round (docs/mutation_testing.md) --------------------------


def test_replications_of_a_batch_bargain_with_their_own_noise_and_pressure(negotiation):
    """A batch's replications may each draw their own noise and calendar pressure (a prior's or
    a design's values): each moves as it would alone with its own."""
    kinds = {period.kind for period in negotiation.calendar}
    values = {"parameters.bargaining.noise_sd": np.array([0.0, 3.0, 1.0]),
              **{f"calendar_levels.{kind}.pressure": np.array([0.2, 0.9, 0.6]) for kind in kinds}}
    batch = NegotiationModel(negotiation, seeds=[5, 5, 5], values=values).run()
    for row in range(3):
        alone = {path: column[row:row + 1] for path, column in values.items()}
        _same(NegotiationModel(negotiation, seeds=[5], values=alone).run(),
              batch.take(slice(row, row + 1)))


# --- mutation testing, nineteenth round (docs/mutation_testing.md) ------------------------


def test_without_sampling_each_replication_holds_its_own_derived_preferences():
    """With uncertainty sampling off, a replication's positions and saliences are exactly those
    its own derivation constants give, not the scenario's."""
    negotiation = scenario_from_mapping({"name": "x"}).negotiation(derived=True)
    values = {"derivation.emphasis_salience.headline": np.array([0.2, 1.0]),
              "derivation.emphasis_salience.mentioned": np.array([1.0, 0.2])}
    model = NegotiationModel(negotiation, Parameters(sample_uncertainty=False), seeds=[1, 2],
                             values=values)
    positions, saliences = negotiation.derivation.preferences(values, 2)
    assert not np.array_equal(positions[0], negotiation.positions)
    assert not np.array_equal(positions[0], positions[1])
    np.testing.assert_array_equal(model.positions, positions)
    np.testing.assert_array_equal(model.saliences, saliences)


def test_a_bloc_speaks_for_its_members_now_and_a_later_bloc_overrides_an_earlier(negotiation):
    """At MC11 a bloc that holds speaks for the members it has then, founders or not, and a
    member of two blocs that hold speaks with the later (as rules.speak_as_blocs says)."""
    every = dataclasses.replace(negotiation, bloc=np.ones_like(negotiation.bloc))
    g = len(every.coalitions)
    assert g > 1
    model = NegotiationModel(every, Parameters(coalitions={"bloc_discipline": 1.0}), rng=1)
    membership = np.zeros_like(model.membership)
    membership[0, 0, :] = True  # member 0 in every coalition
    membership[0, 1, 0] = True  # member 1 in the first only
    model.membership = membership
    of = model.blocs().of[0]
    assert of[0] == g - 1 and of[1] == 0
    assert (of[2:] == -1).all()


def test_the_trace_lists_the_moves_of_ten_points_or_more(negotiation):
    """A traced member's move on an issue within a month is listed when it is 10 points or more:
    each listed move, its ends rounded to whole points, spans at least 9."""
    model = NegotiationModel(negotiation, rng=8, trace=True)
    model.run()
    moves = [e[3].split(": ")[1].split(" -> ") for e in model.events if e[1] == "moves"]
    assert moves
    assert all(abs(float(after) - float(before)) >= 9 for before, after in moves)


def test_the_collected_coalition_counts_are_each_coalitions_members_now(negotiation):
    """The data collector's `coalitions` holds, month by month, how many members each coalition
    has in the (first) replication."""
    model = NegotiationModel(negotiation, rng=8, trace=True)
    model.run()
    counts = model.datacollector.get_model_vars_dataframe()["coalitions"].iloc[-1]
    assert counts == dict(zip(negotiation.coalitions, model.membership[0].sum(axis=0).tolist(),
                              strict=True))
    assert max(counts.values()) > 1

"""The challenge protocol runs one round of engine.challenge per replication and month."""

import dataclasses

import numpy as np
import pytest

from simulation.engine import challenge as ch
from simulation.engine.parameters import BargainingParameters
from simulation.engine.protocols.base import BargainingContext
from simulation.engine.protocols.challenge import Challenge
from simulation.inputs.scenario import load_scenario


@pytest.fixture(scope="module")
def negotiation():
    return load_scenario("scenarios/baseline.yaml").negotiation()


def _context(negotiation, positions, pressure, seed=3):
    r, n, k = positions.shape
    rng = np.random.default_rng(seed)
    saliences = np.clip(negotiation.saliences + rng.normal(0, 0.05, (r, n, k)), 0.01, 1)
    active = rng.random((r, n)) < 0.5
    return BargainingContext(saliences, negotiation.capability, positions, active, pressure,
                             lambda a: np.zeros((r, n, k)))


@pytest.mark.parametrize("pressure", [1.0, 0.4])
@pytest.mark.parametrize("settings", [{}, {"offer_rule": "reference", "risk_attitudes": "neutral",
                                           "status_quo_belief": 0.5}])
def test_each_replication_runs_a_round_among_its_engaged_members(negotiation, pressure, settings):
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 5, (2, *negotiation.positions.shape))
    positions = np.clip(negotiation.positions + noise, 0, 100)
    context = _context(negotiation, positions, pressure)
    params = BargainingParameters(protocol="challenge", **settings)
    bargained = Challenge(params).bargain(positions, context)
    model = ch.ChallengeParameters(q=params.status_quo_belief, t=params.improvement_belief,
                                   risk=params.risk_attitudes == "security",
                                   offer_rule=params.offer_rule, position_range=100.0)
    for b in range(2):
        rows = np.flatnonzero(context.active[b])
        start = positions[b, rows]
        offered, _ = ch.challenge_round(start, context.saliences[b, rows],
                                        negotiation.capability[rows], model)
        np.testing.assert_allclose(bargained.positions[b, rows],
                                   start + pressure * (offered - start), rtol=0, atol=1e-9)
        idle = ~context.active[b]
        assert np.array_equal(bargained.positions[b, idle], positions[b, idle])
    assert bargained.exchanges == ()
    moved = np.abs(bargained.positions - positions).max()
    assert moved > 1.0, "nobody took an offer"


def test_forecast_and_backtest_run_the_challenge_protocol(tmp_path):
    """On the user's own data a round at pressure 1 is the model's own round."""
    from simulation.inputs.importers import read_actor_issue_data
    from simulation.runs.forecast import backtest, forecast, settings_for, traced_run

    data = read_actor_issue_data("tests/data/decide_sample_data.csv")
    model = traced_run(data, settings_for("challenge", rounds=2))
    first = model.negotiation.positions
    params = ch.ChallengeParameters(position_range=100.0)
    expected, _ = ch.challenge_round(first, model.negotiation.saliences,
                                     model.negotiation.capability, params)
    expected, _ = ch.challenge_round(expected, model.negotiation.saliences,
                                     model.negotiation.capability, params)
    np.testing.assert_allclose(model.positions[0], expected, rtol=0, atol=1e-9)
    table = forecast(data, settings_for("challenge", rounds=4), runs=3, seed=1)
    assert table["compromise"].between(table["scale_low"], table["scale_high"]).all()
    observed = dataclasses.replace(data, outcome=data.positions[0])
    errors = backtest(observed, settings_for("challenge", rounds=3))["model_error"]
    assert np.isfinite(errors).all()


def test_challenge_ensembles_are_the_same_on_one_or_two_workers():
    """The compiled round is deterministic: chunks and workers do not change a replication."""
    from simulation.runs.ensemble import run_ensemble

    scenario = load_scenario("scenarios/challenge_protocol.yaml")
    one = run_ensemble(scenario, runs=4, seed=7, workers=1, chunk_size=4)
    two = run_ensemble(scenario, runs=4, seed=7, workers=2, chunk_size=1)
    assert one.outcomes.equals(two.outcomes)
    assert np.array_equal(one.support, two.support)
    assert np.array_equal(one.mean_position, two.mean_position, equal_nan=True)

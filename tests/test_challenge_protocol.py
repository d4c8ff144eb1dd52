"""The challenge protocol runs one round of engine.challenge per replication and month."""

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

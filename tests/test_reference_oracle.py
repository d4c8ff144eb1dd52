"""The fast engine against the plain-loop reference (benchmarks/reference_engine.py).

For the same seed both must reach the same MC11 verdict: identical outcome codes, blockers and
plurilateral members, and texts, coverage, support and mean positions equal to 1e-9 (the two sum
floats in a different order, so they agree to rounding, not bit for bit).
"""

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from simulation.ensemble import replication_seed
from simulation.model import NegotiationModel
from simulation.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = 1e-9


def _load_reference():
    spec = importlib.util.spec_from_file_location(
        "reference_engine", ROOT / "benchmarks" / "reference_engine.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("reference_engine", module)
    spec.loader.exec_module(module)
    return module


ref = _load_reference()


@functools.cache
def _baseline():
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    return scenario, scenario.negotiation()


@pytest.fixture(scope="module")
def baseline():
    return _baseline()


def _compare(negotiation, parameters, master_seed: int, replication: int) -> tuple:
    def generator():
        return np.random.default_rng(replication_seed(master_seed, replication))

    fast = NegotiationModel(negotiation, parameters, rng=generator()).run()
    reference = ref.run_replication(negotiation, parameters, generator())
    return fast, reference, ref.differences(fast, reference, TOLERANCE)


@functools.cache
def _baseline_pair(replication: int) -> tuple:
    scenario, negotiation = _baseline()
    return _compare(negotiation, scenario.spec.parameters, scenario.spec.seed, replication)


@pytest.mark.parametrize("replication", range(5))
def test_fast_engine_matches_reference_on_baseline(replication):
    fast, reference, problems = _baseline_pair(replication)
    assert problems == []
    assert fast.outcome.tolist() == reference.outcome


def test_the_seeds_exercise_every_rule():
    """The five seeds above see all three outcomes, blockers and plurilateral members."""
    seen = set()
    blockers = members = 0
    for replication in range(5):
        reference = _baseline_pair(replication)[1]
        seen |= set(reference.outcome)
        blockers += sum(map(len, reference.blockers))
        members += sum(map(len, reference.plurilateral_members))
    assert seen == {ref.NO_AGREEMENT, ref.PLURILATERAL, ref.MULTILATERAL}
    assert blockers > 0 and members > 0


def test_package_mode_and_fixed_preferences_match(baseline):
    scenario, negotiation = baseline
    parameters = scenario.spec.parameters
    package = parameters.model_copy(update={"consensus": parameters.consensus.model_copy(
        update={"package": True})})
    assert _compare(negotiation, package, scenario.spec.seed, 0)[2] == []
    fixed = parameters.model_copy(update={"sample_uncertainty": False})
    fast = NegotiationModel(negotiation, fixed, rng=3).run()  # an int seed: mesa draws nothing
    assert ref.differences(fast, ref.run_replication(negotiation, fixed, 3), TOLERANCE) == []


def test_differences_notices_a_different_run():
    fast = _baseline_pair(0)[0]
    other = _baseline_pair(1)[1]
    assert ref.differences(fast, other) != []


def test_reference_refuses_the_exchange_protocol(baseline):
    scenario, negotiation = baseline
    parameters = scenario.spec.parameters
    exchange = parameters.model_copy(update={"bargaining": parameters.bargaining.model_copy(
        update={"protocol": "exchange"})})
    with pytest.raises(NotImplementedError):
        ref.run_replication(negotiation, exchange, 0)


COMPROMISE_SCENARIOS = ["baseline", "african_group_softens", "china_rules_agenda",
                        "doha_deliverable", "lower_critical_mass", "package_mode",
                        "us_disengages"]
VARIANTS = {
    "as_is": {},
    "blocs_never_hold": {"coalitions": {"bloc_discipline": 0.0}},
    "blocs_always_hold": {"coalitions": {"bloc_discipline": 1.0}},
    "small_steps_low_mass": {"consensus": {"min_step": 2.0, "critical_mass": 0.5}},
    "no_noise_strict": {"bargaining": {"noise_sd": 0.0}, "consensus": {"base_tolerance": 2.0}},
}


@pytest.mark.slow
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", COMPROMISE_SCENARIOS)
def test_sweep_scenarios_and_parameters(name, variant):
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    negotiation = scenario.negotiation()
    parameters = scenario.spec.parameters
    for part, changes in VARIANTS[variant].items():
        parameters = parameters.model_copy(update={
            part: getattr(parameters, part).model_copy(update=changes)})
    failures = {}
    for replication in range(8):
        problems = _compare(negotiation, parameters, scenario.spec.seed, replication)[2]
        if problems:
            failures[replication] = problems
    assert failures == {}

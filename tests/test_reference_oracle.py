"""The fast engine against the plain statement of its rules (engine.reference, engine.rules).

For the same seed both must reach the same MC11 verdict: identical outcome codes, blockers,
plurilateral members and coalition sizes, and texts, coverage, support and mean positions equal
to 1e-9 (the two sum floats in a different order, so they agree to rounding, not bit for bit).
"""

import copy
import dataclasses
import functools
from pathlib import Path

import numpy as np
import pytest

from simulation.engine import reference as ref
from simulation.engine.model import NegotiationModel
from simulation.inputs.scenario import load_scenario
from simulation.outcomes import MULTILATERAL, NO_AGREEMENT, PLURILATERAL
from simulation.runs.ensemble import replication_seed

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = 1e-9


@functools.cache
def _baseline():
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    return scenario, scenario.negotiation()


@pytest.fixture(scope="module")
def baseline():
    return _baseline()


def _run_both(negotiation, parameters, master_seed: int, replications: range) -> tuple:
    """The replications as one batch of the fast engine, and each alone in the reference."""
    seeds = [replication_seed(master_seed, i) for i in replications]
    fast = NegotiationModel(negotiation, parameters, seeds=seeds).run()
    return fast, [ref.run_replication(negotiation, parameters, seed) for seed in seeds]


def _mismatches(negotiation, parameters, master_seed: int, replications: range) -> dict:
    """Per replication, how the fast engine and the reference differ (empty = they agree)."""
    fast, references = _run_both(negotiation, parameters, master_seed, replications)
    found = {i: ref.differences(fast, reference, row, TOLERANCE)
             for row, (i, reference) in enumerate(zip(replications, references, strict=True))}
    return {i: problems for i, problems in found.items() if problems}


@functools.cache
def _baseline_runs() -> tuple:
    scenario, negotiation = _baseline()
    return _run_both(negotiation, scenario.spec.parameters, scenario.spec.seed, range(5))


@pytest.mark.parametrize("replication", range(5))
def test_fast_batch_matches_reference_run_alone_on_baseline(replication):
    fast, references = _baseline_runs()
    assert ref.differences(fast, references[replication], replication, TOLERANCE) == []
    assert fast.outcome[replication].tolist() == references[replication].outcome


def test_the_seeds_exercise_every_rule():
    """The five seeds above see all three outcomes, blockers and plurilateral members."""
    references = _baseline_runs()[1]
    seen = set().union(*(reference.outcome for reference in references))
    assert seen == {NO_AGREEMENT, PLURILATERAL, MULTILATERAL}
    assert sum(len(b) for reference in references for b in reference.blockers) > 0
    assert sum(len(m) for reference in references for m in reference.plurilateral_members) > 0


def test_package_mode_and_fixed_preferences_match(baseline):
    scenario, negotiation = baseline
    parameters = scenario.spec.parameters
    package = parameters.model_copy(update={"consensus": parameters.consensus.model_copy(
        update={"package": True})})
    assert _mismatches(negotiation, package, scenario.spec.seed, range(3)) == {}
    fixed = parameters.model_copy(update={"sample_uncertainty": False})
    fast = NegotiationModel(negotiation, fixed, rng=3).run()
    assert ref.differences(fast, ref.run_replication(negotiation, fixed, 3), 0, TOLERANCE) == []


def test_members_who_do_not_care_about_an_issue_match(tmp_path):
    """A salience set to 0 (a scenario's override, or own data with no position) stays 0 in
    both: the plain statement raised it to the 0.01 floor of sampled saliences, and the texts
    moved by up to 2 points."""
    path = tmp_path / "indifferent.yaml"
    path.write_text(f"extends: {ROOT / 'scenarios' / 'baseline.yaml'}\nname: indifferent\n"
                    "overrides:\n  - {members: [USA, EUN, CHN, JPN], issue: data_flows, "
                    "set_salience: 0, note: test}\n", encoding="utf-8")
    scenario = load_scenario(path)
    negotiation = scenario.negotiation()
    assert _mismatches(negotiation, scenario.spec.parameters, scenario.spec.seed, range(3)) == {}


def test_differences_notices_a_different_run():
    fast, references = _baseline_runs()
    assert ref.differences(fast, references[1], 0) != []


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
    assert _mismatches(negotiation, parameters, scenario.spec.seed, range(8)) == {}


# --- mutation testing, fifteenth round (docs/mutation_testing.md) --------------------------


def test_a_bloc_half_linked_to_doha_and_holding_some_months_matches(baseline):
    """The shipped bloc (the African Group) is Doha-linked in every member and holds nine months
    in ten, so a bloc's linkage taken from all its founders instead of any, or MC11's discipline
    from the first month's draw, changed nothing there. Half of it unlinked, holding half the
    time, both count."""
    scenario, negotiation = baseline
    bloc = np.flatnonzero(negotiation.bloc)
    assert bloc.size == 1
    founders = np.flatnonzero(negotiation.founders[:, bloc[0]])
    doha_linked = negotiation.doha_linked.copy()
    doha_linked[founders[::2]] = False
    mixed = dataclasses.replace(negotiation, doha_linked=doha_linked)
    parameters = scenario.spec.parameters
    parameters = parameters.model_copy(update={"coalitions": parameters.coalitions.model_copy(
        update={"bloc_discipline": 0.5})})
    assert _mismatches(mixed, parameters, scenario.spec.seed, range(6)) == {}


def _perturbed(reference, name: str):
    """A copy of an agreeing `reference` with one part changed: an agreed issue's outcome, an
    issue's list of members, or a number by 1e-7."""
    changed = copy.deepcopy(reference)
    part = getattr(changed, name)
    agreed = next(i for i, code in enumerate(reference.outcome) if code == MULTILATERAL)
    if name == "outcome":
        part[agreed] = NO_AGREEMENT
    elif name in ("blockers", "plurilateral_members"):
        part[0] = sorted(set(part[0]) ^ {0})  # member 0 in or out
    elif name == "coalition_sizes":
        part[-1][0] += 1
    elif name == "text":
        part[agreed] += 1e-7
    elif isinstance(part[0], list):
        part[-1][0] += 1e-7
    else:
        part[0] += 1e-7
    return changed


@pytest.mark.parametrize(("name", "words"), [
    ("outcome", "outcome"), ("blockers", "blockers"),
    ("plurilateral_members", "plurilateral members"), ("coalition_sizes", "coalition sizes"),
    ("text", "text"), ("coverage", "coverage"), ("median_position", "median_position"),
    ("support", "support"), ("mean_position", "mean_position")])
def test_differences_names_each_part_that_differs_and_only_that_part(name, words):
    """The oracle's comparison reports a difference in any one part of the verdict or the
    recorded periods, numbers from 1e-7 at its default tolerance, and names that part."""
    fast, references = _baseline_runs()
    assert ref.differences(fast, references[0]) == []
    problems = ref.differences(fast, _perturbed(references[0], name))
    assert len(problems) == 1 and words in problems[0], problems

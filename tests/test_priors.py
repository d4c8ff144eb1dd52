"""Tests of priors on a scenario's constants (simulation.inputs.priors, engine.varying,
engine.derivation): validation errors, draws inside their bounds and reproducible, each
replication's draws independent of its batch, and the no-prior path unchanged."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.engine.varying import per_replication
from simulation.errors import InputError
from simulation.inputs.calendar import PERIOD_KINDS
from simulation.inputs.constants import Constant, constants
from simulation.inputs.priors import Prior, draw, parse_prior
from simulation.inputs.scenario import load_scenario, scenario_from_mapping
from simulation.runs.ensemble import replication_seed, run_chunk, run_ensemble

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TOLERANCE = "parameters.consensus.base_tolerance"


@functools.cache
def baseline():
    return load_scenario(SCENARIOS / "baseline.yaml")


def with_priors(**sections) -> object:
    """The baseline's settings (without its priors) plus the given sections, as a scenario."""
    return scenario_from_mapping({"name": "priors", **sections})


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copy(SCENARIOS / "baseline.yaml", tmp_path / "baseline.yaml")
    return tmp_path


def write(folder: Path, text: str) -> Path:
    path = folder / "what_if.yaml"
    path.write_text("extends: baseline.yaml\nname: what_if\n" + text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("text", "field", "message"), [
    ("parameters:\n  consensus:\n    base_tolerance: {uniform: [25, 5]}\n",
     "line 5: parameters.consensus.base_tolerance",
     "its first value 25 (a, the lowest) is above its last 5 (b, the highest); give them "
     "lowest first"),
    ("parameters:\n  consensus:\n    min_step: {triangular: [5, 30, 20]}\n",
     "parameters.consensus.min_step", "the mode 30 lies outside [5, 20]"),
    ("parameters:\n  consensus:\n    package: {choice: [0, 1]}\n",
     "parameters.consensus.package", "this field is true or false, so give it one value"),
    ("parameters:\n  bargaining:\n    protocol: {choice: [0, 1]}\n",
     "parameters.bargaining.protocol", "this field is one of 'compromise', 'exchange'"),
    ("parameters:\n  consensus:\n    base_tolerence: {uniform: [5, 25]}\n",
     "parameters.consensus.base_tolerence", "did you mean 'parameters.consensus.base_tolerance'"),
    ("parameters:\n  coalitions:\n    bloc_discipline: {normal: [0.9, 0.1]}\n",
     "parameters.coalitions.bloc_discipline", "normal needs clip"),
    ("parameters:\n  coalitions:\n    bloc_discipline: {normal: [0.1, 0.9], clip: [0.6, 1]}\n",
     "parameters.coalitions.bloc_discipline", "the mean 0.1 lies outside clip [0.6, 1]"),
    ("parameters:\n  coalitions:\n    bloc_discipline: {uniform: [0.5, 1.5]}\n",
     "parameters.coalitions.bloc_discipline",
     "the prior reaches values the constant cannot take: 1.5 is outside the range [0, 1]"),
    ("parameters:\n  coalitions:\n    bloc_discipline: {choice: [1.5, 0.5, -0.5]}\n",
     "parameters.coalitions.bloc_discipline",  # the first value written that is out of range
     "the prior reaches values the constant cannot take: 1.5 is outside the range [0, 1]"),
    ("parameters:\n  consensus:\n    min_step: {uniform: [0, 10]}\n",
     "parameters.consensus.min_step", "0.0 is outside the range (0, 50]"),
    ("calendar_levels:\n  quiet: {attention: {gamma: [1, 2]}}\n",
     "calendar_levels.quiet.attention", "gamma"),
    ("calendar_levels:\n  quiet: {attention: {uniform: [0.2, 1.5]}}\n",
     "calendar_levels.quiet.attention", "1.5 is outside the range [0, 1]"),
    ("derivation:\n  imputed:\n    developing: [{uniform: [10, 150]}, 55, 0.2]\n",
     "derivation.imputed.developing.new_rules", "150.0 is outside the range [0, 100]"),
    ("parameters:\n  consensus:\n    base_tolerance: {uniform: [5, x]}\n",
     "parameters.consensus.base_tolerance", "uniform must be a list of finite numbers"),
    ("parameters:\n  consensus:\n    base_tolerance: {uniform: [5, 10, 25]}\n",
     "parameters.consensus.base_tolerance", "uniform takes [a, b], got 3 numbers"),
    ("parameters:\n  consensus:\n    base_tolerance: {choice: []}\n",
     "parameters.consensus.base_tolerance", "choice needs at least one value"),
    ("parameters:\n  consensus:\n    base_tolerance: {normal: [15, 0], clip: [5, 25]}\n",
     "parameters.consensus.base_tolerance", "the standard deviation must be > 0, got 0"),
    ("parameters:\n  consensus:\n    base_tolerance: {normal: [15, 3], clip: [25, 5]}\n",
     "parameters.consensus.base_tolerance", "clip takes [a, b] with a <= b"),
    ("parameters:\n  consensus:\n    base_tolerance: {uniform: [5, 25], clip: [5, 25]}\n",
     "parameters.consensus.base_tolerance", "clip goes only with normal"),
    ("parameters:\n  consensus:\n    base_tolerance: {uniform: [5, 25], beta: [1, 2]}\n",
     "parameters.consensus.base_tolerance",
     "unknown 'beta': a prior names exactly one distribution"),
    ("parameters:\n  consensus:\n    base_tolerance: {triangle: [5, 15, 25]}\n",
     "parameters.consensus.base_tolerance",  # a misspelt distribution gets the close one
     "unknown 'triangle' (did you mean 'triangular'?): a prior names exactly one distribution"),
    ("derivation:\n  uncertainty:\n    imputed: [{uniform: [10, 30]}, 0.15]\n",
     "derivation.uncertainty.imputed.position_sd", "the spreads of derivation.uncertainty take "
     "plain numbers, [position sd, salience sd], not priors"),
])
def test_a_bad_prior_is_an_input_error_naming_file_and_field(folder, text, field, message):
    with pytest.raises(InputError) as error:
        load_scenario(write(folder, text))
    assert error.value.source.endswith("what_if.yaml")
    assert field in error.value.field
    assert message in str(error.value)


def test_a_prior_whose_ends_meet_is_accepted_and_draws_that_one_value(folder):
    """[a, a] is the narrowest range, not a reversed one: a = b is allowed."""
    scenario = load_scenario(write(folder, "parameters:\n  consensus:\n"
                                           "    base_tolerance: {uniform: [15, 15]}\n"
                                           "    min_step: {triangular: [5, 5, 5]}\n"))
    drawn = draw(scenario.priors, [replication_seed(1, i) for i in range(5)])
    assert drawn[TOLERANCE].tolist() == [15.0] * 5
    assert drawn["parameters.consensus.min_step"].tolist() == [5.0] * 5


# --------------------------------------------------------------------------- draws


priors = st.one_of(
    st.tuples(st.floats(0, 50), st.floats(0, 50)).map(
        lambda ab: Prior("uniform", tuple(sorted(ab)))),
    st.tuples(st.floats(0, 50), st.floats(0, 50), st.floats(0, 50)).map(
        lambda t: Prior("triangular", tuple(sorted(t)))),
    st.tuples(st.floats(0, 50), st.floats(0.01, 20), st.floats(0, 50), st.floats(0, 50)).map(
        lambda t: Prior("normal", t[:2], tuple(sorted(t[2:])))),
    st.lists(st.floats(0, 50), min_size=1, max_size=5).map(lambda v: Prior("choice", tuple(v))),
)


@settings(max_examples=60)
@given(prior=priors, seed=st.integers(0, 2**32))
def test_draws_are_reproducible_and_inside_their_bounds(prior, seed):
    seeds = [replication_seed(seed, i) for i in range(20)]
    values = draw({TOLERANCE: prior}, seeds)[TOLERANCE]
    low, high = prior.support
    assert np.all((values >= low) & (values <= high))
    if prior.kind == "choice":
        assert set(values.tolist()) <= set(prior.args)
    again = draw({TOLERANCE: prior}, [replication_seed(seed, i) for i in range(20)])[TOLERANCE]
    assert np.array_equal(values, again)
    alone = draw({TOLERANCE: prior}, seeds[7:8])[TOLERANCE]
    assert alone[0] == values[7]


def test_a_constant_draws_the_same_whatever_other_priors_there_are():
    seeds = [replication_seed(1, i) for i in range(10)]
    uniform = Prior("uniform", (5.0, 25.0))
    alone = draw({TOLERANCE: uniform}, seeds)
    together = draw({TOLERANCE: uniform, "parameters.consensus.min_step": uniform}, seeds)
    assert np.array_equal(alone[TOLERANCE], together[TOLERANCE])


def test_a_constant_draws_the_same_whichever_priors_a_scenario_writes_before_it():
    """A scenario may write another prior above this one (min_step above base_tolerance): each
    constant still draws what it draws alone."""
    seeds = [replication_seed(1, i) for i in range(10)]
    uniform = Prior("uniform", (5.0, 25.0))
    step = "parameters.consensus.min_step"
    together = draw({step: uniform, TOLERANCE: uniform}, seeds)
    assert np.array_equal(together[TOLERANCE], draw({TOLERANCE: uniform}, seeds)[TOLERANCE])
    assert np.array_equal(together[step], draw({step: uniform}, seeds)[step])


def test_parse_accepts_each_distribution_within_the_range():
    constant = Constant("x", 0.0, 1.0)
    assert parse_prior({"uniform": [0.2, 0.4]}, constant).nominal == pytest.approx(0.3)
    assert parse_prior({"triangular": [0.2, 0.3, 0.5]}, constant).nominal == 0.3
    assert parse_prior({"normal": [0.5, 0.1], "clip": [0.2, 0.8]}, constant).support == (0.2, 0.8)
    assert parse_prior({"choice": [0.1, 0.9, 0.5]}, constant).nominal == 0.5


# --------------------------------------------------------------------------- the model


def test_derived_cells_with_the_scenario_constants_give_its_preference_table():
    negotiation = baseline().negotiation(derived=True)
    positions, saliences = negotiation.derivation.preferences({}, 2)
    assert np.array_equal(positions[1], negotiation.positions)
    assert np.array_equal(saliences[1], negotiation.saliences)


def test_derived_cells_follow_a_changed_constant_as_a_rederived_table_does():
    path = "derivation.imputed.developing.new_rules"
    negotiation = baseline().negotiation(derived=True)
    positions, _ = negotiation.derivation.preferences({path: np.array([15.0])}, 1)
    changed = with_priors(derivation={"imputed": {"developing": [15, 55, 0.2]}})
    assert np.array_equal(positions[0], changed.negotiation().positions)


def test_a_derivation_constants_prior_alone_has_its_draws_rederive_the_preferences():
    """A scenario whose only prior is on a derivation constant gives runs that re-derive the
    preferences from each replication's draw, as a scenario stating that value does."""
    path = "derivation.imputed.developing.new_rules"
    scenario = with_priors(derivation={"imputed": {"developing": [{"uniform": [10, 50]}, 55,
                                                                  0.2]}})
    assert list(scenario.priors) == [path]
    negotiation = scenario.negotiation()
    assert negotiation.derivation is not None, "the drawn constant would change nothing"
    positions, _ = negotiation.derivation.preferences({path: np.array([15.0])}, 1)
    stated = with_priors(derivation={"imputed": {"developing": [15, 55, 0.2]}})
    assert np.array_equal(positions[0], stated.negotiation().positions)


def test_overrides_are_replayed_on_drawn_derivation_constants():
    path = "derivation.imputed.developing.elsewhere"
    override = {"status": ["developing"], "cluster": "facilitation_development",
                "shift_position": 10}
    scenario = with_priors(overrides=[override])
    negotiation = scenario.negotiation(derived=True)
    positions, _ = negotiation.derivation.preferences({path: np.array([40.0])}, 1)
    rederived = with_priors(derivation={"imputed": {"developing": [30, 40, 0.2]}},
                            overrides=[override])
    assert np.array_equal(positions[0], rederived.negotiation().positions)


def test_a_shift_beyond_the_scale_stops_at_its_end_on_drawn_derivation_constants():
    path = "derivation.imputed.developing.elsewhere"
    override = {"status": ["developing"], "cluster": "facilitation_development",
                "shift_position": 60}
    negotiation = with_priors(overrides=[override]).negotiation(derived=True)
    positions, _ = negotiation.derivation.preferences({path: np.array([70.0])}, 1)
    rederived = with_priors(derivation={"imputed": {"developing": [30, 70, 0.2]}},
                            overrides=[override])
    assert positions.max() == 100.0
    assert np.array_equal(positions[0], rederived.negotiation().positions)


def test_a_salience_scaled_past_1_stops_at_1_on_drawn_derivation_constants():
    """A scale_salience override on saliences that follow a drawn emphasis weight stops at
    salience 1, as the re-derived table of the same weight does."""
    path = "derivation.emphasis_salience.headline"
    override = {"members": ["USA"], "scale_salience": 3}
    negotiation = with_priors(overrides=[override]).negotiation(derived=True)
    _, saliences = negotiation.derivation.preferences({path: np.array([0.8])}, 1)
    rederived = with_priors(derivation={"emphasis_salience": {"headline": 0.8}},
                            overrides=[override])
    assert saliences.max() == 1.0
    assert np.array_equal(saliences[0], rederived.negotiation().saliences)


def test_a_constant_given_for_another_number_of_replications_is_refused_naming_it():
    """Two values for three replications would leave the third to read past the end."""
    with pytest.raises(ValueError, match=rf"{TOLERANCE}: \(2,\) values for 3 replications"):
        per_replication({TOLERANCE: np.array([0.1, 0.2])}, TOLERANCE, 0.5, 3)


def test_a_constants_values_come_back_writable_and_apart_from_the_values_given():
    """Values shared read-only (as an ensemble's draws may be) come back as an array of the
    replications' own, writable like the scenario's single value spread over them, so the
    rules compiled for writable arrays serve both and nothing written reaches the draws."""
    drawn = np.array([0.1, 0.2, 0.3])
    drawn.setflags(write=False)
    given = per_replication({TOLERANCE: drawn}, TOLERANCE, 0.5, 3)
    assert given.tolist() == [0.1, 0.2, 0.3]
    assert given.flags.writeable and not np.shares_memory(given, drawn)
    assert per_replication({}, TOLERANCE, 0.5, 3).tolist() == [0.5, 0.5, 0.5]


def test_each_replication_gets_the_same_results_whatever_its_chunk():
    scenario = with_priors(
        parameters={"consensus": {"base_tolerance": {"uniform": [5, 25]}},
                    "coalitions": {"join_threshold": {"uniform": [0.75, 0.95]}}},
        calendar_levels={"general_council": {"pressure": {"uniform": [0.5, 0.9]}}},
        derivation={"imputed": {"developing": [{"uniform": [10, 50]}, 55, 0.2]}})
    negotiation, params = scenario.negotiation(), scenario.spec.parameters
    whole = run_chunk(negotiation, params, 3, 0, 6, scenario.priors)
    part = run_chunk(negotiation, params, 3, 4, 6, scenario.priors)
    assert np.array_equal(whole.outcome[4:], part.outcome)
    assert np.array_equal(whole.text[4:], part.text, equal_nan=True)
    for path, values in part.draws.items():
        assert np.array_equal(whole.draws[path][4:], values)


def test_a_prior_that_decides_an_issue_shows_in_its_draws():
    """With the tolerance drawn over a wide range, runs with a high tolerance agree more often:
    the draws in outcomes.parquet let a user condition on them."""
    scenario = with_priors(parameters={"consensus": {"base_tolerance": {"uniform": [0, 60]}}})
    outcomes = run_ensemble(scenario, runs=60, seed=5, workers=1).outcomes
    column = f"draw:{TOLERANCE}"
    assert column in outcomes
    per_run = outcomes.groupby("run").agg(
        tolerance=(column, "first"),
        agreed=("outcome", lambda o: (o == "multilateral").mean()))
    high = per_run[per_run.tolerance > 30].agreed.mean()
    low = per_run[per_run.tolerance < 30].agreed.mean()
    assert high > low


def test_resolved_scenario_keeps_its_priors_and_reads_back_the_same():
    scenario = with_priors(
        parameters={"consensus": {"base_tolerance": {"uniform": [5, 25]}}},
        derivation={"imputed": {"ldc": [{"triangular": [5, 15, 40]}, 60, 0.15]}})
    again = scenario_from_mapping(scenario.resolved())
    assert again.priors == scenario.priors
    assert again.input_hash() == scenario.input_hash()
    assert scenario.input_hash() != with_priors().input_hash()


def test_every_constant_has_a_range():
    for constant in constants().values():
        assert constant.low < constant.high


@pytest.mark.parametrize("kind", PERIOD_KINDS)
def test_the_levels_of_every_kind_of_month_take_a_prior(folder, kind):
    """The ministerial conference's month too: its pressure and attention can be uncertain."""
    for level in ("attention", "pressure"):
        path = write(folder, f"calendar_levels:\n  {kind}: {{{level}: {{uniform: [0.5, 0.9]}}}}\n")
        assert f"calendar_levels.{kind}.{level}" in load_scenario(path).priors


def test_a_child_scenario_replaces_a_prior_by_a_value_or_another_prior(folder):
    fixed = load_scenario(write(folder, "parameters:\n  consensus:\n    base_tolerance: 20\n"))
    assert TOLERANCE not in fixed.priors
    assert fixed.spec.parameters.consensus.base_tolerance == 20
    other = load_scenario(write(folder, "parameters:\n  consensus:\n"
                                        "    base_tolerance: {uniform: [10, 30]}\n"))
    assert other.priors[TOLERANCE] == Prior("uniform", (10.0, 30.0))
    assert "parameters.consensus.min_step" in other.priors  # the parent's other priors stay


def test_run_says_which_drawn_constants_its_protocol_does_not_read(tmp_path, capsys):
    """The baseline's priors on the compromise protocol's settings are drawn in an exchange run
    too, but change no run there: the list of uncertain constants says so (as sweep and
    sensitivity do), so nobody reads them as part of the exchange forecast's uncertainty."""
    from simulation.cli import main

    baseline = Path(__file__).parents[1] / "scenarios" / "baseline.yaml"
    scenario = tmp_path / "exchange.yaml"
    scenario.write_text(f"extends: {baseline}\nname: ex\nparameters:\n  bargaining:\n"
                        "    protocol: exchange\n", encoding="utf-8")
    assert main(["run", str(scenario), "--runs", "2", "--workers", "1", "--quiet", "--no-plots",
                 "--folder", str(tmp_path / "run")]) == 0
    listed = {line.split(":")[0].strip(): line for line in capsys.readouterr().out.splitlines()
              if line.startswith(("  parameters.", "  calendar_levels."))}
    for setting in ("coalition_rate", "overall_rate", "noise_sd"):
        assert ("read only by the compromise protocol: changes no run under exchange"
                in listed[f"parameters.bargaining.{setting}"])
    for kind in ("quiet", "dedicated_discussion"):  # exchange moves by gains, not by pressure
        assert ("read only by the compromise and challenge protocols: changes no run under "
                "exchange" in listed[f"calendar_levels.{kind}.pressure"])
        assert "read only" not in listed[f"calendar_levels.{kind}.attention"]
    assert "read only" not in listed["parameters.consensus.base_tolerance"]

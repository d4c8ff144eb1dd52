"""Tests of a scenario's override values as constants (`overrides.<index>.<field>`): a sweep
varies them, a prior on one is drawn per run like any other, bad paths and values are refused,
and the shipped scenarios keep their draws."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from commands import mc11

from simulation.engine.model import NegotiationModel
from simulation.errors import InputError
from simulation.inputs.constants import constants
from simulation.inputs.priors import draw, prior_seed
from simulation.inputs.scenario import load_scenario, scenario_from_mapping
from simulation.runs import design, sweep
from simulation.runs.ensemble import replication_seed

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TOLERANCE = "parameters.consensus.base_tolerance"
SALIENCE = "overrides.0.set_salience"
SHIFT = "overrides.1.shift_position"
NOBODY_ENGAGES = {kind: {"attention": 0.0} for kind in (
    "forum", "mini_ministerial", "general_council", "dedicated_discussion", "quiet", "ministerial")}
DEVELOPING_AT_ZERO = {"status": ["developing"], "set_position": 0, "set_salience": 0.5}
USA_SHIFTS = {"members": ["USA"], "shift_position": 10}


def decided(*overrides: dict) -> object:
    """Nobody engages and preferences are not sampled: the verdicts follow from the derived
    preferences and the consensus rule alone."""
    return scenario_from_mapping({"name": "decided", "calendar_levels": NOBODY_ENGAGES,
                                  "parameters": {"sample_uncertainty": False},
                                  "overrides": list(overrides)})


def cells(scenario, override: int) -> np.ndarray:
    """The (members, issues) cells of the negotiation an override of the scenario acts on."""
    negotiation = scenario.negotiation()
    who, where = scenario.override_cells()[override]
    return (np.isin(negotiation.members, list(who))[:, None]
            & np.isin(negotiation.issues, list(where))[None])


# --------------------------------------------------------------------------- shipped scenarios


@pytest.mark.parametrize("name", sorted(p.name for p in SCENARIOS.glob("*.yaml")))
def test_shipped_scenarios_keep_their_prior_draws(name):
    """Their overrides' values become constants without changing the draws of their priors
    (the old order: one uniform per registry constant)."""
    scenario = load_scenario(SCENARIOS / name)
    seeds = [replication_seed(scenario.spec.seed, i) for i in range(4)]
    order = list(constants())
    uniforms = np.array([np.random.Generator(np.random.SFC64(prior_seed(s))).random(len(order))
                         for s in seeds])
    drawn = draw(scenario.priors, seeds)
    for path, prior in scenario.priors.items():
        assert np.array_equal(drawn[path], prior.quantile(uniforms[:, order.index(path)]))


# --------------------------------------------------------------------------- the preferences


def test_an_override_value_varied_per_replication_gives_each_run_its_value():
    scenario = decided(DEVELOPING_AT_ZERO, USA_SHIFTS)
    negotiation = scenario.negotiation(derived=True)
    mask, usa = cells(scenario, 0), cells(scenario, 1)
    positions, saliences = negotiation.derivation.preferences(
        {SALIENCE: np.array([0.2, 0.9]), SHIFT: np.array([-30.0, 10.0])}, 2)
    assert (saliences[0][mask] == 0.2).all() and (saliences[1][mask] == 0.9).all()
    assert np.array_equal(saliences[0][~mask], negotiation.saliences[~mask])
    assert np.array_equal(positions[1], negotiation.positions)  # the scenario's own shift
    stated = decided(DEVELOPING_AT_ZERO, {**USA_SHIFTS, "shift_position": -30})
    assert np.array_equal(positions[0], stated.negotiation().positions)
    assert not np.array_equal(positions[0][usa], positions[1][usa])


def test_a_design_points_runs_take_the_override_value_it_sets():
    scenario = decided(DEVELOPING_AT_ZERO)
    model = NegotiationModel(scenario.negotiation(derived=True), scenario.spec.parameters,
                             seeds=[1, 2], values={SALIENCE: np.full(2, 0.8)})
    assert (model.saliences[:, cells(scenario, 0)] == 0.8).all()


def test_a_sweep_of_an_override_value_moves_the_verdicts_the_way_it_must(tmp_path):
    """Developing members at the status quo caring more block more texts: fewer issues are
    agreed multilaterally when their salience is 1 than when it is 0.05."""
    scenario = decided(DEVELOPING_AT_ZERO)
    settings = design.parse_settings([f"{SALIENCE}=1,0.05"], scenario.spec.overrides)
    assert settings == {SALIENCE: [0.05, 1.0]}
    plan = design.grid(settings, 3, 7, scenario.input_hash())
    folder = sweep.open_folder(plan, scenario, tmp_path / "sweep", tmp_path)
    sweep.execute_design(folder, plan, scenario)
    table = sweep.point_table(folder, plan, scenario.catalogue.issue_ids)
    agreed = table.groupby(SALIENCE)["p_multilateral"].sum()
    assert agreed[1.0] < agreed[0.05]


def test_mc11_sweep_varies_an_override_value(tmp_path):
    path = tmp_path / "decided.yaml"
    path.write_text("name: decided\nparameters: {sample_uncertainty: false}\noverrides:\n"
                    "  - {members: [USA], set_salience: 0.5}\n", encoding="utf-8")
    code, _, err = mc11("sweep", path, "--set", f"{SALIENCE}=0.1,0.9", "--runs-per-point", 2,
                        "--scheduler", "in-process", "--folder", tmp_path / "out",
                        "--no-plots", "--quiet")
    assert code == 0, err
    table = pd.read_csv(tmp_path / "out" / "sweep.csv")
    assert sorted(set(table[SALIENCE])) == [0.1, 0.9]


# --------------------------------------------------------------------------- priors


def write_prior_scenario(folder: Path) -> Path:
    path = folder / "prior.yaml"
    path.write_text(
        "name: prior\nparameters:\n  consensus: {base_tolerance: {uniform: [5, 25]}}\n"
        "overrides:\n  - {members: [USA], issue: mandate, set_position: {uniform: [60, 80]}}\n"
        "  - {group: african_group, shift_position: {triangular: [-10, 0, 20]}}\n",
        encoding="utf-8")
    return path


def test_a_prior_in_an_override_is_drawn_per_run_recorded_and_reproducible(tmp_path):
    path = write_prior_scenario(tmp_path)
    tables = []
    for workers in (1, 2):
        folder = tmp_path / f"run{workers}"
        code, _, err = mc11("run", path, "--runs", 6, "--workers", workers, "--folder", folder,
                            "--quiet")
        assert code == 0, err
        tables.append(pd.read_parquet(folder / "outcomes.parquet"))
    pd.testing.assert_frame_equal(*tables, check_exact=True)
    runs = tables[0].drop_duplicates("run")
    position = runs["draw:overrides.0.set_position"]
    assert position.between(60, 80).all() and position.nunique() == 6
    assert runs["draw:overrides.1.shift_position"].between(-10, 20).all()
    priors = pd.read_csv(tmp_path / "run1" / "priors.csv")
    assert "overrides.0.set_position" in set(priors["parameter"])
    stored = load_scenario(tmp_path / "run1" / "scenario.yaml")  # the prior stands as written
    assert stored.priors == load_scenario(path).priors


def test_an_override_prior_changes_no_other_constants_draws(tmp_path):
    with_override = load_scenario(write_prior_scenario(tmp_path))
    alone = scenario_from_mapping({"name": "alone", "parameters": {
        "consensus": {"base_tolerance": {"uniform": [5, 25]}}}})
    seeds = [replication_seed(3, i) for i in range(5)]
    assert np.array_equal(draw(with_override.priors, seeds)[TOLERANCE],
                          draw(alone.priors, seeds)[TOLERANCE])


def test_a_scenario_with_an_override_prior_resolves_and_reads_back_the_same(tmp_path):
    scenario = load_scenario(write_prior_scenario(tmp_path))
    resolved = scenario.resolved()
    assert resolved["overrides"][0]["set_position"] == {"uniform": [60.0, 80.0]}
    again = scenario_from_mapping(resolved)
    assert again.priors == scenario.priors and again.input_hash() == scenario.input_hash()
    assert scenario.constants()["overrides.0.set_position"] == 70.0  # the central value


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("setting", "message"), [
    (f"{SALIENCE}=0.2,1.5", "1.5 is outside the range [0, 1]"),
    ("overrides.1.shift_position=-120,5", "-120.0 is outside the range [-100, 100]"),
    ("overrides.1.set_salience=0.1,0.2", "overrides.1 gives shift_position, not set_salience"),
    ("overrides.0.shift_position=1,2", "overrides.0 gives set_position and set_salience, not "
                                       "shift_position"),
    ("overrides.2.set_salience=0.1,0.2", "no override 2: the scenario has 2 overrides"),
    ("overrides.0.set_salince=0.1,0.2", "did you mean 'set_salience'?"),
    ("overrides.first.set_salience=0.1,0.2", "overrides.<index>.<field>"),
])
def test_a_sweep_of_a_value_no_override_gives_is_refused_saying_why(setting, message):
    overrides = decided(DEVELOPING_AT_ZERO, USA_SHIFTS).spec.overrides
    with pytest.raises(InputError, match=re.escape(message)):
        design.parse_settings([setting], overrides)


@pytest.mark.parametrize(("setting", "advice"), [
    ("overrides.0.shift_position=1,2", "or write shift_position in place of set_position in "
                                       "the scenario file's override"),
    ("overrides.1.set_position=1,2", "or write set_position in place of shift_position in the "
                                     "scenario file's override"),
    ("overrides.0.scale_salience=1,2", "or write scale_salience in place of set_salience in "
                                       "the scenario file's override"),
    ("overrides.1.set_salience=0.1,0.2", "or give set_salience in the scenario file's override "
                                         "first"),
])
def test_a_sweep_of_a_value_no_override_gives_advises_what_the_file_may_give(setting, advice):
    """An override gives set_position or shift_position (set_salience or scale_salience), not
    both: the advice for the other of a pair is to write it in place of the one given."""
    overrides = decided(DEVELOPING_AT_ZERO, USA_SHIFTS).spec.overrides
    with pytest.raises(InputError) as error:
        design.parse_settings([setting], overrides)
    assert str(error.value).endswith(advice)


def test_a_sweep_of_an_override_on_a_scenario_without_any_is_refused():
    with pytest.raises(InputError, match="no override 0: the scenario has no overrides"):
        design.parse_settings([f"{SALIENCE}=0.1,0.2"])


@pytest.mark.parametrize(("written", "message"), [
    ("set_position: {uniform: [60, 120]}", "outside the range [0, 100]"),
    ("scale_salience: {uniform: [-1, 2]}", "outside the range [0, 10]"),
    ("issue: {choice: [1, 2]}", "no numeric constant here"),
])
def test_a_bad_prior_in_an_override_names_its_line_and_path(tmp_path, written, message):
    shutil.copy(SCENARIOS / "baseline.yaml", tmp_path / "baseline.yaml")
    path = tmp_path / "what_if.yaml"
    path.write_text(f"extends: baseline.yaml\nname: what_if\noverrides:\n"
                    f"  - {{members: [USA], {written}}}\n", encoding="utf-8")
    with pytest.raises(InputError, match=re.escape("line 4: overrides.0")) as error:
        load_scenario(path)
    assert message in str(error.value)

"""Tests of scenario files (simulation.inputs.scenario, .overrides): loading, `extends`, overrides,
hypothetical proposals and group stances, and the error a user sees for each kind of mistake.

Override tests run on plain mappings (`scenario_from_mapping`) against the baseline preference
table; error tests write small files beside a copy of the shipped baseline and check the message
and that the line it names is the line of the mistake.
"""

from __future__ import annotations

import functools
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from commands import mc11
from pydantic import ValidationError

from simulation.engine.parameters import Parameters
from simulation.errors import InputError
from simulation.inputs.arrays import cell_reader
from simulation.inputs.calendar import load_calendar
from simulation.inputs.catalogue import DATA_DIR, default_catalogue
from simulation.inputs.files import load_yaml, surprising_number
from simulation.inputs.overrides import Override, apply_overrides
from simulation.inputs.scenario import Scenario, load_scenario, scenario_from_mapping
from simulation.report.figures import position_groups

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))
KEYS = ["member", "issue"]
JOB_GC_97_SPONSORS = {"CAN", "CHL", "COL", "CIV", "EUN", "KOR", "MEX", "MNE", "PRY", "SGP", "TUR"}


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def catalogue():
    return default_catalogue()


@functools.cache
def shipped(name: str) -> Scenario:
    """A shipped scenario, loaded once per test session (loading derives the preferences)."""
    return load_scenario(SCENARIOS / f"{name}.yaml")


@pytest.fixture(scope="module")
def base_table() -> pd.DataFrame:
    """The baseline's preference table (a private copy: tests compare against it)."""
    return shipped("baseline").preferences.copy()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A temporary folder holding a copy of the shipped baseline.yaml."""
    shutil.copy(SCENARIOS / "baseline.yaml", tmp_path / "baseline.yaml")
    return tmp_path


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> InputError:
    """The InputError loading the file raises (fails the test if it loads)."""
    with pytest.raises(InputError) as info:
        load_scenario(path)
    return info.value


def line_of(text: str, needle: str) -> int:
    """The 1-based number of the first line of text containing needle."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in the text")


def with_overrides(*overrides: dict) -> pd.DataFrame:
    """The baseline table after the overrides (validated as a scenario file's entries are)."""
    return apply_overrides(shipped("baseline").preferences,
                           [Override.model_validate(o) for o in overrides], default_catalogue())


def actors_where(catalogue, predicate) -> set[str]:
    return {m.code for m in catalogue.actors if predicate(m)}


def assert_changed_exactly(base: pd.DataFrame, new: pd.DataFrame, rows: set[tuple[str, str]]):
    """Only the (member, issue) rows given are marked 'override'; every other row is untouched."""
    assert len(new) == len(base)
    assert (new[KEYS] == base[KEYS]).all().all()
    marked = new["rule"] == "override"
    assert set(map(tuple, new.loc[marked, KEYS].to_numpy())) == rows
    pd.testing.assert_frame_equal(new[~marked], base[~marked])
    for spread in ("position_sd", "salience_sd"):  # overrides only ever narrow them
        assert (new[spread] <= base[spread]).all()


def pairs(members: set[str], issues: list[str]) -> set[tuple[str, str]]:
    return {(m, i) for m in members for i in issues}


# --------------------------------------------------------------------------- shipped scenarios


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_loads(path, catalogue):
    scenario = shipped(path.stem)
    assert isinstance(scenario, Scenario)
    assert scenario.name == path.stem
    assert scenario.path == path.resolve()
    table = scenario.preferences
    assert len(table) == len(catalogue.actors) * len(catalogue.issues)
    assert table["position"].between(0, 100).all()
    assert table["salience"].between(0, 1).all()
    assert len(scenario.input_hash()) == 16


def test_every_shipped_scenario_describes_itself():
    """Each shipped what-if states its own description: one without would have none (a
    description is not inherited through `extends`), and the dashboard would show it bare."""
    descriptions = [shipped(path.stem).spec.description for path in SHIPPED]
    assert all(descriptions) and len(set(descriptions)) == len(descriptions)


def test_baseline_builds_its_negotiation(catalogue):
    negotiation = shipped("baseline").negotiation()
    assert list(negotiation.issues) == catalogue.issue_ids
    assert list(negotiation.members) == [m.code for m in catalogue.actors]


@pytest.mark.parametrize("raw", [None, "name: x", ["name"]])
def test_a_scenario_given_in_python_as_no_mapping_is_an_input_error(raw):
    """scenario_from_mapping(None) ended in a TypeError from the search for priors."""
    with pytest.raises(InputError, match=r"\(top level\): .*allowed: a mapping"):
        scenario_from_mapping(raw)


@pytest.mark.parametrize(("changes", "field", "allowed"), [
    ({"seed": -1}, "seed", "at least 0"), ({"replications": 0}, "replications", "from 1"),
    ({"replicaitons": 5}, "replicaitons", "did you mean 'replications'"),
    ({"name": "my run"}, "name", "no spaces"),
])
def test_with_changes_validates_the_fields_as_a_file_would(changes, field, allowed):
    """Not a scenario that takes seed -1, 0 replications or a misspelt field without a word."""
    with pytest.raises(InputError, match=allowed) as error:
        shipped("baseline").with_changes(**changes)
    assert error.value.field == field
    # the call gave the value: the error sent the user to a scenario file with nothing wrong
    assert error.value.source == f"with_changes on {SCENARIOS / 'baseline.yaml'}"


def test_with_changes_takes_numpys_numbers_and_true_or_false_as_pythons():
    """A notebook's numbers are often numpy's: `np.bool_(True)` was refused for `package`
    (allowed: true or false) and taken as the number 1 for `min_step` or `replications`, where
    Python's True is refused."""
    baseline = shipped("baseline")
    changed = baseline.with_changes(replications=np.int64(5), seed=np.uint64(7),
                                    parameters={"consensus": {"package": np.bool_(True),
                                                              "min_step": np.float32(5)}})
    assert (changed.spec.replications, changed.spec.seed) == (5, 7)
    assert changed.spec.parameters.consensus.package is True
    assert changed.spec.parameters.consensus.min_step == 5
    for changes in ({"replications": np.bool_(True)},
                    {"parameters": {"consensus": {"min_step": np.bool_(True)}}}):
        with pytest.raises(InputError, match="true or false is not a number"):
            baseline.with_changes(**changes)


@pytest.mark.parametrize("value", [1e30, np.float64(1e30)])
@pytest.mark.parametrize(("field", "allowed"), [("replications", "from 1 to 10,000,000"),
                                                ("seed", "at least 0")])
def test_a_whole_number_too_large_to_read_is_out_of_range(field, allowed, value):
    """pydantic's own words ("Unable to parse input string as an integer, exceeded maximum
    size") said nothing of what is allowed, from a file's `replications: 1.0e+30` too."""
    with pytest.raises(InputError, match=f"1e\\+30\\)? is out of range; allowed: .*{allowed}"):
        shipped("baseline").with_changes(**{field: value})


def test_with_changes_reads_parameters_given_as_a_mapping():
    changed = shipped("baseline").with_changes(parameters={"bargaining": {"protocol": "exchange"}})
    assert changed.spec.parameters.bargaining.protocol == "exchange"
    assert changed.negotiation().members == shipped("baseline").negotiation().members


def test_with_changes_merges_a_mapping_into_its_section_as_a_child_file_does():
    """Changing the protocol of the lower-critical-mass what-if keeps its critical mass (0.6),
    not the default (0.9) a replaced `parameters` section would bring back."""
    what_if = shipped("lower_critical_mass")
    changed = what_if.with_changes(parameters={"bargaining": {"protocol": "exchange"}})
    assert changed.spec.parameters.bargaining.protocol == "exchange"
    assert changed.spec.parameters.consensus == what_if.spec.parameters.consensus
    assert changed.spec.parameters.consensus.critical_mass == 0.6


def test_a_number_with_changes_gives_replaces_the_constants_prior_as_a_child_file_does(
        tmp_path):
    """The README's `parameters={"consensus": {"min_step": 5}}` on the baseline, whose min_step
    has a prior, kept drawing it from the prior: every run ignored the 5, and nothing said so.
    The number now replaces that prior alone, as in a what-if file that extends the baseline."""
    baseline = shipped("baseline")
    changed = baseline.with_changes(parameters={"consensus": {"min_step": 5}})
    assert "parameters.consensus.min_step" not in changed.priors
    assert changed.constants()["parameters.consensus.min_step"] == 5
    assert changed.priors == {path: prior for path, prior in baseline.priors.items()
                              if path != "parameters.consensus.min_step"}
    child = tmp_path / "child.yaml"
    child.write_text(f"name: child\nextends: {SCENARIOS / 'baseline.yaml'}\n"
                     "parameters:\n  consensus:\n    min_step: 5\n", encoding="utf-8")
    assert load_scenario(child).priors == changed.priors
    assert changed.input_hash() != baseline.input_hash()
    with pytest.raises(InputError, match="with_changes takes numbers, not priors") as error:
        baseline.with_changes(parameters={"consensus": {"min_step": {"uniform": [5, 15]}}})
    assert error.value.field == "parameters.consensus.min_step"


def test_a_model_with_changes_gives_replaces_the_priors_of_every_number_it_holds():
    """`consensus.model_copy(update={"min_step": 5})` replaces the whole section, as a mapping
    of all its numbers would: its priors kept drawing, and every run ignored the 5."""
    baseline = shipped("baseline")
    consensus = baseline.spec.parameters.consensus.model_copy(update={"min_step": 5})
    changed = baseline.with_changes(parameters={"consensus": consensus})
    assert changed.spec.parameters.consensus.min_step == 5
    assert changed.priors == {path: prior for path, prior in baseline.priors.items()
                              if not path.startswith("parameters.consensus.")}
    assert changed.priors == baseline.with_changes(
        parameters={"consensus": consensus.model_dump()}).priors


@pytest.mark.parametrize("changes", [
    {"overrides": [{"members": ["USA"], "issues": ["data_flows"], "position": 0}]},
    {"participants": {"exclude": ["USA"]}},
    {"calendar": "calendar.yaml"}, {"derivation": {}}, {"proposals": {}}, {"group_stances": {}},
])
def test_with_changes_refuses_the_fields_the_preferences_were_derived_from(changes):
    """An override given this way would leave the preference table as it was, silently."""
    with pytest.raises(InputError, match="scenario_from_mapping"):
        shipped("baseline").with_changes(**changes)


def test_shipped_what_ifs_state_only_their_difference():
    """Each what-if extends the baseline: its parameters equal the baseline's but for its change."""
    baseline = shipped("baseline").spec.parameters
    lower = shipped("lower_critical_mass").spec.parameters
    assert lower.consensus.critical_mass == 0.6
    assert lower.model_copy(update={"consensus": baseline.consensus}) == baseline
    doha = shipped("doha_deliverable").spec.parameters
    assert doha.consensus.linkage_cut == 0.0
    assert doha.consensus.critical_mass == baseline.consensus.critical_mass
    exchange = shipped("exchange_protocol").spec
    assert exchange.parameters.bargaining.protocol == "exchange"
    assert exchange.replications == shipped("baseline").spec.replications  # compiled: fast
    assert exchange.seed == 20171210  # from the baseline
    challenge = shipped("challenge_protocol").spec
    assert challenge.parameters.bargaining.protocol == "challenge"
    assert challenge.parameters.model_copy(update={"bargaining": baseline.bargaining}) == baseline


def test_us_disengages_quarters_us_salience_only(base_table):
    table = shipped("us_disengages").preferences
    us = table["member"] == "USA"
    assert (table.loc[us, "rule"] == "override").all()
    assert table.loc[us, "salience"].to_numpy() == pytest.approx(
        base_table.loc[us, "salience"].to_numpy() * 0.25)
    pd.testing.assert_frame_equal(table[~us], base_table[~us])


# --------------------------------------------------------------------------- extends


def test_extends_child_parameter_wins_and_siblings_are_kept(folder):
    write(folder, "parent.yaml", "name: parent\nreplications: 50\nparameters:\n"
          "  consensus: {base_tolerance: 20, critical_mass: 0.8}\n"
          "  bargaining: {protocol: exchange}\n")
    child = write(folder, "child.yaml", "extends: parent.yaml\nname: child\n"
                  "parameters:\n  consensus: {critical_mass: 0.7}\n")
    spec = load_scenario(child).spec
    assert spec.name == "child"
    assert spec.replications == 50
    assert spec.parameters.consensus.critical_mass == 0.7
    assert spec.parameters.consensus.base_tolerance == 20
    assert spec.parameters.bargaining.protocol == "exchange"
    assert spec.parameters.coalitions == Parameters().coalitions


def test_extends_lists_add_up_parent_first(folder, base_table):
    write(folder, "parent.yaml", "extends: baseline.yaml\nname: parent\noverrides:\n"
          "  - {members: [USA], issue: mandate, set_position: 11, note: parent}\n")
    write(folder, "child.yaml", "extends: parent.yaml\nname: child\noverrides:\n"
          "  - {members: [JPN], issue: mandate, set_position: 22, note: child}\n")
    grandchild = write(folder, "grandchild.yaml", "extends: child.yaml\nname: grandchild\n"
                       "overrides:\n  - {members: [USA], issue: mandate, shift_position: 5}\n")
    scenario = load_scenario(grandchild)
    assert [o.note for o in scenario.spec.overrides] == ["parent", "child", ""]
    table = scenario.preferences.set_index(KEYS)
    base = base_table.set_index(KEYS)
    assert table.loc[("USA", "mandate"), "position"] == 16
    assert table.loc[("JPN", "mandate"), "position"] == 22
    assert table.loc[("USA", "mandate"), "source"] == (
        base.loc[("USA", "mandate"), "source"]
        + " | scenario override 1 (parent) | scenario override 3")
    assert scenario.spec.parameters == shipped("baseline").spec.parameters


def test_extends_child_without_name_is_named_after_its_file_and_says_so(folder):
    write(folder, "parent.yaml", "extends: baseline.yaml\nname: parent\nseed: 5\n")
    child = load_scenario(write(folder, "child.yaml", "extends: parent.yaml\nseed: 6\n"))
    assert (child.spec.name, child.spec.seed) == ("child", 6)
    assert ("child.yaml extends parent.yaml without a `name:`; it is named 'child' after its "
            "file (a what-if never inherits its parent's name)") in child.notes
    assert not load_scenario(folder / "parent.yaml").notes


def test_extends_child_without_description_has_none_not_its_parents(folder):
    """A parent's description describes the parent's what-if: a child that states none has none
    (a results folder's scenario.yaml showed the parent's), through a chain too; one that
    states its own keeps it."""
    write(folder, "parent.yaml", "extends: baseline.yaml\nname: parent\n"
                                 "description: the parent's what-if\nseed: 5\n")
    child = load_scenario(write(folder, "child.yaml", "extends: parent.yaml\nname: child\n"))
    assert (child.spec.description, child.resolved()["description"]) == ("", "")
    grandchild = load_scenario(write(folder, "grandchild.yaml", "extends: child.yaml\n"
                                     "name: grandchild\n"))
    assert grandchild.spec.description == ""
    own = load_scenario(write(folder, "own.yaml", "extends: child.yaml\nname: own\n"
                              "description: mine\n"))
    assert own.spec.description == "mine"
    assert load_scenario(folder / "parent.yaml").spec.description == "the parent's what-if"


def test_extends_child_without_name_and_an_unusable_file_name_must_state_it(folder):
    error = load_error(write(folder, "what if.yaml", "extends: baseline.yaml\n"))
    assert error.field == "name" and "add `name:`" in error.problem


@pytest.mark.parametrize("where", ["overrides: [{members: [FRA], issue: privacy, "
                                   "shift_position: 5}]", "participants: {exclude: [DEU]}"])
def test_an_eu_member_state_is_said_to_negotiate_through_the_eu(folder, where):
    error = load_error(write(folder, "s.yaml", f"extends: baseline.yaml\nname: s\n{where}\n"))
    assert "negotiates through" in error.problem and "(EUN)" in error.problem


def test_extends_is_relative_to_the_file_not_the_working_directory(folder, monkeypatch):
    sub = folder / "what_ifs"
    sub.mkdir()
    child = write(sub, "child.yaml", "extends: ../baseline.yaml\nname: child\n")
    monkeypatch.chdir(sub.parent.parent)
    assert load_scenario(child).spec.replications == 1000


def test_extends_loop_is_an_error(folder):
    write(folder, "a.yaml", "extends: b.yaml\nname: a\n")
    write(folder, "b.yaml", "extends: a.yaml\nname: b\n")
    error = load_error(folder / "a.yaml")
    assert error.field == "extends"
    assert error.problem == "the files extend each other in a loop (a.yaml -> b.yaml -> a.yaml)"


def test_an_extends_loop_reached_from_outside_names_only_the_files_in_it(folder):
    """A scenario extending a file of a loop is not itself in the loop: the message lists the
    files that extend each other, from where the loop starts."""
    write(folder, "a.yaml", "extends: b.yaml\nname: a\n")
    write(folder, "b.yaml", "extends: a.yaml\nname: b\n")
    error = load_error(write(folder, "c.yaml", "extends: a.yaml\nname: c\n"))
    assert error.field == "extends"
    assert error.problem == "the files extend each other in a loop (a.yaml -> b.yaml -> a.yaml)"


def test_extends_itself_is_an_error(folder):
    error = load_error(write(folder, "self.yaml", "extends: self.yaml\nname: s\n"))
    assert error.field == "extends" and "loop" in error.problem


def test_extends_missing_parent_names_the_file_that_refers_to_it(folder):
    error = load_error(write(folder, "child.yaml", "name: c\nextends: nowhere.yaml\n"))
    assert error.source == str(folder / "child.yaml")
    assert error.field == "line 2: extends"
    assert "'nowhere.yaml'" in error.problem and str(folder / "nowhere.yaml") in error.problem


@pytest.mark.parametrize("text, line, key", [
    ("name: a\nseed: 1\nname: b\n", 3, "name"),
    ("name: a\nparameters:\n  consensus: {critical_mass: 0.5, critical_mass: 0.6}\n", 3,
     "critical_mass"),
])
def test_a_key_stated_twice_is_an_error_naming_line_and_key(folder, text, line, key):
    error = load_error(write(folder, "twice.yaml", text))
    assert error.field == f"line {line}" and repr(key) in error.problem


def test_anchors_that_expand_without_bound_are_refused_quickly(folder):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    error = load_error(write(folder, "laughs.yaml", "name: lol\n" + "\n".join(lines) + "\n"))
    assert "anchors and aliases" in error.problem


def test_a_byte_order_mark_is_read_as_utf8(folder):
    path = folder / "bom.yaml"
    path.write_bytes("\ufeffextends: baseline.yaml\nname: bom\n".encode())
    assert load_scenario(path).name == "bom"


def test_extends_must_be_a_path(folder):
    error = load_error(write(folder, "child.yaml", "extends: [baseline.yaml]\nname: c\n"))
    assert error.field == "line 1: extends"
    assert "path" in error.problem


# --------------------------------------------------------------------------- overrides


def test_override_members_on_one_issue(base_table):
    table = with_overrides({"members": ["USA", "JPN"], "issue": "data_flows",
                            "set_position": 42, "note": "why"})
    assert_changed_exactly(base_table, table, pairs({"USA", "JPN"}, ["data_flows"]))
    changed = table[table["rule"] == "override"]
    assert (changed["position"] == 42).all()
    assert (changed["salience"].to_numpy() == base_table.loc[changed.index, "salience"]).all()
    assert (changed["source"] == base_table.loc[changed.index, "source"]
            + " | scenario override 1 (why)").all()


def test_a_set_position_narrows_a_wider_spread_and_says_so(base_table, catalogue):
    notes: list[str] = []
    override = Override.model_validate({"members": ["USA", "JPN"], "issue": "data_flows",
                                        "set_position": 42})
    table = apply_overrides(base_table, [override], catalogue, notes=notes)
    rows = table["member"].isin(["USA", "JPN"]) & (table["issue"] == "data_flows")
    before = base_table.loc[rows, "position_sd"]
    assert before.max() == 20  # JPN's imputed default: the wide spread the note is about
    assert (table.loc[rows, "position_sd"] == before.clip(upper=5)).all()
    assert (table.loc[rows, "salience_sd"] == base_table.loc[rows, "salience_sd"]).all()
    assert len(notes) == 1 and "narrowed from up to 20 to 5" in notes[0]


def test_a_set_salience_narrows_a_wider_salience_spread(base_table, catalogue):
    """A salience the scenario sets is its own assumption: an imputed row's wide salience spread
    narrows to the override's (0.05), and its position spread stays."""
    override = Override.model_validate({"members": ["JPN"], "issue": "data_flows",
                                        "set_salience": 0.5})
    table = apply_overrides(base_table, [override], catalogue, notes=[])
    rows = (table["member"] == "JPN") & (table["issue"] == "data_flows")
    assert base_table.loc[rows, "salience_sd"].item() > 0.05
    assert table.loc[rows, "salience_sd"].item() == 0.05
    assert table.loc[rows, "salience"].item() == 0.5
    assert table.loc[rows, "position_sd"].item() == base_table.loc[rows, "position_sd"].item()


def test_a_shift_keeps_the_spread(base_table, catalogue):
    notes: list[str] = []
    override = Override.model_validate({"members": ["JPN"], "shift_position": 10})
    table = apply_overrides(base_table, [override], catalogue, notes=notes)
    pd.testing.assert_series_equal(table["position_sd"], base_table["position_sd"])
    assert notes == []


@pytest.mark.parametrize("override", [
    {"members": ["USA"], "issue": "moratorium", "set_position": 100, "set_salience": 0.9},
    {"members": ["USA"], "issue": "moratorium", "shift_position": 5},  # already at 100
])
def test_an_override_without_effect_is_named(base_table, catalogue, override):
    assert base_table.set_index(["member", "issue"]).loc[("USA", "moratorium"), "position"] == 100
    notes: list[str] = []
    apply_overrides(base_table, [Override.model_validate(override)], catalogue, notes=notes,
                    where=["s.yaml line 4: overrides.0"])
    assert notes == ["s.yaml line 4: overrides.0 changes nothing: the members it selects "
                     "already have those values"]


def test_setting_the_value_a_member_has_still_narrows_a_wider_spread_saying_so(base_table,
                                                                             catalogue):
    """The US's data flows, a reading at 90 with sd 10: setting 90 leaves the position but
    narrows its spread to an override's, which changes the runs; the note says so, not that
    the override changes nothing."""
    derived = base_table.set_index(["member", "issue"]).loc[("USA", "data_flows")]
    assert derived["position"] == 90 and derived["position_sd"] == 10
    notes: list[str] = []
    override = Override.model_validate({"members": ["USA"], "issue": "data_flows",
                                        "set_position": 90})
    table = apply_overrides(base_table, [override], catalogue, notes=notes, where=["o"])
    assert table.set_index(["member", "issue"]).loc[("USA", "data_flows"), "position_sd"] == 5
    assert notes == ["o sets a position stated by the scenario: its uncertainty (position_sd) "
                     "narrowed from up to 10 to 5 on 1 member x issue row(s), as for a proposal "
                     "(rule `override` of the derivation's uncertainty table)"]


@pytest.mark.parametrize(("override", "note"), [
    ({"members": ["USA"], "shift_position": 30},
     "overrides.0: shift_position +30 would take 13 member x issue row(s) past the scale's end, "
     "100: they stop there"),
    ({"members": ["USA"], "scale_salience": 2},
     "overrides.0: scale_salience 2 would take 14 member x issue row(s) past salience 1: they "
     "stop there"),
])
def test_a_shift_or_scale_cut_off_at_the_end_of_its_range_is_named(base_table, catalogue,
                                                                   override, note):
    """A shift of +30 on positions above 70 does not move them 30 points: said."""
    table = base_table.set_index(["member", "issue"])
    key = "position" if "shift_position" in override else "salience"
    limit = 70 if key == "position" else 0.5
    assert (table.loc["USA", key] > limit).sum() == int(note.split(" take ")[1].split()[0])
    notes: list[str] = []
    apply_overrides(base_table, [Override.model_validate(override)], catalogue, notes=notes,
                    where=["overrides.0"])
    assert notes == [note]


@pytest.mark.parametrize(("start", "change", "past"), [
    ({"set_position": 20}, {"shift_position": -30}, "shift_position -30 would take {rows} member "
     "x issue row(s) past the scale's end, 0"),
    ({"set_position": 30}, {"shift_position": -30}, None),  # lands on 0: not past it
    ({"set_salience": 0.6}, {"scale_salience": 2}, "scale_salience 2 would take {rows} member x "
     "issue row(s) past salience 1"),
    ({"set_salience": 0.5}, {"scale_salience": 2}, None),  # lands on 1: not past it
])
def test_only_values_beyond_the_end_of_their_range_are_said_to_stop_there(
        base_table, catalogue, start, change, past):
    """A shift down past 0 stops there and is said, as one up past 100 is; a value that lands
    exactly on the end of its range is not past it, and nothing is said."""
    overrides = [Override.model_validate({"members": ["USA"], **start}),
                 Override.model_validate({"members": ["USA"], **change})]
    notes: list[str] = []
    apply_overrides(base_table, overrides, catalogue, notes=notes,
                    where=["overrides.0", "overrides.1"])
    rows = int((base_table["member"] == "USA").sum())
    said = [note for note in notes if note.startswith("overrides.1:")]
    assert said == ([f"overrides.1: {past.format(rows=rows)}: they stop there"] if past else [])


def test_override_group_tag_selects_its_members(base_table, catalogue):
    members = actors_where(catalogue, lambda m: "oecd" in m.groups)
    assert len(members) > 5
    table = with_overrides({"group": "oecd", "issue": "privacy", "set_salience": 0.05})
    assert_changed_exactly(base_table, table, pairs(members, ["privacy"]))
    assert (table.loc[table["rule"] == "override", "salience"] == 0.05).all()


def test_override_african_group(base_table, catalogue):
    members = actors_where(catalogue, lambda m: "african_group" in m.groups)
    assert len(members) == 44
    table = with_overrides({"group": "african_group", "cluster": "procedure",
                            "set_position": 50})
    procedure = [i.id for i in catalogue.issues if i.cluster == "procedure"]
    assert set(procedure) == {"mandate", "moratorium", "classification", "transparency"}
    assert_changed_exactly(base_table, table, pairs(members, procedure))


def test_override_groups_yaml_id_selects_the_stance_members(base_table):
    table = with_overrides({"group": "gats_preference_china_india", "shift_position": -5})
    issues = list(base_table["issue"].unique())
    assert_changed_exactly(base_table, table, pairs({"CHN", "IND"}, issues))


def test_override_groups_yaml_id_selecting_by_status(base_table, catalogue):
    ldcs = actors_where(catalogue, lambda m: m.status == "ldc")
    table = with_overrides({"group": "ldc_group", "issue": "msmes", "set_position": 1})
    assert_changed_exactly(base_table, table, pairs(ldcs, ["msmes"]))


def test_override_sponsors_of_a_proposal(base_table):
    table = with_overrides({"sponsors_of": "JOB/GC/97/Rev.3", "issue": "source_code",
                            "set_position": 3})
    assert_changed_exactly(base_table, table, pairs(JOB_GC_97_SPONSORS, ["source_code"]))


def test_override_status(base_table, catalogue):
    chosen = actors_where(catalogue, lambda m: m.status in ("developed", "ldc"))
    table = with_overrides({"status": ["developed", "ldc"], "issue": "encryption",
                            "scale_salience": 0.5})
    assert_changed_exactly(base_table, table, pairs(chosen, ["encryption"]))


def test_override_cluster_and_all_issues(base_table, catalogue):
    data_tech = [i.id for i in catalogue.issues if i.cluster == "data_technology"]
    assert len(data_tech) == 7
    table = with_overrides({"members": ["BRA"], "cluster": "data_technology",
                            "set_position": 10})
    assert_changed_exactly(base_table, table, pairs({"BRA"}, data_tech))
    table = with_overrides({"members": ["BRA"], "set_position": 10})
    assert_changed_exactly(base_table, table, pairs({"BRA"}, catalogue.issue_ids))


@pytest.mark.parametrize("shift", [60, -60])
def test_shift_position_clips_to_0_100(base_table, shift):
    table = with_overrides({"status": ["developed", "developing", "ldc"], "issue": "mandate",
                            "shift_position": shift})
    rows = base_table["issue"] == "mandate"
    before = base_table.loc[rows, "position"]
    after = table.loc[rows, "position"]
    assert after.to_numpy() == pytest.approx((before + shift).clip(0, 100).to_numpy())
    clipped = (before + shift != after)
    assert clipped.any() and (~clipped).any()  # both kinds of row occur
    assert after.between(0, 100).all()


def test_scale_salience_clips_to_1(base_table):
    table = with_overrides({"members": ["USA", "IND", "AFG"], "scale_salience": 4})
    rows = base_table["member"].isin(["USA", "IND", "AFG"])
    before, after = base_table.loc[rows, "salience"], table.loc[rows, "salience"]
    assert after.to_numpy() == pytest.approx((before * 4).clip(0, 1).to_numpy())
    assert (after == 1).any() and (after < 1).any()
    zero = with_overrides({"members": ["USA"], "scale_salience": 0})
    assert (zero.loc[zero["member"] == "USA", "salience"] == 0).all()


def test_apply_overrides_leaves_its_input_alone(base_table):
    table = shipped("baseline").preferences
    before = table.copy()
    with_overrides({"members": ["USA"], "set_position": 0, "set_salience": 0})
    pd.testing.assert_frame_equal(table, before)
    pd.testing.assert_frame_equal(table, base_table)


def test_scenario_without_changes_equals_the_baseline(base_table):
    pd.testing.assert_frame_equal(scenario_from_mapping({"name": "x"}).preferences, base_table)


def test_overrides_apply_in_order(base_table):
    table = with_overrides({"members": ["CHN"], "issue": "mandate", "set_position": 50},
                           {"members": ["CHN"], "issue": "mandate", "shift_position": 70,
                            "set_salience": 0.3})
    row = table[(table["member"] == "CHN") & (table["issue"] == "mandate")].iloc[0]
    assert row["position"] == 100 and row["salience"] == 0.3
    assert row["source"].endswith(" | scenario override 1 | scenario override 2")


def test_override_can_select_sponsors_of_a_hypothetical_proposal(base_table):
    proposal = {"symbol": "HYPO/1", "title": "t", "date": "2017-06-01", "section": "x",
                "footnote": 0, "sponsors": ["NOR", "ISL"],
                "stances": [{"issue": "e_payments", "position": 99, "emphasis": "headline",
                             "section": "x", "basis": "b"}]}
    table = scenario_from_mapping({"name": "t", "proposals": [proposal], "overrides": [
        {"sponsors_of": "HYPO/1", "issue": "logistics", "set_position": 1}]}).preferences
    marked = table[table["rule"] == "override"]
    assert set(marked["member"]) == {"NOR", "ISL"} and set(marked["issue"]) == {"logistics"}


# --------------------------------------------------------------------------- proposals, stances


def test_hypothetical_proposal_adds_stances_to_its_sponsors(base_table):
    proposal = {"symbol": "HYPO/1", "title": "A what-if paper", "date": "2017-06-01",
                "section": "what-if", "footnote": 0, "sponsors": ["NOR", "ISL"],
                "stances": [{"issue": "e_payments", "position": 99, "emphasis": "headline",
                             "section": "what-if", "basis": "invented"}]}
    scenario = scenario_from_mapping({"name": "t", "proposals": [proposal]})
    assert scenario.catalogue.proposals[-1].symbol == "HYPO/1"
    table = scenario.preferences.set_index(KEYS)
    for code in ("NOR", "ISL"):
        row = table.loc[(code, "e_payments")]
        assert row["rule"] == "proposal"
        assert row["position"] == 99 and row["salience"] == 0.9
        assert "HYPO/1" in row["source"]
    base = base_table.set_index(KEYS)
    assert base.loc[("NOR", "e_payments"), "position"] != 99
    others = ~scenario.preferences["member"].isin(["NOR", "ISL"])
    pd.testing.assert_frame_equal(scenario.preferences[others], base_table[others])


def test_a_what_if_papers_sponsor_is_engaged_by_that_paper_not_by_a_2016_one(base_table):
    """Rule 3's source names the what-if paper for a member whose only paper it is (Albania
    tabled nothing in 2016), and keeps the 2016 wording for one that tabled a 2016 paper too."""
    proposal = {"symbol": "HYPO/1", "title": "t", "section": "what-if", "sponsors": ["ALB", "BRA"],
                "stances": [{"issue": "e_payments", "position": 70, "emphasis": "stated",
                             "section": "what-if", "basis": "invented"}]}
    table = scenario_from_mapping({"name": "t", "proposals": [proposal]}).preferences
    source = table.set_index(KEYS)["source"]
    assert base_table.set_index(KEYS).loc[("ALB", "mandate"), "source"].startswith(
        "rule default_by_status")
    assert source[("ALB", "mandate")].startswith("rule engaged_sponsor: sponsors the scenario's "
                                                 "what-if paper HYPO/1")
    assert "tabled" not in source[("ALB", "mandate")]
    assert source[("BRA", "mandate")] == base_table.set_index(KEYS).loc[("BRA", "mandate"),
                                                                         "source"]
    assert "tabled a 2016 proposal" in source[("BRA", "mandate")]
    second = {**proposal, "symbol": "HYPO/2", "sponsors": ["ALB"]}
    both = scenario_from_mapping({"name": "t", "proposals": [proposal, second]}).preferences
    assert both.set_index(KEYS)["source"][("ALB", "mandate")].startswith(
        "rule engaged_sponsor: sponsors the scenario's what-if papers HYPO/1, HYPO/2, so ")


def test_a_what_if_paper_dated_after_the_calendars_first_month_says_the_date_changes_nothing(
        folder):
    """Every paper is in place from the calendar's first month: a what-if paper dated March 2017
    was accepted as if it entered then. The loader says its date is a record only (the
    scenario's own calendar decides the first month); one dated in the first month, or not
    dated, is not noted; the date changes neither preferences nor coalitions."""
    paper = {"symbol": "X/1", "title": "t", "section": "what-if", "sponsors": ["NOR", "ISL"],
             "stances": [{"issue": "data_flows", "position": 80, "emphasis": "headline",
                          "section": "what-if", "basis": "b"}]}
    late = scenario_from_mapping({"name": "t", "proposals": [{**paper, "date": "2017-03-15"}]})
    assert late.notes == ("proposals.0.date: 'X/1' is dated 2017-03-15, after the calendar's first "
                          "month (2016-09): a paper's date is a record only, so its stances and "
                          "its sponsors' coalition act from the first month all the same",)
    for date in ("2016-09-30", None):
        assert not scenario_from_mapping({"name": "t", "proposals": [{**paper, "date": date}]}
                                         ).notes
    undated = scenario_from_mapping({"name": "t", "proposals": [paper]})
    pd.testing.assert_frame_equal(late.preferences, undated.preferences)
    assert np.array_equal(late.negotiation().founders, undated.negotiation().founders)
    write(folder, "short.yaml", "periods:\n  - {month: 2017-11, label: x, kind: quiet, "
          f"attention: 0.3, pressure: 0.4, source: x}}\n  - {MINISTERIAL}\n")
    text = ("extends: baseline.yaml\nname: s\ncalendar: short.yaml\nproposals:\n  - {{symbol: X/1, "
            "title: t, section: what-if, date: {date}, sponsors: [NOR], stances: [{{issue: "
            "data_flows, position: 80, emphasis: headline, section: what-if, basis: b}}]}}\n")

    def dated(date: str) -> list[str]:
        notes = load_scenario(write(folder, "s.yaml", text.format(date=date))).notes
        return [note for note in notes if "is dated" in note]

    assert not dated("2017-03-15")
    assert "after the calendar's first month (2017-11)" in dated("2017-12-05")[0]


def test_hypothetical_proposal_with_unknown_sponsor_is_an_error():
    proposal = {"symbol": "HYPO/1", "title": "t", "date": "2017-06-01", "section": "x",
                "footnote": 0, "sponsors": ["NRW"],
                "stances": [{"issue": "e_payments", "position": 99, "emphasis": "headline",
                             "section": "x", "basis": "b"}]}
    with pytest.raises(InputError) as info:
        scenario_from_mapping({"name": "t", "proposals": [proposal]}, "s.yaml")
    assert "'NRW'" in info.value.problem
    assert "s.yaml" in info.value.source


def test_replaced_group_stance_takes_effect(catalogue, base_table):
    scenario = shipped("african_group_softens")
    stances = scenario.catalogue.group_stances
    assert len(stances) == len(catalogue.group_stances)  # replaced, not added
    assert [g.id for g in stances] == [g.id for g in catalogue.group_stances]
    assert next(g for g in stances if g.id == "african_group").name == "African Group (softened)"
    table = scenario.preferences.set_index(KEYS)
    base = base_table.set_index(KEYS)
    african = actors_where(catalogue, lambda m: "african_group" in m.groups)
    from_group = [c for c in african if base.loc[(c, "mandate"), "rule"] == "group_stance"]
    assert len(from_group) > 30
    for code in from_group:
        assert base.loc[(code, "mandate"), "position"] == 0
        assert table.loc[(code, "mandate"), "position"] == 50
        # the softened group has no blanket stance on new disciplines any more
        assert "'african_group'" in base.loc[(code, "data_flows"), "source"]
        assert "'african_group'" not in table.loc[(code, "data_flows"), "source"]


def test_new_group_stance_is_added_and_usable_in_overrides(base_table):
    stance = {"id": "nordics", "name": "Nordics", "applies_to": {"members": ["NOR", "ISL"]},
              "source": "what-if",
              "stances": [{"issue": "privacy", "position": 95, "emphasis": "stated",
                           "section": "x", "basis": "b"}]}
    scenario = scenario_from_mapping({"name": "t", "group_stances": [stance], "overrides": [
        {"group": "nordics", "issue": "cybersecurity", "set_position": 7}]})
    table = scenario.preferences.set_index(KEYS)
    assert table.loc[("NOR", "privacy"), "position"] == 95
    assert table.loc[("NOR", "cybersecurity"), "position"] == 7
    assert table.loc[("ISL", "cybersecurity"), "rule"] == "override"
    assert table.loc[("CHE", "cybersecurity"), "rule"] != "override"


def test_participants_exclude_removes_members_from_the_negotiation():
    scenario = scenario_from_mapping({"name": "t", "participants": {"exclude": ["VEN", "CUB"]}})
    members = scenario.negotiation().members
    assert "VEN" not in members and "CUB" not in members and "USA" in members


def test_a_long_tables_rows_outside_the_members_and_issues_asked_for_are_left_out():
    """A member or issue not asked for (Z, w) is no cell: its value lands on none of theirs."""
    table = pd.DataFrame({"member": ["A", "B", "B", "A", "Z"], "issue": ["x", "y", "x", "w", "y"],
                          "position": [10.0, 20.0, 30.0, 98.0, 99.0],
                          "status": ["s", "t", "t", "v", "u"]})
    column = cell_reader(table, ["A", "B"], ["x", "y"])
    np.testing.assert_array_equal(column("position"), [[10.0, np.nan], [30.0, 20.0]])
    assert column("status").tolist() == [["s", np.nan], ["t", "t"]]


def test_an_override_of_an_excluded_member_says_so_and_claims_no_change_to_it():
    """An override naming a member that participants.exclude leaves out is told as such, and
    its notes count only the negotiating members it reaches (not the excluded one's rows)."""
    scenario = scenario_from_mapping({
        "name": "t", "participants": {"exclude": ["USA"]},
        "overrides": [{"members": ["USA", "JPN"], "issue": "consumer_protection",
                       "set_position": 90}]})
    said = " ".join(scenario.notes)
    assert "names USA, which participants.exclude leaves out" in said
    assert "narrowed from up to 20 to 5 on 1 member x issue row(s)" in said
    alone = scenario_from_mapping({
        "name": "t", "participants": {"exclude": ["USA"]},
        "overrides": [{"members": ["USA"], "issue": "consumer_protection", "set_position": 90}]})
    assert not any("narrowed" in note for note in alone.notes)


def test_a_member_named_twice_is_noted_and_acted_on_once():
    once = scenario_from_mapping({
        "name": "t", "participants": {"exclude": ["VEN"]},
        "overrides": [{"members": ["JPN"], "issue": "privacy", "shift_position": 5}]})
    twice = scenario_from_mapping({
        "name": "t", "participants": {"exclude": ["VEN", "CUB", "VEN"]},
        "overrides": [{"members": ["JPN", "USA", "JPN"], "issue": "privacy",
                       "shift_position": 5}]})
    said = " ".join(twice.notes)
    assert "participants.exclude names VEN more than once" in said
    assert "names JPN more than once; the override acts on each once" in said
    assert not any("more than once" in note for note in once.notes)
    position = twice.preferences.set_index(["member", "issue"])["position"]
    assert position["JPN", "privacy"] == once.preferences.set_index(
        ["member", "issue"])["position"]["JPN", "privacy"]


def test_members_left_out_are_not_in_the_preference_table_or_the_position_groups():
    """preferences.csv is the table the runs started from and positions.png shows starting
    positions: a member that does not negotiate appears in neither."""
    scenario = scenario_from_mapping({"name": "t", "participants": {"exclude": ["USA"]}})
    assert "USA" not in set(scenario.preferences["member"])
    assert len(scenario.preferences) == (len(scenario.negotiation().members)
                                         * len(scenario.catalogue.issue_ids))
    assert "United States" not in set(position_groups(scenario)["group"])


# --------------------------------------------------------------------------- schema errors


def test_unknown_top_level_key(folder):
    text = "extends: baseline.yaml\nname: x\n\nreplicatons: 5\n"
    error = load_error(write(folder, "s.yaml", text))
    message = str(error)
    assert message.startswith(str(folder / "s.yaml"))
    assert "replicatons" in error.field
    assert f"line {line_of(text, 'replicatons')}" in message
    assert "did you mean 'replications'?" in message
    assert ("allowed: name, description, replications, seed, calendar, calendar_levels, "
            "participants, parameters, derivation, overrides, proposals, group_stances") in message


def test_a_parameters_file_fills_in_under_the_scenarios_own_parameters(folder):
    """`parameters_file:` gives the settings the scenario does not state; those it states win,
    whichever group they are in."""
    write(folder, "fitted.yaml", "rounds: 8\nparameters:\n  bargaining:\n"
          "    noise_sd: 2\n    overall_rate: 0.2\n")
    scenario = load_scenario(write(folder, "s.yaml", "extends: baseline.yaml\nname: s\n"
                                   "parameters_file: fitted.yaml\n"
                                   "parameters:\n  bargaining:\n    noise_sd: 3\n"))
    bargaining = scenario.spec.parameters.bargaining
    assert (bargaining.overall_rate, bargaining.noise_sd) == (0.2, 3)


def test_a_missing_parameters_file_is_named_in_the_scenario_that_names_it(folder):
    error = load_error(write(folder, "s.yaml", "extends: baseline.yaml\nname: x\n"
                             "parameters_file: nothere.yaml\n"))
    assert error.source == str(folder / "s.yaml") and error.field == "parameters_file"
    assert "'nothere.yaml' is not a file" in error.problem and "relative to this file" in \
        error.problem


@pytest.mark.parametrize("exponent", ["1e3", "1E3", "'1e3'"])
def test_a_number_yaml_reads_as_text_says_so(folder, exponent):
    """YAML 1.1 reads an exponent without a point and a sign as text, in either case."""
    error = load_error(write(folder, "s.yaml", "extends: baseline.yaml\nname: x\n"
                             f"replications: {exponent}\n"))
    assert error.field == "line 3: replications"
    assert error.problem.startswith(f"{exponent.strip(chr(39))} is read as text, not a number "
                                    "(YAML reads an exponent only as 1.0e+3); write the number "
                                    "out"), error.problem


@pytest.mark.parametrize(("text", "written"), [("-.5", "-0.5"), ("'-.5'", "-0.5"),
                                             ("+.5", "0.5"), ("08", "8")])
def test_a_number_yaml_reads_as_text_is_not_said_to_be_in_quotes(folder, text, written):
    """`-.5` and `08`, quoted or not, are text to YAML: the error said they were in quotes and
    to write them as the user had, without quotes."""
    error = load_error(write(folder, "s.yaml", "extends: baseline.yaml\nname: x\nparameters:\n"
                             f"  consensus: {{base_tolerance: {text}}}\n"))
    assert error.field == "line 4: parameters.consensus.base_tolerance"
    assert error.problem.startswith(f"{text.strip(chr(39))} is read as text, not a number "
                                    f"(YAML reads a number only in its own forms); write "
                                    f"{written};"), error.problem
    assert "in quotes" not in error.problem


@pytest.mark.parametrize(("text", "read_as", "advice"), [
    ("0100", "the octal number 64 (a leading 0 makes it octal)", "write 100"),
    ("-012", "the octal number -10 (a leading 0 makes it octal)", "write -12"),
    ("1:40", "100 (numbers joined by ':' count in base 60, as in a time)",
     "write the number you mean")])
def test_a_number_yaml_reads_otherwise_than_it_looks_is_refused(folder, text, read_as, advice):
    """YAML 1.1 reads `replications: 0100` as 64 and `1:40` as 100: the run went ahead
    silently with a number the user never wrote."""
    error = load_error(write(folder, "s.yaml", "extends: baseline.yaml\nname: x\n"
                             f"replications: {text}\n"))
    assert error.field == "line 3: replications"
    assert error.problem == (f"{text} is read by YAML as {read_as}; {advice}, or put text in "
                             f"quotes ('{text}')")


@pytest.mark.parametrize(("text", "read_as"), [("012345670123", "1402433619"),
                                                ("99:00:00:00", "21384000")])
def test_a_surprising_number_is_told_in_full(text, read_as):
    """A large octal or base-60 number was said to be read as 1.40243e+09 (six digits, `:g`),
    not as the number YAML reads."""
    assert f"read by YAML as {'the octal number ' * text.startswith('0')}{read_as} " in (
        surprising_number(text))


def test_a_leading_zero_that_changes_nothing_is_read():
    """07 is 7 in octal as in decimal: nothing to refuse."""
    assert load_yaml("a: [07, 00]", "s.yaml")[0] == {"a": [7, 0]}


def test_a_quoted_octal_is_told_the_number_it_looks_like(folder):
    """'0100' in quotes: the advice was to write 0100 bare, which YAML reads as 64."""
    error = load_error(write(folder, "s.yaml", "extends: baseline.yaml\nname: x\n"
                             "replications: '0100'\n"))
    assert "write 100" in error.problem and "write 0100" not in error.problem, error.problem


@pytest.mark.parametrize(("key", "meant"), [("parameter_file", "parameters_file"),
                                             ("extend", "extends")])
def test_misspelt_loader_key_is_suggested_and_listed_as_allowed(folder, key, meant):
    """`extends` and `parameters_file` are read before the schema: a misspelling of either
    must still be pointed to them, and the allowed keys must name them."""
    text = f"{key}: baseline.yaml\nname: x\n"
    error = load_error(write(folder, "s.yaml", text))
    assert f"did you mean '{meant}'?" in error.problem
    allowed = error.problem.split("allowed: ")[1].split(", ")
    assert {"extends", "parameters_file"} <= set(allowed)


def test_unknown_nested_key_suggests_the_close_name(folder):
    text = ("extends: baseline.yaml\nname: x\nparameters:\n  bargaining:\n    protocol: exchange\n"
            "  consensus:\n    package: true\n    critcal_mass: 0.5\n")
    error = load_error(write(folder, "s.yaml", text))
    assert "parameters.consensus.critcal_mass" in error.field
    assert f"line {line_of(text, 'critcal_mass')}" in error.field
    assert "did you mean 'critical_mass'?" in error.problem
    assert "allowed: base_tolerance, linkage_cut, min_step, package, critical_mass" in (
        error.problem)


def test_unknown_key_in_an_override_entry(folder):
    text = ("extends: baseline.yaml\nname: x\noverrides:\n"
            "  - {members: [USA], set_position: 5}\n"
            "  - members: [JPN]\n    set_postion: 5\n")
    error = load_error(write(folder, "s.yaml", text))
    assert "overrides.1.set_postion" in error.field
    assert f"line {line_of(text, 'set_postion')}" in error.field
    assert "did you mean 'set_position'?" in error.problem


@pytest.mark.parametrize(("snippet", "field", "words"), [
    ("replications: many", "replications", "'many' is not a whole number; allowed: a whole"),
    ("seed: 1.5", "seed", "1.5 is not a whole number; allowed: a whole number"),
    ("description: [a, b]", "description", "valid string"),
    ("parameters: {consensus: {package: maybe}}", "parameters.consensus.package",
     "'maybe'; allowed: true or false"),
    ("parameters: {consensus: {package: 1}}", "parameters.consensus.package",
     "1; allowed: true or false"),
    ("parameters: {sample_uncertainty: 'no'}", "parameters.sample_uncertainty",
     "'no' is in quotes, so it is text, not true or false (write false); allowed: true or "
     "false"),
    ("parameters: 3", "parameters", "3 is not a mapping; allowed: a mapping"),
    ("overrides: {members: [USA]}", "overrides", "is not a list"),
    ("participants: {exclude: USA}", "participants.exclude", "'USA' is not a list"),
])
def test_wrong_type(folder, snippet, field, words):
    text = f"extends: baseline.yaml\nname: x\n{snippet}\n"
    error = load_error(write(folder, "s.yaml", text))
    assert error.field == f"line 3: {field}"
    assert words in error.problem


@pytest.mark.parametrize(("snippet", "field", "words"), [
    ("replications: 0", "replications", "0 is out of range; allowed: a whole number from 1"),
    ("seed: -1", "seed", "-1 is out of range; allowed: a whole number at least 0"),
    ("parameters: {consensus: {critical_mass: 1.5}}", "parameters.consensus.critical_mass",
     "1.5 is out of range; allowed: a number above 0, at most 1"),
    ("parameters: {consensus: {critical_mass: 0}}", "parameters.consensus.critical_mass",
     "0 is out of range; allowed: a number above 0"),
    ("parameters: {bargaining: {noise_sd: 51}}", "parameters.bargaining.noise_sd",
     "51 is out of range; allowed: a number from 0 to 50"),
    ("parameters: {coalitions: {founder_loyalty: 1.5}}", "parameters.coalitions.founder_loyalty",
     "1.5 is out of range; allowed: a number from 0 to 1"),
    ("overrides: [{members: [USA], set_position: 100.5}]", "overrides.0.set_position",
     "100.5 is out of range; allowed: a number from 0 to 100"),
    ("overrides: [{members: [USA], shift_position: -101}]", "overrides.0.shift_position",
     "-101 is out of range; allowed: a number from -100 to 100"),
    ("overrides: [{members: [USA], scale_salience: 11}]", "overrides.0.scale_salience",
     "11 is out of range; allowed: a number from 0 to 10"),
    ("overrides: [{members: [USA], set_salience: -0.1}]", "overrides.0.set_salience",
     "-0.1 is out of range; allowed: a number from 0 to 1"),
    ("name: 'two words'", "name", "no spaces"),
])
def test_out_of_range(folder, snippet, field, words):
    text = f"extends: baseline.yaml\n\n{snippet}\n" if snippet.startswith("name") else (
        f"extends: baseline.yaml\nname: x\n{snippet}\n")
    error = load_error(write(folder, "s.yaml", text))
    assert error.field == f"line 3: {field}"
    assert words in error.problem


@pytest.mark.parametrize(("snippet", "field", "problem"), [
    ("derivation: {imputed: {developing: [30, 55, 20]}}", "derivation.imputed.developing.salience",
     "20 is out of range; allowed: a number from 0 to 1, or a prior"),
    ("derivation: {imputed: {ldc: [150, 60, 0.15]}}", "derivation.imputed.ldc.new_rules",
     "150 is out of range; allowed: a number from 0 to 100, or a prior"),
    ("derivation: {engaged_sponsor_mandate: [55, 35]}",
     "derivation.engaged_sponsor_mandate.salience",
     "35 is out of range; allowed: a number from 0 to 1, or a prior"),
    ("derivation: {emphasis_salience: {headline: 90}}", "derivation.emphasis_salience.headline",
     "90 is out of range; allowed: a number from 0 to 1, or a prior"),
    # the spreads take no prior
    ("derivation: {uncertainty: {imputed: [20, 15]}}", "derivation.uncertainty.imputed.salience_sd",
     "15 is out of range; allowed: a number from 0 to 1"),
    ("derivation: {uncertainty: {imputed: [-1, 0.15]}}",
     "derivation.uncertainty.imputed.position_sd",
     "-1 is out of range; allowed: a number from 0 to 100"),
])
def test_a_derivation_number_out_of_range_says_which_and_what_is_allowed(folder, snippet, field,
                                                                        problem):
    """As a parameter's: the value and the range, not pydantic's 'Input should be less than or
    equal to 1'; a list's number named by what it is (`salience`, not `2`), as in the paths
    of priors and `--set`."""
    error = load_error(write(folder, "s.yaml", f"extends: baseline.yaml\nname: x\n{snippet}\n"))
    assert (error.field, error.problem) == (f"line 3: {field}", problem)


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", ".NaN", "+.Inf"])
@pytest.mark.parametrize("where", [
    "parameters:\n  consensus:\n    critical_mass: {v}\n",
    "parameters:\n  coalitions:\n    join_threshold: {v}\n",
    "overrides:\n  - members: [USA]\n    set_position: {v}\n",
    "overrides:\n  - members: [USA]\n    scale_salience: {v}\n",
])
def test_non_finite_numbers_are_refused(folder, value, where):
    text = "extends: baseline.yaml\nname: x\n" + where.format(v=value)
    error = load_error(write(folder, "s.yaml", text))
    assert "finite number" in error.problem
    assert f"line {line_of(text, value)}" in error.field


@pytest.mark.parametrize(("override", "field", "words"), [
    ("{members: [USA, USX], set_position: 5}", "members", "unknown member code 'USX' "
     "(did you mean 'USA'?)"),
    ("{members: [USA], issue: data_flow, set_position: 5}", "issue",
     "unknown issue 'data_flow' (did you mean 'data_flows'?)"),
    ("{members: [USA], issue: pri, set_position: 5}", "issue",  # 0.6 alike: just enough
     "unknown issue 'pri' (did you mean 'privacy'?)"),
    ("{group: african_grop, set_position: 5}", "group",
     "unknown group 'african_grop' (did you mean 'african_group'?)"),
    ("{sponsors_of: JOB/GC/95, set_position: 5}", "sponsors_of",
     "unknown proposal 'JOB/GC/95' (did you mean 'JOB/GC/94'?)"),
])
def test_unknown_ids_in_overrides(folder, override, field, words):
    text = ("extends: baseline.yaml\nname: x\noverrides:\n  - {members: [CHN], set_position: 1}\n"
            f"  - {override}\n")
    error = load_error(write(folder, "s.yaml", text))
    assert error.source == str(folder / "s.yaml")
    assert error.field.endswith(f"overrides.1: {field}")
    assert error.field.startswith("line ")
    assert words in error.problem
    assert "allowed:" in error.problem


@pytest.mark.parametrize(("symbol", "paper"), [
    ("JOB/GC/101/Rev.1", "a paper's"),
    ("X/1", "a what-if paper's"),
])
def test_a_papers_symbol_given_as_a_group_points_to_sponsors_of(folder, symbol, paper):
    text = ("extends: baseline.yaml\nname: x\nproposals:\n  - {symbol: X/1, title: t, section: s, "
            "sponsors: [NOR], stances: [{issue: data_flows, position: 80, emphasis: headline, "
            f"section: s, basis: b}}]}}\noverrides:\n  - {{group: {symbol}, set_salience: 0.9}}\n")
    error = load_error(write(folder, "s.yaml", text))
    assert error.field == "line 6: overrides.0: group"
    assert error.problem.startswith(
        f"unknown group '{symbol}': it is {paper} symbol; to select the paper's sponsors, write "
        f"`sponsors_of: {symbol}` in place of `group:`; allowed: african_group, ")
    assert load_scenario(write(folder, "t.yaml", text.replace("group:", "sponsors_of:")))


@pytest.mark.parametrize(("group", "kind"), [
    ("african_group", "a group"),
    ("ldc_group", "a group stance's id"),
])
def test_a_group_given_as_sponsors_of_points_to_group(folder, group, kind):
    """The reverse of a paper's symbol given as a group: "unknown proposal" and the symbols
    alone did not say that `group:` selects those members."""
    text = (f"extends: baseline.yaml\nname: x\noverrides:\n  - {{sponsors_of: {group}, "
            "set_salience: 0.9}\n")
    error = load_error(write(folder, "s.yaml", text))
    assert error.field == "line 4: overrides.0: sponsors_of"
    assert error.problem.startswith(
        f"unknown proposal '{group}': it is {kind}; to select its members, write `group: "
        f"{group}` in place of `sponsors_of:`; allowed: JOB/GC/94, ")
    assert load_scenario(write(folder, "t.yaml", text.replace("sponsors_of:", "group:")))


@pytest.mark.parametrize(("symbol", "sponsors", "paper"), [
    ("JOB/GC/110/Rev.1", "CHN, PAK", "a paper's"),
    ("X/1", "NOR, ISL", "a what-if paper's"),
])
def test_a_papers_symbol_as_a_group_stances_group_says_to_list_its_sponsors(folder, symbol,
                                                                           sponsors, paper):
    """applies_to selects members, a group tag or statuses, not a paper's sponsors (shipped or
    what-if, named as the override's `group:` error names it): the error said only "not
    allowed" and the tags."""
    text = ("extends: baseline.yaml\nname: x\nproposals:\n  - {symbol: X/1, title: t, section: s, "
            "sponsors: [NOR, ISL], stances: [{issue: data_flows, position: 80, emphasis: "
            "headline, section: s, basis: b}]}\ngroup_stances:\n  - id: fed\n    name: F\n"
            f"    applies_to: {{group: {symbol}}}\n    source: s\n")
    error = load_error(write(folder, "s.yaml", text))
    assert error.field == "line 8: group_stances.0.applies_to.group"
    assert error.problem == (
        f"unknown group '{symbol}': it is {paper} symbol, and a group stance cannot select a "
        f"paper's sponsors by it; to select them, write `members: [{sponsors}]` in place of "
        "`group:`; allowed: african_group, acp, g90, mikta, oecd, eu28")
    fixed = text.replace(f"{{group: {symbol}}}", f"{{members: [{sponsors}]}}")
    assert load_scenario(write(folder, "t.yaml", fixed))


def test_unknown_group_lists_the_allowed_groups(folder):
    text = "extends: baseline.yaml\nname: x\noverrides:\n  - {group: nowhere, set_position: 5}\n"
    error = load_error(write(folder, "s.yaml", text))
    assert "allowed:" in error.problem
    for group in ("african_group", "oecd", "ldc_group", "gats_preference_china_india"):
        assert group in error.problem


def test_a_rule_between_fields_reads_as_the_rule(folder):
    """pydantic's 'Value error, ' prefix is not part of what the user is told."""
    text = ("extends: baseline.yaml\nname: x\noverrides:\n"
            "  - {members: [USA], issue: data_flows, cluster: procedure, set_position: 5}\n")
    error = load_error(write(folder, "s.yaml", text))
    assert error.problem.startswith("name an issue or a cluster, not both"), error.problem


def test_unknown_excluded_participant(folder):
    text = "extends: baseline.yaml\nname: x\nparticipants: {exclude: [USB]}\n"
    error = load_error(write(folder, "s.yaml", text))
    assert error.field == "line 3: participants.exclude"
    assert "unknown member code 'USB' (did you mean 'USA'?)" in error.problem


def test_an_excluded_participant_of_a_parent_is_blamed_on_the_parent(folder):
    write(folder, "parent.yaml", "extends: baseline.yaml\nname: p\nparticipants:\n"
          "  exclude:\n    - USA\n    - FRA\n")
    error = load_error(write(folder, "s.yaml", "extends: parent.yaml\nname: x\n"))
    assert error.source == str(folder / "parent.yaml")
    assert error.field == "line 6: participants.exclude"
    assert "name EUN instead" in error.problem


@pytest.mark.parametrize(("override", "words"), [
    ("{members: [USA], group: oecd, set_position: 5}", "exactly one of members, group"),
    ("{members: [USA], status: [ldc], set_position: 5}", "exactly one of members, group"),
    ("{set_position: 5, issue: mandate}", "exactly one of members, group"),
    ("{members: [USA], issue: mandate}", "at least one of set_position, shift_position"),
    ("{members: [USA], note: nothing to do}", "at least one of set_position"),
    ("{members: [USA], set_position: 5, shift_position: 5}", "set_position or shift_position"),
    ("{members: [USA], set_salience: 0.5, scale_salience: 2}", "set_salience or scale_salience"),
    ("{members: [USA], issue: mandate, cluster: procedure, set_position: 5}",
     "an issue or a cluster"),
])
def test_override_with_wrong_selectors_or_actions(folder, override, words):
    text = ("extends: baseline.yaml\nname: x\noverrides:\n"
            f"  - {{members: [CHN], set_position: 1}}\n  - {override}\n")
    error = load_error(write(folder, "s.yaml", text))
    assert error.field == "line 5: overrides.1"
    assert words in error.problem


def test_a_value_outside_a_fixed_list_names_the_list_and_the_nearest(folder):
    text = "extends: baseline.yaml\nname: x\noverrides:\n  - {status: [rich], set_position: 5}\n"
    error = load_error(write(folder, "s.yaml", text))
    assert error.problem == "'rich' is not allowed; allowed: developed, developing, ldc"
    text = ("extends: baseline.yaml\nname: x\noverrides:\n"
            "  - {members: [USA], cluster: data, set_position: 5}\n")
    error = load_error(write(folder, "t.yaml", text))
    assert "'data' is not allowed; allowed: procedure, data_technology," in error.problem
    assert "overrides.0.cluster" in error.field
    text = "extends: baseline.yaml\nname: x\nparameters: {bargaining: {protocol: compromis}}\n"
    error = load_error(write(folder, "u.yaml", text))
    assert error.problem == ("'compromis' is not allowed (did you mean 'compromise'?); allowed: "
                             "compromise, exchange, challenge")


def test_missing_file(tmp_path):
    error = load_error(tmp_path / "nope.yaml")
    assert str(error) == f"{tmp_path / 'nope.yaml'}: (file): the file does not exist"


@pytest.mark.parametrize(("text", "line", "column"), [
    ("name: x\nparameters: {consensus: [1, 2}\n", 2, 30),
    ("name: x\ndescription: a\n  bad: indent\n", 3, 6),
    ("name: x\n\n\nseed: 'unterminated\n", 5, 1),
    ("name: x\n\tseed: 4\n", 2, 1),
    ("name: x\n---\nname: y\n", 2, 1),
    ("name: x\nseed: *nowhere\n", 2, 7),
])
def test_broken_yaml_names_line_and_column(tmp_path, text, line, column):
    error = load_error(write(tmp_path, "s.yaml", text))
    assert error.field == f"line {line}, column {column}"
    assert error.problem.startswith("not valid YAML (")
    assert "Traceback" not in str(error)


def test_non_utf8_file(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    error = load_error(path)
    assert "UTF-8" in error.problem


@pytest.mark.parametrize("text", ["- name: x\n- seed: 1\n", "just text\n", "42\n"])
def test_non_mapping_top_level(tmp_path, text):
    error = load_error(write(tmp_path, "s.yaml", text))
    assert error.field == "(top level)"
    assert "must be a mapping" in error.problem


@pytest.mark.parametrize("text", ["", "# only\n", "null\n"])
def test_a_file_without_a_value_is_empty(tmp_path, text):
    error = load_error(write(tmp_path, "s.yaml", text))
    assert error.field == "(file)"
    assert error.problem.startswith("the file is empty; a scenario is a mapping")


@pytest.mark.parametrize(("text", "field", "problem"), [
    ("name:\n", "line 2: name", "the value is empty; allowed: 1 to 100 letters, digits, _, . "
     "and - (no spaces): the scenario's results folders are named after it"),
    ("name: x\nseed: 2017-12-10\n", "line 3: seed", "2017-12-10 (read as a date) is not a "
     "whole number; allowed: a whole number at least 0, below 9,223,372,036,854,775,808"),
    ("name: x\ndescription: 2017-12-10\n", "line 3: description",
     "2017-12-10 is a date; allowed: text (in quotes: '2017-12-10')"),
    ("name: x\nreplications: 2017-12-10 10:30:00\n", "line 3: replications",
     "2017-12-10 10:30:00 (read as a date and time) is not a whole number; allowed: a whole "
     "number from 1 to 10,000,000"),
    ("name: x\ngroup_stances:\n  - {id: doha_linkage_india, name: India, applies_to: {members: "
     "[IND]}, doha_linked: \"false\", source: x}\n", "line 4: group_stances.0.doha_linked",
     "'false' is in quotes, so it is text, not true or false (write false); allowed: true or "
     "false"),
    ("name: x\nparameters: {consensus: {package: 'True'}}\n",
     "line 3: parameters.consensus.package",
     "'True' is in quotes, so it is text, not true or false (write true); allowed: true or false"),
])
def test_an_empty_name_a_date_or_a_quoted_switch_says_what_is_allowed(folder, text, field,
                                                                       problem):
    """Not pydantic's 'Input should be a valid string' nor Python's `datetime.date(2017, 12,
    10)`; true or false in quotes gets the hint a number in quotes gets."""
    error = load_error(write(folder, "s.yaml", f"extends: baseline.yaml\n{text}"))
    assert (error.field, error.problem) == (field, problem)


def test_missing_name(tmp_path):
    error = load_error(write(tmp_path, "s.yaml", "description: nameless\nseed: 3\n"))
    assert error.field.endswith("name")
    assert error.problem == "required field is missing"


def test_error_message_is_one_line_with_file_field_problem(folder):
    text = "extends: baseline.yaml\nname: x\nparameters:\n  consensus:\n    min_step: 0\n"
    error = load_error(write(folder, "s.yaml", text))
    assert str(error) == (f"{folder / 's.yaml'}: line 5: parameters.consensus.min_step: "
                          "0 is out of range; allowed: a number above 0, at most 50, or a "
                          "prior")
    assert "\n" not in str(error)


@pytest.mark.parametrize(("text", "allowed"), [
    ("overrides:\n  - {members: [USA], issue: mandate, set_position: high}\n",
     "allowed: a number from 0 to 100, or a prior"),
    ("overrides:\n  - {members: [USA], issue: mandate, set_salience: [0.5]}\n",
     "allowed: a number from 0 to 1, or a prior"),
    ("replications: many\n", "allowed: a whole number from 1 to 10,000,000"),
    ("parameters: {consensus: {critical_mass: lots}}\n",
     "allowed: a number above 0, at most 1, or a prior"),
    ("calendar_levels: {quiet: {attention: 2}}\n", "allowed: a number from 0 to 1, or a prior"),
])
def test_a_number_of_the_wrong_type_or_range_names_the_range_allowed(folder, text, allowed):
    """pydantic's 'Input should be a valid number' alone does not say what would do."""
    error = load_error(write(folder, "s.yaml", f"extends: baseline.yaml\nname: x\n{text}"))
    assert error.problem.endswith(allowed), error.problem


@pytest.mark.parametrize(("text", "problem"), [
    ("overrides:\n  - {members: USA, issue: mandate, set_position: 50}\n",
     "'USA' is not a list; allowed: a list in brackets, e.g. [USA]"),
    ("participants: {exclude: USA}\n",
     "'USA' is not a list; allowed: a list in brackets, e.g. [USA]"),
    ("overrides: USA\n", "'USA' is not a list; allowed: a list of entries, each a '- ' line "
     "with its fields (members, group, sponsors_of, status, issue, cluster, set_position, "
     "shift_position, set_salience, scale_salience, note)"),
    ("overrides: {members: [USA], issue: mandate, set_position: 50}\n",
     "{'members': ['USA'], 'issue': 'mandate', 'set_position': 50} is not a list; allowed: a "
     "list of entries, each a '- ' line with its fields (members, group, sponsors_of, status, "
     "issue, cluster, set_position, shift_position, set_salience, scale_salience, note)"),
    ("participants: {exclude: {USA: 1}}\n",
     "{'USA': 1} is not a list; allowed: a list: [a, b], or one '- ' line per entry"),
])
def test_a_single_value_where_a_list_goes_shows_the_list_form(folder, text, problem):
    """The form the list takes: `[USA]` for a list of codes, '- ' lines with their fields for
    a list of entries (`overrides: USA` is not mended by brackets)."""
    error = load_error(write(folder, "s.yaml", f"extends: baseline.yaml\nname: x\n{text}"))
    assert error.problem == problem


@pytest.mark.parametrize(("text", "allowed"), [
    ("overrides:\n  - {members: [USA], issue: [data_flows, privacy], set_salience: 0.5}\n",
     "allowed: one issue, not a list (one entry for each issue, or a cluster)"),
    ("overrides:\n  - {group: [african_group], issue: mandate, set_salience: 0.5}\n",
     "allowed: one group, not a list (one entry for each group)"),
])
def test_a_list_where_one_value_goes_says_to_write_one_entry_each(folder, text, allowed):
    error = load_error(write(folder, "s.yaml", f"extends: baseline.yaml\nname: x\n{text}"))
    assert error.problem == f"Input should be a valid string; {allowed}"


@pytest.mark.parametrize(("text", "field", "problem"), [
    ("parameters:\n", "parameters", "the section is empty; allowed: a mapping, one indented "
     "'key: value' line per field (coalitions, bargaining, consensus, sample_uncertainty), or "
     "no such line"),
    ("calendar_levels: {quiet: 0.3}\n", "calendar_levels.quiet", "0.3 is not a mapping; "
     "allowed: a mapping, one indented 'key: value' line per field (attention, pressure)"),
    ("derivation:\n  engaged_sponsor_mandate: {position: 60, salience: 0.4}\n",
     "derivation.engaged_sponsor_mandate", "{'position': 60, 'salience': 0.4} is not a list; "
     "allowed: [position 0-100, salience 0-1]"),
    ("derivation:\n  imputed: {developing: [30, 55]}\n", "derivation.imputed.developing",
     "the list is too short: it has 2 values, its salience (entry 2, counting from 0) is "
     "missing; allowed: "
     "[position on new disciplines 0-100, position elsewhere 0-100, salience 0-1]"),
    ("description: 123\n", "description", "123 is a number; allowed: text (in quotes: '123')"),
    ("parameters:\n  consensus: {base_tolerance: .nan}\n", "parameters.consensus.base_tolerance",
     "Input should be a finite number; allowed: a number from 0 to 100, or a prior"),
])
def test_a_value_of_the_wrong_shape_says_which_shape_is_allowed(folder, text, field, problem):
    error = load_error(write(folder, "s.yaml", f"extends: baseline.yaml\nname: x\n{text}"))
    assert (error.field.split(": ")[-1], error.problem) == (field, problem)


@pytest.mark.parametrize(("text", "field", "allowed"), [
    ("proposals:\n  - {symbol: X/1, title: t, section: s, sponsors: [NOR], stances: [{issue: "
     "data_flows, position: {triangular: [60, 70, 80]}, emphasis: headline, section: s, "
     "basis: b}]}\n", "line 4: proposals.0.stances.0.position",
     "{'triangular': [60, 70, 80]} is a prior, which cannot stand in proposals; allowed: a "
     "number from 0 to 100"),
    ("seed: {choice: [1, 2]}\n", "line 3: seed", "{'choice': [1, 2]} is a prior, which cannot "
     "stand in seed; allowed: a whole number at least 0"),
])
def test_a_prior_outside_the_sections_that_take_them_says_where_they_may_stand(folder, text,
                                                                                 field, allowed):
    """Not "{'triangular': [60, 70, 80]} is not a number": the README's Priors section lists
    the numbers a prior may stand for, and a paper's positions are not among them."""
    error = load_error(write(folder, "s.yaml", f"extends: baseline.yaml\nname: x\n{text}"))
    assert error.field == field
    assert error.problem.startswith(allowed), error.problem
    assert error.problem.endswith(
        "; priors may stand only on: parameters.<group>.<name>, "
        "calendar_levels.<kind>.attention|pressure, derivation.emphasis_salience.<emphasis>, "
        "derivation.engaged_sponsor_mandate (its two numbers), derivation.imputed.<status> (its "
        "three numbers), overrides.<index>.set_position|shift_position|set_salience|"
        "scale_salience (a value the override gives)")


def test_a_priors_section_says_where_priors_are_written(folder):
    """The README's "Priors" section may suggest a `priors:` key; there is none."""
    error = load_error(write(folder, "s.yaml", "extends: baseline.yaml\nname: x\npriors:\n"
                             "  consensus: {min_step: {uniform: [5, 15]}}\n"))
    assert error.field == "line 3: priors"
    assert "a prior is written in place of a number under parameters, derivation, " \
        "calendar_levels or overrides" in error.problem


def test_a_tab_in_the_indentation_is_named(folder):
    error = load_error(write(folder, "s.yaml", "extends: baseline.yaml\nname: x\noverrides:\n"
                             "\t- {members: [USA], issue: mandate, set_salience: 0.5}\n"))
    assert error.field == "line 4, column 1"
    assert error.problem.endswith("; a tab there: YAML indents with spaces only)")


SYNTAX_ERRORS = [
    ("parameters:\n  consensus:\n    min_step: 5\n   critical_mass: 0.7\n", "line 6, column 4",
     "check this line's indentation: the keys of one mapping, and the '- ' entries of one list, "
     "start in the same column"),
    ("overrides:\n  - members: [USA]\n  issue: mandate\n", "line 5, column 3",
     "check this line's indentation"),
    ("overrides:\n  - members: [USA]\n    issue: mandate\n      set_salience: 0.5\n",
     "line 6, column 19", "usually a line indented deeper than the key above it, or a value "
     "holding ': ' without quotes (note: \"why: a reason\")"),
    ("overrides:\n  - {members: [USA], issue: mandate, set_salience: 0.5, note: US: tired}\n",
     "line 4, column 65", "inside { } or [ ], close each bracket, separate the entries with ', ' "
     "and quote a value holding ': ' or ','"),
    ("description: 'the US's view'\n", "line 3, column 22", "text follows a closing quote or "
     "bracket on this line: quote the whole value, writing a ' inside '...' twice"),
]
"""Hand-written YAML mistakes: the text after the name, where the parser stops, the hint."""


@pytest.mark.parametrize(("text", "field", "hint"), SYNTAX_ERRORS)
def test_a_yaml_syntax_error_says_what_to_correct(folder, text, field, hint):
    """libyaml's "did not find expected key" named the line but not the mistake: a misaligned
    key, an unquoted ': ' or an unclosed bracket, the errors of a hand-written file; within a
    line (an apostrophe in a quoted note), not its indentation."""
    error = load_error(write(folder, "s.yaml", f"extends: baseline.yaml\nname: x\n{text}"))
    assert error.field == field
    assert f"; {hint}" in error.problem


@pytest.mark.parametrize(("text", "field", "hint"), SYNTAX_ERRORS)
def test_without_libyaml_a_yaml_syntax_error_says_the_same(folder, monkeypatch, text, field,
                                                           hint):
    """Where PyYAML has no libyaml (its C parser is optional), its own parser reads the file and
    words the problems otherwise ("expected <block end>, but found ..."): the same mistakes get
    the same hints."""
    from simulation.inputs import files

    pure = type("PureLoader", (yaml.SafeLoader,),
                {"construct_mapping": files._UniqueKeyLoader.construct_mapping})
    monkeypatch.setattr(files, "_UniqueKeyLoader", pure)
    error = load_error(write(folder, "s.yaml", f"extends: baseline.yaml\nname: x\n{text}"))
    assert error.field == field
    assert f"; {hint}" in error.problem


@pytest.mark.parametrize(("text", "field"), [
    ("parameters:\n  consensus:\n    min_step: 5\n     \tcritical_mass: 0.7\n",
     "line 6, column 20"),
    ("replications: 100\n \tseed: 3\n", "line 4, column 7"),
])
def test_a_tab_among_the_spaces_of_an_indentation_is_named_whatever_the_parser_says(folder,
                                                                                   text, field):
    """After a space, a tab is read as part of the key's line, and the parser stops at its ':'
    ("mapping values are not allowed"): the tab, not a key indented too deep or an unquoted
    ': ', is what to correct."""
    error = load_error(write(folder, "s.yaml", f"extends: baseline.yaml\nname: x\n{text}"))
    assert error.field == field and "mapping values are not allowed" in error.problem
    assert error.problem.endswith("; a tab there: YAML indents with spaces only)")


def test_a_tab_inside_a_flow_mapping_is_not_named_as_indentation(folder):
    """libyaml reads past a tab inside { } and stops at the missing ',': that is the mistake,
    and the tab is no indentation (its hint was given for a tab anywhere before the error)."""
    error = load_error(write(folder, "s.yaml", "extends: baseline.yaml\nname: x\nparameters: "
                             "{consensus: {min_step: 5\t critical_mass: 0.7}}\n"))
    assert error.field == "line 3, column 52"
    assert error.problem.endswith("; inside { } or [ ], close each bracket, separate the entries "
                                  "with ', ' and quote a value holding ': ' or ',' (note: \"why: "
                                  "a reason\"))")


def test_a_name_with_spaces_names_the_characters_allowed(folder):
    error = load_error(write(folder, "s.yaml", "extends: baseline.yaml\nname: my what if\n"))
    assert error.field == "line 2: name"
    assert error.problem == ("'my what if' cannot name the scenario's results folders; allowed: "
                             "1 to 100 letters, digits, _, . and - (no spaces)")


def test_a_name_too_long_for_a_folder_is_refused_before_any_folder_is_made(folder):
    """A 300-character name used to pass, then fail to make the results folder, blaming
    --results-dir and leaving it behind empty."""
    error = load_error(write(folder, "s.yaml", f"extends: baseline.yaml\nname: {'n' * 300}\n"))
    assert error.field == "line 2: name"
    assert error.problem.startswith("a name of 300 characters cannot name the scenario's results")
    assert load_scenario(write(folder, "t.yaml", f"extends: baseline.yaml\nname: {'n' * 100}\n"))


@pytest.mark.parametrize(("text", "field"), [
    ("overrides:\n  - {members: [USA], issue: mandate, set_position: x}\n",
     "line 4: overrides.2.set_position"),
    ("group_stances:\n  - id: extra\n    applies_to: {members: [IND]}\n"
     "    doha_linked: false\n    bloc: false\n    source: s\n    stances: []\n",
     "line 4: group_stances.0.name"),
])
def test_an_error_in_a_list_entry_added_to_the_parents_names_the_file_and_line_that_wrote_it(
        folder, text, field):
    """`overrides` and `group_stances` add to the parent's lists: the child's first entry is
    the merged list's third. A group stance is named as entry 0 of the child; an override by
    the merged list's index, as `--set overrides.N` and priors count it, the line finding it."""
    write(folder, "parent.yaml", "extends: baseline.yaml\nname: parent\n"
          "overrides:\n  - {members: [CHN], issue: mandate, shift_position: 5}\n"
          "  - {members: [BRA], issue: mandate, shift_position: 5}\n"
          "group_stances:\n  - {id: g1, name: g, applies_to: {members: [IND]}, doha_linked: false,"
          " bloc: false, source: s, stances: []}\n"
          "  - {id: g2, name: g, applies_to: {members: [IND]}, doha_linked: false,"
          " bloc: false, source: s, stances: []}\n")
    error = load_error(write(folder, "child.yaml", f"extends: parent.yaml\nname: x\n{text}"))
    assert error.source == str(folder / "child.yaml")
    assert error.field == field


def test_calendar_missing_is_an_input_error(folder):
    error = load_error(write(folder, "s.yaml", "extends: baseline.yaml\nname: x\n"
                             "calendar: nowhere.yaml\n"))
    assert error.source == str(folder / "s.yaml") and error.field == "line 3: calendar"
    assert str(folder / "nowhere.yaml") in error.problem and "not a file" in error.problem


MINISTERIAL = ('{month: 2017-12, label: MC11, kind: ministerial, attention: 0.9, pressure: 1.0, '
               'source: x}')


@pytest.mark.parametrize(("periods", "field", "problem"), [
    ("periods: []\n", "periods", "non-empty list 'periods'"),
    ("months: []\n", "periods", "non-empty list 'periods'"),
    (f"- {MINISTERIAL}\n", "periods", "non-empty list 'periods'"),  # the periods alone
    (f"periods:\n  - {{month: 2017-11, label: x, kind: quiet, attention: 2, pressure: 0.4, "
     f"source: x}}\n  - {MINISTERIAL}\n", "line 2: periods: entry 1: attention",
     "2 is out of range; allowed: a number from 0 to 1"),
    (f"periods:\n  - {{month: 2017-11, label: x, kind: bilateral, attention: 0.3, "
     f"pressure: 0.4, source: x}}\n  - {MINISTERIAL}\n", "line 2: periods: entry 1: kind",
     "'bilateral'; allowed: forum, mini_ministerial"),
    (f"periods:\n  - {MINISTERIAL}\n  - {{month: 2018-01, label: x, kind: quiet, "
     f"attention: 0.3, pressure: 0.4, source: x}}\n", "periods",
     "the last period must be of kind 'ministerial'"),
    (f"periods:\n  - {{month: 2017-13, label: x, kind: quiet, attention: 0.3, pressure: 0.4, "
     f"source: x}}\n  - {MINISTERIAL}\n", "line 2: periods: entry 1: month",
     "2017-13; allowed: a month as YYYY-MM, from 01 to 12"),
    (f"periods:\n  - {{month: 2017-00, label: x, kind: quiet, attention: 0.3, pressure: 0.4, "
     f"source: x}}\n  - {MINISTERIAL}\n", "line 2: periods: entry 1: month",
     "2017-00; allowed: a month as YYYY-MM, from 01 to 12"),
    (f"periods:\n  - {{month: 2017-11-01, label: x, kind: quiet, attention: 0.3, "
     f"pressure: 0.4, source: x}}\n  - {MINISTERIAL}\n", "line 2: periods: entry 1: month",
     "2017-11-01; allowed: a month as YYYY-MM, e.g. 2017-12"),
    (f"periods:\n  - {{month: Nov 2017, label: x, kind: quiet, attention: 0.3, "
     f"pressure: 0.4, source: x}}\n  - {MINISTERIAL}\n", "line 2: periods: entry 1: month",
     "Nov 2017; allowed: a month as YYYY-MM, e.g. 2017-12"),
    (f"periods:\n  - {{month: '2017-11-01', label: x, kind: quiet, attention: 0.3, "
     f"pressure: 0.4, source: x}}\n  - {MINISTERIAL}\n", "line 2: periods: entry 1: month",
     "2017-11-01; allowed: a month as YYYY-MM, e.g. 2017-12"),  # a date as text, not a month
    (f"periods:\n  - {{month: 2017-11, label: x, kind: quiet, attention: .nan, "
     f"pressure: 0.4, source: x}}\n  - {MINISTERIAL}\n", "line 2: periods: entry 1: attention",
     "finite number"),
    (f"periods:\n  - {{month: 2017-11, label: x, kind: quiet, attention: 0.3, "
     f"pressure: -.inf, source: x}}\n  - {MINISTERIAL}\n", "line 2: periods: entry 1: pressure",
     "finite number"),
    (f"periods:\n  - {{month: 2018-01, label: x, kind: quiet, attention: 0.3, pressure: 0.4, "
     f"source: x}}\n  - {MINISTERIAL}\n", "line 3: periods: entry 2: month",
     "2017-12 does not follow 2018-01 (entry 1); allowed: one period a month, in calendar order"),
    (f"periods:\n  - {{month: 2017-12, label: x, kind: quiet, attention: 0.3, pressure: 0.4, "
     f"source: x}}\n  - {MINISTERIAL}\n", "line 3: periods: entry 2: month",
     "does not follow 2017-12"),
    (f"periods:\n  - {{month: 2017-09, label: x, kind: quiet, attention: 0.3, pressure: 0.4, "
     f"source: x}}\n  - {MINISTERIAL}\n", "line 3: periods: entry 2: month",
     "2017-12 follows 2017-09 (entry 1), so 2017-10 has no period; allowed: one period a month, "
     "every month (a month without meetings is a period of kind 'quiet')"),
    (f"periods:\n  - {{month: 2017-11, label: x, kind: quiet, attention: 0.3, pressure: true, "
     f"source: x}}\n  - {MINISTERIAL}\n", "line 2: periods: entry 1: pressure",
     "true or false is not a number"),
    (f"periods:\n  - {{month: 2017-11, label: x, kind: quiet, atention: 0.3, pressure: 0.4, "
     f"source: x}}\n  - {MINISTERIAL}\n", "line 2: periods: entry 1: atention",
     "unknown field (did you mean 'attention'?); allowed: month, label, kind, attention"),
])
def test_a_bad_calendar_file_is_an_input_error_naming_it_and_the_field(folder, periods, field,
                                                                         problem):
    write(folder, "my_calendar.yaml", periods)
    error = load_error(write(folder, "s.yaml", "extends: baseline.yaml\nname: x\n"
                             "calendar: my_calendar.yaml\n"))
    assert error.source == str(folder / "my_calendar.yaml")
    assert error.field == field and problem in error.problem


def _block_calendar(fourth: str) -> str:
    """A calendar written one key a line (six lines a period, the first on line 3), 2017-08 to
    2017-12, with the 4th period's text changed by `fourth` ('old -> new')."""
    periods = [f"  - month: {month}\n    label: x\n    kind: {kind}\n    attention: 0.3\n"
               "    pressure: 0.4\n    source: x\n"
               for month, kind in (("2017-08", "quiet"), ("2017-09", "quiet"),
                                   ("2017-10", "quiet"), ("2017-11", "quiet"),
                                   ("2017-12", "ministerial"))]
    old, new = fourth.split(" -> ")
    periods[3] = periods[3].replace(old, new)
    return "# my calendar\nperiods:\n" + "".join(periods)


@pytest.mark.parametrize(("change", "field", "problem"), [
    ("attention: 0.3 -> attention: 1.5", "line 24: periods: entry 4: attention",
     "1.5 is out of range; allowed: a number from 0 to 1"),
    ("kind: quiet -> kind: bilateral", "line 23: periods: entry 4: kind",
     "'bilateral'; allowed: forum, mini_ministerial"),
    ("month: 2017-11 -> month: 2017-12", "line 21: periods: entry 4: month",
     "2017-12 follows 2017-10 (entry 3), so 2017-11 has no period"),
    ("    pressure: 0.4\n -> ", "line 21: periods: entry 4: pressure",  # the entry's line
     "required field is missing"),
    ("source: x -> sourse: x", "line 26: periods: entry 4: sourse",
     "unknown field (did you mean 'source'?)"),
    ("  - month: 2017-11\n    label: x\n    kind: quiet\n    attention: 0.3\n    pressure: 0.4\n"
     "    source: x\n ->   - 5\n", "line 21: periods: entry 4", "5 is not a mapping"),
])
def test_a_calendar_error_in_an_entry_names_its_line(folder, change, field, problem):
    """A bad value in the 4th period of a calendar written one key a line: the command's one
    line names the line of the value (of the entry, for a key it lacks), as for a scenario."""
    write(folder, "my_calendar.yaml", _block_calendar(change))
    scenario = write(folder, "s.yaml", "extends: baseline.yaml\nname: x\n"
                     "calendar: my_calendar.yaml\n")
    code, _, err = mc11("preferences", scenario)
    assert code == 2
    assert err.startswith(f"mc11: error: {folder / 'my_calendar.yaml'}: {field}: {problem}"), err
    assert len(err.strip().splitlines()) == 1


def test_an_error_names_the_line_of_the_value_that_applies_under_a_merge_key(folder):
    """An entry that copies another with a YAML merge key (`<<: *quiet`) and sets a field
    itself: the error names the field's own line, not the copied one's."""
    write(folder, "my_calendar.yaml",
          "periods:\n"
          "  - &quiet\n    month: 2017-10\n    label: x\n    kind: quiet\n    attention: 0.3\n"
          "    pressure: 0.4\n    source: x\n"  # lines 2-8
          "  - <<: *quiet\n    month: 2017-11\n    attention: 2\n"  # lines 9-11
          "  - {month: 2017-12, label: x, kind: ministerial, attention: 1, pressure: 1, "
          "source: x}\n")
    scenario = write(folder, "s.yaml", "extends: baseline.yaml\nname: x\n"
                     "calendar: my_calendar.yaml\n")
    code, _, err = mc11("preferences", scenario)
    assert code == 2
    assert err.startswith(f"mc11: error: {folder / 'my_calendar.yaml'}: line 11: periods: "
                          "entry 2: attention: 2 is out of range"), err


def test_a_calendar_may_use_both_ends_of_the_attention_and_pressure_scales(folder):
    """A month nobody attends and nothing presses (0) and the ministerial at full pressure
    (1) are both levels of the 0-1 scale."""
    write(folder, "my_calendar.yaml",
          "periods:\n  - {month: 2017-11, label: x, kind: quiet, attention: 0, pressure: 0, "
          "source: x}\n  - {month: 2017-12, label: MC11, kind: ministerial, attention: 1, "
          "pressure: 1, source: x}\n")
    load_scenario(write(folder, "s.yaml", "extends: baseline.yaml\nname: x\n"
                        "calendar: my_calendar.yaml\n"))
    periods = load_calendar(folder / "my_calendar.yaml")
    assert [(p.attention, p.pressure) for p in periods] == [(0, 0), (1, 1)]


def test_a_calendar_levels_value_is_that_of_the_kinds_first_month(folder):
    """Where one number stands for a kind of month's level (the scenario's constants), it is
    the level of the first month of that kind, not of a later one."""
    write(folder, "my_calendar.yaml", "periods:\n"
          "  - {month: 2017-10, label: a, kind: quiet, attention: 0.2, pressure: 0.3, source: x}\n"
          "  - {month: 2017-11, label: b, kind: quiet, attention: 0.4, pressure: 0.5, source: x}\n"
          f"  - {MINISTERIAL}\n")
    scenario = load_scenario(write(folder, "s.yaml", "name: s\ncalendar: my_calendar.yaml\n"))
    constants = scenario.constants()
    assert (constants["calendar_levels.quiet.attention"],
            constants["calendar_levels.quiet.pressure"]) == (0.2, 0.3)


def test_levels_of_a_kind_the_calendar_lacks_are_named_in_a_note(folder):
    """The baseline's priors on quiet and dedicated_discussion months, with a calendar of the
    ministerial alone, change nothing: a note says so."""
    write(folder, "my_calendar.yaml", f"periods:\n  - {MINISTERIAL}\n")
    scenario = load_scenario(write(folder, "s.yaml", "extends: baseline.yaml\nname: x\n"
                                   "calendar: my_calendar.yaml\n"))
    assert ("calendar_levels sets quiet, dedicated_discussion, but the calendar "
            "my_calendar.yaml has no period of those kinds" in " ".join(scenario.notes))


@pytest.mark.parametrize(("text", "field", "problem"), [
    ("calendar_levels:\n  quiet: {atention: 0.3}\n", "line 4: calendar_levels.quiet.atention",
     "unknown field (did you mean 'attention'?); allowed: attention, pressure"),
    ("calendar_levels:\n  quite: {attention: 0.3}\n", "line 4: calendar_levels.quite",
     "unknown key (did you mean 'quiet'?); allowed: forum, mini_ministerial"),
    ("derivation:\n  imputed:\n    ldcs: [10, 50, 0.2]\n", "line 5: derivation.imputed.ldcs",
     "unknown key (did you mean 'ldc'?); allowed: developed, developing, ldc"),
])
def test_a_misspelt_key_of_a_mapping_names_what_is_allowed(folder, text, field, problem):
    error = load_error(write(folder, "s.yaml", f"extends: baseline.yaml\nname: x\n{text}"))
    assert error.field == field and problem in error.problem


@pytest.mark.parametrize(("text", "field", "problem"), [
    ("group_stances:\n  - id: doha_linkage_india\n    applies_to: {members: [IND]}\n"
     "    stances: []\n", "line 4: group_stances.0", "required fields are missing: name, "
     "source; an entry has: id, name, applies_to, leader, doha_linked, bloc, source, stances, "
     "on_new_disciplines"),
    ("proposals:\n  - symbol: X/1\n    title: t\n    sponsors: [NOR]\n    stances: []\n",
     "line 4: proposals.0.section", "required field is missing; an entry has: symbol, title, "
     "date, section, footnote, sponsors, seconded_by, stances"),
    # a what-if paper written as the README's Tutorial might: every missing field in one go
    ("proposals:\n  - symbol: X/1\n    title: t\n    sponsors: [NOR]\n    stances:\n"
     "      - {issue: e_payments, position: 99, emphasis: headline}\n",
     "line 4: proposals.0", "required fields are missing: section, stances.0.section, "
     "stances.0.basis; an entry has: symbol"),
])
def test_a_required_field_missing_from_an_entry_names_the_entrys_line(folder, text, field,
                                                                       problem):
    """The entry's line, every field it lacks at once (its parts' too) and what it holds."""
    error = load_error(write(folder, "s.yaml", f"extends: baseline.yaml\nname: x\n{text}"))
    assert error.field == field and error.problem.startswith(problem)


def test_a_what_if_paper_needs_no_date_or_footnote_and_names_a_bad_sponsors_line(folder,
                                                                                  base_table):
    """A hypothetical proposal has no seed footnote and may have no date; its sponsors must
    be members, named on the entry's own line, and it must have some."""
    paper = ("proposals:\n  - symbol: X/1\n    title: t\n    section: what-if\n"
             "    sponsors: {sponsors}\n    stances:\n"
             "      - {{issue: e_payments, position: 99, emphasis: headline, section: what-if, "
             "basis: b}}\n")
    scenario = load_scenario(write(folder, "s.yaml", "extends: baseline.yaml\nname: x\n"
                                   + paper.format(sponsors="[NOR]")))
    norway = scenario.preferences.set_index(["member", "issue"]).loc[("NOR", "e_payments")]
    assert norway["position"] > base_table.set_index(["member", "issue"]).loc[
        ("NOR", "e_payments"), "position"]
    error = load_error(write(folder, "s.yaml", "extends: baseline.yaml\nname: x\n"
                             + paper.format(sponsors="[NRW]")))
    assert error.field == "line 4: proposals: X/1: sponsors" and "'NRW'" in error.problem
    error = load_error(write(folder, "s.yaml", "extends: baseline.yaml\nname: x\n"
                             + paper.format(sponsors="[]")))
    assert (error.field, error.problem) == (
        "line 7: proposals.0.sponsors", "the list has 0 entries; allowed: at least 1 entry")


def test_a_what_if_paper_under_a_shipped_papers_symbol_names_its_line_and_the_data_file(
        folder):
    """The scenario writes the symbol once: "'JOB/GC/94' appears twice", at the list's line,
    left the reader looking for a second entry of her own."""
    write(folder, "parent.yaml", "extends: baseline.yaml\nname: parent\nproposals:\n"
          "  - {symbol: JOB/GC/94, title: t, section: what-if, sponsors: [NOR], stances: "
          "[{issue: e_payments, position: 99, emphasis: headline, section: s, basis: b}]}\n")
    error = load_error(write(folder, "s.yaml", "extends: parent.yaml\nname: x\n"))
    assert error.source == str(folder / "parent.yaml")
    assert error.field == "line 4: proposals.0.symbol"
    assert error.problem.startswith("'JOB/GC/94' is a shipped paper's symbol "
                                    "(simulation/data/proposals.yaml); allowed: a symbol of the "
                                    "what-if paper's own, not one of JOB/GC/94, JOB/GC/97/Rev.3")


def test_a_what_if_papers_symbol_used_again_names_the_second_entrys_line_and_the_first(
        folder):
    """The child's paper repeats its parent's symbol: the error was at the child's list line,
    "'X/1' appears twice", naming neither entry."""
    paper = ("proposals:\n  - {{symbol: X/1, title: t, section: s, sponsors: [{code}], stances: "
             "[{{issue: e_payments, position: 99, emphasis: headline, section: s, basis: b}}]}}\n")
    write(folder, "parent.yaml", "extends: baseline.yaml\nname: parent\n"
          + paper.format(code="NOR"))
    error = load_error(write(folder, "s.yaml", "extends: parent.yaml\nname: x\n"
                             + paper.format(code="ISL")))
    assert (error.source, error.field, error.problem) == (
        str(folder / "s.yaml"), "line 4: proposals.0.symbol",
        "'X/1' is already the symbol of the what-if paper at line 4 of parent.yaml; allowed: a "
        "symbol of each paper's own")


def test_a_what_if_papers_symbol_used_again_in_a_mapping_names_the_first_entry():
    """A mapping given without its file (a notebook's) has no lines: the error said "at line None of
    <scenario>"."""
    paper = {"symbol": "X/1", "title": "t", "section": "s", "sponsors": ["NOR"], "stances": [
        {"issue": "e_payments", "position": 99, "emphasis": "headline", "section": "s",
         "basis": "b"}]}
    with pytest.raises(InputError) as error:
        scenario_from_mapping({"name": "t", "proposals": [paper, {**paper, "sponsors": ["ISL"]}]})
    assert (error.value.field, error.value.problem) == (
        "proposals.1.symbol", "'X/1' is already the symbol of the what-if paper at proposals.0; "
        "allowed: a symbol of each paper's own")


@pytest.mark.parametrize(("symbol", "problem"), [
    ("JOB/GC/94", "'JOB/GC/94' is a shipped paper's symbol"),
    ("X/1", "'X/1' is already the symbol of the what-if paper at line 4 of s.yaml"),
])
def test_a_taken_symbol_is_named_at_its_own_line_in_a_paper_written_over_several(folder,
                                                                                 symbol,
                                                                                 problem):
    """A paper written key by key puts its symbol below the line of its '- ': the error is at
    the symbol's line, where the correction goes, not at the paper's first line."""
    paper = ("  - title: t\n    section: what-if\n    symbol: {symbol}\n    sponsors: [NOR]\n"
             "    stances: [{{issue: e_payments, position: 99, emphasis: headline, section: s, "
             "basis: b}}]\n")
    error = load_error(write(folder, "s.yaml", "extends: baseline.yaml\nname: x\nproposals:\n"
                             + paper.format(symbol="X/1") + paper.format(symbol=symbol)))
    assert error.field == "line 11: proposals.1.symbol"
    assert error.problem.startswith(problem)


@pytest.mark.parametrize(("text", "field"), [
    ("participant:\n  exclude: [USA]\n", "line 3: participant"),
    ("override:\n  - {members: [USA], issue: mandate, set_position: 50}\n", "line 3: override"),
    ("parameters:\n  consensus:\n    critcal_mass: 0.5\n",
     "line 5: parameters.consensus.critcal_mass"),
    ("participants:\n  exclude:\n    USA\n", "line 4: participants.exclude"),
])
def test_an_error_on_a_key_whose_value_is_a_block_names_the_keys_line(folder, text, field):
    """A misspelt `participant:` with its entries on the lines below is reported on its own
    line, not on the first line of its block."""
    error = load_error(write(folder, "s.yaml", f"extends: baseline.yaml\nname: x\n{text}"))
    assert error.field == field


@pytest.mark.parametrize(("text", "field"), [
    ("replications: yes\n", "line 3: replications"),
    ("parameters:\n  bargaining: {noise_sd: true}\n", "line 4: parameters.bargaining.noise_sd"),
    ("derivation:\n  imputed:\n    developing: [true, 55, 0.2]\n",
     "line 5: derivation.imputed.developing.new_rules"),
    ("overrides:\n  - {members: [CHN], issue: data_flows, set_position: false}\n",
     "line 4: overrides.0.set_position"),
    ("calendar_levels:\n  quiet: {attention: true}\n", "line 4: calendar_levels.quiet.attention"),
])
def test_true_or_false_where_a_number_goes_is_refused(folder, text, field):
    """YAML's true/false would otherwise be read as 1 and 0 (`replications: yes` one run)."""
    error = load_error(write(folder, "s.yaml", f"extends: baseline.yaml\nname: x\n{text}"))
    assert error.field == field
    assert error.problem == "true or false is not a number; give a number"


@pytest.mark.parametrize(("text", "field", "problem"), [
    ("overrides:\n  - {members: [CHN], issue: data_flows, set_position: \"70\"}\n",
     "line 4: overrides.0.set_position",
     "'70' is in quotes, so it is text, not a number (write 70); allowed: a number from 0 to "
     "100"),
    ("replications: '500'\n", "line 3: replications",
     "'500' is in quotes, so it is text, not a whole number (write 500); allowed: a whole "
     "number from 1 to"),
    ("seed: '7'\n", "line 3: seed", "'7' is in quotes, so it is text, not a whole number"),
    ("parameters:\n  consensus: {critical_mass: '0.8'}\n",
     "line 4: parameters.consensus.critical_mass",
     "'0.8' is in quotes, so it is text, not a number (write 0.8); allowed: a number above 0, "
     "at most 1, or a prior"),
    ("derivation:\n  imputed:\n    developing: ['40', 55, 0.2]\n",
     "line 5: derivation.imputed.developing.new_rules",
     "'40' is in quotes, so it is text, not a number (write 40); allowed: a number from 0 to "
     "100, or a prior"),
    ("calendar_levels:\n  quiet: {attention: \"0.3\"}\n", "line 4: calendar_levels.quiet.attention",
     "'0.3' is in quotes, so it is text, not a number (write 0.3); allowed: a number from 0 to 1"),
    ("overrides:\n  - {members: [CHN], issue: data_flows, shift_position: ten}\n",
     "line 4: overrides.0.shift_position", "'ten' is not a number; allowed: a number from -100"),
    # YAML reads `inf` as text: no number to write without quotes
    ("parameters:\n  consensus: {critical_mass: inf}\n",
     "line 4: parameters.consensus.critical_mass", "'inf' is not a number; allowed: a number "
     "above 0"),
    ("overrides:\n  - {members: [CHN], issue: data_flows, set_position: ' 70 '}\n",
     "line 4: overrides.0.set_position",
     "' 70 ' is in quotes, so it is text, not a number (write 70); allowed"),
    # an exponent YAML reads as a number, in quotes: not the advice to write the number out
    ("parameters:\n  consensus: {critical_mass: '2.5e-1'}\n",
     "line 4: parameters.consensus.critical_mass",
     "'2.5e-1' is in quotes, so it is text, not a number (write 2.5e-1); allowed"),
    ("replications: \"1.0e+3\"\n", "line 3: replications",
     "'1.0e+3' is in quotes, so it is text, not a whole number (write 1.0e+3); allowed"),
    # a tab beside the digits: YAML cannot read the text bare at all
    ("overrides:\n  - {members: [CHN], issue: data_flows, set_position: \"\\t70\"}\n",
     "line 4: overrides.0.set_position",
     "'\\t70' is read as text, not a number (YAML reads a number only in its own forms); "
     "write 70; allowed"),
])
def test_a_quoted_number_is_refused(folder, text, field, problem):
    """pydantic would read "70" as 70: in a YAML file quotes make a number text, a slip to point
    out (where, and what to write) rather than to run."""
    error = load_error(write(folder, "s.yaml", f"extends: baseline.yaml\nname: x\n{text}"))
    assert error.field == field
    assert error.problem.startswith(problem), error.problem


def test_a_quoted_number_in_a_calendar_file_is_refused(folder):
    write(folder, "my_calendar.yaml", f"periods:\n  - {{month: 2017-11, label: x, kind: quiet, "
          f"attention: '0.3', pressure: 0.4, source: x}}\n  - {MINISTERIAL}\n")
    error = load_error(write(folder, "s.yaml", "extends: baseline.yaml\nname: x\n"
                             "calendar: my_calendar.yaml\n"))
    assert error.field == "line 2: periods: entry 1: attention"
    assert error.problem.startswith("'0.3' is in quotes, so it is text, not a number")


def test_what_a_file_says_cannot_be_changed_once_checked(folder):
    """Settings and calendar periods read from files are fixed once their ranges are checked:
    a value set afterwards (a critical mass of 2, a pressure of 5) would escape the check."""
    scenario = load_scenario(write(folder, "s.yaml", "extends: baseline.yaml\nname: x\n"))
    consensus = scenario.spec.parameters.consensus
    with pytest.raises(ValidationError, match="frozen"):
        consensus.critical_mass = 2.0
    period = load_calendar()[0]
    with pytest.raises(ValidationError, match="frozen"):
        period.pressure = 5.0
    assert consensus.critical_mass <= 1 and period.pressure <= 1


def test_true_or_false_stay_the_values_of_switches(folder):
    scenario = load_scenario(write(folder, "s.yaml", "extends: baseline.yaml\nname: x\n"
                                   "parameters: {consensus: {package: true}, "
                                   "sample_uncertainty: false}\n"))
    assert scenario.spec.parameters.consensus.package is True
    assert scenario.spec.parameters.sample_uncertainty is False


def test_a_parents_calendar_is_found_beside_the_parent(folder):
    """`calendar:` is relative to the file that names it, also when a scenario in another
    folder extends that file."""
    shutil.copy(DATA_DIR / "calendar.yaml", folder / "my_calendar.yaml")
    write(folder, "parent.yaml", "extends: baseline.yaml\nname: parent\n"
          "calendar: my_calendar.yaml\n")
    (folder / "elsewhere").mkdir()
    child = write(folder / "elsewhere", "child.yaml", "extends: ../parent.yaml\nname: child\n")
    assert load_scenario(child).calendar_path == folder / "my_calendar.yaml"


def test_a_scenarios_fingerprint_follows_its_calendars_content_not_where_it_lies(tmp_path):
    """A results folder resumes only on the inputs it ran: the fingerprint reads the calendar's
    periods, so a scenario moved with its calendar to another folder has the same inputs, and
    one whose calendar now says something else has not."""
    fingerprints = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        shutil.copy(SCENARIOS / "baseline.yaml", folder / "baseline.yaml")
        write(folder, "my_calendar.yaml", f"periods:\n  - {MINISTERIAL}\n")
        path = write(folder, "s.yaml", "extends: baseline.yaml\nname: s\n"
                     "calendar: my_calendar.yaml\n")
        fingerprints.append(load_scenario(path).input_hash())
    assert fingerprints[0] == fingerprints[1]
    write(tmp_path / "two", "my_calendar.yaml",
          f"periods:\n  - {MINISTERIAL.replace('pressure: 1.0', 'pressure: 0.8')}\n")
    assert load_scenario(tmp_path / "two" / "s.yaml").input_hash() != fingerprints[0]


# --------------------------------------------------------------------------- known bugs


def test_error_line_in_a_child_that_extends_a_parent_with_overrides(folder):
    write(folder, "parent.yaml", "extends: baseline.yaml\nname: parent\noverrides:\n"
          "  - {members: [USA], set_position: 1}\n  - {members: [USA], set_position: 2}\n"
          "  - {members: [USA], set_position: 3}\n")
    text = ("extends: parent.yaml\nname: child\noverrides:\n"
            "  - {members: [USA], set_position: 500}\n"
            "  - {members: [USA], set_position: 5}\n  - {members: [USA], set_position: 6}\n"
            "  - {members: [USA], set_position: 7}\n  - {members: [USA], set_position: 8}\n")
    error = load_error(write(folder, "child.yaml", text))
    assert f"line {line_of(text, '500')}" in error.field


def test_a_child_list_too_short_names_the_child_that_wrote_it(folder):
    text = "extends: baseline.yaml\nname: child\nderivation:\n  imputed:\n" \
           "    developing: [30, 55]\n"
    error = load_error(write(folder, "child.yaml", text))
    assert error.source == str(folder / "child.yaml")
    assert error.field == f"line {line_of(text, '[30, 55]')}: derivation.imputed.developing"
    assert "too short: it has 2 values, its salience (entry 2, counting from 0) is missing" \
        in error.problem


def test_error_in_a_parent_names_the_parent(folder):
    write(folder, "parent.yaml", "name: parent\n\nreplications: -1\n")
    error = load_error(write(folder, "child.yaml", "extends: parent.yaml\nname: child\n"))
    assert "parent.yaml" in str(error) and "child.yaml" not in str(error)
    assert "line 3" in str(error)


def test_a_child_value_that_replaces_a_bad_parent_value_is_what_counts(folder):
    write(folder, "parent.yaml", "name: parent\nreplications: -1\nseed: -5\n")
    error = load_error(write(folder, "child.yaml",
                             "extends: parent.yaml\nname: child\nreplications: 10\n"))
    assert "parent.yaml" in str(error) and "line 3" in str(error) and "seed" in str(error)
    write(folder, "fixed.yaml", "extends: parent.yaml\nname: c\nreplications: 10\nseed: 1\n")
    assert load_scenario(folder / "fixed.yaml").spec.replications == 10


def test_a_bad_override_inherited_from_a_parent_names_the_parent(folder):
    write(folder, "parent.yaml", "extends: {base}\nname: p\noverrides:\n"
          "  - {{members: [CHN], set_position: 1}}\n  - {{members: [USX], set_position: 5}}\n"
          .format(base=SCENARIOS / "baseline.yaml"))
    error = load_error(write(folder, "child.yaml", "extends: parent.yaml\nname: child\n"
                             "overrides:\n  - {members: [USA], set_position: 3}\n"))
    assert "parent.yaml" in str(error) and re.search(r"\bline 5\b", str(error))
    assert "overrides.1" in str(error)


def test_a_childs_override_is_named_by_the_merged_index_in_notes_and_errors(folder):
    """`--set overrides.N`, priors and the draws count a parent's overrides first: the notes
    and the errors on a child's override used to name its index in the child (overrides.0 for
    the merged list's overrides.2), so a plain value and a prior in one place differed."""
    write(folder, "parent.yaml", "extends: baseline.yaml\nname: parent\noverrides:\n"
          "  - {members: [USA], issue: mandate, set_position: 70}\n"
          "  - {group: african_group, issue: mandate, shift_position: 10}\n")
    child = ("extends: parent.yaml\nname: child\noverrides:\n"
             "  - {members: [CHN], issue: data_flows, ")
    scenario = load_scenario(write(folder, "child.yaml", child + "set_salience: 0.9}\n"))
    assert any(note.startswith("child.yaml line 4: overrides.2 sets a salience")
               for note in scenario.notes)
    assert not any("overrides.0" in note and "child.yaml" in note for note in scenario.notes)
    plain = load_error(write(folder, "child.yaml", child + "set_salience: 1.5}\n"))
    prior = load_error(write(folder, "child.yaml",
                             child + "set_salience: {uniform: [0.5, 1.5]}}\n"))
    assert plain.field == prior.field == "line 4: overrides.2.set_salience"
    assert plain.source == prior.source == str(folder / "child.yaml")
    unknown = load_error(write(folder, "child.yaml",
                               child.replace("CHN", "CHX") + "set_salience: 0.9}\n"))
    assert unknown.field == "line 4: overrides.2: members"


def test_unknown_id_in_override_names_the_line(folder):
    text = ("extends: baseline.yaml\nname: x\noverrides:\n  - {members: [CHN], set_position: 1}\n"
            "  - {members: [USX], set_position: 5}\n")
    error = load_error(write(folder, "s.yaml", text))
    assert re.search(r"\bline 5\b", str(error))


@pytest.mark.parametrize("derivation", [
    "{imputed: {ldc: [15, 500, 0.15]}}",
    "{imputed: {developing: [30, 55, 5]}}",
    "{emphasis_salience: {headline: -3}}",
    "{emphasis_salience: {stated: .nan}}",
    "{engaged_sponsor_mandate: [.inf, 0.35]}",
    "{uncertainty: {imputed: [-1, 0.15]}}",
    "{uncertainty: {imputed: [20, 1.5]}}",
    "{uncertainty: {guessed: [20, 0.15]}}",
])
def test_derivation_constants_are_range_checked(folder, derivation):
    text = f"extends: baseline.yaml\nname: x\nderivation: {derivation}\n"
    error = load_error(write(folder, "s.yaml", text))
    assert "line 3" in error.field


def test_derivation_uncertainty_replaces_the_spread_of_one_kind_of_evidence(folder, base_table):
    scenario = load_scenario(write(folder, "s.yaml", "extends: baseline.yaml\nname: x\n"
                                   "derivation: {uncertainty: {imputed: [30, 0.2]}}\n"))
    table = scenario.preferences
    imputed = table["rule"] == "imputed"
    spreads = table.loc[imputed, ["position_sd", "salience_sd"]]
    assert imputed.any() and (spreads == [30, 0.2]).all().all()
    pd.testing.assert_frame_equal(table[~imputed], base_table[~imputed])
    assert scenario.negotiation().position_sd.max() == 30


def test_derivation_uncertainty_of_readings_widens_only_the_stances_read_so(folder, base_table):
    """`reading` is a floor on the spread of the stances the data mark as readings: a wider one
    widens them (and no other row), Pakistan's share of the paper it seconded among them."""
    scenario = load_scenario(write(folder, "s.yaml", "extends: baseline.yaml\nname: x\n"
                                   "derivation: {uncertainty: {reading: [12, 0.11]}}\n"))
    table = scenario.preferences
    read = table["source"].str.contains(", a reading:", regex=False)
    pakistan = (table["member"] == "PAK") & (table["issue"] == "market_access")
    assert read[pakistan].all() and (table.loc[pakistan, "position_sd"] == 12).all()
    assert (table.loc[read, "position_sd"] >= 12).all()
    assert (table.loc[read, "salience_sd"] >= 0.11).all()
    assert (table.loc[read, "position_sd"] > base_table.loc[read, "position_sd"]).any()
    pd.testing.assert_frame_equal(table[~read], base_table[~read])


@pytest.mark.parametrize("kept", [[], ["USA"]])
def test_excluding_all_members_but_one_is_refused_naming_the_list(folder, kept):
    """A negotiation of fewer than two members has no one to bargain or block: the scenario is
    refused where it is written, not left to crash or to agree with itself."""
    excluded = [m.code for m in default_catalogue().actors if m.code not in kept]
    text = ("extends: baseline.yaml\nname: x\nparticipants:\n"
            f"  exclude: [{', '.join(excluded)}]\n")
    error = load_error(write(folder, "s.yaml", text))
    assert error.field == "line 4: participants.exclude"
    assert f"leaves {len(kept)} of the" in str(error) and "at least two" in str(error)


def test_two_members_left_negotiate(folder):
    excluded = [m.code for m in default_catalogue().actors if m.code not in ("USA", "CHN")]
    text = ("extends: baseline.yaml\nname: x\nparticipants:\n"
            f"  exclude: [{', '.join(excluded)}]\n")
    assert load_scenario(write(folder, "s.yaml", text)).negotiation().members == ("CHN", "USA")


def test_an_override_naming_an_excluded_member_says_it_changes_nothing_for_it(folder):
    path = write(folder, "s.yaml", "extends: baseline.yaml\nname: x\n"
                 "participants: {exclude: [USA]}\noverrides:\n"
                 "  - {members: [USA, CHN], issue: data_flows, set_position: 50}\n")
    notes = [n for n in load_scenario(path).notes if "participants.exclude" in n]
    assert len(notes) == 1 and "s.yaml line 5: overrides.0" in notes[0]
    assert "USA" in notes[0] and "CHN" not in notes[0]


@pytest.mark.parametrize(("coalitions", "noted"), [
    ({}, False),
    ({"leave_threshold": 0.9}, True),
    ({"leave_threshold": 0.85}, False),  # leaving below 0.85 and joining at 0.85: no overlap
    ({"leave_threshold": {"uniform": [0.8, 0.9]}}, True),
    ({"join_threshold": {"triangular": [0.6, 0.8, 0.9]}}, True),
    ({"join_threshold": {"triangular": [0.75, 0.8, 0.9]}, "leave_threshold": 0.75}, False),
])
def test_a_leave_threshold_that_can_exceed_the_join_threshold_is_noted(coalitions, noted):
    """Members between the thresholds would join and leave in alternate months: the user hears
    of it, for fixed values and for priors whose ranges overlap."""
    scenario = scenario_from_mapping({"name": "t", "parameters": {"coalitions": coalitions}})
    said = [note for note in scenario.notes if "can exceed coalitions.join_threshold" in note]
    assert bool(said) == noted, scenario.notes


@pytest.mark.parametrize(("emphasis", "noted"), [
    ({}, []),
    ({"headline": 0.9, "stated": 0.95}, ["stated"]),
    ({"stated": 0.3}, ["mentioned"]),  # mentioned stays at 0.35
    ({"headline": 0.5, "stated": 0.5, "mentioned": 0.5}, ["stated", "mentioned"]),
    ({"stated": {"triangular": [0.45, 0.6, 0.75]}}, []),  # the central value keeps the order
])
def test_emphasis_saliences_out_of_their_rank_are_noted(emphasis, noted):
    """The derivation ranks headline > stated > mentioned: a scenario that reverses the ranks
    hears of it, naming the weaker emphasis that is not below the stronger one."""
    scenario = scenario_from_mapping({"name": "t", "derivation": {"emphasis_salience": emphasis}})
    said = [note.split(" ")[0].rsplit(".", 1)[1] for note in scenario.notes
            if "the derivation ranks" in note]
    assert said == noted, scenario.notes


def test_an_emphasis_out_of_its_rank_is_said_to_weigh_as_much_as_the_stronger_one():
    """The note says what the scenario's values do, not only what the rule is."""
    scenario = scenario_from_mapping({"name": "t", "derivation": {"emphasis_salience":
                                                                  {"stated": 0.3}}})
    assert ("derivation.emphasis_salience.mentioned (0.35) is not below "
            "derivation.emphasis_salience.stated (0.3): here a mentioned stance weighs at least "
            "as much as a stated one, where the derivation ranks stated above mentioned, as the "
            "defaults do") in scenario.notes, scenario.notes


def test_a_scenario_with_a_stray_periods_key_is_told_the_field_is_unknown(folder):
    """Only a file without `name:` that holds `periods` is a calendar given as a scenario; a
    scenario (it has a name) with a `periods:` key has an unknown field, named with its line."""
    error = load_error(write(folder, "s.yaml", "extends: baseline.yaml\nname: s\n"
                             f"periods:\n  - {MINISTERIAL}\n"))
    assert error.source == str(folder / "s.yaml") and error.field == "line 3: periods"
    assert error.problem.startswith("unknown field (did you mean 'overrides'?); allowed: name, ")


def test_an_empty_file_or_a_calendar_given_as_a_scenario_says_what_it_is(folder):
    error = load_error(write(folder, "empty.yaml", ""))
    assert (error.field, error.problem.split(";")[0]) == ("(file)", "the file is empty")
    write(folder, "my_calendar.yaml", f"periods:\n  - {MINISTERIAL}\n")
    error = load_error(write(folder, "s.yaml", "extends: my_calendar.yaml\nname: x\n"))
    assert error.source == str(folder / "my_calendar.yaml")
    assert error.problem == ("this is a calendar file, not a scenario; a scenario names it with "
                             "'calendar: FILE'")


# --- mutation testing, fifteenth round (docs/mutation_testing.md) --------------------------


def test_the_readmes_example_scenario_shows_the_parameters_defaults():
    """The README's example scenario lists the defaults of simulation/engine/parameters.py (the
    values a scenario changes): every value it shows is the default."""
    text = (SCENARIOS.parent / "README.md").read_text(encoding="utf-8")
    block = re.search(r"\nparameters: .*\n((?:  .*\n)+)", text)
    shown = yaml.safe_load(block.group(1))
    assert set(shown) == set(Parameters.model_fields)
    defaults = Parameters()
    assert shown.pop("sample_uncertainty") == defaults.sample_uncertainty
    for section, values in shown.items():
        for name, value in values.items():
            assert getattr(getattr(defaults, section), name) == value, (section, name)


def test_a_position_between_0_and_1_is_noted_as_read_on_the_0_100_scale(folder):
    """0.5 is a legal position, but likely a share meant as 50 (its reverse, a salience of 90,
    is out of range): a note asks; 0, 1 and 50 get none."""
    stance = "{{issue: {}, position: {}, emphasis: headline, section: s, basis: b}}"
    text = ("extends: baseline.yaml\nname: x\noverrides:\n"
            "  - {members: [CHN], issue: data_flows, set_position: 0.5}\n"
            "  - {members: [IND], issue: mandate, shift_position: -0.25}\n"
            "  - {members: [JPN], issue: mandate, set_position: 1}\n"
            "proposals:\n  - symbol: X/1\n    title: t\n    section: s\n    sponsors: [NOR]\n"
            f"    stances:\n      - {stance.format('data_flows', 50)}\n"
            f"      - {stance.format('privacy', 0.7)}\n"
            "group_stances:\n  - {id: nordic, name: Nordics, applies_to: {members: [ISL]}, "
            "source: s, on_new_disciplines: {position: 0, emphasis: stated, section: s, "
            "basis: b}}\n"
            "  - {id: andean, name: Andeans, applies_to: {members: [PER]}, source: s, "
            f"stances: [{stance.format('mandate', 0.05)}]}}\n")
    notes = [n for n in load_scenario(write(folder, "s.yaml", text)).notes if "0-100" in n]
    assert notes == [
        "s.yaml line 4: overrides.0: set_position 0.5 is read on the 0-100 scale of positions, "
        "not as a share of 1: did you mean 50?",
        "s.yaml line 5: overrides.1: shift_position -0.25 is read on the 0-100 scale of "
        "positions, not as a share of 1: did you mean -25?",
        "s.yaml line 14: proposals.0.stances.1: position 0.7 is read on the 0-100 scale of "
        "positions, not as a share of 1: did you mean 70?",
        "s.yaml line 17: group_stances.1.stances.0: position 0.05 is read on the 0-100 scale of "
        "positions, not as a share of 1: did you mean 5?"]


def test_a_childs_exclusions_replace_its_parents_and_say_whom_they_bring_back(folder):
    """`participants.exclude` is not one of the lists that add up along `extends`: a child's
    replaces its parent's, and a note names the members the parent left out who negotiate
    again (their overrides act again)."""
    write(folder, "parent.yaml", "extends: baseline.yaml\nname: parent\n"
                                 "participants: {exclude: [VEN, BOL]}\n")
    child = load_scenario(write(folder, "child.yaml", "extends: parent.yaml\nname: child\n"
                                                      "participants: {exclude: [USA, BOL]}\n"))
    assert child.spec.participants.exclude == ["USA", "BOL"]
    assert ("child.yaml's participants.exclude replaces the one of parent.yaml (only overrides, "
            "proposals and group_stances add to a parent's): VEN negotiates again") in child.notes
    both = load_scenario(write(folder, "both.yaml", "extends: parent.yaml\nname: both\n"
                                                    "participants: {exclude: [USA]}\n"))
    assert any(note.endswith("add to a parent's): VEN, BOL negotiate again")
               for note in both.notes)
    same = load_scenario(write(folder, "same.yaml", "extends: parent.yaml\nname: same\n"
                                                    "participants: {exclude: [BOL, VEN, USA]}\n"))
    assert not any("again" in note for note in same.notes)


def test_a_new_group_stance_named_like_a_shipped_one_is_noted(folder):
    """A misspelt id adds a second stance beside the shipped one it was meant to replace (the
    two are averaged): the loader says so, naming the shipped id; a new id unlike any is not
    noted."""
    stance = ("group_stances:\n  - id: {id}\n    name: x\n    source: x\n"
              "    applies_to: {{members: [KEN]}}\n    stances:\n      - {{issue: mandate, "
              "position: 20, emphasis: stated, section: intro, basis: x}}\n")
    typo = load_scenario(write(folder, "typo.yaml", "extends: baseline.yaml\nname: typo\n"
                               + stance.format(id="african_grop")))
    assert ("typo.yaml line 4: group_stances.0: 'african_grop' is a new stance, added beside "
            "the shipped ones (did you mean 'african_group'?); to replace a shipped stance, use "
            "its id") in typo.notes
    new = load_scenario(write(folder, "new.yaml", "extends: baseline.yaml\nname: new\n"
                              + stance.format(id="kenya_alone")))
    assert not any("is a new stance" in note for note in new.notes)


def test_a_group_stance_replacing_a_shipped_one_names_the_stances_it_drops(folder):
    """A group stance with a shipped id replaces that stance whole: one that only turns off
    India's Doha linkage, without restating its stance on the mandate, leaves India to the
    imputed default there, and the loader says so; one restating it is not noted."""
    stance = ("group_stances:\n  - id: doha_linkage_india\n    name: India\n    source: x\n"
              "    applies_to: {{members: [IND]}}\n    doha_linked: false\n{stances}")
    bare = load_scenario(write(folder, "bare.yaml", "extends: baseline.yaml\nname: bare\n"
                               + stance.format(stances="")))
    assert ("bare.yaml line 4: group_stances.0: 'doha_linkage_india' replaces the shipped "
            "stance of that id whole, and does not restate its mandate: its members take the next "
            "rule there (a broader group stance or an imputed default); restate what you keep "
            "(`mc11 stances` lists them)") in bare.notes
    row = bare.preferences.set_index(["member", "issue"]).loc[("IND", "mandate")]
    assert row["rule"] == "imputed"
    kept = load_scenario(write(folder, "kept.yaml", "extends: baseline.yaml\nname: kept\n"
                               + stance.format(stances=(
                                   "    stances:\n      - {issue: mandate, position: 10, "
                                   "emphasis: mentioned, section: x, basis: x}\n"))))
    assert not any("replaces the shipped stance" in note for note in kept.notes)
    african = load_scenario(write(folder, "african.yaml", "extends: baseline.yaml\nname: af\n"
                                  "group_stances:\n  - id: african_group\n    name: AG\n"
                                  "    source: x\n    applies_to: {group: african_group}\n"
                                  "    stances:\n      - {issue: mandate, position: 0, "
                                  "emphasis: headline, section: x, basis: x}\n"))
    assert any("'african_group' replaces the shipped stance of that id whole, and does not "
               "restate its on_new_disciplines:" in note for note in african.notes)
    # `on_new_disciplines: null` drops it knowingly, as the shipped what-if does (which also
    # restates the flags: see the next test)
    knowingly = load_scenario(write(folder, "knowingly.yaml", "extends: baseline.yaml\nname: k\n"
                                    "group_stances:\n  - id: african_group\n    name: AG\n"
                                    "    source: x\n    applies_to: {group: african_group}\n"
                                    "    leader: MAR\n    doha_linked: true\n    bloc: true\n"
                                    "    on_new_disciplines: null\n"
                                    "    stances:\n      - {issue: mandate, position: 0, "
                                    "emphasis: headline, section: x, basis: x}\n"))
    assert not any("replaces the shipped stance" in note for note in knowingly.notes)
    assert not any("replaces the shipped stance" in note
                   for note in shipped("african_group_softens").notes)


def test_a_group_stance_replacing_a_shipped_one_names_the_flags_it_turns_off(folder):
    """A replacement's flags are its own: one that only softens the African Group's mandate
    turned off its Doha linkage and its bloc (no coalition of the group; with the shipped
    stances restated, P(multilateral) on the mandate fell from 0.61 to 0 in 200 runs) and
    dropped its leader, in silence. The loader names each flag the shipped stance set that the
    replacement leaves unwritten (not the leader, a label the model does not use); `bloc: false`
    written drops it knowingly; the shipped what-if, which restates them, gets no note."""
    stance = ("extends: baseline.yaml\nname: ag\ngroup_stances:\n  - id: african_group\n"
              "    name: AG\n    source: x\n    applies_to: {{group: african_group}}\n{flags}"
              "    on_new_disciplines: {{position: 0, emphasis: mentioned, section: x, basis: x}}\n"
              "    stances:\n      - {{issue: mandate, position: 30, emphasis: headline, "
              "section: x, basis: x}}\n")
    bare = load_scenario(write(folder, "bare.yaml", stance.format(flags="")))
    assert ("bare.yaml line 4: group_stances.0: 'african_group' replaces the shipped stance of "
            "that id whole, and does not restate its `doha_linked: true`, `bloc: true`: a "
            "replacement inherits none of them, so the Doha linkage no longer cuts its members' "
            "tolerance on new disciplines at MC11 (linkage_cut) and its members no longer "
            "negotiate as a bloc (no coalition of the group, no accepting or objecting as one at "
            "MC11); restate those you keep, and write `doha_linked: false`, `bloc: false` for "
            "those you drop knowingly") in bare.notes
    assert not bare.negotiation().bloc.any()  # what the note warns of
    assert not any("does not restate its mandate" in note for note in bare.notes)
    one = load_scenario(write(folder, "one.yaml", stance.format(
        flags="    leader: MAR\n    bloc: true\n")))
    assert [note for note in one.notes if "replaces the shipped stance" in note] == [
        "one.yaml line 4: group_stances.0: 'african_group' replaces the shipped stance of that "
        "id whole, and does not restate its `doha_linked: true`: a replacement inherits none "
        "of them, so the Doha linkage no longer cuts its members' tolerance on new disciplines "
        "at MC11 (linkage_cut); restate it to keep it, or write `doha_linked: false` to drop it "
        "knowingly"]
    assert one.negotiation().bloc.any()
    knowingly = load_scenario(write(folder, "knowingly.yaml", stance.format(
        flags="    doha_linked: false\n    bloc: false\n")))
    assert not any("replaces the shipped stance" in note for note in knowingly.notes)
    softens = shipped("african_group_softens")
    assert not softens.notes and softens.negotiation().bloc.any()


def test_a_group_stance_replacing_a_parents_is_compared_with_the_parents(folder):
    """Through `extends`, a group stance replaces the parent's of its id, not the shipped one:
    a child of the softened African Group restating it was told it dropped the blanket stance
    its parent had dropped already, and a child replacing a parent's new stance was told
    nothing when it dropped that stance's mandate and flags. The note compares with what the
    scenario would otherwise have, and names the file that wrote it."""
    shutil.copy(SCENARIOS / "african_group_softens.yaml", folder)
    restated = load_scenario(write(folder, "restated.yaml", (
        "extends: african_group_softens.yaml\nname: r\ngroup_stances:\n  - id: african_group\n"
        "    name: AG\n    source: x\n    applies_to: {group: african_group}\n    leader: MAR\n"
        "    doha_linked: true\n    bloc: true\n    stances:\n      - {issue: mandate, "
        "position: 60, emphasis: stated, section: x, basis: x}\n")))
    assert not any("replaces" in note for note in restated.notes)
    new = ("group_stances:\n  - id: kenya_nigeria\n    name: KN\n    source: x\n"
           "    applies_to: {{members: [KEN, NGA]}}\n{rest}")
    write(folder, "parent.yaml", "extends: baseline.yaml\nname: parent\n" + new.format(
        rest="    leader: KEN\n    bloc: true\n    stances:\n      - {issue: mandate, "
             "position: 20, emphasis: stated, section: x, basis: x}\n"))
    assert not load_scenario(folder / "parent.yaml").notes
    child = load_scenario(write(folder, "child.yaml", "extends: parent.yaml\nname: child\n"
                                + new.format(rest="")))
    assert [note for note in child.notes if "replaces" in note] == [
        "child.yaml line 4: group_stances.0: 'kenya_nigeria' replaces the stance of that id in "
        "parent.yaml whole, and "
        "does not restate its mandate: its members take the next rule there (a broader group "
        "stance or an imputed default); restate what you keep (`mc11 stances parent.yaml` lists "
        "them)",
        "child.yaml line 4: group_stances.0: 'kenya_nigeria' replaces the stance of that id in "
        "parent.yaml whole, and "
        "does not restate its `bloc: true`: a replacement inherits none of them, so its "
        "members no longer negotiate as a bloc (no coalition of the group, no accepting or "
        "objecting as one at MC11); restate it to keep it, or write `bloc: false` to drop it "
        "knowingly"]
    knowingly = load_scenario(write(folder, "knowingly.yaml", "extends: parent.yaml\nname: k\n"
                                    + new.format(rest="    bloc: false\n"
                                                 "    stances:\n      - {issue: mandate, "
                                                 "position: 50, emphasis: stated, section: x, "
                                                 "basis: x}\n")))
    assert not any("replaces" in note for note in knowingly.notes)


def test_the_stance_and_date_notes_name_the_file_and_line_that_wrote_the_entry(folder):
    """The notes on a group stance replacing another and on a what-if paper dated late said
    `group_stances: ...` and `proposals: ...` where the others name the file and line; a child
    that only extends the file with the entries hears of them at the parent's lines."""
    write(folder, "notes.yaml", "extends: baseline.yaml\nname: notes\ngroup_stances:\n"
          "  - id: african_group\n    name: AG\n    source: x\n"
          "    applies_to: {group: african_group}\n    leader: MAR\n"
          "    on_new_disciplines: {position: 0, emphasis: mentioned, section: x, basis: x}\n"
          "    stances:\n      - {issue: mandate, position: 0, emphasis: headline, section: x, "
          "basis: x}\nproposals:\n  - symbol: X/1\n    title: t\n    section: what-if\n"
          "    date: 2017-06-15\n    sponsors: [NOR, ISL]\n    stances:\n      - {issue: "
          "data_flows, position: 80, emphasis: headline, section: what-if, basis: b}\n")
    for name in ("notes.yaml", "only.yaml"):
        notes = load_scenario(folder / name if name == "notes.yaml" else write(
            folder, name, "extends: notes.yaml\nname: only\n")).notes
        assert [note.split(": '")[0] for note in notes
                if "replaces the shipped" in note or "is dated" in note] == [
            "notes.yaml line 4: group_stances.0", "notes.yaml line 16: proposals.0.date"]


def test_a_group_stances_leader_must_be_one_of_its_members(folder):
    """`leader` is a label (`mc11 stances` shows it; the model does not use it), so a leader
    outside the members the stance applies to loaded in silence; it is refused, naming the file,
    the entry's line and field and the members allowed. One of them loads."""
    stance = ("extends: baseline.yaml\nname: s\ngroup_stances:\n  - id: pair\n    name: x\n"
              "    source: x\n    applies_to: {{members: [IND, CHN]}}\n    leader: {leader}\n")
    error = load_error(write(folder, "s.yaml", stance.format(leader="USA")))
    assert (error.source, error.field) == (str(folder / "s.yaml"), "line 4: groups: pair: leader")
    assert error.problem == ("USA is not among the members the stance applies to (members: "
                             "IND, CHN); allowed: one of CHN, IND, or no leader (a label only: "
                             "the model does not use it)")
    assert load_scenario(write(folder, "s.yaml", stance.format(leader="IND")))
    group = load_error(write(folder, "g.yaml", stance.format(leader="USA").replace(
        "{members: [IND, CHN]}", "{group: african_group}")))
    assert group.problem.startswith("USA is not among the members the stance applies to (group: "
                                    "african_group); allowed: one of its 44 negotiating members")


def test_a_group_with_members_who_negotiate_through_the_eu_says_it_does_not_reach_them(folder):
    """`group: eu28` selects no negotiating member (its states speak through EUN) and `group:
    oecd` leaves out its 22 EU states: each override says how many members negotiate through
    EUN and how to reach it; a group without such members gets no such note."""
    scenario = load_scenario(write(folder, "eu.yaml", (
        "extends: baseline.yaml\nname: eu\noverrides:\n"
        "  - {group: eu28, issue: mandate, set_salience: 0.1}\n"
        "  - {group: oecd, issue: mandate, set_salience: 0.1}\n"
        "  - {group: african_group, issue: mandate, set_salience: 0.1}\n")))
    reached = [note for note in scenario.notes if "negotiate through EUN" in note]
    assert reached == [
        "eu.yaml line 4: overrides.0: 28 of group eu28's members negotiate through EUN, which "
        "the override does not reach: name `members: [EUN]` to change EUN's values",
        "eu.yaml line 5: overrides.1: 22 of group oecd's members negotiate through EUN, which "
        "the override does not reach: name `members: [EUN]` to change EUN's values"]
    eun = scenario.preferences.set_index(["member", "issue"]).loc[("EUN", "mandate")]
    assert eun["rule"] != "override"


@pytest.mark.parametrize("selector", ["members", "status"])
def test_an_empty_selector_list_is_named_as_empty(folder, selector):
    """`members: []` names members, but nobody: the error says the list is empty (it said to
    name exactly one of members, group, ..., which the entry seemed to do)."""
    text = ("extends: baseline.yaml\nname: x\noverrides:\n"
            f"  - {{{selector}: [], issue: mandate, set_position: 50}}\n")
    error = load_error(write(folder, "s.yaml", text))
    assert error.field == f"line 4: overrides.0.{selector}"
    assert error.problem == "the list has 0 entries; allowed: at least 1 entry"


def _readme_what_ifs() -> dict[str, str]:
    """The README's what-if examples (YAML blocks extending the baseline), by their name."""
    text = (SCENARIOS.parent / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(extends: baseline\.yaml\n.*?)```", text, re.S)
    return {re.search(r"^name: (\S+)$", block, re.M).group(1): block for block in blocks}


def test_the_readmes_what_if_examples_load_without_notes(folder):
    examples = _readme_what_ifs()
    assert {"china_joins_fed", "india_drops_linkage"} <= set(examples)
    for name, text in examples.items():
        assert load_scenario(write(folder, f"{name}.yaml", text)).notes == (), name


def test_the_readmes_group_stance_example_drops_indias_doha_linkage(folder):
    """Replacing India's stance by its id sets its mandate and drops its Doha linkage, which
    an override could not."""
    text = _readme_what_ifs()["india_drops_linkage"]
    scenario = load_scenario(write(folder, "india_drops_linkage.yaml", text))
    baseline = load_scenario(folder / "baseline.yaml")
    india = list(scenario.negotiation().members).index("IND")
    assert baseline.negotiation().doha_linked[india]
    assert not scenario.negotiation().doha_linked[india]
    table = scenario.preferences.set_index(["member", "issue"])
    assert table.loc[("IND", "mandate"), "position"] == 50

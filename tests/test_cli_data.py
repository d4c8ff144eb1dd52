"""Tests of the data commands of the `mc11` command line (issues, members, stances, preferences),
and of the notice that the first model run after installing compiles the rules."""

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from simulation.cli import main
from simulation.cli.common import emit, rounded
from simulation.inputs import DEFAULT_SCENARIO
from simulation.inputs.catalogue import default_catalogue
from simulation.inputs.scenario import load_scenario
from simulation.runs.ensemble import compile_rules, mark_rules_compiled, rules_need_compiling


@pytest.fixture(scope="module")
def catalogue():
    return default_catalogue()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """Run `mc11 argv`; return the exit code, stdout and stderr."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_preferences_csv_lists_every_actor_and_issue(capsys, catalogue):
    code, out, err = run(capsys, "preferences", "--format", "csv")
    assert code == 0, err
    rows = csv_rows(out)
    actors = [m.code for m in catalogue.actors]
    assert len(rows) == len(actors) * len(catalogue.issues) == 136 * len(catalogue.issues)
    assert {(r["member"], r["issue"]) for r in rows} == {
        (a, i) for a in actors for i in catalogue.issue_ids
    }
    assert all(r["source"].strip() for r in rows)
    assert {r["rule"] for r in rows} <= {"proposal", "group_stance", "engaged_sponsor", "imputed"}
    assert all(0 <= float(r["position"]) <= 100 for r in rows)
    assert all(0 <= float(r["salience"]) <= 1 for r in rows)


def test_preferences_member_and_issue_filters(capsys, catalogue):
    code, out, err = run(capsys, "preferences", "--format", "csv", "--member", "USA",
                         "--member", "CHN", "--issue", "moratorium", "--issue", "market_access")
    assert code == 0, err
    rows = csv_rows(out)
    assert {(r["member"], r["issue"]) for r in rows} == {
        ("USA", "moratorium"), ("USA", "market_access"),
        ("CHN", "moratorium"), ("CHN", "market_access"),
    }
    assert len(rows) == 4
    china = next(r for r in rows if r["member"] == "CHN" and r["issue"] == "market_access")
    assert "JOB/GC/110/Rev.1" in china["source"]  # §4.5


def test_preferences_issue_filter_alone(capsys, catalogue):
    code, out, _ = run(capsys, "preferences", "--format", "json", "--issue", "mandate")
    assert code == 0
    records = json.loads(out)
    assert len(records) == len(catalogue.actors)
    assert {r["issue"] for r in records} == {"mandate"}


@pytest.mark.parametrize(
    ("option", "value", "hint"),
    [("--member", "USB", "did you mean 'USA'?"),
     ("--member", "usa", "did you mean 'USA'?"),
     ("--member", "FRA", "France (FRA) negotiates through European Union (EUN); name EUN"),
     ("--issue", "data_localization", "did you mean 'data_localisation'?"),
     ("--issue", "Data_Flows", "did you mean 'data_flows'?")],
)
def test_preferences_unknown_filter_value(capsys, option, value, hint):
    code, out, err = run(capsys, "preferences", option, value)
    assert code == 2
    assert out == ""
    assert err.startswith("mc11: error:")
    assert value in err and hint in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_out_writes_a_new_file_and_refuses_to_overwrite(capsys, tmp_path, catalogue):
    target = tmp_path / "usa.csv"
    code, out, err = run(capsys, "preferences", "--member", "USA", "--format", "csv",
                         "--out", str(target))
    assert code == 0, err
    assert out == ""
    rows = csv_rows(target.read_text(encoding="utf-8"))
    assert len(rows) == len(catalogue.issues)
    assert {r["member"] for r in rows} == {"USA"}

    before = target.read_bytes()
    code, out, err = run(capsys, "preferences", "--format", "csv", "--out", str(target))
    assert code == 2
    assert err.startswith("mc11: error:")
    assert str(target) in err and "exists" in err
    assert "Traceback" not in err
    assert target.read_bytes() == before


def test_out_into_a_missing_folder_is_a_user_error(capsys, tmp_path):
    code, _, err = run(capsys, "issues", "--format", "csv",
                       "--out", str(tmp_path / "no_such_folder" / "issues.csv"))
    assert code == 2
    assert err.startswith("mc11: error:")


def test_issues_json(capsys, catalogue):
    code, out, err = run(capsys, "issues", "--format", "json")
    assert code == 0, err
    records = json.loads(out)
    assert 18 <= len(records) <= 25
    assert [r["issue"] for r in records] == catalogue.issue_ids
    assert all(0 <= r["status_quo"] <= 100 for r in records)
    # the words of the scale's three described points, the midpoint that P(>=mid) counts too
    assert [(r["low (0)"], r["mid (50)"], r["high (100)"]) for r in records] == \
        [(i.scale.low, i.scale.mid, i.scale.high) for i in catalogue.issues]


def test_members_json(capsys):
    code, out, err = run(capsys, "members", "--format", "json")
    assert code == 0, err
    records = json.loads(out)
    assert len(records) == 164
    assert sum(1 for r in records if not r["represented_by"]) == 136
    assert sum(1 for r in records if r["represented_by"] == "EUN") == 28
    by_code = {r["member"]: r for r in records}
    # §4.4, §4.5: Pakistan co-sponsored JOB/GC/101/Rev.1 and JOB/GC/110/Rev.1.
    assert set(by_code["PAK"]["sponsored"].split(";")) == {"JOB/GC/101/Rev.1", "JOB/GC/110/Rev.1"}
    assert by_code["IND"]["sponsored"] == ""


def test_preferences_table_format(capsys):
    code, out, err = run(capsys, "preferences", "--member", "BRA", "--issue", "classification")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 2  # header and one row
    assert "member" in lines[0] and "BRA" in lines[1] and "JOB/GC/98" in lines[1]


COMPILING = "compiling the model's rules"


def test_a_number_that_rounds_to_zero_prints_without_a_minus_sign(capsys):
    """`explain` showed "-0.000" for a member the scale's end moved back by a hair."""
    frame = pd.DataFrame({"member": ["A", "B", "C"], "moved": [-0.0004, -0.0016, 0.0004]})
    for fmt in ("table", "csv", "json"):
        emit(rounded(frame), fmt, None)
        printed = capsys.readouterr().out
        assert "-0.0" not in printed.replace("-0.002", "")
        assert "-0.002" in printed


def test_the_first_run_after_installing_says_it_compiles(capsys, monkeypatch):
    monkeypatch.setattr("simulation.runs.ensemble.rules_need_compiling", lambda: True)
    code, out, err = run(capsys, "simulate", "--seed", "3")
    assert code == 0 and out and COMPILING in err
    code, _, err = run(capsys, "issues", "--format", "csv")  # runs no model: no notice
    assert code == 0 and COMPILING not in err


def test_no_compile_notice_once_the_rules_are_cached(capsys):
    scenario = load_scenario(DEFAULT_SCENARIO)
    compile_rules(scenario.negotiation(), scenario.spec.parameters)  # writes numba's cache
    assert not rules_need_compiling()
    code, _, err = run(capsys, "simulate", "--seed", "3")
    assert code == 0 and COMPILING not in err


def test_the_compiled_stamp_lives_beside_numbas_cache(monkeypatch, tmp_path):
    import numba

    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path / "numba"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert rules_need_compiling()  # a fresh cache folder: numba will compile
    mark_rules_compiled()
    assert not rules_need_compiling()
    (stamp,) = (tmp_path / "numba").iterdir()
    assert stamp.name.startswith("mc11-rules-compiled-")


def test_every_option_of_every_command_says_what_it_does_in_its_help():
    """`mc11 COMMAND --help` is the user's first reference: no option may be listed bare."""
    import argparse

    from simulation.cli import build_parser

    commands = next(action for action in build_parser()._actions
                    if isinstance(action, argparse._SubParsersAction))
    bare = [f"{name} {' / '.join(action.option_strings) or action.dest}"
            for name, parser in commands.choices.items() for action in parser._actions
            if not action.help]
    assert not bare, f"options without help: {bare}"


def test_preferences_of_a_scenario_show_its_overrides_and_stances(capsys, tmp_path):
    """A what-if's table before running it: its overrides (rule `override`) and its
    replacement group stances applied, the baseline's rows elsewhere."""
    path = tmp_path / "what_if.yaml"
    path.write_text(f"extends: {DEFAULT_SCENARIO}\nname: what_if\n"
                    "overrides:\n  - {members: [KOR], issue: classification, set_position: 75,"
                    " note: leaves the GATS leaning}\n"
                    "group_stances:\n  - id: doha_linkage_india\n    name: India (no linkage)\n"
                    "    applies_to: {members: [IND]}\n    doha_linked: false\n    bloc: false\n"
                    "    source: what-if\n    stances:\n      - {issue: mandate, position: 50, "
                    "emphasis: stated, section: x, basis: what-if}\n", encoding="utf-8")
    code, out, err = run(capsys, "preferences", str(path), "--format", "csv",
                         "--member", "KOR", "--member", "IND",
                         "--issue", "classification", "--issue", "mandate")
    assert code == 0, err
    rows = {(r["member"], r["issue"]): r for r in csv_rows(out)}
    assert rows["KOR", "classification"]["position"] == "75.0"
    assert rows["KOR", "classification"]["rule"] == "override"
    assert "leaves the GATS leaning" in rows["KOR", "classification"]["source"]
    assert rows["IND", "mandate"]["position"] == "50.0"
    assert "narrowed" in err  # the scenario's notes, as `run` gives them
    code, out, _ = run(capsys, "preferences", "--format", "csv", "--member", "KOR",
                       "--issue", "classification")
    assert csv_rows(out)[0]["position"] == "25.0"  # without a scenario: the 2016 data


def test_preferences_of_a_member_the_scenario_leaves_out_is_refused(capsys, tmp_path):
    path = tmp_path / "no_us.yaml"
    path.write_text(f"extends: {DEFAULT_SCENARIO}\nname: no_us\n"
                    "participants: {exclude: [USA]}\n", encoding="utf-8")
    code, out, err = run(capsys, "preferences", str(path), "--member", "USA")
    assert code == 2 and out == ""
    assert "USA: left out of no_us by its participants.exclude" in err


@pytest.mark.parametrize(("name", "argv", "says"), [
    ("prefs.csv", (), "holds the screen's fixed-width table (--format table), not CSV as its "
     "name says; give --format csv for CSV"),
    ("prefs.json", ("--format", "csv"), "holds CSV (--format csv), not JSON as its name says; "
     "give --format json for JSON"),
])
def test_out_named_for_another_format_than_written_is_noted(capsys, tmp_path, name, argv, says):
    """`--out changes.csv` without `--format csv` writes the screen's table: said, not silent."""
    out = tmp_path / name
    code, _, err = run(capsys, "preferences", "--issue", "mandate", "--out", str(out), *argv)
    assert code == 0, err
    assert f"mc11: note: {out} {says}" in err


def test_out_whose_name_matches_its_format_has_no_note(capsys, tmp_path):
    code, _, err = run(capsys, "preferences", "--issue", "mandate", "--format", "csv",
                       "--out", str(tmp_path / "prefs.csv"))
    assert code == 0 and "note" not in err


# --- mutation testing, fourteenth round (docs/mutation_testing.md) --------------------------


def test_issues_list_each_issue_as_the_catalogue_has_it(capsys, catalogue):
    """Every column of `mc11 issues`, not only the scale's words: the cluster, whether the
    issue is a new discipline, and every section of the compilation it comes from."""
    code, out, err = run(capsys, "issues", "--format", "json")
    assert code == 0, err
    records = json.loads(out)
    assert [(r["issue"], r["title"], r["cluster"], r["status_quo"], r["new_discipline"],
             r["sections"]) for r in records] == [
        (i.id, i.title, i.cluster, i.status_quo, i.new_discipline, " ".join(i.sections))
        for i in catalogue.issues]
    assert any(len(i.sections) > 1 for i in catalogue.issues)
    assert {r["new_discipline"] for r in records} == {True, False}


def test_members_list_each_member_as_the_catalogue_has_it(capsys, catalogue):
    """Every member's status (the EU's member states too), all its groups and its capability
    unrounded, as the catalogue holds them."""
    code, out, err = run(capsys, "members", "--format", "json")
    assert code == 0, err
    by_code = {r["member"]: r for r in json.loads(out)}
    assert {code: (r["status"], r["groups"], r["capability"]) for code, r in by_code.items()} == {
        m.code: (m.status, ";".join(sorted(m.groups)), m.capability) for m in catalogue.members}
    assert by_code["FRA"]["status"] == "developed" and by_code["FRA"]["represented_by"] == "EUN"
    assert any(len(m.groups) > 1 for m in catalogue.members)


def test_stances_list_each_group_stance_with_its_flags_and_a_scenarios_replacements(
        capsys, catalogue, tmp_path):
    """A what-if that turns off India's Doha linkage restates a stance whose id, flags and
    stances were only in simulation/data/groups.yaml; `mc11 stances` lists them, and a
    scenario's replacements."""
    code, out, err = run(capsys, "stances", "--format", "json")
    assert code == 0, err
    rows = {r["stance"]: r for r in json.loads(out)}
    assert list(rows) == [g.id for g in catalogue.group_stances]
    india, african = rows["doha_linkage_india"], rows["african_group"]
    assert (india["applies_to"], india["members"], india["doha_linked"], india["bloc"],
            india["stances"]) == ("members: IND", 1, True, False, "mandate=10 mentioned")
    assert (african["applies_to"], african["leader"], african["bloc"]) == (
        "group: african_group", "MAR", True)
    assert african["members"] == sum("african_group" in m.groups for m in catalogue.members)
    assert african["on_new_disciplines"] == "0 mentioned"
    what_if = tmp_path / "india.yaml"
    what_if.write_text(f"extends: {Path(DEFAULT_SCENARIO).resolve()}\nname: india\n"
                       "group_stances:\n  - id: doha_linkage_india\n    name: India\n"
                       "    source: x\n    applies_to: {members: [IND]}\n"
                       "    stances:\n      - {issue: mandate, position: 10, "
                       "emphasis: mentioned, section: x, basis: x}\n", encoding="utf-8")
    code, out, err = run(capsys, "stances", str(what_if), "--format", "json")
    assert code == 0, err
    india = {r["stance"]: r for r in json.loads(out)}["doha_linkage_india"]
    assert (india["name"], india["doha_linked"]) == ("India", False)


@pytest.mark.parametrize("option", ["--member", "--issue"])
def test_preferences_refuse_an_unknown_value_after_a_known_one(capsys, option):
    """`--member USA --member USB`: the second value is checked too, not dropped in silence."""
    known, typo = ("USA", "USB") if option == "--member" else ("mandate", "mandat")
    code, out, err = run(capsys, "preferences", option, known, option, typo)
    assert code == 2 and out == ""
    assert repr(typo) in err and "Traceback" not in err


@pytest.mark.parametrize("kind", ["members", "status"])
def test_stances_list_a_stance_that_applies_to_an_empty_list(capsys, tmp_path, kind):
    """`applies_to: {members: []}` is a valid selector of no one: it was listed as a group
    named None, and `mc11 stances` failed on joining it."""
    what_if = tmp_path / "nobody.yaml"
    what_if.write_text(f"extends: {Path(DEFAULT_SCENARIO).resolve()}\nname: nobody\n"
                       "group_stances:\n  - id: nobody\n    name: Nobody\n    source: x\n"
                       f"    applies_to: {{{kind}: []}}\n", encoding="utf-8")
    code, out, err = run(capsys, "stances", str(what_if), "--format", "json")
    assert code == 0, err
    nobody = {r["stance"]: r for r in json.loads(out)}["nobody"]
    assert (nobody["applies_to"], nobody["members"]) == (f"{kind}: ", 0)

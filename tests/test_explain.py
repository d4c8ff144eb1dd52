"""Tests of `mc11 explain` (simulation.runs.explain): the re-run replications are the folder's,
the moves by rule add up to each member's way from its start to MC11, the members named are
those who blocked or accepted last, and a wrong issue or a changed folder is an input error."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.errors import InputError
from simulation.inputs.scenario import load_scenario
from simulation.report.tables import write_report
from simulation.runs.explain import COMPROMISE_RULES, explain
from simulation.runs.results import execute, start_run

ROOT = Path(__file__).resolve().parents[1]
ISSUE = "market_access"  # the baseline's most contested issue: blockers in most runs


def _results(tmp_path_factory, scenario: str, runs: int) -> Path:
    """A results folder of the shipped scenario `scenario` (with its priors), seed 7."""
    base = tmp_path_factory.mktemp(scenario)
    run = start_run(load_scenario(ROOT / "scenarios" / f"{scenario}.yaml"), runs, 7,
                    base / scenario, base)
    execute(run, workers=1, progress=False,
            finish=lambda run, result: write_report(run, result, plots=False))
    return run.folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """The shipped baseline, 40 runs."""
    return _results(tmp_path_factory, "baseline", 40)


@functools.cache
def explained(folder: Path) -> tuple[pd.DataFrame, dict]:
    return explain(folder, ISSUE, runs=40)


def test_the_moves_by_rule_add_up_to_each_members_way_to_mc11(folder):
    table, _ = explained(folder)
    assert len(table) > 0
    moved = table[[f"moved_{rule}" for rule in COMPROMISE_RULES]].sum(axis=1)
    assert (table["start"] + moved - table["at_mc11"]).abs().max() < 1e-9


def test_the_table_is_the_same_whatever_the_batches_and_each_batch_is_reported(folder,
                                                                              monkeypatch):
    """The runs are re-run in batches (progress after each): the table is that of one batch."""
    import simulation.runs.explain as explaining

    reported = []
    monkeypatch.setattr(explaining, "CHUNK_RUNS", 7)
    table, about = explain(folder, ISSUE, runs=40, progress=reported.append)
    assert reported == [7, 7, 7, 7, 7, 5]
    monkeypatch.setattr(explaining, "CHUNK_RUNS", 40)
    whole, about_whole = explain(folder, ISSUE, runs=40)
    pd.testing.assert_frame_equal(table, whole)
    assert about == about_whole


def test_the_members_named_blocked_or_accepted_last_as_the_folder_says(folder):
    table, about = explained(folder)
    outcomes = pd.read_parquet(folder / "outcomes.parquet")
    rows = outcomes[outcomes["issue"] == ISSUE]
    blockers = rows["blockers"].str.split(";").explode()
    shares = blockers[blockers != ""].value_counts() / len(rows)
    named = table.set_index("member")["blocked"]
    for member, share in shares.items():
        assert named[member] == pytest.approx(share)
    assert about["outcome_shares"] == pytest.approx(
        rows["outcome"].astype(str).value_counts(normalize=True).to_dict())
    assert ((table["blocked"] > 0) | (table["last_to_accept"] > 0)).all()


def test_an_unknown_issue_is_an_input_error_with_a_suggestion(folder):
    with pytest.raises(InputError, match="did you mean 'data_flows'"):
        explain(folder, "data_flow")


def test_a_folder_the_model_no_longer_reproduces_is_refused(folder, tmp_path):
    changed = tmp_path / "changed"
    changed.mkdir()
    for path in folder.iterdir():
        if path.is_file():
            (changed / path.name).write_bytes(path.read_bytes())
    outcomes = pd.read_parquet(changed / "outcomes.parquet")
    rows = outcomes["issue"] == ISSUE
    outcomes.loc[rows, "outcome"] = outcomes.loc[rows, "outcome"].map(
        {"multilateral": "none", "plurilateral": "none", "none": "multilateral"})
    outcomes.to_parquet(changed / "outcomes.parquet", index=False)
    with pytest.raises(InputError, match="does not give its outcomes"):
        explain(changed, ISSUE, runs=10)


def test_an_outcomes_table_lacking_runs_is_called_damaged_not_a_changed_model(folder, tmp_path):
    """Runs missing from outcomes.parquet (run.json counts more) are the folder's damage, to be
    rebuilt, not a sign that the model changed."""
    import shutil

    cut = tmp_path / "cut"
    shutil.copytree(folder, cut)
    outcomes = pd.read_parquet(cut / "outcomes.parquet")
    outcomes[outcomes["run"] != 3].to_parquet(cut / "outcomes.parquet", index=False)
    with pytest.raises(InputError) as error:
        explain(cut, ISSUE, runs=10)
    assert error.value.field == "outcomes.parquet"
    assert f"does not hold runs 0 to 9 of {ISSUE} once each" in error.value.problem
    assert f"mc11 run --resume {cut}" in error.value.problem
    assert main(["run", "--resume", str(cut), "--quiet", "--no-plots", "--workers", "1"]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(cut / "outcomes.parquet"),
                                  pd.read_parquet(folder / "outcomes.parquet"))


def test_the_command_prints_the_members_and_exits_2_on_a_bad_issue(folder, capsys):
    assert main(["explain", str(folder), "--issue", ISSUE, "--runs", "40", "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "blocked" in out and ISSUE in out
    assert main(["explain", str(folder), "--issue", "nothing"]) == 2


def test_more_runs_than_the_folder_has_are_capped_saying_so(folder, capsys):
    assert main(["explain", str(folder), "--issue", ISSUE, "--runs", "500", "--top", "3"]) == 0
    captured = capsys.readouterr()
    assert "over the first 40 runs" in captured.out
    assert "the folder has 40 runs, fewer than --runs 500" in captured.err
    assert main(["explain", str(folder), "--issue", ISSUE, "--runs", "40", "--top", "3"]) == 0
    assert "note" not in capsys.readouterr().err


@pytest.fixture(scope="module")
def package_folder(tmp_path_factory) -> Path:
    """The shipped package-mode scenario (a single undertaking), 20 runs."""
    return _results(tmp_path_factory, "package_mode", 20)


def test_runs_of_a_package_without_a_blocker_are_explained(package_folder, capsys):
    """Classification fails in most package runs with no blocker: the chair's text moved it less
    than min_step, so it was left out of the package. The note counts those runs."""
    outcomes = pd.read_parquet(package_folder / "outcomes.parquet")
    failed = int((outcomes[outcomes["issue"] == "classification"]["outcome"]
                  != "multilateral").sum())
    assert failed > 0
    table, about = explain(package_folder, "classification", runs=20)
    assert (table["blocked"] == 0).all()
    assert about["unblocked"].startswith(f"in {failed} of the 20 runs ")
    assert "less than that run's min_step" in about["unblocked"]
    assert main(["explain", str(package_folder), "--issue", "classification", "--runs", "20"]) == 0
    captured = capsys.readouterr()
    assert f"mc11: note: {about['unblocked']}" in captured.err


def test_no_note_where_every_failed_run_has_a_blocker(folder):
    """Issue by issue, a failed issue always has blockers (pivotal, or rejecting the change)."""
    _, about = explained(folder)
    assert about["outcome_shares"].get("multilateral", 0) < 1
    assert about["unblocked"] is None


def test_a_failed_run_without_blocker_whose_change_was_tabled_is_counted_without_a_reason():
    """The note gives the min_step reason only for runs it holds in: a run in which the chair
    tabled a change and still no one blocked is counted, with no reason made up for it."""
    from simulation.outcomes import MULTILATERAL, NO_AGREEMENT
    from simulation.runs.explain import _unblocked

    kept = {"outcome": np.array([MULTILATERAL, NO_AGREEMENT, NO_AGREEMENT]),
            "blocked": np.zeros((3, 4), dtype=bool),
            "chair_change": np.array([20.0, 15.0, 3.0]), "min_step": np.array([10.0, 10.0, 5.0])}
    labels = np.array(["multilateral", "none", "none"])
    assert _unblocked(kept, labels, "mandate") == (
        "in 2 of the 3 runs (2 none) no member blocked mandate: in 1 of them the chair's text "
        "moved it only 3.0 points from the status quo, less than that run's min_step (5.0), so "
        "the chair tabled no change on it (a package holds only changes of at least min_step) "
        "and there was nothing to block")
    kept["chair_change"][2] = 8.0
    assert _unblocked(kept, labels, "mandate") == \
        "in 2 of the 3 runs (2 none) no member blocked mandate"

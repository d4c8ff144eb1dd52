"""Tests of `mc11 explain` (simulation.runs.explain): the re-run replications are the folder's,
the moves by rule add up to each member's way from its start to MC11, the members named are
those who blocked or accepted last (a bloc acting as one on one row of the command's table),
and a wrong issue or a changed folder is an input error."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.engine.parameters import BargainingParameters
from simulation.engine.protocols.base import BargainingContext
from simulation.errors import InputError
from simulation.inputs import priors as prior_draws
from simulation.inputs.scenario import load_scenario
from simulation.outcomes import MULTILATERAL, OUTCOMES
from simulation.report.tables import write_report
from simulation.runs.ensemble import replication_seed
from simulation.runs.explain import COMPROMISE_RULES, _Explained, _kept, explain
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


class _Watched(_Explained):
    """The explained model, also noting which members' positions on the issue the scale's
    ends stopped (at 0 or 100 after some round)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stopped = np.zeros(self.start.shape, dtype=bool)

    def observe_bargaining(self, before: np.ndarray, context: BargainingContext) -> None:
        super().observe_bargaining(before, context)
        x = self.positions[..., self.issue]
        self.stopped |= (x <= 0.0) | (x >= 100.0)


@pytest.fixture(scope="module")
def watched() -> tuple[_Watched, dict[str, np.ndarray]]:
    """25 runs of the shipped baseline, seed 7, kept per run for `standards`: agreed in all but
    one, in some with slack to spare for every member (the least 4 to 40 points)."""
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    k = list(scenario.catalogue.issue_ids).index("standards")
    seeds = [replication_seed(7, r) for r in range(25)]
    model = _Watched(scenario.negotiation(), scenario.spec.parameters, seeds=seeds,
                     values=prior_draws.draw(scenario.priors, seeds), issue=k)
    return model, _kept(model, k)


def test_the_scale_end_part_is_only_what_the_ends_of_the_scale_cut_off(watched):
    """Each rule's part is the compromise rule's own step (pressure x (1 - salience) x its
    pull or noise): what is left, credited to the scale's ends, is nothing for a member they
    never stopped."""
    model, kept = watched
    moved = kept["moved"]
    assert np.abs(moved[..., COMPROMISE_RULES.index("noise")]).max() > 1.0
    assert model.stopped.any() and not model.stopped.all()
    assert np.abs(moved[..., COMPROMISE_RULES.index("scale_end")][~model.stopped]).max() < 1e-9


def test_the_last_to_accept_are_those_at_the_edge_of_what_they_accept_of_an_agreed_text(watched):
    """The last to accept are the members (speaking as their bloc where it held) for whom the
    agreed text lies within LAST_TO_ACCEPT points of the edge of what they accept, |x - q| + tol
    from their position: nobody in a run without a multilateral text, nobody where the chair's
    text stood well inside everyone's acceptance, and a note counts those runs."""
    from simulation.engine import consensus
    from simulation.runs.explain import LAST_TO_ACCEPT, _unbound

    model, kept = watched
    k, blocs = model.issue, model.blocs()
    x = consensus.apply_blocs(model.positions, blocs.of, blocs.position)[..., k]
    tolerance = consensus.apply_blocs(model.tolerance, blocs.of, blocs.tolerance)[..., k]
    reach = np.abs(x - model.negotiation.status_quo[k]) + tolerance
    to_edge = reach - np.abs(x - model.verdict.text[:, k][:, None])
    agreed = kept["outcome"] == MULTILATERAL
    last = kept["last_to_accept"]
    assert agreed.any() and not agreed.all()
    assert not last[~agreed].any()
    assert (last[agreed] == (to_edge[agreed] <= LAST_TO_ACCEPT)).all()
    unbound = agreed & ~last.any(axis=1)
    assert unbound.any() and (agreed & ~unbound).any()
    assert (to_edge[unbound] > LAST_TO_ACCEPT).all()
    labels = np.where(agreed, "multilateral", "none")
    assert _unbound(kept, labels, "standards") == (
        f"in {unbound.sum()} of the {agreed.sum()} runs that agreed standards multilaterally (of "
        f"25) no member was within 0.5 points of the edge of what it accepts: the chair's text "
        "stood inside every member's acceptance, so nobody accepted last")
    assert _unbound({**kept, "last_to_accept": last | agreed[:, None]}, labels, "standards") \
        is None


def test_runs_whose_text_nobody_bound_are_counted_under_the_table(folder, capsys):
    """Standards is agreed in most runs with the chair's text inside everyone's acceptance:
    `mc11 explain` says in a note under the table how many such runs name nobody last."""
    _, about = explain(folder, "standards", runs=40)
    assert about["unbound"].startswith("in ") and "nobody accepted last" in about["unbound"]
    assert main(["explain", str(folder), "--issue", "standards", "--runs", "40"]) == 0
    assert f"mc11: note: {about['unbound']}" in capsys.readouterr().err


def test_an_issue_given_twice_is_refused_not_the_first_dropped(folder, capsys):
    """`preferences` takes --issue repeated; explain showed the last issue given alone, with
    no word of the first."""
    assert main(["explain", str(folder), "--issue", "standards", "--issue", ISSUE,
                 "--runs", "2"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    assert f"mc11: error: --issue: given 2 times (standards, {ISSUE}); allowed: one issue" \
        in captured.err


@pytest.mark.parametrize("issues", [["nosuch"], ["standards", ISSUE]])
def test_a_refused_issue_says_nothing_of_compiling(folder, capsys, monkeypatch, issues):
    """The notice that the rules compile first (about 30 s) came before the error, from a
    command that then ran nothing; it comes once the runs are about to start."""
    monkeypatch.setattr("simulation.runs.ensemble.rules_need_compiling", lambda: True)
    argv = ["explain", str(folder), "--runs", "2"]
    assert main([*argv, *(w for issue in issues for w in ("--issue", issue))]) == 2
    assert "compiling" not in capsys.readouterr().err
    assert main([*argv, "--issue", ISSUE]) == 0
    assert "mc11: compiling the model's rules" in capsys.readouterr().err


def test_a_members_figures_are_over_the_runs_it_blocked_or_accepted_last(folder):
    """On an issue agreed in nearly every run most members named never blocked it: their
    start, moves and tolerance are still averaged, over the runs in which they accepted last;
    the table lists the most frequent blockers first, then the most frequent last to
    accept."""
    table, _ = explain(folder, "standards", runs=40)
    assert (table["blocked"] == 0).sum() > 1
    numbers = table.drop(columns="member")
    assert np.isfinite(numbers.to_numpy(dtype=float)).all()
    order = list(zip(table["blocked"], table["last_to_accept"], strict=True))
    assert order == sorted(order, reverse=True)


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


def test_the_readme_names_every_entry_of_the_dict_explain_returns(folder):
    """README, "Ask why": a notebook user reads the dict's keys there."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    passage = readme.split("From Python, `simulation.runs.explain.explain(")[1]
    passage = passage.split("From Python (for notebooks)")[0].split("returns", 1)[1]
    named = set(re.findall(r"`(\w+)`", passage))
    assert named == set(explained(folder)[1])


def test_an_unknown_issue_is_an_input_error_with_a_suggestion(folder):
    with pytest.raises(InputError, match="did you mean 'data_flows'"):
        explain(folder, "data_flow", runs=10)


@pytest.mark.parametrize("issue", [None, 3, [ISSUE]])
def test_an_issue_that_is_not_text_is_an_input_error_naming_the_issues(folder, issue):
    """Not an AttributeError ('NoneType' object has no attribute 'casefold') from looking for
    a suggestion."""
    with pytest.raises(InputError, match=r"--issue: .* is not an issue's id \(one issue, as "
                       r"text\); the issues: mandate, "):
        explain(folder, issue, runs=10)


def test_a_numpy_run_count_comes_back_as_pythons(folder):
    """The runs re-run came back as the np.int64 given, which json cannot write."""
    about = explain(folder, ISSUE, runs=np.int64(2))[1]
    assert json.dumps(about["runs"]) == "2"


@pytest.mark.parametrize("runs", [0, -1, 2.0])
def test_a_run_count_below_1_or_not_whole_is_an_input_error(folder, runs):
    """Not an IndexError from the batches, nor a TypeError from range."""
    with pytest.raises(InputError, match="allowed: a whole number of at least 1"):
        explain(folder, ISSUE, runs=runs)


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
    with pytest.raises(InputError, match="does not give the outcomes the table holds: the "
                       "table was edited, or the model or its data changed"):
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


def test_the_outcome_shares_run_from_multilateral_to_none_as_in_every_table(folder, capsys):
    _, about = explained(folder)
    shown = list(about["outcome_shares"])
    assert len(shown) >= 2  # the baseline's market access ends more than one way
    assert shown == [outcome for outcome in OUTCOMES if outcome in shown]
    assert main(["explain", str(folder), "--issue", ISSUE, "--runs", "40", "--top", "3"]) == 0
    heading = capsys.readouterr().out.split(")")[0]
    assert [heading.index(outcome) for outcome in shown] == sorted(
        heading.index(outcome) for outcome in shown)


def test_more_runs_than_the_folder_has_are_capped_saying_so(folder, capsys):
    assert main(["explain", str(folder), "--issue", ISSUE, "--runs", "500", "--top", "3"]) == 0
    captured = capsys.readouterr()
    assert "over the first 40 runs" in captured.out
    assert "the folder has 40 runs, fewer than --runs 500" in captured.err
    assert main(["explain", str(folder), "--issue", ISSUE, "--runs", "40", "--top", "3"]) == 0
    assert "note" not in capsys.readouterr().err
    # without --runs: the default 200 or all the folder holds, with nothing to say about it
    assert main(["explain", str(folder), "--issue", ISSUE, "--top", "3"]) == 0
    captured = capsys.readouterr()
    assert "over the first 40 runs" in captured.out and "note" not in captured.err


# --- a bloc acting as one on one row ------------------------------------------------------

BLOC_ISSUE = "mandate"  # most of the African Group blocks it as one, in many runs


def _bloc_table() -> pd.DataFrame:
    """A table as `explain` gives it: A, B and C of the bloc Group (of 4) with the same shares,
    D of it with others, E of no bloc with the group's shares, F alone of the bloc Pair."""
    return pd.DataFrame({
        "member": ["A", "E", "B", "C", "D", "F"],
        "blocked": [0.5, 0.5, 0.5, 0.5, 0.2, 0.1],
        "last_to_accept": [0.1, 0.1, 0.1, 0.1, 0.1, 0.0],
        "start": [1.0, 9.0, 2.0, 6.0, 4.0, 5.0],
        "at_mc11": [3.0, 9.5, 4.0, 11.0, 8.0, 5.5],
        "moved_noise": [2.0, 0.5, 2.0, 5.0, 4.0, 0.5],
        "salience": [0.5, 0.2, 0.6, 0.7, 0.9, 0.1]})


BLOCS = {"Group": ["A", "B", "C", "D"], "Pair": ["F", "G"]}


def test_a_blocs_members_with_the_same_shares_are_one_row_of_their_means():
    """Most of a bloc with the same shares: one row in the first one's place, named as
    `mc11 run` names a bloc, the shares theirs and the other figures their means (so the moves
    still add up from start to MC11); the member of the bloc with other shares, the member of no
    bloc with the same shares and the bloc too little present to be named keep their rows."""
    from simulation.report.explanations import explained_by_bloc

    rows, said = explained_by_bloc(_bloc_table(), BLOCS)
    assert rows["member"].tolist() == ["Group (3 of 4)", "E", "D", "F"]
    group = rows.iloc[0]
    assert (group["blocked"], group["last_to_accept"]) == (0.5, 0.1)
    assert group[["start", "at_mc11", "moved_noise", "salience"]].tolist() == \
        pytest.approx([3.0, 6.0, 3.0, 0.6])
    assert group["start"] + group["moved_noise"] == pytest.approx(group["at_mc11"])
    pd.testing.assert_frame_equal(rows.iloc[1:].reset_index(drop=True),
                                  _bloc_table().iloc[[1, 4, 5]].reset_index(drop=True))
    assert said == {"Group (3 of 4)": "Group (3 of 4): one row, the means of its 3 members with "
                    "the same shares (start 1.0 to 6.0 and at MC11 3.0 to 11.0 among them); its "
                    "members with other shares keep rows of their own: D"}


def test_a_bloc_too_split_for_its_name_keeps_a_row_per_member():
    """Two of the bloc's four with the same shares are not most of it: `with_blocs` would not
    name it, so nobody shares a row; without blocs the table is as it was."""
    from simulation.report.explanations import explained_by_bloc

    table = _bloc_table()
    table.loc[table["member"] == "C", "blocked"] = 0.4
    rows, said = explained_by_bloc(table, BLOCS)
    pd.testing.assert_frame_equal(rows, table)
    assert said == {}
    pd.testing.assert_frame_equal(explained_by_bloc(_bloc_table(), {})[0], _bloc_table())


@functools.cache
def bloc_explained(folder: Path) -> tuple[pd.DataFrame, list[str]]:
    """The mandate explained over 20 runs, and the African Group's members."""
    from simulation.report.figures import bloc_members

    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    return (explain(folder, BLOC_ISSUE, runs=20)[0],
            bloc_members(scenario, scenario.negotiation())["African Group"])


def test_the_command_shows_a_bloc_acting_as_one_on_one_row_and_says_what_it_holds(folder,
                                                                                 capsys):
    """Most of the African Group with the same shares on one row named as `mc11 run` names it,
    its members with other shares on rows of their own, the heading and a note saying what
    the row holds; with --members, a row per member and no word of blocs."""
    table, african = bloc_explained(folder)
    assert main(["explain", str(folder), "--issue", BLOC_ISSUE, "--runs", "20",
                 "--top", "200"]) == 0
    out, err = capsys.readouterr()
    header, _, *lines = out.splitlines()
    named = [line.strip().split("  ")[0] for line in lines]
    [label] = [name for name in named if name.startswith("African Group (")]
    bloc = table[table["member"].isin(african)].set_index(["blocked", "last_to_accept"])
    most = bloc.index.value_counts()
    assert label == f"African Group ({most.iloc[0]} of {len(african)})"
    assert len(lines) == len(table) - most.iloc[0] + 1
    apart = bloc.index != most.index[0]
    assert apart.any()  # Côte d'Ivoire, a co-sponsor of JOB/GC/97/Rev.3
    assert [member for member in named if member in african] == \
        bloc.loc[apart, "member"].tolist()
    assert header.endswith(f"here {label}: its start, at_mc11, moves, tolerance and salience "
                           "are their means (--members: a row each).")
    assert f"mc11: note: {label}: one row, the means of its {most.iloc[0]} members" in err
    assert main(["explain", str(folder), "--issue", BLOC_ISSUE, "--runs", "20",
                 "--top", "200", "--members"]) == 0
    out = capsys.readouterr().out
    assert "African Group" not in out and "their means" not in out
    assert len(out.splitlines()) == len(table) + 2


def test_csv_keeps_a_row_per_member_with_its_bloc(folder, capsys):
    """For analysis: every member on its row, as the Python function gives them, and a `bloc`
    column naming its bloc (empty for a member of none)."""
    import io

    table, african = bloc_explained(folder)
    assert main(["explain", str(folder), "--issue", BLOC_ISSUE, "--runs", "20",
                 "--format", "csv"]) == 0
    shown = pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False)
    assert shown.columns.tolist() == ["member", "bloc", *table.columns[1:]]
    assert shown["member"].tolist() == table["member"].tolist()
    assert shown["bloc"].tolist() == ["African Group" if member in african else ""
                                      for member in table["member"]]
    assert shown["bloc"].eq("African Group").sum() > 20


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
    assert table.empty and "(no member blocked it or accepted last in these runs)" in captured.out


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


def test_a_change_of_exactly_min_step_was_tabled():
    """A package holds changes of at least min_step: a chair's text exactly min_step from the
    status quo was tabled, so the note gives no min_step reason for its run."""
    from simulation.outcomes import NO_AGREEMENT
    from simulation.runs.explain import _unblocked

    kept = {"outcome": np.array([NO_AGREEMENT, NO_AGREEMENT]),
            "blocked": np.zeros((2, 3), dtype=bool),
            "chair_change": np.array([5.0, 4.0]), "min_step": np.array([5.0, 5.0])}
    labels = np.array(["none", "none"])
    assert _unblocked(kept, labels, "mandate").startswith(
        "in 2 of the 2 runs (2 none) no member blocked mandate: in 1 of them the chair's text "
        "moved it only 4.0 points")


# --- mutation testing, nineteenth round (docs/mutation_testing.md) ------------------------


def _kept_runs(name: str, issue: str, runs: int = 40) -> tuple[_Explained, dict[str, np.ndarray]]:
    """The first `runs` replications of the shipped scenario `name`, seed 7, kept for `issue`."""
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    k = list(scenario.catalogue.issue_ids).index(issue)
    seeds = [replication_seed(7, r) for r in range(runs)]
    model = _Explained(scenario.negotiation(), scenario.spec.parameters, seeds=seeds,
                       values=prior_draws.draw(scenario.priors, seeds), issue=k)
    return model, _kept(model, k)


def test_a_members_figures_are_its_means_over_the_runs_it_decided(folder):
    """Each figure of a member's row (start, position at MC11, moves by rule, tolerance,
    salience) is its mean over the runs in which it blocked the issue or accepted last, and
    `blocked` and `last_to_accept` are the shares of all runs in which it did."""
    table, _ = explained(folder)
    model, kept = _kept_runs("baseline", ISSUE)
    members = list(model.negotiation.members)
    for _, row in table.iterrows():
        m = members.index(row["member"])
        involved = kept["blocked"][:, m] | kept["last_to_accept"][:, m]
        assert 0 < involved.sum() < 40
        assert row["blocked"] == kept["blocked"][:, m].mean()
        for name in ("start", "at_mc11", "tolerance", "salience"):
            assert row[name] == pytest.approx(kept[name][involved, m].mean(), rel=1e-12), name
        for j, rule in enumerate(COMPROMISE_RULES):
            assert row[f"moved_{rule}"] == pytest.approx(kept["moved"][involved, m, j].mean(),
                                                         rel=1e-12, abs=1e-12), rule


def test_the_status_quo_reported_is_the_issues_own(folder):
    """classification, the one issue of the catalogue whose status quo is not 0 (it is 50), is
    explained against its own status quo."""
    _, about = explain(folder, "classification", runs=10)
    assert about["status_quo"] == 50.0


def test_under_another_protocol_its_moves_add_up_to_each_members_way_to_mc11():
    """Outside `compromise` a protocol's moves are one rule: summed over every month they are
    each member's way from its start to MC11, not the last month's move only."""
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    parameters = scenario.spec.parameters.model_copy(
        update={"bargaining": BargainingParameters(protocol="challenge")})
    k = list(scenario.catalogue.issue_ids).index(ISSUE)
    model = _Explained(scenario.negotiation(), parameters, seeds=[replication_seed(7, 0)],
                       issue=k)
    kept = _kept(model, k)
    assert model.rules == ("challenge_moves",)
    way = kept["at_mc11"] - kept["start"]
    assert np.abs(way).max() > 1.0
    np.testing.assert_allclose(kept["moved"][..., 0], way, atol=1e-9)


@pytest.mark.parametrize("issue", ["transparency", "classification"])
def test_under_a_package_the_chairs_change_is_how_far_the_agreed_text_moved(issue):
    """Under a single undertaking an issue agreed multilaterally is agreed at the chair's text
    (with the blocs that held speaking as one): the chair's change the note reads is that
    text's distance from the status quo, above it or below it (classification's is 50)."""
    model, kept = _kept_runs("package_mode", issue)
    k = model.issue
    agreed = kept["outcome"] == MULTILATERAL
    assert agreed.sum() >= 10
    distance = np.abs(model.verdict.text[agreed, k] - model.negotiation.status_quo[k])
    np.testing.assert_allclose(kept["chair_change"][agreed], distance, rtol=0, atol=1e-9)


def test_the_members_of_a_bloc_that_held_accept_last_together():
    """A bloc that holds at MC11 accepts as one voice: its members are all among the last to
    accept a text, or none of them is."""
    model, kept = _kept_runs("baseline", "intellectual_property")
    of, last = model.blocs().of, kept["last_to_accept"]
    assert (of >= 0).any() and last.any()
    for run in range(len(of)):
        for bloc in np.unique(of[run][of[run] >= 0]):
            together = last[run][of[run] == bloc]
            assert together.all() or not together.any(), (run, bloc)


def test_under_a_single_undertaking_nobody_is_named_last_to_accept_one_issue(package_folder):
    """In a package a member may accept an issue's text past its own limit, paid for by gains
    elsewhere: no one issue's text sits at the edge of what a member accepts, so nobody is named
    last to accept, and a note says why."""
    table, about = explain(package_folder, "market_access", runs=20)
    assert about["outcome_shares"]["multilateral"] > 0
    assert (table["last_to_accept"] == 0).all()
    assert "as part of a package (package: true)" in about["unbound"]

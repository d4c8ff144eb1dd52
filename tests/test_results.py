"""Tests of results folders (simulation.runs.results) and of the `mc11 run/compare/plot/simulate`
commands: the documented files, resuming, refusals, and identical results for any worker count.

Drawing the five standard plots takes several seconds on a busy machine, so only one ensemble
(`complete`) and one `mc11 plot` draw them for real; elsewhere `write_figures` is replaced by a
stub that records its call (the tables it writes do not depend on the plots).
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from commands import mc11
from matplotlib.figure import Figure
from matplotlib.text import Text

from simulation import __version__
from simulation.cli import build_parser, main, simulate
from simulation.engine.model import NegotiationModel
from simulation.errors import InputError
from simulation.inputs.scenario import load_scenario, scenario_from_mapping
from simulation.report import figures, plots, tables
from simulation.report.tables import write_report
from simulation.runs import results
from simulation.runs.ensemble import replication_seed, run_ensemble
from simulation.runs.results import (
    RunInterrupted,
    execute,
    load_results,
    resume_run,
    start_run,
)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"
PLOTS = ["support.png", "positions.png", "text_levels.png", "outcomes.png", "blockers.png",
         "text_reach.png"]  # the order mc11 plot prints them (figures.FIGURES)
PNG = b"\x89PNG\r\n\x1a\n"
SMALL = """\
extends: baseline.yaml
name: small
replications: 6
seed: 7
participants: {exclude: [VEN]}
derivation: {engaged_sponsor_mandate: [50, 0.3]}
overrides:
  - {sponsors_of: JOB/GC/98, issue: privacy, shift_position: 10, note: a what-if}
proposals:
  - symbol: HYPO/1
    title: A what-if paper
    date: 2017-06-01
    section: what-if
    footnote: 0
    sponsors: [NOR, ISL]
    stances:
      - {issue: e_payments, position: 90, emphasis: headline, section: x, basis: invented}
"""


def stub_plots(monkeypatch) -> list[Path]:
    """Replace the plots of `execute` by a stub; returns the list of plot folders it was called
    for."""
    calls: list[Path] = []
    monkeypatch.setattr(tables, "write_figures",
                        lambda figures, target, workers=1, drawn=(): calls.append(target) or [])
    return calls


def read_manifest(folder: Path) -> dict:
    return json.loads((folder / "run.json").read_text(encoding="utf-8"))


def set_status(folder: Path, status: str) -> None:
    manifest = read_manifest(folder)
    manifest["status"] = status
    (folder / "run.json").write_text(json.dumps(manifest), encoding="utf-8")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("results")
    shutil.copy(BASELINE, folder / "baseline.yaml")
    (folder / "small.yaml").write_text(SMALL, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def small(workspace):
    """A scenario whose own replications and seed are the ones run (6, 7)."""
    return load_scenario(workspace / "small.yaml")


@pytest.fixture(scope="module")
def complete(workspace, small):
    """A finished results folder: 6 runs in chunks of 3, with its real plots, and the same
    ensemble run in memory."""
    run = start_run(small, 6, 7, workspace / "complete", workspace, chunk_size=3)
    execute(run, workers=1, progress=False, finish=write_report)
    return run, run_ensemble(small, runs=6, seed=7, workers=1, chunk_size=3)


# --------------------------------------------------------------------------- the folder


def test_execute_writes_the_documented_files(complete, small):
    run, result = complete
    folder = run.folder
    manifest = read_manifest(folder)
    assert manifest["status"] == "complete"
    assert (manifest["seed"], manifest["runs"], manifest["chunk_size"]) == (7, 6, 3)
    assert manifest["scenario"] == "small"
    assert manifest["scenario_file"] == str(small.path)
    assert manifest["input_hash"] == small.input_hash()
    assert manifest["package_version"] == __version__ == version("mc11-ecommerce-sim")
    assert manifest["protocol"] == "compromise"

    resolved = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    assert (resolved["name"], resolved["replications"], resolved["seed"]) == ("small", 6, 7)
    assert resolved["participants"] == {"exclude": ["VEN"]}
    assert [p["symbol"] for p in resolved["proposals"]] == ["HYPO/1"]
    assert "extends" not in resolved
    again = scenario_from_mapping(resolved, str(folder / "scenario.yaml"))
    assert again.input_hash() == small.input_hash()

    preferences = pd.read_csv(folder / "preferences.csv")
    pd.testing.assert_frame_equal(preferences, small.preferences, check_dtype=False)

    outcomes = pd.read_parquet(folder / "outcomes.parquet")
    pd.testing.assert_frame_equal(outcomes, result.outcomes, check_dtype=False)
    issues = small.catalogue.issue_ids

    summary = pd.read_csv(folder / "summary.csv")
    assert summary["issue"].tolist() == issues
    assert (summary["n_runs"] == 6).all()
    shares = summary[["p_multilateral", "p_plurilateral", "p_none"]].sum(axis=1)
    assert shares.to_numpy() == pytest.approx(1.0)
    counts = outcomes.groupby("issue")["outcome"].apply(lambda s: (s == "none").sum())
    assert summary.set_index("issue")["n_none"].to_dict() == counts.to_dict()
    records = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert [r["issue"] for r in records] == issues
    assert [r["n_runs"] for r in records] == [6] * len(issues)
    exact = pd.read_csv(folder / "summary.csv")
    for column in exact.select_dtypes("float").columns:  # every float as the CSV has it
        assert [r[column] for r in records] == [None if pd.isna(v) else v for v in exact[column]]

    support = pd.read_csv(folder / "support.csv")
    periods = len(small.negotiation().calendar)
    assert len(support) == periods * len(issues)
    assert (support["n_runs"] == 6).all()
    assert support["support_mean"].between(0, 1).all()
    blockers = pd.read_csv(folder / "blockers.csv")
    assert list(blockers.columns) == ["issue", "member", "count", "share"]
    assert set(blockers["member"]) <= set(small.negotiation().members)
    membership = pd.read_csv(folder / "plurilateral_membership.csv")
    assert list(membership.columns) == ["issue", "member", "count", "share"]

    for name in PLOTS:
        data = (folder / "plots" / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 1000, name
    assert sorted(p.name for p in (folder / "chunks").iterdir()) == [
        "chunk-00000000.npz", "chunk-00000003.npz"]
    assert not [p for p in folder.rglob("*") if ".tmp" in p.name]


def test_load_results_reads_a_complete_folder(complete):
    run, result = complete
    loaded = load_results(run.folder)
    assert loaded.manifest["status"] == "complete"
    assert loaded.scenario.input_hash() == run.scenario.input_hash()
    pd.testing.assert_frame_equal(loaded.outcomes, result.outcomes, check_dtype=False)
    assert loaded.summary["issue"].tolist() == run.scenario.catalogue.issue_ids


def test_a_folder_and_an_ensemble_read_in_a_notebook_show_in_a_line(complete):
    """Their reprs name what they hold, not every table, array and catalogue entry."""
    run, result = complete
    loaded = load_results(run.folder)
    assert repr(loaded) == f"<Results {str(run.folder)!r}: 'small', 6 runs, seed 7>"
    assert repr(result) == ("<EnsembleResult: 6 runs x 25 issues; outcomes, "
                            f"{', '.join(result.periods)}>")
    assert repr(loaded.scenario).startswith("<Scenario 'small' (")
    assert repr(loaded.scenario).endswith(
        f"): 6 runs, seed 7, compromise, {len(loaded.scenario.priors)} priors>")


def test_resumed_run_equals_the_uninterrupted_one(complete, workspace, monkeypatch):
    run, _ = complete
    folder = workspace / "resumed"
    (folder / "chunks").mkdir(parents=True)
    for name in ("run.json", "scenario.yaml", "preferences.csv", "chunks/chunk-00000000.npz"):
        shutil.copy2(run.folder / name, folder / name)
    set_status(folder, "interrupted")
    kept = folder / "chunks" / "chunk-00000000.npz"
    kept_bytes = kept.read_bytes()
    computed = []
    real_run_chunks = results.run_chunks

    def recording(negotiation, parameters, seed, bounds, workers, priors=None, **options):
        computed.extend(bounds)
        yield from real_run_chunks(negotiation, parameters, seed, bounds, workers, priors,
                                   **options)

    monkeypatch.setattr(results, "run_chunks", recording)
    plotted = stub_plots(monkeypatch)
    resumed = resume_run(folder)
    assert (resumed.runs, resumed.seed, resumed.chunk_size) == (6, 7, 3)
    execute(resumed, workers=1, progress=False, finish=write_report)
    assert computed == [(3, 6)]  # only the missing chunk ran
    assert kept.read_bytes() == kept_bytes
    assert plotted == [folder / "plots"]
    assert read_manifest(folder)["status"] == "complete"
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "outcomes.parquet"),
                                  pd.read_parquet(run.folder / "outcomes.parquet"),
                                  check_exact=True)
    for name in ("summary.csv", "summary.json", "support.csv", "blockers.csv",
                 "plurilateral_membership.csv"):
        assert (folder / name).read_bytes() == (run.folder / name).read_bytes(), name


@pytest.fixture
def interrupted(workspace, small, monkeypatch, tmp_path):
    """A run of 6 in chunks of 2 stopped by Ctrl-C after its first chunk."""
    real_run_chunks = results.run_chunks

    def first_then_interrupt(negotiation, parameters, seed, bounds, workers, priors=None,
                             **options):
        chunks = real_run_chunks(negotiation, parameters, seed, bounds, workers, priors,
                                 **options)
        yield next(chunks)
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(results, "run_chunks", first_then_interrupt)
        run = start_run(small, 6, 7, tmp_path / "stopped", tmp_path, chunk_size=2)
        with pytest.raises(RunInterrupted) as info:
            execute(run, workers=1, progress=False, finish=write_report)
    return run, info.value


def test_interrupted_run_keeps_its_finished_chunks(interrupted):
    run, stopped = interrupted
    assert stopped.folder == run.folder
    assert "interrupted" in str(stopped) and f"--resume {run.folder}" in str(stopped)
    assert read_manifest(run.folder)["status"] == "interrupted"
    assert [p.name for p in (run.folder / "chunks").iterdir()] == ["chunk-00000000.npz"]
    assert not (run.folder / "outcomes.parquet").exists()
    with pytest.raises(InputError) as info:
        load_results(run.folder)
    assert info.value.field == "status"
    assert "'interrupted'" in info.value.problem and "--resume" in info.value.problem


def test_interrupted_run_resumes_to_the_same_outcomes(interrupted, complete, monkeypatch):
    run, _ = interrupted
    stub_plots(monkeypatch)
    execute(resume_run(run.folder), workers=1, progress=False, finish=write_report)
    reference = pd.read_parquet(complete[0].folder / "outcomes.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(run.folder / "outcomes.parquet"), reference,
                                  check_exact=True)
    assert (run.folder / "summary.csv").read_bytes() == (
        complete[0].folder / "summary.csv").read_bytes()


def test_start_run_refuses_an_existing_folder(small, tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(InputError) as info:
        start_run(small, 6, 7, out, tmp_path)
    assert info.value.field == "--folder"
    assert "exists already" in info.value.problem
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_start_run_without_out_makes_a_new_folder_each_time(small, tmp_path):
    first = start_run(small, 6, 7, None, tmp_path)
    second = start_run(small, 6, 7, None, tmp_path)
    assert first.folder != second.folder
    assert first.folder.parent == second.folder.parent == tmp_path
    assert first.folder.name.startswith("small-")
    assert read_manifest(second.folder)["status"] == "running"


@pytest.mark.parametrize("digest", [True, False])
def test_resume_refuses_changed_inputs(complete, tmp_path, digest):
    """An edited stored scenario is refused by its digest; in a folder of an earlier mc11
    (no digest), by the inputs it gives."""
    folder = tmp_path / "edited"
    shutil.copytree(complete[0].folder, folder)
    set_status(folder, "interrupted")
    if not digest:
        manifest = read_manifest(folder)
        del manifest["stored_digest"]
        (folder / "run.json").write_text(json.dumps(manifest), encoding="utf-8")
    path = folder / "scenario.yaml"
    resolved = yaml.safe_load(path.read_text(encoding="utf-8"))
    resolved["parameters"]["consensus"]["critical_mass"] = 0.8
    path.write_text(yaml.safe_dump(resolved), encoding="utf-8")
    with pytest.raises(InputError) as info:
        resume_run(folder)
    assert info.value.field == ("(file)" if digest else "input_hash")
    assert ("edited" if digest else "changed") in info.value.problem
    assert "new folder" in info.value.problem if digest else "new run" in info.value.problem


def test_results_folder_refusals(tmp_path):
    with pytest.raises(InputError) as info:
        load_results(tmp_path)
    assert "not a results folder" in info.value.problem
    with pytest.raises(InputError) as info:
        resume_run(tmp_path / "nowhere")
    assert "not a results folder" in info.value.problem
    (tmp_path / "run.json").write_text("{broken")
    with pytest.raises(InputError) as info:
        load_results(tmp_path)
    assert "damaged" in info.value.problem


def test_resume_after_runs_and_seed_given_on_the_command_line(tmp_path):
    scenario = load_scenario(BASELINE)  # replications 1000, seed 20171210
    run = start_run(scenario, 4, 3, tmp_path / "r", tmp_path, chunk_size=2)
    set_status(run.folder, "interrupted")
    resumed = resume_run(run.folder)
    assert (resumed.runs, resumed.seed) == (4, 3)


def test_a_folder_run_with_seed_0_resumes(tmp_path):
    """0 is a seed --seed takes: its folder is not called damaged."""
    run = start_run(load_scenario(BASELINE), 4, 0, tmp_path / "r", tmp_path, chunk_size=2)
    set_status(run.folder, "interrupted")
    assert resume_run(run.folder).seed == 0


# --------------------------------------------------------------------------- command line


@pytest.fixture(scope="module")
def cli_runs(workspace):
    """`mc11 run` of the baseline on 1 and on 2 workers (plots stubbed)."""
    outputs = {}
    with pytest.MonkeyPatch.context() as patch:
        stub_plots(patch)
        for workers in (1, 2):
            out = workspace / f"cli-{workers}"
            outputs[workers] = (out, *mc11("run", BASELINE, "--runs", 6, "--seed", 7,
                                           "--workers", workers, "--folder", out, "--quiet"))
    return outputs


def test_cli_run_prints_the_summary_and_the_folder(cli_runs):
    out, code, stdout, stderr = cli_runs[1]
    assert code == 0, stderr
    assert "running 6 replications of 'baseline' (seed 7) on 1 worker(s)" in stderr
    header = stdout.splitlines()[0].split()
    assert header[:3] == ["issue", "P(multi)", "95%"]
    issues = load_scenario(BASELINE).catalogue.issue_ids
    rows = [line.split()[0] for line in stdout.splitlines()[1:] if line.strip()][:len(issues)]
    assert rows == issues
    assert stdout.rstrip().endswith(f"results: {out}")
    manifest = read_manifest(out)
    assert (manifest["status"], manifest["runs"], manifest["seed"]) == ("complete", 6, 7)
    assert "Traceback" not in stderr


def test_cli_run_on_two_workers_gives_the_same_results(cli_runs):
    (one, code1, stdout1, _), (two, code2, stdout2, stderr2) = cli_runs[1], cli_runs[2]
    assert code1 == code2 == 0, stderr2
    assert "on 2 worker(s)" in stderr2
    assert (one / "summary.csv").read_bytes() == (two / "summary.csv").read_bytes()
    pd.testing.assert_frame_equal(pd.read_parquet(one / "outcomes.parquet"),
                                  pd.read_parquet(two / "outcomes.parquet"), check_exact=True)
    assert stdout1.replace(str(one), "") == stdout2.replace(str(two), "")


def test_cli_compare_of_identical_runs_shows_no_difference(cli_runs, tmp_path):
    one, two = cli_runs[1][0], cli_runs[2][0]
    code, stdout, stderr = mc11("compare", one, two)
    assert code == 0, stderr
    lines = stdout.strip().splitlines()
    assert "d P(multilateral)" in lines[1] and len(lines) == 2 + 25
    assert all(" 0.00 [" in line and "*" not in line for line in lines[2:])
    png = tmp_path / "compare.png"
    code, stdout, stderr = mc11("compare", one, two, "--format", "csv", "--plot", png)
    assert code == 0, stderr
    table = pd.read_csv(io.StringIO(stdout))
    assert len(table) == 25
    assert (table[["n_runs_a", "n_runs_b"]] == 6).all().all()
    for name in ("multilateral", "plurilateral", "none"):
        assert (table[f"diff_{name}"] == 0).all()
        assert not table[f"diff_{name}_excludes_zero"].any()
    assert png.read_bytes().startswith(PNG) and png.stat().st_size > 1000
    assert f"wrote {png}" in stderr
    code, _, stderr = mc11("compare", one, two, "--plot", png)
    assert code == 2 and "exists already" in stderr
    pdf = tmp_path / "compare.PDF"
    code, _, stderr = mc11("compare", one, two, "--plot", pdf)
    assert code == 0 and pdf.read_bytes().startswith(b"%PDF-"), stderr
    code, _, stderr = mc11("compare", one, two, "--plot", tmp_path / "compare.jpg")
    assert code == 2 and stderr == (f"mc11: error: {tmp_path / 'compare.jpg'}: --plot: the "
                                    "figure is drawn in the format its name ends in; give a "
                                    "file name ending in .png, .pdf, .svg\n")


def test_cli_compare_shows_a_real_difference(cli_runs, complete):
    """Against a different scenario the differences are not all zero (the test above can fail)."""
    code, stdout, stderr = mc11("compare", cli_runs[1][0], complete[0].folder, "--format", "csv")
    assert code == 0, stderr
    table = pd.read_csv(io.StringIO(stdout))
    diffs = table[["diff_multilateral", "diff_plurilateral", "diff_none"]].to_numpy()
    assert (diffs != 0).any()


def test_cli_compare_of_three_folders_shows_them_side_by_side(cli_runs, complete, tmp_path,
                                                              capsys):
    one, two, other = cli_runs[1][0], cli_runs[2][0], complete[0].folder
    png = tmp_path / "three.png"
    code, stdout, stderr = mc11("compare", one, two, other, "--plot", png)
    assert code == 0, stderr
    names = [one.name, two.name, other.name]  # the first two share a scenario name
    assert stdout.startswith("outcome probabilities side by side: ")
    header = stdout.splitlines()[1].split()
    assert header == ["issue", *names]
    assert f"change from {one.name} to {two.name}" in stdout
    assert f"change from {one.name} to {other.name}" in stdout
    assert png.read_bytes().startswith(PNG) and png.stat().st_size > 1000
    out = tmp_path / "three.txt"
    code, stdout, stderr = mc11("compare", one, two, other, "--out", out)
    assert code == 0, stderr
    assert header == stdout.splitlines()[1].split()  # the side by side on the screen ...
    assert "change from" not in stdout
    written = out.read_text().splitlines()  # ... and the changes, all in the file
    assert written[0].split()[:2] == ["scenario", "issue"] and len(written) == 1 + 2 * 25
    assert {line.split()[0] for line in written[1:]} == {two.name, other.name}
    with pytest.raises(SystemExit):  # and the help of --out says what stays on the screen
        build_parser().parse_args(["compare", "--help"])
    assert "the screen still shows the outcome probabilities side by side" in " ".join(
        capsys.readouterr().out.split())
    code, stdout, stderr = mc11("compare", one, two, other, "--format", "csv")
    assert code == 0, stderr
    table = pd.read_csv(io.StringIO(stdout))
    assert len(table) == 2 * 25 and set(table["reference"]) == {one.name}
    same = table[table["scenario"] == two.name]
    differs = table[table["scenario"] == other.name]
    assert (same[["diff_multilateral", "diff_plurilateral", "diff_none"]] == 0).all().all()
    assert (differs[["diff_multilateral", "diff_plurilateral", "diff_none"]] != 0).any().any()


def test_cli_compare_of_chosen_issues_shows_only_those(cli_runs, complete, tmp_path):
    """A question about one issue had 25 rows to read and a 25-row figure to draw."""
    one, two, other = cli_runs[1][0], cli_runs[2][0], complete[0].folder
    code, stdout, stderr = mc11("compare", one, other, "--issue", "market_access", "--issue",
                                "mandate", "--format", "csv")
    assert code == 0, stderr
    table = pd.read_csv(io.StringIO(stdout))
    assert table["issue"].tolist() == ["mandate", "market_access"]  # in the folders' order
    whole = pd.read_csv(io.StringIO(mc11("compare", one, other, "--format", "csv")[1]))
    pd.testing.assert_frame_equal(table, whole[whole["issue"].isin(["mandate", "market_access"])]
                                  .reset_index(drop=True))
    code, stdout, stderr = mc11("compare", one, two, other, "--issue", "mandate", "--plot",
                                tmp_path / "one.png")
    assert code == 0, stderr
    rows = [line.split()[0] for line in stdout.splitlines() if line and line.split()[0] in
            set(whole["issue"])]
    assert rows == ["mandate"] * 3  # side by side, then each folder's change
    code, _, stderr = mc11("compare", one, other, "--issue", "mandat")
    assert code == 2 and "--issue: unknown issue 'mandat' (did you mean 'mandate'?)" in stderr


def test_cli_compare_prints_a_change_that_rounds_to_zero_as_below_a_hundredth(cli_runs,
                                                                              monkeypatch):
    """-0.001 reads -<0.01, not -0.00 or 0.00 (a bound of an interval that excludes zero must not
    read 0.00); a change that rounds to 0.01 keeps its sign."""
    from simulation.report import summary

    exact = summary.compare

    def nudged(a, b, paired=None):
        table = exact(a, b, paired)
        table.iloc[0, table.columns.get_loc("diff_multilateral")] = -0.001
        table.iloc[0, table.columns.get_loc("diff_plurilateral")] = -0.006
        table.iloc[0, table.columns.get_loc("diff_none")] = 0.004
        return table

    monkeypatch.setattr(summary, "compare", nudged)
    code, stdout, stderr = mc11("compare", cli_runs[1][0], cli_runs[2][0])
    assert code == 0, stderr
    mandate = stdout.splitlines()[2]
    assert "-0.00" not in stdout and "+0.00" not in stdout
    assert mandate.split()[1] == "-<0.01" and mandate.split()[4] == "-0.01"
    assert mandate.split()[7] == "+<0.01"


def _saved_figures(monkeypatch) -> list[tuple[Figure, Path]]:
    """Each figure `plots.save_figure` is given, with its path (kept, not saved)."""
    saved: list[tuple[Figure, Path]] = []
    monkeypatch.setattr(plots, "save_figure",
                        lambda fig, path: saved.append((fig, Path(path))) or Path(path))
    return saved


def test_cli_compare_plot_names_two_folders_of_one_scenario_apart(cli_runs, monkeypatch):
    """Both runs are of 'baseline': the figure names their folders, as the table does."""
    one, two = cli_runs[1][0], cli_runs[2][0]
    saved = _saved_figures(monkeypatch)
    code, _, stderr = mc11("compare", one, two, "--plot", one.parent / "unused.png")
    assert code == 0, stderr
    texts = " ".join(text.get_text() for text in saved[0][0].findobj(Text))
    assert "baseline − baseline" not in texts
    assert f"{two.name} − {one.name}" in texts.replace("\n", " ")


def test_cli_compare_plot_of_too_many_folders_is_refused_before_reading_them(cli_runs,
                                                                              tmp_path):
    folders = [cli_runs[1][0]] * (plots.MAX_COMPARED + 2)
    code, stdout, stderr = mc11("compare", *folders, "--plot", tmp_path / "many.png")
    assert code == 2 and stdout == ""
    assert stderr.startswith("mc11: error: ") and "--plot" in stderr
    assert f"at most {plots.MAX_COMPARED}" in stderr and "Traceback" not in stderr


def test_cli_compare_plot_of_as_many_folders_as_it_draws_is_drawn(cli_runs, tmp_path,
                                                                     monkeypatch):
    """The reference and MAX_COMPARED folders compared with it: the most the figure takes, drawn
    (only one more is refused)."""
    saved = _saved_figures(monkeypatch)
    folders = [cli_runs[1][0]] * (plots.MAX_COMPARED + 1)
    code, _, stderr = mc11("compare", *folders, "--plot", tmp_path / "many.png")
    assert code == 0, stderr
    assert len(saved) == 1


def test_cli_compare_plot_takes_a_png_name_in_capitals(cli_runs, tmp_path, monkeypatch):
    """CHANGES.PNG names a PNG image as changes.png does."""
    saved = _saved_figures(monkeypatch)
    target = tmp_path / "CHANGES.PNG"
    code, _, stderr = mc11("compare", cli_runs[1][0], cli_runs[2][0], "--plot", target)
    assert code == 0, stderr
    assert [str(path) for _, path in saved] == [str(target)]


def test_cli_compare_never_draws_over_a_figure_made_while_it_compared(cli_runs, tmp_path,
                                                                       monkeypatch):
    """--plot names a new file; one that another program writes there while the folders are
    compared is kept, and the figure refused, not drawn over it."""
    from simulation.report import summary

    target = tmp_path / "changes.png"
    real = summary.compare

    def meanwhile(*args, **kwargs):
        target.write_bytes(b"theirs")
        return real(*args, **kwargs)

    monkeypatch.setattr(summary, "compare", meanwhile)
    code, _, stderr = mc11("compare", cli_runs[1][0], cli_runs[2][0], "--plot", target)
    assert code == 2 and "Traceback" not in stderr, stderr
    assert f"mc11: error: {target}: --plot: the file exists already" in stderr
    assert target.read_bytes() == b"theirs"


def test_cli_compare_notes_a_folder_given_twice(cli_runs):
    """Two runs with equal tables compare without a note; one folder named twice (here by
    another spelling of its path) is said to be compared with itself."""
    one, two = cli_runs[1][0], cli_runs[2][0]
    code, _, stderr = mc11("compare", one, two)
    assert code == 0 and "given again" not in stderr
    again = one.parent / ".." / one.parent.name / one.name
    code, stdout, stderr = mc11("compare", one, again)
    assert code == 0, stderr
    assert f"{again} is the folder {one} given again" in stderr
    lines = stdout.strip().splitlines()
    assert len(lines) == 2 + 25 and all(" 0.00 [" in line for line in lines[2:])


def test_cli_compare_needs_two_folders(cli_runs):
    code, _, stderr = mc11("compare", cli_runs[1][0])
    assert code == 2 and "at least two results folders" in stderr


def test_cli_plot_draws_a_new_version_or_with_force_in_place(cli_runs, tmp_path, monkeypatch):
    """`mc11 plot` redraws every figure from the folder's tables (drawing stubbed: see below),
    into plots-2/ when plots/ has figures, into plots/ with --force."""
    folder = tmp_path / "copy"
    shutil.copytree(cli_runs[1][0], folder)
    (folder / "plots").mkdir(exist_ok=True)
    (folder / "plots" / "outcomes.png").write_bytes(b"stale")
    drawn = {}

    def fake(name):
        def draw(*args, **kwargs):
            path = Path(next(a for a in args if isinstance(a, Path)))
            drawn[name] = [a for a in args if isinstance(a, pd.DataFrame)]
            path.write_bytes(PNG + name.encode())
            return path
        return draw

    for name in ("plot_outcomes", "plot_text_levels", "plot_text_reach", "plot_support",
                 "plot_position_heatmap", "plot_blockers"):
        monkeypatch.setattr(plots, name, fake(name))
    code, stdout, stderr = mc11("plot", folder, "--workers", 1)  # the fakes record in-process
    assert code == 0, stderr
    assert stdout.split() == [str(folder / "plots-2" / name) for name in PLOTS]
    assert "plots-2" in stderr and "--force" in stderr
    assert (folder / "plots" / "outcomes.png").read_bytes() == b"stale"
    assert mc11("plot", folder, "--workers", 1)[1].split()[0] == str(
        folder / "plots-3" / PLOTS[0])
    code, stdout, stderr = mc11("plot", folder, "--force", "--workers", 1)
    assert code == 0, stderr
    assert stdout.split() == [str(folder / "plots" / name) for name in PLOTS]
    assert len(drawn) == 6
    assert (folder / "plots" / "outcomes.png").read_bytes() == PNG + b"plot_outcomes"
    levels = drawn["plot_text_levels"][0]
    pd.testing.assert_frame_equal(levels, pd.read_csv(folder / "text_levels.csv"))
    assert drawn["plot_outcomes"][0]["issue"].tolist() == list(
        pd.read_csv(folder / "summary.csv")["issue"])


def _stub_figures(monkeypatch, stop_at: int | None = None) -> None:
    """Stand-in figures, each a PNG header in its file; with `stop_at`, Ctrl-C on the figure
    drawn when its folder holds that many files."""
    def draw(*args, **kwargs) -> Path:
        path = Path(next(a for a in args if isinstance(a, Path)))
        if len(list(path.parent.iterdir())) == stop_at:
            raise KeyboardInterrupt
        path.write_bytes(PNG)
        return path

    for name in ("plot_outcomes", "plot_text_levels", "plot_text_reach", "plot_support",
                 "plot_position_heatmap", "plot_blockers"):
        monkeypatch.setattr(plots, name, draw)


def test_cli_plot_never_draws_over_an_earlier_version(cli_runs, tmp_path, monkeypatch):
    """plots/, plots-2/ and plots-3/ hold figures: the next version is plots-4/."""
    folder = tmp_path / "copy"
    shutil.copytree(cli_runs[1][0], folder)
    earlier = ("plots", "plots-2", "plots-3")
    for drawn in earlier:
        (folder / drawn).mkdir(exist_ok=True)
        (folder / drawn / "outcomes.png").write_bytes(b"mine")
    _stub_figures(monkeypatch)
    code, stdout, stderr = mc11("plot", folder, "--workers", 1)
    assert code == 0, stderr
    assert stdout.split() == [str(folder / "plots-4" / name) for name in PLOTS]
    for drawn in earlier:
        assert (folder / drawn / "outcomes.png").read_bytes() == b"mine"


@pytest.mark.parametrize(("stop_at", "said"), [(1, "1 of the 6 figures was drawn"),
                                               (2, "2 of the 6 figures were drawn")])
def test_cli_plot_stopped_by_ctrl_c_names_the_figures_not_drawn(cli_runs, tmp_path,
                                                               monkeypatch, stop_at, said):
    """Ctrl-C on the second or third figure: the message names those not drawn and the command
    that draws them all into plots/, which then completes it (drawing stubbed)."""
    folder = tmp_path / "copy"
    shutil.copytree(cli_runs[1][0], folder)
    _stub_figures(monkeypatch, stop_at=stop_at)
    code, stdout, stderr = mc11("plot", folder, "--workers", 1)
    assert code == 130 and stdout == ""
    assert f"{said} there ({', '.join(PLOTS[:stop_at])})" in stderr
    assert f"not drawn: {', '.join(PLOTS[stop_at:])}" in stderr
    assert f"mc11 plot --force {folder}" in stderr
    assert sorted(p.name for p in (folder / "plots").iterdir()) == sorted(PLOTS[:stop_at])
    redrawn = []
    for name in ("plot_outcomes", "plot_text_levels", "plot_text_reach", "plot_support",
                 "plot_position_heatmap", "plot_blockers"):
        monkeypatch.setattr(plots, name, lambda *args, **kwargs: redrawn.append(
            next(a for a in args if isinstance(a, Path))) or redrawn[-1])
    code, stdout, stderr = mc11("plot", folder, "--force", "--workers", 1)
    assert code == 0, stderr
    assert stdout.split() == [str(folder / "plots" / name) for name in PLOTS]
    assert len(redrawn) == 6


def test_cli_plot_stopped_in_a_new_version_says_to_delete_it_not_to_force(cli_runs, tmp_path,
                                                                          monkeypatch):
    """Ctrl-C while drawing into plots-2/ (plots/ had figures): --force would draw into plots/,
    over the earlier figures, so the message says to delete plots-2/ and draw again."""
    folder = tmp_path / "copy"
    shutil.copytree(cli_runs[1][0], folder)
    (folder / "plots").mkdir(exist_ok=True)
    (folder / "plots" / "outcomes.png").write_bytes(b"mine")
    _stub_figures(monkeypatch, stop_at=1)
    code, _, stderr = mc11("plot", folder, "--workers", 1)
    assert code == 130, stderr
    assert f"Delete {folder / 'plots-2'} and draw them all again with: mc11 plot {folder}" \
        in stderr
    assert "--force" not in stderr.splitlines()[-1]
    assert (folder / "plots" / "outcomes.png").read_bytes() == b"mine"


def test_cli_plot_draws_into_an_empty_plots_folder(cli_runs, tmp_path, monkeypatch):
    """A plots/ folder without figures (made by hand, or emptied) is drawn into, not passed
    over for plots-2/."""
    folder = tmp_path / "copy"
    shutil.copytree(cli_runs[1][0], folder)
    shutil.rmtree(folder / "plots", ignore_errors=True)
    (folder / "plots").mkdir()
    (folder / "plots" / "notes.txt").write_text("mine\n", encoding="utf-8")
    _stub_figures(monkeypatch)
    code, stdout, stderr = mc11("plot", folder, "--workers", 1)
    assert code == 0, stderr
    assert stdout.split() == [str(folder / "plots" / name) for name in PLOTS]
    assert not (folder / "plots-2").exists()
    assert (folder / "plots" / "notes.txt").read_text(encoding="utf-8") == "mine\n"


def test_cli_plot_in_a_second_format_draws_beside_the_first_leaving_it_untouched(
        cli_runs, tmp_path, monkeypatch):
    """PDFs asked for where plots/ holds PNGs only are drawn into plots/ beside them, which stay
    as they were (same bytes, same file); asked again, they go to a new plots-2/ (drawing
    stubbed)."""
    folder = tmp_path / "copy"
    shutil.copytree(cli_runs[1][0], folder)
    _stub_figures(monkeypatch)
    assert mc11("plot", folder, "--workers", 1)[0] == 0
    pngs = {path: (path.read_bytes(), path.stat().st_ino, path.stat().st_mtime_ns)
            for path in (folder / "plots").iterdir()}
    assert sorted(path.name for path in pngs) == sorted(PLOTS)
    code, stdout, stderr = mc11("plot", folder, "--workers", 1, "--figure-format", "pdf")
    assert code == 0 and "plots-2" not in stderr, stderr
    pdfs = [name.replace(".png", ".pdf") for name in PLOTS]
    assert stdout.split() == [str(folder / "plots" / name) for name in pdfs]
    assert {path: (path.read_bytes(), path.stat().st_ino, path.stat().st_mtime_ns)
            for path in pngs} == pngs
    code, stdout, stderr = mc11("plot", folder, "--workers", 1, "--figure-format", "pdf")
    assert code == 0 and "plots has PDF figures already; drawing into plots-2/" in stderr
    assert stdout.split() == [str(folder / "plots-2" / name) for name in pdfs]


@pytest.mark.parametrize(("fmt", "magic"), [("pdf", b"%PDF-"), ("svg", b"<?xml")])
def test_cli_plot_draws_a_folder_twice_in_a_vector_format_to_the_same_bytes(
        cli_runs, tmp_path, monkeypatch, fmt, magic):
    """The same tables drawn as PDF or SVG at another time, in another figure process, give
    the same files byte for byte (no date of drawing, no random ids); two of the figures, the
    quickest, really drawn."""
    folder = tmp_path / "copy"
    shutil.copytree(cli_runs[1][0], folder)
    shutil.rmtree(folder / "plots", ignore_errors=True)
    quick = tuple(f for f in figures.FIGURES if f.name in ("outcomes", "text_reach"))
    monkeypatch.setattr(figures, "FIGURES", quick)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")  # what matplotlib dates a figure by, if at all
    assert mc11("plot", folder, "--workers", 1, "--figure-format", fmt)[0] == 0
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1500000000")
    code, stdout, stderr = mc11("plot", folder, "--workers", 2, "--figure-format", fmt)
    assert code == 0, stderr
    names = [f"outcomes.{fmt}", f"text_reach.{fmt}"]
    assert stdout.split() == [str(folder / "plots-2" / name) for name in names]
    for name in names:
        first = (folder / "plots" / name).read_bytes()
        assert first.startswith(magic) and (fmt == "pdf" or b"<svg" in first[:400]), name
        assert (folder / "plots-2" / name).read_bytes() == first, name


def test_cli_run_stopped_while_drawing_names_the_figures_not_drawn(workspace, tmp_path,
                                                                   monkeypatch):
    """`mc11 run --plots` stopped by Ctrl-C on its third figure: the run is complete, its tables
    and two figures kept, and the message is `mc11 plot`'s, whose command then draws them all
    (drawing stubbed)."""
    _stub_figures(monkeypatch, stop_at=2)
    folder = tmp_path / "stopped"
    code, stdout, stderr = mc11("run", workspace / "small.yaml", "--runs", 3, "--workers", 1,
                                "--folder", folder, "--quiet", "--plots")
    assert code == 130 and "P(multi)" in stdout and "results:" not in stdout, stderr
    assert (f"mc11: interrupted while drawing the figures into {folder / 'plots'}; 2 of the 6 "
            f"figures were drawn there ({PLOTS[0]}, {PLOTS[1]}); not drawn: "
            f"{', '.join(PLOTS[2:])}. Draw them all into {folder / 'plots'} with: "
            f"mc11 plot --force {folder}\n") in stderr
    assert read_manifest(folder)["status"] == "complete"
    assert sorted(p.name for p in (folder / "plots").iterdir()) == sorted(PLOTS[:2])
    _stub_figures(monkeypatch)
    code, stdout, stderr = mc11("plot", "--force", folder, "--workers", 1)
    assert code == 0, stderr
    assert stdout.split() == [str(folder / "plots" / name) for name in PLOTS]


def test_cli_run_stopped_while_drawing_pdfs_names_them_and_the_format(workspace, tmp_path,
                                                                      monkeypatch):
    """`mc11 run --plots --figure-format pdf` stopped on its third figure names the PDFs drawn
    and not, and the `mc11 plot` command that draws them in that format (drawing stubbed)."""
    _stub_figures(monkeypatch, stop_at=2)
    folder = tmp_path / "stopped"
    code, _, stderr = mc11("run", workspace / "small.yaml", "--runs", 3, "--workers", 1,
                           "--folder", folder, "--quiet", "--plots", "--figure-format", "pdf")
    pdfs = [name.replace(".png", ".pdf") for name in PLOTS]
    assert code == 130, stderr
    assert (f"2 of the 6 figures were drawn there ({pdfs[0]}, {pdfs[1]}); not drawn: "
            f"{', '.join(pdfs[2:])}. Draw them all into {folder / 'plots'} with: "
            f"mc11 plot --force {folder} --figure-format pdf\n") in stderr
    assert sorted(p.name for p in (folder / "plots").iterdir()) == sorted(pdfs[:2])


@pytest.mark.parametrize("command", ["plot", "run", "sweep", "sensitivity"])
def test_a_figure_format_not_offered_is_refused_in_one_paragraph(cli_runs, tmp_path, command,
                                                                 capsys):
    """An unknown --figure-format stops every command that draws figures before any work,
    exit 2, with the command's usage and one error naming the formats there are."""
    new = tmp_path / "new"
    given = {"plot": [cli_runs[1][0]], "run": [BASELINE, "--plots", "--folder", new],
             "sweep": [BASELINE, "--set", "parameters.consensus.base_tolerance=5,25",
                       "--folder", new], "sensitivity": [BASELINE, "--folder", new]}[command]
    with pytest.raises(SystemExit) as ended:
        main([command, *map(str, given), "--figure-format", "jpg"])
    error = capsys.readouterr().err
    assert ended.value.code == 2 and error.startswith(f"usage: mc11 {command} ")
    assert [line for line in error.splitlines() if "error:" in line] == [
        f"mc11 {command}: error: argument --figure-format: invalid choice: 'jpg' (choose "
        "from 'png', 'pdf', 'svg')"]
    assert not new.exists()


@pytest.mark.parametrize(("argv", "says"), [
    (["run", "--runs", "2"], "mc11 run draws figures only with --plots; add it"),
    (["sweep", "--set", "parameters.consensus.base_tolerance=5,25", "--no-plots",
      "--scheduler", "in-process"], "--no-plots leaves the figures out; drop it"),
])
def test_a_figure_format_where_no_figure_is_drawn_is_refused(tmp_path, argv, says):
    """--figure-format with the figures left out would be ignored unsaid: refused, exit 2."""
    folder = tmp_path / "new"
    code, _, stderr = mc11(*argv, "--figure-format", "pdf", "--folder", folder, "--quiet")
    assert code == 2
    assert stderr == f"mc11: error: --figure-format: {says}, or leave --figure-format out\n"
    assert not folder.exists()


@pytest.mark.slow
def test_cli_plot_draws_real_plots_the_same_on_one_or_two_processes(cli_runs, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(cli_runs[1][0], folder)
    code, stdout, stderr = mc11("plot", folder, "--force", "--workers", 2)
    assert code == 0, stderr
    assert stdout.split() == [str(folder / "plots" / name) for name in PLOTS]
    for name in PLOTS:
        data = (folder / "plots" / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 1000, name
    code, stdout, stderr = mc11("plot", folder, "--workers", 1)
    assert code == 0, stderr
    for name in PLOTS:
        assert (folder / "plots-2" / name).read_bytes() == (folder / "plots" / name).read_bytes()


def test_reading_a_results_folder_does_not_import_the_model():
    """`mc11 plot` and the dashboard's results view read folders; Mesa and the model cost
    ~0.6 s to import and are needed only to run replications."""
    code = ("import sys; import simulation.cli, simulation.runs.results, "
            "simulation.report.figures, simulation.cli.run, simulation.cli.plot; "
            "print(sorted(m for m in ('mesa', 'simulation.engine.model') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_plot_refuses_an_incomplete_folder(interrupted):
    code, _, stderr = mc11("plot", interrupted[0].folder)
    assert code == 2
    assert stderr.startswith("mc11: error: ") and "not complete" in stderr


def test_cli_resume_completes_an_interrupted_folder(interrupted, monkeypatch, complete):
    stub_plots(monkeypatch)
    folder = interrupted[0].folder
    code, stdout, stderr = mc11("run", "--resume", folder, "--workers", 1, "--quiet")
    assert code == 0, stderr
    assert f"results: {folder}" in stdout
    assert (folder / "summary.csv").read_bytes() == (
        complete[0].folder / "summary.csv").read_bytes()


def _ctrl_c_at_once(*args, **options):
    """A stand-in for run_chunks stopped by Ctrl-C before its first chunk."""
    raise KeyboardInterrupt
    yield  # a generator, like run_chunks


def _stopped_small_run(workspace, tmp_path, monkeypatch, run_chunks):
    """`mc11 run` of the small scenario on one worker with `run_chunks` in place of the
    engine's: its folder, exit code and stderr."""
    monkeypatch.setattr(results, "run_chunks", run_chunks)
    out = tmp_path / "stopped"
    code, _, stderr = mc11("run", workspace / "small.yaml", "--folder", out, "--workers", 1,
                           "--quiet")
    return out, code, stderr


def test_cli_run_interrupted_exits_130_with_the_resume_hint(workspace, monkeypatch, tmp_path):
    out, code, stderr = _stopped_small_run(workspace, tmp_path, monkeypatch, _ctrl_c_at_once)
    assert code == 130
    assert f"mc11 run --resume {out}" in stderr
    assert read_manifest(out)["status"] == "interrupted"


def test_cli_run_interrupted_inside_compiled_code_says_interrupted(workspace, monkeypatch,
                                                                   tmp_path):
    """Ctrl-C while one worker is inside a compiled rule reaches the run as numba's SystemError
    ("CPUDispatcher(...) returned a result with an exception set") with the KeyboardInterrupt
    as its context: the user is told the run was interrupted, not numba's words."""
    def interrupt(*args, **options):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise SystemError("CPUDispatcher(<function _round at 0x0>) returned a result with "
                              "an exception set") from None
        yield

    out, code, stderr = _stopped_small_run(workspace, tmp_path, monkeypatch, interrupt)
    assert code == 130
    assert f"mc11: interrupted; finished chunks are kept in {out}" in stderr
    assert "CPUDispatcher" not in stderr and "exception set" not in stderr
    assert read_manifest(out)["status"] == "interrupted"


def test_cli_resume_after_runs_given_on_the_command_line(monkeypatch, tmp_path):
    out = tmp_path / "stopped"
    with monkeypatch.context() as patch:
        patch.setattr(results, "run_chunks", _ctrl_c_at_once)
        assert mc11("run", BASELINE, "--runs", 4, "--seed", 3, "--folder", out, "--quiet")[0] == 130
    stub_plots(monkeypatch)
    code, _, stderr = mc11("run", "--resume", out, "--workers", 1, "--quiet")
    assert code == 0, stderr


@pytest.mark.parametrize("argv", [
    ("run", "nowhere.yaml", "--runs", 2, "--quiet"),
    ("simulate", "nowhere.yaml", "--seed", 1),
])
def test_cli_bad_scenario_path_exits_2_without_traceback(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, stdout, stderr = mc11(*argv, *(("--folder", tmp_path / "x") if argv[0] == "run" else ()))
    assert code == 2
    assert stderr.startswith("mc11: error: ")
    assert "nowhere.yaml" in stderr and "does not exist" in stderr
    assert "Traceback" not in stderr and stdout == ""
    assert not (tmp_path / "x").exists()


def test_cli_broken_scenario_exits_2_naming_the_line(tmp_path):
    shutil.copy(BASELINE, tmp_path / "baseline.yaml")
    path = tmp_path / "bad.yaml"
    path.write_text("extends: baseline.yaml\nname: bad\nparameters:\n  consensus:\n"
                    "    critcal_mass: 0.5\n")
    code, _, stderr = mc11("run", path, "--runs", 2, "--folder", tmp_path / "x", "--quiet")
    assert code == 2
    assert stderr.strip() == (f"mc11: error: {path}: line 5: parameters.consensus.critcal_mass: "
                              "unknown field (did you mean 'critical_mass'?); allowed: "
                              "base_tolerance, linkage_cut, min_step, package, critical_mass")


def test_cli_simulate_prints_one_row_per_issue_and_is_reproducible():
    issues = load_scenario(BASELINE).catalogue.issue_ids
    code, first, stderr = mc11("simulate", "--seed", 3)
    assert code == 0, stderr
    lines = first.splitlines()
    assert lines[0] == "baseline, seed 3, protocol compromise: one replication"
    assert lines[1].split()[:3] == ["issue", "outcome", "text"]
    assert [line.split()[0] for line in lines[2:]] == issues
    assert {line.split()[1] for line in lines[2:]} <= {"multilateral", "plurilateral", "none"}
    assert mc11("simulate", "--seed", 3)[1] == first
    assert mc11("simulate", "--seed", 4)[1] != first


def test_cli_simulate_csv_and_protocol():
    """--protocol replaces the scenario's: the exchange what-if run with the compromise
    protocol is the baseline (the exchange protocol itself is too slow for this suite)."""
    code, stdout, stderr = mc11("simulate", SCENARIOS / "exchange_protocol.yaml",
                                "--seed", 3, "--protocol", "compromise", "--format", "csv")
    assert code == 0, stderr
    assert "exchange_protocol, seed 3, protocol compromise: one replication" in stderr
    table = pd.read_csv(io.StringIO(stdout))  # the heading is not in the CSV
    assert len(table) == 25
    assert set(table["outcome"]) <= {"multilateral", "plurilateral", "none"}
    assert (table["text"].isna() == (table["outcome"] == "none")).all()
    assert mc11("simulate", "--seed", 3, "--format", "csv")[1] == stdout


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_cli_simulate_files_are_whole_tables(fmt):
    """csv and json are the table alone (heading and trace on stderr), every blocker named,
    coverage and a member count only for plurilateral deals (seed 1 has one), as in
    outcomes.parquet."""
    code, stdout, stderr = mc11("simulate", "--seed", 1, "--format", fmt, "--trace")
    assert code == 0, stderr
    assert "baseline, seed 1" in stderr and "joins" in stderr
    table = pd.read_csv(io.StringIO(stdout)) if fmt == "csv" else pd.read_json(io.StringIO(stdout))
    assert len(table) == 25
    blockers = table["blockers"].fillna("").str.split()
    assert blockers.map(len).max() > 8 and "..." not in stdout
    plurilateral = table["outcome"] == "plurilateral"
    assert plurilateral.any()
    assert (table["coverage"].notna() == plurilateral).all()
    assert ((table["plurilateral_members"] > 0) == plurilateral).all()
    negotiating = len(load_scenario(BASELINE).negotiation().members)
    assert (table["plurilateral_members"] + blockers.map(len) <= negotiating).all()


def test_cli_simulate_trace_prints_period_events():
    code, stdout, stderr = mc11("simulate", "--seed", 3, "--trace")
    assert code == 0, stderr
    events, table = stdout.split("\n\n", 1)
    lines = events.splitlines()
    assert len(lines) > 10
    assert lines[0].startswith("2016-09 WTO Public Forum  ")
    kinds = {line.split("  ")[1] for line in lines}
    assert kinds <= {"joins", "leaves", "moves", "exchange"} and "joins" in kinds
    months = [line[:7] for line in lines]
    assert months == sorted(months)  # in calendar order
    assert table.startswith("baseline, seed 3, protocol compromise: one replication")
    assert table == mc11("simulate", "--seed", 3)[1]


@pytest.mark.parametrize("seed", [0, 1])
def test_cli_simulate_shows_the_verdict_of_the_seeds_first_replication(seed):
    """The table is the model's verdict of replication 0 of the master seed given (0 too, not
    the scenario's): text to one decimal, the catalogue's status quo, and every member a
    plurilateral deal binds counted (seed 1 has one)."""
    scenario = load_scenario(BASELINE)
    result = NegotiationModel(scenario.negotiation(), scenario.spec.parameters,
                              rng=replication_seed(seed, 0)).run().take(0)
    code, stdout, stderr = mc11("simulate", "--seed", seed, "--format", "csv")
    assert code == 0, stderr
    assert stderr.startswith(f"baseline, seed {seed}, protocol compromise")
    table = pd.read_csv(io.StringIO(stdout))
    assert table["issue"].tolist() == scenario.catalogue.issue_ids
    assert table["status_quo"].tolist() == [i.status_quo for i in scenario.catalogue.issues]
    np.testing.assert_array_equal(
        table["text"], [round(float(t), 1) if np.isfinite(t) else np.nan for t in result.text])
    assert table["plurilateral_members"].tolist() == \
        result.plurilateral_members.sum(axis=0).tolist()
    assert seed == 0 or table["plurilateral_members"].max() > 1


def test_cli_simulate_screen_names_the_first_blockers_then_dots(monkeypatch):
    """The screen names the first SHOWN_BLOCKERS (8) blockers of an issue and '...' for the
    rest; an issue with exactly that many shows them all (checked at the smallest count)."""
    every = pd.read_csv(io.StringIO(mc11("simulate", "--seed", 1, "--format", "csv")[1]))
    blockers = dict(zip(every["issue"], every["blockers"].fillna("").str.split(), strict=True))
    fewest = min(len(codes) for codes in blockers.values() if codes)
    assert max(map(len, blockers.values())) > 8 > fewest
    for shown in (8, fewest):
        monkeypatch.setattr(simulate, "SHOWN_BLOCKERS", shown)
        code, stdout, stderr = mc11("simulate", "--seed", 1)
        assert code == 0, stderr
        screen = {row.split()[0]: row.split()[5:-1] for row in stdout.splitlines()[2:]}
        assert screen == {issue: codes if len(codes) <= shown else [*codes[:shown], "..."]
                          for issue, codes in blockers.items()}


@pytest.mark.parametrize("spelling", [[], ["--no-plots"]])
def test_cli_run_without_plots_writes_the_tables_and_plot_draws_them_later(workspace,
                                                                              monkeypatch,
                                                                              spelling):
    """Tables only by default (and with --no-plots); the note names the command that draws
    the figures later."""
    folder, drawn = workspace / f"no-plots-{len(spelling)}", []
    for name in ("plot_outcomes", "plot_text_levels", "plot_support", "plot_position_heatmap",
                 "plot_blockers"):  # drawing stubbed: recorded by figure name
        monkeypatch.setattr(plots, name, lambda *args, _name=name, **kw: drawn.append(
            _name) or next(a for a in args if isinstance(a, Path)))
    code, stdout, stderr = mc11("run", BASELINE, "--runs", 3, "--seed", 7, "--workers", 1,
                                "--folder", folder, "--quiet", *spelling)
    assert code == 0, stderr
    assert drawn == [] and not (folder / "plots").exists()
    assert f"mc11 plot {folder}` draws the figures" in stderr
    assert read_manifest(folder)["status"] == "complete"
    assert len(pd.read_csv(folder / "summary.csv")) == 25 and "mandate" in stdout
    code, _, stderr = mc11("plot", folder, "--workers", 1)
    assert code == 0, stderr
    assert len(drawn) == 5


def test_cli_run_prints_the_summary_before_it_draws_the_figures(workspace, monkeypatch):
    """The answer comes first: when the first figure is drawn, the summary is already out."""
    seen = []

    def draw(*args, **kwargs):
        seen.append(sys.stdout.getvalue())
        return next(a for a in args if isinstance(a, Path))

    for name in ("plot_outcomes", "plot_text_levels", "plot_text_reach", "plot_support",
                 "plot_position_heatmap", "plot_blockers"):
        monkeypatch.setattr(plots, name, draw)
    code, stdout, stderr = mc11("run", BASELINE, "--runs", 3, "--seed", 7, "--workers", 1,
                                "--folder", workspace / "summary-first", "--quiet", "--plots")
    assert code == 0, stderr
    assert len(seen) == 6 and "P(multi)" in seen[0] and "results:" not in seen[0]
    assert "drawing the figures" in stderr and stdout.rstrip().endswith(
        str(workspace / "summary-first"))


def _record_figure(name: str, log: Path, fail_during_runs: bool, tables, path: Path) -> Path:
    """A stand-in figure whose file, and a line in `log`, say whether the folder's tables were
    written when it was drawn ("after" the runs) or not ("during"); `fail_during_runs`: it
    raises in the second case."""
    when = "after" if (path.parent.parent / "summary.csv").is_file() else "during"
    if fail_during_runs and when == "during":
        raise ValueError("a figure that fails while the runs run")
    with log.open("a", encoding="utf-8") as lines:  # forked figure processes append too
        lines.write(f"{name} {when}\n")
    path.write_text(when, encoding="utf-8")
    return path


@pytest.mark.parametrize("fail_during_runs", [False, True])
def test_cli_run_draws_the_scenario_figures_while_the_runs_run(workspace, tmp_path, monkeypatch,
                                                                fail_during_runs):
    """On two workers a figure that needs only the scenario is drawn before the tables are
    written, the others after, each once; one that fails then is drawn after the runs
    instead, and the run completes."""
    log = tmp_path / "figures.log"
    standins = tuple(figures.StandardFigure(
        functools.partial(_record_figure, figure.file(), log,
                          fail_during_runs and figure.scenario_only), figure.name,
        figure.scenario_only)
        for figure in figures.FIGURES)
    monkeypatch.setattr(figures, "FIGURES", standins)
    folder = tmp_path / "ahead"
    code, _, stderr = mc11("run", workspace / "small.yaml", "--runs", 6, "--workers", 2,
                           "--folder", folder, "--quiet", "--plots")
    assert code == 0, stderr
    assert read_manifest(folder)["status"] == "complete"
    drawn = dict(line.split() for line in log.read_text(encoding="utf-8").splitlines())
    assert len(drawn) == len(log.read_text(encoding="utf-8").splitlines()) == len(standins)
    ahead = {figure.file() for figure in standins if figure.scenario_only}
    assert ahead == {"positions.png"}
    for name, when in drawn.items():
        assert when == ("during" if name in ahead and not fail_during_runs else "after"), name
        assert (folder / "plots" / name).read_text(encoding="utf-8") == when


def test_cli_run_explains_the_summary_columns_under_the_table_not_under_the_words(
        workspace, monkeypatch):
    """The legend of `95% CI` (the runs' Monte Carlo error only), `text median` and `P(>=mid)`
    follows the table that has those columns; the list of texts in the scale's words below has
    its own heading."""
    stub_plots(monkeypatch)
    code, stdout, stderr = mc11("run", workspace / "small.yaml", "--runs", 3, "--workers", 1,
                                "--folder", workspace / "legend", "--quiet", "--no-plots")
    assert code == 0, stderr
    lines = stdout.splitlines()
    last_row = next(i for i, line in enumerate(lines) if line.split()[:1] == ["market_access"])
    assert lines[last_row + 1] == (
        "(95% CI: the Monte Carlo error of P(multi) from the number of runs alone, which more runs "
        "shrink; the verdict's range across the uncertain constants is `mc11 sensitivity`'s. "
        "text median: over the runs with an agreement of either kind (each kind's below where "
        "both are common; text_levels.csv has them all); P(>=mid): the share of runs whose "
        "agreed text reaches the scale's mid point, "
        "50; top blockers: the share of all runs in which each blocked consensus, '=' joining "
        "members at the same share, a bloc most of whose members blocked together named once, "
        "with how many of them)")
    assert "the median agreed text in the scale's words:" in lines


def test_cli_run_gives_each_kinds_median_text_where_both_kinds_of_deal_are_common(
        workspace, monkeypatch):
    """A pooled median between a multilateral and a plurilateral camp describes neither: where
    each kind of deal reaches a tenth of the runs, the words line gives each kind's median text
    and share as text_levels.csv has them, and elsewhere only the pooled one. The summary also
    names the protocol whose reading it is."""
    stub_plots(monkeypatch)
    folder = workspace / "kinds"
    code, stdout, stderr = mc11("run", SCENARIOS / "baseline.yaml", "--runs", 30, "--workers", 1,
                                "--seed", 7, "--folder", folder, "--quiet", "--no-plots")
    assert code == 0, stderr
    assert "These shares are the compromise protocol's reading of the preferences, not " \
           "calibrated probabilities" in stdout
    levels = pd.read_csv(folder / "text_levels.csv").set_index(["issue", "outcome"])
    words = {line.split(":")[0].strip(): line for line in stdout.splitlines()
             if line.startswith("  ")}
    both = 0
    for issue, line in words.items():
        shares = {kind: levels["n_runs"].get((issue, kind), 0) / 30
                  for kind in ("multilateral", "plurilateral")}
        if min(shares.values()) >= 0.1:
            both += 1
            assert line.endswith(" (" + "; ".join(
                f"{kind} {levels.loc[(issue, kind), 'text_median']:.0f} in {share:.2f} of runs"
                for kind, share in shares.items()) + ")"), line
        else:
            assert "of runs)" not in line, line
    assert both >= 1  # the mandate splits in the baseline


def test_cli_run_says_what_the_number_after_each_top_blocker_is(workspace, monkeypatch):
    """`IND 0.20` in the summary's top blockers is the share of all runs in which India blocked
    (blockers.csv's `share`), not of the runs without consensus: the legend under the table says
    so, and the number on the screen is that share."""
    stub_plots(monkeypatch)
    folder = workspace / "blockers-legend"
    code, stdout, stderr = mc11("run", SCENARIOS / "baseline.yaml", "--runs", 20, "--workers", 1,
                                "--seed", 7, "--folder", folder, "--quiet", "--no-plots")
    assert code == 0, stderr
    legend = next(line for line in stdout.splitlines() if line.startswith("(95% CI:"))
    assert "top blockers: the share of all runs in which each blocked consensus" in legend
    shares = pd.read_csv(folder / "blockers.csv")
    classification = shares[shares["issue"] == "classification"].set_index("member")["share"]
    row = next(line for line in stdout.splitlines() if line.split()[:1] == ["classification"])
    label, share = re.search(r"([A-Z]{3}(?:=[A-Z]{3})*) (\d\.\d+)", row).groups()
    assert classification.idxmax() in label.split("=")
    assert abs(float(share) - classification.max()) < 0.005


def test_cli_run_shows_a_dash_for_the_text_median_of_an_issue_no_run_agreed(workspace,
                                                                          monkeypatch):
    """No agreement in any run, no median text: a "-" (every table on the screen shows a
    missing value so), not a blank that shifts the row's later columns under the wrong
    headings when read by whitespace."""
    stub_plots(monkeypatch)
    code, stdout, stderr = mc11("run", SCENARIOS / "baseline.yaml", "--runs", 3, "--workers", 1,
                                "--folder", workspace / "dash", "--quiet", "--no-plots")
    assert code == 0, stderr
    summary = pd.read_csv(workspace / "dash" / "summary.csv")
    unagreed = summary.loc[summary["p_none"] == 1, "issue"].tolist()
    assert unagreed, "the seed's three runs agreed every issue somewhere: pick another"
    rows = {line.split()[0]: line.split() for line in stdout.splitlines()
            if line.split()[:1] and line.split()[0] in set(summary["issue"])}
    for issue in unagreed:
        assert rows[issue][4:7] == ["1.00", "-", "0.00"], rows[issue]


@pytest.mark.parametrize("command", ["plot", "compare", "explain"])
def test_a_sweep_folder_given_for_a_run_folder_is_named_as_one(tmp_path, command):
    """`mc11 plot` (compare, explain) on a sweep's folder: said what it is and where its
    results are, not only that it lacks run.json."""
    folder = tmp_path / "baseline-grid-1"
    folder.mkdir()
    (folder / "design.json").write_text("{}\n", encoding="utf-8")
    argv = {"plot": (folder,), "compare": (folder, folder),
            "explain": (folder, "--issue", "mandate")}[command]
    code, _, stderr = mc11(command, *argv)
    assert code == 2 and "Traceback" not in stderr
    assert "a design folder of `mc11 sweep` or `sensitivity`" in stderr
    assert f"--folder {folder}" in stderr


def test_old_spellings_still_work_and_say_what_replaces_them(tmp_path):
    """`simulate --scenario FILE` and `run --out DIR` (before the scenario became every command's
    first argument and --out a file everywhere) still run, with a deprecation message."""
    code, stdout, stderr = mc11("simulate", "--scenario", SCENARIOS / "exchange_protocol.yaml",
                                "--seed", 3, "--protocol", "compromise", "--format", "csv")
    assert code == 0 and stdout.startswith("issue,outcome")
    assert "exchange_protocol, seed 3" in stderr
    assert "--scenario is deprecated; use the scenario file as first argument" in stderr
    out = tmp_path / "old"
    code, _, stderr = mc11("run", BASELINE, "--runs", 2, "--out", out, "--quiet", "--no-plots")
    assert code == 0, stderr
    assert "--out is deprecated; use --folder" in stderr
    assert read_manifest(out)["status"] == "complete"


# --- mutation testing, sixth round (docs/mutation_testing.md) -----------------------------


def _shown_change(change: float) -> str:
    """A change as `mc11 compare` prints it: two decimals with a sign, -<0.01 or +<0.01 for a
    small one, 0.00 for none."""
    text = f"{change:+.2f}"
    return "0.00" if change == 0 else f"{text[0]}<0.01" if float(text) == 0 else text


def test_cli_compare_prints_the_change_from_the_first_folder_to_the_second(cli_runs, complete):
    """Each change is the second folder's probability less the first's (the CSV's, read from
    their summary.csv), printed with its interval low to high, P(text>=mid)'s change and the
    median agreed text first -> second."""
    first, second = cli_runs[1][0], complete[0].folder
    code, stdout, stderr = mc11("compare", first, second, "--format", "csv")
    assert code == 0, stderr
    table = pd.read_csv(io.StringIO(stdout)).set_index("issue")
    a = pd.read_csv(first / "summary.csv").set_index("issue").reindex(table.index)
    b = pd.read_csv(second / "summary.csv").set_index("issue").reindex(table.index)
    for name in ("multilateral", "plurilateral", "none", "text_mid"):
        change = b[f"p_{name}"] - a[f"p_{name}"]
        pd.testing.assert_series_equal(table[f"diff_{name}"], change, check_names=False,
                                       atol=1e-12)
        assert (table[f"diff_{name}_low"] <= change + 1e-12).all()
        assert (change <= table[f"diff_{name}_high"] + 1e-12).all()
    assert (table["diff_text_mid"] != table["diff_text_high"]).any()  # the printout can tell
    assert (a["text_median"].fillna(-1) != b["text_median"].fillna(-1)).any()
    code, stdout, stderr = mc11("compare", first, second)
    assert code == 0, stderr
    lines = stdout.splitlines()
    assert lines[0].startswith(f"change from baseline ({first}) to small ({second})")
    assert [line.split()[0] for line in lines[2:]] == list(table.index)

    def shown(v: float) -> str:
        return "-" if v != v else f"{v:.0f}"

    for line, (issue, row) in zip(lines[2:], table.iterrows(), strict=True):
        for name in ("multilateral", "plurilateral", "none", "text_mid"):
            flag = "*" if row[f"diff_{name}_excludes_zero"] else ""
            diff, low, high = (_shown_change(row[f"diff_{name}{part}"])
                               for part in ("", "_low", "_high"))
            cell = f"{diff} [{low}, {high}]{flag}"
            assert cell in line, (issue, name, cell, line)
        assert line.rstrip().endswith(f"{shown(a.loc[issue, 'text_median'])} -> "
                                      f"{shown(b.loc[issue, 'text_median'])}"), line


def _paired_counts(first: Path, second: Path, name: str) -> pd.DataFrame:
    """Per issue, the runs of two folders (paired by run number) in which `name` happened in
    both, the first only, the second only and neither (an outcome, or `text_mid`: an agreed
    text at the scale's middle point or beyond)."""
    a, b = (pd.read_parquet(folder / "outcomes.parquet") for folder in (first, second))
    runs = a.merge(b, on=["run", "issue"], suffixes=("_a", "_b"))

    def happened(side: str) -> pd.Series:
        if name == "text_mid":
            return (runs[f"outcome_{side}"] != "none") & (runs[f"text_{side}"] >= 50)
        return runs[f"outcome_{side}"] == name

    in_a, in_b = happened("a"), happened("b")
    return pd.DataFrame({"both": in_a & in_b, "first": in_a & ~in_b, "second": ~in_a & in_b,
                         "neither": ~in_a & ~in_b}).groupby(runs["issue"]).sum()


def test_cli_compare_pairs_the_runs_of_folders_of_one_seed_and_run_count(cli_runs, complete,
                                                                          tmp_path):
    """Folders of the same seed and run count drew the same random numbers run by run: their
    changes get the paired interval of the runs' outcomes, counted pair by pair, and the heading
    says so; a folder of another seed, or one whose outcomes.parquet is gone, gets the
    independent samples' interval."""
    from simulation.report.summary import newcombe_interval, paired_newcombe_interval

    first, second = cli_runs[1][0], complete[0].folder
    code, stdout, stderr = mc11("compare", first, second, "--format", "csv")
    assert code == 0, stderr
    table = pd.read_csv(io.StringIO(stdout)).set_index("issue")
    assert table["paired"].all()
    for name in ("multilateral", "plurilateral", "none", "text_mid"):
        counts = _paired_counts(first, second, name).reindex(table.index)
        diff, low, high = paired_newcombe_interval(counts.to_numpy())
        np.testing.assert_allclose(table[f"diff_{name}"], diff, atol=1e-12)
        np.testing.assert_allclose(table[f"diff_{name}_low"], low, atol=1e-12)
        np.testing.assert_allclose(table[f"diff_{name}_high"], high, atol=1e-12)
    code, stdout, _ = mc11("compare", first, second)
    assert "runs paired (the same seed and run count" in stdout.splitlines()[0]

    other = tmp_path / "seed-8"
    code, _, stderr = mc11("run", BASELINE, "--runs", 6, "--seed", 8, "--folder", other,
                           "--quiet", "--no-plots")
    assert code == 0, stderr
    code, stdout, stderr = mc11("compare", first, other, "--format", "csv")
    assert code == 0, stderr
    table = pd.read_csv(io.StringIO(stdout)).set_index("issue")
    assert not table["paired"].any()
    a, b = (pd.read_csv(folder / "summary.csv").set_index("issue").reindex(table.index)
            for folder in (first, other))
    _, low, high = newcombe_interval(a["p_none"], a["p_none_low"], a["p_none_high"],
                                     b["p_none"], b["p_none_low"], b["p_none_high"])
    np.testing.assert_allclose(table["diff_none_low"], low, atol=1e-12)
    np.testing.assert_allclose(table["diff_none_high"], high, atol=1e-12)
    code, stdout, _ = mc11("compare", first, other)
    assert "runs taken as independent (folders of the same seed" in stdout.splitlines()[0]

    unpaired = tmp_path / "no-outcomes"  # outcomes.parquet deleted, say to save space
    shutil.copytree(second, unpaired)
    (unpaired / "outcomes.parquet").unlink()
    code, stdout, stderr = mc11("compare", first, unpaired, "--format", "csv")
    assert code == 0, stderr
    assert f"{unpaired} has no outcomes.parquet" in stderr
    assert not pd.read_csv(io.StringIO(stdout))["paired"].any()


def test_cli_compare_of_paired_folders_refuses_an_outcomes_table_missing_a_run(cli_runs,
                                                                               tmp_path):
    """The pairs are read from outcomes.parquet: one that lacks a run is damaged, an error
    naming the table and the command that rebuilds it."""
    folder = tmp_path / "damaged"
    shutil.copytree(cli_runs[2][0], folder)
    table = pd.read_parquet(folder / "outcomes.parquet")
    table[table["run"] != 3].to_parquet(folder / "outcomes.parquet")
    code, _, stderr = mc11("compare", cli_runs[1][0], folder)
    assert code == 2, stderr
    assert "outcomes.parquet" in stderr and "--resume" in stderr and "Traceback" not in stderr


def test_cli_compare_side_by_side_shows_each_folders_own_probabilities(cli_runs, complete):
    """Each folder's column holds its own P(multilateral)/P(plurilateral)/P(none), as its
    summary.csv has them, not the reference's."""
    folders = [cli_runs[1][0], complete[0].folder, cli_runs[2][0]]
    code, stdout, stderr = mc11("compare", *folders)
    assert code == 0, stderr
    lines = stdout.splitlines()
    assert lines[1].split() == ["issue", *(folder.name for folder in folders)]
    summaries = [pd.read_csv(folder / "summary.csv").set_index("issue") for folder in folders]
    rows = lines[2:2 + len(summaries[0])]
    assert len({line.split()[2] for line in rows} - {line.split()[1] for line in rows}) > 0
    for line in rows:
        issue, *cells = line.split()
        assert cells == ["/".join(f"{s.loc[issue, f'p_{o}']:.2f}"
                                  for o in ("multilateral", "plurilateral", "none"))
                         for s in summaries], line


def test_cli_compare_plot_of_three_folders_draws_every_folder_compared(cli_runs, complete,
                                                                       monkeypatch):
    one, two, other = cli_runs[1][0], cli_runs[2][0], complete[0].folder
    saved = _saved_figures(monkeypatch)
    code, _, stderr = mc11("compare", one, two, other, "--plot", one.parent / "unused.png")
    assert code == 0, stderr
    legend = [text.get_text() for text in saved[0][0].legends[0].get_texts()]
    assert two.name in legend and other.name in legend
    assert one.name not in legend  # the reference is what the others are compared with


def test_cli_compare_plot_names_folders_of_different_scenarios_by_their_scenario(cli_runs,
                                                                                 complete,
                                                                                 monkeypatch):
    one, other = cli_runs[1][0], complete[0].folder
    saved = _saved_figures(monkeypatch)
    code, _, stderr = mc11("compare", one, other, "--plot", one.parent / "unused.png")
    assert code == 0, stderr
    texts = " ".join(text.get_text() for text in saved[0][0].findobj(Text)).replace("\n", " ")
    assert "small − baseline" in texts and other.name not in texts


def test_cli_compare_refuses_a_folder_with_more_issues_than_the_reference(cli_runs, complete,
                                                                          monkeypatch):
    """A folder of other issues (here the reference read without its first issue, as a folder
    of an older catalogue would be) is refused naming the issue, whichever of the two has it."""
    from simulation.cli import compare

    first, second = cli_runs[1][0], complete[0].folder
    load = compare.load_checked

    def fewer(folder):
        results = load(folder)
        if Path(folder) != first:
            return results
        return dataclasses.replace(results, summary=results.summary.iloc[1:])

    monkeypatch.setattr(compare, "load_checked", fewer)
    dropped = pd.read_csv(first / "summary.csv")["issue"].iloc[0]
    for folders in ((first, second), (second, first)):
        code, stdout, stderr = mc11("compare", *folders)
        assert code == 2 and stdout == "", stderr
        assert "its issues differ" in stderr and dropped in stderr
        assert "Traceback" not in stderr


@pytest.fixture(scope="module")
def without_china(workspace) -> Path:
    """`mc11 run` of the baseline without China, of the seed and run count of `cli_runs` (so
    that their runs pair up): China, a frequent blocker of market access, blocks nothing."""
    scenario = workspace / "without_china.yaml"
    scenario.write_text("extends: baseline.yaml\nname: without_china\n"
                        "participants: {exclude: [CHN]}\n", encoding="utf-8")
    folder = workspace / "without-china"
    code, _, stderr = mc11("run", scenario, "--runs", 6, "--seed", 7, "--workers", 1,
                           "--folder", folder, "--quiet")
    assert code == 0, stderr
    return folder


def _blocking_runs(folder: Path) -> dict[tuple[str, str], set[int]]:
    """Per issue and member, the runs of a folder in which the member blocked the issue, as its
    outcomes.parquet lists them."""
    runs: dict[tuple[str, str], set[int]] = {}
    table = pd.read_parquet(folder / "outcomes.parquet")
    for run, issue, blockers in table[["run", "issue", "blockers"]].itertuples(index=False):
        for member in filter(None, (blockers or "").split(";")):
            runs.setdefault((issue, member), set()).add(run)
    return runs


BLOCKER_COLUMNS = ["issue", "member", "n_runs_a", "n_runs_b", "count_a", "count_b", "share_a",
                   "share_b", "diff", "diff_low", "diff_high", "diff_excludes_zero", "paired"]


def test_cli_compare_blockers_pairs_the_runs_member_by_member(cli_runs, without_china):
    """Folders of one seed and run count: each member's change in blocking share has the paired
    interval of its runs, counted pair by pair from the two outcomes.parquet; China, blocking
    market access in most runs of the baseline and in none without it, falls with an interval
    that excludes 0, flagged on the screen."""
    from simulation.report.summary import paired_newcombe_interval, share_label

    first = cli_runs[1][0]
    code, stdout, stderr = mc11("compare", first, without_china, "--blockers", "--format", "csv")
    assert code == 0, stderr
    table = pd.read_csv(io.StringIO(stdout))
    assert list(table.columns) == BLOCKER_COLUMNS and table["paired"].all()
    before, after = _blocking_runs(first), _blocking_runs(without_china)
    assert set(zip(table["issue"], table["member"], strict=True)) == set(before) | set(after)
    for row in table.itertuples():
        a, b = before.get((row.issue, row.member), set()), after.get((row.issue, row.member), set())
        counts = np.array([len(a & b), len(a - b), len(b - a), 6 - len(a | b)])
        assert (row.count_a, row.count_b, row.n_runs_a) == (len(a), len(b), 6)
        assert (row.diff, row.diff_low, row.diff_high) == pytest.approx(
            paired_newcombe_interval(counts), abs=1e-12)
    china = table[(table["issue"] == "market_access") & (table["member"] == "CHN")].iloc[0]
    assert china["count_a"] >= 4 and china["count_b"] == 0  # this seed's runs
    assert china["diff_high"] < 0 and china["diff_excludes_zero"]
    code, stdout, stderr = mc11("compare", first, without_china, "--blockers")
    assert code == 0, stderr
    lines = stdout.splitlines()
    assert lines[0].startswith(f"change in blocking shares from baseline ({first}) to "
                               f"without_china ({without_china}); * = 95% interval excludes 0, "
                               "runs paired (the same seed and run count")
    row = next(line for line in lines if line.split()[:2] == ["market_access", "CHN"])
    assert f" {share_label(china['share_a'])} -> 0.00 " in row and row.endswith("*")


def test_compare_blockers_names_a_bloc_only_where_every_folder_has_it_with_its_members():
    """`compare --blockers` named the African Group on a row of a folder whose scenario replaced
    its stance without `bloc: true` (no bloc there), taking the first folder's blocs; a bloc is
    named only where it is one, of the same members, in every folder compared."""
    from types import SimpleNamespace

    from simulation.report.figures import bloc_members
    from simulation.report.summary import common_blocs

    def _blocs(pair):  # the blocs two folders' scenarios share
        first, other = (bloc_members(f.scenario, f.scenario.negotiation()) for f in pair)
        return common_blocs(first, other)

    stance = {"id": "african_group", "name": "African Group", "source": "x",
              "applies_to": {"group": "african_group"}, "stances": []}
    base = SimpleNamespace(scenario=scenario_from_mapping({"name": "b"}))
    no_bloc = SimpleNamespace(scenario=scenario_from_mapping(
        {"name": "n", "group_stances": [stance]}))
    fewer = SimpleNamespace(scenario=scenario_from_mapping(
        {"name": "f", "participants": {"exclude": ["NGA"]}}))
    assert len(_blocs((base, base))["African Group"]) == 44
    assert _blocs((base, no_bloc)) == _blocs((no_bloc, base)) == {}
    assert _blocs((base, fewer)) == {}


def test_cli_compare_blockers_of_runs_that_do_not_pair_takes_them_as_independent(
        cli_runs, without_china, tmp_path):
    """Without the outcomes.parquet the pairs are read from, the blockers.csv of each folder
    give Newcombe's interval for independent samples, from each share's Wilson bounds."""
    from simulation.report.summary import newcombe_interval, wilson_interval

    first = cli_runs[1][0]
    unpaired = tmp_path / "no-outcomes"
    shutil.copytree(without_china, unpaired)
    (unpaired / "outcomes.parquet").unlink()
    code, stdout, stderr = mc11("compare", first, unpaired, "--blockers", "--format", "csv")
    assert code == 0, stderr
    assert f"{unpaired} has no outcomes.parquet" in stderr
    table = pd.read_csv(io.StringIO(stdout))
    assert not table["paired"].any()
    key = ["issue", "member"]
    counts = table[key].merge(pd.read_csv(first / "blockers.csv"), how="left", on=key).merge(
        pd.read_csv(unpaired / "blockers.csv"), how="left", on=key, suffixes=("_a", "_b"))
    a, b = (counts[f"count_{side}"].fillna(0).to_numpy() for side in ("a", "b"))
    diff, low, high = newcombe_interval(a / 6, *wilson_interval(a, 6), b / 6,
                                        *wilson_interval(b, 6))
    np.testing.assert_allclose(table[["diff", "diff_low", "diff_high"]].to_numpy(),
                               np.column_stack([diff, low, high]), atol=1e-12)
    china = table[(table["issue"] == "market_access") & (table["member"] == "CHN")].iloc[0]
    assert china["diff_excludes_zero"]
    code, stdout, _ = mc11("compare", first, unpaired, "--blockers")
    assert "runs taken as independent" in stdout.splitlines()[0]


def test_cli_compare_blockers_of_chosen_issues_shows_only_those(cli_runs, without_china):
    first = cli_runs[1][0]
    code, stdout, stderr = mc11("compare", first, without_china, "--blockers", "--issue",
                                "market_access", "--issue", "mandate", "--format", "csv")
    assert code == 0, stderr
    table = pd.read_csv(io.StringIO(stdout))
    assert list(dict.fromkeys(table["issue"])) == ["mandate", "market_access"]  # folders' order
    whole = pd.read_csv(io.StringIO(mc11("compare", first, without_china, "--blockers",
                                         "--format", "csv")[1]))
    pd.testing.assert_frame_equal(table, whole[whole["issue"].isin(["mandate", "market_access"])]
                                  .reset_index(drop=True))
    code, stdout, stderr = mc11("compare", first, without_china, "--blockers", "--issue",
                                "market_access")
    assert code == 0, stderr
    rows = [line.split()[0] for line in stdout.splitlines()[3:]]
    assert rows and set(rows) == {"market_access"}
    code, stdout, stderr = mc11("compare", first, without_china, "--blockers", "--issue",
                                "mandat")
    assert code == 2 and stdout == ""
    assert "--issue: unknown issue 'mandat' (did you mean 'mandate'?)" in stderr


def test_cli_compare_blockers_shows_the_largest_changes_and_lists_every_member_in_csv(
        cli_runs, without_china, tmp_path):
    """The screen shows per issue the largest changes (5, or --top), the CSV every member that
    blocked in either folder with its shares as blockers.csv has them; three folders stack
    their comparisons with the first, each row naming its reference and scenario."""
    first = cli_runs[1][0]
    out = tmp_path / "blockers.csv"
    code, _, stderr = mc11("compare", first, without_china, "--blockers", "--format", "csv",
                           "--out", out)
    assert code == 0, stderr
    table = pd.read_csv(out)
    assert list(table.columns) == BLOCKER_COLUMNS
    for side, folder in (("a", first), ("b", without_china)):
        listed = pd.read_csv(folder / "blockers.csv")
        shares = table.merge(listed, on=["issue", "member"], how="left")["share"].fillna(0)
        np.testing.assert_allclose(table[f"share_{side}"], shares, atol=1e-12)
        assert len(listed) == (table[f"count_{side}"] > 0).sum()
    changed = table[table["diff"] != 0]
    largest = changed["diff"].abs().groupby(changed["issue"]).max()
    for top in (1, 5):
        code, stdout, stderr = mc11("compare", first, without_china, "--blockers",
                                    *(["--top", top] if top == 1 else []))
        assert code == 0, stderr
        assert f"per issue the {top} largest changes" in stdout.splitlines()[1]
        rows = [line.split() for line in stdout.splitlines()[3:] if line.split()[0] in
                set(table["issue"])]
        shown = pd.Series([row[0] for row in rows]).value_counts()
        assert shown.max() <= top and set(shown.index) == set(changed["issue"])
        if top == 1:  # each issue's largest change, either way (the change is the third last)
            for row in rows:
                assert abs(float(row[-3])) == pytest.approx(largest[row[0]], abs=0.005), row
    same = cli_runs[2][0]  # the baseline's runs again: no member's share changes
    code, stdout, stderr = mc11("compare", first, without_china, same, "--blockers",
                                "--format", "csv")
    assert code == 0, stderr
    stacked = pd.read_csv(io.StringIO(stdout))
    assert list(stacked.columns) == ["reference", "scenario", *BLOCKER_COLUMNS]
    assert list(dict.fromkeys(stacked["scenario"])) == [without_china.name, same.name]
    assert set(stacked["reference"]) == {first.name}
    pd.testing.assert_frame_equal(stacked[stacked["scenario"] == without_china.name]
                                  .iloc[:, 2:].reset_index(drop=True), table)
    assert (stacked[stacked["scenario"] == same.name]["diff"] == 0).all()


def test_cli_compare_blockers_of_identical_runs_shows_no_change(cli_runs, tmp_path):
    """Two folders of the same runs: no row, every issue named as unchanged; a file written
    with --out holds the table's heading, not pandas' "Empty DataFrame"."""
    one, two = cli_runs[1][0], cli_runs[2][0]
    code, stdout, stderr = mc11("compare", one, two, "--blockers")
    assert code == 0, stderr
    lines = stdout.splitlines()
    issues = pd.read_csv(one / "summary.csv")["issue"].tolist()
    assert len(lines) == 3
    assert lines[2] == f"no member's blocking share changed on: {', '.join(issues)}"
    out = tmp_path / "none.txt"
    code, _, stderr = mc11("compare", one, two, "--blockers", "--out", out)
    assert code == 0, stderr
    assert out.read_text(encoding="utf-8") == "issue blocker share change\n"


def test_cli_compare_blockers_refuses_what_it_cannot_show(cli_runs, tmp_path):
    """--top counts blockers: refused without --blockers; the figure draws outcome changes:
    refused with it."""
    one, two = cli_runs[1][0], cli_runs[2][0]
    code, stdout, stderr = mc11("compare", one, two, "--top", 3)
    # the option, not its value where a file's name goes (it said `error: 3: --top: ...`)
    assert code == 2 and stdout == "" and stderr == (
        "mc11: error: --top: 3 counts the blockers shown per issue, which only --blockers "
        "shows; give it with --blockers\n")
    code, stdout, stderr = mc11("compare", one, two, "--blockers", "--plot", tmp_path / "b.png")
    assert code == 2 and stdout == "" and "draw it without --blockers" in stderr
    assert not (tmp_path / "b.png").exists()


def test_compare_blockers_names_a_bloc_whose_members_changed_alike_once():
    """Members whose rows read alike share one; a bloc two thirds or more of whose members are
    among them is named once, as in summary.csv's top blockers."""
    from simulation.report.summary import compare_blockers, largest_blocker_changes

    members = ["AGO", "BEN", "KEN", "NGA", "ZAF", "IND", "BRA"]
    counts_a = [30, 30, 30, 30, 10, 20, 5]
    counts_b = [10, 10, 10, 10, 10, 0, 5]
    blockers = [pd.DataFrame({"issue": "mandate", "member": members, "count": counts})
                for counts in (counts_a, counts_b)]
    summaries = [pd.DataFrame({"n_runs": [40]}, index=pd.Index(["mandate"], name="issue"))] * 2
    table = compare_blockers(*summaries, *blockers)
    bloc = {"African Group": ["AGO", "BEN", "KEN", "NGA", "ZAF"]}
    view = largest_blocker_changes(table, bloc, 5)
    assert view["blocker"].tolist() == ["African Group (4 of 5)", "IND"]  # ZAF, BRA: no change
    assert view["share"].tolist() == ["0.75 -> 0.25", "0.50 -> 0.00"]
    assert all(change.endswith("*") for change in view["change"])
    assert largest_blocker_changes(table, {}, 1)["blocker"].tolist() == ["AGO=BEN=KEN=NGA"]


def test_run_outcomes_of_other_issues_are_refused_as_the_argument_not_the_table(complete):
    """A misspelt issue, some of the issues or one issue given as text read the table against
    them and called it damaged, with `mc11 run --resume` to rebuild a table that was fine."""
    loaded = results.load_results(complete[0].folder)
    issues = loaded.scenario.catalogue.issue_ids
    for wrong in (["data_flow", *issues[1:]], issues[:3], [*issues, issues[0]]):
        with pytest.raises(ValueError, match="run_outcomes takes the folder's issues, each "
                           "once") as error:
            loaded.run_outcomes(wrong)
        assert "damaged" not in str(error.value)
    with pytest.raises(TypeError, match="takes a list of the folder's issues, not str"):
        loaded.run_outcomes("data_flows")
    shuffled = issues[::-1]
    (outcome, _), = loaded.run_outcomes(shuffled)
    (forward, _), = loaded.run_outcomes(issues)
    assert (outcome == forward[:, ::-1]).all()


def test_a_results_object_whose_folder_is_gone_says_so(complete, tmp_path):
    """Not "the table is missing or damaged" with a resume of a folder that is not there."""
    gone = tmp_path / "gone"
    shutil.copytree(complete[0].folder, gone)
    loaded = results.load_results(gone)
    shutil.rmtree(gone)
    for read in (lambda: loaded.outcomes, lambda: list(loaded.run_outcomes(
            loaded.scenario.catalogue.issue_ids))):
        with pytest.raises(InputError, match="the folder is gone") as error:
            read()
        assert "--resume" not in str(error.value)
    assert len(loaded.summary) == len(loaded.scenario.catalogue.issue_ids)  # kept in memory


def test_run_outcomes_come_in_the_same_blocks_whatever_the_files_row_groups(cli_runs, tmp_path,
                                                                            monkeypatch):
    """Pairs are read block by block from two folders: a table written in odd row groups, its
    issues dictionary-encoded (pyarrow then cuts batches at row groups), gives the same blocks
    of the same runs as mc11's own, so the two can be paired."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    monkeypatch.setattr(results, "RUNS_AT_A_TIME", 4)
    first = cli_runs[1][0]
    other = tmp_path / "regrouped"
    shutil.copytree(first, other)
    table = pq.read_table(other / "outcomes.parquet")
    column = table.schema.get_field_index("issue")
    table = table.set_column(column, "issue", pa.compute.dictionary_encode(table.column("issue")))
    pq.write_table(table, other / "outcomes.parquet", row_group_size=7)
    loaded = [results.load_results(folder) for folder in (first, other)]
    issues = loaded[0].summary["issue"].astype(str).tolist()
    blocks = [list(folder.run_outcomes(issues)) for folder in loaded]
    assert [o.shape for o, _ in blocks[0]] == [o.shape for o, _ in blocks[1]] == \
        [(4, len(issues)), (2, len(issues))]
    for (outcome_a, text_a), (outcome_b, text_b) in zip(*blocks, strict=True):
        assert (outcome_a == outcome_b).all()
        np.testing.assert_array_equal(text_a, text_b)
    stored = pd.read_parquet(first / "outcomes.parquet")
    mandate = stored[stored["issue"] == issues[0]].sort_values("run")["text"].to_numpy()
    np.testing.assert_array_equal(np.concatenate([t for _, t in blocks[0]])[:, 0], mandate)
    lists = [list(folder.run_blockers(issues)) for folder in loaded]  # the same blocks of runs
    assert [block.shape for block in lists[0]] == [block.shape for block in lists[1]] == \
        [(4, len(issues)), (2, len(issues))]
    blockers = stored[stored["issue"] == issues[0]].sort_values("run")["blockers"].fillna("")
    for block_a, block_b in zip(*lists, strict=True):
        assert (block_a == block_b).all()
    assert np.concatenate(lists[0])[:, 0].tolist() == blockers.tolist()


@pytest.mark.parametrize(("field", "value", "sound"), [
    ("runs", 10_000_000, True), ("seed", 2**63 - 1, True), ("seed", 0, True),
    ("runs", 10_000_001, False), ("seed", -1, False), ("chunk_size", 0, False)])
def test_run_jsons_counts_are_sound_to_the_ends_of_their_ranges(complete, tmp_path, field,
                                                               value, sound):
    """A scenario may hold 10,000,000 replications and a seed up to 2**63 - 1: a folder that
    records them is read; beyond them its run.json is damaged, the range named."""
    folder = tmp_path / "run"
    shutil.copytree(complete[0].folder, folder)
    (folder / "run.json").write_text(json.dumps({**read_manifest(folder), field: value}),
                                     encoding="utf-8")
    if sound:
        assert results.read_folder(folder)[0][field] == value
        return
    low, high = {"runs": (1, 10_000_000), "seed": (0, 2**63 - 1),
                 "chunk_size": (1, 10_000_000)}[field]
    with pytest.raises(InputError, match=f"damaged \\({field} is {value}; a results folder's "
                       f"run.json has {field} as a whole number from {low:,} to {high:,}\\)"):
        results.read_folder(folder)


def test_json_output_writes_each_float_as_the_csv_does(capsys):
    """`--format json` rounded every float to 10 decimals (pandas' default: -0.0622733042),
    where the README calls csv and json unrounded: each JSON number reads back as the CSV's
    float, a missing value is null and the other columns are as pandas writes them."""
    from simulation.cli.common import emit

    frame = pd.DataFrame({"issue": ["a/b", "c", "d"],
                          "diff": [-0.06227330421234568, 1 / 3 * 1e-9, np.nan],
                          "runs": [1, 2, 3], "paired": [True, False, True]})
    emit(frame, "csv", None)
    csv = pd.read_csv(io.StringIO(capsys.readouterr().out))
    emit(frame, "json", None)
    records = json.loads(capsys.readouterr().out)
    assert [record["diff"] for record in records[:2]] == csv["diff"].tolist()[:2] \
        == frame["diff"].tolist()[:2]
    assert records[2] == {"issue": "d", "diff": None, "runs": 3, "paired": True}
    assert records[0]["issue"] == "a/b"
    # a float among texts, and a float32 column, as the CSV writes them too
    mixed = pd.DataFrame({"value": ["x", 0.12345678901234], "share": np.float32([0.1, 0.25])})
    emit(mixed, "json", None)
    assert json.loads(capsys.readouterr().out) == [{"value": "x", "share": 0.1},
                                                   {"value": 0.12345678901234, "share": 0.25}]


def test_a_design_folder_given_for_a_runs_results_says_what_it_is_and_if_it_is_complete(
        tmp_path):
    """`compare` and `explain` given a finished sweep's folder said to complete it with the
    same command and --folder: a complete design folder is named as a sweep's (or a sensitivity
    analysis's) whose tables are its results; only one with points left is told to complete."""
    from simulation.runs.sweep import point_path

    folder = tmp_path / "sw"
    point_path(folder, 0).parent.mkdir(parents=True)
    (folder / "design.json").write_text(json.dumps({"kind": "grid", "points": [[1.0], [2.0]]}))
    point_path(folder, 0).write_text("{}")
    with pytest.raises(InputError) as partial:
        results.read_folder(folder)
    assert "a design folder of `mc11 sweep`, whose sweep.csv and plots/ are its results; 1 of " \
        f"its 2 points are still to run: complete it with the same command and --folder " \
        f"{folder}" in partial.value.problem
    point_path(folder, 1).write_text("{}")
    with pytest.raises(InputError) as complete:
        results.read_folder(folder)
    assert "complete it" not in complete.value.problem
    assert complete.value.problem.endswith("a design folder of `mc11 sweep`, whose sweep.csv and "
                                           "plots/ are its results; `mc11 plot`, `compare` or "
                                           "`explain` takes a run's results folder, as `mc11 run "
                                           "SCENARIO` writes")
    (folder / "design.json").write_text(json.dumps({"kind": "sobol", "points": [[1.0], [2.0]]}))
    with pytest.raises(InputError) as sensitivity:
        results.read_folder(folder)
    assert "`mc11 sensitivity`, whose sensitivity.csv, points.csv" in sensitivity.value.problem
    (folder / "design.json").write_text(json.dumps({"kind": ["grid"], "points": [[1.0]]}))
    with pytest.raises(InputError) as damaged:  # a kind no design has: named as either
        results.read_folder(folder)
    assert "a design folder of `mc11 sweep` or `sensitivity`" in damaged.value.problem

"""Tests of sweeps and sensitivity designs (simulation.runs.design, sweep, sensitivity, cluster):
a constant that alone decides an issue gets a total index near 1 and a dummy near 0; the three
backends (in-process, a local Dask cluster, a separate scheduler process) give equal tables; an
interrupted design resumes to the uninterrupted one; bad input is an InputError."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
import shlex
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from simulation.cli import main
from simulation.errors import InputError, Interrupted
from simulation.inputs.scenario import scenario_from_mapping
from simulation.outcomes import MULTILATERAL, NO_AGREEMENT, PLURILATERAL
from simulation.runs import cluster, design, sensitivity, sweep

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = "parameters.consensus.base_tolerance"
DUMMY = "parameters.bargaining.overall_rate"
NOBODY_ENGAGES = {kind: {"attention": 0.0} for kind in (
    "forum", "mini_ministerial", "general_council", "dedicated_discussion", "quiet", "ministerial")}


@pytest.fixture(scope="module")
def decided():
    """Nobody engages in any month and preferences are not sampled, so nothing moves and the
    verdicts follow from the consensus rule alone: the bargaining rate is a dummy, and the
    tolerance alone decides whether an issue is agreed."""
    return scenario_from_mapping({
        "name": "decided", "calendar_levels": NOBODY_ENGAGES,
        "parameters": {"sample_uncertainty": False,
                       "coalitions": {"bloc_discipline": 1.0},
                       "consensus": {"base_tolerance": {"uniform": [0, 60]}},
                       "bargaining": {"overall_rate": {"uniform": [0, 0.1]}}}})


def run(plan, scenario, folder: Path, client=None) -> pd.DataFrame:
    folder = sweep.open_folder(plan, scenario, folder, folder.parent)
    sweep.execute_design(folder, plan, scenario, client)
    return sweep.point_table(folder, plan, scenario.catalogue.issue_ids)


@settings(max_examples=200)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=12),
                  elements=st.one_of(st.just(np.nan), st.sampled_from([0.0, 50.0, 100.0]),
                                     st.floats(0, 100))),
       st.lists(st.floats(0, 1), min_size=1, max_size=4))
def test_a_design_points_text_quantiles_are_numpys_to_the_bit(values, quantiles):
    """Ties, NaN (a run without agreement), columns without any value: as nanquantile."""
    found = sweep.column_quantiles(values, quantiles)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nanquantile of an all-NaN column
        for row, q in zip(found, quantiles, strict=True):
            assert np.array_equal(row, np.nanquantile(values, q, axis=0), equal_nan=True)


def test_a_constant_that_alone_decides_an_issue_gets_a_total_index_near_one(decided, tmp_path):
    plan = design.sensitivity_design("sobol", decided.priors, 128, 1, 1, decided.input_hash())
    points = run(plan, decided, tmp_path / "sobol")
    indices = sensitivity.analyse(points, plan, decided.priors)
    total = indices[(indices["verdict"] == "p_multilateral") & (indices["index"] == "ST")]
    varied = total[total["variance"] > 0.05]
    assert len(varied) > 0  # some issue's verdict turns on the tolerance
    by = varied.pivot(index="issue", columns="parameter", values="value")
    assert (by[TOLERANCE] - 1).abs().max() < 0.15  # Saltelli's estimator of 1, 128 samples
    assert (by[DUMMY] == 0).all()  # the dummy changes no run at all


def test_morris_screens_out_the_dummy(decided, tmp_path):
    plan = design.sensitivity_design("morris", decided.priors, 6, 2, 1, decided.input_hash())
    indices = sensitivity.analyse(run(plan, decided, tmp_path / "morris"), plan, decided.priors)
    mu = indices[(indices["verdict"] == "p_multilateral") & (indices["index"] == "mu_star")
                 & (indices["variance"] > 0.05)]
    by = mu.pivot(index="issue", columns="parameter", values="value")
    assert (by[TOLERANCE] > 0.1).all()
    assert (by[DUMMY] == 0).all()


@pytest.fixture(scope="module")
def small_sweep():
    scenario = scenario_from_mapping({
        "name": "small", "parameters": {"consensus": {"min_step": {"uniform": [5, 15]}}}})
    settings = design.parse_settings([f"{TOLERANCE}=5,25"])
    return scenario, design.grid(settings, 6, 3, scenario.input_hash())


def test_in_process_and_a_local_cluster_give_equal_tables(small_sweep, tmp_path):
    scenario, plan = small_sweep
    here = run(plan, scenario, tmp_path / "here")
    with cluster.backend(cluster.LOCAL, workers=2) as client:
        local = run(plan, scenario, tmp_path / "local", client)
    pd.testing.assert_frame_equal(here, local, check_exact=True)
    assert here[TOLERANCE].tolist() == [5.0] * 25 + [25.0] * 25


def test_a_design_of_more_points_than_the_cluster_holds_at_once_runs_each_point_once(
        small_sweep, tmp_path, monkeypatch):
    """Points beyond the first few in flight are submitted as others finish: on a local
    cluster of the one worker asked for, holding one point at a time, each point of a
    five-point grid runs once, with the results it has in this process."""
    scenario, _ = small_sweep
    plan = design.grid(design.parse_settings([f"{TOLERANCE}=5,10,15,20,25"]), 2, 3,
                       scenario.input_hash())
    monkeypatch.setattr(sweep, "IN_FLIGHT_PER_WORKER", 1)
    saved: list[int] = []
    with cluster.backend(cluster.LOCAL, workers=1) as client:
        assert len(client.scheduler_info()["workers"]) == 1
        folder = sweep.open_folder(plan, scenario, tmp_path / "local", tmp_path)
        sweep.execute_design(folder, plan, scenario, client, on_point=saved.append)
    assert sorted(saved) == [0, 1, 2, 3, 4]
    pd.testing.assert_frame_equal(sweep.point_table(folder, plan, scenario.catalogue.issue_ids),
                                  run(plan, scenario, tmp_path / "here"), check_exact=True)


def test_a_scheduler_without_workers_is_estimated_on_one_and_the_design_stops_saying_so(
        tmp_path, monkeypatch, capsys):
    """`dask scheduler` up, no `dask worker` joined: the estimate's time and words are for one
    worker (the time cannot be for none), and the design stops once no worker joins within
    the connect timeout, with the command that completes it."""
    from dask.distributed import LocalCluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", "1s")
    folder = tmp_path / "design"
    with LocalCluster(n_workers=0, processes=True, dashboard_address=None,
                      silence_logs=logging.CRITICAL) as empty:
        code = main(["sweep", "scenarios/baseline.yaml", "--scheduler", empty.scheduler_address,
                     "--yes", "--set", f"{TOLERANCE}=5,25", "--runs-per-point", "500000",
                     "--no-plots", "--quiet", "--folder", str(folder)])
    error = capsys.readouterr().err
    assert code == 130 and "Traceback" not in error, error
    assert "(1,000,000 runs) take about" in error and "on 1 worker(s)" in error, error
    assert f"--folder {folder}" in error.splitlines()[-1]


def test_the_compile_notice_of_a_design_on_a_scheduler_names_its_workers_too(
        tmp_path, monkeypatch, capsys):
    """Before installing's first run, a design sent to a running scheduler says that this
    machine compiles the rules (its one replication here) and that the scheduler's workers
    compile them on their first runs; a design in this process names no scheduler."""
    from dask.distributed import LocalCluster

    monkeypatch.setattr("simulation.runs.ensemble.rules_need_compiling", lambda: True)
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", "1s")
    argv = ["sweep", "scenarios/baseline.yaml", "--yes", "--set", f"{TOLERANCE}=5,25",
            "--runs-per-point", "2", "--no-plots", "--quiet"]
    with LocalCluster(n_workers=0, processes=True, dashboard_address=None,
                      silence_logs=logging.CRITICAL) as empty:
        main([*argv, "--scheduler", empty.scheduler_address, "--folder", str(tmp_path / "a")])
    notice = next(line for line in capsys.readouterr().err.splitlines() if "compiling" in line)
    assert "for this machine first" in notice and \
        "the scheduler's workers compile them too, on their first runs" in notice, notice
    assert main([*argv, "--scheduler", "in-process", "--folder", str(tmp_path / "b")]) == 0
    notice = next(line for line in capsys.readouterr().err.splitlines() if "compiling" in line)
    assert "scheduler" not in notice, notice


def test_the_compile_notice_of_a_design_on_a_local_cluster_names_no_scheduler(
        tmp_path, monkeypatch, capsys):
    """A local Dask cluster's workers run on this machine, whose rules the design compiles
    (its one replication here first): the notice names no scheduler's workers."""

    @contextlib.contextmanager
    def here(scheduler, workers):  # no cluster started: the points run in this process
        yield None

    monkeypatch.setattr(cluster, "backend", here)
    monkeypatch.setattr("simulation.runs.ensemble.rules_need_compiling", lambda: True)
    code = main(["sweep", "scenarios/baseline.yaml", "--yes", "--set", f"{TOLERANCE}=5,25",
                 "--runs-per-point", "2", "--no-plots", "--quiet", "--workers", "1",
                 "--folder", str(tmp_path / "d")])
    notice = next(line for line in capsys.readouterr().err.splitlines() if "compiling" in line)
    assert code == 0
    assert "for this machine first" in notice and "scheduler" not in notice, notice


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow  # 9 s: the local cluster's test covers Dask by default
def test_a_separate_scheduler_process_gives_the_same_table(small_sweep, tmp_path):
    scenario, plan = small_sweep
    address = f"tcp://127.0.0.1:{_free_port()}"
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                                  "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                  "--no-dashboard"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                               "--nthreads", "1", "--nworkers", "1", "--no-dashboard"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from dask.distributed import Client

        with Client(address, timeout="30s") as probe:
            probe.wait_for_workers(1, timeout=60)
        with cluster.backend(address) as client:
            remote = run(plan, scenario, tmp_path / "remote", client)
    finally:
        for process in (worker, scheduler):
            process.terminate()
            process.wait(timeout=30)
    pd.testing.assert_frame_equal(run(plan, scenario, tmp_path / "here"), remote,
                                  check_exact=True)


def test_an_interrupted_design_resumes_to_the_uninterrupted_one(small_sweep, tmp_path):
    scenario, plan = small_sweep
    folder = sweep.open_folder(plan, scenario, tmp_path / "stopped", tmp_path)

    def stop_after_first(point: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(sweep.DesignInterrupted) as stopped:
        sweep.execute_design(folder, plan, scenario, on_point=stop_after_first)
    assert "--folder" in str(stopped.value)
    assert len(sweep.pending_points(folder, plan)) == 1
    done = {p.name: p.read_bytes() for p in (folder / sweep.POINTS).iterdir()}
    resumed = run(plan, scenario, folder)
    for name, content in done.items():  # what was computed is kept, not recomputed
        assert (folder / sweep.POINTS / name).read_bytes() == content
    pd.testing.assert_frame_equal(resumed, run(plan, scenario, tmp_path / "whole"),
                                  check_exact=True)


def test_ctrl_c_inside_a_compiled_rule_in_process_keeps_the_design_for_completing(
        tmp_path, capsys, monkeypatch):
    """In-process, Ctrl-C inside a compiled rule surfaces as numba's SystemError with the
    KeyboardInterrupt as its context: the design is interrupted (exit 130, the command that
    completes it), not ended by a traceback."""
    def interrupted(*args):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise SystemError("CPUDispatcher(<function _round at 0x0>) returned a result "
                              "with an exception set") from None

    monkeypatch.setattr(sweep, "run_point", interrupted)
    folder = tmp_path / "d"
    code = main(["sweep", "scenarios/baseline.yaml", "--scheduler", "in-process",
                 "--runs-per-point", "2", "--folder", str(folder), "--quiet",
                 "--set", f"{TOLERANCE}=5,25"])
    error = capsys.readouterr().err
    assert code == 130, error
    assert f"mc11: interrupted; the finished design points are kept in {folder}" in error
    assert f"--folder {folder}" in error and "CPUDispatcher" not in error


def test_a_design_folder_records_the_seed_and_runs_it_ran_with(tmp_path, capsys):
    """Not the scenario file's own seed and replications, which the design overrode."""
    folder = tmp_path / "d"
    assert main(["sweep", "scenarios/baseline.yaml", "--scheduler", "in-process", "--no-plots",
                 "--runs-per-point", "2", "--seed", "7", "--folder", str(folder), "--quiet",
                 "--set", f"{TOLERANCE}=5,25"]) == 0
    assert "2 runs of 'baseline', seed 7" in capsys.readouterr().err
    stored = json.loads((folder / "scenario.yaml").read_text(encoding="utf-8"))
    assert (stored["seed"], stored["replications"]) == (7, 2)


def test_sweep_csv_gives_each_share_with_its_interval_over_the_points_runs(tmp_path):
    folder = tmp_path / "d"
    assert main(["sweep", "scenarios/baseline.yaml", "--scheduler", "in-process", "--no-plots",
                 "--runs-per-point", "3", "--folder", str(folder), "--quiet",
                 "--set", f"{TOLERANCE}=5,25"]) == 0
    table = pd.read_csv(folder / "sweep.csv")
    assert (table["n_runs"] == 3).all()
    for share in ("p_multilateral", "p_plurilateral", "p_none", "p_text_mid", "p_text_high"):
        low, high = table[f"{share}_low"], table[f"{share}_high"]
        assert ((low <= table[share]) & (table[share] <= high)).all(), share
        assert (high - low > 0.2).all(), share  # 3 runs
        assert list(table.columns[table.columns.get_loc(share):][:3]) == [
            share, f"{share}_low", f"{share}_high"]
    # a statistic of some runs only is empty exactly where the point had none of them
    for column, share in (("coverage_median", "p_plurilateral"),
                          ("text_median_plurilateral", "p_plurilateral"),
                          ("text_median_multilateral", "p_multilateral"),
                          ("text_median", "p_none")):
        had = table[share] < 1 if share == "p_none" else table[share] > 0
        assert (table[column].notna() == had).all(), column
        assert had.any() and not had.all(), column  # both cases are tested
    assert table["coverage_median"].dropna().between(0, 1).all()
    assert list(table.columns) == _documented_columns([TOLERANCE])  # all, in their order


def test_the_readme_documents_sweep_csvs_columns_as_declared():
    from simulation.report.designs import sweep_column_rows

    readme = [line.strip() for line in (ROOT / "README.md").read_text(encoding="utf-8")
              .splitlines()]
    missing = [row for row in sweep_column_rows() if row not in readme]
    assert not missing, "README's table of sweep.csv's columns lacks (or words differently):\n" \
        + "\n".join(missing)


def _documented_columns(constants: list[str]) -> list[str]:
    """sweep.csv's columns as the README's rows name them (`sweep_column_rows`)."""
    from simulation.report.designs import sweep_column_rows

    named = ["point", *constants]  # the first row's: the point and its constants
    for row in sweep_column_rows()[1:]:
        column, content = row.strip("| ").split(" | ", 1)
        named += re.findall(r"`(\w+)`", column + content.partition("Wilson 95% interval")[2])
    return named


def test_a_complete_design_run_again_keeps_its_tables_and_rebuilds_only_those_missing(
        tmp_path, capsys):
    """The same sweep on its complete folder runs nothing and replaces nothing the folder
    holds (a table the user edited stays as edited); a table deleted is written again."""
    folder = tmp_path / "d"
    argv = ["sweep", "scenarios/baseline.yaml", "--scheduler", "in-process", "--no-plots",
            "--runs-per-point", "2", "--folder", str(folder), "--quiet",
            "--set", f"{TOLERANCE}=5,25"]
    assert main(argv) == 0
    table = folder / "sweep.csv"
    written = table.read_text(encoding="utf-8")
    table.write_text(written + "my note\n", encoding="utf-8")
    capsys.readouterr()
    assert main(argv) == 0
    assert table.read_text(encoding="utf-8") == written + "my note\n"
    error = capsys.readouterr().err
    assert "kept as they were: sweep.csv" in error
    assert "sweep.csv in" in error and "differs from what the design's points give" in error
    table.unlink()
    assert main(argv) == 0
    assert table.read_text(encoding="utf-8") == written
    error = capsys.readouterr().err
    assert "kept as they were" not in error
    assert f"{folder} was complete already; wrote what it lacked: sweep.csv" in error
    assert main(argv) == 0  # kept as written: nothing differs
    error = capsys.readouterr().err
    assert "kept as they were: sweep.csv" in error and "differs" not in error


def test_a_complete_design_asked_for_another_figure_format_adds_it_beside_the_first(
        tmp_path, capsys):
    """The figures go to plots/<figure>.<format>; the same sweep on its complete folder asked
    for PDF draws the PDF it lacks and keeps the SVG as it was."""
    folder = tmp_path / "d"
    argv = ["sweep", "scenarios/baseline.yaml", "--scheduler", "in-process", "--quiet",
            "--runs-per-point", "2", "--folder", str(folder), "--set", f"{TOLERANCE}=5,25"]
    assert main([*argv, "--figure-format", "svg"]) == 0
    # the last line names the figure beside the table (it named the table alone)
    assert f"(50 rows); plots/sweep.svg; results: {folder}" in capsys.readouterr().out
    svg = folder / "plots" / "sweep.svg"
    drawn = svg.read_bytes(), svg.stat().st_mtime_ns
    assert drawn[0].startswith(b"<?xml") and [p.name for p in svg.parent.iterdir()] == [svg.name]
    assert main([*argv, "--figure-format", "pdf"]) == 0
    assert (folder / "plots" / "sweep.pdf").read_bytes().startswith(b"%PDF-")
    assert (svg.read_bytes(), svg.stat().st_mtime_ns) == drawn
    assert "kept as they were: sweep.csv (delete one to have it written again); wrote what " \
           "it lacked: plots/sweep.pdf" in capsys.readouterr().err


def test_a_point_file_whose_statistics_were_edited_is_named_not_the_table(tmp_path, capsys):
    """The kept sweep.csv differs from the points because a point file was edited: the warning
    names that file, not the table."""
    folder = tmp_path / "d"
    argv = ["sweep", "scenarios/baseline.yaml", "--scheduler", "in-process", "--no-plots",
            "--runs-per-point", "2", "--folder", str(folder), "--quiet",
            "--set", f"{TOLERANCE}=5,25"]
    assert main(argv) == 0
    path = sweep.point_path(folder, 1)
    record = json.loads(path.read_text(encoding="utf-8"))
    record["statistics"]["p_multilateral"][0] = 0.123
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(argv) == 0
    error = " ".join(capsys.readouterr().err.split())
    assert f"the statistics in points/{path.name} in {folder} were edited" in error
    assert "(sweep.csv differs from them)" in error and "edited since?" not in error


def test_ctrl_c_after_the_last_point_names_the_command_that_writes_the_tables(
        tmp_path, capsys, monkeypatch):
    """Ctrl-C while the finished design's tables are made (or its cluster closes) keeps the
    points and says how to finish, as during the points; the same command then writes them."""
    def interrupted(*args):
        raise KeyboardInterrupt

    folder = tmp_path / "d"
    argv = ["sweep", "scenarios/baseline.yaml", "--scheduler", "in-process", "--no-plots",
            "--runs-per-point", "2", "--folder", str(folder), "--quiet",
            "--set", f"{TOLERANCE}=5,25"]
    with monkeypatch.context() as patched:
        patched.setattr(sweep, "point_table", interrupted)
        assert main(argv) == 130
    error = capsys.readouterr().err
    assert f"the finished design points are kept in {folder}" in error
    assert f"--folder {folder}" in error and not (folder / "sweep.csv").exists()
    assert main(argv) == 0 and (folder / "sweep.csv").is_file()


def test_a_ctrl_c_during_a_shutdown_is_acted_on_once_it_is_done():
    import os
    import signal

    from simulation.runs.workers import signals_deferred

    finished = []
    with pytest.raises(KeyboardInterrupt), signals_deferred(signal.SIGINT):
        os.kill(os.getpid(), signal.SIGINT)
        finished.append(True)
    assert finished == [True]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_ctrl_c_during_a_shutdown_of_a_command_already_stopping_is_not_acted_on():
    """mc11 ignores the stop signals after the first: one held during a shutdown must not
    raise afterwards and cut the stop's message short."""
    import os
    import signal

    from simulation.runs.workers import signals_deferred

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    finished = []
    try:
        with signals_deferred(signal.SIGINT):
            os.kill(os.getpid(), signal.SIGINT)
            finished.append(True)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
    assert finished == [True]


def test_a_design_folder_removed_meanwhile_is_said_not_offered_for_completing(small_sweep,
                                                                              tmp_path):
    import shutil

    scenario, plan = small_sweep
    folder = sweep.open_folder(plan, scenario, tmp_path / "removed", tmp_path)
    with pytest.raises(Interrupted) as stopped:
        sweep.execute_design(folder, plan, scenario, on_point=lambda point: shutil.rmtree(folder))
    assert "was removed while the design wrote to it" in str(stopped.value)
    assert "--folder" not in str(stopped.value)


@pytest.mark.parametrize("content", ["", "{", "[1, 2]", '{"point": 0}',
                                     '{"values": {}, "statistics": {"p_none": [0.5]}}',
                                     '{"values": {}, "statistics": {"p_none": ["x"' +
                                     ', 0.5' * 24 + ']}}'])
def test_a_damaged_point_file_says_how_to_compute_it_again(small_sweep, tmp_path, content):
    scenario, plan = small_sweep
    folder = tmp_path / "damaged"
    run(plan, scenario, folder)
    damaged = sweep.point_path(folder, 1)
    damaged.write_text(content)
    with pytest.raises(InputError) as error:
        run(plan, scenario, folder)
    assert str(error.value).startswith(f"{damaged}: (point): the design point's file is damaged")
    assert f"delete it and run the same command again with --folder {folder}" in str(error.value)
    assert damaged.read_text() == content
    damaged.unlink()
    pd.testing.assert_frame_equal(run(plan, scenario, folder),
                                  run(plan, scenario, tmp_path / "whole"), check_exact=True)


def test_a_point_file_whose_values_were_edited_is_damaged_not_relabelled(small_sweep,
                                                                           tmp_path):
    """Its statistics are of the values it ran with: a table under other values would lie."""
    scenario, plan = small_sweep
    folder = tmp_path / "edited"
    run(plan, scenario, folder)
    edited = sweep.point_path(folder, 1)
    record = json.loads(edited.read_text())
    record["values"] = {name: value + 0.9 for name, value in record["values"].items()}
    edited.write_text(json.dumps(record))
    with pytest.raises(InputError) as error:
        run(plan, scenario, folder)
    assert str(error.value).startswith(f"{edited}: (point): the design point's file is damaged "
                                       "(its constants' values are not design.json's")


def test_a_design_file_edited_beside_its_fingerprint_is_refused(small_sweep, tmp_path):
    """The folder would describe runs it never made."""
    scenario, plan = small_sweep
    folder = sweep.open_folder(plan, scenario, tmp_path / "one", tmp_path)
    stored = json.loads((folder / sweep.DESIGN).read_text())
    (folder / sweep.DESIGN).write_text(json.dumps({**stored, "runs_per_point": 3}))
    with pytest.raises(InputError) as error:
        sweep.open_folder(plan, scenario, folder, tmp_path)
    assert (error.value.source, error.value.field) == (str(folder / sweep.DESIGN),
                                                       "--runs-per-point")
    assert "the file was edited" in error.value.problem


def test_a_second_process_on_a_running_design_is_refused(small_sweep, tmp_path):
    """Two runs of one design folder (a second terminal) would compute the same points twice."""
    scenario, plan = small_sweep
    folder = sweep.open_folder(plan, scenario, tmp_path / "busy", tmp_path)
    refused = []

    def start_another(point):
        if not refused:
            with pytest.raises(InputError) as caught:
                sweep.execute_design(folder, plan, scenario)
            refused.append(caught.value)

    sweep.execute_design(folder, plan, scenario, on_point=start_another)
    assert (refused[0].source, refused[0].field) == (str(folder), "--folder")
    assert "another mc11 is running this design now" in refused[0].problem
    pd.testing.assert_frame_equal(sweep.point_table(folder, plan, scenario.catalogue.issue_ids),
                                  run(plan, scenario, tmp_path / "whole"), check_exact=True)


def test_a_second_run_while_the_first_draws_its_figures_is_refused(tmp_path, capsys,
                                                                   monkeypatch):
    """The folder's lock covers the tables and figures too: the same command started while
    the first is drawing plots/sweep.png is refused, not drawing the same file beside it."""
    from simulation.report import designs as figures

    folder = tmp_path / "d"
    argv = ["sweep", "scenarios/baseline.yaml", "--scheduler", "in-process", "--quiet",
            "--runs-per-point", "2", "--folder", str(folder), "--set", f"{TOLERANCE}=5,25"]
    real, second = figures.plot_sweep, []

    def drawing(*args):
        if not second:
            second.append(main(argv))
        return real(*args)

    monkeypatch.setattr(figures, "plot_sweep", drawing)
    assert main(argv) == 0
    assert second == [2]
    assert "another mc11 is running this design now" in capsys.readouterr().err
    assert (folder / "plots" / "sweep.png").is_file()


@pytest.mark.parametrize("missing", ["sweep.csv", "plots/sweep.png"])
def test_a_complete_folder_that_cannot_take_its_lock_is_read_unless_it_lacks_an_output(
        tmp_path, capsys, monkeypatch, missing):
    """A complete design on a read-only disk (its lock file cannot be made; chmod would not
    stop root) is printed, writing nothing there; one missing a table or figure is refused."""
    import errno
    import os

    from simulation.runs import locks

    folder = tmp_path / "d"
    argv = ["sweep", "scenarios/baseline.yaml", "--scheduler", "in-process", "--quiet",
            "--runs-per-point", "2", "--folder", str(folder), "--set", f"{TOLERANCE}=5,25"]
    assert main(argv) == 0
    (folder / sweep.LOCK).unlink()
    before = {path: path.stat().st_mtime_ns for path in folder.rglob("*")}
    opened = os.open

    def read_only(path, *args, **kwargs):
        if Path(path).name == sweep.LOCK:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return opened(path, *args, **kwargs)

    monkeypatch.setattr(locks.os, "open", read_only)
    capsys.readouterr()
    assert main(argv) == 0, capsys.readouterr().err
    assert "sweep.csv: one row per grid point and issue" in capsys.readouterr().out
    assert {path: path.stat().st_mtime_ns for path in folder.rglob("*")} == before
    (folder / missing).unlink()
    assert main(argv) == 2
    assert "copy the folder somewhere writable" in capsys.readouterr().err
    assert not (folder / missing).exists()


def test_a_complete_folder_is_printed_without_reaching_its_scheduler(tmp_path, capsys):
    """Nothing left to run: the tables are printed without starting a cluster or connecting to
    the scheduler given (here one nobody listens on)."""
    folder = tmp_path / "d"
    argv = ["sweep", "scenarios/baseline.yaml", "--quiet", "--no-plots", "--runs-per-point", "2",
            "--folder", str(folder), "--set", f"{TOLERANCE}=5,25"]
    assert main([*argv, "--scheduler", "in-process"]) == 0
    printed = capsys.readouterr().out
    assert main([*argv, "--scheduler", "tcp://127.0.0.1:9"]) == 0
    out, err = capsys.readouterr()
    assert out == printed
    assert "2 design points x 2 runs" in err and "all run already" in err


def test_the_order_of_the_set_flags_does_not_stop_a_resume(tmp_path, capsys):
    """The same constants and values in another order are the same design: it resumes (the
    folder's order decides which point is which) and gives the table of the first order."""
    folder = tmp_path / "d"
    common = ["sweep", "scenarios/baseline.yaml", "--scheduler", "in-process", "--no-plots",
              "--runs-per-point", "2", "--folder", str(folder), "--quiet"]
    tolerance, step = f"{TOLERANCE}=5,25", "parameters.consensus.min_step=10,20"
    assert main([*common, "--set", tolerance, "--set", step]) == 0
    whole = (folder / "sweep.csv").read_text(encoding="utf-8")
    (folder / "sweep.csv").unlink()
    sweep.point_path(folder, 1).unlink()
    capsys.readouterr()
    assert main([*common, "--set", step, "--set", tolerance]) == 0, capsys.readouterr().err
    assert "(1 to run)" in capsys.readouterr().err
    assert (folder / "sweep.csv").read_text(encoding="utf-8") == whole


def test_the_order_of_the_values_in_one_set_does_not_stop_a_resume(tmp_path, capsys):
    """25,5 and 5,25 are one design, its points in ascending order of the values."""
    folder = tmp_path / "d"
    common = ["sweep", "scenarios/baseline.yaml", "--scheduler", "in-process", "--no-plots",
              "--runs-per-point", "2", "--folder", str(folder), "--quiet"]
    assert main([*common, "--set", f"{TOLERANCE}=25,5"]) == 0
    whole = (folder / "sweep.csv").read_text(encoding="utf-8")
    assert list(dict.fromkeys(pd.read_csv(folder / "sweep.csv")[TOLERANCE])) == [5, 25]
    (folder / "sweep.csv").unlink()
    sweep.point_path(folder, 1).unlink()
    capsys.readouterr()
    assert main([*common, "--set", f"{TOLERANCE}=5,25"]) == 0, capsys.readouterr().err
    assert "(1 to run)" in capsys.readouterr().err
    assert (folder / "sweep.csv").read_text(encoding="utf-8") == whole


def test_a_folder_holding_the_values_as_typed_still_resumes(tmp_path, capsys):
    """An earlier mc11 kept each --set's values in the order typed (made here as it made
    them): its folder resumes whatever the order given now, its points keeping their order."""
    from simulation.inputs.scenario import load_scenario
    from simulation.report.designs import with_intervals

    scenario = load_scenario("scenarios/baseline.yaml")
    step = "parameters.consensus.min_step"
    typed = design.grid({TOLERANCE: [25.0, 5.0], step: [20.0, 10.0]}, 2, 7,
                        scenario.input_hash())
    folder = sweep.open_folder(typed, scenario, tmp_path / "old", tmp_path)
    sweep.execute_design(folder, typed, scenario)
    whole = with_intervals(sweep.point_table(folder, typed, scenario.catalogue.issue_ids),
                           2).to_csv(index=False)
    for order in ("25,5", "5,25"):
        sweep.point_path(folder, 2).unlink()
        (folder / "sweep.csv").unlink(missing_ok=True)
        capsys.readouterr()
        assert main(["sweep", "scenarios/baseline.yaml", "--scheduler", "in-process",
                     "--no-plots", "--runs-per-point", "2", "--seed", "7", "--quiet",
                     "--folder", str(folder), "--set", f"{TOLERANCE}={order}",
                     "--set", f"{step}=10,20"]) == 0, capsys.readouterr().err
        assert "(1 to run)" in capsys.readouterr().err
        assert (folder / "sweep.csv").read_text(encoding="utf-8") == whole


def test_resuming_against_another_design_is_refused(small_sweep, tmp_path):
    scenario, plan = small_sweep
    folder = sweep.open_folder(plan, scenario, tmp_path / "one", tmp_path)
    other = design.grid({TOLERANCE: [5.0, 20.0]}, 6, 3, scenario.input_hash())
    before = (folder / sweep.DESIGN).read_text()
    with pytest.raises(InputError, match=r"another design .*points"):
        sweep.open_folder(other, scenario, folder, tmp_path)
    assert (folder / sweep.DESIGN).read_text() == before


def test_refusing_another_design_shows_the_folders_settings_and_this_commands(small_sweep,
                                                                              tmp_path):
    """A user who forgot the folder's runs per point or seed reads them in the refusal."""
    scenario, plan = small_sweep
    folder = sweep.open_folder(plan, scenario, tmp_path / "one", tmp_path)
    other = design.grid(design.parse_settings([f"{TOLERANCE}=5,25"]), 7, 4,
                        scenario.input_hash())
    with pytest.raises(InputError) as error:
        sweep.open_folder(other, scenario, folder, tmp_path)
    assert "(different --runs-per-point (6 there, 7 now), --seed (3 there, 4 now)); " \
        in error.value.problem, error.value.problem
    other = design.grid(design.parse_settings(["parameters.consensus.min_step=5,25"]), 6, 3,
                        scenario.input_hash())
    with pytest.raises(InputError, match=r"different constants \(--set or --parameters\)\)"):
        sweep.open_folder(other, scenario, folder, tmp_path)


def test_point_statistics_count_texts_reaching_the_described_points():
    outcome = np.array([[MULTILATERAL, NO_AGREEMENT], [PLURILATERAL, MULTILATERAL],
                        [NO_AGREEMENT, MULTILATERAL], [MULTILATERAL, MULTILATERAL]], dtype=np.int8)
    text = np.array([[60.0, np.nan], [100.0, 40.0], [np.nan, 55.0], [20.0, 50.0]])
    # as the engine gives it: 1 for consensus, the widest coverage short of a deal otherwise
    coverage = np.array([[1.0, 0.3], [0.6, 1.0], [0.2, 1.0], [1.0, 1.0]])
    stats = sweep.point_statistics(outcome, text, coverage, np.array([0.0, 10.0]))
    agreed = outcome != 0
    assert stats["p_none"] == pytest.approx((~agreed).mean(axis=0).tolist())
    assert stats["p_text_mid"] == pytest.approx([2 / 4, 2 / 4])
    assert stats["p_text_high"] == pytest.approx([1 / 4, 0.0])
    assert stats["text_in_force_median"][1] == pytest.approx(np.median([10.0, 40, 55, 50]))
    # each kind's texts apart; the pooled median is of neither kind's alone
    assert stats["text_median_multilateral"] == pytest.approx([40.0, 50.0])
    assert stats["text_median_plurilateral"][0] == 100.0
    assert stats["text_median"][0] == 60.0
    # coverage of the plurilateral deals alone; none struck on the second issue: empty
    assert stats["coverage_median"][0] == 0.6
    assert np.isnan(stats["coverage_median"][1]) and np.isnan(stats["text_median_plurilateral"][1])
    assert list(stats) == list(sweep.STATISTICS)


@settings(max_examples=100)
@given(st.integers(1, 12).flatmap(lambda runs: st.tuples(
    hnp.arrays(np.int8, (runs, 3), elements=st.sampled_from(
        [NO_AGREEMENT, PLURILATERAL, MULTILATERAL])),
    hnp.arrays(np.float64, (runs, 3), elements=st.one_of(
        st.sampled_from([0.0, 50.0, 100.0]), st.floats(0, 100))),
    hnp.arrays(np.float64, (runs, 3), elements=st.floats(0, 1)),
    hnp.arrays(np.float64, 3, elements=st.floats(0, 100)))))
def test_a_points_statistics_are_their_definitions_over_its_runs(drawn):
    """Per issue: each outcome's share of the runs, the share of runs agreeing a text at or
    above the scale's mid (50) and high (100) points, the 50th, 10th and 90th percentiles of
    the agreed texts of either kind, the median of each kind's texts, the median coverage of
    the plurilateral deals, and the median of the text in force (the status quo where nothing
    was agreed)."""
    outcome, text, coverage, status_quo = drawn
    text = np.where(outcome != NO_AGREEMENT, text, np.nan)  # as the model leaves it
    stats = sweep.point_statistics(outcome, text, coverage, status_quo)

    def median(values: np.ndarray) -> float:
        return np.median(values) if len(values) else np.nan

    def same(found: float, expected: float) -> bool:  # interpolations differ in the last bits
        return bool(np.isclose(found, expected, rtol=1e-12, atol=1e-12, equal_nan=True))

    for k in range(3):
        verdicts, agreed = outcome[:, k], text[outcome[:, k] != NO_AGREEMENT, k]
        assert stats["p_multilateral"][k] == np.mean(verdicts == MULTILATERAL)
        assert stats["p_plurilateral"][k] == np.mean(verdicts == PLURILATERAL)
        assert stats["p_none"][k] == np.mean(verdicts == NO_AGREEMENT)
        assert stats["p_text_mid"][k] == pytest.approx(np.sum(agreed >= 50) / len(verdicts))
        assert stats["p_text_high"][k] == pytest.approx(np.sum(agreed >= 100) / len(verdicts))
        for name, q in (("text_median", 0.5), ("text_p10", 0.1), ("text_p90", 0.9)):
            expected = np.quantile(agreed, q) if len(agreed) else np.nan
            assert same(stats[name][k], expected), name
        for name, code in (("multilateral", MULTILATERAL), ("plurilateral", PLURILATERAL)):
            assert same(stats[f"text_median_{name}"][k], median(text[verdicts == code, k])), name
        assert same(stats["coverage_median"][k], median(coverage[verdicts == PLURILATERAL, k]))
        in_force = np.where(verdicts != NO_AGREEMENT, text[:, k], status_quo[k])
        assert stats["text_in_force_median"][k] == np.median(in_force)


def _point_alone(plan, tolerance: float):
    """The small sweep's scenario at one point's base tolerance, its negotiation, and the
    point's runs as `mc11 run --seed` runs them (replications 0 to R-1 of the design's seed)."""
    from simulation.runs.ensemble import run_chunk

    alone = scenario_from_mapping({"name": "small", "parameters": {"consensus": {
        "base_tolerance": tolerance, "min_step": {"uniform": [5, 15]}}}})
    negotiation = alone.negotiation()
    return alone, negotiation, run_chunk(negotiation, alone.spec.parameters, plan.seed, 0,
                                         plan.runs_per_point, alone.priors)


def test_a_design_point_is_the_ensemble_of_the_scenario_at_its_values(small_sweep, tmp_path):
    """A point's runs are replications 0 to R-1 of the design's seed, as `mc11 run --seed`
    runs them with the point's constants written into the scenario (the constants the
    design does not set drawn from their priors alike): common random numbers across the
    points, and a point anyone can run again."""
    scenario, plan = small_sweep
    table = run(plan, scenario, tmp_path / "d")
    for point, value in enumerate(plan.points[:, 0]):
        _, negotiation, chunk = _point_alone(plan, value)
        expected = sweep.point_statistics(chunk.outcome, chunk.text, chunk.coverage,
                                          negotiation.status_quo)
        rows = table[table["point"] == point]
        for name, values in expected.items():
            assert np.array_equal(rows[name], values, equal_nan=True), (point, name)


def test_a_sweep_row_says_what_the_summary_of_the_same_runs_says(small_sweep, tmp_path):
    """Each number sweep.csv shares with summary.csv (the shares with their intervals, over
    all the runs; the pooled text quantiles; the plurilateral coverage) and with
    text_levels.csv (each kind's median text) is theirs for `mc11 run` of the point's runs."""
    from simulation.outputs import OUTPUTS, Combine
    from simulation.report.designs import with_intervals
    from simulation.report.summary import summarise, text_levels
    from simulation.report.tables import issues_frame
    from simulation.runs.ensemble import outcome_frame

    scenario, plan = small_sweep
    table = with_intervals(run(plan, scenario, tmp_path / "d"), plan.runs_per_point)
    for point, value in enumerate(plan.points[:, 0]):
        alone, negotiation, chunk = _point_alone(plan, value)
        runs = outcome_frame({o.name: getattr(chunk, o.name) for o in OUTPUTS
                              if o.combine is not Combine.SPREAD}, negotiation)
        summary = summarise(runs, issues_frame(alone))
        rows = table[table["point"] == point].set_index("issue")
        shared = [c for c in rows if c in summary and c not in ("n_runs", "point")]
        assert {f"{share}{end}" for share in sweep.SHARES for end in ("", "_low", "_high")} \
            | {"text_median", "text_p10", "text_p90", "coverage_median"} <= set(shared)
        pd.testing.assert_frame_equal(rows[shared], summary[shared], check_names=False)
        levels = text_levels(runs).pivot(index="issue", columns="outcome", values="text_median")
        for kind in ("multilateral", "plurilateral"):
            expected = levels.get(kind, pd.Series(dtype=float)).reindex(rows.index)
            assert np.array_equal(rows[f"text_median_{kind}"], expected, equal_nan=True), kind


def test_the_points_of_an_earlier_mc11_without_a_digest_are_read_not_called_edited(
        small_sweep, tmp_path):
    """An earlier mc11 recorded no digest of a point's statistics: its points are read as they
    are, and none is called edited (there is nothing to check them against)."""
    scenario, plan = small_sweep
    folder = tmp_path / "d"
    whole = run(plan, scenario, folder)
    for point in range(len(plan.points)):
        path = sweep.point_path(folder, point)
        record = json.loads(path.read_text(encoding="utf-8"))
        del record["statistics_sha256"]
        path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    table = sweep.point_table(folder, plan, scenario.catalogue.issue_ids)
    assert table.attrs["edited"] == []
    pd.testing.assert_frame_equal(table, whole, check_exact=True)


def test_statistics_an_earlier_mc11s_points_lack_are_left_out_saying_so(tmp_path, capsys):
    """An earlier mc11 computed neither the plurilateral coverage nor each kind's median text:
    where a point lacks them, sweep.csv leaves their columns out (empty, they would read as no
    run having a deal) and says so; its kept sweep.csv, of fewer columns, is noted as another
    mc11's, not called edited."""
    folder = tmp_path / "d"
    argv = ["sweep", "scenarios/baseline.yaml", "--scheduler", "in-process", "--no-plots",
            "--runs-per-point", "2", "--folder", str(folder), "--quiet",
            "--set", f"{TOLERANCE}=5,25"]
    assert main(argv) == 0
    whole = pd.read_csv(folder / "sweep.csv")
    lacking = ["text_median_multilateral", "text_median_plurilateral", "coverage_median"]
    path = sweep.point_path(folder, 0)  # one point of an earlier mc11's is enough
    record = json.loads(path.read_text(encoding="utf-8"))
    record["statistics"] = {name: values for name, values in record["statistics"].items()
                            if name not in lacking}
    del record["statistics_sha256"]
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    earlier = whole.drop(columns=[*lacking, *(f"p_text_{point}_{end}" for point in
                                              ("mid", "high") for end in ("low", "high"))])
    (folder / "sweep.csv").write_text(earlier.to_csv(index=False), encoding="utf-8")
    capsys.readouterr()
    assert main(argv) == 0
    error = " ".join(capsys.readouterr().err.split())
    assert f"sweep.csv in {folder} kept other columns than this mc11 writes (an earlier " \
           "mc11's, or edited): delete it to have it written with this mc11's" in error
    assert "differs" not in error
    assert f"points in {folder} run by an earlier mc11 lack {', '.join(lacking)}: the tables " \
           "leave those columns out" in error
    (folder / "sweep.csv").unlink()
    assert main(argv) == 0
    pd.testing.assert_frame_equal(pd.read_csv(folder / "sweep.csv"), whole.drop(columns=lacking))


@pytest.mark.parametrize(("argv", "field", "message"), [
    (["--set", "parameters.consensus.base_tolerence=5,10"], "base_tolerence",
     "did you mean 'parameters.consensus.base_tolerance'"),
    (["--set", "parameters.consensus.base_tolerance=5,200"], "base_tolerance",
     "outside the range [0, 100]"),
    (["--set", "parameters.consensus.base_tolerance"], "--set", "PATH=V1,V2"),
    (["--set", "bargaining.rounds=2,6"], "bargaining.rounds",
     "the constants there: parameters.bargaining.coalition_rate, "
     "parameters.bargaining.overall_rate"),
    (["--set", "base_tolerance=5,10"], "base_tolerance",
     "did you mean 'parameters.consensus.base_tolerance'"),
    (["--set", "parameters.consensus.package=0,1"], "parameters.consensus.package",
     "not a number (true or false)"),
    (["--set", "parameters.consensus.base_tolerance=5,10,5"], "base_tolerance",
     "5 is given twice"),
    (["--set", "parameters.consensus.base_tolerance=5", "--set",
      "parameters.consensus.min_step=10"], "--set", "at least two values"),
])
def test_bad_sweep_settings_exit_2_naming_the_flag(capsys, argv, field, message):
    code = main(["sweep", "scenarios/baseline.yaml", "--scheduler", "in-process", *argv])
    error = capsys.readouterr().err
    assert code == 2
    assert field in error and message in error


SHARE_NOTE = "set_position {} is read on the 0-100 scale of positions, not as a share of 1"


def noted_scenario(folder: Path) -> Path:
    """A scenario whose loading notes a position of 0.5 (and the uncertainty it narrows)."""
    path = folder / "noted.yaml"
    path.write_text(f"extends: {ROOT / 'scenarios' / 'baseline.yaml'}\nname: noted\n"
                    "overrides:\n  - {members: [CHN], issue: data_flows, set_position: 0.5}\n")
    return path


def test_a_set_position_between_0_and_1_gets_the_scenario_files_note(tmp_path, capsys):
    """`--set overrides.0.set_position=0.25,60` ran unnoted, where the file's 0.5 is noted as a
    share perhaps meant as 50: the same note names the --set value (60 gets none)."""
    code = main(["sweep", str(noted_scenario(tmp_path)), "--scheduler", "in-process",
                 "--runs-per-point", "2", "--no-plots", "--folder", str(tmp_path / "d"),
                 "--set", "overrides.0.set_position=0.25,60"])
    notes = [line for line in capsys.readouterr().err.splitlines() if "0-100" in line]
    assert code == 0
    assert notes == [
        f"mc11: note: noted.yaml line 4: overrides.0: {SHARE_NOTE.format(0.5)}: did you mean 50?",
        f"mc11: note: --set overrides.0: {SHARE_NOTE.format(0.25)}: did you mean 25?"]


@pytest.mark.parametrize("argv", [
    ["sweep", "--set", "overrides.0.set_position=0.5,60", "--set", "bad=1"],
    ["sweep", "--set", "overrides.1.set_position=5,60"],
    ["sensitivity", "--parameters", "x,y"],
    ["sensitivity", "--samples", "48"],
])
def test_an_option_error_is_not_pushed_down_by_the_scenarios_notes(tmp_path, capsys, argv):
    """The scenario's notes printed before a --set (or --parameters, --samples) error pushed the
    one line that matters down: the options are checked first, the notes left out when they
    fail."""
    command, *options = argv
    code = main([command, str(noted_scenario(tmp_path)), "--scheduler", "in-process", *options])
    error = capsys.readouterr().err
    assert code == 2
    assert error.startswith("mc11: error: ") and "mc11: note:" not in error, error


def test_the_scenarios_notes_still_come_once_the_options_are_sound(tmp_path, capsys):
    """Sound options, then an error after them (a --folder that is a file): the scenario's
    notes come before it."""
    (tmp_path / "taken").write_text("")
    code = main(["sensitivity", str(noted_scenario(tmp_path)), "--scheduler", "in-process",
                 "--samples", "16", "--folder", str(tmp_path / "taken")])
    error = capsys.readouterr().err
    assert code == 2
    assert f"mc11: note: noted.yaml line 4: overrides.0: {SHARE_NOTE.format(0.5)}" in error
    assert error.index("mc11: note:") < error.index("mc11: error: ")


def test_a_sobol_sample_count_salib_rejects_is_an_input_error(decided):
    with pytest.raises(InputError, match="power of 2"):
        design.sensitivity_design("sobol", decided.priors, 48, 2, 1, decided.input_hash())


@pytest.mark.slow  # 15-20 s: a Dask cluster started, then stopped mid-design
def test_ctrl_c_on_a_local_cluster_is_one_message_not_dask_tracebacks(tmp_path):
    """A terminal's Ctrl-C reaches every process of the command; the cluster's workers leave
    it to mc11, which keeps the finished points and says how to complete the design."""
    import os
    import signal
    import time

    folder = tmp_path / "design"
    mc11 = str(Path(sys.executable).with_name("mc11"))
    process = subprocess.Popen(
        [mc11, "sweep", "scenarios/baseline.yaml", "--set", f"{TOLERANCE}=5,10,15,20,25,30",
         "--runs-per-point", "1500", "--workers", "2", "--folder", str(folder), "--yes",
         "--no-plots"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not list(folder.glob("points/point-*.json")):
            if process.poll() is not None or time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                pytest.fail(f"no design point finished; mc11 said: {process.communicate()[1]}")
            time.sleep(0.2)
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
    assert process.returncode == 130, stderr
    assert f"--folder {folder}" in stderr and "Traceback" not in stderr, stderr


def test_an_unreachable_scheduler_is_an_input_error(monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", "2s")
    with pytest.raises(InputError, match="cannot reach a Dask scheduler"), \
            cluster.backend(f"tcp://127.0.0.1:{_free_port()}"):
        pass
    with pytest.raises(InputError, match="allowed: local"), cluster.backend("somewhere"):
        pass


@pytest.mark.parametrize("address", ["tcp://", "tcp://127.0.0.1", "tcp://127.0.0.1:port"])
def test_a_scheduler_address_without_a_usable_port_names_the_flag(address, capsys):
    code = main(["sweep", "scenarios/baseline.yaml", "--scheduler", address, "--yes",
                 "--set", f"{TOLERANCE}=5,25", "--runs-per-point", "2"])
    error = capsys.readouterr().err
    assert code == 2 and "Traceback" not in error
    assert f"--scheduler: {address}: not a scheduler address" in error
    assert "allowed: tcp://HOST:PORT" in error


def test_a_tls_scheduler_without_dasks_tls_settings_says_so_not_a_traceback(capsys):
    """tls:// is a scheduler address; without the certificates distributed raised a TypeError,
    which mc11 printed as a traceback (exit 1)."""
    code = main(["sweep", "scenarios/baseline.yaml", "--scheduler", "tls://127.0.0.1:9", "--yes",
                 "--set", f"{TOLERANCE}=5,25", "--runs-per-point", "2"])
    error = capsys.readouterr().err
    assert code == 2 and "Traceback" not in error, error
    assert "--scheduler: tls://127.0.0.1:9: a tls:// scheduler needs Dask's TLS settings" in error


def test_the_design_file_records_what_was_run(small_sweep, tmp_path):
    scenario, plan = small_sweep
    folder = sweep.open_folder(plan, scenario, tmp_path / "d", tmp_path)
    stored = json.loads((folder / sweep.DESIGN).read_text())
    assert stored["constants"] == [TOLERANCE]
    assert stored["points"] == [[5.0], [25.0]]
    assert stored["fingerprint"] == plan.fingerprint()


@settings(max_examples=50)
@given(st.lists(st.lists(st.integers(0, 100), min_size=1, max_size=4, unique=True).map(sorted),
                min_size=1, max_size=3))
def test_a_grid_is_every_combination_once_the_first_constant_varying_slowest(values):
    """The points in lexicographic order of the constants as given (each constant's values
    ascending, as `parse_settings` gives them): the first constant varies slowest, the last
    fastest, and every combination is one point."""
    paths = [TOLERANCE, "parameters.consensus.min_step", DUMMY][:len(values)]
    plan = design.grid(dict(zip(paths, values, strict=True)), 1, 0, "x")
    rows = [tuple(row) for row in plan.points.tolist()]
    assert rows == sorted(rows) and len(set(rows)) == math.prod(map(len, values)) == len(rows)
    assert all(row[i] in values[i] for row in rows for i in range(len(values)))


def test_a_grid_two_by_three_in_its_point_order():
    """Point i is the i-th combination: which point is which decides what a resume keeps."""
    plan = design.grid({TOLERANCE: [5.0, 25.0], DUMMY: [0.0, 0.05, 0.1]}, 1, 0, "x")
    assert plan.points.tolist() == [[5, 0], [5, 0.05], [5, 0.1], [25, 0], [25, 0.05],
                                    [25, 0.1]]


def test_a_design_of_exactly_the_largest_size_is_built(decided, monkeypatch):
    """MAX_POINTS is the largest design allowed, not the first refused."""
    monkeypatch.setattr(design, "MAX_POINTS", 6)
    swept = {TOLERANCE: [5.0, 25.0], DUMMY: [0.0, 0.05, 0.1]}
    assert len(design.grid(swept, 1, 0, "x").points) == 6
    monkeypatch.setattr(design, "MAX_POINTS", 5)
    with pytest.raises(InputError, match="6 points"):
        design.grid(swept, 1, 0, "x")
    sobol = 16 * (len(decided.priors) + 2)  # Saltelli's N x (D + 2)
    monkeypatch.setattr(design, "MAX_POINTS", sobol)
    assert len(design.sensitivity_design("sobol", decided.priors, 16, 1, 1, "x").points) == sobol
    monkeypatch.setattr(design, "MAX_POINTS", sobol - 1)
    with pytest.raises(InputError, match=f"{sobol} points"):
        design.sensitivity_design("sobol", decided.priors, 16, 1, 1, "x")


def test_verdict_ranges_show_where_a_verdict_flips():
    points = pd.DataFrame({
        "point": [0, 1, 2, 3], "issue": "x",
        "p_multilateral": [0.9, 0.8, 0.2, 0.6], "p_plurilateral": [0.1, 0.1, 0.7, 0.1],
        "p_none": [0.0, 0.1, 0.1, 0.3], "p_text_mid": [0.0, 0.5, 0.0, 0.1]})
    ranges = sensitivity.verdict_ranges(points).set_index("issue")
    assert ranges.loc["x", "modal_multilateral"] == 0.75
    assert ranges.loc["x", "modal_plurilateral"] == 0.25
    assert ranges.loc["x", "modal_none"] == 0
    assert ranges.loc["x", "p_multilateral_median"] == pytest.approx(0.7)


def test_a_tie_for_the_most_likely_outcome_is_split_not_given_to_the_first():
    """At a point where two outcomes share the largest share, each gets half the point: the
    shares still sum to 1, and multilateral, first in the order, wins no tie."""
    points = pd.DataFrame({
        "point": [0, 1, 2, 3], "issue": "x",
        "p_multilateral": [0.4, 0.4, 1 / 3, 0.2], "p_plurilateral": [0.2, 0.0, 1 / 3, 0.2],
        "p_none": [0.4, 0.6, 1 / 3, 0.6], "p_text_mid": 0.0})
    ranges = sensitivity.verdict_ranges(points).set_index("issue")
    assert ranges.loc["x", "modal_multilateral"] == pytest.approx((1 / 2 + 1 / 3) / 4)
    assert ranges.loc["x", "modal_plurilateral"] == pytest.approx((1 / 3) / 4)
    assert ranges.loc["x", "modal_none"] == pytest.approx((1 / 2 + 1 + 1 / 3 + 1) / 4)
    assert ranges.loc["x", ["modal_multilateral", "modal_plurilateral",
                            "modal_none"]].sum() == pytest.approx(1)


def test_verdict_ranges_span_the_5th_to_the_95th_percentile_of_the_points():
    """Over 21 design points with P(multilateral) 0, 0.05, ..., 1 the range is 0.05-0.95."""
    shares = np.linspace(0, 1, 21)
    points = pd.DataFrame({"point": range(21), "issue": "x", "p_multilateral": shares[::-1],
                           "p_plurilateral": 0.0, "p_none": 1 - shares[::-1],
                           "p_text_mid": shares})
    ranges = sensitivity.verdict_ranges(points).set_index("issue").loc["x"]
    for verdict in ("p_multilateral", "p_text_mid"):
        assert ranges[f"{verdict}_q05"] == pytest.approx(0.05)
        assert ranges[f"{verdict}_median"] == pytest.approx(0.5)
        assert ranges[f"{verdict}_q95"] == pytest.approx(0.95)


def test_indices_follow_the_design_points_not_the_rows_order_and_a_constant_verdict_has_none(
        decided):
    """A verdict set by the tolerance alone, at the design's points: the tolerance drives it,
    the dummy not at all, whatever the order of the table's rows; a verdict that is the same
    at every point has no indices (NaN), not indices of 0."""
    plan = design.sensitivity_design("morris", decided.priors, 4, 1, 1, decided.input_hash())
    tolerance = plan.points[:, plan.constants.index(TOLERANCE)]
    points = pd.DataFrame({"point": range(len(tolerance)), "issue": "x",
                           "p_multilateral": tolerance / 60, "p_plurilateral": 0.0,
                           "p_text_mid": 0.5, "text_in_force_median": 40.0})
    indices = sensitivity.analyse(points, plan, decided.priors)
    shuffled = points.sample(frac=1, random_state=3)
    assert not shuffled["point"].is_monotonic_increasing
    pd.testing.assert_frame_equal(sensitivity.analyse(shuffled, plan, decided.priors), indices)
    mu = indices[indices["index"] == "mu_star"].set_index(["verdict", "parameter"])["value"]
    assert mu[("p_multilateral", TOLERANCE)] > 0.1 and mu[("p_multilateral", DUMMY)] == 0
    flat = indices[indices["verdict"].isin(["p_plurilateral", "p_text_mid",
                                            "text_in_force_median"])]
    assert len(flat) > 0 and flat["value"].isna().all() and (flat["variance"] == 0).all()


def test_the_indices_figure_leaves_out_an_issue_whose_verdict_barely_varies(tmp_path,
                                                                            monkeypatch):
    """Indices of a verdict varying less than MIN_VARIANCE are noise, as the printout and the
    heat map treat them: its panel has no bars (an ST of 1.1 +- 1.2 there is not drawn)."""
    from simulation.report import designs as figures

    drawn = []
    monkeypatch.setattr(figures, "save_figure", lambda figure, path: drawn.append(figure) or path)
    rows = [(issue, "p_multilateral", parameter, index, value, 1.2, variance)
            for issue, variance, value in (("varies", 0.05, 0.4), ("noise", 1e-4, 1.1),
                                           ("flat", 0.0, float("nan")))
            for parameter in (TOLERANCE, DUMMY) for index in ("S1", "ST")]
    indices = pd.DataFrame(rows, columns=sensitivity.COLUMNS)
    figures.plot_indices(indices, {}, tmp_path / "indices.png")
    varies, noise, flat = drawn[0].axes
    assert len(varies.patches) == 4
    assert not noise.patches and not flat.patches
    assert "not estimated" in noise.texts[0].get_text()


@pytest.mark.parametrize(("options", "field", "says"), [
    (["--scheduler", "in-process", "--workers", "2"], "--workers: --scheduler in-process",
     "in-process runs the design in this one process"),
    (["--scheduler", "tcp://127.0.0.1:1", "--workers", "2"],
     "--workers: --scheduler tcp://127.0.0.1:1", "on the workers it has"),
    (["--scheduler", "in-process", "--results-dir", "elsewhere"], "elsewhere: --results-dir",
     "--folder names the folder itself"),
])
@pytest.mark.parametrize("command", [["sweep", "--set", f"{TOLERANCE}=5,25"],
                                     ["sensitivity", "--method", "morris", "--samples", "2"]])
def test_an_option_another_makes_meaningless_is_refused_not_ignored(tmp_path, capsys, command,
                                                                    options, field, says):
    """--workers sizes only a local cluster, --results-dir only a folder not named: given with
    an option that leaves them unused, the command stops (exit 2) before running anything."""
    folder = tmp_path / "d"
    code = main([command[0], "scenarios/baseline.yaml", *command[1:], "--runs-per-point", "1",
                 "--quiet", "--no-plots", "--folder", str(folder), *options])
    error = capsys.readouterr().err
    assert code == 2
    assert field in error and says in error and ("drop one of the two" in error or
                                                 "give --folder DIR alone" in error)
    assert not folder.exists()


def test_a_one_valued_setting_fixes_a_constant_beside_the_swept_one(tmp_path, capsys):
    code = main(["sweep", "scenarios/baseline.yaml", "--scheduler", "in-process",
                 "--runs-per-point", "2", "--folder", str(tmp_path / "d"),
                 "--set", "parameters.consensus.min_step=10", "--set", f"{TOLERANCE}=5,25"])
    assert code == 0, capsys.readouterr().err
    table = pd.read_csv(tmp_path / "d" / "sweep.csv")
    assert set(table["parameters.consensus.min_step"]) == {10.0}
    assert set(table[TOLERANCE]) == {5.0, 25.0}
    assert (tmp_path / "d" / "plots" / "sweep.png").is_file()


@pytest.mark.parametrize(("flag", "says"), [("--results-dir", "cannot"),
                                           ("--folder", "a file, not a folder")])
def test_a_file_where_a_folder_goes_is_refused_and_kept(flag, says, tmp_path, capsys):
    blocker = tmp_path / "afile"
    blocker.write_text("mine\n")
    code = main(["sweep", "scenarios/baseline.yaml", "--scheduler", "in-process",
                 flag, str(blocker), "--set", f"{TOLERANCE}=5,25"])
    error = capsys.readouterr().err
    assert code == 2
    assert flag in error and says in error and "Traceback" not in error
    assert blocker.read_text() == "mine\n"


@pytest.mark.parametrize(("design_json", "says"), [
    (None, "holds no design.json: not a design folder"),
    ("{not json", "design.json: (file): unreadable"),
    ("[1, 2]", "design.json: (top level): the folder is damaged"),
])
def test_a_folder_that_is_not_a_design_is_refused_and_kept(design_json, says, tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n")
    if design_json is not None:
        (folder / "design.json").write_text(design_json)
    code = main(["sweep", "scenarios/baseline.yaml", "--scheduler", "in-process",
                 "--folder", str(folder), "--set", f"{TOLERANCE}=5,25"])
    error = capsys.readouterr().err
    assert code == 2
    assert says in error and "Traceback" not in error
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["notes.txt", *(["design.json"] if design_json is not None else [])])
    assert (folder / "notes.txt").read_text() == "mine\n"


def test_progress_goes_to_plain_lines_when_not_on_a_terminal(tmp_path, capsys):
    code = main(["sweep", "scenarios/baseline.yaml", "--scheduler", "in-process",
                 "--runs-per-point", "2", "--folder", str(tmp_path / "d"), "--no-plots",
                 "--set", f"{TOLERANCE}=5,25"])
    error = capsys.readouterr().err
    assert code == 0
    assert "\r" not in error
    assert "mc11: grid: 4/4 runs (100%)" in error


@pytest.mark.parametrize(("argv", "message"), [
    (["--parameters", f"{TOLERANCE},{TOLERANCE}"], f"{TOLERANCE} is named twice"),
    (["--parameters", TOLERANCE], "at least two constants; there is 1: "
     f"{TOLERANCE} (name at least two constants with a prior)"),
    (["--parameters", ","], "empty; name at least two of the constants"),
    (["--parameters", ""], "empty; name at least two of the constants"),
])
def test_bad_sensitivity_parameters_exit_2_naming_the_flag(capsys, argv, message):
    code = main(["sensitivity", "scenarios/baseline.yaml", "--scheduler", "in-process", *argv])
    error = capsys.readouterr().err
    assert code == 2
    assert "--parameters" in error and message in error


@pytest.mark.parametrize(("named", "says"), [
    ("parameters.consensus.linkage_cutt", "(did you mean 'parameters.consensus.linkage_cut'?)"),
    ("min_step", "(did you mean 'parameters.consensus.min_step'?)"),
])
def test_a_misspelt_sensitivity_parameter_gets_the_close_one(capsys, named, says):
    code = main(["sensitivity", "scenarios/baseline.yaml", "--scheduler", "in-process",
                 "--parameters", f"{TOLERANCE},{named}"])
    error = capsys.readouterr().err
    assert code == 2
    assert f"--parameters: {named}: not a constant with a prior in this scenario {says}; " \
        "those are: parameters.coalitions.join_threshold, " in error


@pytest.mark.parametrize(("named", "field"), [
    (f"{TOLERANCE},parameters.consensus.min_step", TOLERANCE),
    (",", "(value)"),  # empty: it listed the constants with a prior, here none
])
def test_sensitivity_parameters_of_a_scenario_without_priors_say_it_has_none(tmp_path, capsys,
                                                                             named, field):
    """Not an empty list of the constants with a prior: the scenario has none."""
    path = tmp_path / "plain.yaml"
    path.write_text("name: plain\n")
    code = main(["sensitivity", str(path), "--scheduler", "in-process", "--parameters", named])
    error = capsys.readouterr().err
    assert code == 2
    assert f"--parameters: {field}: this scenario has no priors; a sensitivity design " \
        "varies constants with priors" in error and "those are" not in error


@pytest.mark.parametrize("argv", [[], ["--parameters", TOLERANCE], ["--parameters", ","],
                                  ["--parameters", "consensus.base_tolerance"]])
def test_a_scenario_with_one_prior_is_named_in_the_error_with_what_can_be_done(
        tmp_path, capsys, argv):
    """Its one prior cannot make a design, and naming two constants in --parameters (as the
    error advised) cannot be done: add a prior to the scenario, or sweep that constant."""
    path = tmp_path / "one_prior.yaml"
    path.write_text("name: one_prior\nparameters:\n  consensus:\n"
                    "    base_tolerance: {uniform: [5, 25]}\n")
    code = main(["sensitivity", str(path), "--scheduler", "in-process", *argv])
    error = capsys.readouterr().err
    assert code == 2
    assert f"{path}: priors: a sobol design needs priors on at least two constants" in error
    assert f"this scenario has one, on {TOLERANCE}: add a prior on another constant" in error
    assert f"`mc11 sweep {path} --set {TOLERANCE}=V1,V2,...`" in error
    assert "name at least two" not in error


def test_the_one_prior_error_names_the_method_asked_for_and_a_sweep_to_paste(tmp_path, capsys):
    """The error names the design asked for (Morris here), and the sweep it suggests takes a
    scenario whose path holds spaces as one word when pasted into a shell."""
    path = tmp_path / "my scenarios" / "one prior.yaml"
    path.parent.mkdir()
    path.write_text("name: one_prior\nparameters:\n  consensus:\n"
                    "    base_tolerance: {uniform: [5, 25]}\n")
    code = main(["sensitivity", str(path), "--method", "morris", "--scheduler", "in-process"])
    error = capsys.readouterr().err
    assert code == 2
    assert f"{path}: priors: a morris design needs priors on at least two constants" in error
    suggested = re.search(r"`(mc11 sweep [^`]*)`", error).group(1)
    assert shlex.split(suggested) == ["mc11", "sweep", str(path), "--set",
                                      f"{TOLERANCE}=V1,V2,..."]


@pytest.mark.parametrize("samples", [2, 4, 8])
def test_a_sobol_sample_too_small_for_its_estimates_is_an_input_error(decided, samples):
    with pytest.raises(InputError, match="at least 16"):
        design.sensitivity_design("sobol", decided.priors, samples, 2, 1, decided.input_hash())


@pytest.mark.parametrize(("method", "samples", "says"), [
    ("sobol", "0", "a power of 2 (their balance properties hold only then) of at least 16"),
    ("sobol", "1", "of at least 16"), ("morris", "1", "at least 2 trajectories"),
    ("morris", "-1", "at least 2 trajectories")])
def test_too_few_samples_states_the_methods_own_minimum(capsys, method, samples, says):
    """Sobol needs N of at least 16, Morris 2 trajectories: each says its own."""
    code = main(["sensitivity", "scenarios/baseline.yaml", "--method", method, "--samples",
                 samples, "--scheduler", "in-process"])
    error = capsys.readouterr().err
    assert code == 2 and f"--samples: {samples}: " in error and says in error, error


def test_the_help_of_parameters_says_which_priors_are_left_out_by_default(capsys):
    with pytest.raises(SystemExit):
        main(["sensitivity", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "(default: all that the scenario's protocol reads" in shown
    assert "compromise protocol's in an exchange or challenge scenario, and on the calendar's " \
        "pressure under a protocol that reads none, as exchange, are left out" in shown


@pytest.mark.parametrize(("marker", "says"), [
    (None, "this is a folder; a scenario is a YAML file (e.g. scenarios/baseline.yaml)"),
    ("run.json", "this is an `mc11 run` results folder: the scenario it ran is {folder}"),
    ("design.json", "this is a design's folder: the scenario it ran is {folder}")])
@pytest.mark.parametrize("command", [["sweep", "--set", f"{TOLERANCE}=5,25"], ["sensitivity"],
                                     ["run"]])
def test_a_folder_given_as_the_scenario_is_called_a_folder(tmp_path, capsys, command, marker,
                                                           says):
    """Not 'the file cannot be read (Is a directory)'; a results or design folder's own
    scenario.yaml is named."""
    folder = tmp_path / "results"
    folder.mkdir()
    if marker:
        (folder / marker).write_text("{}\n", encoding="utf-8")
        (folder / "scenario.yaml").write_text("name: x\n", encoding="utf-8")
    code = main([command[0], str(folder), *command[1:]])
    error = " ".join(capsys.readouterr().err.split())
    assert code == 2
    assert says.format(folder=folder / "scenario.yaml") in error and "Is a directory" not in error


@pytest.mark.parametrize("command", [["sweep", "--set", f"{TOLERANCE}=5,25"], ["run"]])
def test_an_empty_file_given_as_the_scenario_is_only_called_empty(tmp_path, capsys, command):
    """An empty afile.txt says nothing of being actor-issue data: the error says it is empty
    and what a scenario is, not what its ending suggests."""
    path = tmp_path / "afile.txt"
    path.write_text("", encoding="utf-8")
    code = main([command[0], str(path), *command[1:]])
    error = capsys.readouterr().err
    assert code == 2 and "the file is empty; a scenario is a mapping" in error
    assert "actor-issue data" not in error


def two_priors_scenario(tmp_path: Path) -> Path:
    """A scenario in which nobody engages, with priors on the tolerance and the rate."""
    path = tmp_path / "decided.yaml"
    path.write_text("name: decided\nparameters:\n  sample_uncertainty: false\n"
                    "  consensus: {base_tolerance: {uniform: [0, 60]}}\n"
                    "  bargaining: {overall_rate: {uniform: [0, 0.1]}}\n"
                    "calendar_levels:\n" + "".join(f"  {kind}: {{attention: 0}}\n"
                                                  for kind in NOBODY_ENGAGES))
    return path


def test_the_order_of_parameters_does_not_stop_a_resume(tmp_path, capsys):
    folder = tmp_path / "d"
    common = ["sensitivity", str(two_priors_scenario(tmp_path)), "--method", "morris",
              "--samples", "2", "--runs-per-point", "1", "--scheduler", "in-process",
              "--no-plots", "--quiet", "--folder", str(folder), "--parameters"]
    assert main([*common, f"{TOLERANCE},{DUMMY}"]) == 0
    sweep.point_path(folder, 0).unlink()
    capsys.readouterr()
    assert main([*common, f"{DUMMY},{TOLERANCE}"]) == 0, capsys.readouterr().err
    assert "(1 to run)" in capsys.readouterr().err


@pytest.mark.parametrize(("method", "samples", "index"), [("morris", "2", "mu*"),
                                                           ("sobol", "16", "total index ST")])
def test_the_printed_drivers_name_their_index_and_carry_its_interval(tmp_path, capsys, method,
                                                                      samples, index):
    path = two_priors_scenario(tmp_path)
    code = main(["sensitivity", str(path), "--method", method, "--samples", samples,
                 "--runs-per-point", "1", "--scheduler", "in-process", "--no-plots", "--quiet",
                 "--folder", str(tmp_path / "d")])
    shown = capsys.readouterr().out
    assert code == 0
    assert f"largest {index} first" in shown
    assert re.search(rf"{TOLERANCE} \d\.\d\d \+- \d\.\d\d", shown)
    # a Morris grid does not sample the priors: its ranges say so, a Sobol design's need not
    assert ("lean to the ends rather than follow the priors" in shown) == (method == "morris")


def test_a_total_index_above_one_is_called_sampling_error(tmp_path, capsys, monkeypatch):
    """Sobol estimates from few samples can exceed 1, which no true total index can."""
    from simulation.runs import sensitivity

    def inflated(*args, **kwargs):
        indices = real(*args, **kwargs)
        return indices.assign(value=indices["value"] * 10)

    real = sensitivity.analyse
    monkeypatch.setattr(sensitivity, "analyse", inflated)
    path = two_priors_scenario(tmp_path)
    code = main(["sensitivity", str(path), "--samples", "16", "--runs-per-point", "1",
                 "--scheduler", "in-process", "--no-plots", "--quiet",
                 "--folder", str(tmp_path / "d")])
    shown = capsys.readouterr().out
    assert code == 0
    assert "a total index above 1 is sampling error" in shown
    assert "raise --samples above 16" in shown


@pytest.mark.parametrize(("method", "marked"), [("sobol", True), ("morris", False)])
def test_a_sobol_index_of_too_wide_an_interval_is_shown_as_not_estimated(tmp_path, capsys,
                                                                        monkeypatch, method,
                                                                        marked):
    """An index of 0.35 +- 25 says nothing of its constant's size: a Sobol driver whose 95%
    interval is wider than +- 0.5 is marked, with a line saying why; narrower ones are not, and
    Morris' mu*, not bounded by 1, never."""
    from simulation.runs import sensitivity

    def widened(*args, **kwargs):
        indices = real(*args, **kwargs)
        first = indices.index[indices["parameter"] == indices["parameter"].iloc[0]]
        return indices.assign(value=0.3, conf=0.1).assign(conf=lambda t: t["conf"].where(
            ~t.index.isin(first), 25.0))

    real = sensitivity.analyse
    monkeypatch.setattr(sensitivity, "analyse", widened)
    path = two_priors_scenario(tmp_path)
    code = main(["sensitivity", str(path), "--method", method,
                 "--samples", "16" if method == "sobol" else "2", "--runs-per-point", "1",
                 "--scheduler", "in-process", "--no-plots", "--quiet",
                 "--folder", str(tmp_path / "d")])
    shown = capsys.readouterr().out
    assert code == 0
    drivers = [line for line in shown.splitlines() if line.startswith("  ") and " +- " in line
               and not line.startswith("  (")]
    assert drivers
    wide = [part for line in drivers for part in line.split(": ", 1)[1].split(", ")
            if "+- 25.00" in part]
    narrow = [part for line in drivers for part in line.split(": ", 1)[1].split(", ")
              if "+- 0.10" in part]
    assert wide and narrow
    assert all(part.endswith("(not estimated)") == marked for part in wide)
    assert not any(part.endswith("(not estimated)") for part in narrow)
    assert ("says nothing of the constant's size at" in shown) == marked


def test_the_drivers_follow_the_issues_order_not_the_alphabets():
    """The printed drivers come after the verdict ranges, which list the issues in the
    catalogue's order (mandate first): the drivers follow it, each issue's largest first."""
    rows = [(issue, parameter, value) for issue in ("mandate", "moratorium", "classification")
            for parameter, value in (("a", 0.2), ("b", 0.6))]
    indices = pd.DataFrame({"issue": [r[0] for r in rows], "verdict": "p_multilateral",
                            "parameter": [r[1] for r in rows], "index": "ST",
                            "value": [r[2] for r in rows], "conf": 0.1, "variance": 0.1})
    driving = sensitivity.drivers(indices)
    assert list(driving["issue"]) == ["mandate"] * 2 + ["moratorium"] * 2 + ["classification"] * 2
    assert list(driving["parameter"]) == ["b", "a"] * 3


def _driver_indices(values: dict[str, float], variance: float) -> pd.DataFrame:
    """A table of indices of one issue's P(multilateral): total index `values` per constant."""
    return pd.DataFrame({"issue": "mandate", "verdict": "p_multilateral",
                         "parameter": list(values), "index": "ST", "value": list(values.values()),
                         "conf": 0.1, "variance": variance})


def test_the_drivers_are_the_top_constants_above_the_floor():
    """At most `top` constants per issue, the largest total indices first, none at or below
    the floor."""
    floor = sensitivity.DRIVER_FLOOR
    values = {"a": 0.3, "b": 0.9, "c": 0.01, "d": 0.5, "e": 0.2, "f": floor,
              "g": np.nextafter(floor, 1)}
    driving = sensitivity.drivers(_driver_indices(values, 0.1), top=3)
    assert list(driving["parameter"]) == ["b", "d", "a"]
    assert list(sensitivity.drivers(_driver_indices(values, 0.1), top=7)["parameter"]) == \
        ["b", "d", "a", "e", "g"]  # c is below the floor, f at it


def test_a_sobol_index_not_estimated_comes_after_the_estimated_ones():
    """0.9 +- 25 says nothing of its constant's size: it takes no place among the drivers
    from an estimated index, however small; Morris' mu*, not bounded by 1, is ranked as is."""
    indices = _driver_indices({"a": 0.9, "b": 0.3, "c": 0.2, "d": 0.1}, 0.1)
    indices.loc[indices["parameter"] == "a", "conf"] = 25.0
    assert list(sensitivity.drivers(indices)["parameter"]) == ["b", "c", "d"]
    assert list(sensitivity.drivers(indices, top=4)["parameter"]) == ["b", "c", "d", "a"]
    morris = indices.assign(index="mu_star")
    assert list(sensitivity.drivers(morris)["parameter"]) == ["a", "b", "c"]


def test_a_verdict_varying_by_min_variance_has_drivers_and_one_varying_less_has_none():
    values = {"a": 0.6, "b": 0.2}
    at = sensitivity.drivers(_driver_indices(values, sensitivity.MIN_VARIANCE))
    assert list(at["parameter"]) == ["a", "b"]
    below = sensitivity.drivers(_driver_indices(values, np.nextafter(sensitivity.MIN_VARIANCE, 0)))
    assert below.empty


def test_more_workers_than_cores_are_capped_saying_so(tmp_path, capsys, monkeypatch):
    import contextlib
    import os

    asked = []

    @contextlib.contextmanager
    def here(scheduler, workers):  # records the workers the local cluster would start
        asked.append(workers)
        yield None

    monkeypatch.setattr(cluster, "backend", here)
    code = main(["sweep", "scenarios/baseline.yaml", "--workers", "999", "--runs-per-point", "1",
                 "--folder", str(tmp_path / "d"), "--no-plots", "--set", f"{TOLERANCE}=5,25"])
    error = capsys.readouterr().err
    assert code == 0
    cores = os.cpu_count()
    assert asked == [cores]
    assert f"--workers 999 is more than this machine's {cores} core(s)" in error
    assert f"a local Dask cluster of {cores} worker(s)" in error


def test_a_constant_the_scenarios_protocol_does_not_read_is_named_in_a_note(tmp_path, capsys):
    code = main(["sweep", "scenarios/baseline.yaml", "--scheduler", "in-process",
                 "--runs-per-point", "1", "--folder", str(tmp_path / "d"), "--no-plots",
                 "--set", "parameters.bargaining.exchange_fixed_weight=0.1,0.2"])
    error = capsys.readouterr().err
    assert code == 0
    assert ("note: parameters.bargaining.exchange_fixed_weight is read only by the exchange "
            "protocol; this scenario bargains by compromise") in error
    table = pd.read_csv(tmp_path / "d" / "sweep.csv")
    first, second = (frame.drop(columns=["point", "parameters.bargaining.exchange_fixed_weight"])
                     .reset_index(drop=True) for _, frame in table.groupby("point"))
    pd.testing.assert_frame_equal(first, second)  # as the note says: the points are the same


def test_resuming_after_the_scenario_changed_says_so_in_words(small_sweep, tmp_path):
    scenario, plan = small_sweep
    folder = sweep.open_folder(plan, scenario, tmp_path / "one", tmp_path)
    edited = scenario_from_mapping({"name": "small", "parameters": {"consensus": {
        "min_step": {"uniform": [5, 16]}}}})
    other = design.grid({TOLERANCE: [5.0, 25.0]}, 6, 3, edited.input_hash())
    with pytest.raises(InputError, match=r"different scenario \(its file or inputs changed"):
        sweep.open_folder(other, edited, folder, tmp_path)


def test_a_point_that_cannot_be_written_is_not_blamed_on_dask(small_sweep, tmp_path,
                                                              monkeypatch):
    scenario, plan = small_sweep
    folder = sweep.open_folder(plan, scenario, tmp_path / "full", tmp_path)

    def full_disk(path, text):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sweep, "write_atomic", full_disk)
    with pytest.raises(sweep.DesignInterrupted) as stopped:
        sweep.execute_design(folder, plan, scenario)
    message = str(stopped.value)
    assert "cannot write" in message and "No space left on device" in message
    assert "Dask" not in message


def _small_sensitivity(tmp_path: Path, scenario: str) -> int:
    """`mc11 sensitivity` of the scenario text, 16 samples of 1 run, in this process, into
    tmp_path/d; its exit code."""
    path = tmp_path / "small.yaml"
    path.write_text(scenario, encoding="utf-8")
    return main(["sensitivity", str(path), "--samples", "16", "--runs-per-point", "1",
                 "--scheduler", "in-process", "--no-plots", "--quiet",
                 "--folder", str(tmp_path / "d")])


def test_a_design_where_no_verdict_varies_says_so(tmp_path, capsys):
    code = _small_sensitivity(tmp_path, "name: flat\nparameters:\n  bargaining:\n"
                              "    exchange_fixed_weight: {uniform: [0.05, 0.2]}\n"
                              "    exchange_salience_weight: {uniform: [0.2, 0.6]}\n")
    captured = capsys.readouterr()
    assert code == 0
    assert "read only by the exchange protocol" in captured.err
    assert "none: P(multilateral) varies on no issue over the design" in captured.out


def test_a_design_too_large_to_hold_is_refused_before_it_is_built(decided):
    values = ",".join(str(v) for v in range(101))  # 101 x 101 x 101 points
    settings = design.parse_settings([f"{path}={values}" for path in (
        TOLERANCE, "derivation.imputed.developing.new_rules",
        "derivation.imputed.developing.elsewhere")])
    with pytest.raises(InputError, match=r"--set.*1,030,301 points"):
        design.grid(settings, 1, 1, "x")
    with pytest.raises(InputError, match=r"--samples.*2,097,152 points"):
        design.sensitivity_design("sobol", decided.priors, 2**19, 1, 1, decided.input_hash())


def test_sensitivity_leaves_out_the_priors_its_protocol_does_not_read(tmp_path, capsys):
    """A prior on a setting the scenario's protocol never reads (as the exchange scenario's
    inherited priors on compromise's settings) changes no run: it would only add points."""
    code = _small_sensitivity(tmp_path, "name: mixed\nparameters:\n  bargaining:\n"
                              "    exchange_fixed_weight: {uniform: [0.05, 0.2]}\n"
                              "  consensus:\n    base_tolerance: {uniform: [5, 25]}\n"
                              "    min_step: {uniform: [5, 15]}\n")
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "leaving out parameters.bargaining.exchange_fixed_weight" in captured.err
    assert set(pd.read_csv(tmp_path / "d" / "sensitivity.csv")["parameter"]) == {
        "parameters.consensus.base_tolerance", "parameters.consensus.min_step"}
    assert len(pd.read_csv(tmp_path / "d" / "points.csv")["point"].unique()) == 16 * (2 + 2)
    assert f"verdict_ranges.csv; results: {tmp_path / 'd'}" in captured.out  # no figures


def test_a_sensitivity_names_the_figures_it_drew_beside_its_tables(tmp_path, capsys):
    """Its last line named the tables alone, though the figures are drawn by default."""
    path = tmp_path / "small.yaml"
    path.write_text("name: two\nparameters:\n  consensus:\n    base_tolerance: "
                    "{uniform: [5, 25]}\n    min_step: {uniform: [5, 15]}\n", encoding="utf-8")
    folder = tmp_path / "d"
    code = main(["sensitivity", str(path), "--samples", "16", "--runs-per-point", "1",
                 "--scheduler", "in-process", "--quiet", "--figure-format", "svg",
                 "--folder", str(folder)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert ("verdict_ranges.csv; plots/sensitivity_indices.svg and "
            f"plots/sensitivity_heatmap.svg; results: {folder}") in captured.out
    assert sorted(p.name for p in (folder / "plots").iterdir()) == [
        "sensitivity_heatmap.svg", "sensitivity_indices.svg"]


def test_the_exchange_protocol_reads_no_pressure_so_its_designs_leave_it_out(tmp_path, capsys):
    """Exchanges are driven by their gains alone: a prior on a period kind's pressure changes
    no exchange run, so sensitivity leaves it out (attention, who engages, stays in)."""
    code = _small_sensitivity(tmp_path, "name: ex\nparameters:\n  bargaining:\n"
                              "    protocol: exchange\n"
                              "  consensus:\n    base_tolerance: {uniform: [5, 25]}\n"
                              "calendar_levels:\n  quiet: {attention: {uniform: [0.2, 0.4]},\n"
                              "          pressure: {uniform: [0.3, 0.5]}}\n")
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert ("leaving out calendar_levels.quiet.pressure: the exchange protocol does not read "
            "them") in captured.err
    assert set(pd.read_csv(tmp_path / "d" / "sensitivity.csv")["parameter"]) == {
        "parameters.consensus.base_tolerance", "calendar_levels.quiet.attention"}


def test_pressure_is_read_by_the_protocols_that_scale_their_moves_with_it():
    paths = ["calendar_levels.quiet.pressure", "calendar_levels.quiet.attention"]
    assert design.unread(paths, "exchange") == {
        "calendar_levels.quiet.pressure": "the compromise and challenge protocols"}
    assert design.unread(paths, "compromise") == design.unread(paths, "challenge") == {}
    assert design.unread(["parameters.bargaining.noise_sd"], "challenge") == {
        "parameters.bargaining.noise_sd": "the compromise protocol"}


def test_a_swept_calendar_level_of_a_kind_the_calendar_lacks_is_noted(tmp_path, capsys):
    """`--set calendar_levels.forum.attention=...` on a calendar without a forum changes no run:
    the sweep says so, as the scenario loader does for such a level set in the file."""
    calendar = (ROOT / "simulation" / "data" / "calendar.yaml").read_text(encoding="utf-8")
    (tmp_path / "calendar.yaml").write_text(calendar.replace("kind: forum", "kind: quiet"),
                                            encoding="utf-8")
    scenario = tmp_path / "noforum.yaml"
    scenario.write_text(f"extends: {ROOT / 'scenarios' / 'baseline.yaml'}\nname: noforum\n"
                        "calendar: calendar.yaml\n", encoding="utf-8")
    assert main(["sweep", str(scenario), "--set", "calendar_levels.forum.attention=0.2,0.5",
                 "--set", "calendar_levels.quiet.attention=0.2,0.3", "--runs-per-point", "1",
                 "--scheduler", "in-process", "--no-plots", "--quiet",
                 "--folder", str(tmp_path / "d")]) == 0
    err = capsys.readouterr().err
    assert ("calendar_levels.forum.attention: the scenario's calendar has no period of kind "
            "forum, so it changes no run here") in err
    assert "calendar_levels.quiet.attention:" not in err


def test_more_runs_per_point_than_a_scenario_may_hold_are_refused_as_the_option(tmp_path, capsys):
    """Named as the option given, before the estimate: it was refused after it (a cluster
    started) as the scenario file's `replications`, leaving a folder without its design.json
    that the same command then refused as 'not a design folder'."""
    folder = tmp_path / "design"
    with pytest.raises(SystemExit) as stopped:
        main(["sweep", "scenarios/baseline.yaml", "--scheduler", "in-process", "--yes",
              "--set", f"{TOLERANCE}=5,25", "--runs-per-point", "10000001", "--folder",
              str(folder)])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert "argument --runs-per-point: must be at most 10,000,000" in error
    assert "take about" not in error and not folder.exists()
    scenario = scenario_from_mapping({"name": "small"})
    plan = design.grid(design.parse_settings([f"{TOLERANCE}=5,25"]), 10_000_001, 3,
                       scenario.input_hash())
    with pytest.raises(InputError, match="replications"):  # from Python: no folder either
        sweep.open_folder(plan, scenario, folder, tmp_path)
    assert not folder.exists()

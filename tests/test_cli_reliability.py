"""The command line under misuse (issue 18): no traceback, nothing silently ignored, nothing
overwritten, runs of any size announced and stoppable, progress fit for a log file.

Runs here are tiny (4-6 replications, tables only); one test starts `mc11` as a subprocess to
stop it with SIGTERM.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from commands import mc11

from simulation.cli import main
from simulation.runs import progress as progress_module
from simulation.runs.progress import Progress

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
MC11 = Path(sys.executable).with_name("mc11")


def assert_clear_error(code: int, stderr: str, *words: str) -> None:
    """Exit 2 with one paragraph: `mc11: error: ...`, no traceback."""
    assert code == 2, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("mc11: error: ")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


def manifest(folder: Path) -> dict:
    return json.loads((folder / "run.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("scenarios")
    path = folder / "small.yaml"
    path.write_text(f"extends: {BASELINE}\nname: small\nreplications: 4\nseed: 3\n",
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def complete(scenario_file, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("runs") / "complete"
    code, _, stderr = mc11("run", scenario_file, "--folder", folder, "--workers", 1, "--quiet",
                           "--no-plots")
    assert code == 0, stderr
    return folder


# --------------------------------------------------------------------------- unwritable paths


@pytest.mark.parametrize("where", ["/proc/mc11-results", "README.md/results"])
def test_an_unwritable_results_folder_is_a_clear_error(where, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT if where.startswith("README") else tmp_path)
    code, _, stderr = mc11("run", BASELINE, "--runs", 2, "--folder", where, "--quiet")
    assert_clear_error(code, stderr, "--folder", "cannot create the results folder")
    assert not Path(where).exists()


@pytest.mark.parametrize("named", ["--folder", "--resume"])
def test_results_dir_beside_a_named_folder_is_refused(named, tmp_path):
    """--results-dir places a new folder; beside --folder or --resume it would be ignored."""
    folder = tmp_path / "run"
    code, stdout, stderr = mc11("run", BASELINE, "--runs", 2, named, folder, "--results-dir",
                                tmp_path / "elsewhere", "--quiet", "--no-plots")
    assert_clear_error(code, stderr, "--results-dir", named)
    assert stdout == "" and not folder.exists() and not (tmp_path / "elsewhere").exists()


def test_an_unwritable_results_dir_is_a_clear_error():
    code, _, stderr = mc11("run", BASELINE, "--runs", 2, "--results-dir", "/proc/x", "--quiet")
    assert_clear_error(code, stderr, "--results-dir")


def test_an_unwritable_comparison_plot_is_a_clear_error(complete):
    code, _, stderr = mc11("compare", complete, complete, "--plot", "/proc/d.png")
    assert_clear_error(code, stderr, "--plot", "cannot write the figure")


# --------------------------------------------------------------------------- resuming


@pytest.mark.parametrize("extra, option", [(("--runs", 8), "--runs"), (("--seed", 4), "--seed"),
                                           (("--seed", 0), "--seed")])
def test_resume_refuses_other_runs_or_seed_saying_how_to_continue(complete, extra, option):
    code, _, stderr = mc11("run", "--resume", complete, *extra)
    assert_clear_error(code, stderr, option, f"`mc11 run --resume {complete}` alone")


def test_resume_refuses_a_folder_option_beside_it(complete, tmp_path):
    """--resume completes the folder it names: a --folder beside it would go unused."""
    other = tmp_path / "other"
    code, _, stderr = mc11("run", "--resume", complete, "--folder", other)
    assert_clear_error(code, stderr, "--folder", "--resume completes the folder it names",
                       f"`mc11 run --resume {complete}` alone")
    assert not other.exists()


def test_resume_refuses_another_scenario(complete):
    other = ROOT / "scenarios" / "lower_critical_mass.yaml"
    code, _, stderr = mc11("run", other, "--resume", complete)
    assert_clear_error(code, stderr, "not the one", "alone")


def test_resume_on_a_complete_folder_rewrites_nothing(complete, scenario_file):
    before = {p: p.stat().st_mtime_ns for p in complete.rglob("*")}
    code, stdout, stderr = mc11("run", "--resume", complete, "--runs", 4, "--seed", 3)
    assert code == 0, stderr
    assert "complete already" in stderr and "nothing was run or rewritten" in stderr
    assert stdout.rstrip().endswith(f"results: {complete}")
    assert {p: p.stat().st_mtime_ns for p in complete.rglob("*")} == before
    code, _, stderr = mc11("run", scenario_file, "--resume", complete)  # the same scenario
    assert code == 0, stderr
    assert f"`mc11 plot {complete}` draws its figures" in stderr
    # figures asked for: the command that draws them, in the format asked for
    code, _, stderr = mc11("run", "--resume", complete, "--plots", "--figure-format", "pdf")
    assert code == 0, stderr
    assert "nothing was run or rewritten, and --plots draws no figures into a complete folder: " \
           f"`mc11 plot {complete} --figure-format pdf` does" in stderr
    assert {p: p.stat().st_mtime_ns for p in complete.rglob("*")} == before


def test_resume_after_the_scenario_file_changed_says_so(scenario_file, tmp_path):
    path = tmp_path / "edited.yaml"
    path.write_text(scenario_file.read_text(encoding="utf-8"), encoding="utf-8")
    folder = tmp_path / "run"
    code, _, stderr = mc11("run", path, "--folder", folder, "--quiet", "--no-plots",
                           "--workers", 1)
    assert code == 0, stderr
    data = manifest(folder)
    data["status"] = "interrupted"
    (folder / "run.json").write_text(json.dumps(data), encoding="utf-8")
    path.write_text(path.read_text(encoding="utf-8").replace("seed: 3", "seed: 3\n"
                    "parameters: {consensus: {critical_mass: 0.5}}"), encoding="utf-8")
    for _ in range(2):  # a resumed run remembers the file it started from, not its own copy
        code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--no-plots", "--workers", 1)
        assert code == 0, stderr
        assert f"{path} changed" in stderr and "copy stored in the folder" in stderr
        data = manifest(folder)
        assert data["scenario_file"] == str(path.resolve())
        (folder / "run.json").write_text(json.dumps({**data, "status": "interrupted"}),
                                         encoding="utf-8")


# --------------------------------------------------------------------------- sizes and workers


def test_more_workers_than_cores_are_capped_saying_so(tmp_path):
    cores = os.cpu_count() or 1
    code, _, stderr = mc11("run", BASELINE, "--runs", 2, "--workers", cores + 62, "--folder",
                           tmp_path / "r", "--quiet", "--no-plots")
    assert code == 0, stderr
    assert f"--workers {cores + 62} is more than" in stderr
    assert f"on {cores} worker(s)" in stderr


def test_as_many_workers_as_cores_are_used_without_a_note(tmp_path):
    cores = os.cpu_count() or 1
    code, _, stderr = mc11("run", BASELINE, "--runs", 2, "--workers", cores, "--folder",
                           tmp_path / "r", "--quiet", "--no-plots")
    assert code == 0, stderr
    assert "is more than this machine's" not in stderr, stderr
    assert f"on {cores} worker(s)" in stderr


def test_a_seed_of_0_given_on_the_command_line_is_the_runs_seed(tmp_path):
    """--seed 0 is a seed like any other, not "no --seed" (the scenario's)."""
    folder = tmp_path / "r"
    code, _, stderr = mc11("run", BASELINE, "--runs", 2, "--seed", 0, "--folder", folder,
                           "--quiet", "--no-plots", "--workers", 1)
    assert code == 0, stderr
    assert "(seed 0)" in stderr and manifest(folder)["seed"] == 0


@pytest.fixture
def plenty_of_disk(monkeypatch) -> None:
    """Free disk for any run: the tests of the size prompt must not depend on how full this
    machine's disk is (10,000,000 runs need about 49 GB)."""
    from simulation.runs import results

    monkeypatch.setattr(results, "free_bytes", lambda folder: 2**50)


def test_a_huge_run_without_a_terminal_or_yes_is_refused_before_anything_is_written(
        tmp_path, plenty_of_disk):
    code, _, stderr = mc11("run", BASELINE, "--runs", 10_000_000, "--results-dir", tmp_path)
    assert_clear_error(code, stderr, "--yes", "10,000,000 runs take about")
    assert not list(tmp_path.iterdir())


def test_a_run_larger_than_the_free_disk_is_refused(tmp_path, monkeypatch):
    from simulation.runs import results

    monkeypatch.setattr(results, "free_bytes", lambda folder: 2**20)
    code, _, stderr = mc11("run", BASELINE, "--runs", 50_000, "--results-dir", tmp_path, "--yes")
    assert_clear_error(code, stderr, "only 1 MB is free")


@pytest.mark.parametrize(("answer", "starts"), [("y", True), ("Y", True), ("yes", True),
                                               (" YES ", True), ("", False), ("no", False)])
def test_only_a_yes_in_any_case_at_the_size_prompt_starts_the_work(answer, starts, monkeypatch,
                                                                    capsys):
    """'Start it? [y/N]' takes y or yes in capitals too (and spaces around); anything else, an
    empty answer included, refuses. Either way the estimate was shown first."""
    from simulation.cli.common import confirm_cost
    from simulation.errors import InputError
    from simulation.runs.results import Estimate

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal(answer + "\n"))
    refused = None
    try:
        confirm_cost(Estimate(3600.0, 0, "a test's speed"), 1, what="the runs", yes=False,
                     option="--runs", instead="ask for fewer --runs", here=False)
    except InputError as error:
        refused = error.problem
    shown = capsys.readouterr()
    assert shown.err == "mc11: the runs take about 60 min on 1 worker(s) (a test's speed).\n"
    assert shown.out == "Start it? [y/N] "
    assert refused == (None if starts else "not started; ask for fewer --runs, or answer y")


def test_progress_in_a_log_is_plain_periodic_lines(monkeypatch):
    clock = iter(range(0, 1000, 4))
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: next(clock))
    log = io.StringIO()
    shown = Progress(200, 0, "baseline", stream=log, every=10)
    shown.starting("2 workers")
    for _ in range(4):
        shown.update(50)
    shown.close()
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue()
    assert lines[0] == "mc11: baseline: 2 workers"
    assert lines[-1].startswith("mc11: baseline: 200/200 runs (100%), ")
    # the rate is counted from the first chunk on: start-up (compiling) does not pull it down
    assert "runs/s" in lines[-1] and len(lines) <= 4


def test_progress_says_the_time_left_until_nothing_is(monkeypatch):
    clock = iter(range(0, 1000, 4))
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: next(clock))
    log = io.StringIO()
    shown = Progress(150, 0, "explain", stream=log, every=1)
    for _ in range(3):
        shown.update(50)
    lines = log.getvalue().splitlines()
    assert lines[1] == "mc11: explain: 100/150 runs (67%), 25 runs/s, about 2 s left"
    assert lines[2] == "mc11: explain: 150/150 runs (100%), 19 runs/s"


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_is_a_bar_from_the_runs_already_done():
    """A resumed run's bar starts at the runs done before, not at 0."""
    screen = Terminal()
    shown = Progress(200, 100, "resumed", stream=screen)
    shown.update(50)
    shown.close()
    assert "150/200" in screen.getvalue() and "mc11:" not in screen.getvalue()


def test_progress_turned_off_shows_nothing_even_on_a_terminal():
    screen = Terminal()
    shown = Progress(200, 0, "quiet", enabled=False, stream=screen)
    shown.starting("2 workers")
    for _ in range(4):
        shown.update(50)
    shown.close()
    assert screen.getvalue() == ""


def test_progress_lines_come_every_few_seconds_and_at_the_end(monkeypatch):
    """A line when `every` seconds have passed since the last one (exactly `every` too), and
    the last, all runs done, whenever it comes; a rate once a second of runs has passed."""
    def lines(every: float) -> list[str]:
        clock = iter(range(0, 1000, 1))
        monkeypatch.setattr(progress_module.time, "monotonic", lambda: next(clock))
        log = io.StringIO()
        shown = Progress(200, 0, "baseline", stream=log, every=every)
        for _ in range(4):  # at 1, 2, 3, 4 s
            shown.update(50)
        return log.getvalue().splitlines()

    assert lines(every=1) == [
        "mc11: baseline: 50/200 runs (25%)",
        "mc11: baseline: 100/200 runs (50%), 100 runs/s, about 1 s left",
        "mc11: baseline: 150/200 runs (75%), 75 runs/s, about 0.7 s left",
        "mc11: baseline: 200/200 runs (100%), 67 runs/s"]
    assert lines(every=10) == ["mc11: baseline: 50/200 runs (25%)",
                               "mc11: baseline: 200/200 runs (100%), 67 runs/s"]


def test_progress_of_no_runs_is_complete():
    assert Progress(0, 0, "nothing", stream=io.StringIO()).line(0.0) == "nothing: 0/0 runs (100%)"


@contextlib.contextmanager
def long_run(folder: Path, workers: int) -> Iterator[subprocess.Popen]:
    """`mc11 run` of 100,000 baseline runs into `folder`, in a subprocess of its own process
    group: far from done when a test stops it; whatever the test does, the group (the run and
    its workers) is killed at the end, so a failing test leaves no run behind."""
    process = subprocess.Popen(
        [str(MC11), "run", str(BASELINE), "--runs", "100000", "--folder", str(folder),
         "--workers", str(workers), "--yes", "--no-plots"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()


def wait_for(ready, seconds: float = 300) -> None:
    """Poll `ready()` every 0.2 s until it is true; fail the test if it is not within
    `seconds` (generous: on a busy machine the first run compiles the rules for minutes)."""
    deadline = time.monotonic() + seconds
    while not ready():
        assert time.monotonic() < deadline, f"not ready after {seconds} s"
        time.sleep(0.2)


def test_sigterm_stops_a_run_with_status_and_resume_hint(tmp_path):
    """The hint is a command to paste: a folder with a space in its name is one word of it."""
    folder = tmp_path / "stopped run"
    with long_run(folder, workers=1) as process:
        wait_for(lambda: list((folder / "chunks").glob("chunk-*.npz")))
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    hint = stderr.split("Complete the run with: ")[1].splitlines()[0]
    assert shlex.split(hint) == ["mc11", "run", "--resume", str(folder)]
    assert manifest(folder)["status"] == "interrupted"
    assert "\r" not in stderr  # progress in a pipe: plain lines


def test_ctrl_c_again_and_again_still_stops_a_run_cleanly(tmp_path):
    """Impatient Ctrl-Cs (to the whole process group, as a terminal sends them) while the run
    stops once left mc11 hanging at exit, its workers deadlocked, and, landing after the pool
    had stopped, cut the stop short: no resume hint."""
    folder = tmp_path / "stopped"
    with long_run(folder, workers=2) as process:
        wait_for(lambda: list((folder / "chunks").glob("chunk-*.npz")))
        for _ in range(40):  # for two seconds, until it has ended
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)
            time.sleep(0.05)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert f"mc11 run --resume {folder}" in stderr and "Traceback" not in stderr
    assert manifest(folder)["status"] == "interrupted"


def test_a_data_file_with_a_key_stated_twice_names_line_and_key(tmp_path):
    from simulation.errors import InputError
    from simulation.inputs.files import read_yaml

    path = tmp_path / "issues.yaml"
    path.write_text("issues:\n  - id: a\n    title: A\n    title: B\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_yaml(path)
    assert info.value.field == "line 4" and "'title' appears twice" in info.value.problem


def test_a_results_folder_removed_during_the_run_is_said_not_offered_for_resuming(
        scenario_file, tmp_path, monkeypatch):
    import shutil

    from simulation.runs import ensemble

    folder, save = tmp_path / "removed", ensemble.Chunk.save

    def removed_after_the_first(chunk, path):
        if chunk.start:
            shutil.rmtree(folder)
        save(chunk, path)

    monkeypatch.setattr(ensemble.Chunk, "save", removed_after_the_first)
    code, _, stderr = mc11("run", scenario_file, "--runs", 120, "--folder", folder,
                           "--workers", 1, "--quiet", "--no-plots")
    assert code == 130 and "Traceback" not in stderr, stderr
    assert f"{folder} was removed while the run wrote to it" in stderr
    assert "--resume" not in stderr


def test_a_killed_worker_stops_the_run_with_status_and_resume_hint(tmp_path):
    folder = tmp_path / "stopped"
    with long_run(folder, workers=2) as process:
        children_file = Path(f"/proc/{process.pid}/task/{process.pid}/children")

        def children() -> list[int]:
            return [int(c) for c in children_file.read_text().split()] \
                if children_file.exists() else []

        wait_for(lambda: children() and list((folder / "chunks").glob("chunk-*.npz")))
        os.kill(children()[-1], signal.SIGKILL)
        _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "a worker process died" in stderr and f"mc11 run --resume {folder}" in stderr
    assert "Traceback" not in stderr
    assert manifest(folder)["status"] == "interrupted"


def _a_large_second_chunk(master_seed: int, start: int, stop: int) -> bytes:
    """A stand-in ensemble task: 5 MB for every chunk but the first, sent in many pipe writes."""
    return bytes(5_000_000 if start else 1)


def _large_unless_first(negotiation: int) -> bytes:
    """A stand-in forecast task, as large as `_a_large_second_chunk`."""
    return bytes(5_000_000 if negotiation else 1)


def _run_with_a_worker_killed_while_sending(pool: str) -> None:
    """On 2 workers of the ensemble's pool or the forecasts' (`pool`), 4 tasks, the worker with
    the second dying half-way through sending its result (its pipe write cut, then SIGKILL);
    print what the run raised."""
    import multiprocessing.connection as connection

    from simulation.inputs.scenario import load_scenario
    from simulation.runs import ensemble, forecast

    parent, send = os.getpid(), connection.Connection._send

    def dies_half_way(self, buffer, write=os.write):
        if os.getpid() != parent and len(buffer) > 1_000_000:
            write(self._handle, bytes(buffer[:len(buffer) // 2]))
            os.kill(os.getpid(), signal.SIGKILL)
        return send(self, buffer, write)

    connection.Connection._send = dies_half_way  # forked workers inherit it
    try:
        if pool == "ensemble":
            ensemble._run_in_worker = _a_large_second_chunk
            scenario = load_scenario(BASELINE)
            list(ensemble.run_chunks(scenario.negotiation(), scenario.spec.parameters, 1,
                                     [(0, 2), (2, 4), (4, 6), (6, 8)], workers=2))
        else:
            with forecast.NegotiationPool([0, 1, 2, 3], workers=2) as negotiations:
                negotiations.map(_large_unless_first, range(4))
    except Exception as exc:
        print(f"{type(exc).__name__}: {exc}")


@pytest.mark.parametrize(("pool", "raised"), [
    ("ensemble", "BrokenProcessPool: a worker process died"),  # mc11 run: status, resume hint
    ("forecasts", "Interrupted: a worker process died; run the command again"),
])
def test_a_worker_killed_while_sending_its_result_stops_the_work(pool, raised):
    """The pool's manager thread waits forever for the rest of such a result; the work checks
    its workers itself, and stops with the error of a killed worker."""
    process = subprocess.Popen(
        [sys.executable, "-c", "import test_cli_reliability as t; "
         f"t._run_with_a_worker_killed_while_sending({pool!r})"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)})
    try:
        stdout, stderr = process.communicate(timeout=120)
    finally:  # a hung run's workers too
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
    assert stdout.startswith(raised), stderr
    assert "Traceback" not in stderr


def _a_figure_whose_worker_dies(tables, target):
    os.kill(os.getpid(), signal.SIGKILL)


def _plot_with_a_figure_worker_killed(folder: str) -> None:
    """`mc11 plot folder` on 2 processes, the second figure's worker killed as it starts."""
    from simulation.report import figures

    first, *rest = figures.FIGURES
    dies = figures.StandardFigure(_a_figure_whose_worker_dies, "dies")
    figures.FIGURES = (first, dies, *rest)  # forked workers inherit it
    sys.exit(main(["plot", folder, "--workers", "2"]))


def test_a_killed_figure_worker_is_a_message_not_tracebacks(complete, tmp_path):
    """The pool stops the other worker with SIGTERM, which must end it quietly."""
    import shutil

    folder = shutil.copytree(complete, tmp_path / "folder")
    result = subprocess.run(
        [sys.executable, "-c", "import test_cli_reliability as t; "
         f"t._plot_with_a_figure_worker_killed({str(folder)!r})"],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)})
    assert result.returncode == 130, result.stderr
    assert "a figure process died" in result.stderr
    assert f"mc11 plot --force {folder}" in result.stderr
    assert "Traceback" not in result.stderr


def _first_chunk_then_slow(master_seed: int, start: int, stop: int) -> int:
    """A stand-in worker task: the first chunk at once, every other one after a minute."""
    if start:
        time.sleep(60)
    return start


def test_a_stopped_run_ends_its_workers_without_waiting_for_their_chunks(monkeypatch):
    """Chunks under the exchange protocol take tens of seconds: a stopped run ends its
    workers at once instead of waiting for the chunks they are on."""
    from simulation.inputs.scenario import load_scenario
    from simulation.runs import ensemble

    monkeypatch.setattr(ensemble, "_run_in_worker", _first_chunk_then_slow)
    scenario = load_scenario(BASELINE)
    chunks = ensemble.run_chunks(scenario.negotiation(), scenario.spec.parameters, 1,
                                 [(0, 2), (2, 4), (4, 6), (6, 8)], workers=2)
    next(chunks)
    began = time.monotonic()
    chunks.close()
    assert time.monotonic() - began < 15


def test_tasks_are_submitted_as_workers_free_up(monkeypatch):
    """However many chunks a run has, at most two per worker wait in the pool."""
    from concurrent.futures import ThreadPoolExecutor

    from simulation.inputs.scenario import load_scenario
    from simulation.runs import ensemble

    waiting, most = set(), [0]

    class CountingPool(ThreadPoolExecutor):
        def __init__(self, max_workers, mp_context, initializer, initargs):
            super().__init__(max_workers=max_workers)

        def submit(self, function, *args):
            future = super().submit(lambda: (time.sleep(0.01), args[1])[1])
            waiting.add(future)
            most[0] = max(most[0], sum(not f.done() for f in waiting))
            return future

    monkeypatch.setattr(ensemble, "ProcessPoolExecutor", CountingPool)
    monkeypatch.setattr(ensemble, "compile_rules", lambda *args: None)
    scenario = load_scenario(BASELINE)
    bounds = ensemble.chunk_bounds(2_000, 10)
    starts = list(ensemble.run_chunks(scenario.negotiation(), scenario.spec.parameters, 1, bounds,
                                      workers=2))
    assert sorted(starts) == [start for start, _ in bounds]  # every task ran, once
    assert most[0] <= 4


def test_what_loading_decided_is_said_on_the_command_line(tmp_path):
    path = tmp_path / "what_if.yaml"
    path.write_text(f"extends: {BASELINE}\noverrides:\n"
                    "  - {members: [USA], issue: moratorium, shift_position: 5}\n"
                    "  - {members: [JPN], issue: data_flows, set_position: 42}\n",
                    encoding="utf-8")
    code, stdout, stderr = mc11("simulate", path, "--seed", 1)
    assert code == 0, stderr
    notes = [line for line in stderr.splitlines() if line.startswith("mc11: note: ")]
    assert any("named 'what_if' after its file" in n for n in notes)
    assert any("what_if.yaml line 3: overrides.0 changes nothing" in n for n in notes)
    assert any("overrides.1 sets a position" in n and "narrowed from up to 20 to 5" in n
               for n in notes)
    assert stdout.startswith("what_if, seed 1")


@pytest.mark.parametrize("damage", ["cut", "junk"])
def test_a_damaged_chunk_says_how_to_recompute_it(complete, tmp_path, damage):
    """A chunk cut short, or a file that is no chunk at all (numpy's reason for that one
    suggests loading it with pickle, which the message must not pass on)."""
    import shutil

    folder = tmp_path / "damaged"
    shutil.copytree(complete, folder)
    data = manifest(folder)
    data["status"] = "interrupted"
    (folder / "run.json").write_text(json.dumps(data), encoding="utf-8")
    chunk = folder / "chunks" / "chunk-00000000.npz"
    chunk.write_bytes(chunk.read_bytes()[:100] if damage == "cut" else b"junk\n")
    code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--workers", 1)
    assert_clear_error(code, stderr, "damaged", "delete it", f"mc11 run --resume {folder}")
    assert "pickle" not in stderr
    assert manifest(folder)["status"] == "interrupted"
    chunk.unlink()
    code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--workers", 1, "--no-plots")
    assert code == 0, stderr
    assert (folder / "summary.csv").read_bytes() == (complete / "summary.csv").read_bytes()


def test_a_damaged_chunk_met_while_rebuilding_a_complete_folders_tables_unmarks_it(complete,
                                                                                    tmp_path):
    """The tables cannot be rebuilt until the chunk is computed again: the message says so
    (the damaged chunk was taken for an older mc11's, and the missing table's error named
    --resume, the command just run), and the folder says interrupted, not complete."""
    import shutil

    folder = tmp_path / "damaged"
    shutil.copytree(complete, folder)
    (folder / "summary.csv").unlink()
    chunk = folder / "chunks" / "chunk-00000000.npz"
    chunk.write_bytes(chunk.read_bytes()[:100])
    code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--workers", 1)
    assert_clear_error(code, stderr, f"{chunk}: (chunk)", "delete it",
                       f"mc11 run --resume {folder}")
    assert manifest(folder)["status"] == "interrupted"
    chunk.unlink()
    code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--workers", 1, "--no-plots")
    assert code == 0, stderr
    assert (folder / "summary.csv").read_bytes() == (complete / "summary.csv").read_bytes()


def test_a_missing_table_is_an_error_and_resume_rebuilds_it(complete, tmp_path):
    import shutil

    folder = tmp_path / "lacking"
    shutil.copytree(complete, folder)
    (folder / "support.csv").unlink()
    (folder / "summary.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    for argv in (("plot", folder), ("compare", complete, folder)):
        code, _, stderr = mc11(*argv)
        assert_clear_error(code, stderr, "missing or damaged", f"mc11 run --resume {folder}")
    (folder / "summary.csv").write_bytes((complete / "summary.csv").read_bytes())
    code, _, stderr = mc11("plot", folder)
    assert_clear_error(code, stderr, "support.csv")
    assert not (folder / "plots").exists() and not (folder / "plots-2").exists()
    code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--no-plots", "--workers", 1)
    assert code == 0 and "rebuilding its tables" in stderr, stderr
    assert (folder / "support.csv").read_bytes() == (complete / "support.csv").read_bytes()


def test_ctrl_c_while_a_folder_is_created_leaves_no_half_folder(tmp_path, monkeypatch):
    from simulation.runs import results

    def interrupted(path, text):
        raise KeyboardInterrupt

    monkeypatch.setattr(results, "write_atomic", interrupted)
    code, _, stderr = mc11("run", BASELINE, "--runs", 2, "--folder", tmp_path / "new", "--quiet")
    assert code == 130 and "interrupted" in stderr
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_as_a_command_ends_changes_nothing(monkeypatch, capsys, signum):
    """Ctrl-C (or SIGTERM) landing after the command's work, as mc11 checks its output, once
    ended in a KeyboardInterrupt traceback: the command is done, its exit code stands, and the
    caller's handlers are back."""
    import simulation.cli as cli

    class LateStop(cli._UntilReaderLeaves):
        @property
        def failure(self):
            signal.raise_signal(signum)  # the stop arrives now, the listing written
            return None

        @failure.setter
        def failure(self, value):
            pass

    before = {number: signal.getsignal(number) for number in cli.STOP_SIGNALS}
    monkeypatch.setattr(cli, "_UntilReaderLeaves", LateStop)
    assert main(["members"]) == 0
    out, err = capsys.readouterr()
    assert "USA" in out and "interrupted" not in err
    assert {number: signal.getsignal(number) for number in cli.STOP_SIGNALS} == before


@pytest.mark.parametrize("argv", [["--help"], ["members"]])
def test_a_reader_that_leaves_early_ends_a_listing_quietly(argv):
    """`mc11 members | head -1`: exit 0 and no traceback about the closed pipe."""
    with subprocess.Popen([MC11, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        first = process.stdout.readline()
        process.stdout.close()
        _, stderr = process.communicate(timeout=60)
    assert first and process.returncode == 0, stderr
    assert b"Traceback" not in stderr and b"BrokenPipe" not in stderr


@pytest.mark.slow  # 8 s: a run with its figures
def test_a_reader_that_leaves_early_does_not_stop_the_run(tmp_path):
    """`mc11 run --plots ... | head -1` reads the summary's first line and goes: the run still
    ends with its figures and status `complete`, as with nobody reading."""
    folder = tmp_path / "run"
    argv = [MC11, "run", BASELINE, "--runs", "4", "--quiet", "--plots", "--folder", folder]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        first = process.stdout.readline()
        process.stdout.close()
        _, stderr = process.communicate(timeout=300)
    assert first.split()[:2] == [b"issue", b"P(multi)"]
    assert process.returncode == 0 and b"Traceback" not in stderr, stderr
    assert manifest(folder)["status"] == "complete"
    assert len(list((folder / "plots").glob("*.png"))) == 6


@pytest.mark.parametrize("screen", ["full", "closed"])
def test_a_screen_that_cannot_be_written_is_an_error_after_the_work(tmp_path, screen):
    """`mc11 run ... > /dev/full` or with standard output closed: the run completes its folder,
    then says the output was lost (exit 1), with no traceback and no false 'disk full'."""
    folder = tmp_path / "run"
    argv = [MC11, "run", BASELINE, "--runs", "2", "--workers", "1", "--folder", folder]
    if screen == "full":
        with open("/dev/full", "w") as full:
            done = subprocess.run(argv, stdout=full, stderr=subprocess.PIPE, timeout=300)
    else:
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=300, preexec_fn=lambda: os.close(1))
    stderr = done.stderr.decode()
    assert done.returncode == 1 and "Traceback" not in stderr, stderr
    reason = "No space left on device" if screen == "full" else "standard output is closed"
    assert f"screen output could not be written ({reason})" in stderr
    assert manifest(folder)["status"] == "complete"


# --------------------------------------------------------------------------- damaged folders


def _copy(complete: Path, folder: Path) -> Path:
    import shutil

    shutil.copytree(complete, folder)
    return folder


def _folder_commands(folder: Path, reference: Path) -> list[tuple]:
    return [("plot", folder), ("compare", reference, folder),
            ("explain", folder, "--issue", "mandate", "--runs", 2),
            ("run", "--resume", folder, "--quiet", "--no-plots", "--workers", 1)]


@pytest.mark.parametrize("content", ["[]\n", "runs: many", "seed", "{\n"])
def test_a_damaged_manifest_is_a_clear_error(complete, tmp_path, content):
    folder = _copy(complete, tmp_path / "run")
    data = manifest(folder)
    if content == "seed":
        del data["seed"]
        text = json.dumps(data)
    elif content.startswith("runs"):
        text = json.dumps({**data, "runs": "many"})
    else:
        text = content
    (folder / "run.json").write_text(text, encoding="utf-8")
    for argv in _folder_commands(folder, complete):
        code, _, stderr = mc11(*argv)
        assert_clear_error(code, stderr, "run.json", "damaged")
        if content == "{\n":  # not JSON at all: what to do about it
            assert "restore the file, or run the scenario again into a new folder" in stderr


@pytest.mark.parametrize("field, value", [("runs", 0), ("chunk_size", 0),
                                          ("runs", 10_000_001), ("seed", 2**63)])
def test_a_count_out_of_range_in_the_manifest_is_a_clear_error(complete, tmp_path, field, value):
    """run.json's runs and chunk_size are at least 1, runs at most a scenario's replications and
    the seed below 2**63: other values are a damaged folder, named by every reader, not a
    traceback, an empty rebuild or (10**30 runs) a resume that fills the memory."""
    folder = _copy(complete, tmp_path / "run")
    (folder / "run.json").write_text(json.dumps({**manifest(folder), field: value}),
                                     encoding="utf-8")
    for argv in _folder_commands(folder, complete):
        code, _, stderr = mc11(*argv)
        assert_clear_error(code, stderr, "run.json", f"{field} is {value}", "damaged")


def test_a_damaged_stored_scenario_is_a_one_line_error(complete, tmp_path):
    folder = _copy(complete, tmp_path / "run")
    (folder / "scenario.yaml").write_text("name: [\n", encoding="utf-8")
    code, _, stderr = mc11("plot", folder)
    assert_clear_error(code, stderr, "scenario.yaml", "damaged")
    assert "restore the file, or run the scenario again into a new folder" in stderr
    assert stderr.count("\n") == 1, stderr


def test_an_edited_stored_scenario_is_refused_by_every_reader(complete, tmp_path):
    """The folder's results were not computed from an edited scenario.yaml (compare and plot
    read it as the run's): plot, compare, explain and resume each refuse it in one paragraph and
    change nothing; the command the message gives runs the edit into a new folder."""
    folder = _copy(complete, tmp_path / "run")
    stored = folder / "scenario.yaml"
    resolved = yaml.safe_load(stored.read_text(encoding="utf-8"))
    resolved["parameters"]["consensus"]["critical_mass"] = 0.8
    stored.write_text(yaml.safe_dump(resolved, sort_keys=False), encoding="utf-8")
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    for argv in _folder_commands(folder, complete):
        code, _, stderr = mc11(*argv)
        assert_clear_error(code, stderr, str(stored), "edited since the run wrote it",
                           "restore the file", f"mc11 run {stored}")
        assert stderr.count("\n") == 1, stderr
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    code, _, stderr = mc11("run", stored, "--folder", tmp_path / "edited", "--quiet",
                           "--no-plots", "--workers", 1)
    assert code == 0, stderr


def test_an_edited_calendar_copy_is_refused_like_an_edited_scenario(tmp_path):
    """A folder keeps its scenario's own calendar (calendar.yaml); an edit of that copy changes
    the run's inputs as one of scenario.yaml does, and is refused alike."""
    _, folder = _run_with_own_calendar(tmp_path)
    with (folder / "calendar.yaml").open("a", encoding="utf-8") as calendar:
        calendar.write("# edited\n")
    code, _, stderr = mc11("plot", folder, "--workers", 1)
    assert_clear_error(code, stderr, "calendar.yaml in the folder was edited since the run "
                       "wrote it")
    assert not (folder / "plots").exists()


def test_a_folder_of_an_older_mc11_without_the_stored_digest_is_read(complete, tmp_path):
    """Folders written before run.json recorded the stored scenario's digest are read as
    before (nothing tells an edit there)."""
    folder = _copy(complete, tmp_path / "run")
    data = manifest(folder)
    del data["stored_digest"]
    (folder / "run.json").write_text(json.dumps(data), encoding="utf-8")
    code, stdout, stderr = mc11("compare", complete, folder)
    assert code == 0, stderr
    rows = stdout.strip().splitlines()[2:]
    assert len(rows) == 25 and all(" 0.00 [" in row and "*" not in row for row in rows)


def test_a_table_that_cannot_be_read_says_why_not_that_it_is_missing(complete, tmp_path):
    """A summary.csv that is there but cannot be read (here a folder of that name) is named
    with the system's reason, not called missing."""
    folder = _copy(complete, tmp_path / "run")
    (folder / "summary.csv").unlink()
    (folder / "summary.csv").mkdir()
    code, _, stderr = mc11("compare", complete, folder)
    assert_clear_error(code, stderr, "summary.csv", "(Is a directory)",
                       f"mc11 run --resume {folder}")
    assert "no such file" not in stderr


def test_a_truncated_summary_is_an_error_and_resume_rebuilds_it(complete, tmp_path):
    folder = _copy(complete, tmp_path / "run")
    summary = folder / "summary.csv"
    summary.write_bytes(summary.read_bytes()[:100])  # the header cut short
    before = (folder / "plots").exists()
    for argv in (("plot", folder), ("compare", complete, folder)):
        code, _, stderr = mc11(*argv)
        assert_clear_error(code, stderr, "summary.csv", "missing or damaged",
                           f"mc11 run --resume {folder}")
    assert (folder / "plots").exists() == before and not (folder / "plots-2").exists()
    code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--no-plots", "--workers", 1)
    assert code == 0 and "rebuilding its tables" in stderr, stderr
    assert summary.read_bytes() == (complete / "summary.csv").read_bytes()


@pytest.mark.parametrize("damage", ["missing", "garbage"])
def test_a_missing_or_damaged_outcomes_table_is_an_error_and_resume_rebuilds_it(
        complete, tmp_path, damage):
    folder = _copy(complete, tmp_path / "run")
    outcomes = folder / "outcomes.parquet"
    if damage == "missing":
        outcomes.unlink()
    else:
        outcomes.write_bytes(b"not a parquet file")
    code, _, stderr = mc11("explain", folder, "--issue", "mandate", "--runs", 2)
    assert_clear_error(code, stderr, "outcomes.parquet", f"mc11 run --resume {folder}")
    code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--no-plots", "--workers", 1)
    assert code == 0 and "rebuilding its tables" in stderr, stderr
    assert outcomes.read_bytes() == (complete / "outcomes.parquet").read_bytes()


def test_an_outcomes_table_lacking_runs_is_rebuilt_by_resume(complete, tmp_path):
    """outcomes.parquet readable and keyed, but with the rows of one run only: not the run's
    table (a row per run and issue), so `--resume` rebuilds it from the chunks."""
    import pandas as pd

    folder = _copy(complete, tmp_path / "run")
    outcomes = folder / "outcomes.parquet"
    table = pd.read_parquet(outcomes)
    table[table["run"] == table["run"].min()].to_parquet(outcomes, index=False)
    code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--no-plots", "--workers", 1)
    assert code == 0 and "outcomes.parquet is missing or damaged" in stderr, stderr
    pd.testing.assert_frame_equal(pd.read_parquet(outcomes), table)


def test_a_lost_priors_table_of_a_run_with_priors_is_rebuilt_by_resume(tmp_path):
    """priors.csv belongs to a run with priors (one without has none): lost, `--resume`
    rebuilds it from the chunks as the run wrote it."""
    scenario = tmp_path / "uncertain.yaml"
    scenario.write_text(f"extends: {BASELINE}\nname: uncertain\nreplications: 4\nseed: 3\n"
                        "parameters:\n  consensus:\n    base_tolerance: {uniform: [5, 25]}\n",
                        encoding="utf-8")
    folder = tmp_path / "run"
    code, _, stderr = mc11("run", scenario, "--folder", folder, "--quiet", "--no-plots",
                           "--workers", 1)
    assert code == 0, stderr
    priors = folder / "priors.csv"
    written = priors.read_bytes()
    priors.unlink()
    code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--no-plots", "--workers", 1)
    assert code == 0 and "priors.csv is missing or damaged" in stderr, stderr
    assert priors.read_bytes() == written


def _edited(path: Path, change) -> None:
    """Rewrite a folder's table with `change` applied to it (a pandas frame)."""
    import pandas as pd

    if path.suffix == ".parquet":
        change(pd.read_parquet(path)).to_parquet(path)
    else:
        change(pd.read_csv(path)).to_csv(path, index=False)


@pytest.mark.parametrize("also_lost", [None, "summary.csv", "outcomes.parquet"])
def test_a_lost_chunk_of_a_complete_folder_is_computed_again_by_resume(complete, tmp_path,
                                                                     also_lost):
    """A complete folder whose chunk was deleted (with or without a table): `--resume`
    computes the chunk again from its seeds and the tables come out as the run wrote them."""
    folder = _copy(complete, tmp_path / "run")
    (folder / "chunks" / "chunk-00000000.npz").unlink()
    if also_lost:
        (folder / also_lost).unlink()
    code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--no-plots", "--workers", 1)
    assert code == 0 and "1 chunk of its runs is missing; computing it again" in stderr, stderr
    assert manifest(folder)["status"] == "complete"
    for table in ("summary.csv", "support.csv", "blockers.csv"):
        assert (folder / table).read_bytes() == (complete / table).read_bytes()


def test_an_edited_table_of_a_folder_with_a_lost_chunk_is_kept_aside_by_resume(complete,
                                                                                tmp_path):
    """A complete folder whose chunk was deleted and one of whose tables was edited: `--resume`
    rebuilds every table, so the edit is kept beside it under a new name, as it says, and is
    not overwritten unseen."""
    folder = _copy(complete, tmp_path / "run")
    (folder / "chunks" / "chunk-00000000.npz").unlink()
    path = folder / "blockers.csv"
    edited = path.read_bytes().replace(b"0.", b"0.9", 1)
    path.write_bytes(edited)
    code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--no-plots", "--workers", 1)
    assert code == 0 and "1 chunk of its runs is missing; computing it again" in stderr, stderr
    assert path.read_bytes() == (complete / "blockers.csv").read_bytes()
    (aside,) = folder.glob("blockers.csv.replaced-*")
    assert aside.read_bytes() == edited and f"is kept as {aside.name}" in stderr


@pytest.mark.parametrize(("table", "change", "says", "argv"), [
    ("summary.csv", lambda t: t.assign(p_multilateral="high"),
     "not the table the run wrote: cut short or edited since", ("compare", "plot")),
    ("support.csv", lambda t: t.drop(columns="support_mean"), "no column support_mean",
     ("plot",)),
    ("support.csv", lambda t: t.assign(issue="no_such_issue"),
     "issues the run did not have: no_such_issue", ("plot",)),
    ("blockers.csv", lambda t: t.assign(share="most"),
     "text where numbers belong, in the column share", ("plot",)),
    ("blockers.csv", lambda t: t.head(1).assign(share="most"),  # one row: still read
     "text where numbers belong, in the column share", ("plot",)),
    ("text_levels.csv", lambda t: t.drop(columns="issue"), "no column issue", ("plot",)),
    ("coalitions.csv", lambda t: t.rename(columns={"coalition": "bloc"}), "no column coalition",
     ("plot",)),
    ("outcomes.parquet", lambda t: t.drop(columns="run"), "no column run", ("explain",)),
])
def test_a_table_lacking_what_its_readers_use_is_an_error_and_resume_rebuilds_it(
        complete, tmp_path, table, change, says, argv):
    """A table that reads as CSV (or Parquet) but lacks a column, has text in a number column
    or an issue the run did not have: named by the commands that read it, not a traceback, and
    rebuilt by the command the message names."""
    folder = _copy(complete, tmp_path / "run")
    _edited(folder / table, change)
    commands = {"compare": ("compare", complete, folder), "plot": ("plot", folder),
                "explain": ("explain", folder, "--issue", "mandate", "--runs", 2)}
    for name in argv:
        code, _, stderr = mc11(*commands[name])
        assert_clear_error(code, stderr, f"{folder / table}: (table)", says,
                           f"mc11 run --resume {folder}")
    assert not (folder / "plots").exists() and not (folder / "plots-2").exists()
    code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--no-plots", "--workers", 1)
    assert code == 0 and "rebuilding its tables" in stderr, stderr
    assert (folder / table).read_bytes() == (complete / table).read_bytes()


def test_a_spread_table_without_its_run_count_is_named_not_a_traceback(complete, tmp_path):
    """The support figure's title gives the run count from support.csv's n_runs: a folder of an
    mc11 that recorded no table digests, whose support.csv lacks the column, is an error naming
    it (not a KeyError from the figure), and `run --resume` rebuilds the table."""
    folder = _copy(complete, tmp_path / "run")
    record = manifest(folder)
    del record["tables"]
    (folder / "run.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    _edited(folder / "support.csv", lambda t: t.drop(columns="n_runs"))
    code, _, stderr = mc11("plot", folder, "--workers", 1)
    assert_clear_error(code, stderr, f"{folder / 'support.csv'}: (table)", "no column n_runs",
                       f"mc11 run --resume {folder}")
    code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--no-plots", "--workers", 1)
    assert code == 0 and "rebuilding its tables" in stderr, stderr
    assert (folder / "support.csv").read_bytes() == (complete / "support.csv").read_bytes()


@pytest.mark.parametrize("table", ["blockers.csv", "text_levels.csv", "summary.csv"])
@pytest.mark.parametrize("damage", ["cut", "edited"])
def test_a_table_cut_short_or_edited_after_the_run_is_refused_and_rebuilt(
        complete, tmp_path, table, damage):
    """A table that still reads as CSV with every column, but is not what the run wrote (the
    first 100 bytes of it, or one share changed), is named by `plot` instead of drawn as if
    nobody had blocked; `run --resume` rebuilds it from the chunks, keeping what was there
    beside it under a new name, as it says."""
    folder = _copy(complete, tmp_path / "run")
    path = folder / table
    data = path.read_bytes()
    damaged = data[:100] if damage == "cut" else data.replace(b"0.", b"0.9", 1)
    path.write_bytes(damaged)
    code, _, stderr = mc11("plot", folder)
    # a cut that leaves out a column is named as such; whatever else, the table is not the run's
    says = "the table is missing or damaged" if damage == "cut" else "cut short or edited"
    assert_clear_error(code, stderr, f"{path}: (table)", says, f"mc11 run --resume {folder}")
    code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--no-plots", "--workers", 1)
    assert code == 0 and "rebuilding its tables" in stderr, stderr
    assert path.read_bytes() == data
    (aside,) = folder.glob(f"{table}.replaced-*")
    assert aside.read_bytes() == damaged and f"is kept as {aside.name}" in stderr
    if (table, damage) == ("summary.csv", "cut"):  # the rebuilt tables' digests are recorded
        code, _, stderr = mc11("plot", folder, "--workers", 1)  # (one case: 2 s of figures)
        assert code == 0, stderr


@pytest.mark.parametrize("plots", [True, False])
def test_a_stopped_run_says_how_to_complete_it_as_it_was_started(tmp_path, monkeypatch, plots):
    """A run with --plots stopped before its tables is completed with its figures: the hint
    carries --plots, as a resume without them leaves the figures drawn ahead alone in plots/."""
    from simulation.runs import results

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    folder = tmp_path / "run"
    with monkeypatch.context() as patch:
        patch.setattr(results, "_combine_folder", ctrl_c)
        code, _, stderr = mc11("run", BASELINE, "--runs", 2, "--folder", folder, "--quiet",
                               "--workers", 1, "--plots" if plots else "--no-plots")
    assert code == 130, stderr
    hint = stderr.split("Complete the run with: ")[1].splitlines()[0]
    assert shlex.split(hint) == ["mc11", "run", "--resume", str(folder), *["--plots"] * plots]


def test_a_rebuild_of_an_edited_table_stopped_part_way_resumes_to_the_runs_table(
        complete, tmp_path, monkeypatch):
    """An edited summary.csv being rebuilt when Ctrl-C comes: the folder is interrupted, and the
    next `--resume` rebuilds the table the run wrote (the edited table's digest is not kept as
    the run's, which would refuse the rebuilt one as edited)."""
    from simulation.runs import results

    folder = _copy(complete, tmp_path / "run")
    path = folder / "summary.csv"
    data = path.read_bytes()
    path.write_bytes(data.replace(b"0.", b"0.9", 1))

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(results, "_combine_folder", ctrl_c)
        code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--no-plots", "--workers", 1)
    assert code == 130 and manifest(folder)["status"] == "interrupted", stderr
    code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--no-plots", "--workers", 1)
    assert code == 0, stderr
    assert path.read_bytes() == data and manifest(folder)["status"] == "complete"


def test_a_file_given_for_a_folder_is_called_a_file(complete, tmp_path):
    code, _, stderr = mc11("compare", complete, BASELINE)
    assert_clear_error(code, stderr, str(BASELINE), "a file, not a folder")
    from simulation.errors import InputError
    from simulation.runs.calibrate import resuming

    with pytest.raises(InputError, match="--dir: a file, not a folder"):
        resuming(BASELINE, {})


def test_a_file_named_plots_is_drawn_beside_not_taken_for_a_folder(complete, tmp_path):
    folder = _copy(complete, tmp_path / "run")
    (folder / "plots").write_text("my notes", encoding="utf-8")
    code, _, stderr = mc11("plot", folder, "--force")
    assert_clear_error(code, stderr, str(folder / "plots"), "--force", "a file")
    code, _, stderr = mc11("plot", folder, "--workers", 1)
    assert code == 0 and "is a file, not a folder; drawing into plots-2/" in stderr, stderr
    assert (folder / "plots").read_text(encoding="utf-8") == "my notes"
    assert list((folder / "plots-2").glob("*.png"))


@pytest.mark.parametrize(("seed", "accepted"), [(2**63 - 1, True), (2**63, False), (-1, False)])
def test_a_seed_outside_what_numpy_takes_is_refused_saying_the_range(seed, accepted, capsys,
                                                                    tmp_path, monkeypatch):
    from simulation.cli import build_parser

    monkeypatch.chdir(tmp_path)  # a seed let through would run into ./results

    if accepted:
        assert build_parser().parse_args(["run", "--seed", str(seed)]).seed == seed
        return
    with pytest.raises(SystemExit) as ended:
        main(["run", "--seed", str(seed), "--runs", "2"])
    error = capsys.readouterr().err
    assert ended.value.code == 2 and "--seed: must be a whole number from 0 to 2**63 - 1" in error
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(("argv", "says"), [
    (["calibrate", "x.csv", "--protocol", "compromise", "--folds", "1"], "at least 2"),
])
def test_a_count_below_its_minimum_states_that_minimum(argv, says, capsys):
    with pytest.raises(SystemExit) as ended:
        main(argv)
    assert ended.value.code == 2 and says in capsys.readouterr().err


@pytest.mark.parametrize(("command", "given", "hint"), [
    ("forecast", "scenario", "this looks like a scenario (YAML)"),
    ("run", "data", "this looks like actor-issue data"),
    ("simulate", "manifest", "this is a results folder's run.json"),
])
def test_a_file_of_the_other_kind_is_named_as_such(complete, command, given, hint, capsys):
    """A scenario given to a data command, data to a scenario command, or a folder's run.json:
    the parser's complaint about the first line comes with what the file looks like."""
    path = {"scenario": BASELINE, "manifest": complete / "run.json",
            "data": ROOT / "tests" / "data" / "decide_sample_data.csv"}[given]
    code = main([command, str(path)])
    error = capsys.readouterr().err
    assert code == 2 and error.startswith(f"mc11: error: {path}") and hint in error, error


def test_a_file_of_the_other_kind_is_named_as_such_whatever_the_case_of_its_ending(tmp_path,
                                                                                  capsys):
    data = tmp_path / "DATA.CSV"
    data.write_bytes((ROOT / "tests" / "data" / "decide_sample_data.csv").read_bytes())
    code = main(["run", str(data)])
    error = capsys.readouterr().err
    assert code == 2 and "this looks like actor-issue data" in error, error


@pytest.mark.parametrize(("marker", "said"), [
    ("run.json", "a results folder of `mc11 run`"),
    ("design.json", "a folder of `mc11 sweep` or `sensitivity`"),
    ("trials.journal", "a folder of `mc11 calibrate`"),
])
@pytest.mark.parametrize("command", ["forecast", "backtest"])
def test_an_mc11_output_folder_given_as_data_is_named_as_such(complete, tmp_path, marker, said,
                                                              command):
    """Its first table was named as data lacking an 'actor' column."""
    folder = _copy(complete, tmp_path / "run")
    if marker != "run.json":
        (folder / "run.json").rename(folder / marker)
    code, _, stderr = mc11(command, folder)
    assert_clear_error(code, stderr, f"{folder}: folder: this is {said}", "not actor-issue data")


def test_an_unfinished_folder_names_the_command_that_completes_it(complete, tmp_path):
    folder = _copy(complete, tmp_path / "run")
    data = manifest(folder)
    (folder / "run.json").write_text(json.dumps({**data, "status": "interrupted"}),
                                     encoding="utf-8")
    code, _, stderr = mc11("plot", folder)
    assert_clear_error(code, stderr, "'interrupted'", f"`mc11 run --resume {folder}`")


def test_folders_of_different_issues_are_not_compared(complete, tmp_path):
    folder = _copy(complete, tmp_path / "run")
    summary = folder / "summary.csv"
    lines = summary.read_text(encoding="utf-8").splitlines(keepends=True)
    summary.write_text("".join(lines[:-1]), encoding="utf-8")  # one issue fewer
    data = manifest(folder)  # as written by a run without that issue: no digest to differ
    del data["tables"]
    (folder / "run.json").write_text(json.dumps(data), encoding="utf-8")
    code, _, stderr = mc11("compare", complete, folder)
    assert_clear_error(code, stderr, "summary.csv", "market_access")


def test_a_summary_with_an_issue_twice_is_refused_by_its_row_count(complete, tmp_path):
    """Every issue has its row, but one twice (as an older mc11 or an edit might leave it): the
    table is not one row per issue, and is named as such."""
    folder = _copy(complete, tmp_path / "run")
    summary = folder / "summary.csv"
    lines = summary.read_text(encoding="utf-8").splitlines(keepends=True)
    summary.write_text("".join([*lines, lines[-1]]), encoding="utf-8")
    data = manifest(folder)  # no digest to differ: the row count alone tells
    del data["tables"]
    (folder / "run.json").write_text(json.dumps(data), encoding="utf-8")
    issues = len(lines) - 1
    for argv in (("compare", complete, folder), ("plot", folder)):
        code, _, stderr = mc11(*argv)
        assert_clear_error(code, stderr, "summary.csv",
                           f"{issues + 1} rows for the scenario's {issues} issues")


# --------------------------------------------------------------------------- files written


def test_an_existing_out_file_is_refused_before_any_work(complete, tmp_path):
    taken = tmp_path / "taken.csv"
    taken.write_text("mine\n", encoding="utf-8")
    code, stdout, stderr = mc11("simulate", "--seed", 1, "--out", taken)
    assert_clear_error(code, stderr, str(taken), "--out", "exists")
    assert stdout == "" and taken.read_text(encoding="utf-8") == "mine\n"
    fresh = tmp_path / "changes.csv"
    code, _, stderr = mc11("compare", complete, complete, "--out", fresh, "--plot", taken)
    assert_clear_error(code, stderr, "--plot", "exists")
    assert not fresh.exists()  # nothing half-done: the table was not written either


def test_an_existing_inputs_record_beside_out_is_refused_before_any_work(tmp_path):
    """`forecast --out t.csv` also writes t.csv.inputs.json: that file taken already is refused
    before the forecast runs (not after, its work lost), and kept as it was."""
    table = tmp_path / "t.csv"
    record = tmp_path / "t.csv.inputs.json"
    record.write_text("mine\n", encoding="utf-8")
    code, stdout, stderr = mc11("forecast", ROOT / "examples" / "my_negotiation.csv", "--out",
                                table, "--runs", 2)
    assert_clear_error(code, stderr, str(record), "--out", "exists already")
    assert stderr.count("\n") == 1 and stdout == "", stderr  # nothing said: nothing run
    assert not table.exists() and record.read_text(encoding="utf-8") == "mine\n"


def test_one_file_named_for_two_outputs_is_refused_before_any_work(complete, tmp_path):
    same = tmp_path / "changes.png"
    code, stdout, stderr = mc11("compare", complete, complete, "--out", same, "--plot", same)
    assert_clear_error(code, stderr, "--plot", "--out names the same file")
    assert stdout == "" and not same.exists()


def test_one_file_named_two_ways_for_two_outputs_is_refused_before_any_work(complete, tmp_path):
    (tmp_path / "sub").mkdir()
    same, spelt_otherwise = tmp_path / "changes.png", tmp_path / "sub" / ".." / "changes.png"
    code, stdout, stderr = mc11("compare", complete, complete, "--out", same, "--plot",
                                spelt_otherwise)
    assert_clear_error(code, stderr, "--plot", "--out names the same file")
    assert stdout == "" and not same.exists()


@pytest.mark.parametrize("option", ["--out", "--plot"])
def test_a_file_in_a_missing_folder_names_the_folder(complete, tmp_path, option):
    target = tmp_path / "no_such_folder" / "changes.png"
    code, _, stderr = mc11("compare", complete, complete, option, target)
    assert_clear_error(code, stderr, option, f"{target.parent} does not exist")
    assert not target.parent.exists()
    inside_a_file = tmp_path / "notes.txt" / "changes.png"
    inside_a_file.parent.write_text("mine\n", encoding="utf-8")
    code, _, stderr = mc11("compare", complete, complete, option, inside_a_file)
    assert_clear_error(code, stderr, option, f"{inside_a_file.parent} is a file, not a folder")


@pytest.mark.parametrize("option", ["--out", "--plot"])
def test_a_folder_where_a_new_file_goes_is_named_a_folder(complete, tmp_path, option):
    code, _, stderr = mc11("compare", complete, complete, option, tmp_path)
    assert_clear_error(code, stderr, f"{tmp_path}: {option}: this is a folder; give the name of "
                       "a new file")


def test_a_file_given_as_the_new_results_folder_is_named_a_file(tmp_path):
    mine = tmp_path / "notes.txt"
    mine.write_text("mine\n", encoding="utf-8")
    code, _, stderr = mc11("run", BASELINE, "--runs", 2, "--folder", mine, "--quiet")
    assert_clear_error(code, stderr, f"{mine}: --folder: this is a file, not a folder")
    assert mine.read_text(encoding="utf-8") == "mine\n"


def test_a_folder_another_mc11_is_running_is_not_resumed_beside_it(complete, tmp_path):
    """Two processes combining the same chunks would race on outcomes.parquet: while one mc11
    runs a folder, a second `--resume` of it is refused, without saying it resumes, and leaves
    its status alone."""
    from simulation.runs.results import running

    folder = _copy(complete, tmp_path / "run")
    (folder / "run.json").write_text(json.dumps({**manifest(folder), "status": "running"}),
                                     encoding="utf-8")
    with running(folder):
        code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--no-plots")
        assert_clear_error(code, stderr, "another mc11 is running this folder")
        assert "resuming" not in stderr, stderr
        assert manifest(folder)["status"] == "running"
    code, _, stderr = mc11("plot", folder)
    assert_clear_error(code, stderr, "'running'", "killed", f"`mc11 run --resume {folder}`")
    code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--no-plots")
    assert code == 0, stderr
    assert manifest(folder)["status"] == "complete"


def test_a_damaged_table_stays_in_place_while_another_mc11_holds_the_folder(complete, tmp_path):
    """A resume refused because another mc11 runs the folder touches nothing: its damaged
    table is not renamed aside (the other process may be rebuilding it), nor rebuilt."""
    from simulation.runs.results import running

    folder = _copy(complete, tmp_path / "run")
    summary = folder / "summary.csv"
    summary.write_bytes(summary.read_bytes()[:100])
    before = sorted(p.name for p in folder.iterdir())
    with running(folder):
        code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--no-plots")
        assert_clear_error(code, stderr, "another mc11 is running this folder")
    assert sorted(p.name for p in folder.iterdir()) == before
    assert "kept as" not in stderr and len(summary.read_bytes()) == 100


def test_a_folder_another_run_just_created_is_never_removed(scenario_file, tmp_path,
                                                            monkeypatch):
    """Runs of one scenario started in the same second (`for s in 1 2 3; do mc11 run --seed $s
    & done`) want the same folder name: the one created first is kept whole, the others take
    the next free name, even when it appears between a check and the creation."""
    from datetime import UTC, datetime

    from simulation.runs import results

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2017, 12, 10, 9, 0, tzinfo=UTC)

    monkeypatch.setattr(results, "datetime", Frozen)
    theirs = tmp_path / "small-20171210-090000"
    theirs.mkdir()
    (theirs / "run.json").write_text("theirs", encoding="utf-8")
    exists = Path.exists
    monkeypatch.setattr(Path, "exists", lambda self, **kw: self != theirs and exists(self, **kw))
    code, stdout, stderr = mc11("run", scenario_file, "--results-dir", tmp_path, "--quiet",
                                "--no-plots", "--workers", 1)
    assert code == 0, stderr
    assert (theirs / "run.json").read_text(encoding="utf-8") == "theirs"
    assert stdout.rstrip().endswith(f"results: {tmp_path / 'small-20171210-090000-2'}")


@pytest.mark.parametrize("answer", ["", "n\n"])
def test_no_answer_at_the_size_prompt_starts_nothing(tmp_path, monkeypatch, answer,
                                                     plenty_of_disk):
    """Ctrl-D (end of input) or 'n' at 'Start it? [y/N]' is a no, not a traceback."""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal(answer))
    code, _, stderr = mc11("run", BASELINE, "--runs", 10_000_000, "--results-dir", tmp_path)
    assert_clear_error(code, stderr, "not started")
    assert not list(tmp_path.iterdir())


def test_resuming_a_read_only_folder_is_a_clear_error(complete, tmp_path, monkeypatch):
    import errno

    folder = _copy(complete, tmp_path / "run")
    (folder / "run.json").write_text(json.dumps({**manifest(folder), "status": "interrupted"}),
                                     encoding="utf-8")
    real = os.open

    def read_only(path, *args, **kwargs):
        if str(path).startswith(str(folder)):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--no-plots")
    assert_clear_error(code, stderr, str(folder), "cannot write", "Read-only file system")


def _run_with_own_calendar(tmp_path: Path) -> tuple[Path, Path]:
    """A 4-run ensemble of a scenario with its own calendar (a copy of the shipped one):
    (the calendar, the results folder)."""
    from simulation.inputs.catalogue import DATA_DIR

    calendar = tmp_path / "cal.yaml"
    calendar.write_text((DATA_DIR / "calendar.yaml").read_text(encoding="utf-8"),
                        encoding="utf-8")
    scenario = tmp_path / "own.yaml"
    scenario.write_text(f"extends: {BASELINE}\nname: own\ncalendar: cal.yaml\nreplications: 4\n"
                        "seed: 3\n", encoding="utf-8")
    folder = tmp_path / "run"
    code, _, stderr = mc11("run", scenario, "--folder", folder, "--quiet", "--no-plots",
                           "--workers", 1)
    assert code == 0, stderr
    return calendar, folder


def test_a_folder_keeps_its_own_calendar(tmp_path):
    """A scenario with its own calendar: the folder keeps a copy, so it can be compared,
    plotted and resumed after the calendar file moved (or on a colleague's machine)."""
    calendar, folder = _run_with_own_calendar(tmp_path)
    assert (folder / "calendar.yaml").read_bytes() == calendar.read_bytes()
    calendar.rename(tmp_path / "moved.yaml")
    (folder / "run.json").write_text(json.dumps({**manifest(folder), "status": "interrupted"}),
                                     encoding="utf-8")
    (folder / "summary.csv").unlink()
    code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--no-plots", "--workers", 1)
    assert code == 0 and "inputs" not in stderr, stderr
    code, _, stderr = mc11("plot", folder, "--workers", 1)
    assert code == 0, stderr


def test_resuming_after_mc11s_data_changed_is_refused_once_without_blaming_the_scenario(
        tmp_path):
    """When the inputs no longer hash as the run recorded, though the scenario file and the
    folder's copy are as they were (mc11's data files changed, as after editing its
    calendar.yaml), resuming is refused in one message that says what may have changed, with
    no note that the scenario file changed."""
    _, folder = _run_with_own_calendar(tmp_path)
    recorded = manifest(folder)
    (folder / "run.json").write_text(json.dumps({**recorded, "status": "interrupted",
                                                 "input_hash": "0" * 16}), encoding="utf-8")
    code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--no-plots", "--workers", 1)
    assert_clear_error(code, stderr, "input_hash", "the inputs changed since this run started",
                       "mc11's data files", "start a new run instead of resuming")
    assert "note" not in stderr


@pytest.mark.parametrize("name", ["changes.jpg", "changes"])
def test_a_comparison_plot_named_in_no_figure_format_is_refused(complete, tmp_path, name):
    """The figure is drawn in the format its name ends in: `--plot changes.jpg` (or no ending)
    names none mc11 writes."""
    code, _, stderr = mc11("compare", complete, complete, "--plot", tmp_path / name)
    assert_clear_error(code, stderr, "--plot", ".png, .pdf, .svg")
    assert not (tmp_path / name).exists()


def test_resuming_says_how_many_runs_are_left(complete, tmp_path):
    folder = _copy(complete, tmp_path / "run")
    (folder / "run.json").write_text(json.dumps({**manifest(folder), "status": "interrupted"}),
                                     encoding="utf-8")
    for chunk in (folder / "chunks").glob("chunk-*.npz"):
        chunk.unlink()
    code, _, stderr = mc11("run", "--resume", folder, "--quiet", "--no-plots", "--workers", 1)
    assert code == 0, stderr
    assert f"resuming 'small' (seed 3) in {folder}: 4 of 4 replications left" in stderr


def test_a_resume_counts_the_chunks_kept_as_runs_done(scenario_file, tmp_path):
    """A folder of 4 runs in chunks of 2 that lost its second chunk: 2 runs are left, and the
    progress counts on from the 2 kept (the last line says 4/4, not 2/4)."""
    from simulation.inputs.scenario import load_scenario
    from simulation.report.tables import write_report
    from simulation.runs.results import execute, start_run

    run = start_run(load_scenario(scenario_file), 4, 3, tmp_path / "run", tmp_path,
                    chunk_size=2)
    execute(run, workers=1, progress=False, finish=write_report)
    (run.folder / "run.json").write_text(json.dumps({**manifest(run.folder),
                                                     "status": "interrupted"}), encoding="utf-8")
    (run.folder / "chunks" / "chunk-00000002.npz").unlink()
    code, _, stderr = mc11("run", "--resume", run.folder, "--no-plots", "--workers", 1)
    assert code == 0, stderr
    assert f"in {run.folder}: 2 of 4 replications left" in stderr
    assert "mc11: small: 4/4 runs (100%)" in stderr and "2/4 runs" not in stderr, stderr


EXAMPLE = ROOT / "examples" / "my_negotiation.csv"


@pytest.mark.parametrize("argv", [
    ["run", BASELINE, "--results-dir", ""], ["run", BASELINE, "--folder", ""],
    ["run", "--resume", ""], ["run", "--resume", " "], ["run", ""],
    ["simulate", BASELINE, "--out", ""],
    ["sweep", BASELINE, "--set", "parameters.bargaining.noise_sd=1,2", "--folder", ""],
    ["sensitivity", BASELINE, "--results-dir", ""], ["compare", "", ""], ["plot", ""],
    ["explain", "", "--issue", "moratorium"], ["forecast", ""],
    ["forecast", EXAMPLE, "--protocol", "exchange", "--trace-dir", ""],
    ["backtest", EXAMPLE, "--params", ""], ["calibrate", EXAMPLE, "--dir", ""],
    ["deu-to-csv", "", "deu.csv"],
])
def test_an_empty_file_or_folder_argument_is_refused(argv, tmp_path, monkeypatch, capsys):
    """`--resume "$DIR"` with DIR unset ran a new 1,000-run baseline, `--results-dir ""` wrote
    into the current folder and `--trace-dir ""` traced nothing: all silently."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stopped:
        main([str(a) for a in argv])
    assert stopped.value.code == 2
    assert "is empty; name a file or folder" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_more_runs_than_a_scenario_may_hold_are_refused_as_the_option(tmp_path, capsys):
    """Not after the estimate, as the scenario file's `replications`, which the user never
    wrote: the option they gave is named, before any work."""
    with pytest.raises(SystemExit) as stopped:
        main(["run", "scenarios/baseline.yaml", "--runs", "10000001", "--yes",
              "--folder", str(tmp_path / "run")])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "argument --runs: must be at most 10,000,000" in err and "replications:" not in err
    assert not (tmp_path / "run").exists()


def test_the_most_runs_a_scenario_may_hold_are_taken():
    """10,000,000 runs are allowed, as a scenario's replications (mutation testing, round 23)."""
    from simulation.cli.common import run_count

    assert run_count("10000000") == 10_000_000


def test_counts_on_the_screen_take_the_singular_for_one():
    from simulation.report import counted

    assert [counted(n, "proposal") for n in (0, 1, 2, 1500)] == [
        "0 proposals", "1 proposal", "2 proposals", "1,500 proposals"]


def _interrupted_in_compiled_code(*args, **kwargs):
    """What Ctrl-C inside a numba-compiled rule raises in the process running it: numba's
    SystemError, the KeyboardInterrupt as its context."""
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        raise SystemError("CPUDispatcher(<function _round at 0x0>) returned a result with an "
                          "exception set") from None


def test_ctrl_c_inside_a_compiled_rule_is_an_interruption_not_a_traceback(monkeypatch):
    """`mc11 simulate` (or `explain`, a sweep in-process) stopped while a compiled rule runs:
    'interrupted', exit 130, as for Ctrl-C anywhere else."""
    from simulation.engine import model

    monkeypatch.setattr(model.NegotiationModel, "run", _interrupted_in_compiled_code)
    code, _, stderr = mc11("simulate", BASELINE, "--seed", 1)
    assert code == 130
    assert stderr.strip().endswith("mc11: interrupted")
    assert "SystemError" not in stderr and "CPUDispatcher" not in stderr


def test_a_system_error_without_ctrl_c_is_not_passed_off_as_an_interruption(monkeypatch):
    def broken(*args, **kwargs):
        raise SystemError("a real bug")

    from simulation.engine import model

    monkeypatch.setattr(model.NegotiationModel, "run", broken)
    with pytest.raises(SystemError, match="a real bug"):
        mc11("simulate", BASELINE, "--seed", 1)


@pytest.mark.parametrize(("argv", "command", "extra"), [
    (["sweep", BASELINE, "--set", "critical_mass", "0.5,0.6"], "sweep", "0.5,0.6"),
    (["preferences", "a.yaml", "b.yaml"], "preferences", "b.yaml"),
    (["compare", "--format", "csv", "--bogus", "a", "b"], "compare", "--bogus"),
])
def test_a_word_left_over_is_refused_with_the_commands_own_usage(argv, command, extra, capsys):
    """`--set critical_mass 0.5,0.6` (a space for the '='): the message shows the usage of
    `mc11 sweep`, where --set is, not only `mc11 COMMAND ...`."""
    with pytest.raises(SystemExit) as stopped:
        main([str(a) for a in argv])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: mc11 {command} ")
    assert f"mc11 {command}: error: unrecognized arguments: {extra}" in err


@pytest.mark.parametrize(("argv", "hint"), [
    (["run", "--protocol", "exchange"],
     "(--protocol is an option of mc11 simulate, forecast, backtest, calibrate; mc11 run takes "
     "its protocol from the scenario file (`protocol:` under parameters.bargaining, as in "
     "scenarios/exchange_protocol.yaml))"),
    (["run", "--rounds", "3"], "(--rounds is an option of mc11 forecast, backtest)\n"),
    (["compare", "a", "b", "--rounds=3"], "(--rounds is an option of mc11 forecast, backtest)"),
    (["compare", "a", "b", "--bogus"], "--bogus\n"),
])
def test_an_option_of_another_command_is_refused_naming_the_commands_that_take_it(argv, hint,
                                                                                 capsys):
    """`mc11 run --protocol exchange`, as `simulate` is taught: the error says which commands
    take --protocol, and where mc11 run finds it; an option no command takes gets no hint."""
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert hint in capsys.readouterr().err


def test_a_shipped_scenario_named_without_its_folder_is_pointed_to(tmp_path, monkeypatch):
    """`mc11 run african_group_softens.yaml` from the repository's root: the file is not there,
    the shipped scenario of that name is, and the error says where."""
    monkeypatch.chdir(BASELINE.parents[1])
    code, _, stderr = mc11("run", "african_group_softens.yaml", "--runs", 2)
    assert_clear_error(code, stderr, "the file does not exist; the shipped scenario of that name "
                       "is scenarios/african_group_softens.yaml")
    monkeypatch.chdir(tmp_path)
    code, _, stderr = mc11("run", "no_such_scenario.yaml", "--runs", 2)
    assert_clear_error(code, stderr, "no_such_scenario.yaml: (file): the file does not exist")
    assert "shipped scenario" not in stderr


def test_resume_takes_a_table_without_rows_as_sound(tmp_path):
    """Runs that made no plurilateral deal leave plurilateral_membership.csv with its header
    alone: a resume of the complete folder finds nothing to rebuild or keep aside (it called
    the table damaged, rebuilt it and kept a copy aside at every resume)."""
    folder = tmp_path / "none"
    code, _, stderr = mc11("run", BASELINE, "--runs", 2, "--folder", folder, "--quiet",
                           "--no-plots")
    assert code == 0, stderr
    # the baseline's first two runs at its seed make no plurilateral deal
    assert (folder / "plurilateral_membership.csv").read_text().count("\n") == 1
    code, _, stderr = mc11("run", "--resume", folder)
    assert code == 0, stderr
    assert "complete already" in stderr and "damaged" not in stderr
    assert not list(folder.glob("*.replaced-*"))


@pytest.mark.parametrize("argv, words", [
    (["simulate", "{loop}"], ["loop.yaml: (file): the file cannot be read", "symbolic links"]),
    (["preferences", "{what_if}"], ["extends:", "is not a file"]),
    (["forecast", "{loop}"], ["cannot read the file", "symbolic links"]),
    (["issues", "--out", "{loop}"], ["--out"]),
    (["run", "--runs", 2, "--workers", 1, "--folder", "{loop}"], ["--folder"]),
])
def test_a_loop_of_symbolic_links_is_a_clear_error(argv, words, tmp_path):
    """Python 3.12's Path.resolve raises RuntimeError on a loop of links: a traceback."""
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(tmp_path / "back.yaml")
    (tmp_path / "back.yaml").symlink_to(loop)
    what_if = tmp_path / "what_if.yaml"
    what_if.write_text("extends: loop.yaml\nname: what_if\n", encoding="utf-8")
    places = {"loop": loop, "what_if": what_if}
    code, _, stderr = mc11(*(str(a).format(**places) for a in argv))
    assert_clear_error(code, stderr, *words)


@pytest.mark.parametrize("given", ["data.csv", "link.csv"])
def test_a_file_of_the_other_kind_is_named_as_such_given_relative_or_through_a_link(
        tmp_path, monkeypatch, capsys, given):
    """The error names the file where the link leads, as an absolute path: the hint is for
    the file given all the same."""
    data = tmp_path / "data.csv"
    data.write_bytes((ROOT / "tests" / "data" / "decide_sample_data.csv").read_bytes())
    (tmp_path / "link.csv").symlink_to(data)
    monkeypatch.chdir(tmp_path)
    code = main(["run", given])
    error = capsys.readouterr().err
    assert code == 2 and "this looks like actor-issue data" in error, error

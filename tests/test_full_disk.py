"""Commands whose disk fills up while they write: one message and an exit code, no traceback,
no half file left under a final name, and the work done so far kept for the same command to
complete.

CI cannot mount a small file system, so the full disk is simulated at the lowest write each
command does: `Path.open` handles whose write stops half-way with ENOSPC, or the library call
that writes (pyarrow's ParquetWriter, optuna's journal, the figures' `save_figure`). Each case
was first found on a small tmpfs mount filled at that moment.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest
from commands import mc11

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
EXAMPLE = ROOT / "examples" / "my_negotiation.csv"
DEU = Path(__file__).parent / "data" / "deu3_synthetic.csv"


def disk_full(number: int = errno.ENOSPC) -> OSError:
    return OSError(number, os.strerror(number))


class _FillsUp:
    """A file handle on a disk that fills up: half of the first write lands, then ENOSPC."""

    def __init__(self, handle, number: int = errno.ENOSPC) -> None:
        self._handle = handle
        self._number = number

    def write(self, text):
        self._handle.write(text[:len(text) // 2])
        raise disk_full(self._number)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._handle.close()

    def __getattr__(self, name: str):
        return getattr(self._handle, name)


def fill_disk(monkeypatch, under: Path, name: str = "", number: int = errno.ENOSPC) -> None:
    """Writing a file under `under` (named `name`, if given) fills the disk half-way (or, with
    `number` errno.EDQUOT, the user's quota)."""
    real = Path.open

    def open_(self, mode="r", *args, **kwargs):
        handle = real(self, mode, *args, **kwargs)
        if set(mode) & set("wxa") and self.is_relative_to(under) and name in self.name:
            return _FillsUp(handle, number)
        return handle

    monkeypatch.setattr(Path, "open", open_)


def assert_stopped(stderr: str, *words: str) -> None:
    """No traceback, and a last `mc11:` line saying the disk is full, with the words."""
    lines = [line for line in stderr.splitlines() if line.startswith("mc11:")]
    assert "Traceback" not in stderr, stderr
    assert "the disk is full" in lines[-1], stderr
    for word in words:
        assert word in lines[-1], (word, lines[-1])


@pytest.fixture(scope="module")
def small_scenario(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "small.yaml"
    path.write_text(f"extends: {BASELINE}\nname: small\nreplications: 4\nseed: 3\n",
                    encoding="utf-8")
    return path


def test_a_run_whose_disk_fills_up_at_its_tables_resumes_to_the_same_tables(
        small_scenario, tmp_path, monkeypatch):
    """The outcomes table fails half-written and then so does run.json's status (the disk is
    full): exit 130 with the resume command, no temporary table left taking space, and the
    resume gives the tables of a run never stopped."""
    from simulation.runs import results

    whole = tmp_path / "whole"
    code, _, stderr = mc11("run", small_scenario, "--folder", whole, "--workers", 1, "--quiet",
                           "--no-plots")
    assert code == 0, stderr
    full: list[bool] = []
    real_write = results.write_atomic

    class FillingWriter(results.pq.ParquetWriter):
        def write_table(self, table, *args, **kwargs):
            full.append(True)
            raise disk_full()

    def write_atomic(path, text):
        if full:
            raise disk_full()
        real_write(path, text)

    monkeypatch.setattr(results.pq, "ParquetWriter", FillingWriter)
    monkeypatch.setattr(results, "write_atomic", write_atomic)
    folder = tmp_path / "stopped"
    code, _, stderr = mc11("run", small_scenario, "--folder", folder, "--workers", 1, "--quiet",
                           "--no-plots")
    assert code == 130, stderr
    assert_stopped(stderr, f"mc11 run --resume {folder}")
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == [".lock"]
    monkeypatch.undo()
    code, _, stderr = mc11("run", "--resume", folder, "--workers", 1, "--quiet", "--no-plots")
    assert code == 0, stderr
    for table in ("summary.csv", "support.csv", "blockers.csv"):
        assert (folder / table).read_bytes() == (whole / table).read_bytes()


def test_a_run_whose_disk_fills_up_at_a_chunk_leaves_no_part_of_it(small_scenario, tmp_path,
                                                                 monkeypatch):
    """A chunk cut off half-way leaves no file in chunks/ (none taking the space, none to
    resume from), and the resume computes it."""
    import numpy as np

    def write_array(file, array, *args, **kwargs):
        file.write(b"\x93NUMPY" + bytes(100))
        raise disk_full()

    monkeypatch.setattr(np.lib.format, "write_array", write_array)
    folder = tmp_path / "stopped"
    code, _, stderr = mc11("run", small_scenario, "--folder", folder, "--workers", 1, "--quiet",
                           "--no-plots")
    assert code == 130, stderr
    assert_stopped(stderr, f"mc11 run --resume {folder}")
    assert list((folder / "chunks").iterdir()) == []
    monkeypatch.undo()
    code, _, stderr = mc11("run", "--resume", folder, "--workers", 1, "--quiet", "--no-plots")
    assert code == 0, stderr
    assert [p.name for p in (folder / "chunks").iterdir()] == ["chunk-00000000.npz"]


@pytest.mark.parametrize("argv, written", [
    (["members", "--format", "csv", "--out", "{dir}/members.csv"], "members.csv"),
    (["forecast", EXAMPLE, "--out", "{dir}/forecast.csv"], "forecast.csv"),
    (["forecast", EXAMPLE, "--protocol", "exchange", "--trace-dir", "{dir}/trace"],
     "trace/exchanges"),
    (["deu-to-csv", DEU, "{dir}/deu.csv"], "deu.csv"),
], ids=["out", "forecast-out", "trace-dir", "deu-to-csv"])
def test_a_file_cut_off_by_a_full_disk_is_not_left_behind(argv, written, tmp_path,
                                                          monkeypatch):
    """Exit 2, and no empty or cut-off file keeps the name (it would block the same command
    once space is freed: 'the file exists already')."""
    argv = [str(a).replace("{dir}", str(tmp_path)) for a in argv]
    fill_disk(monkeypatch, tmp_path)
    code, _, stderr = mc11(*argv)
    assert code == 2, stderr
    assert_stopped(stderr, str(tmp_path / written))
    assert not (tmp_path / written).exists()
    monkeypatch.undo()
    code, _, stderr = mc11(*argv)
    assert code == 0, stderr


def test_a_write_over_the_disk_quota_is_told_as_a_full_disk(tmp_path, monkeypatch):
    """A quota (EDQUOT) fills up as a disk does: the same words, and room to free."""
    fill_disk(monkeypatch, tmp_path, number=errno.EDQUOT)
    code, _, stderr = mc11("members", "--format", "csv", "--out", tmp_path / "members.csv")
    assert code == 2, stderr
    assert_stopped(stderr, str(tmp_path / "members.csv"), os.strerror(errno.EDQUOT))
    assert not (tmp_path / "members.csv").exists()


def test_a_table_whose_inputs_file_the_disk_cuts_off_is_not_left_behind(tmp_path,
                                                                        monkeypatch):
    """--out's table is removed with its cut-off inputs file: a table is kept only with the
    record of what reproduces it, and the same command works once space is freed."""
    argv = ["backtest", EXAMPLE, "--out", tmp_path / "skill.txt"]
    fill_disk(monkeypatch, tmp_path, ".inputs.json")
    code, _, stderr = mc11(*argv)
    assert code == 2, stderr
    assert_stopped(stderr, str(tmp_path / "skill.txt.inputs.json"))
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    code, _, stderr = mc11(*argv)
    assert code == 0, stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["skill.txt", "skill.txt.inputs.json"]


def _calibrate(long_csv: Path, folder: Path) -> tuple[int, str, str]:
    return mc11("calibrate", long_csv, "--protocol", "compromise", "--folds", 2, "--trials", 2,
                "--dir", folder, "--workers", 1)


def test_a_calibration_whose_disk_fills_up_completes_with_the_same_command(
        long_csv, tmp_path, monkeypatch):
    """The trials' journal, then the report files: each stops the calibration with exit 130
    (the finished trials kept, no half file), and the same command completes it to the
    report of a calibration never stopped."""
    from optuna.storages.journal import JournalFileBackend

    code, whole, stderr = _calibrate(long_csv, tmp_path / "whole")
    assert code == 0, stderr
    real = JournalFileBackend.append_logs
    written: list[int] = []

    def append_logs(self, logs):
        if len(written) == 12:
            raise disk_full()
        written.append(len(logs))
        real(self, logs)

    folder = tmp_path / "stopped"
    monkeypatch.setattr(JournalFileBackend, "append_logs", append_logs)
    code, _, stderr = _calibrate(long_csv, folder)
    assert code == 130
    assert_stopped(stderr, str(folder), "same command")
    monkeypatch.undo()
    fill_disk(monkeypatch, folder, "parameters.yaml")
    code, _, stderr = _calibrate(long_csv, folder)
    assert code == 130
    assert_stopped(stderr, str(folder), "same command")
    assert not [p.name for p in folder.iterdir() if "parameters" in p.name]
    monkeypatch.undo()
    code, resumed, stderr = _calibrate(long_csv, folder)
    assert code == 0, stderr
    assert resumed == whole
    assert (folder / "parameters.yaml").read_text() == \
        (tmp_path / "whole" / "parameters.yaml").read_text()


@pytest.mark.parametrize("argv", [
    ["sweep", "--set", "parameters.consensus.base_tolerance=5,25"],
    ["sensitivity", "--method", "morris", "--samples", "2", "--parameters",
     "parameters.coalitions.join_threshold,parameters.coalitions.leave_threshold"],
], ids=["sweep", "sensitivity"])
def test_a_design_whose_tables_meet_a_full_disk_completes_with_the_same_command(
        argv, small_scenario, tmp_path, monkeypatch):
    """The design points are written, its first table is not: exit 130, and the same command
    writes the tables from the points kept."""
    folder = tmp_path / "design"
    command = [argv[0], small_scenario, *argv[1:], "--runs-per-point", 1, "--folder", folder,
               "--scheduler", "in-process", "--quiet", "--no-plots"]
    fill_disk(monkeypatch, folder, ".csv")
    code, _, stderr = mc11(*command)
    assert code == 130, stderr
    assert_stopped(stderr, f"--folder {folder}")
    monkeypatch.undo()
    code, _, stderr = mc11(*command)
    assert code == 0, stderr
    assert any(folder.glob("*.csv"))


@pytest.mark.slow  # 13 s: two sets of figures
def test_figures_cut_off_by_a_full_disk_are_kept_and_redrawn_in_place(small_scenario,
                                                                     tmp_path, monkeypatch):
    """`mc11 plot`: the figures drawn stay; the message says to redraw plots/ in place
    (without --force a second call would draw a second set beside the first)."""
    from simulation.report import plots

    folder = tmp_path / "run"
    code, _, stderr = mc11("run", small_scenario, "--folder", folder, "--workers", 1, "--quiet",
                           "--no-plots")
    assert code == 0, stderr
    real, drawn = plots.save_figure, []

    def save_figure(fig, path):
        if drawn:
            raise disk_full()
        drawn.append(real(fig, path))
        return drawn[-1]

    monkeypatch.setattr(plots, "save_figure", save_figure)
    code, _, stderr = mc11("plot", folder, "--workers", 1)
    assert code == 130, stderr
    assert_stopped(stderr, f"mc11 plot --force {folder}")
    assert [p.name for p in (folder / "plots").iterdir()] == [drawn[0].name]
    monkeypatch.undo()
    code, _, stderr = mc11("plot", "--force", folder, "--workers", 1)
    assert code == 0 and not (folder / "plots-2").exists(), stderr
    assert json.loads((folder / "run.json").read_text())["status"] == "complete"


def test_a_design_folder_that_turned_read_only_says_to_complete_a_copy(small_scenario, tmp_path,
                                                                       monkeypatch):
    """Not a full disk: the same command would fail the same way, so exit 2 and the copy."""
    folder = tmp_path / "design"
    real = Path.open

    def read_only(self, mode="r", *args, **kwargs):
        if set(mode) & set("wxa") and self.is_relative_to(folder) and ".csv" in self.name:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        return real(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", read_only)
    code, _, stderr = mc11("sweep", small_scenario, "--set",
                           "parameters.consensus.base_tolerance=5,25", "--runs-per-point", 1,
                           "--folder", folder, "--scheduler", "in-process", "--quiet",
                           "--no-plots")
    assert code == 2 and "Traceback" not in stderr, stderr
    assert "Read-only file system" in stderr and "copy the folder" in stderr


def test_a_what_if_saved_from_the_dashboard_onto_a_full_disk_leaves_no_file(tmp_path,
                                                                           monkeypatch):
    from simulation.dashboard import state
    from simulation.errors import InputError
    from simulation.inputs.scenario import load_scenario

    scenario, path = load_scenario(BASELINE), tmp_path / "what_if.yaml"
    fill_disk(monkeypatch, tmp_path)
    with pytest.raises(InputError, match="the disk is full"):
        state.save_scenario(scenario, path)
    assert not path.exists()
    monkeypatch.undo()
    assert load_scenario(state.save_scenario(scenario, path)).input_hash() == \
        scenario.input_hash()

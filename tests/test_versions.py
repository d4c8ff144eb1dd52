"""Which model rules and libraries made a folder's results (simulation.runs.versions): every
resumable folder records them; a resume under other rules is refused, touching nothing; other
library versions, or a folder of an earlier mc11 that recorded none, are noted and resumed."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pandas as pd
import pytest
from commands import mc11

from simulation import __version__
from simulation.inputs.scenario import load_scenario
from simulation.runs import design, ensemble, sweep, versions
from simulation.runs.results import load_results, start_run
from simulation.runs.versions import rules_digest

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
OTHER_RULES = "0123456789abcdef"  # a rules digest no model source gives
TOLERANCE = "parameters.consensus.base_tolerance"
MIN_STEP = "parameters.consensus.min_step"
COMPILING = "compiling the model's rules"  # the notice of a first run after the engine changed


def files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` and its bytes: what a refused command must leave as it was."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def edit_json(path: Path, **changes: object) -> None:
    """Set (or, given None, remove) fields of a folder's JSON manifest."""
    record = json.loads(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            record.pop(key, None)
        else:
            record[key] = value
    path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory) -> Path:
    """A copy of the package's modules, to edit without touching the repository's."""
    copy = tmp_path_factory.mktemp("package") / "simulation"
    shutil.copytree(versions.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def edited(package: Path, module: str, tmp_path: Path) -> Path:
    """A copy of `package` in which `module` (a module or a data file) has one line more."""
    copy = tmp_path / "simulation"
    shutil.copytree(package, copy)
    with (copy / module).open("a", encoding="utf-8") as source:
        source.write("\n")
    return copy


def test_the_rules_digest_is_that_of_this_packages_sources(package_copy):
    assert versions.rules_digest_of(package_copy) == rules_digest()


@pytest.mark.parametrize("module", ["runs/ensemble.py", "inputs/priors.py", "inputs/arrays.py",
                                    "runs/sweep.py", "runs/progress.py", "outcomes.py",
                                    "outputs.py", "data/members.csv", "data/issues.yaml"])
def test_an_edit_of_code_or_data_outside_the_engine_that_shapes_runs_changes_the_rules_digest(
        package_copy, tmp_path, module):
    """How a replication's seed, draws and arrays are made, and the data its capabilities and
    status quo come from, decide its numbers as much as the engine does: a folder resumed after
    such an edit would mix two models' runs."""
    assert versions.rules_digest_of(edited(package_copy, module, tmp_path)) != \
        rules_digest()


@pytest.mark.parametrize("module", ["report/summary.py", "report/plots.py", "cli/run.py",
                                    "dashboard/app.py", "data/MEMBERS_SOURCES.md"])
def test_an_edit_of_code_that_only_shows_runs_leaves_the_rules_digest(package_copy, tmp_path,
                                                                      module):
    """A change to a plot, a report, the command line or a data file's notes must not refuse a
    resume."""
    assert versions.rules_digest_of(edited(package_copy, module, tmp_path)) == \
        rules_digest()


def test_an_edit_of_the_engine_changes_the_rules_digest(package_copy, monkeypatch):
    """The engine counts through its own digest, numba's cache key (`source_digest`)."""
    before = versions.rules_digest_of(package_copy)
    monkeypatch.setattr(versions, "source_digest", lambda: OTHER_RULES)
    assert versions.rules_digest_of(package_copy) != before


def test_a_new_module_of_the_inputs_or_runs_counts_without_being_listed(package_copy, tmp_path):
    """Whole folders count, so a module added there is covered without a list to update."""
    added = tmp_path / "added"
    shutil.copytree(package_copy, added)
    (added / "runs" / "new_draws.py").write_text("STREAMS = 2\n", encoding="utf-8")
    assert versions.rules_digest_of(added) != rules_digest()


@pytest.mark.parametrize(("module", "renamed"), [("runs/progress.py", "runs/progress_bars.py"),
                                                 ("data/groups.yaml", "data/groups_2016.yaml")])
def test_a_file_renamed_with_its_content_unchanged_changes_the_rules_digest(package_copy,
                                                                            tmp_path, module,
                                                                            renamed):
    """Modules are imported and data files read by their names: one renamed makes other runs
    (or none), though every file holds what it held."""
    copy = tmp_path / "simulation"
    shutil.copytree(package_copy, copy)
    (copy / module).rename(copy / renamed)
    assert versions.rules_digest_of(copy) != rules_digest()


def test_the_rules_digest_does_not_depend_on_the_order_the_file_system_lists_files(
        package_copy, monkeypatch):
    """ext4 lists a folder's files in an order of its own, tmpfs the newest first, other systems
    otherwise: the same sources give the same digest on every machine, or a folder would be
    refused by the mc11 that made it, installed elsewhere."""
    before = versions.rules_digest_of(package_copy)
    listed = Path.rglob
    monkeypatch.setattr(Path, "rglob",
                        lambda self, *args, **kwargs: reversed(list(listed(self, *args, **kwargs))))
    assert versions.rules_digest_of(package_copy) == before


def test_a_running_mc11_keeps_the_digest_of_the_rules_it_loaded(package_copy, tmp_path):
    """A long design, a calibration or the dashboard runs the code it imported when its package
    is upgraded under it: what it records is that code's digest, so it does not refuse a folder
    it made itself, nor record rules it does not run."""
    shutil.copytree(package_copy, tmp_path / "simulation")
    script = ("from simulation.runs import versions\n"
              f"assert str(versions.PACKAGE) == {str(tmp_path / 'simulation')!r}\n"
              "before = versions.rules_digest()\n"
              "with (versions.PACKAGE / 'runs' / 'ensemble.py').open('a') as source:\n"
              "    source.write('\\n')\n"
              "print(versions.rules_digest() == before, "
              "versions.rules_digest_of(versions.PACKAGE) != before)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(tmp_path)}, check=False)
    assert done.returncode == 0 and done.stdout.split() == ["True", "True"], done.stderr


def test_the_record_names_the_package_the_rules_and_the_libraries():
    assert versions.record() == {
        "package_version": __version__, "rules_digest": rules_digest(),
        "versions": {"python": platform.python_version(), "numpy": version("numpy"),
                     "numba": version("numba"), "mesa": version("mesa")}}


# --------------------------------------------------------------------------- results folders


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory) -> Path:
    """A results folder of 4 baseline runs in chunks of 2 stopped before its first chunk."""
    base = tmp_path_factory.mktemp("versions")
    run = start_run(load_scenario(BASELINE), 4, 3, base / "stopped", base, chunk_size=2)
    run.set_status("interrupted")
    return run.folder


@pytest.fixture(scope="module")
def complete(interrupted, tmp_path_factory) -> Path:
    """The same folder run to the end."""
    folder = tmp_path_factory.mktemp("complete") / "run"
    shutil.copytree(interrupted, folder)
    assert mc11("run", "--resume", folder, "--quiet", "--workers", 1)[0] == 0
    return folder


def copied(folder: Path, tmp_path: Path, **changes: object) -> Path:
    """A copy of a results folder with those fields of its run.json changed."""
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    edit_json(copy / "run.json", **changes)
    return copy


def test_run_json_records_the_rules_and_the_libraries(interrupted, tmp_path):
    """As the run starts, and still once a resume under the same ones (said nothing of them)
    completed it."""
    for folder in (interrupted, copied(interrupted, tmp_path)):
        if folder != interrupted:
            code, _, err = mc11("run", "--resume", folder, "--quiet", "--workers", 1)
            assert code == 0 and f"mc11: note: {folder} was" not in err, err
        manifest = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        assert {key: manifest[key] for key in versions.record()} == versions.record()


def test_a_resume_under_other_rules_is_refused_touching_nothing(interrupted, tmp_path):
    folder = copied(interrupted, tmp_path, rules_digest=OTHER_RULES)
    before = files(folder)
    code, _, err = mc11("run", "--resume", folder, "--quiet", "--workers", 1)
    assert code == 2 and "Traceback" not in err
    assert f"{folder}: rules_digest: the folder's runs were made by other model rules " \
           f"(rules digest {OTHER_RULES}" in err
    assert f"this mc11's ({rules_digest()}" in err
    assert "Nothing in the folder was touched: start a new run of its scenario (mc11 run " \
           f"{folder / 'scenario.yaml'}), or resume it with the mc11 that wrote it " \
           "(`mc11 --version` shows an mc11's rules digest)" in err
    assert files(folder) == before


def test_a_complete_folder_of_other_rules_is_read_but_not_completed_again(complete, tmp_path):
    """Reading what the folder holds mixes nothing: a resume with nothing to do, or that only
    rebuilds a table from the chunks, is not refused, nor are its readers; computing a lost
    chunk again would put runs of other rules among the folder's, and is refused."""
    folder = copied(complete, tmp_path, rules_digest=OTHER_RULES)
    code, _, err = mc11("run", "--resume", folder, "--quiet", "--workers", 1)
    assert code == 0 and "is complete already" in err, err
    assert load_results(folder).manifest["rules_digest"] == OTHER_RULES
    (folder / "summary.csv").unlink()  # tables are rebuilt from the chunks: no rules run
    code, _, err = mc11("run", "--resume", folder, "--quiet", "--workers", 1)
    assert code == 0 and "rebuilding its tables from its chunks" in err, err
    assert (folder / "summary.csv").read_bytes() == (complete / "summary.csv").read_bytes()
    (folder / "chunks" / "chunk-00000002.npz").unlink()
    before = files(folder)
    code, _, err = mc11("run", "--resume", folder, "--quiet", "--workers", 1)
    assert code == 2 and "other model rules" in err and "is missing" not in err
    assert files(folder) == before


def test_a_folder_with_no_runs_left_is_completed_under_other_rules_without_a_note(
        complete, tmp_path):
    """Stopped after its last chunk (while its tables were written), a folder of other rules,
    or of an earlier mc11, has only its tables to build from its chunks: no rules run, so it is
    neither refused (as mixing runs it would not mix) nor noted, and records no `resumed_by`."""
    for changes in ({"rules_digest": OTHER_RULES}, {"rules_digest": None, "versions": None}):
        folder = copied(complete, tmp_path / str(len(changes)), status="interrupted", **changes)
        (folder / "summary.csv").unlink()
        code, _, err = mc11("run", "--resume", folder, "--quiet", "--workers", 1)
        assert code == 0 and f"mc11: note: {folder} was" not in err, err
        assert (folder / "summary.csv").read_bytes() == (complete / "summary.csv").read_bytes()
        manifest = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        assert manifest["status"] == "complete" and "resumed_by" not in manifest
        assert manifest.get("rules_digest") == changes["rules_digest"]
    (folder / "summary.csv").unlink()  # complete, a table missing: rebuilt, no note either
    code, _, err = mc11("run", "--resume", folder, "--quiet", "--workers", 1)
    assert code == 0 and "rebuilding its tables" in err and "earlier mc11" not in err, err


def test_other_library_versions_are_noted_and_the_folder_resumed(interrupted, tmp_path):
    now = versions.record()["versions"]
    folder = copied(interrupted, tmp_path, versions={**now, "numpy": "1.0.0"})
    code, _, err = mc11("run", "--resume", folder, "--quiet", "--workers", 1)
    assert code == 0, err
    assert f"mc11: note: {folder} was started with numpy 1.0.0; resuming with numpy " \
           f"{version('numpy')} (the same model rules" in err
    manifest = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "complete"
    assert manifest["versions"]["numpy"] == "1.0.0"  # the versions it was started with


def test_a_folder_of_an_earlier_mc11_is_resumed_with_a_note(interrupted, tmp_path):
    folder = copied(interrupted, tmp_path, rules_digest=None, versions=None)
    code, _, err = mc11("run", "--resume", folder, "--quiet", "--workers", 1)
    assert code == 0, err
    assert f"mc11: note: {folder} was written by an earlier mc11, which did not record the " \
           "version of the model's rules" in err
    manifest = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "complete"
    assert "rules_digest" not in manifest  # not claimed for runs no digest was taken of
    assert manifest["resumed_by"] == versions.record()  # but the runs it added are this mc11's


def test_a_folder_of_an_earlier_mc11_resumed_under_other_rules_since_is_refused(interrupted,
                                                                               tmp_path):
    """An mc11 that recorded its rules resumed the earlier folder and was stopped: resuming it
    under yet other rules would mix them, as in any folder."""
    resumed = {**versions.record(), "rules_digest": OTHER_RULES}
    folder = copied(interrupted, tmp_path, rules_digest=None, versions=None, resumed_by=resumed)
    before = files(folder)
    code, _, err = mc11("run", "--resume", folder, "--quiet", "--workers", 1)
    assert code == 2 and "Traceback" not in err
    assert f"{folder}: rules_digest: the runs added when an mc11 resumed this folder of an " \
           f"earlier one were made by other model rules (rules digest {OTHER_RULES}" in err
    assert files(folder) == before
    # resumed by this mc11's rules: goes on, still noting the earlier mc11's runs
    edit_json(folder / "run.json", resumed_by=versions.record())
    code, _, err = mc11("run", "--resume", folder, "--quiet", "--workers", 1)
    assert code == 0 and f"mc11: note: {folder} was written by an earlier mc11" in err, err


def test_explain_notes_that_other_rules_made_the_runs_it_re_runs(complete, tmp_path):
    folder = copied(complete, tmp_path, rules_digest=OTHER_RULES)
    code, _, err = mc11("explain", folder, "--issue", "market_access", "--runs", 2)
    assert code == 0, err
    assert f"mc11: note: the runs of {folder} were made by other model rules (rules digest " \
           f"{OTHER_RULES}) than this mc11's ({rules_digest()}): they are re-run with this " \
           "mc11's, so they may not be the folder's runs" in err
    code, _, err = mc11("explain", complete, "--issue", "market_access", "--runs", 2)
    assert code == 0 and "other model rules" not in err
    # an earlier mc11's folder resumed under other rules: only the runs they added are theirs
    folder = copied(complete, tmp_path / "earlier", rules_digest=None, versions=None,
                    resumed_by={**versions.record(), "rules_digest": OTHER_RULES})
    code, _, err = mc11("explain", folder, "--issue", "market_access", "--runs", 2)
    assert code == 0, err
    assert f"mc11: note: some runs of {folder} (those added when an mc11 resumed it, an " \
           f"earlier mc11's) were made by other model rules (rules digest {OTHER_RULES})" in err


def test_explain_blames_other_rules_for_runs_it_does_not_reproduce(complete, tmp_path):
    folder = copied(complete, tmp_path, rules_digest=OTHER_RULES)
    outcomes = pd.read_parquet(folder / "outcomes.parquet")
    outcomes["outcome"] = outcomes["outcome"].map({"multilateral": "none", "none": "multilateral",
                                                   "plurilateral": "none"})
    outcomes.to_parquet(folder / "outcomes.parquet", index=False)
    code, _, err = mc11("explain", folder, "--issue", "market_access", "--runs", 2)
    assert code == 2 and "Traceback" not in err
    assert "does not give the outcomes the table holds: the runs of " in err
    assert "so they may not be the folder's runs; explain it with the mc11 that wrote it" in err


# --------------------------------------------------------------------------- design folders


def sweep_command(folder: Path) -> list[object]:
    return ["sweep", BASELINE, "--scheduler", "in-process", "--no-plots", "--quiet",
            "--runs-per-point", 2, "--seed", 7, "--folder", folder, "--set", f"{TOLERANCE}=5,25"]


@pytest.fixture(scope="module")
def design_folder(tmp_path_factory) -> Path:
    """A sweep's folder of two points, the second not run (as if interrupted)."""
    scenario = load_scenario(BASELINE)
    plan = design.grid({TOLERANCE: [5.0, 25.0]}, 2, 7, scenario.input_hash())
    folder = sweep.open_folder(plan, scenario, tmp_path_factory.mktemp("design") / "d",
                               Path("unused"))
    sweep.execute_design(folder, plan, scenario)
    sweep.point_path(folder, 1).unlink()
    return folder


def copied_design(folder: Path, tmp_path: Path, **changes: object) -> Path:
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    edit_json(copy / sweep.DESIGN, **changes)
    return copy


def test_design_json_records_the_rules_and_the_libraries(design_folder):
    stored = json.loads((design_folder / sweep.DESIGN).read_text(encoding="utf-8"))
    assert {key: stored[key] for key in versions.record()} == versions.record()


def test_a_design_resumed_under_other_rules_is_refused_touching_nothing(design_folder,
                                                                        tmp_path):
    folder = copied_design(design_folder, tmp_path, rules_digest=OTHER_RULES)
    before = files(folder)
    code, _, err = mc11(*sweep_command(folder))
    assert code == 2 and "Traceback" not in err
    assert f"{folder}: rules_digest: the folder's runs were made by other model rules " \
           f"(rules digest {OTHER_RULES}" in err
    assert "Nothing in the folder was touched: run the design into a new --folder, or " \
           "resume it with the mc11 that wrote it" in err
    assert files(folder) == before
    # complete, its tables come from its points, and no rule runs: not refused
    edit_json(folder / sweep.DESIGN, rules_digest=rules_digest())
    assert mc11(*sweep_command(folder))[0] == 0
    (folder / "sweep.csv").unlink()
    edit_json(folder / sweep.DESIGN, rules_digest=OTHER_RULES)
    code, _, err = mc11(*sweep_command(folder))
    assert code == 0 and (folder / "sweep.csv").is_file(), err


@pytest.mark.parametrize(("changes", "says"), [
    ({"versions": {**versions.record()["versions"], "numba": "0.1"}},
     f"was started with numba 0.1; resuming with numba {version('numba')}"),
    ({"rules_digest": None, "versions": None}, "was written by an earlier mc11"),
])
def test_a_design_of_other_libraries_or_an_earlier_mc11_is_resumed_with_a_note(
        design_folder, tmp_path, changes, says):
    folder = copied_design(design_folder, tmp_path, **changes)
    code, _, err = mc11(*sweep_command(folder))
    assert code == 0, err
    assert f"mc11: note: {folder} {says}" in err
    assert "(1 to run)" in err and (folder / "sweep.csv").is_file()
    stored = json.loads((folder / sweep.DESIGN).read_text(encoding="utf-8"))
    if "rules_digest" not in stored:  # an earlier mc11's: records the one that continued it
        assert stored["resumed_by"] == versions.record()


def test_a_design_of_an_earlier_mc11_resumed_under_other_rules_since_is_refused(
        design_folder, tmp_path):
    folder = copied_design(design_folder, tmp_path, rules_digest=None, versions=None,
                           resumed_by={**versions.record(), "rules_digest": OTHER_RULES})
    before = files(folder)
    code, _, err = mc11(*sweep_command(folder))
    assert code == 2 and "Traceback" not in err
    assert f"the runs added when an mc11 resumed this folder of an earlier one were made by " \
           f"other model rules (rules digest {OTHER_RULES}" in err
    assert files(folder) == before


def test_a_resume_refused_under_other_rules_says_nothing_of_compiling(interrupted, complete,
                                                                     design_folder, tmp_path,
                                                                     monkeypatch):
    """Refused before any rule runs, a resume does not announce a compile that will not come
    (after an engine change the rules need compiling), nor does one that only rebuilds a
    table; one that runs rules still does."""
    monkeypatch.setattr(ensemble, "rules_need_compiling", lambda: True)
    folder = copied(complete, tmp_path / "tables")
    (folder / "summary.csv").unlink()
    code, _, err = mc11("run", "--resume", folder, "--quiet", "--workers", 1)
    assert code == 0 and (folder / "summary.csv").is_file() and COMPILING not in err, err
    folder = copied(interrupted, tmp_path / "run", rules_digest=OTHER_RULES)
    code, _, err = mc11("run", "--resume", folder, "--quiet", "--workers", 1)
    assert code == 2 and "other model rules" in err and COMPILING not in err, err
    folder = copied_design(design_folder, tmp_path / "design", rules_digest=OTHER_RULES)
    code, _, err = mc11(*sweep_command(folder))
    assert code == 2 and "other model rules" in err and COMPILING not in err, err
    folder = copied(interrupted, tmp_path / "same")
    code, _, err = mc11("run", "--resume", folder, "--quiet", "--workers", 1)
    assert code == 0 and COMPILING in err, err


def test_only_a_command_that_ran_the_rules_leaves_the_stamp_that_they_are_compiled(
        interrupted, complete, design_folder, tmp_path, monkeypatch):
    """After an engine change, a resume that runs no rule (one only rebuilding a table, one of a
    complete folder or design, one refused under other rules) leaves no stamp: the next run,
    which compiles them, still says so; one that runs them leaves it."""
    stamp = tmp_path / "mc11-rules-compiled"
    monkeypatch.setattr(ensemble, "_compiled_stamps", lambda: [stamp])
    folder = copied(complete, tmp_path / "tables")
    (folder / "summary.csv").unlink()
    assert mc11("run", "--resume", folder, "--quiet", "--workers", 1)[0] == 0
    folder = copied(complete, tmp_path / "other", rules_digest=OTHER_RULES)
    assert mc11("run", "--resume", folder, "--quiet", "--workers", 1)[0] == 0
    folder = copied(interrupted, tmp_path / "refused", rules_digest=OTHER_RULES)
    assert mc11("run", "--resume", folder, "--quiet", "--workers", 1)[0] == 2
    assert not stamp.exists()
    design = copied_design(design_folder, tmp_path / "design")
    assert mc11(*sweep_command(design))[0] == 0  # runs its missing point
    stamp.unlink()
    assert mc11(*sweep_command(design))[0] == 0  # complete: its tables only
    assert not stamp.exists()
    folder = copied(interrupted, tmp_path / "same")
    code, _, err = mc11("run", "--resume", folder, "--quiet", "--workers", 1)
    assert code == 0 and COMPILING in err and stamp.exists(), err
    code, _, err = mc11("run", "--resume", folder, "--quiet", "--workers", 1)
    assert code == 0 and COMPILING not in err, err


@pytest.mark.parametrize("command", ["simulate", "run", "sweep", "sensitivity", "calibrate"])
def test_each_command_running_the_model_says_once_that_it_compiles(command, long_csv, tmp_path,
                                                                   monkeypatch):
    """After an engine change, a command that runs the model says that it compiles the rules,
    once: those that may resume a folder say it themselves once its checks passed, the others
    before their work."""
    monkeypatch.setattr(ensemble, "rules_need_compiling", lambda: True)
    folder = tmp_path / "out"
    argv = {"simulate": ["simulate", "--seed", 3],
            "run": ["run", BASELINE, "--runs", 2, "--quiet", "--workers", 1, "--folder", folder],
            "sweep": sweep_command(folder),
            "sensitivity": ["sensitivity", BASELINE, "--method", "morris", "--samples", 2,
                            "--runs-per-point", 1, "--parameters", f"{TOLERANCE},{MIN_STEP}",
                            "--scheduler", "in-process", "--no-plots", "--quiet", "--folder",
                            folder],
            "calibrate": calibrate_command(long_csv, folder)}[command]
    code, _, err = mc11(*argv)
    assert code == 0 and err.count(COMPILING) == 1, err


# --------------------------------------------------------------------------- calibrations


def calibrate_command(data: Path, folder: Path) -> list[object]:
    return ["calibrate", data, "--protocol", "compromise", "--folds", 2, "--trials", 1,
            "--dir", folder]


def test_a_calibration_records_the_rules_and_a_resume_under_others_is_refused(long_csv,
                                                                              tmp_path,
                                                                              monkeypatch):
    """Refused before the notice of compiling the rules, which a resume going on still gives."""
    folder = tmp_path / "cal"
    assert mc11(*calibrate_command(long_csv, folder))[0] == 0
    inputs = folder / "inputs.json"
    stored = json.loads(inputs.read_text(encoding="utf-8"))
    assert {key: stored[key] for key in versions.record()} == versions.record()
    (folder / "report.txt").unlink()  # unfinished: its trials would be run on
    edit_json(inputs, rules_digest=OTHER_RULES)
    before = files(folder)
    monkeypatch.setattr(ensemble, "rules_need_compiling", lambda: True)
    code, _, err = mc11(*calibrate_command(long_csv, folder))
    assert code == 2 and "Traceback" not in err and COMPILING not in err
    assert "the folder's trials were made by other model rules" in err
    assert "resuming would mix trials of two versions" in err
    assert "choose a new --dir, or resume it with the mc11" in err
    assert files(folder) == before
    edit_json(inputs, rules_digest=None, versions=None,
              resumed_by={**versions.record(), "rules_digest": OTHER_RULES})
    before = files(folder)
    code, _, err = mc11(*calibrate_command(long_csv, folder))  # an earlier mc11's, continued
    assert code == 2 and "the trials added when an mc11 resumed this folder" in err  # by others
    assert files(folder) == before
    edit_json(inputs, resumed_by=None)
    code, _, err = mc11(*calibrate_command(long_csv, folder))
    assert code == 0 and COMPILING in err, err
    assert f"mc11: note: {folder} was written by an earlier mc11" in err
    assert "so its finished trials and the new ones are one model's" in err
    stored = json.loads(inputs.read_text(encoding="utf-8"))
    assert "rules_digest" not in stored and stored["resumed_by"] == versions.record()


def test_a_complete_calibration_of_other_rules_is_shown_with_a_note(long_csv, tmp_path):
    """Its stored report is shown as it is, unchanged, after a note that other rules made its
    trials (the search itself may have changed) and how to see this mc11's."""
    folder = tmp_path / "cal"
    code, report, _ = mc11(*calibrate_command(long_csv, folder))
    assert code == 0
    edit_json(folder / "inputs.json", rules_digest=OTHER_RULES)
    before = files(folder)
    code, out, err = mc11(*calibrate_command(long_csv, folder))
    assert code == 0 and out == report and files(folder) == before
    assert (f"mc11: note: the trials of {folder} were made by other model rules (rules digest "
            f"{OTHER_RULES}") in err
    assert "run the command with a new --dir" in err and "complete already" in err
    edit_json(folder / "inputs.json", rules_digest=rules_digest())
    code, _, err = mc11(*calibrate_command(long_csv, folder))
    assert code == 0 and "note" not in err, err


def test_a_table_written_with_out_records_the_rules_and_the_libraries(tmp_path):
    out = tmp_path / "forecast.csv"
    code, _, err = mc11("forecast", ROOT / "examples" / "my_negotiation.csv", "--out", out)
    assert code == 0, err
    stored = json.loads(out.with_name("forecast.csv.inputs.json").read_text(encoding="utf-8"))
    assert {key: stored[key] for key in versions.record()} == versions.record()


def test_mc11_version_prints_the_package_and_the_rules(capsys):
    """The digest a refusal names, so that a user can tell which mc11 wrote a folder."""
    from simulation.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out == f"mc11 {__version__} (model rules {rules_digest()})\n"


def test_compare_notes_folders_made_by_different_rules(complete, tmp_path):
    """A change between them is then the scenarios' and the rules' together; folders of an
    earlier mc11 (no digest) are not known to differ, and one mc11's folders say nothing."""
    other = copied(complete, tmp_path / "other", rules_digest=OTHER_RULES)
    unknown = copied(complete, tmp_path / "unknown", rules_digest=None)
    code, _, err = mc11("compare", complete, other)
    assert code == 0, err
    assert ("mc11: note: these folders were made by different model rules "
            f"({complete}: {rules_digest()}; {other}: {OTHER_RULES})") in err
    for pair in ((complete, unknown), (complete, copied(complete, tmp_path / "same"))):
        code, _, err = mc11("compare", *pair)
        assert code == 0 and "different model rules" not in err, err


# --- mutation testing, twenty-third round (docs/mutation_testing.md) ------------------------


def test_tables_rebuilt_in_a_resumed_earlier_folder_keep_who_resumed_it(complete, tmp_path):
    """A complete folder of an earlier mc11 that a later mc11 resumed keeps its `resumed_by`
    when its tables are rebuilt: the runs that mc11 added stay known to be other rules' (the
    re-runs of `mc11 explain` say so), not taken for an earlier mc11's unknown rules."""
    made = {**versions.record(), "rules_digest": OTHER_RULES}
    folder = copied(complete, tmp_path, rules_digest=None, versions=None, resumed_by=made)
    (folder / "summary.csv").unlink()
    code, _, err = mc11("run", "--resume", folder, "--quiet", "--workers", 1)
    assert code == 0 and "rebuilding its tables" in err, err
    manifest = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert manifest["resumed_by"] == made and "rules_digest" not in manifest
    assert "some runs of" in versions.rerun_note(manifest, folder)


def test_a_resume_note_is_none_under_other_rules_whatever_else_differs(tmp_path):
    """`resume_note` leaves folders of other rules to `refuse_other_rules`: no note of library
    versions (or of an earlier mc11) for a folder it refuses."""
    now = versions.record()["versions"]
    for manifest in ({"rules_digest": OTHER_RULES, "versions": {**now, "numpy": "1.0.0"}},
                     {"resumed_by": {**versions.record(), "rules_digest": OTHER_RULES}}):
        assert versions.rules_changed(manifest)
        assert versions.resume_note(manifest, tmp_path) is None


def test_a_library_the_folder_did_not_record_is_noted_as_unknown(tmp_path):
    """A library missing from the folder's record (or a record that is no mapping) is not
    taken for the same version: the note names it with '?'."""
    now = versions.record()["versions"]
    without_mesa = {name: value for name, value in now.items() if name != "mesa"}
    note = versions.resume_note({"rules_digest": rules_digest(), "versions": without_mesa},
                                tmp_path)
    assert note == (f"{tmp_path} was started with mesa ?; resuming with mesa {now['mesa']} (the "
                    "same model rules; the folder keeps the versions it was started with)")
    note = versions.resume_note({"rules_digest": rules_digest(), "versions": "?"}, tmp_path)
    assert note is not None and all(f"{name} ?" in note for name in now)

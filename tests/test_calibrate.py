"""mc11 calibrate: grouped cross-validation by negotiation, reproducible and resumable trials,
the parameter file."""

import dataclasses
import multiprocessing
import re
import signal
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.cli import main
from simulation.errors import InputError
from simulation.inputs.importers import ActorIssueData, read_dataset
from simulation.inputs.own_parameters import (
    OwnDataSettings,
    own_parameters_yaml,
    read_own_parameters,
)
from simulation.runs.calibrate import (
    FITTED_BASELINE,
    JOURNAL,
    SHARES,
    calibrate,
    defaults_of,
    exclusive,
    fingerprint,
    fitted_share,
    free_parameters,
    grouped_folds,
    parameter_file_text,
    settings_from,
)
from simulation.runs.forecast import (
    BASELINES,
    backtest_issues,
    mean_absolute_errors,
    predicted_outcomes,
)


def run_calibration(dataset, long_csv, folder, workers=1, progress=None, trials=3):
    inputs = fingerprint(long_csv, "compromise", 2, trials, 4, None)
    return calibrate(dataset, "compromise", folder, inputs, folds=2, trials=trials, seed=4,
                     workers=workers, progress=progress)


@pytest.fixture(scope="module")
def result_folder(tmp_path_factory):
    """The folder of the module's calibration (`result`), with its trials' journal."""
    return tmp_path_factory.mktemp("cal") / "run"


@pytest.fixture(scope="module")
def result(dataset, long_csv, result_folder):
    return run_calibration(dataset, long_csv, result_folder)


def _journal_trials(folder: Path, search: str) -> list:
    """The finished trials of one search (`fold 1 of 2`, ..., `all negotiations`) as the
    calibration's journal holds them."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    storage = JournalStorage(JournalFileBackend(str(folder / JOURNAL)))
    study = optuna.load_study(study_name=search, storage=storage)
    return study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))


def _small_dataset(tmp_path: Path, rows: list[str]) -> tuple[tuple[ActorIssueData, ...], Path]:
    """Two laws from CSV rows (negotiation,actor,issue,position,salience,capability,
    status_quo,outcome), read as a dataset, and the file."""
    path = tmp_path / "laws.csv"
    path.write_text("negotiation,actor,issue,position,salience,capability,status_quo,outcome\n"
                    + "\n".join(rows) + "\n")
    return read_dataset(path), path


def test_folds_partition_the_negotiations():
    names = [f"n{i}" for i in range(11)]
    folds = grouped_folds(names, 3, seed=1)
    assert sorted(i for fold in folds for i in fold) == list(range(11))
    assert sorted(len(f) for f in folds) == [3, 4, 4]
    assert folds == grouped_folds(names, 3, seed=1) != grouped_folds(names, 3, seed=2)


@pytest.mark.parametrize(("names", "folds", "problem"), [
    (["a", "b"], 3, "3 folds but the data hold 2 negotiation(s)"),
    (["a"], 2, "the data hold one negotiation"),
    (["a", "b"], 1, "at least 2"),
])
def test_unusable_folds_are_input_errors(names, folds, problem):
    with pytest.raises(InputError) as caught:
        grouped_folds(names, folds, 0)
    assert problem in caught.value.problem


def test_free_parameters_come_from_the_registry():
    # coalition_rate: own data has no coalitions; noise_sd: it would fit one run's luck
    assert [f.name for f in free_parameters("compromise")] == ["rounds", "overall_rate"]
    exchange = {f.name: f for f in free_parameters("exchange")}
    assert exchange["exchange_rule"].choices == ("once", "reference")
    assert "exchange_rule" not in {f.name for f in free_parameters("exchange", "reference")}


def test_out_of_fold_scores_are_the_fitted_parameters_on_held_out_negotiations(result, dataset):
    folds = grouped_folds([d.negotiation for d in dataset], 2, 4)
    for row, test in zip(result.folds.to_dict("records"), folds, strict=True):
        fitted = {"rounds": row["fitted rounds"]}
        settings = result.settings.model_copy(update={"rounds": int(row["fitted rounds"])})
        settings = settings.with_bargaining(overall_rate=row["fitted overall_rate"])
        held_out = backtest_issues([dataset[i] for i in test], settings, seed=4)
        scores = mean_absolute_errors(held_out)
        assert row["model_calibrated"] == pytest.approx(scores["model"]), fitted
        assert row["capability_salience_mean"] == pytest.approx(
            scores["capability_salience_mean"])
        assert row["issues"] == len(held_out)
    methods = result.methods.set_index("method")["out_of_fold_mae"]
    weights = result.folds["issues"]
    pooled = (result.folds["model_calibrated"] * weights).sum() / weights.sum()
    assert methods["model_calibrated"] == pytest.approx(pooled)
    everything = mean_absolute_errors(backtest_issues(dataset, result.settings, seed=4))
    assert result.in_sample == pytest.approx(everything["model"])
    assert methods["median"] == pytest.approx(everything["median"])


def test_each_folds_search_scores_only_the_negotiations_it_does_not_hold_out(result,
                                                                             result_folder,
                                                                             dataset):
    """The fitted parameters of a fold must not have seen its held-out negotiations: every
    trial of a fold's search is the MAE of its values over the other folds' negotiations."""
    folds = grouped_folds([d.negotiation for d in dataset], 2, 4)
    for f, test in enumerate(folds):
        train = [dataset[i] for i in range(len(dataset)) if i not in test]
        trials = _journal_trials(result_folder, f"fold {f + 1} of 2")
        assert len(trials) == 3
        for trial in trials:
            settings = settings_from(trial.params, "compromise")
            scores = mean_absolute_errors(backtest_issues(train, settings, seed=4))
            assert trial.value == pytest.approx(scores["model"]), (f, trial.params)


def test_a_folds_default_score_is_the_default_parameters_on_its_held_out_negotiations(
        result, dataset):
    """Each fold's row compares the fitted and the default parameters on the same held-out
    negotiations."""
    folds = grouped_folds([d.negotiation for d in dataset], 2, 4)
    default = settings_from({}, "compromise")
    for row, test in zip(result.folds.to_dict("records"), folds, strict=True):
        held_out = backtest_issues([dataset[i] for i in test], default, seed=4)
        assert row["model_default"] == pytest.approx(mean_absolute_errors(held_out)["model"])


def test_the_spread_over_folds_is_the_sample_standard_deviation(result):
    """Two folds' MAEs a and b: sd |a - b| / sqrt(2) (n - 1 in the denominator, the folds
    being a sample of the ways to split the negotiations)."""
    methods = result.methods.set_index("method")
    for method, row in methods.iterrows():
        folds = result.folds[method].tolist()
        assert row["fold_sd"] == pytest.approx(statistics.stdev(folds)), method
        assert row["fold_sd"] == pytest.approx(abs(folds[0] - folds[1]) / np.sqrt(2)), method


def test_a_baseline_is_scored_on_the_issues_it_predicts(tmp_path):
    """The status quo predicts only the one issue with a status quo (where it is right): its
    scores are over that issue, not NaN for the issues it cannot predict."""
    dataset, path = _small_dataset(tmp_path, [
        "a,A,x,0,1,1,50,50", "a,B,x,100,1,1,50,50", "a,A,y,0,1,1,,80", "a,B,y,100,1,3,,80",
        "b,A,x,0,1,1,,70", "b,B,x,100,1,2,,70", "b,A,y,0,1,1,,20", "b,B,y,100,1,1,,20"])
    found = calibrate(dataset, "compromise", tmp_path / "cal",
                      fingerprint(path, "compromise", 2, 1, 0, None), folds=2, trials=1)
    status_quo = found.methods.set_index("method").loc["status_quo"]
    assert status_quo["issues"] == 1
    assert status_quo["out_of_fold_mae"] == 0.0
    assert status_quo["fold_mean"] == 0.0  # the fold without a status quo has no score
    assert found.folds["status_quo"].isna().sum() == 1


@pytest.mark.parametrize("top", [100, 10])
def test_the_fitted_baseline_predicts_each_law_with_a_share_fitted_on_the_others(tmp_path,
                                                                               top):
    """On issue x law a's outcome is its status quo (share 1 fits it), law b's the weighted
    mean (share 0 fits it); issue y has no status quo and the mean is right. Held out, each law
    is predicted with the other's share, so the fitted baseline misses x by 30 and 40 where a
    fit on both laws would do better; on a 0-10 scale by 3 and 4, on the user's scale."""
    def row(law, actor, issue, position, status_quo, outcome):  # salience 1, capability 1
        scaled = [f"{v * top / 100:g}" if v is not None else "" for v in
                  (position, status_quo, outcome)]
        return f"{law},{actor},{issue},{scaled[0]},1,1,{scaled[1]},{scaled[2]},0,{top}\n"

    path = tmp_path / "laws.csv"
    path.write_text("negotiation,actor,issue,position,salience,capability,status_quo,outcome,"
                    "scale_low,scale_high\n"
                    + row("a", "A", "x", 0, 20, 20) + row("a", "B", "x", 100, 20, 20)
                    + row("b", "A", "x", 0, 90, 50) + row("b", "B", "x", 100, 90, 50)
                    + "".join(row(law, actor, "y", position, None, 50) for law in "ab"
                              for actor, position in (("A", 0), ("B", 100))))
    dataset = read_dataset(path)
    found = calibrate(dataset, "compromise", tmp_path / "cal",
                      fingerprint(path, "compromise", 2, 1, 0, None), folds=2, trials=1)
    held_out = [dataset[test[0]].negotiation for test in grouped_folds(["a", "b"], 2, 0)]
    shares = dict(zip(held_out, found.folds["fitted status quo share"], strict=True))
    errors = dict(zip(held_out, found.folds[FITTED_BASELINE], strict=True))
    assert shares == {"a": 0.0, "b": 1.0}
    assert errors == pytest.approx({"a": 15.0 * top / 100, "b": 20.0 * top / 100})
    fitted = found.methods.set_index("method").loc[FITTED_BASELINE]
    assert (fitted["issues"], fitted["out_of_fold_mae"]) == (4, pytest.approx(17.5 * top / 100))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, SHARES.size - 1), st.lists(st.floats(0, 100), min_size=4, max_size=4),
       st.floats(1, 10))
def test_a_share_that_fits_every_issue_exactly_is_the_one_fitted(share, positions, pull):
    """Outcomes lying that share of the way from the weighted mean to the status quo on every
    issue of every law give that share."""
    errors = []
    for law in range(2):
        mean = np.array(positions[2 * law:2 * law + 2])
        status_quo = mean + np.array([pull, -pull])
        outcome = mean + SHARES[share] * (status_quo - mean)
        errors.append(np.abs(mean + SHARES[:, None] * (status_quo - mean) - outcome))
    assert fitted_share(errors) == share
    unpredicted = np.full((SHARES.size, 1), np.nan)  # an issue no mean predicts changes nothing
    assert fitted_share([*errors, unpredicted]) == share


def test_a_calibration_gives_the_caller_back_optunas_verbosity(tmp_path):
    """It quiets optuna's line per trial while it runs, not the caller's own studies after."""
    import optuna

    dataset, path = _small_dataset(tmp_path, [
        f"{law},{actor},{issue},40,1,1,,50" for law in "ab" for actor in "AB" for issue in "xy"])
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.DEBUG)
    try:
        calibrate(dataset, "compromise", tmp_path / "cal",
                  fingerprint(path, "compromise", 2, 1, 0, None), folds=2, trials=1)
        assert optuna.logging.get_verbosity() == optuna.logging.DEBUG
    finally:
        optuna.logging.set_verbosity(before)


def test_a_calibration_that_fails_gives_the_caller_back_optunas_verbosity(tmp_path,
                                                                          monkeypatch):
    """However it ends: here a baseline that cannot be scored, before any trial."""
    import optuna

    from simulation.runs import calibrate as module

    def fails(*args):
        raise ValueError("unscorable")

    dataset, path = _small_dataset(tmp_path, [
        f"{law},{actor},{issue},40,1,1,,50" for law in "ab" for actor in "AB" for issue in "xy"])
    monkeypatch.setattr(module, "_baseline_errors", fails)
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.DEBUG)
    try:
        with pytest.raises(ValueError, match="unscorable"):
            calibrate(dataset, "compromise", tmp_path / "cal",
                      fingerprint(path, "compromise", 2, 1, 0, None), folds=2, trials=1)
        assert optuna.logging.get_verbosity() == optuna.logging.DEBUG
    finally:
        optuna.logging.set_verbosity(before)


def test_of_equally_good_trials_the_first_is_kept(tmp_path):
    """Every actor at 40 on every issue: the model predicts 40 whatever the parameters, so
    every trial scores the same; the fitted parameters are those of the first trial, in each
    fold and on all negotiations."""
    dataset, path = _small_dataset(tmp_path, [
        f"{law},{actor},{issue},40,1,1,,50" for law in "ab" for actor in "AB" for issue in "xy"])
    folder = tmp_path / "cal"
    found = calibrate(dataset, "compromise", folder,
                      fingerprint(path, "compromise", 2, 3, 0, None), folds=2, trials=3)
    for f, row in enumerate(found.folds.to_dict("records")):
        trials = _journal_trials(folder, f"fold {f + 1} of 2")
        assert len({trial.value for trial in trials}) == 1  # all tied
        first = min(trials, key=lambda trial: trial.number)
        assert {name: row[f"fitted {name}"] for name in first.params} == first.params
    trials = _journal_trials(folder, "all negotiations")
    first = min(trials, key=lambda trial: trial.number)
    assert found.settings == settings_from(first.params, "compromise")
    assert len({trial.params["rounds"] for trial in trials}) > 1  # the trials' values differ


SEARCHES = ("fold 1 of 2", "fold 2 of 2", "all negotiations")  # the studies of 2 folds
COMPROMISE_DEFAULTS = {"rounds": 12, "overall_rate": 0.05}  # the registry's, by hand


def _defaults_trials(folder: Path, search: str) -> list:
    """The finished trials of one search whose values are the compromise protocol's defaults."""
    return [trial for trial in _journal_trials(folder, search)
            if trial.params == COMPROMISE_DEFAULTS]


def test_the_defaults_are_the_searched_parameters_registry_defaults():
    assert defaults_of(free_parameters("compromise"), "compromise") == COMPROMISE_DEFAULTS
    assert defaults_of(free_parameters("challenge"), "challenge") == {
        "rounds": 12, "status_quo_belief": 1.0, "improvement_belief": 1.0,
        "risk_attitudes": "security", "offer_rule": "least_move"}
    assert "exchange_rule" not in defaults_of(free_parameters("exchange", "reference"),
                                              "exchange", "reference")
    for protocol in ("compromise", "exchange", "challenge"):  # each inside its searched range
        free = free_parameters(protocol)
        for f, value in zip(free, defaults_of(free, protocol).values(), strict=True):
            assert value in f.choices if f.choices else f.low <= value <= f.high, (protocol, f)


def test_every_search_tries_the_default_parameters_first(result, result_folder):
    """The first trial of each fold's search and of the one on all negotiations is the
    defaults, counted among the --trials (3 here)."""
    for search in SEARCHES:
        trials = _journal_trials(result_folder, search)
        assert len(trials) == 3
        assert min(trials, key=lambda trial: trial.number).params == COMPROMISE_DEFAULTS
        assert len(_defaults_trials(result_folder, search)) == 1


def test_no_search_fits_its_training_data_worse_than_the_defaults(dataset, long_csv,
                                                                  tmp_path):
    """Outcomes set to the default parameters' own predictions: the defaults score 0 and other
    values do worse, so a search that did not try the defaults reports a worse fit, in each
    fold and in sample."""
    exact = tuple(dataclasses.replace(data, outcome=(predicted_outcomes(
        data, settings_from({}, "compromise"), 1, 4) - data.lower) * 100
        / (data.upper - data.lower)) for data in dataset)
    folder = tmp_path / "exact"
    found = run_calibration(exact, long_csv, folder)
    assert found.in_sample <= found.default_in_sample < 1e-9
    assert found.settings == settings_from({}, "compromise")
    for search in SEARCHES:
        trials = _journal_trials(folder, search)
        (defaults,) = _defaults_trials(folder, search)
        assert min(trial.value for trial in trials) <= defaults.value


@pytest.mark.parametrize("stop", ["while the defaults run", "after the defaults"])
def test_a_resumed_calibration_tries_the_defaults_once(result, dataset, long_csv, tmp_path,
                                                       monkeypatch, stop):
    """Stopped while fold 2's search evaluates the defaults (nothing of that trial stored) or
    just after it stored them, the resumed calibration has the defaults once in each search,
    first, and ends as an uninterrupted one."""
    import simulation.runs.calibrate as module

    done: list[str] = []
    real = module.settings_from

    def stopping(values, *args):
        if stop == "while the defaults run" and len(done) == 3 and \
                values == COMPROMISE_DEFAULTS:  # fold 1 done (or its test, if it kept them)
            raise KeyboardInterrupt
        return real(values, *args)

    def progress(search, trials_done, total, best):
        done.append(search)
        if stop == "after the defaults" and search == "fold 2 of 2":
            raise KeyboardInterrupt

    monkeypatch.setattr(module, "settings_from", stopping)
    folder = tmp_path / "stopped"
    with pytest.raises(KeyboardInterrupt):
        run_calibration(dataset, long_csv, folder, progress=progress)
    assert len(_defaults_trials(folder, "fold 1 of 2")) == 1
    assert len(_defaults_trials(folder, "fold 2 of 2")) == (stop == "after the defaults")
    monkeypatch.undo()
    resumed = run_calibration(dataset, long_csv, folder)
    assert resumed.folds.equals(result.folds) and resumed.settings == result.settings
    for search in SEARCHES:
        trials = _journal_trials(folder, search)
        assert len(trials) == 3 and len(_defaults_trials(folder, search)) == 1
        assert min(trials, key=lambda trial: trial.number).params == COMPROMISE_DEFAULTS


def test_same_results_for_any_worker_count(result, dataset, long_csv, tmp_path):
    again = run_calibration(dataset, long_csv, tmp_path / "two", workers=2)
    assert again.folds.equals(result.folds) and again.settings == result.settings


def test_an_interrupted_calibration_resumes_to_the_same_result(result, dataset, long_csv,
                                                               tmp_path):
    calls = []

    def stop_after_four(search, done, total, best):
        calls.append(search)
        if len(calls) == 4:
            raise KeyboardInterrupt

    folder = tmp_path / "resumed"
    with pytest.raises(KeyboardInterrupt):
        run_calibration(dataset, long_csv, folder, progress=stop_after_four)
    resumed = run_calibration(dataset, long_csv, folder)
    assert resumed.folds.equals(result.folds) and resumed.settings == result.settings
    with pytest.raises(InputError, match="trials was 3, now 4"):
        run_calibration(dataset, long_csv, folder, trials=4)


def test_a_second_calibration_in_a_running_ones_folder_is_refused(result, dataset, long_csv,
                                                                   tmp_path):
    """Two runs on one folder (a second terminal) would write into each other's trials."""
    folder = tmp_path / "busy"
    refused = []

    def start_another(search, done, total, best):
        if not refused:
            with pytest.raises(InputError) as caught:
                run_calibration(dataset, long_csv, folder)
            refused.append(caught.value)

    finished = run_calibration(dataset, long_csv, folder, progress=start_another)
    assert refused[0].source == str(folder) and refused[0].field == "--dir"
    assert "another calibration is running in this folder" in refused[0].problem
    assert finished.folds.equals(result.folds)  # the first run was not disturbed
    assert run_calibration(dataset, long_csv, folder).folds.equals(result.folds)  # lock freed


def test_a_folders_hidden_files_do_not_change_its_fingerprint(tmp_path):
    """The reader skips them (.DS_Store, editors' swap files): a calibration of the folder must
    still resume when one appears."""
    folder = tmp_path / "laws"
    folder.mkdir()
    (folder / "a.csv").write_text("actor,issue,position,salience,capability\nA,x,0,1,1\n")
    before = fingerprint(folder, "compromise", 2, 3, 0, None)
    (folder / ".DS_Store").write_bytes(b"\0\1")
    assert fingerprint(folder, "compromise", 2, 3, 0, None) == before
    (folder / "a.csv").write_text("actor,issue,position,salience,capability\nA,x,1,1,1\n")
    assert fingerprint(folder, "compromise", 2, 3, 0, None) != before


def _sleep_once_started(started) -> None:
    started.set()
    time.sleep(60)


@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_forked_workers_do_not_keep_a_folder_locked(tmp_path):
    """Workers forked while a calibration holds its folder (NegotiationPool) outlive a killed
    parent: their copy of the lock must not keep the folder locked against a resume."""
    context = multiprocessing.get_context("fork")
    started = context.Event()
    worker = context.Process(target=_sleep_once_started, args=(started,))
    with exclusive(tmp_path):
        worker.start()
        assert started.wait(30)
    try:
        with exclusive(tmp_path):  # the parent is gone; the worker lives on
            pass
    finally:
        worker.kill()
        worker.join()


def test_a_journal_cut_off_mid_line_resumes_to_the_same_result(result, dataset, long_csv,
                                                                 tmp_path):
    """Killed while writing (kill -9, a full disk), the journal ends in half a record: that
    trial is run again, as if it had been interrupted."""
    folder = tmp_path / "cut"
    run_calibration(dataset, long_csv, folder)
    journal = folder / "trials.journal"
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:12]) + lines[12][:20])
    resumed = run_calibration(dataset, long_csv, folder)
    assert resumed.folds.equals(result.folds) and resumed.settings == result.settings
    journal.write_bytes(b"".join(lines[:5]) + b"{not a record\n" + b"".join(lines[5:]))
    with pytest.raises(InputError, match=r"trials\.journal: line 6"):
        run_calibration(dataset, long_csv, folder)


@pytest.mark.parametrize("record", [b"[1, 2]\n", b'"text"\n', b'{"op_code": 99}\n',
                                    b'{"op_code": 5}\n'])
def test_a_journal_line_of_json_but_no_record_is_an_input_error(result, dataset, long_csv,
                                                                tmp_path, record):
    """JSON that is not optuna's record (a list, an unknown operation, a missing field) was a
    TypeError, AssertionError or KeyError traceback from optuna's replay."""
    folder = tmp_path / "edited"
    run_calibration(dataset, long_csv, folder)
    journal = folder / "trials.journal"
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:5]) + record + b"".join(lines[5:]))
    with pytest.raises(InputError, match=r"trials\.journal: \(file\): its lines are JSON but "
                                         "not trial records"):
        run_calibration(dataset, long_csv, folder)


def test_cli_calibrate_into_a_folder_it_cannot_write_is_no_interruption(capsys, long_csv,
                                                                        tmp_path):
    """A journal that cannot be written for another reason than a full disk (here a folder in
    its place) exited 130 saying the same command completes the calibration: it fails again."""
    folder = tmp_path / "cal"
    argv = ["calibrate", str(long_csv), "--protocol", "compromise", "--folds", "2", "--trials",
            "2", "--dir", str(folder)]
    assert main(argv) == 0
    for name in ("trials.journal", "report.txt", "parameters.yaml"):
        (folder / name).unlink()
    (folder / "trials.journal").mkdir()
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{folder}: --dir: cannot write the calibration's files (Is a directory)" in err
    assert "Traceback" not in err


def test_a_journal_lock_left_by_a_killed_calibration_does_not_stop_the_next(result, dataset,
                                                                            long_csv, tmp_path):
    """kill -9 while optuna writes leaves its lock behind: a symbolic link to the journal, by
    the path the command was given, so with a relative --dir it points nowhere, and optuna,
    unable to date it, waited on it for ever at full speed. The folder's own lock keeps other
    calibrations out, so it is freed."""
    folder = tmp_path / "killed"
    calls = []

    def stop_after_four(search, done, total, best):
        calls.append(search)
        if len(calls) == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_calibration(dataset, long_csv, folder, progress=stop_after_four)
    (folder / "trials.journal.lock").symlink_to(Path("killed") / "trials.journal")  # relative

    def waited_too_long(signum, frame):
        raise TimeoutError("the calibration waited on the journal's stale lock")

    previous = signal.signal(signal.SIGALRM, waited_too_long)
    signal.alarm(60)
    try:
        resumed = run_calibration(dataset, long_csv, folder)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert resumed.folds.equals(result.folds) and resumed.settings == result.settings


def test_parameter_file_round_trip(result, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(parameter_file_text(result, "a header"))
    assert path.read_text().startswith("# a header\n")
    settings = read_own_parameters(path)
    assert settings == result.settings


def test_the_parameter_file_reads_in_its_documented_order(result):
    """Header comments, then rounds, then the protocol first among the bargaining settings
    (the layout own_parameters' docstring shows), not keys sorted by name."""
    lines = [line for line in parameter_file_text(result, "a header").splitlines()
             if not line.startswith("#")]
    assert lines[:4] == [f"rounds: {result.settings.rounds}", "parameters:", "  bargaining:",
                         f"    protocol: {result.settings.protocol}"]
    names = [f.name for f in result.free if f.name != "rounds"]
    assert [line.split(":")[0].strip() for line in lines[4:]] == names


def test_a_trial_runs_with_the_rounds_and_the_settings_it_draws():
    trial = settings_from({"rounds": 5, "overall_rate": 0.3}, "compromise")
    assert (trial.rounds, trial.protocol) == (5, "compromise")
    assert trial.parameters.bargaining.overall_rate == 0.3


def test_cli_calibrate_writes_report_and_parameter_file(capsys, long_csv, tmp_path):
    folder = tmp_path / "cli"
    code = main(["calibrate", str(long_csv), "--protocol", "exchange", "--folds", "2",
                 "--trials", "2", "--dir", str(folder), "--exchange-rule", "once"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Out-of-fold mean absolute error over 7 issues of 4 negotiations" in out
    rows = {fields[0]: fields[1:] for fields in (re.split(r"\s{2,}", line.strip())
                                                  for line in out.splitlines())}
    scored = {method: rows[method][0] for method in ("the model, default parameters",
                                                     "no change: the status quo")}
    assert scored == {"the model, default parameters": "7",  # 3 issues code no reference point
                      "no change: the status quo": "4"}
    assert "salience-weighted mean (equal capability)" in out and "In sample" in out
    # each method's paired gap to the calibrated model: its MAE's difference where both score
    # every issue (the default), and no gap of the calibrated model to itself
    calibrated, default = (rows[m] for m in ("the model, calibrated (out of fold)",
                                            "the model, default parameters"))
    assert len(calibrated) == 4 and len(default) == 5
    gap, plus_minus, error = default[-1].split()
    assert float(gap) == pytest.approx(float(default[1]) - float(calibrated[1]), abs=2e-3)
    assert plus_minus == "±" and float(error) >= 0
    assert "all negotiations: trial 2/2" in err  # plain progress lines off a terminal
    params = read_own_parameters(folder / "parameters.yaml")
    assert params.protocol == "exchange"
    assert params.parameters.bargaining.exchange_rule == "once"
    code = main(["backtest", str(long_csv), "--params", str(folder / "parameters.yaml")])
    err = capsys.readouterr().err
    assert code == 0 and "exchange rule once" in err
    assert "fitted on these same data" in err and "in sample" in err
    other = tmp_path / "other.csv"  # other data: the same parameters score out of sample
    other.write_text(long_csv.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    code = main(["backtest", str(other), "--params", str(folder / "parameters.yaml")])
    assert code == 0 and "fitted on these same data" not in capsys.readouterr().err
    again = main(["calibrate", str(long_csv), "--protocol", "exchange", "--folds", "2",
                  "--trials", "2", "--dir", str(folder), "--exchange-rule", "once"])
    assert again == 0 and capsys.readouterr().out == out  # finished: the same report


def test_cli_calibrate_on_a_complete_folder_runs_and_writes_nothing(capsys, long_csv,
                                                                    tmp_path):
    """The same command on a finished calibration says so in one line, prints the stored
    report (as the first run did: the file's text, to the byte) and leaves every file as it
    was: no 'resuming', no study records added to the journal."""
    folder = tmp_path / "cal"
    argv = ["calibrate", str(long_csv), "--protocol", "compromise", "--folds", "2", "--trials",
            "1", "--dir", str(folder)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    before = {path: path.read_bytes() for path in folder.iterdir()}
    code = main(argv)
    again, err = capsys.readouterr()
    assert code == 0 and again == out == (folder / "report.txt").read_text(encoding="utf-8")
    assert "resuming" not in err and len(err.strip().splitlines()) == 1
    assert "nothing is left to run" in err and str(folder / "report.txt") in err
    assert {path: path.read_bytes() for path in folder.iterdir()} == before


def test_cli_calibrate_headline_compares_baselines_on_every_issue(capsys, tmp_path):
    """A status quo given (and right) on one issue of four must not be 'the best baseline'."""
    path = tmp_path / "laws.csv"
    rows = ["negotiation,actor,issue,position,salience,capability,status_quo,outcome"]
    for law in ("a", "b"):
        rows += [f"{law},A,x,0,1,1,50,50", f"{law},B,x,100,1,1,50,50",
                 f"{law},A,y,0,1,1,,80", f"{law},B,y,100,1,3,,80"] if law == "a" else \
                [f"{law},A,x,0,1,1,,70", f"{law},B,x,100,1,2,,70",
                 f"{law},A,y,0,1,1,,20", f"{law},B,y,100,1,1,,20"]
    path.write_text("\n".join(rows) + "\n")
    code = main(["calibrate", str(path), "--protocol", "compromise", "--folds", "2",
                 "--trials", "1", "--dir", str(tmp_path / "cal")])
    out, err = capsys.readouterr()
    assert code == 0, err
    headline = next(line for line in out.splitlines() if line.startswith("Headline"))
    assert "no change" not in headline and "the best baseline scoring every issue" in headline


@settings(max_examples=30,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, 9_999), min_size=len(BASELINES) + 5,
                max_size=len(BASELINES) + 5, unique=True),
       st.lists(st.booleans(), min_size=len(BASELINES), max_size=len(BASELINES)).filter(any))
def test_the_headline_names_the_closest_baseline_scoring_every_issue(
        result, long_csv, tmp_path, capsys, monkeypatch, thousandths, complete):
    """Whatever the methods' errors: the headline (and the parameter file's header) quote the
    calibrated and the default model's out-of-fold MAE as the table has them, and the best
    baseline is the one of least MAE among those scoring every issue the model scores (never
    the model with default parameters, nor the fitted baseline, however close they come); the
    header's in-sample MAE is the fitted parameters', as the report's last line says."""
    from simulation.runs import calibrate as calibration
    from simulation.runs.forecast import method_name

    # the errors drawn: the calibrated and the default model's out of fold, each baseline's, the
    # fitted baseline's, then the fitted and the default parameters' in sample
    mae = [value / 1000 for value in thousandths]
    fitted_at = len(BASELINES) + 2
    in_sample, default_in_sample = fitted_at + 1, fitted_at + 2
    methods = result.methods.set_index("method")
    model = methods.loc["model_default", "issues"]
    for method, error, full in zip(BASELINES, mae[2:fitted_at], complete, strict=True):
        methods.loc[method, ["out_of_fold_mae", "issues"]] = error, model if full else model - 1
    methods.loc[FITTED_BASELINE, "out_of_fold_mae"] = mae[fitted_at]
    methods.loc[["model_calibrated", "model_default"], "out_of_fold_mae"] = mae[:2]
    shown = dataclasses.replace(result, methods=methods.reset_index(), in_sample=mae[in_sample],
                                default_in_sample=mae[default_in_sample])
    folder = Path(tempfile.mkdtemp(dir=tmp_path)) / "cal"

    def doctored(*args: object, **kwargs: object) -> calibration.Calibration:
        """The module's calibration with the errors above, in the folder it made."""
        folder.mkdir()
        return shown

    monkeypatch.setattr(calibration, "calibrate", doctored)
    assert main(["calibrate", str(long_csv), "--protocol", "compromise", "--folds", "2",
                 "--trials", "3", "--seed", "4", "--dir", str(folder)]) == 0
    out = capsys.readouterr().out
    best = min((m for m, full in zip(BASELINES, complete, strict=True) if full),
               key=lambda m: methods.loc[m, "out_of_fold_mae"])
    calibrated, baseline, default = (f"{methods.loc[m, 'out_of_fold_mae']:.3f}"
                                     for m in ("model_calibrated", best, "model_default"))
    fitted = f"{methods.loc[FITTED_BASELINE, 'out_of_fold_mae']:.3f}"
    assert f"Headline: calibrated {calibrated} out of fold, against {baseline} for the best " \
           f"baseline scoring every issue ({method_name(best)}), {fitted} for the capability x " \
           "salience weighted mean moved toward the status quo by a share fitted on the same " \
           f"folds (a calibrated rule of thumb) and {default} for the default parameters. " \
           "Calibrating " in out
    assert f"out-of-fold MAE {calibrated} (best baseline {best} {baseline}); in-sample MAE " \
           f"{mae[in_sample]:.3f}" in (folder / "parameters.yaml").read_text(encoding="utf-8")


def test_cli_calibrate_default_folders_keep_each_exchange_rule_apart(capsys, long_csv,
                                                                     tmp_path, monkeypatch):
    """The README's calibrations of one dataset under each exchange rule, run one after the
    other without --dir, each get their own folder instead of refusing the other's."""
    monkeypatch.chdir(tmp_path)
    for rule in ("once", "reference"):
        code = main(["calibrate", str(long_csv), "--protocol", "exchange", "--folds", "2",
                     "--trials", "1", "--exchange-rule", rule])
        assert code == 0, capsys.readouterr().err
        folder = tmp_path / f"calibration-{long_csv.stem}-exchange-{rule}"
        params = read_own_parameters(folder / "parameters.yaml")
        assert params.parameters.bargaining.exchange_rule == rule


@pytest.mark.parametrize(("record", "problem"), [
    ('{"data_sha256": "0", "protocol": "compromise"}', "holds a calibration of other inputs"),
    ("{not json", "its inputs.json is not a calibration's record"),
])
def test_cli_calibrate_refuses_a_folder_of_other_inputs_without_announcing_a_resume(
        capsys, long_csv, tmp_path, record, problem):
    folder = tmp_path / "cal"
    folder.mkdir()
    (folder / "inputs.json").write_text(record)
    code = main(["calibrate", str(long_csv), "--protocol", "compromise", "--folds", "2",
                 "--dir", str(folder)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and problem in err
    assert "resuming" not in err


def test_cli_calibrate_stopped_says_how_to_continue(capsys, long_csv, tmp_path, monkeypatch):
    """Ctrl-C used to print only "interrupted", where `run` and `sweep` say what comes next."""
    import simulation.cli.calibrate as command

    def stopping_progress():
        def progress(*state):
            raise KeyboardInterrupt

        return progress, lambda: None

    monkeypatch.setattr(command, "_progress", stopping_progress)
    folder = tmp_path / "cal"
    argv = ["calibrate", str(long_csv), "--protocol", "compromise", "--folds", "2", "--trials",
            "2", "--dir", str(folder)]
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert f"interrupted; the finished trials are kept in {folder}. Complete the calibration " \
           "with the same command" in err and "Traceback" not in err
    monkeypatch.undo()
    assert main(argv) == 0 and "resuming in" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "problem"), [
    (["--folds", "5"], "5 folds but the data hold 4"),
    (["--exchange-rule", "once"], "only the exchange protocol"),
])
def test_cli_calibrate_bad_options_exit_2(capsys, long_csv, tmp_path, argv, problem):
    """Refused before the line announcing the calibration, whose "trials kept in" was untrue."""
    code = main(["calibrate", str(long_csv), "--protocol", "compromise", "--dir",
                 str(tmp_path / "x"), *argv])
    err = capsys.readouterr().err
    assert code == 2 and problem in err and "Traceback" not in err
    assert "calibrating" not in err and not (tmp_path / "x").exists()


def test_cli_calibrate_into_a_folder_it_cannot_create_exit_2(capsys, long_csv, tmp_path):
    (tmp_path / "a file").write_text("")
    folder = tmp_path / "a file" / "calibration"
    code = main(["calibrate", str(long_csv), "--protocol", "compromise", "--folds", "2",
                 "--dir", str(folder)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert f"{folder}: --dir: cannot create the folder" in err


def test_cli_calibrate_trials_below_one_exit_2(capsys, long_csv):
    with pytest.raises(SystemExit) as stopped:
        main(["calibrate", str(long_csv), "--protocol", "compromise", "--trials", "0"])
    assert stopped.value.code == 2
    assert "--trials: must be a whole number of at least 1" in capsys.readouterr().err


def test_a_parameter_file_with_true_for_a_number_is_an_input_error(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("rounds: true\nparameters:\n  bargaining: {protocol: compromise}\n")
    with pytest.raises(InputError, match="rounds: true or false is not a number"):
        read_own_parameters(path)


def test_a_bad_value_in_a_written_parameter_file_is_named_with_its_line(tmp_path):
    """A parameter file as `mc11 calibrate` writes it (comment lines first), edited to a value
    out of range: the error names its line, read alone or through a scenario's
    `parameters_file:`."""
    from simulation.inputs import DEFAULT_SCENARIO
    from simulation.inputs.scenario import load_scenario

    settings = OwnDataSettings().with_bargaining(protocol="exchange")
    text = own_parameters_yaml(settings, ["overall_rate", "exchange_rule"], "fitted\n\nby mc11")
    path = tmp_path / "fitted.yaml"
    path.write_text(re.sub(r"overall_rate: .*", "overall_rate: 2", text))
    assert text.splitlines()[7].startswith("    overall_rate: ")  # line 8 of the file
    expected = (f"{path}: line 8: parameters.bargaining.overall_rate: 2 is out of range; "
                "allowed: a number from 0 to 1")
    with pytest.raises(InputError) as read:
        read_own_parameters(path)
    assert str(read.value) == expected
    scenario = tmp_path / "what_if.yaml"
    scenario.write_text(f"extends: {DEFAULT_SCENARIO}\nname: x\nparameters_file: fitted.yaml\n")
    with pytest.raises(InputError) as loaded:
        load_scenario(scenario)
    assert str(loaded.value) == expected


def test_a_scenario_takes_a_parameter_file(result, tmp_path):
    from simulation.inputs import DEFAULT_SCENARIO
    from simulation.inputs.scenario import load_scenario

    (tmp_path / "fitted.yaml").write_text(parameter_file_text(result, "fitted"))
    scenario = tmp_path / "what_if.yaml"
    scenario.write_text(f"extends: {DEFAULT_SCENARIO}\nname: fitted\n"
                        "parameters_file: fitted.yaml\n"
                        "parameters:\n  bargaining:\n    noise_sd: 3\n")
    bargaining = load_scenario(scenario).spec.parameters.bargaining
    fitted = result.settings.parameters.bargaining
    assert bargaining.overall_rate == fitted.overall_rate  # from the parameter file
    assert bargaining.noise_sd == 3  # the scenario's own value wins
    (tmp_path / "bad.yaml").write_text("parameters:\n  bargaining:\n    speed: 1\n")
    scenario.write_text("name: x\nparameters_file: bad.yaml\n")
    with pytest.raises(InputError, match="speed"):
        load_scenario(scenario)


def test_a_folder_removed_during_the_calibration_is_said_not_offered_for_resuming(
        dataset, long_csv, tmp_path):
    import shutil

    from simulation.errors import Interrupted

    folder = tmp_path / "removed"
    with pytest.raises(Interrupted) as stopped:
        run_calibration(dataset, long_csv, folder,
                        progress=lambda *state: shutil.rmtree(folder, ignore_errors=True))
    assert f"{folder} was removed while the calibration wrote to it" in str(stopped.value)
    assert "same command" not in str(stopped.value)


def test_data_of_one_negotiation_are_named_as_the_problem_not_folds(capsys, tmp_path):
    data = Path(__file__).resolve().parents[1] / "examples" / "my_negotiation.csv"
    code = main(["calibrate", str(data), "--protocol", "compromise", "--dir",
                 str(tmp_path / "calibration")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert f"{data}: negotiation: the data hold one negotiation" in err
    assert "trials kept" not in err and not (tmp_path / "calibration").exists()


def test_data_without_outcomes_are_refused_before_the_calibration_is_announced(capsys,
                                                                              tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "a.csv").write_text("actor,issue,position,salience,capability,outcome\n"
                                  "A,x,0,1,1,40\nB,x,100,1,1,40\n")
    (folder / "b.txt").write_text("#A;A;a\n#A;B;b\n#P;x;x\n#D;A;x;0;1;1\n#D;B;x;100;1;1\n")
    code = main(["calibrate", str(folder), "--protocol", "compromise", "--folds", "2",
                 "--dir", str(tmp_path / "calibration")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert f"{folder / 'b.txt'}: outcome: negotiation 'b' has no observed outcome" in err
    assert "trials kept" not in err and not (tmp_path / "calibration").exists()


def test_an_option_is_named_once_in_its_error(capsys):
    assert main(["preferences", "--member", "XYZ"]) == 2
    err = capsys.readouterr().err
    assert "mc11: error: --member: unknown member code 'XYZ'" in err
    assert "member: member" not in err
    assert str(InputError("--folds", "negotiation", "why")) == "--folds: negotiation: why"


@pytest.mark.parametrize(("gap", "error", "said"), [
    (0.6, 0.25, "Calibrating helped"), (-0.6, 0.25, "Calibrating hurt"),
    (-0.33, 0.255, "Calibrating changed nothing beyond chance (a tie)"),
    (0.4, float("nan"), "no standard error to judge it by")])
def test_the_headline_says_whether_calibrating_helped(gap, error, said):
    """The headline listed the errors but said not whether calibrating beat the defaults: a
    user had to read it from the paired column (DEU III, 3 trials: -0.331 ± 0.255, a tie)."""
    from simulation.cli.calibrate import _calibration_effect

    text = _calibration_effect(gap, error)
    assert said in text and f"{gap:+.3f}" in text

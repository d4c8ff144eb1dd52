"""Fit the own-data engine's free parameters to observed outcomes, judged out of fold.

Grouped K-fold cross-validation: the negotiations (never single issues: the issues of one
negotiation are bargained together) are shuffled with the seed and dealt into K folds. For each
fold, optuna's TPE sampler searches the parameters that minimise the mean absolute error over
the issues of the other K - 1 folds; the best ones then predict the held-out fold. Every issue is
thus predicted once by parameters fitted without its negotiation: the out-of-fold error is the
honest estimate of how the calibrated engine does on new negotiations. A last search on all
negotiations gives the parameters written to the parameter file; its error is in-sample. The
baselines are scored on the same folds, and one of them is fitted as the model is
(`FITTED_BASELINE`), so that a fitted model is not judged only against rules that fit nothing.

Free parameters: the rounds of the synthetic calendar and the chosen protocol's settings from
the protocol registry, except those that own data cannot move or that would only fit chance
(`NOT_FOR_OWN_DATA`). The consensus
rule only decides verdicts, not the predicted outcome, so it is not fitted.

Every search evaluates the default parameters first (`defaults_of`): its first trial, one of
`--trials`, so a search never reports a fit worse on its training negotiations than the
defaults'. The defaults' trial is stored only once evaluated, so an interrupted one leaves no
trial behind and a resume evaluates it again, once.

Reproducible: each trial's sampler is seeded from the seed, the search and the number of trials
already complete, so a calibration gives the same trials whatever the number of workers, and a
resumed one the same as an uninterrupted one. Trials are stored as they finish in an optuna
journal in the calibration's folder.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.engine import protocols
from simulation.errors import (
    InputError,
    Interrupted,
    disk_full,
    folder_removed,
    unwritable,
    write_atomic,
)
from simulation.inputs.importers import ActorIssueData, dataset_files
from simulation.inputs.own_parameters import OwnDataSettings, own_parameters_yaml
from simulation.outputs import JOURNAL
from simulation.runs import versions
from simulation.runs.forecast import (
    BASELINES,
    DEFAULTS,
    NegotiationPool,
    baselines,
    check_outcomes,
    paired_gap,
    predicted_outcomes,
    settings_for,
)
from simulation.runs.locks import holding

ROUNDS = (1, 24)  # the range of rounds searched
NOT_FOR_OWN_DATA = {  # registry settings left at their defaults, and why
    "coalition_rate": "own data names no coalitions, so nothing pulls toward one",
    "noise_sd": "bargaining noise only adds chance to a run's prediction: fitted on one seeded "
                "run, it would fit that run's luck, not the negotiations",
}
LOCK = "running.lock"
INPUTS = "inputs.json"
REPORT, FOLDS, PARAMETERS = "report.txt", "folds.csv", "parameters.yaml"
"""The result files, written once every search is done."""


@dataclass(frozen=True)
class Free:
    """A parameter the calibration fits: a whole number, a number or one of some choices."""

    name: str
    low: float = 0.0
    high: float = 1.0
    choices: tuple[str, ...] = ()
    whole: bool = False


def free_parameters(protocol: str, exchange_rule: str | None = None) -> tuple[Free, ...]:
    """What `calibrate` fits for a protocol: rounds and the protocol's registry settings
    (without those own data cannot move, and without the exchange rule when it is given)."""
    if protocol not in protocols.NAMES:
        raise InputError("--protocol", "protocol",
                         f"{protocol!r}; allowed: {', '.join(protocols.NAMES)}")
    free = [Free("rounds", *ROUNDS, whole=True)]
    for setting in protocols.PROTOCOLS[protocol].settings:
        if setting.name in NOT_FOR_OWN_DATA:
            continue
        if setting.name == "exchange_rule" and exchange_rule is not None:
            continue
        if setting.choices:
            free.append(Free(setting.name, choices=setting.choices))
        else:
            free.append(Free(setting.name, setting.low, setting.high))
    return tuple(free)


def settings_from(values: dict[str, object], protocol: str,
                  exchange_rule: str | None = None) -> OwnDataSettings:
    """The settings of one trial: its values on top of the defaults."""
    values = dict(values)
    rounds = int(values.pop("rounds", DEFAULTS.rounds))
    base = settings_for(protocol, rounds, exchange_rule)
    return base.with_bargaining(**values) if values else base


def defaults_of(free: tuple[Free, ...], protocol: str,
                exchange_rule: str | None = None) -> dict[str, object]:
    """The default values of the `free` parameters, a search's first trial (each inside its
    searched range, which a test checks for every protocol)."""
    base = settings_from({}, protocol, exchange_rule)
    return {f.name: base.rounds if f.name == "rounds"
            else getattr(base.parameters.bargaining, f.name) for f in free}


def grouped_folds(names: Sequence[str], folds: int, seed: int,
                  source: str = "--folds") -> list[list[int]]:
    """The negotiations' indices dealt into `folds` held-out sets after a seeded shuffle;
    `source` names the data in the error for data of a single negotiation."""
    if folds < 2:
        raise InputError("--folds", "folds", f"{folds}; allowed: a whole number of at least 2")
    if len(names) < 2:
        raise InputError(source, "negotiation", "the data hold one negotiation; "
                         "cross-validation holds out whole negotiations, so it needs at least "
                         "two: add a negotiation column (or give a folder of files)")
    if folds > len(names):
        raise InputError("--folds", "folds", f"{folds} folds but the data hold "
                         f"{len(names)} negotiation(s); allowed: 2 to {len(names)} (each fold "
                         "holds out whole negotiations: add a negotiation column or use fewer "
                         "folds)")
    order = np.random.default_rng(np.random.SeedSequence([seed, 1])).permutation(len(names))
    return [sorted(int(i) for i in order[f::folds]) for f in range(folds)]


def calibration_folds(dataset: Sequence[ActorIssueData], folds: int, seed: int
                      ) -> list[list[int]]:
    """The held-out folds of `dataset`, once its every negotiation has an observed outcome;
    data a calibration cannot use are an InputError."""
    for data in dataset:
        check_outcomes(data)
    return grouped_folds([d.negotiation for d in dataset], folds, seed,
                         source=dataset[0].source if dataset else "--folds")


def _absolute_errors(data: ActorIssueData, settings: OwnDataSettings, seed: int) -> np.ndarray:
    """The model's absolute error on each of the negotiation's observed issues."""
    observed = data.to_user_scale(data.outcome)
    scored = np.isfinite(observed)
    return np.abs(predicted_outcomes(data, settings, 1, seed)[scored] - observed[scored])


def _baseline_errors(data: ActorIssueData, predictions: dict[str, np.ndarray]
                     ) -> dict[str, np.ndarray]:
    """Each baseline's absolute error on the negotiation's observed issues, from its
    `predictions` (`baselines`)."""
    observed = data.to_user_scale(data.outcome)
    scored = np.isfinite(observed)
    return {name: np.abs(values[scored] - observed[scored])
            for name, values in predictions.items()}


FITTED_BASELINE = "mean_toward_status_quo"
FITTED_BASELINE_NAME = ("capability x salience weighted mean moved toward the status quo (a share "
                        "fitted, as the model is)")
SHARES = np.linspace(0.0, 1.0, 101)
"""The fitted baseline's shares searched: a baseline with a parameter fitted on the same folds
as the model's, so that a calibrated model is also measured against a calibrated rule of thumb
(parameter-free baselines cannot fit the data they are scored on)."""


def _share_errors(data: ActorIssueData, predictions: dict[str, np.ndarray]) -> np.ndarray:
    """The fitted baseline's absolute error on each observed issue (columns) for each of
    `SHARES` (rows): the weighted mean moved that share of the way to the status quo, where
    the data give one (elsewhere the mean as it is), from the `predictions` (`baselines`)."""
    observed = data.to_user_scale(data.outcome)
    scored = np.isfinite(observed)
    mean, status_quo = (predictions["capability_salience_mean"][scored],
                        predictions["status_quo"][scored])
    pull = np.where(np.isfinite(status_quo), status_quo - mean, 0.0)
    return np.abs(mean + SHARES[:, None] * pull - observed[scored])


def fitted_share(errors: Sequence[np.ndarray]) -> int:
    """The index in `SHARES` with the lowest mean absolute error over the issues of
    `errors` (each a negotiation's `_share_errors`; an issue no mean predicts left out, as
    `_mae` leaves it), the smallest share among equals."""
    pooled = np.concatenate(errors, axis=1) if errors else np.zeros((SHARES.size, 0))
    pooled = pooled[:, np.isfinite(pooled).all(axis=0)]
    return int(np.argmin(pooled.mean(axis=1))) if pooled.shape[1] else 0


def _mae(errors: Sequence[np.ndarray]) -> float:
    pooled = np.concatenate(errors) if errors else np.zeros(0)
    pooled = pooled[np.isfinite(pooled)]
    return float(pooled.mean()) if pooled.size else float("nan")


@dataclass(frozen=True)
class Calibration:
    """What a calibration found: per fold, out of fold, in sample, and the fitted settings."""

    folds: pd.DataFrame  # one row per fold: held-out size, MAEs, fitted values
    stability: pd.DataFrame  # per fitted parameter: across folds, and on all data
    methods: pd.DataFrame  # per method: issues scored, out-of-fold MAE pooled, mean and sd over
    # the folds, paired gap to the calibrated model and its standard error
    settings: OwnDataSettings  # fitted on all negotiations
    in_sample: float  # the fitted settings' MAE on all negotiations (in sample)
    default_in_sample: float  # the default settings' MAE on all negotiations
    free: tuple[Free, ...]


DIGEST_NOTE = "data sha256 "  # the parameter file's header line naming the data it was fitted on


def data_digest(path: Path | str) -> str:
    """The sha256 of a dataset's file names and bytes: which data a calibration fitted."""
    digest = hashlib.sha256()
    for file in dataset_files(path):
        digest.update(file.name.encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def fitted_on(parameter_file: Path | str) -> str | None:
    """The data digest a parameter file's header records (`mc11 calibrate` writes one), if any."""
    for line in Path(parameter_file).read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.startswith("#"):
            return None
        if line.startswith("# " + DIGEST_NOTE):
            return line.removeprefix("# " + DIGEST_NOTE).strip()
    return None


def fingerprint(path: Path | str, protocol: str, folds: int, trials: int, seed: int,
                exchange_rule: str | None) -> dict[str, object]:
    """What a calibration's results depend on: the data's bytes and the options."""
    return {"data_sha256": data_digest(path), "protocol": protocol, "folds": folds,
            "trials": trials, "seed": seed, "exchange_rule": exchange_rule}


def resuming(folder: Path, inputs: dict[str, object]) -> bool:
    """Whether `folder` holds a calibration of the same `inputs` to resume (False: no folder
    yet); a folder of anything else is an InputError, and so is an unfinished one whose
    finished trials other model rules ran."""
    if not folder.exists():
        return False
    if not folder.is_dir():
        raise InputError(str(folder), "--dir", "a file, not a folder; choose a new --dir")
    if not (folder / INPUTS).exists():
        raise InputError(str(folder), "--dir", "the folder exists and holds no calibration; "
                         "choose a new --dir")
    before = recorded_inputs(folder)
    changed = [key for key in inputs if before.get(key) != inputs[key]]
    if changed:
        shown = "; ".join(f"{key} was {before.get(key)!r}, now {inputs[key]!r}"
                          for key in changed)
        raise InputError(str(folder), "--dir", f"the folder holds a calibration of other "
                         f"inputs ({shown}); resume it with the same data and options or "
                         "choose a new --dir")
    if not finished(folder):
        versions.refuse_other_rules(before, folder, "choose a new --dir", "trials")
    return True


def recorded_inputs(folder: Path) -> dict[str, object]:
    """What a calibration folder's inputs.json records: the inputs and `versions.record()` of
    the mc11 that started it."""
    try:
        before = json.loads((folder / INPUTS).read_text(encoding="utf-8"))
        if not isinstance(before, dict):
            raise ValueError
    except (OSError, ValueError):
        raise InputError(str(folder), "--dir", f"its {INPUTS} is not a calibration's record "
                         "(changed by hand?); choose a new --dir") from None
    return before


def prepare_folder(folder: Path, inputs: dict[str, object]) -> None:
    """Create the calibration folder, or check that an existing one holds the same inputs."""
    if resuming(folder, inputs):
        return
    created = False
    try:
        folder.mkdir(parents=True)
        created = True
        write_atomic(folder / INPUTS, json.dumps({**inputs, **versions.record()}, indent=1)
                     + "\n")
    except OSError as exc:
        if created:  # a folder without its record could not be resumed
            shutil.rmtree(folder, ignore_errors=True)
        raise InputError(str(folder), "--dir", f"cannot create the folder ({unwritable(exc)}); "
                         "allowed: a new folder in a writable place") from None


def _record_continuation(folder: Path) -> None:
    """In an unfinished calibration of an earlier mc11 (its inputs.json records no rules), record
    this mc11 as the one that continued it (`versions.RESUMED`), so that a later resume under
    yet other rules is refused."""
    before = recorded_inputs(folder)
    after = {**before, **versions.continued(before)}
    if after != before and not finished(folder):
        write_atomic(folder / INPUTS, json.dumps(after, indent=1) + "\n")


def finished(folder: Path) -> bool:
    """Whether `folder` holds a complete calibration: its result files are written, so no
    trial is left to run (the caller checked its inputs with `resuming`)."""
    return all((folder / name).is_file() for name in (REPORT, FOLDS, PARAMETERS))


def can_continue(folder: Path) -> bool:
    """Whether a stopped calibration left `folder` with its record, so the same command
    continues from its finished trials."""
    return (folder / INPUTS).is_file()


def stopped_writing(folder: Path, exc: OSError) -> Exception:
    """The error of a calibration whose folder cannot be written: on a full disk an
    interruption the same command completes once space is freed; else (read-only, no
    permission, a folder where its journal goes) an InputError, as the same command would
    fail again; a folder removed meanwhile keeps nothing."""
    if not can_continue(folder):
        return folder_removed(folder, "calibration")
    if disk_full(exc):
        return Interrupted(f"stopped writing {folder} ({unwritable(exc)}); the finished trials "
                           "are kept there. Complete the calibration with the same command")
    return InputError(str(folder), "--dir", f"cannot write the calibration's files "
                      f"({unwritable(exc)}); the finished trials are kept there: copy the folder "
                      "somewhere you can write to and complete the copy with the same command "
                      "and --dir COPY")


def mend_journal(path: Path) -> None:
    """Drop a last record cut off mid-line (the process killed while writing it): its trial
    runs again, as an interrupted one does. A damaged record before it is an InputError. Also
    remove the lock optuna's journal takes while writing (`trials.journal.lock`), which a
    killed process leaves behind and on which the next run would wait for ever: the caller
    holds the folder's own lock, so no other calibration is writing."""
    path.with_name(path.name + ".lock").unlink(missing_ok=True)
    if not path.exists():
        return
    lines = path.read_bytes().splitlines(keepends=True)
    for number, line in enumerate(lines, 1):
        try:
            json.loads(line)
            complete = line.endswith(b"\n")
        except ValueError:
            complete = False
        if complete:
            continue
        if number < len(lines):
            raise InputError(str(path), f"line {number}", "not a trial record (the file was "
                             "changed by hand?); allowed: the journal as mc11 writes it; choose "
                             "a new --dir")
        with path.open("r+b") as handle:
            handle.truncate(sum(map(len, lines[:-1])))


def _journal(path: Path) -> object:
    """optuna's storage of the trials in the journal at `path`, replayed as it opens: a line
    that is JSON but no record of optuna's (a list, an unknown operation, a missing field) is
    an InputError, where optuna raised a TypeError, KeyError or AssertionError."""
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    try:
        return JournalStorage(JournalFileBackend(str(path)))
    except (TypeError, KeyError, ValueError, AssertionError):
        raise InputError(str(path), "(file)", "its lines are JSON but not trial records that "
                         "optuna can replay (the file was changed by hand?); allowed: the "
                         "journal as mc11 writes it; choose a new --dir") from None


def exclusive(folder: Path) -> AbstractContextManager[None]:
    """Hold the calibration folder's lock file: a second run on the same folder (another
    terminal) is refused instead of writing into the same trials."""
    return holding(folder / LOCK, "--dir", "another calibration is running in this folder; "
                   "wait for it to finish (run the command again then to see its report) or "
                   "choose a new --dir", "choose a new --dir")


Progress = Callable[[str, int, int, float], None]  # (search, trials done, of, best MAE so far)


class _Search:
    """One optuna study: minimise the pooled MAE over some negotiations."""

    def __init__(self, storage: object, name: str, number: int, free: tuple[Free, ...],
                 seed: int, defaults: dict[str, object]) -> None:
        import optuna

        self.optuna = optuna
        self.study = optuna.create_study(study_name=name, storage=storage,
                                         load_if_exists=True, direction="minimize")
        self.name, self.number, self.free, self.seed = name, number, free, seed
        self.defaults = defaults
        for trial in self.study.get_trials(deepcopy=False,
                                           states=(optuna.trial.TrialState.RUNNING,)):
            self.study.tell(trial.number, state=optuna.trial.TrialState.FAIL)  # interrupted

    def distributions(self) -> dict[str, object]:
        d = self.optuna.distributions
        return {f.name: (d.CategoricalDistribution(f.choices) if f.choices else
                         d.IntDistribution(int(f.low), int(f.high)) if f.whole else
                         d.FloatDistribution(f.low, f.high)) for f in self.free}

    def complete(self) -> list:
        return self.study.get_trials(deepcopy=False,
                                     states=(self.optuna.trial.TrialState.COMPLETE,))

    def run(self, trials: int, objective: Callable[[dict[str, object]], float],
            progress: Progress | None) -> dict[str, object]:
        done = len(self.complete())
        while done < trials:
            if done == 0:  # the defaults first, stored once evaluated (see the module notes)
                self.study.add_trial(self.optuna.trial.create_trial(
                    params=self.defaults, distributions=self.distributions(),
                    value=objective(dict(self.defaults))))
            else:
                seed = np.random.SeedSequence([self.seed, self.number, done])
                self.study.sampler = self.optuna.samplers.TPESampler(
                    seed=int(seed.generate_state(1)[0]), n_startup_trials=min(10, trials))
                trial = self.study.ask(self.distributions())
                self.study.tell(trial, objective(dict(trial.params)))
            done += 1
            if progress is not None:
                progress(self.name, done, trials, float(self.study.best_value))
        best = min(self.complete(), key=lambda t: (t.value, t.number))
        return dict(best.params)


def calibrate(dataset: Sequence[ActorIssueData], protocol: str, folder: Path | str,
              inputs: dict[str, object], folds: int = 5, trials: int = 30, seed: int = 0,
              exchange_rule: str | None = None, workers: int = 1,
              progress: Progress | None = None) -> Calibration:
    """Calibrate under grouped K-fold cross-validation (see the module notes); trials are kept
    in `folder` (new, or one holding a calibration of the same `inputs`, which resumes)."""
    import optuna

    if trials < 1:
        raise InputError("--trials", "trials", f"{trials}; allowed: a whole number of at "
                         "least 1")
    held_out = calibration_folds(dataset, folds, seed)
    free = free_parameters(protocol, exchange_rule)
    defaults = defaults_of(free, protocol, exchange_rule)
    folder = Path(folder)
    prepare_folder(folder, inputs)
    everything = list(range(len(dataset)))
    predictions = [baselines(data) for data in dataset]
    base_errors = [_baseline_errors(*pair) for pair in zip(dataset, predictions, strict=True)]
    share_errors = [_share_errors(*pair) for pair in zip(dataset, predictions, strict=True)]
    verbosity = optuna.logging.get_verbosity()  # the caller's, given back however it ends
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with exclusive(folder), NegotiationPool(dataset, workers) as pool:
            mend_journal(folder / JOURNAL)
            _record_continuation(folder)
            storage = _journal(folder / JOURNAL)

            def errors(indices: Sequence[int], settings: OwnDataSettings) -> list[np.ndarray]:
                return pool.map(_absolute_errors, indices, settings, seed)

            default = dict(zip(everything, errors(everything, settings_from({}, protocol,
                                                                            exchange_rule)),
                               strict=True))
            rows, fitted, out_of_fold = [], [], []
            fitted_baseline: dict[int, np.ndarray] = {}  # each issue's, fitted without it
            for f, test in enumerate(held_out):
                train = [i for i in everything if i not in set(test)]
                search = _Search(storage, f"fold {f + 1} of {folds}", f, free, seed, defaults)
                best = search.run(
                    trials, lambda values, train=train: _mae(errors(
                        train, settings_from(values, protocol, exchange_rule))), progress)
                test_errors = errors(test, settings_from(best, protocol, exchange_rule))
                out_of_fold.extend(test_errors)
                row: dict[str, object] = {
                    "fold": f + 1, "negotiations": len(test),
                    "issues": int(sum(len(e) for e in test_errors)),
                    "model_calibrated": _mae(test_errors),
                    "model_default": _mae([default[i] for i in test]),
                }
                for name in BASELINES:
                    row[name] = _mae([base_errors[i][name] for i in test])
                share = fitted_share([share_errors[i] for i in train])
                fitted_baseline.update({i: share_errors[i][share] for i in test})
                row[FITTED_BASELINE] = _mae([share_errors[i][share] for i in test])
                fitted.append(best)
                rows.append(row | {f"fitted {k}": v for k, v in best.items()}
                            | {"fitted status quo share": float(SHARES[share])})
            search = _Search(storage, "all negotiations", folds, free, seed, defaults)
            best_all = search.run(trials, lambda values: _mae(errors(
                everything, settings_from(values, protocol, exchange_rule))), progress)
            in_sample = float(search.study.best_value)
    except OSError as exc:  # optuna's journal on a full disk
        raise stopped_writing(folder, exc) from None
    finally:
        optuna.logging.set_verbosity(verbosity)
    folds_table = pd.DataFrame(rows)
    return Calibration(
        folds=folds_table, stability=_stability(free, fitted, best_all),
        methods=_methods(folds_table, out_of_fold, base_errors, fitted_baseline, default,
                         held_out),
        settings=settings_from(best_all, protocol, exchange_rule), in_sample=in_sample,
        default_in_sample=_mae(list(default.values())), free=free,
    )


def _methods(folds: pd.DataFrame, out_of_fold: list[np.ndarray],
             base_errors: list[dict[str, np.ndarray]], fitted_baseline: dict[int, np.ndarray],
             default: dict[int, np.ndarray], held_out: list[list[int]]) -> pd.DataFrame:
    """Per method: MAE over every issue (each predicted by the fold that held it out), the
    mean and standard deviation of the folds' MAEs, and its `paired_gap` to the calibrated
    model out of fold."""
    order = [i for test in held_out for i in test]
    errors = {"model_calibrated": out_of_fold, "model_default": [default[i] for i in order]}
    for name in BASELINES:
        errors[name] = [base_errors[i][name] for i in order]
    errors[FITTED_BASELINE] = [fitted_baseline[i] for i in order]
    rows = []
    for method in errors:
        gap, gap_se = (paired_gap(errors[method], out_of_fold) if method != "model_calibrated"
                       else (float("nan"), float("nan")))
        rows.append({"method": method,
                     "issues": int(sum(np.isfinite(e).sum() for e in errors[method])),
                     "out_of_fold_mae": _mae(errors[method]),
                     "fold_mean": float(folds[method].mean()),
                     "fold_sd": float(folds[method].std(ddof=1)),
                     "gap": gap, "gap_se": gap_se})
    return pd.DataFrame(rows)


def _stability(free: tuple[Free, ...], fitted: list[dict[str, object]],
               best_all: dict[str, object]) -> pd.DataFrame:
    rows = []
    for parameter in free:
        values = [values[parameter.name] for values in fitted]
        row: dict[str, object] = {"parameter": parameter.name,
                                  "all negotiations": best_all[parameter.name]}
        if parameter.choices:
            counts = {c: values.count(c) for c in parameter.choices if values.count(c)}
            row["across folds"] = ", ".join(f"{c} in {n}" for c, n in counts.items())
        else:
            numbers = np.array(values, dtype=float)
            row["across folds"] = (f"mean {numbers.mean():.3g}, sd {numbers.std(ddof=1):.2g}, "
                                   f"{numbers.min():.3g} to {numbers.max():.3g}")
        row["default"] = (DEFAULTS.rounds if parameter.name == "rounds" else
                          getattr(DEFAULTS.parameters.bargaining, parameter.name))
        rows.append(row)
    return pd.DataFrame(rows)


def parameter_file_text(calibration: Calibration, header: str) -> str:
    """The parameter file: rounds, the protocol, its fitted settings and its exchange rule."""
    names = [f.name for f in calibration.free if f.name != "rounds"]
    if calibration.settings.protocol == "exchange" and "exchange_rule" not in names:
        names.append("exchange_rule")
    return own_parameters_yaml(calibration.settings, names, header)

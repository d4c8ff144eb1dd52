"""Run the negotiation engine on a researcher's own actor x issue data, and score it.

`negotiation_from_data` turns `ActorIssueData` into a `Negotiation` with these choices:

* Calendar: `rounds` equal periods (attention 1, pressure 1: every actor bargains every round at
  full pressure); the last is the decision meeting (kind "ministerial"), where the consensus rule
  and the plurilateral path decide each issue.
* No coalitions: the data name none, so actors bargain on their own (g = 0).
* Status quo: the file's where given; otherwise the lower end of the issue's scale (0), i.e. the
  scale is read as "from no rule (low) to the most ambitious rule (high)". Consensus and
  plurilateral verdicts are only reported for issues with a given status quo.
* Missing actor-issue pairs: the actor takes no part in the issue (salience 0: no weight in any
  mean, no exchange on it, as decide-exchange-model treats an actor without a row); it is shown
  at the capability x salience weighted mean of the others. Given saliences are floored at
  `SALIENCE_MIN` (0.01, the model's own floor).
* No Doha linkage and no new-discipline flags.
* Datasets of several negotiations (`read_dataset`): each runs on its own actors and issues
  (exchanges only within it), with its own seed derived from the master seed and its name, so
  its results do not depend on the other negotiations, their order or the number of workers.
* Uncertainty: none for a single run; with several runs positions are drawn with a standard
  deviation of `POSITION_SD` (on 0-100) and saliences with `SALIENCE_SD`, as small default
  measurement errors of expert-coded data.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import threading
import time
import warnings
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from pydantic import ValidationError

from simulation.engine import exchange, protocols
from simulation.engine.challenge import weighted_median
from simulation.engine.model import NegotiationModel, RunResult
from simulation.engine.negotiation import Negotiation, Period
from simulation.engine.parameters import BargainingParameters, Parameters
from simulation.engine.rules import SALIENCE_MIN
from simulation.errors import InputError, Interrupted
from simulation.inputs import DEFAULT_ROUNDS, MAX_ROUNDS
from simulation.inputs.files import validation_problem
from simulation.inputs.importers import ActorIssueData
from simulation.inputs.own_parameters import OwnDataSettings
from simulation.outcomes import NO_AGREEMENT, OUTCOME_LABELS, SHARE_COLUMNS
from simulation.runs.ensemble import check_count, check_seed, replication_seed, run_replications
from simulation.runs.results import Estimate, estimate
from simulation.runs.workers import end_quietly_when_stopped, end_workers, result_of

Progress = Callable[[int], None]  # told how many more runs have finished
PROGRESS_RUNS = 500  # a long run of one negotiation reports after each slice of this many runs
POSITION_SD = 5.0
SALIENCE_SD = 0.05
DEFAULTS = OwnDataSettings()


def check_exchange_rule(protocol: str, exchange_rule: str | None) -> None:
    """Refuse an exchange rule with another protocol: ignored, it would seem to have been used."""
    if protocol != "exchange" and exchange_rule is not None:
        raise InputError("--exchange-rule", "protocol", "only the exchange protocol has an "
                         "exchange rule; add --protocol exchange or drop --exchange-rule")


def settings_for(protocol: str = protocols.DEFAULT, rounds: int = DEFAULT_ROUNDS,
                 exchange_rule: str | None = None,
                 base: OwnDataSettings = DEFAULTS) -> OwnDataSettings:
    """`base` with the protocol, rounds and (if given) exchange rule a command line names."""
    check_settings(base, "settings_for", "base")
    if not isinstance(rounds, int | np.integer) or isinstance(rounds, bool) or \
            not 1 <= rounds <= MAX_ROUNDS:  # model_copy below does not validate it
        raise InputError("--rounds", "rounds", f"{rounds!r}; allowed: a whole number from 1 to "
                         f"{MAX_ROUNDS}")
    if protocol not in protocols.NAMES:
        raise InputError("--protocol", "protocol",
                         f"{protocol!r}; allowed: {', '.join(protocols.NAMES)}")
    check_exchange_rule(protocol, exchange_rule)
    changes: dict[str, object] = {"protocol": protocol}
    if exchange_rule is not None:
        changes["exchange_rule"] = exchange_rule
    try:
        settings = base.with_bargaining(**changes)
    except ValidationError as exc:  # an exchange rule the protocol registry does not know
        field, problem = validation_problem(exc, BargainingParameters)
        raise InputError(field, field, problem) from None
    return settings.model_copy(update={"rounds": int(rounds)})


def check_data(data: object, function: str) -> None:
    """A TypeError saying how to read data, unless `data` is one negotiation's data."""
    if not isinstance(data, ActorIssueData):
        shown = (f"a {type(data).__name__} of {len(data)}" if isinstance(data, list | tuple)
                 else f"{type(data).__name__} {data!r:.60}")
        raise TypeError(f"{function} takes one negotiation's ActorIssueData, not {shown}: "
                        "read a file with simulation.inputs"
                        ".importers.read_actor_issue_data(path) (a file or folder of several "
                        "negotiations with read_dataset(path), for backtest_issues or "
                        "forecast_dataset)")


def check_dataset(dataset: object, function: str) -> None:
    """A TypeError unless `dataset` is a sequence of negotiations' data (read_dataset's)."""
    if isinstance(dataset, ActorIssueData):
        raise TypeError(f"{function} takes a dataset, a sequence of ActorIssueData (read_dataset"
                        f"'s), not one negotiation's: give [data], or use "
                        f"{function.removesuffix('_issues').removesuffix('_dataset')}(data)")
    if isinstance(dataset, str | bytes) or not isinstance(dataset, Sequence):
        raise TypeError(f"{function} takes a dataset, a sequence of ActorIssueData, not "
                        f"{type(dataset).__name__} {dataset!r:.60}: read one with "
                        "simulation.inputs.importers.read_dataset(path)")
    for data in dataset:
        check_data(data, f"{function}'s dataset")


def check_settings(settings: object, function: str, name: str = "settings") -> None:
    """A TypeError saying how to make settings, unless `settings` are OwnDataSettings."""
    if not isinstance(settings, OwnDataSettings):
        raise TypeError(f"{function} takes OwnDataSettings as {name}, not "
                        f"{type(settings).__name__} {settings!r:.60}: make them with "
                        "simulation.runs.forecast.settings_for(protocol, rounds, exchange_rule), "
                        "or read a parameter file with "
                        "simulation.inputs.own_parameters.read_own_parameters(path)")


def _calendar(rounds: int) -> tuple[Period, ...]:
    if not 1 <= rounds <= MAX_ROUNDS:
        raise InputError("--rounds", "rounds", f"{rounds}; allowed: a whole number from 1 to "
                         f"{MAX_ROUNDS}")
    return tuple(
        Period(month=f"{2000 + r // 12:04d}-{r % 12 + 1:02d}", label=f"round {r + 1}",
               kind="ministerial" if r == rounds - 1 else "forum", attention=1.0, pressure=1.0,
               source="synthetic calendar of equal rounds")
        for r in range(rounds)
    )


def negotiation_from_data(data: ActorIssueData, rounds: int = DEFAULT_ROUNDS,
                          runs: int = 1) -> Negotiation:
    """The data as a `Negotiation` on a synthetic calendar (see the module notes)."""
    n, k = data.positions.shape
    missing = ~np.isfinite(data.positions)
    saliences = np.where(missing, 0.0, np.maximum(data.saliences, SALIENCE_MIN))
    weights = data.capability[:, None] * saliences
    mean = (weights * np.nan_to_num(data.positions)).sum(axis=0) / weights.sum(axis=0)
    positions = np.where(missing, mean[None, :], data.positions)
    status_quo = np.zeros(k) if data.status_quo is None else np.nan_to_num(data.status_quo)
    spread = runs > 1
    return Negotiation(
        members=data.actors, issues=data.issues, positions=positions, saliences=saliences,
        position_sd=np.full((n, k), POSITION_SD if spread else 0.0),
        salience_sd=np.full((n, k), SALIENCE_SD if spread else 0.0),
        capability=data.capability, status_quo=status_quo,
        new_discipline=np.zeros(k, dtype=bool), doha_linked=np.zeros(n, dtype=bool),
        coalitions=(), founders=np.zeros((n, 0), dtype=bool), bloc=np.zeros(0, dtype=bool),
        calendar=_calendar(rounds),
    )


def _parameters(settings: OwnDataSettings, runs: int) -> Parameters:
    return Parameters(bargaining=settings.parameters.bargaining,
                      consensus=settings.parameters.consensus, sample_uncertainty=runs > 1)


def negotiation_seed(seed: int, negotiation: str) -> int:
    """The master seed of one negotiation of a dataset: `seed` itself for a file of one
    negotiation, else derived from `seed` and the negotiation's name (not its place)."""
    if not negotiation:
        return seed
    state = np.random.SeedSequence([seed, zlib.crc32(negotiation.encode("utf-8"))])
    return int(state.generate_state(1, np.uint64)[0] >> np.uint64(1))


@dataclass(frozen=True)
class RunForecasts:
    """Per run and issue, on the 0-100 scale, what `forecast` reports of a run: the weighted
    mean and median positions after the last round, and the final meeting's verdict and text.
    Kept instead of whole `RunResult`s, so that many runs fit in memory (k values each)."""

    mean: np.ndarray
    median: np.ndarray
    outcome: np.ndarray
    text: np.ndarray

    @classmethod
    def of(cls, results: RunResult) -> RunForecasts:
        return cls(results.mean_position[:, -1].copy(), results.median_position,
                   results.outcome, results.text)

    @classmethod
    def concatenate(cls, parts: Sequence[RunForecasts]) -> RunForecasts:
        if len(parts) == 1:
            return parts[0]
        return cls(*(np.concatenate([getattr(part, f.name) for part in parts])
                     for f in fields(cls)))


def simulate(data: ActorIssueData, settings: OwnDataSettings = DEFAULTS, runs: int = 1,
             seed: int = 0, progress: Progress | None = None) -> RunForecasts:
    """`runs` replications of the data's negotiation, in slices of PROGRESS_RUNS (each reported
    to `progress`, and kept only as its `RunForecasts`); run i is seeded
    replication_seed(negotiation_seed(seed, negotiation), i) and its results do not depend on
    its slice."""
    check_data(data, "simulate")
    check_settings(settings, "simulate")
    check_count(runs, "runs")
    check_seed(seed)
    negotiation = negotiation_from_data(data, settings.rounds, runs)
    parameters = _parameters(settings, runs)
    master = negotiation_seed(seed, data.negotiation)
    slices = []
    for start in range(0, runs, PROGRESS_RUNS):
        stop = min(start + PROGRESS_RUNS, runs)
        seeds = [replication_seed(master, i) for i in range(start, stop)]
        slices.append(RunForecasts.of(run_replications(negotiation, parameters, seeds)))
        if progress is not None:
            progress(stop - start)
    return RunForecasts.concatenate(slices)


def estimate_dataset(dataset: Sequence[ActorIssueData], settings: OwnDataSettings,
                     runs: int, workers: int) -> Estimate:
    """The estimate before `forecast_dataset` or `backtest_issues`: each negotiation's runs at
    the protocol's measured speed for its size, the negotiations shared among `workers` (one
    negotiation runs on one); the size is what its runs' arrays would take."""
    costs = [estimate(negotiation_from_data(data, settings.rounds, runs),
                      settings.parameters.bargaining, runs, 1) for data in dataset]
    shared = min(workers, len(dataset))
    return Estimate(sum(c.seconds for c in costs) / shared, sum(c.size for c in costs),
                    costs[0].basis if len(costs) == 1 else
                    f"{costs[0].basis}; each negotiation at its own size")


def predicted_outcomes(data: ActorIssueData, settings: OwnDataSettings = DEFAULTS,
                       runs: int = 1, seed: int = 0,
                       progress: Progress | None = None) -> np.ndarray:
    """The model's prediction per issue on the user's scale: the protocol's forecast (the
    capability x salience weighted mean or median position after the last round), averaged
    over the runs."""
    return _mean_forecast(data, simulate(data, settings, runs, seed, progress), settings)


def _mean_forecast(data: ActorIssueData, results: RunForecasts,
                   settings: OwnDataSettings) -> np.ndarray:
    """Per issue, the protocol's forecast averaged over the runs, on the user's scale."""
    return data.to_user_scale(_forecast(results, settings).mean(axis=0))


def _forecast(results: RunForecasts, settings: OwnDataSettings) -> np.ndarray:
    """Per run and issue, the protocol's forecast on the 0-100 scale (protocols.REGISTRY)."""
    if protocols.PROTOCOLS[settings.protocol].forecast == "median":
        return results.median
    return results.mean


_DATASET: list[Sequence[ActorIssueData]] = []  # the dataset a forked worker inherited


def _run_tasks(tasks: list[tuple[Callable[..., object], int, tuple]]) -> list[object]:
    """In a worker: each task's function on its negotiation of the inherited dataset."""
    return [function(_DATASET[0][index], *args) for function, index, args in tasks]


def _end_with_parent(parent: int) -> None:
    """In a worker: end when the parent is gone (killed with SIGKILL, e.g. by the OOM killer,
    it cannot stop its workers, which would otherwise wait for tasks forever), and quietly at
    the stop signal of a pool that breaks."""
    end_quietly_when_stopped()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


class NegotiationPool:
    """Worker processes forked once with a dataset: map functions over its negotiations, many
    times (a calibration's trials), without sending the data again."""

    def __init__(self, dataset: Sequence[ActorIssueData], workers: int = 1) -> None:
        self.dataset = dataset
        self.workers = min(workers, len(dataset))
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> NegotiationPool:
        if self.workers > 1:
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            _DATASET[:] = [self.dataset]
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*fork.*",
                                        category=DeprecationWarning)
                self.pool = ProcessPoolExecutor(max_workers=self.workers,
                                                mp_context=multiprocessing.get_context(method),
                                                initializer=_end_with_parent,
                                                initargs=(os.getpid(),))
                self.pool.submit(int).result()  # fork the workers now, with the dataset
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            if exc[0] is not None:  # stopped: the tasks in progress would be dropped anyway
                end_workers(self.pool)
            self.pool.shutdown(cancel_futures=True)
            self.pool = None
        _DATASET.clear()

    def map(self, function: Callable[..., object], indices: Sequence[int],
            *args: object, done: Callable[[], None] | None = None) -> list:
        """[function(dataset[i], *args) for i in indices], in that order; `done()` after
        each."""
        if self.pool is None:
            results = (function(self.dataset[i], *args) for i in indices)
        else:
            results = self._on_workers(function, indices, args)
        out = []
        for result in results:
            out.append(result)
            if done is not None:
                done()
        return out

    def _on_workers(self, function: Callable[..., object], indices: Sequence[int],
                    args: tuple) -> Iterator[object]:
        """The map's results in order, from batches of tasks (four per worker); a worker that
        died stops it with Interrupted."""
        tasks = [(function, i, args) for i in indices]
        size = max(1, len(tasks) // (4 * self.workers))
        batches = [self.pool.submit(_run_tasks, tasks[k:k + size])  # workers forked already
                   for k in range(0, len(tasks), size)]
        try:
            for batch in batches:
                yield from result_of(batch, self.pool)
        except BrokenProcessPool:
            raise Interrupted("a worker process died; run the command again (a calibration "
                              "goes on from its finished trials)") from None


def map_negotiations(function: Callable[..., object], dataset: Sequence[ActorIssueData],
                     *args: object, workers: int = 1, runs: int = 1,
                     progress: Progress | None = None) -> list:
    """[function(data, *args) for data in dataset], on `workers` processes (forked: the
    dataset and the compiled rules are inherited); the same list whatever `workers` is.
    `progress` is told of `runs` more runs as each negotiation finishes; a dataset of one
    negotiation passes it on to `function` (as `progress=`), which reports as it goes."""
    if progress is not None and len(dataset) == 1:
        return [function(dataset[0], *args, progress=progress)]
    if workers > 1 and len(dataset) > 1:
        function(dataset[0], *args)  # compile (or load) the rules here, once, before forking
    with NegotiationPool(dataset, workers) as pool:
        return pool.map(function, range(len(dataset)), *args,
                        done=None if progress is None else lambda: progress(runs))


def traced_run(data: ActorIssueData, settings: OwnDataSettings = DEFAULTS,
               seed: int = 0) -> NegotiationModel:
    """The single run `forecast(..., runs=1, seed=seed)` reports, with its trace kept."""
    model = NegotiationModel(negotiation_from_data(data, settings.rounds),
                             _parameters(settings, 1),
                             rng=replication_seed(negotiation_seed(seed, data.negotiation), 0),
                             trace=True)
    model.run()
    return model


def trace_events(data: ActorIssueData, settings: OwnDataSettings = DEFAULTS,
                 seed: int = 0) -> list[tuple]:
    """What happened each round in the single run `forecast(..., runs=1, seed=seed)` reports:
    (round, event, actor, detail); moves of `model.NOTABLE_MOVE` (10) points or more, on the
    0-100 scale. A round is named by its label ('round 3'), not by the synthetic calendar's
    month."""
    model = traced_run(data, settings, seed)
    label = {period.title: period.label for period in model.negotiation.calendar}
    return [(label[event[0]], *event[1:]) for event in model.events]


def reference_exchange_rows(data: ActorIssueData, settings: OwnDataSettings = DEFAULTS,
                            seed: int = 0) -> list[list[tuple]]:
    """Per round of the single run `forecast(data, settings, seed=seed)` reports (exchange
    protocol), its realised exchanges in decide-exchange-model's columns
    (`exchange.REFERENCE_COLUMNS`, positions on the 0-100 scale of each issue)."""
    model = traced_run(data, settings.with_bargaining(protocol="exchange"), seed)
    return [exchange.reference_rows(realised, positions, data.actors, data.issues)
            for positions, realised in model.exchanges]


def forecast(data: ActorIssueData, settings: OwnDataSettings = DEFAULTS, runs: int = 1,
             seed: int = 0, progress: Progress | None = None) -> pd.DataFrame:
    """Per issue, on the user's scale: the protocol's forecast, the weighted mean (`compromise`)
    and median positions after the rounds, and, where the data give a status quo, the verdict
    of the final meeting (shares of runs when runs > 1)."""
    check_data(data, "forecast")
    check_settings(settings, "forecast")
    results = simulate(data, settings, runs, seed, progress)
    predicted = data.to_user_scale(_forecast(results, settings))
    compromise = data.to_user_scale(results.mean)
    median = data.to_user_scale(results.median)
    outcome = results.outcome
    text = data.to_user_scale(results.text)
    has_sq = (np.zeros(len(data.issues), dtype=bool) if data.status_quo is None
              else np.isfinite(data.status_quo))
    status_quo = (np.full(len(data.issues), np.nan) if data.status_quo is None
                  else data.as_given("status_quo"))
    rows = []  # missing values (no status quo: no verdict) are NaN, shown alike in every format
    for j, issue in enumerate(data.issues):
        row: dict[str, object] = {"issue": issue, "scale_low": data.lower[j],
                                  "scale_high": data.upper[j]}
        if data.negotiation:
            row = {"negotiation": data.negotiation, **row}
        for name, values in (("forecast", predicted), ("compromise", compromise),
                             ("weighted_median", median)):
            row[name] = round(float(values[:, j].mean()), 3)
            if runs > 1:
                row[f"{name}_p10"] = round(float(np.percentile(values[:, j], 10)), 3)
                row[f"{name}_p90"] = round(float(np.percentile(values[:, j], 90)), 3)
        row["status_quo"] = float(status_quo[j]) if has_sq[j] else np.nan
        if runs == 1:
            code = int(outcome[0, j])
            row["verdict"] = OUTCOME_LABELS[code] if has_sq[j] else np.nan
            row["text"] = (round(float(text[0, j]), 3)
                           if has_sq[j] and np.isfinite(text[0, j]) else np.nan)
        else:
            for code, label in OUTCOME_LABELS.items():
                share = (outcome[:, j] == code).mean()
                row[SHARE_COLUMNS[label]] = round(float(share), 3) if has_sq[j] else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def forecast_dataset(dataset: Sequence[ActorIssueData], settings: OwnDataSettings = DEFAULTS,
                     runs: int = 1, seed: int = 0, workers: int = 1,
                     progress: Progress | None = None) -> pd.DataFrame:
    """`forecast` of every negotiation, one after the other in the dataset's order; `progress`
    is told of the runs as they finish."""
    check_dataset(dataset, "forecast_dataset")
    check_settings(settings, "forecast_dataset")
    check_count(workers, "workers")
    tables = map_negotiations(forecast, dataset, settings, runs, seed, workers=workers,
                              runs=runs, progress=progress)
    return pd.concat(tables, ignore_index=True)


# The baselines: simple predictions per issue, named in words for the reports.
BASELINES = {
    "status_quo": "no change: the status quo",
    "mean": "mean of the positions",
    "median": "median of the positions",
    "capability_mean": "capability-weighted mean (salience ignored)",
    "salience_mean": "salience-weighted mean (equal capability)",
    "capability_salience_mean": "capability x salience weighted mean of the starting positions",
    "capability_salience_median": "capability x salience weighted median of the starting "
                                  "positions",
}
MODEL = "model"
# The verdict score: the event "the observed outcome differs from the status quo" (DEU III's
# reference point), more than CHANGE_TOLERANCE apart on the 0-100 scale (half a point: DEU III
# codes whole points, its smallest recorded change is 10), and the probabilities scored, clipped
# to [PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR] for the log score (a sure miss costs ln 100).
CHANGE_TOLERANCE = 0.5
PROBABILITY_FLOOR = 0.01
BASE_RATE = "base_rate"
CHANGE_METHODS = {
    MODEL: "the model (share of runs agreeing on a text that moves the issue)",
    BASE_RATE: "base rate (share of changes elsewhere in the data, out of sample)",
}


def method_name(method: str) -> str:
    """A prediction method's key (model or baseline) in words."""
    return BASELINES.get(method, f"the model ({method})" if method != MODEL else "the model")


def baselines(data: ActorIssueData) -> dict[str, np.ndarray]:
    """Simple predictions per issue on the user's scale, from the actors who took a position;
    computed on the 0-100 scale, as the model is, then rescaled (means and medians commute with
    the rescaling, and sums of values near the float limits cannot overflow there)."""
    positions = data.positions
    known = np.isfinite(positions)
    k = len(data.issues)

    def weighted(weights: np.ndarray) -> np.ndarray:
        weights = np.where(known, weights, 0.0)
        total = weights.sum(axis=0)
        values = (weights * np.nan_to_num(positions)).sum(axis=0)
        return np.where(total > 0, values / np.where(total > 0, total, 1.0), np.nan)

    capability = np.broadcast_to(data.capability[:, None], positions.shape)
    saliences = np.nan_to_num(data.saliences)
    scaled = {
        "status_quo": np.full(k, np.nan) if data.status_quo is None else data.status_quo,
        "mean": np.nanmean(positions, axis=0),
        "median": np.nanmedian(positions, axis=0),
        "capability_mean": weighted(capability),
        "salience_mean": weighted(saliences),
        "capability_salience_mean": weighted(capability * saliences),
        "capability_salience_median": _weighted_medians(positions, capability * saliences,
                                                        capability),
    }
    return {name: data.to_user_scale(values) for name, values in scaled.items()}


def _weighted_medians(positions: np.ndarray, weights: np.ndarray,
                      capability: np.ndarray) -> np.ndarray:
    """Per issue, the weighted median of the positions taken (capability alone where no one
    taking one cares), as the chair's text weighs them; NaN where no one takes one."""
    known = np.isfinite(positions)
    weights = np.where(known, weights, 0.0)
    weights = np.where(weights.sum(axis=0) > 0, weights, np.where(known, capability, 0.0))
    return np.where(known.any(axis=0), weighted_median(np.nan_to_num(positions), weights),
                    np.nan)


def check_outcomes(data: ActorIssueData) -> None:
    """Refuse a negotiation without any observed outcome: nothing in it could be scored."""
    if data.outcome is None or not np.isfinite(data.outcome).any():
        if data.negotiation:
            mend = ("fill its 'outcome' column" if data.outcome is not None else "give it as a "
                    "long CSV with an 'outcome' column (a Decide file has none)")
            raise InputError(data.source, "outcome", f"negotiation {data.negotiation!r} has no "
                             "observed outcome; a backtest or calibration needs at least one per "
                             f"negotiation: {mend}, or leave the negotiation out")
        if data.outcome is not None:
            raise InputError(data.source, "outcome", "its 'outcome' column is blank on every "
                             "row; fill it with the observed outcome of at least one issue: a "
                             "backtest or calibration scores nothing else")
        raise InputError(data.source, "outcome", "a backtest or calibration needs observed "
                         "outcomes: add an 'outcome' column to the CSV (one value per issue)")


def scored_issues(data: ActorIssueData, predictions: dict[str, np.ndarray],
                  p_change: np.ndarray | None = None) -> pd.DataFrame:
    """Per issue with an observed outcome: each method's prediction and error (prediction -
    observed, user's scale), and with `p_change` (the model's probability of a change, per
    issue) whether the outcome `changed` from the status quo and that probability (NaN where the
    data give no status quo). The observed outcome and the status quo show as the data give
    them; the errors are of their values through the 0-100 scale, as the calibration's."""
    observed = data.to_user_scale(data.outcome)
    given = data.as_given("outcome")
    shown = {} if data.status_quo is None else {"status_quo": data.as_given("status_quo")}
    changed = observed_changes(data)
    scored = np.flatnonzero(np.isfinite(observed))
    rows = []
    for j in scored:
        row: dict[str, object] = {"issue": data.issues[j], "observed": float(given[j])}
        if data.negotiation:
            row = {"negotiation": data.negotiation, **row}
        for name, values in predictions.items():
            row[name] = float(shown.get(name, values)[j])
            row[f"{name}_error"] = float(values[j] - observed[j])
        if p_change is not None:
            row["changed"] = float(changed[j])
            row[f"{MODEL}_p_change"] = float(p_change[j]) if np.isfinite(changed[j]) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


MIXED_SCALES = 5.0
"""How many times wider one scored issue's scale may be than another's before `mixed_scales`
says that pooled errors weigh the issues by their scales."""


def mixed_scales(dataset: Sequence[ActorIssueData]) -> str | None:
    """A note where the issues with an observed outcome have scales (given, or the range of
    their positions) more than MIXED_SCALES times apart: errors are in each issue's own units,
    so mean absolute errors pooled over issues, their paired gaps and a calibration weigh an
    issue by its scale's width (an issue on 0-1 counts a hundredth of one on 0-100)."""
    widths = np.concatenate([(data.upper - data.lower)[np.isfinite(data.outcome)]
                             for data in dataset if data.outcome is not None] or [np.zeros(0)])
    if widths.size == 0 or widths.max() <= MIXED_SCALES * widths.min():
        return None
    return (f"the scored issues' scales differ in width from {widths.min():g} to "
            f"{widths.max():g} (as given, or the range of their positions and status quo): "
            "errors are in each issue's own units, so the pooled mean absolute errors, their "
            "paired gaps and a calibration weigh each issue by its scale's width; to weigh the "
            "issues alike, give them one scale (e.g. rescale each to 0-100 with scale_low 0 and "
            "scale_high 100)")


def observed_changes(data: ActorIssueData) -> np.ndarray:
    """Per issue: 1 where the observed outcome differs from the status quo by more than
    CHANGE_TOLERANCE (0-100 scale), 0 where it does not, NaN where the data lack either."""
    if data.status_quo is None or data.outcome is None:
        return np.full(len(data.issues), np.nan)
    with np.errstate(invalid="ignore"):
        moved = np.abs(data.outcome - data.status_quo) > CHANGE_TOLERANCE
    return np.where(np.isfinite(data.outcome) & np.isfinite(data.status_quo), moved * 1.0,
                    np.nan)


def change_probabilities(results: RunForecasts, status_quo: np.ndarray | None) -> np.ndarray:
    """Per issue, the share of runs whose final meeting agreed (multilaterally or
    plurilaterally) on a text more than CHANGE_TOLERANCE from the status quo (0-100 scale), the
    model's probability that the outcome changes; NaN where the data give no status quo."""
    if status_quo is None:
        return np.full(results.outcome.shape[1], np.nan)
    with np.errstate(invalid="ignore"):
        moved = (results.outcome != NO_AGREEMENT) & (np.abs(results.text - status_quo)
                                                     > CHANGE_TOLERANCE)
    return np.where(np.isfinite(status_quo), moved.mean(axis=0), np.nan)


def _backtest_issues(data: ActorIssueData, settings: OwnDataSettings, runs: int,
                     seed: int, progress: Progress | None = None) -> pd.DataFrame:
    results = simulate(data, settings, runs, seed, progress)
    predictions = {MODEL: _mean_forecast(data, results, settings)}
    predictions.update(baselines(data))
    return scored_issues(data, predictions, change_probabilities(results, data.status_quo))


def backtest_issues(dataset: Sequence[ActorIssueData], settings: OwnDataSettings = DEFAULTS,
                    runs: int = 1, seed: int = 0, workers: int = 1,
                    progress: Progress | None = None) -> pd.DataFrame:
    """Per scored issue of every negotiation: the model's and the baselines' predictions and
    errors; `progress` is told of the runs as they finish."""
    check_dataset(dataset, "backtest_issues")
    check_settings(settings, "backtest_issues")
    check_count(workers, "workers")
    for data in dataset:
        check_outcomes(data)
    tables = map_negotiations(_backtest_issues, dataset, settings, runs, seed, workers=workers,
                              runs=runs, progress=progress)
    return pd.concat(tables, ignore_index=True)


def methods(issues: pd.DataFrame) -> list[str]:
    """The prediction methods of a per-issue table, the model first."""
    return [c.removesuffix("_error") for c in issues.columns if c.endswith("_error")]


def mean_absolute_errors(issues: pd.DataFrame) -> dict[str, float]:
    """Each method's mean absolute error over the table's issues (NaN where it predicts none)."""
    out = {}
    for method in methods(issues):
        errors = issues[f"{method}_error"].abs()
        out[method] = float(errors.mean()) if errors.notna().any() else float("nan")
    return out


def issues_scored(issues: pd.DataFrame) -> dict[str, int]:
    """Each method's number of scored issues: fewer than the table's where it predicts none
    (the status quo where the data give none)."""
    return {method: int(issues[f"{method}_error"].notna().sum()) for method in methods(issues)}


def paired_gap(errors: Sequence[np.ndarray],
               reference: Sequence[np.ndarray]) -> tuple[float, float]:
    """A method's mean absolute error minus a reference's (the model's) over the issues both
    score, and its standard error. Each array holds one negotiation's absolute errors, aligned
    with the reference's; the error is clustered by negotiation (issues of one law share their
    actors), or by issue with one negotiation. Pairing removes what makes a case hard for every
    method, which the spread of per-fold errors does not. Positive: the reference is closer."""
    with np.errstate(over="ignore", invalid="ignore"):  # errors near the float limit: inf
        gaps = [np.abs(e) - np.abs(r) for e, r in zip(errors, reference, strict=True)]
        clusters = [g[np.isfinite(g)] for g in gaps if np.isfinite(g).any()]
        if len(clusters) == 1:
            clusters = [np.array([value]) for value in clusters[0]]
        count = sum(g.size for g in clusters)
        if count == 0:
            return float("nan"), float("nan")
        mean = float(sum(g.sum() for g in clusters) / count)
        if len(clusters) < 2:
            return mean, float("nan")
        residuals = np.array([(g - mean).sum() for g in clusters])
        spread = float(np.sum(residuals * residuals))
    return mean, math.sqrt(len(clusters) / (len(clusters) - 1) * spread) / count


def paired_gaps(issues: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Each baseline's `paired_gap` against the model in a per-issue backtest table."""
    groups = (list(issues.groupby("negotiation", sort=False)) if "negotiation" in issues.columns
              else [("", issues)])
    model = [part[f"{MODEL}_error"].to_numpy() for _, part in groups]
    return {method: paired_gap([part[f"{method}_error"].to_numpy() for _, part in groups], model)
            for method in methods(issues) if method != MODEL}


def brier_scores(probability: np.ndarray, event: np.ndarray) -> np.ndarray:
    """Per forecast, the Brier score (probability - event)**2 of a probability of an event
    (1 happened, 0 did not); 0 is a sure hit, 1 a sure miss."""
    return (np.asarray(probability, dtype=float) - np.asarray(event, dtype=float)) ** 2


def log_scores(probability: np.ndarray, event: np.ndarray) -> np.ndarray:
    """Per forecast, the log score -ln(probability given to what happened), the probability
    clipped to [PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR]; lower is better."""
    p = np.clip(np.asarray(probability, dtype=float), PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)
    return -np.log(np.where(np.asarray(event, dtype=float) > 0.5, p, 1 - p))


def out_of_group_rates(events: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Per item, the share of events (1 or 0) among the items of the other groups, so that
    no item's own group shapes its base rate; NaN where no other group has an item."""
    events = np.asarray(events, dtype=float)
    groups = np.asarray(groups)
    rates = np.full(events.size, np.nan)
    for group in np.unique(groups):
        others = groups != group
        if others.any():
            rates[~others] = events[others].mean()
    return rates


@dataclass(frozen=True)
class VerdictScores:
    """The verdict score over the issues where the outcome's change is known and every method
    gives a probability: each method's mean Brier and log scores, and each baseline's paired gap
    to the model's (gap, standard error; positive: the model scores better)."""

    issues: int
    changed: int
    by_negotiation: bool  # base rate left out and errors clustered by negotiation, else by issue
    brier: dict[str, float]
    log: dict[str, float]
    brier_gap: dict[str, tuple[float, float]]
    log_gap: dict[str, tuple[float, float]]


def _by_negotiation(issues: pd.DataFrame) -> bool:
    """Whether the issues where the change is known span several negotiations: then the base
    rate leaves out, and the standard errors cluster by, negotiation; else by issue."""
    if "negotiation" not in issues.columns or "changed" not in issues.columns:
        return False
    return issues.loc[issues["changed"].notna(), "negotiation"].nunique() > 1


def with_base_rates(issues: pd.DataFrame) -> pd.DataFrame:
    """The per-issue backtest table with a column `base_rate_p_change` where `changed` is
    known: the share of changes among the other negotiations' issues (the other issues' where
    they are of a single negotiation), estimated without the negotiation it predicts."""
    table = issues.copy()
    if "changed" not in table.columns:
        return table
    known = table["changed"].notna().to_numpy()
    table[f"{BASE_RATE}_p_change"] = np.nan
    if known.any():
        part = table[known]
        groups = part["negotiation"].to_numpy() if _by_negotiation(table) else \
            np.arange(len(part))
        table.loc[known, f"{BASE_RATE}_p_change"] = out_of_group_rates(
            part["changed"].to_numpy(), groups)
    return table


def verdict_scores(issues: pd.DataFrame) -> VerdictScores | None:
    """The model's and the out-of-sample base rate's `VerdictScores` over the issues of a
    per-issue backtest table where the outcome's change is known and both give a probability,
    with `paired_gap`'s standard error clustered as the base rate leaves out (by negotiation or
    by issue). None without such issues."""
    table = with_base_rates(issues)
    columns = [f"{method}_p_change" for method in CHANGE_METHODS]
    if not set(columns) <= set(table.columns):
        return None
    table = table.dropna(subset=["changed", *columns])
    if table.empty:
        return None
    by_negotiation = _by_negotiation(table)
    groups = [part for _, part in table.groupby("negotiation", sort=False)] \
        if by_negotiation else [table]  # one group: paired_gap clusters by issue
    losses = {(method, score): [score(part[f"{method}_p_change"].to_numpy(),
                                      part["changed"].to_numpy()) for part in groups]
              for method in CHANGE_METHODS for score in (brier_scores, log_scores)}

    def means(score: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> dict[str, float]:
        """Each method's mean score over the issues."""
        return {method: float(np.concatenate(losses[method, score]).mean())
                for method in CHANGE_METHODS}

    def gaps(score: Callable[[np.ndarray, np.ndarray], np.ndarray]
             ) -> dict[str, tuple[float, float]]:
        """Each baseline's paired gap to the model's score."""
        return {method: paired_gap(losses[method, score], losses[MODEL, score])
                for method in CHANGE_METHODS if method != MODEL}

    return VerdictScores(issues=len(table), changed=int(table["changed"].sum()),
                         by_negotiation=by_negotiation, brier=means(brier_scores),
                         log=means(log_scores), brier_gap=gaps(brier_scores),
                         log_gap=gaps(log_scores))


def backtest(data: ActorIssueData, settings: OwnDataSettings = DEFAULTS, runs: int = 1,
             seed: int = 0) -> pd.DataFrame:
    """Per issue with an observed outcome: the model's and the baselines' predictions and their
    errors (prediction - observed, user's scale), then a row of mean absolute errors."""
    check_data(data, "backtest")
    check_settings(settings, "backtest")
    return with_error_row(backtest_issues([data], settings, runs, seed))


def with_error_row(issues: pd.DataFrame) -> pd.DataFrame:
    """The per-issue table and a last row of mean absolute errors over all its issues."""
    summary: dict[str, object] = {"issue": "mean absolute error", "observed": np.nan}
    if "negotiation" in issues.columns:
        summary = {"negotiation": "all", **summary}
    for method, mae in mean_absolute_errors(issues).items():
        summary[method] = np.nan
        summary[f"{method}_error"] = mae
    return pd.concat([issues, pd.DataFrame([summary])], ignore_index=True)


def summary_by_negotiation(issues: pd.DataFrame) -> pd.DataFrame:
    """One row per negotiation and a last row for all of them pooled: issues scored and each
    method's mean absolute error."""
    rows = []
    groups = issues.groupby("negotiation", sort=False) if "negotiation" in issues.columns \
        else [("", issues)]
    for name, part in groups:
        rows.append({"negotiation": name, "issues": len(part), **mean_absolute_errors(part)})
    if len(rows) > 1 or not rows:
        rows.append({"negotiation": "all (pooled over issues)", "issues": len(issues),
                     **mean_absolute_errors(issues)})
    return pd.DataFrame(rows)

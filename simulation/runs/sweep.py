"""Run a design (a sweep or a sensitivity sample) point by point into a folder, resumably.

Each design point is one fixed parameter vector run for R replications as one model batch; the
constants the design does not set but the scenario has priors on are drawn per replication as in
an ensemble. A point returns only its per-issue statistics (`STATISTICS`: outcome shares, shares
reaching the scale's described points, text quantiles, plurilateral coverage), which are written
at once, atomically, to `points/point-<i>.json`: memory stays flat in the number of points (a
worker holds one point's R runs at once), and an interrupted design (Ctrl-C, a lost worker)
resumes from the points on disk. The folder's `design.json` fixes the design; resuming against
another design is refused.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.engine.derivation import derives
from simulation.engine.model import NegotiationModel
from simulation.engine.negotiation import Negotiation
from simulation.engine.parameters import Parameters
from simulation.errors import (
    InputError,
    Interrupted,
    disk_full,
    folder_removed,
    shell_word,
    stopped_by_user,
    unwritable,
    write_atomic,
)
from simulation.inputs import priors as prior_draws
from simulation.inputs.catalogue import REACHED, SCALE_POINTS
from simulation.inputs.priors import Prior
from simulation.inputs.scenario import Scenario
from simulation.outcomes import (
    AGREEMENTS,
    NO_AGREEMENT,
    OUTCOME_CODES,
    OUTCOME_LABELS,
    OUTCOMES,
    SHARE_COLUMNS,
)
from simulation.outputs import DESIGN
from simulation.runs import versions
from simulation.runs.aggregate import reaching
from simulation.runs.cluster import workers_of
from simulation.runs.design import Design
from simulation.runs.ensemble import compile_rules, deal_coverage, replication_seed
from simulation.runs.locks import holding
from simulation.runs.results import LOCK, SCENARIO, new_folder

POINTS = "points"
_ENDING = {"multilateral": "in a multilateral agreement",
           "plurilateral": "in a plurilateral deal (binding only the members that struck it)",
           "none": "without agreement"}
_POOLED = ("over the runs with an agreement of either kind, multilateral and plurilateral texts "
           "pooled (as summary.csv's); empty where no run agreed")
STATISTICS = {
    **{SHARE_COLUMNS[label]: f"the share of the point's runs ending {_ENDING[label]}"
       for label in OUTCOMES},
    **{f"p_text_{point}": f"the share of the point's runs (all of them, as summary.csv's) that "
       f"agreed, of either kind, a text reaching the scale's described `{point}` point "
       f"({SCALE_POINTS[point]:g})" for point in REACHED},
    "text_median": f"the median agreed text level {_POOLED}",
    "text_p10": f"the 10th percentile of the agreed text level {_POOLED}",
    "text_p90": f"the 90th percentile of the agreed text level {_POOLED}",
    **{f"text_median_{kind}": f"the median agreed text level over the runs with a {kind} "
       f"agreement only, the other kind's texts left out (text_levels.csv's `text_median` for "
       f"`{kind}`); empty where no run had one" for kind in AGREEMENTS},
    "coverage_median": "the median share of trade a plurilateral deal covers, over the runs "
                       "with one (summary.csv's); empty where no run had one",
    "text_in_force_median": "the median over all the point's runs of the text each leaves in "
                            "force: its agreed text, of either kind (a plurilateral one binds "
                            "only its members), or the issue's status quo where nothing was "
                            "agreed; equal to `text_median` where every run agreed, to the "
                            "status quo where more than half agreed nothing; the one text level "
                            "every point has (a sensitivity design's verdict)",
}
"""A design point's statistics per issue, computed over its R runs, and what each means (the
columns of sweep.csv and of a sensitivity design's points.csv, in this order)."""
SHARES = (*SHARE_COLUMNS.values(), *(f"p_text_{point}" for point in REACHED))
"""The statistics that are shares of the point's runs (sweep.csv gives each its interval)."""
IN_FLIGHT_PER_WORKER = 3  # design points queued per Dask worker: enough to keep it busy


_DESIGN_WORDS = {"kind": "kind of design", "constants": "constants (--set or --parameters)",
                 "points": "points (--set values or sample)", "runs_per_point": "--runs-per-point",
                 "seed": "--seed", "scenario_hash": "scenario (its file or inputs changed)",
                 "samples": "--samples"}  # design.json's keys as a user names them
_SHOWN = ("kind", "runs_per_point", "seed")  # settings a refusal shows both values of


def _difference(key: str, there: Any, here: Any) -> str:
    """A setting of the folder's design that differs from this command's, as a user names it
    (with both values where they are short)."""
    words = _DESIGN_WORDS.get(key, key)
    return f"{words} ({there} there, {here} now)" if key in _SHOWN else words


class DesignInterrupted(Interrupted):
    """A design stopped before its last point; the finished points are kept for a resume."""

    def __init__(self, folder: Path, cause: str) -> None:
        self.folder = folder
        super().__init__(f"{cause}; the finished design points are kept in {folder}. Complete "
                         f"the design with the same command and --folder {shell_word(folder)}")


def stopped_writing(folder: Path, what: str, exc: OSError) -> Exception:
    """The error of a design whose folder cannot take `what`: on a full disk an interruption
    the same command completes once space is freed; else (read-only, no permission) an
    InputError saying to complete a writable copy; a folder removed meanwhile keeps nothing."""
    if not (folder / DESIGN).is_file():
        return folder_removed(folder, "design")
    if disk_full(exc):
        return DesignInterrupted(folder, f"cannot write {what} ({unwritable(exc)})")
    return InputError(str(folder), "--folder", f"cannot write {what} ({unwritable(exc)}); the "
                      "finished design points are kept there: copy the folder somewhere you "
                      "can write to and complete the copy with the same command and --folder "
                      "COPY")


def column_quantiles(values: np.ndarray, quantiles: list[float]) -> np.ndarray:
    """`np.nanquantile(values, q, axis=0)` for each q, equal to the bit (NaN for a column without
    values): the columns with the same number of values take their quantiles at once, where
    nanquantile visits the columns one by one (a point's three quantiles took 0.5 ms instead of
    14 with 1 run a point, 3.8 instead of 14.5 with 100)."""
    ordered = np.sort(values, axis=0)  # NaN last
    counts = (~np.isnan(values)).sum(axis=0)
    found = np.full((len(quantiles), values.shape[1]), np.nan)
    for count in np.unique(counts[counts > 0]):
        columns = counts == count
        found[:, columns] = np.quantile(ordered[:count, columns], quantiles, axis=0)
    return found


def point_statistics(outcome: np.ndarray, text: np.ndarray, coverage: np.ndarray,
                     status_quo: np.ndarray) -> dict[str, list[float]]:
    """Per issue, over the runs (r, k) of one point: the `STATISTICS`, from the runs' outcome
    codes, agreed texts and coverages (as the engine gives them) and the issues' status quo."""
    runs = len(outcome)
    agreed = outcome != NO_AGREEMENT
    stats = {SHARE_COLUMNS[label]: (outcome == code).mean(axis=0)
             for code, label in OUTCOME_LABELS.items()}
    reached = reaching(outcome, text).sum(axis=0)
    for column, point in enumerate(REACHED):
        stats[f"p_text_{point}"] = reached[:, column] / runs
    stats["text_median"], stats["text_p10"], stats["text_p90"] = column_quantiles(
        np.where(agreed, text, np.nan), [0.5, 0.1, 0.9])
    for kind in AGREEMENTS:
        (stats[f"text_median_{kind}"],) = column_quantiles(
            np.where(outcome == OUTCOME_CODES[kind], text, np.nan), [0.5])
    (stats["coverage_median"],) = column_quantiles(deal_coverage(coverage, outcome), [0.5])
    stats["text_in_force_median"] = np.median(np.where(agreed, text, status_quo), axis=0)
    return {name: [float(v) for v in stats[name]] for name in STATISTICS}


def run_point(negotiation: Negotiation, parameters: Parameters, priors: Mapping[str, Prior],
              seed: int, runs: int, values: Mapping[str, float]) -> dict[str, list[float]]:
    """One design point: replications 0..runs-1 of `seed` as one model batch, the point's
    constants fixed and the scenario's other priors drawn per replication."""
    seeds = [replication_seed(seed, i) for i in range(runs)]
    drawn = prior_draws.draw({p: v for p, v in priors.items() if p not in values}, seeds)
    fixed = {path: np.full(runs, value) for path, value in values.items()}
    result = NegotiationModel(negotiation, parameters, seeds=seeds,
                              values={**drawn, **fixed}).run()
    return point_statistics(result.outcome, result.text, result.coverage,
                            negotiation.status_quo)


def _run_in_worker(negotiation: Negotiation, parameters: Parameters,
                   priors: Mapping[str, Prior], seed: int, runs: int, point: int,
                   values: Mapping[str, float]) -> tuple[int, dict[str, list[float]]]:
    return point, run_point(negotiation, parameters, priors, seed, runs, values)


def stored_design(folder: Path | None) -> dict[str, Any]:
    """What the design.json in `folder` holds, or {} where there is none that reads
    (`open_folder` then says what is wrong)."""
    if folder is None or not (folder / DESIGN).is_file():
        return {}
    try:
        stored = json.loads((folder / DESIGN).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stored if isinstance(stored, dict) else {}


def in_stored_order(chosen: dict[str, Any], folder: Path | None) -> dict[str, Any]:
    """`chosen` (a grid's values, or priors, by constant) in the order of the constants of the
    design in `folder` if it holds these very constants, so that the order of the --set flags
    or of --parameters changes no design resumed (it decides which point is which); a grid's
    values of each constant also in the order its points take them if they are these very
    values (an mc11 that kept them as typed, before `design.parse_settings` sorted them, wrote
    folders that still resume). Else as given (`open_folder` then says what differs)."""
    stored = stored_design(folder)
    constants = stored.get("constants")
    try:
        if sorted(constants) != sorted(chosen):
            return chosen
    except TypeError:  # none stored, or not names
        return chosen
    ordered = {path: chosen[path] for path in constants}
    if stored.get("kind") != "grid":
        return ordered
    try:
        columns = zip(*stored["points"], strict=True)
        taken = {path: list(dict.fromkeys(column))  # each one's values in the grid's order
                 for path, column in zip(constants, columns, strict=True)}
        return {path: sorted(values, key=taken[path].index)
                if sorted(taken[path]) == sorted(values) else values
                for path, values in ordered.items()}
    except (KeyError, TypeError, ValueError):  # a damaged design.json: `open_folder` says so
        return ordered


def open_folder(design: Design, scenario: Scenario, folder: Path | None, base: Path) -> Path:
    """A new folder for the design, or `folder` if it already holds this very design (to
    resume); another design there is refused, and so is one with points left to run whose
    finished points other model rules made; nothing in it is touched."""
    if folder is not None and folder.exists():
        if not folder.is_dir():
            raise InputError(str(folder), "--folder", "this is a file, not a folder; choose a "
                             "new folder (or the folder of this design, to resume it)")
        path = folder / DESIGN
        if not path.is_file():
            raise InputError(str(folder), "--folder", f"the folder exists but holds no {DESIGN}: "
                             "not a design folder; choose a new folder")
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(str(path), "(file)", f"unreadable ({exc})") from None
        if not isinstance(stored, dict):
            raise InputError(str(path), "(top level)", "the folder is damaged (design.json must "
                             "be a JSON object of the design's settings and points); choose a "
                             "new folder")
        current = design.describe()
        changed = [key for key, value in current.items() if stored.get(key) != value]
        if stored.get("fingerprint") != design.fingerprint():
            differences = [_difference(key, stored.get(key), current[key]) for key in changed]
            raise InputError(str(folder), "design", "this folder holds another design "
                             f"(different {', '.join(differences) or 'contents'}); resuming needs "
                             "the same scenario, settings, samples, runs per point and seed: "
                             "run those, or choose a new folder")
        if changed:  # the fingerprint is this design's, the settings beside it are not
            raise InputError(str(path), ", ".join(_DESIGN_WORDS.get(key, key) for key in changed),
                             "the file was edited: its fingerprint is this design's but "
                             "these settings are not; restore them, or choose a new folder")
        if pending_points(folder, design):
            versions.refuse_other_rules(stored, folder, "run the design into a new --folder")
        return folder
    option = "--folder" if folder is not None else "--results-dir"
    ran = scenario.with_changes(replications=design.runs_per_point, seed=design.seed)  # checked
    try:  # before the folder is made: a refusal leaves none behind
        folder = folder or new_folder(base, f"{scenario.name}-{design.kind}")
        (folder / POINTS).mkdir(parents=True)
        write_atomic(folder / SCENARIO, json.dumps(ran.resolved(), indent=1) + "\n")
        unit = {} if design.unit is None else {"unit": design.unit.tolist()}
        write_atomic(folder / DESIGN, json.dumps({**design.describe(), **unit,
                                                  "fingerprint": design.fingerprint(),
                                                  **versions.record()}) + "\n")
    except OSError as exc:  # a folder without its design.json could not be resumed
        if folder is not None and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)  # it did not exist: only what we made
        raise InputError(str(folder or base), option, "cannot create the design's folder here "
                         f"({unwritable(exc)}); choose a folder you can write to") from None
    return folder


def point_path(folder: Path, point: int) -> Path:
    """Where a design folder keeps the statistics of its point number `point`."""
    return folder / POINTS / f"point-{point:07d}.json"


def pending_points(folder: Path, design: Design) -> list[int]:
    """The design's points whose statistics the folder does not hold yet (to run or resume)."""
    return [i for i in range(len(design.points)) if not point_path(folder, i).is_file()]


def design_lock(folder: Path) -> AbstractContextManager[None]:
    """One process at a time on a design folder, from its points to its tables and figures: a
    second one started beside it (another terminal) is refused instead of computing the same
    points again or writing the same files at once."""
    return holding(folder / LOCK, "--folder", "another mc11 is running this design now (its "
                   "points, or its tables and figures); wait for it to end, then run the same "
                   "command to write anything missing",
                   "a design writes its points, tables and figures there: copy the folder "
                   "somewhere writable and complete the copy")


def execute_design(
    folder: Path,
    design: Design,
    scenario: Scenario,
    client: Any = None,
    on_point: Callable[[int], None] | None = None,
) -> None:
    """Run the design's missing points (on the Dask `client`, or here if None), writing each
    point's statistics as it arrives, holding `design_lock` while it does."""
    if not pending_points(folder, design):
        return
    with design_lock(folder):
        run_points(folder, design, scenario, client, on_point)


def run_points(folder: Path, design: Design, scenario: Scenario, client: Any = None,
               on_point: Callable[[int], None] | None = None) -> None:
    """`execute_design` for a caller holding `design_lock` already (to keep it while the
    tables are written)."""
    todo = pending_points(folder, design)
    if not todo:
        return
    stored = stored_design(folder)
    continued = {**stored, **versions.continued(stored)}
    if stored and continued != stored:  # an earlier mc11's: record this one as continuing it
        try:
            write_atomic(folder / DESIGN, json.dumps(continued) + "\n")
        except OSError as exc:
            raise stopped_writing(folder, str(folder / DESIGN), exc) from None
    derived = any(derives(p) for p in (*design.constants, *scenario.priors))
    negotiation = scenario.negotiation(derived=derived)
    parameters, priors = scenario.spec.parameters, dict(scenario.priors)
    job = (design.seed, design.runs_per_point)

    def save(point: int, stats: dict[str, list[float]]) -> None:
        record = {"point": point, "values": design.values(point), "statistics": stats,
                  "statistics_sha256": statistics_digest(stats)}
        path = point_path(folder, point)
        try:
            write_atomic(path, json.dumps(record) + "\n")
        except OSError as exc:  # a full disk, a folder removed: not the cluster's doing
            raise stopped_writing(folder, str(path), exc) from None
        if on_point is not None:
            on_point(point)

    compile_rules(negotiation, parameters, priors)  # here, once: local workers load them
    try:
        if client is None:
            for point in todo:
                save(point, run_point(negotiation, parameters, priors, *job,
                                      design.values(point)))
            return
        _execute_on(client, todo, design, (negotiation, parameters, priors, *job), save)
    except KeyboardInterrupt:
        raise DesignInterrupted(folder, "interrupted") from None
    except (OSError, TimeoutError) as exc:  # the cluster went away
        raise DesignInterrupted(folder, f"the Dask cluster failed ({exc})") from None
    except Exception as exc:
        if stopped_by_user(exc):  # Ctrl-C inside a compiled rule (--scheduler in-process)
            raise DesignInterrupted(folder, "interrupted") from None
        if type(exc).__module__.startswith("distributed"):  # e.g. KilledWorker: workers lost
            raise DesignInterrupted(folder, f"Dask workers were lost ({exc})") from None
        raise


def _execute_on(client: Any, todo: list[int], design: Design, shared: tuple,
                save: Callable[[int, dict[str, list[float]]], None]) -> None:
    """Submit the points to Dask a few per worker at a time and save them as they finish."""
    from dask.distributed import as_completed

    negotiation, parameters, priors, seed, runs = shared
    scattered = client.scatter([negotiation, parameters, priors], broadcast=True)
    workers = workers_of(client)
    queue = iter(todo)

    fingerprint = design.fingerprint()  # hashes every point: once, not per task

    def submit(point: int):
        return client.submit(_run_in_worker, *scattered, seed, runs, point,
                             design.values(point), key=f"design-point-{point}-{fingerprint}",
                             pure=False)

    first = [submit(p) for _, p in zip(range(workers * IN_FLIGHT_PER_WORKER), queue,
                                       strict=False)]
    finished = as_completed(first)
    try:
        for future in finished:
            point, stats = future.result()
            save(point, stats)
            future.release()
            following = next(queue, None)
            if following is not None:
                finished.add(submit(following))
    except BaseException:
        for future in list(finished.futures):
            future.cancel()
        raise


def statistics_digest(statistics: dict[str, list[float]]) -> str:
    """The SHA-256 of a point's statistics as its file holds them: a later edit changes it."""
    return hashlib.sha256(json.dumps(statistics, sort_keys=True).encode()).hexdigest()


def point_table(folder: Path, design: Design, issues: tuple[str, ...]) -> pd.DataFrame:
    """One row per design point and issue: the point's constants, then the statistics every
    point has; its `attrs["edited"]` lists the point files whose statistics were edited since
    the design wrote them (those of an earlier mc11, which recorded no digest, are not checked),
    and `attrs["lacking"]` the `STATISTICS` some point lacks (an earlier mc11 computed fewer),
    left out rather than empty, which would read as no run having what they measure."""
    missing = pending_points(folder, design)
    if missing:
        raise InputError(str(folder), "points", f"{len(missing)} of {len(design.points)} design "
                         "points are not finished; complete the design first")
    records = [_read_point(folder, point, len(issues), design.values(point))
               for point in range(len(design.points))]
    common = [name for name in records[0]["statistics"]
              if all(name in record["statistics"] for record in records)]
    frames, edited = [], []
    for point, record in enumerate(records):
        digest = record.get("statistics_sha256")
        if digest is not None and digest != statistics_digest(record["statistics"]):
            edited.append(point_path(folder, point))
        frames.append(pd.DataFrame({"point": point, **record["values"], "issue": issues,
                                    **{name: record["statistics"][name] for name in common}}))
    table = pd.concat(frames, ignore_index=True)
    table.attrs["edited"] = edited
    table.attrs["lacking"] = [name for name in STATISTICS if name not in common]
    return table


def _a_number(value: object) -> bool:
    """A statistic as a point's file holds it: a number, or null where it has none."""
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def _read_point(folder: Path, point: int, issues: int,
                planned: dict[str, float]) -> dict[str, Any]:
    """A finished point's record (its constants' values, which must be the design's `planned`
    ones, and per-issue statistics), or an InputError saying how to compute a damaged one
    again."""
    path = point_path(folder, point)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
        values, statistics = record.get("values"), record.get("statistics")
        if not isinstance(values, dict) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in values.values()):
            raise ValueError("no 'values' of the point's constants")
        if values != planned:  # edited: its statistics are of other values
            raise ValueError(f"its constants' values are not design.json's {planned}")
        if not isinstance(statistics, dict) or not statistics or not all(
                isinstance(s, list) and len(s) == issues for s in statistics.values()):
            raise ValueError(f"no 'statistics' of the {issues} issues")
        if not all(_a_number(x) for s in statistics.values() for x in s):
            raise ValueError("text where the statistics' numbers belong")
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise InputError(str(path), "(point)", f"the design point's file is damaged ({reason}); "
                         "delete it and run the same command again with --folder "
                         f"{folder} to compute that point again") from None
    return record

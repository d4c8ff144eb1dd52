"""Results folders: run an ensemble into `results/<scenario>-<timestamp>/`, resume it, read it back.

A folder holds `run.json` (scenario name, seed, runs, input hash, the digest of the stored
scenario, the versions of the package, model rules and libraries that made its runs
(`versions.record`), status), the resolved `scenario.yaml`, the `preferences.csv` used, `chunks/`
(finished replications, written atomically), once complete the tables of
`simulation.outputs.TABLES`, and `plots/` when drawn (`--plots`, or later `mc11 plot`). Nothing
existing is lost: a new run gets a new folder, and `--resume` adds the missing chunks (and
rebuilds missing or damaged tables, keeping a damaged or edited one aside first), refused if
other model rules made them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import zipfile
from collections.abc import Callable, Collection, Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from simulation.engine.negotiation import Negotiation
from simulation.engine.parameters import BargainingParameters
from simulation.engine.protocols import runs_per_second
from simulation.errors import (
    InputError,
    Interrupted,
    folder_removed,
    in_chain,
    resolved,
    shell_word,
    unwritable,
    write_atomic,
)
from simulation.inputs import MAX_RUNS, SEED_LIMIT
from simulation.inputs.scenario import Scenario, scenario_from_mapping
from simulation.outcomes import OUTCOME_CODES
from simulation.outputs import DESIGN, FOLDER_READERS, MANIFEST, OUTPUTS, TABLES, Storage
from simulation.runs import compiling, versions
from simulation.runs.aggregate import Aggregate
from simulation.runs.ensemble import CHUNK_SIZE, Chunk, chunk_bounds, outcome_rows, run_chunks
from simulation.runs.locks import holding
from simulation.runs.progress import Progress

SCENARIO = "scenario.yaml"
"""The resolved scenario a results folder (and a design's folder) stores: what its runs ran."""
LOCK = ".lock"
CALENDAR = "calendar.yaml"
"""A scenario's own calendar, copied into its results folder (scenario.yaml names the copy)."""
CHUNKS = "chunks"  # the folder of a results folder's chunk files
STORED = (SCENARIO, CALENDAR)
"""The scenario files a run stores in its folder, which its readers use as the run's inputs."""


class RunInterrupted(Interrupted):
    """An ensemble stopped before the end; its finished chunks are kept for `--resume`."""

    def __init__(self, folder: Path, cause: str, options: str = "") -> None:
        self.folder, self.cause = folder, cause
        super().__init__(f"{cause}; finished chunks are kept in {folder}. Complete the run "
                         f"with: mc11 run --resume {shell_word(folder)}{options}")


def new_folder(base: Path, name: str) -> Path:
    """Create a fresh folder `<base>/<name>-<timestamp>` (`-2`, `-3`, ... when taken) and
    return it: never an existing one, also when other runs started in the same second take
    names at the same moment (creating is the check)."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    base.mkdir(parents=True, exist_ok=True)
    folder, suffix = base / f"{name}-{stamp}", 1
    while True:
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            suffix += 1
            folder = base / f"{name}-{stamp}-{suffix}"


def chunk_name(start: int) -> str:
    """The file name of the chunk of replications from `start` on."""
    return f"chunk-{start:08d}.npz"


@dataclass(frozen=True)
class Run:
    """A results folder being written: where, for which scenario, and how many replications."""

    folder: Path
    scenario: Scenario
    runs: int
    seed: int
    chunk_size: int = CHUNK_SIZE
    scenario_file: str | None = None  # the file the run started from (a resume reads the copy)
    stored_digest: str | None = None  # of the STORED files as written (None: an older mc11's)
    made_by: dict[str, Any] | None = None  # `versions.record()` as it started (None: this mc11's)

    @property
    def bounds(self) -> list[tuple[int, int]]:
        return chunk_bounds(self.runs, self.chunk_size)

    @property
    def chunk_dir(self) -> Path:
        return self.folder / CHUNKS

    def chunk_path(self, start: int) -> Path:
        return self.chunk_dir / chunk_name(start)

    def manifest(self, status: str) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "scenario_file": self.scenario_file or (str(self.scenario.path.resolve())
                                                    if self.scenario.path else None),
            **(versions.record() if self.made_by is None else self.made_by),
            "seed": self.seed,
            "runs": self.runs,
            "chunk_size": self.chunk_size,
            "input_hash": self.scenario.input_hash(),
            **({"stored_digest": self.stored_digest} if self.stored_digest else {}),
            "protocol": self.scenario.spec.parameters.bargaining.protocol,
            "status": status,
            "updated": datetime.now(UTC).isoformat(timespec="seconds"),
            **({"tables": _table_digests(self.folder)} if status == "complete" else {}),
        }

    def start(self) -> Run:
        """Create the folder with its manifest, resolved scenario and preference table; the run,
        with the digest of the scenario files it stored."""
        self.chunk_dir.mkdir()
        resolved = self.scenario.resolved()
        if self.scenario.calendar_path is not None:  # a copy: the folder stands on its own
            write_atomic(self.folder / CALENDAR,
                         self.scenario.calendar_path.read_text(encoding="utf-8"))
            resolved["calendar"] = CALENDAR
        write_atomic(self.folder / SCENARIO, yaml.safe_dump(resolved, sort_keys=False))
        write_atomic(self.folder / "preferences.csv", self.scenario.preferences.to_csv(index=False))
        started = replace(self, stored_digest=stored_digest(self.folder))
        started.set_status("running")
        return started

    def set_status(self, status: str) -> None:
        write_atomic(self.folder / MANIFEST, json.dumps(self.manifest(status), indent=1) + "\n")


def start_run(
    scenario: Scenario,
    runs: int,
    seed: int,
    out: Path | None,
    base: Path,
    chunk_size: int = CHUNK_SIZE,
) -> Run:
    """A new results folder; `out` must not exist yet (nothing is overwritten)."""
    if out is not None and out.exists() and not out.is_dir():
        raise InputError(str(out), "--folder", "this is a file, not a folder; choose a new "
                         "folder")
    if out is not None and out.exists():
        raise InputError(str(out), "--folder", "the folder exists already; choose a new one, "
                         "or pass it to --resume to complete an interrupted run")
    scenario = scenario.with_changes(replications=runs, seed=seed)
    option = "--folder" if out is not None else "--results-dir"
    created: Path | None = None
    try:
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.mkdir()  # fails if another process made it since the check above
            created = out
        else:
            created = new_folder(base, scenario.name)
        run = Run(created, scenario, runs, seed, chunk_size).start()
    except BaseException as exc:  # a folder without its manifest could not be resumed
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)  # only what this call created
        if not isinstance(exc, OSError):
            raise
        raise InputError(str(created or out or base), option, "cannot create the results "
                         f"folder here ({unwritable(exc)}); choose a new folder you can "
                         "write to") from None
    return run


class Estimate(NamedTuple):
    """About how long replications take (seconds), the disk their results folder needs (bytes),
    and in words the speed the time is based on."""

    seconds: float
    size: int
    basis: str


def estimate(negotiation: Negotiation, bargaining: BargainingParameters, runs: int,
             workers: int) -> Estimate:
    """The estimate before work of `runs` replications on `workers` workers: the time at the
    bargaining protocol's speed for the negotiation's size (`protocols.runs_per_second`: as
    `mc11 compile` measured it on this machine, else the registry's figure of an idle machine;
    a busy one is slower); the disk for the chunks' arrays as stored (an upper
    bound: some are deflated) and ~16 bytes per outcome row."""
    sizes = negotiation.axis_sizes
    per_run = 0.0
    for output in OUTPUTS:
        cells = float(np.prod([sizes[a] for a in output.axes]))
        per_run += cells / 8 if output.storage is Storage.BITS else \
            cells * np.dtype(output.stored).itemsize
    per_run += 16 * sizes["issue"]
    rate, basis = runs_per_second(bargaining, sizes["member"], sizes["issue"], sizes["period"],
                                  compiling.measured_rate(bargaining))
    return Estimate(runs / (rate * max(1, workers)), int(runs * per_run), basis)


def size_words(size: float) -> str:
    """Bytes in words: 800 MB, 4.2 GB."""
    return f"{size / 2**30:.1f} GB" if size >= 2**30 else f"{size / 2**20:.0f} MB"


def free_bytes(folder: Path) -> int | None:
    """Free space where `folder` is (or would be) created; None if unknown."""
    for candidate in (folder, *resolved(folder).parents):
        if candidate.exists():
            try:
                return shutil.disk_usage(candidate).free
            except OSError:
                return None
    return None


def stored_digest(folder: Path) -> str:
    """The SHA-256 of the scenario files a results folder stores (`STORED`), as they are now."""
    digest = hashlib.sha256()
    for name in STORED:
        if (folder / name).is_file():
            digest.update(name.encode() + b"\0" + (folder / name).read_bytes() + b"\0")
    return digest.hexdigest()


def read_folder(folder: Path) -> tuple[dict[str, Any], Scenario]:
    """The manifest of a results folder and the scenario it was run with (refused if the stored
    scenario files were edited since the run wrote them: its results are not the edit's)."""
    manifest_path = folder / MANIFEST
    if not folder.is_dir():
        what = "a file, not a folder" if folder.exists() else "no such folder"
        raise InputError(str(folder), "(folder)", f"{what}, so not a results folder; "
                         "give a folder written by `mc11 run`")
    if not manifest_path.is_file():
        design = _design_hint(folder) if (folder / DESIGN).is_file() else ""
        raise InputError(str(folder), "(folder)", f"no {MANIFEST} here: not a results folder of "
                         f"`mc11 run`{design}")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise InputError(str(manifest_path), "(file)", f"the folder is damaged ({reason}); it "
                         f"cannot be read without its {MANIFEST}: restore the file, or run the "
                         "scenario again into a new folder") from None
    _check_manifest(manifest, manifest_path)
    stored = folder / SCENARIO
    try:
        raw = yaml.safe_load(stored.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError) as exc:
        reason = getattr(exc, "strerror", None) or " ".join(str(exc).split())
        raise InputError(str(stored), "(file)", f"the folder is damaged ({reason}); it cannot "
                         "be read without the scenario its runs used: restore the file, or run "
                         "the scenario again into a new folder") from None
    recorded = manifest.get("stored_digest")
    if isinstance(recorded, str) and stored_digest(folder) != recorded:
        raise InputError(str(stored), "(file)", f"{' or '.join(STORED)} in the folder was "
                         "edited since the run wrote it (run.json's stored_digest no longer "
                         "matches), so the folder's results are not that scenario's: restore "
                         "the file as the run wrote it, or run the edited scenario into a new "
                         f"folder: mc11 run {shell_word(stored)}")
    return manifest, scenario_from_mapping(raw, str(stored))


def _design_hint(folder: Path) -> str:
    """What a design folder given where a run's results folder belongs is: a sweep's or a
    sensitivity analysis's, complete (its tables are its results) or with points left to run
    (the same command and --folder complete it), and what FOLDER_READERS take."""
    from simulation.runs.sweep import point_path, stored_design

    stored = stored_design(folder)
    kind = stored.get("kind")
    command, tables = {"grid": ("`mc11 sweep`", "sweep.csv"),
                       "sobol": ("`mc11 sensitivity`", "sensitivity.csv, points.csv"),
                       "morris": ("`mc11 sensitivity`", "sensitivity.csv, points.csv")}.get(
        kind if isinstance(kind, str) else None, ("`mc11 sweep` or `sensitivity`", "tables"))
    points = stored.get("points")
    count = len(points) if isinstance(points, list) else 0
    left = sum(not point_path(folder, point).is_file() for point in range(count))
    complete = f"complete it with the same command and --folder {shell_word(folder)}"
    state = (f"; {left} of its {count} points are still to run: {complete}" if left
             else "" if count else f" (if it is not complete, {complete})")
    return (f"; it holds a design.json: a design folder of {command}, whose {tables} and "
            f"plots/ are its results{state}; {FOLDER_READERS} takes a run's results folder, "
            "as `mc11 run SCENARIO` writes")


MANIFEST_FIELDS = {"scenario": str, "seed": int, "runs": int, "chunk_size": int,
                   "input_hash": str, "status": str}
"""The fields of run.json that reading a folder relies on, and their types."""

MANIFEST_RANGES = {"seed": (0, SEED_LIMIT - 1), "runs": (1, MAX_RUNS), "chunk_size": (1, MAX_RUNS)}
"""The values a run can record in its whole-number fields: a larger count, edited in, would have
a resume lay out its runs in memory until it fails (10**30 runs: a MemoryError traceback)."""


def _check_manifest(manifest: Any, path: Path) -> None:
    """An InputError unless run.json holds every field a folder's readers need, well typed."""
    if not isinstance(manifest, dict):
        raise InputError(str(path), "(top level)", "the folder is damaged (run.json must be a "
                         "JSON object of the run's fields)")
    for field, kind in MANIFEST_FIELDS.items():
        value = manifest.get(field)
        low, high = MANIFEST_RANGES.get(field, (None, None))
        if not isinstance(value, kind) or isinstance(value, bool) or (
                kind is int and not low <= value <= high):
            raise InputError(str(path), field, f"the folder is damaged ({field} is {value!r}; "
                             f"a results folder's run.json has {field} as "
                             + (f"a whole number from {low:,} to {high:,}" if kind is int
                                else "text") + ")")


def resume_run(folder: Path) -> Run:
    """Reopen an interrupted results folder with the scenario it was started with and, if runs
    are left to add, refused otherwise, its model rules (tables rebuilt from its chunks run no
    rules); its manifest keeps what it recorded of them (and, in a folder of an earlier mc11
    with runs left, records this mc11's as `versions.RESUMED`)."""
    manifest, scenario = read_folder(folder)
    source = manifest.get("scenario_file")
    if scenario.input_hash() != manifest.get("input_hash"):
        raise InputError(str(folder), "input_hash", "the inputs changed since this run started, "
                         "though the folder keeps its scenario: the scenario's calendar file, "
                         "mc11's data files (issues, proposals, groups, members, calendar) or "
                         "the way this mc11 derives preferences from them; its chunks and new "
                         "ones would not be one scenario: start a new run instead of resuming")
    recorded = manifest.get("stored_digest")
    runs, chunk_size = int(manifest["runs"]), int(manifest["chunk_size"])
    if missing_chunks(folder, runs, chunk_size):  # runs to add, by this mc11's rules
        versions.refuse_other_rules(manifest, folder, "start a new run of its scenario (mc11 "
                                    f"run {shell_word(folder / SCENARIO)})")
        made_by = versions.continued(manifest)
    else:
        made_by = versions.recorded(manifest)
    return Run(folder, scenario, runs, int(manifest["seed"]), chunk_size,
               source if isinstance(source, str) else None,
               recorded if isinstance(recorded, str) else None, made_by)


ROW_GROUP_ROWS = 25_000
"""Rows of outcomes.parquet written at a time: memory for these, whatever the run count."""


def running(folder: Path) -> AbstractContextManager[None]:
    """Hold a results folder for one process: a second mc11 running it at the same time (a
    `--resume` beside the first run) would race on its tables, so it is refused."""
    return holding(folder / LOCK, "(folder)", "another mc11 is running this folder now; wait "
                   "for it to end (its run.json then says complete or interrupted)",
                   "a run writes its chunks and tables there: copy the folder somewhere "
                   "writable and resume the copy")


def execute(
    run: Run,
    workers: int,
    progress: bool = True,
    finish: Callable[[Run, Aggregate], None] | None = None,
    negotiation: Negotiation | None = None,
    meanwhile: Callable[[], object] | None = None,
    held: Callable[[], object] | None = None,
) -> Aggregate:
    """Run the missing chunks of a results folder, then combine every chunk in replication
    order into `outcomes.parquet` and an `Aggregate` (memory flat in the run count); `finish`
    (the report layer's tables and figures) runs before the folder is marked complete. Any
    interruption (Ctrl-C, SIGTERM, a worker killed, a full disk) marks the folder
    `interrupted` and raises RunInterrupted with the command that completes it. A folder
    another process is running is refused (`running`). `negotiation`: the scenario's, if the
    caller has built it already; `meanwhile`: the caller's work while the workers run (as
    `run_chunks` says), such as drawing the figures that need no results; `held`: called once
    the folder is held, before any run (the caller's "running ..." line, which a refused folder
    then never prints)."""
    with running(run.folder):
        if held is not None:
            held()
        return _execute(run, workers, progress, finish, run.scenario.negotiation()
                        if negotiation is None else negotiation, meanwhile)


def _execute(run: Run, workers: int, progress: bool,
             finish: Callable[[Run, Aggregate], None] | None,
             negotiation: Negotiation, meanwhile: Callable[[], object] | None) -> Aggregate:
    bounds = run.bounds
    todo = missing_chunks(run.folder, run.runs, run.chunk_size)
    run.chunk_dir.mkdir(exist_ok=True)  # a resumed folder whose chunks folder was deleted
    shown = Progress(run.runs, run.runs - sum(b - a for a, b in todo), run.scenario.name,
                     enabled=progress)
    try:
        if todo:
            shown.starting(f"{len(todo):,} chunk(s) of up to {run.chunk_size} runs to do on "
                           f"{workers} worker(s); the first progress comes with the first chunk")
        for chunk in run_chunks(negotiation, run.scenario.spec.parameters, run.seed, todo, workers,
                                run.scenario.priors, meanwhile=meanwhile):
            chunk.save(run.chunk_path(chunk.start))
            shown.update(len(chunk))
        shown.close()
        if len(bounds) > 200:
            shown.starting(f"combining {len(bounds):,} chunks into the tables")
        aggregate = _combine_folder(run, negotiation)
        if finish is not None:
            finish(run, aggregate)
        run.set_status("complete")
    except BaseException as exc:
        shown.close()
        if isinstance(exc, InputError):  # a damaged chunk: the folder waits for a resume
            _mark_interrupted(run)
            raise
        if not _interruption(exc):
            raise
        if not (run.folder / MANIFEST).is_file():
            raise folder_removed(run.folder, "run") from None
        _mark_interrupted(run)
        # the interruption itself, not an error it surfaced as: Ctrl-C inside compiled code
        # (one worker) reaches us as numba's SystemError "... returned a result with an
        # exception set", the KeyboardInterrupt as its context
        stop = in_chain(exc, OUTSIDE_STOPS)
        cause = ("interrupted" if isinstance(stop, KeyboardInterrupt) else
                 "a worker process died" if isinstance(stop, BrokenProcessPool) else
                 f"stopped writing the results: {unwritable(stop)}" if isinstance(stop, OSError)
                 else f"stopped: {exc}")
        raise RunInterrupted(run.folder, cause) from None
    return aggregate


def _mark_interrupted(run: Run) -> None:
    """Say `interrupted` in run.json if the disk lets us: on a full disk even that write can
    fail, and a folder whose run.json still says running resumes all the same."""
    with suppress(OSError):
        run.set_status("interrupted")


OUTSIDE_STOPS = (KeyboardInterrupt, BrokenProcessPool, OSError)  # what stops a run, not a bug


def _interruption(exc: BaseException) -> bool:
    """Whether an exception stops a run from outside (Ctrl-C or SIGTERM, also when it surfaces
    as another error raised while unwinding, a worker killed, the disk): not a bug."""
    return in_chain(exc, OUTSIDE_STOPS) is not None


def chunks_hold_every_output(folder: Path) -> bool:
    """Whether a results folder's first chunk holds every output of `simulation.outputs` (the
    chunks of an older mc11 may lack some, and cannot make today's tables). A chunk that cannot
    be read is damaged, not older: True, so that rebuilding the tables meets it and says how to
    compute it again (taken for an older mc11's, its folder's missing table was an error naming
    `--resume`, the command just run)."""
    try:
        with np.load(folder / CHUNKS / chunk_name(0)) as data:
            return all(o.name in data.files for o in OUTPUTS)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        return True


def missing_chunks(folder: Path, runs: int, chunk_size: int) -> list[tuple[int, int]]:
    """The bounds of a results folder's chunks not on disk (not run yet, or deleted since):
    what `execute` runs, from their own seeds. One listing of the folder, not a stat each."""
    chunks = folder / CHUNKS
    present = {entry.name for entry in os.scandir(chunks)} if chunks.is_dir() else set()
    return [b for b in chunk_bounds(runs, chunk_size) if chunk_name(b[0]) not in present]


def _load_chunk(run: Run, start: int) -> Chunk:
    """A chunk of the folder, or an InputError saying how to recompute a damaged one."""
    path = run.chunk_path(start)
    try:
        return Chunk.load(path)
    except KeyError as exc:
        raise InputError(str(path), "(chunk)", f"the chunk lacks the output {exc}: it was "
                         "written by an older mc11, whose chunks cannot make today's tables; "
                         "start a new run") from None
    except (zipfile.BadZipFile, ValueError, EOFError, OSError) as exc:
        # numpy's reason for a file that is no .npz suggests loading it with pickle: not here
        reason = getattr(exc, "strerror", None) or (
            "not a chunk as mc11 writes it" if "pickle" in str(exc) else exc)
        raise InputError(str(path), "(chunk)", f"the chunk file is damaged ({reason}); delete it "
                         f"and run `mc11 run --resume {shell_word(run.folder)}` to compute it "
                         "again") from None


def _combine_folder(run: Run, negotiation: Negotiation) -> Aggregate:
    """Read the chunks in replication order into outcomes.parquet (row group by row group,
    through a temporary file) and an Aggregate."""
    aggregate = Aggregate(negotiation, run.runs)
    temporary = run.folder / ".outcomes.parquet.tmp"
    writer: pq.ParquetWriter | None = None
    batch: list[pd.DataFrame] = []

    def flush() -> None:
        nonlocal writer
        frame = pd.concat(batch, ignore_index=True)
        batch.clear()
        table = pa.Table.from_pandas(frame, preserve_index=False,
                                     schema=writer.schema if writer else None)
        if writer is None:
            writer = pq.ParquetWriter(temporary, table.schema)
        writer.write_table(table)

    try:
        try:
            rows = 0
            for start, _ in run.bounds:
                chunk = _load_chunk(run, start)
                aggregate.add(chunk)
                batch.append(outcome_rows([chunk], negotiation))
                rows += len(batch[-1])
                if rows >= ROW_GROUP_ROWS:
                    flush()
                    rows = 0
            if batch:
                flush()
        finally:
            if writer is not None:
                writer.close()
        os.replace(temporary, run.folder / "outcomes.parquet")
    finally:
        temporary.unlink(missing_ok=True)  # a failed write (a full disk) leaves no half table
    return aggregate


@dataclass(frozen=True)
class Results:
    """A finished results folder read back: its manifest, summary and (on demand) per-run
    outcomes."""

    folder: Path
    manifest: dict[str, Any]
    scenario: Scenario
    summary: pd.DataFrame

    def __repr__(self) -> str:  # the default shows the whole scenario and summary
        return (f"<Results {str(self.folder)!r}: {self.scenario.name!r}, "
                f"{self.manifest['runs']} runs, seed {self.manifest['seed']}>")

    @property
    def outcomes(self) -> pd.DataFrame:
        """The per-run outcomes table (read on demand: it grows with the run count)."""
        path = self.folder / "outcomes.parquet"
        try:
            table = pd.read_parquet(path)
            missing = [c for c in OUTCOMES_KEY if c not in table.columns]
            if missing:
                raise ValueError(f"no column {', '.join(missing)}")
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            raise _damaged(self.folder, "outcomes.parquet", exc) from None
        return table

    def run_outcomes(self, issues: list[str]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Each run's outcome codes and agreed texts (runs, k), issues in the order of
        `issues` (the folder's issues, each once), RUNS_AT_A_TIME runs at a time (the last block
        fewer), whatever the file's row groups: two folders of as many runs give blocks of the
        same runs. Memory stays flat in the run count; a table that does not hold runs 0, 1, ...
        each with every issue once is damaged."""
        return self._runs(self._own_issues(issues, "run_outcomes"), ("outcome", "text"))

    def run_blockers(self, issues: list[str]) -> Iterator[np.ndarray]:
        """Each run's blockers as outcomes.parquet lists them (member codes joined by ';', ''
        for none), (runs, k) text in the blocks of `run_outcomes`: the same runs, so that two
        folders' blockers pair up run by run."""
        return (lists for lists, in self._runs(self._own_issues(issues, "run_blockers"),
                                               ("blockers",)))

    def _own_issues(self, issues: list[str], method: str) -> list[str]:
        """`issues` as a list, refused unless it holds the folder's issues, each once (else the
        table would be called damaged)."""
        own = self.scenario.catalogue.issue_ids
        if isinstance(issues, str) or not isinstance(issues, Collection):
            raise TypeError(f"{method} takes a list of the folder's issues, not "
                            f"{type(issues).__name__} {issues!r:.60}")
        if sorted(map(str, issues)) != sorted(own):
            raise ValueError(f"{method} takes the folder's issues, each once, in the order "
                             f"of the arrays' columns: {', '.join(own)}; not "
                             f"{', '.join(map(str, issues)) or 'none'}")
        return list(issues)

    def _runs(self, issues: list[str], columns: tuple[str, ...]
              ) -> Iterator[tuple[np.ndarray, ...]]:
        """outcomes.parquet's `columns` as (runs, k) arrays (`_as_runs`), RUNS_AT_A_TIME runs at
        a time."""
        path = self.folder / "outcomes.parquet"
        k = len(issues)
        order = {issue: column for column, issue in enumerate(issues)}
        block = k * RUNS_AT_A_TIME
        left, first = pd.DataFrame(), 0
        try:
            batches = pq.ParquetFile(path).iter_batches(
                batch_size=block, columns=["run", "issue", *columns])
            for batch in batches:
                rows = pd.concat([left, batch.to_pandas()], ignore_index=True)
                whole = len(rows) // block * block
                for start in range(0, whole, block):
                    yield _as_runs(rows.iloc[start:start + block], first, order, columns)
                    first += RUNS_AT_A_TIME
                left = rows.iloc[whole:]
            if len(left) >= k:  # the last block: the runs left, fewer than RUNS_AT_A_TIME
                whole = len(left) // k * k
                yield _as_runs(left.iloc[:whole], first, order, columns)
                first, left = first + whole // k, left.iloc[whole:]
        except (OSError, ValueError, KeyError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            raise _damaged(self.folder, "outcomes.parquet", exc) from None
        if len(left) or first != self.manifest["runs"]:
            raise _damaged(self.folder, "outcomes.parquet", ValueError(
                f"{first} whole runs, not the {self.manifest['runs']} of run.json"))


def _as_runs(rows: pd.DataFrame, first: int, order: dict[str, int],
             columns: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    """Rows of whole runs (first, first + 1, ...) as (runs, k) arrays, one per column, each
    read as `_RUN_VALUES` says."""
    k = len(order)
    runs = rows["run"].to_numpy()
    column = rows["issue"].astype(str).map(order).to_numpy()
    if (runs != np.repeat(np.arange(first, first + len(rows) // k), k)).any() or \
            (np.sort(column.reshape(-1, k), axis=1) != np.arange(k)).any():
        raise ValueError("rows that are not runs 0, 1, ... each with every issue once")
    at = (runs - first, column.astype(np.int64))
    arrays = []
    for name in columns:
        values = _RUN_VALUES[name](rows[name])
        array = np.empty((len(rows) // k, k), dtype=values.dtype)
        array[at] = values
        arrays.append(array)
    return tuple(arrays)


def _outcome_codes(labels: pd.Series) -> np.ndarray:
    """Outcome labels as their codes (OUTCOME_CODES); ValueError for another label."""
    codes = labels.astype(str).map(OUTCOME_CODES)
    if codes.isna().any():
        raise ValueError(f"an outcome that is none of {', '.join(OUTCOME_CODES)}")
    return codes.to_numpy(dtype=np.int64)


_RUN_VALUES: dict[str, Callable[[pd.Series], np.ndarray]] = {
    "outcome": _outcome_codes,
    "text": lambda texts: texts.to_numpy(dtype=float),
    "blockers": lambda lists: lists.fillna("").astype(str).to_numpy(dtype=object),
}
"""How `_as_runs` reads each column of outcomes.parquet it gives as arrays."""


RUNS_AT_A_TIME = 1000
"""Runs `Results.run_outcomes` and `run_blockers` yield at a time."""

OUTCOMES_KEY = ("run", "issue", "outcome")
"""The columns of outcomes.parquet that every folder has and its readers rely on."""


def load_results(folder: Path | str) -> Results:
    """Read a complete results folder (for compare and plot)."""
    folder = Path(folder)
    manifest, scenario = read_folder(folder)
    status = manifest["status"]
    if status == "running":
        raise InputError(str(folder), "status", "the run is 'running', not complete: another "
                         "mc11 is still running it, or was killed; if killed, finish it with "
                         f"`mc11 run --resume {shell_word(folder)}`")
    if status != "complete":
        raise InputError(str(folder), "status", f"the run is {status!r}, not complete; finish "
                         f"it with `mc11 run --resume {shell_word(folder)}`")
    return Results(folder, manifest, scenario, read_table(folder, "summary.csv", ("issue",)))


def read_table(folder: Path, name: str, columns: tuple[str, ...] = (),
               numbers: tuple[str, ...] = (), issues: Collection[str] | None = None
               ) -> pd.DataFrame:
    """A table of a complete results folder with the `columns` its reader needs, `numbers`
    among them holding numbers (or nothing) and, given `issues`, no other issue; otherwise an
    InputError saying how to rebuild it."""
    try:
        data = (folder / name).read_bytes()
        table = pd.read_csv(io.BytesIO(data))
        missing = [c for c in (*columns, *numbers) if c not in table.columns]
        if missing:
            raise ValueError(f"no column {', '.join(missing)}")
        # a table without rows (no run made a plurilateral deal) holds no text: pandas reads
        # its empty columns as text
        text = [c for c in numbers if len(table) and not pd.api.types.is_numeric_dtype(table[c])]
        if text:
            raise ValueError(f"text where numbers belong, in the column {', '.join(text)}")
        if issues is not None:
            unknown = sorted(set(table["issue"].astype(str)) - set(issues))
            if unknown:
                raise ValueError(f"issues the run did not have: {', '.join(unknown[:5])}")
        recorded = _recorded_digest(folder, name)
        if recorded is not None and hashlib.sha256(data).hexdigest() != recorded:
            raise ValueError("it is not the table the run wrote: cut short or edited since")
    except (OSError, ValueError) as exc:
        raise _damaged(folder, name, exc) from None
    return table


def _table_digests(folder: Path) -> dict[str, str]:
    """The SHA-256 of each CSV table in the folder, kept in run.json when the run completes, so
    that a table cut short or edited afterwards is told from the one the run wrote."""
    return {table.file: hashlib.sha256((folder / table.file).read_bytes()).hexdigest()
            for table in TABLES if table.file.endswith(".csv") and (folder / table.file).is_file()}


def _recorded_digest(folder: Path, name: str) -> str | None:
    """The digest run.json recorded for a table when the run completed; None for folders of
    an earlier mc11, or while the run is still writing its tables."""
    try:
        digest = json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("tables", {})
        return digest.get(name) if isinstance(digest, dict) else None
    except (OSError, ValueError, AttributeError):
        return None


def _damaged(folder: Path, name: str, exc: Exception) -> InputError:
    """The error of a results folder's table that is missing or cannot be used: why, and the
    command that rebuilds it (or that the folder is gone)."""
    if not folder.is_dir():  # a Results kept in a notebook after its folder was deleted
        return InputError(str(folder), "(folder)", f"the folder is gone (moved or deleted since "
                          f"it was read), so its {name} cannot be read; read the folder again "
                          "where it is now (load_results), or run its scenario again")
    reason = "no such file" if isinstance(exc, FileNotFoundError) else \
        getattr(exc, "strerror", None) or exc
    return InputError(str(folder / name), "(table)", f"the table is missing or damaged "
                      f"({reason}); `mc11 run --resume {shell_word(folder)}` rebuilds the "
                      "folder's tables from its chunks")

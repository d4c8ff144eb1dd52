"""Monte Carlo ensembles: many replications of a scenario, in chunks, on worker processes.

Replication i always gets the seed `SeedSequence(seed, spawn_key=(i,))` (the i-th child of the
master seed, as `SeedSequence(seed).spawn` gives it) and chunks always hold the same
replications, so the results are identical for any number of workers, and a resumed ensemble
equals one left alone. Each finished chunk is written to disk at once (atomically), so an
interruption loses only the chunks in flight. Within a chunk the replications run as batches of
one model (arrays with a leading replication axis); a replication's results do not depend on the
batch it runs in (tests/test_model.py), so neither the batch nor the chunk size changes them.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import warnings
import zipfile
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, make_dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numba
import numpy as np
import pandas as pd

from simulation.engine.machine_code import ENGINE, source_digest
from simulation.engine.negotiation import Negotiation
from simulation.engine.parameters import Parameters
from simulation.engine.varying import Values, take
from simulation.errors import InputError
from simulation.inputs import SEED_LIMIT
from simulation.inputs import priors as prior_draws
from simulation.inputs.priors import Prior
from simulation.inputs.scenario import Scenario, check_scenario
from simulation.outcomes import OUTCOME_LABELS, PLURILATERAL
from simulation.outputs import OUTPUT, OUTPUTS, Combine, Storage
from simulation.runs.workers import (
    WATCH_SECONDS,
    Background,
    check_workers,
    default_workers,
    end_quietly_when_stopped,
    end_workers,
    signals_ignored,
)

if TYPE_CHECKING:
    from simulation.engine.model import RunResult

CHUNK_SIZE = 50
BATCH_CELLS = 2_000_000  # floats of members x coalitions x issues a batch may span (~16 MB)
DRAW = "draw:"  # the prefix of a prior's draws, in chunk files and the outcomes table
AHEAD = 2  # chunks a worker may have waiting for it (`run_chunks`)


def _save(self, path: Path) -> None:
    """Write atomically (a temporary file renamed into place) as an .npz archive, each output
    stored as `simulation.outputs` declares it."""
    arrays = {"start": np.asarray(self.start)}
    for output in OUTPUTS:
        array = getattr(self, output.name)
        if output.storage is Storage.BITS:
            arrays[f"{output.name}.shape"] = np.asarray(array.shape)
            array = np.packbits(array.reshape(len(array), -1), axis=1)
        arrays[output.name] = array
    arrays.update({f"{DRAW}{path}": values for path, values in self.draws.items()})
    temporary = path.with_suffix(".tmp.npz")
    try:
        with zipfile.ZipFile(temporary, "w") as archive:
            for name, array in arrays.items():
                entry = zipfile.ZipInfo(f"{name}.npy")
                raw = name in OUTPUT and OUTPUT[name].storage is Storage.RAW
                entry.compress_type = zipfile.ZIP_STORED if raw else zipfile.ZIP_DEFLATED
                with archive.open(entry, "w") as file:
                    np.lib.format.write_array(file, array, allow_pickle=False)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)  # an interrupted write leaves no half file


def _load(cls, path: Path):
    """Read a chunk file written by `save`."""
    with np.load(path) as data:
        arrays = {}
        for output in OUTPUTS:
            array = data[output.name]
            if output.storage is Storage.BITS:
                shape = tuple(data[f"{output.name}.shape"].tolist())
                array = np.unpackbits(array, axis=1, count=int(np.prod(shape[1:])))
                array = array.astype(bool).reshape(shape)
            arrays[output.name] = array
        draws = {name.removeprefix(DRAW): data[name] for name in data.files
                 if name.startswith(DRAW)}
        return cls(start=int(data["start"]), **arrays, draws=draws)


def _from_result(cls, start: int, result: RunResult, draws: dict[str, np.ndarray] | None = None):
    """The chunk of replications start.. from their results, in the stored dtypes, with the
    values they drew from the scenario's priors."""
    return cls(start=start, **{o.name: getattr(result, o.name).astype(o.stored, copy=False)
                               for o in OUTPUTS}, draws=draws or {})


Chunk = make_dataclass(
    "Chunk", [("start", int), *((output.name, np.ndarray) for output in OUTPUTS),
              ("draws", dict, field(default_factory=dict))], frozen=True,
    namespace={"save": _save, "load": classmethod(_load), "from_result": classmethod(_from_result),
               "__len__": lambda self: len(self.outcome),
               "__doc__": "The compact results of consecutive replications [start, start + len): "
                          "one array per `simulation.outputs.OUTPUTS` entry, in its stored dtype."})


def _whole(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def check_count(value: int, name: str, option: str | None = None) -> None:
    """Refuse a count of runs or workers (`name`; its command-line `option`, by default
    --name) that is not a whole number of at least 1, as the command line does."""
    if not _whole(value) or value < 1:
        raise InputError(option or f"--{name}", name,
                         f"{value!r}; allowed: a whole number of at least 1")


def check_seed(seed: int) -> None:
    """Refuse a master seed the command line would: not a whole number from 0 to 2**63 - 1."""
    if not _whole(seed) or not 0 <= seed < SEED_LIMIT:
        raise InputError("--seed", "seed", f"{seed!r}; allowed: a whole number from 0 to 2**63 - 1")


def replication_seed(master_seed: int, replication: int) -> np.random.SeedSequence:
    """The seed of one replication: the `replication`-th child of the master seed."""
    return np.random.SeedSequence(master_seed, spawn_key=(replication,))


def runs_pair(first: tuple[int, int], other: tuple[int, int]) -> bool:
    """Whether two ensembles, each (master seed, runs), drew the same random numbers run by run
    (`replication_seed`): then their runs compare pair by pair (common random numbers)."""
    return first == other


def batch_size(negotiation: Negotiation) -> int:
    """Replications per model batch: as many as span BATCH_CELLS floats of members x coalitions
    x issues (the largest temporary of the coalition round when it was numpy; its compiled loops
    now work one replication at a time, so the bound is on the safe side). The batch changes no
    result, only memory and speed."""
    n, k = negotiation.shape
    return max(1, BATCH_CELLS // (n * k * max(1, len(negotiation.coalitions))))


def run_replications(
    negotiation: Negotiation, parameters: Parameters, seeds: list[np.random.SeedSequence],
    values: Values | None = None,
) -> RunResult:
    """One replication per seed, in model batches sized by `batch_size`, with `values` giving
    constants one value per replication (`engine.varying`). A replication's results do not
    depend on its batch, so neither does anything else."""
    # imported here, not on top: reading a results folder (`mc11 plot`, the dashboard) needs
    # this module but not the model, and Mesa with its dependencies takes ~0.6 s to import
    from simulation.engine.model import NegotiationModel, RunResult

    size, values = batch_size(negotiation), values or {}
    batches = [NegotiationModel(negotiation, parameters, seeds=seeds[i : i + size],
                                values=take(values, slice(i, i + size))).run()
               for i in range(0, len(seeds), size)]
    return batches[0] if len(batches) == 1 else RunResult.concatenate(batches)


def compile_rules(negotiation: Negotiation, parameters: Parameters,
                  priors: Mapping[str, Prior] | None = None) -> None:
    """Run one throw-away replication, with draws from the `priors` if any, as the runs that
    follow draw them (constants drawn per replication take other paths through the rules, such
    as preferences drawn around each replication's own derived values): numba compiles the
    rules on their first use in a process (or loads them from its cache), so what runs
    afterwards, here or in forked workers, is compiled code."""
    seeds = [np.random.SeedSequence(0)]
    run_replications(negotiation, parameters, seeds, prior_draws.draw(priors or {}, seeds))
    mark_rules_compiled()


def _compiled_stamps() -> list[Path]:
    """Where the stamp of compiled rules may be: beside numba's cache (the engine's folder of
    machine code, `engine.machine_code`), else the user's cache folder. Its name holds the hash
    of the engine's source and numba's version, which decide whether numba's cached machine code
    is still valid."""
    name = f"mc11-rules-compiled-{source_digest()}-numba-{numba.__version__}"
    beside_numba = Path(numba.config.CACHE_DIR) if numba.config.CACHE_DIR else \
        ENGINE / "__pycache__"
    return [beside_numba / name, Path.home() / ".cache" / "mc11-ecommerce-sim" / name]


def rules_need_compiling() -> bool:
    """Whether this is surely the first model run since the engine or numba changed (as after
    installing: compiling takes about 30 s). Reads our own stamp, written after a run, rather
    than numba's private cache index: if numba's cache is deleted but not the stamp, the
    notice is missing; the results never depend on it."""
    return not any(stamp.exists() for stamp in _compiled_stamps())


def mark_rules_compiled(speeds: Mapping[str, float] | None = None) -> None:
    """Leave the stamp that the rules ran (so numba cached them) in the first writable place;
    with `speeds` (`mc11 compile`'s measures, by rule variant), write them into it."""
    for stamp in _compiled_stamps():
        try:
            stamp.parent.mkdir(parents=True, exist_ok=True)
            if speeds is None:
                stamp.touch()
            else:
                stamp.write_text(json.dumps(dict(speeds), indent=1), encoding="utf-8")
            return
        except OSError:
            continue


def measured_speeds() -> dict[str, float]:
    """The speeds `mc11 compile` measured on this machine for the rules as they are now, by
    rule variant (replications a second a worker); empty if it has not, or if the stamp holding
    them is unreadable (the estimates then use the registered figures)."""
    for stamp in _compiled_stamps():
        if stamp.is_file():
            try:
                speeds = json.loads(stamp.read_text(encoding="utf-8") or "{}")
            except (OSError, ValueError):
                return {}
            if not isinstance(speeds, dict):
                return {}
            return {name: float(rate) for name, rate in speeds.items()
                    if isinstance(rate, int | float) and 0 < rate < float("inf")}
    return {}


def run_chunk(
    negotiation: Negotiation, parameters: Parameters, master_seed: int, start: int, stop: int,
    priors: Mapping[str, Prior] | None = None,
) -> Chunk:
    """Run replications start..stop-1, each with its own draws from the `priors`, and keep
    what the summary needs, compactly."""
    seeds = [replication_seed(master_seed, i) for i in range(start, stop)]
    draws = prior_draws.draw(priors or {}, seeds)
    return Chunk.from_result(start, run_replications(negotiation, parameters, seeds, draws),
                             draws)


_WORKER: dict[str, object] = {}


def _init_worker(negotiation: Negotiation, parameters: Parameters,
                 priors: Mapping[str, Prior] | None) -> None:
    """Worker start-up, paid once per worker: keep the negotiation's arrays. Ctrl-C and
    SIGTERM are the main process's to handle (it stops the pool and keeps what is finished);
    a worker just ends with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    end_quietly_when_stopped()
    _WORKER["negotiation"] = negotiation
    _WORKER["parameters"] = parameters
    _WORKER["priors"] = priors


def _run_in_worker(master_seed: int, start: int, stop: int) -> Chunk:
    return run_chunk(_WORKER["negotiation"], _WORKER["parameters"],  # type: ignore[arg-type]
                     master_seed, start, stop, _WORKER["priors"])  # type: ignore[arg-type]


def chunk_bounds(runs: int, chunk_size: int = CHUNK_SIZE) -> list[tuple[int, int]]:
    """The fixed partition of replications into chunks."""
    return [(start, min(start + chunk_size, runs)) for start in range(0, runs, chunk_size)]


def run_chunks(
    negotiation: Negotiation,
    parameters: Parameters,
    master_seed: int,
    bounds: list[tuple[int, int]],
    workers: int,
    priors: Mapping[str, Prior] | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> Iterator[Chunk]:
    """Yield finished chunks as they complete, on `workers` processes (1 = in this process),
    each replication with its draws from the `priors`.

    Tasks are submitted as workers free up, at most AHEAD per worker waiting at any time, so
    a run of any size holds only a few tasks and results in memory. `meanwhile`: work of this
    process once the workers have started (drawing what needs no results), on a thread so that
    the workers are kept busy, finished before the last chunk's iteration ends; given, a single
    chunk, too, runs on a worker, so that the two overlap on two cores."""
    if workers <= 1 or not bounds or (len(bounds) == 1 and meanwhile is None):
        for start, stop in bounds:
            yield run_chunk(negotiation, parameters, master_seed, start, stop, priors)
        return
    if len(bounds) > 1:  # here, once, instead of in every forked worker; one loads its own
        compile_rules(negotiation, parameters, priors)
    # fork: workers start at once with everything imported and compiled, and scripts and
    # notebooks need no `if __name__ == "__main__"` guard; the workers only run numpy and
    # numba-compiled code, so the threads of the parent (BLAS, progress bar) that Python warns
    # about hold no lock the workers need.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    todo = iter(bounds)
    pending: set = set()
    workers = min(workers, len(bounds))  # no idle worker forked
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method),
                               initializer=_init_worker, initargs=(negotiation, parameters, priors))

    def submit_more() -> None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
            while len(pending) < workers * AHEAD:
                bound = next(todo, None)
                if bound is None:
                    return
                pending.add(pool.submit(_run_in_worker, master_seed, *bound))

    finished = False
    background = None
    try:
        submit_more()
        if meanwhile is not None:  # after the first submit: the pool has forked every worker
            background = Background(meanwhile)
        while pending:
            done, _ = wait(pending, timeout=WATCH_SECONDS, return_when=FIRST_COMPLETED)
            if not done:
                check_workers(pool)  # one killed while sending its chunk hangs the pool
                continue
            pending.difference_update(done)
            submit_more()
            for future in done:
                yield future.result()
        if background is not None:
            background.result()
        finished = True
    finally:
        # a second Ctrl-C (an impatient user) broke the pool's shutdown and left mc11 hanging
        with signals_ignored(signal.SIGINT, signal.SIGTERM):
            if not finished:  # stopped: the chunks in progress would be dropped anyway
                end_workers(pool)
            pool.shutdown(wait=True, cancel_futures=True)
            if background is not None:  # no file of it is still being written after a stop
                background.wait()


@dataclass(frozen=True)
class EnsembleResult:
    """The per-run outcomes table and, for each per-period output (`Combine.SPREAD`), its array
    over runs (runs, periods, ...), read as attributes (`result.support`)."""

    outcomes: pd.DataFrame
    periods: dict[str, np.ndarray]
    negotiation: Negotiation

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.__dict__["periods"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:  # the default shows every array and the negotiation's data
        runs = self.outcomes["run"].nunique()
        return (f"<EnsembleResult: {runs} runs x {len(self.negotiation.issues)} issues; "
                f"outcomes, {', '.join(self.periods)}>")


def member_lists(flags: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """(runs, n, k) flags -> one ';'-joined string of member codes per run x issue, joined once
    per distinct set of members (far fewer than rows: the same sets recur)."""
    runs, _, k = flags.shape
    moved = np.moveaxis(flags, 1, 2).reshape(runs * k, -1)
    packed = np.ascontiguousarray(np.packbits(moved, axis=1))
    sets, which = np.unique(packed.view(np.dtype((np.void, packed.shape[1]))).ravel(),
                            return_inverse=True)
    members = np.unpackbits(sets.view(np.uint8).reshape(len(sets), packed.shape[1]), axis=1,
                            count=moved.shape[1]).astype(bool)
    return np.array([";".join(codes[row]) for row in members], dtype=object)[which.ravel()]


def outcome_rows(chunks: list, negotiation: Negotiation) -> pd.DataFrame:
    """The long outcomes table (one row per run x issue) of chunks given in replication order:
    one column per `Combine.ROWS` or `Combine.MEMBER_LIST` output."""
    stacked = {o.name: np.concatenate([getattr(c, o.name) for c in chunks]) for o in OUTPUTS
               if o.combine is not Combine.SPREAD}
    draws = {path: np.concatenate([c.draws[path] for c in chunks])
             for path in (chunks[0].draws if chunks else ())}
    return outcome_frame(stacked, negotiation, chunks[0].start if chunks else 0, draws)


def outcome_frame(stacked: dict[str, np.ndarray], negotiation: Negotiation,
                  start: int = 0, draws: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """The outcomes table of runs start.. from their stacked outputs and their draws from the
    priors; a member-list output missing from `stacked` gives an empty list (for statistics that
    count members elsewhere)."""
    outcome = stacked["outcome"]
    runs, k = outcome.shape
    codes = np.array(negotiation.members, dtype=object)
    columns = {"run": np.repeat(np.arange(start, start + runs), k),
               "issue": np.tile(np.array(negotiation.issues, dtype=object), runs)}
    for output in OUTPUTS:
        if output.combine is Combine.MEMBER_LIST:
            columns[output.name] = (member_lists(stacked[output.name], codes)
                                    if output.name in stacked else "")
        elif output.combine is Combine.ROWS:
            columns[output.name] = _COLUMNS.get(output.name, _plain)(stacked[output.name],
                                                                       outcome)
    for path, values in (draws or {}).items():  # each run's draws, on each of its rows
        columns[f"{DRAW}{path}"] = np.repeat(values, k)
    return pd.DataFrame(columns)


def _plain(values: np.ndarray, outcome: np.ndarray) -> np.ndarray:
    return values.reshape(-1)


def deal_coverage(coverage: np.ndarray, outcome: np.ndarray) -> np.ndarray:
    """The coverage a run reports: the plurilateral deal's where one was struck, else NaN (the
    engine also keeps the best coverage short of critical mass, and 1 for consensus)."""
    return np.where(outcome == PLURILATERAL, coverage, np.nan)


_COLUMNS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    # the verdict as its label; coverage only where a plurilateral deal was struck
    "outcome": lambda values, outcome: np.vectorize(OUTCOME_LABELS.get, otypes=[object])(
        values).reshape(-1),
    "coverage": lambda values, outcome: deal_coverage(values, outcome).reshape(-1),
}


def combine(chunks: list, negotiation: Negotiation) -> EnsembleResult:
    """Stack chunks in replication order into the long outcomes table and per-period arrays."""
    chunks = sorted(chunks, key=lambda c: c.start)
    return EnsembleResult(
        outcomes=outcome_rows(chunks, negotiation),
        periods={o.name: np.concatenate([getattr(c, o.name) for c in chunks]) for o in OUTPUTS
                 if o.combine is Combine.SPREAD},
        negotiation=negotiation,
    )


def run_ensemble(
    scenario: Scenario,
    runs: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    chunk_size: int = CHUNK_SIZE,
    on_chunk: Callable[[Chunk], None] | None = None,
) -> EnsembleResult:
    """Run a scenario's ensemble in memory (the notebook API); `on_chunk` sees each chunk.
    `runs` and `seed` default to the scenario's, `workers` to one per core."""
    check_scenario(scenario, "run_ensemble")
    runs = runs if runs is not None else scenario.spec.replications
    seed = seed if seed is not None else scenario.spec.seed
    check_count(runs, "runs")
    check_seed(seed)
    if workers is not None:
        check_count(workers, "workers")
    check_count(chunk_size, "chunk_size", "chunk_size")  # no option: run_ensemble's argument
    if on_chunk is not None and not callable(on_chunk):
        raise TypeError(f"run_ensemble's on_chunk takes a function of one chunk (or None), not "
                        f"{type(on_chunk).__name__} {on_chunk!r:.60}")
    negotiation = scenario.negotiation()
    chunks = []
    bounds = chunk_bounds(runs, chunk_size)
    for chunk in run_chunks(negotiation, scenario.spec.parameters, seed, bounds,
                            default_workers(workers), scenario.priors):
        chunks.append(chunk)
        if on_chunk is not None:
            on_chunk(chunk)
    return combine(chunks, negotiation)

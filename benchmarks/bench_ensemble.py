"""Benchmark the ensemble engine: throughput, scaling with workers and size, memory.

Run from the repository root:

    python benchmarks/bench_ensemble.py            # full (about 3-4 minutes on 2 cores)
    python benchmarks/bench_ensemble.py --quick    # smaller counts (about 80 seconds)
    python benchmarks/bench_ensemble.py --profile  # cProfile of 100 baseline replications only
    python benchmarks/bench_ensemble.py --protocols  # section (b) only: the other protocols

Everything is measured in one process and one invocation, so the rows compare with each other;
absolute figures depend on the machine and on whatever else runs on it. The table is printed and
written as JSON to results/benchmarks/bench-<timestamp>.json. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import io
import itertools
import json
import os
import platform
import pstats
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mesa
import numba
import numpy as np

from simulation.engine import exchange, protocols
from simulation.engine import reference as ref
from simulation.engine.negotiation import Negotiation
from simulation.engine.parameters import Parameters
from simulation.engine.protocols import exchange as exchange_protocol
from simulation.inputs.calendar import load_calendar
from simulation.inputs.scenario import load_scenario

# Imported at the top, as under the `mc11` CLI, so forked pool workers start with them loaded.
# (Python 3.12's forkserver would not preload __main__'s imports: see README.)
from simulation.report.tables import write_report
from simulation.runs import compiling, results
from simulation.runs.ensemble import (
    CHUNK_SIZE,
    chunk_bounds,
    compile_rules,
    replication_seed,
    run_chunk,
    run_chunks,
    run_replications,
)

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "results" / "benchmarks"
BASELINE = ROOT / "scenarios" / "baseline.yaml"
EXCHANGE = ROOT / "scenarios" / "exchange_protocol.yaml"
CHALLENGE = ROOT / "scenarios" / "challenge_protocol.yaml"
# (b): (label, scenario, bargaining settings changed, COUNTS key)
PROTOCOL_CASES = (
    ("compromise protocol (the baseline)", BASELINE, {}, "compromise"),
    ("exchange protocol, rule once", EXCHANGE, {"exchange_rule": "once"}, "exchange_once"),
    ("exchange protocol, rule reference", EXCHANGE, {"exchange_rule": "reference"},
     "exchange_reference"),
    ("exchange protocol, rule reference, numpy", EXCHANGE, {"exchange_rule": "reference"},
     "exchange_reference_numpy"),
    ("challenge protocol", CHALLENGE, {}, "challenge"),
)
GROWTH_MEMBERS = (164, 500, 1000)
GROWTH_ISSUES = (20, 50, 100)

# Run counts per section: (full, --quick).
COUNTS = {
    "ensemble": (2_000, 200),  # (a) baseline, compromise protocol: long enough to amortise
    "unbatched": (400, 100),  # (a) the same, one replication per model (slow: fewer runs)
    "exchange_once": (100, 20),  # (b) exchange protocol, rule once (x2 on all cores)
    "exchange_reference": (20, 4),  # (b) exchange protocol, rule reference (x2 on all cores)
    # (b) the same with the numpy statement of the rule instead of the compiled round (about
    # 12 s a replication): 1 worker only, for the CPU-time ratio compiled / numpy in this run
    "exchange_reference_numpy": (1, 1),
    "challenge": (100, 20),  # (b) challenge protocol (x2 on all cores)
    "compromise": (1_000, 200),  # (b) the same rows for the baseline, for the ratios
    "reference": (10, 5),  # (c) reference engine, on the first seeds of (a)
    "growth": (10, 4),  # (d) per synthetic size (one batch), plus a traced batch for memory
}
STREAM_RUNS = ((1_000, 10_000), (1_000,))  # (e) full, --quick


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cores": os.cpu_count(), "usable_cores": usable_cores(), "cpu": cpu,
        "python": platform.python_version(), "numpy": np.__version__, "mesa": mesa.__version__,
        "numba": numba.__version__,
        "platform": platform.platform(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def _row(section: str, case: str, runs: int, workers: int | None, seconds: float,
         **extra: Any) -> dict[str, Any]:
    return {"section": section, "case": case, "runs": runs, "workers": workers,
            "seconds": seconds, "runs_per_s": runs / seconds if seconds > 0 else None, **extra}


# --- (0): compiling the rules -----------------------------------------------------------------


def compile_child() -> float:
    """In a fresh process: seconds of a first baseline replication, which compiles the rules or
    loads them from numba's cache."""
    scenario = load_scenario(BASELINE)
    start = time.perf_counter()
    compile_rules(scenario.negotiation(), scenario.spec.parameters)
    return time.perf_counter() - start


def bench_compile() -> list[dict[str, Any]]:
    """The one-time cost of the compiled rules, with an empty numba cache (a fresh install) and
    then with the cache that run wrote, each in a fresh process; the user's cache is untouched."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="mc11-numba-") as cache:
        for case in ("first run after install: compile the rules",
                     "later runs: load them from numba's cache"):
            done = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--compile-child"],
                check=True, capture_output=True, text=True, cwd=ROOT,
                env={**os.environ, "NUMBA_CACHE_DIR": cache},
            )
            seconds = float(done.stdout.strip().splitlines()[-1])
            rows.append(_row("0 compile", case, 1, 1, seconds,
                             note="one replication in a fresh process, after imports"))
    return rows


# --- (a), (b): ensembles through runs.ensemble ------------------------------------------


def time_ensemble(negotiation, parameters, seed: int, runs: int, workers: int,
                  chunk_size: int) -> tuple[float, list]:
    """Wall time of `run_chunks` over `runs` replications, and the chunks in replication order."""

    start = time.perf_counter()
    chunks = list(run_chunks(negotiation, parameters, seed, chunk_bounds(runs, chunk_size),
                             workers))
    return time.perf_counter() - start, sorted(chunks, key=lambda c: c.start)


def bench_ensembles(quick: bool, cores: int) -> list[dict[str, Any]]:
    pick = 1 if quick else 0
    rows = []
    baseline = load_scenario(BASELINE)
    negotiation, parameters, seed = baseline.negotiation(), baseline.spec.parameters, \
        baseline.spec.seed
    n, k = negotiation.shape
    runs = COUNTS["ensemble"][pick]
    case = f"baseline compromise ({n} actors x {k} issues)"
    compile_rules(negotiation, parameters)  # before timing the compiled rules
    one_worker, _ = time_ensemble(negotiation, parameters, seed, runs, 1, CHUNK_SIZE)
    rows.append(_row("a ensemble", case, runs, 1, one_worker))
    alone = COUNTS["unbatched"][pick]
    unbatched, _ = time_ensemble(negotiation, parameters, seed, alone, 1, chunk_size=1)
    rows.append(_row("a ensemble", "same, one replication per model (no batch)", alone, 1,
                     unbatched, note=f"batches of {CHUNK_SIZE} are "
                                     f"{(runs / one_worker) / (alone / unbatched):.2f}x faster"))

    def pool_overhead(label: str) -> None:
        # One replication per worker: what exceeds one replication's time is the pool's start-up
        # (start method, imports, sending the negotiation) and its shutdown.
        seconds, _ = time_ensemble(negotiation, parameters, seed, cores, cores, chunk_size=1)
        overhead = seconds - one_worker / runs
        rows.append(_row("a ensemble", f"pool start-up+shutdown, {label}", cores, cores, seconds,
                         note=f"about {overhead:.1f} s more than one replication",
                         pool_overhead_seconds=overhead))

    if cores > 1:
        pool_overhead("first pool")  # pays for starting a forkserver, once per process
        seconds, _ = time_ensemble(negotiation, parameters, seed, runs, cores, CHUNK_SIZE)
        rows.append(_row("a ensemble", case, runs, cores, seconds,
                         note=f"speed-up over 1 worker {one_worker / seconds:.2f}x"))
        pool_overhead("later pools")
    rows += bench_protocols(quick, cores, negotiation)
    return rows


def bench_protocols(quick: bool, cores: int, negotiation) -> list[dict[str, Any]]:
    """(b) the baseline's data under the other bargaining protocols, on 1 worker and all cores."""
    pick = 1 if quick else 0
    rows = []
    cpu_of: dict[str, float] = {}
    for label, path, update, key in PROTOCOL_CASES:
        scenario = load_scenario(path)
        bargaining = scenario.spec.parameters.bargaining.model_copy(update=update)
        parameters = scenario.spec.parameters.model_copy(update={"bargaining": bargaining})
        compile_rules(negotiation, parameters)
        numpy_rule = key == "exchange_reference_numpy"
        for workers in (1,) if cores == 1 or numpy_rule else (1, cores):
            runs = COUNTS[key][pick] * (1 if workers == 1 else 2)
            chunk = max(1, runs // (4 * workers))
            cpu = time.process_time()
            with numpy_reference_rule() if numpy_rule else contextlib.nullcontext():
                seconds, _ = time_ensemble(negotiation, parameters, scenario.spec.seed, runs,
                                           workers, chunk_size=chunk)
            cpu = (time.process_time() - cpu) / runs
            # on 1 worker the replications run in this process: its CPU time is theirs, a
            # figure a machine shared with other jobs does not inflate as it does wall time
            note = f"{seconds / runs:.2f} s a replication, chunks of {chunk}" + (
                f"; CPU {cpu:.4f} s a replication" if workers == 1 else "")
            if workers == cores and not numpy_rule:  # what the estimate before a run assumes
                registered, _ = protocols.runs_per_second(
                    bargaining, len(negotiation.members), len(negotiation.issues),
                    len(negotiation.calendar))
                here = compiling.measured_rate(bargaining)
                note += (f"; {runs / seconds / workers:.3g} runs/s a worker, registered "
                         f"{registered:g}" + ("" if here is None else
                                              f", measured by mc11 compile {here:.3g}"))
            if workers == 1:
                cpu_of[key] = cpu
            if numpy_rule and "exchange_reference" in cpu_of:
                note += f"; compiled is {cpu / cpu_of['exchange_reference']:.0f}x faster (CPU)"
            rows.append(_row("b protocols", label, runs, workers, seconds, note=note,
                             **({"cpu_seconds_per_run": cpu} if workers == 1 else {})))
    return rows


@contextlib.contextmanager
def numpy_reference_rule() -> Iterator[None]:
    """Within: the exchange protocol runs rule reference with its numpy statement
    (`exchange.exchange_round`) instead of the compiled round, in this process."""
    compiled = exchange_protocol.ROUNDS["reference"]
    exchange_protocol.ROUNDS["reference"] = functools.partial(exchange.exchange_round,
                                                              rule="reference")
    try:
        yield
    finally:
        exchange_protocol.ROUNDS["reference"] = compiled


# --- (c): fast engine against the reference implementation ----------------------------------


def bench_reference(quick: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    scenario = load_scenario(BASELINE)
    negotiation, parameters, seed = scenario.negotiation(), scenario.spec.parameters, \
        scenario.spec.seed
    runs = COUNTS["reference"][1 if quick else 0]

    seeds = [replication_seed(seed, i) for i in range(runs)]
    start = time.perf_counter()
    fast = run_replications(negotiation, parameters, seeds)
    fast_seconds = time.perf_counter() - start
    start = time.perf_counter()
    slow = [ref.run_replication(negotiation, parameters, s) for s in seeds]
    slow_seconds = time.perf_counter() - start
    problems = {i: ref.differences(fast, s, i) for i, s in enumerate(slow)}
    problems = {i: p for i, p in problems.items() if p}
    verdict = "agree" if not problems else f"DISAGREE on {len(problems)} of {runs} seeds"
    ratio = slow_seconds / fast_seconds
    rows = [
        _row("c reference", "fast engine, same seeds (one batch)", runs, 1, fast_seconds,
             note=verdict),
        _row("c reference", "reference engine (plain loops)", runs, 1, slow_seconds,
             note=f"fast/reference = {ratio:.1f}x"),
    ]
    return rows, {"seeds": runs, "agree": not problems, "ratio_fast_over_reference": ratio,
                  "differences": {str(i): p for i, p in problems.items()}}


# --- (d): growth with members and issues ------------------------------------------------------


def synthetic_negotiation(members: int, issues: int, seed: int = 0):
    """A random negotiation of the given size on the shipped calendar with 6 coalitions (5
    proposal coalitions, 1 bloc); capability from a Pareto draw, normalised to 1."""

    rng = np.random.default_rng(seed)
    capability = rng.pareto(1.16, members) + 1.0  # the "80/20" tail of trade shares
    founders = np.zeros((members, 6), dtype=bool)
    for coalition in range(5):
        founders[rng.choice(members, max(2, members // 12), replace=False), coalition] = True
    founders[rng.choice(members, int(0.3 * members), replace=False), 5] = True
    return Negotiation(
        members=tuple(f"M{i:04d}" for i in range(members)),
        issues=tuple(f"I{j:03d}" for j in range(issues)),
        positions=rng.uniform(0.0, 100.0, (members, issues)),
        saliences=rng.uniform(0.05, 1.0, (members, issues)),
        position_sd=np.full((members, issues), 8.0),
        salience_sd=np.full((members, issues), 0.1),
        capability=capability / capability.sum(),
        status_quo=np.where(rng.random(issues) < 0.8, 0.0, 50.0),
        new_discipline=rng.random(issues) < 0.7,
        doha_linked=rng.random(members) < 0.3,
        coalitions=tuple(f"C{c}" for c in range(6)),
        founders=founders,
        bloc=np.array([False] * 5 + [True]),
        calendar=load_calendar(),
    )


def bench_growth(quick: bool) -> list[dict[str, Any]]:

    runs = COUNTS["growth"][1 if quick else 0]
    parameters = Parameters()
    rows = []
    for members, issues in itertools.product(GROWTH_MEMBERS, GROWTH_ISSUES):
        negotiation = synthetic_negotiation(members, issues)
        seeds = [replication_seed(0, i) for i in range(runs)]
        start = time.perf_counter()
        run_replications(negotiation, parameters, seeds)
        seconds = time.perf_counter() - start
        tracemalloc.start()
        tracemalloc.reset_peak()
        run_replications(negotiation, parameters, seeds)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows.append(_row("d growth", f"synthetic {members} members x {issues} issues", runs, 1,
                         seconds, memory_mb=peak / 2**20,
                         memory="tracemalloc peak of the same runs"))
    return rows


# --- (e): streamed ensembles in a fresh process ---------------------------------------------


def _descendants(root: int) -> list[int]:
    """Process ids below `root` (workers, a forkserver), from /proc; empty if there is none."""
    parents: dict[int, list[int]] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry.name))
    found, frontier = [], [root]
    while frontier:
        children = parents.get(frontier.pop(), [])
        found.extend(children)
        frontier.extend(children)
    return found


def _kib(pid: int | str, path: str, field: str) -> float | None:
    """A `field:  N kB` line of /proc/<pid>/<path>, in KiB; None if unreadable."""
    try:
        text = Path(f"/proc/{pid}/{path}").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1])
    return None


class PeakWatcher(threading.Thread):
    """Polls this process and its descendants: each worker's peak RSS (VmHWM; pool workers are
    not always our children, as when a forkserver forks them, so RUSAGE_CHILDREN can miss
    them), and the peak of the whole job's proportional set size (PSS: the memory the job
    occupies, each page shared between processes, as forked workers share theirs with the
    parent, counted once)."""

    def __init__(self, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peaks: dict[int, float] = {}
        self.job_peak = 0.0  # MiB
        self.halt = threading.Event()

    def poll(self) -> None:
        job = _kib("self", "smaps_rollup", "Pss") or 0.0
        for pid in _descendants(os.getpid()):
            peak, pss = _kib(pid, "status", "VmHWM"), _kib(pid, "smaps_rollup", "Pss")
            if peak is not None:
                self.peaks[pid] = max(self.peaks.get(pid, 0.0), peak / 1024)
            job += pss or 0.0
        self.job_peak = max(self.job_peak, job / 1024)

    def run(self) -> None:
        while not self.halt.wait(self.interval):
            self.poll()

    def stop(self) -> tuple[float, float]:
        """The largest worker peak RSS and the job's peak PSS, in MiB."""
        self.halt.set()
        self.join()
        return max(self.peaks.values(), default=0.0), self.job_peak


def stream_child(runs: int, workers: int) -> dict[str, Any]:
    """In a fresh process: a results folder of `runs` baseline replications, streamed to disk."""

    scenario = load_scenario(BASELINE)
    tables = {"seconds": 0.0}

    def timed_report(*args) -> None:
        start = time.perf_counter()
        write_report(*args, workers=workers)  # the tables and figures of `mc11 run --plots`
        tables["seconds"] += time.perf_counter() - start

    with tempfile.TemporaryDirectory(prefix="mc11-bench-") as tmp:
        run = results.start_run(scenario, runs, scenario.spec.seed, None, Path(tmp))
        watcher = PeakWatcher()
        watcher.start()
        start = time.perf_counter()
        results.execute(run, workers, progress=False, finish=timed_report)
        seconds = time.perf_counter() - start
        polled, job = watcher.stop()
        chunk_bytes = sum(p.stat().st_size for p in run.chunk_dir.iterdir())
    kib = 1 if sys.platform != "darwin" else 1 / 1024  # ru_maxrss: KiB on Linux, bytes on macOS
    # this process's own peak: Linux keeps ru_maxrss across fork and exec, so RUSAGE_SELF would
    # report the benchmark parent's peak when that is larger; VmHWM starts afresh with exec
    own_peak = _kib("self", "status", "VmHWM")
    return {
        "seconds": seconds, "tables_seconds": tables["seconds"],
        "peak_rss_main_mb": (own_peak / 1024 if own_peak is not None else
                             resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * kib / 1024),
        "peak_rss_workers_mb": max(polled, resource.getrusage(resource.RUSAGE_CHILDREN)
                                   .ru_maxrss * kib / 1024),
        "peak_pss_job_mb": job,
        "chunks_mb": chunk_bytes / 2**20,
    }


def bench_stream(quick: bool, cores: int) -> list[dict[str, Any]]:
    rows = []
    for runs in STREAM_RUNS[1 if quick else 0]:
        done = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--stream-child", str(runs),
             "--workers", str(cores)],
            check=True, capture_output=True, text=True, cwd=ROOT,
        )
        child = json.loads(done.stdout.strip().splitlines()[-1])
        seconds = child.pop("seconds")
        ensemble = seconds - child["tables_seconds"]
        rows.append(_row(
            "e streamed", f"{runs:,} baseline runs to disk (execute)", runs, cores,
            seconds, **child,
            ensemble_runs_per_s=runs / ensemble if ensemble > 0 else None,
            # sampling can miss a short peak of the main process, which its own peak RSS cannot
            memory_mb=max(child["peak_pss_job_mb"], child["peak_rss_main_mb"]),
            memory=f"whole job (PSS, sampled every 0.25 s) {child['peak_pss_job_mb']:.0f} MB; "
                   f"peak RSS main {child['peak_rss_main_mb']:.0f} MB, "
                   f"worker {child['peak_rss_workers_mb']:.0f} MB",
            note=f"tables+plots {child['tables_seconds']:.1f} s; ensemble only "
                 f"{runs / ensemble:.1f} runs/s; chunks {child['chunks_mb']:.1f} MB",
        ))
    return rows


# --- (f): a 10-million-run request, watched for a minute and interrupted ---------------------

HUGE_RUNS = 10_000_000


def bench_huge_request(quick: bool, cores: int) -> list[dict[str, Any]]:
    """`mc11 run --runs 10000000 --yes` as a user starts it, output to a pipe: when the first
    progress line comes, the main process's memory (VmRSS polled, VmHWM at the end) over a
    minute (20 s with --quick), then Ctrl-C: the exit code, the status and the resume hint."""
    watch = 20.0 if quick else 60.0
    with tempfile.TemporaryDirectory(prefix="mc11-bench-huge-") as tmp:
        folder = Path(tmp) / "huge"
        start = time.perf_counter()
        with sigint_heard():
            process = subprocess.Popen(
                [str(Path(sys.executable).with_name("mc11")), "run", str(BASELINE), "--runs",
                 str(HUGE_RUNS), "--yes", "--no-plots", "--workers", str(cores), "--folder",
                 str(folder)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                cwd=ROOT)
        lines: list[tuple[float, str]] = []
        reader = threading.Thread(target=lambda: lines.extend(
            (time.perf_counter() - start, line.rstrip()) for line in process.stderr),
            daemon=True)
        reader.start()
        rss = []
        while time.perf_counter() - start < watch and process.poll() is None:
            value = _kib(process.pid, "status", "VmRSS")
            if value is not None:
                rss.append(value / 1024)
            time.sleep(0.25)
        peak = (_kib(process.pid, "status", "VmHWM") or 0.0) / 1024
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:  # it must stop; its folder goes with the temporary one
            process.kill()
            process.wait()
            raise RuntimeError("mc11 run did not stop within 120 s of Ctrl-C (SIGINT)") from None
        reader.join(timeout=10)
        manifest = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        runs_done = len(list((folder / "chunks").glob("chunk-????????.npz"))) * CHUNK_SIZE
    first = next((t for t, line in lines if "/10,000,000 runs (" in line), None)
    estimate = next((line for _, line in lines if "take about" in line), "")
    hint = any("--resume" in line for _, line in lines)
    return [_row(
        "f huge request", f"{HUGE_RUNS:,}-run request, watched {watch:.0f} s, then Ctrl-C",
        runs_done, cores, watch, first_progress_s=first, peak_rss_main_mb=max(peak, *rss),
        rss_main_last_mb=rss[-1] if rss else None, exit_code=process.returncode,
        status=manifest["status"], resume_hint=hint,
        memory_mb=max(peak, *rss),
        memory=f"main process peak RSS {max(peak, *rss):.0f} MB (last sample "
               f"{rss[-1] if rss else float('nan'):.0f} MB)",
        note=f"first progress line after {first:.1f} s; {estimate.removeprefix('mc11: ')} "
             f"exit {process.returncode}, status {manifest['status']}, resume hint "
             f"{'given' if hint else 'MISSING'}" if first is not None else "no progress line",
    )]


@contextlib.contextmanager
def sigint_heard() -> Iterator[None]:
    """Within: a process started hears Ctrl-C (SIGINT), even if this one ignores it, as a
    process started in the background of a script does (an ignored signal stays ignored
    across exec; a handled one is reset to its default)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# --- profile ----------------------------------------------------------------------------------


def profile_replication(runs: int = 2 * CHUNK_SIZE, top: int = 25) -> str:
    """cProfile of baseline replications in ensemble chunks (after a warm-up), by own time and
    cumulative; divide by `runs` for one replication."""

    scenario = load_scenario(BASELINE)
    negotiation, parameters, seed = scenario.negotiation(), scenario.spec.parameters, \
        scenario.spec.seed
    run_chunk(negotiation, parameters, seed, 0, 2)
    profiler = cProfile.Profile()
    profiler.enable()
    for start, stop in chunk_bounds(runs):
        run_chunk(negotiation, parameters, seed, start, stop)
    profiler.disable()
    out = io.StringIO()
    out.write(f"cProfile of {runs} baseline replications (divide times by {runs} for one)\n")
    for order in ("tottime", "cumulative"):
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(top)
    return out.getvalue()


# --- report -----------------------------------------------------------------------------------


def format_table(rows: list[dict[str, Any]]) -> str:
    header = f"{'section':<12} {'case':<46} {'runs':>6} {'wk':>3} {'seconds':>8} {'runs/s':>8} " \
             f"{'peak MB':>8}  note"
    lines = [header, "-" * len(header)]
    for row in rows:
        rate = f"{row['runs_per_s']:.2f}" if row.get("runs_per_s") else "-"
        memory = f"{row['memory_mb']:.1f}" if row.get("memory_mb") is not None else "-"
        note = "; ".join(x for x in (row.get("memory"), row.get("note")) if x)
        lines.append(f"{row['section']:<12} {row['case']:<46} {row['runs']:>6} "
                     f"{row['workers'] or '-':>3} {row['seconds']:>8.2f} {rate:>8} {memory:>8}"
                     f"  {note}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts, about 80 seconds")
    parser.add_argument("--profile", action="store_true",
                        help="only print a cProfile of 100 baseline replications")
    parser.add_argument("--protocols", action="store_true",
                        help="only section (b): the baseline under the other protocols")
    parser.add_argument("--huge", action="store_true",
                        help="only section (f): a 10-million-run request, watched and stopped")
    parser.add_argument("--stream-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--compile-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stream_child:
        print(json.dumps(stream_child(args.stream_child, args.workers or usable_cores())))
        return 0
    if args.compile_child:
        print(compile_child())
        return 0
    if args.profile:
        print(profile_replication())
        return 0

    cores = usable_cores()
    info = machine()
    started = datetime.now(UTC)
    print(f"mc11 ensemble benchmark {'(quick) ' if args.quick else ''}"
          f"{started.isoformat(timespec='seconds')}")
    print(f"machine: {info['cores']} cores ({info['usable_cores']} usable), {info['cpu']}; "
          f"Python {info['python']}, numpy {info['numpy']}, numba {info['numba']}, "
          f"mesa {info['mesa']}; "
          f"load average {info['load_average']}")
    print("figures are measured in this one run on this machine: compare rows, not machines\n",
          flush=True)
    clock = time.perf_counter()
    rows: list[dict[str, Any]] = []
    sections = [("b", lambda: bench_protocols(args.quick, cores, load_scenario(BASELINE)
                                              .negotiation()))] if args.protocols else [
        ("f", lambda: bench_huge_request(args.quick, cores))] if args.huge else [
        ("0", bench_compile),
        ("a+b", lambda: bench_ensembles(args.quick, cores)),
        ("c", lambda: bench_reference(args.quick)),
        ("d", lambda: bench_growth(args.quick)),
        ("e", lambda: bench_stream(args.quick, cores)),
        ("f", lambda: bench_huge_request(args.quick, cores)),
    ]
    oracle: dict[str, Any] = {}
    failed = ""
    for name, section in sections:
        section_start = time.perf_counter()
        try:
            produced = section()
        except Exception as error:  # the sections measured so far are still printed and kept
            failed = f"section {name} failed: {type(error).__name__}: {error}"
            print(f"  {failed}", file=sys.stderr, flush=True)
            break
        if name == "c":
            produced, oracle = produced
        rows.extend(produced)
        print(f"  section {name} done in {time.perf_counter() - section_start:.0f} s",
              file=sys.stderr, flush=True)
    total = time.perf_counter() - clock
    info["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    print(format_table(rows))
    if oracle:
        print(f"\nfast engine vs reference on {oracle['seeds']} seeds: "
              f"{'agree' if oracle['agree'] else 'DISAGREE'}; fast/reference = "
              f"{oracle['ratio_fast_over_reference']:.1f}x")
    print(f"total {total:.0f} s")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"bench-{started.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps({
        "started": started.isoformat(timespec="seconds"), "quick": args.quick,
        "machine": info, "total_seconds": total, "rows": rows, "oracle": oracle,
        "table": format_table(rows), **({"failed": failed} if failed else {}),
    }, indent=1) + "\n", encoding="utf-8")
    print(f"written to {path.relative_to(ROOT)}")
    if failed:
        print(f"incomplete: {failed}", file=sys.stderr)
    return 0 if oracle.get("agree", True) and not failed else 1


if __name__ == "__main__":
    sys.exit(main())

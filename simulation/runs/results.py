"""Results folders: run an ensemble into `results/<scenario>-<timestamp>/`, resume it, read it back.

A folder holds `run.json` (scenario name, package version, seed, runs, input hash, status), the
resolved `scenario.yaml`, the `preferences.csv` used, `chunks/` (finished replications, written
atomically), and once complete the tables of `simulation.outputs.TABLES` and `plots/`. Nothing
existing is overwritten: a new run gets a new folder, and `--resume` only adds the missing chunks.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from tqdm import tqdm

from simulation import __version__
from simulation.errors import InputError
from simulation.inputs.scenario import Scenario, scenario_from_mapping
from simulation.runs.ensemble import (
    CHUNK_SIZE,
    Chunk,
    EnsembleResult,
    chunk_bounds,
    combine,
    run_chunks,
)

MANIFEST = "run.json"


class RunInterrupted(Exception):
    """An ensemble stopped before the end; its finished chunks are kept for `--resume`."""

    def __init__(self, folder: Path, cause: str) -> None:
        self.folder = folder
        super().__init__(f"{cause}; finished chunks are kept in {folder}. Complete the run "
                         f"with: mc11 run --resume {folder}")


def write_atomic(path: Path, text: str) -> None:
    """Write a text file through a temporary file and a rename, so readers never see half."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def new_folder(base: Path, name: str) -> Path:
    """A fresh folder `<base>/<name>-<timestamp>`; never an existing one."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder = base / f"{name}-{stamp}"
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = base / f"{name}-{stamp}-{suffix}"
    return folder


@dataclass(frozen=True)
class Run:
    """A results folder being written: where, for which scenario, and how many replications."""

    folder: Path
    scenario: Scenario
    runs: int
    seed: int
    chunk_size: int = CHUNK_SIZE

    @property
    def bounds(self) -> list[tuple[int, int]]:
        return chunk_bounds(self.runs, self.chunk_size)

    @property
    def chunk_dir(self) -> Path:
        return self.folder / "chunks"

    def chunk_path(self, start: int) -> Path:
        return self.chunk_dir / f"chunk-{start:08d}.npz"

    def manifest(self, status: str) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "scenario_file": str(self.scenario.path) if self.scenario.path else None,
            "package_version": __version__,
            "seed": self.seed,
            "runs": self.runs,
            "chunk_size": self.chunk_size,
            "input_hash": self.scenario.input_hash(),
            "protocol": self.scenario.spec.parameters.bargaining.protocol,
            "status": status,
            "updated": datetime.now(UTC).isoformat(timespec="seconds"),
        }

    def start(self) -> None:
        """Create the folder with its manifest, resolved scenario and preference table."""
        self.chunk_dir.mkdir(parents=True)
        write_atomic(self.folder / "scenario.yaml",
                     yaml.safe_dump(self.scenario.resolved(), sort_keys=False))
        write_atomic(self.folder / "preferences.csv", self.scenario.preferences.to_csv(index=False))
        self.set_status("running")

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
    if out is not None and out.exists():
        raise InputError(str(out), "--folder", "the folder exists already; choose a new one, "
                         "or pass it to --resume to complete an interrupted run")
    scenario = scenario.with_changes(replications=runs, seed=seed)
    run = Run(out or new_folder(base, scenario.name), scenario, runs, seed, chunk_size)
    run.start()
    return run


def read_folder(folder: Path) -> tuple[dict[str, Any], Scenario]:
    """The manifest of a results folder and the scenario it was run with."""
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise InputError(str(folder), "(folder)", f"no {MANIFEST} here: not a results folder")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        raw = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise InputError(str(folder), "(folder)", f"the folder is damaged ({exc})") from None
    return manifest, scenario_from_mapping(raw, str(folder / "scenario.yaml"))


def resume_run(folder: Path) -> Run:
    """Reopen an interrupted results folder with the scenario it was started with."""
    manifest, scenario = read_folder(folder)
    if scenario.input_hash() != manifest.get("input_hash"):
        raise InputError(str(folder), "input_hash", "the data or scenario changed since this run "
                         "started; start a new run instead of resuming")
    return Run(folder, scenario, int(manifest["runs"]), int(manifest["seed"]),
               int(manifest["chunk_size"]))


def execute(
    run: Run,
    workers: int,
    progress: bool = True,
    finish: Callable[[Run, EnsembleResult], None] | None = None,
) -> EnsembleResult:
    """Run the missing chunks of a results folder and write `outcomes.parquet`; `finish` (the
    report layer's tables and figures) runs before the folder is marked complete."""
    bounds = run.bounds
    done = [b for b in bounds if run.chunk_path(b[0]).is_file()]
    todo = [b for b in bounds if b not in done]
    negotiation = run.scenario.negotiation()
    bar = tqdm(total=run.runs, initial=sum(b - a for a, b in done), unit="run",
               desc=run.scenario.name, disable=not progress, leave=False)
    try:
        for chunk in run_chunks(negotiation, run.scenario.spec.parameters, run.seed, todo, workers,
                                run.scenario.priors):
            chunk.save(run.chunk_path(chunk.start))
            bar.update(len(chunk.outcome))
    except (KeyboardInterrupt, BrokenProcessPool) as exc:
        run.set_status("interrupted")
        cause = "interrupted" if isinstance(exc, KeyboardInterrupt) else "a worker process died"
        raise RunInterrupted(run.folder, cause) from None
    finally:
        bar.close()
    result = combine([Chunk.load(run.chunk_path(a)) for a, _ in bounds], negotiation)
    temporary = run.folder / ".outcomes.parquet.tmp"
    result.outcomes.to_parquet(temporary, index=False)
    os.replace(temporary, run.folder / "outcomes.parquet")
    if finish is not None:
        finish(run, result)
    run.set_status("complete")
    return result


@dataclass(frozen=True)
class Results:
    """A finished results folder read back: its manifest, summary and per-run outcomes."""

    folder: Path
    manifest: dict[str, Any]
    scenario: Scenario
    summary: pd.DataFrame
    outcomes: pd.DataFrame


def load_results(folder: Path | str) -> Results:
    """Read a complete results folder (for compare and plot)."""
    folder = Path(folder)
    manifest, scenario = read_folder(folder)
    if manifest.get("status") != "complete":
        raise InputError(str(folder), "status", f"the run is {manifest.get('status')!r}, not "
                         "complete; finish it with `mc11 run SCENARIO --resume "
                         f"{folder}`")
    return Results(folder, manifest, scenario, pd.read_csv(folder / "summary.csv"),
                   pd.read_parquet(folder / "outcomes.parquet"))

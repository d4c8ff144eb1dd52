"""Designs: the parameter vectors a sweep or a sensitivity analysis runs, one per design point.

A design point fixes some constants (paths of `simulation.inputs.constants`) at one value each
and is run for R replications, the same R seeds at every point (common random numbers, so points
differ by their constants, not by their luck). A grid sweep takes the product of the `--set`
values; Sobol and Morris designs sample the constants that have priors in the unit hypercube with
SALib and map each coordinate through its prior's quantile function.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simulation.engine.protocols import REGISTRY
from simulation.errors import InputError
from simulation.inputs.calendar import load_calendar
from simulation.inputs.constants import (
    constants,
    non_numeric,
    override_constants,
    unknown_override,
)
from simulation.inputs.files import suggest
from simulation.inputs.overrides import Override
from simulation.inputs.priors import Prior

METHODS = ("sobol", "morris")
MORRIS_LEVELS = 4
MAX_POINTS = 1_000_000
"""The largest design: design.json lists every point (about 20 bytes a value, so a million
points of the baseline's 29 constants take over a gigabyte with their unit sample), and at the
measured 911 runs/s on 2 workers a million points of 100 runs take 30 hours."""
MIN_SOBOL_SAMPLES = 16
"""Below this N, Saltelli's estimates are not indices: for a constant that alone decides the
verdicts (total index 1), N = 2, 4 and 8 gave estimates from 0 to 2 and bootstrap intervals
from 0 to +-1.5 (three seeds each), N = 16 gave 0.82-1.19 (tests/test_designs.py's scenario)."""


@dataclass(frozen=True)
class Design:
    """What a design runs: its kind, the constants it sets, one row of values per point, the
    runs per point, the master seed, the unit-hypercube sample (sensitivity designs) and the
    fingerprint of the scenario it runs."""

    kind: str  # "grid", "sobol" or "morris"
    constants: tuple[str, ...]
    points: np.ndarray  # (points, constants) values
    runs_per_point: int
    seed: int
    scenario_hash: str
    unit: np.ndarray | None = None  # (points, constants) in [0, 1], sensitivity designs only
    samples: int = 0  # N of a sensitivity design

    def describe(self) -> dict[str, Any]:
        """The design as plain data (design.json), from which its fingerprint is taken."""
        return {"kind": self.kind, "constants": list(self.constants),
                "points": self.points.tolist(), "runs_per_point": self.runs_per_point,
                "seed": self.seed, "scenario_hash": self.scenario_hash,
                "samples": self.samples}

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.describe(), sort_keys=True).encode()).hexdigest()[:16]

    def values(self, point: int) -> dict[str, float]:
        """The constants of one design point."""
        return dict(zip(self.constants, self.points[point].tolist(), strict=True))


def close_paths(path: str, known: list[str]) -> str:
    """A ' (did you mean X?)' hint: the constants whose path ends with `path`
    (`base_tolerance`), else a close spelling, else ''."""
    ending = [k for k in known if k.endswith(f".{path}")]
    if ending:
        return f" (did you mean {' or '.join(map(repr, ending))}?)"
    return suggest(path, known)


def _hint(path: str, known: list[str]) -> str:
    """The close paths, else the constants in the sections it names (`bargaining.x` lists those
    under parameters.bargaining), else ''."""
    close = close_paths(path, known)
    if close:
        return close
    sections = set(path.split(".")[:-1])
    related = [k for k in known if sections & set(k.split(".")[:-1])]
    return f" (the constants there: {', '.join(related)})" if related else ""


def parse_settings(settings: Sequence[str], overrides: Sequence[Override] = ()
                   ) -> dict[str, list[float]]:
    """`path=v1,v2,...` strings (the --set options) -> values by path, each checked against its
    constant's range, in ascending order: the order they were typed in makes no other design;
    the values the scenario's `overrides` give are constants too (`overrides.0.set_salience`)."""
    flag = "--set"  # the option an error names
    known = {**constants(), **override_constants(overrides)}
    parsed: dict[str, list[float]] = {}
    for setting in settings:
        path, sep, listed = setting.partition("=")
        path = path.strip()
        if not sep or not listed.strip():
            raise InputError(flag, setting, "write PATH=V1,V2,... (e.g. "
                             "parameters.consensus.base_tolerance=5,10,15,20)")
        holds = non_numeric(tuple(path.split(".")))
        if holds:
            raise InputError(flag, path, f"not a number ({holds}): a sweep varies numeric "
                             "constants; set this one in the scenario file")
        unknown = unknown_override(path, overrides)
        if unknown:
            raise InputError(flag, path, unknown)
        if path not in known:
            raise InputError(flag, path, f"not a numeric constant{_hint(path, list(known))}; "
                             "see README, 'Priors', for the paths")
        if path in parsed:
            raise InputError(flag, path, "set twice; give all its values in one --set")
        try:
            values = [float(v) for v in listed.split(",")]
        except ValueError:
            raise InputError(flag, path, f"{listed!r}: values must be numbers, comma-separated") \
                from None
        for value in values:
            problem = known[path].problem(value)
            if problem or not np.isfinite(value):
                raise InputError(flag, path, problem or f"{value!r} is not a finite number")
        twice = next((v for i, v in enumerate(values) if v in values[:i]), None)
        if twice is not None:
            raise InputError(flag, path, f"{twice:g} is given twice; each value once (a "
                             "repeated value would run the same points again)")
        parsed[path] = sorted(values)
    if not parsed:
        raise InputError(flag, "(none)", "give at least one --set PATH=V1,V2,...")
    if all(len(values) == 1 for values in parsed.values()):
        raise InputError(flag, ", ".join(parsed), "a sweep needs at least two values of one "
                         "constant (a constant with one value is fixed at it while the others "
                         "vary); for one point, run the scenario with that value (`mc11 run`)")
    return parsed


def _check_size(count: int, flag: str) -> None:
    if count > MAX_POINTS:
        raise InputError(flag, f"{count:,} points", f"a design holds at most {MAX_POINTS:,} "
                         "points (each is listed in design.json and run); ask for fewer, or "
                         "split it into several designs")


def grid(settings: Mapping[str, Sequence[float]], runs_per_point: int, seed: int,
         scenario_hash: str) -> Design:
    """Every combination of the swept values (the first constant varies slowest)."""
    _check_size(math.prod(len(values) for values in settings.values()), "--set")
    points = np.array(list(itertools.product(*settings.values())), dtype=float)
    return Design("grid", tuple(settings), points.reshape(len(points), len(settings)),
                  runs_per_point, seed, scenario_hash)


def unread(paths: Sequence[str], protocol: str) -> dict[str, str]:
    """The constants among `paths` that the bargaining `protocol` does not read, each with the
    protocols that do, in words ("the exchange protocol"): a protocol's settings, and the
    calendar's pressure levels for a protocol that ignores pressure. A design varying only them
    changes nothing (common random numbers)."""
    readers = {f"parameters.bargaining.{setting.name}": (spec.name,)
               for spec in REGISTRY for setting in spec.settings}
    pressure = tuple(spec.name for spec in REGISTRY if spec.reads_pressure)

    def read_by(path: str) -> tuple[str, ...]:
        if path.startswith("calendar_levels.") and path.endswith(".pressure"):
            return pressure
        return readers.get(path, (protocol,))

    found = {path: read_by(path) for path in paths}
    return {path: f"the {' and '.join(names)} protocol{'s' if len(names) > 1 else ''}"
            for path, names in found.items() if protocol not in names}


def absent_kinds(paths: Sequence[str], calendar: Path) -> list[str]:
    """The calendar levels among `paths` (`calendar_levels.<kind>.<level>`) of a kind of period
    the `calendar` file has none of: a design varying only them changes nothing."""
    kinds = {period.kind for period in load_calendar(calendar)}
    return [path for path in paths
            if path.startswith("calendar_levels.") and path.split(".")[1] not in kinds]


def problem(priors: Mapping[str, Prior]) -> dict[str, Any]:
    """SALib's problem: one unit interval per constant with a prior (mapped through the prior's
    quantile function, so the design samples each constant from its prior)."""
    return {"num_vars": len(priors), "names": list(priors), "bounds": [[0.0, 1.0]] * len(priors)}


def sensitivity_design(method: str, priors: Mapping[str, Prior], samples: int,
                       runs_per_point: int, seed: int, scenario_hash: str,
                       source: str = "scenario") -> Design:
    """A Sobol (Saltelli's scheme, first and total orders: N x (D + 2) points) or Morris (N
    trajectories of D + 1 points on 4 levels) design over the constants with priors (`source`:
    where they come from, named in errors)."""
    if len(priors) < 2:
        advice = ("name at least two constants with a prior" if source == "--parameters" else
                  "write priors as in README, 'Priors'")
        raise InputError(source, "priors", f"a {method} design needs priors on at least two "
                         f"constants; there {'is' if len(priors) == 1 else 'are'} "
                         f"{len(priors)}{': ' if priors else ''}{', '.join(priors)} ({advice})")
    spec = problem(priors)
    _check_size(samples * (len(priors) + (2 if method == "sobol" else 1)), "--samples")
    if method == "sobol":
        from SALib.sample import sobol

        if samples < MIN_SOBOL_SAMPLES or samples & (samples - 1):
            raise InputError("--samples", str(samples), "Sobol' designs need N a power of 2 "
                             f"(their balance properties hold only then) of at least "
                             f"{MIN_SOBOL_SAMPLES} (fewer give no usable indices): e.g. 16, "
                             "64, 256, 1024")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            unit = sobol.sample(spec, samples, calc_second_order=False, scramble=True, seed=seed)
    elif method == "morris":
        from SALib.sample import morris

        if samples < 2:
            raise InputError("--samples", str(samples), "a Morris design needs at least 2 "
                             "trajectories (--samples N gives N trajectories of D + 1 points "
                             "for D constants)")
        unit = morris.sample(spec, samples, num_levels=MORRIS_LEVELS, seed=seed)
    else:
        raise InputError("--method", method, f"allowed: {', '.join(METHODS)}")
    unit = np.clip(unit, 0.0, 1.0)
    points = np.column_stack([prior.quantile(unit[:, j])
                              for j, prior in enumerate(priors.values())])
    return Design(method, tuple(priors), points, runs_per_point, seed, scenario_hash, unit,
                  samples)

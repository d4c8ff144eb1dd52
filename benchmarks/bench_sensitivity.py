"""Benchmark a Sobol design of the baseline: 16 constants with priors, N = 256 (4,608 design
points) x 100 runs per point (460,800 replications), on a local Dask cluster.

Run from the repository root:

    python benchmarks/bench_sensitivity.py                  # 5% of the points on 1 and 2 workers
    python benchmarks/bench_sensitivity.py --fraction 1     # the whole design (2 workers)
    python benchmarks/bench_sensitivity.py --workers 2 --fraction 0.2

Each row times `runs.sweep.execute_design` over the first `fraction` of the design's points, from
starting the cluster to the last point on disk, and extrapolates to the whole design at the rate
measured after start-up (said so in the row). The other 13 priors of the baseline are drawn per
replication, as `mc11 sensitivity --parameters` does. Results go to
results/benchmarks/sensitivity-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from simulation.inputs.scenario import load_scenario
from simulation.runs import cluster, design, sweep

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "results" / "benchmarks"
SAMPLES, RUNS_PER_POINT = 256, 100
CONSTANTS = (
    "parameters.coalitions.join_threshold", "parameters.coalitions.leave_threshold",
    "parameters.coalitions.founder_loyalty", "parameters.coalitions.bloc_discipline",
    "parameters.bargaining.coalition_rate", "parameters.bargaining.overall_rate",
    "parameters.bargaining.noise_sd", "parameters.consensus.base_tolerance",
    "parameters.consensus.linkage_cut", "parameters.consensus.min_step",
    "parameters.consensus.critical_mass", "derivation.emphasis_salience.mentioned",
    "derivation.imputed.developing.new_rules", "derivation.imputed.developing.salience",
    "derivation.imputed.ldc.new_rules", "derivation.imputed.ldc.salience",
)


def measure(workers: int, fraction: float) -> dict:
    """Time the first `fraction` of the design on a local cluster of `workers`."""
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    priors = {path: scenario.priors[path] for path in CONSTANTS}
    plan = design.sensitivity_design("sobol", priors, SAMPLES, RUNS_PER_POINT,
                                     scenario.spec.seed, scenario.input_hash())
    total = len(plan.points)
    count = max(1, round(total * fraction))
    part = replace(plan, points=plan.points[:count], unit=plan.unit[:count])
    arrived: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        folder = sweep.open_folder(part, scenario, Path(tmp) / "design", Path(tmp))
        with cluster.backend(cluster.LOCAL, workers) as client:
            ready = time.perf_counter()
            sweep.execute_design(folder, part, scenario, client,
                                 on_point=lambda _: arrived.append(time.perf_counter()))
        ended = time.perf_counter()
    # the rate once the workers are busy: from the first finished point to the last
    steady = (count - 1) / (arrived[-1] - arrived[0]) if count > 1 else float("nan")
    whole = (ready - started) + total / steady
    return {"workers": workers, "points": count, "of_points": total,
            "runs": count * RUNS_PER_POINT, "seconds": round(ended - started, 1),
            "startup_seconds": round(ready - started, 1),
            "points_per_second": round(steady, 2),
            "runs_per_second": round(steady * RUNS_PER_POINT),
            "whole_design_minutes": round(whole / 60, 1),
            "whole_design": "measured" if count == total else
                            f"extrapolated from {count} points at the steady rate"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fraction", type=float, default=0.05,
                        help="share of the design's points to run (default 0.05)")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2],
                        help="local cluster sizes to time (default: 1 2)")
    args = parser.parse_args(argv)
    rows = [measure(workers, args.fraction) for workers in args.workers]
    for row in rows:
        print(json.dumps(row))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    (OUT_DIR / f"sensitivity-{stamp}.json").write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

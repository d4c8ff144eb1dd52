"""Benchmark: the backtest of a dataset of many negotiations (DEU III's shape) on own data.

Times `simulation.runs.forecast.backtest_issues` (every negotiation run on its own, in parallel
on forked workers, then scored with the baselines) after start-up: the imports, reading the file
and compiling the rules (one throw-away negotiation) are timed in their own rows. With `--data`
it runs on that long CSV (e.g. DEU III converted by `mc11 deu-to-csv`); without it, on a
synthetic dataset of DEU III's shape (141 proposals of 1-6 issues, 30 actors of whom 2-30 take
a position on each issue, positions and saliences on DEU's coarse 0-100 grid, GDP-like
capabilities), generated from a fixed seed, so the benchmark runs on a fresh clone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def synthetic_deu(path: Path, seed: int = 2021) -> None:
    """A long CSV with DEU III's shape (see the module notes)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    actors = [f"a{m:02d}" for m in range(30)]
    capability = np.round(rng.pareto(1.2, 30) + 0.05, 2)
    sizes = rng.choice([1, 2, 3, 4, 5, 6], size=141, p=[0.21, 0.33, 0.22, 0.15, 0.07, 0.02])
    lines = ["negotiation,actor,issue,position,salience,capability,status_quo,outcome"]
    for proposal, size in enumerate(sizes):
        for issue in range(size):
            takers = rng.choice(30, size=int(rng.integers(2, 31)), replace=False)
            outcome = int(rng.choice([0, 25, 50, 75, 100]))
            for m in sorted(takers):
                position = int(rng.choice([0, 20, 40, 50, 60, 80, 100]))
                salience = int(rng.choice([10, 30, 50, 70, 90, 100])) / 100
                lines.append(f"p{proposal:03d},{actors[m]},p{proposal:03d}i{issue},{position},"
                             f"{salience:g},{capability[m]:g},0,{outcome}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="a long CSV with a negotiation column "
                        "(default: a synthetic dataset of DEU III's shape)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per row (best kept)")
    args = parser.parse_args(argv)

    rows: list[tuple[str, float, str]] = []
    start = time.perf_counter()
    from simulation.inputs.importers import read_dataset
    from simulation.runs.forecast import backtest_issues, mean_absolute_errors, settings_for
    rows.append(("imports", time.perf_counter() - start, "simulation.runs.forecast"))

    if args.data is None:
        import tempfile

        path = Path(tempfile.mkdtemp()) / "deu_shape.csv"
        synthetic_deu(path)
        what = "synthetic dataset of DEU III's shape"
    else:
        path, what = args.data, str(args.data)
    start = time.perf_counter()
    dataset = read_dataset(path)
    issues = sum(len(d.issues) for d in dataset)
    rows.append(("read the file", time.perf_counter() - start,
                 f"{len(dataset)} negotiations, {issues} issues"))

    results = {}
    from simulation.engine import protocols

    cases = [(name, rule) for name in protocols.NAMES
             for rule in ((None,) if name != "exchange" else ("once", "reference"))]
    for protocol, rule in cases:
        settings = settings_for(protocol, exchange_rule=rule)
        label = protocol + (f" ({rule})" if rule else "")
        start = time.perf_counter()
        backtest_issues(dataset[:1], settings)  # compile or load the rules for this protocol
        rows.append((f"{label}: first negotiation (compile/load)", time.perf_counter() - start,
                     ""))
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            table = backtest_issues(dataset, settings, workers=args.workers)
            best = min(best, time.perf_counter() - start)
        mae = mean_absolute_errors(table)["model"]
        rows.append((f"{label}: backtest, {args.workers} worker(s)", best,
                     f"best of {args.repeat}; model MAE {mae:.3f}"))
        results[label] = best

    load = os.getloadavg()
    print(f"{what}; {os.cpu_count()} cores, load average {load[0]:.2f} at the end")
    width = max(len(r[0]) for r in rows)
    for name, seconds, note in rows:
        print(f"{name:<{width}}  {seconds:8.2f} s  {note}")
    out = ROOT / "results" / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"own-data-{stamp}.json").write_text(json.dumps(
        {"data": what, "workers": args.workers, "cores": os.cpu_count(), "load": load,
         "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

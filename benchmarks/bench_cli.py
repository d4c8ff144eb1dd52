"""Time the `mc11` command as a user starts it: `--help`, a 10-run ensemble with its tables only
(the default) and with its figures (`--plots`; and when its summary table appears, before the
figures are drawn), and `mc11 plot`; each in a fresh process, best of `--repeat`, with the CPU
time the command and its children used (the floor a 2-core machine cannot go under is CPU / 2).
A last row times the imports alone (numpy, pandas, numba, mesa, pyarrow), which every ensemble
needs.

    .venv/bin/python benchmarks/bench_cli.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MC11 = str(Path(sys.executable).with_name("mc11"))
BASELINE = str(ROOT / "scenarios" / "baseline.yaml")
IMPORTS = "import numpy, pandas, numba, mesa, pyarrow"


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system, the process and its children) seconds of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def summary_shown(argv: list[str]) -> tuple[float, float]:
    """Seconds until the command prints its summary table's header (`mc11 run` prints it
    before drawing the figures), and (CPU not measured) NaN."""
    start = time.perf_counter()
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True) as process:
        shown = next((time.perf_counter() - start for line in process.stdout
                      if line.lstrip().startswith("issue ")), float("nan"))
        process.stdout.read()
    return shown, float("nan")


def best(make_argv, repeat: int) -> tuple[float, float]:
    """The fastest of `repeat` runs (wall, with that run's CPU); `make_argv(k)` gives run k's
    command, so each run can write a folder of its own."""
    return min(timed(make_argv(k)) for k in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command (best kept)")
    repeat = parser.parse_args().repeat
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="mc11-bench-cli-") as tmp:
        folder = Path(tmp)

        def ten(extra: list[str], name: str):
            return lambda k: [MC11, "run", BASELINE, "--runs", "10", "--quiet",
                              "--folder", str(folder / f"{name}-{k}"), *extra]

        subprocess.run(ten([], "warm")(0), check=True, capture_output=True)  # compiled rules
        rows = [
            ("mc11 --help", best(lambda k: [MC11, "--help"], repeat)),
            ("mc11 run --runs 10 (tables only, the default)", best(ten([], "tables"), repeat)),
            ("mc11 run --runs 10 --plots --workers 1",
             best(ten(["--plots", "--workers", "1"], "one"), repeat)),
            (f"mc11 run --runs 10 --plots (figures on {cores} processes)",
             best(ten(["--plots"], "all"), repeat)),
            ("  the same: its summary table printed",
             min(summary_shown(ten(["--plots"], f"shown-{k}")(0)) for k in range(repeat))),
            ("mc11 plot (six figures, --workers 1)",
             best(lambda k: [MC11, "plot", "--force", "--workers", "1", str(folder / "warm-0")],
                  repeat)),
            (f"mc11 plot (six figures, {cores} processes)",
             best(lambda k: [MC11, "plot", "--force", str(folder / "warm-0")], repeat)),
            (f"imports alone ({IMPORTS})", best(lambda k: [sys.executable, "-c", IMPORTS],
                                                repeat)),
        ]
    load = os.getloadavg()[0]
    print(f"best of {repeat}; {cores} cores; load average {load:.2f} at the end")
    print(f"{'command':<58} {'wall s':>7} {'CPU s':>7}")
    for name, (wall, cpu) in rows:
        print(f"{name:<58} {wall:7.2f} {cpu:7.2f}".replace("    nan", "      -"))


if __name__ == "__main__":
    main()

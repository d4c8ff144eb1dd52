"""The benchmark scripts' own behaviour: what they start must hear the Ctrl-C they send."""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASKS_CHILD = ("import signal; "
              "print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)")


def _bench_ensemble():
    spec = importlib.util.spec_from_file_location(
        "bench_ensemble", ROOT / "benchmarks" / "bench_ensemble.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _child_hears_sigint() -> bool:
    answer = subprocess.run([sys.executable, "-c", ASKS_CHILD], capture_output=True, text=True,
                            check=True)
    return answer.stdout.strip() == "True"


def test_the_huge_request_starts_a_run_that_hears_ctrl_c_when_the_benchmark_ignores_it():
    """Started in the background of a script, the benchmark ignores SIGINT and a child would
    inherit that, so section f's Ctrl-C would not stop its `mc11 run`; `sigint_heard` starts
    the child with SIGINT at its default and leaves this process as it was."""
    bench = _bench_ensemble()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        inherited = _child_hears_sigint()
        with bench.sigint_heard():
            heard = _child_hears_sigint()
        after = signal.getsignal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert not inherited  # the situation the benchmark meets
    assert heard
    assert after is signal.SIG_IGN

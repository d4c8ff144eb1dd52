"""Ending a stopped pool's workers: at once, even a worker that does not end at SIGTERM, and
without leaving `mc11`'s stop handler behind for the processes a caller forks later; and not
taking busy workers for dead ones."""

from __future__ import annotations

import multiprocessing
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import wait
from pathlib import Path

import pytest

from simulation.cli import main
from simulation.runs.workers import END_SECONDS, WATCH_SECONDS, end_workers

ROOT = Path(__file__).resolve().parents[1]


def _deaf_to_sigterm() -> None:
    """A worker that missed its stop signal behaves as one that ignores it."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")  # the workers only sleep
def test_a_worker_that_does_not_end_at_sigterm_is_killed():
    pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"),
                               initializer=_deaf_to_sigterm)
    futures = [pool.submit(time.sleep, 60) for _ in range(2)]
    processes = list(pool._processes.values())
    time.sleep(0.5)  # both workers are in their task
    ending = threading.Thread(target=end_workers, args=(pool,), daemon=True)
    try:
        ending.start()
        ending.join(END_SECONDS + 5)  # it used to wait for the tasks' end
        assert not ending.is_alive()
        # ended (their sentinels): the pool's manager thread may not have recorded the codes yet
        assert all(wait([process.sentinel], 0) for process in processes)
    finally:
        for process in processes:
            process.kill()
    pool.shutdown(wait=True, cancel_futures=True)
    assert all(future.done() for future in futures)


def test_main_leaves_the_sigterm_handler_as_it_found_it(capsys):
    before = signal.getsignal(signal.SIGTERM)
    assert main(["issues"]) == 0
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")  # the workers only sleep
def test_workers_that_end_at_sigterm_are_ended_at_once_not_after_the_grace_period():
    """A stopped ensemble's workers, busy with their chunks, end at its stop signal: the stop
    does not wait END_SECONDS for them as for a worker that missed the signal."""
    from simulation.runs.workers import end_quietly_when_stopped

    pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"),
                               initializer=end_quietly_when_stopped)
    futures = [pool.submit(time.sleep, 60) for _ in range(2)]
    processes = list(pool._processes.values())
    time.sleep(0.5)  # both workers are in their task
    try:
        began = time.monotonic()
        end_workers(pool)
        assert time.monotonic() - began < END_SECONDS / 2
        assert all(wait([process.sentinel], 0) for process in processes)  # ended
    finally:
        for process in processes:
            process.kill()
    pool.shutdown(wait=True, cancel_futures=True)
    assert all(future.done() for future in futures)


def _a_slow_chunk(master_seed: int, start: int, stop: int) -> int:
    """A stand-in ensemble task longer than the workers' check (chunks under the exchange
    protocol take tens of seconds)."""
    time.sleep(WATCH_SECONDS + 0.5)
    return start


def _a_slow_forecast(negotiation: int) -> int:
    time.sleep(WATCH_SECONDS + 0.5)
    return 10 * negotiation


@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_tasks_longer_than_the_workers_check_finish_with_their_results(monkeypatch):
    """An ensemble's chunks and a forecast's negotiations that keep their workers busy past a
    check of the workers are waited for: live workers are not taken for dead ones."""
    from simulation.inputs.scenario import load_scenario
    from simulation.runs import ensemble, forecast

    monkeypatch.setattr(ensemble, "_run_in_worker", _a_slow_chunk)  # forked workers inherit it
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    chunks = ensemble.run_chunks(scenario.negotiation(), scenario.spec.parameters, 1,
                                 [(0, 2), (2, 4)], workers=2)
    assert sorted(chunks) == [0, 2]
    with forecast.NegotiationPool([0, 1], workers=2) as negotiations:
        assert negotiations.map(_a_slow_forecast, [0, 1]) == [0, 10]

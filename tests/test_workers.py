"""Ending a stopped pool's workers: at once, even a worker that does not end at SIGTERM, and
without leaving `mc11`'s stop handler behind for the processes a caller forks later."""

from __future__ import annotations

import multiprocessing
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import wait

import pytest

from simulation.cli import main
from simulation.runs.workers import END_SECONDS, end_workers


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

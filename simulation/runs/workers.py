"""Pools of forked worker processes that a dead worker cannot hang.

A worker killed while computing or idle breaks its ProcessPoolExecutor, which says so
(BrokenProcessPool). One killed while sending its result leaves part of a message in the
results pipe, and the pool's manager thread waits for the rest forever: so whoever waits on
the pool checks its workers itself (`result_of`, `check_workers`), and a stopped pool's workers
are ended (`end_workers`) before it shuts down. Stop signals are the main process's to handle:
workers end quietly at them (`end_quietly_when_stopped`), and with the process that started
them, or start with them ignored (`signals_ignored`)."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, contextmanager
from multiprocessing.connection import wait as wait_for_processes

WATCH_SECONDS = 1.0  # how often a wait for results checks that the workers live
END_SECONDS = 2.0  # how long a stopped worker has to end before it is killed


PR_SET_PDEATHSIG = 1  # Linux prctl(2): the signal a process gets when its parent ends


def default_workers(workers: int | None) -> int:
    """The worker processes asked for, else one per core."""
    return workers or os.cpu_count() or 1


def end_quietly_when_stopped() -> None:
    """In a worker: end at a stop signal (SIGTERM, as a breaking pool sends its other workers)
    rather than raising the command's KeyboardInterrupt and printing its traceback; and, on
    Linux, at the end of the process that started it, however that ends (a dashboard stopped
    mid-run left its workers alive, holding its port)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _processes(pool: ProcessPoolExecutor) -> list:
    """The pool's worker processes (none once it has shut down); ProcessPoolExecutor does not
    make them public."""
    return list((getattr(pool, "_processes", None) or {}).values())


def check_workers(pool: ProcessPoolExecutor) -> None:
    """Raise BrokenProcessPool if one of the pool's workers has died."""
    if any(process.exitcode is not None for process in _processes(pool)):
        raise BrokenProcessPool("a worker process died")


def result_of(future: Future, pool: ProcessPoolExecutor) -> object:
    """future.result(), checking the pool's workers every WATCH_SECONDS while it waits."""
    while True:
        try:
            return future.result(timeout=WATCH_SECONDS)
        except TimeoutError:
            check_workers(pool)


def end_workers(pool: ProcessPoolExecutor) -> None:
    """End a stopped pool's workers at once rather than after their current tasks (tens of
    seconds under the exchange protocol). ProcessPoolExecutor has no public way to do it
    before Python 3.14's `terminate_workers`; the pool then shuts down as after a killed
    worker. A worker still there after END_SECONDS is killed: one that missed the stop signal
    (it can arrive before a new worker has set its handler) would otherwise finish its task
    and then wait forever to send the result, and this process for it. Once every worker is
    gone, closing this process's writing end of the results pipe ends a manager thread's wait
    for the rest of a message cut short."""
    processes = _processes(pool)
    for process in processes:
        process.terminate()
    for process in _still_running(processes, END_SECONDS):
        process.kill()
    _still_running(processes, None)
    results = getattr(pool, "_result_queue", None)
    if results is not None:
        results._writer.close()


def _still_running(processes: list, seconds: float | None) -> list:
    """The processes that have not ended within `seconds` (None: wait for all). An end is read
    from the process's sentinel, not its exit code: the pool's manager thread may reap a
    worker first and record the code a moment later."""
    deadline = None if seconds is None else time.monotonic() + seconds
    running = {process.sentinel: process for process in processes}
    while running:
        left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        ended = wait_for_processes(list(running), left)
        if not ended:
            break
        for sentinel in ended:
            del running[sentinel]
    return list(running.values())


@contextmanager
def _handled(signals: tuple[signal.Signals, ...], handler: Callable | int) -> Iterator[None]:
    """The signals given to `handler` inside the block, their handlers restored after. Only
    the main thread can set handlers; elsewhere (the dashboard's threads) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = [signal.signal(number, handler) for number in signals]
    try:
        yield
    finally:
        for number, before in zip(signals, previous, strict=True):
            signal.signal(number, before)


def signals_ignored(*signals: signal.Signals) -> AbstractContextManager[None]:
    """The signals ignored inside the block, and so by the processes it starts."""
    return _handled(signals, signal.SIG_IGN)


@contextmanager
def signals_deferred(*signals: signal.Signals) -> Iterator[None]:
    """The signals held while the block runs (a shutdown that must not stop half-way), then
    acted on: one that came meanwhile raises KeyboardInterrupt once the block is done, unless
    the block raised already or the signal is ignored (`mc11` ignores the stop signals that
    follow the first)."""
    arrived: list[int] = []
    with _handled(signals, lambda number, _: arrived.append(number)):
        yield
    if any(signal.getsignal(number) is not signal.SIG_IGN for number in arrived):
        raise KeyboardInterrupt


class Background:
    """Work of the main process on a thread while it waits on a pool, which must have forked
    all its workers first (a process forked while the thread runs could copy a lock it holds,
    held by no thread of the copy)."""

    def __init__(self, work: Callable[[], object]) -> None:
        self._raised: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, args=(work,), daemon=True,
                                        name="mc11-background")
        self._thread.start()

    def _run(self, work: Callable[[], object]) -> None:
        try:
            work()
        except BaseException as exc:  # raised again by `result`, in the waiting thread
            self._raised.append(exc)

    def wait(self) -> None:
        """Wait for the work to end."""
        self._thread.join()

    def result(self) -> None:
        """Wait for the work to end, and raise what it raised."""
        self.wait()
        if self._raised:
            raise self._raised[0]

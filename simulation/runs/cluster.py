"""Where a design runs: in this process, on a local Dask cluster, or on an existing one.

`--scheduler local` (the default) starts `dask.distributed.LocalCluster` with one single-threaded
worker process per core (the rules are compiled loops that hold the GIL); `--scheduler
tcp://HOST:PORT` connects to a running scheduler (`dask scheduler`, with `dask worker`s that can
import this package); `--scheduler in-process` runs every point here, without Dask. The results
are the same on all three: a design point's results depend only on its values and seeds.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from simulation.errors import InputError
from simulation.runs.workers import default_workers, signals_deferred, signals_ignored

IN_PROCESS = "in-process"
LOCAL = "local"
CONNECT_TIMEOUT = "10s"


def workers_of(client: Any) -> int:
    """The workers a connected Dask scheduler has (at least 1): each runs one point at a time."""
    return max(1, len(client.scheduler_info().get("workers", {})))


@contextmanager
def backend(scheduler: str = LOCAL, workers: int | None = None) -> Iterator[Any]:
    """A Dask client for the chosen backend (None: in this process); closed on exit."""
    if scheduler == IN_PROCESS:
        yield None
        return
    from dask.distributed import Client, LocalCluster

    if scheduler == LOCAL:
        # a terminal's Ctrl-C reaches every process of the command: the cluster's inherit it
        # ignored (Dask's would print pages of tracebacks); this one stops the design and
        # closes the cluster. Dask's own logs are silenced up to ERROR: a worker whose
        # heartbeat meets the scheduler already closed logs a traceback at that level (seen
        # once in CI under load), and a design point's failure reaches mc11 through the client.
        with signals_ignored(signal.SIGINT):
            cluster = LocalCluster(n_workers=default_workers(workers), threads_per_worker=1,
                                   processes=True, dashboard_address=None,
                                   silence_logs=logging.CRITICAL)
        client = Client(cluster)
        try:
            yield client
        finally:  # a Ctrl-C now stops the command once the cluster is closed, not half-way
            with signals_deferred(signal.SIGINT):
                client.close()
                cluster.close()
        return
    if not scheduler.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
        raise InputError("--scheduler", scheduler, f"allowed: {LOCAL} (a cluster on this "
                         f"machine), {IN_PROCESS} (no Dask), or a scheduler address "
                         "tcp://HOST:PORT")
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT)
    except ValueError as exc:  # e.g. no port, or a port that is not a number
        raise InputError("--scheduler", scheduler, f"not a scheduler address ({exc}); allowed: "
                         "tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786") from None
    except (OSError, TimeoutError) as exc:
        raise InputError("--scheduler", scheduler, f"cannot reach a Dask scheduler there "
                         f"({exc}); start one with `dask scheduler` and `dask worker ADDRESS`, "
                         "or leave --scheduler out for a cluster on this machine") from None
    except TypeError as exc:  # distributed's word for tls:// without its TLS settings
        if not scheduler.startswith("tls://"):
            raise
        raise InputError("--scheduler", scheduler, "a tls:// scheduler needs Dask's TLS "
                         f"settings ({exc}): give the certificates in Dask's configuration "
                         "(distributed.comm.tls, https://distributed.dask.org/en/stable/tls.html), "
                         "or use tcp://HOST:PORT") from None
    try:
        yield client
    finally:
        with signals_deferred(signal.SIGINT):
            client.close()

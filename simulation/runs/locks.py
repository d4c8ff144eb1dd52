"""One process at a time on a folder: an advisory lock on a file in it, held while a run or a
calibration writes there, so that a second one started beside it (another terminal, a
`--resume`) is refused instead of racing on the same files."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from simulation.errors import InputError

_HELD: list[int] = []  # the lock files this process holds; a forked child closes its copies


def _let_go_in_child() -> None:
    """In a forked worker: close the inherited lock files, so that a worker outliving its
    killed parent does not keep the folder locked."""
    for handle in _HELD:
        os.close(handle)
    _HELD.clear()


os.register_at_fork(after_in_child=_let_go_in_child)


@contextmanager
def holding(path: Path, field: str, busy: str, unwritable: str) -> Iterator[None]:
    """Hold the lock file `path` (created if need be) while the block runs. Another process
    holding it is an InputError on its folder saying `busy`; a file that cannot be made, one
    giving the system's reason then `unwritable`. The system frees the lock when the process
    ends, however it ends."""
    folder = str(path.parent)
    try:
        handle = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    except OSError as exc:
        raise InputError(folder, field, f"cannot write in this folder ({exc.strerror or exc}); "
                         f"{unwritable}") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(folder, field, busy) from None
        _HELD.append(handle)
        try:
            yield
        finally:
            _HELD.remove(handle)
    finally:
        os.close(handle)

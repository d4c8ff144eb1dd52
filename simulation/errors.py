"""The two ways a command ends early that users see: bad input (it names the file, the field and
what is allowed) and work stopped part-way (it says what is kept and how to complete it); and
the two ways results are written so that a failed write (a full disk, a read-only place,
Ctrl-C) leaves no half file under a final name."""

from __future__ import annotations

import errno
import os
import shlex
from pathlib import Path


def shell_word(path: Path | str) -> str:
    """`path` as one shell word, quoted if it must be, for the commands messages suggest (a
    folder with a space would otherwise be two words)."""
    return shlex.quote(str(path))


def resolved(path: Path | str) -> Path:
    """`path` absolute, its symbolic links followed as far as they go. Unlike Python 3.12's
    `Path.resolve`, which raises RuntimeError (a traceback) on a loop of links, a loop is left
    for the read or write that follows to report as the file's error."""
    return Path(os.path.realpath(path))


class InputError(Exception):
    """Bad input from a data, scenario or results file (or a command-line option); the CLI
    prints it, naming the field only where the source does not already (`--runs: ...`), and
    exits 2."""

    def __init__(self, source: str, field: str, problem: str) -> None:
        self.source = source
        self.field = field
        self.problem = problem
        place = source if field in (source, source.lstrip("-")) else f"{source}: {field}"
        super().__init__(f"{place}: {problem}")


class Interrupted(Exception):
    """Work stopped before the end (Ctrl-C, a stop signal, a dead worker) whose finished part is
    kept; the message says where and how to complete it. The CLI prints it and exits 130."""


def in_chain(exc: BaseException | None, kinds: type | tuple[type, ...]) -> BaseException | None:
    """The first exception of `kinds` in `exc`'s chain (itself, then what it was raised while
    handling or from), or None."""
    while exc is not None:
        if isinstance(exc, kinds):
            return exc
        exc = exc.__context__ or exc.__cause__
    return None


def stopped_by_user(exc: BaseException | None) -> bool:
    """Whether `exc` is Ctrl-C (or SIGTERM, which the CLI turns into it) or an error it surfaced
    as: inside a compiled rule numba reports the KeyboardInterrupt as a SystemError ("...
    returned a result with an exception set") with the interrupt in its chain of contexts."""
    return in_chain(exc, KeyboardInterrupt) is not None


def folder_removed(folder: Path, work: str) -> Interrupted:
    """The interruption of `work` (a run, a design, a calibration) whose folder was deleted
    while it wrote there: nothing of it is kept, so no way to complete it is offered."""
    return Interrupted(f"the folder {folder} was removed while the {work} wrote to it, so "
                       f"nothing of the {work} is kept: start it again")


def write_atomic(path: Path, text: str) -> None:
    """Write a text file through a temporary file and a rename, so readers never see half (and
    a failed write, e.g. on a full disk, leaves no temporary file behind)."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_new(path: Path, text: str) -> None:
    """Write a new text file, never over an existing one (FileExistsError); a write that fails
    part-way removes the file it created, so no empty or cut-off file keeps the name."""
    handle = path.open("x", encoding="utf-8")
    try:
        with handle:
            handle.write(text)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def unwritable(exc: OSError) -> str:
    """Why a write failed, in words for a message: the system's reason, and on a full disk
    that space must be freed first."""
    reason = exc.strerror or str(exc)
    if disk_full(exc):
        return f"{reason}: the disk is full, free some space on it first"
    return reason


def disk_full(exc: OSError) -> bool:
    """Whether a write failed for want of space (work that can go on once space is freed)."""
    return exc.errno in (errno.ENOSPC, errno.EDQUOT)

"""Running the `mc11` command in the test process, as the CLI tests do."""

from __future__ import annotations

import contextlib
import io

from simulation.cli import main


def mc11(*argv: object) -> tuple[int, str, str]:
    """Run `mc11 argv` in this process (stdin is not a terminal under pytest); the exit code,
    stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()

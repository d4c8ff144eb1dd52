"""The `mc11` command line.

Each module of this package holds a group of subcommands: their arguments (`register`) and their
handlers, which import the model only when they run, so `mc11 --help` stays fast. `COMMANDS`
below is the one registry: a new command is a new module and one line there.
"""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
from collections.abc import Callable, Sequence

from simulation import __version__
from simulation.cli import (
    calibrate,
    dashboard,
    data,
    designs,
    ensembles,
    explain,
    own_data,
    simulate,
)
from simulation.cli.common import check_new_files
from simulation.errors import InputError, Interrupted, stopped_by_user

COMMANDS = (data, simulate, ensembles, own_data, calibrate, designs, dashboard, explain)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)  # what stops a command: Ctrl-C, a scheduler


def build_parser() -> argparse.ArgumentParser:
    """The `mc11` parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="mc11",
        description="Simulate the WTO e-commerce negotiations before MC11 (Buenos Aires, 2017).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(commands)
    for subcommand in commands.choices.values():  # its own usage for its errors (`_parse`)
        subcommand.set_defaults(command_parser=subcommand)
    return parser


def command() -> int:
    """The `mc11` console script: `main`, then an exit that a late Ctrl-C cannot turn into a
    traceback and that skips the collector's last walks.

    The objects a command's imports make (some 190,000 that the collector tracks) live until
    the process ends, and Python's collections at exit walk them several times: 0.3 s of
    `mc11 run --runs 10`'s 2 (docs/performance.md). Frozen out of the collector (gc.freeze)
    once the command is done and its files are closed, they go when the process ends."""
    code = main()
    for number in STOP_SIGNALS:  # the command is over: its exit code stands
        signal.signal(number, signal.SIG_IGN)
    gc.freeze()
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; user errors print one paragraph and exit 2, Ctrl-C exits 130."""
    # SIGTERM (a scheduler's or CI's stop) ends a run as Ctrl-C does: status and resume hint;
    # the caller's handlers are back afterwards (processes it forks later must not inherit ours)
    before = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    for number, handler in before.items():
        if handler is not signal.SIG_IGN:  # a background job started with Ctrl-C ignored
            signal.signal(number, _stop)
    screen, sys.stdout = sys.stdout, _UntilReaderLeaves(sys.stdout)
    try:
        return _run(_parse(build_parser(), argv))
    finally:
        sys.stdout = screen
        for number, handler in before.items():
            signal.signal(number, handler)


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """The arguments; words left over are refused by the command's own parser, so the message
    shows that command's usage (`mc11 sweep: error: ...`), not only `mc11 COMMAND ...`."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        args.command_parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def _run(args: argparse.Namespace) -> int:
    """The command's handler, its user errors and interruptions turned into messages and exit
    codes."""
    handler: Callable[[argparse.Namespace], None] = args.handler
    runs_model = getattr(args, "runs_model", False)
    try:
        check_new_files(args)
        if runs_model:
            _say_if_compiling()
        handler(args)
        if runs_model:
            from simulation.runs.ensemble import mark_rules_compiled

            mark_rules_compiled()
    except InputError as error:
        print(f"mc11: error: {error}", file=sys.stderr)
        return 2
    except Interrupted as stopped:
        print(f"mc11: {stopped}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("mc11: interrupted", file=sys.stderr)
        return 130
    except SystemError as error:
        if not stopped_by_user(error):  # a bug: its traceback
            raise
        print("mc11: interrupted", file=sys.stderr)  # Ctrl-C inside a compiled rule
        return 130
    return 0


def _stop(signum: int, frame: object) -> None:
    """Ctrl-C or SIGTERM: stop the command, once. The stop signals that follow are ignored
    while it saves what it computed and ends its workers: an impatient second Ctrl-C used to
    cut that short, leaving no resume hint."""
    for number in STOP_SIGNALS:
        signal.signal(number, signal.SIG_IGN)
    raise KeyboardInterrupt


class _UntilReaderLeaves:
    """Standard output while a command runs: when the reader of a pipe goes away (`mc11 run
    ... | head`), the rest of the output is dropped and the command still finishes its work (a
    run its tables, figures and status) instead of dying half-way."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._drop()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._drop()

    def _drop(self) -> None:
        """Point the output at the null device, which takes everything from now on."""
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, self._stream.fileno())
        os.close(null)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _say_if_compiling() -> None:
    """Tell the user when the first model run after installing compiles the rules (~30 s)."""
    from simulation.runs import ensemble

    if ensemble.rules_need_compiling():
        print("mc11: compiling the model's rules for this machine first (once after installing, "
              "about 30 s)", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())

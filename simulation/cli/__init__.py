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
    compare,
    compiled,
    dashboard,
    data,
    designs,
    explain,
    own_data,
    plot,
    run,
    simulate,
)
from simulation.cli.common import check_new_files, say_if_compiling
from simulation.errors import InputError, Interrupted, stopped_by_user

COMMANDS = (data, simulate, run, compare, plot, own_data, calibrate, designs, dashboard,
            explain, compiled)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)  # what stops a command: Ctrl-C, a scheduler
_working = False  # a stop signal interrupts a command only while its work is under way


class _Version(argparse.Action):
    """`--version`: the package's version and the digest of its model rules, which every results
    folder records (a resume under other rules is refused, and names the digest that made it)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show mc11's version and its model rules' digest, and exit")

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from simulation.runs.versions import rules_digest

        print(f"mc11 {__version__} (model rules {rules_digest()})")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The `mc11` parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="mc11",
        description="Simulate the WTO e-commerce negotiations before MC11 (Buenos Aires, 2017).",
    )
    parser.add_argument("--version", action=_Version)
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
    code = main(restore_signals=False)  # the command is over: a late stop changes nothing
    gc.freeze()
    return code


def main(argv: Sequence[str] | None = None, *, restore_signals: bool = True) -> int:
    """Run one command; user errors print one paragraph and exit 2, Ctrl-C exits 130. A stop
    signal once the work is done is ignored (the exit code stands); with `restore_signals` the
    caller's handlers are back afterwards (processes it forks later must not inherit ours)."""
    global _working
    # SIGTERM (a scheduler's or CI's stop) ends a run as Ctrl-C does: status and resume hint
    before = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    _working = True
    for number, handler in before.items():
        if handler is not signal.SIG_IGN:  # a background job started with Ctrl-C ignored
            signal.signal(number, _stop)
    screen = sys.stdout
    sys.stdout = output = _UntilReaderLeaves(screen)
    try:
        try:
            args = _parse(build_parser(), argv)
        except KeyboardInterrupt:
            print("mc11: interrupted", file=sys.stderr)
            return 130
        code = _run(args)
        if output.failure and code == 0:
            print(f"mc11: error: the screen output could not be written ({output.failure}) "
                  "and was dropped; the command did its work all the same (any files it writes "
                  "are complete): send the output somewhere writable to see it", file=sys.stderr)
            return 1
        return code
    finally:
        _working = False
        sys.stdout = screen
        if restore_signals:
            for number, handler in before.items():
                signal.signal(number, handler)


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """The arguments; words left over are refused by the command's own parser, so the message
    shows that command's usage (`mc11 sweep: error: ...`), not only `mc11 COMMAND ...`."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        args.command_parser.error(f"unrecognized arguments: {' '.join(extra)}"
                                  + _elsewhere(parser, args.command, extra))
    return args


def _elsewhere(parser: argparse.ArgumentParser, command: str, extra: Sequence[str]) -> str:
    """Which other commands take the options `command` refused, as a hint ('' if none does);
    `mc11 run` reads its protocol from its scenario file."""
    commands = next(action for action in parser._actions
                    if isinstance(action, argparse._SubParsersAction)).choices
    hints = []
    for word in extra:
        option = word.split("=")[0]
        owners = [name for name, sub in commands.items()
                  if option.startswith("--") and option in sub._option_string_actions]
        if owners:
            hints.append(f"{option} is an option of mc11 {', '.join(owners)}")
    if not hints:
        return ""
    scenario = ("; mc11 run takes its protocol from the scenario file (`protocol:` under "
                "parameters.bargaining, as in scenarios/exchange_protocol.yaml)"
                if command == "run" and any(w.split("=")[0] == "--protocol" for w in extra)
                else "")
    return f" ({'; '.join(hints)}{scenario})"


def _run(args: argparse.Namespace) -> int:
    """The command's handler, its user errors and interruptions turned into messages and exit
    codes."""
    global _working
    handler: Callable[[argparse.Namespace], None] = args.handler
    runs_model = getattr(args, "runs_model", False)
    try:
        check_new_files(args)
        if runs_model and not getattr(args, "says_compiling", False):
            say_if_compiling(args)  # else the command says it once its folder passed its checks
        handler(args)
        if getattr(args, "runs_rules", False):  # it reached its model runs (`say_if_compiling`)
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
    finally:
        _working = False  # from here a stop signal changes nothing
    return 0


def _stop(signum: int, frame: object) -> None:
    """Ctrl-C or SIGTERM: stop the command, once, if its work is under way. The stop signals
    that follow are ignored while it saves what it computed and ends its workers (an impatient
    second Ctrl-C used to cut that short, leaving no resume hint), and once it is done (one as
    it ended used to print a traceback)."""
    for number in STOP_SIGNALS:
        signal.signal(number, signal.SIG_IGN)
    if _working:
        raise KeyboardInterrupt


class _UntilReaderLeaves:
    """Standard output while a command runs: when it cannot be written (the reader of a pipe
    went away, `mc11 run ... | head`; a full disk; closed), the rest of the output is dropped
    and the command still finishes its work (a run its tables, figures and status) instead of
    dying half-way. `failure` says why the output was lost, unless a reader only left early."""

    def __init__(self, stream) -> None:
        self.failure = "standard output is closed" if stream is None else None
        # the null device stands in for the command's life, closed with the process
        self._stream = open(os.devnull, "w") if stream is None else stream  # noqa: SIM115

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as error:
            self._drop(error)
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as error:
            self._drop(error)

    def _drop(self, error: OSError) -> None:
        """Point the output at the null device, which takes everything from now on."""
        if not isinstance(error, BrokenPipeError):
            self.failure = self.failure or error.strerror or str(error)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, self._stream.fileno())
        os.close(null)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


if __name__ == "__main__":
    sys.exit(main())

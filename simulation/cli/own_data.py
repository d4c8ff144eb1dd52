"""`mc11 forecast`, `mc11 backtest`: the negotiation engine on the user's own actor x issue data."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from simulation.cli.common import add_output_options, emit, positive, seed
from simulation.engine import protocols
from simulation.errors import InputError
from simulation.runs import DEFAULT_ROUNDS


def _exchange_folder(args: argparse.Namespace) -> Path:
    """The new folder for --trace-dir's exchange files; an unusable request is an InputError."""
    if args.protocol != "exchange":
        raise InputError("--trace-dir", "protocol", "only the exchange protocol realises "
                         "exchanges; add --protocol exchange")
    if args.runs > 1:
        raise InputError("--trace-dir", "runs", "a trace follows one run; drop --runs")
    folder = Path(args.trace_dir) / "exchanges"
    if folder.exists():
        raise InputError(str(folder), "--trace-dir", "the folder exists already; choose a new "
                         "--trace-dir")
    return folder


def _write_exchange_files(folder: Path, rounds: list[list[tuple]]) -> None:
    """Each round's exchanges as decide-exchange-model writes them: <round from 0>.output.csv,
    ';'-separated, under its header (a round without exchanges: the header only)."""
    from simulation.engine.exchange import REFERENCE_COLUMNS

    try:
        folder.mkdir(parents=True)
        for number, rows in enumerate(rounds):
            with (folder / f"{number}.output.csv").open("x", encoding="utf-8",
                                                        newline="") as handle:
                writer = csv.writer(handle, delimiter=";", lineterminator="\n")
                writer.writerow(REFERENCE_COLUMNS)
                writer.writerows(rows)
    except FileExistsError:
        raise InputError(str(folder), "--trace-dir", "the folder exists already; choose a new "
                         "--trace-dir") from None
    except OSError as exc:
        raise InputError(str(folder), "--trace-dir",
                         f"cannot write the files ({exc.strerror})") from None
    print(f"wrote {sum(map(len, rounds))} exchanges in {len(rounds)} files to {folder}",
          file=sys.stderr)


def forecast(args: argparse.Namespace) -> None:
    from simulation.inputs.importers import read_actor_issue_data
    from simulation.runs.forecast import forecast, reference_exchange_rows, trace_events

    data = read_actor_issue_data(args.datafile)
    folder = _exchange_folder(args) if args.trace_dir else None
    if args.trace:
        if args.runs > 1:
            raise InputError("--trace", "runs", "a trace follows one run; drop --runs or --trace")
        print("trace (positions on the 0-100 scale of each issue):")
        for event in trace_events(data, args.protocol, args.rounds, args.seed):
            print("  ".join(str(part) for part in event))
        print()
    table = forecast(data, args.protocol, args.rounds, args.runs, args.seed)
    if folder is not None:
        _write_exchange_files(folder, reference_exchange_rows(data, args.rounds, args.seed))
    print(f"{args.datafile}: {len(data.actors)} actors, {len(data.issues)} issues; protocol "
          f"{args.protocol}, {args.rounds} rounds, {args.runs} run(s), seed {args.seed}",
          file=sys.stderr)
    emit(table, args.format, args.out)


def backtest(args: argparse.Namespace) -> None:
    from simulation.inputs.importers import read_actor_issue_data
    from simulation.runs.forecast import backtest

    data = read_actor_issue_data(args.datafile)
    table = backtest(data, args.protocol, args.rounds, args.runs, args.seed)
    print(f"{args.datafile}: errors on the data's own scale (prediction - observed; last row: "
          "mean absolute error); "
          f"protocol {args.protocol}, {args.rounds} rounds, {args.runs} run(s), seed {args.seed}",
          file=sys.stderr)
    if args.format == "table":  # compact: the errors only; csv and json keep the predictions
        errors = [c for c in table.columns if c.endswith("_error")]
        table = table[["issue", "observed", *errors]].round(3)
        table.columns = ["issue", "observed", *(c.removesuffix("_error") for c in errors)]
        table = table.astype(object).where(table.notna(), "")
    emit(table, args.format, args.out)


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("datafile", metavar="DATAFILE",
                        help="a Decide input file (#A/#P/#M/#D rows) or a long CSV "
                             "(actor,issue,position,salience,capability[,status_quo,outcome])")
    parser.add_argument("--protocol", choices=protocols.NAMES, default=protocols.DEFAULT,
                        help="bargaining protocol (default: %(default)s)")
    parser.add_argument("--rounds", type=positive, default=DEFAULT_ROUNDS,
                        help=f"negotiating rounds, the last one decides (default: "
                             f"{DEFAULT_ROUNDS})")
    parser.add_argument("--runs", type=positive, default=1,
                        help="replications with small measurement noise (default: 1, no noise)")
    parser.add_argument("--seed", type=seed, default=0, help="master seed (default: 0)")
    add_output_options(parser)


def register(commands: argparse._SubParsersAction) -> None:
    """Add `forecast` and `backtest` to the `mc11` parser."""
    parser = commands.add_parser("forecast", help="run the engine on your own actor x issue data")
    _add_data_options(parser)
    parser.add_argument("--trace", action="store_true",
                        help="first print each round's moves and exchanges (one run)")
    parser.add_argument("--trace-dir", metavar="DIR",
                        help="write each round's realised exchanges (--protocol exchange, one "
                             "run) to DIR/exchanges/<round>.output.csv in the columns of "
                             "decide-exchange-model; round 1 is 0.output.csv")
    parser.set_defaults(handler=forecast, runs_model=True)

    parser = commands.add_parser(
        "backtest", help="score the engine and simple baselines against observed outcomes")
    _add_data_options(parser)
    parser.set_defaults(handler=backtest, runs_model=True)

"""`mc11 forecast`, `mc11 backtest`: the negotiation engine on the user's own actor x issue data;
`mc11 deu-to-csv`, which turns the DEU III dataset into such data."""

from __future__ import annotations

import argparse
import csv
import io
import math
import shlex
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from simulation.cli.common import (
    add_output_options,
    add_yes_option,
    confirm_cost,
    emit,
    file_or_folder,
    positive,
    rounded,
    seed,
    workers_on_this_machine,
    wrong_kind,
)
from simulation.engine import protocols
from simulation.errors import InputError, unwritable, write_new
from simulation.inputs import DEFAULT_ROUNDS, MAX_ROUNDS
from simulation.report import counted

if TYPE_CHECKING:
    import pandas as pd

EXCHANGE_RULES = next(setting.choices for setting in protocols.settings()
                      if setting.name == "exchange_rule")


def _exchange_folder(args: argparse.Namespace, protocol: str) -> Path:
    """The new folder for --trace-dir's exchange files; an unusable request is an InputError."""
    if protocol != "exchange":
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
    except FileExistsError:
        raise InputError(str(folder), "--trace-dir", "the folder exists already; choose a new "
                         "--trace-dir") from None
    except OSError as exc:
        raise InputError(str(folder), "--trace-dir", f"cannot create the folder "
                         f"({unwritable(exc)}); choose a --trace-dir you can write to") from None
    try:
        for number, rows in enumerate(rounds):
            text = io.StringIO()
            writer = csv.writer(text, delimiter=";", lineterminator="\n")
            writer.writerow(REFERENCE_COLUMNS)
            writer.writerows(rows)
            write_new(folder / f"{number}.output.csv", text.getvalue())
    except BaseException as exc:
        shutil.rmtree(folder, ignore_errors=True)  # new above: a trace is whole or absent
        if not isinstance(exc, OSError):
            raise
        raise InputError(str(folder), "--trace-dir", f"cannot write the files "
                         f"({unwritable(exc)}); nothing was kept there") from None
    print(f"wrote {sum(map(len, rounds))} exchanges in {len(rounds)} files to {folder}",
          file=sys.stderr)


def say_scales(dataset: tuple, scored: bool) -> None:
    """Notes on the issues' scales, once the command's inputs are sound: those taken from the
    data's range (no scale given), and, where errors are `scored`, scales so far apart that
    pooled errors weigh issues by their width (`forecast.mixed_scales`)."""
    from simulation.runs.forecast import mixed_scales

    taken = [(data, issue) for data in dataset for issue in data.scale_taken]
    if taken:
        data, issue = taken[0]
        j = data.issues.index(issue)
        issues = sum(len(data.issues) for data in dataset)
        print(f"mc11: note: {len(taken):,} of {counted(issues, 'issue')} "
              f"{'gives' if len(taken) == 1 else 'give'} no scale "
              "(scale_low and scale_high, or #M anchors): each is taken as the range of its "
              f"positions and status quo (e.g. {issue!r}: {data.lower[j]:g} to "
              f"{data.upper[j]:g}), and the measurement noise, bargaining steps and tolerances "
              "are shares of it; give the scale where your data have one", file=sys.stderr)
    note = mixed_scales(dataset) if scored else None
    if note:
        print(f"mc11: note: {note}", file=sys.stderr, flush=True)


def dataset_of(datafile: str, negotiation: str | None) -> tuple:
    """The negotiations a command runs on (one if `negotiation` names it), after printing the
    reader's notes."""
    from simulation.inputs.importers import read_dataset

    try:
        dataset = read_dataset(datafile)
    except InputError as error:
        raise wrong_kind(error, "data", datafile) from None
    for data in dataset:
        for note in data.notes:
            print(f"mc11: note: {note}", file=sys.stderr)
    if negotiation is not None:
        chosen = tuple(data for data in dataset if data.negotiation == negotiation)
        if not chosen:
            names = [data.negotiation for data in dataset if data.negotiation]
            shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
            raise InputError("--negotiation", "negotiation",
                             f"{negotiation!r} is not in {datafile}; "
                             f"allowed: {shown or 'none (the file has no negotiation column)'}")
        dataset = chosen
    return dataset


def _dataset(args: argparse.Namespace) -> tuple:
    return dataset_of(args.datafile, args.negotiation)


def _settings(args: argparse.Namespace):
    """The parameter file's settings (or the defaults) with the command line's choices."""
    from simulation.inputs.own_parameters import OwnDataSettings, read_own_parameters
    from simulation.runs.forecast import check_exchange_rule, settings_for

    base = read_own_parameters(args.params) if args.params else OwnDataSettings()
    protocol = args.protocol or base.protocol
    check_exchange_rule(protocol, args.exchange_rule)
    _note_unread_settings(args.params, base, protocol)
    return settings_for(protocol, args.rounds or base.rounds, args.exchange_rule, base)


def _note_unread_settings(path: str | None, settings, protocol: str) -> None:
    """A note for each bargaining setting the parameter file gives that `protocol` does not
    read (a calibrated exchange file run under compromise, say), or that own data leave idle
    (coalition_rate: they name no coalitions): it changes no run."""
    from simulation.runs.design import unread

    given = [f"parameters.bargaining.{name}"
             for name in settings.parameters.bargaining.model_fields_set if name != "protocol"]
    for setting, reader in unread(given, protocol).items():
        print(f"mc11: note: {path} sets {setting.rsplit('.', 1)[1]}, read only by {reader}; "
              f"under {protocol} it changes no run", file=sys.stderr)
    if "parameters.bargaining.coalition_rate" in given:
        print(f"mc11: note: {path} sets coalition_rate, the pull of coalitions; own data name "
              "no coalitions, so it changes no run", file=sys.stderr)


def _confirm(args: argparse.Namespace, dataset: tuple, settings) -> int:
    """The workers the runs get, once long work has its go-ahead (`confirm_cost`)."""
    from simulation.runs.forecast import estimate_dataset

    workers = workers_on_this_machine(args.workers)
    confirm_cost(estimate_dataset(dataset, settings, args.runs, workers),
                 min(workers, len(dataset)),
                 what=f"{args.runs:,} run(s) of {counted(len(dataset), 'negotiation')}",
                 yes=args.yes, option="--runs", instead="ask for fewer --runs")
    return workers


@contextmanager
def _progress(name: str, args: argparse.Namespace, dataset: tuple) -> Iterator:
    """The runs' progress: a bar on a terminal, plain lines in a log, once a run lasts."""
    from simulation.runs.progress import QUIET_SECONDS, Progress

    shown = Progress(args.runs * len(dataset), 0, name, after=QUIET_SECONDS)
    try:
        yield shown.update
    finally:
        shown.close()


def _describe(args: argparse.Namespace, dataset: tuple, settings) -> str:
    bargaining = settings.parameters.bargaining
    rule = f" (exchange rule {bargaining.exchange_rule})" if settings.protocol == "exchange" else ""
    what = (counted(len(dataset), "negotiation") if len(dataset) > 1 else
            f"{counted(len(dataset[0].actors), 'actor')}, "
            f"{counted(len(dataset[0].issues), 'issue')}")
    return (f"{args.datafile}: {what}; protocol {settings.protocol}{rule}, {settings.rounds} "
            f"rounds, {args.runs} run(s), seed {args.seed}"
            + (f", parameters from {args.params}" if args.params else ""))


def _inputs(args: argparse.Namespace, settings) -> dict[str, object] | None:
    """What a table written with --out depends on, as a calibration's inputs.json records it:
    the data and their sha256, the settings, runs and seed, the versions of the package, model
    rules and libraries, and the command that writes the same table; None without --out."""
    from simulation.runs import versions
    from simulation.runs.calibrate import data_digest

    if args.out is None:
        return None
    bargaining = settings.parameters.bargaining
    again = ["mc11", args.command, args.datafile, "--protocol", settings.protocol,
             "--rounds", str(settings.rounds)]
    if settings.protocol == "exchange":
        again += ["--exchange-rule", bargaining.exchange_rule]
    if args.params:
        again += ["--params", args.params]
    again += ["--runs", str(args.runs), "--seed", str(args.seed)]
    if args.negotiation is not None:
        again += ["--negotiation", args.negotiation]
    if getattr(args, "per_negotiation", False):
        again.append("--per-negotiation")
    again += ["--format", args.format]
    return {"command": shlex.join(again), **versions.record(),
            "datafile": str(Path(args.datafile).resolve()),
            "data_sha256": data_digest(args.datafile),
            "params": str(Path(args.params).resolve()) if args.params else None,
            "negotiation": args.negotiation, "runs": args.runs, "seed": args.seed,
            "settings": settings.model_dump(mode="json")}


def forecast(args: argparse.Namespace) -> None:
    """`mc11 forecast`: the engine's forecast of each issue of the user's own data."""
    from simulation.engine.model import NOTABLE_MOVE
    from simulation.runs.forecast import (
        forecast_dataset,
        reference_exchange_rows,
        trace_events,
    )

    dataset = _dataset(args)
    settings = _settings(args)
    folder = _exchange_folder(args, settings.protocol) if args.trace_dir else None
    if (args.trace or folder is not None) and len(dataset) > 1:
        option = "--trace" if args.trace else "--trace-dir"
        raise InputError(option, "negotiation", f"a trace follows one negotiation and "
                         f"{args.datafile} holds {len(dataset)}; name one with --negotiation")
    if args.trace:
        if args.runs > 1:
            raise InputError("--trace", "runs", "a trace follows one run; drop --runs or --trace")
        print("trace (positions on the 0-100 scale of each issue):")
        events = trace_events(dataset[0], settings, args.seed)
        for event in events:
            print("  ".join(str(part) for part in event))
        if not events:
            print(f"  (no move of {NOTABLE_MOVE:g} points or more, no exchange)")
        print()
    workers = _confirm(args, dataset, settings)
    print(_describe(args, dataset, settings), file=sys.stderr, flush=True)
    say_scales(dataset, scored=False)
    with _progress("forecast", args, dataset) as progress:
        table = forecast_dataset(dataset, settings, args.runs, args.seed, workers, progress)
    if folder is not None:
        _write_exchange_files(folder, reference_exchange_rows(dataset[0], settings, args.seed))
    emit(table, args.format, args.out, _inputs(args, settings))
    if args.runs > 1:
        from simulation.runs.forecast import POSITION_SD, SALIENCE_SD

        sys.stdout.flush()  # the note under the table
        print(f"mc11: note: the _p10 and _p90 columns show how far the forecast moves with the "
              f"assumed measurement noise (sd {POSITION_SD:g}% of each issue's scale on "
              f"positions, {SALIENCE_SD:g} on saliences), not a forecast interval: `mc11 "
              "backtest` measures how far forecasts miss", file=sys.stderr)


def backtest(args: argparse.Namespace) -> None:
    """`mc11 backtest`: the engine and simple baselines scored against observed outcomes."""
    import numpy as np
    import pandas as pd

    from simulation.runs.forecast import (
        backtest_issues,
        check_outcomes,
        issues_scored,
        method_name,
        paired_gaps,
        summary_by_negotiation,
        with_base_rates,
        with_error_row,
    )

    dataset = _dataset(args)
    settings = _settings(args)
    for data in dataset:
        check_outcomes(data)
    workers = _confirm(args, dataset, settings)
    print(_describe(args, dataset, settings) + "; errors on the data's own scale (prediction - "
          "observed)", file=sys.stderr, flush=True)
    say_scales(dataset, scored=True)
    if args.params and _fitted_on_these_data(args.params, args.datafile):
        print(f"mc11: note: {args.params} was fitted on these same data (its header's data "
              "sha256 matches): the model's errors are in sample, so optimistic; the "
              "calibration's report gives the out-of-fold error", file=sys.stderr, flush=True)
    with _progress("backtest", args, dataset) as progress:
        issues = backtest_issues(dataset, settings, args.runs, args.seed, workers, progress)
    inputs = _inputs(args, settings)
    if args.per_negotiation:  # one row per negotiation, then all pooled
        emit(rounded(summary_by_negotiation(issues)), args.format, args.out, inputs)
        return
    if args.format != "table":  # csv and json: every issue's predictions and errors
        emit(with_error_row(with_base_rates(issues)), args.format, args.out, inputs)
        return
    summary = summary_by_negotiation(issues)
    if len(dataset) == 1:  # one negotiation: its issues' errors, then the methods in words
        errors = [c for c in issues.columns if c.endswith("_error")]
        table = rounded(with_error_row(issues)[["issue", "observed", *errors]])
        table.columns = ["issue", "observed", *(c.removesuffix("_error") for c in errors)]
        print(table.to_string(index=False, na_rep="-"))
        print()
    pooled = summary.iloc[-1]
    methods = [c for c in summary.columns if c not in ("negotiation", "issues")]
    scored = issues_scored(issues)
    rows = pd.DataFrame({"method": [method_name(m) for m in methods],
                         "column": methods,
                         "issues scored": [scored[m] for m in methods],
                         "mean absolute error": [round(float(pooled[m]), 3) for m in methods]})
    if len(dataset) > 1:
        # each method within rounding of the negotiation's smallest error is best in it: the
        # plain mean can miss by 3.6e-15 where a weighted mean, equal in every table, misses by 0
        errors = summary.iloc[:-1][methods].astype(float)
        best = np.isclose(errors, errors.min(axis=1).to_numpy()[:, None], rtol=1e-9, atol=1e-9)
        rows["best in (negotiations)"] = best.sum(axis=0).tolist()
    gaps = paired_gaps(issues)
    rows[PAIRED] = [gap_text(*gaps[m]) if m in gaps and math.isfinite(gaps[m][0]) else ""
                    for m in methods]
    verdict = _verdict_table(issues)
    if args.out is not None:  # both tables to the file, without the notes under them
        emit(rows, args.format, args.out, inputs, after=None if verdict is None else verdict[:2])
        return
    print(f"mean absolute error over {counted(int(pooled['issues']), 'issue')}"
          + (f" of {len(dataset)} negotiations (per negotiation: --per-negotiation)"
             if len(dataset) > 1 else "") + ":")
    emit(rows, args.format, None)
    print(f"\n{PAIRED}: a method's mean absolute error minus the model's on the issues both "
          "score (positive: the model is closer), ± its standard error "
          f"({'clustered by negotiation' if len(dataset) > 1 else 'over issues'}); a gap "
          "within about two standard errors is a tie")
    if verdict is not None:
        heading, table, note = verdict
        print(f"\n{heading}")
        emit(table, args.format, None)
        print(f"\n{note}")


def _verdict_table(issues: pd.DataFrame) -> tuple[str, pd.DataFrame, str] | None:
    """The backtest's second table, its heading and the note under it: the model's probability
    that an issue's outcome changes from the status quo and an out-of-sample base rate's,
    scored; None without a status quo."""
    import pandas as pd

    from simulation.runs.forecast import (
        CHANGE_METHODS,
        CHANGE_TOLERANCE,
        MODEL,
        PROBABILITY_FLOOR,
        verdict_scores,
    )

    scores = verdict_scores(issues)
    if scores is None:
        return None
    left_out = "negotiation" if scores.by_negotiation else "issue"
    table = pd.DataFrame({
        "method": list(CHANGE_METHODS.values()),
        "column": [f"{m}_p_change" for m in CHANGE_METHODS],
        "Brier": [f"{scores.brier[m]:.3f}" for m in CHANGE_METHODS],
        "log score": [f"{scores.log[m]:.3f}" for m in CHANGE_METHODS],
        f"Brier {PAIRED}": ["" if m == MODEL else gap_text(*scores.brier_gap[m])
                            for m in CHANGE_METHODS],
        f"log {PAIRED}": ["" if m == MODEL else gap_text(*scores.log_gap[m])
                          for m in CHANGE_METHODS],
    })
    heading = (f"verdict score over {counted(scores.issues, 'issue')} with a status quo, the "
               f"event: the outcome differs from it by more than {CHANGE_TOLERANCE:g}% of the "
               f"issue's scale (it does in {scores.changed} of them):")
    note = (f"the model's probability is the share of runs whose final meeting agreed on a text "
            f"that moves the issue (with --runs 1, 0 or 1); the base rate is estimated without "
            f"the {left_out} it predicts; lower scores are better, probabilities clipped to "
            f"[{PROBABILITY_FLOOR:g}, {1 - PROBABILITY_FLOOR:g}] for the log score; minus the "
            "model: positive where the model scores better, ± its standard error "
            f"({'clustered by negotiation' if scores.by_negotiation else 'over issues'})")
    return heading, table, note


PAIRED = "minus the model (paired)"


def gap_text(gap: float, error: float) -> str:
    """A paired gap and its standard error as the tables show them."""
    return f"{gap:+.3f} ± {error:.3f}" if math.isfinite(error) else f"{gap:+.3f}"


def _fitted_on_these_data(parameter_file: str, datafile: str) -> bool:
    """Whether `mc11 calibrate` fitted the parameter file on the data being scored."""
    from simulation.runs.calibrate import data_digest, fitted_on

    return fitted_on(parameter_file) == data_digest(datafile)


def deu_to_csv(args: argparse.Namespace) -> None:
    """`mc11 deu-to-csv`: convert a DEU III file into a long CSV, one negotiation per proposal."""
    from simulation.inputs.deu import convert_deu, write_long_csv

    converted = convert_deu(args.source)
    write_long_csv(converted, args.new_csv)
    print(f"wrote {counted(len(converted.rows), 'actor-issue row')} of "
          f"{counted(converted.proposals, 'proposal')} "
          f"(one negotiation each) to {args.new_csv}", file=sys.stderr)
    if converted.dropped:
        print(f"left out {counted(len(converted.dropped), 'proposal')} without any coded outcome: "
              f"{', '.join(converted.dropped)}", file=sys.stderr)
    if converted.filled_saliences:
        filled = converted.filled_saliences
        print(f"{counted(filled, 'position')} without a coded salience "
              f"{'was' if filled == 1 else 'were'} given salience 50 (0.5 in the CSV, whose "
              "saliences run 0-1)", file=sys.stderr)


def _rounds(text: str) -> int:
    """A --rounds argument: 1 to MAX_ROUNDS (each round is a month of a synthetic calendar)."""
    value = positive(text)
    if value > MAX_ROUNDS:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_ROUNDS}")
    return value


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("datafile", metavar="DATAFILE", type=file_or_folder,
                        help="a Decide input file (#A/#P/#M/#D rows), a long CSV (columns "
                             "actor, issue, position, salience, capability; optional: "
                             "status_quo, outcome, scale_low, scale_high, negotiation) or a "
                             "folder of such files (one negotiation each)")
    parser.add_argument("--protocol", choices=protocols.NAMES, default=None,
                        help=f"bargaining protocol (default: the --params file's, else "
                             f"{protocols.DEFAULT})")
    parser.add_argument("--rounds", type=_rounds, default=None,
                        help=f"negotiating rounds, the last one decides: 1 to {MAX_ROUNDS} "
                             f"(default: the --params file's, else {DEFAULT_ROUNDS})")
    parser.add_argument("--exchange-rule", choices=EXCHANGE_RULES, default=None,
                        help="exchange protocol: 'reference' realises exchanges as "
                             "decide-exchange-model does, 'once' (faster) lets each actor trade "
                             "on an issue once a round (default: the --params file's, else once)")
    parser.add_argument("--params", metavar="FILE", type=file_or_folder,
                        help="a parameter file (as `mc11 calibrate` writes); the options above "
                             "override it")
    parser.add_argument("--runs", type=positive, default=1,
                        help="replications with small measurement noise (default: 1, without "
                             "it; the protocol's own bargaining noise, noise_sd, still applies)")
    parser.add_argument("--seed", type=seed, default=0, help="master seed (default: 0)")
    parser.add_argument("--negotiation", metavar="NAME",
                        help="run only this negotiation of the dataset")
    parser.add_argument("--workers", type=positive, default=None,
                        help="processes running negotiations in parallel (default: all cores; "
                             "more are capped to the cores; results do not depend on it)")
    add_yes_option(parser, "runs", disk=False)
    add_output_options(parser)


def register(commands: argparse._SubParsersAction) -> None:
    """Add `forecast`, `backtest` and `deu-to-csv` to the `mc11` parser."""
    parser = commands.add_parser("forecast", help="run the engine on your own actor x issue data")
    _add_data_options(parser)
    parser.add_argument("--trace", action="store_true",
                        help="first print each round's moves and exchanges (one run)")
    parser.add_argument("--trace-dir", metavar="DIR", type=file_or_folder,
                        help="write each round's realised exchanges (--protocol exchange, one "
                             "run) to DIR/exchanges/<round>.output.csv in the columns of "
                             "decide-exchange-model; round 1 is 0.output.csv")
    parser.set_defaults(handler=forecast, runs_model=True, records_inputs=True)

    parser = commands.add_parser(
        "backtest", help="score the engine and simple baselines against observed outcomes")
    _add_data_options(parser)
    parser.add_argument("--per-negotiation", action="store_true",
                        help="one row per negotiation (issues scored, each method's mean "
                             "absolute error), then all negotiations pooled")
    parser.set_defaults(handler=backtest, runs_model=True, records_inputs=True)

    parser = commands.add_parser(
        "deu-to-csv", help="convert the DEU III dataset (EU legislation) into a long CSV with "
                           "one negotiation per proposal")
    parser.add_argument("source", metavar="DEU3", type=file_or_folder,
                        help="the tab-separated DEU III copy (deu3.csv of "
                             "github.com/blksv/predictioneers_game)")
    parser.add_argument("new_csv", metavar="OUT", type=file_or_folder, help="the new long CSV")
    parser.set_defaults(handler=deu_to_csv)

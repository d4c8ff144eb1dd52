"""The `mc11` command line: inspect the data, run one negotiation or an ensemble, compare, plot."""

from __future__ import annotations

import argparse
import csv
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from simulation import __version__, plots, summary
from simulation.catalogue import default_catalogue, suggest
from simulation.ensemble import OUTCOME_LABELS, replication_seed, rules_need_compiling
from simulation.errors import InputError
from simulation.exchange import REFERENCE_COLUMNS
from simulation.forecast import (
    DEFAULT_ROUNDS,
    backtest,
    forecast,
    reference_exchange_rows,
    trace_events,
)
from simulation.importers import read_actor_issue_data
from simulation.model import NegotiationModel, RunResult
from simulation.preferences import derive_preferences
from simulation.results import (
    RunInterrupted,
    execute,
    issues_frame,
    load_results,
    position_groups,
    resume_run,
    start_run,
    write_plots,
)
from simulation.scenario import DEFAULT_SCENARIO, Scenario, load_scenario

FORMATS = ("table", "csv", "json")


def _emit(frame: pd.DataFrame, fmt: str, out: str | None) -> None:
    """Print a frame as a table, CSV or JSON, or write it to a new file."""
    if fmt == "csv":
        text = frame.to_csv(index=False)
    elif fmt == "json":
        text = frame.to_json(orient="records", indent=1, force_ascii=False) + "\n"
    else:
        with pd.option_context("display.max_colwidth", 60, "display.width", 200):
            text = frame.to_string(index=False) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    path = Path(out)
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise InputError(str(path), "--out", "the file exists already; choose a new name") from None
    except OSError as exc:
        raise InputError(str(path), "--out", f"cannot write the file ({exc.strerror})") from None
    print(f"wrote {len(frame)} rows to {path}", file=sys.stderr)


def _filter(
    frame: pd.DataFrame, column: str, wanted: list[str] | None, known: list[str]
) -> pd.DataFrame:
    """Keep the rows whose column is among the wanted ids; unknown ids are an error."""
    if not wanted:
        return frame
    for value in wanted:
        if value not in known:
            raise InputError(
                f"--{column}", column, f"unknown {column} {value!r}{suggest(value, known)}; "
                f"run `mc11 {column}s` for the list"
            )
    return frame[frame[column].isin(wanted)]


def cmd_issues(args: argparse.Namespace) -> None:
    catalogue = default_catalogue()
    frame = pd.DataFrame([
        {"issue": i.id, "title": i.title, "cluster": i.cluster, "status_quo": i.status_quo,
         "new_discipline": i.new_discipline, "low (0)": i.scale.low, "high (100)": i.scale.high,
         "sections": " ".join(i.sections)}
        for i in catalogue.issues
    ])
    _emit(frame, args.format, args.out)


def cmd_members(args: argparse.Namespace) -> None:
    catalogue = default_catalogue()
    sponsorship: dict[str, list[str]] = {}
    for proposal in catalogue.proposals:
        for code in proposal.sponsors:
            sponsorship.setdefault(code, []).append(proposal.symbol)
    frame = pd.DataFrame([
        {"member": m.code, "name": m.name, "status": m.status,
         "represented_by": m.represented_by, "groups": ";".join(sorted(m.groups)),
         "sponsored": ";".join(sponsorship.get(m.code, [])), "capability": m.capability,
         "capability_basis": m.capability_basis}
        for m in catalogue.members
    ])
    _emit(frame, args.format, args.out)


def cmd_preferences(args: argparse.Namespace) -> None:
    catalogue = default_catalogue()
    table = derive_preferences(catalogue)
    table = _filter(table, "member", args.member, [m.code for m in catalogue.actors])
    table = _filter(table, "issue", args.issue, catalogue.issue_ids)
    _emit(table, args.format, args.out)


def _outcome_table(scenario: Scenario, result: RunResult, members: tuple[str, ...]) -> pd.DataFrame:
    """One replication's verdict per issue, with blockers and plurilateral members."""
    codes = np.array(members)
    rows = []
    for j, issue in enumerate(scenario.catalogue.issues):
        rows.append({
            "issue": issue.id,
            "outcome": OUTCOME_LABELS[int(result.outcome[j])],
            "text": round(float(result.text[j]), 1) if np.isfinite(result.text[j]) else None,
            "status_quo": issue.status_quo,
            "coverage": round(float(result.coverage[j]), 3),
            "blockers": " ".join(codes[result.blockers[:, j]][:8])
            + (" ..." if result.blockers[:, j].sum() > 8 else ""),
            "plurilateral": int(result.plurilateral_members[:, j].sum()),
        })
    return pd.DataFrame(rows)


def cmd_simulate(args: argparse.Namespace) -> None:
    scenario = load_scenario(args.scenario)
    if args.protocol:
        parameters = scenario.spec.parameters
        bargaining = parameters.bargaining.model_copy(update={"protocol": args.protocol})
        scenario = scenario.with_changes(
            parameters=parameters.model_copy(update={"bargaining": bargaining}))
    seed = args.seed if args.seed is not None else scenario.spec.seed
    model = NegotiationModel(scenario.negotiation(), scenario.spec.parameters,
                             rng=replication_seed(seed, 0),
                             trace=args.trace)
    result = model.run().take(0)
    if args.trace:
        for event in model.events:
            print("  ".join(str(part) for part in event))
        print()
    print(f"{scenario.name}, seed {seed}, protocol "
          f"{scenario.spec.parameters.bargaining.protocol}: one replication")
    _emit(_outcome_table(scenario, result, model.negotiation.members), args.format, args.out)


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _positive(text: str) -> int:
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be a whole number of at least 1")
    return value


def _seed(text: str) -> int:
    value = _whole(text)
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError("must be a whole number from 0 to 2**63 - 1")
    return value


def cmd_run(args: argparse.Namespace) -> None:
    workers = args.workers or os.cpu_count() or 1
    if args.resume:
        run = resume_run(Path(args.resume))
    else:
        scenario = load_scenario(args.scenario)
        runs = args.runs or scenario.spec.replications
        seed = args.seed if args.seed is not None else scenario.spec.seed
        run = start_run(scenario, runs, seed, Path(args.out) if args.out else None,
                        Path(args.results_dir))
    print(f"running {run.runs} replications of '{run.scenario.name}' (seed {run.seed}) on "
          f"{workers} worker(s) into {run.folder}", file=sys.stderr)
    execute(run, workers, progress=not args.quiet, plots=not args.no_plots)
    table = load_results(run.folder).summary
    _print_summary(table)
    print(f"\nresults: {run.folder}")


def _print_summary(table: pd.DataFrame) -> None:
    view = pd.DataFrame({
        "issue": table["issue"],
        "P(multi)": table["p_multilateral"].map("{:.2f}".format),
        "95% CI": [f"{a:.2f}-{b:.2f}" for a, b in
                   zip(table["p_multilateral_low"], table["p_multilateral_high"], strict=True)],
        "P(pluri)": table["p_plurilateral"].map("{:.2f}".format),
        "P(none)": table["p_none"].map("{:.2f}".format),
        "text median": table["text_median"].map(lambda v: "" if pd.isna(v) else f"{v:.0f}"),
        "top blockers": table["top_blockers"].fillna(""),
    })
    print(view.to_string(index=False))


def cmd_compare(args: argparse.Namespace) -> None:
    first, second = load_results(args.first), load_results(args.second)
    table = summary.compare(first.summary.set_index("issue"), second.summary.set_index("issue"))
    full = table.rename_axis("issue").reset_index()
    if args.format != "table":
        _emit(full, args.format, args.out)
    else:
        print(f"change from {first.manifest['scenario']} ({first.folder}) to "
              f"{second.manifest['scenario']} ({second.folder}); * = 95% interval excludes 0")
        _emit(_compact_comparison(full), args.format, args.out)
    if args.plot:
        path = Path(args.plot)
        if path.exists():
            raise InputError(str(path), "--plot", "the file exists already; choose a new name")
        plots.plot_comparison(table, path, first.manifest["scenario"], second.manifest["scenario"])
        print(f"wrote {path}", file=sys.stderr)


def _compact_comparison(full: pd.DataFrame) -> pd.DataFrame:
    """One column per outcome: the change in probability, its 95% interval and a flag."""
    view = pd.DataFrame({"issue": full["issue"]})
    for outcome in summary.OUTCOMES:
        diff, low, high = (full[f"diff_{outcome}{part}"] for part in ("", "_low", "_high"))
        flag = full[f"diff_{outcome}_excludes_zero"].map({True: "*", False: ""})
        view[f"d P({outcome})"] = [f"{d:+.2f} [{lo:+.2f}, {hi:+.2f}]{f}" for d, lo, hi, f
                                   in zip(diff, low, high, flag, strict=True)]
    return view


def cmd_plot(args: argparse.Namespace) -> None:
    results = load_results(args.results)
    scenario, folder = results.scenario, results.folder
    issues = issues_frame(scenario)
    paths = write_plots(
        folder, results.outcomes, results.summary, pd.read_csv(folder / "support.csv"),
        pd.read_csv(folder / "blockers.csv"), issues, position_groups(scenario),
    )
    for path in paths:
        print(path)


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


def cmd_forecast(args: argparse.Namespace) -> None:
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
    _emit(table, args.format, args.out)


def cmd_backtest(args: argparse.Namespace) -> None:
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
    _emit(table, args.format, args.out)


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("datafile", metavar="DATAFILE",
                        help="a Decide input file (#A/#P/#M/#D rows) or a long CSV "
                             "(actor,issue,position,salience,capability[,status_quo,outcome])")
    parser.add_argument("--protocol", choices=("compromise", "exchange"), default="compromise",
                        help="bargaining protocol (default: compromise)")
    parser.add_argument("--rounds", type=_positive, default=DEFAULT_ROUNDS,
                        help=f"negotiating rounds, the last one decides (default: "
                             f"{DEFAULT_ROUNDS})")
    parser.add_argument("--runs", type=_positive, default=1,
                        help="replications with small measurement noise (default: 1, no noise)")
    parser.add_argument("--seed", type=_seed, default=0, help="master seed (default: 0)")
    _add_output_options(parser)


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format")
    parser.add_argument("--out", help="write to this new file instead of the screen")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mc11",
        description="Simulate the WTO e-commerce negotiations before MC11 (Buenos Aires, 2017).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    issues = commands.add_parser("issues", help="list the negotiating issues and their scales")
    _add_output_options(issues)
    issues.set_defaults(handler=cmd_issues)

    members = commands.add_parser("members", help="list the WTO members and their groups")
    _add_output_options(members)
    members.set_defaults(handler=cmd_members)

    prefs = commands.add_parser(
        "preferences", help="show the member x issue preferences derived from the 2016 proposals"
    )
    prefs.add_argument("--member", action="append", help="only this member (ISO3; repeatable)")
    prefs.add_argument("--issue", action="append", help="only this issue id (repeatable)")
    _add_output_options(prefs)
    prefs.set_defaults(handler=cmd_preferences)

    simulate = commands.add_parser("simulate", help="run one replication and show the verdict")
    simulate.add_argument("--scenario", default=str(DEFAULT_SCENARIO),
                          help="scenario file (default: the shipped baseline)")
    simulate.add_argument("--seed", type=_seed, help="master seed (default: the scenario's)")
    simulate.add_argument("--protocol", choices=("compromise", "exchange"),
                          help="bargaining protocol (default: the scenario's)")
    simulate.add_argument("--trace", action="store_true",
                          help="print what happened in each period")
    _add_output_options(simulate)
    simulate.set_defaults(handler=cmd_simulate, runs_model=True)

    run = commands.add_parser("run", help="run a scenario's ensemble into a results folder")
    run.add_argument("scenario", nargs="?", default=str(DEFAULT_SCENARIO),
                     help="scenario file (default: the shipped baseline)")
    run.add_argument("--runs", type=_positive, help="replications (default: the scenario's)")
    run.add_argument("--seed", type=_seed, help="master seed (default: the scenario's)")
    run.add_argument("--workers", type=_positive, help="worker processes (default: all cores)")
    run.add_argument("--out", help="results folder to create (default: results/<name>-<time>)")
    run.add_argument("--results-dir", default="results", help="where new results folders go")
    run.add_argument("--resume", metavar="DIR", help="complete an interrupted results folder")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--no-plots", action="store_true",
                     help="tables only, no figures (draw them later with `mc11 plot`)")
    run.set_defaults(handler=cmd_run, runs_model=True)

    compare = commands.add_parser("compare", help="compare two results folders issue by issue")
    compare.add_argument("first", metavar="RESULTS_A")
    compare.add_argument("second", metavar="RESULTS_B")
    compare.add_argument("--plot", metavar="PNG", help="also write the comparison plot here")
    _add_output_options(compare)
    compare.set_defaults(handler=cmd_compare)

    forecast_cmd = commands.add_parser(
        "forecast", help="run the engine on your own actor x issue data")
    _add_data_options(forecast_cmd)
    forecast_cmd.add_argument("--trace", action="store_true",
                              help="first print each round's moves and exchanges (one run)")
    forecast_cmd.add_argument("--trace-dir", metavar="DIR",
                              help="write each round's realised exchanges (--protocol exchange, "
                                   "one run) to DIR/exchanges/<round>.output.csv in the columns "
                                   "of decide-exchange-model; round 1 is 0.output.csv")
    forecast_cmd.set_defaults(handler=cmd_forecast, runs_model=True)

    backtest_cmd = commands.add_parser(
        "backtest", help="score the engine and simple baselines against observed outcomes")
    _add_data_options(backtest_cmd)
    backtest_cmd.set_defaults(handler=cmd_backtest, runs_model=True)

    plot = commands.add_parser("plot", help="(re)draw the plots of a results folder")
    plot.add_argument("results", metavar="RESULTS_DIR")
    plot.set_defaults(handler=cmd_plot)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; user errors print one paragraph and exit 2, Ctrl-C exits 130."""
    if hasattr(signal, "SIGPIPE"):  # `mc11 ... | head` ends quietly, as shell tools do
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], None] = args.handler
    if getattr(args, "runs_model", False) and rules_need_compiling():
        print("mc11: compiling the model's rules for this machine first (once after installing, "
              "about 30 s)", file=sys.stderr, flush=True)
    try:
        handler(args)
    except InputError as error:
        print(f"mc11: error: {error}", file=sys.stderr)
        return 2
    except RunInterrupted as stopped:
        print(f"mc11: {stopped}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("mc11: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

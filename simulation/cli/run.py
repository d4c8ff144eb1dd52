"""`mc11 run`: a scenario's ensemble into a results folder (or an interrupted one completed),
its tables and summary; with --plots its figures, drawn by `simulation.cli.plot`."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from simulation.cli.common import (
    RESULTS_DIR,
    Deprecated,
    add_figure_format_option,
    add_scenario_argument,
    add_yes_option,
    confirm_size,
    figure_format,
    figure_format_words,
    file_or_folder,
    load_checked,
    load_noting,
    positive,
    read_checked,
    results_dir,
    run_count,
    say_if_compiling,
    scenario_of,
    seed,
    summary_problem,
    workers_on_this_machine,
)
from simulation.cli.plot import draw_figures, figure_files
from simulation.errors import InputError, shell_word, unwritable
from simulation.report import counted

if TYPE_CHECKING:
    from simulation.report.figures import FigureTables, StandardFigure
    from simulation.runs.aggregate import Aggregate
    from simulation.runs.results import Run


def run(args: argparse.Namespace) -> None:
    """`mc11 run`: run (or resume) a scenario's ensemble into a results folder, then its tables
    and, with --plots, its figures."""
    from simulation.runs.results import RunInterrupted, execute, missing_chunks, start_run

    workers = workers_on_this_machine(args.workers)
    fmt = figure_format(args)
    parent = results_dir(args, "--folder", "--resume")
    damaged: list[str] = []  # tables a resume rebuilds, kept aside once the folder is held
    if args.resume:
        resumed = _resume(args)
        if resumed is None:
            return
        run, damaged = resumed
    else:
        scenario = load_noting(scenario_of(args))
        runs = args.runs or scenario.spec.replications
        master = args.seed if args.seed is not None else scenario.spec.seed
        folder = Path(args.folder) if args.folder else None
        negotiation = scenario.negotiation()
        confirm_size(negotiation, scenario.spec.parameters.bargaining, runs, workers,
                     what=f"{runs:,} runs", yes=args.yes, option="--runs",
                     instead="ask for fewer --runs", where=folder or parent)
        run = start_run(scenario, runs, master, folder, parent)
    left = sum(b - a for a, b in missing_chunks(run.folder, run.runs, run.chunk_size))
    if left:  # here: a resume its folder refuses, or one rebuilding tables only, runs no rules
        say_if_compiling(args)
    if args.resume:
        negotiation = run.scenario.negotiation()
        confirm_size(negotiation, run.scenario.spec.parameters.bargaining, left,
                     workers, what=f"the {left:,} runs left", yes=args.yes, option="--resume",
                     instead="resume it later (the finished chunks are kept)", where=run.folder)
        starting = (f"resuming '{run.scenario.name}' (seed {run.seed}) in {run.folder}: "
                    f"{left:,} of {run.runs:,} replications left, on {workers} worker(s)")
    else:
        starting = (f"running {run.runs:,} replications of '{run.scenario.name}' (seed "
                    f"{run.seed}) on {workers} worker(s) into {run.folder}")
    plots = run.folder / "plots"
    before = figure_files(plots, fmt)  # a stop while drawing names the figures drawn since
    ahead: list[StandardFigure] = []  # the figures drawn while the runs run

    def draw_scenario_figures() -> None:
        from simulation.report.figures import draw_ahead
        from simulation.report.tables import figure_tables

        # one that fails is drawn again after the runs, where its error costs no run
        with contextlib.suppress(Exception):
            ahead.extend(draw_ahead(figure_tables(run.scenario, negotiation), plots, fmt))

    report: list[FigureTables] = []  # the figures' tables, once the folder's are written
    try:
        execute(run, workers, progress=not args.quiet,
                finish=lambda run, combined: report.append(_report(run, combined)),
                negotiation=negotiation, meanwhile=draw_scenario_figures if args.plots else None,
                held=lambda: _starting(run.folder, damaged, starting))
    except RunInterrupted as stop:  # completed as started: with the figures, some drawn
        if not args.plots:
            raise
        raise RunInterrupted(stop.folder, stop.cause,
                             " --plots" + figure_format_words(fmt)) from None
    if args.plots:  # the folder is complete: a stop while drawing leaves it to `mc11 plot`
        sys.stdout.flush()  # the summary shows while the figures are drawn
        print(f"mc11: drawing the figures into {plots}", file=sys.stderr)
        draw_figures(report[0], run.folder, plots, workers, before, drawn=ahead, fmt=fmt)
    else:
        print(f"mc11: note: tables only; `mc11 plot {shell_word(run.folder)}` draws the "
              "figures (or run with --plots)", file=sys.stderr)
    print(f"\nresults: {run.folder}")


def _print_priors(folder: Path, protocol: str) -> None:
    """Which constants were uncertain (drawn per run from their priors), if any, and which of
    them the run's bargaining `protocol` does not read."""
    import pandas as pd

    from simulation.runs.design import unread

    path = folder / "priors.csv"
    if not path.is_file():
        print("\nno priors: every constant had one value in all runs")
        return
    table = pd.read_csv(path)
    print(f"\n{len(table)} uncertain constants, drawn per run (priors.csv; draws in "
          "outcomes.parquet, columns draw:<constant>):")
    ignored = unread(list(table.parameter), protocol)
    for row in table.itertuples():
        aside = (f"; read only by {ignored[row.parameter]}: changes no run under "
                 f"{protocol}" if row.parameter in ignored else "")
        print(f"  {row.parameter}: {row.prior}; drawn {row.draw_q05:.3g}-{row.draw_q95:.3g} "
              f"(5-95%){aside}")


def _report(run: Run, combined: Aggregate) -> FigureTables:
    """The tables, and the summary printed as soon as they are written; returns the figures'
    tables, for drawing them once the folder is complete."""
    from simulation.report.tables import write_report

    figures = write_report(run, combined, plots=False)
    protocol = run.scenario.spec.parameters.bargaining.protocol
    _print_summary(run.folder, protocol)
    _print_priors(run.folder, protocol)
    return figures


def _starting(folder: Path, damaged: list[str], line: str) -> None:
    """Once the folder is held: keep its `damaged` tables aside (saying where), then say what
    runs."""
    kept = _keep_aside(folder, damaged)
    if kept:
        print(f"mc11: note: what was there is kept as {', '.join(kept)}", file=sys.stderr)
    print(line, file=sys.stderr)


def _resume(args: argparse.Namespace):
    """The interrupted run of `--resume DIR`, checked against whatever else the command gives,
    and the tables it rebuilds that are there damaged or edited; None (after saying so) if the
    folder is complete already."""
    from simulation.runs.results import (
        chunks_hold_every_output,
        missing_chunks,
        read_folder,
    )

    folder = Path(args.resume)
    manifest, stored = read_folder(folder)
    again = f"mc11 run --resume {shell_word(folder)}"
    given = {"--runs": (args.runs, manifest.get("runs")),
             "--seed": (args.seed, manifest.get("seed"))}
    for option, (value, recorded) in given.items():
        if value is not None and value != recorded:
            raise InputError(str(folder), option, f"this folder was started with {option} "
                             f"{recorded}, not {value}; to complete it run `{again}` alone; "
                             f"for {value}, start a new run (without --resume)")
    if args.folder:
        raise InputError(args.folder, "--folder", "--resume completes the folder it names; "
                         f"to complete it run `{again}` alone")
    named = args.scenario or args.old_scenario
    if named:
        scenario = load_noting(named)
        if scenario.with_changes(replications=stored.spec.replications,
                                 seed=stored.spec.seed).input_hash() != manifest["input_hash"]:
            raise InputError(named, "--resume", f"this scenario is not the one {folder} was "
                             f"started with ({manifest.get('scenario')!r}, inputs "
                             f"{manifest['input_hash']}); to complete the folder run `{again}` "
                             "alone; to run this scenario, start a new run")
    else:
        _say_if_the_file_changed(manifest, stored)
    if manifest["status"] != "complete":
        return _reopened(folder), []
    lost = len(missing_chunks(folder, manifest["runs"], manifest["chunk_size"]))
    if lost:
        run = _reopened(folder)  # refused before the note if other rules made the folder
        print(f"mc11: note: {folder} is complete but {counted(lost, 'chunk')} of its runs "
              f"{'is' if lost == 1 else 'are'} missing; computing {'it' if lost == 1 else 'them'}"
              " again (the same seeds give the same runs) and rebuilding its tables",
              file=sys.stderr)
        # its tables are all rewritten: an edited one is kept aside, as without a lost chunk
        return run, _unsound_tables(folder, stored, manifest["runs"])
    missing = _unsound_tables(folder, stored, manifest["runs"])
    if missing and not chunks_hold_every_output(folder):
        # an older mc11's folder: its chunks cannot make today's tables
        print(f"mc11: note: {folder} was written by an older mc11, before "
              f"{', '.join(missing)} existed; a new run writes them", file=sys.stderr)
        missing = []
    if missing:
        run = _reopened(folder)
        print(f"mc11: note: {folder} is complete but {', '.join(missing)} "
              f"{'is' if len(missing) == 1 else 'are'} missing or damaged; rebuilding its "
              "tables from its chunks", file=sys.stderr)
    else:
        plot = f"`mc11 plot {shell_word(folder)}{figure_format_words(figure_format(args))}`"
        drawn = (f", and --plots draws no figures into a complete folder: {plot} does. Its "
                 "summary follows" if args.plots else
                 f". Its summary follows; {plot} draws its figures")
        print(f"mc11: {folder} is complete already ({manifest['runs']:,} runs); nothing was "
              f"run or rewritten{drawn}.", file=sys.stderr)
        _print_summary(folder, load_checked(folder).scenario.spec.parameters.bargaining.protocol)
        print(f"\nresults: {folder}")
        return None
    return run, missing


def _reopened(folder: Path) -> Run:
    """The results folder reopened to complete it (`resume_run`: refused if its inputs changed
    since it started, or, with runs left to add, its model rules), with a note if runs are
    added to a folder recording no rules or other libraries (a rebuild of its tables runs none)."""
    from simulation.runs import versions
    from simulation.runs.results import missing_chunks, resume_run

    run = resume_run(folder)
    adding = missing_chunks(folder, run.runs, run.chunk_size)
    note = versions.resume_note(run.made_by or {}, folder) if adding else None
    if note:
        print(f"mc11: note: {note}", file=sys.stderr)
    return run


def _keep_aside(folder: Path, tables: list[str]) -> list[str]:
    """Rename those of a folder's damaged or edited `tables` that exist to
    `<name>.replaced-<UTC time>`, so that rebuilding them loses nothing a user wrote there;
    returns the new names."""
    from datetime import UTC, datetime

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = []
    for name in tables:
        path = folder / name
        if path.exists():
            aside = path.with_name(f"{name}.replaced-{stamp}")
            try:
                path.rename(aside)
            except OSError as exc:
                raise InputError(str(folder), "--resume", f"cannot keep {name} aside before "
                                 f"rebuilding it ({unwritable(exc)}); copy the folder somewhere "
                                 "writable and resume the copy") from None
            kept.append(aside.name)
    return kept


def _say_if_the_file_changed(manifest: dict, stored) -> None:
    """A note when the scenario file a folder was started from no longer gives its inputs
    while the folder's stored copy still does (if neither does, what changed is the data or
    mc11, and resuming is refused saying so)."""
    from simulation.inputs.scenario import load_scenario

    path = manifest.get("scenario_file")
    if not path or stored.input_hash() != manifest.get("input_hash"):
        return
    try:
        now = load_scenario(path).with_changes(replications=stored.spec.replications,
                                               seed=stored.spec.seed)
        changed = now.input_hash() != manifest.get("input_hash")
    except InputError:
        changed = True
    if changed:
        print(f"mc11: note: {path} changed (or no longer loads) since this run started; "
              "resuming with the copy stored in the folder (scenario.yaml and "
              "preferences.csv), so the run stays one scenario. To run the edited file, start "
              "a new run.", file=sys.stderr)


def _print_summary(folder: Path, protocol: str) -> None:
    """A complete folder's summary table, what its columns mean, and the median texts in the
    scale's words (each kind's too where both multilateral and plurilateral deals are common)."""
    import pandas as pd

    from simulation.report.summary import each_kind_medians
    from simulation.runs.results import read_table

    table = read_table(folder, "summary.csv", ("issue",))
    levels = read_table(folder, "text_levels.csv", ("issue", "outcome", "n_runs", "text_median"))

    view = pd.DataFrame({
        "issue": table["issue"],
        "P(multi)": table["p_multilateral"].map("{:.2f}".format),
        "95% CI": [f"{a:.2f}-{b:.2f}" for a, b in
                   zip(table["p_multilateral_low"], table["p_multilateral_high"], strict=True)],
        "P(pluri)": table["p_plurilateral"].map("{:.2f}".format),
        "P(none)": table["p_none"].map("{:.2f}".format),
        "text median": table["text_median"].map(lambda v: "-" if pd.isna(v) else f"{v:.0f}"),
        "P(>=mid)": table["p_text_mid"].map("{:.2f}".format),
        "top blockers": table["top_blockers"].fillna(""),
    })
    print(view.to_string(index=False))
    print("(95% CI: the Monte Carlo error of P(multi) from the number of runs alone, which more "
          "runs shrink; the verdict's range across the uncertain constants is `mc11 "
          "sensitivity`'s. text median: over the runs with an agreement of either kind (each "
          "kind's below where both are common; text_levels.csv has them all); P(>=mid): the "
          "share of runs whose agreed text "
          "reaches the scale's mid point, 50; top blockers: the share of all runs in which each "
          "blocked consensus, '=' joining members at the same share, a bloc most of whose "
          "members blocked together named once, with how many of them)")
    print(f"These shares are the {protocol} protocol's reading of the preferences, not "
          "calibrated probabilities: the other protocols read the same preferences otherwise, "
          "and on some issues disagree (README, \"Three readings of the same data\"), and on the "
          "real outcomes it was tested on no version of the model did better than simple "
          "baselines beyond chance (README, \"Limitations\").")
    print("\nthe median agreed text in the scale's words:")
    kinds = each_kind_medians(levels, int(table["n_runs"].iloc[0]))
    for issue, words in zip(table["issue"], table["text_median_words"].fillna(""), strict=True):
        each = f" ({kinds[issue]})" if issue in kinds else ""
        print(f"  {issue}: {words or 'no agreement in any run'}{each}")


def _unsound_tables(folder: Path, scenario, runs: int) -> list[str]:
    """The tables of a complete folder that are missing, cannot be read whole or lack what their
    readers use."""
    import pyarrow.parquet as pq

    from simulation.outputs import TABLES
    from simulation.runs.results import OUTCOMES_KEY

    unsound = []
    for table in TABLES:
        path = folder / table.file
        if table.file == "priors.csv" and not scenario.priors:
            continue
        try:
            if table.file.endswith(".parquet"):  # a row per run and issue, and its key columns
                meta = pq.read_metadata(path)
                if not set(OUTCOMES_KEY) <= set(meta.schema.names) or \
                        meta.num_rows != runs * len(scenario.catalogue.issue_ids):
                    raise InputError(str(path), "(table)", "damaged")
            elif table.file.endswith(".csv"):
                frame = read_checked(folder, table.file, scenario)
                if table.file == "summary.csv" and summary_problem(frame, scenario):
                    raise InputError(str(path), "(table)", "damaged")
            elif not path.is_file():
                raise InputError(str(path), "(table)", "missing")
        except (InputError, OSError, ValueError):  # pyarrow's ArrowInvalid is a ValueError
            unsound.append(table.file)
    return unsound


def register(commands: argparse._SubParsersAction) -> None:
    """Add `run` to the `mc11` parser."""
    parser = commands.add_parser("run", help="run a scenario's ensemble into a results folder")
    add_scenario_argument(parser)
    parser.add_argument("--runs", type=run_count,
                        help="replications (default: the scenario's)")
    parser.add_argument("--seed", type=seed, help="master seed (default: the scenario's)")
    parser.add_argument("--workers", type=positive,
                        help="worker processes, for the runs and then the figures (default: all "
                             "cores)")
    parser.add_argument("--folder", metavar="DIR", type=file_or_folder,
                        help="results folder to create (default: "
                             "<results-dir>/<scenario name>-<time>)")
    parser.add_argument("--out", dest="folder", action=Deprecated, instead="--folder",
                        type=file_or_folder, help=argparse.SUPPRESS)
    parser.add_argument("--results-dir", metavar="DIR", type=file_or_folder,
                        help=f"where a new results folder goes when --folder is not given "
                             f"(default: {RESULTS_DIR})")
    parser.add_argument("--resume", metavar="DIR", type=file_or_folder,
                        help="complete an interrupted results folder")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or lines")
    add_yes_option(parser, "a run (or the rest of one, with --resume)", disk=True)
    parser.add_argument("--plots", action=argparse.BooleanOptionalAction, default=False,
                        help="also draw the figures into <folder>/plots/ (default: tables "
                             "only, the fast path for many runs; `mc11 plot DIR` draws them "
                             "later)")
    add_figure_format_option(parser)
    parser.set_defaults(handler=run, runs_model=True, says_compiling=True)

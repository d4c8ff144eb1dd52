"""What every `mc11` subcommand shares: argument types, output options, printing a table,
reading a results folder back.

Kept free of the model's imports so that building the parser (`mc11 --help`) stays fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from simulation.errors import InputError, resolved, shell_word, unwritable, write_new
from simulation.inputs import DEFAULT_SCENARIO, MAX_RUNS, SEED_LIMIT
from simulation.outputs import DESIGN, FOLDER_READERS, JOURNAL, MANIFEST
from simulation.report import DEFAULT_FIGURE_FORMAT, FIGURE_FORMATS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    import pandas as pd

    from simulation.engine.negotiation import Negotiation
    from simulation.engine.parameters import BargainingParameters
    from simulation.inputs.scenario import Scenario
    from simulation.runs.results import Estimate, Results

FORMATS = ("table", "csv", "json")


def whole(text: str) -> int:
    """A whole number argument."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def positive(text: str) -> int:
    """A whole number argument of at least 1."""
    value = whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be a whole number of at least 1")
    return value


def run_count(text: str) -> int:
    """A number of runs of an ensemble: a whole number from 1 to MAX_RUNS, as a scenario's
    `replications`."""
    value = positive(text)
    if value > MAX_RUNS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_RUNS:,} (a scenario's "
                                         "replications at most)")
    return value


def at_least_two(text: str) -> int:
    """A whole number argument of at least 2 (folds, trajectories)."""
    value = whole(text)
    if value < 2:
        raise argparse.ArgumentTypeError("must be a whole number of at least 2")
    return value


def file_or_folder(text: str) -> str:
    """A file or folder argument. An empty one (often an unset shell variable, as in
    `--resume "$DIR"`) is refused: taken as no argument or as the current folder, it would
    silently do something else than asked."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty; name a file or folder (an unset shell "
                                         "variable?)")
    return text


RESULTS_DIR = "results"
"""Where `mc11 run`, `sweep` and `sensitivity` put a new folder unless given --results-dir or
--folder."""


def results_dir(args: argparse.Namespace, *naming: str) -> Path:
    """Where a new folder goes (--results-dir, by default RESULTS_DIR); --results-dir beside
    one of the options `naming` the folder itself (--folder, --resume) would go unused, so it
    is refused."""
    for option in naming:
        if args.results_dir is not None and getattr(args, option[2:].replace("-", "_")):
            raise InputError(args.results_dir, "--results-dir", f"{option} names the folder "
                             "itself, so there is no new folder to put in --results-dir; give "
                             f"{option} DIR alone, or --results-dir DIR alone for a new folder "
                             "named after the scenario and the time")
    return Path(args.results_dir or RESULTS_DIR)


def workers_on_this_machine(asked: int | None) -> int:
    """Worker processes: the cores by default; more than the cores only slows the run (each
    worker is busy on its own), so a larger number is capped, saying so."""
    cores = os.cpu_count() or 1
    if asked is not None and asked > cores:
        print(f"mc11: note: --workers {asked} is more than this machine's {cores} core(s); "
              f"using {cores} (the results are the same for any number of workers)",
              file=sys.stderr)
        return cores
    return asked or cores


ASK_ABOVE_SECONDS = 5 * 60
ASK_ABOVE_BYTES = 2 * 2**30
SAY_ABOVE_SECONDS = 60
"""Work estimated at more than ASK_ABOVE_* needs a go-ahead (--yes, or an answer); the estimate
is shown from SAY_ABOVE_SECONDS on."""


def busy(workers: int) -> tuple[float, float]:
    """How many times longer work of `workers` workers takes with the machine as busy as now,
    and the load it is based on: the other processes wanting a core (the 1-minute load average)
    share the cores with the workers."""
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:  # not known here
        return 1.0, 0.0
    share = min(workers, cores, cores * workers / (load + workers))  # the workers' cores
    return min(workers, cores) / share, load


def confirm_size(negotiation: Negotiation, bargaining: BargainingParameters, runs: int,
                 workers: int, **how: object) -> None:
    """Before long work of `runs` replications on `workers` workers: `confirm_cost` of its
    estimate (`how`: that function's options)."""
    from simulation.runs import results

    confirm_cost(results.estimate(negotiation, bargaining, runs, workers), workers, **how)


def confirm_cost(cost: Estimate, workers: int, *, what: str, yes: bool, option: str,
                 instead: str, where: Path | None = None, here: bool = True) -> None:
    """Before long work estimated at `cost` (`what` in words, on `workers` of this machine or,
    not `here`, of a Dask cluster's): show the estimate once it is more than a minute; above a
    few minutes or GB ask for a go-ahead (--yes, or an answer on a terminal) and refuse without
    one (`option`: the flag sizing the work, `instead`: what to ask for instead); refuse a
    results folder at `where` that the disk cannot hold."""
    from simulation.runs import results
    from simulation.runs.progress import duration

    slower, load = busy(workers) if here else (1.0, 0.0)
    seconds = cost.seconds * slower
    needs = f" and need about {results.size_words(cost.size)} of disk" if where else ""
    said = f"{what} take about {duration(cost.seconds)} on {workers} worker(s) ({cost.basis})"
    if slower >= 1.5:
        said += (f", about {duration(seconds)} with this machine as busy as now (load average "
                 f"{load:.1f} on {os.cpu_count() or 1} cores)")
    said += needs
    free = results.free_bytes(where) if where else None
    if free is not None and cost.size > free and cost.size > 100 * 2**20:  # small ones fail
        raise InputError(str(where), option, f"{said}, but only {results.size_words(free)} is "
                         "free there; run fewer, or choose another --results-dir/--folder")
    # the go-ahead follows the idle machine's estimate, so that whether a command asks (or,
    # without a terminal, refuses) does not depend on what else runs at the moment
    asks = cost.seconds > ASK_ABOVE_SECONDS or (where is not None
                                                and cost.size > ASK_ABOVE_BYTES)
    if asks and not yes and not sys.stdin.isatty():
        raise InputError(option, "--yes", f"{said}; no terminal to confirm on: pass --yes to "
                         f"start it unattended, or {instead}")
    if asks or seconds > SAY_ABOVE_SECONDS:
        print(f"mc11: {said}.", file=sys.stderr)
    if not asks or yes:
        return
    try:
        answer = input("Start it? [y/N] ")
    except EOFError:  # Ctrl-D: no answer is a no
        answer = ""
        print(file=sys.stderr)  # end the prompt's line
    if answer.strip().lower() not in ("y", "yes"):
        raise InputError(option, "(answer)", f"not started; {instead}, or answer y")


def add_yes_option(parser: argparse.ArgumentParser, work: str, disk: bool) -> None:
    """--yes: the go-ahead for long work (and, with `disk`, a large results folder) without a
    terminal to answer on."""
    size = f" or {ASK_ABOVE_BYTES / 2**30:g} GB" if disk else ""
    parser.add_argument("--yes", action="store_true",
                        help=f"start {work} estimated at more than {ASK_ABOVE_SECONDS / 60:g} "
                             f"minutes{size} without asking (needed when there is no terminal, "
                             "e.g. in CI)")


def add_figure_format_option(parser: argparse.ArgumentParser) -> None:
    """--figure-format: the file format of the figures a command draws into plots/."""
    parser.add_argument("--figure-format", choices=tuple(FIGURE_FORMATS),
                        help="the figures' file format: png (for screens), pdf or svg (vector, "
                             "for papers), written as plots/<figure>.<format> beside any of "
                             f"another format (default: {DEFAULT_FIGURE_FORMAT})")


def figure_format(args: argparse.Namespace) -> str:
    """The figures' format of --figure-format, else the default; refused when the command draws
    no figures (`mc11 run` without --plots, a design with --no-plots) rather than ignored."""
    if args.figure_format is not None and not getattr(args, "plots", True):
        why = ("mc11 run draws figures only with --plots; add it" if args.command == "run" else
               "--no-plots leaves the figures out; drop it")
        raise InputError("--figure-format", "--figure-format", f"{why}, or leave "
                         "--figure-format out")
    return args.figure_format or DEFAULT_FIGURE_FORMAT


def figure_format_words(fmt: str) -> str:
    """' --figure-format FMT' for a command line that draws the figures in `fmt` again; '' for
    the default format."""
    return "" if fmt == DEFAULT_FIGURE_FORMAT else f" --figure-format {fmt}"


def seed(text: str) -> int:
    """A master seed argument: 0 to SEED_LIMIT - 1 (2**63 - 1)."""
    value = whole(text)
    if not 0 <= value < SEED_LIMIT:
        raise argparse.ArgumentTypeError("must be a whole number from 0 to 2**63 - 1")
    return value


class Deprecated(argparse.Action):
    """An old spelling that still works and says so: stores into `dest`, the new option's
    destination or one the command merges into it (`--scenario`: `scenario_of`)."""

    def __init__(self, option_strings, dest, instead: str, **kwargs) -> None:
        self.instead = instead
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"mc11: {option_string} is deprecated; use {self.instead}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def add_scenario_argument(parser: argparse.ArgumentParser) -> None:
    """The scenario file: the first argument of every command that runs the MC11 model."""
    parser.add_argument("scenario", nargs="?", metavar="SCENARIO", type=file_or_folder,
                        help="scenario file (default: the shipped scenarios/baseline.yaml)")
    parser.add_argument("--scenario", dest="old_scenario", action=Deprecated, type=file_or_folder,
                        help=argparse.SUPPRESS, instead="the scenario file as first argument")


def scenario_of(args: argparse.Namespace) -> str:
    """The scenario file a command was given (in either spelling), else the baseline."""
    return args.scenario or args.old_scenario or str(DEFAULT_SCENARIO)


WRONG_KIND = {
    "scenario": (".csv", ".tsv", ".txt", ".xlsx"),
    "data": (".yaml", ".yml"),
}
"""File endings that mean a scenario command was given data, or a data command a scenario."""


OUTPUT_FOLDERS = {
    MANIFEST: f"a results folder of `mc11 run`, which {FOLDER_READERS} reads",
    DESIGN: "a folder of `mc11 sweep` or `sensitivity`",
    JOURNAL: "a folder of `mc11 calibrate`, whose parameters.yaml --params reads",
}
"""A file that marks a folder as an mc11 command's output, and what that folder is."""


def wrong_kind(error: InputError, expected: str, given: str) -> InputError:
    """`error`, and if it is about the file the user `given`, with a hint when the file's ending
    says it is of the other kind (a scenario where actor-issue data belongs, or the reverse) or
    it is a results folder's run.json; for data `given` as a folder that an mc11 command wrote,
    an error saying so instead (the reader's named the folder's first table as bad data)."""
    if expected == "data" and Path(given).is_dir():
        made = next((what for marker, what in OUTPUT_FOLDERS.items()
                     if (Path(given) / marker).is_file()), None)
        if made:
            return InputError(given, "folder", f"this is {made}, not actor-issue data; allowed: "
                              "a data file, or a folder of them, one Decide file or long CSV per "
                              "negotiation (README, \"Using your own data\")")
    name = Path(error.source)
    if resolved(name) != resolved(given):  # a file the given one refers to
        return error
    if error.problem.startswith("the file is empty"):  # nothing in it says what it is
        return error
    if name.name == MANIFEST:
        hint = (f"this is a results folder's run.json: give the folder to {FOLDER_READERS}, or "
                "its scenario.yaml to run it again")
    elif name.suffix.lower() in WRONG_KIND[expected]:
        hint = ("this looks like actor-issue data, which `mc11 forecast`, `backtest` and "
                "`calibrate` read; this command takes a scenario (YAML)" if expected == "scenario"
                else "this looks like a scenario (YAML), which `mc11 run` and `simulate` read; "
                "this command takes actor-issue data (README, \"Using your own data\")")
    else:
        return error
    return InputError(error.source, error.field, f"{error.problem} ({hint})")


def load_quietly(path: str) -> Scenario:
    """Load a scenario file, its notes kept for `say_notes` (a command whose options the
    scenario checks prints them once those are found sound, its errors not pushed down)."""
    from simulation.inputs.scenario import load_scenario

    try:
        return load_scenario(path)
    except InputError as error:
        raise wrong_kind(error, "scenario", path) from None


def say_notes(notes: Iterable[str]) -> None:
    """Print each note on stderr, as `mc11: note: ...`."""
    for note in notes:
        print(f"mc11: note: {note}", file=sys.stderr)


def load_noting(path: str) -> Scenario:
    """Load a scenario file and print what loading decided that the user should know."""
    scenario = load_quietly(path)
    say_notes(scenario.notes)
    return scenario


def load_checked(folder: str | Path) -> Results:
    """A complete results folder read back, its summary checked whole: every column and one
    row per issue (a damaged one is an error naming the command that rebuilds it)."""
    from simulation.runs.results import load_results

    results = load_results(folder)
    problem = summary_problem(results.summary, results.scenario)
    if problem:
        raise InputError(str(results.folder / "summary.csv"), "(table)", f"the table is missing "
                         f"or damaged ({problem}); `mc11 run --resume "
                         f"{shell_word(results.folder)}` rebuilds the folder's tables from its "
                         "chunks")
    return results


def read_checked(folder: Path, name: str, scenario: Scenario) -> pd.DataFrame:
    """A CSV table of a complete folder with the columns its readers (the figures) use, numbers
    where they read numbers, and only the scenario's issues; else an InputError saying how to
    rebuild it."""
    from simulation.outputs import OUTPUTS, Combine
    from simulation.report.summary import TEXT_QUANTILES
    from simulation.runs.results import read_table

    issues = scenario.catalogue.issue_ids
    if name == "text_levels.csv":
        return read_table(folder, name, ("issue", "outcome"),
                          ("n_runs", *(f"text_{q}" for q in TEXT_QUANTILES)), issues)
    for output in OUTPUTS:
        if output.combine is Combine.SPREAD and name == output.tables[0]:
            by = output.axes[1]
            return read_table(folder, name, (by, "period_label"),
                              ("period", "n_runs",
                               *(f"{output.column}_{s}" for s in ("mean", "p10", "p90"))),
                              issues if by == "issue" else None)
        if output.combine is Combine.MEMBER_LIST and name == output.tables[1]:
            return read_table(folder, name, ("issue", "member"), ("count", "share"), issues)
    return read_table(folder, name)


def summary_problem(table: pd.DataFrame, scenario: Scenario) -> str | None:
    """What is wrong with a folder's summary.csv (columns, their types or issue rows), or None."""
    import pandas as pd

    from simulation.report.summary import summary_columns
    from simulation.report.tables import issues_frame

    issues = issues_frame(scenario)
    columns = summary_columns(issues)
    lacking = [c for c in columns if c not in table.columns]
    if lacking:
        return f"no column {', '.join(lacking)}"
    text = [c for c, number in columns.items()
            if number and not pd.api.types.is_numeric_dtype(table[c])]
    if text:
        return f"text where numbers belong, in the column {', '.join(text)}"
    rows = set(table["issue"].astype(str))
    absent = [issue for issue in issues.index if issue not in rows]
    if absent or len(table) != len(issues):
        return (f"no row for {', '.join(absent)}" if absent else
                f"{len(table)} rows for the scenario's {len(issues)} issues")
    return None


def add_output_options(parser: argparse.ArgumentParser,
                       out_help: str = "write the table to this new file instead of the screen"
                       ) -> None:
    """--format and --out: how and where a command's table goes (`out_help`: what --out
    writes)."""
    parser.add_argument("--format", choices=FORMATS, default="table",
                        help="output format (default: %(default)s)")
    parser.add_argument("--out", metavar="FILE", type=file_or_folder, help=out_help)


NEW_FILES = {"out": "--out", "plot": "--plot", "new_csv": "OUT"}
"""The arguments naming a file a command writes (their destination and name): checked before
it starts."""

INPUTS_SUFFIX = ".inputs.json"
"""Added to the name of a table written with --out by a command that records its inputs
(`records_inputs`): the file of what reproduces the table."""


def inputs_file(out: Path) -> Path:
    """The file beside a table written with --out that records what reproduces it."""
    return out.with_name(out.name + INPUTS_SUFFIX)


def say_if_compiling(args: argparse.Namespace, remote: bool = False) -> None:
    """Tell the user when the first model run after installing compiles the rules (~30 s): said
    before a command's work, or (`says_compiling`) by a command that reads a folder once the
    folder passed its checks, so that a refused resume or explain says nothing of compiling.
    Said where the command's model runs begin, it notes on `args` that they run (`runs_rules`):
    the stamp of compiled rules is left only after a command that ran them, not after a resume
    that only rebuilt a table, so that the next run after an engine change still gives the
    notice. With a `remote` Dask scheduler this machine still compiles them (a design runs one
    replication here first), and the scheduler's workers, whose cache is not known here, compile
    them again on their first runs unless their machines hold them compiled already."""
    from simulation.runs import ensemble

    args.runs_rules = True
    if ensemble.rules_need_compiling():
        also = ("; the scheduler's workers compile them too, on their first runs, unless "
                "their machines hold them compiled already (`mc11 compile` there)") if remote \
            else ""
        print("mc11: compiling the model's rules for this machine first (about 30 s, once; "
              f"`mc11 compile` does it for every protocol){also}", file=sys.stderr, flush=True)


def check_new_files(args: argparse.Namespace) -> None:
    """Refuse, before any work, a file the command would write that exists already or whose
    folder does not exist (the write itself still refuses to overwrite)."""
    named: dict[Path, str] = {}
    files = [(Path(given), label) for name, label in NEW_FILES.items()
             if isinstance(given := getattr(args, name, None), str)]
    if getattr(args, "records_inputs", False) and isinstance(args.out, str):
        files.append((inputs_file(Path(args.out)), "--out"))
    for path, label in files:
        other = named.setdefault(resolved(path), label)
        if other != label:
            raise InputError(str(path), label, f"{other} names the same file; give each output "
                             "a name of its own")
        if path.is_dir():
            raise InputError(str(path), label, "this is a folder; give the name of a new file "
                             "(in it, or elsewhere)")
        if path.exists():
            raise InputError(str(path), label, "the file exists already; choose a new name")
        if not path.parent.is_dir():
            problem = "is a file, not a folder" if path.parent.exists() else "does not exist"
            raise InputError(str(path), label, f"the folder {path.parent} {problem}; "
                             "create it first or choose a file in an existing folder")


def check_ids(wanted: list[str] | None, known: list[str], column: str,
              unknown: Callable[[str], str] | None = None) -> None:
    """Refuse an id given with --<column> that is not among the `known` ones, saying why with
    `unknown(value)` if given, else with a close match and where the list is."""
    from simulation.inputs.files import suggest

    for value in wanted or ():
        if value not in known:
            why = (unknown(value) if unknown else
                   f"unknown {column} {value!r}{suggest(value, known)}")
            raise InputError(f"--{column}", column, f"{why}; run `mc11 {column}s` for the list")


def rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its numbers rounded to 3 decimals, a small negative number to 0
    (not "-0.000"); numbers beyond 1e15 are left as they are (they have no decimals to round,
    and rounding them overflows near the float limit: 1e308 would print as inf)."""
    import numpy as np

    def rounded_column(column: pd.Series) -> pd.Series:
        if column.dtype.kind != "f":
            return column
        with np.errstate(over="ignore", invalid="ignore"):
            return column.where(column.abs() >= 1e15, column.round(3) + 0.0)  # -0.0 -> 0.0

    return frame.apply(rounded_column)


def _frame_text(frame: pd.DataFrame, fmt: str) -> str:
    """A frame as a table ("-" where there is no value), CSV or JSON text."""
    import pandas as pd

    if fmt == "csv":
        return frame.to_csv(index=False)
    if fmt == "json":
        from simulation.report import json_records

        return json_records(frame)
    if len(frame):
        with pd.option_context("display.max_colwidth", 60, "display.width", 200):
            return frame.to_string(index=False, na_rep="-") + "\n"
    return " ".join(map(str, frame.columns)) + "\n"  # pandas: "Empty DataFrame", the columns


def emit(frame: pd.DataFrame, fmt: str, out: str | None,
         inputs: dict[str, object] | None = None,
         after: tuple[str, pd.DataFrame] | None = None) -> None:
    """Print a frame as a table ("-" where there is no value), CSV or JSON, or write it to a new
    file (with `inputs`, what reproduces it, to a new `inputs_file` beside it); `after`, a
    heading and a second table (--format table only), follows it after a blank line."""
    text = _frame_text(frame, fmt)
    if after is not None:
        text += f"\n{after[0]}\n{_frame_text(after[1], fmt)}"
    if out is None:
        sys.stdout.write(text)
        return
    path = Path(out)
    files = {path: text}
    if inputs is not None:
        files[inputs_file(path)] = json.dumps(inputs, indent=1) + "\n"
    written: list[Path] = []
    try:
        for target, content in files.items():
            write_new(target, content)
            written.append(target)
    except BaseException as exc:
        for done in written:  # no table is kept without its record
            done.unlink(missing_ok=True)
        if isinstance(exc, FileExistsError):
            raise InputError(str(target), "--out", "the file exists already; choose a new "
                             "name") from None
        if isinstance(exc, OSError):
            raise InputError(str(target), "--out", f"cannot write the file ({unwritable(exc)}); "
                             "nothing was written there") from None
        raise
    print(f"wrote {len(frame)} rows"
          + (f", then {len(after[1])} under their heading," if after is not None else "")
          + f" to {path}"
          + (f", and what reproduces them to {inputs_file(path)}" if inputs is not None else ""),
          file=sys.stderr)
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("csv", "json") and suffix != fmt:  # `--out diff.csv` without `--format csv`
        kind = "the screen's fixed-width table" if fmt == "table" else fmt.upper()
        print(f"mc11: note: {path} holds {kind} (--format {fmt}), not {suffix.upper()} as its "
              f"name says; give --format {suffix} for {suffix.upper()}", file=sys.stderr)

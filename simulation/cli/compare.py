"""`mc11 compare`: results folders' outcome probabilities (or, with --blockers, who blocks) issue
by issue, each folder's change from the first with its 95% interval."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from simulation.cli.common import (
    add_output_options,
    check_ids,
    emit,
    file_or_folder,
    load_checked,
    positive,
    read_checked,
)
from simulation.errors import InputError, unwritable
from simulation.report import FIGURE_FORMATS

if TYPE_CHECKING:
    import pandas as pd

    from simulation.runs.results import Results

BLOCKERS_SHOWN = 5
"""The largest changes in blocking shares `compare --blockers` shows per issue without --top."""


def compare(args: argparse.Namespace) -> None:
    """`mc11 compare`: each folder's outcome probabilities against the first's, with intervals."""
    from simulation.report import plots, summary
    from simulation.runs import versions

    if len(args.results) < 2:
        raise InputError(" ".join(args.results), "RESULTS", "give at least two results folders: "
                         "the reference first, then the ones compared with it")
    if args.plot and Path(args.plot).suffix.lower().removeprefix(".") not in FIGURE_FORMATS:
        raise InputError(args.plot, "--plot", "the figure is drawn in the format its name ends "
                         f"in; give a file name ending in .{', .'.join(FIGURE_FORMATS)}")
    if args.plot and len(args.results) - 1 > plots.MAX_COMPARED:
        raise InputError(args.plot, "--plot", f"the figure draws at most {plots.MAX_COMPARED} "
                         f"folders compared with the reference, not {len(args.results) - 1}; "
                         "draw it for fewer folders (the table, without --plot, takes them all)")
    if args.blockers and args.plot:
        raise InputError(args.plot, "--plot", "the figure draws the changes in outcome "
                         "probabilities, not in blockers; draw it without --blockers")
    if args.top is not None and not args.blockers:
        raise InputError("--top", "--top", f"{args.top} counts the blockers shown per issue, "
                         "which only --blockers shows; give it with --blockers")
    loaded = [load_checked(folder) for folder in args.results]
    _note_repeated_folders(loaded)
    mixed = versions.mixed_rules_note({str(results.folder): results.manifest
                                       for results in loaded})
    if mixed:
        print(f"mc11: note: {mixed}", file=sys.stderr)
    reference = set(loaded[0].summary["issue"])
    for results in loaded[1:]:
        differ = sorted(reference ^ set(results.summary["issue"]))
        if differ:
            raise InputError(str(results.folder), "RESULTS", f"its issues differ from those of "
                             f"{loaded[0].folder} ({', '.join(differ)}); only folders of the same "
                             "issues can be compared")
    check_ids(args.issue, list(loaded[0].summary["issue"]), "issue")
    if args.blockers:
        _compare_blockers(loaded, args)
        return
    if len(loaded) == 2:
        first, second = loaded
        table = _chosen(summary.compare(first.summary.set_index("issue"),
                                        second.summary.set_index("issue"),
                                        _paired(first, second)), args.issue)
        full = table.rename_axis("issue").reset_index()
        if args.format != "table":
            emit(full, args.format, args.out)
        else:
            print(f"change from {first.manifest['scenario']} ({first.folder}) to "
                  f"{second.manifest['scenario']} ({second.folder}); * = 95% interval excludes "
                  f"0, {_interval_kind(table['paired'].all())}")
            emit(_compact_comparison(full), args.format, args.out)
        if args.plot:
            _draw(args.plot, lambda: plots.plot_comparison(table, args.plot, *_labels(loaded)))
        return
    names = _labels(loaded)
    # every issue, as _paired counts them; --issue filters the tables made from them
    indexed = [results.summary.set_index("issue") for results in loaded]
    summaries = [_chosen(table, args.issue) for table in indexed]
    table = _chosen(summary.compare_many(indexed, names, [_paired(loaded[0], results)
                                                          for results in loaded[1:]]), args.issue)
    full = table.rename_axis("issue").reset_index()
    if args.format != "table":
        emit(full, args.format, args.out)
    else:
        print("outcome probabilities side by side: "
              + "; ".join(f"{name} ({results.folder})"
                          for name, results in zip(names, loaded, strict=True)))
        emit(_compact_side_by_side(summary.side_by_side(summaries, names), names), "table",
             None)
        if args.out:  # the changes in one file, each row naming its scenario
            changes = _compact_comparison(full)
            changes.insert(0, "scenario", full["scenario"].to_numpy())
            emit(changes, "table", args.out)
        else:
            for name in names[1:]:
                print(f"\nchange from {names[0]} to {name}; * = 95% interval excludes 0, "
                      f"{_interval_kind(table[table['scenario'] == name]['paired'].all())}")
                emit(_compact_comparison(full[full["scenario"] == name]), "table", None)
    if args.plot:
        _draw(args.plot, lambda: plots.plot_comparison(
            [table[table["scenario"] == name] for name in names[1:]], args.plot, names[0],
            names[1:]))


def _compare_blockers(loaded: list[Results], args: argparse.Namespace) -> None:
    """`mc11 compare --blockers`: each folder's blocking shares against the first's, member by
    member: the largest changes per issue on the screen, every member in CSV or JSON."""
    import pandas as pd

    from simulation.report import summary
    from simulation.report.figures import bloc_members

    names = _labels(loaded)
    reference = loaded[0]
    issues = list(_chosen(reference.summary.set_index("issue"), args.issue).index)
    top = args.top or BLOCKERS_SHOWN
    # each folder's summary, blockers and blocs, read once however many folders it meets
    summaries = [results.summary.set_index("issue") for results in loaded]
    blockers = [read_checked(results.folder, "blockers.csv", results.scenario)
                for results in loaded]
    blocs = [bloc_members(results.scenario, results.scenario.negotiation())
             for results in loaded]
    tables, views = [], []
    for at, (name, results) in enumerate(zip(names[1:], loaded[1:], strict=True), start=1):
        paired = _paired_blockers(reference, results)
        table = summary.compare_blockers(summaries[0], summaries[at], blockers[0], blockers[at],
                                         paired)
        table = table[table["issue"].isin(issues)].reset_index(drop=True)
        view = summary.largest_blocker_changes(
            table, summary.common_blocs(blocs[0], blocs[at]), top)
        if len(loaded) > 2:  # each row names its scenario, as the outcome table's do
            table.insert(0, "scenario", name)
            table.insert(0, "reference", names[0])
            view.insert(0, "scenario", name)
        tables.append(table)
        views.append(view)
        if args.format != "table":
            continue
        if len(views) > 1:
            print()
        print(f"change in blocking shares from {names[0]} ({reference.folder}) to {name} "
              f"({results.folder}); * = 95% interval excludes 0, "
              f"{_interval_kind(paired is not None)}")
        print(f"share: of all runs, those in which the member blocked consensus, first folder "
              f"-> second; per issue the {top} largest changes (--top N for more, --format csv "
              "for every member), members whose row reads alike on one row (a bloc named once "
              "where most of it is)")
        if len(view) and not args.out:
            emit(view, "table", None)
        shown = set(view["issue"])
        unchanged = [issue for issue in issues if issue not in shown]
        if unchanged:
            print(f"no member's blocking share changed on: {', '.join(unchanged)}")
    if args.format != "table":
        emit(pd.concat(tables, ignore_index=True), args.format, args.out)
    elif args.out:  # the changes of every folder in one file
        emit(pd.concat(views, ignore_index=True), "table", args.out)


def _chosen(table: pd.DataFrame, issues: list[str] | None) -> pd.DataFrame:
    """The rows of a table indexed by issue that `--issue` keeps (all without it), in the
    table's order."""
    return table[table.index.isin(issues)] if issues else table


def _pair_up(first: Results, other: Results) -> bool:
    """Whether two results folders' runs pair up (`runs_pair`) and both have the
    outcomes.parquet the pairs are read from (a note where one is gone)."""
    from simulation.runs.ensemble import runs_pair

    if not runs_pair(*((results.manifest["seed"], results.manifest["runs"])
                       for results in (first, other))):
        return False
    lost = [results.folder for results in (first, other)
            if not (results.folder / "outcomes.parquet").is_file()]
    if lost:  # e.g. deleted to save space: the summaries still compare, unpaired
        print(f"mc11: note: {', '.join(map(str, lost))} {'has' if len(lost) == 1 else 'have'} no "
              "outcomes.parquet, whose runs the pairing reads: the runs are compared as "
              "independent (wider intervals); `mc11 run --resume` rebuilds it", file=sys.stderr)
        return False
    return True


def _paired_blockers(first: Results, other: Results) -> pd.DataFrame | None:
    """`summary.paired_blocker_counts` of two results folders whose runs pair up, read a
    thousand runs at a time; None if they do not pair up."""
    from simulation.report import summary

    if not _pair_up(first, other):
        return None
    issues = first.summary["issue"].astype(str).tolist()
    return summary.paired_blocker_counts(zip(first.run_blockers(issues),
                                             other.run_blockers(issues), strict=True), issues)


def _paired(first, other):
    """`summary.paired_counts` of two results folders whose runs pair up (`runs_pair`), issues
    in the first's order, read a thousand runs at a time; None if they do not pair up."""
    from simulation.report import summary

    if not _pair_up(first, other):
        return None
    issues = first.summary["issue"].astype(str).tolist()
    counts = 0
    for (outcome_a, text_a), (outcome_b, text_b) in zip(
            first.run_outcomes(issues), other.run_outcomes(issues), strict=True):
        counts = counts + summary.paired_counts(summary.run_events(outcome_a, text_a),
                                                summary.run_events(outcome_b, text_b))
    return counts


def _interval_kind(paired: bool) -> str:
    """How `compare`'s intervals treated two folders' runs, in words for its heading."""
    if paired:
        return "runs paired (the same seed and run count: run r of each drew the same numbers)"
    return ("runs taken as independent (folders of the same seed and run count, with their "
            "outcomes.parquet, pair them, for narrower intervals)")


def _note_repeated_folders(loaded: list) -> None:
    """A folder given twice compares with itself: every change is 0, which the table shows
    without saying why."""
    seen: dict[Path, str] = {}
    for results in loaded:
        folder = Path(results.folder).resolve()
        if folder in seen:
            print(f"mc11: note: {results.folder} is the folder {seen[folder]} given again; "
                  "its changes are 0 by construction", file=sys.stderr)
        seen.setdefault(folder, str(results.folder))


def _draw(path: str, draw) -> None:
    """Draw a figure into a new file `path` (--plot): never over an existing one, and a file
    that cannot be written is the user's error, not a traceback."""
    if Path(path).exists():
        raise InputError(str(path), "--plot", "the file exists already; choose a new name")
    try:
        draw()
    except OSError as exc:
        raise InputError(str(path), "--plot", f"cannot write the figure there "
                         f"({unwritable(exc)}); choose a file in a folder you can write "
                         "to") from None
    print(f"wrote {path}", file=sys.stderr)


def _labels(loaded) -> list[str]:
    """Each results folder's scenario name; the folder names where scenario names repeat."""
    names = [results.manifest["scenario"] for results in loaded]
    if len(set(names)) < len(names):
        names = [Path(results.folder).name for results in loaded]
    if len(set(names)) < len(names):
        names = [f"{i + 1}:{name}" for i, name in enumerate(names)]
    return names


def _compact_side_by_side(table, names: list[str]):
    """One column per scenario: its P(multilateral) / P(plurilateral) / P(none) per issue."""
    import pandas as pd

    from simulation.outcomes import OUTCOMES

    view = pd.DataFrame({"issue": table.index})
    for name in names:
        view[name] = ["/".join(f"{p:.2f}" for p in row) for row in
                      table[[f"p_{outcome}_{name}" for outcome in OUTCOMES]].to_numpy()]
    return view


def _compact_comparison(full):
    """One column per outcome: the change in probability, its 95% interval and a flag."""
    import pandas as pd

    from simulation.outcomes import OUTCOMES
    from simulation.report.summary import interval_changes

    view = pd.DataFrame({"issue": full["issue"]})
    for outcome in OUTCOMES:
        view[f"d P({outcome})"] = interval_changes(full, f"diff_{outcome}")
    if "diff_text_mid" in full:
        view["d P(text>=mid)"] = interval_changes(full, "diff_text_mid")
    view["median text"] = [_median_change(a, b) for a, b
                           in zip(full["text_median_a"], full["text_median_b"], strict=True)]
    return view


def _median_change(a: float, b: float) -> str:
    """The median agreed text before and after, as '24 -> 31' ('-' where nothing agreed)."""
    def shown(v: float) -> str:
        return "-" if v != v else f"{v:.0f}"

    return f"{shown(a)} -> {shown(b)}"


def register(commands: argparse._SubParsersAction) -> None:
    """Add `compare` to the `mc11` parser."""
    parser = commands.add_parser("compare", help="compare two or more results folders issue by "
                                 "issue")
    parser.add_argument("results", metavar="RESULTS", nargs="+", type=file_or_folder,
                        help="results folders: the first is the reference (e.g. the baseline), "
                             "each other one is compared with it; with three or more, the "
                             "outcome probabilities are also shown side by side")
    parser.add_argument("--plot", metavar="FIGURE", type=file_or_folder,
                        help="also draw the changes with their intervals into this new file, "
                             f"in the format its name ends in (.{', .'.join(FIGURE_FORMATS)})")
    parser.add_argument("--issue", action="append",
                        help="only this issue id (repeatable), in the table and the figure")
    parser.add_argument("--blockers", action="store_true",
                        help="compare who blocks instead of the outcome probabilities: per "
                             "issue, the members whose share of runs blocking it changed most, "
                             "their share in each folder and the change with its 95%% interval "
                             "(--format csv or json: every member that blocked in any folder)")
    parser.add_argument("--top", metavar="N", type=positive,
                        help="with --blockers, the largest changes shown per issue (default "
                             f"{BLOCKERS_SHOWN})")
    add_output_options(parser, "write the changes to this new file instead of the screen; with "
                       "three or more folders the screen still shows the outcome probabilities "
                       "side by side (with --format csv or json, only the line naming the file; "
                       "with --blockers, the headings)")
    parser.set_defaults(handler=compare)

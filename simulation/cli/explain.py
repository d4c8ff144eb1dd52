"""`mc11 explain`: which members decided an issue in a results folder, and how they got there."""

from __future__ import annotations

import argparse
import sys

from simulation.cli.common import (
    add_output_options,
    add_yes_option,
    confirm_size,
    emit,
    file_or_folder,
    positive,
    rounded,
    say_if_compiling,
)
from simulation.errors import InputError
from simulation.report import counted

DEFAULT_RUNS = 200  # replications `mc11 explain` re-runs unless told


def explain(args: argparse.Namespace) -> None:
    """`mc11 explain`: which members decided an issue in a results folder, and how they moved."""
    from simulation.report.explanations import explained_by_bloc, member_blocs
    from simulation.runs.explain import explain as explain_issue
    from simulation.runs.progress import QUIET_SECONDS, Progress

    if len(args.issue) > 1:  # `preferences` takes --issue repeated; this command one issue
        raise InputError("--issue", "--issue", f"given {len(args.issue)} times "
                         f"({', '.join(args.issue)}); allowed: one issue (the folder's runs "
                         "are re-run for one issue at a time): run mc11 explain once per issue")
    asked = args.runs or DEFAULT_RUNS
    shown = Progress(asked, 0, "explain", after=QUIET_SECONDS)

    def go_ahead(negotiation, bargaining, runs: int) -> None:
        say_if_compiling(args)  # here: a refused folder or issue says nothing of compiling
        confirm_size(negotiation, bargaining, runs, 1, what=f"{runs:,} runs re-run in this "
                     "process", yes=args.yes, option="--runs", instead="ask for fewer --runs")
        shown.total = runs  # the folder may hold fewer runs than asked

    def noting(note: str) -> None:
        print(f"mc11: note: {note}", file=sys.stderr)

    try:
        table, about = explain_issue(args.results, args.issue[0], asked, before=go_ahead,
                                     progress=shown.update, note=noting)
    finally:
        shown.close()
    if args.runs and about["runs"] < args.runs:  # asked for more than the folder holds
        print(f"mc11: note: the folder has {counted(about['runs'], 'run')}, fewer than --runs "
              f"{args.runs}: all of them are explained", file=sys.stderr)
    said: dict[str, str] = {}  # per bloc's row shown, what it stands for
    if args.format != "table":  # a row per member, for analysis
        table.insert(1, "bloc", member_blocs(table["member"], _blocs(args.results)))
    else:
        if not args.members:
            table, said = explained_by_bloc(table, _blocs(args.results))
        table = table.head(args.top)
        said = {label: sentence for label, sentence in said.items()
                if label in set(table["member"])}
        shares = ", ".join(f"{name} {share:.2f}" for name, share
                           in about["outcome_shares"].items())
        merged = (" Members of a bloc with the same shares are one row, named as the bloc "
                  f"with how many of its members are on it, here {'; '.join(said)}: its "
                  "start, at_mc11, moves, tolerance and salience are their means (--members: "
                  "a row each)." if said else "")
        print(f"{about['issue']} over the first {about['runs']} runs ({shares}); status quo "
              f"{about['status_quo']:g}. Per member who decided it: the share of runs in which "
              "it blocked it (pivotal, or rejecting the chair's change where nobody was), "
              "or in which the agreed text sat at the edge of "
              "what it accepts (last to accept); then, over those runs, its position at the "
              "start and at MC11, how far each rule moved it, its tolerance and salience."
              f"{merged}")
    if table.empty and args.format == "table" and not args.out:  # not pandas' "Empty DataFrame"
        print("(no member blocked it or accepted last in these runs)")
    else:
        emit(rounded(table), args.format, args.out)
    sys.stdout.flush()  # the notes under the table
    for note in (*said.values(), about["unblocked"], about["unbound"]):
        if note:
            print(f"mc11: note: {note}", file=sys.stderr)


def _blocs(folder: str) -> dict[str, list[str]]:
    """The blocs of the folder's scenario (`bloc_members`), by name."""
    from simulation.report.figures import bloc_members
    from simulation.runs.results import load_results

    scenario = load_results(folder).scenario
    return bloc_members(scenario, scenario.negotiation())


def register(commands: argparse._SubParsersAction) -> None:
    """Add `explain` to the `mc11` parser."""
    parser = commands.add_parser("explain", help="which members decided an issue in a results "
                                 "folder, where they started and how bargaining moved them")
    parser.add_argument("results", metavar="RESULTS_DIR", type=file_or_folder,
                        help="a complete results folder")
    parser.add_argument("--issue", required=True, action="append",
                        help="the issue id (e.g. data_flows); one issue")
    parser.add_argument("--runs", type=positive,
                        help=f"re-run the folder's first RUNS replications (default "
                             f"{DEFAULT_RUNS}, or all the folder holds if fewer)")
    parser.add_argument("--top", type=positive, default=15,
                        help="rows shown in the table format (default 15, a bloc's row one of "
                             "them; csv/json: all)")
    parser.add_argument("--members", action="store_true",
                        help="a row for each member of a bloc too, not one for those with the "
                             "same shares (table format; csv and json always have a row per "
                             "member, with its bloc)")
    add_yes_option(parser, "re-running the runs", disk=False)
    add_output_options(parser)
    parser.set_defaults(handler=explain, runs_model=True, says_compiling=True)

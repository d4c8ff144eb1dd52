"""Drawing a results folder's figures from its tables, for `mc11 plot` and for `mc11 run --plots`
(which draws them with `draw_figures`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from simulation.cli.common import (
    add_figure_format_option,
    figure_format,
    figure_format_words,
    file_or_folder,
    load_checked,
    positive,
    read_checked,
    workers_on_this_machine,
)
from simulation.errors import InputError, Interrupted, disk_full, shell_word, unwritable
from simulation.report import DEFAULT_FIGURE_FORMAT

if TYPE_CHECKING:
    from collections.abc import Collection

    from simulation.report.figures import FigureTables, StandardFigure


def plot(args: argparse.Namespace) -> None:
    """`mc11 plot`: draw (or redraw) a results folder's figures from its tables."""
    from simulation.report import summary
    from simulation.report.tables import figure_tables

    fmt = figure_format(args)
    results = load_checked(args.results)
    scenario, folder = results.scenario, results.folder
    # text_levels.csv and coalitions.csv are absent in folders written before they existed
    levels = read_checked(folder, "text_levels.csv", scenario) \
        if (folder / "text_levels.csv").is_file() else summary.text_levels(results.outcomes)
    coalitions = read_checked(folder, "coalitions.csv", scenario) \
        if (folder / "coalitions.csv").is_file() else None
    tables = figure_tables(scenario, scenario.negotiation(), summary=results.summary,
                           levels=levels, support=read_checked(folder, "support.csv", scenario),
                           blockers=read_checked(folder, "blockers.csv", scenario),
                           coalitions=coalitions)
    target = _plot_folder(folder, args.force, fmt)
    for path in draw_figures(tables, folder, target, workers_on_this_machine(args.workers),
                             figure_files(target, fmt), fmt=fmt):
        print(path)


def draw_figures(tables: FigureTables, folder: Path, target: Path, workers: int,
                 before: dict[str, tuple[int, int] | None],
                 drawn: Collection[StandardFigure] = (),
                 fmt: str = DEFAULT_FIGURE_FORMAT) -> list[Path]:
    """Draw the figures of the complete results `folder` but those `drawn` already into
    `target`, in the format `fmt` (`mc11 plot`, `mc11 run --plots`); stopped part-way (Ctrl-C, a
    dead figure process, a full disk), Interrupted names the figures drawn since `before` and
    the command that draws them all."""
    from concurrent.futures.process import BrokenProcessPool

    from simulation.report.figures import write_figures

    try:
        return write_figures(tables, target, workers, drawn, fmt)
    except OSError as exc:
        if disk_full(exc):
            raise Interrupted(f"cannot write the figures in {target} ({unwritable(exc)}); "
                              f"{_drawn_so_far(folder, target, before, fmt)}") from None
        raise InputError(str(target), "(folder)", f"cannot write the figures there "
                         f"({unwritable(exc)}); copy the results folder somewhere you can "
                         "write to and draw the copy's figures") from None
    except BrokenProcessPool:
        raise Interrupted(f"a figure process died; {_drawn_so_far(folder, target, before, fmt)}"
                          ) from None
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted while drawing the figures into {target}; "
                          f"{_drawn_so_far(folder, target, before, fmt)}") from None


def figure_files(target: Path, fmt: str = DEFAULT_FIGURE_FORMAT
                 ) -> dict[str, tuple[int, int] | None]:
    """Each standard figure's file of the format `fmt` in `target` as it is now (inode and time
    of last change), or None where there is none: a figure drawn since replaced its file."""
    from simulation.report.figures import FIGURES

    def state(path: Path) -> tuple[int, int] | None:
        try:
            found = path.stat()
        except OSError:
            return None
        return found.st_ino, found.st_mtime_ns

    return {figure.file(fmt): state(target / figure.file(fmt)) for figure in FIGURES}


def _drawn_so_far(folder: Path, target: Path, before: dict[str, tuple[int, int] | None],
                  fmt: str) -> str:
    """Which figures of the format `fmt` in `target` were drawn before the drawing stopped and
    which not (missing, or left as they were), and how to draw them all."""
    now = figure_files(target, fmt)
    drawn = [name for name, state in now.items() if state is not None and state != before[name]]
    missing = [name for name in now if name not in drawn]
    said = (f"{len(drawn)} of the {len(now)} figures {'was' if len(drawn) == 1 else 'were'} "
            "drawn there"
            + (f" ({', '.join(drawn)})" if drawn else "")
            + f"; not drawn: {', '.join(missing)}. ")
    again = shell_word(folder) + figure_format_words(fmt)
    if target.name == "plots":
        return said + f"Draw them all into {target} with: mc11 plot --force {again}"
    return said + f"Delete {target} and draw them all again with: mc11 plot {again}"


def _plot_folder(folder: Path, force: bool, fmt: str) -> Path:
    """plots/ if it holds no figure of the format `fmt` yet (figures of another format stay
    beside them), or with --force; else a new plots-2/, plots-3/, ... so figures drawn before
    are never overwritten unasked."""
    target = folder / "plots"
    is_file = target.exists() and not target.is_dir()
    if is_file and force:
        raise InputError(str(target), "--force", "a file, not a folder of figures: --force "
                         "redraws a plots/ folder only; move the file away, or draw without "
                         "--force into a new plots-N/")
    if not is_file and (force or not target.exists() or not any(target.glob(f"*.{fmt}"))):
        return target
    number = 2
    while (folder / f"plots-{number}").exists():
        number += 1
    why = "is a file, not a folder" if is_file else f"has {fmt.upper()} figures already"
    print(f"mc11: {target} {why}; drawing into plots-{number}/ (--force redraws plots/ in "
          "place)", file=sys.stderr)
    return folder / f"plots-{number}"


def register(commands: argparse._SubParsersAction) -> None:
    """Add `plot` to the `mc11` parser."""
    parser = commands.add_parser("plot", help="draw (or redraw) the figures of a results folder")
    parser.add_argument("results", metavar="RESULTS_DIR", type=file_or_folder,
                        help="a complete results folder (from `mc11 run`)")
    parser.add_argument("--force", action="store_true",
                        help="redraw plots/ in place (default: a new plots-N/ when plots/ has "
                             "figures of the format asked for)")
    parser.add_argument("--workers", type=positive,
                        help="processes drawing figures at once (default: all cores)")
    add_figure_format_option(parser)
    parser.set_defaults(handler=plot)

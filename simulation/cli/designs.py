"""`mc11 sweep` and `mc11 sensitivity`: designs of parameter vectors, run point by point on Dask."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from simulation.cli.common import (
    RESULTS_DIR,
    add_figure_format_option,
    add_scenario_argument,
    add_yes_option,
    confirm_size,
    figure_format,
    file_or_folder,
    load_quietly,
    positive,
    results_dir,
    run_count,
    say_if_compiling,
    say_notes,
    scenario_of,
    seed,
    whole,
    workers_on_this_machine,
)
from simulation.errors import InputError, shell_word, write_atomic
from simulation.report import counted


def _check_options(args: argparse.Namespace) -> None:
    """Refuse options that another one makes meaningless, rather than ignore them unsaid."""
    from simulation.runs import cluster

    if args.workers is not None and args.scheduler != cluster.LOCAL:
        why = ("in-process runs the design in this one process, without workers"
               if args.scheduler == cluster.IN_PROCESS else "a running scheduler runs the "
               "design on the workers it has (start more with `dask worker ADDRESS`)")
        raise InputError("--workers", f"--scheduler {args.scheduler}", f"{why}; --workers "
                         "sizes only the local cluster (--scheduler local, the default): drop "
                         "one of the two")
    results_dir(args, "--folder")


@contextmanager
def _run(plan, scenario, args: argparse.Namespace, instead: str) -> Iterator[_Outputs]:
    """Open (or resume) the design's folder and run its missing points on the chosen backend,
    after the estimate and, for long work, a go-ahead (`instead`: what to ask for instead);
    give which of its tables and figures to write, the folder's lock held until the block
    writing them ends (a second run beside it is refused, not drawing the same files); on a
    complete folder the lock is taken only once a missing table or figure is to be written."""
    from simulation.runs import cluster, design, sweep, versions
    from simulation.runs.progress import Progress

    bargaining = scenario.spec.parameters.bargaining
    for path, reader in design.unread(plan.constants, bargaining.protocol).items():
        print(f"mc11: note: {path} is read only by {reader}; this scenario "
              f"bargains by {bargaining.protocol}, so it changes no run here", file=sys.stderr)
    for path in design.absent_kinds(plan.constants, scenario.calendar_path):
        print(f"mc11: note: {path}: the scenario's calendar has no period of kind "
              f"{path.split('.')[1]}, so it changes no run here", file=sys.stderr)
    folder = Path(args.folder) if args.folder else None
    base = results_dir(args, "--folder")
    resuming = folder is not None and folder.exists()
    todo, runs = len(plan.points), plan.runs_per_point
    with ExitStack() as held:
        if resuming:  # refuses another design's folder, touching nothing
            folder = sweep.open_folder(plan, scenario, folder, base)
            if not sweep.pending_points(folder, plan):  # complete: no backend to start (nor
                # a scheduler to reach), the lock only to write a missing table or figure
                print(f"{plan.kind}: {len(plan.points)} design points x {runs} runs of "
                      f"'{scenario.name}', seed {plan.seed}, all run already in {folder}",
                      file=sys.stderr)
                yield _Outputs(folder, fresh=False, unlocked=held)
                return
            held.enter_context(sweep.design_lock(folder))  # refused while in use
            todo = len(sweep.pending_points(folder, plan))  # what is left once it is held
            note = versions.resume_note(sweep.stored_design(folder), folder)
            if note:
                print(f"mc11: note: {note}", file=sys.stderr)
        local = args.scheduler == cluster.LOCAL
        remote = args.scheduler not in (cluster.LOCAL, cluster.IN_PROCESS)
        say_if_compiling(args, remote)  # here: a refused resume says nothing of compiling
        workers = workers_on_this_machine(args.workers) if local else None
        where = f"a local Dask cluster of {workers} worker(s)" if local else \
            "this process (no Dask)" if args.scheduler == cluster.IN_PROCESS else args.scheduler

        def go_ahead(workers: int) -> None:
            points = counted(todo, "design point")
            confirm_size(scenario.negotiation(), bargaining, todo * runs, workers,
                         what=f"{points} x {runs:,} runs ({todo * runs:,} runs)", yes=args.yes,
                         option="--runs-per-point", instead=instead, here=not remote)

        if not remote:  # before starting a cluster
            go_ahead(workers or 1)
        shown = None
        try:
            with cluster.backend(args.scheduler, workers) as client:
                if remote:  # its workers are known once connected
                    go_ahead(cluster.workers_of(client))
                if not resuming:
                    folder = sweep.open_folder(plan, scenario, folder, base)
                    held.enter_context(sweep.design_lock(folder))
                print(f"{plan.kind}: {len(plan.points)} design points x {runs} runs of "
                      f"'{scenario.name}', seed {plan.seed} ({todo} to run) on {where} into "
                      f"{folder}", file=sys.stderr)
                shown = Progress(len(plan.points) * runs, (len(plan.points) - todo) * runs,
                                 plan.kind, enabled=not args.quiet)
                sweep.run_points(folder, plan, scenario, client,
                                 on_point=lambda _: shown.update(runs))
        except KeyboardInterrupt:  # after the points (as the cluster closed): say how to finish
            if folder is None or not (folder / sweep.DESIGN).is_file():
                raise
            raise sweep.DesignInterrupted(folder, "interrupted") from None
        finally:
            if shown is not None:
                shown.close()
        yield _Outputs(folder, fresh=True)


@dataclass
class _Outputs:
    """Which of a design's tables and figures to write: all of them after new runs; when the
    folder was complete already, only those missing, so that nothing there (a table the user
    edited, say) is silently replaced."""

    folder: Path
    fresh: bool
    unlocked: ExitStack | None = None  # a complete folder read without its lock: where to take it
    kept: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # those a complete folder was missing
    differing: list[str] = field(default_factory=list)
    other_columns: list[str] = field(default_factory=list)  # kept tables of another mc11's
    edited: list[Path] = field(default_factory=list)  # point files edited since written
    lacking: list[str] = field(default_factory=list)  # statistics the points lack

    def wanted(self, name: str, text: str | None = None) -> bool:
        """Whether to write `name`; a table kept instead whose `text` (what would be written)
        differs from the file's is noted, as the screen shows the design's own values: as
        another mc11's where its header names other columns, else as edited."""
        path = self.folder / name
        if self.fresh or not path.exists():
            self._lock()
            if not self.fresh:
                self.written.append(name)
            return True
        self.kept.append(name)
        if text is not None:
            try:
                kept = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                kept = None
            if kept != text:
                another = kept is not None and \
                    kept.partition("\n")[0] != text.partition("\n")[0]
                (self.other_columns if another else self.differing).append(name)
        return False

    def _lock(self) -> None:
        """Take the folder's lock before a complete folder read without it is written to: a
        second run beside it is refused, and so is a folder that cannot take the lock file."""
        from simulation.runs.sweep import design_lock

        if self.unlocked is not None:
            self.unlocked.enter_context(design_lock(self.folder))
            self.unlocked = None

    def say_what_was_kept(self) -> None:
        """Note the files kept and those written that the complete folder lacked, and warn of
        point files edited since the design wrote them (naming them) or, where none was, of
        kept tables that differ from the points."""
        said = ([f"kept as they were: {', '.join(self.kept)} (delete one to have it written "
                 "again)"] if self.kept else []) + \
            ([f"wrote what it lacked: {', '.join(self.written)}"] if self.written else [])
        if said:
            print(f"mc11: note: {self.folder} was complete already; {'; '.join(said)}",
                  file=sys.stderr)
        if self.other_columns:
            print(f"mc11: note: {', '.join(self.other_columns)} in {self.folder} kept other "
                  "columns than this mc11 writes (an earlier mc11's, or edited): delete it to "
                  "have it written with this mc11's", file=sys.stderr)
        if self.lacking:
            print(f"mc11: note: points in {self.folder} run by an earlier mc11 lack "
                  f"{', '.join(self.lacking)}: the tables leave those columns out (run the "
                  "design into a new --folder to have them)", file=sys.stderr)
        tables = ", ".join(self.differing)
        differ = "differs" if len(self.differing) == 1 else "differ"
        if self.edited:
            named = [str(path.relative_to(self.folder)) for path in self.edited[:3]]
            more = f" and {len(self.edited) - 3} more" if len(self.edited) > 3 else ""
            print(f"mc11: warning: the statistics in {', '.join(named)}{more} in {self.folder} "
                  "were edited since the design wrote them; what this command shows or draws "
                  "comes from the points as they are now"
                  + (f" ({tables} {differ} from them)" if self.differing else "")
                  + "; delete an edited point file and run the same command to compute that "
                  "point again", file=sys.stderr)
        elif self.differing:
            print(f"mc11: warning: {tables} in {self.folder} {differ} from what the design's "
                  "points give (edited since?); what this command shows or draws comes from the "
                  "points", file=sys.stderr)


@contextmanager
def _writing(folder: Path) -> Iterator[None]:
    """Making a finished design's tables and figures: a folder that cannot take them stops the
    command as `stopped_writing` says (on a full disk: the same command completes it), and so
    does Ctrl-C, the design's points all kept."""
    from simulation.runs.sweep import DesignInterrupted, stopped_writing

    try:
        yield
    except OSError as exc:
        raise stopped_writing(folder, "its tables and figures", exc) from None
    except KeyboardInterrupt:
        raise DesignInterrupted(folder, "interrupted") from None


def _titles(scenario) -> dict[str, str]:
    return {issue.id: issue.title for issue in scenario.catalogue.issues}


def sweep(args: argparse.Namespace) -> None:
    """`mc11 sweep`: run (or resume) a grid of constants' values into a design folder."""
    from simulation.report.designs import plot_sweep, with_intervals
    from simulation.runs import design, sweep

    _check_options(args)
    fmt = figure_format(args)
    scenario = load_quietly(scenario_of(args))
    parsed = design.parse_settings(args.set, scenario.spec.overrides)
    settings = sweep.in_stored_order(parsed, Path(args.folder) if args.folder else None)
    plan = design.grid(settings, args.runs_per_point,
                       args.seed if args.seed is not None else scenario.spec.seed,
                       scenario.input_hash())
    say_notes([*scenario.notes, *_fraction_notes(parsed)])  # after an error in --set, none
    with _run(plan, scenario, args, "ask for fewer --runs-per-point or --set values") as outputs, \
            _writing(outputs.folder):
        folder = outputs.folder
        points = sweep.point_table(folder, plan, scenario.catalogue.issue_ids)
        outputs.edited, outputs.lacking = points.attrs["edited"], points.attrs["lacking"]
        table = with_intervals(points, plan.runs_per_point)
        text = table.to_csv(index=False)
        if outputs.wanted("sweep.csv", text):
            write_atomic(folder / "sweep.csv", text)
        figure = f"plots/sweep.{fmt}"
        if args.plots and outputs.wanted(figure):
            # the constants given one value are fixed, not swept: the title names them
            swept = [path for path, values in settings.items() if len(values) > 1]
            fixed = {path: values[0] for path, values in settings.items() if len(values) == 1}
            plot_sweep(table, swept, _titles(scenario), plan.runs_per_point, folder / figure,
                       fixed)
    outputs.say_what_was_kept()
    drawn = f"; {figure}" if args.plots else ""
    print(f"sweep.csv: one row per grid point and issue ({len(table)} rows){drawn}; results: "
          f"{folder}")


def _fraction_notes(settings: dict[str, list[float]]) -> list[str]:
    """The scenario file's note on a position between 0 and 1, for each such --set value of an
    override's set_position or shift_position (`overrides.0.set_position=0.5,60`)."""
    from simulation.inputs.scenario import fraction_note

    notes = []
    for path, values in settings.items():
        where, _, what = path.rpartition(".")
        if where.startswith("overrides.") and what in ("set_position", "shift_position"):
            notes += [note for value in values
                      if (note := fraction_note(f"--set {where}", what, value))]
    return notes


def _read_by(protocol: str, priors: dict) -> dict:
    """The scenario's priors without those on constants `protocol` does not read (the
    baseline's compromise priors in an exchange scenario, and its priors on pressure), if two or
    more remain: their indices are zero by construction, and each would add N design points
    (Sobol) or one a trajectory (Morris)."""
    from simulation.runs import design

    skipped = design.unread(priors, protocol)
    if len(priors) - len(skipped) < 2:  # too few left for a design: run it as asked (the
        return priors  # design's note then says which constants change no run)
    if skipped:
        print(f"mc11: note: leaving out {', '.join(skipped)}: the {protocol} protocol does not "
              "read them, so no run depends on them (name them in --parameters to vary them "
              "anyway)", file=sys.stderr)
    return {path: prior for path, prior in priors.items() if path not in skipped}


def _without_prior(path: str, priors: list[str]) -> InputError:
    """The error for a --parameters constant that has no prior in the scenario: the close ones,
    or that the scenario has none."""
    from simulation.runs import design

    if not priors:
        return InputError("--parameters", path, "this scenario has no priors; a sensitivity "
                          "design varies constants with priors (write them as in README, "
                          "'Priors')")
    return InputError("--parameters", path, "not a constant with a prior in this scenario"
                      f"{design.close_paths(path, priors)}; those are: {', '.join(priors)}")


def _one_prior(scenario, method: str) -> InputError:
    """The error for a sensitivity design on a scenario with a prior on one constant only,
    where naming two in --parameters cannot be done: the indices compare constants (one alone
    explains all of a verdict's variance), so the way on is another prior, or a sweep of it."""
    (path,) = scenario.priors
    return InputError(str(scenario.path), "priors", f"a {method} design needs priors on at "
                      "least two constants, whose indices it compares; this scenario has one, "
                      f"on {path}: add a prior on another constant to the scenario (README, "
                      "'Priors'), or see how the verdicts follow this one alone with `mc11 sweep "
                      f"{shell_word(str(scenario.path))} --set {path}=V1,V2,...`")


def sensitivity(args: argparse.Namespace) -> None:
    """`mc11 sensitivity`: run (or resume) a Sobol or Morris design over the scenario's priors
    and report each verdict's sensitivity indices."""
    from simulation.outcomes import OUTCOMES
    from simulation.report.designs import plot_heatmap, plot_indices
    from simulation.runs import design, sensitivity, sweep

    _check_options(args)
    fmt = figure_format(args)
    scenario = load_quietly(scenario_of(args))
    priors = dict(scenario.priors)
    source = str(scenario.path)
    if len(priors) == 1:  # `name at least two` would be advice it cannot follow
        raise _one_prior(scenario, args.method)
    if args.parameters is not None:
        chosen = [p.strip() for p in args.parameters.split(",") if p.strip()]
        if not chosen:
            if not priors:
                raise _without_prior("(value)", [])
            raise InputError("--parameters", "(value)", "empty; name at least two of the "
                             f"constants with a prior in this scenario: {', '.join(priors)}")
        unknown = [p for p in chosen if p not in priors]
        if unknown:
            raise _without_prior(unknown[0], list(priors))
        twice = next((p for i, p in enumerate(chosen) if p in chosen[:i]), None)
        if twice:
            raise InputError("--parameters", twice, f"{twice} is named twice; name each "
                             "constant once")
        priors, source = {p: priors[p] for p in chosen}, "--parameters"
    if args.parameters is None:
        priors = _read_by(scenario.spec.parameters.bargaining.protocol, priors)
    priors = sweep.in_stored_order(priors, Path(args.folder) if args.folder else None)
    plan = design.sensitivity_design(args.method, priors, args.samples, args.runs_per_point,
                                     args.seed if args.seed is not None else scenario.spec.seed,
                                     scenario.input_hash(), source)
    say_notes(scenario.notes)  # after an error in --parameters or --samples, none
    titles = _titles(scenario)
    with _run(plan, scenario, args, "ask for fewer --runs-per-point or --samples") as outputs, \
            _writing(outputs.folder):
        folder = outputs.folder
        points = sweep.point_table(folder, plan, scenario.catalogue.issue_ids)
        outputs.edited, outputs.lacking = points.attrs["edited"], points.attrs["lacking"]
        indices = sensitivity.analyse(points, plan, priors)
        ranges = sensitivity.verdict_ranges(points)
        for name, table in (("points.csv", points), ("sensitivity.csv", indices),
                            ("verdict_ranges.csv", ranges)):
            text = table.to_csv(index=False)
            if outputs.wanted(name, text):
                write_atomic(folder / name, text)
        figures = ((plot_indices, f"plots/sensitivity_indices.{fmt}"),
                   (plot_heatmap, f"plots/sensitivity_heatmap.{fmt}")) if args.plots else ()
        for draw, name in figures:
            if outputs.wanted(name):
                draw(indices, titles, folder / name)
    outputs.say_what_was_kept()
    print("inside the priors, per issue: P(multilateral) over the design points (5% / median / "
          "95%) and the share of points where each outcome is the most likely (a tie split "
          "equally)"
          + (":" if plan.kind == "sobol" else
             f" (Morris' grid of {design.MORRIS_LEVELS} levels puts many points at the "
             "priors' ends, so these ranges lean to the ends rather than follow the priors; a "
             "Sobol design samples the priors):"))
    for row in ranges.itertuples():
        modal = ", ".join(f"{o} {getattr(row, f'modal_{o}'):.2f}"
                          for o in OUTCOMES if getattr(row, f"modal_{o}") > 0)
        print(f"  {row.issue}: {row.p_multilateral_q05:.2f} / {row.p_multilateral_median:.2f} "
              f"/ {row.p_multilateral_q95:.2f}; most likely: {modal}")
    measure = "total index ST" if plan.kind == "sobol" else "mu*"
    print(f"constants driving P(multilateral), per issue whose verdict varies (largest "
          f"{measure} first, +- its 95% interval):")
    driving = sensitivity.drivers(indices)
    loose = (driving["conf"] > sensitivity.UNESTIMATED) & (plan.kind == "sobol")
    for issue, rows in driving.groupby("issue", sort=False):
        listed = ", ".join(f"{p} {v:.2f} +- {c:.2f}{' (not estimated)' if wide else ''}"
                           for p, v, c, wide in zip(rows["parameter"], rows["value"],
                                                    rows["conf"], loose[rows.index], strict=True))
        print(f"  {issue}: {listed}")
    if loose.any():
        print(f"  (not estimated: a 95% interval wider than +- {sensitivity.UNESTIMATED}, half the "
              f"range a total index can take, says nothing of the constant's size at "
              f"{plan.samples} samples; raise --samples for firmer indices)")
    if plan.kind == "sobol" and (driving["value"] > 1).any():
        print(f"  (a total index above 1 is sampling error, not a larger effect: at most 1 is "
              f"possible; raise --samples above {plan.samples} for firmer indices)")
    if driving.empty:
        varies = ((indices["verdict"] == "p_multilateral")
                  & (indices["variance"] >= sensitivity.MIN_VARIANCE)).any()
        why = (f"no constant's index exceeds {sensitivity.DRIVER_FLOOR}" if varies else
               "P(multilateral) varies on no issue over the design")
        print(f"  (none: {why})")
    drawn = f"; {' and '.join(name for _, name in figures)}" if figures else ""
    print("sensitivity.csv (tidy indices), points.csv (each point's verdicts), "
          f"verdict_ranges.csv{drawn}; results: {folder}")


def _common(parser: argparse.ArgumentParser) -> None:
    add_scenario_argument(parser)
    parser.add_argument("--runs-per-point", type=run_count, default=100, metavar="R",
                        help="replications per design point, run as one batch (default: 100)")
    parser.add_argument("--seed", type=seed, help="master seed (default: the scenario's)")
    parser.add_argument("--scheduler", default="local", metavar="WHERE",
                        help="'local' (default: a Dask cluster on this machine), 'in-process' "
                             "(no Dask), or the address tcp://HOST:PORT of a running scheduler")
    parser.add_argument("--workers", type=positive,
                        help="workers of the local cluster (default: all cores); only with "
                             "--scheduler local")
    parser.add_argument("--folder", metavar="DIR", type=file_or_folder,
                        help="the design's folder; an existing one holding the same design is "
                             "resumed (default: <results-dir>/<scenario>-<kind>-<time>)")
    parser.add_argument("--results-dir", metavar="DIR", type=file_or_folder,
                        help=f"where a new folder goes without --folder (default: {RESULTS_DIR})")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or lines")
    parser.add_argument("--plots", action=argparse.BooleanOptionalAction, default=True,
                        help="draw the design's figures into <folder>/plots/ (default: yes; "
                             "--no-plots: tables only)")
    add_figure_format_option(parser)
    add_yes_option(parser, "a design (or the rest of one, in its --folder)", disk=False)


def register(commands: argparse._SubParsersAction) -> None:
    """Add `sweep` and `sensitivity` to the `mc11` parser."""
    parser = commands.add_parser("sweep", help="run a grid of constants' values: outcome shares "
                                 "and text quantiles per grid point and issue")
    _common(parser)
    parser.add_argument("--set", action="append", required=True, metavar="PATH=V1,V2,...",
                        help="a constant and its values (repeat for a grid), e.g. "
                             "parameters.consensus.base_tolerance=5,10,15,20, or a value of "
                             "the scenario's overrides: overrides.0.set_salience=0.5,0.9")
    parser.set_defaults(handler=sweep, runs_model=True, says_compiling=True)

    parser = commands.add_parser("sensitivity", help="global sensitivity (Sobol or Morris) of "
                                 "each issue's verdicts to the scenario's priors")
    _common(parser)
    parser.add_argument("--method", choices=("sobol", "morris"), default="sobol",
                        help="Sobol (first-order and total indices, Saltelli's sampling) or "
                             "Morris (elementary effects: mu*, sigma); default: sobol")
    parser.add_argument("--samples", type=whole, default=64, metavar="N",
                        help="Sobol: base samples N, a power of 2 of at least 16 (N x (D + 2) "
                             "points); Morris: trajectories, at least 2 (N x (D + 1) points); "
                             "default 64")
    parser.add_argument("--parameters", metavar="PATH,...",
                        help="only these constants with priors (default: all that the "
                             "scenario's protocol reads: priors on another protocol's settings, "
                             "as the three on the compromise protocol's in an exchange or "
                             "challenge scenario, and on the calendar's pressure under a "
                             "protocol that reads none, as exchange, are left out with a note); "
                             "the others are drawn per replication as in an ensemble")
    parser.set_defaults(handler=sensitivity, runs_model=True, says_compiling=True)

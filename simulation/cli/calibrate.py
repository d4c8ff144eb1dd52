"""`mc11 calibrate`: fit the engine's free parameters to observed outcomes, cross-validated."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from simulation.cli.common import (
    at_least_two,
    file_or_folder,
    positive,
    rounded,
    say_if_compiling,
    seed,
    workers_on_this_machine,
)
from simulation.cli.own_data import EXCHANGE_RULES, dataset_of, gap_text, say_scales
from simulation.engine import protocols
from simulation.errors import InputError, Interrupted, stopped_by_user, write_atomic
from simulation.report import counted


def _progress():
    """A progress bar on a terminal; plain lines (one per trial) otherwise."""
    if not sys.stderr.isatty():
        def line(search: str, done: int, total: int, best: float) -> None:
            print(f"{search}: trial {done}/{total}, best mean absolute error {best:.3f}",
                  file=sys.stderr, flush=True)
        return line, lambda: None
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def bar(search: str, done: int, total: int, best: float) -> None:
        if search not in bars:
            for old in bars.values():
                old.close()
            bars[search] = tqdm(total=total, initial=done - 1, desc=search, unit="trial",
                                leave=False)
        bars[search].set_postfix_str(f"best MAE {best:.3f}", refresh=False)
        bars[search].update(done - bars[search].n)

    def close() -> None:
        for old in bars.values():
            old.close()
    return bar, close


def _table(frame) -> str:
    import pandas as pd

    with pd.option_context("display.max_colwidth", 70, "display.width", 200):
        return rounded(frame).to_string(index=False, na_rep="-")


def calibrate(args: argparse.Namespace) -> None:
    """`mc11 calibrate`: fit the free parameters under grouped cross-validation and report them
    against the defaults and the baselines, out of fold."""
    from simulation.runs.calibrate import (
        DIGEST_NOTE,
        FITTED_BASELINE,
        FITTED_BASELINE_NAME,
        FOLDS,
        PARAMETERS,
        REPORT,
        calibrate,
        calibration_folds,
        can_continue,
        fingerprint,
        finished,
        parameter_file_text,
        recorded_inputs,
        resuming,
        stopped_writing,
    )
    from simulation.runs.forecast import BASELINES, check_exchange_rule, method_name
    from simulation.runs.versions import finished_note, resume_note

    dataset = dataset_of(args.datafile, None)
    check_exchange_rule(args.protocol, args.exchange_rule)
    calibration_folds(dataset, args.folds, args.seed)  # refused before the work is announced
    rule = f"-{args.exchange_rule}" if args.exchange_rule else ""
    folder = Path(args.dir or f"calibration-{Path(args.datafile).stem}-{args.protocol}{rule}")
    inputs = fingerprint(args.datafile, args.protocol, args.folds, args.trials, args.seed,
                         args.exchange_rule)
    again = resuming(folder, inputs)
    if again and finished(folder):
        note = finished_note(recorded_inputs(folder), folder)
        if note:
            print(f"mc11: note: {note}", file=sys.stderr)
        print(f"mc11: {folder} holds this calibration complete already: nothing is left to "
              f"run and no file was changed. Its report ({folder / REPORT}) follows; parameter "
              f"file: {folder / PARAMETERS}", file=sys.stderr)
        sys.stdout.write(_stored(folder / REPORT))
        return
    note = resume_note(recorded_inputs(folder), folder, "trials") if again else None
    if note:
        print(f"mc11: note: {note}", file=sys.stderr)
    say_scales(dataset, scored=True)
    say_if_compiling(args)  # here: a resume its folder refuses says nothing of compiling
    print(f"{args.datafile}: {counted(len(dataset), 'negotiation')}; calibrating protocol "
          f"{args.protocol}, {args.folds} folds x {args.trials} trials + {args.trials} on all "
          f"negotiations, seed {args.seed}; {'resuming' if again else 'trials kept'} in {folder}",
          file=sys.stderr, flush=True)
    progress, close = _progress()
    try:
        result = calibrate(dataset, args.protocol, folder, inputs, args.folds, args.trials,
                           args.seed, args.exchange_rule, workers_on_this_machine(args.workers),
                           progress)
    except BaseException as exc:  # Ctrl-C, or SIGTERM, possibly inside a compiled rule
        if stopped_by_user(exc) and can_continue(folder):
            raise Interrupted(f"interrupted; the finished trials are kept in {folder}. Complete "
                              "the calibration with the same command") from None
        raise
    finally:
        close()
    methods = result.methods.copy()
    headline = methods.set_index("method")["out_of_fold_mae"]
    scored = methods.set_index("method")["issues"]
    best_baseline = min((m for m in headline.index if m in BASELINES
                         and scored[m] == scored["model_default"]), key=lambda m: headline[m])
    effect = _calibration_effect(*methods.set_index("method").loc["model_default",
                                                                  ["gap", "gap_se"]])
    methods["method"] = [
        {"model_calibrated": "the model, calibrated (out of fold)",
         "model_default": "the model, default parameters",
         FITTED_BASELINE: FITTED_BASELINE_NAME}.get(m, method_name(m))
        for m in methods["method"]]
    methods["gap"] = [gap_text(gap, error) if math.isfinite(gap) else ""
                      for gap, error in zip(methods.pop("gap"), methods.pop("gap_se"),
                                            strict=True)]
    methods.columns = ["method", "issues scored", "MAE out of fold",
                       "mean over folds", "sd over folds", "minus the calibrated (paired)"]
    issues = int(result.folds["issues"].sum())
    report = [
        f"Out-of-fold mean absolute error over {issues} issues of {len(dataset)} negotiations "
        f"({args.folds} folds by negotiation; each issue predicted by parameters fitted "
        "without its negotiation):",
        _table(methods),
        "(minus the calibrated: a method's out-of-fold error minus the calibrated model's on the "
        "issues both score, positive where the calibrated model is closer, ± its standard error "
        "clustered by negotiation; a gap within about two standard errors is a tie)", "",
        f"Headline: calibrated {headline['model_calibrated']:.3f} out of fold, against "
        f"{headline[best_baseline]:.3f} for the best baseline scoring every issue "
        f"({method_name(best_baseline)}), {headline[FITTED_BASELINE]:.3f} for the capability x "
        "salience weighted mean moved toward the status quo by a share fitted on the same folds "
        "(a calibrated rule of thumb) "
        f"and {headline['model_default']:.3f} for the default parameters. {effect}", "",
        "Per fold (held-out negotiations; MAE of each method on them; the values fitted on "
        "the other folds):",
        _table(result.folds), "",
        "Fitted values: across the folds' fits, and fitted on all negotiations (the "
        "parameter file):",
        _table(result.stability), "",
        f"In sample (fitted and scored on the same negotiations, optimistic): "
        f"{result.in_sample:.3f}; default parameters on all negotiations: "
        f"{result.default_in_sample:.3f}.",
    ]
    text = "\n".join(report) + "\n"
    sys.stdout.write(text)
    header = (f"mc11 calibrate {Path(args.datafile).name} --protocol {args.protocol} "
              f"--folds {args.folds} --trials {args.trials} --seed {args.seed}"
              + (f" --exchange-rule {args.exchange_rule}" if args.exchange_rule else "")
              + f"\n{DIGEST_NOTE}{inputs['data_sha256']}"
              + f"\nout-of-fold MAE {headline['model_calibrated']:.3f} (best baseline "
              f"{best_baseline} {headline[best_baseline]:.3f}); in-sample MAE "
              f"{result.in_sample:.3f}")
    try:
        _write_once(folder / REPORT, text)
        _write_once(folder / FOLDS, result.folds.to_csv(index=False))
        _write_once(folder / PARAMETERS, parameter_file_text(result, header))
    except OSError as exc:
        raise stopped_writing(folder, exc) from None
    print(f"parameter file: {folder / PARAMETERS} (use with --params)", file=sys.stderr)


def _calibration_effect(gap: float, error: float) -> str:
    """What calibrating did out of fold, from the defaults' paired gap to the calibrated model
    (positive where the calibrated model is closer): helped or hurt beyond about two standard
    errors, else a tie."""
    words = ("changed the error (no standard error to judge it by)" if not math.isfinite(error)
             else "helped" if gap > 2 * error else "hurt" if gap < -2 * error else
             "changed nothing beyond chance (a tie)")
    return (f"Calibrating {words}: the defaults' error minus the calibrated one, paired, "
            f"{gap_text(gap, error)}.")


def _stored(path: Path) -> str:
    """A finished calibration's report as it was written; an unreadable one is an InputError."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise InputError(str(path), "--dir", f"the calibration is complete but its report "
                         f"cannot be read ({reason}); choose a new --dir to calibrate "
                         "again") from None


def _write_once(path: Path, text: str) -> None:
    """A result file, written atomically; an existing one (a finished calibration shown again)
    must hold the same text, or the folder was changed by hand."""
    if path.exists():
        if path.read_text(encoding="utf-8") != text:
            raise InputError(str(path), "--dir", "the file exists with other content; it was "
                             "not overwritten: choose a new --dir")
        return
    write_atomic(path, text)


def register(commands: argparse._SubParsersAction) -> None:
    """Add `calibrate` to the `mc11` parser."""
    parser = commands.add_parser(
        "calibrate", help="fit the engine's parameters to observed outcomes, judged by grouped "
                          "cross-validation against simple baselines")
    parser.add_argument("datafile", metavar="DATAFILE", type=file_or_folder,
                        help="outcome data with several negotiations: a long CSV with a "
                             "negotiation column, or a folder with one file per negotiation")
    parser.add_argument("--protocol", choices=protocols.NAMES, required=True,
                        help="the bargaining protocol whose settings are fitted")
    parser.add_argument("--folds", type=at_least_two, default=5,
                        help="cross-validation folds, split by negotiation (default: 5)")
    parser.add_argument("--trials", type=positive, default=30,
                        help="optuna trials per fold and for the final fit, the first of "
                             "each the default parameters (default: 30)")
    parser.add_argument("--seed", type=seed, default=0,
                        help="seed of the folds, the sampler and the model runs (default: 0)")
    parser.add_argument("--exchange-rule", choices=EXCHANGE_RULES, default=None,
                        help="fix the exchange protocol's rule instead of fitting it")
    parser.add_argument("--dir", metavar="DIR", type=file_or_folder,
                        help="folder for the trials and results (default: "
                             "calibration-<data>-<protocol>, with -<rule> added when "
                             "--exchange-rule is given); an interrupted calibration resumes "
                             "from it")
    parser.add_argument("--workers", type=positive, default=None,
                        help="processes running negotiations in parallel (default: all cores; "
                             "more are capped to the cores; results do not depend on it)")
    parser.set_defaults(handler=calibrate, runs_model=True, says_compiling=True)

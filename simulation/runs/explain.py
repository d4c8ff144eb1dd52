"""Why an issue ended as it did in a results folder: who decided it and how they got there.

The folder's replications are re-run from their seeds (replication i of master seed s, with its
own draws from the scenario's priors, gives bit for bit the run the folder holds; the re-run is
checked against `outcomes.parquet`), keeping per member, for the one issue: its position at the
start and at MC11, how far each bargaining rule moved it (under `compromise`: the pull of its
coalitions, the pull to the centre, the noise, and what the scale's ends cut off; under other
protocols, the protocol's moves as one), its tolerance, whether it blocked the issue (its
objection alone stood between the others and a text, or, where nobody was pivotal, it rejected
the chair's change: the folder's blockers) and, where the issue was agreed
multilaterally, whether the text sat at the edge of what it accepts (the last to accept: the
members whose acceptance bound the text; where the chair's weighted median stood inside what
every member accepts, nobody did, and a note counts those runs).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.engine import consensus
from simulation.engine.model import NegotiationModel
from simulation.engine.negotiation import Negotiation
from simulation.engine.protocols.base import BargainingContext, weighted_mean_positions
from simulation.errors import InputError, shell_word
from simulation.inputs import priors as prior_draws
from simulation.outcomes import MULTILATERAL, OUTCOME_LABELS, OUTCOMES
from simulation.runs import versions
from simulation.runs.ensemble import check_count, replication_seed
from simulation.runs.results import load_results

COMPROMISE_RULES = ("coalition_pull", "pull_to_centre", "noise", "scale_end")
LAST_TO_ACCEPT = 0.5  # points of slack within which a member's acceptance binds the text
CHUNK_RUNS = 25  # replications re-run at a time: progress after each batch, memory bounded


class _Explained(NegotiationModel):
    """The model, also keeping each member's moves on one issue by rule."""

    def __init__(self, *args, issue: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.issue = issue
        self.start = self.positions[..., issue].copy()
        rules = COMPROMISE_RULES if self.parameters.bargaining.protocol == "compromise" \
            else (f"{self.parameters.bargaining.protocol}_moves",)
        self.rules = rules
        self.moved = np.zeros((*self.start.shape, len(rules)))

    def observe_bargaining(self, before: np.ndarray, context: BargainingContext) -> None:
        i = self.issue
        x, change = before[..., i], self.positions[..., i] - before[..., i]
        if len(self.rules) == 1:
            self.moved[..., 0] += change
            return
        params = self.parameters.bargaining
        give = context.pressures[:, None] * (1.0 - context.saliences[..., i]) * context.active
        overall = weighted_mean_positions(before, context.saliences, context.capability)[:, i]
        coalition_rate, overall_rate, noise_sd = (context.setting(params, name)[:, None] for name
                                                  in ("coalition_rate", "overall_rate",
                                                      "noise_sd"))
        parts = (give * coalition_rate * (context.targets[..., i] - x),
                 give * overall_rate * (overall[:, None] - x),
                 give * noise_sd * context.shocks[..., i])
        for rule, part in enumerate(parts):
            self.moved[..., rule] += part
        self.moved[..., len(parts)] += change - sum(parts)  # the scale's ends (COMPROMISE_RULES)


def explain(folder: Path | str, issue: str, runs: int,
            before: Callable[[Negotiation, Any, int], None] | None = None,
            progress: Callable[[int], None] | None = None,
            note: Callable[[str], None] | None = None) -> tuple[pd.DataFrame, dict]:
    """Per member who decided `issue` in some of the first `runs` runs of a results folder:
    how often it blocked it or accepted last, and (over those runs) its start, its position
    at MC11, its moves by rule and its tolerance. Also the outcome shares of those runs.
    `before` is called with the negotiation, its bargaining settings and the runs to re-run,
    before they run (the command's estimate and go-ahead); `progress` with the number of runs
    each batch of CHUNK_RUNS re-ran; `note` with what to know before they run (that other model
    rules made the folder's runs)."""
    check_count(runs, "runs")
    results = load_results(folder)
    scenario, manifest = results.scenario, results.manifest
    issues = list(scenario.catalogue.issue_ids)
    if not isinstance(issue, str) or issue not in issues:
        from simulation.inputs.files import suggest

        what = (f"unknown issue {issue!r}{suggest(issue, issues)}" if isinstance(issue, str)
                else f"{issue!r:.60} is not an issue's id (one issue, as text)")
        raise InputError(str(folder), "--issue", f"{what}; the issues: {', '.join(issues)}")
    runs = min(int(runs), int(manifest["runs"]))  # a plain int in what it returns
    seeds = [replication_seed(int(manifest["seed"]), r) for r in range(runs)]
    negotiation = scenario.negotiation()
    other_rules = versions.rerun_note(manifest, folder)
    if other_rules and note is not None:
        note(other_rules)
    if before is not None:
        before(negotiation, scenario.spec.parameters.bargaining, runs)
    k = issues.index(issue)
    batches = []
    for first in range(0, runs, CHUNK_RUNS):
        batch = seeds[first:first + CHUNK_RUNS]
        model = _Explained(negotiation, scenario.spec.parameters, seeds=batch,
                           values=prior_draws.draw(scenario.priors, batch), issue=k)
        batches.append(_kept(model, k))
        if progress is not None:
            progress(len(batch))
    kept = {name: np.concatenate([batch[name] for batch in batches]) for name in batches[0]}
    stored = results.outcomes[(results.outcomes["issue"] == issue)
                              & (results.outcomes["run"] < runs)].sort_values("run")
    labels = np.array([OUTCOME_LABELS[code] for code in kept["outcome"]])
    if stored["run"].tolist() != list(range(runs)):
        raise InputError(str(folder), "outcomes.parquet", f"the table does not hold runs 0 to "
                         f"{runs - 1} of {issue} once each, as run.json's {manifest['runs']} "
                         f"runs make it: it is damaged; `mc11 run --resume "
                         f"{shell_word(folder)}` rebuilds the folder's tables from its chunks")
    if stored["outcome"].astype(str).tolist() != labels.tolist():
        why = (f"{other_rules}; explain it with the mc11 that wrote it" if other_rules else
               "the table was edited, or the model or its data changed since the run; `mc11 run "
               f"--resume {shell_word(folder)}` rebuilds an edited table from the chunks")
        raise InputError(str(folder), "outcomes.parquet", "re-running the folder's replications "
                         f"does not give the outcomes the table holds: {why}")
    blocked, last = kept["blocked"], kept["last_to_accept"]
    members = np.flatnonzero(blocked.any(axis=0) | last.any(axis=0))
    rows = []
    for m in members:
        involved = blocked[:, m] | last[:, m]
        row = {"member": negotiation.members[m], "blocked": blocked[:, m].mean(),
               "last_to_accept": last[:, m].mean(),
               "start": kept["start"][involved, m].mean(),
               "at_mc11": kept["at_mc11"][involved, m].mean()}
        row.update({f"moved_{rule}": kept["moved"][involved, m, j].mean()
                    for j, rule in enumerate(model.rules)})
        row["tolerance"] = kept["tolerance"][involved, m].mean()
        row["salience"] = kept["salience"][involved, m].mean()
        rows.append(row)
    columns = ["member", "blocked", "last_to_accept", "start", "at_mc11",
               *(f"moved_{rule}" for rule in model.rules), "tolerance", "salience"]
    table = pd.DataFrame(rows, columns=columns)  # its columns also when nobody decided it
    if len(table):
        table = table.sort_values(["blocked", "last_to_accept"], ascending=False,
                                  ignore_index=True)
    shares = _in_outcome_order(pd.Series(labels).value_counts(normalize=True))
    return table, {"runs": runs, "issue": issue, "outcome_shares": shares,
                   "status_quo": float(negotiation.status_quo[k]),
                   "unblocked": _unblocked(kept, labels, issue),
                   "unbound": _unbound(kept, labels, issue,
                                       scenario.spec.parameters.consensus.package)}


def _in_outcome_order(counts: pd.Series) -> dict[str, Any]:
    """Counts or shares by outcome label, from multilateral to none, as every table shows them
    (only the outcomes that occurred)."""
    return {label: counts[label].item() for label in OUTCOMES if label in counts}


def _unblocked(kept: dict[str, np.ndarray], labels: np.ndarray, issue: str) -> str | None:
    """Why the runs in which `issue` failed multilaterally name no blocker, in a sentence
    (None if every such run has one): under a single undertaking the chair's package holds only
    issues whose text moves at least min_step from the status quo, so an issue left out of it
    has nothing anyone could block."""
    unblocked = (kept["outcome"] != MULTILATERAL) & ~kept["blocked"].any(axis=1)
    if not unblocked.any():
        return None
    untabled = unblocked & (kept["chair_change"] < kept["min_step"])
    counts = ", ".join(f"{count} {label}" for label, count
                       in _in_outcome_order(pd.Series(labels[unblocked]).value_counts()).items())
    said = f"in {unblocked.sum()} of the {len(labels)} runs ({counts}) no member blocked {issue}"
    if not untabled.any():
        return said
    which = "each" if untabled.sum() == unblocked.sum() else f"{untabled.sum()} of them"
    change, step = kept["chair_change"][untabled], kept["min_step"][untabled]
    return (f"{said}: in {which} the chair's text moved it only {_span(change)} points from "
            f"the status quo, less than that run's min_step ({_span(step)}), so the chair tabled "
            "no change on it (a package holds only changes of at least min_step) and there was "
            "nothing to block")


def _unbound(kept: dict[str, np.ndarray], labels: np.ndarray, issue: str,
             package: bool = False) -> str | None:
    """How many runs agreed `issue` multilaterally with no member at the edge of what it
    accepts, in a sentence (None if there were none): the chair's text stood inside every
    member's acceptance, so nobody's acceptance bound it and nobody accepted last. Under a
    single undertaking (`package`) nobody accepts one issue's text on its own: a sentence says
    so instead."""
    agreed = kept["outcome"] == MULTILATERAL
    if package and agreed.any():
        return (f"{issue} was agreed multilaterally in {agreed.sum()} of the {len(labels)} runs "
                "as part of a package (package: true): members accept the package as a whole, "
                "paying a loss on one issue with gains on others, so no member is named last "
                "to accept one issue's text")
    unbound = agreed & ~kept["last_to_accept"].any(axis=1)
    if not unbound.any():
        return None
    return (f"in {unbound.sum()} of the {agreed.sum()} runs that agreed {issue} multilaterally "
            f"(of {len(labels)}) no member was within {LAST_TO_ACCEPT:g} points of the edge of "
            "what it accepts: the chair's text stood inside every member's acceptance, so "
            "nobody accepted last")


def _span(values: np.ndarray) -> str:
    """The range of `values` to one decimal, '7.0-13.7', or one value where they agree."""
    low, high = f"{values.min():.1f}", f"{values.max():.1f}"
    return low if low == high else f"{low}-{high}"


def _kept(model: _Explained, k: int) -> dict[str, np.ndarray]:
    """Run `model` and keep what the table reads of issue k, per replication (first axis)."""
    model.run()
    verdict = model.verdict
    blocs = model.blocs()
    chair = consensus.chair_texts(
        consensus.apply_blocs(model.positions, blocs.of, blocs.position),
        consensus.apply_blocs(model.saliences, blocs.of, blocs.salience),
        model.negotiation.capability)[:, k]
    return {"outcome": verdict.outcome[:, k], "blocked": verdict.blockers[:, :, k],
            "chair_change": np.abs(chair - model.negotiation.status_quo[k]),
            "min_step": model.constant("consensus", "min_step"),
            "last_to_accept": _last_to_accept(model, blocs, verdict, k), "start": model.start,
            "at_mc11": model.positions[..., k], "moved": model.moved,
            "tolerance": model.tolerance[..., k], "salience": model.saliences[..., k]}


def _last_to_accept(model: NegotiationModel, blocs: consensus.Blocs,
                    verdict: consensus.Ministerial, k: int) -> np.ndarray:
    """(runs, n): where issue k was agreed multilaterally, the members (speaking as their bloc
    of `blocs` where it held) whose acceptance bound the text: within LAST_TO_ACCEPT points of
    their limit (none where the text stood inside every member's acceptance, and none under a
    single undertaking, where a member may accept a text past its limit for the package)."""
    if model.parameters.consensus.package:
        return np.zeros(model.positions.shape[:-1], dtype=bool)
    positions = consensus.apply_blocs(model.positions, blocs.of, blocs.position)[..., k]
    tolerance = consensus.apply_blocs(model.tolerance, blocs.of, blocs.tolerance)[..., k]
    q = model.negotiation.status_quo[k]
    reach = np.abs(positions - q) + tolerance
    text = verdict.text[:, k][:, None]
    slack = reach - np.abs(positions - text)
    agreed = (verdict.outcome[:, k] == MULTILATERAL)[:, None]
    return agreed & (slack <= LAST_TO_ACCEPT)

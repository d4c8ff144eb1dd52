"""Run the negotiation engine on a researcher's own actor x issue data, and score it.

`negotiation_from_data` turns `ActorIssueData` into a `Negotiation` with these choices:

* Calendar: `rounds` equal periods (attention 1, pressure 1: every actor bargains every round at
  full pressure); the last is the decision meeting (kind "ministerial"), where the consensus rule
  and the plurilateral path decide each issue.
* No coalitions: the data name none, so actors bargain on their own (g = 0).
* Status quo: the file's where given; otherwise the lower end of the issue's scale (0), i.e. the
  scale is read as "from no rule (low) to the most ambitious rule (high)". Consensus and
  plurilateral verdicts are only reported for issues with a given status quo.
* Missing actor-issue pairs: the actor is indifferent (salience 0.01) and sits at the capability
  x salience weighted mean of the others, so it neither pulls the outcome nor blocks a text.
  Saliences are floored at 0.01 (the model's own floor) so that every weighted mean is defined.
* No Doha linkage and no new-discipline flags.
* Uncertainty: none for a single run; with several runs positions are drawn with a standard
  deviation of `POSITION_SD` (on 0-100) and saliences with `SALIENCE_SD`, as small default
  measurement errors of expert-coded data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.engine import exchange, protocols
from simulation.engine.model import NegotiationModel, RunResult
from simulation.engine.negotiation import Negotiation, Period
from simulation.engine.parameters import BargainingParameters, Parameters
from simulation.errors import InputError
from simulation.inputs.importers import ActorIssueData
from simulation.outcomes import MULTILATERAL, NO_AGREEMENT, OUTCOME_LABELS, PLURILATERAL
from simulation.runs import DEFAULT_ROUNDS
from simulation.runs.ensemble import replication_seed, run_replications

POSITION_SD = 5.0
SALIENCE_SD = 0.05
MIN_SALIENCE = 0.01


def _calendar(rounds: int) -> tuple[Period, ...]:
    if rounds < 1:
        raise InputError("--rounds", "rounds", f"{rounds}; allowed: a whole number of at least 1")
    return tuple(
        Period(month=f"{2000 + r // 12:04d}-{r % 12 + 1:02d}", label=f"round {r + 1}",
               kind="ministerial" if r == rounds - 1 else "forum", attention=1.0, pressure=1.0,
               source="synthetic calendar of equal rounds")
        for r in range(rounds)
    )


def negotiation_from_data(data: ActorIssueData, rounds: int = DEFAULT_ROUNDS,
                          runs: int = 1) -> Negotiation:
    """The data as a `Negotiation` on a synthetic calendar (see the module notes)."""
    n, k = data.positions.shape
    missing = ~np.isfinite(data.positions)
    saliences = np.where(missing, MIN_SALIENCE, np.maximum(data.saliences, MIN_SALIENCE))
    weights = data.capability[:, None] * np.where(missing, 0.0, saliences)
    mean = (weights * np.nan_to_num(data.positions)).sum(axis=0) / weights.sum(axis=0)
    positions = np.where(missing, mean[None, :], data.positions)
    status_quo = np.zeros(k) if data.status_quo is None else np.nan_to_num(data.status_quo)
    spread = runs > 1
    return Negotiation(
        members=data.actors, issues=data.issues, positions=positions, saliences=saliences,
        position_sd=np.full((n, k), POSITION_SD if spread else 0.0),
        salience_sd=np.full((n, k), SALIENCE_SD if spread else 0.0),
        capability=data.capability, status_quo=status_quo,
        new_discipline=np.zeros(k, dtype=bool), doha_linked=np.zeros(n, dtype=bool),
        coalitions=(), founders=np.zeros((n, 0), dtype=bool), bloc=np.zeros(0, dtype=bool),
        calendar=_calendar(rounds),
    )


def _parameters(protocol: str, runs: int) -> Parameters:
    if protocol not in protocols.NAMES:
        raise InputError("--protocol", "protocol",
                         f"{protocol!r}; allowed: {', '.join(protocols.NAMES)}")
    return Parameters(bargaining=BargainingParameters(protocol=protocol),
                      sample_uncertainty=runs > 1)


def simulate(data: ActorIssueData, protocol: str = protocols.DEFAULT, rounds: int = DEFAULT_ROUNDS,
             runs: int = 1, seed: int = 0) -> RunResult:
    """`runs` replications of the data's negotiation, as one batch; run i is seeded
    replication_seed(seed, i)."""
    if runs < 1:
        raise InputError("--runs", "runs", f"{runs}; allowed: a whole number of at least 1")
    negotiation = negotiation_from_data(data, rounds, runs)
    parameters = _parameters(protocol, runs)
    seeds = [replication_seed(seed, i) for i in range(runs)]
    return run_replications(negotiation, parameters, seeds)


def traced_run(data: ActorIssueData, protocol: str = protocols.DEFAULT,
               rounds: int = DEFAULT_ROUNDS, seed: int = 0) -> NegotiationModel:
    """The single run `forecast(..., runs=1, seed=seed)` reports, with its trace kept."""
    model = NegotiationModel(negotiation_from_data(data, rounds), _parameters(protocol, 1),
                             rng=replication_seed(seed, 0), trace=True)
    model.run()
    return model


def trace_events(data: ActorIssueData, protocol: str = protocols.DEFAULT,
                 rounds: int = DEFAULT_ROUNDS, seed: int = 0) -> list[tuple]:
    """What happened each round in the single run `forecast(..., runs=1, seed=seed)` reports:
    (round, event, actor, detail); moves of 10 points or more, on the 0-100 scale."""
    return traced_run(data, protocol, rounds, seed).events


def reference_exchange_rows(data: ActorIssueData, rounds: int = DEFAULT_ROUNDS,
                            seed: int = 0) -> list[list[tuple]]:
    """Per round of the single run `forecast(data, "exchange", rounds, seed=seed)` reports, its
    realised exchanges in decide-exchange-model's columns (`exchange.REFERENCE_COLUMNS`,
    positions on the 0-100 scale of each issue)."""
    model = traced_run(data, "exchange", rounds, seed)
    return [exchange.reference_rows(realised, positions, data.actors, data.issues)
            for positions, realised in model.exchanges]


def forecast(data: ActorIssueData, protocol: str = protocols.DEFAULT, rounds: int = DEFAULT_ROUNDS,
             runs: int = 1, seed: int = 0) -> pd.DataFrame:
    """Per issue: the weighted compromise after the rounds on the user's scale and, where the data
    give a status quo, the verdict of the final meeting (shares of runs when runs > 1)."""
    results = simulate(data, protocol, rounds, runs, seed)
    compromise = data.to_user_scale(results.mean_position[:, -1])
    outcome = results.outcome
    text = data.to_user_scale(results.text)
    has_sq = (np.zeros(len(data.issues), dtype=bool) if data.status_quo is None
              else np.isfinite(data.status_quo))
    status_quo = (np.full(len(data.issues), np.nan) if data.status_quo is None
                  else data.to_user_scale(data.status_quo))
    rows = []
    for j, issue in enumerate(data.issues):
        row: dict[str, object] = {"issue": issue, "scale_low": data.lower[j],
                                  "scale_high": data.upper[j]}
        if runs == 1:
            row["compromise"] = round(float(compromise[0, j]), 3)
        else:
            row["compromise"] = round(float(compromise[:, j].mean()), 3)
            row["compromise_p10"] = round(float(np.percentile(compromise[:, j], 10)), 3)
            row["compromise_p90"] = round(float(np.percentile(compromise[:, j], 90)), 3)
        row["status_quo"] = float(status_quo[j]) if has_sq[j] else None
        if runs == 1:
            code = int(outcome[0, j])
            row["verdict"] = OUTCOME_LABELS[code] if has_sq[j] else None
            row["text"] = (round(float(text[0, j]), 3)
                           if has_sq[j] and np.isfinite(text[0, j]) else None)
        else:
            for code, name in ((MULTILATERAL, "p_multilateral"), (PLURILATERAL, "p_plurilateral"),
                               (NO_AGREEMENT, "p_none")):
                row[name] = round(float((outcome[:, j] == code).mean()), 3) if has_sq[j] else None
        rows.append(row)
    return pd.DataFrame(rows)


BASELINES = ("status_quo", "mean", "median", "capability_mean", "capability_salience_mean")


def baselines(data: ActorIssueData) -> dict[str, np.ndarray]:
    """Simple predictions per issue on the user's scale, from the actors who took a position."""
    known = np.isfinite(data.positions)
    user = data.to_user_scale(data.positions)
    k = len(data.issues)

    def weighted(weights: np.ndarray) -> np.ndarray:
        weights = np.where(known, weights, 0.0)
        total = weights.sum(axis=0)
        values = (weights * np.nan_to_num(user)).sum(axis=0)
        return np.where(total > 0, values / np.where(total > 0, total, 1.0), np.nan)

    capability = np.broadcast_to(data.capability[:, None], user.shape)
    return {
        "status_quo": (np.full(k, np.nan) if data.status_quo is None
                       else data.to_user_scale(data.status_quo)),
        "mean": np.nanmean(user, axis=0),
        "median": np.nanmedian(user, axis=0),
        "capability_mean": weighted(capability),
        "capability_salience_mean": weighted(capability * np.nan_to_num(data.saliences)),
    }


def backtest(data: ActorIssueData, protocol: str = protocols.DEFAULT, rounds: int = DEFAULT_ROUNDS,
             runs: int = 1, seed: int = 0) -> pd.DataFrame:
    """Per issue with an observed outcome: the model's and the baselines' predictions and their
    errors (prediction - observed, user's scale), then a row of mean absolute errors."""
    if data.outcome is None or not np.isfinite(data.outcome).any():
        raise InputError(data.source, "outcome", "a backtest needs observed outcomes: add an "
                         "'outcome' column to the CSV (one value per issue)")
    results = simulate(data, protocol, rounds, runs, seed)
    predictions = {"model": data.to_user_scale(results.mean_position[:, -1].mean(axis=0))}
    predictions.update(baselines(data))
    observed = data.to_user_scale(data.outcome)
    scored = np.flatnonzero(np.isfinite(observed))
    rows = []
    for j in scored:
        row: dict[str, object] = {"issue": data.issues[j], "observed": float(observed[j])}
        for name, values in predictions.items():
            row[name] = float(values[j])
            row[f"{name}_error"] = float(values[j] - observed[j])
        rows.append(row)
    summary: dict[str, object] = {"issue": "mean absolute error", "observed": np.nan}
    for name, values in predictions.items():
        errors = np.abs(values[scored] - observed[scored])
        summary[name] = np.nan
        summary[f"{name}_error"] = (float(np.nanmean(errors)) if np.isfinite(errors).any()
                                    else np.nan)
    rows.append(summary)
    return pd.DataFrame(rows)

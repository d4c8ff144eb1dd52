"""Watching one negotiation: a one-replication model stepped month by month (Mesa's `step`),
and what each month changed in the coalitions.

Replication i of a what-if is seeded as in the ensemble, so its verdict at the end is the
ensemble's row i.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.engine.model import NegotiationModel
from simulation.engine.negotiation import Negotiation
from simulation.inputs.priors import draw
from simulation.inputs.scenario import Scenario
from simulation.outcomes import OUTCOME_LABELS
from simulation.runs.ensemble import replication_seed


def watched_model(scenario: Scenario, seed: int, replication: int) -> NegotiationModel:
    """A traced model of replication `replication` of the ensemble with master seed `seed`,
    with that replication's draws from the scenario's priors."""
    seeds = [replication_seed(seed, replication)]
    return NegotiationModel(scenario.negotiation(), scenario.spec.parameters, seeds=seeds,
                            values=draw(scenario.priors, seeds), trace=True)


@dataclass(frozen=True)
class Month:
    """What one step changed: who joined and who left which coalition (member, coalition
    indices), and the trace's lines for the month."""

    label: str
    joined: list[tuple[int, int]]
    left: list[tuple[int, int]]
    events: list[str]


def step_month(model: NegotiationModel) -> Month:
    """Advance the model by one period and say what changed."""
    before = model.membership[0].copy()
    seen = len(model.events)
    model.step()
    now = model.membership[0]
    return Month(model.period_label,
                 [tuple(x) for x in np.argwhere(now & ~before).tolist()],
                 [tuple(x) for x in np.argwhere(before & ~now).tolist()],
                 ["  ".join(str(p) for p in event[1:]) for event in model.events[seen:]])


def layout(negotiation: Negotiation, membership: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates for the network view: coalitions evenly on a circle, each member at the
    centre of its coalitions (pulled off it by a fixed per-member offset), members of none
    on an outer ring."""
    g, n = len(negotiation.coalitions), len(negotiation.members)
    angles = 2 * np.pi * np.arange(g) / g + np.pi / 2
    hubs = np.column_stack([np.cos(angles), np.sin(angles)])
    turn = 2 * np.pi * np.arange(n) / n
    offset = 0.18 * np.column_stack([np.cos(turn * 7), np.sin(turn * 7)])
    counts = membership.sum(axis=1, keepdims=True)
    inside = (membership.astype(float) @ hubs) / np.maximum(counts, 1)
    outer = 1.55 * np.column_stack([np.cos(turn), np.sin(turn)])
    members = np.where(counts > 0, inside * 0.8 + offset, outer)
    return hubs, members


def verdict_table(model: NegotiationModel) -> pd.DataFrame:
    """The MC11 verdict of a model that has run to the end: outcome, text, blockers per issue."""
    verdict, nego = model.verdict, model.negotiation
    if verdict is None:
        raise ValueError("the negotiation has not reached MC11 yet")
    codes = np.array(nego.members)
    return pd.DataFrame({
        "issue": nego.issues,
        "outcome": [OUTCOME_LABELS[int(o)] for o in verdict.outcome[0]],
        "text": np.round(verdict.text[0], 1),
        "blockers": [" ".join(codes[verdict.blockers[0][:, j]]) for j in range(len(nego.issues))],
    })

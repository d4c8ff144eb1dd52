"""`mc11 simulate`: one replication of a scenario, its verdict per issue and optionally a trace."""

from __future__ import annotations

import argparse
import sys

from simulation.cli.common import (
    add_output_options,
    add_scenario_argument,
    emit,
    load_noting,
    scenario_of,
    seed,
)
from simulation.engine import protocols

SHOWN_BLOCKERS = 8
"""Blockers named per issue in the screen's table (csv and json name every one)."""


def _outcome_table(scenario, result, members: tuple[str, ...], shown: int | None):
    """One replication's verdict per issue, with its blockers (the first `shown` of them, if
    given) and how many members a plurilateral deal binds; coverage only for a plurilateral
    deal, as in outcomes.parquet."""
    import numpy as np
    import pandas as pd

    from simulation.outcomes import OUTCOME_LABELS, PLURILATERAL

    codes = np.array(members)
    rows = []
    for j, issue in enumerate(scenario.catalogue.issues):
        blockers = codes[result.blockers[:, j]]
        named = blockers if shown is None or len(blockers) <= shown else [*blockers[:shown], "..."]
        rows.append({
            "issue": issue.id,
            "outcome": OUTCOME_LABELS[int(result.outcome[j])],
            "text": round(float(result.text[j]), 1) if np.isfinite(result.text[j]) else None,
            "status_quo": issue.status_quo,
            "coverage": round(float(result.coverage[j]), 3)
            if result.outcome[j] == PLURILATERAL else np.nan,
            "blockers": " ".join(named),
            "plurilateral_members": int(result.plurilateral_members[:, j].sum()),
        })
    return pd.DataFrame(rows)


def simulate(args: argparse.Namespace) -> None:
    """`mc11 simulate`: one replication of a scenario, its verdict per issue and, with --trace,
    its events."""
    from simulation.engine.model import NegotiationModel
    from simulation.runs.ensemble import replication_seed

    scenario = load_noting(scenario_of(args))
    if args.protocol:
        scenario = scenario.with_changes(parameters={"bargaining": {"protocol": args.protocol}})
    master = args.seed if args.seed is not None else scenario.spec.seed
    model = NegotiationModel(scenario.negotiation(), scenario.spec.parameters,
                             rng=replication_seed(master, 0), trace=args.trace)
    result = model.run().take(0)
    table = args.format == "table"
    words = sys.stdout if table else sys.stderr  # csv and json: the table alone on stdout
    if args.trace:
        for event in model.events:
            print("  ".join(str(part) for part in event), file=words)
        print(file=words)
    print(f"{scenario.name}, seed {master}, protocol "
          f"{scenario.spec.parameters.bargaining.protocol}: one replication", file=words)
    emit(_outcome_table(scenario, result, model.negotiation.members,
                        SHOWN_BLOCKERS if table else None), args.format, args.out)


def register(commands: argparse._SubParsersAction) -> None:
    """Add `simulate` to the `mc11` parser."""
    parser = commands.add_parser("simulate", help="run one replication and show the verdict")
    add_scenario_argument(parser)
    parser.add_argument("--seed", type=seed, help="master seed (default: the scenario's)")
    parser.add_argument("--protocol", choices=protocols.NAMES,
                        help="bargaining protocol (default: the scenario's)")
    parser.add_argument("--trace", action="store_true", help="print what happened in each period")
    add_output_options(parser)
    parser.set_defaults(handler=simulate, runs_model=True)

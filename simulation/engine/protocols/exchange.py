"""The exchange protocol: Stokman & Van Oosten's equal-gain exchanges of voting positions among
the members engaged this period (stated in `simulation.engine.exchange`, run by its compiled
rounds)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.engine.exchange_once import exchange_round_once
from simulation.engine.exchange_reference import exchange_round_reference
from simulation.engine.parameters import BargainingParameters
from simulation.engine.protocols.base import BargainingContext, Exchanges, Round

# The compiled round of each exchange rule (`exchange.exchange_round` states both in numpy)
ROUNDS = {"once": exchange_round_once, "reference": exchange_round_reference}


@dataclass(frozen=True)
class Exchange:
    """Each replication of the batch trades on its own among its engaged members, with its own
    weights where the replications vary them (a prior's or a design's values)."""

    params: BargainingParameters  # the `bargaining:` section: it reads its REGISTRY settings

    def bargain(self, positions: np.ndarray, context: BargainingContext) -> Round:
        new, realised_by_replication = positions.copy(), []
        compiled_round = ROUNDS[self.params.exchange_rule]
        salience_weights, fixed_weights = (
            context.setting(self.params, name)
            for name in ("exchange_salience_weight", "exchange_fixed_weight"))
        for replication, engaged in enumerate(context.active):
            rows = np.flatnonzero(engaged)  # the engaged members' rows
            if len(rows) < 2:
                continue
            X, S = positions[replication, rows], context.saliences[replication, rows]
            moved, realised = compiled_round(
                X, S, context.capability[rows],
                salience_weight=float(salience_weights[replication]),
                fixed_weight=float(fixed_weights[replication]))
            new[replication, rows] = moved
            realised["i"], realised["j"] = rows[realised["i"]], rows[realised["j"]]
            realised_by_replication.append(Exchanges(replication, realised))
        return Round(new, tuple(realised_by_replication))

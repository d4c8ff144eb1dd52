"""The exchange protocol: Stokman & Van Oosten's equal-gain exchanges of voting positions among
the members engaged this period (the calculations are `simulation.engine.exchange`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.engine import exchange
from simulation.engine.exchange_once import exchange_round_once
from simulation.engine.parameters import BargainingParameters
from simulation.engine.protocols.base import BargainingContext, Exchanges, Round


@dataclass(frozen=True)
class Exchange:
    """Each replication of the batch trades on its own among its engaged members."""

    params: BargainingParameters  # BargainingParameters: exchange_rule

    def bargain(self, positions: np.ndarray, context: BargainingContext) -> Round:
        new, realised_by_replication = positions.copy(), []
        for replication, engaged in enumerate(context.active):
            active = np.flatnonzero(engaged)
            if len(active) < 2:
                continue
            X, S = positions[replication, active], context.saliences[replication, active]
            weights = {"salience_weight": self.params.exchange_salience_weight,
                       "fixed_weight": self.params.exchange_fixed_weight}
            if self.params.exchange_rule == "once":
                moved, realised = exchange_round_once(X, S, context.capability[active],
                                                      **weights)
            else:
                moved, realised = exchange.exchange_round(X, S, context.capability[active],
                                                          rule=self.params.exchange_rule,
                                                          **weights)
            new[replication, active] = moved
            realised["i"], realised["j"] = active[realised["i"]], active[realised["j"]]
            realised_by_replication.append(Exchanges(replication, realised))
        return Round(new, tuple(realised_by_replication))

"""The compromise protocol: members move toward their coalition's platform and, more slowly, the
overall weighted mean; the step shrinks with salience (members give way on what they care little
about) and grows with the calendar's pressure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from simulation.engine.parameters import BargainingParameters
from simulation.engine.protocols.base import BargainingContext, Round, _weighted_means
from simulation.engine.rules import SCALE_MAX, SCALE_MIN


@njit(cache=True)
def _compromise(positions, saliences, capability, targets, active, shocks, pressure,
                coalition_rate, overall_rate, noise_sd):
    """The plain statement of this rule: rules.compromise."""
    overall = _weighted_means(positions, saliences, capability)
    moved = positions.copy()
    r, n, k = positions.shape
    for b in range(r):
        for m in range(n):
            if not active[b, m]:
                continue
            for i in range(k):
                x = positions[b, m, i]
                give = pressure[b] * (1.0 - saliences[b, m, i])
                pull = coalition_rate[b] * (targets[b, m, i] - x) + \
                    overall_rate[b] * (overall[b, i] - x)
                moved[b, m, i] = min(max(x + give * (pull + noise_sd[b] * shocks[b, m, i]),
                                         SCALE_MIN), SCALE_MAX)
    return moved


@dataclass(frozen=True)
class Compromise:
    """Engaged members step toward their coalition platform and the overall weighted mean."""

    params: BargainingParameters  # the `bargaining:` section: it reads its REGISTRY settings

    def bargain(self, positions: np.ndarray, context: BargainingContext) -> Round:
        rates = (context.setting(self.params, name)
                 for name in ("coalition_rate", "overall_rate", "noise_sd"))
        return Round(_compromise(positions, context.saliences, context.capability,
                                 context.targets, context.active, context.shocks,
                                 context.pressures, *rates))

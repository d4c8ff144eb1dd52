"""The challenge protocol: Bueno de Mesquita's expected-utility model (Scholz, Calbert & Smith
2011) among the members engaged this period; the model is stated in `simulation.engine.challenge`
and computed by its compiled twin `simulation.engine.challenge_kernel`.

Each period is one round of that model among the engaged members: every member weighs
challenging every other with the expected-utility calculus, and moves to the best offer it
receives (confrontation, compromise or capitulation). Two choices of this project: utilities are
measured on the issues' whole 0-100 scale (`position_range` 100, fixed, instead of the spread of
the positions, which here would change with who is engaged each month), and a member moves the
calendar's `pressure` share of the way to the offer it accepts (pressure 1, as in `forecast`,
is the model's own round).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.engine import challenge
from simulation.engine.challenge_kernel import challenge_rounds_fast
from simulation.engine.parameters import BargainingParameters
from simulation.engine.protocols.base import BargainingContext, Round
from simulation.engine.rules import SCALE_WIDTH


@dataclass(frozen=True)
class Challenge:
    """Each replication of the batch runs its own round of challenges."""

    params: BargainingParameters  # the `bargaining:` section: it reads its REGISTRY settings

    def bargain(self, positions: np.ndarray, context: BargainingContext) -> Round:
        params = self.params
        model = challenge.ChallengeParameters(
            risk=params.risk_attitudes == "security", offer_rule=params.offer_rule,
            position_range=SCALE_WIDTH)
        return Round(challenge_rounds_fast(
            positions, context.saliences, context.capability, context.active,
            context.setting(params, "status_quo_belief"),
            context.setting(params, "improvement_belief"), context.pressures, model))

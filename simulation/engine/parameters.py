"""The model's behavioural parameters and their defaults; scenario files may change any of them.

The defaults are set from documented reasoning (README, "How the model works"), never fitted to
what happened at MC11.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from simulation.engine import protocols


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CoalitionParameters(_Params):
    """How members join, stay in and leave coalitions."""

    join_threshold: float = Field(0.85, ge=0, le=1, allow_inf_nan=False)
    leave_threshold: float = Field(0.70, ge=0, le=1, allow_inf_nan=False)
    founder_loyalty: float = Field(0.15, ge=0, le=1, allow_inf_nan=False)
    bloc_discipline: float = Field(0.9, ge=0, le=1, allow_inf_nan=False)


def _bargaining_fields() -> dict[str, Any]:
    """The `bargaining:` section's fields: the protocol's name, then every protocol's settings,
    all from the protocol registry (`simulation.engine.protocols`)."""
    fields: dict[str, Any] = {"protocol": (Literal[protocols.NAMES], protocols.DEFAULT)}
    for setting in protocols.settings():
        if setting.choices:
            fields[setting.name] = (Literal[setting.choices], setting.default)
        else:
            fields[setting.name] = (float, Field(setting.default, ge=setting.low,
                                                 le=setting.high, allow_inf_nan=False))
    return fields


BargainingParameters = create_model(
    "BargainingParameters", __base__=_Params, __module__=__name__,
    __doc__="Which bargaining protocol runs each period, and the protocols' settings (one flat "
            "section: a protocol reads its own and ignores the others').",
    **_bargaining_fields(),
)


class ConsensusParameters(_Params):
    """The consensus rule at MC11 and the plurilateral path."""

    base_tolerance: float = Field(15.0, ge=0, le=100, allow_inf_nan=False)
    linkage_cut: float = Field(0.5, ge=0, le=1, allow_inf_nan=False)
    min_step: float = Field(10.0, gt=0, le=50, allow_inf_nan=False)
    package: bool = False
    critical_mass: float = Field(0.9, gt=0, le=1, allow_inf_nan=False)


class Parameters(_Params):
    """Everything one replication needs besides the data and its random seed."""

    coalitions: CoalitionParameters = CoalitionParameters()
    bargaining: BargainingParameters = BargainingParameters()
    consensus: ConsensusParameters = ConsensusParameters()
    sample_uncertainty: bool = True

"""The model's behavioural parameters and their defaults; scenario files may change any of them.

The defaults are set from documented reasoning (README, "How the model works"), never fitted to
what happened at MC11.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CoalitionParameters(_Params):
    """How members join, stay in and leave coalitions."""

    join_threshold: float = Field(0.85, ge=0, le=1, allow_inf_nan=False)
    leave_threshold: float = Field(0.70, ge=0, le=1, allow_inf_nan=False)
    founder_loyalty: float = Field(0.15, ge=0, le=1, allow_inf_nan=False)
    bloc_discipline: float = Field(0.9, ge=0, le=1, allow_inf_nan=False)


class BargainingParameters(_Params):
    """Which bargaining protocol runs each period, and its rates."""

    protocol: Literal["compromise", "exchange"] = "compromise"
    coalition_rate: float = Field(0.15, ge=0, le=1, allow_inf_nan=False)
    overall_rate: float = Field(0.05, ge=0, le=1, allow_inf_nan=False)
    noise_sd: float = Field(1.0, ge=0, le=50, allow_inf_nan=False)
    # exchange protocol: "once" lets each member trade on an issue at most once a period (fast);
    # "reference" re-evaluates after every exchange as decide-exchange-model does (~10x slower).
    exchange_rule: Literal["once", "reference"] = "once"


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

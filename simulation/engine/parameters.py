"""The model's behavioural parameters and their defaults; scenario files may change any of them.

The defaults are set from documented reasoning (README, "How the model works"), never fitted to
what happened at MC11.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, create_model

from simulation.engine import protocols
from simulation.engine.schema import FileSchema


class CoalitionParameters(FileSchema):
    """How members join, stay in and leave coalitions."""

    join_threshold: float = Field(0.85, ge=0, le=1, allow_inf_nan=False, description=(
        "affinity at or above which an engaged member joins a coalition (not a bloc)"))
    leave_threshold: float = Field(0.70, ge=0, le=1, allow_inf_nan=False, description=(
        "affinity below which an engaged member leaves a coalition"))
    founder_loyalty: float = Field(0.15, ge=0, le=1, allow_inf_nan=False, description=(
        "how much lower a founder's leave threshold is"))
    bloc_discipline: float = Field(0.9, ge=0, le=1, allow_inf_nan=False, description=(
        "probability that a bloc holds its founders in a period, and speaks as one at MC11"))


def _bargaining_fields() -> dict[str, Any]:
    """The `bargaining:` section's fields: the protocol's name, then every protocol's settings,
    all from the protocol registry (`simulation.engine.protocols`)."""
    fields: dict[str, Any] = {"protocol": (Literal[protocols.NAMES], Field(
        protocols.DEFAULT, description="the bargaining protocol of every period"))}
    for setting in protocols.settings():
        reader = next(spec.name for spec in protocols.REGISTRY if setting in spec.settings)
        described = f"{reader}: {setting.meaning}"
        if setting.choices:
            fields[setting.name] = (Literal[setting.choices], Field(setting.default,
                                                                     description=described))
        else:
            fields[setting.name] = (float, Field(setting.default, ge=setting.low,
                                                 le=setting.high, allow_inf_nan=False,
                                                 description=described))
    return fields


BargainingParameters = create_model(
    "BargainingParameters", __base__=FileSchema, __module__=__name__,
    __doc__="Which bargaining protocol runs each period, and the protocols' settings (one flat "
            "section: a protocol reads its own and ignores the others').",
    **_bargaining_fields(),
)


class ConsensusParameters(FileSchema):
    """The consensus rule at MC11 and the plurilateral path."""

    base_tolerance: float = Field(15.0, ge=0, le=100, allow_inf_nan=False, description=(
        "loss (points) against the status quo that a member accepts on an issue it does not "
        "care about; tolerance = base_tolerance x (1 - salience)"))
    linkage_cut: float = Field(0.5, ge=0, le=1, allow_inf_nan=False, description=(
        "share of their tolerance that Doha-linked members lose on new disciplines"))
    min_step: float = Field(10.0, gt=0, le=50, allow_inf_nan=False, description=(
        "smallest move (points) from the status quo that counts as an agreed text"))
    package: bool = Field(False, description=(
        "single undertaking: members weigh all issues together; the chair drops issues until "
        "everyone accepts"))
    critical_mass: float = Field(0.9, gt=0, le=1, allow_inf_nan=False, description=(
        "share of the negotiating members' world trade a plurilateral deal must cover (the ITA "
        "entered into force once participants covered about 90% of world trade in its products: "
        "Ministerial Declaration on Trade in Information Technology Products, WT/MIN(96)/16, "
        "Annex para. 4)"))


class Parameters(FileSchema):
    """Everything one replication needs besides the data and its random seed."""

    coalitions: CoalitionParameters = CoalitionParameters()
    bargaining: BargainingParameters = BargainingParameters()
    consensus: ConsensusParameters = ConsensusParameters()
    sample_uncertainty: bool = Field(True, description=(
        "draw each replication's positions and saliences around the derived values, within "
        "their uncertainty"))

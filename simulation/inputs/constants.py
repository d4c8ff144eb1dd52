"""The numeric constants a scenario can set, by path, with the range each may take.

Paths name a constant as a scenario file does: `parameters.consensus.base_tolerance`,
`calendar_levels.quiet.attention` (every period of that kind), and the derivation constants
`derivation.emphasis_salience.headline`, `derivation.engaged_sponsor_mandate.position`,
`derivation.imputed.developing.new_rules` (the three numbers of an imputed default are
`new_rules`, `elsewhere`, `salience`). Priors, `--set` and design points all use these paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel

from simulation.engine.derivation import (
    EMPHASES,
    IMPUTED_FIELDS,
    MANDATE_FIELDS,
    emphasis_path,
    imputed_path,
    mandate_path,
)
from simulation.engine.parameters import Parameters
from simulation.engine.rules import SCALE_MAX, SCALE_MIN
from simulation.engine.varying import calendar_path, parameter_path
from simulation.inputs.calendar import PERIOD_KINDS
from simulation.inputs.catalogue import STATUSES

CALENDAR_LEVELS = ("attention", "pressure")
POSITIONS = (SCALE_MIN, SCALE_MAX)  # the range of a position a constant sets
SHARES = (0.0, 1.0)  # and of a salience, an emphasis weight or a calendar level


@dataclass(frozen=True)
class Constant:
    """A settable numeric constant: its path, its range, and where a scenario file writes it
    (keys, with a list index for the numbers of a derivation tuple)."""

    path: str
    low: float
    high: float
    low_open: bool = False
    high_open: bool = False
    location: tuple[Any, ...] = ()

    def problem(self, value: float) -> str | None:
        """Why `value` is not allowed here, or None."""
        below = value <= self.low if self.low_open else value < self.low
        above = value >= self.high if self.high_open else value > self.high
        if below or above:
            return f"{value!r} is outside the range {self.allowed()}"
        return None

    def allowed(self) -> str:
        return (f"{'(' if self.low_open else '['}{self.low:g}, {self.high:g}"
                f"{')' if self.high_open else ']'}")


def _parameter_constants() -> list[Constant]:
    constants = []
    for group, info in Parameters.model_fields.items():
        model = info.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        for name, field in model.model_fields.items():
            if field.annotation is not float:
                continue
            low, high, low_open, high_open = float("-inf"), float("inf"), False, False
            for bound in field.metadata:
                if isinstance(bound, Ge | Gt):
                    low, low_open = float(getattr(bound, "ge", getattr(bound, "gt", low))), \
                        isinstance(bound, Gt)
                if isinstance(bound, Le | Lt):
                    high, high_open = float(getattr(bound, "le", getattr(bound, "lt", high))), \
                        isinstance(bound, Lt)
            constants.append(Constant(parameter_path(group, name), low, high, low_open,
                                      high_open, ("parameters", group, name)))
    return constants


@cache
def constants() -> dict[str, Constant]:
    """Every settable numeric constant by path, in a fixed order (the order a replication
    draws its priors in)."""
    found = _parameter_constants()
    found += [Constant(calendar_path(kind, level), *SHARES,
                       location=("calendar_levels", kind, level))
              for kind in PERIOD_KINDS for level in CALENDAR_LEVELS]
    found += [Constant(emphasis_path(e), *SHARES,
                       location=("derivation", "emphasis_salience", e)) for e in EMPHASES]
    found += [Constant(mandate_path(f), *(POSITIONS if f == "position" else SHARES),
                       location=("derivation", "engaged_sponsor_mandate", index))
              for index, f in enumerate(MANDATE_FIELDS)]
    found += [Constant(imputed_path(status, f), *(SHARES if f == "salience" else
                                                  POSITIONS),
                       location=("derivation", "imputed", status, index))
              for status in STATUSES for index, f in enumerate(IMPUTED_FIELDS)]
    return {c.path: c for c in found}


def by_location(location: tuple[Any, ...]) -> Constant | None:
    """The constant a scenario file writes at `location`, if any."""
    return next((c for c in constants().values() if c.location == location), None)


def non_numeric(location: tuple[Any, ...]) -> str | None:
    """What the parameter field a scenario writes at `location` holds when it is not a number
    ('true or false', "one of 'once', 'reference'"), or None if no such field exists."""
    if not location or location[0] != "parameters":
        return None
    model, field = Parameters, None
    for part in location[1:]:
        field = getattr(model, "model_fields", {}).get(str(part))
        if field is None:
            return None
        model = field.annotation
    if field is None or field.annotation is float or hasattr(model, "model_fields"):
        return None
    if field.annotation is bool:
        return "true or false"
    if get_origin(field.annotation) is Literal:
        return "one of " + ", ".join(repr(v) for v in get_args(field.annotation))
    return str(field.annotation)

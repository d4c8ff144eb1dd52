"""The numeric constants a scenario can set, by path, with the range each may take.

Paths name a constant as a scenario file does: `parameters.consensus.base_tolerance`,
`calendar_levels.quiet.attention` (every period of that kind), and the derivation constants
`derivation.emphasis_salience.headline`, `derivation.engaged_sponsor_mandate.position`,
`derivation.imputed.developing.new_rules` (the three numbers of an imputed default are
`new_rules`, `elsewhere`, `salience`). A scenario's overrides add the values they give:
`overrides.0.set_salience` (the index from 0, in the scenario's list with those of the files it
extends first). Priors, `--set` and design points all use these paths.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from simulation.engine.derivation import (
    EMPHASES,
    IMPUTED_FIELDS,
    MANDATE_FIELDS,
    OVERRIDE_FIELDS,
    emphasis_path,
    imputed_path,
    mandate_path,
    override_path,
)
from simulation.engine.parameters import Parameters
from simulation.engine.rules import SCALE_MAX, SCALE_MIN
from simulation.engine.varying import calendar_path, parameter_path
from simulation.inputs.calendar import PERIOD_KINDS
from simulation.inputs.catalogue import STATUSES
from simulation.inputs.files import field_bounds, suggest
from simulation.inputs.overrides import EXCLUSIVE_FIELDS, Override

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


def _bounds(field: FieldInfo) -> tuple[float, float, bool, bool]:
    """A numeric schema field's range: low, high, and whether each end is open."""
    found = field_bounds(field.metadata)
    return (float(found.get("gt", found.get("ge", float("-inf")))),
            float(found.get("lt", found.get("le", float("inf")))), "gt" in found, "lt" in found)


def _parameter_constants() -> list[Constant]:
    constants = []
    for group, info in Parameters.model_fields.items():
        model = info.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        for name, field in model.model_fields.items():
            if field.annotation is not float:
                continue
            constants.append(Constant(parameter_path(group, name), *_bounds(field),
                                      location=("parameters", group, name)))
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


def override_constant(index: int, field: str) -> Constant:
    """The value `field` (of `OVERRIDE_FIELDS`) of a scenario's override `index`, with the
    range the override schema allows it."""
    low, high, low_open, high_open = _bounds(Override.model_fields[field])
    return Constant(override_path(index, field), low, high, low_open, high_open,
                    ("overrides", index, field))


def override_constants(overrides: Sequence[Override]) -> dict[str, Constant]:
    """The constants of a scenario's overrides by path: each value one of them gives, in order."""
    found = [override_constant(index, field) for index, override in enumerate(overrides)
             for field in override.given()]
    return {c.path: c for c in found}


def by_location(location: tuple[Any, ...]) -> Constant | None:
    """The constant a scenario file writes at `location`, if any."""
    if (len(location) == 3 and location[0] == "overrides" and isinstance(location[1], int)
            and location[2] in OVERRIDE_FIELDS):
        return override_constant(*location[1:])
    return next((c for c in constants().values() if c.location == location), None)


_OVERRIDE_PATH = re.compile(r"overrides\.(0|[1-9][0-9]*)\.([^.]+)")


def draw_place(path: str) -> int:
    """The place of the constant at `path` in a replication's stream of prior draws: its place
    in `constants()`, then four places per override (its `OVERRIDE_FIELDS`), so that a scenario
    without priors on overrides draws as before, and a prior added changes no other's draws."""
    order = list(constants())
    if path in order:
        return order.index(path)
    found = _OVERRIDE_PATH.fullmatch(path)
    if found is None or found[2] not in OVERRIDE_FIELDS:
        raise ValueError(f"{path}: not a settable constant")
    return len(order) + len(OVERRIDE_FIELDS) * int(found[1]) + OVERRIDE_FIELDS.index(found[2])


def unknown_override(path: str, overrides: Sequence[Override]) -> str | None:
    """Why `path`, under `overrides.`, names no value the scenario's `overrides` give (an index
    past them, a field the override does not give), or None."""
    if not path.startswith("overrides."):
        return None
    fields = ", ".join(OVERRIDE_FIELDS)
    found = _OVERRIDE_PATH.fullmatch(path)
    if found is None:
        return (f"an override's value is named overrides.<index>.<field>, the index from 0 and "
                f"the field one of {fields}")
    index, field = int(found[1]), found[2]
    count = len(overrides)
    if index >= count:
        has = {0: "no overrides", 1: "1 override (overrides.0"}.get(
            count, f"{count} overrides (overrides.0 to overrides.{count - 1}")
        return f"no override {index}: the scenario has {has}" + (
            ", those of a file it extends first)" if count else "")
    if field not in OVERRIDE_FIELDS:
        return f"{field!r} is not a value of an override{suggest(field, OVERRIDE_FIELDS)}; " \
            f"allowed: {fields}"
    gives = list(overrides[index].given())
    if field not in gives:
        rival = next((f for pair in EXCLUSIVE_FIELDS if field in pair for f in pair
                      if f != field and f in gives), None)  # an override cannot give both
        change = (f"write {field} in place of {rival} in the scenario file's override"
                  if rival else f"give {field} in the scenario file's override first")
        return (f"overrides.{index} gives {' and '.join(gives)}, not {field}: vary a value the "
                f"override gives ({', '.join(override_path(index, f) for f in gives)}), or "
                f"{change}")
    return None


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

"""The negotiating calendar: one period a month, read from a calendar file and validated."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from simulation.engine.negotiation import Period
from simulation.errors import InputError
from simulation.inputs.catalogue import DATA_DIR
from simulation.inputs.files import (
    at_line,
    error_line,
    load_yaml,
    read_text,
    validation_problem,
    walk_yaml,
)

PERIOD_KINDS = (
    "forum", "mini_ministerial", "general_council", "dedicated_discussion", "quiet", "ministerial",
)


def load_calendar(path: Path | str | None = None) -> tuple[Period, ...]:
    """Read a calendar file; its last period must be the ministerial conference."""
    path = Path(path) if path is not None else DATA_DIR / "calendar.yaml"
    raw, node = load_yaml(read_text(path), path)
    if not isinstance(raw, dict) or not isinstance(raw.get("periods"), list) or not raw["periods"]:
        raise InputError(str(path), "periods", "the file must hold a non-empty list 'periods'")
    periods = []
    for index, item in enumerate(raw["periods"]):
        try:
            period = Period.model_validate(item)
        except ValidationError as exc:
            field, message = validation_problem(exc, Period)
            if field == "month" and isinstance(item, dict) and "month" in item:  # e.g. a date
                message = f"{item['month']}; allowed: a month as YYYY-MM, e.g. 2017-12"
            line = error_line(node, exc, ("periods", index))
            raise InputError(str(path), _entry(node, index, field, line), message) from None
        if period.kind not in PERIOD_KINDS:
            raise InputError(str(path), _entry(node, index, "kind"),
                             f"{period.kind!r}; allowed: {', '.join(PERIOD_KINDS)}")
        if not 1 <= int(period.month[5:]) <= 12:
            raise InputError(str(path), _entry(node, index, "month"),
                             f"{period.month}; allowed: a month as YYYY-MM, from 01 to 12")
        if periods and period.month <= periods[-1].month:
            raise InputError(str(path), _entry(node, index, "month"),
                             f"{period.month} does not follow {periods[-1].month} (entry "
                             f"{index}); allowed: one period a month, in calendar order")
        if periods and period.month != _next_month(periods[-1].month):
            raise InputError(str(path), _entry(node, index, "month"),
                             f"{period.month} follows {periods[-1].month} (entry {index}), "
                             f"so {_next_month(periods[-1].month)} has no period; allowed: one "
                             "period a month, every month (a month without meetings is a "
                             "period of kind 'quiet')")
        periods.append(period)
    if periods[-1].kind != "ministerial":
        raise InputError(str(path), "periods", "the last period must be of kind 'ministerial'")
    return tuple(periods)


def _entry(node: yaml.Node | None, index: int, field: str, line: int | None = None) -> str:
    """Entry `index`'s field as errors name it, after its line in the file (by default the
    field's), so that a long calendar's bad entry need not be counted to."""
    line = line or walk_yaml(node, ("periods", index, field))[1]
    whole = field == "(top level)"  # the entry itself, e.g. a number where a mapping goes
    return at_line(f"periods: entry {index + 1}" + ("" if whole else f": {field}"), line)


def _next_month(month: str) -> str:
    """The month after a YYYY-MM month."""
    year, number = int(month[:4]), int(month[5:])
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"

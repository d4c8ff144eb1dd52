"""The base of every schema read from a file (parameters, calendar, scenario, data): unknown keys
are refused, and so is YAML's true or false where a number goes and anything else where true or
false goes (pydantic would take true as 1 and 1 or 'yes' as true, so `noise_sd: true` or
`package: 1` would run silently)."""

from __future__ import annotations

from typing import Annotated, Any, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, field_validator

NOT_A_NUMBER = "true or false is not a number; give a number"
NOT_A_SWITCH = "allowed: true or false"


def refuse_true_false(value: Any) -> Any:
    """A number's input, unless it is true or false."""
    if isinstance(value, bool):
        raise ValueError(NOT_A_NUMBER)
    return value


Number = Annotated[float, BeforeValidator(refuse_true_false)]
"""A float that true and false are not (for numbers inside lists and mappings)."""


def _is_number(annotation: Any) -> bool:
    """Whether a field takes a number (int or float, maybe optional)."""
    return annotation in (int, float) or any(a in (int, float) for a in get_args(annotation))


class FileSchema(BaseModel):
    """A schema of file content: frozen; unknown keys, true/false as numbers and other values
    for true/false refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_are_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name is None:
            return value
        annotation = cls.model_fields[info.field_name].annotation
        if annotation is bool and not isinstance(value, bool):
            raise ValueError(f"{value!r}; {NOT_A_SWITCH}")
        if _is_number(annotation):
            return refuse_true_false(value)
        return value

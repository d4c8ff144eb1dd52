"""The base of every schema read from a file (parameters, calendar, scenario, data): unknown keys
are refused, and so are YAML's true or false and text (a quoted number) where a number goes and
anything else where true or false goes (pydantic would take true as 1, '70' as 70 and 1 or 'yes'
as true, so `noise_sd: true`, `set_position: "70"` or `package: 1` would run silently). numpy's
true or false (`np.bool_`, what a comparison of numpy numbers gives) is true or false too."""

from __future__ import annotations

from typing import Annotated, Any, get_args

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

NOT_A_NUMBER = "true or false is not a number; give a number"
NOT_A_SWITCH = "allowed: true or false"
TEXT_FOR_NUMBER = "text_for_number"
"""The type of the error of text where a number goes; its context says whether the number is
whole (`simulation.inputs.files.validation_problem` words it with what is allowed)."""
TEXT_FOR_SWITCH = "text_for_switch"
"""The type of the error of text where true or false goes (`validation_problem` says whether
it is true or false in quotes)."""


def numeric_input(value: Any, whole: bool = False) -> Any:
    """A number's input, unless it is true or false, or text (`whole`: the number is an int)."""
    if isinstance(value, bool | np.bool_):
        raise ValueError(NOT_A_NUMBER)
    if isinstance(value, str):
        raise PydanticCustomError(TEXT_FOR_NUMBER, "text where a number goes", {"whole": whole})
    return value


Number = Annotated[float, BeforeValidator(numeric_input)]
"""A float that true, false and text are not (for numbers inside lists and mappings)."""


def _numbers(annotation: Any) -> list[type]:
    """The number types a field takes (int, float, or none; maybe optional)."""
    return [kind for kind in (annotation, *get_args(annotation)) if kind in (int, float)]


class FileSchema(BaseModel):
    """A schema of file content: frozen; unknown keys, true/false or text as numbers and other
    values for true/false refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_are_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name is None:
            return value
        annotation = cls.model_fields[info.field_name].annotation
        if annotation is bool:
            if isinstance(value, str):
                raise PydanticCustomError(TEXT_FOR_SWITCH, "{text}; " + NOT_A_SWITCH,
                                          {"text": repr(value)})
            if not isinstance(value, bool | np.bool_):
                raise ValueError(f"{value!r}; {NOT_A_SWITCH}")
            return bool(value)
        numbers = _numbers(annotation)
        if numbers:
            return numeric_input(value, whole=numbers == [int])
        return value

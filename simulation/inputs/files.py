"""Generic helpers for reading input files: text, YAML, and pydantic validation errors turned
into an `InputError` that names the file, the field and what is allowed."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

try:
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader  # type: ignore[assignment]

from simulation.errors import InputError


def suggest(name: str, known: list[str] | tuple[str, ...]) -> str:
    """A ' (did you mean X?)' hint for a misspelt id, or ''."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def read_text(path: Path) -> str:
    """A UTF-8 text file's content, or an InputError saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), "(file)", "the file does not exist") from None
    except UnicodeDecodeError:
        raise InputError(str(path), "(file)", "the file is not UTF-8 text") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InputError(str(path), "(file)", f"the file cannot be read ({reason})") from None


def read_yaml(path: Path) -> Any:
    """A YAML file's content, or an InputError naming the line of a syntax error."""
    text = read_text(path)
    try:
        return yaml.load(text, Loader=SafeLoader)
    except (RecursionError, ValueError) as exc:
        raise InputError(str(path), "(file)", f"not a usable YAML document ({exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problem = getattr(exc, "problem", None) or "unreadable"
        raise InputError(str(path), where, f"not valid YAML ({problem})") from None


def allowed_fields(model: type[BaseModel], location: tuple[Any, ...]) -> list[str]:
    """The field names of the (nested) model that the error location points into."""
    current: Any = model
    for part in location[:-1]:
        if isinstance(part, int) or not isinstance(current, type):
            continue
        field = current.model_fields.get(part) if issubclass(current, BaseModel) else None
        if field is None:
            return []
        candidates = [field.annotation, *getattr(field.annotation, "__args__", ())]
        for arg in list(candidates):
            candidates.extend(getattr(arg, "__args__", ()))
        current = next((c for c in candidates
                        if isinstance(c, type) and issubclass(c, BaseModel)), None)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def validation_problem(exc: ValidationError, model: type[BaseModel]) -> tuple[str, str]:
    """The first pydantic error as (dotted field path, message with what is allowed)."""
    first = exc.errors()[0]
    location = tuple(first["loc"])
    field = ".".join(str(part) for part in location) or "(top level)"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        allowed = allowed_fields(model, location)
        message = (f"unknown field{suggest(str(location[-1]), allowed)}; "
                   f"allowed: {', '.join(allowed)}")
    elif first["type"] == "missing":
        message = "required field is missing"
    return field, message

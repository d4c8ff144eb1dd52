"""Generic helpers for reading input files: text, YAML, and pydantic validation errors turned
into an `InputError` that names the file, the field and what is allowed."""

from __future__ import annotations

import codecs
import datetime
import difflib
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import NoneType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

try:
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader  # type: ignore[assignment]

from simulation.engine.schema import NOT_A_SWITCH, TEXT_FOR_NUMBER, TEXT_FOR_SWITCH
from simulation.errors import InputError


def _shared_start(one: str, other: str) -> int:
    """How many characters two strings share at their start."""
    return next((i for i, (a, b) in enumerate(zip(one, other, strict=False)) if a != b),
                min(len(one), len(other)))


def suggest(name: str, known: list[str] | tuple[str, ...]) -> str:
    """A ' (did you mean X?)' hint for a misspelt id (in any letter case), or ''.

    The closest known id by difflib's ratio (at least 0.6); among equally close ones, the one
    that starts like the name (EUM: EUN, not YEM), then the first known."""
    typed = name.casefold()
    folded = {str(k).casefold(): k for k in known}
    scored = [(difflib.SequenceMatcher(None, typed, k).ratio(), _shared_start(typed, k), k)
              for k in folded]
    best = max((s for s in scored if s[0] >= 0.6), key=lambda s: s[:2], default=None)
    return f" (did you mean {folded[best[2]]!r}?)" if best else ""


NAME_LIMIT = 100  # characters of a scenario name: results folders are named after it
NAME_PATTERN = rf"^[A-Za-z0-9_.-]{{1,{NAME_LIMIT}}}$"
NAME_CHARACTERS = f"1 to {NAME_LIMIT} letters, digits, _, . and - (no spaces)"
"""What a scenario's name may hold (`NAME_PATTERN` in words), for every error about one."""
MAX_FILE_BYTES = 64 * 2**20
"""The largest input file read (scenario, data, calendar): far above any real one."""


def decode_text(source: str, raw: bytes, hint: str = "") -> str:
    """A data file's text: UTF-8 (with or without a byte-order mark) or UTF-16 with its mark (as
    Excel saves 'Unicode text'); anything else is an InputError naming the line, with `hint`
    saying how to save the file."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if b"\0" in raw[:4096] or raw.startswith(b"PK\x03\x04"):  # NUL bytes, or a zip (.xlsx)
        raise InputError(source, "file", f"an Excel workbook or other binary file; allowed: a "
                         f"text file{hint}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(source, "file", f"line {line} is not UTF-8 text; allowed: a UTF-8 text "
                         f"file{hint}") from None


def read_text(path: Path) -> str:
    """A UTF-8 text file's content (a leading byte-order mark dropped), or an InputError saying
    why it cannot be read."""
    try:
        if path.is_file() and path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(str(path), "(file)", f"the file is larger than "
                             f"{MAX_FILE_BYTES // 2**20} MB; no input file is that large")
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(str(path), "(file)", "the file does not exist") from None
    except UnicodeDecodeError:
        raise InputError(str(path), "(file)", "the file is not UTF-8 text") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InputError(str(path), "(file)", f"the file cannot be read ({reason})") from None


MAX_YAML_VALUES = 1_000_000
"""More values than this, once anchors and aliases are expanded, is no scenario or data file
(it is how a "billion laughs" document exhausts memory)."""


INDENTATION_HINT = ("check this line's indentation: the keys of one mapping, and the '- ' "
                    "entries of one list, start in the same column")
QUOTE_EXAMPLE = 'note: "why: a reason"'
SYNTAX_HINTS = (
    ("expected key", INDENTATION_HINT),
    ("'-' indicator", INDENTATION_HINT),
    ("<block end>", INDENTATION_HINT),
    ("mapping values are not allowed", "usually a line indented deeper than the key above it, "
     f"or a value holding ': ' without quotes ({QUOTE_EXAMPLE})"),
    ("expected ','", "inside { } or [ ], close each bracket, separate the entries with ', ' "
     f"and quote a value holding ': ' or ',' ({QUOTE_EXAMPLE})"),
)
"""What to correct, by a part of the YAML parser's problem (libyaml's words or PyYAML's), for
the syntax errors of a hand-written file."""
AFTER_VALUE_HINT = ("text follows a closing quote or bracket on this line: quote the whole "
                    "value, writing a ' inside '...' twice (note: 'the US''s view')")
"""The hint instead of INDENTATION_HINT when the error is within its line, not where it starts."""


def _syntax_hint(problem: str, text_before: str) -> str:
    """The hint that follows a YAML syntax problem, given the line's text up to the error."""
    indentation = text_before[:len(text_before) - len(text_before.lstrip())]
    if "\t" in indentation or text_before.endswith("\t"):
        return "; a tab there: YAML indents with spaces only"
    hint = next((hint for part, hint in SYNTAX_HINTS if part in problem), "")
    if hint == INDENTATION_HINT and len(text_before.lstrip()) > 1:
        hint = AFTER_VALUE_HINT
    return f"; {hint}" if hint else ""


class _DuplicateKey(Exception):
    def __init__(self, key: object, line: int) -> None:
        self.key, self.line = key, line


class _SurprisingNumber(Exception):
    def __init__(self, problem: str, where: str) -> None:
        self.problem, self.where = problem, where


_OCTAL = re.compile(r"[-+]?0[0-7_]+")
"""YAML 1.1's octal whole numbers: 0123 is 83."""


def surprising_number(text: str) -> str | None:
    """What is wrong with a number YAML 1.1 reads otherwise than it looks (0123 is octal 83,
    1:30 is 90 in base 60), or None: such a value would run silently with another number
    (07 is 7 either way)."""
    shown = text.strip()
    octal = _OCTAL.fullmatch(shown)
    if not octal and ":" not in shown:
        return None
    value = _yaml_value(shown)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    decimal = int(shown.replace("_", ""), 10) if octal else None
    if decimal is not None and decimal != value:
        return (f"{shown} is read by YAML as the octal number {value} (a leading 0 makes it "
                f"octal); write {decimal}")
    if ":" in shown:
        return (f"{shown} is read by YAML as {value} (numbers joined by ':' count in base 60, "
                "as in a time); write the number you mean")
    return None


class _UniqueKeyLoader(SafeLoader):  # type: ignore[misc, valid-type]
    """The safe loader, refusing a mapping that states a key twice (YAML's last-one-wins would
    silently drop the first) and a number YAML 1.1 reads otherwise than it looks
    (`surprising_number`)."""

    def construct_number(self, node, key=None):
        """A bare number as YAML builds it, unless `surprising_number` (under `key`, if a
        mapping's value); a quoted one is text, refused where a number goes."""
        problem = None if node.style else surprising_number(node.value)
        if problem:
            where = f"line {node.start_mark.line + 1}" + (f": {key}" if key is not None else "")
            raise _SurprisingNumber(f"{problem}, or put text in quotes ('{node.value}')", where)
        return SafeLoader.yaml_constructors[node.tag](self, node)

    def construct_mapping(self, node, deep=False):
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                continue  # unhashable; the constructor reports it
            if key in seen:
                raise _DuplicateKey(key, key_node.start_mark.line + 1)
            seen.add(key)
        for key_node, value_node in node.value:  # a number's error names its key
            if value_node.tag in _NUMBER_TAGS:
                self.construct_number(value_node, key_node.value)
        return super().construct_mapping(node, deep=deep)


_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
for _tag in _NUMBER_TAGS:  # checked, then built by SafeLoader's own constructor
    _UniqueKeyLoader.add_constructor(_tag, _UniqueKeyLoader.construct_number)


def _expanded_size(root: yaml.Node) -> int:
    """How many values the document holds once every alias is expanded (counted, not built)."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        sizes[id(node)] = 1  # a node that contains itself counts once
        if isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(v) for v in node.value)
        else:
            total = 1
        sizes[id(node)] = min(total, MAX_YAML_VALUES + 1)
        return sizes[id(node)]

    return size(root)


def load_yaml(text: str, path: Path | str) -> tuple[Any, yaml.Node | None]:
    """A YAML document's content and node tree (for line numbers), or an InputError naming the
    line: syntax errors, keys stated twice in one mapping, aliases that expand without bound."""
    loader = _UniqueKeyLoader(text)  # parsed once: the node tree, then the content built from it
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        if _expanded_size(node) > MAX_YAML_VALUES:
            raise InputError(str(path), "(file)", "its anchors and aliases expand to more than "
                             f"{MAX_YAML_VALUES:,} values; write the values out instead")
        return loader.construct_document(node), node
    except _SurprisingNumber as number:
        raise InputError(str(path), number.where, number.problem) from None
    except _DuplicateKey as duplicate:
        raise InputError(str(path), f"line {duplicate.line}", f"the key {duplicate.key!r} "
                         "appears twice in the same mapping; keep one") from None
    except (RecursionError, ValueError, TypeError) as exc:
        raise InputError(str(path), "(file)", f"not a usable YAML document ({exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problem = getattr(exc, "problem", None) or "unreadable"
        lines = text.splitlines()
        if mark is not None:
            line = lines[mark.line] if mark.line < len(lines) else ""
            problem += _syntax_hint(problem, line[:mark.column + 1])
        raise InputError(str(path), where, f"not valid YAML ({problem})") from None
    finally:
        loader.dispose()


def read_yaml(path: Path) -> Any:
    """A YAML file's content, or an InputError naming the file and line (see `load_yaml`)."""
    return load_yaml(read_text(path), path)[0]


def walk_yaml(node: yaml.Node | None, location: tuple[Any, ...]) -> tuple[bool, int | None]:
    """Whether a file (its `load_yaml` node tree) writes the value at a pydantic error
    location, and its 1-based line, so that errors can name the line to correct.

    A missing mapping key or inherited list entry means the value comes from elsewhere (a
    parent file or a default); a list this file writes that lacks the entry is this file's (a
    list replaces its parent's); a location that goes deeper than the YAML (pydantic's own
    parts) ends at the deepest node the file has. A mapping's value is reported at its key's
    line: a block below its key (`participant:` misspelt, its entries on the next lines) is
    the key's error."""
    line = None
    for index, part in enumerate(location):
        if isinstance(node, yaml.MappingNode):
            # the last key of a name is the one that applies (a merge key `<<:` puts the keys it
            # brings in first); a key is YAML text, a location part may be a number
            key, node = next(((k, v) for k, v in reversed(node.value) if k.value == str(part)),
                             (None, None))
            line = key.start_mark.line + 1 if key is not None else None
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):  # too short a list
                return True, node.start_mark.line + 1
            node = node.value[part] if part >= 0 else None
            line = node.start_mark.line + 1 if node is not None else None
        else:
            return index > 0, line if node is not None and index > 0 else None
        if node is None:
            return False, None
    return node is not None, line if node is not None else None


def value_location(error: Any, within: tuple[Any, ...] = ()) -> tuple[Any, ...]:
    """Where in the file the value a pydantic error reports stands (`within` the part that was
    validated alone, e.g. a list's entry), for `walk_yaml`: a missing field's is the entry that
    lacks it, as the absent key has no line."""
    location = (*within, *(part for part in error["loc"] if part != "[key]"))
    return location[:-1] if error["type"] == "missing" and len(location) > 1 else location


def error_line(node: yaml.Node | None, error: ValidationError,
               within: tuple[Any, ...] = ()) -> int | None:
    """The line of a file (its `load_yaml` node tree) holding the value a validation error
    reports (`within` the part validated alone); None where the file does not say."""
    return walk_yaml(node, value_location(reported_error(error), within))[1]


def at_line(field: str, line: int | None) -> str:
    """A field as errors name it, after its line where known (`line 3: calendar`)."""
    return f"line {line}: {field}" if line else field


def allowed_fields(model: type[BaseModel], location: tuple[Any, ...]) -> list[str]:
    """The field names of the (nested) model that the error location points into."""
    current: Any = model
    keyed = False  # the next part is a key of a mapping field (calendar_levels.<kind>)
    for part in location[:-1]:
        if isinstance(part, int) or not isinstance(current, type):
            continue
        if keyed:
            keyed = False
            continue
        field = current.model_fields.get(part) if issubclass(current, BaseModel) else None
        if field is None:
            return []
        candidates = [field.annotation, *getattr(field.annotation, "__args__", ())]
        for arg in list(candidates):
            candidates.extend(getattr(arg, "__args__", ()))
        keyed = any(get_origin(c) is dict for c in candidates)
        current = next((c for c in candidates
                        if isinstance(c, type) and issubclass(c, BaseModel)), None)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def reported_error(exc: ValidationError) -> Any:
    """The pydantic error a message reports: an unknown field if there is one (a misspelt key
    also leaves its field missing, and the spelling is what to correct), else the first."""
    errors = exc.errors()
    return next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])


def validation_problem(exc: ValidationError, model: type[BaseModel],
                       loader_keys: tuple[str, ...] = (),
                       takes_prior: Callable[[tuple[Any, ...]], object] | None = None
                       ) -> tuple[str, str]:
    """The reported pydantic error as (dotted field path, message with what is allowed);
    `loader_keys` are top-level keys the file's loader reads before the model (allowed too),
    and `takes_prior` is true of the locations where a prior may stand for a number."""
    first = reported_error(exc)
    location = tuple(first["loc"])
    field = field_path(model, location)
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        allowed = allowed_fields(model, location)
        if len(location) == 1:
            allowed = [*allowed, *loader_keys]
        message = (f"unknown field{suggest(str(location[-1]), allowed)}; "
                   f"allowed: {', '.join(allowed)}")
    elif first["type"] == "missing" and location and isinstance(location[-1], int):
        field = field_path(model, location[:-1])  # the list, not its absent entry
        count = len(first["input"])
        entry = _slot(model, location)
        named = f"its {entry.title} (entry {location[-1]}, counting from 0)" \
            if entry is not None and entry.title else f"entry {location[-1]} (counting from 0)"
        message = (f"the list is too short: it has {count} value{'s' if count != 1 else ''}, "
                   f"{named} is missing")
        if parts := _description(model, location[:-1]):
            message += f"; allowed: {parts}"
    elif first["type"] == "literal_error" and location[-1:] == ("[key]",):  # a mapping's key
        field = field_path(model, location[:-1])
        allowed = re.findall(r"'([^']*)'", first["ctx"]["expected"])
        message = f"unknown key{suggest(str(location[-2]), allowed)}; allowed: {', '.join(allowed)}"
    elif first["type"] == "literal_error":  # `protocol: compromis`
        allowed = re.findall(r"'([^']*)'", first["ctx"]["expected"])
        value = first["input"]
        message = (f"{shown_value(value)} is not allowed{suggest(str(value), allowed)}; "
                   f"allowed: {', '.join(allowed)}")
    elif first["type"] == "missing":  # every field the entry lacks, its own and its parts'
        parent = location[:-1]
        lacking = [".".join(str(part) for part in e["loc"][len(parent):])
                   for e in exc.errors() if e["type"] == "missing"
                   and tuple(e["loc"][:len(parent)]) == parent
                   and not isinstance(e["loc"][-1], int)]
        message = "required field is missing"
        if len(lacking) > 1:
            field = field_path(model, parent)
            message = f"required fields are missing: {', '.join(lacking)}"
        if parent:  # an entry of a section or list: what it holds
            message += f"; an entry has: {', '.join(allowed_fields(model, location))}"
    elif first["type"] == "too_short":  # `sponsors: []`
        least = first["ctx"]["min_length"]
        message = (f"the list has {first['ctx']['actual_length']} entries; allowed: at least "
                   f"{least} {'entry' if least == 1 else 'entries'}")
    elif first["type"] == "value_error":  # a rule of ours: its words alone
        message = message.removeprefix("Value error, ")
    elif first["type"] == TEXT_FOR_SWITCH:  # `doha_linked: "false"`
        message = _text_for_switch(first["input"])
    elif first["type"] in _NUMBER_ERRORS:
        bounds = allowed_range(model, location)
        if first["type"] == TEXT_FOR_NUMBER:
            message = _text_for_number(first["input"], first["ctx"]["whole"])
        elif first["type"] in _RANGE_ERRORS and bounds:  # not pydantic's "Input should be ..."
            message = f"{shown_value(first['input'])} is out of range"
        elif first["type"] in _NOT_A_NUMBER:
            whole = "whole " if first["type"].startswith("int") else ""
            message = f"{shown_value(first['input'])} is not a {whole}number"
        if bounds:
            prior = takes_prior is not None and takes_prior(location)
            message = f"{message}; allowed: {bounds}{', or a prior' if prior else ''}"
    elif first["type"] == "list_type":  # `members: USA` for `members: [USA]`
        entry = allowed_fields(model, (*location, 0, ""))
        shown = f"{shown_value(first['input'])} is not a list"
        if entry:  # `overrides: USA`: a list of mappings
            message = (f"{shown}; allowed: a list of entries, each a '- ' line with its "
                       f"fields ({', '.join(entry)})")
        elif isinstance(first["input"], str | int | float):
            message = f"{shown}; allowed: a list in brackets, e.g. [{first['input']}]"
        else:
            message = f"{shown}; allowed: a list: [a, b], or one '- ' line per entry"
    elif first["type"] == "string_type" and isinstance(first["input"], list):
        what = location[-1] if isinstance(location[-1], str) else "value"
        message = (f"{message}; allowed: one {what}, not a list (one entry for each {what}"
                   + (", or a cluster" if what == "issue" else "") + ")")
    elif first["type"] in ("model_type", "dict_type"):  # `parameters:` left empty, say
        fields = allowed_fields(model, (*location, ""))
        what = "the section is empty" if first["input"] is None else \
            f"{shown_value(first['input'])} is not a mapping"
        message = (f"{what}; allowed: a mapping, one indented 'key: value' line per field"
                   + (f" ({', '.join(fields)})" if fields else "")
                   + (", or no such line" if first["input"] is None else ""))
    elif first["type"] == "tuple_type":  # `{position: 60, salience: 0.4}` for `[60, 0.4]`
        parts = _description(model, location) or ("the values in the order the README's "
                                                  "table of scenario fields gives")
        message = f"{shown_value(first['input'])} is not a list; allowed: {parts}"
    elif first["type"] == "string_type" and isinstance(first["input"], int | float | datetime.date):
        what = "a date" if isinstance(first["input"], datetime.date) else "a number"
        message = f"{first['input']} is {what}; allowed: text (in quotes: '{first['input']}')"
    elif first["type"] == "string_type" and first["input"] is None:  # `name:` left empty
        slot = _slot(model, location)
        allowed = slot.description if slot is not None and slot.description else "text"
        message = f"the value is empty; allowed: {allowed}"
    elif first["type"] == "string_pattern_mismatch" and location[-1:] == ("name",):
        name = str(first["input"])
        shown = repr(name) if len(name) <= 40 else f"a name of {len(name)} characters"
        message = f"{shown} cannot name the scenario's results folders; allowed: {NAME_CHARACTERS}"
    return field, message


def _text_for_number(text: str, whole: bool) -> str:
    """What is wrong with text where a number goes: a number in quotes (pydantic would read
    "70" as 70, but quotes make it text: a slip to point out, not to run), a number YAML 1.1
    reads as text, quoted or not (`1e3`: it wants 1.0e+3; `-.5`, `08`), or no number at all."""
    kind = "a whole number" if whole else "a number"
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        return f"{shown_value(text)} is not {kind}"
    surprise = surprising_number(text)
    if surprise:  # '0123': its bare form would be another number
        return f"{shown_value(text)} is text, not {kind}; {surprise}"
    if isinstance(_yaml_value(text), int | float):  # '1.0e+3' too
        return f"{shown_value(text)} is in quotes, so it is text, not {kind} (write {text.strip()})"
    if "e" in text.lower():
        return (f"{text} is read as text, not a number (YAML reads an exponent only as "
                "1.0e+3); write the number out")
    plain = str(int(number)) if number.is_integer() else repr(number)
    shown = text if text.isprintable() else shown_value(text)  # a tab shown as \t
    return (f"{shown} is read as text, not {kind} (YAML reads a number only in its own forms); "
            f"write {plain}")


def _text_for_switch(text: str) -> str:
    """What is wrong with text where true or false goes: in quotes, YAML's true or false
    (`"false"`, `'no'`) is text, a slip to point out; other text is no switch at all."""
    bare = _yaml_value(text)
    if isinstance(bare, bool):
        return (f"{shown_value(text)} is in quotes, so it is text, not true or false (write "
                f"{str(bare).lower()}); {NOT_A_SWITCH}")
    return f"{shown_value(text)}; {NOT_A_SWITCH}"


def _yaml_value(text: str) -> object:
    """What YAML reads `text` as when written bare; the text itself where YAML cannot read it
    bare (a tab beside the digits of a quoted "\t1")."""
    try:
        return yaml.load(text, Loader=SafeLoader)
    except yaml.YAMLError:
        return text


# int_parsing_size: a whole number beyond what pydantic reads (replications: 1.0e+30)
_RANGE_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal",
                 "int_parsing_size"}
_NOT_A_NUMBER = {"float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"}
_NUMBER_ERRORS = _RANGE_ERRORS | _NOT_A_NUMBER | {"finite_number", TEXT_FOR_NUMBER}


def shown_value(value: object) -> str:
    """A value as a message quotes it: YAML's mapping or list, cut to 60 characters; YAML's
    `null` (or a key with no value) as what it is."""
    if value is None:
        return "an empty value (null)"
    if isinstance(value, datetime.datetime):  # YAML's timestamp: its text, not Python's repr
        return f"{value} (read as a date and time)"
    if isinstance(value, datetime.date):
        return f"{value} (read as a date)"
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


@dataclass(frozen=True)
class _Slot:
    """What a schema says of the value at an error location: its type (Optional and Annotated
    taken off), its bounds (ge, gt, le, lt), its name where a list entry has one (its Field's
    title) and its field's description (which a mapping's values share)."""

    annotation: Any
    bounds: dict[str, float]
    title: str | None
    description: str | None


def _slot(model: type[BaseModel], location: tuple[Any, ...]) -> _Slot | None:
    """The schema's slot at an error location (a field, a mapping's value, a list's or a
    tuple's entry), or None where the location leaves the schema."""
    slot = _Slot(model, {}, None, None)
    for part in location:
        kind, args = slot.annotation, get_args(slot.annotation)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            info = kind.model_fields.get(part) if isinstance(part, str) else None
            if info is None:
                return None
            slot = _unwrapped(info.annotation, [info], info.description)
        elif get_origin(kind) is dict:
            slot = _unwrapped(args[1], [], slot.description)
        elif isinstance(part, int) and (get_origin(kind) is list
                                        or (get_origin(kind) is tuple and args[-1:] == (...,))):
            slot = _unwrapped(args[0], [], None)  # any entry of a list: its one type
        elif get_origin(kind) is tuple and isinstance(part, int) and 0 <= part < len(args):
            slot = _unwrapped(args[part], [], None)
        else:
            return None
    return slot


def field_bounds(metadata: Iterable[Any]) -> dict[str, float]:
    """The bounds among a schema field's metadata (its FieldInfo's, or what Annotated adds), by
    name: ge, gt, le, lt (the one reader of a field's range)."""
    return {name: getattr(item, name) for item in metadata for name in ("ge", "gt", "le", "lt")
            if getattr(item, name, None) is not None}


def _unwrapped(annotation: Any, found: list[Any], description: str | None) -> _Slot:
    """The slot of `annotation` without Optional and Annotated, with the bounds and title of
    `found` (a field's FieldInfo) and of what Annotated adds."""
    while True:
        if get_origin(annotation) is Annotated:
            found = [*found, *annotation.__metadata__]
            annotation = get_args(annotation)[0]
        elif get_origin(annotation) in (Union, UnionType) and NoneType in get_args(annotation):
            others = [arg for arg in get_args(annotation) if arg is not NoneType]
            if len(others) != 1:
                break
            annotation = others[0]
        else:
            break
    items = [item for info in found
             for item in (info.metadata if isinstance(info, FieldInfo) else [info])]
    bounds = field_bounds(items)
    title = next((info.title for info in found if isinstance(info, FieldInfo) and info.title),
                 None)
    return _Slot(annotation, bounds, title, description)


def field_path(model: type[BaseModel], location: tuple[Any, ...]) -> str:
    """An error location as a dotted field path, naming a list entry that has a name in the
    schema by it (`derivation.imputed.ldc.salience`, not `derivation.imputed.ldc.2`)."""
    parts = []
    for index, part in enumerate(location):
        entry = _slot(model, location[:index + 1]) if isinstance(part, int) else None
        parts.append(entry.title if entry is not None and entry.title else str(part))
    return ".".join(parts) or "(top level)"


def _description(model: type[BaseModel], location: tuple[Any, ...]) -> str:
    """What the field at `location` holds as its schema describes it (a list's values in
    order, a name's form), or ''."""
    slot = _slot(model, location)
    return (slot.description or "") if slot is not None else ""


def allowed_range(model: type[BaseModel], location: tuple[Any, ...]) -> str:
    """The range the number at `location` allows, in words ('a number from 0 to 100', 'a
    number above 0, at most 1'), or '' where the schema gives none."""
    slot = _slot(model, location)
    if slot is None or not slot.bounds:
        return ""
    found = slot.bounds
    kind = "a whole number" if slot.annotation is int else "a number"
    if "ge" in found and "le" in found:
        return f"{kind} from {found['ge']:,} to {found['le']:,}"
    words = {"ge": "at least", "gt": "above", "le": "at most", "lt": "below"}
    return f"{kind} " + ", ".join(f"{words[name]} {found[name]:,}"
                                  for name in ("ge", "gt", "le", "lt") if name in found)

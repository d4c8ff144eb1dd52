"""Read a researcher's own actor x issue data: the Decide input format or a long CSV.

Two formats are recognised by their content:

* **Decide** (decide-exchange-model, github.com/foarsitter/decide-exchange-model): every line
  starts with a row type, fields separated by tabs or semicolons, quoted or not::

      #A;actor;full name                     an actor
      #P;issue;description                   an issue
      #M;issue;position;meaning              a scale anchor of an issue (e.g. 0 = "no toll")
      #D;actor;issue;position;salience;power an actor's position, salience (0-1) and power (> 0)

  Lines starting ``#/`` (comments) and ``#O`` (issue descriptions) are skipped. Fields are
  separated by semicolons or tabs, never commas, so a decimal comma (``0,5``) is a decimal point.
  Decide gives power per actor and issue; the engine needs one capability per actor, so an
  actor's capability is the mean of its powers.
  An actor declared in an ``#A`` row without any ``#D`` row is left out with a note (the
  reference implementation reads such files the same way).
* **Long CSV** with the header ``actor,issue,position,salience,capability`` (``power`` is accepted
  for ``capability``) and optional ``status_quo``, ``outcome``, ``scale_low`` and ``scale_high``
  columns, each constant within an issue (leave it blank for issues without one; the scale's
  two ends go together, as ``#M`` anchors do). Capability is averaged per actor as well. Fields
  are separated by commas, semicolons or tabs (whichever splits the header most, unless a first
  line ``sep=;``, which Excel reads, names one); with semicolons or tabs a decimal comma
  (``0,5``) is read as a decimal point. Rows of empty fields (a spreadsheet's formatted empty
  rows) are skipped; other columns are noted as not used (a
  misspelt ``status_qou`` would otherwise be lost without a word).
  An optional ``negotiation`` column splits the file into separate negotiations (e.g. the
  proposals of a legislative dataset): each has its own actors and issues (an issue name means
  a different issue in another negotiation) and is run on its own.

Files are UTF-8 text (with or without a byte-order mark) or UTF-16 with its mark (Excel's
"Unicode text"). `read_dataset` also reads a folder: every file in it (sorted by name) is one
negotiation, named after the file.

Positions are rescaled to 0-100 per issue from the data's own scale: the lowest and highest
``#M`` anchor or a long CSV's ``scale_low`` and ``scale_high`` (in a Decide file without ``#M``
rows for an issue: 0-100, the reference's default, when its positions lie within it), or else
the lowest and highest position (status quo included) in the file. The scale matters: noise,
steps and tolerances are shares of it, so give it where the data have one. The observed
outcome never sets the scale: the scale shapes the forecast, which must not depend on the
outcome it is scored against; an outcome beyond the positions lies outside 0-100. The scale is
kept (`lower`, `upper`) so results are reported back on the user's scale.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np

from simulation.errors import InputError
from simulation.inputs.files import decode_text, suggest

SPREADSHEET_HINT = " (in Excel: save as 'CSV UTF-8')"
CSV_REQUIRED = ("actor", "issue", "position", "salience", "capability")
CSV_OPTIONAL = ("status_quo", "outcome", "scale_low", "scale_high", "negotiation")
_PER_ISSUE = ("status_quo", "outcome", "scale_low", "scale_high")
MIN_SHARE = 1e-300  # the smallest capability share: weights stay above 0 in floating point


@dataclass(frozen=True)
class ActorIssueData:
    """n actors and k issues; positions, status quo and outcome on the 0-100 scale (an outcome
    beyond the positions and status quo lies outside it)."""

    source: str
    actors: tuple[str, ...]
    issues: tuple[str, ...]
    positions: np.ndarray  # (n, k) 0-100, NaN where the actor has no position on the issue
    saliences: np.ndarray  # (n, k) 0-1, NaN where missing
    capability: np.ndarray  # (n,) sums to 1
    status_quo: np.ndarray | None  # (k,) 0-100, NaN for issues without one; None if not given
    outcome: np.ndarray | None  # (k,) observed outcome 0-100, NaN where unknown; None if absent
    given_status_quo: np.ndarray | None  # (k,) the status quo and the observed outcome as the
    given_outcome: np.ndarray | None  # data give them (user's scale), for `as_given`; a
    # dataclasses.replace of status_quo or outcome sets these too (None: from the 0-100 values)
    lower: np.ndarray  # (k,) the user's scale: its value at 0 ...
    upper: np.ndarray  # (k,) ... and at 100
    negotiation: str = ""  # its name in a dataset of several ("" for a file of one)
    notes: tuple[str, ...] = ()  # what the reader left out, for the user to see
    scale_taken: tuple[str, ...] = ()  # issues whose scale is their values' range, none given

    def to_user_scale(self, values: np.ndarray) -> np.ndarray:
        """Values on the 0-100 scale (last axis = issues) back on the user's own scale."""
        return self.lower + np.asarray(values, dtype=float) * (self.upper - self.lower) / 100.0

    def as_given(self, field: Literal["status_quo", "outcome"]) -> np.ndarray | None:
        """The status quo or observed outcome on the user's scale, to show: as the data give it
        (its round trip through the 0-100 scale shows 55 as 55.00000000000001), or from its
        0-100 values where none is given (data made in code)."""
        given = self.given_status_quo if field == "status_quo" else self.given_outcome
        scaled = self.status_quo if field == "status_quo" else self.outcome
        if given is not None or scaled is None:
            return given
        return self.to_user_scale(scaled)


def read_actor_issue_data(path: Path | str) -> ActorIssueData:
    """Read a Decide input file or a long CSV of one negotiation; every problem is an
    InputError with its line."""
    dataset = read_dataset(path)
    if len(dataset) > 1:
        raise InputError(str(path), "negotiation", f"the file holds {len(dataset)} negotiations; "
                         "this reads one (use read_dataset)")
    return dataset[0]


def read_dataset(path: Path | str) -> tuple[ActorIssueData, ...]:
    """The negotiations of a file (several with a `negotiation` column) or of a folder (one
    per file); every problem is an InputError naming the file and line."""
    path = Path(path)
    if path.is_dir():
        files = dataset_files(path)
        unread = _subfolders_note(path)
        if not files:
            raise InputError(str(path), "folder", "no files in it; expected one Decide file or "
                             f"long CSV per negotiation{f' ({unread})' if unread else ''}")
        dataset = []
        named: dict[str, Path] = {}
        for file in files:
            if file.stem in named:
                raise InputError(str(file), "negotiation", f"{file.stem!r} is also the name of "
                                 f"{named[file.stem].name} (a negotiation is named after its "
                                 "file, without the extension); allowed: one file per name")
            named[file.stem] = file
            parts = _read_file(file)
            if len(parts) > 1:
                raise InputError(str(file), "negotiation", "a file in a folder is one "
                                 "negotiation; drop its negotiation column or read it alone")
            dataset.append(replace(parts[0], negotiation=file.stem))
        if unread:
            dataset[0] = replace(dataset[0], notes=(f"{path}: {unread}", *dataset[0].notes))
        _check_dataset(str(path), dataset, column=False)
        return tuple(dataset)
    dataset = _read_file(path)
    _check_dataset(str(path), dataset)
    return tuple(dataset)


def dataset_files(path: Path | str) -> list[Path]:
    """The files `read_dataset` reads: the file itself, or a folder's files by name (hidden
    ones, such as .DS_Store, left out)."""
    path = Path(path)
    if not path.is_dir():
        return [path]
    return sorted(f for f in path.iterdir() if f.is_file() and not f.name.startswith("."))


def _subfolders_note(path: Path) -> str:
    """What a dataset folder's subfolders come to, which are not read (hidden ones unsaid);
    '' without any."""
    names = sorted(f.name for f in path.iterdir() if f.is_dir() and not f.name.startswith("."))
    if not names:
        return ""
    return (f"{'its subfolders' if len(names) > 1 else 'its subfolder'} "
            f"{', '.join(map(repr, names))} {'are' if len(names) > 1 else 'is'} not read; a "
            "dataset folder's negotiations are the files directly in it")


def _check_dataset(source: str, dataset: list[ActorIssueData], column: bool = True) -> None:
    """Every negotiation has two actors; a `negotiation` column does not name issues."""
    for data in dataset:
        if len(data.actors) < 2:
            what = f"negotiation {data.negotiation!r}" if data.negotiation else "the file"
            raise InputError(source, "negotiation",
                             f"{what} has one actor ({data.actors[0]}); allowed: at least two "
                             "actors per negotiation")
    if column and len(dataset) > 1 and all(len(data.issues) == 1 for data in dataset):
        raise InputError(source, "negotiation", f"each of the {len(dataset)} negotiations has a "
                         "single issue: the column seems to name issues, not negotiations; "
                         "allowed: a name shared by the issues negotiated together")


def _read_file(path: Path) -> list[ActorIssueData]:
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(source, "file", "no such file") from None
    except OSError as exc:
        raise InputError(source, "file", f"cannot read the file ({exc.strerror})") from None
    text = decode_text(source, raw, SPREADSHEET_HINT)
    lines = [(number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise InputError(source, "file", "the file is empty; expected Decide rows (#A, #P, #M, "
                         "#D) or a CSV header " + ",".join(CSV_REQUIRED))
    if lines[0][1].lstrip().lstrip("\"'").startswith("#"):
        return [_read_decide(source, lines)]
    return _read_csv(source, lines)


# --- shared -------------------------------------------------------------------------------------


class _Rows:
    """Actor-issue rows gathered from either format, with the line each came from."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.values: dict[tuple[str, str], tuple[float, float]] = {}
        self.lines: dict[tuple[str, str], int] = {}  # where each pair was given first
        self.power: dict[str, list[float]] = {}

    def add(self, line: int, actor: str, issue: str, position: float, salience: float,
            power: float) -> None:
        where = f"line {line}"
        if not 0.0 <= salience <= 1.0:
            hint = " (if your saliences run from 0 to 100, divide them all by 100)" \
                if 1.0 < salience <= 100.0 else ""
            raise InputError(self.source, f"{where}: salience",
                             f"{salience:g}; allowed: a number from 0 to 1{hint}")
        if not power > 0.0:
            raise InputError(self.source, f"{where}: capability",
                             f"{power:g}; allowed: a number above 0")
        if (actor, issue) in self.values:
            raise InputError(self.source, f"{where}: actor/issue",
                             f"{actor!r} on {issue!r} appears twice (line "
                             f"{self.lines[actor, issue]} gives it first); allowed: one row per "
                             "pair")
        self.values[actor, issue] = (position, salience)
        self.lines[actor, issue] = line
        self.power.setdefault(actor, []).append(power)


_EMPTY_HINTS = {
    "position": " (an actor without a position on an issue: leave out its row)",
    "salience": " from 0 to 1 (how much the issue matters to the actor, 0 for not at all; "
                "there is no default salience: estimate one, or leave out the row if the actor "
                "takes no part in the issue)",
    "capability": " (the actor's capability on every one of its rows)",
}


def _number(source: str, line: int, field: str, text: str, decimal_comma: bool = False,
            blank_if_unknown: bool = False) -> float:
    """The field's number; `blank_if_unknown`: its errors say a blank is allowed as well."""
    blank = ", or blank if unknown" if blank_if_unknown else ""
    written = text.strip().replace(",", ".") if decimal_comma else text.strip()
    if not written:
        raise InputError(source, f"line {line}: {field}",
                         f"empty; allowed: a number{_EMPTY_HINTS.get(field, '')}")
    try:
        value = float(written)
    except ValueError:
        raise InputError(source, f"line {line}: {field}",
                         f"{text.strip()!r}; allowed: a number{blank}") from None
    if not np.isfinite(value):
        said = "" if written.lstrip("+-").lower() in ("inf", "infinity", "nan") else \
            " is too large to compute with"
        raise InputError(source, f"line {line}: {field}",
                         f"{text.strip()!r}{said}; allowed: a finite number (below about 1e308)"
                         f"{blank}")
    return value


def _assemble(
    source: str, actors: list[str], issues: list[str], rows: _Rows,
    anchors: dict[str, list[float]], status_quo: dict[str, float] | None,
    outcome: dict[str, float] | None, negotiation: str = "", notes: tuple[str, ...] = (),
) -> ActorIssueData:
    n, k = len(actors), len(issues)
    raw = np.full((n, k), np.nan)
    saliences = np.full((n, k), np.nan)
    for (actor, issue), (position, salience) in rows.values.items():
        raw[actors.index(actor), issues.index(issue)] = position
        saliences[actors.index(actor), issues.index(issue)] = salience
    lower, upper = np.zeros(k), np.zeros(k)
    for j, issue in enumerate(issues):
        if issue in anchors:
            lower[j], upper[j] = min(anchors[issue]), max(anchors[issue])
        else:  # never from the observed outcome: it would shape the forecast it scores
            seen = list(raw[:, j][np.isfinite(raw[:, j])])
            if status_quo and np.isfinite(status_quo.get(issue, np.nan)):
                seen.append(status_quo[issue])
            lower[j], upper[j] = min(seen), max(seen)
        if upper[j] == lower[j]:  # a one-point issue: everything sits at 0 (beyond 2**53,
            upper[j] = max(lower[j] + 1.0, np.nextafter(lower[j], np.inf))  # lower + 1 = lower)
        with np.errstate(over="ignore"):
            too_wide = not np.isfinite((upper[j] - lower[j]) * 100.0)
        if too_wide:  # the rescaling to 0-100 and back would overflow
            raise InputError(source, "issue", f"{issue!r}{_of(negotiation)}: its values span "
                             f"{lower[j]:g} to {upper[j]:g}; allowed: a range (highest - lowest) "
                             "below 1e306")

    def given(values: dict[str, float] | None) -> np.ndarray | None:
        return None if values is None else \
            np.array([values.get(i, np.nan) for i in issues], dtype=float)

    def scaled(values: dict[str, float] | None, field: str) -> np.ndarray | None:
        user = given(values)
        if user is None:
            return None
        with np.errstate(over="ignore"):
            result = (user - lower) / (upper - lower) * 100.0
            back = lower + result * (upper - lower) / 100.0
        lost = np.isfinite(user) & ~(np.isfinite(result) & np.isfinite(back))
        if lost.any():  # an outcome far beyond the positions (the scale is theirs)
            j = int(np.flatnonzero(lost)[0])
            raise InputError(source, field, f"{issues[j]!r}{_of(negotiation)}: {user[j]:g} lies "
                             f"too far beyond the positions ({lower[j]:g} to {upper[j]:g}) to "
                             "compute with on their scale; allowed: a value less than about "
                             "1e306 from the positions (less where they span under 1)")
        return result

    with np.errstate(over="ignore"):
        capability = np.array([np.mean(rows.power[a]) for a in actors])
        total = capability.sum()
    if not np.isfinite(total):
        raise InputError(source, "capability", f"{max(map(max, rows.power.values())):g}"
                         f"{_of(negotiation)}; allowed: capabilities whose sum stays below "
                         "1e308 (e.g. shares, or GDP in billions)")
    for actor, value in zip(actors, capability, strict=True):
        if value < MIN_SHARE * total:  # its share, and its weights, would round to 0
            raise InputError(source, "capability", f"{actor!r}: {value:g} beside a sum of "
                             f"{total:g}{_of(negotiation)}; allowed: at least {MIN_SHARE:g} "
                             "times the sum of the actors' capabilities")
    return ActorIssueData(
        source=source, actors=tuple(actors), issues=tuple(issues),
        positions=(raw - lower) / (upper - lower) * 100.0, saliences=saliences,
        capability=capability / total, status_quo=scaled(status_quo, "status_quo"),
        outcome=scaled(outcome, "outcome"), given_status_quo=given(status_quo),
        given_outcome=given(outcome), lower=lower, upper=upper, negotiation=negotiation,
        scale_taken=tuple(issue for issue in issues if issue not in anchors),
        notes=notes + _case_notes(source, negotiation, actors, issues)
        + _issue_notes(source, negotiation, actors, issues, saliences),
    )


def _issue_notes(source: str, negotiation: str, actors: list[str], issues: list[str],
                 saliences: np.ndarray) -> tuple[str, ...]:
    """Notes on issues a forecast can say little about: one actor only (nothing to bargain), or
    a salience of 0 for every actor (nothing for the salience weights to weigh)."""
    notes = []
    for j, issue in enumerate(issues):
        present = np.flatnonzero(np.isfinite(saliences[:, j]))
        if len(present) == 1:
            notes.append(f"{source}{_of(negotiation)}: issue {issue!r} has one actor "
                         f"({actors[present[0]]}): there is nothing to bargain, and its forecast "
                         "is that actor's position, give or take the bargaining noise")
        elif not saliences[present, j].any():
            notes.append(f"{source}{_of(negotiation)}: every actor's salience on issue {issue!r} "
                         "is 0: the forecast weights the actors by capability alone, and the "
                         "baselines weighting by salience score no forecast there")
    return tuple(notes)


def _case_notes(source: str, negotiation: str, actors: list[str], issues: list[str]
                ) -> tuple[str, ...]:
    """Notes on names that differ only in letter case ('Alpha' and 'alpha'): they are read as
    two actors or issues, which a typo rarely means."""
    notes = []
    for kind, names in (("actors", actors), ("issues", issues)):
        spellings: dict[str, list[str]] = {}
        for name in names:
            spellings.setdefault(name.casefold(), []).append(name)
        notes += [f"{source}{_of(negotiation)}: the {kind} {' and '.join(map(repr, same))} "
                  f"differ only in letter case; they are read as {len(same)} {kind}"
                  for same in spellings.values() if len(same) > 1]
    return tuple(notes)


def _of(negotiation: str) -> str:
    return f" (negotiation {negotiation!r})" if negotiation else ""


# --- Decide format ------------------------------------------------------------------------------

_DECIDE_FIELDS = {
    "#A": ("actor",),
    "#P": ("issue",),
    "#M": ("issue", "position"),
    "#D": ("actor", "issue", "position", "salience", "power"),
}


def _unquote(field: str) -> str:
    """A field without surrounding spaces and single quotes (the Decide software writes 'x')."""
    field = field.strip()
    return field[1:-1] if len(field) >= 2 and field[0] == field[-1] == "'" else field


def _fields(line: str) -> list[str]:
    delimiter = "\t" if "\t" in line else ";"
    return [_unquote(field) for field in next(csv.reader([line], delimiter=delimiter))]


def _read_decide(source: str, lines: list[tuple[int, str]]) -> ActorIssueData:
    actors: list[str] = []
    issues: list[str] = []
    anchors: dict[str, list[float]] = {}
    data: list[tuple[int, list[str]]] = []
    first_line: dict[tuple[str, str], int] = {}  # (actor or issue, name): its #A or #P line
    anchor_line: dict[str, int] = {}  # issue: the line of its last #M row
    for number, line in lines:
        fields = _fields(line)
        kind = fields[0].upper()
        if kind.startswith("#/") or kind == "#O":
            continue
        if kind not in _DECIDE_FIELDS:
            hint = ("; a file whose first line starts with '#' is read as a Decide file; a long "
                    "CSV starts with its header line" if number == lines[0][0] else "")
            if kind.split(",")[0] in _DECIDE_FIELDS:  # saved with commas by a spreadsheet
                hint = ("; its fields are separated by commas, but a Decide file's are "
                        "separated by semicolons or tabs (a comma there is a decimal comma)")
            raise InputError(source, f"line {number}: row type",
                             f"{fields[0]!r}; allowed: #A, #P, #M, #D, #O or #/ (comment)"
                             f"{hint}")
        names = _DECIDE_FIELDS[kind]
        if len(fields) - 1 < len(names) or any(not f for f in fields[1:len(names) + 1]):
            raise InputError(source, f"line {number}: {kind}",
                             f"expected {kind};{';'.join(names)} with no empty field")
        if kind in ("#A", "#P"):
            declared, what = (actors, "actor") if kind == "#A" else (issues, "issue")
            if fields[1] in declared:
                raise InputError(source, f"line {number}: {what}",
                                 f"{fields[1]!r} is declared twice (first on line "
                                 f"{first_line[what, fields[1]]}); allowed: one {kind} row per "
                                 f"{what}")
            declared.append(fields[1])
            first_line[what, fields[1]] = number
        elif kind == "#M":
            if fields[1] not in issues:
                raise InputError(source, f"line {number}: issue",
                                 f"{fields[1]!r} is not declared in a #P row above")
            anchors.setdefault(fields[1], []).append(
                _number(source, number, "position", fields[2], decimal_comma=True))
            anchor_line[fields[1]] = number
        else:
            data.append((number, fields))
    for issue, ends in anchors.items():
        if min(ends) == max(ends):
            raise InputError(source, f"line {anchor_line[issue]}: #M",
                             f"{issue!r} has #M anchors at {ends[0]:g} only; allowed: anchors at "
                             "two different positions at least, the ends of its scale (or none: "
                             "0-100, or the range of its positions)")
    if not data:
        raise InputError(source, "#D", "the file has no #D rows (actor;issue;position;"
                         "salience;power)")
    rows = _Rows(source)
    for number, fields in data:
        actor, issue = fields[1], fields[2]
        if actor not in actors:
            raise InputError(source, f"line {number}: actor",
                             f"{actor!r} is not declared in an #A row; known: "
                             f"{', '.join(actors) or 'none'}")
        if issue not in issues:
            raise InputError(source, f"line {number}: issue",
                             f"{issue!r} is not declared in a #P row; known: "
                             f"{', '.join(issues) or 'none'}")
        position = _number(source, number, "position", fields[3], decimal_comma=True)
        if issue in anchors and not min(anchors[issue]) <= position <= max(anchors[issue]):
            raise InputError(source, f"line {number}: position",
                             f"{position:g}; allowed: the #M scale of {issue!r}, "
                             f"{min(anchors[issue]):g} to {max(anchors[issue]):g}")
        rows.add(number, actor, issue, position,
                 _number(source, number, "salience", fields[4], decimal_comma=True),
                 _number(source, number, "power", fields[5], decimal_comma=True))
    silent = [actor for actor in actors if actor not in rows.power]
    notes = tuple(f"{source}, line {first_line['actor', actor]}: actor {actor!r} has no position "
                  "on any issue; left out" for actor in silent) + _beyond_power(source, data)
    actors = [actor for actor in actors if actor in rows.power]
    _check_coverage(source, issues, rows, first_line)
    for issue in issues:  # no #M rows: the reference's default scale, 0-100, if it fits
        seen = [position for (_, i), (position, _) in rows.values.items() if i == issue]
        if issue not in anchors and min(seen) >= 0.0 and max(seen) <= 100.0:
            anchors[issue] = [0.0, 100.0]
    return _assemble(source, actors, issues, rows, anchors, None, None, notes=notes)


def _beyond_power(source: str, data: list[tuple[int, list[str]]]) -> tuple[str, ...]:
    """A note on the #D rows with a field after power (a value meant for another column, or
    a comment), which the reader ignores: one for the file, naming the first such row."""
    extra = [(number, fields[6:]) for number, fields in data if any(fields[6:])]
    if not extra:
        return ()
    (first, fields), count = extra[0], len(extra)
    where = f"line {first}" if count == 1 else f"lines {first}-{extra[-1][0]}"
    what = "a #D row has" if count == 1 else f"{count} #D rows have"
    return (f"{source}, {where}: {what} fields after power, ignored (line {first}: "
            f"{', '.join(map(repr, fields))})",)


def _check_coverage(source: str, issues: list[str], rows: _Rows,
                    first_line: dict[tuple[str, str], int]) -> None:
    covered = {issue for _, issue in rows.values}
    for issue in issues:
        if issue not in covered:
            raise InputError(source, f"line {first_line['issue', issue]}: issue",
                             f"{issue!r} has no positions; give it #D rows or remove it")


# --- long CSV -----------------------------------------------------------------------------------


_SEPARATORS = {",": "commas", ";": "semicolons", "\t": "tabs"}


def _delimiter(header: str) -> str:
    """The separator of a CSV file: whichever of comma, semicolon or tab splits its header into
    the most fields (spreadsheets in many locales write semicolons)."""
    return max((",", ";", "\t"), key=lambda d: len(next(csv.reader([header], delimiter=d))))


def _csv_records(lines: list[tuple[int, str]], delimiter: str
                 ) -> Iterator[tuple[int, list[str]]]:
    for number, line in lines:
        yield number, [field.strip() for field in next(csv.reader([line], delimiter=delimiter))]


class _Negotiation:
    """The rows of one negotiation of a long CSV, as they are read."""

    def __init__(self, source: str) -> None:
        self.actors: list[str] = []
        self.issues: list[str] = []
        self.rows = _Rows(source)
        # per name and issue: the value (None if blank), its text and the line first giving it
        self.constants: dict[str, dict[str, tuple[float | None, str, int]]] = {
            n: {} for n in _PER_ISSUE}


def _excel_separator(source: str, line: tuple[int, str]) -> str | None:
    """The separator a first line `sep=;` declares (Excel reads it, and some exports write it,
    so that every locale's Excel splits the file alike), or None: such a line is no header."""
    number, text = line
    declared = re.fullmatch(r'"?sep=(.?)"?[,;\t]*', text.strip(" "), re.IGNORECASE)
    if declared is None:
        return None
    if declared[1] not in _SEPARATORS:
        what = f"the separator {declared[1]!r}" if declared[1] else "no separator"
        raise InputError(source, f"line {number}: sep=", f"declares {what}; allowed: a comma, "
                         "semicolon or tab after sep= (or no sep= line)")
    return declared[1]


def _read_csv(source: str, lines: list[tuple[int, str]]) -> list[ActorIssueData]:
    declared = _excel_separator(source, lines[0])
    said = f" as line {lines[0][0]} declares" if declared else ""
    if declared is not None:
        lines = lines[1:]
        if not lines:
            raise InputError(source, "file", "only a sep= line; expected a CSV header "
                             + ",".join(CSV_REQUIRED) + " after it")
    delimiter = declared or _delimiter(lines[0][1])
    comma = delimiter != ","  # with semicolons or tabs, "0,5" is a decimal comma
    records = _csv_records(lines, delimiter)
    header_line, header = next(records)
    given = [name.lower() for name in header]
    header = ["capability" if name == "power" else name for name in given]
    for index, name in enumerate(header):
        if name and name in header[:index]:
            first = header.index(name)
            raise InputError(source, f"line {header_line}: header",
                             f"column {name!r} appears twice (columns {first + 1} and "
                             f"{index + 1}); allowed: each column once"
                             if given[first] == given[index] else
                             f"columns {first + 1} and {index + 1} ({given[first]!r} and "
                             f"{given[index]!r}) both give the capability; allowed: one of them")
    for name in CSV_REQUIRED:
        if name not in header:
            deu = ("; this looks like the DEU III dataset itself: convert it first with "
                   "`mc11 deu-to-csv`" if {"prnr", "isnr"} <= set(header) else "")
            raise InputError(source, f"line {header_line}: header",
                             f"missing column {name!r} (columns read, separated by "
                             f"{_SEPARATORS[delimiter]}{said}"
                             f": {', '.join(map(repr, header))}); "
                             f"required: {', '.join(CSV_REQUIRED)}; "
                             f"optional: {', '.join(CSV_OPTIONAL)}; separated by commas, "
                             f"semicolons or tabs{deu}")
    column = {name: header.index(name) for name in (*CSV_REQUIRED, *CSV_OPTIONAL)
              if name in header}
    known = (*CSV_REQUIRED, *CSV_OPTIONAL)
    notes = tuple(f"{source}, line {header_line}: column {name!r} is not used"
                  f"{suggest(name, known)}; known columns: {', '.join(known)}"
                  for name in header if name and name not in column)
    negotiations: dict[str, _Negotiation] = {}
    for number, fields in records:
        if not any(fields):  # a spreadsheet's empty row: separators only
            continue
        if len(fields) != len(header):
            hint = (" (commas separate the fields: write a decimal comma as 0.5 or separate "
                    "the fields by semicolons, and quote a name with a comma)"
                    if delimiter == "," and len(fields) > len(header) else "")
            raise InputError(source, f"line {number}: row",
                             f"{len(fields)} fields; allowed: {len(header)} as in the header{hint}")
        value = {name: fields[index] for name, index in column.items()}
        for name in ("actor", "issue", "negotiation"):
            if name in value and not value[name]:
                raise InputError(source, f"line {number}: {name}", "empty; allowed: a name")
        actor, issue = value["actor"], value["issue"]
        part = negotiations.setdefault(value.get("negotiation", ""), _Negotiation(source))
        if actor not in part.actors:
            part.actors.append(actor)
        if issue not in part.issues:
            part.issues.append(issue)
        part.rows.add(number, actor, issue,
                      _number(source, number, "position", value["position"], comma),
                      _number(source, number, "salience", value["salience"], comma),
                      _number(source, number, "capability", value["capability"], comma))
        for name in _PER_ISSUE:
            if name not in value:
                continue
            given = _number(source, number, name, value[name], comma,
                            blank_if_unknown=True) if value[name] else None
            seen = part.constants[name].setdefault(issue, (given, value[name], number))
            if seen[0] != given:  # compared as numbers: 50 and 50.0 are one status quo
                raise InputError(source, f"line {number}: {name}",
                                 f"{_shown(value[name])} differs from {_shown(seen[1])} on line "
                                 f"{seen[2]}; allowed: one {name} per issue, the same on every "
                                 "row")
    if not negotiations:
        raise InputError(source, "rows", "the file has a header but no data rows")

    def per_issue(part: _Negotiation, name: str) -> dict[str, float] | None:
        if name not in column:
            return None
        return {issue: given for issue, (given, _, _) in part.constants[name].items()
                if given is not None}

    return [_assemble(source, part.actors, part.issues, part.rows, _csv_scales(source, part),
                      per_issue(part, "status_quo"), per_issue(part, "outcome"), negotiation=name,
                      notes=() if index else notes)  # the file's notes: said once
            for index, (name, part) in enumerate(negotiations.items())]


def _shown(text: str) -> str:
    """A per-issue field's text as a message quotes it: 'blank' where it is empty."""
    return repr(text) if text else "blank"


def _csv_scales(source: str, part: _Negotiation) -> dict[str, list[float]]:
    """The issues' scales a long CSV gives (`scale_low`, `scale_high`), as `#M` anchors: both or
    neither per issue, low below high, and every position, status quo and outcome of the issue
    on it."""
    lows, highs = part.constants["scale_low"], part.constants["scale_high"]
    scales = {}
    for issue in part.issues:
        low, low_text, low_line = lows.get(issue, (None, "", 0))
        high, high_text, high_line = highs.get(issue, (None, "", 0))
        if low is None and high is None:
            continue
        line = low_line or high_line
        if low is None or high is None:
            given, lacking = ("scale_low", "scale_high") if high is None else \
                ("scale_high", "scale_low")
            raise InputError(source, f"line {line}: {lacking}", f"{issue!r} has a {given} but "
                             f"no {lacking}; allowed: both (the issue's scale) or neither (its "
                             "scale from its lowest and highest value)")
        if not low < high:
            raise InputError(source, f"line {line}: scale_high", f"{high_text!r} on {issue!r} is "
                             f"not above scale_low {low_text!r}; allowed: scale_low < scale_high")
        values = [(position, f"position of {actor!r}") for (actor, i), (position, _)
                  in part.rows.values.items() if i == issue]
        for name in ("status_quo", "outcome"):
            given = part.constants[name].get(issue, (None, "", 0))[0]
            if given is not None:
                values.append((given, name))
        off = next((what for value, what in values if not low <= value <= high), None)
        if off is not None:
            raise InputError(source, f"line {line}: scale_low/scale_high",
                             f"the scale of {issue!r}, {low_text} to {high_text}, leaves out "
                             f"the {off}; allowed: a scale holding every position, status quo "
                             "and outcome of the issue")
        scales[issue] = [low, high]
    return scales

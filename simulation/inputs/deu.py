"""Convert the DEU III dataset (Arregui & Perarnaud 2021) into the long CSV with negotiations.

DEU III ("Decision-making in the European Union", doi:10.34810/data53) codes some 140 EU
legislative proposals (2004-2019) with their controversial issues: per issue, each actor's
position and salience on 0-100, the reference point (what happens without a decision) and the
outcome. The public copy `deu3.csv` of github.com/blksv/predictioneers_game is tab-separated with
one row per issue and these columns (names as in DEU III):

* ``prnr`` the proposal (here: the negotiation), ``isnr`` the issue;
* ``p<actor>`` and ``s<actor>``: position and salience of each of 30 actors (``com`` the
  Commission, ``ep`` the Parliament, the 28 member states by country code);
* ``rp`` the reference point (status quo) and ``out`` the outcome, blank where not coded;
* a second row without a proposal number holding each actor's capability under its ``p``
  column (in that copy: GDP, with the Commission and the Parliament at the EU's total).

Rules of the conversion: an actor takes part in an issue when it has a position; a position
without a coded salience gets salience 50 (the scale's midpoint); saliences and positions are
kept on 0-100 (saliences divided by 100), and a value off that scale is refused here, not
later in the converted file; proposals without any coded outcome are left out.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulation.errors import InputError, unwritable, write_new
from simulation.inputs.files import decode_text

LONG_COLUMNS = ("negotiation", "actor", "issue", "position", "salience", "capability",
                "status_quo", "outcome")
MISSING_SALIENCE = 50.0  # on DEU's 0-100 scale
# the copy's proposal columns whose names start as an actor's position column does
PROPOSAL_COLUMNS = frozenset({"prnr", "prnrnmc", "prname", "proc", "proccde"})


@dataclass(frozen=True)
class Converted:
    """The long CSV's rows and what the conversion left out or filled in."""

    rows: list[tuple[str, ...]]
    proposals: int
    dropped: list[str]  # proposals without any coded outcome
    filled_saliences: int  # positions without a coded salience, given MISSING_SALIENCE


def _float(text: str) -> float:
    """The number `text` writes, NaN if it writes none (refused by the range checks)."""
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _number(source: str, line: int, field: str, text: str) -> float | None:
    """A field's number on DEU's 0-100 scale, None if blank."""
    text = text.strip()
    if not text:
        return None
    value = _float(text)
    if not 0.0 <= value <= 100.0:
        raise InputError(source, f"line {line}: {field}", f"{text!r}; allowed: a number from 0 "
                         "to 100, or blank")
    return value


def convert_deu(path: Path | str) -> Converted:
    """The DEU III copy's issues as long-CSV rows, one per actor with a position."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(source, "file", "no such file") from None
    except OSError as exc:
        raise InputError(source, "file", f"cannot read the file ({exc.strerror})") from None
    records = list(csv.reader(io.StringIO(decode_text(source, raw), newline=""),
                              delimiter="\t"))
    if not records:
        raise InputError(source, "file", "the file is empty")
    header = [name.strip() for name in records[0]]
    for name in ("prnr", "isnr", "rp", "out"):
        if name not in header:
            raise InputError(source, "line 1: header", f"missing column {name!r}; expected DEU "
                             "III's columns (prnr, isnr, p<actor>, s<actor>, rp, out), "
                             "tab-separated")
    column = {name: index for index, name in enumerate(header)}
    for name in header:  # an actor's column without its partner would drop the actor unseen
        partner = ("s" if name[:1] == "p" else "p") + name[1:]
        if name[:1] in ("p", "s") and len(name) > 1 and name not in PROPOSAL_COLUMNS \
                and partner not in column:
            raise InputError(source, f"line 1: column {name!r}", f"no column {partner!r} beside "
                             "it; allowed: an actor's columns in pairs, p<actor> (position) and "
                             "s<actor> (salience), names in the same letter case")
    actors = [name[1:] for name in header
              if name.startswith("p") and len(name) > 1 and f"s{name[1:]}" in column]
    if len(actors) < 2:
        raise InputError(source, "line 1: header", "fewer than two actors: expected pairs of "
                         "columns p<actor> (position) and s<actor> (salience)")
    capability: dict[str, float] = {}
    issues: list[tuple[int, list[str]]] = []
    for line, fields in enumerate(records[1:], 2):
        if not any(field.strip() for field in fields):
            continue
        if len(fields) != len(header):
            raise InputError(source, f"line {line}: row",
                             f"{len(fields)} fields; allowed: {len(header)} as in the header")
        if fields[column["prnr"]].strip():
            issues.append((line, fields))
        elif capability:
            raise InputError(source, f"line {line}: prnr", "a second row without a proposal; "
                             "allowed: one capability row")
        else:
            for actor in actors:
                text = fields[column[f"p{actor}"]].strip()
                value = _float(text)
                if not 0 < value < np.inf:
                    raise InputError(source, f"line {line}: p{actor}", f"{text!r}; the "
                                     "capability row needs a number above 0 for every actor")
                capability[actor] = value
    if not capability:
        raise InputError(source, "line 2", "no capability row: the copy's second row gives "
                         "each actor's capability (e.g. GDP) under its position column")
    with_outcome = {fields[column["prnr"]].strip() for line, fields in issues
                    if fields[column["out"]].strip()}
    rows: list[tuple[str, ...]] = []
    dropped: list[str] = []
    filled = 0
    first_line: dict[tuple[str, str], int] = {}
    for line, fields in issues:
        proposal, issue = fields[column["prnr"]].strip(), fields[column["isnr"]].strip()
        earlier = first_line.setdefault((proposal, issue), line)
        if earlier != line:
            raise InputError(source, f"line {line}: isnr", f"issue {issue!r} of proposal "
                             f"{proposal!r} again (first on line {earlier}); allowed: one row "
                             "per issue")
        if proposal not in with_outcome:
            if proposal not in dropped:
                dropped.append(proposal)
            continue
        status_quo = _number(source, line, "rp", fields[column["rp"]])
        outcome = _number(source, line, "out", fields[column["out"]])
        for actor in actors:
            position = _number(source, line, f"p{actor}", fields[column[f"p{actor}"]])
            if position is None:
                continue
            salience = _number(source, line, f"s{actor}", fields[column[f"s{actor}"]])
            if salience is None:
                salience, filled = MISSING_SALIENCE, filled + 1
            rows.append((proposal, actor, issue, f"{position:g}", f"{salience / 100:g}",
                         f"{capability[actor]:g}",
                         "" if status_quo is None else f"{status_quo:g}",
                         "" if outcome is None else f"{outcome:g}"))
    if not rows:
        found = (f"none of its {len(dropped)} proposals has a coded outcome (column 'out')"
                 if dropped else "it has no proposal rows after the capability row")
        raise InputError(source, "rows", f"nothing to convert: {found}; allowed: proposals with "
                         "an outcome and at least one actor's position")
    return Converted(rows=rows, proposals=len(with_outcome), dropped=dropped,
                     filled_saliences=filled)


def write_long_csv(converted: Converted, out: Path | str) -> None:
    """The rows as a new long CSV (refuses to overwrite a file)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(LONG_COLUMNS)
    writer.writerows(converted.rows)
    try:
        write_new(Path(out), text.getvalue())
    except FileExistsError:
        raise InputError(str(out), "OUT", "the file exists already; choose a new name") from None
    except OSError as exc:
        raise InputError(str(out), "OUT", f"cannot write the file ({unwritable(exc)}); nothing "
                         "was written there") from None

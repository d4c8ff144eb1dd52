"""Read and validate the negotiation's data files once: issues, proposals, group stances, members.

Every check failure becomes an `InputError` naming the file, the entry and what is allowed, so a
user who edits a data file sees one clear paragraph instead of a traceback.
"""

from __future__ import annotations

import csv
import datetime
import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from simulation.engine.schema import FileSchema
from simulation.errors import InputError
from simulation.inputs.files import read_yaml, suggest, validation_problem

DATA_DIR = Path(__file__).parents[1] / "data"
CLUSTER_TITLES = {
    "procedure": "Procedure",
    "data_technology": "Data and technology",
    "trust_regulation": "Trust and regulation",
    "facilitation_development": "Facilitation and development",
    "market_access": "Market access",
}
"""The issue clusters and their titles in words (for figures)."""
CLUSTERS = tuple(CLUSTER_TITLES)
STATUS_WORDS = {"developed": "developed", "developing": "developing", "ldc": "LDCs"}
"""The members' development statuses and their words in figures."""
STATUSES = tuple(STATUS_WORDS)
GROUP_TITLES = {
    "african_group": "African Group",
    "acp": "ACP (African, Caribbean and Pacific states)",
    "g90": "G-90 (African Group, ACP and LDCs)",
    "mikta": "MIKTA (Mexico, Indonesia, Korea, Turkey, Australia)",
    "oecd": "OECD members (2016)",
    "eu28": "EU28 member states (negotiating as EUN)",
}
"""The group tags of members.csv and their titles in words (MEMBERS_SOURCES.md)."""
GROUP_TAGS = tuple(GROUP_TITLES)
Emphasis = Literal["headline", "stated", "mentioned"]
EVIDENCE = ("words", "reading", "supposition")
"""How directly the seed gives a stance: in its words (the default), by a reading another
reader could make differently, or from the author's supposition (README, "Readings")."""
Position = Field(ge=0, le=100, allow_inf_nan=False)


_Strict = FileSchema


class Scale(_Strict):
    """The described points of an issue's 0-100 scale, in words."""

    low: str
    mid: str
    high: str


# Where the described points lie on every issue's scale (issues.yaml: 0 is one end, 100 the
# other, and `mid` the middle).
SCALE_POINTS = {"low": 0.0, "mid": 50.0, "high": 100.0}
SCALE_WORDS = tuple(SCALE_POINTS)  # the described points, from 0 to 100
REACHED = SCALE_WORDS[1:]  # the points beyond the lowest, whose reach the results count


class Issue(_Strict):
    """One negotiating issue and its 0-100 policy scale."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    cluster: Literal[CLUSTERS]  # type: ignore[valid-type]
    scale: Scale
    status_quo: float = Position
    new_discipline: bool
    # whether to negotiate at all: every proposal's sponsor backs at least focused talks on it
    # (derivation rule 3); at most one issue
    negotiating_mandate: bool = False
    sections: list[str] = Field(min_length=1)


class BlanketStance(_Strict):
    """A position and an emphasis, with the seed section it reads from."""

    position: float = Position
    emphasis: Emphasis
    section: str
    basis: str
    evidence: Literal[EVIDENCE] = "words"  # type: ignore[valid-type]


class Stance(BlanketStance):
    """A stance on one named issue."""

    issue: str


class Proposal(_Strict):
    """A 2016 submission to the Work Programme: its sponsors and its stances."""

    symbol: str
    title: str
    date: datetime.date | None = None  # when it was tabled, if known (documentation only)
    section: str
    footnote: int | None = None  # the seed's footnote citing it, if any
    sponsors: list[str] = Field(min_length=1)
    # sponsors the seed says seconded the paper rather than wrote it: they take its stances as
    # readings of their own views
    seconded_by: list[str] = Field(default_factory=list)
    stances: list[Stance] = Field(min_length=1)


PAPERS = "papers"
"""The key of a validation context (`paper_context`) holding each paper's sponsors by symbol."""
WHAT_IFS = "what_ifs"
"""The key of a validation context (`paper_context`) holding the what-if papers' symbols."""


def paper_context(proposals: Iterable[Proposal], written: object = ()) -> dict[str, Any]:
    """The validation context under which a paper's symbol given as a group stance's `group`
    names the paper's sponsors: those of `proposals` and of `written`, papers as a file writes
    them, a scenario's what-ifs (not yet validated: an entry without a symbol or a list of
    sponsors is skipped)."""
    papers = {p.symbol: list(p.sponsors) for p in proposals}
    what_ifs: set[str] = set()
    for paper in written if isinstance(written, list) else ():
        if (isinstance(paper, dict) and isinstance(paper.get("symbol"), str)
                and isinstance(paper.get("sponsors"), list)):
            papers[paper["symbol"]] = [str(code) for code in paper["sponsors"]]
            what_ifs.add(paper["symbol"])
    return {PAPERS: papers, WHAT_IFS: what_ifs}


class Selector(_Strict):
    """Which members a group stance applies to: named members, a group tag, or statuses."""

    members: list[str] | None = None
    group: Literal[GROUP_TAGS] | None = None  # type: ignore[valid-type]
    status: list[Literal[STATUSES]] | None = None  # type: ignore[valid-type]

    @field_validator("group", mode="before")
    @classmethod
    def _not_a_paper(cls, value: object, info: ValidationInfo) -> object:
        """A paper's symbol (of the validation context's `papers`) as the group: say to list
        its sponsors, as a group stance selects no paper's sponsors by its symbol."""
        papers = (info.context or {}).get(PAPERS, {})
        if isinstance(value, str) and value in papers:
            paper = ("a what-if paper's" if value in (info.context or {}).get(WHAT_IFS, ())
                     else "a paper's")
            raise ValueError(f"unknown group {value!r}: it is {paper} symbol, and a group "
                             "stance cannot select a paper's sponsors by it; to select them, "
                             f"write `members: [{', '.join(papers[value])}]` in place of "
                             f"`group:`; allowed: {', '.join(GROUP_TAGS)}")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> Selector:
        chosen = [k for k in ("members", "group", "status") if getattr(self, k) is not None]
        if len(chosen) != 1:
            raise ValueError("give exactly one of members, group or status")
        return self

    def selects(self, member: Member) -> bool:
        """Whether this selector picks the member."""
        return bool((self.members is not None and member.code in self.members)
                    or (self.group is not None and self.group in member.groups)
                    or (self.status is not None and member.status in self.status))

    @property
    def specificity(self) -> int:
        """Named members beat a group, which beats a development status."""
        return 3 if self.members is not None else 2 if self.group is not None else 1


class GroupStance(_Strict):
    """Stances of a group or of named members that are not proposals (seed intro, §2, §3, §5)."""

    id: str
    name: str
    applies_to: Selector
    leader: str | None = None
    doha_linked: bool = False
    bloc: bool = False
    source: str
    stances: list[Stance] = Field(default_factory=list)
    on_new_disciplines: BlanketStance | None = None

    def stance_on(self, issue: Issue) -> Stance | None:
        """The group's own stance on the issue, else its blanket stance on new disciplines."""
        for stance in self.stances:
            if stance.issue == issue.id:
                return stance
        if issue.new_discipline and self.on_new_disciplines is not None:
            return Stance(issue=issue.id, **self.on_new_disciplines.model_dump())
        return None


@dataclass(frozen=True)
class Member:
    """One WTO member as listed in members.csv."""

    code: str
    name: str
    status: str
    represented_by: str
    groups: frozenset[str]
    capability: float
    capability_basis: str


@dataclass(frozen=True)
class Catalogue:
    """The validated data: the single place the code learns issues, proposals and members."""

    issues: tuple[Issue, ...]
    proposals: tuple[Proposal, ...]
    group_stances: tuple[GroupStance, ...]
    members: tuple[Member, ...]
    what_ifs: frozenset[str] = frozenset()  # symbols of a scenario's hypothetical proposals

    @property
    def issue_ids(self) -> list[str]:
        """The issues' ids, in the catalogue's order (the columns of every member x issue table)."""
        return [issue.id for issue in self.issues]

    @property
    def group_names(self) -> list[str]:
        """What an override's `group` may name: the groups of members.csv, then the group
        stances of the data (a stance's id may repeat a group's)."""
        return list(dict.fromkeys([*GROUP_TAGS, *(g.id for g in self.group_stances)]))

    @property
    def actors(self) -> tuple[Member, ...]:
        """Members that negotiate in their own name (EU states are represented by the EU)."""
        return tuple(m for m in self.members if not m.represented_by)

    def issue(self, issue_id: str) -> Issue:
        """The issue with id `issue_id`."""
        return self.issues[self.issue_ids.index(issue_id)]

    def not_an_actor(self, code: str) -> str:
        """Why `code` cannot be named where a negotiating member is expected: a member that
        negotiates through another (EU member states through the EU) or an unknown code."""
        member = next((m for m in self.members if m.code == code), None)
        if member is not None and member.represented_by:
            through = next((m.name for m in self.members if m.code == member.represented_by),
                           member.represented_by)
            return (f"{member.name} ({code}) negotiates through {through} "
                    f"({member.represented_by}); name {member.represented_by} instead")
        codes = [m.code for m in self.actors]
        return (f"unknown member code {code!r}{suggest(code, codes)}; allowed: the codes in "
                "members.csv of members that negotiate in their own name")


def _entry_label(items: list[Any], index: int, key: str) -> str:
    item = items[index] if index < len(items) else None
    name = item.get(key) if isinstance(item, dict) else None
    return f"entry {index + 1}" + (f" ({name})" if name else "")


def _parse_list(path: Path, key: str, model: type[BaseModel], label_key: str,
                context: dict[str, Any] | None = None) -> list[Any]:
    raw = read_yaml(path)
    if not isinstance(raw, dict) or not isinstance(raw.get(key), list):
        raise InputError(str(path), key, f"the file must hold a list under the key '{key}'")
    parsed = []
    for index, item in enumerate(raw[key]):
        try:
            parsed.append(model.model_validate(item, context=context))
        except ValidationError as exc:
            field, message = validation_problem(exc, model)
            label = _entry_label(raw[key], index, label_key)
            raise InputError(str(path), f"{key}: {label}: {field}", message) from None
    return parsed


def _unique(values: list[str], path: Path | str, what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise InputError(str(path), what, f"{value!r} appears twice; each must be unique")
        seen.add(value)


def _check_stances(
    stances: list[Stance], issue_ids: list[str], path: Path | str, owner: str
) -> None:
    for stance in stances:
        if stance.issue not in issue_ids:
            raise InputError(
                str(path),
                f"{owner}: stances: issue",
                f"unknown issue {stance.issue!r}{suggest(stance.issue, issue_ids)}; "
                "allowed: the ids in issues.yaml",
            )
    _unique([s.issue for s in stances], path, f"{owner}: stances: issue")


def _check_codes(codes: list[str], catalogue: Catalogue, path: Path | str, where: str) -> None:
    known = {m.code for m in catalogue.actors}
    for code in codes:
        if code not in known:
            raise InputError(str(path), where, catalogue.not_an_actor(code))


def _check_leader(group: GroupStance, catalogue: Catalogue, path: Path | str, where: str) -> None:
    """A group stance's leader must be one of the negotiating members it applies to."""
    selected = [m.code for m in catalogue.actors if group.applies_to.selects(m)]
    if group.leader in selected:
        return
    selector = group.applies_to
    chosen = (f"members: {', '.join(selector.members) or 'none'}" if selector.members is not None
              else f"group: {selector.group}" if selector.group is not None
              else f"status: {', '.join(selector.status or [])}")
    allowed = (f"one of {', '.join(selected)}" if len(selected) <= 10 else
               f"one of its {len(selected)} negotiating members (`mc11 members` lists each "
               "member's groups and status)")
    raise InputError(str(path), where, f"{group.leader} is not among the members the stance "
                     f"applies to ({chosen}); allowed: {allowed + ', or ' if selected else ''}"
                     "no leader (a label only: the model does not use it)")


MEMBER_COLUMNS = (
    "code", "name", "status", "represented_by", "groups", "capability", "capability_basis",
)


def _parse_member(row: dict[str, str], line: int, path: Path) -> Member:
    where = f"line {line}"
    code = (row.get("code") or "").strip()
    if not code or not code.isalpha() or not code.isupper() or len(code) != 3:
        raise InputError(str(path), f"{where}: code", f"{code!r} is not a 3-letter upper-case code")
    status = (row.get("status") or "").strip()
    if status not in STATUSES:
        raise InputError(
            str(path), f"{where} ({code}): status", f"{status!r}; allowed: {', '.join(STATUSES)}"
        )
    groups = frozenset(g.strip() for g in (row.get("groups") or "").split(";") if g.strip())
    for group in sorted(groups - set(GROUP_TAGS)):
        raise InputError(
            str(path),
            f"{where} ({code}): groups",
            f"unknown group {group!r}{suggest(group, GROUP_TAGS)}; "
            f"allowed: {', '.join(GROUP_TAGS)}",
        )
    try:
        capability = float(row.get("capability") or "nan")
    except ValueError:
        capability = math.nan
    if not math.isfinite(capability) or capability <= 0:
        raise InputError(
            str(path),
            f"{where} ({code}): capability",
            f"{row.get('capability')!r}; allowed: a positive number (percent of world trade)",
        )
    return Member(
        code=code,
        name=(row.get("name") or "").strip(),
        status=status,
        represented_by=(row.get("represented_by") or "").strip(),
        groups=groups,
        capability=capability,
        capability_basis=(row.get("capability_basis") or "").strip(),
    )


def _load_members(path: Path) -> tuple[Member, ...]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in MEMBER_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError(
                    str(path), "header", f"missing column(s) {', '.join(missing)}; "
                    f"required: {', '.join(MEMBER_COLUMNS)}"
                )
            members = [_parse_member(row, n, path) for n, row in enumerate(reader, start=2)]
    except FileNotFoundError:
        raise InputError(str(path), "(file)", "the file does not exist") from None
    codes = [m.code for m in members]
    _unique(codes, path, "code")
    for member in members:
        if member.represented_by and member.represented_by not in codes:
            raise InputError(str(path), f"{member.code}: represented_by",
                             f"unknown member code {member.represented_by!r}"
                             f"{suggest(member.represented_by, codes)}")
    return tuple(members)


def load_catalogue(data_dir: Path | str | None = None) -> Catalogue:
    """Read and cross-check the four data files; raise InputError on the first problem."""
    folder = Path(data_dir) if data_dir is not None else DATA_DIR
    issues_path = folder / "issues.yaml"
    proposals_path = folder / "proposals.yaml"
    groups_path = folder / "groups.yaml"
    members_path = folder / "members.csv"

    issues = _parse_list(issues_path, "issues", Issue, "id")
    _unique([i.id for i in issues], issues_path, "issues: id")
    mandates = [i.id for i in issues if i.negotiating_mandate]
    if len(mandates) > 1:
        raise InputError(str(issues_path), "issues: negotiating_mandate",
                         f"set on {len(mandates)} issues ({', '.join(mandates)}); allowed: at "
                         "most one issue, the one that decides whether to negotiate at all")
    members = _load_members(members_path)
    proposals = _parse_list(proposals_path, "proposals", Proposal, "symbol")
    group_stances = _parse_list(groups_path, "groups", GroupStance, "id",
                                paper_context(proposals))
    catalogue = Catalogue(tuple(issues), tuple(proposals), tuple(group_stances), members)
    check_references(catalogue, str(proposals_path), str(groups_path))
    return catalogue


class EntryError(InputError):
    """A reference check's failure, with the list it is in (`proposals` or `group_stances`) and
    the entry at fault (its symbol or id; None for the list as a whole, as with a symbol used
    twice), so that a scenario can name the line of the entry it wrote."""

    def __init__(self, error: InputError, listed: str, entry: str | None) -> None:
        super().__init__(error.source, error.field, error.problem)
        self.listed = listed
        self.entry = entry


@contextmanager
def _checking(listed: str, entry: str | None = None) -> Iterator[None]:
    """Tell the InputErrors of a block apart as an EntryError of `listed`'s `entry`."""
    try:
        yield
    except InputError as error:
        raise EntryError(error, listed, entry) from None


def check_references(catalogue: Catalogue, proposals_source: str, groups_source: str) -> None:
    """Every sponsor, member and issue that proposals and group stances name must exist; a
    failure is an EntryError."""
    issue_ids = catalogue.issue_ids
    with _checking("proposals"):
        _unique([p.symbol for p in catalogue.proposals], proposals_source, "proposals: symbol")
    for proposal in catalogue.proposals:
        owner = f"proposals: {proposal.symbol}"
        with _checking("proposals", proposal.symbol):
            _check_codes(proposal.sponsors, catalogue, proposals_source, f"{owner}: sponsors")
            _unique(proposal.sponsors, proposals_source, f"{owner}: sponsors")
            if stray := [c for c in proposal.seconded_by if c not in proposal.sponsors]:
                raise InputError(proposals_source, f"{owner}: seconded_by",
                                 f"{', '.join(stray)} not among the proposal's sponsors; "
                                 f"allowed: some of {', '.join(proposal.sponsors)}")
            _check_stances(proposal.stances, issue_ids, proposals_source, owner)
    with _checking("group_stances"):
        _unique([g.id for g in catalogue.group_stances], groups_source, "groups: id")
    for group in catalogue.group_stances:
        owner = f"groups: {group.id}"
        with _checking("group_stances", group.id):
            _check_codes(group.applies_to.members or [], catalogue, groups_source,
                         f"{owner}: members")
            if group.leader:
                _check_codes([group.leader], catalogue, groups_source, f"{owner}: leader")
                _check_leader(group, catalogue, groups_source, f"{owner}: leader")
            _check_stances(group.stances, issue_ids, groups_source, owner)


@cache
def default_catalogue() -> Catalogue:
    """The shipped data, read once per process."""
    return load_catalogue()

"""Scenario overrides: a scenario's own change to some members' positions or saliences, applied
to the preference table after the derivation rules (simulation.inputs.preferences) and marked
`override` there, so that a what-if can state an assumption the 2016 documents do not make.

Here: the schema of one override, the check of the ids it names, the member x issue cells it
selects, and the table after the overrides with the notes the user should hear about them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Literal

import pandas as pd
from pydantic import Field, model_validator

from simulation.engine.derivation import OVERRIDE_FIELDS
from simulation.engine.schema import FileSchema
from simulation.errors import InputError
from simulation.inputs.catalogue import CLUSTERS, GROUP_TAGS, STATUSES, Catalogue
from simulation.inputs.files import suggest
from simulation.inputs.preferences import DerivationRules

EXCLUSIVE_FIELDS = (("set_position", "shift_position"), ("set_salience", "scale_salience"))
"""Pairs of `OVERRIDE_FIELDS` an override gives one of, not both."""


class Override(FileSchema):
    """Set or shift positions or saliences of some members on some issues."""

    members: list[str] | None = Field(None, min_length=1)
    group: str | None = None
    sponsors_of: str | None = None
    status: list[Literal[STATUSES]] | None = Field(None, min_length=1)  # type: ignore[valid-type]
    issue: str | None = None
    cluster: Literal[CLUSTERS] | None = None  # type: ignore[valid-type]
    set_position: float | None = Field(None, ge=0, le=100, allow_inf_nan=False)
    shift_position: float | None = Field(None, ge=-100, le=100, allow_inf_nan=False)
    set_salience: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)
    scale_salience: float | None = Field(None, ge=0, le=10, allow_inf_nan=False)
    note: str = ""

    @model_validator(mode="after")
    def _complete(self) -> Override:
        who = [k for k in ("members", "group", "sponsors_of", "status") if getattr(self, k)]
        if len(who) != 1:
            raise ValueError("name exactly one of members, group, sponsors_of or status")
        if self.issue is not None and self.cluster is not None:
            raise ValueError("name an issue or a cluster, not both (neither = every issue)")
        if not self.given():
            raise ValueError(f"give at least one of {', '.join(OVERRIDE_FIELDS)}")
        for one, other in EXCLUSIVE_FIELDS:
            if getattr(self, one) is not None and getattr(self, other) is not None:
                raise ValueError(f"give {one} or {other}, not both")
        return self

    def given(self) -> dict[str, float]:
        """The values this override gives, by field, in `OVERRIDE_FIELDS` order."""
        return {k: float(v) for k in OVERRIDE_FIELDS if (v := getattr(self, k)) is not None}


def check_override(override: Override, where: str, catalogue: Catalogue, source: str) -> None:
    """Refuse an override naming a member, group, proposal or issue the catalogue lacks: an
    `InputError` at `where` in the file `source`, with the nearest known id (for a paper's
    symbol given as a group, the `sponsors_of` selector, and the reverse)."""
    actors = [m.code for m in catalogue.actors]
    for code in override.members or []:
        if code not in actors:
            raise InputError(source, f"{where}: members", catalogue.not_an_actor(code))
    groups = catalogue.group_names
    symbols = [p.symbol for p in catalogue.proposals]
    if override.group is not None and override.group not in groups:
        paper = "a what-if paper's" if override.group in catalogue.what_ifs else "a paper's"
        hint = (f": it is {paper} symbol; to select the paper's sponsors, write `sponsors_of: "
                f"{override.group}` in place of `group:`" if override.group in symbols
                else suggest(override.group, groups))
        raise InputError(source, f"{where}: group", f"unknown group {override.group!r}{hint}; "
                         f"allowed: {', '.join(groups)}")
    if override.sponsors_of is not None and override.sponsors_of not in symbols:
        group = "a group" if override.sponsors_of in GROUP_TAGS else "a group stance's id"
        hint = (f": it is {group}; to select its members, write `group: {override.sponsors_of}` "
                "in place of `sponsors_of:`" if override.sponsors_of in groups
                else suggest(override.sponsors_of, symbols))
        raise InputError(source, f"{where}: sponsors_of", f"unknown proposal "
                         f"{override.sponsors_of!r}{hint}; allowed: {', '.join(symbols)}")
    if override.issue is not None and override.issue not in catalogue.issue_ids:
        raise InputError(source, f"{where}: issue", f"unknown issue {override.issue!r}"
                         f"{suggest(override.issue, catalogue.issue_ids)}; allowed: the ids "
                         "`mc11 issues` lists")


def override_cells(override: Override, catalogue: Catalogue) -> tuple[set[str], set[str]]:
    """The members and the issues an override acts on."""
    if override.issue is not None:
        issues = {override.issue}
    elif override.cluster is not None:
        issues = {i.id for i in catalogue.issues if i.cluster == override.cluster}
    else:
        issues = set(catalogue.issue_ids)
    return _selected_members(override, catalogue), issues


def _selected_members(override: Override, catalogue: Catalogue) -> set[str]:
    """The members an override's selector names: its members, the sponsors of a proposal,
    the members of some statuses, or a group (a group stance's selection, else a tag)."""
    if override.members:
        return set(override.members)
    if override.sponsors_of:
        proposal = next(p for p in catalogue.proposals if p.symbol == override.sponsors_of)
        return set(proposal.sponsors)
    if override.status:
        return {m.code for m in catalogue.actors if m.status in override.status}
    stance = next((g for g in catalogue.group_stances if g.id == override.group), None)
    if stance is not None:
        return {m.code for m in catalogue.actors if stance.applies_to.selects(m)}
    return {m.code for m in catalogue.actors if override.group in m.groups}


def apply_overrides(
    table: pd.DataFrame, overrides: list[Override], catalogue: Catalogue,
    rules: DerivationRules | None = None, notes: list[str] | None = None,
    where: list[str] | None = None, excluded: Iterable[str] = (),
) -> pd.DataFrame:
    """The preference table after the scenario's overrides, each changed row marked as such.

    A value an override sets is the scenario's own assumption, stated as directly as a proposal:
    its uncertainty narrows to the `override` entry of the rules' uncertainty table where it was
    wider. An override that changes nothing adds a line to `notes` (as do narrowed spreads);
    `where` names each override in them (e.g. its file and line); the notes count only the
    rows of members not `excluded` from the negotiation."""
    table = table.copy()
    negotiating = ~table["member"].isin(set(excluded))
    position_sd, salience_sd = (rules or DerivationRules()).uncertainty["override"]
    for index, override in enumerate(overrides):
        name = where[index] if where else f"overrides.{index}"
        members, issues = override_cells(override, catalogue)
        rows = table["member"].isin(members) & table["issue"].isin(issues)
        before = table.loc[rows, ["position", "salience", "position_sd", "salience_sd"]].copy()
        if override.set_position is not None:
            table.loc[rows, "position"] = override.set_position
            table.loc[rows, "position_sd"] = table.loc[rows, "position_sd"].clip(upper=position_sd)
        cut = []  # (what, rows past the end, the end) for the notes
        if override.shift_position is not None:
            shifted = table.loc[rows, "position"] + override.shift_position
            end = 100 if override.shift_position > 0 else 0
            cut.append((f"shift_position {override.shift_position:+g}",
                        int(((shifted < 0) | (shifted > 100))[negotiating[rows]].sum()),
                        f"the scale's end, {end}"))
            table.loc[rows, "position"] = shifted.clip(0, 100)
        if override.set_salience is not None:
            table.loc[rows, "salience"] = override.set_salience
            table.loc[rows, "salience_sd"] = table.loc[rows, "salience_sd"].clip(upper=salience_sd)
        if override.scale_salience is not None:
            scaled = table.loc[rows, "salience"] * override.scale_salience
            cut.append((f"scale_salience {override.scale_salience:g}",
                        int((scaled > 1)[negotiating[rows]].sum()), "salience 1"))
            table.loc[rows, "salience"] = scaled.clip(0, 1)
        after = table.loc[rows, before.columns]
        if notes is not None:
            notes.extend(_represented_note(name, override, catalogue))
            reached = negotiating[rows]
            notes.extend(_override_notes(name, before[reached], after[reached],
                                         (position_sd, salience_sd)))
            values = ["position", "salience"]
            changed = (before.loc[reached, values].to_numpy()
                       != after.loc[reached, values].to_numpy()).any()
            notes.extend(f"{name}: {what} would take {count} member x issue row(s) past "
                         f"{end}: they stop there" for what, count, end in cut
                         if count and changed)  # else the note says it changes nothing
        label = f"scenario override {index + 1}" + (f" ({override.note})" if override.note else "")
        table.loc[rows, "rule"] = "override"
        table.loc[rows, "source"] = table.loc[rows, "source"] + " | " + label
    return table


def _represented_note(name: str, override: Override, catalogue: Catalogue) -> list[str]:
    """A note when an override's group tag takes in members that negotiate through another
    (EU states through the EU): the override does not reach them, nor their representative."""
    if not override.group or override.group not in GROUP_TAGS:
        return []
    in_group = {m.code for m in catalogue.members if override.group in m.groups}
    through = Counter(m.represented_by for m in catalogue.members
                      if m.code in in_group and m.represented_by not in ("", *in_group))
    return [f"{name}: {count} of group {override.group}'s members negotiate through "
            f"{agent}, which the override does not reach: name `members: [{agent}]` to change "
            f"{agent}'s values" for agent, count in through.items()]


def _override_notes(name: str, before: pd.DataFrame, after: pd.DataFrame,
                    narrowest: tuple[float, float]) -> list[str]:
    """What to tell the user about one override: no effect, or spreads it narrowed (which
    changes the runs even where it sets the values the members already have)."""
    if before.empty:
        return [f"{name} selects no negotiating member x issue: it changes nothing"]
    notes = []
    for column, sd in zip(("position_sd", "salience_sd"), narrowest, strict=True):
        narrowed = before[column] > after[column]
        if narrowed.any():
            notes.append(f"{name} sets a {column[:-3]} stated by the scenario: its uncertainty "
                         f"({column}) narrowed from up to {before.loc[narrowed, column].max():g} "
                         f"to {sd:g} on {int(narrowed.sum())} member x issue row(s), as for a "
                         "proposal (rule `override` of the derivation's uncertainty table)")
    values = ["position", "salience"]
    if not notes and (before[values].to_numpy() == after[values].to_numpy()).all():
        return [f"{name} changes nothing: the members it selects already have those values"]
    return notes

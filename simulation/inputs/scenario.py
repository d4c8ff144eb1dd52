"""Scenario files: what to run, with which parameters, and what to change about the 2016 data.

A scenario may `extends:` another file and state only its difference: mappings merge key by key,
and the lists `overrides`, `proposals` and `group_stances` add to the parent's. Every problem is
an `InputError` naming the file, the line and field, and what is allowed. What an override is and
does to the preference table is in `simulation.inputs.overrides`.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, Field, ValidationError

from simulation.engine.derivation import (
    EMPHASES,
    IMPUTED_FIELDS,
    MANDATE_FIELDS,
    OVERRIDE_FIELDS,
    derives,
    emphasis_path,
    imputed_path,
    mandate_path,
    override_path,
)
from simulation.engine.negotiation import Negotiation
from simulation.engine.parameters import Parameters
from simulation.engine.schema import FileSchema, Number
from simulation.engine.varying import calendar_path
from simulation.errors import InputError, resolved
from simulation.inputs import DEFAULT_SCENARIO, MAX_RUNS, SEED_LIMIT
from simulation.inputs import constants as settable
from simulation.inputs.arrays import build_negotiation, derived_cells
from simulation.inputs.calendar import PERIOD_KINDS, load_calendar
from simulation.inputs.catalogue import (
    STATUSES,
    Catalogue,
    Emphasis,
    EntryError,
    GroupStance,
    Proposal,
    check_references,
    default_catalogue,
    paper_context,
)
from simulation.inputs.files import (
    NAME_CHARACTERS,
    NAME_PATTERN,
    allowed_range,
    at_line,
    field_path,
    load_yaml,
    read_text,
    read_yaml,
    reported_error,
    shown_value,
    suggest,
    validation_problem,
    value_location,
    walk_yaml,
)
from simulation.inputs.overrides import Override, apply_overrides, check_override, override_cells
from simulation.inputs.preferences import (
    EVIDENCE_KINDS,
    DerivationRules,
    derivation_terms,
    derive_preferences,
)
from simulation.inputs.priors import Prior, is_prior, parse_prior
from simulation.outputs import DESIGN, FOLDER_READERS, MANIFEST

LIST_KEYS = ("overrides", "proposals", "group_stances")
LOADER_KEYS = ("extends", "parameters_file")  # read by the loader before the schema
NAME_RULE = f"{NAME_CHARACTERS}: the scenario's results folders are named after it"
# the fields a scenario's catalogue, preference table and calendar file are derived from
DERIVED_FROM = ("calendar", "participants", "derivation", "overrides", "proposals",
                "group_stances")
Finite = {"allow_inf_nan": False}
ScalePoint = Annotated[Number, Field(ge=0, le=100, allow_inf_nan=False)]
Salience = Annotated[Number, Field(ge=0, le=1, allow_inf_nan=False)]
# the numbers of the derivation's lists, named as errors and constants' paths name them
# (MANDATE_FIELDS, IMPUTED_FIELDS; the spreads as the preference table's columns)
MandatePosition = Annotated[ScalePoint, Field(title="position")]
NewRules = Annotated[ScalePoint, Field(title="new_rules")]
Elsewhere = Annotated[ScalePoint, Field(title="elsewhere")]
EntrySalience = Annotated[Salience, Field(title="salience")]
PositionSd = Annotated[ScalePoint, Field(title="position_sd")]
SalienceSd = Annotated[Salience, Field(title="salience_sd")]


_Strict = FileSchema


class Participants(_Strict):
    """Members left out of the negotiation altogether (they neither consent nor join deals)."""

    exclude: list[str] = Field(default_factory=list)


class Derivation(_Strict):
    """Replacements for the derivation rules' constants (simulation.inputs.preferences)."""

    emphasis_salience: dict[Emphasis, Salience] | None = None
    engaged_sponsor_mandate: tuple[MandatePosition, EntrySalience] | None = Field(
        None, description="[position 0-100, salience 0-1]")
    imputed: dict[Literal[STATUSES], tuple[NewRules, Elsewhere, EntrySalience]] | None = Field(  # type: ignore[valid-type]
        None, description="[position on new disciplines 0-100, position elsewhere 0-100, "
        "salience 0-1]")
    # (position sd, salience sd) by the kind of evidence a value rests on
    uncertainty: dict[Literal[EVIDENCE_KINDS], tuple[PositionSd, SalienceSd]] | None = Field(  # type: ignore[valid-type]
        None, description="[position sd 0-100, salience sd 0-1]")


class Levels(_Strict):
    """The attention and pressure of every period of one kind (replacing the calendar's)."""

    attention: float | None = Field(None, ge=0, le=1, **Finite)
    pressure: float | None = Field(None, ge=0, le=1, **Finite)


class ScenarioSpec(_Strict):
    """The schema of a scenario file."""

    name: str = Field(pattern=NAME_PATTERN, description=NAME_RULE)
    description: str = ""
    replications: int = Field(1000, ge=1, le=MAX_RUNS)
    seed: int = Field(20171210, ge=0, lt=SEED_LIMIT)
    calendar: str | None = None
    calendar_levels: dict[Literal[PERIOD_KINDS], Levels] = Field(default_factory=dict)  # type: ignore[valid-type]
    participants: Participants = Participants()
    parameters: Parameters = Parameters()
    derivation: Derivation = Derivation()
    overrides: list[Override] = Field(default_factory=list)
    proposals: list[Proposal] = Field(default_factory=list)
    group_stances: list[GroupStance] = Field(default_factory=list)


@dataclass(frozen=True)
class Scenario:
    """A validated scenario with its resolved data: ready to build negotiations from."""

    spec: ScenarioSpec
    path: Path | None
    catalogue: Catalogue
    preferences: pd.DataFrame
    calendar_path: Path | None
    notes: tuple[str, ...] = ()  # what loading decided that the user should hear about
    priors: Mapping[str, Prior] = field(default_factory=dict)  # path -> distribution

    def __repr__(self) -> str:  # the default shows every table and catalogue entry
        return (f"<Scenario {self.name!r} ({self.path or 'from a mapping'}): "
                f"{self.spec.replications} runs, seed {self.spec.seed}, "
                f"{self.spec.parameters.bargaining.protocol}, {len(self.priors)} priors>")

    @property
    def name(self) -> str:
        return self.spec.name

    def negotiation(self, derived: bool = False) -> Negotiation:
        """The arrays one replication runs on; with the derived cells (replications may then
        vary the derivation constants and override values) if `derived` or one of those has a
        prior."""
        participants = [m.code for m in self.catalogue.actors
                        if m.code not in self.spec.participants.exclude]
        negotiation = build_negotiation(self.catalogue, self.preferences, self.calendar(),
                                        participants)
        if derived or any(derives(path) for path in self.priors):
            terms = derivation_terms(self.catalogue, _rules(self.spec.derivation))
            cells = derived_cells(terms, self.override_cells(), negotiation, self.constants(),
                                  self.spec.overrides)
            negotiation = replace(negotiation, derivation=cells)
        return negotiation

    def calendar(self) -> tuple:
        """The calendar's periods with the scenario's `calendar_levels`."""
        periods = load_calendar(self.calendar_path)
        levels = self.spec.calendar_levels
        return tuple(p.model_copy(update=levels[p.kind].model_dump(exclude_none=True))
                     if p.kind in levels else p for p in periods)

    def settable_constants(self) -> dict[str, settable.Constant]:
        """Every constant this scenario can vary, by path: the registry's, then the values its
        overrides give."""
        return {**settable.constants(), **settable.override_constants(self.spec.overrides)}

    def constants(self) -> dict[str, float]:
        """The scenario's value of every constant of `settable_constants()`, by path (a prior's
        central value; for a calendar level, that of the kind's first period)."""
        values: dict[str, float] = {}
        for group, params in self.spec.parameters:
            for name, value in params if isinstance(params, BaseModel) else ():
                path = f"parameters.{group}.{name}"
                if path in settable.constants():
                    values[path] = float(value)
        for period in reversed(self.calendar()):
            for level in settable.CALENDAR_LEVELS:
                values[calendar_path(period.kind, level)] = float(getattr(period, level))
        for kind in PERIOD_KINDS:  # kinds the calendar does not use
            for level in settable.CALENDAR_LEVELS:
                values.setdefault(calendar_path(kind, level), float("nan"))
        rules = _rules(self.spec.derivation)
        values.update({emphasis_path(e): rules.emphasis_salience[e] for e in EMPHASES})
        values.update(zip(map(mandate_path, MANDATE_FIELDS), rules.engaged_sponsor_mandate,
                          strict=True))
        for status, numbers in rules.imputed.items():
            values.update(zip((imputed_path(status, f) for f in IMPUTED_FIELDS), numbers,
                              strict=True))
        for index, override in enumerate(self.spec.overrides):
            values.update({override_path(index, name): value
                           for name, value in override.given().items()})
        return {path: values[path] for path in self.settable_constants()}

    def override_cells(self) -> list[tuple[set[str], set[str]]]:
        """The members and issues each override acts on, in order."""
        return [override_cells(o, self.catalogue) for o in self.spec.overrides]

    def resolved(self) -> dict[str, Any]:
        """The scenario with every default filled in, as plain data (for results folders);
        priors stand where the scenario wrote them."""
        resolved = json.loads(self.spec.model_dump_json())
        if self.calendar_path is not None:
            resolved["calendar"] = str(self.calendar_path)
        for path, prior in self.priors.items():
            *parents, last = self.settable_constants()[path].location
            node = resolved
            for key in parents:
                node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
            node[last] = prior.as_data()
        return resolved

    def input_hash(self) -> str:
        """A fingerprint of everything a run depends on: scenario, preferences and calendar."""
        return self._input_hash

    @cached_property
    def _input_hash(self) -> str:
        # computed once: results folders ask for it at every status change
        resolved = self.resolved()
        resolved.pop("calendar", None)  # its content counts below, not where the file is
        digest = hashlib.sha256(json.dumps(resolved, sort_keys=True).encode())
        digest.update(self.preferences.to_csv(index=False).encode())
        digest.update(repr(load_calendar(self.calendar_path)).encode())
        return digest.hexdigest()[:16]

    def without_priors(self) -> Scenario:
        """The same scenario with every constant at its central value in all runs."""
        return replace(self, priors={})

    def with_changes(self, **changes: Any) -> Scenario:
        """The same scenario with top-level fields replaced (e.g. replications, seed), a mapping
        merged into its section as a child file's is (`parameters={"consensus": {...}}` keeps the
        other settings), validated as a file's; those its data are derived from (DERIVED_FROM)
        need `scenario_from_mapping`.
        A number given for a constant drawn from a prior replaces that prior, as a child
        file's does (a model given for a section gives each of its numbers); the other priors
        stay (`without_priors()` fixes them all at their central values). A prior is an
        InputError: priors are read with a file."""
        # the call is the source of every error: the file it was read from was checked then
        source = f"with_changes on {self.path if self.path is not None else 'a scenario'}"
        for key in changes:
            if key in DERIVED_FROM:
                raise InputError(source, key, "the scenario's preferences and calendar were "
                                 "derived from it when it was read, so with_changes cannot "
                                 "change it; give the changed scenario to scenario_from_mapping "
                                 "(or write a what-if file that extends this one)")
        priors = extract_priors(changes, source, [])[1]
        if priors:
            raise InputError(source, next(iter(priors)), "with_changes takes numbers, not "
                             "priors; allowed: a number (a prior is read with the scenario: "
                             "write it in a what-if file, or give the mapping to "
                             "scenario_from_mapping)")
        try:
            spec = ScenarioSpec.model_validate(_merge(self.spec.model_dump(), changes))
        except ValidationError as exc:
            field, problem = validation_problem(exc, ScenarioSpec)
            raise InputError(source, field, problem) from None
        given = set(_leaf_paths(changes))
        return replace(self, spec=spec, priors={path: prior for path, prior in self.priors.items()
                                                if path not in given})


def check_scenario(value: object, function: str) -> None:
    """A TypeError saying how to read a scenario, unless `value` is one (a file's path, say)."""
    if not isinstance(value, Scenario):
        raise TypeError(f"{function} takes a Scenario, not {type(value).__name__} "
                        f"{value!r:.60}: read one with "
                        "simulation.inputs.scenario.load_scenario(path)")


def _leaf_paths(mapping: dict[str, Any], prefix: str = "") -> Iterator[str]:
    """The dotted paths of a nested mapping's values that are not mappings (a model's values
    each count: it replaces its whole section)."""
    for key, value in mapping.items():
        if isinstance(value, BaseModel):
            value = value.model_dump()
        if isinstance(value, dict):
            yield from _leaf_paths(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


def _merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    merged = dict(parent)
    for key, value in child.items():
        if key in LIST_KEYS and isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = merged[key] + value
        elif isinstance(value, dict) and isinstance(merged.get(key), dict) and not (
                is_prior(value) or is_prior(merged[key])):  # a prior replaces, as a value does
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass(frozen=True)
class _File:
    """One scenario file of an `extends` chain: its path, YAML node tree, and how many entries
    of each list key it inherited from its parents."""

    path: str
    node: yaml.Node | None
    inherited: dict[str, int]


def _own_location(location: tuple[Any, ...], inherited: dict[str, int]) -> tuple[Any, ...]:
    """An error location in the merged lists, as an index into this file's own entries
    (negative when the entry is inherited)."""
    if len(location) > 1 and location[0] in inherited and isinstance(location[1], int):
        return (location[0], location[1] - inherited[location[0]], *location[2:])
    return location


def _origin(files: list[_File], source: str, location: tuple[Any, ...]
            ) -> tuple[str, int | None, tuple[Any, ...]]:
    """The file (the scenario first, then its parents) that wrote the value at `location`, the
    line there and the location within that file; the scenario itself if none did."""
    for file in files:
        own = _own_location(location, file.inherited)
        written, line = walk_yaml(file.node, own)
        if written:
            return file.path, line, own
    return source, None, location


def _folder_hint(folder: Path) -> str:
    """What a folder given as a scenario holds that the user may have meant: the scenario an
    `mc11 run` results folder or a design's folder ran with."""
    stored = folder / "scenario.yaml"
    if not stored.is_file():
        return ""
    if (folder / MANIFEST).is_file():
        return (f"; this is an `mc11 run` results folder: the scenario it ran is {stored} (the "
                f"folder itself goes to {FOLDER_READERS})")
    if (folder / DESIGN).is_file():
        return (f"; this is a design's folder: the scenario it ran is {stored} (to complete "
                "the design, give its scenario and --folder with it)")
    return f"; this folder holds {stored}"


def _read(path: Path, chain: tuple[Path, ...] = (), notes: list[str] | None = None
          ) -> tuple[dict[str, Any], list[_File]]:
    """A scenario file's mapping with its parents merged in, and the files of its chain (this
    one first); `notes` gets a line for members a child's exclusions bring back."""
    if path in chain:
        loop = [*chain[chain.index(path):], path]
        raise InputError(str(path), "extends", "the files extend each other in a loop ("
                         + " -> ".join(p.name for p in loop) + ")")
    if path.is_dir():
        raise InputError(str(path), "(file)", f"this is a folder; a scenario is a YAML file "
                         f"(e.g. scenarios/baseline.yaml){_folder_hint(path)}")
    raw, node = load_yaml(read_text(path), path)
    if raw is None:
        raise InputError(str(path), "(file)", "the file is empty; a scenario is a mapping of "
                         "keys to values, e.g. 'extends: baseline.yaml' and the changes (README, "
                         "Scenarios)")
    if not isinstance(raw, dict):
        raise InputError(str(path), "(top level)", "a scenario must be a mapping of keys to values")
    if "periods" in raw and "name" not in raw:  # a calendar file given as a scenario
        raise InputError(str(path), "periods", "this is a calendar file, not a scenario; a "
                         "scenario names it with 'calendar: FILE'")
    _apply_parameters_file(raw, path)
    parent = raw.pop("extends", None)
    if parent is None:
        return raw, [_File(str(path), node, {})]
    line = walk_yaml(node, ("extends",))[1]
    where = at_line("extends", line)
    if not isinstance(parent, str) or "\0" in parent:
        raise InputError(str(path), where, "must be the path of another scenario file")
    parent_path = resolved(path.parent / parent)
    if not parent_path.is_file():
        raise InputError(str(path), where, f"the scenario it extends, {parent!r}, is not a file "
                         f"({parent_path}); the path is relative to this file's folder")
    base, parents = _read(parent_path, (*chain, path), notes)
    inherited = {key: len(base[key]) for key in LIST_KEYS if isinstance(base.get(key), list)}
    back = _brought_back(base, raw)
    if back and notes is not None:
        notes.append(f"{path.name}'s participants.exclude replaces the one of {parent_path.name} "
                     f"(only overrides, proposals and group_stances add to a parent's): "
                     f"{', '.join(back)} negotiate{'s' if len(back) == 1 else ''} again")
    return _merge(base, raw), [_File(str(path), node, inherited), *parents]


def _brought_back(parent: dict[str, Any], child: dict[str, Any]) -> list[str]:
    """The members a parent's `participants.exclude` leaves out and the child's, which replaces
    it, does not."""
    def excluded(raw: dict[str, Any]) -> list[Any] | None:
        participants = raw.get("participants")
        listed = participants.get("exclude") if isinstance(participants, dict) else None
        return listed if isinstance(listed, list) else None

    before, after = excluded(parent), excluded(child)
    if before is None or after is None:
        return []
    return [str(code) for code in dict.fromkeys(before) if code not in after]


def _apply_parameters_file(raw: dict[str, Any], path: Path) -> None:
    """`parameters_file:` (a parameter file as `mc11 calibrate` writes it, relative to this
    file): its `parameters` go under this file's own, which win; its `rounds` (own data only)
    do not apply to a scenario's calendar."""
    from simulation.inputs.own_parameters import read_own_parameters

    name = raw.pop("parameters_file", None)
    if name is None:
        return
    if not isinstance(name, str) or "\0" in name:
        raise InputError(str(path), "parameters_file", "must be the path of a parameter file")
    target = resolved(path.parent / name)
    if not target.is_file():
        raise InputError(str(path), "parameters_file", f"the parameter file {name!r} is not a "
                         f"file ({target}); the path is relative to this file's folder")
    read_own_parameters(target)  # unknown keys and values out of range stop here
    given = read_yaml(target) or {}
    own = raw.get("parameters") if isinstance(raw.get("parameters"), dict) else {}
    raw["parameters"] = _merge(given.get("parameters") or {}, own)


def _repeated(codes: list[str]) -> list[str]:
    """The codes a list names more than once, in order."""
    return [code for code, count in Counter(codes).items() if count > 1]


def _threshold_notes(spec: ScenarioSpec, priors: Mapping[str, Prior]) -> list[str]:
    """A note when a member could leave a coalition at an affinity that would make it join:
    members between the two thresholds then join and leave in alternate months."""
    def reach(name: str) -> tuple[float, float]:
        prior = priors.get(f"parameters.coalitions.{name}")
        value = getattr(spec.parameters.coalitions, name)
        return prior.support if prior is not None else (value, value)

    join, leave = reach("join_threshold")[0], reach("leave_threshold")[1]
    if leave <= join:
        return []
    return [f"coalitions.leave_threshold (up to {leave:g}) can exceed coalitions.join_threshold "
            f"(from {join:g}): members whose affinity lies between them join a coalition and "
            "leave it again the next month; the defaults keep leaving below joining"]


def _emphasis_notes(rules: DerivationRules) -> list[str]:
    """A note when a weaker emphasis weighs as much as a stronger one at the scenario's values:
    the derivation ranks them headline > stated > mentioned (README, "How preferences are
    derived")."""
    weights = rules.emphasis_salience
    return [f"{emphasis_path(weaker)} ({weights[weaker]:g}) is not below "
            f"{emphasis_path(stronger)} ({weights[stronger]:g}): here a {weaker} stance weighs "
            f"at least as much as a {stronger} one, where the derivation ranks {stronger} above "
            f"{weaker}, as the defaults do"
            for stronger, weaker in itertools.pairwise(EMPHASES)
            if weights[weaker] >= weights[stronger]]


def scenario_from_mapping(
    raw: dict[str, Any], source: str = "<scenario>", files: list[_File] | None = None,
    notes: tuple[str, ...] = (),
) -> Scenario:
    """Validate a scenario given as plain data (the loader and notebooks both use this);
    `files`, from the loader, lets errors name the file and line that wrote a bad value."""
    files = files or []
    raw, priors = extract_priors(raw, source, files)
    context = paper_context(default_catalogue().proposals,
                            raw.get("proposals") if isinstance(raw, dict) else None)
    try:
        spec = ScenarioSpec.model_validate(raw, context=context)
    except ValidationError as exc:
        field, problem = validation_problem(exc, ScenarioSpec, LOADER_KEYS,
                                            settable.by_location)
        if field in ("priors", "prior"):  # README, "Priors": no section of their own
            problem += (f"; a prior is written in place of a number under {_PRIOR_UNDER} "
                        "(parameters: {consensus: {min_step: {uniform: [5, 15]}}})")
        error = reported_error(exc)
        location = value_location(error)
        if is_prior(error["input"]) and location and location[0] not in _PRIOR_SECTIONS:
            problem = _no_prior_in(location, error["input"])  # `set_position: {uniform: ...}`
        path, line, own = _origin(files, source, location)
        merged = f"{location[0]}.{location[1]}" if len(location) > 1 else None
        if (merged and own[1] != location[1] and location[0] != "overrides"
                and (field + ".").startswith(merged + ".")):
            # an entry of a list that adds to the parent's: its index in the file that wrote it
            # (an override keeps the merged list's, which `--set overrides.N` and priors use)
            field = f"{own[0]}.{own[1]}{field[len(merged):]}"
        raise InputError(path, at_line(field, line), problem) from None
    base = default_catalogue()
    _check_what_if_symbols(spec, base, files, source)
    catalogue = _extend_catalogue(base, spec)
    _check_references(catalogue, spec, files, source)
    actors = [m.code for m in catalogue.actors]
    for index, code in enumerate(spec.participants.exclude):
        if code not in actors:
            path, line, _ = _origin(files, source, ("participants", "exclude", index))
            raise InputError(path, at_line("participants.exclude", line),
                             catalogue.not_an_actor(code))
    left = [code for code in actors if code not in spec.participants.exclude]
    if len(left) < 2:
        path, line, _ = _origin(files, source, ("participants", "exclude"))
        raise InputError(path, at_line("participants.exclude", line),
                         f"leaves {len(left)} of the {len(actors)} negotiating members "
                         f"({', '.join(left) or 'none'}); a negotiation needs at least two: "
                         "exclude fewer members")
    places = []
    for index, override in enumerate(spec.overrides):
        path, line, _ = _origin(files, source, ("overrides", index))
        # the merged list's index, as `--set overrides.N` counts; the line finds it in its file
        where = at_line(f"overrides.{index}", line)
        check_override(override, where, catalogue, path)
        places.append(f"{Path(path).name} {where}")
    notes = list(notes)
    twice = _repeated(spec.participants.exclude)
    if twice:
        notes.append(f"participants.exclude names {', '.join(twice)} more than once; each is "
                     "left out once")
    for place, override in zip(places, spec.overrides, strict=True):
        twice = _repeated(override.members or [])
        if twice:
            notes.append(f"{place} names {', '.join(twice)} more than once; the override acts "
                         "on each once")
        left_out = [code for code in override.members or [] if code in spec.participants.exclude]
        if left_out:
            notes.append(f"{place} names {', '.join(left_out)}, which participants.exclude "
                         "leaves out of the negotiation: the override does not reach them")
    notes.extend(_fraction_notes(spec, files, source, places))
    notes.extend(_new_stance_notes(spec, base, files, source))
    notes.extend(_replaced_stance_notes(spec, base, files, source))
    notes.extend(_threshold_notes(spec, priors))
    rules = _rules(spec.derivation)
    notes.extend(_emphasis_notes(rules))
    table = apply_overrides(derive_preferences(catalogue, rules), spec.overrides, catalogue,
                            rules, notes, places, spec.participants.exclude)
    # the table the runs start from: members left out of the negotiation are not in it
    table = table[~table["member"].isin(spec.participants.exclude)].reset_index(drop=True)
    calendar_path = None
    if spec.calendar is not None:  # relative to the file that names it (maybe a parent)
        named_in, line, _ = _origin(files, source, ("calendar",))
        field = at_line("calendar", line)
        base_dir = Path(named_in).parent if named_in != "<scenario>" else Path.cwd()
        if "\0" in spec.calendar:
            raise InputError(named_in, field, "a file name cannot contain a NUL byte")
        calendar_path = resolved(base_dir / spec.calendar)
        if not calendar_path.is_file():
            raise InputError(named_in, field, f"the calendar file {spec.calendar!r} is not a "
                             f"file ({calendar_path}); the path is relative to this file's "
                             "folder")
        kinds = {period.kind for period in load_calendar(calendar_path)}
        absent = [kind for kind in spec.calendar_levels if kind not in kinds]
        if absent:
            kind = "that kind" if len(absent) == 1 else "those kinds"
            notes.append(f"calendar_levels sets {', '.join(absent)}, but the calendar "
                         f"{spec.calendar} has no period of {kind}: those levels (and any prior "
                         "on them) change no run")
    notes.extend(_date_notes(spec, load_calendar(calendar_path)[0].month, files, source))
    return Scenario(spec, Path(source) if source != "<scenario>" else None, catalogue, table,
                    calendar_path, tuple(notes), priors)


_PRIOR_SECTIONS = ("parameters", "derivation", "calendar_levels", "overrides")
_PRIOR_UNDER = f"{', '.join(_PRIOR_SECTIONS[:-1])} or {_PRIOR_SECTIONS[-1]}"
PRIOR_PLACES = ("parameters.<group>.<name>, calendar_levels.<kind>.attention|pressure, "
                "derivation.emphasis_salience.<emphasis>, derivation.engaged_sponsor_mandate "
                "(its two numbers), derivation.imputed.<status> (its three numbers), "
                f"overrides.<index>.{'|'.join(OVERRIDE_FIELDS)} (a value the override gives)")
"""Where a scenario may write a prior (README, "Priors"), for the errors of one elsewhere."""


def extract_priors(raw: dict[str, Any], source: str, files: list[_File]
                   ) -> tuple[dict[str, Any], dict[str, Prior]]:
    """The scenario with each prior replaced by its central value (validated as the constant
    itself), and the priors by path (one elsewhere is left for the schema to refuse)."""
    found: dict[str, Prior] = {}
    raw = copy.deepcopy(raw)

    def visit(node: Any, location: tuple[Any, ...]) -> None:
        items = node.items() if isinstance(node, dict) else \
            enumerate(node) if isinstance(node, list) else ()
        for key, value in list(items):
            here = (*location, key)
            # a mapping where a number belongs is a distribution, maybe a misspelt one
            if not is_prior(value) and not (isinstance(value, dict) and settable.by_location(here)):
                visit(value, here)
                continue
            path, line, _ = _origin(files, source, here)
            constant = settable.by_location(here)
            # names, not indices: derivation.uncertainty.imputed.position_sd
            where = at_line(constant.path if constant else field_path(ScenarioSpec, here), line)
            if constant is None:
                raise InputError(path, where, _not_settable(here))
            try:
                prior = parse_prior(value, constant)
            except ValueError as exc:
                raise InputError(path, where, str(exc)) from None
            found[constant.path] = prior
            node[key] = prior.nominal

    for section in _PRIOR_SECTIONS:
        if isinstance(raw, dict) and section in raw:  # not a mapping: the schema says so
            visit(raw[section], (section,))
    return raw, found


def _not_settable(location: tuple[Any, ...]) -> str:
    """Why a prior cannot stand at `location`: the field is not numeric, or there is none."""
    holds = settable.non_numeric(location)
    if holds:
        return f"a prior needs a numeric constant; this field is {holds}, so give it one value"
    if location[:2] == ("derivation", "uncertainty"):
        return ("the spreads of derivation.uncertainty take plain numbers, [position sd, "
                "salience sd], not priors: they set how widely each preference is drawn")
    written = ".".join(map(str, location))
    paths = list(settable.constants())
    return f"no numeric constant here{suggest(written, paths)}; priors may stand on: {PRIOR_PLACES}"


def _no_prior_in(location: tuple[Any, ...], prior: object) -> str:
    """Why a prior cannot stand at `location`, outside parameters, calendar_levels,
    derivation and overrides: a paper's stance, the seed take one value."""
    allowed = allowed_range(ScenarioSpec, location) or "one value"
    return (f"{shown_value(prior)} is a prior, which cannot stand in {location[0]}; allowed: "
            f"{allowed}; priors may stand only on: {PRIOR_PLACES}")


def _check_what_if_symbols(spec: ScenarioSpec, base: Catalogue, files: list[_File],
                           source: str) -> None:
    """A what-if paper under a shipped paper's symbol, or an earlier what-if's, is an error at
    its own line, naming where the symbol is already (not "appears twice" at the list's line)."""
    shipped = [p.symbol for p in base.proposals]
    earlier: list[str] = []
    for index, proposal in enumerate(spec.proposals):
        symbol = proposal.symbol
        if symbol in shipped:
            taken = (f"{symbol!r} is a shipped paper's symbol (simulation/data/proposals.yaml); "
                     f"allowed: a symbol of the what-if paper's own, not one of "
                     f"{', '.join(shipped)} (to change what a shipped paper's sponsors want, "
                     "override them: `sponsors_of`)")
        elif symbol in earlier:
            path, line, location = _origin(files, source, ("proposals", earlier.index(symbol)))
            first = f"line {line} of {Path(path).name}" if line is not None else \
                f"proposals.{location[1]}"  # a mapping given without its file's lines
            taken = (f"{symbol!r} is already the symbol of the what-if paper at {first}; "
                     "allowed: a symbol of each paper's own")
        else:
            earlier.append(symbol)
            continue
        path, line, location = _origin(files, source, ("proposals", index, "symbol"))
        raise InputError(path, at_line(f"proposals.{location[1]}.symbol", line), taken)


def _check_references(catalogue: Catalogue, spec: ScenarioSpec, files: list[_File],
                      source: str) -> None:
    """`check_references` on the scenario's proposals and group stances, its errors naming the
    file and line of the entry at fault (the file of `extends` that wrote it)."""
    try:
        check_references(catalogue, f"{source} (proposals)", f"{source} (group_stances)")
    except EntryError as error:
        keys = ([p.symbol for p in spec.proposals] if error.listed == "proposals"
                else [g.id for g in spec.group_stances])
        place = ((error.listed, keys.index(error.entry)) if error.entry in keys
                 else (error.listed,))  # a whole-list error (`symbol` twice): the list's line
        path, line, _ = _origin(files, source, place)
        raise InputError(path, at_line(error.field, line), error.problem) from None


def _fraction_notes(spec: ScenarioSpec, files: list[_File], source: str, places: list[str]
                    ) -> list[str]:
    """A note for each position the scenario writes between 0 and 1 (or -1 and 0, a shift):
    legal, but positions are read on the 0-100 scale, so 0.5 may be a share meant as 50 (a
    salience of 90, the reverse slip, is out of range)."""
    written = [(place, what, getattr(override, what))
               for place, override in zip(places, spec.overrides, strict=True)
               for what in ("set_position", "shift_position")]
    for listed, entries in (("proposals", spec.proposals), ("group_stances", spec.group_stances)):
        for index, entry in enumerate(entries):
            stances = [(("stances", number), stance) for number, stance in enumerate(entry.stances)]
            if isinstance(entry, GroupStance) and entry.on_new_disciplines is not None:
                stances.append((("on_new_disciplines",), entry.on_new_disciplines))
            for within, stance in stances:
                if 0 < stance.position < 1:
                    path, line, own = _origin(files, source, (listed, index, *within, "position"))
                    place = f"{Path(path).name} {at_line(field_path(ScenarioSpec, own[:-1]), line)}"
                    written.append((place, "position", stance.position))
    return [note for place, what, value in written if (note := fraction_note(place, what, value))]


def fraction_note(place: str, what: str, value: float | None) -> str | None:
    """The note on a position `value` (`what`, written at `place`) between 0 and 1, or -1 and
    0 for a shift: read on the 0-100 scale, it may be a share meant as 100 times it; else None."""
    if value is None or not 0 < abs(value) < 1:
        return None
    return (f"{place}: {what} {value:g} is read on the 0-100 scale of positions, not as a "
            f"share of 1: did you mean {value * 100:g}?")


def _written_at(files: list[_File], source: str, location: tuple[Any, ...]) -> str:
    """Where a note says the entry at `location` stands: the file that wrote it, its line and
    the field there (`parent.yaml line 4: group_stances.0`), or the field of a mapping given
    without files."""
    path, line, own = _origin(files, source, location)
    field = field_path(ScenarioSpec, own)
    return f"{Path(path).name} {at_line(field, line)}" if line else field


def _new_stance_notes(spec: ScenarioSpec, base: Catalogue, files: list[_File], source: str
                      ) -> list[str]:
    """A note for each of the scenario's group stances that adds a new id close to a shipped
    one: a misspelt id adds a stance beside the shipped one, which it was meant to replace."""
    shipped = [g.id for g in base.group_stances]
    return [f"{_written_at(files, source, ('group_stances', index))}: {g.id!r} is a new stance, "
            f"added beside the shipped ones{hint}; to replace a shipped stance, use its id"
            for index, g in enumerate(spec.group_stances)
            if g.id not in shipped and (hint := suggest(g.id, shipped))]


def _replaced_stance_notes(spec: ScenarioSpec, base: Catalogue, files: list[_File],
                           source: str) -> list[str]:
    """A note for each of the scenario's group stances that replaces another of its id (the
    one the scenario would otherwise have: a parent's, else the shipped one) without restating
    some of its stances: the replacement is whole, so its members take the next rule on those
    issues (a broader stance or an imputed default), which a user changing only a flag
    (`doha_linked: false`) may not mean; `on_new_disciplines: null` drops that one knowingly.
    Likewise for a flag set to true (or a leader) that it leaves out: a flag not written is
    false, not the replaced stance's; `bloc: false` written drops it knowingly."""
    replaced = {g.id: (g, "the shipped stance of that id", "`mc11 stances`")
                for g in base.group_stances}
    final: dict[str, tuple[int, GroupStance, tuple[GroupStance, str, str] | None]] = {}
    for index, stance in enumerate(spec.group_stances):  # a later one of an id replaces it
        final[stance.id] = (index, stance, replaced.get(stance.id))
        name = Path(_origin(files, source, ("group_stances", index))[0]).name
        replaced[stance.id] = (stance, f"the stance of that id in {name}", f"`mc11 stances {name}`")
    notes = []
    for index, stance, before in final.values():
        if before is None:
            continue
        old, what, listing = before
        place = _written_at(files, source, ("group_stances", index))
        kept = {s.issue for s in stance.stances}
        dropped = [s.issue for s in old.stances if s.issue not in kept]
        if (old.on_new_disciplines is not None and stance.on_new_disciplines is None
                and "on_new_disciplines" not in stance.model_fields_set):  # not `: null`
            dropped.append("on_new_disciplines")
        if dropped:
            notes.append(f"{place}: {stance.id!r} replaces {what} whole, and does not "
                         f"restate its {', '.join(dropped)}: its members take the next rule "
                         "there (a broader group stance or an imputed default); restate what "
                         f"you keep ({listing} lists them)")
        lost = [flag for flag in _FLAG_LOSSES if getattr(old, flag)
                and flag not in stance.model_fields_set]  # not `: false`
        if lost:
            old_flags = ", ".join(f"`{flag}: true`" for flag in lost)
            dropped_flags = ", ".join(f"`{flag}: false`" for flag in lost)
            advice = (f"restate it to keep it, or write {dropped_flags} to drop it knowingly"
                      if len(lost) == 1 else "restate those you keep, and write "
                      f"{dropped_flags} for those you drop knowingly")
            notes.append(f"{place}: {stance.id!r} replaces {what} whole, and does not "
                         f"restate its {old_flags}: a replacement inherits none of them, so "
                         f"{_and(_FLAG_LOSSES[f] for f in lost)}; {advice}")
    return notes


# what a replacement that leaves out a replaced stance's flag changes (not its leader: a label)
_FLAG_LOSSES = {
    "doha_linked": "the Doha linkage no longer cuts its members' tolerance on new disciplines "
                   "at MC11 (linkage_cut)",
    "bloc": "its members no longer negotiate as a bloc (no coalition of the group, no accepting "
            "or objecting as one at MC11)",
}


def _and(parts: Iterable[str]) -> str:
    """Phrases joined as a list in words: `a`, `a and b`, `a, b and c`."""
    *rest, last = parts
    return f"{', '.join(rest)} and {last}" if rest else last


def _date_notes(spec: ScenarioSpec, first: str, files: list[_File], source: str) -> list[str]:
    """A note for each what-if paper dated after the calendar's first month (`first`, YYYY-MM):
    a date is a record only, and every paper is in place from the first month."""
    return [f"{_written_at(files, source, ('proposals', index, 'date'))}: {p.symbol!r} is dated "
            f"{p.date}, after the calendar's first month ({first}): a paper's date is a record "
            "only, so its stances and its sponsors' coalition act from the first month all the "
            "same" for index, p in enumerate(spec.proposals)
            if p.date is not None and f"{p.date:%Y-%m}" > first]


def _extend_catalogue(catalogue: Catalogue, spec: ScenarioSpec) -> Catalogue:
    """Add hypothetical proposals and replace or add group stances (by id)."""
    replaced = {g.id: g for g in spec.group_stances}
    groups = [replaced.pop(g.id, g) for g in catalogue.group_stances] + list(replaced.values())
    return replace(catalogue, proposals=catalogue.proposals + tuple(spec.proposals),
                   group_stances=tuple(groups),
                   what_ifs=catalogue.what_ifs | {p.symbol for p in spec.proposals})


def _rules(derivation: Derivation) -> DerivationRules:
    defaults = DerivationRules()
    changes = {k: v for k, v in derivation.model_dump().items() if v is not None}
    for key in ("emphasis_salience", "imputed", "uncertainty"):
        if key in changes:
            changes[key] = {**getattr(defaults, key), **changes[key]}
    return replace(defaults, **changes)


def load_scenario(path: Path | str) -> Scenario:
    """Read, merge (`extends`: a child's name and description are its own, never a parent's)
    and validate a scenario file."""
    if "\0" in str(path):
        raise InputError(repr(str(path)), "(file)", "a file name cannot contain a NUL byte")
    path = resolved(path)
    shipped = DEFAULT_SCENARIO.parent / path.name
    if not path.exists() and shipped.is_file():
        near = os.path.relpath(shipped)
        raise InputError(str(path), "(file)", f"the file does not exist; the shipped scenario of "
                         f"that name is {shipped if near.startswith('..') else near}")
    notes: list[str] = []
    raw, files = _read(path, notes=notes)
    own = files[0].node
    if len(files) > 1 and not walk_yaml(own, ("description",))[0]:
        raw.pop("description", None)  # a parent's describes the parent's what-if, not this one
    states_name = isinstance(own, yaml.MappingNode) and any(k.value == "name"
                                                             for k, _ in own.value)
    if len(files) > 1 and not states_name:
        if not re.fullmatch(NAME_PATTERN, path.stem):
            raise InputError(str(path), "name", "a scenario that extends another needs its own "
                             "name (it does not inherit its parent's), and the file name is not "
                             f"one: {NAME_CHARACTERS}; add `name:`")
        raw["name"] = path.stem
        notes.append(f"{path.name} extends {Path(files[1].path).name} without a `name:`; it is "
                     f"named {path.stem!r} after its file (a what-if never inherits its "
                     "parent's name)")
    return scenario_from_mapping(raw, str(path), files, tuple(notes))


"""The dashboard's bridge to the model: scenario edits, what-if ensembles and their tables.

Pure functions and plain data, so everything the page shows is testable without a browser.
Edits become the scenario file's own `overrides` and `parameters` and are validated by the
scenario loader (the same messages as the CLI); ensembles run on the same chunks and seeds as
`mc11 run`, so the same seed and edits give the same tables.
"""

from __future__ import annotations

import copy
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel

from simulation.engine.parameters import Parameters
from simulation.errors import InputError, unwritable, write_new
from simulation.inputs import DEFAULT_SCENARIO
from simulation.inputs.catalogue import CLUSTERS, GROUP_TITLES, SCALE_WORDS
from simulation.inputs.files import (
    NAME_CHARACTERS,
    NAME_LIMIT,
    NAME_PATTERN,
    field_bounds,
    load_yaml,
)
from simulation.inputs.scenario import (
    Scenario,
    load_scenario,
    scenario_from_mapping,
)
from simulation.report import summary
from simulation.report.figures import bloc_members
from simulation.report.tables import issues_frame, period_tables, summary_tables
from simulation.runs.aggregate import Aggregate
from simulation.runs.ensemble import chunk_bounds, run_chunks, runs_pair
from simulation.runs.progress import duration
from simulation.runs.results import estimate
from simulation.runs.workers import default_workers

SCENARIO_DIR = DEFAULT_SCENARIO.parent
WHAT_IF_SUFFIX = "-what-if"  # of the name of a what-if made on the page
Who = Literal["members", "group", "sponsors_of"]
WHO_LABELS: dict[str, str] = {"members": "a member", "group": "a group",
                              "sponsors_of": "a proposal's sponsors"}


def shipped_scenarios() -> list[Path]:
    """The scenario files that come with the tool (scenarios/*.yaml), baseline first."""
    files = sorted(SCENARIO_DIR.glob("*.yaml"))
    return sorted(files, key=lambda p: p != DEFAULT_SCENARIO)


@dataclass(frozen=True)
class Edit:
    """One change of position and/or salience: whose (members, a group or a proposal's
    sponsors) on which issue or cluster (neither = every issue)."""

    who: Who
    name: str
    issue: str | None = None
    cluster: str | None = None
    position: float | None = None
    salience: float | None = None

    def override(self) -> dict[str, Any]:
        """The entry of a scenario file's `overrides` list that makes this change."""
        entry: dict[str, Any] = {self.who: [self.name] if self.who == "members" else self.name}
        if self.issue is not None:
            entry["issue"] = self.issue
        if self.cluster is not None:
            entry["cluster"] = self.cluster
        if self.position is not None:
            entry["set_position"] = self.position
        if self.salience is not None:
            entry["set_salience"] = self.salience
        entry["note"] = "dashboard"
        return entry

    def describe(self) -> str:
        """The edit in words for the list of edits: whom, on which issues, the values set."""
        on = self.issue or (f"cluster {self.cluster}" if self.cluster else "every issue")
        what = [f"position {self.position:g}" if self.position is not None else "",
                f"salience {self.salience:g}" if self.salience is not None else ""]
        return f"{self.name} on {on}: {', '.join(w for w in what if w)}"


@dataclass(frozen=True)
class ParameterField:
    """One model parameter as a form field: its dotted path, kind, bounds, choices and what it
    means (the schema's description)."""

    path: str
    kind: Literal["float", "bool", "choice"]
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    meaning: str = ""


def _bounds(info: Any) -> tuple[float | None, float | None]:
    found = field_bounds(info.metadata)
    return found.get("ge", found.get("gt")), found.get("le", found.get("lt"))


def parameter_fields(model: type[BaseModel] = Parameters, prefix: str = "") -> list[ParameterField]:
    """Every field of the parameters schema, in schema order (the one list of parameters)."""
    fields = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            fields.extend(parameter_fields(kind, f"{path}."))
        elif kind is bool:
            fields.append(ParameterField(path, "bool", info.default,
                                         meaning=info.description or ""))
        elif get_args(kind) and all(isinstance(a, str) for a in get_args(kind)):
            fields.append(ParameterField(path, "choice", info.default, choices=get_args(kind),
                                         meaning=info.description or ""))
        else:
            fields.append(ParameterField(path, "float", info.default, *_bounds(info),
                                         meaning=info.description or ""))
    return fields


def parameter_setting(scenario: Scenario, path: str) -> Any:
    """What a scenario sets a dotted parameter path to: its prior (as the file writes it) if it
    has one, else its value."""
    prior = scenario.priors.get(f"parameters.{path}")
    if prior is not None:
        return prior.as_data()
    value: Any = scenario.spec.parameters
    for part in path.split("."):
        value = getattr(value, part)
    return value


def setting_text(setting: Any) -> str:
    """A parameter's value or prior as a form field shows it (YAML flow style)."""
    if isinstance(setting, dict):
        return yaml.safe_dump(setting, default_flow_style=True).strip()
    return f"{setting:g}" if isinstance(setting, float) else str(setting)


def parse_setting(text: str) -> Any:
    """A form field's text as the scenario file would read it (`load_yaml`): a number, or a
    prior mapping; anything the file's reader refuses (0123, which YAML reads as octal 83) is
    passed on as text for the scenario loader to refuse with its message."""
    try:
        return load_yaml(text, "the field")[0]
    except InputError:
        return text


def with_setting(parameters: dict[str, Any], path: str, text: str) -> dict[str, Any]:
    """The form's parameters after a field's text: an emptied field goes back to the scenario's
    own value or prior (it read as YAML's null, shown as "None" and refused)."""
    rest = {key: value for key, value in parameters.items() if key != path}
    return rest if not text.strip() else {**rest, path: parse_setting(text)}


def edited_mapping(base: Scenario, edits: list[Edit], parameters: dict[str, Any],
                   name: str | None = None) -> dict[str, Any]:
    """The base scenario, resolved, with the edits appended to its overrides and the parameter
    values set: the plain data of a scenario file; one given a `name` is another scenario, which
    has no description (the base's describes the base, as a parent's through `extends`)."""
    raw = copy.deepcopy(base.resolved())
    raw["overrides"] = raw["overrides"] + [e.override() for e in edits]
    for path, value in parameters.items():
        node = raw["parameters"]
        *parents, last = path.split(".")
        for part in parents:  # a section the schema lacks is made, for the loader to name
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[last] = value
    if name is not None:
        raw["name"] = name
        raw.pop("description", None)
    return raw


def what_if_scenario(base: Scenario, edits: list[Edit], parameters: dict[str, Any],
                     name: str | None = None) -> Scenario:
    """The edited scenario, validated as a scenario file is (InputError with the CLI's message,
    said of the form's changes to the file, not of the file, which loaded as it is); its notes
    name each of the form's changes as the page lists it, not as an entry of the file's
    overrides that the file does not have."""
    source = str(base.path) if base.path is not None else "<scenario>"
    if name is None and (edits or parameters):  # the base's name cut to leave room for it
        name = f"{base.name[:NAME_LIMIT - len(WHAT_IF_SUFFIX)]}{WHAT_IF_SUFFIX}"
    try:
        scenario = scenario_from_mapping(edited_mapping(base, edits, parameters, name), source)
    except InputError as error:
        if not (edits or parameters):
            raise
        raise InputError(f"the form's changes to {source}", error.field, error.problem) from None
    own = len(base.spec.overrides)  # the form's changes come after the scenario's own overrides

    def change(found: re.Match) -> str:
        index = int(found.group(1)) - own
        return found.group(0) if index < 0 else f"change {index + 1} ({edits[index].describe()})"

    place = re.compile(rf"{re.escape(Path(source).name)} overrides\.(\d+)\b")
    return replace(scenario, notes=tuple(place.sub(change, note) for note in scenario.notes))


def saved_scenario(base: Scenario, edits: list[Edit], parameters: dict[str, Any], name: str,
                   runs: int, seed: int) -> Scenario:
    """The what-if as "save as scenario" writes it: named, with the page's runs and seed, so
    that `mc11 run FILE` reproduces what the page showed."""
    return what_if_scenario(base, edits, parameters, name).with_changes(replications=runs,
                                                                        seed=seed)


def current_values(scenario: Scenario, who: Who, name: str, issue: str | None,
                   cluster: str | None) -> tuple[float, float] | None:
    """Mean position and salience of the chosen members on the chosen issues, before any edit
    (where the form's sliders start); None when the choice selects nobody."""
    probe = Edit(who, name, issue, cluster, salience=0.5)
    try:
        edited = scenario_from_mapping(edited_mapping(scenario, [probe], {}))
    except InputError:
        return None
    chosen = scenario.preferences[edited.preferences["source"] != scenario.preferences["source"]]
    if chosen.empty:
        return None
    return float(chosen["position"].mean()), float(chosen["salience"].mean())


def who_choices(scenario: Scenario) -> dict[str, dict[str, str]]:
    """The names each kind of edit may name (member codes, groups, proposal symbols), each with
    its words in the form: a member's code and name, a group's name (its group stance's, which
    an override selects, else its tag's title) and id, a proposal's symbol and title."""
    catalogue = scenario.catalogue
    titles = {**GROUP_TITLES, **{g.id: g.name for g in catalogue.group_stances}}
    return {"members": {m.code: f"{m.code} – {m.name}" for m in catalogue.actors},
            "group": {g: f"{titles[g]} – {g}" for g in catalogue.group_names},
            "sponsors_of": {p.symbol: f"{p.symbol} – {p.title}" for p in catalogue.proposals}}


def cluster_choices() -> list[str]:
    """The issue clusters an edit may name."""
    return list(CLUSTERS)


@dataclass(frozen=True)
class Tables:
    """What the page shows of one ensemble: the summary (as `mc11 run` writes it) and support
    over the calendar. Small, as the page keeps those of the baselines it ran last."""

    scenario: Scenario
    runs: int
    seed: int
    summary: pd.DataFrame
    support: pd.DataFrame
    events: np.ndarray  # (runs, k, 1) uint8: summary.run_events' bits packed, to pair runs
    levels: pd.DataFrame  # text_levels.csv: each kind of deal's runs and texts
    blockers: pd.DataFrame  # blockers.csv: each member's blocking count and share, per issue

    def summary_csv(self) -> str:
        """The summary table as `mc11 run` writes summary.csv."""
        return self.summary.to_csv(index=False)


def ensemble_chunks(scenario: Scenario, runs: int, seed: int, workers: int | None = None
                    ) -> Iterator[Any]:
    """The ensemble's chunks as they finish, on `mc11 run`'s chunks and seeds; closing the
    iterator cancels the chunks not started yet."""
    return run_chunks(scenario.negotiation(), scenario.spec.parameters, seed,
                      chunk_bounds(runs), default_workers(workers), scenario.priors)


def estimate_words(ensembles: dict[str, Scenario], runs: int, workers: int) -> str:
    """In words, about how long `runs` replications of each scenario take on `workers` workers
    (`mc11 run`'s estimate, each at its own protocol's speed), and of which scenarios the runs
    are (`ensembles`, by what each is in words, in the order they run); '' for none."""
    if not ensembles:
        return ""
    costs = [estimate(s.negotiation(), s.spec.parameters.bargaining, runs, workers)
             for s in ensembles.values()]
    bases = "; ".join(dict.fromkeys(cost.basis for cost in costs))
    which = (f" of {next(iter(ensembles))}" if len(ensembles) == 1 else
             ": " + " and ".join(f"{runs:,} of {words}" for words in ensembles))
    return (f"about {duration(sum(cost.seconds for cost in costs))} on {workers} worker(s) for "
            f"{len(ensembles) * runs:,} runs{which} ({bases}; longer on a busy machine)")


class Baselines:
    """The baseline ensembles the pages have run, shared by every open page, so that Run does
    not redo them: the `size` used last are kept (a million runs' tables take about 25 MB).
    `stored` counts those ever kept, for what depends on which are cached. Each page's runs
    finish in a thread of their own, hence the lock."""

    def __init__(self, size: int) -> None:
        self.size, self.stored = size, 0
        self._tables: OrderedDict[tuple[str, int, int], Tables] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, key: tuple[str, int, int]) -> bool:
        return key in self._tables

    def get(self, key: tuple[str, int, int]) -> Tables | None:
        """The baseline of (input hash, runs, seed), marked as used last; None if not kept."""
        with self._lock:
            if key in self._tables:
                self._tables.move_to_end(key)
            return self._tables.get(key)

    def keep(self, key: tuple[str, int, int], tables: Tables) -> None:
        """Keep a baseline, forgetting the one used longest ago if `size` are kept."""
        with self._lock:
            self._tables[key] = tables
            self._tables.move_to_end(key)
            while len(self._tables) > self.size:
                self._tables.popitem(last=False)
            self.stored += 1


def run_what_if(scenario: Scenario, runs: int, seed: int, workers: int | None = None,
                on_progress: Callable[[int], None] | None = None,
                keep_going: Callable[[], bool] = lambda: True) -> Tables | None:
    """Run the ensemble and its tables; None when `keep_going` said stop before the start (a
    cancel while the baseline ran must not start the what-if) or before the last chunk
    finished (the work stops at the next finished chunk: the chunks not started are cancelled;
    a stop after the last one keeps the finished ensemble)."""
    if not keep_going():
        return None
    chunks, done = [], 0
    stream = ensemble_chunks(scenario, runs, seed, workers)
    try:
        for chunk in stream:
            chunks.append(chunk)
            done += len(chunk.outcome)
            if on_progress is not None:
                on_progress(done)
            if done < runs and not keep_going():
                return None
    finally:
        stream.close()
    chunks.sort(key=lambda c: c.start)  # combined in replication order
    aggregate = Aggregate(scenario.negotiation(), runs)
    for chunk in chunks:
        aggregate.add(chunk)
    table, members, levels = summary_tables(scenario, aggregate)
    events = np.concatenate([np.packbits(summary.run_events(c.outcome, c.text), axis=-1)
                             for c in chunks])  # a byte per run and issue
    return Tables(scenario, runs, seed, table, period_tables(aggregate)["support"], events,
                  levels, members["blockers"])


def comparison(baseline: Tables, what_if: Tables) -> pd.DataFrame:
    """Per issue, what-if minus baseline for each outcome share, with Newcombe 95% intervals:
    paired run by run where both ran the same runs of one seed (as `mc11 compare` does)."""
    def events(tables: Tables) -> np.ndarray:
        return np.unpackbits(tables.events, axis=-1, count=len(summary.COMPARED)).astype(bool)

    paired = (summary.paired_counts(events(baseline), events(what_if))
              if runs_pair((baseline.seed, baseline.runs), (what_if.seed, what_if.runs))
              else None)
    return summary.compare(baseline.summary.set_index("issue"), what_if.summary.set_index("issue"),
                           paired).rename_axis("issue").reset_index()


def text_levels(tables: Tables) -> pd.DataFrame:
    """Per issue: the agreed text's median and 10-90% range, each kind's median where both
    multilateral and plurilateral deals are common (`by_kind`), the status quo and the scale's
    anchor words (issues.yaml) at 0, 50 and 100."""
    issues = issues_frame(tables.scenario)
    frame = tables.summary.set_index("issue")[["text_median", "text_p10", "text_p90"]]
    frame["by_kind"] = pd.Series(summary.each_kind_medians(tables.levels, tables.runs),
                                 dtype=object)
    words = issues[[f"scale_{point}" for point in SCALE_WORDS]].set_axis(SCALE_WORDS, axis=1)
    return frame.join(issues["status_quo"]).join(words).reset_index()


def blocker_changes(baseline: Tables, what_if: Tables, top: int = 3) -> dict[str, str]:
    """Per issue, the `top` largest changes in blocking shares from the baseline to the what-if
    ('IND 0.18 -> <0.01 -0.18 [-0.21, -0.15]*', as `mc11 compare --blockers` shows them; the
    runs taken as independent, as the page keeps no run's blockers)."""
    table = summary.compare_blockers(baseline.summary.set_index("issue"),
                                     what_if.summary.set_index("issue"), baseline.blockers,
                                     what_if.blockers)
    blocs = summary.common_blocs(*(bloc_members(t.scenario, t.scenario.negotiation())
                                   for t in (baseline, what_if)))
    view = summary.largest_blocker_changes(table, blocs, top)
    return {issue: "; ".join(f"{row.blocker} {row.share} {row.change}"
                             for row in rows.itertuples())
            for issue, rows in view.groupby("issue", sort=False)}


SAVED_HEADER = ("# Every value written out, so that `mc11 run` of this file reproduces the page's "
                "results.\n# `proposals` and `group_stances` list only what-if papers and "
                "replaced stances: the shipped ones\n# (simulation/data/proposals.yaml, "
                "groups.yaml) stay in force.\n")


def save_scenario(scenario: Scenario, path: Path | str) -> Path:
    """Write the scenario as a self-contained file (every value resolved) that `mc11 run`
    reproduces exactly, at `path` with `~` as the home folder; never overwrites (InputError if
    the file exists)."""
    path = Path(path).expanduser().absolute()  # the message names where it went
    text = SAVED_HEADER + yaml.safe_dump(scenario.resolved(), sort_keys=False,
                                         allow_unicode=True)
    try:
        write_new(path, text)
    except FileExistsError:
        raise InputError(str(path), "save as", "the file exists already; choose a new name") \
            from None
    except OSError as exc:
        raise InputError(str(path), "save as", f"cannot write the file ({unwritable(exc)}); "
                         "nothing was written there") from None
    return path


def save_what_if(base: Scenario, edits: list[Edit], parameters: dict[str, Any],
                 path: Path | str, runs: int, seed: int) -> Path:
    """"Save as scenario": the what-if, named after the file, written at `path` (a new .yaml
    file); a refusal names that file (the user's), not the base scenario it was made from."""
    name = Path(path).stem
    if Path(path).suffix != ".yaml":
        raise InputError(str(path), "save as", "a scenario file's name ends in .yaml (e.g. "
                         "my_what_if.yaml); nothing was written")
    if not re.fullmatch(NAME_PATTERN, name):
        raise InputError(str(path), "save as", "the file name (without .yaml) becomes the "
                         f"scenario's name: {NAME_CHARACTERS}")
    try:
        scenario = saved_scenario(base, edits, parameters, name, runs, seed)
    except InputError as error:
        raise InputError(str(path), "save as", f"{error.field}: {error.problem}") from None
    return save_scenario(scenario, path)


def workers_gone(error: Exception) -> bool:
    """Whether an ensemble failed because its worker processes are gone, not by a fault of its
    own: a worker ended (a stop signal to the server's process group ends them all, and the
    pool breaks) or the pool was shut down (the server's interpreter exiting)."""
    return isinstance(error, BrokenProcessPool) or (
        isinstance(error, RuntimeError) and "cannot schedule new futures" in str(error))


def initial_scenario() -> Path:
    """The scenario the page opens with: `mc11 dashboard SCENARIO`'s, else the baseline."""
    return Path(os.environ.get("MC11_DASHBOARD_SCENARIO") or DEFAULT_SCENARIO)


def open_scenario(path: Path | str) -> Scenario:
    """Load a scenario file for the form (InputError as the CLI's), `~` as the home folder (as
    Save as scenario reads it)."""
    return load_scenario(Path(path).expanduser())


def try_open(path: Path | str) -> tuple[Scenario | None, str | None]:
    """The scenario of a file, or None and the loader's message (as `mc11 run` prints it)."""
    try:
        return open_scenario(path), None
    except InputError as error:
        return None, str(error)


def try_what_if(base: Scenario, edits: list[Edit], parameters: dict[str, Any]
                ) -> tuple[Scenario | None, str | None]:
    """The edited scenario, or None and the loader's message."""
    try:
        return what_if_scenario(base, edits, parameters), None
    except InputError as error:
        return None, str(error)

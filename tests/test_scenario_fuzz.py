"""Property-based fuzzing of the scenario loader: whatever a user writes, `load_scenario` either
returns a Scenario or raises an InputError with a message; any other exception is a bug.

Each example starts from the text of a shipped scenario (or of the baseline with every default
filled in), mutates its data (wrong types, deleted and extra keys, out-of-range and non-finite
numbers, unknown ids, deeply nested junk, plausible overrides) and then its text or bytes
(random character and byte edits, truncation, shuffled lines and indentation), writes it beside
a copy of baseline.yaml so that `extends: baseline.yaml` resolves, and loads it. Sixty files by
default; the slow-marked variant loads a thousand.

The inputs that once crashed the loader are kept at the end of this file as regression tests.
"""

from __future__ import annotations

import functools
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.errors import InputError
from simulation.inputs.catalogue import CLUSTERS, GROUP_TAGS, STATUSES, default_catalogue
from simulation.inputs.scenario import Scenario, load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SHIPPED = {path.name: path.read_text(encoding="utf-8") for path in sorted(SCENARIOS.glob("*.yaml"))}
KNOWN_KEYS = [
    "name", "description", "replications", "seed", "calendar", "participants", "exclude",
    "parameters", "coalitions", "bargaining", "consensus", "join_threshold", "leave_threshold",
    "founder_loyalty", "bloc_discipline", "protocol", "coalition_rate", "overall_rate",
    "noise_sd", "base_tolerance", "linkage_cut", "min_step", "package", "critical_mass",
    "sample_uncertainty", "derivation", "emphasis_salience", "engaged_sponsor_mandate",
    "imputed", "overrides", "members", "group", "sponsors_of", "status", "issue", "cluster",
    "set_position", "shift_position", "set_salience", "scale_salience", "note", "proposals",
    "group_stances", "extends", "symbol", "sponsors", "stances", "applies_to", "id",
]
YAML_CHARS = [*":-[]{},'\"#&*!|>%@`?\t\n \\", "\x00", "\x7f", "\u00e9", "\ufeff", "0", "."]


@functools.cache
def start_texts() -> dict[str, str]:
    """The shipped scenario files, and the baseline with every default written out."""
    resolved = load_scenario(SCENARIOS / "baseline.yaml").resolved()
    return {**SHIPPED, "baseline-resolved.yaml": yaml.safe_dump(resolved, sort_keys=False)}


@functools.cache
def known_ids() -> list[str]:
    catalogue = default_catalogue()
    real = ([m.code for m in catalogue.actors] + catalogue.issue_ids
            + [p.symbol for p in catalogue.proposals] + [g.id for g in catalogue.group_stances])
    return [*real[::7], *GROUP_TAGS, *CLUSTERS, *STATUSES,
            "USX", "usa", "EUR", "data_flow", "JOB/GC/95", "african_grop", "", "baseline.yaml"]


# --------------------------------------------------------------------------- strategies

special_numbers = st.sampled_from([
    math.nan, math.inf, -math.inf, -1, -0.0, 0, 1, 1.5, 100, 100.0001, 101, -100.5, 1e308,
    -1e308, 5e-324, 2**63, 2**63 - 1, -(2**63), 10**30, 0.9, 11,
])
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), special_numbers,
    st.text(max_size=12), st.sampled_from(["yes", "no", "null", "~", "2017-12-10", "0x1F",
                                           "1e3", "0o17", ".nan", "-.inf", "[", "{a: 1}"]),
)
junk = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=8),
                                  st.integers(-3, 3)), children, max_size=4),
    ),
    max_leaves=12,
)


@st.composite
def deeply_nested(draw) -> Any:
    """A list or mapping nested up to 40 levels deep around a junk leaf."""
    value = draw(scalars)
    for _ in range(draw(st.integers(1, 40))):
        value = [value] if draw(st.booleans()) else {draw(st.sampled_from(KNOWN_KEYS)): value}
    return value


@st.composite
def plausible_override(draw) -> dict[str, Any]:
    """An override entry that is mostly valid, with now and then an unknown id, a value out of
    range, or one selector or action too many or too few."""
    catalogue = default_catalogue()

    def usually(valid: st.SearchStrategy, odd: st.SearchStrategy) -> Any:
        return draw(st.one_of(*[valid] * 4, odd))

    odd_id = st.sampled_from(known_ids())
    choices = {
        "members": st.lists(st.sampled_from([m.code for m in catalogue.actors]), min_size=1,
                            max_size=3),
        "group": st.sampled_from([*GROUP_TAGS, *(g.id for g in catalogue.group_stances)]),
        "sponsors_of": st.sampled_from([p.symbol for p in catalogue.proposals]),
        "status": st.lists(st.sampled_from(STATUSES), min_size=1, max_size=3, unique=True),
    }
    entry: dict[str, Any] = {}
    count = draw(st.sampled_from([1] * 6 + [0, 2]))
    for selector in draw(st.lists(st.sampled_from(sorted(choices)), min_size=count,
                                  max_size=count, unique=True)):
        entry[selector] = usually(choices[selector], odd_id if selector != "members"
                                  else st.lists(odd_id, min_size=1, max_size=2))
    where = draw(st.sampled_from(["issue", "cluster", None]))
    if where == "issue":
        entry[where] = usually(st.sampled_from(catalogue.issue_ids), odd_id)
    elif where == "cluster":
        entry[where] = usually(st.sampled_from(CLUSTERS), odd_id)
    ranges = {"set_position": (0, 100), "shift_position": (-100, 100), "set_salience": (0, 1),
              "scale_salience": (0, 10)}
    count = draw(st.sampled_from([1] * 4 + [0, 2]))
    for action in draw(st.lists(st.sampled_from(sorted(ranges)), min_size=count,
                                max_size=count, unique=True)):
        low, high = ranges[action]
        entry[action] = usually(st.floats(low, high), special_numbers)
    return entry


def paths(tree: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (tuple of keys and indices) to a node of a parsed YAML tree, root first."""
    found = [prefix]
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += paths(value, (*prefix, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += paths(value, (*prefix, index))
    return found


def get(tree: Any, path: tuple) -> Any:
    for part in path:
        tree = tree[part]
    return tree


def put(tree: Any, path: tuple, value: Any) -> Any:
    """The tree with the node at path replaced (the root itself when path is empty)."""
    if not path:
        return value
    get(tree, path[:-1])[path[-1]] = value
    return tree


@st.composite
def mutate_tree(draw, tree: Any) -> Any:
    """One structural mutation of a parsed scenario."""
    nodes = paths(tree)
    kind = draw(st.sampled_from(["delete", "replace", "add", "id", "number", "nested", "root"]
                                + ["override"] * 4))
    if kind == "root":
        return draw(junk)
    if kind == "override" and isinstance(tree, dict):
        overrides = tree.get("overrides")
        tree["overrides"] = (overrides if isinstance(overrides, list) else []) + [
            draw(plausible_override())]
        return tree
    if kind == "add":
        mappings = [p for p in nodes if isinstance(get(tree, p), dict)]
        if mappings:
            target = get(tree, draw(st.sampled_from(mappings)))
            key = draw(st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=10)))
            target[key] = draw(st.one_of(junk, st.sampled_from(known_ids())))
            return tree
    inner = [p for p in nodes if p]
    if kind == "delete" and inner:
        path = draw(st.sampled_from(inner))
        del get(tree, path[:-1])[path[-1]]
        return tree
    if not inner:
        return draw(junk)
    path = draw(st.sampled_from(inner))
    if kind == "id":
        return put(tree, path, draw(st.sampled_from(known_ids())))
    if kind == "number":
        return put(tree, path, draw(special_numbers))
    if kind == "nested":
        return put(tree, path, draw(deeply_nested()))
    return put(tree, path, draw(junk))


@st.composite
def mutate_text(draw, text: str) -> str:
    """One textual mutation: a character edit, a cut, or a change of lines or indentation."""
    kind = draw(st.sampled_from(["insert"] * 3 + ["delete", "replace"] * 2
                                + ["truncate", "lines", "indent"]))
    at = draw(st.integers(0, len(text)))
    if kind == "insert":
        return text[:at] + draw(st.sampled_from(YAML_CHARS)) + text[at:]
    if kind == "delete":
        return text[:at] + text[at + draw(st.integers(1, 20)):]
    if kind == "replace":
        return text[:at] + draw(st.sampled_from(YAML_CHARS)) + text[at + 1:]
    if kind == "truncate":
        return text[:at]
    lines = text.split("\n")
    i = draw(st.integers(0, len(lines) - 1))
    if kind == "indent":
        lines[i] = draw(st.sampled_from(["  ", "    ", "\t", " "])) + lines[i]
    else:
        j = draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


@st.composite
def mutated_scenarios(draw) -> bytes:
    """The bytes of a mutated scenario file: data edits (half the examples), text edits, both,
    or byte edits (which mostly make the file invalid UTF-8)."""
    text = start_texts()[draw(st.sampled_from(sorted(start_texts())))]
    mode = draw(st.sampled_from(["tree"] * 5 + ["text"] * 3 + ["both", "bytes"]))
    if mode in ("tree", "both"):
        tree = yaml.safe_load(text)
        for _ in range(draw(st.integers(1, 3))):
            tree = draw(mutate_tree(tree))
        text = yaml.safe_dump(tree, sort_keys=draw(st.booleans()), allow_unicode=True)
    if mode in ("text", "both"):
        for _ in range(draw(st.integers(1, 3))):
            text = draw(mutate_text(text))
    data = bytearray(text.encode("utf-8"))
    if mode == "bytes":
        for _ in range(draw(st.integers(1, 2))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


# --------------------------------------------------------------------------- the property


def load_outcome(folder: Path, content: bytes) -> Scenario | InputError:
    """Load the bytes as folder/scenario.yaml: a Scenario, or the InputError it raised."""
    path = folder / "scenario.yaml"
    path.write_bytes(content)
    try:
        return load_scenario(path)
    except InputError as error:
        return error


def fuzz_settings(examples: int):
    """Hypothesis settings of the loader's fuzz tests: `examples` files."""
    return settings(max_examples=examples, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@fuzz_settings(60)
@given(content=mutated_scenarios())
def test_loader_returns_a_scenario_or_an_input_error(content):
    check_loads(content)


@pytest.mark.slow
@fuzz_settings(1000)
@given(content=mutated_scenarios())
def test_many_files_are_scenarios_or_input_errors(content):
    check_loads(content)


def check_loads(content: bytes) -> None:
    """The loader turns the bytes into a Scenario or an InputError that says what and where."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copy(SCENARIOS / "baseline.yaml", folder / "baseline.yaml")
        outcome = load_outcome(folder, content)
    if isinstance(outcome, InputError):
        assert str(outcome).strip()
        assert outcome.source and outcome.problem
    else:
        assert isinstance(outcome, Scenario)
        assert outcome.name


def test_the_mutations_reach_both_outcomes():
    """The fuzz is not vacuous: unchanged files load, and mutated ones also fail (sanity)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copy(SCENARIOS / "baseline.yaml", folder / "baseline.yaml")
        resolved = start_texts()["baseline-resolved.yaml"]
        assert isinstance(load_outcome(folder, resolved.encode()), Scenario)
        broken = resolved.replace("replications: 1000", "replications: .nan")
        assert isinstance(load_outcome(folder, broken.encode()), InputError)


# ------------------------------------------------------------ inputs that once crashed

CRASHES = {
    "calendar-is-a-folder": ("extends: baseline.yaml\nname: x\ncalendar: .\n", None),
    "calendar-empty-string": ("extends: baseline.yaml\nname: x\ncalendar: ''\n", None),
    "calendar-not-utf8": ("extends: baseline.yaml\nname: x\ncalendar: latin1.yaml\n",
                          b"periods: caf\xe9\n"),
    "calendar-under-a-file": ("extends: baseline.yaml\nname: x\ncalendar: baseline.yaml/x\n",
                              None),
    "nul-in-calendar": ('extends: baseline.yaml\nname: x\ncalendar: "a\\0b"\n', None),
    "nul-in-extends": ('extends: "base\\0line.yaml"\nname: x\n', None),
    "deep-nesting": ("name: x\nparameters: " + "[" * 600 + "]" * 600 + "\n", None),
    "huge-integer": ("name: x\nreplications: " + "9" * 5000 + "\n", None),
}


@pytest.mark.parametrize("name", list(CRASHES))
def test_known_crashes_become_input_errors(tmp_path, name):
    text, extra = CRASHES[name]
    shutil.copy(SCENARIOS / "baseline.yaml", tmp_path / "baseline.yaml")
    if extra is not None:
        (tmp_path / "latin1.yaml").write_bytes(extra)
    crash, outcome = None, None
    try:
        outcome = load_outcome(tmp_path, text.encode())
    except Exception as error:  # report it briefly: a RecursionError traceback is huge
        crash = f"{type(error).__name__}: {str(error)[:200]}"
    if crash is not None:
        pytest.fail(crash, pytrace=False)
    assert isinstance(outcome, InputError), f"loaded without an error: {outcome!r}"[:300]

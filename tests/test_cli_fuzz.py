"""Fuzzing the `mc11` command line (issue 18): subcommands, flags and input files drawn by
hypothesis, including files that are empty, huge, binary, not UTF-8, with a byte-order mark,
with keys stated twice, or YAML whose anchors expand exponentially.

Every outcome must be a valid run (exit 0) or a one-paragraph error with exit 2 (argparse's
usage errors included), never a traceback; and no file that existed before is changed or left
half-written (results are never overwritten; temporary files never stay). A few examples run by
default; the slow-marked variant runs many more.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
LAUGHS = "name: lol\n" + "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]) + "\n"
GOOD = f"extends: {BASELINE}\nname: fuzzed\nreplications: 2\nseed: 5\n"

contents = st.one_of(
    st.just(b""),
    st.just(b"\x00\xff\xfe" * 1000),  # binary
    st.binary(max_size=200),
    st.just("name: caf\xe9\n".encode("latin-1")),  # not UTF-8
    st.just(b"\xef\xbb\xbf" + GOOD.encode()),  # byte-order mark, else valid
    st.just(GOOD.encode()),
    st.just((GOOD + "seed: 6\n").encode()),  # a key stated twice
    st.just(LAUGHS.encode()),
    st.just(("x: " + "y" * 2_000_000 + "\n").encode()),  # huge
    st.just(b"[[[[[[[[[[" * 20000),  # deeply nested
    st.text(max_size=200).map(str.encode),
    st.builds(lambda key, value: f"{GOOD}{key}: {value}\n".encode(),
              st.sampled_from(["parameters", "participants", "overrides", "calendar",
                               "derivation", "replications", "proposals", "extends"]),
              st.one_of(st.sampled_from(["[]", "{}", "null", "-1", "1e999", "nowhere.yaml",
                                         "[{members: [FRA], shift_position: 5}]",
                                         "{exclude: [ZZZ]}", "'\\0'", "*undefined"]),
                        st.text(max_size=20).map(repr))),
)
numbers = st.sampled_from(["1", "2", "0", "-3", "abc", "1e9", "99999999999999999999", ""])


@st.composite
def commands(draw, workspace: Path, complete: Path) -> list[str]:
    """An `mc11` command line: a subcommand with drawn flags, and a drawn scenario file."""
    scenario = workspace / f"s{draw(st.integers(0, 10**9))}.yaml"
    scenario.write_bytes(draw(contents))
    out = draw(st.sampled_from([str(workspace / f"new{draw(st.integers(0, 10**9))}"),
                                str(complete), "/proc/x", str(ROOT / "README.md"),
                                str(ROOT / "README.md" / "x"), ""]))
    command = draw(st.sampled_from(["run", "simulate", "compare", "plot", "preferences",
                                    "issues", "members", "nonsense"]))
    argv = [command]
    if command == "run":
        argv += [str(scenario), "--workers", "1", "--quiet", "--no-plots"]
        argv += draw(st.sampled_from([["--runs", "2"], ["--runs", draw(numbers)], []]))
        argv += draw(st.sampled_from([["--folder", out], ["--resume", out],
                                      ["--results-dir", out], ["--resume", out, "--runs", "3"]]))
        argv += draw(st.sampled_from([[], ["--seed", draw(numbers)], ["--yes"]]))
    elif command == "simulate":
        argv += [str(scenario), *draw(st.sampled_from([[], ["--seed", draw(numbers)],
                                                        ["--format", "json"], ["--out", out]]))]
    elif command in ("compare", "plot"):
        argv += draw(st.lists(st.sampled_from([str(complete), out, str(scenario)]),
                              min_size=0, max_size=3))
        argv += draw(st.sampled_from([[], ["--plot", out], ["--force"], ["--format", "csv"]]))
    elif command == "preferences":
        argv += draw(st.sampled_from([[], ["--member", "FRA"], ["--out", out],
                                      ["--format", "nope"]]))
    return argv


def snapshot(folder: Path) -> dict[Path, str]:
    """Every file under `folder` with a digest of its content."""
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*")
            if p.is_file()}


@pytest.fixture(scope="module")
def places(tmp_path_factory) -> tuple[Path, Path]:
    """A workspace for the drawn files and a complete results folder the commands may name."""
    workspace = tmp_path_factory.mktemp("fuzz")
    complete = workspace / "complete"
    assert run_mc11(["run", str(BASELINE), "--runs", "2", "--folder", str(complete),
                     "--workers", "1", "--quiet", "--no-plots"])[0] == 0
    return workspace, complete


def run_mc11(argv: list[str]) -> tuple[int, str]:
    """`mc11 argv` in this process: the exit code (argparse's SystemExit included) and stderr;
    any other exception escapes, failing the test with its traceback."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 2
    return code, err.getvalue()


def check(argv: list[str], complete: Path) -> None:
    before = snapshot(complete)
    code, stderr = run_mc11(argv)
    assert "Traceback" not in stderr, (argv, stderr)
    assert code in (0, 2), (argv, code, stderr)
    if code == 2:
        errors = [line for line in stderr.splitlines() if "error:" in line]
        assert len(errors) == 1, (argv, stderr)
    after = snapshot(complete)
    changed = [p for p, digest in before.items() if after.get(p) != digest]
    assert not changed, (argv, changed)
    assert not [p for p in after if ".tmp" in p.name], argv


def fuzz_settings(examples: int):
    """Hypothesis settings of the fuzz tests: `examples` command lines, nothing remembered
    between sessions."""
    return settings(max_examples=examples, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


def fuzz(places, data) -> None:
    workspace, complete = places
    check(data.draw(commands(workspace, complete)), complete)


@fuzz_settings(25)
@given(data=st.data())
def test_every_command_line_is_a_run_or_a_clear_error(places, data):
    fuzz(places, data)


@pytest.mark.slow
@fuzz_settings(400)
@given(data=st.data())
def test_many_command_lines_are_runs_or_clear_errors(places, data):
    fuzz(places, data)


@pytest.mark.parametrize("content", [b"", b"\x00\xff" * 500, "caf\xe9".encode("latin-1"),
                                     LAUGHS.encode(), b"[" * 100_000,
                                     ("x: " + "y" * 2_000_000).encode()],
                         ids=["empty", "binary", "latin-1", "laughs", "nested", "huge"])
@pytest.mark.parametrize("command", ["run", "simulate"])
def test_each_hostile_file_is_a_clear_error(places, tmp_path, content, command):
    """Every kind of hostile file, with both commands that read a scenario (no drawing)."""
    path = tmp_path / "s.yaml"
    path.write_bytes(content)
    extra = ["--runs", "2", "--folder", str(tmp_path / "r"), "--quiet"] if command == "run" \
        else []
    code, stderr = run_mc11([command, str(path), *extra])
    assert code == 2 and stderr.startswith("mc11: error: ") and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert not (tmp_path / "r").exists()


# --- own actor x issue data ---------------------------------------------------------------------

own_numbers = st.sampled_from(["0", "1", "-1", "0.5", "100", "1e17", "-1e17", "1e300", "-1e300",
                               "1e-300", "5e-324", "1e306", "1e308", "9007199254740993", "",
                               "nan", "abc"])


@st.composite
def own_data_files(draw, workspace: Path) -> Path:
    """A long CSV of 2-3 actors and 1-3 issues whose numbers are drawn up to the float limits
    (blank, non-numeric and NaN included); some actor-issue pairs left out."""
    issues, actors = draw(st.integers(1, 3)), draw(st.integers(2, 3))
    per_issue = [(draw(own_numbers), draw(own_numbers)) for _ in range(issues)]
    lines = ["actor,issue,position,salience,capability,status_quo,outcome"]
    for a in range(actors):
        for i in range(issues):
            if draw(st.booleans()) and draw(st.booleans()):
                continue
            lines.append(f"A{a},i{i},{draw(own_numbers)},"
                         f"{draw(st.sampled_from(['0', '1', '0.5', '1e-300', '5e-324', '2']))},"
                         f"{draw(st.sampled_from(['1', '2', '1e-300', '5e-324', '1e300']))},"
                         f"{per_issue[i][0]},{per_issue[i][1]}")
    path = workspace / f"own{draw(st.integers(0, 10**9))}.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@fuzz_settings(25)
@given(data=st.data())
def test_own_data_at_the_float_limits_is_a_run_or_a_clear_error(places, data):
    """Every protocol, one run or several, forecast and backtest."""
    workspace, complete = places
    path = data.draw(own_data_files(workspace))
    command = data.draw(st.sampled_from(["forecast", "backtest"]))
    protocol = data.draw(st.sampled_from(["compromise", "exchange", "challenge"]))
    runs = data.draw(st.sampled_from(["1", "3"]))
    check([command, str(path), "--protocol", protocol, "--rounds", "3", "--runs", runs],
          complete)

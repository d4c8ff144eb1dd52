"""Tests of Monte Carlo ensembles (simulation.runs.ensemble): reproducibility across worker counts,
chunk sizes and chunk completion order, per-replication seeds, and the outcomes table.

Ensembles here are small (6-12 replications, chunks of 3-5) to keep the file fast.
"""

from __future__ import annotations

import multiprocessing
import random
import re
import threading
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.errors import InputError
from simulation.inputs import priors as prior_draws
from simulation.inputs.scenario import load_scenario, scenario_from_mapping
from simulation.runs import ensemble
from simulation.runs.ensemble import (
    Chunk,
    chunk_bounds,
    combine,
    replication_seed,
    run_chunk,
    run_ensemble,
    run_replications,
)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
RUNS, SEED = 12, 11
OUTCOMES = {"multilateral", "plurilateral", "none"}


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIOS / "baseline.yaml")


@pytest.fixture(scope="module")
def reference(scenario):
    """The baseline ensemble on one worker in chunks of 5, with the chunks as they came."""
    chunks: list[Chunk] = []
    result = run_ensemble(scenario, runs=RUNS, seed=SEED, workers=1, chunk_size=5,
                          on_chunk=chunks.append)
    return result, chunks


@pytest.fixture(scope="module")
def open_plurilateral():
    """A scenario with a low critical mass (plurilateral deals occur) and members left out."""
    scenario = scenario_from_mapping({
        "name": "open", "participants": {"exclude": ["VEN", "BOL", "ZAF"]},
        "parameters": {"consensus": {"critical_mass": 0.5}},
    })
    return scenario, run_ensemble(scenario, runs=8, seed=5, workers=1, chunk_size=4)


def assert_same(a: ensemble.EnsembleResult, b: ensemble.EnsembleResult) -> None:
    pd.testing.assert_frame_equal(a.outcomes, b.outcomes, check_exact=True)
    assert np.array_equal(a.support, b.support)
    assert np.array_equal(a.mean_position, b.mean_position, equal_nan=True)


# --------------------------------------------------------------------------- reproducibility


def test_two_workers_give_bit_identical_results(scenario, reference):
    result, chunks = reference
    assert [c.start for c in chunks] == [0, 5, 10]
    parallel = run_ensemble(scenario, runs=RUNS, seed=SEED, workers=2, chunk_size=3)
    assert_same(parallel, result)


def test_chunk_size_does_not_change_results(scenario, reference):
    one_chunk = run_ensemble(scenario, runs=RUNS, seed=SEED, workers=1, chunk_size=RUNS)
    assert_same(one_chunk, reference[0])


def test_batches_sized_for_memory_do_not_change_results(scenario, reference, monkeypatch):
    negotiation = scenario.negotiation()
    (n, k), g = negotiation.shape, len(negotiation.coalitions)
    assert ensemble.batch_size(negotiation) >= ensemble.CHUNK_SIZE  # the baseline: one batch
    monkeypatch.setattr(ensemble, "BATCH_CELLS", 2 * n * k * g)  # two replications a batch
    assert ensemble.batch_size(negotiation) == 2
    small_batches = run_ensemble(scenario, runs=RUNS, seed=SEED, workers=1, chunk_size=5)
    assert_same(small_batches, reference[0])


def test_a_replication_too_large_for_a_batch_runs_alone(scenario, reference, monkeypatch):
    """A negotiation whose coalition round takes more than BATCH_CELLS floats for a single
    replication runs one replication a batch, with the same results."""
    negotiation = scenario.negotiation()
    (n, k), g = negotiation.shape, len(negotiation.coalitions)
    monkeypatch.setattr(ensemble, "BATCH_CELLS", n * k * g - 1)
    assert ensemble.batch_size(negotiation) == 1
    one_each = run_ensemble(scenario, runs=4, seed=SEED, workers=1, chunk_size=4)
    first_four = reference[0].outcomes[reference[0].outcomes["run"] < 4]
    pd.testing.assert_frame_equal(one_each.outcomes, first_four, check_exact=True)


def test_chunk_completion_order_does_not_matter(reference):
    result, chunks = reference
    for order in (chunks[::-1], random.Random(3).sample(chunks, len(chunks))):
        assert_same(combine(order, result.negotiation), result)


def test_run_ensemble_sorts_chunks_that_finish_out_of_order(scenario, reference, monkeypatch):
    result, chunks = reference
    seen = []

    def finish_backwards(negotiation, parameters, master_seed, bounds, workers, priors=None):
        assert master_seed == SEED
        assert bounds == [(0, 3), (3, 6), (6, 9), (9, 12)]
        by_start = {c.start: c for c in chunks}
        yield from [by_start[s] for s in (10, 5, 0)]

    monkeypatch.setattr(ensemble, "run_chunks", finish_backwards)
    again = run_ensemble(scenario, runs=RUNS, seed=SEED, workers=2, chunk_size=3,
                         on_chunk=lambda c: seen.append(c.start))
    assert seen == [10, 5, 0]
    assert_same(again, result)


def test_a_replication_depends_only_on_seed_and_index(scenario, reference):
    result, _ = reference
    negotiation, parameters = scenario.negotiation(), scenario.spec.parameters
    alone = combine([run_chunk(negotiation, parameters, SEED, 7, 8, scenario.priors)],
                    negotiation)
    expected = result.outcomes[result.outcomes["run"] == 7].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone.outcomes.drop(columns="run"),
                                  expected.drop(columns="run"), check_exact=True)
    assert np.array_equal(alone.support[0], result.support[7])
    shorter = run_ensemble(scenario, runs=6, seed=SEED, workers=1, chunk_size=3)
    first_six = result.outcomes[result.outcomes["run"] < 6]
    pd.testing.assert_frame_equal(shorter.outcomes, first_six, check_exact=True)


def test_the_outcomes_keep_each_runs_median_position_to_the_last_digit(scenario, reference):
    """The weighted median position the model computes for a replication (in float64, as the
    forecast scores it against the agreed text) reaches the outcomes table unrounded."""
    result, _ = reference
    seeds = [replication_seed(SEED, 7)]
    engine = run_replications(scenario.negotiation(), scenario.spec.parameters, seeds,
                              prior_draws.draw(scenario.priors, seeds))
    table = result.outcomes[result.outcomes["run"] == 7]
    assert table["median_position"].tolist() == engine.median_position[0].tolist()


def test_different_seeds_differ(scenario, reference):
    result, _ = reference
    other = run_ensemble(scenario, runs=6, seed=SEED + 1, workers=1, chunk_size=3)
    first_six = result.outcomes[result.outcomes["run"] < 6]
    assert not other.outcomes.equals(first_six)
    assert not np.array_equal(other.support, result.support[:6])
    # and within one ensemble, replications differ from each other
    assert not np.array_equal(result.support[0], result.support[1])


def test_scenario_seed_is_the_default(scenario):
    small = scenario.with_changes(replications=3, seed=SEED)
    default = run_ensemble(small, workers=1, chunk_size=2)
    explicit = run_ensemble(scenario, runs=3, seed=SEED, workers=1, chunk_size=2)
    assert_same(default, explicit)


def test_a_seed_of_0_given_is_used_not_the_scenarios(scenario):
    """0 is a seed like any other: given, it is the master seed, not the scenario's."""
    assert scenario.spec.seed != 0
    negotiation = scenario.negotiation()
    zero = run_ensemble(scenario, runs=3, seed=0, workers=1, chunk_size=3)
    alone = run_chunk(negotiation, scenario.spec.parameters, 0, 0, 3, scenario.priors)
    assert_same(zero, combine([alone], negotiation))


AT_LEAST_1, SEEDS = "a whole number of at least 1", "a whole number from 0 to 2**63 - 1"


@pytest.mark.parametrize(("given", "field", "allowed"), [
    ({"runs": 0}, "runs", AT_LEAST_1), ({"runs": -3}, "runs", AT_LEAST_1),
    ({"runs": 2.5}, "runs", AT_LEAST_1), ({"seed": -1}, "seed", SEEDS),
    ({"seed": 2**63}, "seed", SEEDS), ({"seed": "7"}, "seed", SEEDS),
    ({"workers": 0}, "workers", AT_LEAST_1), ({"workers": -2}, "workers", AT_LEAST_1),
    ({"chunk_size": 0}, "chunk_size", AT_LEAST_1),
    ({"runs": True}, "runs", AT_LEAST_1), ({"seed": False}, "seed", SEEDS),
])
def test_a_bad_run_count_seed_or_worker_count_is_an_input_error_naming_it(scenario, given,
                                                                            field, allowed):
    """From Python as on the command line: not numpy's or pandas' error from deep inside, and
    not a run on all cores (workers 0) or in this process (workers -2) instead."""
    arguments = {"runs": 2, "seed": SEED, "workers": 1} | given
    with pytest.raises(InputError, match=re.escape(f"allowed: {allowed}")) as error:
        run_ensemble(scenario, **arguments)
    assert error.value.field == field


def test_a_scenario_file_given_for_a_scenario_is_told_how_to_read_it():
    with pytest.raises(TypeError, match=r"takes a Scenario, not str 'scenarios/baseline.yaml'"
                       r".*load_scenario\(path\)"):
        run_ensemble("scenarios/baseline.yaml")


def test_an_on_chunk_that_is_no_function_is_refused_before_any_run(scenario, monkeypatch):
    """on_chunk=[] (say, for on_chunk=[].append) failed only once the first chunk had run, and
    the ensemble's runs were lost."""
    def no_runs(*_args, **_kwargs):
        raise AssertionError("a run started")
        yield

    monkeypatch.setattr(ensemble, "run_chunks", no_runs)
    with pytest.raises(TypeError, match=r"on_chunk takes a function of one chunk .*not list"):
        run_ensemble(scenario, runs=2, seed=SEED, workers=1, on_chunk=[])


def test_the_readmes_helpers_given_the_wrong_kind_say_what_goes_there(scenario, reference):
    """The README's notebook lines with a slip each: a path for the scenario, the method
    `scenario.negotiation` uncalled, the result for its outcomes table, no issues table: each
    ended in an AttributeError from inside ('EnsembleResult' ... columns, 'str' object has no
    attribute 'catalogue')."""
    from simulation.report.figures import bloc_members
    from simulation.report.summary import summarise
    from simulation.report.tables import issues_frame

    result, _ = reference
    slips = [
        (lambda: issues_frame("scenarios/baseline.yaml"), "issues_frame takes a Scenario, not "
         "str 'scenarios/baseline.yaml'"),
        (lambda: bloc_members("scenarios/baseline.yaml", scenario.negotiation()),
         "bloc_members takes a Scenario"),
        (lambda: bloc_members(scenario, scenario.negotiation), r"bloc_members takes the "
         r"scenario's Negotiation, not method .*scenario.negotiation\(\) \(called\)"),
        (lambda: summarise(result, issues_frame(scenario)), r"the outcomes are the per-run "
         r"table, a DataFrame \(run_ensemble\(...\).outcomes.*not EnsembleResult"),
        (lambda: summarise(result.outcomes, None), r"summarise takes the issues as "
         r"simulation.report.tables.issues_frame\(scenario\) gives them, not NoneType"),
    ]
    for call, wanted in slips:
        with pytest.raises(TypeError, match=wanted):
            call()


@pytest.mark.parametrize("z", [float("nan"), -1.96, 0, float("inf"), "1.96", True])
def test_summarise_refuses_a_z_that_makes_no_interval(reference, scenario, z):
    """z=nan gave NaN intervals and z=-1.96 intervals upside down, both silently; "1.96" a
    TypeError from multiplying text."""
    from simulation.report.summary import summarise
    from simulation.report.tables import issues_frame

    with pytest.raises(ValueError, match=r"z is the normal quantile of the intervals \(1.96: "
                       r"95%\), a number above 0"):
        summarise(reference[0].outcomes, issues_frame(scenario), z=z)
    assert summarise(reference[0].outcomes, issues_frame(scenario), z=np.float64(1.96)).equals(
        summarise(reference[0].outcomes, issues_frame(scenario)))


@settings(max_examples=40)
@given(seed=st.integers(0, 2**63 - 1), count=st.integers(1, 30), data=st.data())
def test_replication_seed_is_the_spawned_child(seed, count, data):
    index = data.draw(st.integers(0, count - 1))
    child = np.random.SeedSequence(seed).spawn(count)[index]
    ours = replication_seed(seed, index)
    assert np.array_equal(np.random.default_rng(ours).random(8),
                          np.random.default_rng(child).random(8))
    assert np.array_equal(ours.generate_state(4), child.generate_state(4))
    if index + 1 < count:
        neighbour = np.random.default_rng(replication_seed(seed, index + 1)).random(8)
        assert not np.array_equal(np.random.default_rng(ours).random(8), neighbour)


@settings(max_examples=60)
@given(runs=st.integers(0, 200), size=st.integers(1, 60))
def test_chunk_bounds_partition_the_runs(runs, size):
    bounds = chunk_bounds(runs, size)
    covered = [i for start, stop in bounds for i in range(start, stop)]
    assert covered == list(range(runs))
    assert all(0 < stop - start <= size for start, stop in bounds)
    assert all(start % size == 0 for start, _ in bounds)


def test_chunk_save_and_load_round_trip(reference, tmp_path):
    chunk = reference[1][1]
    path = tmp_path / "chunk.npz"
    chunk.save(path)
    assert not list(tmp_path.glob("*.tmp*"))
    loaded = Chunk.load(path)
    assert loaded.start == chunk.start == 5
    for field in ("outcome", "text", "coverage", "blockers", "plurilateral_members", "support",
                  "mean_position", "coalition_sizes"):
        assert np.array_equal(getattr(loaded, field), getattr(chunk, field), equal_nan=True)
        assert getattr(loaded, field).dtype == getattr(chunk, field).dtype, field


# --------------------------------------------------------------------------- outcome rows


def check_outcome_rows(result, scenario, runs: int) -> pd.DataFrame:
    """The documented shape of the outcomes table; returns it for further checks."""
    table = result.outcomes
    issues = scenario.catalogue.issue_ids
    members = set(scenario.negotiation().members)
    draws = [f"draw:{path}" for path in scenario.priors]  # each run's draws from the priors
    assert list(table.columns) == ["run", "issue", "outcome", "text", "coverage",
                                   "median_position", "blockers", "plurilateral_members", *draws]
    assert len(table) == runs * len(issues)
    assert not table.duplicated(["run", "issue"]).any()
    assert table["run"].tolist() == [r for r in range(runs) for _ in issues]
    assert table["issue"].tolist() == issues * runs
    assert set(table["outcome"]) <= OUTCOMES
    none = table["outcome"] == "none"
    pluri = table["outcome"] == "plurilateral"
    multi = table["outcome"] == "multilateral"
    assert (table["text"].isna() == none).all()
    assert table.loc[~none, "text"].between(0, 100).all()
    assert (table["coverage"].notna() == pluri).all()
    # each run's own critical mass: its draw where the scenario gives it a prior
    critical_mass = table.get("draw:parameters.consensus.critical_mass",
                              scenario.spec.parameters.consensus.critical_mass)
    assert (table["coverage"] >= critical_mass - 1e-12)[pluri].all()
    assert (table.loc[pluri, "coverage"] <= 1).all()
    for column in ("blockers", "plurilateral_members"):
        for value in table[column]:
            codes = value.split(";") if value else []
            assert set(codes) <= members, (column, set(codes) - members)
            assert len(codes) == len(set(codes))
    assert (table.loc[multi, "blockers"] == "").all()
    assert ((table["plurilateral_members"] != "") == pluri).all()
    assert result.support.shape == (runs, len(scenario.negotiation().calendar), len(issues))
    assert result.support.dtype == np.float32
    return table


def test_outcome_rows_of_the_baseline(scenario, reference):
    table = check_outcome_rows(reference[0], scenario, RUNS)
    assert {"multilateral", "none"} <= set(table["outcome"])  # the checks above bite
    assert (table["blockers"] != "").any()


def test_outcome_rows_with_plurilaterals_and_excluded_members(open_plurilateral):
    scenario, result = open_plurilateral
    table = check_outcome_rows(result, scenario, 8)
    assert (table["outcome"] == "plurilateral").any()
    listed = ";".join(table["blockers"]) + ";" + ";".join(table["plurilateral_members"])
    for excluded in ("VEN", "BOL", "ZAF"):
        assert excluded not in listed.split(";")


# --------------------------------------------------------------------------- stopping


def _large_result(master_seed: int, start: int, stop: int) -> bytes:
    """A worker's result that takes a while to send (64 MB through the results pipe)."""
    return bytes(64 * 2**20)


def test_a_run_stopped_while_a_worker_sends_its_chunk_ends(scenario, monkeypatch):
    """Stopping a run (Ctrl-C, the dashboard's Cancel) as the second worker's result is on its
    way ends it at once, leaving no worker: a worker ended mid-send once left the pool
    waiting for the rest of its message forever."""
    monkeypatch.setattr(ensemble, "_run_in_worker", _large_result)  # inherited by the fork
    for _ in range(3):
        stream = ensemble.run_chunks(scenario.negotiation(), scenario.spec.parameters, SEED,
                                     chunk_bounds(400, 50), workers=2)
        next(stream)  # the first result; the other worker's follows it down the pipe
        stopping = threading.Thread(target=stream.close, daemon=True)
        stopping.start()
        stopping.join(timeout=30)
        assert not stopping.is_alive(), "the stopped run did not end"
        assert multiprocessing.active_children() == []


def test_the_callers_work_overlaps_a_single_chunk_run_on_a_worker(scenario, reference):
    """`meanwhile` (mc11 run imports its plotting then) runs while a worker computes even a
    run of one chunk, and the chunk is the one computed in this process."""
    during = []

    def meanwhile():
        during.append(len(multiprocessing.active_children()))

    negotiation, parameters = scenario.negotiation(), scenario.spec.parameters
    [chunk] = ensemble.run_chunks(negotiation, parameters, SEED, [(0, 5)], workers=2,
                                  priors=scenario.priors, meanwhile=meanwhile)
    assert during == [1]
    computed_here = reference[1][0]  # the same replications, in this process
    assert (chunk.start, len(chunk)) == (computed_here.start, len(computed_here)) == (0, 5)
    for field in fields(chunk):
        mine, theirs = getattr(chunk, field.name), getattr(computed_here, field.name)
        if isinstance(mine, dict):  # the priors' draws, by constant
            assert mine.keys() == theirs.keys()
            mine, theirs = list(mine.values()), list(theirs.values())
        np.testing.assert_array_equal(mine, theirs)
    assert multiprocessing.active_children() == []


def test_the_workers_are_fed_while_the_callers_work_runs_and_its_error_is_raised(scenario):
    """Chunks keep arriving (more than the 2 x 2 submitted before it began) while `meanwhile`
    runs; what it raises reaches the caller once the chunks are in."""
    negotiation, parameters = scenario.negotiation(), scenario.spec.parameters
    bounds = [(start, start + 1) for start in range(6)]
    fifth_chunk, waited = threading.Event(), []

    def meanwhile():
        waited.append(fifth_chunk.wait(timeout=30))
        raise ValueError("the caller's own error")

    received = []
    with pytest.raises(ValueError, match="the caller's own error"):
        for chunk in ensemble.run_chunks(negotiation, parameters, SEED, bounds, workers=2,
                                         priors=scenario.priors, meanwhile=meanwhile):
            received.append(chunk.start)
            if len(received) == 5:
                fifth_chunk.set()
    assert waited == [True]
    assert sorted(received) == [start for start, _ in bounds]
    assert multiprocessing.active_children() == []


def _children(pid: int) -> set[int]:
    """The live child processes of `pid`, from Linux's /proc."""
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.update(int(c) for c in (task / "children").read_text().split())
    return found


def _alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads Linux's /proc")
def test_the_workers_end_with_the_process_that_started_them():
    """A process killed while its ensemble runs (a dashboard stopped mid-run) takes its workers
    with it: they held its port and kept computing."""
    import os
    import signal
    import subprocess
    import sys
    import time

    code = ("from simulation.inputs.scenario import load_scenario\n"
            "from simulation.runs.ensemble import chunk_bounds, run_chunks\n"
            "s = load_scenario('scenarios/baseline.yaml')\n"
            "chunks = run_chunks(s.negotiation(), s.spec.parameters, 1,\n"
            "                    chunk_bounds(1_000_000, 50), 2, s.priors)\n"
            "next(chunks)\n"
            "print('running', flush=True)\n"
            "import time; time.sleep(120)\n")
    root = Path(__file__).resolve().parents[1]
    parent = subprocess.Popen([sys.executable, "-c", code], cwd=root, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert parent.stdout.readline().strip() == "running"
        workers = _children(parent.pid)
        assert len(workers) == 2
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [w for w in workers if _alive(w)]
    for worker in left:
        os.kill(worker, signal.SIGKILL)
    assert not left

"""The reproducibility promise (README, "Results folders, reproducibility and resuming") under
the exchange and challenge protocols, whose rounds are compiled kernels of their own: a scenario
plus a seed gives the same tables whatever the workers, the chunks and an interruption and
resume, through `mc11 run --resume` (and `explain`, which re-runs a folder's runs in other
batches), the dashboard's ensembles, sweeps and sensitivity designs (in-process against a local
Dask cluster, interrupted and resumed), `forecast`/`backtest` and `calibrate`.
tests/test_results.py, test_dashboard.py, test_designs.py, test_datasets.py and test_calibrate.py
check the same under the default (compromise) protocol; test_ensemble.py and
test_challenge_protocol.py the Python API.

Runs are few (4 a folder, 1-2 a design point, 2-3 trials a search) to keep the file fast.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from commands import mc11

from simulation.dashboard import state
from simulation.inputs.scenario import load_scenario
from simulation.report.tables import write_report
from simulation.runs import cluster, design, results, sensitivity, sweep
from simulation.runs.calibrate import calibrate, fingerprint
from simulation.runs.explain import explain
from simulation.runs.forecast import backtest_issues, forecast_dataset, settings_for
from simulation.runs.results import RunInterrupted, execute, start_run

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
RUNS, SEED = 4, 7
ONCE, REFERENCE, CHALLENGE = ("exchange", "once"), ("exchange", "reference"), ("challenge", None)
# the rule reference runs about 1 baseline replication a second here: its cases are slow
VARIANTS = [pytest.param(ONCE, id="exchange-once"),
            pytest.param(REFERENCE, id="exchange-reference", marks=pytest.mark.slow),
            pytest.param(CHALLENGE, id="challenge")]
TOLERANCE = "parameters.consensus.base_tolerance"
HEADLINE = "derivation.emphasis_salience.headline"  # drawn per replication: derived preferences


def scenario_file(folder: Path, variant: tuple[str, str | None]) -> Path:
    """The baseline under the variant's protocol (and exchange rule), as a scenario file."""
    protocol, rule = variant
    path = folder / f"{protocol}-{rule or 'default'}.yaml"
    setting = f", exchange_rule: {rule}" if rule else ""
    path.write_text(f"extends: {BASELINE}\nname: {protocol}_{rule or 'default'}\n"
                    f"parameters: {{bargaining: {{protocol: {protocol}{setting}}}}}\n",
                    encoding="utf-8")
    return path


def assert_same_folders(one: Path, other: Path) -> None:
    """Every table of two complete results folders equal: the CSVs byte for byte."""
    tables = sorted(p.name for p in one.glob("*.csv"))
    assert tables == sorted(p.name for p in other.glob("*.csv")) and "summary.csv" in tables
    for name in [*tables, "summary.json"]:
        assert (one / name).read_bytes() == (other / name).read_bytes(), name
    pd.testing.assert_frame_equal(pd.read_parquet(one / "outcomes.parquet"),
                                  pd.read_parquet(other / "outcomes.parquet"), check_exact=True)


# --------------------------------------------------------------------------- mc11 run --resume


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_run_interrupted_in_small_chunks_and_resumed_on_two_workers_equals_a_straight_run(
        variant, tmp_path, monkeypatch):
    """`mc11 run` on 1 worker (one chunk of 4, one batch) against a run in chunks of 1 stopped
    by Ctrl-C after its first chunk and completed by `mc11 run --resume` on 2 workers; `explain`
    re-runs the chunks of 1 as one batch of 4 to the folder's outcomes (it refuses otherwise)."""
    path = scenario_file(tmp_path, variant)
    straight = tmp_path / "straight"
    code, _, err = mc11("run", path, "--runs", RUNS, "--seed", SEED, "--workers", 1,
                        "--folder", straight, "--quiet")
    assert code == 0, err

    real_run_chunks = results.run_chunks

    def first_then_interrupt(*args, **options):
        chunks = real_run_chunks(*args, **options)
        yield next(chunks)
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(results, "run_chunks", first_then_interrupt)
        run = start_run(load_scenario(path), RUNS, SEED, tmp_path / "stopped", tmp_path,
                        chunk_size=1)
        with pytest.raises(RunInterrupted):
            execute(run, workers=1, progress=False, finish=write_report)
    assert [p.name for p in (run.folder / "chunks").iterdir()] == ["chunk-00000000.npz"]
    code, _, err = mc11("run", "--resume", run.folder, "--workers", 2, "--quiet")
    assert code == 0, err
    assert_same_folders(run.folder, straight)
    (table, about), (table_straight, about_straight) = (
        explain(folder, "market_access", runs=RUNS) for folder in (run.folder, straight))
    pd.testing.assert_frame_equal(table, table_straight, check_exact=True)
    assert about == about_straight


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_dashboards_ensemble_on_two_workers_equals_mc11_run_on_one(variant, tmp_path):
    path = scenario_file(tmp_path, variant)
    folder = tmp_path / "run"
    code, _, err = mc11("run", path, "--runs", RUNS, "--seed", SEED, "--workers", 1,
                        "--folder", folder, "--quiet")
    assert code == 0, err
    tables = state.run_what_if(load_scenario(path), RUNS, SEED, workers=2)
    assert tables.summary_csv() == (folder / "summary.csv").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- designs


def design_table(plan, scenario, folder: Path, client=None, on_point=None) -> pd.DataFrame:
    folder = sweep.open_folder(plan, scenario, folder, folder.parent)
    sweep.execute_design(folder, plan, scenario, client, on_point)
    return sweep.point_table(folder, plan, scenario.catalogue.issue_ids)


def stop_at_first_point(point: int) -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize("variant", [  # 6-15 s each, mostly the local cluster's start: slow
    pytest.param(ONCE, id="exchange-once"),
    pytest.param(CHALLENGE, id="challenge")])
@pytest.mark.slow
def test_a_sensitivity_design_is_the_same_interrupted_and_resumed_on_a_local_cluster(
        variant, tmp_path):
    """A Morris design (one of its constants a derivation rule's, so each replication derives
    its own preferences) run in this process, against the same design stopped after its first
    point and completed on a local cluster of 2 workers: the same points, the same indices."""
    scenario = load_scenario(scenario_file(tmp_path, variant))
    priors = {path: scenario.priors[path] for path in (TOLERANCE, HEADLINE)}
    plan = design.sensitivity_design("morris", priors, 2, 2, SEED, scenario.input_hash())
    straight = design_table(plan, scenario, tmp_path / "straight")
    stopped = tmp_path / "stopped"
    with pytest.raises(sweep.DesignInterrupted):
        design_table(plan, scenario, stopped, on_point=stop_at_first_point)
    assert len(sweep.pending_points(stopped, plan)) == len(plan.points) - 1
    with cluster.backend(cluster.LOCAL, workers=2) as client:
        resumed = design_table(plan, scenario, stopped, client)
    pd.testing.assert_frame_equal(resumed, straight, check_exact=True)
    pd.testing.assert_frame_equal(sensitivity.analyse(resumed, plan, priors),
                                  sensitivity.analyse(straight, plan, priors), check_exact=True)


@pytest.mark.slow  # about 16 s: the local cluster's start and the rule reference's runs
def test_a_sweep_under_the_reference_rule_is_the_same_on_a_local_cluster_and_resumed(tmp_path):
    scenario = load_scenario(scenario_file(tmp_path, REFERENCE))
    plan = design.grid(design.parse_settings(["parameters.bargaining.exchange_fixed_weight=0.1,"
                                              "0.3", f"{TOLERANCE}=5,25"]),
                       1, SEED, scenario.input_hash())
    straight = design_table(plan, scenario, tmp_path / "straight")
    stopped = tmp_path / "stopped"
    with pytest.raises(sweep.DesignInterrupted):
        design_table(plan, scenario, stopped, on_point=stop_at_first_point)
    with cluster.backend(cluster.LOCAL, workers=2) as client:
        resumed = design_table(plan, scenario, stopped, client)
    pd.testing.assert_frame_equal(resumed, straight, check_exact=True)


# --------------------------------------------------------------------------- own data


@pytest.mark.parametrize("variant", [ONCE, REFERENCE, CHALLENGE],  # small data: fast under all
                         ids=["exchange-once", "exchange-reference", "challenge"])
def test_forecasts_and_backtests_of_a_dataset_do_not_depend_on_the_workers(variant, dataset):
    protocol, rule = variant
    settings = settings_for(protocol, 4, exchange_rule=rule)
    for run in (forecast_dataset, backtest_issues):
        one = run(dataset, settings, runs=2, seed=3, workers=1)
        two = run(dataset, settings, runs=2, seed=3, workers=2)
        pd.testing.assert_frame_equal(one, two, check_exact=True)


def test_an_exchange_calibration_interrupted_and_resumed_on_two_workers_is_the_same(
        dataset, long_csv, tmp_path):
    """The exchange protocol's calibration (its rule among the fitted settings) on 1 worker,
    against one stopped after a few trials and completed on 2 workers."""
    def run(folder: Path, workers: int, progress=None):
        inputs = fingerprint(long_csv, "exchange", 2, 3, 4, None)
        return calibrate(dataset, "exchange", folder, inputs, folds=2, trials=3, seed=4,
                         workers=workers, progress=progress)

    straight = run(tmp_path / "straight", 1)
    calls: list[str] = []

    def stop_after_four(search, done, total, best):
        calls.append(search)
        if len(calls) == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "resumed", 1, stop_after_four)
    resumed = run(tmp_path / "resumed", 2)
    assert "fitted exchange_rule" in straight.folds  # the rule is among the fitted settings
    pd.testing.assert_frame_equal(resumed.folds, straight.folds, check_exact=True)
    pd.testing.assert_frame_equal(resumed.methods, straight.methods, check_exact=True)
    assert resumed.settings == straight.settings

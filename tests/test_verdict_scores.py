"""The backtest's verdict score (the model's probability that an outcome changes from the status
quo against an out-of-sample base rate) and the weighted-median baseline."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.inputs.importers import read_actor_issue_data
from simulation.outcomes import MULTILATERAL, NO_AGREEMENT, PLURILATERAL
from simulation.runs.forecast import (
    PROBABILITY_FLOOR,
    RunForecasts,
    backtest_issues,
    baselines,
    brier_scores,
    change_probabilities,
    log_scores,
    observed_changes,
    out_of_group_rates,
    paired_gap,
    settings_for,
    verdict_scores,
    with_base_rates,
)

EXAMPLE = Path(__file__).parents[1] / "examples" / "my_negotiation.csv"


def test_brier_and_log_scores_by_hand():
    probability, event = np.array([0.8, 0.3, 0.0, 1.0]), np.array([1, 0, 1, 1])
    assert brier_scores(probability, event) == pytest.approx([0.04, 0.09, 1.0, 0.0])
    # a sure miss is clipped to the floor: -ln(0.01), a sure hit to -ln(0.99)
    assert log_scores(probability, event) == pytest.approx(
        [-math.log(0.8), -math.log(0.7), -math.log(PROBABILITY_FLOOR),
         -math.log(1 - PROBABILITY_FLOOR)])


def test_the_base_rate_leaves_out_the_group_it_predicts():
    events = np.array([1, 0, 1, 1, 0])
    rates = out_of_group_rates(events, np.array(["a", "a", "b", "c", "c"]))
    assert rates == pytest.approx([2 / 3, 2 / 3, 0.5, 2 / 3, 2 / 3])
    assert np.isnan(out_of_group_rates(events, np.array(["a"] * 5))).all()  # no other group


def _issues() -> pd.DataFrame:
    """A per-issue backtest table of three negotiations, four issues with a status quo."""
    return pd.DataFrame({
        "negotiation": ["a", "a", "b", "c", "c"],
        "issue": ["a1", "a2", "b1", "c1", "c2"],
        "changed": [1.0, 0.0, 1.0, 1.0, np.nan],  # c2 has no status quo
        "model_p_change": [1.0, 1.0, 0.0, 1.0, np.nan],
    })


def test_verdict_scores_by_hand_and_clustered_as_the_error_gaps():
    issues = _issues()
    base = with_base_rates(issues)["base_rate_p_change"]
    # a's issues from b1 and c1 (both changed), b1 from a1, a2, c1, c1 from a1, a2, b1
    assert base.tolist()[:4] == pytest.approx([1.0, 1.0, 2 / 3, 2 / 3])
    assert np.isnan(base.iloc[4])
    scores = verdict_scores(issues)
    model, rate = scores["model"], scores["base_rate"]
    assert (model.issues, model.changed) == (4, 3)
    assert model.brier == pytest.approx((0 + 1 + 1 + 0) / 4)
    assert rate.brier == pytest.approx((0 + 1 + 1 / 9 + 1 / 9) / 4)
    floor = PROBABILITY_FLOOR
    assert model.log == pytest.approx(
        (-math.log(1 - floor) * 2 - math.log(floor) * 2) / 4)
    assert rate.log == pytest.approx(
        (-math.log(1 - floor) - math.log(floor) - 2 * math.log(2 / 3)) / 4)
    # the paired gaps are the error gaps' estimator on the per-negotiation losses
    model_losses = [np.array([0.0, 1.0]), np.array([1.0]), np.array([0.0])]
    rate_losses = [np.array([0.0, 1.0]), np.array([1 / 9]), np.array([1 / 9])]
    assert rate.brier_gap == pytest.approx(paired_gap(rate_losses, model_losses))
    gap = rate.brier - model.brier
    residuals = np.array([0.0 - 2 * gap, -8 / 9 - gap, 1 / 9 - gap])
    assert rate.brier_gap == pytest.approx(
        (gap, math.sqrt(3 / 2 * np.sum(residuals ** 2)) / 4))


def test_no_status_quo_no_verdict_score():
    issues = _issues().assign(changed=np.nan)
    assert verdict_scores(issues) == {}
    assert verdict_scores(issues.drop(columns=["changed", "model_p_change"])) == {}


def test_the_models_probability_is_its_share_of_runs_agreeing_on_a_move():
    status_quo = np.array([50.0, 50.0, np.nan])
    outcome = np.array([[MULTILATERAL, PLURILATERAL, MULTILATERAL],
                        [NO_AGREEMENT, MULTILATERAL, NO_AGREEMENT],
                        [PLURILATERAL, MULTILATERAL, MULTILATERAL],
                        [MULTILATERAL, NO_AGREEMENT, NO_AGREEMENT]])
    text = np.array([[70.0, 50.2, 10.0],  # 50.2: agreed on (almost) the status quo, no change
                     [80.0, 60.0, 10.0],  # no agreement: no change whatever the text
                     [20.0, 49.0, 10.0],
                     [50.0, 90.0, 10.0]])
    results = RunForecasts(mean=text, median=text, outcome=outcome, text=text)
    p = change_probabilities(results, status_quo)
    assert p[:2] == pytest.approx([0.5, 0.5]) and np.isnan(p[2])
    assert np.isnan(change_probabilities(results, None)).all()


def test_a_change_is_a_move_of_more_than_half_a_point_and_known_where_both_are(tmp_path):
    path = tmp_path / "changes.csv"
    path.write_text("actor,issue,position,salience,capability,status_quo,outcome\n"
                    "A,kept,0,0.5,1,40,40\nB,kept,100,0.5,1,40,40\n"
                    "A,moved,0,0.5,1,40,60\nB,moved,100,0.5,1,40,60\n"
                    "A,open,0,0.5,1,,60\nB,open,100,0.5,1,,60\n")
    assert observed_changes(read_actor_issue_data(path)).tolist()[:2] == [0.0, 1.0]
    assert np.isnan(observed_changes(read_actor_issue_data(path))[2])


def test_the_weighted_median_baseline_weighs_capability_by_salience(tmp_path):
    path = tmp_path / "median.csv"
    path.write_text("actor,issue,position,salience,capability,outcome\n"
                    "A,x,0,0.2,1,10\nB,x,40,0.5,1,10\nC,x,100,0.1,3,10\n"
                    "A,y,0,0,1,10\nB,y,40,0,1,10\nC,y,100,0,3,10\nD,x,70,0.1,1,10\n"
                    "A,z,0,0.6,1,10\nB,z,80,0.3,1,10\nC,z,100,0.1,3,10\n")
    medians = baselines(read_actor_issue_data(path))["capability_salience_median"]
    # x: weights 0.2, 0.5, 0.1 (D), 0.3 (C), sorted by position, reach half (0.55) at 40; y: no
    # one cares, so capability alone (1, 1, 3): 100, D takes no part; z: weights 0.6, 0.3, 0.3
    # split exactly at A: the midpoint of A and B
    assert medians.tolist() == pytest.approx([40.0, 100.0, 40.0])
    example = baselines(read_actor_issue_data(EXAMPLE))["capability_salience_median"]
    assert example.tolist() == pytest.approx([100.0, 5.0])


def test_backtest_issues_carry_the_change_and_its_probability(dataset):
    issues = backtest_issues(dataset, settings_for("compromise", 3), runs=3)
    assert "capability_salience_median_error" in issues.columns
    known = issues["changed"].notna()
    assert known.any() and issues.loc[known, "model_p_change"].between(0, 1).all()
    assert issues.loc[~known, "model_p_change"].isna().all()
    assert set(verdict_scores(issues)) == {"model", "base_rate"}


def test_cli_backtest_prints_the_verdict_score(capsys):
    assert main(["backtest", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "capability_salience_median" in out
    assert "verdict score over 2 issues with a status quo" in out
    assert "base_rate_p_change" in out
    assert main(["backtest", str(EXAMPLE), "--format", "csv"]) == 0
    header = capsys.readouterr().out.splitlines()[0].split(",")
    assert {"changed", "model_p_change", "base_rate_p_change"} <= set(header)

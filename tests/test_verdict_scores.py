"""The backtest's verdict score (the model's probability that an outcome changes from the status
quo against an out-of-sample base rate) and the weighted-median baseline."""

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.cli.own_data import _verdict_table, gap_text
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
    assert (scores.issues, scores.changed, scores.by_negotiation) == (4, 3, True)
    assert set(scores.brier) == set(scores.log) == {"model", "base_rate"}
    assert set(scores.brier_gap) == set(scores.log_gap) == {"base_rate"}  # no model-model gap
    assert scores.brier["model"] == pytest.approx((0 + 1 + 1 + 0) / 4)
    assert scores.brier["base_rate"] == pytest.approx((0 + 1 + 1 / 9 + 1 / 9) / 4)
    floor = PROBABILITY_FLOOR
    assert scores.log["model"] == pytest.approx(
        (-math.log(1 - floor) * 2 - math.log(floor) * 2) / 4)
    assert scores.log["base_rate"] == pytest.approx(
        (-math.log(1 - floor) - math.log(floor) - 2 * math.log(2 / 3)) / 4)
    # the paired gaps are the error gaps' estimator on the per-negotiation losses
    model_losses = [np.array([0.0, 1.0]), np.array([1.0]), np.array([0.0])]
    rate_losses = [np.array([0.0, 1.0]), np.array([1 / 9]), np.array([1 / 9])]
    assert scores.brier_gap["base_rate"] == pytest.approx(paired_gap(rate_losses, model_losses))
    gap = scores.brier["base_rate"] - scores.brier["model"]
    residuals = np.array([0.0 - 2 * gap, -8 / 9 - gap, 1 / 9 - gap])
    assert scores.brier_gap["base_rate"] == pytest.approx(
        (gap, math.sqrt(3 / 2 * np.sum(residuals ** 2)) / 4))


def test_with_one_negotiation_known_the_verdict_score_goes_by_issue(capsys):
    """Negotiations a and b, only a with a status quo: the base rate leaves out one issue of a
    and the standard error is over issues, and the command line says so."""
    issues = pd.DataFrame({
        "negotiation": ["a", "a", "a", "b"], "issue": ["a1", "a2", "a3", "b1"],
        "changed": [1.0, 0.0, 1.0, np.nan], "model_p_change": [1.0, 0.5, 0.0, np.nan]})
    base = with_base_rates(issues)["base_rate_p_change"]
    assert base.tolist()[:3] == pytest.approx([0.5, 1.0, 0.5]) and np.isnan(base.iloc[3])
    scores = verdict_scores(issues)
    assert (scores.issues, scores.changed, scores.by_negotiation) == (3, 2, False)
    model = brier_scores(np.array([1.0, 0.5, 0.0]), np.array([1, 0, 1]))
    rate = brier_scores(np.array([0.5, 1.0, 0.5]), np.array([1, 0, 1]))
    assert scores.brier_gap["base_rate"] == pytest.approx(
        paired_gap([np.array([r]) for r in rate], [np.array([m]) for m in model]))
    heading, _, note = _verdict_table(issues)
    assert "it does in 2 of them" in heading
    assert "estimated without the issue it predicts" in note and "(over issues)" in note
    assert "negotiation" not in note
    two = issues.assign(changed=[1.0, 0.0, 1.0, 1.0], model_p_change=[1.0, 0.5, 0.0, 1.0])
    note = _verdict_table(two)[2]
    assert "without the negotiation it predicts" in note and "(clustered by negotiation)" in note


def test_no_status_quo_no_verdict_score():
    issues = _issues().assign(changed=np.nan)
    assert verdict_scores(issues) is None
    assert verdict_scores(issues.drop(columns=["changed", "model_p_change"])) is None
    assert _verdict_table(issues) is None


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
    assert set(verdict_scores(issues).brier) == {"model", "base_rate"}


def test_cli_backtest_prints_the_verdict_score(capsys):
    assert main(["backtest", str(EXAMPLE), "--format", "csv"]) == 0
    issues = pd.read_csv(io.StringIO(capsys.readouterr().out)).iloc[:-1]  # the error row last
    event = issues["changed"].to_numpy()
    assert event.tolist() == [1.0, 1.0]  # both issues moved from the status quo
    model, rate = (issues[f"{m}_p_change"].to_numpy() for m in ("model", "base_rate"))
    assert model.tolist() == [1.0, 1.0] and rate.tolist() == [1.0, 1.0]
    # every probability 1 on a change: Brier (1 - 1)^2 = 0, log -ln(0.99) (clipped), gap 0 ± 0
    brier, log = float(np.mean((model - event) ** 2)), -math.log(1 - PROBABILITY_FLOOR)
    assert main(["backtest", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "capability_salience_median" in out
    assert "verdict score over 2 issues with a status quo" in out
    assert "(it does in 2 of them)" in out
    shown = {}
    for line in out.splitlines():
        words = line.split()
        for column in ("model_p_change", "base_rate_p_change"):
            if column in words:
                shown[column] = words[words.index(column) + 1:]
    zeros = [np.array([0.0]), np.array([0.0])]  # per issue, the Brier (and log) losses
    gap = gap_text(*paired_gap(zeros, zeros))
    assert shown["model_p_change"] == [f"{brier:.3f}", f"{log:.3f}"] == ["0.000", "0.010"]
    assert shown["base_rate_p_change"] == [f"{brier:.3f}", f"{log:.3f}", *gap.split(),
                                           *gap.split()]
    assert gap == "+0.000 ± 0.000"


def test_cli_backtest_out_writes_the_verdict_score_to_the_file(tmp_path, capsys):
    """With --out, both tables go to the file and nothing of them to the screen."""
    out = tmp_path / "backtest.txt"
    assert main(["backtest", str(EXAMPLE), "--out", str(out)]) == 0
    screen = capsys.readouterr()
    assert "verdict score" not in screen.out and "_p_change" not in screen.out
    assert "mean absolute error over" not in screen.out  # no heading without its table
    assert "then 2 under their heading" in screen.err
    text = out.read_text(encoding="utf-8")
    assert "capability_salience_median" in text
    assert "verdict score over 2 issues with a status quo" in text
    assert "base_rate_p_change" in text and "model_p_change" in text

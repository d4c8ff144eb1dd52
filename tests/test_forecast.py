"""Tests of simulation.runs.forecast and the `mc11 forecast` / `mc11 backtest` commands."""

import csv
import dataclasses
import io
import json
import re
import shlex
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.cli import main
from simulation.errors import InputError
from simulation.inputs.importers import read_actor_issue_data
from simulation.runs.forecast import (
    backtest,
    backtest_issues,
    baselines,
    forecast,
    forecast_dataset,
    negotiation_from_data,
    paired_gap,
    paired_gaps,
    settings_for,
    simulate,
)

SAMPLE = Path(__file__).parent / "data" / "decide_sample_data.csv"

# Three actors, two issues, observed outcomes; issue y has no status quo. Capabilities 2:1:1
# become shares 0.5, 0.25, 0.25.
HAND = """actor,issue,position,salience,capability,status_quo,outcome
A,x,0,1.0,2,0,30
B,x,50,0.5,1,0,30
C,x,100,0.5,1,0,30
A,y,10,0.5,2,,20
B,y,20,1.0,1,,20
C,y,60,0.5,1,,20
"""


@pytest.fixture(scope="module")
def sample():
    return read_actor_issue_data(SAMPLE)


@pytest.fixture()
def hand(tmp_path):
    path = tmp_path / "hand.csv"
    path.write_text(HAND, encoding="utf-8")
    return path


def test_negotiation_from_data_builds_a_valid_negotiation(sample):
    nego = negotiation_from_data(sample, rounds=5)
    assert nego.shape == (10, 6)
    assert len(nego.calendar) == 5 and nego.calendar[-1].kind == "ministerial"
    assert all(p.attention == 1 and p.pressure == 1 for p in nego.calendar)
    assert nego.founders.shape == (10, 0) and nego.bloc.shape == (0,)
    assert np.all(nego.status_quo == 0)  # no status quo given: the scale's low end
    assert not nego.doha_linked.any() and not nego.new_discipline.any()
    assert np.all(nego.position_sd == 0)
    assert np.all(negotiation_from_data(sample, rounds=5, runs=3).position_sd > 0)


def test_missing_pairs_take_no_part_and_sit_at_the_weighted_mean(tmp_path):
    path = tmp_path / "gap.csv"
    path.write_text("actor,issue,position,salience,capability\n"
                    "A,x,0,1,1\nB,x,100,1,3\nA,y,0,1,1\nB,y,100,1,3\nC,y,50,1,1\n")
    nego = negotiation_from_data(read_actor_issue_data(path))
    assert nego.positions[2, 0] == pytest.approx(75.0) and nego.saliences[2, 0] == 0.0


@pytest.mark.parametrize("protocol", ["compromise", "exchange"])
def test_forecast_runs_on_the_sample(sample, protocol):
    table = forecast(sample, settings_for(protocol, 6), runs=1, seed=3)
    assert list(table["issue"]) == list(sample.issues)
    assert ((table["compromise"] >= table["scale_low"])
            & (table["compromise"] <= table["scale_high"])).all()
    assert table["verdict"].isna().all()  # no status quo in the sample
    again = forecast(sample, settings_for(protocol, 6), runs=1, seed=3)
    assert table.equals(again)


def test_each_protocol_forecasts_its_own_statistic(hand):
    """Compromise and exchange forecast the capability x salience weighted mean (Stokman's
    expected outcome), challenge the weighted median (Bueno de Mesquita's). With every rate at
    0 nobody moves, so both are the starting positions': on issue x actor A (position 0) holds
    2 of the 3 units of capability x salience, so the median is 0 and the mean
    (2*0 + 0.5*50 + 0.5*100) / 3 = 25."""
    data = read_actor_issue_data(hand)
    still = settings_for("compromise", 3).with_bargaining(coalition_rate=0.0, overall_rate=0.0,
                                                          noise_sd=0.0)
    x = forecast(data, still, seed=1).set_index("issue").loc["x"]
    assert (x["forecast"], x["compromise"], x["weighted_median"]) == pytest.approx((25, 25, 0))
    for protocol, column in (("compromise", "compromise"), ("exchange", "compromise"),
                             ("challenge", "weighted_median")):
        table = forecast(data, settings_for(protocol, 3), seed=1)
        assert table["forecast"].tolist() == table[column].tolist(), protocol
        scored = backtest(data, settings_for(protocol, 3), seed=1).set_index("issue")
        assert scored.loc[table["issue"], "model"].tolist() == pytest.approx(
            table["forecast"].tolist(), abs=1e-3)


def test_forecast_with_runs_gives_bands_and_shares(hand):
    data = read_actor_issue_data(hand)
    table = forecast(data, settings_for("compromise", 4), runs=8, seed=1)
    assert (table["compromise_p10"] <= table["compromise"]).all()
    assert (table["compromise"] <= table["compromise_p90"]).all()
    x = table.set_index("issue").loc["x"]
    assert x["p_multilateral"] + x["p_plurilateral"] + x["p_none"] == pytest.approx(1.0)
    assert pd.isna(table.set_index("issue").loc["y", "p_none"])  # no status quo on y


def test_forecast_single_run_reports_a_verdict_where_a_status_quo_is_given(hand):
    table = forecast(read_actor_issue_data(hand), settings_for(rounds=3)).set_index("issue")
    assert table.loc["x", "verdict"] in {"multilateral", "plurilateral", "none"}
    assert table.loc["x", "status_quo"] == pytest.approx(0.0)
    assert pd.isna(table.loc["y", "verdict"])


def test_backtest_baselines_match_hand_computation(hand):
    table = backtest(read_actor_issue_data(hand), settings_for(rounds=3)).set_index("issue")
    # x: positions 0, 50, 100 (cap 0.5, .25, .25; sal 1, .5, .5), observed 30, status quo 0.
    #   mean 50, median 50, capability mean 0*.5 + 50*.25 + 100*.25 = 37.5,
    #   capability x salience: (0*.5 + 50*.125 + 100*.125) / .75 = 25,
    #   salience only: (0*1 + 50*.5 + 100*.5) / 2 = 37.5,
    #   capability x salience median: weights .5, .125, .125 reach half (.375) at 0.
    # y: positions 10, 20, 60 (sal .5, 1, .5), observed 20, no status quo.
    #   mean 30, median 20, capability mean 5 + 5 + 15 = 25,
    #   capability x salience: (10*.25 + 20*.25 + 60*.125) / .625 = 24,
    #   salience only: (10*.5 + 20*1 + 60*.5) / 2 = 27.5,
    #   capability x salience median: weights .25, .25, .125 reach half (.3125) at 20.
    expected = {
        "x": {"status_quo": -30, "mean": 20, "median": 20, "capability_mean": 7.5,
              "salience_mean": 7.5, "capability_salience_mean": -5,
              "capability_salience_median": -30},
        "y": {"status_quo": np.nan, "mean": 10, "median": 0, "capability_mean": 5,
              "salience_mean": 7.5, "capability_salience_mean": 4,
              "capability_salience_median": 0},
        "mean absolute error": {"status_quo": 30, "mean": 15, "median": 10,
                                "capability_mean": 6.25, "salience_mean": 7.5,
                                "capability_salience_mean": 4.5,
                                "capability_salience_median": 15},
    }
    for issue, errors in expected.items():
        for method, error in errors.items():
            assert table.loc[issue, f"{method}_error"] == pytest.approx(error, nan_ok=True), (
                issue, method)
    for issue in ("x", "y"):
        assert table.loc[issue, "model_error"] == pytest.approx(
            table.loc[issue, "model"] - table.loc[issue, "observed"])
    mae = table.loc["mean absolute error", "model_error"]
    assert mae == pytest.approx(abs(table.loc[["x", "y"], "model_error"]).mean())


def test_baselines_leave_out_actors_without_a_position(tmp_path):
    """C takes no position on x: no baseline counts it there (as if at 0 with its capability,
    the capability mean would be 60, not 75)."""
    path = tmp_path / "gap.csv"
    path.write_text("actor,issue,position,salience,capability\n"
                    "A,x,0,1,1\nB,x,100,1,3\nA,y,0,1,1\nB,y,100,1,3\nC,y,50,1,1\n")
    predicted = baselines(read_actor_issue_data(path))
    expected = {"mean": 50, "median": 50, "capability_mean": 75, "salience_mean": 50,
                "capability_salience_mean": 75, "capability_salience_median": 100}
    for method, value in expected.items():
        assert predicted[method][0] == pytest.approx(value), method


def test_an_issue_nobody_cares_about_has_no_salience_weighted_baseline(tmp_path):
    """Every salience 0 on x: a salience-weighted mean has no weight to go by, so it predicts
    nothing there (NaN, the issue left out of its score), rather than the scale's low end."""
    path = tmp_path / "indifferent.csv"
    path.write_text("actor,issue,position,salience,capability,outcome\n"
                    "A,x,20,0,1,30\nB,x,80,0,3,30\nA,y,20,1,1,30\nB,y,80,0,3,30\n")
    data = read_actor_issue_data(path)
    predicted = baselines(data)
    for method in ("salience_mean", "capability_salience_mean"):
        assert np.isnan(predicted[method][0]) and predicted[method][1] == pytest.approx(20.0)
    assert predicted["capability_mean"][0] == pytest.approx(65.0)
    # the weighted median weighs by capability alone where no one cares, as the chair's text
    assert predicted["capability_salience_median"] == pytest.approx([80.0, 20.0])
    table = backtest(data, settings_for(rounds=2)).set_index("issue")
    assert table.loc["mean absolute error", "salience_mean_error"] == pytest.approx(10.0)


def test_given_saliences_are_floored_at_the_models_own_floor(tmp_path):
    path = tmp_path / "zero.csv"
    path.write_text("actor,issue,position,salience,capability\nA,x,0,0,1\nB,x,100,0.5,1\n")
    np.testing.assert_array_equal(negotiation_from_data(read_actor_issue_data(path)).saliences,
                                  [[0.01], [0.5]])


def test_verdict_shares_name_the_verdicts_the_runs_reached(tmp_path):
    """Everyone wants 80 against a status quo of 0: every run agrees multilaterally, in the
    shares of several runs as in the verdict of one."""
    path = tmp_path / "unanimous.csv"
    path.write_text("actor,issue,position,salience,capability,status_quo,outcome\n"
                    "A,x,80,1,1,0,100\nB,x,80,0.5,2,0,100\nC,x,80,0.5,1,0,100\n")
    data = read_actor_issue_data(path)
    shares = forecast(data, settings_for(rounds=3), runs=6, seed=2).iloc[0]
    assert (shares["p_multilateral"], shares["p_plurilateral"], shares["p_none"]) == (1, 0, 0)
    assert forecast(data, settings_for(rounds=3)).iloc[0]["verdict"] == "multilateral"


def test_backtest_scores_the_forecast_averaged_over_the_runs(hand):
    data = read_actor_issue_data(hand)
    settings = settings_for("compromise", 3)
    table = forecast(data, settings, runs=5, seed=7).set_index("issue")
    scored = backtest(data, settings, runs=5, seed=7).set_index("issue")
    assert table["forecast_p10"].lt(table["forecast_p90"]).all()  # the runs differ
    assert scored.loc[["x", "y"], "model"].tolist() == pytest.approx(
        table.loc[["x", "y"], "forecast"].tolist(), abs=1e-3)


@pytest.mark.parametrize("protocol", ["compromise", "exchange", "challenge"])
def test_the_observed_outcome_does_not_shape_the_forecast_it_scores(tmp_path, protocol):
    """An outcome beyond the positions once widened the scale the engine works on (noise, steps,
    tolerances), so the forecast moved with the outcome it was scored against."""
    settings = settings_for(protocol, 3)
    predictions = []
    for outcome_y in ("20", "95"):  # inside the positions (10-60), then beyond them
        path = tmp_path / f"outcome_{outcome_y}.csv"
        path.write_text(HAND.replace(",,20\n", f",,{outcome_y}\n"), encoding="utf-8")
        scored = backtest(read_actor_issue_data(path), settings, runs=4, seed=3)
        predictions.append(scored.set_index("issue").loc[["x", "y"], "model"].to_numpy())
        assert scored.set_index("issue").loc["y", "observed"] == float(outcome_y)
    assert np.array_equal(predictions[0], predictions[1])


def test_a_paired_gap_over_one_negotiations_issues_has_their_standard_error():
    gap, error = paired_gap([np.array([1.0, -2.0, 3.0, 4.0])], [np.array([0.0, 0.0, -1.0, 1.0])])
    differences = np.array([1.0, 2.0, 2.0, 3.0])  # absolute errors: the sign is the direction
    assert gap == pytest.approx(differences.mean())
    assert error == pytest.approx(differences.std(ddof=1) / 2)


def test_a_paired_gap_over_negotiations_is_clustered_by_negotiation():
    """Two laws: gaps 1 and 3 in the first, 4 in the second. Mean 8/3; the clusters' summed
    residuals -4/3 and 4/3 give a standard error of sqrt(2/1 x 32/9) / 3 = 8/9."""
    gap, error = paired_gap([np.array([1.0, 3.0]), np.array([5.0])],
                            [np.array([0.0, 0.0]), np.array([1.0])])
    assert (gap, error) == (pytest.approx(8 / 3), pytest.approx(8 / 9))


def test_a_paired_gap_leaves_out_issues_a_method_does_not_predict():
    gap, error = paired_gap([np.array([np.nan, 2.0]), np.array([6.0, np.nan])],
                            [np.array([1.0, 1.0]), np.array([1.0, 1.0])])
    assert (gap, error) == (pytest.approx(3.0), pytest.approx(2.0))  # gaps 1 and 5, two laws
    assert paired_gap([np.array([2.0])], [np.array([1.0])])[0] == 1.0  # one issue: no error
    assert np.isnan(paired_gap([np.array([2.0])], [np.array([1.0])])[1])


_law = st.lists(st.tuples(st.one_of(st.just(np.nan), st.floats(0, 100)), st.floats(0, 100)),
               min_size=1, max_size=4)  # per issue: a method's error, the model's


@settings(max_examples=100)
@given(st.lists(_law, min_size=1, max_size=4), st.integers(0, 4), st.integers(1, 3))
def test_a_negotiation_a_method_predicts_nothing_in_changes_no_paired_gap(laws, at, size):
    """A negotiation in which the method scores no issue (all NaN: the status quo where the
    data give none) takes no part: neither in the gap nor in the clusters of its standard
    error, so that a single other negotiation is still clustered by issue."""
    errors = [np.array([e for e, _ in law]) for law in laws]
    reference = [np.array([r for _, r in law]) for law in laws]
    at = min(at, len(laws))
    blank = ([*errors[:at], np.full(size, np.nan), *errors[at:]],
             [*reference[:at], np.arange(size, dtype=float), *reference[at:]])
    assert paired_gap(*blank) == pytest.approx(paired_gap(errors, reference), nan_ok=True)


def test_a_backtest_tables_paired_gaps_are_clustered_by_negotiation():
    """The per-issue table of two laws, the median's absolute errors 1, 3 (law a) and 11
    against the model's 0, 0 and 1: gaps 1, 3, 10, mean 14/3, and clustered by law a standard
    error of sqrt(2/1 x 2 (16/3)^2) / 3 = 32/9 (by issue it would be 2.73)."""
    table = pd.DataFrame({"negotiation": ["a", "a", "b"], "issue": ["x", "y", "x"],
                          "observed": 0.0, "model": 0.0, "model_error": [0.0, 0.0, -1.0],
                          "median": 0.0, "median_error": [1.0, -3.0, 11.0]})
    assert paired_gaps(table) == {"median": (pytest.approx(14 / 3), pytest.approx(32 / 9))}
    one_law = table.drop(columns="negotiation")  # one negotiation: clustered by issue
    gaps = np.array([1.0, 3.0, 10.0])
    assert paired_gaps(one_law) == {"median": (pytest.approx(14 / 3),
                                               pytest.approx(gaps.std(ddof=1) / np.sqrt(3)))}


def test_a_paired_gap_near_the_float_limit_is_infinite_not_an_error():
    """Squared residuals of errors near 1e308 overflow: the standard error is inf."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing warns on the screen either
        gap, error = paired_gap([np.array([1e308, 0.0])], [np.array([0.0, 0.0])])
    assert (gap, error) == (5e307, np.inf)


def test_backtest_needs_outcomes(sample):
    with pytest.raises(InputError, match="observed outcomes"):
        backtest(sample)


# --- command line -------------------------------------------------------------------------------


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_forecast_csv(capsys):
    code, out, err = run(capsys, "forecast", str(SAMPLE), "--protocol", "exchange",
                         "--rounds", "4", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["issue"] for r in rows][:2] == ["tolheffing-binnenstad", "tol-hoogte"]


def test_cli_backtest_json_and_out(capsys, hand, tmp_path):
    code, out, err = run(capsys, "backtest", str(hand), "--rounds", "3", "--format", "json")
    assert code == 0, err
    records = json.loads(out)
    assert records[-1]["issue"] == "mean absolute error"
    assert records[-1]["median_error"] == pytest.approx(10.0)
    target = tmp_path / "skill.csv"
    code, out, err = run(capsys, "backtest", str(hand), "--format", "csv", "--out", str(target))
    assert code == 0 and target.exists()


def test_cli_shows_the_observed_outcome_and_status_quo_as_given(capsys, tmp_path):
    """On a scale of 1 to 99, 55 and 7.3 do not come back from 0-100 unchanged (they showed as
    54.99999999999999 and 7.299999999999999): the tables show them as the file gives them,
    while the errors stay those of their values through the 0-100 scale."""
    path = tmp_path / "scale.csv"
    path.write_text("actor,issue,position,salience,capability,status_quo,outcome\n"
                    "A,x,1,0.9,11,7.3,55\nB,x,99,0.6,15,7.3,55\nC,x,60,0.4,12,7.3,55\n")
    data = read_actor_issue_data(path)
    code, out, err = run(capsys, "backtest", str(path), "--rounds", "2", "--format", "csv")
    assert code == 0, err
    row = next(csv.DictReader(io.StringIO(out)))
    assert (row["observed"], row["status_quo"]) == ("55.0", "7.3")
    assert float(row["status_quo_error"]) == float(data.to_user_scale(data.status_quo)[0]
                                                    - data.to_user_scale(data.outcome)[0])
    code, out, err = run(capsys, "forecast", str(path), "--rounds", "2", "--format", "csv")
    assert code == 0, err
    assert next(csv.DictReader(io.StringIO(out)))["status_quo"] == "7.3"


@pytest.mark.parametrize(("command", "options"), [
    ("forecast", ["--protocol", "exchange", "--format", "csv"]),
    ("backtest", ["--per-negotiation"]),
])
def test_cli_out_records_what_reproduces_it(capsys, hand, tmp_path, command, options):
    """--out FILE also writes FILE.inputs.json: the seed, runs, settings, data and its sha256
    (as a calibration's inputs.json records them), and a command that writes the same file."""
    from simulation.runs.calibrate import data_digest

    settings = tmp_path / "p.yaml"
    settings.write_text("rounds: 5\nparameters: {bargaining: {protocol: compromise, "
                        "overall_rate: 0.4}}\n", encoding="utf-8")
    target = tmp_path / "first.csv"
    code, _, err = run(capsys, command, str(hand), "--params", str(settings), "--runs", "3",
                       "--seed", "11", *options, "--out", str(target))
    assert code == 0, err
    inputs = json.loads((tmp_path / "first.csv.inputs.json").read_text(encoding="utf-8"))
    assert inputs["seed"] == 11 and inputs["runs"] == 3
    assert inputs["data_sha256"] == data_digest(hand)
    assert inputs["datafile"] == str(hand.resolve())
    assert inputs["params"] == str(settings.resolve())
    assert inputs["settings"]["rounds"] == 5
    assert inputs["settings"]["parameters"]["bargaining"]["overall_rate"] == 0.4
    argv = shlex.split(inputs["command"])
    assert argv[:2] == ["mc11", command]
    again = tmp_path / "again.csv"
    code, _, err = run(capsys, *argv[1:], "--out", str(again))
    assert code == 0, err
    assert again.read_bytes() == target.read_bytes()
    assert json.loads((tmp_path / "again.csv.inputs.json").read_text(encoding="utf-8")) == inputs
    if command == "forecast":  # the table's columns are as without --out
        code, out, _ = run(capsys, *argv[1:])
        assert target.read_text(encoding="utf-8") == out


@pytest.mark.parametrize("existing", ["kept.csv", "kept.csv.inputs.json"])
@pytest.mark.parametrize("command", ["forecast", "backtest"])
def test_cli_out_that_exists_is_refused_before_the_runs(capsys, hand, tmp_path, command,
                                                        existing):
    """A long run must not end in 'the file exists': the check comes first, for the table and
    for the record of its inputs beside it."""
    target, kept = tmp_path / "kept.csv", tmp_path / existing
    kept.write_text("the user's earlier results\n")
    code, out, err = run(capsys, command, str(hand), "--out", str(target))
    assert code == 2 and out == "" and "Traceback" not in err
    assert f"{kept}: --out: the file exists already" in err
    assert "protocol compromise" not in err  # refused before running
    assert kept.read_text() == "the user's earlier results\n"
    other = "kept.csv.inputs.json" if existing == "kept.csv" else "kept.csv"
    assert not (tmp_path / other).exists()  # nothing written beside it


@pytest.mark.parametrize("command", ["forecast", "backtest"])
@pytest.mark.parametrize("rounds", ["0", "1001", "100000"])
def test_cli_rounds_beyond_the_calendar_are_refused_naming_the_range(capsys, hand, command,
                                                                     rounds):
    """Each round is a month of a synthetic calendar: more than 1,000 are refused, as in a
    parameter file, not a traceback from the calendar's months."""
    with pytest.raises(SystemExit) as exit_:
        main([command, str(hand), "--rounds", rounds])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "Traceback" not in err
    assert "argument --rounds: must be a whole number" in err
    assert "from 1 to 1000" in err or rounds == "0"


def test_rounds_beyond_the_calendar_are_an_input_error_in_python_too(hand):
    with pytest.raises(InputError, match="from 1 to 1000"):
        forecast(read_actor_issue_data(hand), settings_for(rounds=1001))


@pytest.mark.parametrize("rounds", ["12", 2.5, True, None, 0])
def test_settings_for_checks_its_rounds_as_the_command_line_does(hand, rounds):
    """settings_for stored any rounds unchecked: "12" and 2.5 ended in a TypeError from inside
    the synthetic calendar, True ran one round."""
    with pytest.raises(InputError, match=r"rounds: .*allowed: a whole number from 1 to 1000"):
        forecast(read_actor_issue_data(hand), settings_for("compromise", rounds=rounds))
    assert settings_for("compromise", rounds=np.int64(3)).rounds == 3


@pytest.mark.parametrize(("call", "wanted"), [
    (lambda data: forecast(str(data.source)), "forecast takes one negotiation's ActorIssueData, "
     "not str .*read_actor_issue_data"),
    (lambda data: backtest([data]), "backtest takes one negotiation's ActorIssueData, not a "
     "list of 1"),
    (lambda data: backtest((data,)), "backtest takes one negotiation's ActorIssueData, not a "
     "tuple of 1"),
    (lambda data: simulate(data, "exchange"), "simulate takes OwnDataSettings as settings"),
    (lambda data: forecast(data, "exchange"), "forecast takes OwnDataSettings as settings, not "
     "str .*settings_for"),
    (lambda data: backtest(data, {"rounds": 3}), "backtest takes OwnDataSettings"),
    (lambda data: backtest_issues(data), "backtest_issues takes a dataset.*give \\[data\\], or "
     "use backtest\\(data\\)"),
    (lambda data: forecast_dataset(str(data.source)), "forecast_dataset takes a dataset.*"
     "read_dataset"),
    (lambda data: forecast_dataset(data), "forecast_dataset takes a dataset.*give \\[data\\], "
     "or use forecast\\(data\\)"),
    (lambda data: forecast_dataset([str(data.source)]), "forecast_dataset's dataset takes one "
     "negotiation's ActorIssueData, not str"),
    (lambda data: settings_for("exchange", base="x"), "settings_for takes OwnDataSettings as "
     "base"),
])
def test_data_or_settings_of_the_wrong_kind_are_a_type_error_saying_what_goes_there(
        hand, call, wanted):
    """Not an AttributeError from deep inside the run ('str' object has no attribute
    'positions')."""
    with pytest.raises(TypeError, match=wanted):
        call(read_actor_issue_data(hand))


@pytest.mark.parametrize("function", [backtest_issues, forecast_dataset])
def test_a_datasets_worker_count_is_checked_as_the_command_line_does(hand, function):
    with pytest.raises(InputError, match="workers: 0; allowed: a whole number of at least 1"):
        function([read_actor_issue_data(hand)], workers=0)


def test_settings_for_numpys_rounds_write_the_parameter_file_of_pythons():
    """The rounds were stored as given: np.int64(3) made settings that yaml cannot write."""
    from simulation.inputs.own_parameters import own_parameters_yaml

    assert own_parameters_yaml(settings_for("compromise", rounds=np.int64(3)), []) == \
        own_parameters_yaml(settings_for("compromise", rounds=3), [])


def test_an_unknown_exchange_rule_is_an_input_error_naming_the_rules():
    """Not pydantic's ValidationError from inside the settings."""
    with pytest.raises(InputError, match="exchange_rule: 'Reference' is not allowed "
                       r"\(did you mean 'reference'\?\); allowed: once, reference"):
        settings_for("exchange", exchange_rule="Reference")


def test_an_exchange_rule_with_another_protocol_is_refused_not_ignored():
    """From Python as on the command line: the rule would seem to have been used."""
    with pytest.raises(InputError, match="only the exchange protocol has an exchange rule"):
        settings_for("compromise", exchange_rule="reference")


@pytest.mark.parametrize(("given", "allowed"), [
    ({"seed": -1}, "from 0 to 2**63 - 1"), ({"seed": 2**63}, "from 0 to 2**63 - 1"),
    ({"seed": 1.5}, "from 0 to 2**63 - 1"), ({"runs": 2.5}, "of at least 1"),
])
def test_a_bad_seed_or_run_count_is_an_input_error_in_python_too(hand, given, allowed):
    """As `--seed` and `--runs` are refused: not numpy's error, and no seed mc11 refuses."""
    with pytest.raises(InputError, match=re.escape(f"allowed: a whole number {allowed}")):
        forecast(read_actor_issue_data(hand), **({"runs": 2, "seed": 7} | given))


def test_numpys_whole_numbers_are_taken_for_the_run_count_and_seed(hand):
    """runs=np.int64(2) ended in pydantic's ValidationError (sample_uncertainty: np.True_;
    allowed: true or false) from inside the run's settings."""
    data = read_actor_issue_data(hand)
    assert forecast(data, runs=np.int64(2), seed=np.int64(7)).equals(
        forecast(data, runs=2, seed=7))


@pytest.mark.parametrize("text", ["", "actor,issue,position\nA,x,1\n",
                                  "#A;A;a\n#P;x;x\n#D;B;x;1;1;1\n"])
def test_cli_bad_file_exits_2_without_traceback(capsys, tmp_path, text):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    code, _, err = run(capsys, "forecast", str(path))
    assert code == 2
    assert err.startswith(f"mc11: error: {path}: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_cli_backtest_without_outcomes_exits_2(capsys):
    code, _, err = run(capsys, "backtest", str(SAMPLE))
    assert code == 2 and "outcome" in err


def test_cli_forecast_trace(capsys):
    code, out, err = run(capsys, "forecast", str(SAMPLE), "--protocol", "exchange", "--rounds",
                         "2", "--trace")
    assert code == 0, err
    assert "round 1  exchange  Willems  with Wcentr" in out  # the reference's first exchange
    traced = [line for line in out.splitlines()[1:] if "exchange" in line]
    assert traced and all(line.startswith("round ") for line in traced)  # no made-up month
    code, _, err = run(capsys, "forecast", str(SAMPLE), "--trace", "--runs", "2")
    assert code == 2 and "--trace" in err


def test_cli_forecast_trace_without_notable_events_says_so(capsys, hand):
    """One round of compromise moves no actor 10 points: the trace says so, not a blank."""
    code, out, err = run(capsys, "forecast", str(hand), "--rounds", "1", "--trace")
    assert code == 0, err
    assert out.splitlines()[1] == "  (no move of 10 points or more, no exchange)"


def test_cli_backtest_table_shows_errors(capsys, hand):
    code, out, err = run(capsys, "backtest", str(hand), "--rounds", "3")
    assert code == 0, err
    header, x, y, last, *summary = out.strip().splitlines()
    assert header.split() == ["issue", "observed", "model", "status_quo", "mean", "median",
                              "capability_mean", "salience_mean", "capability_salience_mean",
                              "capability_salience_median"]
    assert last.split()[-7:] == ["30.0", "15.0", "10.0", "6.25", "7.5", "4.5", "15.0"]
    methods = "\n".join(summary)
    # issue y has no status quo: that baseline is scored on x alone, and says so, and its
    # paired gap to the model is on x alone, without a standard error
    model_x, model_y = abs(float(x.split()[2])), abs(float(y.split()[2]))
    status_quo = next(line for line in summary if line.strip().startswith("no change"))
    assert status_quo.split()[-3:-1] == ["1", "30.000"]
    assert float(status_quo.split()[-1]) == pytest.approx(30 - model_x, abs=1e-3)
    # the mean's errors are 20 on x and 10 on y: a gap per issue, their mean and its standard
    # error over the two issues (their difference over 2)
    mean = next(line for line in summary if line.strip().startswith("mean of the positions"))
    gaps = (20 - model_x, 10 - model_y)
    mae, gap, plus_minus, error = mean.split()[-4:]  # the model's errors shown rounded
    assert (mae, plus_minus) == ("15.000", "±")
    assert float(gap) == pytest.approx(sum(gaps) / 2, abs=2e-3)
    assert float(error) == pytest.approx(abs(gaps[0] - gaps[1]) / 2, abs=2e-3)
    model = next(line for line in summary if line.strip().startswith("the model"))
    assert model.split()[-2] == "2"  # issues scored, then its error: no gap to itself
    assert any(line.split()[-10:-4] == ["column", "issues", "scored", "mean", "absolute",
                                        "error"] for line in summary)
    assert "positive: the model is closer" in out
    for words in ("no change: the status quo", "median of the positions",
                  "capability-weighted mean (salience ignored)",
                  "salience-weighted mean (equal capability)",
                  "capability x salience weighted mean"):
        assert words in methods


def test_cli_backtest_counts_one_scored_issue_in_the_singular(capsys, tmp_path):
    """Issue y has no outcome, so one issue is scored: "over 1 issue", not "over 1 issues"."""
    path = tmp_path / "one.csv"
    path.write_text(HAND.replace(",20\n", ",\n"), encoding="utf-8")
    code, out, err = run(capsys, "backtest", str(path), "--rounds", "3")
    assert code == 0, err
    assert "\nmean absolute error over 1 issue:\n" in out


def test_progress_counts_every_run_of_one_negotiation_and_changes_nothing(sample):
    """A long run of one negotiation reports as its runs finish; its results are those of a run
    without progress."""
    settings = settings_for("compromise", 3)
    seen: list[int] = []
    shown = forecast_dataset([sample], settings, runs=1100, seed=3, progress=seen.append)
    assert sum(seen) == 1100 and len(seen) > 1
    assert shown.equals(forecast_dataset([sample], settings, runs=1100, seed=3))


def test_a_forecast_does_not_depend_on_the_slices_its_runs_are_kept_in(sample, monkeypatch):
    """Runs are made and kept in slices (memory stays small for any number of runs): slices
    of 7 give the table of one slice."""
    from simulation.runs import forecast as module

    settings = settings_for("exchange", 3)
    whole = forecast_dataset([sample], settings, runs=30, seed=4)
    monkeypatch.setattr(module, "PROGRESS_RUNS", 7)
    assert forecast_dataset([sample], settings, runs=30, seed=4).equals(whole)


def test_progress_counts_every_negotiation_of_a_dataset(dataset):
    settings = settings_for("compromise", 3)
    seen: list[int] = []
    issues = backtest_issues(dataset, settings, runs=2, seed=1, workers=2, progress=seen.append)
    assert sum(seen) == 2 * len(dataset) and len(seen) == len(dataset)
    assert issues.equals(backtest_issues(dataset, settings, runs=2, seed=1))


@pytest.mark.parametrize("command", ["forecast", "backtest"])
def test_cli_long_runs_show_progress_lines_off_a_terminal(capsys, monkeypatch, long_csv,
                                                          command):
    """A log gets plain lines; runs that end within the first seconds show none."""
    from simulation.runs import progress

    code = main([command, str(long_csv), "--runs", "2", "--workers", "1"])
    assert code == 0 and "mc11: " + command not in capsys.readouterr().err
    clock = iter(range(0, 10_000, 20))
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    code = main([command, str(long_csv), "--runs", "2", "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"mc11: {command}: 8/8 runs (100%)" in err and "\r" not in err


def test_cli_forecast_describes_a_one_issue_file_in_the_singular(capsys, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("actor,issue,position,salience,capability\nA,x,0,1,1\nB,x,9,1,1\n")
    code, _, err = run(capsys, "forecast", str(path))
    assert code == 0 and f"{path}: 2 actors, 1 issue; protocol compromise" in err


@pytest.mark.parametrize("runs", ["1", "3"])
def test_values_a_forecast_cannot_give_are_shown_alike_in_every_file_format(runs, capsys):
    """Without a status quo there is no verdict: the Decide sample's table showed Python's
    `None` where a CSV's showed NaN; both now show "-", and a CSV an empty field."""
    assert main(["forecast", str(SAMPLE), "--runs", runs]) == 0
    out = capsys.readouterr().out
    header, first = out.splitlines()[:2]
    cells = dict(zip(header.split(), first.split(), strict=True))
    verdicts = ("verdict", "text") if runs == "1" else ("p_multilateral", "p_none")
    assert cells["status_quo"] == "-" and [cells[name] for name in verdicts] == ["-", "-"]
    assert "None" not in out and "NaN" not in out
    assert main(["forecast", str(SAMPLE), "--runs", runs, "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[1].split(",")[rows[0].split(",").index(verdicts[0])] == ""


@pytest.mark.parametrize("runs", ["1", "3"])
def test_a_forecast_of_several_runs_says_its_band_is_no_forecast_interval(runs, capsys):
    """The _p10/_p90 band of several runs is the spread of the assumed measurement noise: a
    note under the table says so and where the forecast's real errors are; one run has none."""
    code, _, err = run(capsys, "forecast", str(SAMPLE), "--runs", runs)
    assert code == 0, err
    said = "not a forecast interval: `mc11 backtest` measures how far forecasts miss" in err
    assert said == (runs == "3"), err


def test_values_near_the_float_limit_are_scored_and_printed_as_given(capsys, tmp_path):
    """Two actors at 1e308 (a span of 0 is allowed): every baseline predicts 1e308, not inf
    (a mean summed on the user's scale overflowed), the table prints 1e308 (rounding it to 3
    decimals overflowed to inf), and nothing warns on the screen."""
    data = tmp_path / "limit.csv"
    data.write_text("actor,issue,position,salience,capability,status_quo,outcome\n"
                    "A,x,1e308,1,1,1e308,1e308\nB,x,1e308,1,1,1e308,1e308\n")
    code, out, err = run(capsys, "backtest", str(data), "--rounds", "3", "--format", "json")
    assert code == 0, err
    (row, _) = json.loads(out)
    change = {"changed": 0.0, "model_p_change": 0.0, "base_rate_p_change": None}  # no other issue
    assert {name: row.pop(name) for name in change} == change
    assert {name: row[name] for name in row if name != "issue"} == pytest.approx(
        {name: (0.0 if name.endswith("_error") else 1e308) for name in row if name != "issue"})
    code, out, err = run(capsys, "backtest", str(data), "--rounds", "3")
    assert code == 0 and "Warning" not in err, err
    assert out.splitlines()[1].split()[:2] == ["x", "1.000000e+308"]


@pytest.mark.parametrize("command", ["forecast", "backtest"])
def test_cli_rounds_up_to_the_calendars_end_are_accepted(capsys, hand, command):
    """--rounds 1000, the last month of the synthetic calendar, runs."""
    code, _, err = run(capsys, command, str(hand), "--rounds", "1000")
    assert code == 0, err
    assert "protocol compromise, 1000 rounds" in err


@pytest.mark.parametrize(("top", "said"), [(10, True), (50, False)])
def test_backtest_and_calibrate_say_when_pooled_errors_mix_scales(tmp_path, capsys, top, said):
    """Errors pool in each issue's own units: an issue on 0-10 beside one on 0-100 counts a
    tenth as much, which a user rescaling one issue found changed every skill figure. Where the
    scales differ more than fivefold, both commands say so; within it, neither does."""
    rows = []
    for law in ("a", "b"):
        for issue, high in (("wide", 100), ("narrow", top)):
            rows += [f"{law},{actor},{issue},{position * high / 100:g},1,1,{50 * high / 100:g},"
                     f"0,{high}" for actor, position in (("A", 0), ("B", 100))]
    path = tmp_path / "laws.csv"
    path.write_text("negotiation,actor,issue,position,salience,capability,outcome,scale_low,"
                    "scale_high\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert main(["backtest", str(path)]) == 0
    assert ("scales differ in width from" in capsys.readouterr().err) == said
    assert main(["calibrate", str(path), "--protocol", "compromise", "--folds", "2",
                 "--trials", "1", "--dir", str(tmp_path / "cal")]) == 0
    err = capsys.readouterr().err
    assert ("scales differ in width from 10 to 100" in err) == said, err


@pytest.mark.parametrize("given", [False, True])
def test_issues_without_a_scale_are_named_with_the_range_taken(tmp_path, capsys, given):
    """Without scale_low/scale_high an issue's scale is its values' range, which moved a
    user's exchange forecast (0-90 instead of 0-100) without a word on the screen."""
    path = tmp_path / "six.csv"
    ends = ",0,100" if given else ""
    path.write_text("actor,issue,position,salience,capability" + (",scale_low,scale_high"
                                                                 if given else "") + "\n"
                    + "".join(f"{a},tariffs,{p},0.5,1{ends}\n"
                              for a, p in (("A", 0), ("B", 45), ("C", 90))), encoding="utf-8")
    assert main(["forecast", str(path)]) == 0
    err = capsys.readouterr().err
    assert ("1 of 1 issue gives no scale" in err and "'tariffs': 0 to 90" in err) != given, err


def test_data_without_outcomes_have_no_mixed_scales_to_say(hand):
    """Nothing scored, nothing pooled: no note, and no error from an empty list of scales."""
    from simulation.runs.forecast import mixed_scales

    data = read_actor_issue_data(hand)
    assert mixed_scales([dataclasses.replace(data, outcome=None)]) is None

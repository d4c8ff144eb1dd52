"""The realised exchanges of `mc11 forecast --protocol exchange` in decide-exchange-model's columns.

The reference (github.com/foarsitter/decide-exchange-model, GPL-3.0) writes, for its equal-gain
model, one file per round, ``exchanges/<round>.output.csv``, ';'-separated, with the header of
its csvWriter.py (below). Its published figures for the first exchange on the Decide sample data
(tests/data/decide_sample_data.csv) are asserted in decide/model/test/test_model.py and
test_calculations.py (see tests/test_exchange_reference.py).
"""

import csv
from pathlib import Path

import numpy as np
import pytest

from simulation.cli import main
from simulation.engine import exchange
from simulation.inputs.importers import read_actor_issue_data
from simulation.runs.forecast import (
    forecast,
    negotiation_from_data,
    reference_exchange_rows,
    settings_for,
    trace_events,
    traced_run,
)

SAMPLE = Path(__file__).parent / "data" / "decide_sample_data.csv"
HEADER = ("actor_name;supply;actor_name;supply;gain;supply;move;y;demand;supply;move;y;demand;"
          "dp;dq;nbs_0;nbs_1;nbs_0;nbs_1")
TOL = 1e-6


@pytest.fixture(scope="module")
def sample():
    return read_actor_issue_data(SAMPLE)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def outcome(positions: np.ndarray, negotiation, issue: int) -> float:
    """The capability x salience weighted mean position on one issue."""
    weights = negotiation.capability * negotiation.saliences[:, issue]
    return float(weights @ positions[:, issue] / weights.sum())


def test_first_row_has_the_reference_published_figures(sample):
    """Round 1's first exchange: Willems gives way on extra-investering (25 -> 100, to Wcentr's
    100), Wcentr on tolheffing-binnenstad (0 -> 61.05117364047237, toward Willems' 100); equal gain
    1.973684210526315789473684214; outcome shifts 10.387811634349030 on tolheffing-binnenstad
    (dp) and 13.157894736842105 on extra-investering (dq)."""
    row = reference_exchange_rows(sample, settings_for("exchange", 2))[0][0]
    assert row[:4] == ("Willems", "extra-investering", "Wcentr", "tolheffing-binnenstad")
    want = [1.973684210526315789473684214,
            25.0, 75.0, 100.0, 100.0,
            0.0, 61.05117364047237206589881911, 61.05117364047237206589881911, 100.0,
            10.38781163434903047091412743, 13.15789473684210526315789474]  # fmt: skip
    assert list(row[4:15]) == pytest.approx(want, abs=TOL)
    # nbs_0 / nbs_1: the expected outcome of each supply issue before and after the move
    nego = negotiation_from_data(sample, rounds=2)
    extra, toll = sample.issues.index("extra-investering"), sample.issues.index(
        "tolheffing-binnenstad")
    willems, wcentr = sample.actors.index("Willems"), sample.actors.index("Wcentr")
    after = nego.positions.copy()
    after[willems, extra], after[wcentr, toll] = row[7], row[11]
    assert row[15] == pytest.approx(49.48830409356725, abs=TOL)  # calc_nbs of the sample
    assert row[17] == pytest.approx(49.353233830845774, abs=TOL)
    assert row[16] == pytest.approx(outcome(after, nego, extra), abs=TOL)
    assert row[18] == pytest.approx(outcome(after, nego, toll), abs=TOL)


@pytest.mark.parametrize("rule", ["once", "reference"])
def test_rows_are_consistent_and_outcomes_stop_at_the_partner(sample, rule):
    """In every row: y = start + move, |nbs_1 - nbs_0| is the outcome shift of that issue, and
    the outcome does not pass the position the actor moves toward (base.py check_nbs)."""
    nego = negotiation_from_data(sample)
    _, realised = exchange.exchange_round(nego.positions, nego.saliences, nego.capability,
                                          rule=rule)
    rows = exchange.reference_rows(realised, nego.positions, sample.actors, sample.issues)
    assert len(rows) == len(realised) > 10
    for row in rows:
        for start, move, y, demand, nbs_0, nbs_1, shift in (
            (row[5], row[6], row[7], row[8], row[15], row[16], row[14]),  # i, issue q: dq
            (row[9], row[10], row[11], row[12], row[17], row[18], row[13]),  # j, issue p: dp
        ):
            assert y == pytest.approx(start + move, abs=1e-9)
            assert abs(nbs_1 - nbs_0) == pytest.approx(shift, abs=1e-9)
            assert np.sign(nbs_1 - nbs_0) == np.sign(move) == np.sign(demand - start)
            assert (demand - nbs_0) * (demand - nbs_1) >= -1e-9


def test_exchange_files_follow_the_forecast_run(sample):
    """The exchange files follow the run `forecast` reports: the same exchanges each round as
    the trace, and the same compromise after the last round."""
    rounds = traced_run(sample, settings_for("exchange", 3)).exchanges
    assert len(rounds) == 3
    nego = negotiation_from_data(sample, rounds=3)
    last_start, last_realised = rounds[-1]
    final = exchange.next_start_positions(last_start, nego.saliences, last_realised)
    compromise = sample.to_user_scale(
        [outcome(final, nego, j) for j in range(len(sample.issues))])
    table = forecast(sample, settings_for("exchange", 3))
    assert table["compromise"].to_numpy() == pytest.approx(compromise, abs=1e-3)
    events = trace_events(sample, settings_for("exchange", 3))
    for number, (_, realised) in enumerate(rounds, 1):
        traced = [e for e in events if e[0].endswith(f"round {number}") and e[1] == "exchange"]
        assert [e[2] for e in traced] == [sample.actors[i] for i in realised["i"]]


def test_cli_writes_one_file_per_round_and_keeps_existing_ones(capsys, sample, tmp_path):
    code, _, err = run(capsys, "forecast", str(SAMPLE), "--protocol", "exchange", "--rounds",
                       "3", "--trace-dir", str(tmp_path / "trace"))
    assert code == 0, err
    folder = tmp_path / "trace" / "exchanges"
    assert sorted(p.name for p in folder.iterdir()) == [f"{r}.output.csv" for r in range(3)]
    rows = reference_exchange_rows(sample, settings_for("exchange", 3))
    total = sum(map(len, rows))  # every round's exchanges, not the rounds
    assert total > 3 and f"wrote {total} exchanges in 3 files to {folder}\n" in err
    for number, want in enumerate(rows):
        lines = (folder / f"{number}.output.csv").read_text(encoding="utf-8").splitlines()
        assert lines[0] == HEADER
        assert len(lines) == 1 + len(want)  # one row per realised exchange
        records = list(csv.reader(lines[1:], delimiter=";"))
        assert [r[:4] for r in records] == [list(w[:4]) for w in want]
        assert [float(r[4]) for r in records] == [w[4] for w in want]  # full precision
    first = (folder / "0.output.csv").read_text(encoding="utf-8")
    assert first.splitlines()[1].startswith("Willems;extra-investering;Wcentr;"
                                            "tolheffing-binnenstad;1.97368421")
    # an existing trace is never overwritten
    code, _, err = run(capsys, "forecast", str(SAMPLE), "--protocol", "exchange", "--rounds",
                       "2", "--trace-dir", str(tmp_path / "trace"))
    assert code == 2 and "exists already" in err
    assert (folder / "0.output.csv").read_text(encoding="utf-8") == first
    assert not (folder / "3.output.csv").exists()


@pytest.mark.parametrize("extra", [["--protocol", "compromise"],
                                   ["--protocol", "exchange", "--runs", "2"]])
def test_cli_trace_dir_needs_one_exchange_run(capsys, tmp_path, extra):
    code, _, err = run(capsys, "forecast", str(SAMPLE), *extra, "--trace-dir", str(tmp_path))
    assert code == 2 and "--trace-dir" in err
    assert not (tmp_path / "exchanges").exists()

"""Exchange fidelity: `--exchange-rule reference` realises, round by round, the exchanges that
decide-exchange-model's equal-gain model realises on the same input.

Ground truth: tests/data/decide_equalgain_* (the reference run on its sample data and on the 2012
Dutch election data; procedure, commit and licence in tests/data/README.md). The reference
computes in 28-digit decimals. Where its choice hangs on the last digits, float64 cannot follow
it, and each such place is accepted only as the first difference of its round:

* a tie: the realised exchange and the runner-up differ in gain by less than 1e-20
  (`tied_with`): the reference's order then comes from rounding or from its list order;
* a knife edge: right after an exchange whose move was cut so that the outcome landed on the
  partner's position (`adjusted_by_nbs`), a remaining exchange of the same supplier on that
  issue starts with the outcome exactly there, and the sign of a 1e-26 residue decides whether
  the reference cuts it to nothing (sample round 5) or realises it (sample round 4, seq 42).
  We realise it: an outcome on the partner's position does not pass it.

Everything before the first such place in a round must match: actors, issues and order exactly,
voting positions to 1e-6, gains to 1e-9.
"""

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.engine import exchange as ex
from simulation.inputs.importers import read_actor_issue_data
from simulation.runs.forecast import settings_for, traced_run

DATA = Path(__file__).parent / "data"
RUNS = {  # ground truth: rounds that must match in full, from the reference's start positions
    "decide_equalgain_sample": 8,
    "decide_equalgain_sample_rawscale": 9,
    "decide_equalgain_verkiezing2012": 7,
}


def truth(prefix: str) -> tuple[pd.DataFrame, pd.DataFrame, list[str], list[str]]:
    positions = pd.read_csv(DATA / f"{prefix}_positions.csv")
    rounds = pd.read_csv(DATA / f"{prefix}_rounds.csv", keep_default_na=False)
    outcomes = pd.read_csv(DATA / f"{prefix}_outcomes.csv")
    return (positions, rounds, list(dict.fromkeys(positions["actor"])),
            list(dict.fromkeys(outcomes["issue"])))


def reference_rows(rounds: pd.DataFrame, number: int) -> list[tuple]:
    return [(r.i_actor, r.i_supply_issue, r.j_actor, r.j_supply_issue, float(r.gain),
             float(r.i_position_after), float(r.j_position_after))
            for r in rounds[rounds["round"] == number].itertuples()]


def our_rows(realised: np.ndarray, actors, issues) -> list[tuple]:
    return [(actors[i], issues[q], actors[j], issues[p], g, y_i, y_j)
            for i, j, p, q, g, y_i, y_j in zip(*(realised[f].tolist() for f in
                                                  ("i", "j", "p", "q", "gain", "y_i", "y_j")),
                                               strict=True)]


def same(ours: tuple, theirs: tuple) -> bool:
    return (ours[:4] == theirs[:4] and abs(ours[4] - theirs[4]) <= 1e-9 * max(1.0, theirs[4])
            and abs(ours[5] - theirs[5]) <= 1e-6 and abs(ours[6] - theirs[6]) <= 1e-6)


def decided_by_rounding(rounds: pd.DataFrame, number: int, seq: int) -> bool:
    """Whether the reference's exchange `seq` (1-based) of round `number`, or the one before
    it, is a tie or follows a cut onto the partner's position (see the module notes)."""
    rows = rounds[rounds["round"] == number].set_index("seq")
    here = rows.loc[seq] if seq in rows.index else None
    before = rows.loc[seq - 1] if seq - 1 in rows.index else None
    tie = (here is not None and here["tied_with"] != "") or (
        before is not None and before["tied_with"] != "")
    cut = before is not None and "True" in (str(before["i_adjusted_by_nbs"]),
                                            str(before["j_adjusted_by_nbs"]))
    return tie or cut


def first_difference(ours: list[tuple], theirs: list[tuple]) -> int | None:
    for seq, (mine, reference) in enumerate(zip(ours, theirs, strict=False), 1):
        if not same(mine, reference):
            return seq
    return None if len(ours) == len(theirs) else min(len(ours), len(theirs)) + 1


@pytest.mark.parametrize("prefix", list(RUNS))
def test_every_round_from_the_references_start_positions(prefix):
    positions, rounds, actors, issues = truth(prefix)
    n, k = len(actors), len(issues)
    full = 0
    for number in sorted(positions["round"].unique()):
        start = positions[positions["round"] == number]
        X, S, C = np.zeros((n, k)), np.zeros((n, k)), np.zeros((n, k))
        present = np.zeros((n, k), dtype=bool)
        for row in start.itertuples():
            a, i = actors.index(row.actor), issues.index(row.issue)
            X[a, i], S[a, i], C[a, i], present[a, i] = (row.position_start, row.salience,
                                                        row.power, True)
        _, realised = ex.exchange_round(X, S, C, present, rule="reference")
        ours, theirs = our_rows(realised, actors, issues), reference_rows(rounds, number)
        seq = first_difference(ours, theirs)
        if seq is None:
            full += 1
        else:
            assert decided_by_rounding(rounds, number, seq), (prefix, number, seq)
    assert full >= RUNS[prefix]


def decide_sample_file(folder: Path) -> Path:
    """The reference's data/input/sample_data.txt rebuilt from decide_sample_data.csv: the
    same rows, the actor VVD named VVDs as there, and the #M bounds the reference read."""
    outcomes = pd.read_csv(DATA / "decide_equalgain_sample_outcomes.csv")
    bounds = outcomes[outcomes["round"] == 1].set_index("issue")
    with (DATA / "decide_sample_data.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    name = {"VVD": "VVDs"}
    lines = [f"#A;{name.get(a, a)};{a}" for a in dict.fromkeys(r["actor"] for r in rows)]
    for issue in dict.fromkeys(r["issue"] for r in rows):
        lines += [f"#P;{issue};{issue}", f"#M;{issue};{bounds.loc[issue, 'lower']};low",
                  f"#M;{issue};{bounds.loc[issue, 'upper']};high"]
    lines += [f"#D;{name.get(r['actor'], r['actor'])};{r['issue']};{r['position']};"
              f"{r['salience']};{r['power']}" for r in rows]
    path = folder / "sample_data.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("prefix", "rounds_equal", "then_equal"), [
    ("decide_equalgain_sample", 4, 33),  # round 5 from seq 34: the knife edge after a cut
    ("decide_equalgain_verkiezing2012", 0, 27),  # round 1 seq 28: a tie within 1e-27
])
def test_forecast_with_the_reference_rule_follows_the_reference(tmp_path, prefix, rounds_equal,
                                                                then_equal):
    """The whole own-data path (reading the Decide file, the model's rounds, next-round
    positions) with `--exchange-rule reference`, chained over the rounds: every exchange and
    every round-start position equal the reference's until its first rounding-decided choice."""
    source = (decide_sample_file(tmp_path) if "sample" in prefix
              else DATA / "decide_verkiezing2012.csv")
    data = read_actor_issue_data(source)
    model = traced_run(data, settings_for("exchange", 10, "reference"))
    positions, rounds, _, _ = truth(prefix)
    assert len(model.exchanges) > rounds_equal  # the round where they part is compared too
    for number, (start, realised) in enumerate(model.exchanges[:rounds_equal + 1], 1):
        expected = positions[positions["round"] == number]
        for row in expected.itertuples():
            a, i = data.actors.index(row.actor), data.issues.index(row.issue)
            assert start[a, i] == pytest.approx(row.position_start, abs=1e-6)
        ours = our_rows(realised, data.actors, data.issues)
        theirs = reference_rows(rounds, number)
        if number <= rounds_equal:
            assert first_difference(ours, theirs) is None, number
        else:
            assert first_difference(ours, theirs) == then_equal + 1
            assert decided_by_rounding(rounds, number, then_equal + 1)


def test_cli_reads_the_election_file_and_leaves_out_the_actor_without_positions(capsys,
                                                                                tmp_path):
    code = main(["forecast", str(DATA / "decide_verkiezing2012.csv"), "--protocol", "exchange",
                 "--exchange-rule", "reference", "--rounds", "1", "--trace-dir",
                 str(tmp_path / "trace")])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "actor '50+' has no position on any issue; left out" in err
    with (tmp_path / "trace" / "exchanges" / "0.output.csv").open(newline="") as handle:
        written = list(csv.reader(handle, delimiter=";"))[1:]
    _, rounds, _, _ = truth("decide_equalgain_verkiezing2012")
    for row, reference in zip(written[:27], reference_rows(rounds, 1), strict=False):
        assert (row[0], row[1], row[2], row[3]) == reference[:4]
        assert float(row[7]) == pytest.approx(reference[5], abs=1e-6)
    assert len(written) == 73  # as many as the reference realises in round 1


def test_an_actor_without_a_position_stays_out_under_measurement_noise(tmp_path):
    """Missing pairs have salience 0, also in runs with sampled saliences."""
    from simulation.engine.model import NegotiationModel
    from simulation.engine.parameters import Parameters
    from simulation.runs.forecast import negotiation_from_data

    data = read_actor_issue_data(DATA / "decide_verkiezing2012.csv")
    nego = negotiation_from_data(data, rounds=2, runs=4)
    absent = nego.saliences == 0
    assert absent.sum() == 2  # PvdD and SGP on bezuinig
    model = NegotiationModel(nego, Parameters(), seeds=[1, 2, 3, 4])
    assert (model.saliences[:, absent] == 0).all() and (model.saliences[:, ~absent] > 0).all()

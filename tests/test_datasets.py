"""Datasets of many negotiations: the DEU III converter, per-negotiation runs in parallel, the
per-negotiation and pooled backtest, parameter files."""

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from simulation.cli import main
from simulation.errors import InputError
from simulation.inputs import DEFAULT_ROUNDS
from simulation.inputs.deu import convert_deu
from simulation.inputs.importers import read_dataset
from simulation.inputs.own_parameters import read_own_parameters
from simulation.runs.forecast import (
    backtest_issues,
    forecast_dataset,
    settings_for,
    summary_by_negotiation,
)

DEU = Path(__file__).parent / "data" / "deu3_synthetic.csv"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_deu_conversion_follows_its_stated_rules(long_csv):
    converted = convert_deu(DEU)
    assert converted.dropped == ["s004"]  # the proposal without any outcome
    assert converted.proposals == 4 and converted.filled_saliences == 1
    with long_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    assert {r["negotiation"] for r in rows} == {"s001", "s002", "s003", "s005"}
    assert all(0 <= float(r["salience"]) <= 1 for r in rows)
    # the capability row: the same capability for an actor everywhere, > 0
    by_actor = {}
    for r in rows:
        assert by_actor.setdefault(r["actor"], r["capability"]) == r["capability"]
    with DEU.open() as handle:
        raw = list(csv.reader(handle, delimiter="\t"))
    header, capability, first = raw[0], raw[1], raw[2]
    takers = [h[1:] for h, v in zip(header, first, strict=True)
              if h.startswith("p") and f"s{h[1:]}" in header and v]
    s001i1 = [r for r in rows if r["issue"] == "s001i1"]
    assert [r["actor"] for r in s001i1] == takers
    assert s001i1[0]["capability"] == f"{float(capability[header.index('p' + takers[0])]):g}"


def test_deu_conversion_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("prnr\tisnr\tpcom\tscom\trp\n")
    with pytest.raises(InputError, match="missing column 'out'"):
        convert_deu(bad)
    no_capability = tmp_path / "nocap.csv"
    lines = DEU.read_text().splitlines()
    no_capability.write_text("\n".join([lines[0], *lines[2:]]) + "\n")
    with pytest.raises(InputError, match="no capability row"):
        convert_deu(no_capability)


def _without_outcome(header: str, line: str) -> str:
    """A DEU row with its outcome (column `out`) blank."""
    fields = line.split("\t")
    fields[header.split("\t").index("out")] = ""
    return "\t".join(fields)


def _deu_lines(tmp_path: Path, edit) -> Path:
    """The synthetic DEU copy with its list of lines changed by `edit`."""
    path = tmp_path / "deu.csv"
    path.write_text("".join(f"{line}\n" for line in edit(DEU.read_text().splitlines())))
    return path


@pytest.mark.parametrize(("edit", "field", "problem"), [
    (lambda lines: [], "file", "the file is empty"),
    (lambda lines: ["prnr\tisnr\tpfr\tsfr\trp\tout", *lines[1:]], "line 1: header",
     "fewer than two actors"),
    (lambda lines: [lines[0], lines[1] + "\textra", *lines[2:]], "line 2: row",
     "as in the header"),
    (lambda lines: [lines[0], lines[1], lines[1], *lines[2:]], "line 3: prnr",
     "allowed: one capability row"),
    (lambda lines: lines[:2], "rows", "nothing to convert: it has no proposal rows"),
    # an actor's salience column in capitals would drop the actor (Germany) unseen
    (lambda lines: [lines[0].replace("\tsde\t", "\tSde\t"), *lines[1:]],
     "line 1: column 'pde'", "no column 'sde' beside it"),
    (lambda lines: [lines[0], lines[1], lines[2], lines[2], *lines[3:]], "line 4: isnr",
     "issue 's001i1' of proposal 's001' again (first on line 3)"),
    (lambda lines: [lines[0], lines[1], *(_without_outcome(lines[0], line) for line in lines[2:])],
     "rows", "nothing to convert: none of its"),
    # each of DEU III's proposal, issue and reference point columns is required, not only 'out'
    (lambda lines: [lines[0].replace("\tprnr\t", "\tPRNR\t"), *lines[1:]], "line 1: header",
     "missing column 'prnr'"),
    (lambda lines: [lines[0].replace("\tisnr\t", "\tISNR\t"), *lines[1:]], "line 1: header",
     "missing column 'isnr'"),
    (lambda lines: [lines[0].replace("\trp\t", "\tRP\t"), *lines[1:]], "line 1: header",
     "missing column 'rp'"),
    # a row shorter than the header, not only a longer one
    (lambda lines: [*lines[:2], lines[2].rsplit("\t", 1)[0], *lines[3:]], "line 3: row",
     "74 fields; allowed: 75 as in the header"),
])
def test_deu_files_of_the_wrong_shape_name_the_line(tmp_path, edit, field, problem):
    path = _deu_lines(tmp_path, edit)
    with pytest.raises(InputError) as caught:
        convert_deu(path)
    assert (caught.value.source, caught.value.field) == (str(path), field)
    assert problem in caught.value.problem


def test_deu_to_csv_refuses_a_missing_file_and_an_existing_output(tmp_path, capsys):
    code, _, error = run(capsys, "deu-to-csv", str(tmp_path / "nowhere.csv"),
                         str(tmp_path / "out.csv"))
    assert code == 2 and "nowhere.csv: file: no such file" in error
    kept = tmp_path / "kept.csv"
    kept.write_text("earlier work\n")
    code, _, error = run(capsys, "deu-to-csv", str(DEU), str(kept))
    assert code == 2 and f"{kept}: OUT: the file exists already" in error
    assert kept.read_text() == "earlier work\n"
    code, _, error = run(capsys, "deu-to-csv", str(DEU), str(tmp_path))
    assert code == 2 and f"{tmp_path}: OUT: this is a folder; give the name of a new file" in error


def test_deu_to_csv_reports_what_it_wrote_left_out_and_filled(tmp_path, capsys):
    out = tmp_path / "long.csv"
    code, _, error = run(capsys, "deu-to-csv", str(DEU), str(out))
    assert code == 0
    assert error.splitlines() == [
        f"wrote 65 actor-issue rows of 4 proposals (one negotiation each) to {out}",
        "left out 1 proposal without any coded outcome: s004",
        "1 position without a coded salience was given salience 50 (0.5 in the CSV, whose "
        "saliences run 0-1)",
    ]


def _deu_with(tmp_path: Path, column: str, value: str, line: int = 3) -> Path:
    """The synthetic DEU copy with one field changed (line 2 is the capability row)."""
    rows = list(csv.reader(DEU.open(newline=""), delimiter="\t"))
    rows[line - 1][rows[0].index(column)] = value
    path = tmp_path / "deu.csv"
    with path.open("w", newline="") as handle:
        csv.writer(handle, delimiter="\t", lineterminator="\n").writerows(rows)
    return path


@pytest.mark.parametrize(("column", "value", "line"), [
    ("pfr", "nan", 3), ("pfr", "-20", 3), ("sfr", "150", 3), ("rp", "101", 3), ("out", "inf", 3),
])
def test_deu_values_off_its_0_100_scale_are_refused(tmp_path, column, value, line):
    """DEU III codes positions, saliences, reference points and outcomes on 0-100; anything
    else would only surface later, as an error in the converted file."""
    path = _deu_with(tmp_path, column, value, line)
    with pytest.raises(InputError) as caught:
        convert_deu(path)
    assert (caught.value.source, caught.value.field) == (str(path), f"line {line}: {column}")
    assert caught.value.problem == f"{value!r}; allowed: a number from 0 to 100, or blank"


@pytest.mark.parametrize("value", ["nan", "0", "-1", "inf", ""])
def test_deu_capability_that_is_not_a_positive_number_is_refused(tmp_path, value):
    path = _deu_with(tmp_path, "pfr", value, 2)
    with pytest.raises(InputError) as caught:
        convert_deu(path)
    assert (caught.value.source, caught.value.field) == (str(path), "line 2: pfr")
    assert caught.value.problem == (f"{value!r}; the capability row needs a number above 0 for "
                                    "every actor")


def test_deu_position_without_a_salience_gets_the_scales_midpoint(tmp_path):
    """France's salience on s001i1 left blank: its row keeps the position, salience 0.5."""
    before = convert_deu(DEU)
    after = convert_deu(_deu_with(tmp_path, "sfr", "", 3))
    assert after.filled_saliences == before.filled_saliences + 1
    france = [row for row in after.rows if row[:3] == ("s001", "fr", "s001i1")]
    assert france == [("s001", "fr", "s001i1", "20", "0.5", "3.64", "0", "70")]
    assert [row for row in after.rows if row[:3] != ("s001", "fr", "s001i1")] == \
        [row for row in before.rows if row[:3] != ("s001", "fr", "s001i1")]


def test_deu_blank_lines_are_skipped(tmp_path):
    """Blank lines between the rows and at the end (an edited copy) change nothing."""
    path = _deu_lines(tmp_path, lambda lines: [*lines[:4], "", *lines[4:], "", ""])
    assert convert_deu(path) == convert_deu(DEU)


def test_deu_file_that_is_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "deu.csv"
    path.write_bytes(DEU.read_bytes().replace(b"synthetic", b"synth\xe9tic", 1))
    with pytest.raises(InputError) as caught:
        convert_deu(path)
    assert caught.value.problem == "line 3 is not UTF-8 text; allowed: a UTF-8 text file"


def test_each_negotiation_runs_on_its_own(dataset):
    """A negotiation's results are the same alone as in the dataset, in any order: exchanges
    never cross negotiations and its seed comes from its name."""
    settings = settings_for("exchange", 4)
    whole = forecast_dataset(dataset, settings, seed=5)
    for data in (dataset[1], dataset[3]):
        alone = forecast_dataset([data], settings, seed=5)
        part = whole[whole["negotiation"] == data.negotiation].reset_index(drop=True)
        assert part["compromise"].tolist() == alone["compromise"].tolist()
    backwards = forecast_dataset(dataset[::-1], settings, seed=5)
    assert sorted(backwards["compromise"]) == sorted(whole["compromise"])


def test_results_do_not_depend_on_workers(dataset):
    settings = settings_for("compromise", 5)
    one = backtest_issues(dataset, settings, runs=3, seed=2, workers=1)
    two = backtest_issues(dataset, settings, runs=3, seed=2, workers=2)
    assert one.equals(two)


def test_summary_per_negotiation_and_pooled(dataset):
    issues = backtest_issues(dataset, settings_for("compromise", 3))
    summary = summary_by_negotiation(issues)
    assert summary["negotiation"].tolist()[:-1] == ["s001", "s002", "s003", "s005"]
    pooled = summary.iloc[-1]
    assert pooled["issues"] == len(issues) == 7  # 8 issues; s001i3 has no outcome
    for method in ("model", "median", "salience_mean"):
        assert pooled[method] == pytest.approx(issues[f"{method}_error"].abs().mean())
        weighted = (summary.iloc[:-1][method] * summary.iloc[:-1]["issues"]).sum() / 7
        assert pooled[method] == pytest.approx(weighted)


def test_one_negotiation_has_no_pooled_row(dataset):
    issues = backtest_issues(dataset[:1], settings_for("compromise", 3))
    summary = summary_by_negotiation(issues)
    assert summary["negotiation"].tolist() == ["s001"]
    assert summary.iloc[0]["issues"] == len(issues)


def test_a_negotiation_without_outcome_is_an_input_error(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("negotiation,actor,issue,position,salience,capability,outcome\n"
                    "a,A,x,0,1,1,5\na,B,x,10,1,1,5\na,A,z,0,1,1,\na,B,z,5,1,1,\n"
                    "b,A,y,0,1,1,\nb,B,y,10,1,1,\n")
    with pytest.raises(InputError, match="negotiation 'b' has no observed outcome"):
        backtest_issues(read_dataset(path))


def test_a_decide_file_in_a_folder_is_told_where_outcomes_go(tmp_path):
    """A folder's Decide file names no outcome column to fill: the error says outcomes come as
    a long CSV's 'outcome' column."""
    folder = tmp_path / "laws"
    folder.mkdir()
    (folder / "a.csv").write_text("actor,issue,position,salience,capability,outcome\n"
                                  "A,x,0,1,1,5\nB,x,10,1,1,5\n")
    (folder / "b.txt").write_text("#A;A;a\n#A;B;b\n#P;x;x\n#D;A;x;1;1;1\n#D;B;x;2;1;1\n")
    with pytest.raises(InputError) as caught:
        backtest_issues(read_dataset(folder))
    assert caught.value.problem.endswith(
        "negotiation: give it as a long CSV with an 'outcome' column (a Decide file has none), "
        "or leave the negotiation out")


@pytest.mark.parametrize(("outcome", "problem"), [
    ("", "add an 'outcome' column to the CSV"),
    (",outcome", "its 'outcome' column is blank on every row; fill it"),
])
def test_a_file_without_outcomes_says_what_to_add(tmp_path, outcome, problem):
    path = tmp_path / "d.csv"
    blank = "," if outcome else ""
    path.write_text(f"actor,issue,position,salience,capability{outcome}\n"
                    f"A,x,0,1,1{blank}\nB,x,10,1,1{blank}\n")
    with pytest.raises(InputError) as caught:
        backtest_issues(read_dataset(path))
    assert (caught.value.source, caught.value.field) == (str(path), "outcome")
    assert problem in caught.value.problem


def test_cli_backtest_of_a_dataset(capsys, long_csv):
    code, out, err = run(capsys, "backtest", str(long_csv), "--rounds", "3", "--workers", "2")
    assert code == 0, err
    assert "7 issues of 4 negotiations" in out
    assert "salience-weighted mean (equal capability)" in out
    code, out, err = run(capsys, "backtest", str(long_csv), "--rounds", "3", "--format", "csv",
                         "--per-negotiation")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["negotiation"] for r in rows] == ["s001", "s002", "s003", "s005",
                                                "all (pooled over issues)"]
    assert [r["issues"] for r in rows] == ["2", "2", "1", "2", "7"]
    code, out, err = run(capsys, "backtest", str(long_csv), "--rounds", "3", "--format", "json")
    records = json.loads(out)
    assert records[-1]["negotiation"] == "all" and len(records) == 8
    code, out, err = run(capsys, "forecast", str(long_csv), "--negotiation", "s002",
                         "--format", "csv", "--protocol", "exchange", "--exchange-rule",
                         "reference", "--trace")
    assert code == 0, err
    table = list(csv.DictReader(io.StringIO(out.split("\n\n", 1)[1])))
    assert [r["issue"] for r in table] == ["s002i1", "s002i2"]
    code, _, err = run(capsys, "forecast", str(long_csv), "--trace")
    assert code == 2 and "--negotiation" in err
    code, _, err = run(capsys, "forecast", str(long_csv), "--negotiation", "nope")
    assert code == 2 and "'nope' is not in" in err


def test_exchange_rule_option_reaches_the_engine(capsys):
    sample = Path(__file__).parent / "data" / "decide_sample_data.csv"
    outs = {}
    for rule in ("once", "reference"):
        code, out, err = run(capsys, "forecast", str(sample), "--protocol", "exchange",
                             "--rounds", "2", "--exchange-rule", rule, "--format", "csv")
        assert code == 0, err
        assert f"exchange rule {rule}" in err
        outs[rule] = out
    assert outs["once"] != outs["reference"]


@pytest.mark.parametrize("command", ["forecast", "backtest"])
def test_exchange_rule_without_the_exchange_protocol_exits_2(capsys, long_csv, command):
    """Silently ignored, it would let the user believe the rule was used."""
    code, out, err = run(capsys, command, str(long_csv), "--protocol", "challenge",
                         "--exchange-rule", "reference")
    assert code == 2 and out == "" and "Traceback" not in err
    assert "--exchange-rule: protocol: only the exchange protocol has an exchange rule" in err


def test_parameter_file_is_read_and_overridden(capsys, tmp_path, long_csv):
    params = tmp_path / "p.yaml"
    params.write_text("rounds: 2\nparameters:\n  bargaining:\n    protocol: exchange\n"
                      "    exchange_rule: reference\n    exchange_fixed_weight: 0.3\n")
    settings = read_own_parameters(params)
    assert settings.rounds == 2 and settings.parameters.bargaining.exchange_fixed_weight == 0.3
    code, _, err = run(capsys, "backtest", str(long_csv), "--params", str(params))
    assert code == 0 and "protocol exchange (exchange rule reference), 2 rounds" in err
    assert "changes no run" not in err
    code, _, err = run(capsys, "backtest", str(long_csv), "--params", str(params),
                       "--protocol", "compromise", "--rounds", "3")
    assert code == 0 and "protocol compromise, 3 rounds" in err
    for setting in ("exchange_rule", "exchange_fixed_weight"):  # the file's, unread here
        assert (f"mc11: note: {params} sets {setting}, read only by the exchange protocol; "
                "under compromise it changes no run") in err
    params.write_text("parameters:\n  bargaining:\n    coalition_rate: 0.4\n")
    code, _, err = run(capsys, "backtest", str(long_csv), "--params", str(params))
    assert code == 0 and (f"mc11: note: {params} sets coalition_rate, the pull of coalitions; "
                          "own data name no coalitions, so it changes no run") in err


def test_a_parameter_files_consensus_and_default_rounds_reach_the_run(capsys, tmp_path,
                                                                      long_csv):
    """A file without `rounds` runs DEFAULT_ROUNDS rounds, and its consensus rule is the one
    the backtest runs with (recorded in the table's inputs.json), whatever --protocol says."""
    params = tmp_path / "p.yaml"
    params.write_text("parameters:\n  consensus:\n    min_step: 5\n    critical_mass: 0.8\n")
    out = tmp_path / "errors.csv"
    code, _, err = run(capsys, "backtest", str(long_csv), "--params", str(params),
                       "--protocol", "exchange", "--out", str(out))
    assert code == 0 and f"protocol exchange (exchange rule once), {DEFAULT_ROUNDS} rounds" \
        in err
    settings = json.loads(out.with_name("errors.csv.inputs.json").read_text())["settings"]
    assert settings["rounds"] == DEFAULT_ROUNDS == 12
    assert (settings["parameters"]["consensus"]["min_step"],
            settings["parameters"]["consensus"]["critical_mass"]) == (5, 0.8)
    assert settings["parameters"]["bargaining"]["protocol"] == "exchange"


@pytest.mark.parametrize(("text", "field", "problem"), [
    ("rounds: 0\n", "line 1: rounds",
     "0 is out of range; allowed: a whole number from 1 to 1,000"),
    ("rounds: 1001\n", "line 1: rounds",
     "1001 is out of range; allowed: a whole number from 1 to 1,000"),
    ("round: 3\n", "line 1: round", "unknown field (did you mean 'rounds'?)"),
    ("parameters:\n  bargaining:\n    overall_rate: 2\n",
     "line 3: parameters.bargaining.overall_rate",
     "2 is out of range; allowed: a number from 0 to 1"),
    ("parameters:\n  coalitions: {}\n", "line 2: parameters.coalitions",
     "allowed: bargaining, consensus"),
    ('{"rounds": 8,\n "parameters": {"bargaining": {"protocol": "exchange",\n'
     '                               "overall_rate": 2}}}\n',
     "line 3: parameters.bargaining.overall_rate", "2 is out of range"),  # JSON is YAML too
    ("- 1\n", "(top level)", "a mapping"),
    ("# nothing yet\n", "(file)", "the file is empty"),
])
def test_bad_parameter_file_exits_2(capsys, tmp_path, long_csv, text, field, problem):
    params = tmp_path / "p.yaml"
    params.write_text(text)
    code, _, err = run(capsys, "backtest", str(long_csv), "--params", str(params))
    assert code == 2
    assert err.startswith(f"mc11: error: {params}: {field}") and problem in err, err
    assert len(err.strip().splitlines()) == 1


def test_folder_dataset_forecast(capsys, tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    sample = Path(__file__).parent / "data" / "decide_sample_data.csv"
    (folder / "toll.csv").write_text(sample.read_text())
    (folder / "other.csv").write_text("actor,issue,position,salience,capability\n"
                                      "A,x,0,1,1\nB,x,100,1,1\nA,y,0,.2,1\nB,y,100,.9,1\n")
    code, out, err = run(capsys, "forecast", str(folder), "--format", "csv", "--rounds", "2")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["negotiation"] for r in rows] == ["other", "other", *["toll"] * 6]
    assert np.isfinite([float(r["compromise"]) for r in rows]).all()


def test_a_folders_subfolders_are_said_not_to_be_read(tmp_path):
    """A folder's files are its negotiations; a subfolder (a year's laws, say) was passed over
    without a word, and a folder of subfolders only said it had no files."""
    folder = tmp_path / "laws"
    (folder / "2019").mkdir(parents=True)
    (folder / ".git").mkdir()
    text = "actor,issue,position,salience,capability\nA,x,0,1,1\nB,x,100,1,1\n"
    (folder / "2019" / "a.csv").write_text(text)
    with pytest.raises(InputError) as caught:
        read_dataset(folder)
    assert caught.value.problem.endswith("(its subfolder '2019' is not read; a dataset "
                                         "folder's negotiations are the files directly in it)")
    (folder / "b.csv").write_text(text)
    (folder / "c.csv").write_text(text)
    first, second = read_dataset(folder)
    assert first.notes == (f"{folder}: its subfolder '2019' is not read; a dataset folder's "
                           "negotiations are the files directly in it",)
    assert second.notes == ()


def _alive(pid: int) -> bool:
    """Whether a process runs (a zombie left for an init that does not reap counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_workers_end_when_their_parent_is_killed(long_csv):
    """A backtest or calibration killed with SIGKILL (the OOM killer) leaves no workers behind
    holding memory: they notice their parent is gone and end."""
    script = ("import sys, time\n"
              "from simulation.inputs.importers import read_dataset\n"
              "from simulation.runs.forecast import NegotiationPool\n"
              f"with NegotiationPool(read_dataset({str(long_csv)!r}), 2) as pool:\n"
              "    print(*pool.pool._processes, flush=True)\n"
              "    time.sleep(120)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2 and all(map(_alive, workers))
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 20
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.2)
    still = [pid for pid in workers if _alive(pid)]
    for pid in still:
        os.kill(pid, signal.SIGKILL)
    assert not still


def test_the_deu_file_itself_given_to_backtest_points_to_deu_to_csv():
    from simulation.inputs.importers import read_dataset

    with pytest.raises(InputError, match=r"missing column 'actor'.*convert it first with "
                                         r"`mc11 deu-to-csv`"):
        read_dataset(DEU)


@pytest.mark.parametrize(("count", "listed"), [
    (10, "n00, n01, n02, n03, n04, n05, n06, n07, n08, n09"),
    (11, "n00, n01, n02, n03, n04, n05, n06, n07, n08, n09, ..."),
    (0, "none (the file has no negotiation column)"),
])
def test_a_negotiation_not_in_the_file_is_refused_listing_up_to_ten(capsys, tmp_path, count,
                                                                    listed):
    """The error names the file's negotiations, the first ten of them, '...' only when there
    are more."""
    path = tmp_path / "many.csv"
    if count:
        lines = [f"{actor},{issue}{k},{position},1,1,n{k:02d}" for k in range(count)
                 for issue in "xy" for actor, position in (("A", 0), ("B", 9))]
        path.write_text("actor,issue,position,salience,capability,negotiation\n"
                        + "\n".join(lines) + "\n")
    else:
        path.write_text("actor,issue,position,salience,capability\nA,x,0,1,1\nB,x,9,1,1\n")
    code, out, err = run(capsys, "forecast", str(path), "--negotiation", "nope")
    assert code == 2 and out == ""
    assert err.strip().endswith(f"'nope' is not in {path}; allowed: {listed}")


def _two_negotiations(tmp_path: Path) -> Path:
    """Two negotiations alike but for their outcomes: four actors of equal weight at 0, 0, 0
    and 80, status quo 0; n1 ends at 20 (every mean exact, the median and the status quo 20
    off), n2 at 0 (the median and the status quo exact, every mean 20 off)."""
    path = tmp_path / "two.csv"
    path.write_text("actor,issue,position,salience,capability,status_quo,outcome,negotiation\n"
                    + "".join(f"{actor},{issue},{80 if actor == 'D' else 0},1,1,0,{outcome},"
                              f"{name}\n"
                              for name, outcome in (("n1", 20), ("n2", 0)) for issue in "xy"
                              for actor in "ABCD"))
    return path


def test_methods_that_tie_in_a_negotiation_are_each_best_in_it(capsys, tmp_path):
    """'best in (negotiations)' counts, for each method, the negotiations where no method is
    closer: tied methods all count, and the pooled row is no negotiation."""
    code, out, err = run(capsys, "backtest", str(_two_negotiations(tmp_path)), "--rounds", "3")
    assert code == 0, err
    header, *rows = out.splitlines()[1:10]
    end = header.index("best in (negotiations)") + len("best in (negotiations)")
    wins = {row[:end].split()[-4]: int(row[:end].split()[-1]) for row in rows}
    assert wins == dict.fromkeys(["model", "status_quo", "mean", "median", "capability_mean",
                                  "salience_mean", "capability_salience_mean",
                                  "capability_salience_median"], 1)
    assert "(clustered by negotiation)" in out


def test_methods_equal_but_for_rounding_are_each_best(capsys, tmp_path):
    """Three actors of equal weight at 0, 0 and 90 and the outcome 30: the plain mean misses by
    3.6e-15 and the weighted means by 0, equal in every table, so each is best in it."""
    path = tmp_path / "rounding.csv"
    path.write_text("actor,issue,position,salience,capability,outcome,negotiation\n"
                    + "".join(f"{actor},{issue},{position},1,1,{outcome},{name}\n"
                              for name, outcome in (("n1", 30), ("n2", 0)) for issue in "xy"
                              for actor, position in zip("ABC", (0, 0, 90), strict=True)))
    code, out, err = run(capsys, "backtest", str(path), "--rounds", "3")
    assert code == 0, err
    header, *rows = out.split("\n\n")[0].splitlines()[1:]
    end = header.index("best in (negotiations)") + len("best in (negotiations)")
    wins = {row[:end].split()[-4]: int(row[:end].split()[-1]) for row in rows}
    means = ["mean", "capability_mean", "salience_mean", "capability_salience_mean"]
    assert [wins[m] for m in means] == [1, 1, 1, 1]
    # no status quo in the data: that method scores nothing, and has no paired gap ("+nan")
    assert "nan" not in out.split("\n\n")[0]


def test_one_negotiations_paired_gaps_are_over_its_issues(capsys, tmp_path):
    code, out, err = run(capsys, "backtest", str(_two_negotiations(tmp_path)), "--rounds", "3",
                         "--negotiation", "n1")
    assert code == 0, err
    assert "± its standard error (over issues); a gap within" in out
    assert "clustered" not in out and "best in" not in out


def test_a_trace_of_a_file_of_two_negotiations_asks_for_one(capsys, tmp_path):
    path = _two_negotiations(tmp_path)
    for option in (["--trace"], ["--protocol", "exchange", "--trace-dir", str(tmp_path / "t")]):
        code, out, err = run(capsys, "forecast", str(path), *option)
        assert code == 2 and out == ""
        assert (f"mc11: error: {option[-2] if len(option) > 1 else option[0]}: negotiation: a "
                f"trace follows one negotiation and {path} holds 2; name one with "
                "--negotiation") in err
    assert not (tmp_path / "t").exists()
    code, out, err = run(capsys, "forecast", str(path), "--trace", "--negotiation", "n2")
    assert code == 0 and out.startswith("trace"), err

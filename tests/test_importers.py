"""Tests of inputs.importers: the Decide input format and the long CSV, and their errors."""

import csv
from pathlib import Path

import numpy as np
import pytest

from simulation.errors import InputError
from simulation.inputs.importers import read_actor_issue_data, read_dataset

SAMPLE = Path(__file__).parent / "data" / "decide_sample_data.csv"


def sample_rows() -> list[dict[str, str]]:
    with SAMPLE.open(newline="") as handle:
        return list(csv.DictReader(handle))


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def decide_file(tmp_path: Path, separator: str = "\t", quote: bool = False) -> Path:
    """The shipped sample as a Decide input file, with the 0.5-7 euro anchors of tol-hoogte."""
    rows = sample_rows()

    def line(*fields: str) -> str:
        return separator.join(f'"{f}"' if quote else f for f in fields) + separator * 2

    actors = list(dict.fromkeys(r["actor"] for r in rows))
    issues = list(dict.fromkeys(r["issue"] for r in rows))
    lines = [line("#O", "sample"), line("#/", "ID", "Full name")]
    lines += [line("#A", a, f"Actor {a}") for a in actors]
    for issue in issues:
        lines.append(line("#P", issue, f"Issue {issue}"))
        anchors = ("0.5", "7") if issue == "tol-hoogte" else ("0", "50", "100")
        lines += [line("#M", issue, value, "anchor") for value in anchors]
    lines += [line("#D", r["actor"], r["issue"], r["position"], r["salience"], r["power"])
              for r in rows]
    return write(tmp_path, "\n".join(lines) + "\n", "sample.txt")


# --- loading ------------------------------------------------------------------------------------


def test_shipped_sample_loads_as_long_csv():
    data = read_actor_issue_data(SAMPLE)
    assert data.actors[:3] == ("Willems", "PvdA", "GL") and len(data.actors) == 10
    assert len(data.issues) == 6 and data.positions.shape == (10, 6)
    assert data.capability.sum() == pytest.approx(1.0)
    assert data.capability[0] == pytest.approx(1.0 / 5.9)  # powers sum to 5.9
    assert data.status_quo is None and data.outcome is None
    j = data.issues.index("tol-hoogte")
    assert (data.lower[j], data.upper[j]) == (0.5, 5.0)  # the positions' own range
    assert data.positions[0, j] == pytest.approx((3.0 - 0.5) / 4.5 * 100)
    assert data.to_user_scale(data.positions)[0, j] == pytest.approx(3.0)
    assert np.nanmin(data.positions) == 0.0 and np.nanmax(data.positions) == 100.0


@pytest.mark.parametrize(("separator", "quote"), [("\t", False), (";", False), (";", True)])
def test_decide_format_loads_with_anchor_scale(tmp_path, separator, quote):
    data = read_actor_issue_data(decide_file(tmp_path, separator, quote))
    reference = read_actor_issue_data(SAMPLE)
    assert data.actors == reference.actors and data.issues == reference.issues
    np.testing.assert_allclose(data.capability, reference.capability)
    np.testing.assert_allclose(data.saliences, reference.saliences)
    j = data.issues.index("tol-hoogte")
    assert (data.lower[j], data.upper[j]) == (0.5, 7.0)  # the #M anchors, not the data
    assert data.positions[2, j] == pytest.approx((5.0 - 0.5) / 6.5 * 100)
    others = [i for i in range(6) if i != j]
    np.testing.assert_allclose(data.positions[:, others], reference.positions[:, others])


def test_long_csv_with_status_quo_outcome_and_missing_pairs(tmp_path):
    path = write(tmp_path, "actor,issue,position,salience,capability,status_quo,outcome\n"
                           "A,x,2,0.5,3,1,4\n"
                           "B,x,6,1,1,1,4\n"
                           "A,y,0,0.2,3,,\n")
    data = read_actor_issue_data(path)
    assert data.actors == ("A", "B") and data.issues == ("x", "y")
    assert data.capability == pytest.approx([0.75, 0.25])
    assert (data.lower[0], data.upper[0]) == (1.0, 6.0)  # status quo counts for the scale
    assert data.positions[:, 0] == pytest.approx([20.0, 100.0])
    assert data.status_quo[0] == pytest.approx(0.0) and np.isnan(data.status_quo[1])
    assert data.outcome[0] == pytest.approx(60.0) and np.isnan(data.outcome[1])
    assert np.isnan(data.positions[1, 1]) and np.isnan(data.saliences[1, 1])
    assert data.upper[1] == data.lower[1] + 1  # a one-point issue gets a unit scale


@pytest.mark.parametrize("separator", [";", "\t"])
def test_long_csv_with_semicolons_or_tabs_and_decimal_commas(tmp_path, separator):
    """A spreadsheet's semicolon export is read, not misdiagnosed as lacking 'actor'."""
    comma = write(tmp_path, "actor,issue,position,salience,capability,status_quo\n"
                            "A,x,2,0.5,3,1\nB,x,6.5,1,1,1\n", "a.csv")
    other = write(tmp_path, separator.join(
        ["actor", "issue", "position", "salience", "capability", "status_quo"]) + "\n"
        + separator.join(["A", "x", "2", "0,5", "3", "1"]) + "\n"
        + separator.join(["B", "x", "6,5", "1", "1", "1"]) + "\n", "b.csv")
    ours, theirs = read_actor_issue_data(comma), read_actor_issue_data(other)
    assert theirs.actors == ours.actors and theirs.issues == ours.issues
    for field in ("positions", "saliences", "capability", "status_quo"):
        assert np.array_equal(getattr(theirs, field), getattr(ours, field)), field


@pytest.mark.parametrize("first", ["sep=;", '"sep=;"', "SEP=;;;;", " sep=; "])
def test_excels_separator_line_names_the_separator_and_is_no_header(tmp_path, first):
    """Excel's `sep=;` first line was read as the header: 'missing column actor' (columns
    'sep=', '')."""
    plain = write(tmp_path, "actor;issue;position;salience;capability\nA;x;2;0,5;3\n"
                            "B;x;6;1;1\n", "a.csv")
    excel = write(tmp_path, f"{first}\n{plain.read_text(encoding='utf-8')}", "b.csv")
    ours, theirs = read_actor_issue_data(plain), read_actor_issue_data(excel)
    assert theirs.actors == ours.actors and theirs.issues == ours.issues
    assert np.array_equal(theirs.positions, ours.positions)


@pytest.mark.parametrize("text, field, problem", [
    ("sep=|\nactor|issue\n", "line 1: sep=", "'|'; allowed: a comma, semicolon or tab"),
    ("sep=\nactor;issue\n", "line 1: sep=", "declares no separator; allowed: a comma"),
    ("\nsep=;\n", "file", "only a sep= line"),
    ("sep=;\nactor,issue,position,salience,capability\nA,x,1,1,1\n", "line 2: header",
     "separated by semicolons as line 1 declares"),
    ("sep=;\nactor;issue;position;salience;capability\n", "rows", "no data rows"),
])
def test_a_separator_line_that_does_not_fit_is_named(tmp_path, text, field, problem):
    with pytest.raises(InputError) as info:
        read_actor_issue_data(write(tmp_path, text))
    assert info.value.field == field and problem in info.value.problem, info.value


def test_a_header_without_a_required_column_lists_the_columns_read(tmp_path):
    path = write(tmp_path, "actor;issue;position;salience\nA;x;1;1\n")
    with pytest.raises(InputError) as info:
        read_actor_issue_data(path)
    assert "missing column 'capability'" in info.value.problem
    assert "separated by semicolons" in info.value.problem


def test_power_column_is_capability(tmp_path):
    path = write(tmp_path, "Actor,Issue,Position,Salience,Power\nA,x,0,1,1\nB,x,1,1,3\n")
    assert read_actor_issue_data(path).capability == pytest.approx([0.25, 0.75])


def test_decide_anchors_set_the_scale_by_value_not_by_order(tmp_path):
    """The #M rows may come in any order (a scale's meanings listed 'yes' first): the scale
    runs from the lowest anchor to the highest."""
    path = write(tmp_path, "#A;A;a\n#A;B;b\n#P;x;x\n#M;x;5;some\n#M;x;10;yes\n#M;x;0;no\n"
                           "#D;A;x;0;1;1\n#D;B;x;8;1;1\n", "data.txt")
    data = read_actor_issue_data(path)
    assert (data.lower[0], data.upper[0]) == (0.0, 10.0)
    assert data.positions[:, 0].tolist() == [0.0, 80.0]


@pytest.mark.parametrize(("positions", "scale"), [
    ((10, 100), (0.0, 100.0)),  # within 0-100, up to 100 itself: the reference's default
    ((0, 40), (0.0, 100.0)),
    ((-5, 50), (-5.0, 50.0)),  # beyond it: the positions' own range
    ((20, 150), (20.0, 150.0)),
])
def test_decide_issue_without_anchors_is_on_0_100_if_its_positions_fit(tmp_path, positions,
                                                                       scale):
    low, high = positions
    path = write(tmp_path, f"#A;A;a\n#A;B;b\n#P;x;x\n#D;A;x;{low};1;1\n#D;B;x;{high};1;1\n",
                 "data.txt")
    data = read_actor_issue_data(path)
    assert (data.lower[0], data.upper[0]) == scale
    assert data.to_user_scale(data.positions)[:, 0].tolist() == [low, high]


def test_decide_names_starting_with_an_apostrophe_are_kept_whole(tmp_path):
    """Only a name quoted at both ends ('x') loses its quotes: a Dutch name such as
    's-Hertogenbosch or 't Hooft keeps its apostrophe and its last letter."""
    path = write(tmp_path, "#A;'s-Hertogenbosch;city\n#A;'Utrecht';city\n#P;'t Hooft;a bridge\n"
                           "#D;'s-Hertogenbosch;'t Hooft;1;1;1\n#D;'Utrecht';'t Hooft;5;1;1\n",
                 "data.txt")
    data = read_actor_issue_data(path)
    assert data.actors == ("'s-Hertogenbosch", "Utrecht")
    assert data.issues == ("'t Hooft",)


def test_semicolon_csv_reads_decimal_commas_in_status_quo_and_outcome(tmp_path):
    path = write(tmp_path, "actor;issue;position;salience;capability;status_quo;outcome\n"
                           "A;x;0;1;1;2,5;7,5\nB;x;10;1;1;2,5;7,5\n")
    data = read_actor_issue_data(path)
    assert data.to_user_scale(data.status_quo).tolist() == [2.5]
    assert data.to_user_scale(data.outcome).tolist() == [7.5]


def test_a_status_quo_written_two_ways_is_one_number(tmp_path):
    """'the same on every row' means the same number: 50 and 50.0, or 2,5 and 2,50 with decimal
    commas, agree; a blank beside a number does not."""
    path = write(tmp_path, "actor,issue,position,salience,capability,status_quo,outcome\n"
                           "A,x,0,1,1,50,70\nB,x,100,1,1,50.0,7e1\n")
    data = read_actor_issue_data(path)
    assert data.to_user_scale(data.status_quo).tolist() == [50.0]
    assert data.to_user_scale(data.outcome).tolist() == [70.0]
    path = write(tmp_path, "actor;issue;position;salience;capability;status_quo\n"
                           "A;x;0;1;1;2,5\nB;x;10;1;1;2,50\n")
    data = read_actor_issue_data(path)
    assert data.to_user_scale(data.status_quo).tolist() == [2.5]
    path = write(tmp_path, "actor,issue,position,salience,capability,status_quo\n"
                           "A,x,0,1,1,50\nB,x,100,1,1,\n")
    with pytest.raises(InputError) as caught:
        read_actor_issue_data(path)
    assert (caught.value.field, caught.value.problem) == (
        "line 3: status_quo", "blank differs from '50' on line 2; allowed: one status_quo per "
        "issue, the same on every row")


# --- errors -------------------------------------------------------------------------------------

HEADER = "actor,issue,position,salience,capability,status_quo\n"

CSV_CASES = {
    "empty": ("\n  \n", "file", "empty"),
    "missing column": ("actor,issue,position,salience\nA,x,1,1\n", "line 1: header",
                       "'capability'"),
    "no rows": (HEADER, "rows", "no data rows"),
    "non-numeric position": (HEADER + "A,x,1,1,1,0\nB,x,high,1,1,0\n", "line 3: position",
                             "'high'; allowed: a number"),
    "position beyond floats": (HEADER + "A,x,1,1,1,0\nB,x,1e400,1,1,0\n", "line 3: position",
                               "'1e400' is too large to compute with; allowed: a finite number"),
    "position not a number": (HEADER + "A,x,1,1,1,0\nB,x,nan,1,1,0\n", "line 3: position",
                              "'nan'; allowed: a finite number"),
    "salience above 1": (HEADER + "A,x,1,1.5,1,0\n", "line 2: salience", "from 0 to 1"),
    "negative salience": (HEADER + "A,x,1,-0.1,1,0\n", "line 2: salience", "from 0 to 1"),
    "capability zero": (HEADER + "A,x,1,1,0,0\n", "line 2: capability", "above 0"),
    "inconsistent status quo": (HEADER + "A,x,1,1,1,0\nB,x,2,1,1,5\n", "line 3: status_quo",
                                "differs from '0' on line 2"),
    "duplicate pair": (HEADER + "A,x,1,1,1,0\nA,x,2,1,1,0\n", "line 3: actor/issue",
                       "'A' on 'x' appears twice (line 2 gives it first)"),
    "short row": (HEADER + "A,x,1,1\n", "line 2: row", "4 fields"),
    "empty actor": (HEADER + ",x,1,1,1,0\n", "line 2: actor", "empty"),
    "empty issue": (HEADER + "A, ,1,1,1,0\n", "line 2: issue", "empty; allowed: a name"),
    "non-numeric status quo": (HEADER + "A,x,1,1,1,none\n", "line 2: status_quo", "a number"),
    "column twice": ("actor,issue,position,salience,capability,actor\nA,x,1,1,1,B\n",
                     "line 1: header", "column 'actor' appears twice (columns 1 and 6)"),
    "capability and power": ("actor,issue,position,salience,capability,power\nA,x,1,1,1,1\n",
                             "line 1: header", "columns 5 and 6 ('capability' and 'power') both "
                             "give the capability; allowed: one of them"),
    "decimal comma in a comma file": (HEADER + "A,x,1,0,5,1,0\n", "line 2: row",
                                      "7 fields; allowed: 6 as in the header (commas separate "
                                      "the fields: write a decimal comma as 0.5 or separate the "
                                      "fields by semicolons, and quote a name with a comma)"),
    "a comment above the header": ("# survey of 2017\n" + HEADER + "A,x,1,1,1,0\n",
                                   "line 1: row type", "a file whose first line starts with "
                                   "'#' is read as a Decide file; a long CSV starts with its "
                                   "header line"),
    "capability share below floats": (HEADER + "A,x,0,1,1e300,0\nB,x,1,1,1e-30,0\n",
                                      "capability", "'B': 1e-30 beside a sum of 1e+300"),
    "scale beyond floats": (HEADER + "A,x,1e308,1,1,0\nB,x,-1e308,1,1,0\n", "issue",
                            "'x': its values span -1e+308 to 1e+308"),
    "capabilities beyond floats": (HEADER + "A,x,0,1,1e308,0\nB,x,1,1,1e308,0\n",
                                   "capability", "1e+308; allowed: capabilities whose sum"),
    "salience on 0-100": (HEADER + "A,x,1,50,1,0\n", "line 2: salience", "50; allowed: a "
                          "number from 0 to 1 (if your saliences run from 0 to 100, divide "
                          "them all by 100)"),
    "empty position": (HEADER + "A,x,1,1,1,0\nB,x,,1,1,0\n", "line 3: position", "empty; "
                       "allowed: a number (an actor without a position on an issue: leave out "
                       "its row)"),
    "empty salience": (HEADER + "A,x,1,1,1,0\nB,x,2,,1,0\n", "line 3: salience", "empty; "
                       "allowed: a number from 0 to 1 (how much the issue matters to the "
                       "actor, 0 for not at all; there is no default salience: estimate one, or "
                       "leave out the row if the actor takes no part in the issue)"),
    "capability on the first row only": (HEADER + "A,x,1,1,1,0\nA,y,2,1,,0\n",
                                         "line 3: capability", "empty; allowed: a number (the "
                                         "actor's capability on every one of its rows)"),
    "NA for an unknown status quo": (HEADER + "A,x,1,1,1,NA\n", "line 2: status_quo",
                                     "'NA'; allowed: a number, or blank if unknown"),
    "NaN for an unknown status quo": (HEADER + "A,x,1,1,1,NaN\n", "line 2: status_quo",
                                      "'NaN'; allowed: a finite number (below about 1e308), "
                                      "or blank if unknown"),
}


DECIDE_HEAD = "#A;A;Actor A\n#A;B;Actor B\n#P;x;Issue x\n#M;x;0;no\n#M;x;10;yes\n"

DECIDE_CASES = {
    "unknown actor": (DECIDE_HEAD + "#D;A;x;1;1;1\n#D;C;x;1;1;1\n", "line 7: actor",
                      "'C' is not declared in an #A row; known: A, B"),
    "unknown issue": (DECIDE_HEAD + "#D;A;y;1;1;1\n", "line 6: issue",
                      "'y' is not declared in a #P row; known: x"),
    "power zero": (DECIDE_HEAD + "#D;A;x;1;1;0\n", "line 6: capability", "above 0"),
    "non-numeric salience": (DECIDE_HEAD + "#D;A;x;1;much;1\n", "line 6: salience", "'much'"),
    "position off the anchors": (DECIDE_HEAD + "#D;A;x;11;1;1\n", "line 6: position",
                                 "0 to 10"),
    "unknown row type": (DECIDE_HEAD + "#X;A;x\n", "line 6: row type", "'#X'"),
    "fields separated by commas": (DECIDE_HEAD.replace(";", ",", 2), "line 1: row type",
                                   "'#A,A,Actor A'; allowed: #A, #P, #M, #D, #O or #/ "
                                   "(comment); its fields are separated by commas, but a Decide "
                                   "file's are separated by semicolons or tabs"),
    "a later row separated by commas": (DECIDE_HEAD + "#D,A,x,1,1,1\n", "line 6: row type",
                                        "'#D,A,x,1,1,1'; allowed: #A, #P, #M, #D, #O or #/ "
                                        "(comment); its fields are separated by commas"),
    "anchor before issue": ("#A;A;a\n#M;x;0;no\n", "line 2: issue", "not declared in a #P"),
    "one anchor": ("#A;A;a\n#A;B;b\n#P;x;x\n#M;x;0;none\n#D;A;x;0;1;1\n#D;B;x;0;1;1\n",
                   "line 4: #M", "'x' has #M anchors at 0 only; allowed: anchors at two "
                   "different positions at least"),
    "two equal anchors": ("#A;A;a\n#A;B;b\n#P;x;x\n#M;x;5;a\n#M;x;5;b\n#D;A;x;5;1;1\n"
                          "#D;B;x;5;1;1\n", "line 5: #M", "'x' has #M anchors at 5 only"),
    "short #D": (DECIDE_HEAD + "#D;A;x;1;1\n", "line 6: #D", "#D;actor;issue;position"),
    "no #D rows": (DECIDE_HEAD, "#D", "no #D rows"),
    "empty last field": (DECIDE_HEAD + "#D;A;x;1;1;\n", "line 6: #D", "with no empty field"),
    "empty actor name": ("#A;;Actor A\n", "line 1: #A", "#A;actor with no empty field"),
    "issue declared twice": (DECIDE_HEAD + "#P;x;again\n", "line 6: issue",
                             "'x' is declared twice (first on line 3); allowed: one #P row per "
                             "issue"),
    "actor declared twice": ("#A;A;a\n#A;A;again\n", "line 2: actor", "'A' is declared twice "
                             "(first on line 1); allowed: one #A row per actor"),
    "issue without positions": ("#A;A;a\n#A;B;b\n#P;x;x\n#P;y;y\n#D;A;x;1;1;1\n#D;B;x;2;1;1\n",
                                "line 4: issue", "'y' has no positions"),
    "one actor with data": (DECIDE_HEAD + "#D;A;x;1;1;1\n", "negotiation",
                            "the file has one actor (A); allowed: at least two"),
}


MALFORMED = {**{(name, "data.csv"): case for name, case in CSV_CASES.items()},
             **{(name, "data.txt"): case for name, case in DECIDE_CASES.items()}}


@pytest.mark.parametrize(("case", "file_name"), list(MALFORMED), ids=lambda v: str(v))
def test_malformed_file_is_a_line_precise_input_error(tmp_path, case, file_name):
    """CSV cases in data.csv, Decide-format cases in data.txt."""
    text, field, problem = MALFORMED[case, file_name]
    path = write(tmp_path, text, file_name)
    with pytest.raises(InputError) as caught:
        read_actor_issue_data(path)
    assert caught.value.source == str(path)
    assert caught.value.field == field
    assert problem in caught.value.problem


def test_a_row_with_too_many_fields_hints_at_decimal_commas_only_in_a_comma_file(tmp_path):
    """With semicolons a decimal comma cannot split a field: the extra field has another
    cause, and the hint about commas would mislead."""
    path = write(tmp_path, "actor;issue;position;salience;capability\nA;x;1;1;1;2\n")
    with pytest.raises(InputError) as caught:
        read_actor_issue_data(path)
    assert (caught.value.field, caught.value.problem) == (
        "line 2: row", "6 fields; allowed: 5 as in the header")


def test_a_comment_above_a_blank_first_line_still_gets_the_header_hint(tmp_path):
    """The hint is for the file's first line with text, wherever blank lines put it."""
    path = write(tmp_path, "\n\n# survey of 2017\n" + HEADER + "A,x,1,1,1,0\n")
    with pytest.raises(InputError) as caught:
        read_actor_issue_data(path)
    assert caught.value.field == "line 3: row type"
    assert "a long CSV starts with its header line" in caught.value.problem


@pytest.mark.parametrize("value", ["1e17", "-3e20"])
def test_a_one_point_issue_far_from_zero_still_gets_a_scale(tmp_path, value):
    """lower + 1 is lower itself beyond 2**53: the unit scale must not collapse to nothing."""
    path = write(tmp_path, f"{HEADER}A,x,{value},1,1,\nB,x,{value},1,1,\n")
    data = read_actor_issue_data(path)
    assert data.upper[0] > data.lower[0] == float(value)
    assert data.positions[:, 0].tolist() == [0.0, 0.0]


def test_a_spreadsheets_empty_rows_are_skipped(tmp_path):
    """Excel writes rows of bare separators for formatted empty rows below the data."""
    plain = write(tmp_path, HEADER + "A,x,1,1,1,0\nB,x,2,1,1,0\n", "a.csv")
    padded = write(tmp_path, HEADER + "A,x,1,1,1,0\nB,x,2,1,1,0\n,,,,,\n,, ,,,\n", "b.csv")
    assert read_actor_issue_data(padded).positions.tolist() == \
        read_actor_issue_data(plain).positions.tolist()


def test_a_column_the_reader_does_not_use_is_noted(tmp_path):
    """A misspelt optional column ('status_qou') would otherwise be dropped without a word."""
    path = write(tmp_path, "negotiation,actor,issue,position,salience,capability,status_qou,\n"
                           "n,A,x,1,1,1,0,\nn,B,x,2,1,1,0,\nm,A,x,1,1,1,0,\nm,B,x,2,1,1,0,\n"
                           "m,A,y,1,1,1,0,\nm,B,y,2,1,1,0,\n")
    first, second = read_dataset(path)
    assert first.notes == (f"{path}, line 1: column 'status_qou' is not used (did you mean "
                           "'status_quo'?); known columns: "
                           "actor, issue, position, salience, capability, status_quo, outcome, "
                           "scale_low, scale_high, negotiation",)
    assert second.notes == ()  # said once per file, not once per negotiation


def test_names_that_differ_only_in_letter_case_are_noted(tmp_path):
    """'Alpha' and 'alpha' are two actors as written, but more often one actor mistyped."""
    path = write(tmp_path, "actor,issue,position,salience,capability\nAlpha,x,1,1,1\n"
                           "alpha,x,2,1,1\nBeta,X,3,1,1\nBeta,x,4,1,1\n")
    data = read_actor_issue_data(path)
    assert data.actors == ("Alpha", "alpha", "Beta")
    assert data.notes == (
        f"{path}: the actors 'Alpha' and 'alpha' differ only in letter case; they are read as 2 "
        "actors",
        f"{path}: the issues 'x' and 'X' differ only in letter case; they are read as 2 issues",
        f"{path}: issue 'X' has one actor (Beta): there is nothing to bargain, and its forecast "
        "is that actor's position, give or take the bargaining noise")


def test_utf16_text_as_excel_saves_unicode_text_is_read(tmp_path):
    text = "actor\tissue\tposition\tsalience\tcapability\r\nA\tx\t1\t0,5\t1\r\nB\tx\t2\t1\t1\r\n"
    path = tmp_path / "unicode.txt"
    path.write_bytes(text.encode("utf-16"))
    data = read_actor_issue_data(path)
    assert data.actors == ("A", "B") and data.saliences[:, 0].tolist() == [0.5, 1.0]


@pytest.mark.parametrize(("content", "problem"), [
    (b"actor,issue,position,salience,capability\nA,x,1,1,1\nB\xe9,x,2,1,1\n",
     "line 3 is not UTF-8 text; allowed: a UTF-8 text file (in Excel: save as 'CSV UTF-8')"),
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb8\xf3",
     "an Excel workbook or other binary file; allowed: a text file (in Excel: save as "
     "'CSV UTF-8')"),
])
def test_a_file_that_is_not_utf8_text_says_what_to_save(tmp_path, content, problem):
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_actor_issue_data(path)
    assert (caught.value.source, caught.value.field) == (str(path), "file")
    assert caught.value.problem == problem


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_actor_issue_data(tmp_path / "absent.csv")


def test_shipped_copenhagen_example_loads_in_the_decide_format():
    """examples/copenhagen_cop15.txt: the Decide software's own quoting ('x'), tab-separated."""
    path = Path(__file__).resolve().parents[1] / "examples" / "copenhagen_cop15.txt"
    data = read_actor_issue_data(path)
    assert len(data.actors) == 11 and len(data.issues) == 7
    assert "Alliance of Small Island States" in data.actors and "Newtreaty" in data.issues
    russia = data.actors.index("Russia")
    assert np.isnan(data.positions[russia]).sum() == 2  # no stance on Commitments and Extra


# --- datasets of several negotiations -----------------------------------------------------------

NEGOTIATIONS = ("negotiation,actor,issue,position,salience,capability,outcome\n"
                "law1,A,x,0,1,1,10\nlaw1,B,x,100,0.5,3,10\nlaw1,A,y,50,0.5,1,\n"
                "law1,B,y,0,1,3,\n"
                "law2,B,x,20,1,1,30\nlaw2,C,x,40,1,1,30\n")


def test_negotiation_column_splits_actors_issues_and_scales(tmp_path):
    law1, law2 = read_dataset(write(tmp_path, NEGOTIATIONS))
    assert (law1.negotiation, law2.negotiation) == ("law1", "law2")
    assert law1.actors == ("A", "B") and law1.issues == ("x", "y")
    assert law2.actors == ("B", "C") and law2.issues == ("x",)  # its own x: its own scale
    assert law1.capability.tolist() == [0.25, 0.75] and law2.capability.tolist() == [0.5, 0.5]
    assert (law2.lower[0], law2.upper[0]) == (20.0, 40.0)
    assert law2.to_user_scale(law2.outcome).tolist() == [30.0]
    assert np.isnan(law1.outcome[1])


def test_a_file_without_negotiation_column_is_one_negotiation(tmp_path):
    (data,) = read_dataset(SAMPLE)
    assert data.negotiation == "" and len(data.actors) == 10


def test_folder_is_one_negotiation_per_file(tmp_path):
    folder = tmp_path / "laws"
    folder.mkdir()
    decide_file(folder)
    write(folder, "actor,issue,position,salience,capability\nA,x,0,1,1\nB,x,9,1,1\n", "b.csv")
    first, second = read_dataset(folder)
    assert (first.negotiation, second.negotiation) == ("b", "sample")
    assert len(second.actors) == 10 and second.actors[0] == "Willems"


def test_folder_files_of_one_name_are_refused(tmp_path):
    """a.csv and a.txt would both be negotiation 'a': one seed, one --negotiation name."""
    folder = tmp_path / "laws"
    folder.mkdir()
    write(folder, "actor,issue,position,salience,capability\nA,x,0,1,1\nB,x,9,1,1\n"
                  "A,y,0,1,1\nB,y,9,1,1\n", "a.csv")
    write(folder, "#A;A;a\n#A;B;b\n#P;x;x\n#P;y;y\n#D;A;x;1;1;1\n#D;B;x;5;1;1\n"
                  "#D;A;y;1;1;1\n#D;B;y;5;1;1\n", "a.txt")
    with pytest.raises(InputError) as caught:
        read_dataset(folder)
    assert (caught.value.source, caught.value.field) == (str(folder / "a.txt"), "negotiation")
    assert caught.value.problem == ("'a' is also the name of a.csv (a negotiation is named after "
                                    "its file, without the extension); allowed: one file per name")


def test_a_folder_file_of_several_negotiations_is_refused(tmp_path):
    """A file in a folder is one negotiation, named after it: a second one in its negotiation
    column would otherwise be dropped without a word."""
    folder = tmp_path / "laws"
    folder.mkdir()
    write(folder, "actor,issue,position,salience,capability\nA,x,0,1,1\nB,x,9,1,1\n", "a.csv")
    write(folder, "negotiation,actor,issue,position,salience,capability\n"
                  "n1,A,x,0,1,1\nn1,B,x,9,1,1\nn1,A,y,0,1,1\nn1,B,y,9,1,1\n"
                  "n2,A,x,0,1,1\nn2,B,x,9,1,1\n", "b.csv")
    with pytest.raises(InputError) as caught:
        read_dataset(folder)
    assert (caught.value.source, caught.value.field) == (str(folder / "b.csv"), "negotiation")
    assert caught.value.problem.startswith("a file in a folder is one negotiation")


def test_folder_of_single_issue_negotiations_is_read(tmp_path):
    """The check for a column naming issues instead of negotiations has no column to doubt."""
    folder = tmp_path / "laws"
    folder.mkdir()
    for name in ("a", "b"):
        write(folder, "actor,issue,position,salience,capability\nA,x,0,1,1\nB,x,9,1,1\n",
              f"{name}.csv")
    assert [data.negotiation for data in read_dataset(folder)] == ["a", "b"]


def test_actor_declared_without_positions_is_left_out_with_a_note(tmp_path):
    path = write(tmp_path, "#A;A;a\n#A;C;silent\n#A;B;b\n#P;x;x\n#D;A;x;1;1;1\n#D;B;x;5;1;1\n",
                 "data.txt")
    data = read_actor_issue_data(path)
    assert data.actors == ("A", "B")
    assert data.notes == (f"{path}, line 2: actor 'C' has no position on any issue; left out",)


def test_a_d_row_with_fields_after_power_is_read_with_a_note(tmp_path):
    """A #D row's fields after power are ignored, but not silently: a sixth number may be a
    value meant for another column. An empty trailing field (a closing ';') is no news."""
    path = write(tmp_path, "#A;A;a\n#A;B;b\n#P;x;x\n#D;A;x;1;1;1;;\n#D;B;x;5;1;1;;0.4\n",
                 "data.txt")
    data = read_actor_issue_data(path)
    assert data.notes == (
        f"{path}, line 5: a #D row has fields after power, ignored (line 5: '', '0.4')",)
    # a column of comments: one note for the file, not one a row
    many = write(tmp_path, "#A\tA\ta\n#A\tB\tb\n#P\tx\tx\n#P\ty\ty\n"
                           "#D\tA\tx\t1\t1\t1\tok\n#D\tB\tx\t5\t1\t1\n"
                           "#D\tA\ty\t1\t1\t1\tsee p. 3\n#D\tB\ty\t5\t1\t1\tok\n", "many.txt")
    assert read_actor_issue_data(many).notes == (
        f"{many}, lines 5-8: 3 #D rows have fields after power, ignored (line 5: 'ok')",)
    plain = write(tmp_path, "#A;A;a\n#A;B;b\n#P;x;x\n#D;A;x;1;1;1\n#D;B;x;5;1;1\n", "plain.txt")
    assert read_actor_issue_data(plain).positions.tolist() == data.positions.tolist()


def test_an_actor_and_an_issue_of_one_name_are_each_found_on_their_own_line(tmp_path):
    """An actor and an issue may share a name (a country and a treaty named after it): a note
    or error on one names its own #A or #P line, not the other's."""
    silent = write(tmp_path, "#A;x;an actor\n#A;A;a\n#A;B;b\n#P;x;an issue\n#D;A;x;1;1;1\n"
                             "#D;B;x;2;1;1\n", "silent.txt")
    assert read_actor_issue_data(silent).notes == (
        f"{silent}, line 1: actor 'x' has no position on any issue; left out",)
    empty = write(tmp_path, "#P;y;an issue\n#A;A;a\n#A;B;b\n#A;y;an actor\n#P;x;x\n"
                            "#D;A;x;1;1;1\n#D;B;x;2;1;1\n#D;y;x;2;1;1\n", "empty.txt")
    with pytest.raises(InputError) as caught:
        read_actor_issue_data(empty)
    assert (caught.value.field, caught.value.problem) == (
        "line 1: issue", "'y' has no positions; give it #D rows or remove it")


DATASET_CASES = {
    "one actor in a negotiation": (
        "negotiation,actor,issue,position,salience,capability\nn1,A,x,0,1,1\nn1,B,x,1,1,1\n"
        "n2,A,x,0,1,1\n", "negotiation 'n2' has one actor (A)"),
    "one issue per negotiation": (
        "negotiation,actor,issue,position,salience,capability\nx,A,x,0,1,1\nx,B,x,1,1,1\n"
        "y,A,y,0,1,1\ny,B,y,1,1,1\n", "each of the 2 negotiations has a single issue"),
    "empty negotiation name": (
        "negotiation,actor,issue,position,salience,capability\n,A,x,0,1,1\n", "empty"),
}


@pytest.mark.parametrize("case", list(DATASET_CASES))
def test_unusable_negotiation_column_is_an_input_error(tmp_path, case):
    text, problem = DATASET_CASES[case]
    with pytest.raises(InputError) as caught:
        read_dataset(write(tmp_path, text))
    assert problem in caught.value.problem


def test_empty_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no files"):
        read_dataset(tmp_path)


@pytest.mark.parametrize(("positions", "outcome"), [((0, 1), "1e308"), ((0, 10), "-1e307")])
def test_an_outcome_too_far_beyond_the_positions_to_compute_with_is_refused(tmp_path, positions,
                                                                            outcome):
    """The scale is the positions' (never the outcome's): one far beyond them would rescale to
    inf, and a backtest then called its outcome column blank."""
    path = write(tmp_path, "actor,issue,position,salience,capability,outcome\n"
                           f"A,x,{positions[0]},1,1,{outcome}\nB,x,{positions[1]},1,1,{outcome}\n")
    with pytest.raises(InputError) as caught:
        read_actor_issue_data(path)
    assert (caught.value.field, caught.value.problem.split(";")[0]) == (
        "outcome", f"'x': {float(outcome):g} lies too far beyond the positions (0 to "
                   f"{positions[1]}) to compute with on their scale")


def test_a_long_csv_gives_its_issues_scales(tmp_path):
    """`scale_low` and `scale_high` set an issue's scale, as `#M` anchors do: positions rescale
    from it (40 of 0-100 is 40), not from the issue's lowest and highest value (40 of 40-60 is
    0); an issue without them keeps its values' range."""
    data = read_actor_issue_data(write(tmp_path, (
        "actor,issue,position,salience,capability,status_quo,scale_low,scale_high\n"
        "A,x,40,0.5,1,50,0,100\nB,x,60,0.5,1,50,0,100\nC,x,55,0.5,1,50,0,100\n"
        "A,y,2,0.5,1,,,\nB,y,6,0.5,1,,,\nC,y,4,0.5,1,,,\n")))
    assert list(data.lower) == [0.0, 2.0] and list(data.upper) == [100.0, 6.0]
    np.testing.assert_allclose(data.positions[:, 0], [40.0, 60.0, 55.0])
    np.testing.assert_allclose(data.positions[:, 1], [0.0, 100.0, 50.0])
    assert data.status_quo[0] == pytest.approx(50.0)


@pytest.mark.parametrize(("rows", "field", "problem"), [
    ("A,x,40,0.5,1,0,\nB,x,60,0.5,1,0,\n", "line 2: scale_high",
     "'x' has a scale_low but no scale_high; allowed: both"),
    ("A,x,40,0.5,1,100,0\nB,x,60,0.5,1,100,0\n", "line 2: scale_high",
     "'0' on 'x' is not above scale_low '100'; allowed: scale_low < scale_high"),
    ("A,x,40,0.5,1,50,100\nB,x,60,0.5,1,50,100\n", "line 2: scale_low/scale_high",
     "the scale of 'x', 50 to 100, leaves out the position of 'A'; allowed: a scale holding "
     "every position, status quo and outcome of the issue"),
    ("A,x,40,0.5,1,0,100\nB,x,60,0.5,1,0,90\n", "line 3: scale_high",
     "'90' differs from '100' on line 2; allowed: one scale_high per issue"),
])
def test_a_long_csvs_scale_must_be_whole_ordered_and_hold_the_issue(tmp_path, rows, field,
                                                                    problem):
    path = write(tmp_path, "actor,issue,position,salience,capability,scale_low,scale_high\n" + rows)
    with pytest.raises(InputError) as error:
        read_actor_issue_data(path)
    assert error.value.field == field
    assert problem in error.value.problem


def test_an_outcome_outside_the_issues_given_scale_is_refused(tmp_path):
    """An outcome of 150 on an issue whose scale is 0-100 is a typo, not a result to score
    (it was read, and scored 135 points off)."""
    path = write(tmp_path, "actor,issue,position,salience,capability,outcome,scale_low,"
                           "scale_high\nA,x,10,0.5,1,150,0,100\nB,x,20,0.5,2,150,0,100\n")
    with pytest.raises(InputError) as error:
        read_actor_issue_data(path)
    assert (error.value.field, error.value.problem) == (
        "line 2: scale_low/scale_high", "the scale of 'x', 0 to 100, leaves out the outcome; "
        "allowed: a scale holding every position, status quo and outcome of the issue")


def test_an_issue_of_one_actor_or_of_no_salience_is_noted(tmp_path):
    """An issue with one actor has nothing to bargain; one where every salience is 0 leaves the
    salience weights nothing to weigh: each is noted, naming the issue; a usual issue is not."""
    data = read_actor_issue_data(write(tmp_path, (
        "actor,issue,position,salience,capability\n"
        "A,x,10,0,1\nB,x,90,0,1\nA,y,10,0.5,1\nA,z,10,0.5,1\nB,z,30,0,1\n")))
    assert data.notes == (
        f"{tmp_path / 'data.csv'}: every actor's salience on issue 'x' is 0: the forecast "
        "weights the actors by capability alone, and the baselines weighting by salience score "
        "no forecast there",
        f"{tmp_path / 'data.csv'}: issue 'y' has one actor (A): there is nothing to bargain, "
        "and its forecast is that actor's position, give or take the bargaining noise")


@pytest.mark.parametrize("separator", [";", "\t"])
def test_a_decide_file_reads_decimal_commas(tmp_path, separator):
    """Decide fields are separated by semicolons or tabs, never commas: `0,5` is 0.5, as in a
    long CSV separated the same way (it was refused as not a number)."""
    rows = ["#A", "A", "a"], ["#A", "B", "b"], ["#P", "x", "x"], ["#M", "x", "0,5", "low"], \
        ["#M", "x", "10", "high"], ["#D", "A", "x", "2,5", "0,5", "1"], \
        ["#D", "B", "x", "8", "0,75", "1,5"]
    data = read_actor_issue_data(write(tmp_path, "".join(separator.join(r) + "\n" for r in rows),
                                       "data.txt"))
    assert (data.lower[0], data.upper[0]) == (0.5, 10.0)
    np.testing.assert_allclose(data.saliences[:, 0], [0.5, 0.75])
    np.testing.assert_allclose(data.to_user_scale(data.positions)[:, 0], [2.5, 8.0])
    np.testing.assert_allclose(data.capability, [1 / 2.5, 1.5 / 2.5])

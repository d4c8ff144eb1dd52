"""The model description (docs/model_odd.md) keeps its generated parts equal to the code: the
baseline's entities and calendar, the parameters, protocols, derivation constants and outputs."""

from pathlib import Path

import pytest

from simulation.report import odd

DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "model_odd.md"


def test_the_generated_parts_match_the_code():
    assert odd.main(["--check", str(DOCUMENT)]) == 0, (
        "docs/model_odd.md is stale: run python -m simulation.report.odd --write "
        "docs/model_odd.md")


def test_a_stale_part_is_found_and_rewritten(tmp_path, capsys):
    stale = tmp_path / "odd.md"
    stale.write_text(DOCUMENT.read_text(encoding="utf-8").replace(
        "| `consensus.min_step` | 10 |", "| `consensus.min_step` | 12 |"), encoding="utf-8")
    assert odd.main(["--check", str(stale)]) == 1
    assert "stale" in capsys.readouterr().err
    assert odd.main(["--write", str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == DOCUMENT.read_text(encoding="utf-8")


def test_every_part_must_be_present():
    text = DOCUMENT.read_text(encoding="utf-8")
    without = text.replace("<!-- generated: calendar -->", "").replace(
        "<!-- end generated: calendar -->", "")
    with pytest.raises(ValueError, match="calendar"):
        odd.render(without)


# --- mutation testing, fourteenth round (docs/mutation_testing.md) --------------------------


def test_an_unknown_part_is_named():
    text = DOCUMENT.read_text(encoding="utf-8") + (
        "\n<!-- generated: agents -->\n<!-- end generated: agents -->\n")
    with pytest.raises(ValueError, match=r"unknown generated parts: \['agents'\]"):
        odd.render(text)


def test_a_part_given_twice_is_generated_in_both_places_and_the_prose_between_kept():
    text = DOCUMENT.read_text(encoding="utf-8")
    calendar = text[text.index("<!-- generated: calendar -->"):
                    text.index("<!-- end generated: calendar -->")]
    calendar += "<!-- end generated: calendar -->"
    twice = text + f"\nProse between the two.\n\n{calendar}\n"
    assert odd.render(twice) == twice
    stale = twice.replace("| 1 | 2016-09 |", "| 0 | 2016-09 |")  # both copies' first row
    assert stale.count("| 0 | 2016-09 |") == 2 and odd.render(stale) == twice


def test_writing_an_up_to_date_document_leaves_the_file_alone(tmp_path):
    """`--write` on a current document does not rewrite it (its file and time stay)."""
    current = tmp_path / "odd.md"
    current.write_text(DOCUMENT.read_text(encoding="utf-8"), encoding="utf-8")
    before = current.stat()
    assert odd.main(["--write", str(current)]) == 0
    after = current.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

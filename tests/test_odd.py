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

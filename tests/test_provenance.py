"""Every seed section and footnote the shipped data cites exists in the seed digest a clone ships
(docs/seed_digest.md), so a reader can follow each preference to its words."""

import re
from pathlib import Path

import pytest

from simulation.inputs.catalogue import default_catalogue

DIGEST = Path(__file__).resolve().parents[1] / "docs" / "seed_digest.md"
FOOTNOTE = re.compile(r"\bfn (\d+)")


def digest_sections() -> dict[str, str]:
    """The digest's text under each section mark ("intro", "§1", ..., "§4.5"), a section
    holding its subsections' text too."""
    sections: dict[str, list[str]] = {}
    open_marks: list[tuple[int, str]] = []
    for line in DIGEST.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^(#+) ", line)
        if heading:
            level = len(heading.group(1))
            open_marks = [(lvl, mark) for lvl, mark in open_marks if lvl < level]
            mark = re.search(r"(§\d+(?:\.\d+)?)|\((intro)\)", line)
            if mark:
                open_marks.append((level, mark.group(1) or mark.group(2)))
                sections.setdefault(open_marks[-1][1], [])
        for _, mark in open_marks:
            sections[mark].append(line)
    return {mark: "\n".join(lines) for mark, lines in sections.items()}


SECTIONS = digest_sections()
CATALOGUE = default_catalogue()


def cited_stances():
    """(who, stance) for every stance of a proposal or a group, blanket stances included."""
    for proposal in CATALOGUE.proposals:
        for stance in proposal.stances:
            yield proposal.symbol, stance
    for group in CATALOGUE.group_stances:
        for stance in [*group.stances, *filter(None, [group.on_new_disciplines])]:
            yield group.id, stance


def test_the_digest_has_the_sections_the_data_is_read_from():
    assert {"intro", "§1", "§2", "§3", "§4", "§4.1", "§4.5", "§5"} <= set(SECTIONS)
    assert "fn 22" in SECTIONS["§4.2"] and "fn 22" in SECTIONS["§4"]
    assert "fn 22" not in SECTIONS["§4.3"]


@pytest.mark.parametrize(("who", "stance"), list(cited_stances()),
                         ids=lambda value: getattr(value, "issue", value))
def test_each_stance_cites_a_section_of_the_digest_holding_its_footnotes(who, stance):
    assert stance.section in SECTIONS, f"{who}: no {stance.section} in {DIGEST.name}"
    for footnote in FOOTNOTE.findall(stance.basis):
        assert re.search(rf"\bfn {footnote}\b", SECTIONS[stance.section]), \
            f"{who} on {getattr(stance, 'issue', 'new disciplines')}: fn {footnote} is not in " \
            f"{stance.section}"


def test_each_proposal_is_the_digest_section_it_cites():
    for proposal in CATALOGUE.proposals:
        heading = SECTIONS[proposal.section].splitlines()[0]
        assert proposal.symbol in heading and f"(fn {proposal.footnote})" in heading


def test_each_issue_and_group_source_cites_sections_of_the_digest():
    for issue in CATALOGUE.issues:
        assert set(issue.sections) <= set(SECTIONS), issue.id
    for group in CATALOGUE.group_stances:
        marks = re.findall(r"§\d+(?:\.\d+)?|\bintro\b", group.source)
        assert marks and set(marks) <= set(SECTIONS), group.id
        for footnote in FOOTNOTE.findall(group.source):
            assert re.search(rf"\bfn {footnote}\b", "\n".join(SECTIONS[m] for m in marks)), \
                f"{group.id}: fn {footnote}"


def test_the_citation_file_names_this_version_and_licence():
    """CITATION.cff is what GitHub and reference managers read to cite the tool: its version and
    licence must be the package's (pyproject.toml), or a paper cites a version nobody ran."""
    import tomllib

    import yaml

    root = DIGEST.parents[1]
    citation = yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8"))
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert citation["cff-version"] == "1.2.0"
    assert (citation["version"], citation["license"]) == (project["version"], project["license"])
    assert citation["title"] == "MC11 e-commerce negotiation simulator"
    assert all(reference["year"] and reference["authors"] for reference in citation["references"])

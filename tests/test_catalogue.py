"""Tests of the data catalogue (inputs.catalogue): the shipped data and every bad-data case.

The shipped data must load with the members and the 2016 proposals the seed article lists (§4).
Each bad-data test copies the shipped data folder to a temporary folder, breaks one thing with a
plain text replace, and checks that `load_catalogue` raises an `InputError` whose message names
the file, the entry and what is allowed.
"""

import shutil
from datetime import date
from pathlib import Path

import pytest

from simulation.errors import InputError
from simulation.inputs.catalogue import DATA_DIR, default_catalogue, load_catalogue

# §4.1-§4.5: every 2016 submission the seed reviews, with its sponsors (ISO3; EUN = the EU).
SEED_SPONSORS = {
    "JOB/GC/94": {"USA"},
    # §4.2: Canada, Chile, Colombia, Côte d'Ivoire, the EU, Korea, Mexico, Montenegro, Paraguay,
    # Singapore, Turkey.
    "JOB/GC/97/Rev.3": {
        "CAN", "CHL", "COL", "CIV", "EUN", "KOR", "MEX", "MNE", "PRY", "SGP", "TUR",
    },
    "JOB/GC/98": {"BRA"},
    # §4.4: Colombia; Costa Rica; Hong Kong, China; Israel; Malaysia; Mexico; Nigeria; Pakistan;
    # Panama; Qatar; Seychelles; Singapore; Turkey.
    "JOB/GC/101/Rev.1": {
        "COL", "CRI", "HKG", "ISR", "MYS", "MEX", "NGA", "PAK", "PAN", "QAT", "SYC", "SGP", "TUR",
    },
    # §4.5: China, with Pakistan co-sponsoring.
    "JOB/GC/110/Rev.1": {"CHN", "PAK"},
}
# The seed's dates and footnotes for the five papers (§4.1-§4.5, fn 19, 20, 23, 24, 25).
SEED_DATES = {
    "JOB/GC/94": (date(2016, 7, 4), 19),
    "JOB/GC/97/Rev.3": (date(2016, 8, 1), 20),
    "JOB/GC/98": (date(2016, 7, 20), 23),
    "JOB/GC/101/Rev.1": (date(2016, 7, 28), 24),
    "JOB/GC/110/Rev.1": (date(2016, 11, 16), 25),
}
# The sponsor codes must name the members the seed names.
SPONSOR_NAMES = {
    "USA": "United States", "CAN": "Canada", "CHL": "Chile", "COL": "Colombia",
    "CIV": "Ivoire", "EUN": "European Union", "KOR": "Korea", "MEX": "Mexico",
    "MNE": "Montenegro", "PRY": "Paraguay", "SGP": "Singapore", "TUR": "Turkey", "BRA": "Brazil",
    "CRI": "Costa Rica", "HKG": "Hong Kong", "ISR": "Israel", "MYS": "Malaysia",
    "NGA": "Nigeria", "PAK": "Pakistan", "PAN": "Panama", "QAT": "Qatar", "SYC": "Seychelles",
    "CHN": "China",
}


# --- helpers -------------------------------------------------------------------------------


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A private copy of the shipped data folder."""
    shutil.copytree(DATA_DIR, tmp_path, dirs_exist_ok=True)
    return tmp_path


def replace_text(folder: Path, name: str, old: str, new: str) -> int:
    """Replace the one occurrence of `old` in a data file; return its 1-based line number."""
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur exactly once in the shipped {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def _error(folder: Path) -> InputError:
    """The InputError loading the folder raises."""
    with pytest.raises(InputError) as info:
        load_catalogue(folder)
    return info.value


def load_error(folder: Path, file_name: str) -> str:
    """Load the folder, expect an InputError about `file_name`, and return its message."""
    error = _error(folder)
    assert Path(error.source).name == file_name
    message = str(error)
    assert file_name in message
    return message


# --- the shipped data ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    # default_catalogue() is load_catalogue() on DATA_DIR, cached for the other test files too.
    return default_catalogue()


def test_shipped_members_and_actors(shipped):
    """164 WTO members; the 28 EU states are represented by the EU, leaving 136 actors."""
    assert len(shipped.members) == 164
    assert len({m.code for m in shipped.members}) == 164
    represented = [m for m in shipped.members if m.represented_by]
    assert len(represented) == 28
    assert {m.represented_by for m in represented} == {"EUN"}
    assert all("eu28" in m.groups for m in represented)
    assert len(shipped.actors) == 136
    assert "EUN" in {m.code for m in shipped.actors}
    assert all(m.capability > 0 for m in shipped.members)


def test_shipped_issues(shipped):
    """The first design (docs/design_first.md): 18-25 issues, unique ids, the seed's main ones."""
    ids = shipped.issue_ids
    assert 18 <= len(ids) <= 25
    assert len(set(ids)) == len(ids)
    assert {
        "mandate", "moratorium", "classification", "data_flows", "data_localisation",
        "source_code", "market_access", "e_payments", "logistics", "msmes",
    } <= set(ids)
    for issue in shipped.issues:
        assert 0 <= issue.status_quo <= 100
        assert shipped.issue(issue.id) is issue


def test_shipped_proposals_and_sponsors(shipped):
    """§4.1-§4.5: the five 2016 papers with the sponsors, dates and footnotes the seed lists."""
    assert {p.symbol: set(p.sponsors) for p in shipped.proposals} == SEED_SPONSORS
    for proposal in shipped.proposals:
        assert (proposal.date, proposal.footnote) == SEED_DATES[proposal.symbol]
        assert proposal.stances


def test_sponsor_codes_name_the_seed_members(shipped):
    """§4.2, §4.4: each sponsor code is the member the seed names, and negotiates itself."""
    names = {m.code: m.name for m in shipped.actors}
    for code, expected in SPONSOR_NAMES.items():
        assert expected in names[code], (code, names.get(code))


def test_unchanged_copy_loads(data):
    """The untouched copy loads, so each case below fails because of its one change."""
    catalogue = load_catalogue(data)
    assert len(catalogue.actors) == 136
    assert len(catalogue.issues) == len(default_catalogue().issues)
    assert len(catalogue.proposals) == 5


# --- bad data: members.csv -----------------------------------------------------------------


def test_duplicate_member_code(data):
    replace_text(data, "members.csv", "ALB,Albania,", "AGO,Albania,")
    message = load_error(data, "members.csv")
    assert "'AGO'" in message
    assert "twice" in message and "unique" in message


def test_bad_member_status(data):
    line = replace_text(data, "members.csv", "ARG,Argentina,developing,", "ARG,Argentina,rich,")
    message = load_error(data, "members.csv")
    assert f"line {line}" in message and "ARG" in message and "status" in message
    assert "'rich'" in message
    assert "developed, developing, ldc" in message


def test_unknown_group_tag(data):
    line = replace_text(data, "members.csv", "AFG,Afghanistan,ldc,,g90,",
                        "AFG,Afghanistan,ldc,,g09,")
    message = load_error(data, "members.csv")
    assert f"line {line}" in message and "AFG" in message and "groups" in message
    assert "'g09'" in message
    assert "did you mean 'g90'?" in message
    assert "african_group" in message and "eu28" in message


@pytest.mark.parametrize("bad", ["0", "-1"])
def test_non_positive_capability(data, bad):
    line = replace_text(data, "members.csv", "AFG,Afghanistan,ldc,,g90,0.0102,",
                        f"AFG,Afghanistan,ldc,,g90,{bad},")
    message = load_error(data, "members.csv")
    assert f"line {line}" in message and "AFG" in message and "capability" in message
    assert repr(bad) in message
    assert "positive number" in message


# --- bad data: proposals.yaml --------------------------------------------------------------


def test_unknown_sponsor_with_suggestion(data):
    replace_text(data, "proposals.yaml", "sponsors: [USA]", "sponsors: [USB]")
    message = load_error(data, "proposals.yaml")
    assert "JOB/GC/94" in message and "sponsors" in message
    assert "'USB'" in message
    assert "did you mean 'USA'?" in message
    assert "members.csv" in message  # what is allowed: the codes in members.csv


def test_unknown_issue_in_proposal_stance(data):
    replace_text(data, "proposals.yaml", "{issue: data_localisation, position: 100,",
                 "{issue: data_localization, position: 100,")
    message = load_error(data, "proposals.yaml")
    assert "JOB/GC/94" in message and "issue" in message
    assert "'data_localization'" in message
    assert "did you mean 'data_localisation'?" in message
    assert "issues.yaml" in message  # what is allowed: the ids in issues.yaml


@pytest.mark.parametrize(("written", "field", "allowed"), [
    ("position: 120,", "position", "120 is out of range; allowed: a number from 0 to 100"),
    ("position: .nan,", "position", "finite number"),
    ("evidence: guess, position: 100,", "evidence", "allowed: words, reading, supposition"),
])
def test_a_bad_stance_value_says_what_is_allowed(data, written, field, allowed):
    """A position off the 0-100 scale, or evidence other than the kinds the data know."""
    replace_text(data, "proposals.yaml", "{issue: data_localisation, position: 100,",
                 f"{{issue: data_localisation, {written}")
    message = load_error(data, "proposals.yaml")
    assert "JOB/GC/94" in message and field in message
    assert allowed in message


def test_proposal_without_sponsors(data):
    replace_text(data, "proposals.yaml", "    sponsors: [BRA]\n", "")
    message = load_error(data, "proposals.yaml")
    assert "JOB/GC/98" in message and "sponsors" in message
    assert "required field is missing" in message


# --- bad data: issues.yaml -----------------------------------------------------------------


def test_duplicate_issue_id(data):
    replace_text(data, "issues.yaml", "  - id: moratorium\n", "  - id: mandate\n")
    message = load_error(data, "issues.yaml")
    assert "'mandate'" in message
    assert "twice" in message and "unique" in message


def test_two_negotiating_mandates(data):
    """Derivation rule 3 reads one mandate issue: a second is refused, naming both."""
    replace_text(data, "issues.yaml", "  - id: moratorium\n",
                 "  - id: moratorium\n    negotiating_mandate: true\n")
    message = load_error(data, "issues.yaml")
    assert "negotiating_mandate" in message and "mandate, moratorium" in message
    assert "at most one issue" in message


def test_issue_without_status_quo(data):
    replace_text(data, "issues.yaml", "    status_quo: 50\n", "")  # only classification's
    message = load_error(data, "issues.yaml")
    assert "classification" in message and "status_quo" in message
    assert "required field is missing" in message


def _add_colour(folder: Path) -> None:
    """Give the classification issue (the only one with status_quo 50) a field it lacks."""
    replace_text(folder, "issues.yaml", "    status_quo: 50\n",
                 "    status_quo: 50\n    colour: red\n")


def test_unknown_field(data):
    _add_colour(data)
    message = load_error(data, "issues.yaml")
    assert "classification" in message and "colour" in message
    assert "unknown field" in message


def test_unknown_field_lists_the_allowed_fields(data):
    _add_colour(data)
    message = load_error(data, "issues.yaml")
    assert "status_quo" in message and "new_discipline" in message


def test_broken_yaml_gives_the_line(data):
    line = replace_text(data, "issues.yaml", "  - id: moratorium\n",
                        "  - id: moratorium\n   bad: [\n")
    message = load_error(data, "issues.yaml")
    assert f"line {line + 1}," in message  # the inserted line
    assert "not valid YAML" in message


# --- bad data: groups.yaml -----------------------------------------------------------------


def test_group_stance_with_two_selectors(data):
    replace_text(data, "groups.yaml", "applies_to: {group: african_group}",
                 "applies_to: {group: african_group, members: [MAR]}")
    message = load_error(data, "groups.yaml")
    assert "african_group" in message and "applies_to" in message
    assert "exactly one of members, group or status" in message


def test_a_papers_symbol_as_a_group_stances_group_says_to_list_its_sponsors(data):
    """A group stance selects members, a group tag or statuses, never a paper's sponsors: a
    paper's symbol as its group was only "not allowed", with the tags."""
    replace_text(data, "groups.yaml", "applies_to: {group: african_group}",
                 "applies_to: {group: JOB/GC/110/Rev.1}")
    error = _error(data)
    assert (Path(error.source).name, error.field) == (
        "groups.yaml", "groups: entry 1 (african_group): applies_to.group")
    assert error.problem == (
        "unknown group 'JOB/GC/110/Rev.1': it is a paper's symbol, and a group stance cannot "
        "select a paper's sponsors by it; to select them, write `members: [CHN, PAK]` in place "
        "of `group:`; allowed: african_group, acp, g90, mikta, oecd, eu28")


# --- bad data the checks had only been given one side or one kind of (mutation testing) ------


@pytest.mark.parametrize(("old", "new", "field", "problem"), [
    # a code must be three upper-case letters: two letters, or lower case, are refused too
    ("AFG,Afghanistan,ldc,,g90,", "AF,Afghanistan,ldc,,g90,", "code",
     "'AF' is not a 3-letter upper-case code"),
    ("AFG,Afghanistan,ldc,,g90,", "afg,Afghanistan,ldc,,g90,", "code",
     "'afg' is not a 3-letter upper-case code"),
    # a capability that is not a finite number: not a number, infinite, or left blank
    ("AFG,Afghanistan,ldc,,g90,0.0102,", "AFG,Afghanistan,ldc,,g90,nan,", "(AFG): capability",
     "'nan'; allowed: a positive number (percent of world trade)"),
    ("AFG,Afghanistan,ldc,,g90,0.0102,", "AFG,Afghanistan,ldc,,g90,inf,", "(AFG): capability",
     "'inf'; allowed: a positive number (percent of world trade)"),
    ("AFG,Afghanistan,ldc,,g90,0.0102,", "AFG,Afghanistan,ldc,,g90,,", "(AFG): capability",
     "''; allowed: a positive number (percent of world trade)"),
])
def test_a_bad_member_line_names_the_line_the_field_and_what_is_allowed(data, old, new, field,
                                                                       problem):
    line = replace_text(data, "members.csv", old, new)
    error = _error(data)
    assert (Path(error.source).name, error.field, error.problem) == (
        "members.csv", f"line {line}: {field}" if field == "code" else f"line {line} {field}",
        problem)


def test_a_members_file_without_a_column_names_it_and_the_required_ones(data):
    """Without the header check a missing capability_basis would load, every basis blank."""
    path = data / "members.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("".join(line.rsplit(",", 1)[0] + "\n" for line in lines), encoding="utf-8")
    error = _error(data)
    assert (Path(error.source).name, error.field) == ("members.csv", "header")
    assert error.problem == ("missing column(s) capability_basis; required: code, name, status, "
                             "represented_by, groups, capability, capability_basis")


def test_a_member_represented_by_an_unknown_code_is_refused(data):
    replace_text(data, "members.csv", "DEU,Germany,developed,EUN,", "DEU,Germany,developed,EUM,")
    error = _error(data)
    assert (Path(error.source).name, error.field) == ("members.csv", "DEU: represented_by")
    # of the codes as close as EUN by difflib's ratio (YEM, ECU), the one that starts alike
    assert error.problem.startswith("unknown member code 'EUM' (did you mean 'EUN'?)")


def test_a_bad_entry_is_named_by_its_place_in_the_list_counting_from_1(data):
    _add_colour(data)
    position = [line.strip() for line in (data / "issues.yaml").read_text().splitlines()
                if line.startswith("  - id: ")].index("- id: classification") + 1
    error = _error(data)
    assert error.field == f"issues: entry {position} (classification): colour"


@pytest.mark.parametrize(("name", "old", "new", "field", "problem"), [
    ("groups.yaml", "applies_to: {members: [USA]}", "applies_to: {members: [USB]}",
     "groups: oslo_proponents: members", "unknown member code 'USB' (did you mean 'USA'?); "
     "allowed: the codes in members.csv of members that negotiate in their own name"),
    ("groups.yaml", "leader: MAR", "leader: FRA", "groups: african_group: leader",
     "France (FRA) negotiates through European Union (EUN); name EUN instead"),
    ("groups.yaml", "leader: MAR", "leader: USA", "groups: african_group: leader",
     "USA is not among the members the stance applies to (group: african_group); allowed: one "
     "of its 44 negotiating members (`mc11 members` lists each member's groups and status), or "
     "no leader (a label only: the model does not use it)"),
    ("groups.yaml", "  - id: oslo_proponents\n", "  - id: african_group\n", "groups: id",
     "'african_group' appears twice; each must be unique"),
    ("groups.yaml", "applies_to: {members: [USA]}", "applies_to: {}",
     "groups: entry 2 (oslo_proponents): applies_to",
     "give exactly one of members, group or status"),
    ("proposals.yaml", "sponsors: [USA]", "sponsors: [USA, USA]",
     "proposals: JOB/GC/94: sponsors", "'USA' appears twice; each must be unique"),
    ("proposals.yaml", "sponsors: [USA]", "sponsors: [FRA]", "proposals: JOB/GC/94: sponsors",
     "France (FRA) negotiates through European Union (EUN); name EUN instead"),
    ("proposals.yaml", "seconded_by: [PAK]", "seconded_by: [IND, PAK]",
     "proposals: JOB/GC/110/Rev.1: seconded_by",
     "IND not among the proposal's sponsors; allowed: some of CHN, PAK"),
    ("proposals.yaml", '{issue: non_discrimination, position: 100, emphasis: headline, '
     'section: "§4.1"', '{issue: moratorium, position: 100, emphasis: headline, '
     'section: "§4.1"', "proposals: JOB/GC/94: stances: issue",
     "'moratorium' appears twice; each must be unique"),
])
def test_a_bad_reference_in_proposals_or_groups_names_its_entry(data, name, old, new, field,
                                                               problem):
    """Members named by a group (its members, its leader) or as sponsors must negotiate in their
    own name and be named once; a group's leader is one of its members; ids and a proposal's
    issues once; a group selects one way."""
    replace_text(data, name, old, new)
    error = _error(data)
    assert (Path(error.source).name, error.field, error.problem) == (name, field, problem)

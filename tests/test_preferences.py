"""Tests of the derived member x issue preferences (inputs.preferences) on the shipped data.

The seed-explicit tests each cite the section of the seed article (docs/seed_digest.md) whose
fact they check; the thresholds say "far toward", "high" and "against" on the 0-100 scale and the
0-1 salience, not the exact numbers in the data files.
"""

import dataclasses
import re

import pandas as pd
import pytest

from simulation.inputs.catalogue import default_catalogue
from simulation.inputs.preferences import (
    TABLE_COLUMNS,
    DerivationRules,
    derive_preferences,
    member_attributes,
)

RULES = {"proposal", "group_stance", "engaged_sponsor", "imputed"}
HIGH_SALIENCE = 0.8


@pytest.fixture(scope="module")
def catalogue():
    return default_catalogue()


@pytest.fixture(scope="module")
def table(catalogue) -> pd.DataFrame:
    return derive_preferences(catalogue)


def row(table: pd.DataFrame, member: str, issue: str) -> pd.Series:
    """The one row for a member and issue."""
    found = table[(table["member"] == member) & (table["issue"] == issue)]
    assert len(found) == 1, (member, issue, len(found))
    return found.iloc[0]


def sponsors_of(catalogue, symbol: str) -> set[str]:
    return set(next(p for p in catalogue.proposals if p.symbol == symbol).sponsors)


def african_group(catalogue) -> set[str]:
    return {m.code for m in catalogue.actors if "african_group" in m.groups}


# --- the shape of the table ----------------------------------------------------------------


def test_one_row_per_actor_and_issue(catalogue, table):
    assert list(table.columns) == TABLE_COLUMNS
    actors = [m.code for m in catalogue.actors]
    assert len(actors) == 136
    assert len(table) == len(actors) * len(catalogue.issues)
    pairs = set(zip(table["member"], table["issue"], strict=True))
    assert pairs == {(a, i) for a in actors for i in catalogue.issue_ids}
    # EU states negotiate through the EU (represented_by EUN) and get no rows of their own.
    assert "DEU" not in set(table["member"]) and "EUN" in set(table["member"])


def test_values_in_range_with_rule_and_source(table):
    assert table["position"].between(0, 100).all()
    assert table["salience"].between(0, 1).all()
    assert (table["position_sd"] > 0).all() and (table["salience_sd"] > 0).all()
    assert set(table["rule"]) <= RULES
    assert set(table["rule"]) == RULES  # every rule is used on the shipped data
    assert table["source"].map(lambda s: isinstance(s, str) and s.strip() != "").all()
    assert not table[["position", "salience", "position_sd", "salience_sd"]].isna().any().any()


# --- facts the seed states -----------------------------------------------------------------


@pytest.mark.parametrize("issue", ["data_localisation", "source_code"])
def test_us_wants_binding_rules_on_localisation_and_source_code(table, issue):
    """§4.1 (JOB/GC/94): the US asks to prohibit data localisation and forced technology transfer
    and to protect source code."""
    us = row(table, "USA", issue)
    assert us["position"] >= 90
    assert us["salience"] >= HIGH_SALIENCE
    assert us["rule"] == "proposal"
    assert "JOB/GC/94" in us["source"]


def test_brazil_prefers_gats(table):
    """§2 and §4.3 (JOB/GC/98): Brazil wants e-commerce discussed under GATS Mode 1."""
    brazil = row(table, "BRA", "classification")
    assert brazil["position"] <= 20
    assert "JOB/GC/98" in brazil["source"]


def test_brazil_open_on_technology_transfer(table):
    """§4.3 (JOB/GC/98): Brazil asks to avoid restrictions on technology transfer, an open stance
    unlike the developed members' source-code position."""
    brazil = row(table, "BRA", "source_code")
    assert brazil["position"] <= 20
    assert "JOB/GC/98" in brazil["source"]
    assert brazil["position"] < row(table, "USA", "source_code")["position"]


def test_china_for_the_moratorium(table, catalogue):
    """§4.5 (JOB/GC/110/Rev.1): continue the moratorium, i.e. renew it (mid-scale), as a
    headline point."""
    assert "Renew" in catalogue.issue("moratorium").scale.mid
    china = row(table, "CHN", "moratorium")
    assert 40 <= china["position"] <= 60
    assert china["salience"] >= HIGH_SALIENCE
    assert "JOB/GC/110/Rev.1" in china["source"]


def test_china_against_new_market_access(table):
    """§4.5 (JOB/GC/110/Rev.1): no new market-access commitments, tariffs included, at this
    stage."""
    china = row(table, "CHN", "market_access")
    assert china["position"] <= 10
    assert china["salience"] >= HIGH_SALIENCE
    assert "JOB/GC/110/Rev.1" in china["source"]


def test_african_group_against_the_mandate(catalogue, table):
    """intro (fn 2) and §5: the African Group, led by Morocco, firmly opposed making e-commerce an
    MC11 topic. This holds for every member of the group that did not sponsor a proposal raising
    the mandate, including the JOB/GC/101/Rev.1 sponsors Nigeria and Seychelles, whose paper says
    nothing on the mandate."""
    raising = {
        code for p in catalogue.proposals if any(s.issue == "mandate" for s in p.stances)
        for code in p.sponsors
    }
    members = african_group(catalogue) - raising
    assert {"MAR", "NGA", "SYC", "ZAF", "KEN", "EGY"} <= members
    assert "CIV" not in members  # co-sponsored JOB/GC/97/Rev.3, which raises the mandate
    for code in sorted(members):
        mandate = row(table, code, "mandate")
        assert mandate["position"] <= 10, code
        assert mandate["salience"] >= HIGH_SALIENCE, code
        assert mandate["rule"] == "group_stance", code
        assert "african_group" in mandate["source"], code


def test_msme_paper_sponsors_care_most_about_msmes(catalogue, table):
    """§4.4 (JOB/GC/101/Rev.1): wider markets and lower costs for MSMEs are the paper's main
    thread: every sponsor high on MSMEs, with high salience."""
    sponsors = sponsors_of(catalogue, "JOB/GC/101/Rev.1")
    assert len(sponsors) == 13
    for code in sorted(sponsors):
        value = row(table, code, "msmes")
        assert value["rule"] == "proposal" and "JOB/GC/101/Rev.1" in value["source"], code
        assert value["salience"] >= HIGH_SALIENCE and value["position"] >= 70, code


@pytest.mark.parametrize("issue", ["e_payments", "logistics", "technical_assistance"])
def test_points_the_msme_paper_only_proposes_to_discuss_are_mentioned(catalogue, table, issue):
    """§4.4: payment options are "worth discussing", delivery the premise of a point "to
    discuss", technical assistance something members "should discuss" (the original's
    值得討論, 需要討論, 應討論): a sponsor with no other paper on the issue has the mentioned
    salience, below what a stated point gets."""
    weights = DerivationRules().emphasis_salience
    for code in sorted(sponsors_of(catalogue, "JOB/GC/101/Rev.1")):
        value = row(table, code, issue)
        assert "JOB/GC/101/Rev.1" in value["source"], code
        if " + " not in value["source"]:
            assert value["salience"] == pytest.approx(weights["mentioned"]), code


def _stance(catalogue, symbol: str, issue: str):
    proposal = next(p for p in catalogue.proposals if p.symbol == symbol)
    return next(s for s in proposal.stances if s.issue == issue)


def test_sponsors_of_two_papers_combine_them(catalogue, table):
    """§4.2 and §4.4: Singapore and Mexico (with Colombia and Turkey) sponsored both
    JOB/GC/97/Rev.3 and JOB/GC/101/Rev.1; where both raise an issue, the row is the
    salience-weighted mean position and the largest salience, and the source names both."""
    both = sponsors_of(catalogue, "JOB/GC/97/Rev.3") & sponsors_of(catalogue, "JOB/GC/101/Rev.1")
    assert {"SGP", "MEX"} <= both
    raised_by = {
        symbol: {s.issue for s in next(p for p in catalogue.proposals
                                        if p.symbol == symbol).stances}
        for symbol in ("JOB/GC/97/Rev.3", "JOB/GC/101/Rev.1")
    }
    shared = raised_by["JOB/GC/97/Rev.3"] & raised_by["JOB/GC/101/Rev.1"]
    assert "e_payments" in shared
    weights = DerivationRules().emphasis_salience
    papers = ("JOB/GC/97/Rev.3", "JOB/GC/101/Rev.1")
    for issue in sorted(shared):
        stances = [_stance(catalogue, symbol, issue) for symbol in papers]
        sal = [weights[s.emphasis] for s in stances]
        mean = sum(s.position * w for s, w in zip(stances, sal, strict=True)) / sum(sal)
        for code in sorted(both):
            # Members who also sponsor JOB/GC/110/Rev.1 (Pakistan) would combine three papers.
            if code in sponsors_of(catalogue, "JOB/GC/110/Rev.1"):
                continue
            value = row(table, code, issue)
            assert value["position"] == pytest.approx(mean, abs=1e-3), (code, issue)
            assert value["salience"] == pytest.approx(max(sal)), (code, issue)
            assert "JOB/GC/97/Rev.3" in value["source"] and "JOB/GC/101/Rev.1" in value["source"]
    # On e_payments the stated 55 (JOB/GC/97/Rev.3) outweighs the mentioned 50 (101/Rev.1).
    sgp = row(table, "SGP", "e_payments")
    assert 52.5 < sgp["position"] < 55
    assert sgp["salience"] == pytest.approx(weights["stated"])


def test_single_sponsor_takes_the_paper_stance(catalogue, table):
    """§4.1: a sole sponsor's row is its paper's stance with the emphasis's salience."""
    weights = DerivationRules().emphasis_salience
    for stance in next(p for p in catalogue.proposals if p.symbol == "JOB/GC/94").stances:
        us = row(table, "USA", stance.issue)
        assert us["position"] == pytest.approx(stance.position)
        assert us["salience"] == pytest.approx(weights[stance.emphasis])


# --- imputed rows --------------------------------------------------------------------------


def test_imputed_rows_are_marked_and_less_certain(table):
    """Rows with no proposal or group stance behind them say 'imputed', cite a rule and no paper,
    and carry wider uncertainty than any proposal row."""
    imputed = table[table["rule"] == "imputed"]
    proposal = table[table["rule"] == "proposal"]
    assert len(imputed) > 0 and len(proposal) > 0
    assert imputed["source"].str.startswith("rule ").all()
    assert not imputed["source"].str.contains("JOB/GC").any()
    assert table.loc[table["source"].str.startswith("rule "), "rule"].isin(
        ["imputed", "engaged_sponsor"]).all()
    assert imputed["position_sd"].min() > proposal["position_sd"].max()
    assert imputed["salience_sd"].min() > proposal["salience_sd"].max()
    assert imputed["salience"].max() < proposal["salience"].max()
    # The US tabled nothing on MSMEs and no group stance names it there.
    assert row(table, "USA", "msmes")["rule"] == "imputed"


def test_engaged_sponsor_rows_name_their_rule(table):
    """Rule 3 (a sponsor without a mandate stance backs focused talks) labels its rows as its
    own, not as the status defaults of rule 4, and carries that rule's spread."""
    engaged = table[table["source"].str.startswith("rule engaged_sponsor")]
    assert len(engaged) > 0 and (engaged["rule"] == "engaged_sponsor").all()
    assert (engaged["issue"] == "mandate").all()
    spread = DerivationRules().uncertainty["engaged_sponsor"]
    assert (engaged[["position_sd", "salience_sd"]] == list(spread)).all().all()
    assert not table.loc[table["rule"] == "imputed", "source"].str.contains("engaged").any()


def test_rule_3_reads_the_mandate_issue_from_the_data(catalogue, table):
    """The issue rule 3 applies to is the one issues.yaml flags `negotiating_mandate`, not a
    name in the code: flagged on another issue, the rule moves there."""
    elsewhere = dataclasses.replace(catalogue, issues=tuple(
        issue.model_copy(update={"negotiating_mandate": issue.id == "logistics"})
        for issue in catalogue.issues))
    moved = derive_preferences(elsewhere)
    engaged = table.loc[table["rule"] == "engaged_sponsor", "member"]
    now = moved[moved["rule"] == "engaged_sponsor"]
    assert len(now) > 0 and (now["issue"] == "logistics").all()
    assert row(moved, engaged.iloc[0], "mandate")["rule"] == "imputed"
    assert (now[["position", "salience"]] == list(DerivationRules().engaged_sponsor_mandate)
            ).all().all()


# --- overridable rules ---------------------------------------------------------------------


def test_emphasis_salience_can_be_overridden(catalogue, table):
    """A modified DerivationRules changes the saliences it governs, and only those."""
    base = DerivationRules()
    rules = dataclasses.replace(
        base, emphasis_salience={**base.emphasis_salience, "headline": 0.5}
    )
    changed = derive_preferences(catalogue, rules)
    assert row(changed, "USA", "data_localisation")["salience"] == pytest.approx(0.5)
    assert row(changed, "CHN", "market_access")["salience"] == pytest.approx(0.5)
    # A stated stance is untouched.
    assert row(changed, "BRA", "source_code")["salience"] == pytest.approx(
        row(table, "BRA", "source_code")["salience"]
    )
    # A combined row: a lower headline weight moves Pakistan's MSMEs row, the headline 80
    # (JOB/GC/101/Rev.1) with the stated 70 (JOB/GC/110/Rev.1), toward the stated 70.
    pak = row(changed, "PAK", "msmes")
    assert pak["salience"] == pytest.approx(0.6)
    assert pak["position"] == pytest.approx((80 * 0.5 + 70 * 0.6) / 1.1, abs=1e-3)
    assert pak["position"] < row(table, "PAK", "msmes")["position"]
    # No row keeps a salience above the highest remaining emphasis (stated, 0.6).
    assert table["salience"].max() == pytest.approx(0.9)
    assert changed["salience"].max() == pytest.approx(0.6)
    # The override does not leak into the defaults.
    assert base.emphasis_salience["headline"] == DerivationRules().emphasis_salience["headline"]


def test_imputed_defaults_can_be_overridden(catalogue):
    """The status defaults of rule 4 are constants a scenario may replace."""
    base = DerivationRules()
    rules = dataclasses.replace(base, imputed={**base.imputed, "developed": (80.0, 70.0, 0.3)})
    changed = derive_preferences(catalogue, rules)
    us = row(changed, "USA", "msmes")  # imputed, not a new discipline
    assert (us["position"], us["salience"]) == (70.0, 0.3)
    assert row(changed, "USA", "market_access")["position"] == 80.0  # a new discipline
    # Developing members keep their defaults.
    assert row(changed, "BRA", "msmes")["position"] == base.imputed["developing"][1]


# --- member attributes ---------------------------------------------------------------------


def test_member_attributes(catalogue):
    """§3 (fn 18): India ties progress to Doha; intro (fn 2): so does the African Group, firmly
    opposed under Morocco's lead, which the model reads as a bloc."""
    attrs = member_attributes(catalogue).set_index("member")
    assert len(attrs) == len(catalogue.actors)
    assert attrs.loc["IND", "doha_linked"]
    africa = sorted(african_group(catalogue))
    assert len(africa) > 40
    assert attrs.loc[africa, "doha_linked"].all()
    assert (attrs.loc[africa, "bloc"] == "african_group").all()
    assert not attrs.loc["USA", "doha_linked"] and attrs.loc["USA", "bloc"] == ""
    assert attrs.loc["IND", "bloc"] == ""
    assert (attrs["capability"] > 0).all()


# --- the data review of 2026-12-02 (docs/data_review.md) -----------------------------------


def test_the_eu_paper_takes_no_stance_the_article_does_not_report(table):
    """§4.2 lists no encryption point of JOB/GC/97/Rev.3 (the closing reading's examples are the
    US paper's words), nor does §4.4 name a customs measure of JOB/GC/101/Rev.1."""
    assert "JOB/GC/97/Rev.3" not in row(table, "EUN", "encryption")["source"]
    assert "JOB/GC/101/Rev.1" not in row(table, "MYS", "trade_facilitation")["source"]


def test_standards_are_best_endeavour_and_not_a_new_discipline(catalogue, table):
    """§4.1: members should do their best (盡力) to keep market-formed standards: the scale's
    mid, not its binding high; no paper asks for a binding rule, so the African Group's
    blanket opposition to new rules does not reach standards."""
    assert row(table, "USA", "standards")["position"] <= 60
    assert not next(i for i in catalogue.issues if i.id == "standards").new_discipline
    for code in sorted(african_group(catalogue)):
        assert "african_group" not in row(table, code, "standards")["source"], code


@pytest.mark.parametrize(("member", "issue", "point"), [
    ("CHN", "mandate", 50),  # §4.5: focused discussion at MC11
    ("CHN", "technical_assistance", 50),  # §4.5: Secretariat support
    ("EUN", "unsolicited_communications", 100),  # §4.2: opt-out or prior-consent rules
    ("USA", "encryption", 100),  # §4.1: rules to protect encryption products, lawful access kept
    ("USA", "technology_choice", 100),  # §4.1: no host-country technology required
    ("USA", "e_signatures", 100),  # §4.1: providers choose their authentication method
    ("EUN", "data_flows", 50),  # §4.2: discuss data flows within WTO obligations and exceptions
    ("EUN", "market_access", 50),  # §4.2: classification, schedules, tariffs all to be discussed
    ("EUN", "transparency", 100),  # §4.2: measures into Trade Policy Reviews (to discuss)
    ("BRA", "consumer_protection", 100),  # §4.3: complaint channels, consumer dispute resolution
    ("BRA", "classification", 0),  # §4.3: e-commerce under GATS Mode 1
    ("BRA", "data_flows", 0),  # §4.3: no new data-flow rules while Mode 1 suffices
    ("MYS", "technical_assistance", 100),  # §4.4: assistance closing infrastructure gaps
])
def test_a_paper_asking_in_a_scale_points_words_takes_that_point(table, member, issue, point):
    """The position rule of proposals.yaml, applied (2026-12-02, and to every entry whose words
    are a point's, unhedged, on 2026-12-03) to the papers' entries: a "discuss" lowers the
    emphasis, not the position."""
    assert row(table, member, issue)["position"] == point


# --- mutation testing, fifth round (docs/mutation_testing.md) -----------------------------


def test_a_stance_whose_emphasis_weighs_nothing_keeps_its_position(catalogue, table):
    """A scenario may weigh an emphasis 0 (`derivation.emphasis_salience`): a row resting only
    on such stances keeps their plain mean position (all weighing alike, as in the baseline),
    with salience 0, instead of failing on a division by zero."""
    base = DerivationRules()
    rules = dataclasses.replace(base, emphasis_salience={**base.emphasis_salience,
                                                         "mentioned": 0.0})
    changed = derive_preferences(catalogue, rules)
    weightless = changed["rule"].isin(["proposal", "group_stance"]) & (changed["salience"] == 0)
    assert weightless.sum() > 0
    assert changed["position"].notna().all()
    assert changed.loc[weightless, "position"].to_numpy() == pytest.approx(
        table.loc[weightless, "position"].to_numpy(), abs=1e-3)


def test_each_stance_row_cites_the_paper_or_group_its_section_and_words(table):
    """Provenance: every row resting on stances names, for each stance, the paper (or group
    stance), the seed article's section it is read from, its emphasis and its words, so a reader
    can follow the value to the text (docs/seed_digest.md)."""
    cited = re.compile(r"^(JOB/GC/\S+( \(seconded\))?|group stance '[a-z_0-9]+') "
                       r"(§\d+(\.\d+)?|intro) "
                       r"\((headline|stated|mentioned)(, a (reading|supposition))?: .+\)$")
    stance_rows = table[table["rule"].isin(["proposal", "group_stance"])]
    for source in stance_rows["source"]:
        for part in source.split(" + "):
            assert cited.match(part), part
    assert row(table, "USA", "moratorium")["source"].startswith("JOB/GC/94 §4.1 (headline: ")


def test_a_group_stance_is_as_certain_as_it_names_the_member(catalogue, table):
    """A stance naming members is read more surely than a group's (the African Group), and that
    more surely than one of a whole development status, unless it is only a reading of the seed
    or the author's supposition: each row carries its evidence's spread, the wider of the two."""
    spread = DerivationRules().uncertainty
    kind_of = {g.id: "members" if g.applies_to.members else "group" if g.applies_to.group
               else "status" for g in catalogue.group_stances}
    assert set(kind_of.values()) == {"members", "group", "status"}
    grouped = table[table["rule"] == "group_stance"]
    for _, r in grouped.iterrows():
        kinds = {kind_of[g] for g in re.findall(r"group stance '([a-z_0-9]+)'", r["source"])}
        assert len(kinds) == 1, r["source"]
        expected = spread[kinds.pop()]
        for how in re.findall(r", a (reading|supposition):", r["source"]):
            expected = tuple(max(a, b) for a, b in zip(expected, spread[how], strict=True))
        assert (r["position_sd"], r["salience_sd"]) == expected, r["source"]
    africa = row(table, sorted(african_group(catalogue))[0], "mandate")
    ldc = row(table, "BGD", "mandate")  # an LDC outside the African Group: ldc_group
    assert "group stance 'ldc_group'" in ldc["source"]
    assert africa["position_sd"] == 10 < ldc["position_sd"] == 15
    assert africa["salience_sd"] < ldc["salience_sd"]


def test_a_reading_or_a_supposition_is_less_sure_than_the_seeds_words(table):
    """A stance the seed gives only by a reading is as uncertain as a group's at least, one
    resting on the author's supposition as an imputed default; a member that seconded a paper
    takes its stances as readings of its own views (§4.5, fn 25: Pakistan seconded China's)."""
    spread = DerivationRules().uncertainty
    usa = row(table, "USA", "classification")  # names the US, but reads §2's leaning as 85
    assert ", a reading:" in usa["source"]
    assert (usa["position_sd"], usa["salience_sd"]) == spread["reading"]
    assert spread["members"] < spread["reading"]
    india = row(table, "IND", "mandate")  # the author's 可能 (fn 18)
    assert (india["position_sd"], india["salience_sd"]) == spread["supposition"]
    china, pakistan = row(table, "CHN", "market_access"), row(table, "PAK", "market_access")
    assert china["position"] == pakistan["position"] == 0
    assert china["salience"] == pakistan["salience"]
    assert china["position_sd"] == spread["proposal"][0] < pakistan["position_sd"]
    assert "JOB/GC/110/Rev.1 (seconded) §4.5 (headline, a reading:" in pakistan["source"]
    assert "(seconded)" not in china["source"]

"""Behaviour tests for report.summary: intervals, per-issue summaries, comparisons, support."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.inputs.priors import Prior
from simulation.report.summary import (
    OUTCOMES,
    _top_blockers,
    blocker_frequencies,
    compare,
    compare_blockers,
    compare_many,
    each_kind_medians,
    group_positions,
    member_shares_from_counts,
    newcombe_interval,
    paired_blocker_counts,
    paired_newcombe_interval,
    share_label,
    side_by_side,
    spread_over_time,
    summarise,
    tie_label,
    tied_levels,
    uncertain_parameters,
    wilson_interval,
    with_blocs,
)

COLUMNS = ["run", "issue", "outcome", "text", "coverage", "blockers", "plurilateral_members"]


def _outcomes(rows: list[tuple]) -> pd.DataFrame:
    """Outcomes frame in the runner's schema, outcome as a Categorical."""
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["outcome"] = pd.Categorical(frame["outcome"], categories=list(OUTCOMES))
    return frame


def _catalogue(ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"title": [f"Title {i}" for i in ids], "cluster": "c",
                         "status_quo": 0.0}, index=pd.Index(ids, name="issue"))


def _counts(issue: str, n_multi: int, n_pluri: int, n_none: int) -> pd.DataFrame:
    """Outcomes for one issue with the given number of runs per outcome."""
    labels = ["multilateral"] * n_multi + ["plurilateral"] * n_pluri + ["none"] * n_none
    return _outcomes([(r, issue, o, np.nan, np.nan, "", "") for r, o in enumerate(labels)])


@pytest.fixture
def small() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two issues with four runs each, plus a catalogue issue without runs, listed first.
    Coverage is on every row, as the engine's verdict has it (1 for a multilateral deal, the
    widest share any change gathers without a deal; outcomes.parquet blanks it where there is
    no plurilateral deal): the median coverage must use the plurilateral runs only."""
    nan = np.nan
    outcomes = _outcomes([
        (0, "duties", "multilateral", 60.0, 1.0, "", ""),
        (1, "duties", "plurilateral", 70.0, 0.5, "IND", "USA;EU;JPN"),
        (2, "duties", "none", nan, 0.2, "IND;ZAF", ""),
        (3, "duties", "none", nan, 0.1, "IND", ""),
        (0, "spam", "multilateral", 50.0, 1.0, "", ""),
        (1, "spam", "plurilateral", 40.0, 0.3, "BRA", "USA;EU"),
        (2, "spam", "plurilateral", 30.0, 0.7, "", "EU; USA;;"),
        (3, "spam", "none", nan, 0.4, "BRA", ""),
    ])
    return outcomes, _catalogue(["source", "spam", "duties"])


# Wilson score interval (Wilson 1927; Newcombe 1998a, Stat Med 17:857-872, method 3).
# Values recomputed here at z = 1.96 and rounded to 4 decimals.
@pytest.mark.parametrize(("x", "n", "low", "high"), [
    (0, 10, 0.0, 0.2775),
    (5, 10, 0.2366, 0.7634),
    (10, 10, 0.7225, 1.0),
    # Textbook examples: Newcombe (1998a), Table I, method 3 (score interval without correction).
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_known_values(x: int, n: int, low: float, high: float) -> None:
    got_low, got_high = wilson_interval(x, n)
    assert got_low == pytest.approx(low, abs=5e-5)
    assert got_high == pytest.approx(high, abs=5e-5)


def test_wilson_is_vectorised_and_nan_for_empty_samples() -> None:
    low, high = wilson_interval(np.array([0, 5, 10, 0]), np.array([10, 10, 10, 0]))
    assert low.shape == high.shape == (4,)
    np.testing.assert_allclose(low[:3], [0.0, 0.2366, 0.7225], atol=5e-5)
    assert np.isnan(low[3]) and np.isnan(high[3])


def test_wilson_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


@given(st.integers(0, 10**6).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
       st.floats(0.1, 4.0))
def test_wilson_bounds_in_unit_interval_ordered_and_contain_estimate(
        counts: tuple[int, int], z: float) -> None:
    x, n = counts
    low, high = wilson_interval(x, n, z)
    if n == 0:
        assert np.isnan(low) and np.isnan(high)
        return
    assert 0.0 <= low <= x / n <= high <= 1.0


# Newcombe (1998b), "Interval estimation for the difference between independent proportions:
# comparison of eleven methods", Stat Med 17:873-890, Table II, method 10 (hybrid score).
@pytest.mark.parametrize(("a", "m", "b", "n", "diff", "low", "high"), [
    (56, 70, 48, 80, 0.2000, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.6000, 0.1705, 0.8090),
    (5, 56, 0, 29, 0.0893, -0.0381, 0.1926),
    (0, 10, 0, 20, 0.0, -0.1611, 0.2775),
    (10, 10, 0, 20, 1.0, 0.6791, 1.0),
])
def test_newcombe_published_examples(a: int, m: int, b: int, n: int, diff: float, low: float,
                                     high: float) -> None:
    # Newcombe's difference is p1 - p2 = a/m - b/n; newcombe_interval returns p_b - p_a.
    p2_low, p2_high = wilson_interval(b, n)
    p1_low, p1_high = wilson_interval(a, m)
    got = newcombe_interval(b / n, p2_low, p2_high, a / m, p1_low, p1_high)
    assert got == pytest.approx((diff, low, high), abs=5e-5)


def test_summarise_exact_numbers(small: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    outcomes, issues = small
    summary = summarise(outcomes, issues)
    assert list(summary.index) == ["source", "spam", "duties"]
    duties = summary.loc["duties"]
    assert duties["n_runs"] == 4
    assert (duties["p_multilateral"], duties["p_plurilateral"], duties["p_none"]) == (
        0.25, 0.25, 0.5)
    low, high = wilson_interval(1, 4)
    assert (duties["p_multilateral_low"], duties["p_multilateral_high"]) == (low, high)
    assert duties["modal_outcome"] == "none"
    # Texts 60 and 70: median 65, linear-interpolated 10th/90th percentiles 61 and 69.
    assert (duties["text_median"], duties["text_p10"], duties["text_p90"]) == (65.0, 61.0, 69.0)
    assert duties["coverage_median"] == 0.5
    assert duties["top_blockers"] == "IND 0.75; ZAF 0.25"
    spam = summary.loc["spam"]
    assert spam["modal_outcome"] == "plurilateral"
    assert spam["text_median"] == 40.0
    assert spam["coverage_median"] == pytest.approx(0.5)
    assert spam["top_blockers"] == "BRA 0.50"
    assert spam["title"] == "Title spam"


def test_summarise_issue_without_runs(small: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    source = summarise(*small).loc["source"]
    assert source["n_runs"] == 0
    assert np.isnan(source["p_none"]) and np.isnan(source["p_none_low"])
    assert pd.isna(source["modal_outcome"])
    assert source["top_blockers"] == ""


def test_probabilities_sum_to_one_and_intervals_contain_them(
        small: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    summary = summarise(*small).loc[["spam", "duties"]]
    total = sum(summary[f"p_{name}"] for name in OUTCOMES)
    np.testing.assert_allclose(total, 1.0)
    for name in OUTCOMES:
        assert (summary[f"p_{name}_low"] <= summary[f"p_{name}"]).all()
        assert (summary[f"p_{name}"] <= summary[f"p_{name}_high"]).all()


def test_modal_outcome_ties_follow_outcome_order() -> None:
    summary = summarise(_counts("x", 0, 2, 2), _catalogue(["x"]))
    assert summary.loc["x", "modal_outcome"] == "plurilateral"


def test_summarise_rejects_bad_input(small: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    outcomes, issues = small
    with pytest.raises(ValueError, match="catalogue"):
        summarise(outcomes, issues.drop(index="spam"))
    with pytest.raises(ValueError, match="unknown outcome"):
        summarise(outcomes.assign(outcome="walkout"), issues)
    with pytest.raises(ValueError, match="more than one row"):
        summarise(pd.concat([outcomes, outcomes.head(1)]), issues)
    with pytest.raises(ValueError, match="lacks columns"):
        summarise(outcomes.drop(columns="blockers"), issues)


def test_blocker_frequencies(small: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    freq = blocker_frequencies(small[0])
    assert freq.to_dict("records") == [
        {"issue": "duties", "member": "IND", "count": 3, "share": 0.75},
        {"issue": "duties", "member": "ZAF", "count": 1, "share": 0.25},
        {"issue": "spam", "member": "BRA", "count": 2, "share": 0.5},
    ]


def test_a_member_named_twice_in_one_run_counts_once() -> None:
    outcomes = _outcomes([(0, "x", "none", np.nan, 0.1, "IND;IND", ""),
                          (1, "x", "none", np.nan, 0.1, "IND; ZAF", "")])
    assert blocker_frequencies(outcomes).to_dict("records") == [
        {"issue": "x", "member": "IND", "count": 2, "share": 1.0},
        {"issue": "x", "member": "ZAF", "count": 1, "share": 0.5}]


def test_compare_identical_inputs_gives_zero_differences(
        small: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    summary = summarise(*small).loc[["spam", "duties"]]
    comparison = compare(summary, summary)
    for name in OUTCOMES:
        assert (comparison[f"diff_{name}"] == 0).all()
        assert (comparison[f"diff_{name}_low"] < 0).all()
        assert (comparison[f"diff_{name}_high"] > 0).all()
        assert not comparison[f"diff_{name}_excludes_zero"].any()


def test_compare_reproduces_newcombe_example() -> None:
    # Newcombe (1998b) Table II, example (a): 56/70 vs 48/80 -> 0.2000 (0.0524 to 0.3339).
    issues = _catalogue(["x"])
    scenario_a = summarise(_counts("x", 48, 10, 22), issues)
    scenario_b = summarise(_counts("x", 56, 5, 9), issues)
    row = compare(scenario_a, scenario_b).loc["x"]
    assert row["diff_multilateral"] == pytest.approx(0.2)
    assert row["diff_multilateral_low"] == pytest.approx(0.0524, abs=5e-5)
    assert row["diff_multilateral_high"] == pytest.approx(0.3339, abs=5e-5)
    assert row["diff_multilateral_excludes_zero"]
    assert (row["n_runs_a"], row["n_runs_b"]) == (80, 70)
    fall = compare(scenario_b, scenario_a).loc["x"]  # the same change the other way round
    assert fall["diff_multilateral_high"] == pytest.approx(-0.0524, abs=5e-5)
    assert fall["diff_multilateral_excludes_zero"]


@settings(max_examples=25)  # four summaries an example: ~1 s
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40))
                .filter(lambda c: sum(c) > 0), min_size=2, max_size=2))
def test_swapping_the_scenarios_mirrors_every_difference(counts: list[tuple[int, ...]]) -> None:
    """b - a is -(a - b), with the interval mirrored: a fall is flagged as surely as a rise."""
    issues = _catalogue(["x"])
    a, b = (summarise(_counts("x", *c), issues) for c in counts)
    forward, backward = compare(a, b).loc["x"], compare(b, a).loc["x"]
    for name in OUTCOMES:
        assert forward[f"diff_{name}"] == -backward[f"diff_{name}"]
        assert forward[f"diff_{name}_low"] == pytest.approx(-backward[f"diff_{name}_high"])
        assert forward[f"diff_{name}_high"] == pytest.approx(-backward[f"diff_{name}_low"])
        assert forward[f"diff_{name}_excludes_zero"] == backward[f"diff_{name}_excludes_zero"]
        assert forward[f"diff_{name}_excludes_zero"] == (
            not forward[f"diff_{name}_low"] <= 0 <= forward[f"diff_{name}_high"])


def test_summaries_are_matched_by_issue_whatever_their_row_order(
        small: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    outcomes, issues = small
    before = summarise(outcomes, issues).loc[["spam", "duties"]]
    after = summarise(outcomes.assign(outcome=outcomes["outcome"].where(
        outcomes["issue"] != "spam", "none")), issues).loc[["spam", "duties"]]
    reordered = after.loc[["duties", "spam"]]
    pd.testing.assert_frame_equal(compare(before, reordered), compare(before, after))
    assert compare(before, reordered).loc["spam", "diff_none"] == pytest.approx(0.75)
    pd.testing.assert_frame_equal(side_by_side([before, reordered], ["a", "b"]),
                                  side_by_side([before, after], ["a", "b"]))


def test_compare_rejects_different_issue_sets(small: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    summary = summarise(*small)
    with pytest.raises(ValueError, match="different issues"):
        compare(summary, summary.drop(index="spam"))


def test_three_summaries_compare_against_the_first_and_sit_side_by_side() -> None:
    issues = _catalogue(["x"])
    a, b, c = (summarise(_counts("x", *counts), issues)
               for counts in ((48, 10, 22), (56, 5, 9), (10, 60, 10)))
    stacked = compare_many([a, b, c], ["a", "b", "c"])
    assert list(stacked["scenario"]) == ["b", "c"] and set(stacked["reference"]) == {"a"}
    pd.testing.assert_series_equal(stacked.iloc[0, 2:], compare(a, b).iloc[0], check_names=False)
    pd.testing.assert_series_equal(stacked.iloc[1, 2:], compare(a, c).iloc[0], check_names=False)
    table = side_by_side([a, b, c], ["a", "b", "c"])
    assert table.loc["x", "p_multilateral_a"] == pytest.approx(48 / 80)
    assert table.loc["x", "p_plurilateral_c"] == pytest.approx(60 / 80)
    with pytest.raises(ValueError, match="distinct name"):
        side_by_side([a, b], ["a", "a"])


def test_spread_over_time() -> None:
    values = np.zeros((5, 2, 2))
    values[:, :, :] = np.array([0.0, 0.25, 0.5, 0.75, 1.0])[:, None, None]
    result = spread_over_time(values, ["2016-10 Oslo mini-ministerial", "2017-12 MC11"],
                               ["b", "a"])
    assert list(zip(result["period"], result["issue"], strict=True)) == [
        (0, "b"), (0, "a"), (1, "b"), (1, "a")]
    assert list(result["period_label"][:1]) == ["2016-10 Oslo mini-ministerial"]
    assert (result["n_runs"] == 5).all()
    np.testing.assert_allclose(result["support_mean"], 0.5)
    np.testing.assert_allclose(result["support_p10"], 0.1)
    np.testing.assert_allclose(result["support_p90"], 0.9)
    with pytest.raises(ValueError, match="support must be"):
        spread_over_time(values, ["only one label"], ["b", "a"])


def test_group_positions_is_salience_weighted() -> None:
    positions = pd.DataFrame({
        "member": ["USA", "IND", "ZAF", "KEN"],
        "group": ["US", "Other developing", "African Group", "African Group"],
        "issue": ["x", "x", "x", "x"],
        "position": [90.0, 10.0, 20.0, 80.0],
        "salience": [1.0, 0.0, 3.0, 1.0],
    })
    table = group_positions(positions)
    assert list(table.index) == ["US", "Other developing", "African Group"]
    assert table.loc["US", "x"] == 90.0
    assert np.isnan(table.loc["Other developing", "x"])
    assert table.loc["African Group", "x"] == pytest.approx(35.0)


# --------------------------------------------------------------------------- ties and blocs


def _shares(**shares: float) -> pd.Series:
    return pd.Series(shares).sort_values(ascending=False, kind="stable")


def test_ties_are_shown_with_the_next_distinct_share() -> None:
    """Three members at 0.15 and India at 0.144: India is not hidden behind the tie."""
    freq = pd.DataFrame({"issue": "x", "member": ["KEN", "NGA", "ZAF", "IND", "EGY"],
                         "count": [15, 15, 15, 14, 10],
                         "share": [0.15, 0.15, 0.15, 0.144, 0.10]})
    assert _top_blockers(freq)["x"] == "KEN=NGA=ZAF 0.15; IND 0.14"
    assert tied_levels(_shares(A=0.2, B=0.1, C=0.1, D=0.1, E=0.1, F=0.05)) == [
        (0.2, ["A"]), (0.1, ["B", "C", "D", "E"]), (0.05, ["F"])]
    assert tied_levels(_shares(A=0.5)) == [(0.5, ["A"])]


def test_small_shares_read_below_a_hundredth() -> None:
    assert [share_label(v) for v in (0.0, 0.004, 0.005, 0.144, 1.0)] == [
        "0.00", "<0.01", "0.01", "0.14", "1.00"]


def test_a_bloc_blocking_together_is_named_once() -> None:
    bloc = {"African Group": ["AGO", "BEN", "KEN", "NGA", "ZAF", "CIV"]}
    assert with_blocs(["AGO", "BEN", "IND", "KEN", "NGA", "ZAF"], bloc) == [
        "African Group (5 of 6)", "IND"]
    assert with_blocs(["AGO", "BEN", "IND"], bloc) == ["AGO", "BEN", "IND"]
    # two thirds is enough, half is not
    assert with_blocs(["AGO", "BEN", "KEN", "NGA"], bloc) == ["African Group (4 of 6)"]
    assert with_blocs(["AGO", "BEN", "KEN"], bloc) == ["AGO", "BEN", "KEN"]
    assert tie_label([f"M{i}" for i in range(10)]) == "M0=M1=M2=M3=M4=… (10 tied)"


def test_a_bloc_takes_one_place_among_the_top_blockers() -> None:
    """A bloc whose members block together at the top share used to fill the three places and
    leave only the next distinct share: India, third, was hidden behind the bloc and Nepal."""
    bloc = {"African Group": ["AGO", "BEN", "KEN", "NGA", "ZAF", "CIV"]}
    members = ["AGO", "BEN", "KEN", "NGA", "ZAF", "NPL", "IND", "HTI", "LAO"]
    freq = pd.DataFrame({"issue": "mandate", "member": members,
                         "share": [0.26] * 5 + [0.25, 0.245, 0.2, 0.1]})
    assert _top_blockers(freq, blocs=bloc)["mandate"] == (
        "African Group (5 of 6) 0.26; NPL 0.25; IND 0.24; HTI 0.20")
    assert _top_blockers(freq)["mandate"] == "AGO=BEN=KEN=NGA=ZAF 0.26; NPL 0.25"


def test_member_shares_from_counts_equal_those_from_the_lists() -> None:
    outcomes = pd.DataFrame({
        "run": [0, 0, 1, 1, 2, 2], "issue": ["b", "a"] * 3,
        "outcome": ["none", "none", "none", "multilateral", "none", "none"],
        "text": np.nan, "coverage": np.nan,
        "blockers": ["IND;ZAF", "IND", "ZAF", "", "IND", "ZAF;IND"],
        "plurilateral_members": "",
    })
    counts = np.array([[2, 2], [2, 1]])  # (member, issue): IND, ZAF x b, a (their first runs)
    pd.testing.assert_frame_equal(member_shares_from_counts(counts, ["IND", "ZAF"], ["b", "a"], 3),
                                  blocker_frequencies(outcomes))


def _blocked_runs(lists: list[list[str]], issues: list[str]) -> pd.DataFrame:
    """Outcomes of runs whose blockers on each issue are `lists` (runs x issues, member codes
    joined by ';'): no agreement where anyone blocked, a multilateral one elsewhere."""
    return _outcomes([(run, issue, "none" if blockers else "multilateral",
                       np.nan if blockers else 50.0, np.nan, blockers, "")
                      for run, row in enumerate(lists)
                      for issue, blockers in zip(issues, row, strict=True)])


def _blocker_change(a: list[list[str]], b: list[list[str]], issues: list[str],
                    paired: bool) -> pd.DataFrame:
    """`compare_blockers` of two ensembles given by their runs' blockers (`_blocked_runs`),
    with their runs paired or not."""
    outcomes = [_blocked_runs(lists, issues) for lists in (a, b)]
    pairs = paired_blocker_counts([(np.array(a, dtype=object), np.array(b, dtype=object))],
                                  issues) if paired else None
    return compare_blockers(*(summarise(runs, _catalogue(issues)) for runs in outcomes),
                            *(blocker_frequencies(runs) for runs in outcomes), pairs)


def test_paired_blocker_counts_count_each_members_runs_pair_by_pair() -> None:
    """Per issue and member: the runs it blocked in both ensembles, the first only, the second
    only, summed over the blocks of runs; a member listed twice in a run counts once."""
    first = [np.array([["IND;ZAF", ""], ["IND", "BRA"]], dtype=object),
             np.array([["IND; IND", "BRA"]], dtype=object)]
    second = [np.array([["IND", ""], ["", "BRA;USA"]], dtype=object),
              np.array([["ZAF", ""]], dtype=object)]
    counts = paired_blocker_counts(zip(first, second, strict=True), ["mandate", "spam"])
    assert counts.sort_index().reset_index().to_dict("records") == [
        {"issue": "mandate", "member": "IND", "both": 1, "first": 2, "second": 0},
        {"issue": "mandate", "member": "ZAF", "both": 0, "first": 1, "second": 1},
        {"issue": "spam", "member": "BRA", "both": 1, "first": 1, "second": 0},
        {"issue": "spam", "member": "USA", "both": 0, "first": 0, "second": 1}]
    nobody = np.array([["", ""]], dtype=object)
    assert paired_blocker_counts([(nobody, nobody)], ["mandate", "spam"]).empty


def test_a_member_blocking_in_many_runs_of_one_ensemble_and_none_of_the_other_changes_surely(
) -> None:
    """India blocks in 12 of 20 paired runs before and in none after: its share falls by 0.6,
    with the paired interval of those runs, which excludes 0; South Africa, blocking in the
    same four runs of both, does not change, and comes after India."""
    issues = ["mandate"]
    before = [["IND;ZAF"]] * 4 + [["IND"]] * 8 + [[""]] * 8
    after = [["ZAF"]] * 4 + [[""]] * 16
    table = _blocker_change(before, after, issues, paired=True)
    assert table["member"].tolist() == ["IND", "ZAF"] and table["paired"].all()
    india, south_africa = table.iloc[0], table.iloc[1]
    assert (india["count_a"], india["count_b"], india["n_runs_a"]) == (12, 0, 20)
    assert (india["share_a"], india["share_b"]) == (0.6, 0.0)
    expected = paired_newcombe_interval(np.array([0, 12, 0, 8]))
    assert (india["diff"], india["diff_low"], india["diff_high"]) == pytest.approx(expected)
    assert india["diff_high"] < 0 and india["diff_excludes_zero"]
    assert south_africa["diff"] == 0 and not south_africa["diff_excludes_zero"]
    assert (south_africa["diff_low"], south_africa["diff_high"]) == pytest.approx(
        paired_newcombe_interval(np.array([4, 0, 0, 16]))[1:])


def test_pairing_runs_tells_apart_a_change_the_independent_interval_cannot() -> None:
    """A member blocking in the same 20 of 40 runs of both and in 6 more after: paired, the rise
    of 0.15 excludes 0; taken as independent samples, its interval contains 0."""
    before = [["IND"]] * 20 + [[""]] * 20
    after = [["IND"]] * 26 + [[""]] * 14
    paired = _blocker_change(before, after, ["mandate"], paired=True).iloc[0]
    unpaired = _blocker_change(before, after, ["mandate"], paired=False).iloc[0]
    assert paired["diff"] == pytest.approx(0.15) == unpaired["diff"]
    assert paired["diff_excludes_zero"] and paired["diff_low"] > 0
    assert not unpaired["diff_excludes_zero"] and not unpaired["paired"]


def test_unpaired_blocking_shares_change_with_newcombes_interval() -> None:
    """Newcombe (1998b) Table II, example (a), as blocking shares: 48 of 80 runs before, 56 of
    70 after -> +0.2000 (0.0524 to 0.3339); a member blocking only before falls to 0."""
    before = [["IND;BRA"]] * 48 + [[""]] * 32
    after = [["IND"]] * 56 + [[""]] * 14
    table = _blocker_change(before, after, ["mandate"], paired=False).set_index("member")
    india = table.loc["IND"]
    assert (india["n_runs_a"], india["n_runs_b"]) == (80, 70)
    assert india["diff"] == pytest.approx(0.2)
    assert india["diff_low"] == pytest.approx(0.0524, abs=5e-5)
    assert india["diff_high"] == pytest.approx(0.3339, abs=5e-5)
    brazil = table.loc["BRA"]
    assert (brazil["count_a"], brazil["count_b"], brazil["diff"]) == (48, 0, -0.6)
    assert brazil["diff_excludes_zero"]
    assert table.index.tolist() == ["BRA", "IND"]  # the larger change first


def test_compare_blockers_rejects_different_issue_sets() -> None:
    outcomes = _blocked_runs([["IND", ""]], ["x", "y"])
    summary = summarise(outcomes, _catalogue(["x", "y"]))
    freq = blocker_frequencies(outcomes)
    with pytest.raises(ValueError, match="different issues"):
        compare_blockers(summary, summary.drop(index="y"), freq, freq)


def _with_scales(issues: pd.DataFrame) -> pd.DataFrame:
    return issues.assign(scale_low="no rule", scale_mid="discuss it", scale_high="a binding rule")


def test_summary_reports_texts_reaching_the_described_points(small) -> None:
    outcomes, issues = small
    summary = summarise(outcomes, _with_scales(issues))
    # duties: agreed texts 60 and 70 of 4 runs reach mid; spam: 50 of 4 (40 and 30 do not)
    assert summary.loc["duties", "p_text_mid"] == pytest.approx(0.5)
    assert summary.loc["spam", "p_text_mid"] == pytest.approx(0.25)
    assert summary.loc["duties", "p_text_high"] == 0
    assert summary.loc["spam", "p_text_mid_low"] < 0.25 < summary.loc["spam", "p_text_mid_high"]
    assert np.isnan(summary.loc["source", "p_text_mid"])  # no runs
    assert summary.loc["duties", "text_median_words"] == "65, above mid (50): discuss it"
    assert summary.loc["spam", "text_median_words"] == "40, below mid (50): discuss it"
    assert summary.loc["source", "text_median_words"] == ""


def test_compare_reports_text_level_changes(small) -> None:
    outcomes, issues = small
    before = summarise(outcomes, _with_scales(issues))
    higher = outcomes.assign(text=outcomes["text"] + 30).assign(
        text=lambda f: f["text"].clip(upper=100))
    after = summarise(higher, _with_scales(issues))
    change = compare(before, after)
    assert change.loc["spam", "diff_text_median"] == pytest.approx(30)
    assert change.loc["spam", "diff_text_mid"] == pytest.approx(0.75 - 0.25)
    assert change.loc["duties", "text_median_b"] == pytest.approx(95)


# --- paired runs (the same seed and run count) ---------------------------------------------


# Newcombe (1998), "Improved confidence intervals for the difference between binomial
# proportions based on paired data", Stat Med 17:2635-2650, Table III, the method 10 rows:
# cells (e, f, g, h) = (both, first only, second only, neither), limits of theta = (f - g) / n,
# the first share less the second. ratesci's pairbinci(method_RD = "MOVER_newc") reproduces
# (20, 12, 2, 16) -> 0.0562, 0.3292 in its tests (github.com/petelaud/ratesci, tests/testthat),
# and its method 8 (phi without the n/2 correction) gives 0.0618, 0.3242 there.
@pytest.mark.parametrize(("cells", "low", "high"), [
    ((36, 12, 2, 0), 0.0569, 0.3404), ((20, 12, 2, 16), 0.0562, 0.3292),
    ((18, 12, 2, 18), 0.0562, 0.3290), ((36, 14, 0, 0), 0.1528, 0.4167),
    ((35, 14, 0, 1), 0.1461, 0.4175), ((18, 14, 0, 18), 0.1441, 0.3963),
    ((2, 97, 1, 0), 0.8721, 0.9854), ((1, 97, 1, 1), 0.8736, 0.9850),
    ((0, 29, 1, 0), 0.6666, 0.9882), ((2, 98, 0, 0), 0.9178, 0.9945),
    ((1, 98, 0, 1), 0.9171, 0.9916), ((0, 30, 0, 0), 0.8395, 1.0),
    ((54, 0, 0, 0), -0.0664, 0.0664), ((53, 0, 0, 1), -0.0729, 0.0729),
    ((30, 0, 0, 24), -0.0358, 0.0358), ((29, 0, 0, 25), -0.0354, 0.0354),
    ((28, 0, 0, 26), -0.0352, 0.0352), ((27, 0, 0, 27), -0.0351, 0.0351),
])
def test_the_paired_interval_is_newcombes_method_10(cells: tuple[int, ...], low: float,
                                                    high: float) -> None:
    diff, lower, upper = paired_newcombe_interval(np.array(cells))
    _, first, second, _ = cells
    assert -diff == pytest.approx((first - second) / sum(cells))
    assert (-upper, -lower) == pytest.approx((low, high), abs=1e-4)  # printed to 4 decimals


@given(st.lists(st.integers(0, 400), min_size=4, max_size=4).filter(lambda c: sum(c) > 0))
def test_a_paired_interval_holds_the_change_of_the_two_shares(counts: list[int]) -> None:
    """From (both, first only, second only, neither): the change is the second share less the
    first, inside its interval, and the interval inside -1..1."""
    both, first, second, _ = counts
    n = sum(counts)
    diff, low, high = paired_newcombe_interval(np.array(counts))
    assert diff == pytest.approx((both + second) / n - (both + first) / n, abs=1e-12)
    assert -1 - 1e-12 <= low <= diff <= high <= 1 + 1e-12


def test_equal_paired_shares_change_by_zero_not_minus_zero() -> None:
    """Two ensembles ending alike on an issue: the change is 0, which `mc11 compare --format csv`
    wrote as -0.0 (the negative of a zero difference)."""
    diff, _, _ = paired_newcombe_interval(np.array([[200, 0, 0, 0], [50, 3, 3, 144]]))
    assert list(diff) == [0.0, 0.0] and not np.signbit(diff).any()
    assert pd.DataFrame({"diff": diff}).to_csv(index=False) == "diff\n0.0\n0.0\n"


@given(st.integers(1, 40), st.integers(0, 40), st.integers(1, 40), st.integers(0, 40))
def test_pairs_uncorrelated_give_the_independent_interval(x1: int, x2: int, y1: int,
                                                         y2: int) -> None:
    """Where the pairs show no correlation (both x neither = first only x second only) the
    paired interval is Newcombe's for independent samples of the same size."""
    counts = np.array([x1 * y1, x1 * y2, x2 * y1, x2 * y2])
    n = counts.sum()
    first, second = counts[0] + counts[1], counts[0] + counts[2]
    independent = newcombe_interval(first / n, *wilson_interval(first, n),
                                    second / n, *wilson_interval(second, n))
    assert paired_newcombe_interval(counts) == pytest.approx(independent, abs=1e-12)


def test_a_paired_interval_covers_the_true_change_and_is_narrower_than_the_independent():
    """Simulated pairs of runs that mostly end alike, as runs of one seed do: the 95% paired
    interval covers the true change about 95 times in 100, in a fraction of the independent
    interval's width."""
    rng = np.random.default_rng(2026)
    chances = np.array([0.55, 0.01, 0.04, 0.40])  # both, first only, second only, neither
    truth = chances[2] - chances[1]
    counts = rng.multinomial(400, chances, size=4000)
    _, low, high = paired_newcombe_interval(counts)
    covered = ((low <= truth) & (truth <= high)).mean()
    assert 0.93 <= covered <= 0.98, covered
    n = counts.sum(axis=1)
    first, second = counts[:, 0] + counts[:, 1], counts[:, 0] + counts[:, 2]
    _, ind_low, ind_high = newcombe_interval(first / n, *wilson_interval(first, n),
                                             second / n, *wilson_interval(second, n))
    assert np.median((high - low) / (ind_high - ind_low)) < 0.4


def test_a_choice_priors_draws_are_summed_up_by_quantiles_that_are_choices():
    """Ten runs (two rows each, one per issue) drew 0.2 once and 0.4 nine times: a choice
    prior's 5-95% range is 0.2-0.4, not 0.29-0.4 (linear quantiles, between its choices); a
    uniform prior's draws keep their linear quantiles."""
    draws = [0.2] + [0.4] * 9
    outcomes = pd.DataFrame({"run": np.repeat(np.arange(10), 2),
                             "draw:calendar_levels.quiet.attention": np.repeat(draws, 2),
                             "draw:parameters.consensus.min_step": np.repeat(draws, 2)})
    priors = {"calendar_levels.quiet.attention": Prior("choice", (0.2, 0.4)),
              "parameters.consensus.min_step": Prior("uniform", (0.2, 0.4))}
    table = uncertain_parameters(outcomes, priors).set_index("parameter")
    choice, uniform = table.loc["calendar_levels.quiet.attention"], \
        table.loc["parameters.consensus.min_step"]
    assert (choice["draw_q05"], choice["draw_q95"], choice["prior"]) == \
        (0.2, 0.4, "choice [0.2, 0.4]")
    assert uniform["draw_q05"] == pytest.approx(0.29) and uniform["draw_q95"] == 0.4
    assert choice["draw_mean"] == uniform["draw_mean"] == pytest.approx(0.38)


def test_each_choice_priors_quantiles_are_those_of_its_own_draws():
    """A choice prior's 5% and 95% quantiles are the empirical distribution's: the smallest
    value drawn with at least that share of the draws at or below it. Ten runs drew 10 nine
    times and 20 once: 20 is the 95% quantile (10 covers 90% of the draws only), while another
    choice's draws (0.2 once, 0.4 nine times) give 0.2 and 0.4, each its own."""
    outcomes = pd.DataFrame({"run": np.arange(10),
                             "draw:calendar_levels.quiet.attention": [0.2] + [0.4] * 9,
                             "draw:parameters.consensus.base_tolerance": [10] * 9 + [20]})
    priors = {"calendar_levels.quiet.attention": Prior("choice", (0.2, 0.4)),
              "parameters.consensus.base_tolerance": Prior("choice", (10, 20))}
    table = uncertain_parameters(outcomes, priors).set_index("parameter")
    assert table.loc["calendar_levels.quiet.attention", ["draw_q05", "draw_q95"]].tolist() == \
        [0.2, 0.4]
    assert table.loc["parameters.consensus.base_tolerance", ["draw_q05", "draw_q95"]].tolist() \
        == [10, 20]


@pytest.mark.parametrize(("plurilateral", "shown"), [(10, True), (9, False), (0, False)])
def test_each_kinds_median_is_given_only_where_both_kinds_reach_a_tenth_of_the_runs(
        plurilateral, shown):
    levels = pd.DataFrame({"issue": ["mandate", "mandate"][:1 + (plurilateral > 0)],
                           "outcome": ["multilateral", "plurilateral"][:1 + (plurilateral > 0)],
                           "n_runs": [100 - plurilateral, plurilateral][:1 + (plurilateral > 0)],
                           "text_median": [14.6, 63.5][:1 + (plurilateral > 0)]})
    medians = each_kind_medians(levels, 100)
    assert medians == ({"mandate": "multilateral 15 in 0.90 of runs; plurilateral 64 in 0.10 "
                                   "of runs"} if shown else {})

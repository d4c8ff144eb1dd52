"""Summary statistics of ensemble results: outcome probabilities with intervals, blockers, support.

Pure post-processing of the pandas frames the ensemble runner writes; nothing here runs the model.
Intervals for single proportions are Wilson score intervals (Wilson 1927; Newcombe 1998a,
method 3); differences between scenarios use Newcombe's hybrid score interval (Newcombe 1998b,
method 10). Both are well behaved at 0 and 1, where Monte Carlo shares often sit.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from numbers import Real

import numpy as np
import pandas as pd

from simulation.inputs.catalogue import REACHED, SCALE_POINTS, SCALE_WORDS
from simulation.inputs.priors import Prior
from simulation.outcomes import (
    AGREEMENTS,
    NONE,
    OUTCOME_LABELS,
    OUTCOMES,
    PLURILATERAL,
    SHARE_COLUMNS,
)
from simulation.runs.aggregate import reaching
from simulation.runs.ensemble import DRAW

_OUTCOME_COLUMNS = ("run", "issue", "outcome", "text", "coverage", "blockers",
                    "plurilateral_members")


def wilson_interval(
    successes: np.ndarray | Sequence[float] | float,
    n: np.ndarray | Sequence[float] | float,
    z: float = 1.96,
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for successes/n, elementwise and broadcast; NaN where n == 0.

    Unlike the Wald interval it never leaves [0, 1] and stays informative at 0/n and n/n.
    """
    x = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    if np.any(m < 0) or np.any(x < 0) or np.any(x > m):
        raise ValueError("wilson_interval needs 0 <= successes <= n")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / m
        z2 = z * z
        denom = 1.0 + z2 / m
        centre = (p + z2 / (2.0 * m)) / denom
        half = z * np.sqrt(p * (1.0 - p) / m + z2 / (4.0 * m * m)) / denom
        low = np.where(x == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
        high = np.where(x == m, 1.0, np.clip(centre + half, 0.0, 1.0))
    empty = m == 0
    low = np.where(empty, np.nan, low)
    high = np.where(empty, np.nan, high)
    return low[()], high[()]


def newcombe_interval(
    p_a: np.ndarray | float,
    low_a: np.ndarray | float,
    high_a: np.ndarray | float,
    p_b: np.ndarray | float,
    low_b: np.ndarray | float,
    high_b: np.ndarray | float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Difference p_b - p_a of independent proportions with its interval, from their Wilson bounds.

    Newcombe's hybrid score interval: Newcombe RG (1998), "Interval estimation for the difference
    between independent proportions: comparison of eleven methods", Stat Med 17:873-890, method 10.
    """
    pa, la, ua, pb, lb, ub = (np.asarray(v, dtype=float)
                              for v in (p_a, low_a, high_a, p_b, low_b, high_b))
    diff = pb - pa
    low = diff - np.sqrt((pb - lb) ** 2 + (ua - pa) ** 2)
    high = diff + np.sqrt((ub - pb) ** 2 + (pa - la) ** 2)
    return diff[()], low[()], high[()]


def paired_newcombe_interval(counts: np.ndarray, z: float = 1.96
                             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Difference p_second - p_first of two proportions measured on the same runs, with its
    interval, from `counts` (..., 4): runs counted by both, the first only, the second only,
    neither.

    Newcombe's hybrid score interval for paired data: Newcombe RG (1998), "Improved confidence
    intervals for the difference between binomial proportions based on paired data", Stat Med
    17:2635-2650, method 10 (Wilson bounds of each share, combined with the pairs' correlation
    phi, whose numerator ad - bc becomes max(ad - bc - n/2, 0) where positive; with phi 0 it is
    the independent samples' method 10 of `newcombe_interval`).
    """
    a, b, c, d = (np.asarray(counts, dtype=float)[..., column] for column in range(4))
    n = a + b + c + d
    first, second = a + b, a + c
    low_1, high_1 = wilson_interval(first, n, z)
    low_2, high_2 = wilson_interval(second, n, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = first / n, second / n
        margins = first * (c + d) * second * (b + d)
        excess = a * d - b * c
        excess = np.where(excess > 0, np.maximum(excess - n / 2, 0.0), excess)
        phi = np.where(margins > 0, excess / np.sqrt(margins), 0.0)
    # Newcombe's difference is first minus second; the change is its negative, written as
    # p2 - p1 (the same float, but 0 where the shares are equal, not -0: "-0.0" in a CSV)
    change = p2 - p1
    below = np.sqrt(np.maximum((p1 - low_1) ** 2 - 2 * phi * (p1 - low_1) * (high_2 - p2)
                               + (high_2 - p2) ** 2, 0.0))
    above = np.sqrt(np.maximum((high_1 - p1) ** 2 - 2 * phi * (high_1 - p1) * (p2 - low_2)
                               + (p2 - low_2) ** 2, 0.0))
    return change[()], (change - above)[()], (change + below)[()]


COMPARED = (*SHARE_COLUMNS.values(), *(f"p_text_{point}" for point in REACHED))
"""The shares `compare` tells apart, in the order of `run_events`' last axis."""


def run_events(outcome: np.ndarray, text: np.ndarray) -> np.ndarray:
    """(runs, k, len(COMPARED)) bool from each run's outcome codes and agreed texts (runs, k):
    which of the COMPARED shares counts the run on each issue (an outcome; an agreed text
    reaching a point of the scale)."""
    outcomes = np.stack([outcome == code for code in OUTCOME_LABELS], axis=-1)
    return np.concatenate([outcomes, reaching(outcome, text)], axis=-1)


def paired_counts(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """(k, events, 4) from two ensembles' `run_events` of the same runs: the runs counted by
    both, by the first only, by the second only and by neither (for
    `paired_newcombe_interval`)."""
    return np.stack([(first & second).sum(axis=0), (first & ~second).sum(axis=0),
                     (~first & second).sum(axis=0), (~first & ~second).sum(axis=0)], axis=-1)


def paired_blocker_counts(blocks: Iterable[tuple[np.ndarray, np.ndarray]],
                          issues: Sequence[str]) -> pd.DataFrame:
    """Per issue and member (index) that blocked it in either of two ensembles of the same runs:
    the runs in which it blocked in both, in the first only and in the second only (columns
    both, first, second; for `compare_blockers`), from the two ensembles' blockers block by
    block ((runs, k) lists as `Results.run_blockers` gives them, issues in the order of
    `issues`)."""
    counts = []
    for first, second in blocks:
        pairs = _blocking(first).merge(_blocking(second), on=["cell", "member"], how="outer",
                                       indicator=True)
        issue = np.asarray(issues, dtype=object)[pairs["cell"].to_numpy() % len(issues)]
        counts.append(pairs.groupby([issue, pairs["member"], pairs["_merge"]], observed=True)
                      .size())
    both = pd.concat(counts).groupby(level=[0, 1, 2], sort=False).sum().unstack(fill_value=0)
    return (both.reindex(columns=["both", "left_only", "right_only"], fill_value=0)
            .set_axis(["both", "first", "second"], axis=1)
            .rename_axis(["issue", "member"]).astype(np.int64))


def _blocking(lists: np.ndarray) -> pd.DataFrame:
    """Columns cell (the position in `lists`, flattened) and member: one row per member in each
    of a (runs, k) array of blockers' lists."""
    cells, labels = pd.factorize(np.asarray(lists, dtype=object).ravel())
    members = pd.DataFrame({"label": np.arange(len(labels)),
                            "member": [split_members(label) for label in labels]}).explode("member")
    return (pd.DataFrame({"cell": np.arange(len(cells)), "label": cells})
            .merge(members.dropna(), on="label")[["cell", "member"]])


def _check_outcomes(outcomes: pd.DataFrame) -> None:
    """Raise ValueError unless the frame has the outcome schema, known labels, one row per run
    (TypeError unless it is a frame)."""
    if not isinstance(outcomes, pd.DataFrame):
        raise TypeError(f"the outcomes are the per-run table, a DataFrame (run_ensemble(...)"
                        f".outcomes, or a loaded folder's Results.outcomes), not "
                        f"{type(outcomes).__name__} {outcomes!r:.60}")
    missing = [c for c in _OUTCOME_COLUMNS if c not in outcomes.columns]
    if missing:
        raise ValueError(f"outcomes frame lacks columns: {', '.join(missing)}")
    bad = sorted(set(outcomes["outcome"].astype(str).unique()) - set(OUTCOMES))
    if bad:
        raise ValueError(f"unknown outcome labels {bad}; allowed: {list(OUTCOMES)}")
    if outcomes.duplicated(["run", "issue"]).any():
        raise ValueError("outcomes frame has more than one row for some (run, issue)")


def split_members(members: str) -> list[str]:
    """The members of a list as outcomes.parquet holds it ("IND;MMR"), each once, in order."""
    return list(dict.fromkeys(filter(None, map(str.strip, members.split(";")))))


def _member_shares(outcomes: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per issue and member: runs in which the member is listed in `column`, and share of runs."""
    _check_outcomes(outcomes)
    issue = outcomes["issue"].astype(str)
    runs_per_issue = issue.value_counts(sort=False)
    # each distinct list of members is split once: the same lists recur run after run
    lists, labels = pd.factorize(outcomes[column].fillna("").astype(str))
    members = pd.Series([split_members(label) for label in labels], dtype=object)
    runs = pd.DataFrame({"issue": issue.to_numpy(), "list": lists}).value_counts(sort=False)
    listed = runs.rename("count").reset_index()
    listed["member"] = members.to_numpy()[listed["list"].to_numpy()]
    listed = listed.explode("member").dropna(subset=["member"])
    counts = listed.groupby(["issue", "member"])["count"].sum().reset_index()
    counts["share"] = counts["count"] / runs_per_issue.reindex(counts["issue"]).to_numpy(float)
    order = pd.Series(np.arange(len(runs_per_issue)), index=runs_per_issue.index)
    counts["_order"] = order.reindex(counts["issue"]).to_numpy()
    counts = counts.sort_values(["_order", "share", "member"], ascending=[True, False, True])
    return counts.drop(columns="_order").reset_index(drop=True)


def blocker_frequencies(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Columns issue, member, count, share: how often each member blocked each issue.

    The share is over all runs of the issue. Issues keep their order of first appearance; within
    an issue the most frequent blocker comes first.
    """
    return _member_shares(outcomes, "blockers")


def member_shares_from_counts(counts: np.ndarray, members: Sequence[str],
                              issues: Sequence[str], runs: int) -> pd.DataFrame:
    """`blocker_frequencies`' table from per member x issue counts (n, k) over `runs` runs of
    every issue: the same rows in the same order, without the per-run lists."""
    member, issue = np.nonzero(np.asarray(counts))
    count = np.asarray(counts)[member, issue]
    frame = pd.DataFrame({"issue": np.array(issues, dtype=object)[issue],
                          "member": np.array(members, dtype=object)[member],
                          "count": count.astype(np.int64), "share": count / float(runs),
                          "_order": issue})
    frame = frame.sort_values(["_order", "share", "member"], ascending=[True, False, True])
    return frame.drop(columns="_order").reset_index(drop=True)


def share_label(share: float, decimals: int = 2) -> str:
    """A share as printed: two decimals (or `decimals`), "<0.01" for a small non-zero one."""
    smallest = 10.0 ** -decimals
    return f"<{smallest:.{decimals}f}" if 0 < share < smallest / 2 else f"{share:.{decimals}f}"


def signed_change(change: float, decimals: int = 2) -> str:
    """A change with its sign to `decimals` decimals: zero itself 0.00 (not -0.00, the sign of a
    difference of equal shares), one too small to show +<0.01 or -<0.01 (so a bound of an
    interval that excludes zero never reads 0)."""
    if change == 0:
        return f"{0:.{decimals}f}"
    text = f"{change:+.{decimals}f}"
    return f"{text[0]}<{10.0 ** -decimals:.{decimals}f}" if float(text) == 0 else text


def interval_changes(table: pd.DataFrame, column: str, decimals: int = 2) -> list[str]:
    """A comparison's `column` changes as printed: '+0.12 [+0.05, +0.19]*', each with its 95%
    interval and a * where that excludes zero (`signed_change`)."""
    flags = table[f"{column}_excludes_zero"].map({True: "*", False: ""})
    return [f"{signed_change(d, decimals)} [{signed_change(lo, decimals)}, "
            f"{signed_change(hi, decimals)}]{flag}" for d, lo, hi, flag in
            zip(table[column], table[f"{column}_low"], table[f"{column}_high"], flags,
                strict=True)]


def share_decimals(shares: list[float]) -> int:
    """Two decimals, or as many more (up to four) as keep different shares apart in print."""
    for decimals in (2, 3, 4):
        if len({f"{s:.{decimals}f}" for s in shares}) == len(set(shares)):
            return decimals
    return 4


def tied_levels(shares: pd.Series, top: int = 3,
                blocs: dict[str, Sequence[str]] | None = None) -> list[tuple[float, list[str]]]:
    """The highest distinct shares (index: member), with every member at each, until `top`
    entries are listed, and then the next distinct share: ties are never cut alphabetically.
    An entry is a member, or a bloc named once (`with_blocs`): a bloc blocking together takes
    one place, not one per member, so it does not push the next blockers out."""
    levels: list[tuple[float, list[str]]] = []
    listed = 0
    for share, group in shares.groupby(shares, sort=False):
        levels.append((float(share), sorted(group.index)))
        listed += len(with_blocs(levels[-1][1], blocs or {}))
        if listed >= top:
            break
    shown = {s for s, _ in levels}
    rest = shares[~shares.isin(shown)]
    if len(rest):
        share = float(rest.max())
        levels.append((share, sorted(rest.index[rest == share])))
    return levels


def _top_blockers(freq: pd.DataFrame, top: int = 3,
                  blocs: dict[str, Sequence[str]] | None = None) -> pd.Series:
    """Per issue, e.g. "IND 0.82; NGA=ZAF 0.40; KEN 0.12": the `top` most frequent blockers
    with every member tied with them ('=' joins ties) and the next distinct share; a bloc most
    of whose members block together is named once (e.g. "African Group (43 of 44)")."""
    labels = {}
    for issue, group in freq.groupby("issue", sort=False):
        shares = group.set_index("member")["share"].sort_values(ascending=False, kind="stable")
        parts = []
        levels = tied_levels(shares, top, blocs)
        decimals = share_decimals([share for share, _ in levels])
        for share, members in levels:
            parts.append(f"{tie_label(with_blocs(members, blocs or {}))} "
                         f"{share_label(share, decimals)}")
        labels[issue] = "; ".join(parts)
    return pd.Series(labels, dtype=object)


def with_blocs(members: list[str], blocs: dict[str, Sequence[str]]) -> list[str]:
    """Members, with a bloc named once ("African Group (43 of 44)") in place of its members
    when at least two thirds of them are among `members`; the others stay listed."""
    present = set(members)
    named = []
    for bloc, codes in blocs.items():
        inside = present & set(codes)
        if len(codes) > 1 and len(inside) >= max(2, 2 * len(codes) / 3):
            count = f"{len(codes)}" if len(inside) == len(codes) else \
                f"{len(inside)} of {len(codes)}"
            named.append(f"{bloc} ({count})")
            present -= inside
    return named + [m for m in members if m in present]


def tie_label(entries: list[str], most: int = 6) -> str:
    """Tied entries joined by '=', at most `most` of them named, e.g. "A=B=C=… (44 tied)"."""
    if len(entries) <= most:
        return "=".join(entries)
    return f"{'='.join(entries[:most - 1])}=… ({len(entries)} tied)"


def summarise(outcomes: pd.DataFrame, issues: pd.DataFrame, z: float = 1.96,
              blockers: pd.DataFrame | None = None,
              blocs: dict[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """One row per catalogue issue (catalogue order, index `issue`): shares, texts, blockers.

    Shares carry Wilson intervals; text quantiles are over runs with an agreement of either kind,
    coverage over plurilateral runs; catalogue issues without runs get n_runs 0 and NaN.
    `blockers` is `blocker_frequencies(outcomes)`, if the caller has it already; `blocs` (name:
    member codes) names blocs in the top blockers.
    """
    _check_outcomes(outcomes)
    if not isinstance(issues, pd.DataFrame):
        raise TypeError(f"summarise takes the issues as simulation.report.tables.issues_frame"
                        f"(scenario) gives them, not {type(issues).__name__} {issues!r:.60}")
    if isinstance(z, bool | np.bool_) or not isinstance(z, Real) or not 0 < z < math.inf:
        raise ValueError(f"z is the normal quantile of the intervals (1.96: 95%), a number "
                         f"above 0, not {z!r}")
    frame = outcomes.assign(issue=outcomes["issue"].astype(str),
                            outcome=outcomes["outcome"].astype(str),
                            text=outcomes["text"].astype(float),
                            coverage=outcomes["coverage"].astype(float))
    catalogue = pd.Index(issues.index.astype(str), name="issue")
    unknown = sorted(set(frame["issue"]) - set(catalogue))
    if unknown:
        raise ValueError(f"outcomes mention issues missing from the catalogue: {unknown}")
    counts = pd.crosstab(frame["issue"], frame["outcome"])
    agreed = frame[frame["outcome"] != NONE].groupby("issue")["text"]
    texts = pd.DataFrame({"text_median": agreed.median(), "text_p10": agreed.quantile(0.1),
                          "text_p90": agreed.quantile(0.9)})
    plurilateral = frame[frame["outcome"] == OUTCOME_LABELS[PLURILATERAL]]
    coverage = plurilateral.groupby("issue")["coverage"].median()
    agreed_rows = frame[frame["outcome"] != NONE]
    reached = pd.DataFrame({point: (agreed_rows["text"] >= SCALE_POINTS[point])
                            .groupby(agreed_rows["issue"]).sum() for point in REACHED})
    return summary_table(counts, texts, coverage,
                         blocker_frequencies(frame) if blockers is None else blockers,
                         issues, z, blocs, reached)


def summary_columns(issues: pd.DataFrame) -> dict[str, bool]:
    """The columns of summary.csv for these issues, as `summarise` makes them, each with whether
    it holds numbers (to tell a whole table from a damaged one)."""
    empty = pd.DataFrame({column: pd.Series(dtype=object) for column in _OUTCOME_COLUMNS})
    made = summarise(empty, issues)
    return {"issue": False, **{column: pd.api.types.is_numeric_dtype(made[column])
                               for column in made.columns}}


def summary_table(counts: pd.DataFrame, texts: pd.DataFrame, coverage: pd.Series,
                  blockers: pd.DataFrame, issues: pd.DataFrame, z: float = 1.96,
                  blocs: dict[str, Sequence[str]] | None = None,
                  reached: pd.DataFrame | None = None) -> pd.DataFrame:
    """The summary from its parts: outcome counts (issue x outcome label), text statistics
    (text_median, text_p10, text_p90 by issue), median plurilateral coverage and blocker
    frequencies; the same table however the parts were counted. With `reached` (issue x
    described point: runs whose agreed text reaches it) and the scale's words in `issues`
    (`scale_low`, ...), also the reach of the scale's points and the median text in words."""
    catalogue = pd.Index(issues.index.astype(str), name="issue")
    counts = counts.reindex(index=catalogue, columns=list(OUTCOMES), fill_value=0)
    n_runs = counts.sum(axis=1)
    out = pd.DataFrame({"title": issues["title"].to_numpy(),
                        "cluster": issues["cluster"].to_numpy(),
                        "n_runs": n_runs}, index=catalogue)
    for name in OUTCOMES:
        low, high = wilson_interval(counts[name].to_numpy(), n_runs.to_numpy(), z)
        out[f"n_{name}"] = counts[name]
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"p_{name}"] = counts[name] / n_runs.where(n_runs > 0)
        out[f"p_{name}_low"] = low
        out[f"p_{name}_high"] = high
    out["modal_outcome"] = counts.idxmax(axis=1).where(n_runs > 0)
    for column in ("text_median", "text_p10", "text_p90"):
        out[column] = texts[column]
    out["coverage_median"] = coverage
    out["top_blockers"] = _top_blockers(blockers, blocs=blocs)
    out["top_blockers"] = out["top_blockers"].fillna("")
    if reached is not None and all(f"scale_{point}" in issues for point in SCALE_WORDS):
        _reaching(out, reached, issues.reindex(catalogue), z)
    return out


TEXT_QUANTILES = {"p10": 0.1, "p25": 0.25, "median": 0.5, "p75": 0.75, "p90": 0.9}
"""The percentiles of agreed text levels in text_levels.csv (the box and whiskers drawn)."""


def text_levels(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Per issue and kind of agreement (multilateral, plurilateral): n_runs and percentiles of
    the agreed text level, for the issues and kinds that occur."""
    agreed = outcomes[outcomes["outcome"].astype(str) != NONE]
    groups = agreed.groupby([agreed["issue"].astype(str), agreed["outcome"].astype(str)],
                            sort=False)["text"]
    table = pd.DataFrame({"n_runs": groups.size()})
    for name, q in TEXT_QUANTILES.items():
        table[f"text_{name}"] = groups.quantile(q)
    table = table.rename_axis(["issue", "outcome"]).reset_index()
    issues = list(dict.fromkeys(outcomes["issue"].astype(str)))  # first appearance, kind order
    order = table["issue"].map(issues.index) * len(OUTCOMES) + table["outcome"].map(
        list(OUTCOMES).index)
    return table.iloc[np.argsort(order.to_numpy(), kind="stable")].reset_index(drop=True)


BOTH_KINDS = 0.1
"""The share of runs each kind of deal must reach for a summary to give each kind's median text
beside the pooled one (a pooled median between two camps describes neither)."""


def each_kind_medians(levels: pd.DataFrame, runs: int) -> dict[str, str]:
    """Per issue where multilateral and plurilateral deals each reach `BOTH_KINDS` of the
    `runs`, each kind's median text and share of runs from its `text_levels` table:
    'multilateral 15 in 0.63 of runs; plurilateral 64 in 0.37 of runs'."""
    kinds = levels.set_index(["issue", "outcome"])
    out = {}
    for issue in dict.fromkeys(levels["issue"]):
        counts = [kinds["n_runs"].get((issue, kind), 0) for kind in AGREEMENTS]
        if all(count / runs >= BOTH_KINDS for count in counts):
            out[issue] = "; ".join(
                f"{kind} {kinds.loc[(issue, kind), 'text_median']:.0f} in {count / runs:.2f} of "
                "runs" for kind, count in zip(AGREEMENTS, counts, strict=True))
    return out


def _reaching(out: pd.DataFrame, reached: pd.DataFrame, issues: pd.DataFrame, z: float) -> None:
    """Per issue, the share of runs whose agreed text reaches each described point beyond the
    lowest (with Wilson intervals), and the median text in the scale's own words."""
    n_runs = out["n_runs"].to_numpy()
    for point in REACHED:
        count = reached[point].reindex(out.index, fill_value=0).to_numpy()
        low, high = wilson_interval(count, n_runs, z)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"p_text_{point}"] = np.where(n_runs > 0, count / np.maximum(n_runs, 1), np.nan)
        out[f"p_text_{point}_low"], out[f"p_text_{point}_high"] = low, high
    out["text_median_words"] = [scale_words(text, row) for text, (_, row)
                                in zip(out["text_median"], issues.iterrows(), strict=True)]


def scale_words(text: float, issue: pd.Series) -> str:
    """A text level in the scale's own words: the described point it is nearest, and how far."""
    if pd.isna(text):
        return ""
    point = min(SCALE_WORDS, key=lambda p: abs(SCALE_POINTS[p] - text))
    gap = text - SCALE_POINTS[point]
    where = "at" if abs(gap) < 5 else "above" if gap > 0 else "below"
    return f"{text:.0f}, {where} {point} ({SCALE_POINTS[point]:.0f}): {issue[f'scale_{point}']}"


def compare(summary_a: pd.DataFrame, summary_b: pd.DataFrame,
            paired: np.ndarray | None = None) -> pd.DataFrame:
    """Per issue, the change b - a in each outcome probability with a 95% interval.

    `paired`: the two ensembles' `paired_counts`, issues in summary_a's order, where run r of
    each drew the same random numbers (the same seed and run count): the intervals then use the
    pairs (Newcombe 1998, paired data, method 10), far narrower where most runs end alike.
    Otherwise they treat the runs as independent, from the Wilson bounds in the summaries
    (Newcombe 1998, independent samples, method 10). `diff_<outcome>_excludes_zero` flags
    changes whose interval does not contain 0; `paired` says which interval it is.
    """
    if set(summary_a.index) != set(summary_b.index):
        only = sorted(set(summary_a.index) ^ set(summary_b.index))
        raise ValueError(f"summaries cover different issues: {only}")
    b = summary_b.reindex(summary_a.index)
    out = pd.DataFrame({"title": summary_a["title"], "n_runs_a": summary_a["n_runs"],
                        "n_runs_b": b["n_runs"]}, index=summary_a.index)
    texts = "p_text_mid" in summary_a and "p_text_mid" in b
    for event, share in enumerate(COMPARED):
        if paired is not None:
            diff, low, high = paired_newcombe_interval(paired[:, event])
        elif share in SHARE_COLUMNS.values() or texts:
            diff, low, high = newcombe_interval(
                summary_a[share], summary_a[f"{share}_low"], summary_a[f"{share}_high"],
                b[share], b[f"{share}_low"], b[f"{share}_high"])
        else:
            continue
        name = f"diff_{share.removeprefix('p_')}"
        out[name], out[f"{name}_low"], out[f"{name}_high"] = diff, low, high
        out[f"{name}_excludes_zero"] = (low > 0) | (high < 0)
    out["paired"] = paired is not None
    out["text_median_a"], out["text_median_b"] = summary_a["text_median"], b["text_median"]
    out["diff_text_median"] = b["text_median"] - summary_a["text_median"]
    return out


def compare_many(summaries: Sequence[pd.DataFrame], names: Sequence[str],
                 paired: Sequence[np.ndarray | None] | None = None) -> pd.DataFrame:
    """`compare` of every summary after the first against the first, stacked: one row per
    compared scenario (`scenario`, named by `names[1:]`) and issue, against `names[0]`
    (`reference`); `paired`, one per summary after the first, as `compare` takes it."""
    if len(summaries) != len(names) or len(summaries) < 2:
        raise ValueError("give at least two summaries and one name for each")
    parts = []
    for name, other, pairs in zip(names[1:], summaries[1:],
                                  paired or [None] * (len(summaries) - 1), strict=True):
        part = compare(summaries[0], other, pairs)
        part.insert(0, "scenario", name)
        part.insert(0, "reference", names[0])
        parts.append(part)
    return pd.concat(parts)


def compare_blockers(summary_a: pd.DataFrame, summary_b: pd.DataFrame,
                     blockers_a: pd.DataFrame, blockers_b: pd.DataFrame,
                     paired: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per issue and member that blocked it in either ensemble, the change b - a in the share of
    runs in which it blocked, with a 95% interval.

    `blockers_a`, `blockers_b`: each ensemble's `blocker_frequencies` (blockers.csv); the
    summaries give the runs per issue and the issues' order (summary_a's). `paired`: the two
    ensembles' `paired_blocker_counts`, where run r of each drew the same random numbers: the
    intervals then use the pairs (Newcombe 1998, paired data, method 10); otherwise they treat
    the runs as independent (Newcombe 1998, independent samples, method 10), as `compare`'s.
    Within an issue the largest change, either way, comes first.
    """
    if set(summary_a.index) != set(summary_b.index):
        only = sorted(set(summary_a.index) ^ set(summary_b.index))
        raise ValueError(f"summaries cover different issues: {only}")
    key = ["issue", "member"]
    out = blockers_a[[*key, "count"]].merge(blockers_b[[*key, "count"]], on=key, how="outer",
                                            suffixes=("_a", "_b"))
    out["issue"], out["member"] = out["issue"].astype(str), out["member"].astype(str)
    for side, summary in (("a", summary_a), ("b", summary_b)):
        out[f"n_runs_{side}"] = summary["n_runs"].reindex(out["issue"]).to_numpy(np.int64)
        out[f"count_{side}"] = out[f"count_{side}"].fillna(0).astype(np.int64)
        out[f"share_{side}"] = out[f"count_{side}"] / out[f"n_runs_{side}"]
    if paired is not None:
        pairs = paired.reindex(pd.MultiIndex.from_frame(out[key]), fill_value=0)
        counts = pairs[["both", "first", "second"]].to_numpy()
        neither = out["n_runs_a"].to_numpy() - counts.sum(axis=1)
        diff, low, high = paired_newcombe_interval(np.column_stack([counts, neither]))
    else:
        bounds = [wilson_interval(out[f"count_{side}"], out[f"n_runs_{side}"])
                  for side in ("a", "b")]
        diff, low, high = newcombe_interval(out["share_a"], *bounds[0], out["share_b"],
                                            *bounds[1])
    out["diff"], out["diff_low"], out["diff_high"] = diff, low, high
    out["diff_excludes_zero"] = (out["diff_low"] > 0) | (out["diff_high"] < 0)
    out["paired"] = paired is not None
    order = pd.Series(np.arange(len(summary_a)), index=summary_a.index.astype(str))
    out = out.assign(_order=order.reindex(out["issue"]).to_numpy(), _size=-out["diff"].abs())
    out = out.sort_values(["_order", "_size", "member"], kind="stable")
    return out[[*key, "n_runs_a", "n_runs_b", "count_a", "count_b", "share_a", "share_b",
                "diff", "diff_low", "diff_high", "diff_excludes_zero", "paired"]
               ].reset_index(drop=True)


def largest_blocker_changes(table: pd.DataFrame, blocs: dict[str, list[str]],
                            top: int) -> pd.DataFrame:
    """Per issue, the `top` largest changes of a `compare_blockers` table: the share before ->
    after and the change with its interval, members whose row reads alike on one row (joined by
    '=', a bloc most of whose members are among them named once)."""
    changed = table[table["diff"] != 0]
    rows = pd.DataFrame({"issue": changed["issue"], "member": changed["member"],
                         "share": [f"{share_label(a)} -> {share_label(b)}" for a, b
                                   in zip(changed["share_a"], changed["share_b"], strict=True)],
                         "change": interval_changes(changed, "diff")})
    view = (rows.groupby(["issue", "share", "change"], sort=False)["member"]
            .agg(lambda members: tie_label(with_blocs(sorted(members), blocs)))
            .rename("blocker").reset_index())
    return view.groupby("issue", sort=False).head(top)[["issue", "blocker", "share", "change"]]


def common_blocs(first: dict[str, list[str]], other: dict[str, list[str]]
                 ) -> dict[str, list[str]]:
    """The blocs (by name) two scenarios share: a group that is no bloc in one (its stance
    replaced without `bloc: true`), or another set of members there, is named by its members,
    as a row's share may not be a bloc's in both."""
    return {name: members for name, members in first.items()
            if sorted(other.get(name, [])) == sorted(members)}


def side_by_side(summaries: Sequence[pd.DataFrame], names: Sequence[str]) -> pd.DataFrame:
    """Per issue (the first summary's order), each outcome's probability under every scenario:
    columns `p_<outcome>_<name>`."""
    if len(summaries) != len(names) or len(set(names)) != len(names):
        raise ValueError("give one distinct name per summary")
    first = summaries[0]
    out = pd.DataFrame({"title": first["title"]}, index=first.index)
    for name, summary in zip(names, summaries, strict=True):
        if set(summary.index) != set(first.index):
            only = sorted(set(summary.index) ^ set(first.index))
            raise ValueError(f"summaries cover different issues: {only}")
        for outcome in OUTCOMES:
            out[f"p_{outcome}_{name}"] = summary[f"p_{outcome}"].reindex(first.index)
    return out


def spread_over_time(
    values: np.ndarray, period_labels: Sequence[str], names: Sequence[str], by: str = "issue",
    prefix: str = "support",
) -> pd.DataFrame:
    """Per period and `by` (issue, coalition): n_runs and the mean, 10th and 90th percentile of
    `values` across runs, in columns `<prefix>_mean`, `_p10`, `_p90`.

    `values` is (runs, periods, len(names)), as the ensemble keeps it; rows come period by period.
    """
    values = np.asarray(values, dtype=float)
    runs, periods, k = values.shape
    if len(period_labels) != periods or len(names) != k:
        raise ValueError(f"{prefix} must be (runs, len(period_labels), len(names))")
    return spread_frame(period_labels, names, by, prefix, runs, values.mean(axis=0),
                        np.quantile(values, 0.1, axis=0), np.quantile(values, 0.9, axis=0))


def spread_frame(period_labels: Sequence[str], names: Sequence[str], by: str, prefix: str,
                 runs: int, mean: np.ndarray, p10: np.ndarray, p90: np.ndarray) -> pd.DataFrame:
    """`spread_over_time`'s table from its statistics (periods, len(names)), however they were
    computed (from every run's values, or from histograms)."""
    periods, k = len(period_labels), len(names)
    return pd.DataFrame({
        "period": np.repeat(np.arange(periods), k),
        "period_label": np.repeat(np.array(period_labels, dtype=object), k),
        by: np.tile(np.array(names, dtype=object), periods),
        "n_runs": runs,
        f"{prefix}_mean": mean.reshape(-1),
        f"{prefix}_p10": p10.reshape(-1),
        f"{prefix}_p90": p90.reshape(-1),
    })


def group_positions(positions: pd.DataFrame) -> pd.DataFrame:
    """Group x issue table of salience-weighted mean positions; NaN where total salience is 0.

    Groups keep their order of first appearance, issues likewise (columns).
    """
    weighted = positions.assign(issue=positions["issue"].astype(str),
                                _wp=positions["position"] * positions["salience"])
    sums = weighted.groupby(["group", "issue"], sort=False)[["_wp", "salience"]].sum()
    mean = (sums["_wp"] / sums["salience"].where(sums["salience"] > 0)).unstack("issue")
    return mean.reindex(index=weighted["group"].unique(), columns=weighted["issue"].unique())


def uncertain_parameters(outcomes: pd.DataFrame, priors: Mapping[str, Prior]) -> pd.DataFrame:
    """Per constant with a prior (path -> the prior): the distribution and what the runs drew
    (mean, 5% and 95% quantiles), from the outcomes' `DRAW` columns (`draw:<path>`); a choice
    prior's quantiles are values drawn, not interpolated between two choices."""
    drawn = outcomes.drop_duplicates("run")[[f"{DRAW}{path}" for path in priors]]
    quantiles = drawn.quantile([0.05, 0.95]).to_numpy(copy=True)
    for j, prior in enumerate(priors.values()):
        if prior.kind == "choice":
            quantiles[:, j] = np.quantile(drawn.iloc[:, j].to_numpy(), [0.05, 0.95],
                                          method="inverted_cdf")
    return pd.DataFrame({"parameter": list(priors),
                         "prior": [prior.describe() for prior in priors.values()],
                         "draw_mean": drawn.mean().to_numpy(), "draw_q05": quantiles[0],
                         "draw_q95": quantiles[1]})

"""Global sensitivity of each issue's verdict to the constants with priors (SALib).

For every issue and each of P(multilateral), P(plurilateral), P(text reaches the scale's `mid`)
and the median text in force after MC11 (the agreed text of either kind, the status quo where
nothing is agreed: `sweep.STATISTICS` says each precisely), computed over a design point's R
runs: Sobol first-order (S1) and total (ST) indices with their 95% bootstrap intervals, or
Morris' mu* (mean absolute elementary effect, in the verdict's own unit), its interval and
sigma. A verdict that does not vary over the design has no indices (NaN; its `variance` column
is 0).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from simulation.inputs.priors import Prior
from simulation.outcomes import OUTCOMES
from simulation.runs.design import MORRIS_LEVELS, Design, problem

VERDICTS = ("p_multilateral", "p_plurilateral", "p_text_mid", "text_in_force_median")
COLUMNS = ["issue", "verdict", "parameter", "index", "value", "conf", "variance"]
RESAMPLES = 100


def _indices(design: Design, spec: dict, y: np.ndarray) -> dict[str, np.ndarray]:
    """SALib's indices of one verdict over the design's points."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if design.kind == "sobol":
            from SALib.analyze import sobol

            found = sobol.analyze(spec, y, calc_second_order=False, num_resamples=RESAMPLES,
                                  conf_level=0.95, seed=design.seed)
            return {"S1": found["S1"], "S1_conf": found["S1_conf"], "ST": found["ST"],
                    "ST_conf": found["ST_conf"]}
        from SALib.analyze import morris

        found = morris.analyze(spec, design.unit, y, num_resamples=RESAMPLES, conf_level=0.95,
                               num_levels=MORRIS_LEVELS, seed=design.seed)
        return {"mu_star": np.asarray(found["mu_star"]),
                "mu_star_conf": np.asarray(found["mu_star_conf"]),
                "sigma": np.asarray(found["sigma"])}


def analyse(points: pd.DataFrame, design: Design, priors: Mapping[str, Prior]) -> pd.DataFrame:
    """The tidy table of indices: one row per issue, verdict, parameter and index."""
    spec = problem({path: priors[path] for path in design.constants})
    names = ("S1", "ST") if design.kind == "sobol" else ("mu_star", "sigma")
    rows = []
    for issue, frame in points.groupby("issue", sort=False):
        frame = frame.sort_values("point")
        for verdict in VERDICTS:
            y = frame[verdict].to_numpy(dtype=float)
            variance = float(np.var(y)) if np.all(np.isfinite(y)) else float("nan")
            found = _indices(design, spec, y) if variance > 0 else {}
            for j, parameter in enumerate(design.constants):
                for name in names:
                    value = found[name][j] if found else np.nan
                    conf = found.get(f"{name}_conf", np.full(j + 1, np.nan))[j] if found \
                        else np.nan
                    rows.append((issue, verdict, parameter, name, float(value), float(conf),
                                 variance))
    return pd.DataFrame(rows, columns=COLUMNS)


MIN_VARIANCE = 1e-3  # a verdict varying less (sd of a share < 0.03) has no meaningful indices


DRIVER_FLOOR = 0.05  # a constant whose index is at most this is not named as a driver
UNESTIMATED = 0.5
"""A Sobol index whose 95% interval is wider than +- this, half the range 0-1 a true total index
can take, is not estimated at the design's size: it is shown as such, not as a driver's size."""


def drivers(indices: pd.DataFrame, verdict: str = "p_multilateral", top: int = 3,
            floor: float = DRIVER_FLOOR) -> pd.DataFrame:
    """Per issue whose verdict varies over the design (variance >= MIN_VARIANCE), the constants
    with the largest total index (Sobol ST, else Morris mu*), above `floor`: which constants
    drive which verdict; a Sobol index not estimated (interval wider than +- UNESTIMATED) only
    after those that are, so that its noise takes no estimated driver's place. The issues keep
    their order in `indices` (the catalogue's, as in the verdict ranges printed above them), not
    the alphabet's."""
    index = "ST" if "ST" in set(indices["index"]) else "mu_star"
    chosen = indices[(indices["verdict"] == verdict) & (indices["index"] == index)
                     & (indices["value"] > floor) & (indices["variance"] >= MIN_VARIANCE)]
    order = {issue: rank for rank, issue in enumerate(pd.unique(indices["issue"]))}
    loose = (chosen["conf"] > UNESTIMATED) & (index == "ST")
    ranked = chosen.assign(_loose=loose).sort_values(
        ["issue", "_loose", "value"], ascending=[True, True, False],
        key=lambda c: c.map(order) if c.name == "issue" else c)
    return ranked.drop(columns="_loose").groupby("issue", sort=False).head(top)


def modal_credit(shares: np.ndarray) -> np.ndarray:
    """Per row of outcome shares (multilateral, plurilateral, none), each outcome's credit for
    being the most likely: 1 for the only largest share, 1/k to each of k tied largest ones, so
    that a row's credits sum to 1 and no outcome wins a tie by its place in the order."""
    largest = shares == shares.max(axis=1, keepdims=True)
    return largest / largest.sum(axis=1, keepdims=True)


def verdict_ranges(points: pd.DataFrame) -> pd.DataFrame:
    """Per issue, how its verdict moves inside the priors: P(multilateral) and P(text >= mid)
    over the design points (5%, median, 95%), and the share of points at which each outcome is
    the most likely, a tie at a point split equally among the tied outcomes (a verdict flips
    inside the priors where more than one has a share)."""
    credit = modal_credit(points[[f"p_{o}" for o in OUTCOMES]].to_numpy(dtype=float))
    frame = points.assign(**{f"modal_{o}": credit[:, j] for j, o in enumerate(OUTCOMES)})
    rows = []
    for issue, group in frame.groupby("issue", sort=False):
        row = {"issue": issue}
        for verdict in ("p_multilateral", "p_text_mid"):
            row.update({f"{verdict}_q05": group[verdict].quantile(0.05),
                        f"{verdict}_median": group[verdict].median(),
                        f"{verdict}_q95": group[verdict].quantile(0.95)})
        row.update({f"modal_{o}": group[f"modal_{o}"].mean() for o in OUTCOMES})
        rows.append(row)
    return pd.DataFrame(rows)

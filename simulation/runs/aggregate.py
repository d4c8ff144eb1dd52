"""An ensemble's outputs combined chunk by chunk, in replication order, in memory that does not
grow with the run count beyond `EXACT_RUNS`.

Counts (outcomes per issue, members listed per issue, agreed texts reaching each described
point of the scale) are exact at any size. Up to `EXACT_RUNS` replications the per-run values
that percentiles are taken of are kept, so every table is computed exactly as from the full
arrays; beyond, each such value goes into a fixed histogram per cell (`BINS` bins over its
scale), whose percentiles are within half a bin of the exact ones and whose means are exact
sums. Each output's scale is declared in `simulation.outputs`
(`Output.scale`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from simulation.engine.negotiation import Negotiation
from simulation.inputs.catalogue import REACHED, SCALE_POINTS
from simulation.outcomes import AGREEMENTS, NO_AGREEMENT, OUTCOME_CODES, OUTCOME_LABELS
from simulation.outputs import MEMBERS, OUTPUTS, Combine, Output
from simulation.runs.ensemble import Chunk, deal_coverage, outcome_frame

if TYPE_CHECKING:
    import pandas as pd

EXACT_RUNS = 10_000
"""Replications up to which every percentile is exact (~4 KB a replication kept in memory)."""
BINS = 10_000
"""Histogram bins per cell over an output's scale beyond EXACT_RUNS (resolution scale/BINS)."""
_CODES = tuple(OUTCOME_LABELS)  # the engine's codes in the order of the labels (OUTCOMES)


def reaching(outcome: np.ndarray, text: np.ndarray) -> np.ndarray:
    """(runs, k, len(REACHED)) bool from runs' outcome codes and agreed texts (runs, k): whether
    the run agreed the issue with a text reaching each described point of the scale beyond the
    lowest (the runs every `p_text_<point>` share counts)."""
    agreed = outcome != NO_AGREEMENT
    with np.errstate(invalid="ignore"):
        return np.stack([agreed & (text >= SCALE_POINTS[point]) for point in REACHED], axis=-1)


@dataclass
class Histogram:
    """Counts of values per cell over [low, high] in `bins` equal bins (integer outputs: one bin
    per whole number, so exact), plus exact sums for the means."""

    low: float
    high: float
    bins: int
    shape: tuple[int, ...]
    whole: bool = False  # bins hold whole numbers low, low + 1, ... (read exactly)
    counts: np.ndarray = field(init=False)
    sums: np.ndarray = field(init=False)
    n: int = 0

    def __post_init__(self) -> None:
        self.counts = np.zeros((*self.shape, self.bins), dtype=np.int64)
        self.sums = np.zeros(self.shape)

    def add(self, values: np.ndarray, weight: np.ndarray | None = None) -> None:
        """Values (runs, *shape); `weight` (runs, *shape) bool keeps only some of them."""
        width = (self.high - self.low) / self.bins
        keep = np.isfinite(values) if weight is None else weight & np.isfinite(values)
        scaled = np.where(keep, (values - self.low) / width, 0.0)
        index = np.clip(scaled.astype(np.int64), 0, self.bins - 1)
        cells = np.broadcast_to(np.arange(int(np.prod(self.shape))).reshape(self.shape),
                                values.shape)
        flat = cells[keep] * self.bins + index[keep]
        bins, counts = np.unique(flat, return_counts=True)
        self.counts.reshape(-1)[bins] += counts
        self.sums += np.where(keep, values, 0.0).sum(axis=0)
        self.n += len(values)

    def quantile(self, q: float) -> np.ndarray:
        """Per cell, the q-quantile as numpy's default (linear) method gives it, with each order
        statistic read as its bin's midpoint; NaN for empty cells."""
        width = (self.high - self.low) / self.bins
        centres = self.low + (np.arange(self.bins) + (0.0 if self.whole else 0.5)) * width
        total = self.counts.sum(axis=-1)
        cumulative = np.cumsum(self.counts, axis=-1)
        h = (total - 1) * q
        below, above = np.floor(h), np.ceil(h)

        def order_statistic(rank: np.ndarray) -> np.ndarray:
            at = (cumulative <= rank[..., None]).sum(axis=-1)
            return centres[np.minimum(at, self.bins - 1)]

        lower, upper = order_statistic(below), order_statistic(above)
        value = lower + (h - below) * (upper - lower)
        return np.where(total > 0, value, np.nan)

    def mean(self) -> np.ndarray:
        total = self.counts.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, self.sums / total, np.nan)


class Aggregate:
    """Chunks combined in replication order: exact counts, and per-run values (up to
    EXACT_RUNS) or histograms (beyond) for the percentiles."""

    def __init__(self, negotiation: Negotiation, runs: int) -> None:
        self.negotiation = negotiation
        self.exact = runs <= EXACT_RUNS
        self.runs = 0
        n, k = negotiation.shape
        self.outcome_counts = np.zeros((k, len(_CODES)), dtype=np.int64)  # columns: OUTCOMES
        self.reached_counts = np.zeros((k, len(REACHED)), dtype=np.int64)  # columns: REACHED
        self.member_counts = {o.name: np.zeros((n, k), dtype=np.int64) for o in OUTPUTS
                              if o.combine is Combine.MEMBER_LIST}
        self.kept: dict[str, list[np.ndarray]] = {}
        self.histograms: dict[str, Histogram] = {}
        # each run's draws from the scenario's priors: all up to EXACT_RUNS, beyond every
        # `stride`-th run's (a systematic sample of at most EXACT_RUNS runs, and of more than
        # half as many: the draws of different runs are independent, so any fixed subset is a
        # fair sample)
        self.stride = -(-runs // EXACT_RUNS)
        self.draws: dict[str, list[np.ndarray]] = {}
        if not self.exact:
            for output in OUTPUTS:
                if output.scale is not None:
                    self.histograms.update(self._histograms(output))

    def _histograms(self, output: Output) -> dict[str, Histogram]:
        negotiation = self.negotiation
        shape = tuple(negotiation.axis_sizes[a] for a in output.axes)
        name = output.name
        if output.scale == MEMBERS:
            members = len(negotiation.members)
            return {name: Histogram(0.0, members + 1.0, members + 1, shape, whole=True)}
        low, high = output.scale
        if name == "text":  # agreed texts by kind of agreement
            return {f"text.{kind}": Histogram(low, high, BINS, shape)
                    for kind in (*AGREEMENTS, "any")}
        return {name: Histogram(low, high, BINS, shape)}

    def add(self, chunk: Chunk) -> None:
        """Take one chunk (the next in replication order)."""
        outcome = chunk.outcome
        sampled = (np.arange(chunk.start, chunk.start + len(outcome)) % self.stride) == 0
        for path, values in chunk.draws.items():
            self.draws.setdefault(path, []).append(values[sampled])
        for column, code in enumerate(_CODES):
            self.outcome_counts[:, column] += (outcome == code).sum(axis=0)
        self.reached_counts += reaching(outcome, chunk.text).sum(axis=0)
        for name, counts in self.member_counts.items():
            counts += getattr(chunk, name).sum(axis=0)
        self.runs += len(outcome)
        if self.exact:
            for output in OUTPUTS:
                if output.combine is not Combine.MEMBER_LIST:
                    self.kept.setdefault(output.name, []).append(getattr(chunk, output.name))
            return
        for name, histogram in self.histograms.items():
            if name.startswith("text."):
                kind = name.split(".")[1]
                agreed = outcome != NO_AGREEMENT if kind == "any" else \
                    outcome == OUTCOME_CODES[kind]
                histogram.add(chunk.text, agreed)
            elif name == "coverage":
                histogram.add(deal_coverage(chunk.coverage, outcome))
            else:
                histogram.add(getattr(chunk, name).astype(float))

    def outcome_table(self) -> pd.DataFrame:
        """The outcomes table without its member lists (exact mode only): the summary's input,
        with the members counted in `member_counts` instead."""
        stacked = {o.name: self.values(o.name) for o in OUTPUTS if o.combine is Combine.ROWS}
        return outcome_frame(stacked, self.negotiation, draws=self.drawn())

    def drawn(self) -> dict[str, np.ndarray]:
        """Each prior's draws: of every run up to EXACT_RUNS, else of every `stride`-th run."""
        return {path: np.concatenate(parts) for path, parts in self.draws.items()}

    def values(self, name: str) -> np.ndarray:
        """An output's per-run values in replication order (exact mode only)."""
        if not self.exact:
            raise ValueError("per-run values are kept only up to EXACT_RUNS replications")
        return np.concatenate(self.kept[name])


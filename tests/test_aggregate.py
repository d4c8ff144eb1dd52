"""Combining an ensemble's chunks (simulation.runs.aggregate): up to EXACT_RUNS replications
exactly; beyond, each value in a histogram whose means are exact and whose percentiles are
within half a bin (whole numbers exactly), and the priors' draws of a systematic sample of at
most EXACT_RUNS runs, whatever the chunks."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from simulation.engine.negotiation import Negotiation
from simulation.inputs.scenario import Scenario, load_scenario
from simulation.outputs import OUTPUTS
from simulation.report.tables import period_tables, summary_tables
from simulation.runs import aggregate
from simulation.runs.ensemble import run_chunk

ROOT = Path(__file__).resolve().parents[1]
RUNS = 25


@pytest.fixture(scope="module")
def baseline() -> tuple[Scenario, Negotiation]:
    """The shipped baseline (with its priors) and its negotiation."""
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    return scenario, scenario.negotiation()


@pytest.fixture(scope="module")
def chunks(baseline) -> list:
    """25 runs of seed 5 in chunks of 4 (the last of 1): chunk boundaries that are no
    multiples of the sampling step."""
    scenario, negotiation = baseline
    return [run_chunk(negotiation, scenario.spec.parameters, 5, start, min(start + 4, RUNS),
                      scenario.priors) for start in range(0, RUNS, 4)]


def combined(negotiation: Negotiation, chunks: list, runs: int = RUNS) -> aggregate.Aggregate:
    """The chunks combined in their order, for an ensemble of `runs` replications."""
    found = aggregate.Aggregate(negotiation, runs)
    for chunk in chunks:
        found.add(chunk)
    return found


@pytest.mark.parametrize("limit", [10, 12, 24])
def test_beyond_the_exact_limit_the_draws_kept_are_a_systematic_sample_of_at_most_the_limit(
        baseline, chunks, monkeypatch, limit):
    """Every k-th run's draws from run 0, k the smallest step that keeps at most EXACT_RUNS
    runs: memory stays within the limit, and the chunks' boundaries choose no run."""
    _, negotiation = baseline
    every = {path: np.concatenate([chunk.draws[path] for chunk in chunks])
             for path in chunks[0].draws}
    step = next(k for k in itertools.count(1) if len(range(0, RUNS, k)) <= limit)
    monkeypatch.setattr(aggregate, "EXACT_RUNS", limit)
    kept = combined(negotiation, chunks).drawn()
    assert kept.keys() == every.keys() and every
    for path, values in kept.items():
        assert len(values) <= limit
        np.testing.assert_array_equal(values, every[path][::step])


def test_as_many_runs_as_the_limit_are_combined_exactly(baseline, chunks, monkeypatch):
    """EXACT_RUNS runs keep every run's values: the tables are those of any larger limit."""
    scenario, negotiation = baseline
    wide = combined(negotiation, chunks)
    monkeypatch.setattr(aggregate, "EXACT_RUNS", RUNS)
    at_limit = combined(negotiation, chunks)
    expected, found = summary_tables(scenario, wide), summary_tables(scenario, at_limit)
    pd.testing.assert_frame_equal(found[0], expected[0], check_exact=True)
    pd.testing.assert_frame_equal(found[2], expected[2], check_exact=True)
    for name, table in period_tables(wide).items():
        pd.testing.assert_frame_equal(period_tables(at_limit)[name], table, check_exact=True)


def test_coalition_sizes_beyond_the_limit_are_exact_from_none_to_every_member(
        baseline, chunks, monkeypatch):
    """Coalition sizes are whole numbers from 0 to the member count, each read exactly from
    its own bin, the full coalition's too."""
    _, negotiation = baseline
    members = len(negotiation.members)
    rng = np.random.default_rng(3)
    sized = [dataclasses.replace(chunk, coalition_sizes=rng.choice(
        [0, 1, members - 1, members], chunk.coalition_sizes.shape).astype(
            chunk.coalition_sizes.dtype)) for chunk in chunks]
    exact = period_tables(combined(negotiation, sized))["coalition_sizes"]
    monkeypatch.setattr(aggregate, "EXACT_RUNS", 10)
    large = period_tables(combined(negotiation, sized))["coalition_sizes"]
    assert (exact["size_p90"] == members).any() and (exact["size_p10"] == 0).any()
    pd.testing.assert_frame_equal(large.drop(columns="size_mean"),
                                  exact.drop(columns="size_mean"), check_exact=True)
    np.testing.assert_allclose(large["size_mean"], exact["size_mean"], rtol=1e-12)


def test_an_output_added_to_the_registry_is_combined_beyond_the_limit_by_its_declared_scale(
        baseline, chunks, monkeypatch):
    """The README's extension point: a new per-period output is one line in OUTPUTS. Declared
    there with its scale, it is combined beyond EXACT_RUNS with nothing else to edit, its
    table within half a bin of the exact one (here a copy of the support, under a new name)."""
    from simulation.report import tables

    _, negotiation = baseline
    support = next(o for o in OUTPUTS if o.name == "support")
    added = dataclasses.replace(support, name="support_again", tables=("support_again.csv",))
    monkeypatch.setattr(aggregate, "OUTPUTS", (*OUTPUTS, added))
    monkeypatch.setattr(tables, "OUTPUTS", (*OUTPUTS, added))
    copied = [_WithCopy(chunk, support_again=chunk.support) for chunk in chunks]
    exact = period_tables(combined(negotiation, copied))["support_again"]
    monkeypatch.setattr(aggregate, "EXACT_RUNS", 10)
    large = period_tables(combined(negotiation, copied))["support_again"]
    assert (large["n_runs"] == RUNS).all()
    for column in ("support_p10", "support_p90"):
        np.testing.assert_allclose(large[column], exact[column], rtol=0, atol=0.5e-4 + 1e-12)
    np.testing.assert_allclose(large["support_mean"], exact["support_mean"], rtol=1e-9)


class _WithCopy:
    """A chunk with one more output array (what the engine would fill for a new output)."""

    def __init__(self, chunk, **more: np.ndarray) -> None:
        self._chunk, self._more = chunk, more

    def __getattr__(self, name: str):
        return self._more[name] if name in self._more else getattr(self._chunk, name)


@settings(max_examples=100)
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 3)),
                  elements=st.one_of(st.just(np.nan), st.sampled_from([0.0, 50.0, 100.0]),
                                     st.floats(0, 100))),
       st.integers(1, 200), st.sampled_from([0.1, 0.25, 0.5, 0.9]))
def test_a_histograms_means_are_exact_and_its_quantiles_within_half_a_bin(values, bins, q):
    """Over the finite values of each cell (NaN is no value): the mean as numpy's nanmean,
    the q-quantile within half a bin of numpy's nanquantile, NaN for a cell without values."""
    histogram = aggregate.Histogram(0.0, 100.0, bins, values.shape[1:])
    for part in np.array_split(values, 3):
        histogram.add(part)
    some = (~np.isnan(values)).any(axis=0)
    assert np.isnan(histogram.mean()[~some]).all() and np.isnan(histogram.quantile(q)[~some]).all()
    np.testing.assert_allclose(histogram.mean()[some], np.nanmean(values[:, some], axis=0),
                               rtol=1e-12)
    expected = np.nanquantile(values[:, some], q, axis=0)
    assert (np.abs(histogram.quantile(q)[some] - expected) <= 50.0 / bins + 1e-9).all()
    assert histogram.n == len(values)


@settings(max_examples=100)
@given(hnp.arrays(np.int64, st.tuples(st.integers(1, 30), st.integers(1, 3)),
                  elements=st.integers(0, 8)), st.sampled_from([0.1, 0.5, 0.9]))
def test_a_histogram_of_whole_numbers_gives_numpys_quantiles_exactly(values, q):
    """One bin per whole number from 0 to the largest possible (as coalition sizes are
    combined): the quantiles and the means are numpy's."""
    histogram = aggregate.Histogram(0.0, 9.0, 9, values.shape[1:], whole=True)
    histogram.add(values.astype(float))
    np.testing.assert_allclose(histogram.quantile(q), np.quantile(values, q, axis=0),
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(histogram.mean(), values.mean(axis=0), rtol=1e-12)


# --- mutation testing, sixth round (docs/mutation_testing.md) -----------------------------


def test_agreed_texts_at_the_top_of_the_scale_reach_high_beyond_the_limit(
        baseline, chunks, monkeypatch):
    """Runs whose agreed text is the top of the scale (100, in the histogram's last bin) count
    as reaching high, those at 50 as reaching mid, as when every run is kept."""
    scenario, negotiation = baseline
    rng = np.random.default_rng(4)
    texted = [dataclasses.replace(chunk, text=rng.choice(
        [0.0, 49.0, 50.0, 75.0, 100.0], chunk.text.shape).astype(chunk.text.dtype))
        for chunk in chunks]
    exact = summary_tables(scenario, combined(negotiation, texted))[0]
    monkeypatch.setattr(aggregate, "EXACT_RUNS", 10)
    large = summary_tables(scenario, combined(negotiation, texted))[0]
    assert (exact["p_text_high"] > 0).any() and (exact["p_text_mid"] > exact["p_text_high"]).any()
    reached = [c for c in exact.columns if c.startswith(("p_text_", "n_"))]
    pd.testing.assert_frame_equal(large[reached], exact[reached])


def test_texts_just_below_a_described_point_do_not_reach_it_beyond_the_limit(
        baseline, chunks, monkeypatch):
    """A text of 99.995 shares the histogram's last bin with 100 but does not reach high: beyond
    EXACT_RUNS the runs reaching each point are counted exactly, as when every run is kept
    (they were read from the histogram, which counted such a text as reaching high)."""
    scenario, negotiation = baseline
    rng = np.random.default_rng(5)
    texted = [dataclasses.replace(chunk, text=rng.choice(
        [49.995, 50.0, 99.995, 100.0], chunk.text.shape).astype(chunk.text.dtype))
        for chunk in chunks]
    exact = summary_tables(scenario, combined(negotiation, texted))[0]
    monkeypatch.setattr(aggregate, "EXACT_RUNS", 10)
    large = summary_tables(scenario, combined(negotiation, texted))[0]
    assert ((exact["p_text_high"] > 0) & (exact["p_text_high"] < exact["p_text_mid"])).any()
    reached = [c for c in exact.columns if c.startswith("p_text_")]
    pd.testing.assert_frame_equal(large[reached], exact[reached])

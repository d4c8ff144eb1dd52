"""The replications' random streams (engine.chance) are numpy's SFC64 generator, bit for bit:
the compiled draws must give exactly what `np.random.Generator(np.random.SFC64(seed))` gives."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.engine import chance

SEEDS = [np.random.SeedSequence(2017, spawn_key=(i,)) for i in range(3)]


def numpy_generator(seed: np.random.SeedSequence) -> np.random.Generator:
    return np.random.Generator(np.random.SFC64(seed))


def test_normals_are_numpys_including_the_ziggurats_rare_branches():
    # 300,000 draws a stream reach the tail and the wedges (about 1 draw in 100 each)
    drawn = chance.standard_normal(chance.streams(SEEDS), (300, 1000))
    for seed, row in zip(SEEDS, drawn, strict=True):
        expected = numpy_generator(seed).standard_normal((300, 1000))
        np.testing.assert_array_equal(row, expected)
    assert np.abs(drawn).max() > 3.655  # beyond the ziggurat's base layer: the tail branch ran


def test_uniforms_and_normals_interleave_as_one_stream():
    states = chance.streams(SEEDS)
    first = chance.uniform(states, (7,))
    then = chance.standard_normal(states, (5, 3))
    last = chance.uniform(states, (4,))
    for row, seed in enumerate(SEEDS):
        generator = numpy_generator(seed)
        np.testing.assert_array_equal(first[row], generator.random(7))
        np.testing.assert_array_equal(then[row], generator.standard_normal((5, 3)))
        np.testing.assert_array_equal(last[row], generator.random(4))
    assert ((first >= 0) & (first < 1)).all()


@settings(max_examples=40)
@given(st.integers(0, 2**32 - 1), st.integers(1, 4), st.integers(0, 30), st.integers(1, 6))
def test_engaged_members_draw_in_order_and_the_others_draw_nothing(entropy, r, n, k):
    seeds = [np.random.SeedSequence(entropy, spawn_key=(i,)) for i in range(r)]
    active = np.random.default_rng(entropy).random((r, n)) < 0.6
    states = chance.streams(seeds)
    shocks = chance.engaged_normals(states, active, k)
    after = chance.uniform(states, (1,))
    for row, seed in enumerate(seeds):
        generator = numpy_generator(seed)
        expected = np.zeros((n, k))
        expected[active[row]] = generator.standard_normal((active[row].sum(), k))
        np.testing.assert_array_equal(shocks[row], expected)
        assert after[row, 0] == generator.random()  # the stream went on where the draws ended


def test_a_stream_depends_only_on_its_own_seed():
    alone = chance.standard_normal(chance.streams(SEEDS[1:2]), (50,))
    together = chance.standard_normal(chance.streams(SEEDS), (50,))
    np.testing.assert_array_equal(alone[0], together[1])
    assert not np.array_equal(together[0], together[1])


def test_integer_and_missing_seeds_become_seed_sequences():
    assert chance.seed_sequence(5).entropy == 5
    assert chance.seed_sequence(SEEDS[0]) is SEEDS[0]
    assert chance.seed_sequence(None).entropy != chance.seed_sequence(None).entropy


@settings(max_examples=25)
@given(st.integers(0, 2**32 - 1), st.integers(1, 4), st.integers(1, 9), st.integers(1, 5))
def test_values_drawn_around_a_base_are_base_plus_scaled_noise_clipped(entropy, r, n, k):
    rng = np.random.default_rng(entropy)
    base, spread = rng.uniform(0, 100, (n, k)), rng.uniform(0, 30, (n, k))
    noise = rng.standard_normal((r, n, k)) * 3  # often past the bounds
    drawn = chance.around(base, spread, noise, 0.0, 100.0)
    np.testing.assert_array_equal(drawn, np.clip(base + noise * spread, 0.0, 100.0))
    assert drawn.min() >= 0.0 and drawn.max() <= 100.0


@settings(max_examples=25)
@given(st.integers(0, 2**32 - 1), st.integers(2, 4), st.integers(1, 9), st.integers(1, 5))
def test_each_replication_draws_around_its_own_base_within_the_bounds_given(entropy, r, n, k):
    """Where a replication varies the derivation constants it has its own base (r, n, k): each
    row is drawn around its own, clipped to the bounds asked for (saliences: 0.01 to 1)."""
    rng = np.random.default_rng(entropy)
    base, spread = rng.uniform(0, 1, (r, n, k)), rng.uniform(0, 0.3, (n, k))
    noise = rng.standard_normal((r, n, k)) * 3  # often past the bounds
    drawn = chance.around(base, spread, noise, 0.01, 1.0)
    np.testing.assert_array_equal(drawn, np.clip(base + noise * spread, 0.01, 1.0))

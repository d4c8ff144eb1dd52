"""The vectorisable exp and log agree with the C library's to 1 ulp on the kernels' domain, and
loops of them compile to SIMD code (else they would be no faster than math.exp)."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from simulation.engine.vector_math import vexp, vlog


@njit(error_model="numpy", fastmath={"contract"})
def _exp_all(values, out):
    for i in range(values.size):
        out[i] = vexp(values[i])


@njit(error_model="numpy", fastmath={"contract"})
def _log_all(values, out):
    for i in range(values.size):
        out[i] = vlog(values[i])


def _apply(function, values):
    values = np.asarray(values, dtype=float)
    out = np.empty_like(values)
    function(values, out)
    return out


def _ulps(got, expected):
    return np.abs(got - expected) / np.spacing(np.abs(expected))


@settings(max_examples=200)
@given(st.lists(st.floats(-708.0, 709.0), min_size=1, max_size=40))
def test_exp_is_within_one_ulp(values):
    expected = np.array([math.exp(v) for v in values])
    assert _ulps(_apply(_exp_all, values), expected).max() <= 1.0


@settings(max_examples=200)
@given(st.lists(st.floats(2.2250738585072014e-308, 1.7e308), min_size=1, max_size=40))
def test_log_is_within_one_ulp(values):
    expected = np.array([math.log(v) for v in values])
    assert _ulps(_apply(_log_all, values), expected)[expected != 0].max(initial=0) <= 1.0
    assert (_apply(_log_all, values)[expected == 0] == 0).all()


def test_dense_samples_of_the_powers_the_kernel_takes():
    # what the challenge kernel computes: d^r = exp(r log d) for d in [0, 1], r in [0.5, 2]; the
    # rounding of r log d (relative 1e-16 of up to 55 for d >= 1e-12) limits any such power
    rng = np.random.default_rng(7)
    d = np.concatenate([rng.uniform(0, 1, 200_000), 1 + rng.uniform(-1e-9, 1e-9, 1000),
                        10.0 ** rng.uniform(-12, 0, 1000)])
    logs = _apply(_log_all, d)
    assert _ulps(logs, np.log(d))[d != 1].max() <= 1.0
    r = rng.uniform(0.5, 2, d.size)
    np.testing.assert_allclose(_apply(_exp_all, r * logs), d ** r, rtol=2e-14, atol=0)


def test_edges():
    assert list(_apply(_log_all, [0.0, 5e-324, 1.0])) == [-math.inf, -math.inf, 0.0]
    assert list(_apply(_exp_all, [-math.inf, -800.0, 0.0])) == [0.0, 0.0, 1.0]


def test_loops_of_them_are_vectorised():
    values = np.linspace(0.1, 1.0, 64)
    for function in (_exp_all, _log_all):
        _apply(function, values)
        llvm = function.inspect_llvm(function.signatures[0])
        assert "x double>" in llvm  # SIMD vectors of doubles
        assert "fptosi" not in llvm  # no float-to-integer conversion, scalar under AVX2


def test_log_is_the_c_librarys_to_the_bit_for_most_values_even_at_the_ends_of_its_reduction():
    """Within 1 ulp is not all: fdlibm's polynomial keeps the log correctly rounded for all but
    a few values, even where the reduced argument is widest (m near sqrt(1/2) and sqrt(2)).
    Taylor's 2/3 for fdlibm's first coefficient, or a reduction interval that ends short of
    sqrt(2), stay within 1 ulp but round a third or more of the values at one end or both the
    wrong way."""
    rng = np.random.default_rng(11)
    for low, high in ((math.sqrt(0.5), 0.72), (1.4, math.sqrt(2.0))):
        x = rng.uniform(low, high, 20_000)
        exact = np.array([math.log(v) for v in x])
        assert (_apply(_log_all, x) == exact).mean() > 0.85

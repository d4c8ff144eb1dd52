"""The ziggurat's tables (engine.ziggurat) describe Marsaglia & Tsang's construction: layers of
equal area under exp(-x²/2) that close at the top. That they are numpy's to the bit is what
tests/test_chance.py checks, through the draws."""

import math

import numpy as np
import pytest

from simulation.engine import ziggurat


def density(x):
    return np.exp(-0.5 * np.asarray(x) ** 2)


def test_every_layer_has_the_same_area():
    _, w, f = ziggurat.tables()
    edges = w * 2.0**52  # right edge of each layer (the base layer's as one rectangle)
    areas = edges[2:] * (f[1:-1] - f[2:])  # layer i: from f(x_i) up to f(x_(i-1))
    np.testing.assert_allclose(areas, ziggurat.V, rtol=1e-12)
    tail = math.sqrt(math.pi / 2) * math.erfc(ziggurat.R / math.sqrt(2))
    assert ziggurat.R * density(ziggurat.R) + tail == pytest.approx(ziggurat.V, rel=1e-12)
    assert edges[0] * density(ziggurat.R) == pytest.approx(ziggurat.V, rel=1e-15)


def test_the_layers_close_at_the_top_of_the_density():
    _, w, f = ziggurat.tables()
    top = w[1] * 2.0**52
    assert top * (1.0 - f[1]) == pytest.approx(ziggurat.V, rel=1e-6)
    assert f[0] == 1.0 and np.all(np.diff(f) < 0)


def test_a_magnitude_below_k_lies_inside_the_layer_beneath():
    k, w, _ = ziggurat.tables()
    edges = w * 2.0**52
    np.testing.assert_allclose(k[2:] / 2.0**52, edges[1:-1] / edges[2:], rtol=1e-15)
    assert k[1] == 0  # the top layer has nothing beneath it: always the wedge test
    assert k.dtype == np.uint64 and len(k) == ziggurat.LAYERS


def test_the_tables_are_numpys_to_the_bit_where_a_draw_rarely_tells():
    """A threshold k one unit off, or a density f one ulp off at the quirk layer, changes a
    draw only when a magnitude lands exactly on it (about once in 2^52), so the draws of
    tests/test_chance.py cannot tell: these are entries of numpy's own tables
    (numpy/random/src/distributions/ziggurat_constants.h, ki_double, wi_double, fi_double)."""
    k, w, f = ziggurat.tables()
    assert [int(value) for value in k[:12]] == [
        0x000EF33D8025EF6A, 0x0000000000000000, 0x000C08BE98FBC6A8, 0x000DA354FABD8142,
        0x000E51F67EC1EEEA, 0x000EB255E9D3F77E, 0x000EEF4B817ECAB9, 0x000F19470AFA44AA,
        0x000F37ED61FFCB18, 0x000F4F469561255C, 0x000F61A5E41BA396, 0x000F707A755396A4]
    assert w[0] == 8.68362706080130616677e-16 and w[38] == 1.95981504266288244037e-16
    assert f[1] == 9.77101701267671596263e-01
    assert f[ziggurat.QUIRK_LAYER] == 6.77388036218773526009e-01

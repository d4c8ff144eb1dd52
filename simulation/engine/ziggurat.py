"""The tables of numpy's ziggurat for standard normals, derived here from its construction.

The ziggurat (Marsaglia & Tsang 2000, J. Stat. Software 5(8)) covers the density
f(x) = exp(-x²/2) with 256 layers of equal area V: a base layer (a rectangle up to R plus the
tail beyond it) and 255 rectangles stacked on it, whose right edges x_255 = R > ... > x_1 > x_0 = 0
follow from f(x_{i-1}) = f(x_i) + V / x_i. numpy (random/src/distributions, for doubles) draws a
layer i and a 52-bit magnitude j, returns x = j * w_i if j < k_i (inside the layer below), and
otherwise tests the wedge with f_i or, in the base layer, draws the tail. Its tables are
    w_i = x_i / 2^52,  k_i = round(2^52 * x_{i-1} / x_i),  f_i = f(x_i)
and for the base layer, seen as one rectangle of area V: w_0 = V / f(R) / 2^52,
k_0 = round(2^52 * R * f(R) / V), f_0 = 1.

numpy computed them in double precision; so do we, with one difference reproduced: at layer
QUIRK_LAYER, numpy's recursion goes on from (and tables f of) an edge one unit in the last place
below the edge it tables in w and k (a rounding of the machine its tables were made on). With it,
the tables are numpy's to the bit and so are the draws (tests/test_chance.py).
"""

from __future__ import annotations

import math

import numpy as np

LAYERS = 256
R = 3.6541528853610088  # where the base layer's rectangle ends and the tail begins
INV_R = 1.0 / R
V = 0.0049286732339746519  # the area of every layer (for 256 layers and this R)
QUIRK_LAYER = 38
_SCALE = 2.0**52


def _density(x: float) -> float:
    return math.exp(-0.5 * x * x)


def tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ziggurat's (k, w, f) per layer: acceptance thresholds (uint64), widths per unit of
    the 52-bit magnitude, and the density at each layer's edge, as numpy's tables for doubles."""
    edge = [0.0] * LAYERS  # what the recursion continues from
    tabled = [0.0] * LAYERS  # what w and k use
    edge[-1] = tabled[-1] = R
    for i in range(LAYERS - 2, 0, -1):
        above = edge[i + 1]
        tabled[i] = edge[i] = math.sqrt(-2.0 * math.log(_density(above) + V / above))
        if i == QUIRK_LAYER:
            edge[i] = math.nextafter(edge[i], 0.0)
    k = [round(_SCALE * R * _density(R) / V)] + [
        round(_SCALE * tabled[i - 1] / tabled[i]) for i in range(1, LAYERS)]
    w = [V / _density(R) / _SCALE] + [tabled[i] / _SCALE for i in range(1, LAYERS)]
    f = [1.0] + [_density(edge[i]) for i in range(1, LAYERS)]
    return np.array(k, dtype=np.uint64), np.array(w), np.array(f)

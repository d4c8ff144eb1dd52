"""The chance in a batch of replications: every random number a replication uses comes from its
own stream, so its results never depend on which other replications share its batch or worker.

A replication's stream is numpy's SFC64 generator seeded with the replication's seed: the
numbers are those of `np.random.Generator(np.random.SFC64(seed))`, bit for bit (uniforms from
`random()`, normals from `standard_normal()`; tests/test_chance.py), but drawn inside compiled
loops, three to five times faster than numpy draws them (docs/performance.md), and only where
the model needs them (the bargaining shocks of the members engaged in a period). The normals use
numpy's ziggurat, with its tables derived in engine.ziggurat.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit, uint64

from simulation.engine import ziggurat
from simulation.engine.negotiation import Negotiation

SeedLike = int | np.random.SeedSequence | None

_1, _3, _8, _11, _24, _40 = (uint64(v) for v in (1, 3, 8, 11, 24, 40))
_LOW_BYTE, _52_BITS = uint64(0xFF), uint64(0x000FFFFFFFFFFFFF)
_KI, _WI, _FI = ziggurat.tables()  # numba freezes them into the compiled code
_R, _INV_R = ziggurat.R, ziggurat.INV_R


def seed_sequence(seed: SeedLike) -> np.random.SeedSequence:
    """The seed as a SeedSequence (None: fresh entropy from the operating system)."""
    return seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)


def streams(seeds: Sequence[np.random.SeedSequence]) -> np.ndarray:
    """The starting state (r, 4) of each seed's stream, as numpy's SFC64 seeds it."""
    return np.array([np.random.SFC64(seed).state["state"]["state"] for seed in seeds],
                    dtype=np.uint64).reshape(len(seeds), 4)


@njit(inline="always")
def _step(a, b, c, w):
    """One SFC64 step: the next 64 random bits and the new state."""
    bits = a + b + w
    return bits, b ^ (b >> _11), c + (c << _3), ((c << _24) | (c >> _40)) + bits, w + _1


@njit(inline="always")
def _uniform(a, b, c, w):
    """A uniform in [0, 1) from the top 53 bits (numpy's `random()`)."""
    bits, a, b, c, w = _step(a, b, c, w)
    return np.float64(bits >> _11) * (1.0 / 9007199254740992.0), a, b, c, w


@njit(inline="always")
def _normal(a, b, c, w):
    """A standard normal by numpy's ziggurat (`standard_normal()`)."""
    while True:
        bits, a, b, c, w = _step(a, b, c, w)
        layer = bits & _LOW_BYTE
        bits >>= _8
        magnitude = (bits >> _1) & _52_BITS
        # the sign as a factor, not a branch: it is a coin toss the processor cannot predict
        x = np.int64(magnitude) * _WI[layer] * (1.0 - 2.0 * np.float64(bits & _1))
        if magnitude < _KI[layer]:
            return x, a, b, c, w
        x, a, b, c, w, accepted = _rare_normal(layer, magnitude, x, a, b, c, w)
        if accepted:
            return x, a, b, c, w


@njit(cache=True)
def _rare_normal(layer, magnitude, x, a, b, c, w):
    """The ziggurat's rare branches (about one draw in 80): the tail beyond the base layer, or
    the test of a point in a layer's wedge; whether it accepts. Out of line, so that the
    common path stays small in the loops that draw."""
    if layer == 0:  # the tail beyond the base layer
        while True:
            u, a, b, c, w = _uniform(a, b, c, w)
            v, a, b, c, w = _uniform(a, b, c, w)
            xx = -_INV_R * np.log1p(-u)
            yy = -np.log1p(-v)
            if yy + yy > xx * xx:
                tail = _R + xx
                return (-tail if (magnitude >> _8) & _1 else tail), a, b, c, w, True
    u, a, b, c, w = _uniform(a, b, c, w)
    accepted = (_FI[layer - 1] - _FI[layer]) * u + _FI[layer] < \
        np.exp(-0.5 * x * x)
    return x, a, b, c, w, accepted


@njit(cache=True)
def _fill(states, out, normal):
    for row in range(len(states)):
        a, b, c, w = states[row, 0], states[row, 1], states[row, 2], states[row, 3]
        for j in range(out.shape[1]):
            if normal:
                out[row, j], a, b, c, w = _normal(a, b, c, w)
            else:
                out[row, j], a, b, c, w = _uniform(a, b, c, w)
        states[row, 0], states[row, 1], states[row, 2], states[row, 3] = a, b, c, w


def standard_normal(states: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Standard normals (r, *shape), each row from its own stream (advanced in place)."""
    out = np.empty((len(states), int(np.prod(shape))))
    _fill(states, out, True)
    return out.reshape(len(states), *shape)


def uniform(states: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Uniforms in [0, 1) (r, *shape), each row from its own stream (advanced in place)."""
    out = np.empty((len(states), int(np.prod(shape))))
    _fill(states, out, False)
    return out.reshape(len(states), *shape)


@njit(cache=True)
def _engaged_normals(states, active, out):
    r, n, k = out.shape
    for row in range(r):
        a, b, c, w = states[row, 0], states[row, 1], states[row, 2], states[row, 3]
        for m in range(n):
            for i in range(k):
                if active[row, m]:
                    out[row, m, i], a, b, c, w = _normal(a, b, c, w)
                else:
                    out[row, m, i] = 0.0
        states[row, 0], states[row, 1], states[row, 2], states[row, 3] = a, b, c, w


def engaged_normals(states: np.ndarray, active: np.ndarray, issues: int) -> np.ndarray:
    """Standard normals (r, n, issues) for the active members (r, n), drawn member by member in
    order from each row's stream; 0 for the others, who draw none."""
    out = np.empty((*active.shape, issues))
    _engaged_normals(states, active, out)
    return out


@njit(cache=True)
def _around(base, spread, noise, low, high):
    """The plain statement of this rule: rules.sample_preferences."""
    drawn = np.empty(noise.shape)
    for row in range(noise.shape[0]):
        for m in range(noise.shape[1]):
            for i in range(noise.shape[2]):
                drawn[row, m, i] = min(max(base[m, i] + noise[row, m, i] * spread[m, i], low),
                                       high)
    return drawn


@njit(cache=True)
def _around_each(base, spread, noise, low, high):
    """The plain statement of this rule: rules.sample_preferences (each replication around
    its own derived preferences, where it varies the derivation constants)."""
    drawn = np.empty(noise.shape)
    for row in range(noise.shape[0]):
        for m in range(noise.shape[1]):
            for i in range(noise.shape[2]):
                drawn[row, m, i] = min(max(base[row, m, i] + noise[row, m, i] * spread[m, i],
                                           low), high)
    return drawn


def around(base: np.ndarray, spread: np.ndarray, noise: np.ndarray, low: float,
           high: float) -> np.ndarray:
    """Values drawn around `base` (n, k), or each replication's own base (r, n, k), for each
    replication: base + noise (r, n, k) x spread, clipped to [low, high] (one pass, no
    temporaries)."""
    base = np.asarray(base, float)
    draw = _around_each if base.ndim == 3 else _around
    return draw(base, np.asarray(spread, float), noise, low, high)


class Chance:
    """The random draws of a batch, one row per replication, each from its own stream: first
    position noise, salience noise, engagement and bloc discipline, then period by period the
    bargaining shocks of the engaged members (the bulk, so they are not all held at once), if
    the protocol asks for them."""

    def __init__(self, seeds: Sequence[np.random.SeedSequence], negotiation: Negotiation) -> None:
        (n, k), periods = negotiation.shape, len(negotiation.calendar)
        self.streams = streams(seeds)
        self.position_noise = standard_normal(self.streams, (n, k))
        self.salience_noise = standard_normal(self.streams, (n, k))
        self.engagement = uniform(self.streams, (periods, n))  # engaged if below the attention
        self.bloc_holds = uniform(self.streams, (periods + 1, len(negotiation.coalitions)))

    def shocks(self, active: np.ndarray) -> np.ndarray:
        """This period's standard normal shocks (r, n, k) to the positions of the active members
        (r, n); 0 for the others, who draw none."""
        return engaged_normals(self.streams, active, self.position_noise.shape[-1])

"""Priors: a distribution in place of a scenario's numeric constant, drawn per replication.

In a scenario file any constant of `simulation.inputs.constants` (a value an override gives
too) may be written as
`{uniform: [a, b]}`, `{triangular: [a, mode, b]}`, `{normal: [mean, sd], clip: [a, b]}` (values
outside [a, b] are clipped to it) or `{choice: [v1, v2, ...]}` (each equally likely). Each
replication draws its own values from its own stream (a child of its seed), so its draws do not
depend on its batch, worker or backend, and each constant takes its own uniform of that stream
(its place in the fixed list of constants, `constants.draw_place`): adding a prior never
changes another's draws.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from simulation.inputs.constants import Constant, constants, draw_place
from simulation.inputs.files import suggest

DISTRIBUTIONS = ("uniform", "triangular", "normal", "choice")
_PRIOR_STREAM = 0x5052494F  # "PRIO": the child of a replication's seed its priors draw from
_ARITY = {"uniform": 2, "triangular": 3, "normal": 2}
_NORMAL = NormalDist()


@dataclass(frozen=True)
class Prior:
    """One constant's distribution."""

    kind: str
    args: tuple[float, ...]
    clip: tuple[float, float] | None = None

    @property
    def support(self) -> tuple[float, float]:
        """The smallest and largest value a draw can take."""
        if self.kind == "normal":
            return self.clip  # type: ignore[return-value]
        if self.kind == "choice":
            return min(self.args), max(self.args)
        return self.args[0], self.args[-1]

    @property
    def nominal(self) -> float:
        """The central value, reported where one number stands for the prior: the midpoint
        (uniform), the mode (triangular), the clipped mean (normal), the median (choice)."""
        if self.kind == "uniform":
            return (self.args[0] + self.args[1]) / 2
        if self.kind == "triangular":
            return self.args[1]
        if self.kind == "normal":
            return min(max(self.args[0], self.clip[0]), self.clip[1])  # type: ignore[index]
        return float(np.median(self.args))

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """The value at cumulative probability `u` in [0, 1): a uniform u gives a draw."""
        u = np.asarray(u, dtype=float)
        if self.kind == "uniform":
            a, b = self.args
            return a + u * (b - a)
        if self.kind == "triangular":
            a, mode, b = self.args
            if b == a:
                return np.full(u.shape, a)
            corner = (mode - a) / (b - a)
            return np.where(u < corner, a + np.sqrt(u * (b - a) * (mode - a)),
                            b - np.sqrt((1 - u) * (b - a) * (b - mode)))
        if self.kind == "normal":
            mean, sd = self.args
            z = np.array([_NORMAL.inv_cdf(min(max(p, 1e-300), 1 - 1e-16)) for p in u.ravel()])
            return np.clip(mean + sd * z.reshape(u.shape), *self.clip)  # type: ignore[misc]
        values = np.asarray(self.args)
        return values[np.minimum((u * len(values)).astype(int), len(values) - 1)]

    def as_data(self) -> dict[str, list[float]]:
        """The prior as a scenario file writes it."""
        data = {self.kind: list(self.args)}
        if self.clip is not None:
            data["clip"] = list(self.clip)
        return data

    def describe(self) -> str:
        text = f"{self.kind} [{', '.join(f'{v:g}' for v in self.args)}]"
        return text + (f" clipped to [{self.clip[0]:g}, {self.clip[1]:g}]" if self.clip else "")


def is_prior(node: Any) -> bool:
    """Whether a scenario value is written as a distribution."""
    return isinstance(node, Mapping) and any(k in node for k in DISTRIBUTIONS)


def _numbers(value: Any, what: str) -> tuple[float, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in value):
        raise ValueError(f"{what} must be a list of finite numbers")
    return tuple(float(v) for v in value)


def parse_prior(node: Mapping[str, Any], constant: Constant) -> Prior:
    """Validate a distribution written for `constant`; ValueError says what is allowed."""
    allowed = ("uniform: [a, b], triangular: [a, mode, b], normal: [mean, sd] with clip: "
               "[a, b], or choice: [v1, v2, ...]")
    kinds = [k for k in node if k in DISTRIBUTIONS]
    extra = [str(k) for k in node if k not in (*DISTRIBUTIONS, "clip")]
    if len(kinds) != 1 or extra:
        unknown = (f"unknown {', '.join(map(repr, extra))}"
                   f"{suggest(extra[0], (*DISTRIBUTIONS, 'clip'))}: " if extra else "")
        raise ValueError(f"{unknown}a prior names exactly one distribution; allowed: {allowed}")
    kind = kinds[0]
    args = _numbers(node[kind], kind)
    if kind in _ARITY and len(args) != _ARITY[kind]:
        shape = {"uniform": "[a, b]", "triangular": "[a, mode, b]", "normal": "[mean, sd]"}
        raise ValueError(f"{kind} takes {shape[kind]}, got {len(args)} numbers")
    if kind == "choice" and not args:
        raise ValueError("choice needs at least one value")
    if kind in ("uniform", "triangular") and args[0] > args[-1]:
        raise ValueError(f"{kind}: its first value {args[0]:g} (a, the lowest) is above its "
                         f"last {args[-1]:g} (b, the highest); give them lowest first, as {kind} "
                         f"{'[a, b]' if kind == 'uniform' else '[a, mode, b]'}")
    if kind == "triangular" and not args[0] <= args[1] <= args[2]:
        raise ValueError(f"triangular: the mode {args[1]:g} lies outside [{args[0]:g}, "
                         f"{args[2]:g}]")
    clip = None
    if kind == "normal":
        if args[1] <= 0:
            raise ValueError(f"normal: the standard deviation must be > 0, got {args[1]:g}")
        if "clip" not in node:
            raise ValueError("normal needs clip: [a, b] inside the constant's range "
                             f"{constant.allowed()}")
        clip = _numbers(node["clip"], "clip")
        if len(clip) != 2 or clip[0] > clip[1]:
            raise ValueError("clip takes [a, b] with a <= b")
        if not clip[0] <= args[0] <= clip[1]:  # draws would pile up on one bound
            raise ValueError(f"normal: the mean {args[0]:g} lies outside clip [{clip[0]:g}, "
                             f"{clip[1]:g}] (normal takes [mean, sd])")
    elif "clip" in node:
        raise ValueError("clip goes only with normal")
    prior = Prior(kind, args, clip)  # type: ignore[arg-type]
    for value in prior.args if kind == "choice" else prior.support:
        problem = constant.problem(value)
        if problem:
            raise ValueError(f"the prior reaches values the constant cannot take: {problem}")
    return prior


def prior_seed(seed: np.random.SeedSequence) -> np.random.SeedSequence:
    """The child of a replication's seed that its prior draws come from."""
    return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, _PRIOR_STREAM))


def draw(priors: Mapping[str, Prior], seeds: Sequence[np.random.SeedSequence]
         ) -> dict[str, np.ndarray]:
    """Each replication's values (r,) of every constant with a prior, from its own stream."""
    if not priors:
        return {}
    places = {path: draw_place(path) for path in priors}
    count = max(len(constants()), *(place + 1 for place in places.values()))
    uniforms = np.array([np.random.Generator(np.random.SFC64(prior_seed(s))).random(count)
                         for s in seeds]).reshape(len(seeds), count)
    return {path: prior.quantile(uniforms[:, places[path]]) for path, prior in priors.items()}

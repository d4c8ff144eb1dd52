"""Constants that vary by replication: a scenario's priors, or the values of a design point.

A batch of replications may give any numeric constant one value per replication, keyed by its
path in the scenario (`parameters.consensus.base_tolerance`, `calendar_levels.quiet.attention`,
`derivation.imputed.developing.new_rules`); a constant without values keeps its single value.
The rules then read an array (r,) indexed by replication, so a replication's results depend only
on its own values, never on its batch.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

Values = Mapping[str, np.ndarray]  # path -> (r,) one value per replication


def parameter_path(group: str, name: str) -> str:
    """The path of a behavioural parameter (`Parameters.<group>.<name>`)."""
    return f"parameters.{group}.{name}"


def calendar_path(kind: str, level: str) -> str:
    """The path of the attention or pressure of every period of one kind."""
    return f"calendar_levels.{kind}.{level}"


def per_replication(values: Values, path: str, default: float, replications: int) -> np.ndarray:
    """The constant at `path` as one float per replication: its values, or `default` for all;
    a new writable array either way (numba compiles a kernel apart for read-only arrays)."""
    given = values.get(path)
    if given is None:
        return np.full(replications, float(default))
    given = np.array(given, dtype=float)
    if given.shape != (replications,):
        raise ValueError(f"{path}: {given.shape} values for {replications} replications")
    return given


def take(values: Values, rows: slice) -> dict[str, np.ndarray]:
    """The values of some replications (a batch of a larger set)."""
    return {path: np.asarray(v)[rows] for path, v in values.items()}

"""The batch convention of the rules: member arrays (..., n, k) whose leading axes, if any, are
replications. Compiled kernels loop over one flat replication axis instead."""

from __future__ import annotations

from math import prod

import numpy as np


def as_batch(a: np.ndarray, like: np.ndarray | None = None) -> np.ndarray:
    """`a` (broadcast to the shape of `like`, if given) with its leading axes flattened into one:
    (..., rows, columns) -> (r, rows, columns), a view where numpy can make one."""
    shape = a.shape if like is None else like.shape
    if a.shape != shape:
        a = np.broadcast_to(a, shape)
    return a.reshape(prod(shape[:-2]), *shape[-2:])

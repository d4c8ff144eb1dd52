"""The derived preferences as arrays that follow the derivation constants, so that a replication
can draw its own constants without re-deriving the preference table.

Every cell (member, issue) of the table comes from one rule (simulation.inputs.preferences):
stances (a proposal's or a group's), whose position is the salience-weighted mean of the stances'
positions and whose salience is the largest, each stance weighing the salience of its emphasis;
rule 3 (an engaged sponsor on the mandate); or rule 4 (the imputed default of the member's
status). So a cell needs only, per emphasis, the sum and number of its stances' positions, or
which constant it takes; the scenario's overrides are replayed in order on top, the values they
give being constants too (`overrides.<index>.<field>`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.engine.rules import SCALE_MAX, SCALE_MIN
from simulation.engine.varying import Values, per_replication

EMPHASES = ("headline", "stated", "mentioned")
MANDATE_FIELDS = ("position", "salience")  # derivation.engaged_sponsor_mandate
IMPUTED_FIELDS = ("new_rules", "elsewhere", "salience")  # derivation.imputed.<status>
# the values a scenario override may give (overrides.<index>.<field>), in the order it applies them
OVERRIDE_FIELDS = ("set_position", "shift_position", "set_salience", "scale_salience")


def emphasis_path(emphasis: str) -> str:
    """A scenario's dotted path to the salience of a stance of this emphasis."""
    return f"derivation.emphasis_salience.{emphasis}"


def mandate_path(field: str) -> str:
    """A scenario's dotted path to the engaged sponsors' mandate position or salience."""
    return f"derivation.engaged_sponsor_mandate.{field}"


def imputed_path(status: str, field: str) -> str:
    """A scenario's dotted path to the imputed position or salience of members of a status."""
    return f"derivation.imputed.{status}.{field}"


def override_path(index: int, field: str) -> str:
    """A scenario's dotted path to a value its override `index` (from 0) gives."""
    return f"overrides.{index}.{field}"


def derives(path: str) -> bool:
    """Whether the constant at `path` shapes the preference table (the derived cells read it)."""
    return path.startswith(("derivation.", "overrides."))


@dataclass(frozen=True)
class Override:
    """One scenario override on the cells of `mask` (n, k), with the `OVERRIDE_FIELDS` it gives
    (their values are constants: `override_path`)."""

    mask: np.ndarray
    fields: tuple[str, ...]


@dataclass(frozen=True)
class DerivedCells:
    """What each cell of the preference table is made of (n members x k issues)."""

    constants: dict[str, float]  # path -> the scenario's value of each constant it reads
    position_sums: np.ndarray  # (e, n, k) sum of the positions of the stances of each emphasis
    stance_counts: np.ndarray  # (e, n, k) how many stances of each emphasis
    engaged: np.ndarray  # (n, k) bool: rule 3
    status: np.ndarray  # (n, k) int: row of `statuses` for rule 4 cells, -1 otherwise
    statuses: tuple[str, ...]
    new_discipline: np.ndarray  # (k,) bool
    overrides: tuple[Override, ...]

    def preferences(self, values: Values, replications: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions and saliences (r, n, k) with each replication's derivation constants and
        override values (the scenario's where `values` give none)."""
        def constant(path: str) -> np.ndarray:
            return per_replication(values, path, self.constants[path], replications)[:, None,
                                                                                        None]

        r, (n, k) = replications, self.engaged.shape
        weights = [constant(emphasis_path(e)) for e in EMPHASES]
        sums, counts = self.position_sums, self.stance_counts
        weighted = sum(w * p for w, p in zip(weights, sums, strict=True))
        weight = sum(w * c for w, c in zip(weights, counts, strict=True))
        with np.errstate(divide="ignore", invalid="ignore"):
            plain = sums.sum(axis=0) / counts.sum(axis=0)
            position = np.round(np.where(weight > 0, weighted / weight, plain), 3)
        salience = np.max([np.where(c > 0, w, -np.inf) for w, c in zip(weights, counts,
                                                                          strict=True)], axis=0)
        position = np.broadcast_to(position, (r, n, k)).copy()
        salience = np.broadcast_to(salience, (r, n, k)).copy()
        for field, out in zip(MANDATE_FIELDS, (position, salience), strict=True):
            out[:] = np.where(self.engaged, constant(mandate_path(field)), out)
        rules_issue = np.broadcast_to(self.new_discipline, (n, k))
        for row, status in enumerate(self.statuses):
            cells = self.status == row
            on_rules, elsewhere, imputed_salience = (constant(imputed_path(status, field))
                                                     for field in IMPUTED_FIELDS)
            position[:] = np.where(cells, np.where(rules_issue, on_rules, elsewhere), position)
            salience[:] = np.where(cells, imputed_salience, salience)
        for index, override in enumerate(self.overrides):
            mask = override.mask
            given = {field: constant(override_path(index, field))[:, 0]  # (r, 1) per cell
                     for field in override.fields}
            if "set_position" in given:
                position[:, mask] = given["set_position"]
            if "shift_position" in given:
                position[:, mask] = np.clip(position[:, mask] + given["shift_position"],
                                            SCALE_MIN, SCALE_MAX)
            if "set_salience" in given:
                salience[:, mask] = given["set_salience"]
            if "scale_salience" in given:
                salience[:, mask] = np.clip(salience[:, mask] * given["scale_salience"], 0, 1)
        return position, salience

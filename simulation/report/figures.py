"""The standard figures of a results folder, drawn the same way by `mc11 run` and `mc11 plot`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from simulation.inputs.scenario import Scenario
from simulation.report import plots


def position_groups(scenario: Scenario) -> pd.DataFrame:
    """The preference table with each member's group label, for the position heatmap."""
    catalogue = scenario.catalogue
    sponsors = {p.symbol: set(p.sponsors) for p in catalogue.proposals}
    labels = {}
    for member in catalogue.actors:
        if member.code in ("USA", "EUN", "CHN", "IND", "BRA"):
            labels[member.code] = member.name
        elif "african_group" in member.groups:
            labels[member.code] = "African Group"
        elif member.status == "ldc":
            labels[member.code] = "Other LDCs"
        elif any(member.code in s for s in sponsors.values()):
            labels[member.code] = "Other proposal sponsors"
        else:
            labels[member.code] = f"Other {member.status}"
    table = scenario.preferences
    return table.assign(group=table["member"].map(labels))[
        ["member", "group", "issue", "position", "salience"]]


def write_figures(
    folder: Path,
    outcomes: pd.DataFrame,
    table: pd.DataFrame,
    support: pd.DataFrame,
    blockers: pd.DataFrame,
    issues: pd.DataFrame,
    positions: pd.DataFrame,
) -> list[Path]:
    """The standard figures of one results folder, under `plots/`."""
    target = folder / "plots"
    target.mkdir(exist_ok=True)
    return [
        plots.plot_outcomes(table, target / "outcomes.png"),
        plots.plot_text_levels(outcomes, issues, target / "text_levels.png"),
        plots.plot_support(support, issues, target / "support.png"),
        plots.plot_position_heatmap(positions, issues, target / "positions.png"),
        plots.plot_blockers(blockers, target / "blockers.png", issues=issues),
    ]

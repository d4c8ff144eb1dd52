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


def coalition_titles(scenario: Scenario) -> dict[str, str]:
    """Each coalition of the negotiation in words: a proposal's sponsors with their first
    members' names, or a bloc's name."""
    catalogue = scenario.catalogue
    names = {member.code: member.name for member in catalogue.members}
    titles = {}
    for proposal in catalogue.proposals:
        first = ", ".join(names.get(code, code) for code in proposal.sponsors[:2])
        more = " et al." if len(proposal.sponsors) > 2 else ""
        titles[proposal.symbol] = f"Sponsors of {proposal.symbol} ({first}{more})"
    for group in catalogue.group_stances:
        titles[group.id] = f"{group.name} (bloc)"
    return titles


def write_figures(
    folder: Path,
    outcomes: pd.DataFrame,
    table: pd.DataFrame,
    support: pd.DataFrame,
    blockers: pd.DataFrame,
    issues: pd.DataFrame,
    positions: pd.DataFrame,
    coalitions: pd.DataFrame | None = None,
    coalition_names: dict[str, str] | None = None,
) -> list[Path]:
    """The standard figures of one results folder, under `plots/`; `coalitions` (coalitions.csv)
    adds the coalition sizes to the support figure."""
    target = folder / "plots"
    target.mkdir(exist_ok=True)
    return [
        plots.plot_outcomes(table, target / "outcomes.png"),
        plots.plot_text_levels(outcomes, issues, target / "text_levels.png"),
        plots.plot_support(support, issues, target / "support.png", coalitions=coalitions,
                           coalition_names=coalition_names),
        plots.plot_position_heatmap(positions, issues, target / "positions.png"),
        plots.plot_blockers(blockers, target / "blockers.png", issues=issues),
    ]

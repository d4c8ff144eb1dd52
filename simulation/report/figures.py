"""The standard figures of a results folder, drawn the same way by `mc11 run` and `mc11 plot`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulation.engine.negotiation import Negotiation
from simulation.inputs.scenario import Scenario


def position_groups(scenario: Scenario) -> pd.DataFrame:
    """The preference table with each member's group label, for the position heatmap.

    The groups come from the data: the members named on their own (each proposal's first
    sponsor, and the members a group stance names), then each bloc (groups.yaml), then the
    other proposal sponsors, then everyone else by development status."""
    catalogue = scenario.catalogue
    named = [p.sponsors[0] for p in catalogue.proposals]
    named += [code for g in catalogue.group_stances for code in g.applies_to.members or []]
    names = {m.code: m.name for m in catalogue.members}
    sponsors = {code for p in catalogue.proposals for code in p.sponsors}
    blocs = [g for g in catalogue.group_stances if g.bloc]
    labels = {}
    for member in catalogue.actors:
        bloc = next((g.name for g in blocs if g.applies_to.selects(member)), None)
        if member.code in named:
            labels[member.code] = names[member.code]
        elif bloc is not None:
            labels[member.code] = bloc
        elif member.code in sponsors:
            labels[member.code] = "Other proposal sponsors"
        else:
            labels[member.code] = f"Other {STATUS_WORDS.get(member.status, member.status)}"
    order = [names[c] for c in dict.fromkeys(named)] + [g.name for g in blocs] + \
        ["Other proposal sponsors", *(f"Other {w}" for w in STATUS_WORDS.values())]
    table = scenario.preferences
    table = table.assign(group=pd.Categorical(table["member"].map(labels),
                                              categories=list(dict.fromkeys(order))))
    return table.sort_values("group", kind="stable").assign(group=lambda t: t["group"].astype(str))[
        ["member", "group", "issue", "position", "salience"]]


STATUS_WORDS = {"developed": "developed", "developing": "developing", "ldc": "LDCs"}


def bloc_members(scenario: Scenario, negotiation: Negotiation) -> dict[str, list[str]]:
    """Each bloc (groups.yaml, `bloc: true`) by name, with its negotiating members."""
    rows = [i for i, bloc in enumerate(negotiation.bloc) if bloc]
    names = {g.id: g.name for g in scenario.catalogue.group_stances}
    members = np.array(negotiation.members)
    return {names.get(negotiation.coalitions[i], negotiation.coalitions[i]):
            members[negotiation.founders[:, i]].tolist() for i in rows}


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
    levels: pd.DataFrame,
    table: pd.DataFrame,
    support: pd.DataFrame,
    blockers: pd.DataFrame,
    issues: pd.DataFrame,
    positions: pd.DataFrame,
    coalitions: pd.DataFrame | None = None,
    coalition_names: dict[str, str] | None = None,
    blocs: dict[str, list[str]] | None = None,
    target: Path | None = None,
) -> list[Path]:
    """The standard figures of one results folder, under `target` (default `plots/`), from its
    tables: text_levels.csv (`levels`), summary, support, blockers; `coalitions`
    (coalitions.csv) adds the coalition sizes to the support figure."""
    from simulation.report import plots  # matplotlib: imported only when figures are drawn

    target = target or folder / "plots"
    target.mkdir(exist_ok=True)
    return [
        plots.plot_outcomes(table, target / "outcomes.png"),
        plots.plot_text_levels(levels, issues, target / "text_levels.png"),
        *([plots.plot_text_reach(table, target / "text_reach.png")]
          if "p_text_mid" in table else []),
        plots.plot_support(support, issues, target / "support.png", coalitions=coalitions,
                           coalition_names=coalition_names),
        plots.plot_position_heatmap(positions, issues, target / "positions.png"),
        plots.plot_blockers(blockers, target / "blockers.png", issues=issues, blocs=blocs),
    ]

"""Derive every member's position, salience and uncertainty on every issue from the data files.

The rules (the README's "How preferences are derived"), applied in order, each value recording
its source:
1. A sponsor takes the stance of each proposal it sponsored on the issues the proposal raises;
   several proposals on one issue combine as a salience-weighted mean position and the largest
   salience.
2. A member that sponsored nothing on an issue takes the most specific group stance that applies
   to it (named members, then a group such as the African Group, then a development status);
   several stances at the same level combine as in rule 1.
3. A sponsor of any proposal with no stance on the negotiating mandate is taken to back at least
   focused discussions (it tabled a paper for MC11, §4).
4. Everyone else gets the imputed default of its development status (`DerivationRules.imputed`),
   with low salience and wide uncertainty.
Scenario overrides come last (simulation.inputs.overrides). All constants live in `DerivationRules`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pandas as pd

from simulation.engine.derivation import EMPHASES
from simulation.inputs.catalogue import Catalogue, GroupStance, Issue, Member, Stance

TABLE_COLUMNS = [
    "member", "issue", "position", "salience", "position_sd", "salience_sd", "rule", "source",
]


@dataclass(frozen=True)
class DerivationRules:
    """The constants of the derivation rules; a scenario may replace any of them."""

    # Emphasis in the text -> salience: a headline demand matters most (see README, "Data").
    emphasis_salience: dict[str, float] = field(
        default_factory=lambda: {"headline": 0.9, "stated": 0.6, "mentioned": 0.35}
    )
    # Uncertainty (position sd on the 0-100 scale, salience sd) by how direct the evidence is:
    # by the kind of evidence (a proposal for its sponsors ... an imputed default for the rest),
    # widened to at least `reading` or `supposition` for a stance the seed gives only so
    # (catalogue.EVIDENCE).
    uncertainty: dict[str, tuple[float, float]] = field(
        default_factory=lambda: {
            "proposal": (5.0, 0.05),
            "members": (8.0, 0.08),
            "group": (10.0, 0.10),
            "status": (15.0, 0.12),
            "engaged_sponsor": (15.0, 0.12),
            "imputed": (20.0, 0.15),
            "reading": (10.0, 0.10),  # as a group's stance: the seed's words for a group
            "supposition": (20.0, 0.15),  # as an imputed default: no words of the member's
            # a value a scenario override sets is its own assumption, stated as directly as a
            # proposal states a demand (simulation.inputs.overrides.apply_overrides)
            "override": (5.0, 0.05),
        }
    )
    # Rule 3: a proposal sponsor without a mandate stance backs focused discussions (scale mid).
    engaged_sponsor_mandate: tuple[float, float] = (55.0, 0.35)
    # Rule 4: imputed (position on new disciplines, position elsewhere, salience) by status.
    # §2: developed members want quick liberalisation, developing members flexibility; §3: from
    # 2011 developing members and LDCs see e-commerce as important for their industries. The
    # LDCs' 60 elsewhere (5 above developing members) is a judgment, not a sourced figure: the
    # issues not flagged as new disciplines are mostly facilitation and support for development,
    # whose gains go most to the least developed; the baseline's prior on it (45-75) covers 55.
    imputed: dict[str, tuple[float, float, float]] = field(
        default_factory=lambda: {
            "developed": (60.0, 55.0, 0.2),
            "developing": (30.0, 55.0, 0.2),
            "ldc": (15.0, 60.0, 0.15),
        }
    )


EVIDENCE_KINDS = tuple(DerivationRules().uncertainty)
"""The kinds of evidence a value can rest on, each with its own uncertainty."""


@dataclass(frozen=True)
class _Evidence:
    position: float
    salience: float
    kind: str
    source: str
    emphasis: str = ""  # a stance's emphasis; "" for the imputation rules
    evidence: str = "words"  # catalogue.EVIDENCE: how directly the seed gives it


def _combine(evidence: list[_Evidence], rules: DerivationRules) -> dict[str, object]:
    """Salience-weighted mean position, largest salience, widest uncertainty among the sources."""
    weight = sum(e.salience for e in evidence)
    position = (sum(e.position * e.salience for e in evidence) / weight if weight > 0
                else sum(e.position for e in evidence) / len(evidence))
    sds = [_spread(e, rules) for e in evidence]
    return {
        "position": round(position, 3),
        "salience": max(e.salience for e in evidence),
        "position_sd": max(sd[0] for sd in sds),
        "salience_sd": max(sd[1] for sd in sds),
        "source": " + ".join(e.source for e in evidence),
    }


def _spread(evidence: _Evidence, rules: DerivationRules) -> tuple[float, float]:
    """The uncertainty of one piece of evidence: its kind's, at least its reading's."""
    sd = rules.uncertainty[evidence.kind]
    if evidence.evidence == "words":
        return sd
    floor = rules.uncertainty[evidence.evidence]
    return max(sd[0], floor[0]), max(sd[1], floor[1])


def _stance_evidence(stance: Stance, kind: str, origin: str, rules: DerivationRules,
                     seconded: bool = False) -> _Evidence:
    """A stance as evidence; a seconding sponsor's stance is at most a reading of its views."""
    evidence = "reading" if seconded and stance.evidence == "words" else stance.evidence
    how = stance.emphasis if evidence == "words" else f"{stance.emphasis}, a {evidence}"
    return _Evidence(
        position=stance.position,
        salience=rules.emphasis_salience[stance.emphasis],
        kind=kind,
        source=f"{origin} {stance.section} ({how}: {stance.basis})",
        emphasis=stance.emphasis,
        evidence=evidence,
    )


def _selected(member: Member, catalogue: Catalogue) -> list[GroupStance]:
    """The group stances that apply to a member."""
    return [group for group in catalogue.group_stances if group.applies_to.selects(member)]


def _group_evidence(catalogue: Catalogue, rules: DerivationRules
                    ) -> dict[tuple[str, str], _Evidence]:
    """Each group's evidence on each issue it takes a stance on (its own or its blanket one),
    built once: the same for every member the group applies to."""
    found = {}
    for group in catalogue.group_stances:
        chooses = group.applies_to
        kind = "members" if chooses.members else "group" if chooses.group else "status"
        for issue in catalogue.issues:
            if (stance := group.stance_on(issue)) is not None:
                found[group.id, issue.id] = _stance_evidence(
                    stance, kind, f"group stance '{group.id}'", rules)
    return found


def _cells(catalogue: Catalogue, rules: DerivationRules
           ) -> Iterator[tuple[Member, Issue, str, list[_Evidence]]]:
    """Each actor and issue with the rule that decides it and its evidence."""
    sponsored: dict[tuple[str, str], list[_Evidence]] = defaultdict(list)
    papers: dict[str, list[str]] = defaultdict(list)  # member -> the symbols it sponsored
    for proposal in catalogue.proposals:
        for code in proposal.sponsors:
            papers[code].append(proposal.symbol)
        for stance in proposal.stances:
            for code in proposal.sponsors:
                seconded = code in proposal.seconded_by
                origin = f"{proposal.symbol} (seconded)" if seconded else proposal.symbol
                sponsored[code, stance.issue].append(
                    _stance_evidence(stance, "proposal", origin, rules, seconded))

    on_issue = _group_evidence(catalogue, rules)
    for member in catalogue.actors:
        groups = _selected(member, catalogue)
        for issue in catalogue.issues:
            rule, evidence = _evidence_for(member, issue, groups, on_issue, sponsored,
                                           papers.get(member.code, []), catalogue.what_ifs, rules)
            if not evidence:
                rule, evidence = "imputed", [_imputed(member, issue.new_discipline, rules)]
            yield member, issue, rule, evidence


def derive_preferences(catalogue: Catalogue, rules: DerivationRules | None = None) -> pd.DataFrame:
    """One row per actor and issue: position, salience, their uncertainty, the rule and source."""
    rules = rules or DerivationRules()
    combine = _once_per_evidence(lambda evidence: _combine(evidence, rules))
    rows = [{"member": member.code, "issue": issue.id, "rule": rule, **combine(evidence)}
            for member, issue, rule, evidence in _cells(catalogue, rules)]
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def _once_per_evidence(function: Callable[[list[_Evidence]], dict[str, object]]
                       ) -> Callable[[list[_Evidence]], dict[str, object]]:
    """`function` of a cell's evidence, computed once for each distinct evidence (many cells
    share theirs: a group's members, the imputed cells of a status)."""
    found: dict[tuple[_Evidence, ...], dict[str, object]] = {}

    def once(evidence: list[_Evidence]) -> dict[str, object]:
        key = tuple(evidence)
        if key not in found:
            found[key] = function(evidence)
        return found[key]

    return once


def derivation_terms(catalogue: Catalogue, rules: DerivationRules | None = None) -> pd.DataFrame:
    """Per actor and issue, what its derived preference is made of, so that it can follow
    other derivation constants (`engine.derivation`): the sum and number of its stances'
    positions per emphasis, or the imputation rule it takes (`engaged_sponsor`, or the status
    of `default_by_status`)."""
    rules = rules or DerivationRules()
    sums = _once_per_evidence(_stance_sums)
    return pd.DataFrame([{"member": member.code, "issue": issue.id,
                          "engaged": evidence[0].kind == "engaged_sponsor",
                          "status": member.status if evidence[0].kind == "imputed" else "",
                          **sums(evidence)}
                         for member, issue, _, evidence in _cells(catalogue, rules)])


def _stance_sums(evidence: list[_Evidence]) -> dict[str, object]:
    """The sum and number of the evidence's stance positions per emphasis."""
    sums: dict[str, object] = {}
    for emphasis in EMPHASES:
        stances = [e.position for e in evidence if e.emphasis == emphasis]
        sums[f"sum_{emphasis}"], sums[f"count_{emphasis}"] = float(sum(stances)), len(stances)
    return sums


def _evidence_for(
    member: Member,
    issue: Issue,
    groups: list[GroupStance],
    on_issue: dict[tuple[str, str], _Evidence],
    sponsored: dict[tuple[str, str], list[_Evidence]],
    papers: list[str],
    what_ifs: frozenset[str],
    rules: DerivationRules,
) -> tuple[str, list[_Evidence]]:
    """Rules 1 to 3 for one member and issue; an empty list means rule 4 (imputation)."""
    if sponsored.get((member.code, issue.id)):
        return "proposal", sponsored[member.code, issue.id]
    matching = [(g.applies_to.specificity, evidence) for g in groups
                if (evidence := on_issue.get((g.id, issue.id))) is not None]
    if matching:
        top = max(specificity for specificity, _ in matching)
        return "group_stance", [evidence for specificity, evidence in matching
                                if specificity == top]
    if issue.negotiating_mandate and papers:
        position, salience = rules.engaged_sponsor_mandate
        source = ("rule engaged_sponsor: tabled a 2016 proposal for MC11, so backs focused "
                  "talks (§4)") if set(papers) - what_ifs else (
                  f"rule engaged_sponsor: sponsors the scenario's what-if "
                  f"paper{'s' if len(papers) > 1 else ''} {', '.join(papers)}, so backs focused "
                  "talks as the 2016 sponsors do (§4)")
        return "engaged_sponsor", [_Evidence(position, salience, "engaged_sponsor", source)]
    return "imputed", []


def _imputed(member: Member, new_discipline: bool, rules: DerivationRules) -> _Evidence:
    on_rules, elsewhere, salience = rules.imputed[member.status]
    position = on_rules if new_discipline else elsewhere
    what = "new disciplines" if new_discipline else "other issues"
    source = f"rule default_by_status: {member.status} members on {what} (§2, §3 reading)"
    return _Evidence(position, salience, "imputed", source)


def member_attributes(catalogue: Catalogue) -> pd.DataFrame:
    """Per actor: capability, status, Doha linkage and the bloc it belongs to (from groups.yaml)."""
    rows = []
    for member in catalogue.actors:
        applying = _selected(member, catalogue)
        blocs = [g.id for g in applying if g.bloc]
        rows.append({
            "member": member.code,
            "name": member.name,
            "status": member.status,
            "capability": member.capability,
            "doha_linked": any(g.doha_linked for g in applying),
            "bloc": blocs[0] if blocs else "",
        })
    return pd.DataFrame(rows)

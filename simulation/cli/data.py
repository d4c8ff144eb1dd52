"""`mc11 issues`, `mc11 members`, `mc11 preferences`: the data the model starts from."""

from __future__ import annotations

import argparse

from simulation.cli.common import (
    add_output_options,
    check_ids,
    emit,
    file_or_folder,
    load_noting,
)
from simulation.errors import InputError


def _filter(frame, column: str, wanted: list[str] | None, known: list[str],
            unknown=None):
    """Keep the rows whose column is among the wanted ids (`check_ids`)."""
    check_ids(wanted, known, column, unknown)
    return frame[frame[column].isin(wanted)] if wanted else frame


def show_issues(args: argparse.Namespace) -> None:
    """`mc11 issues`: the issue catalogue with each scale's described points."""
    import pandas as pd

    from simulation.inputs.catalogue import default_catalogue

    frame = pd.DataFrame([
        {"issue": i.id, "title": i.title, "cluster": i.cluster, "status_quo": i.status_quo,
         "new_discipline": i.new_discipline, "low (0)": i.scale.low, "mid (50)": i.scale.mid,
         "high (100)": i.scale.high,
         "sections": " ".join(i.sections)}
        for i in default_catalogue().issues
    ])
    emit(frame, args.format, args.out)


def show_members(args: argparse.Namespace) -> None:
    """`mc11 members`: the WTO members with their groups, proposals and trade weight."""
    import pandas as pd

    from simulation.inputs.catalogue import default_catalogue

    catalogue = default_catalogue()
    sponsorship: dict[str, list[str]] = {}
    for proposal in catalogue.proposals:
        for code in proposal.sponsors:
            sponsorship.setdefault(code, []).append(proposal.symbol)
    frame = pd.DataFrame([
        {"member": m.code, "name": m.name, "status": m.status,
         "represented_by": m.represented_by, "groups": ";".join(sorted(m.groups)),
         "sponsored": ";".join(sponsorship.get(m.code, [])), "capability": m.capability,
         "capability_basis": m.capability_basis}
        for m in catalogue.members
    ])
    emit(frame, args.format, args.out)


def show_stances(args: argparse.Namespace) -> None:
    """`mc11 stances`: the group stances that are not proposals (groups.yaml, or a scenario's
    after its replacements and additions), with the flags and ids a what-if file restates."""
    import pandas as pd

    from simulation.inputs.catalogue import default_catalogue

    catalogue = load_noting(args.scenario).catalogue if args.scenario else default_catalogue()

    def applies_to(stance) -> str:
        selector = stance.applies_to
        if selector.group is not None:
            return f"group: {selector.group}"
        kind = "members" if selector.members is not None else "status"  # an empty list too
        return f"{kind}: {';'.join(getattr(selector, kind))}"

    def blanket(stance) -> str:
        rule = stance.on_new_disciplines
        return "" if rule is None else f"{rule.position:g} {rule.emphasis}"

    frame = pd.DataFrame([
        {"stance": g.id, "name": g.name, "applies_to": applies_to(g),
         "members": sum(g.applies_to.selects(m) for m in catalogue.members),
         "leader": g.leader or "", "doha_linked": g.doha_linked, "bloc": g.bloc,
         "stances": ";".join(f"{s.issue}={s.position:g} {s.emphasis}" for s in g.stances),
         "on_new_disciplines": blanket(g), "source": g.source}
        for g in catalogue.group_stances
    ])
    emit(frame, args.format, args.out)


def show_preferences(args: argparse.Namespace) -> None:
    """`mc11 preferences`: each member's derived position and salience per issue, with the
    rule and source each comes from (a scenario's, with its edits, if one is given)."""
    from simulation.inputs.catalogue import default_catalogue
    from simulation.inputs.preferences import derive_preferences

    if args.scenario:  # a what-if's table: its proposals, stances and overrides applied
        scenario = load_noting(args.scenario)
        catalogue, table = scenario.catalogue, scenario.preferences
        left_out = [code for code in args.member or []
                    if code in scenario.spec.participants.exclude]
        if left_out:
            raise InputError("--member", "member", f"{', '.join(left_out)}: left out of "
                             f"{scenario.name} by its participants.exclude")
    else:
        catalogue = default_catalogue()
        table = derive_preferences(catalogue)
    table = _filter(table, "member", args.member, [m.code for m in catalogue.actors],
                    catalogue.not_an_actor)
    table = _filter(table, "issue", args.issue, catalogue.issue_ids)
    emit(table, args.format, args.out)


def register(commands: argparse._SubParsersAction) -> None:
    """Add the data commands to the `mc11` parser."""
    issues = commands.add_parser("issues", help="list the negotiating issues and their scales")
    add_output_options(issues)
    issues.set_defaults(handler=show_issues)

    members = commands.add_parser("members", help="list the WTO members and their groups")
    add_output_options(members)
    members.set_defaults(handler=show_members)

    stances = commands.add_parser("stances", help="list the group stances that are not "
                                  "proposals (African Group, LDCs, India's Doha linkage, ...)")
    stances.add_argument("scenario", nargs="?", metavar="SCENARIO", type=file_or_folder,
                         help="a scenario file: its stances, those it replaces or adds included "
                              "(default: the shipped ones, simulation/data/groups.yaml)")
    add_output_options(stances)
    stances.set_defaults(handler=show_stances)

    prefs = commands.add_parser(
        "preferences", help="show the member x issue preferences derived from the 2016 proposals"
    )
    prefs.add_argument("scenario", nargs="?", metavar="SCENARIO", type=file_or_folder,
                       help="a scenario file: its table, overrides applied (default: the 2016 "
                            "data as the baseline reads them)")
    prefs.add_argument("--member", action="append", help="only this member (ISO3; repeatable)")
    prefs.add_argument("--issue", action="append", help="only this issue id (repeatable)")
    add_output_options(prefs)
    prefs.set_defaults(handler=show_preferences)

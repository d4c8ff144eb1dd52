"""`mc11 explain`'s table in words: a bloc acting as one on one row, each member's bloc."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from simulation.report.summary import with_blocs


def member_blocs(members: Iterable[str], blocs: Mapping[str, Sequence[str]]) -> list[str]:
    """Each member's bloc by name, "" for a member of none (';' joins several)."""
    return [";".join(bloc for bloc, codes in blocs.items() if member in codes)
            for member in members]


EXPLAIN_SHARES = ("blocked", "last_to_accept")  # the shares a bloc's row stands for


def explained_by_bloc(table: pd.DataFrame, blocs: Mapping[str, Sequence[str]]
                      ) -> tuple[pd.DataFrame, dict[str, str]]:
    """`mc11 explain`'s table with a bloc's members with the same shares (EXPLAIN_SHARES) on one
    row, named as `with_blocs` names it, their means; per such row, a sentence saying so."""
    row_of: dict[str, str] = {}  # member: the bloc's row it is on
    said: dict[str, str] = {}  # per bloc's row, what it stands for
    for bloc, codes in blocs.items():
        inside = table[table["member"].isin(codes) & ~table["member"].isin(row_of)]
        for _, group in inside.groupby(list(EXPLAIN_SHARES), sort=False):
            named = with_blocs(sorted(group["member"]), {bloc: codes})
            if len(named) == len(group):  # too few of the bloc for its name
                continue
            row_of.update(dict.fromkeys(group["member"], named[0]))
            others = inside.loc[~inside["member"].isin(group["member"]), "member"]
            said[named[0]] = (
                f"{named[0]}: one row, the means of its {len(group)} members with the same "
                f"shares (start {_from_to(group['start'])} and at MC11 "
                f"{_from_to(group['at_mc11'])} among them)"
                + (f"; its members with other shares keep rows of their own: "
                   f"{', '.join(others)}" if len(others) else ""))
    figures = {column: "first" if column in EXPLAIN_SHARES else "mean"
               for column in table.columns if column != "member"}
    rows = (table.assign(member=[row_of.get(member, member) for member in table["member"]])
            .groupby("member", sort=False).agg(figures).reset_index())
    return rows, said


def _from_to(values: pd.Series) -> str:
    """The range of `values` in words to one decimal, "2.9 to 4.8"."""
    return f"{values.min():.1f} to {values.max():.1f}"

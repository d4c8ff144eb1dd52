"""What a replication records, declared once: each output's shape, storage, combination and table.

The engine's `RunResult`, the chunk files of `runs.ensemble`, the combination of an ensemble's
chunks, the results folder's tables (`report.tables`) and the README's table of files are all
built from `OUTPUTS` and `TABLES`: a new output is one line in `OUTPUTS` (and the model filling
it); a new kind of table, one line in `TABLES` and its writer in `report.tables`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

MANIFEST = "run.json"
"""The file of an `mc11 run` results folder recording its run (and marking the folder as one)."""
FOLDER_READERS = "`mc11 plot`, `compare` or `explain`"
"""The commands that read an `mc11 run` results folder, as the messages name them."""
DESIGN = "design.json"
"""The file of a sweep's or sensitivity design's folder recording its design."""
JOURNAL = "trials.journal"
"""The file of an `mc11 calibrate` folder holding its trials."""


class Storage(Enum):
    """How an output's array is kept in a chunk file (.npz)."""

    DEFLATE = "deflated"
    BITS = "bit-packed along the member axis, deflated"
    RAW = "stored uncompressed (float noise deflate hardly shrinks, at ten times the cost)"


class Combine(Enum):
    """How the runs of an ensemble are combined into the results folder's tables."""

    ROWS = "a column of the outcomes table, one row per run x issue"
    MEMBER_LIST = "a ';'-joined member list in the outcomes table; per issue x member shares"
    SPREAD = "per period: n_runs, mean and 10th-90th percentile over runs"


@dataclass(frozen=True)
class Output:
    """One per-run output: `axes` after the replication axis, the engine's dtype, the dtype and
    storage in a chunk, how runs are combined, the tables it feeds and a line of documentation."""

    name: str
    axes: tuple[str, ...]
    dtype: str
    stored: str
    storage: Storage
    combine: Combine
    tables: tuple[str, ...]
    doc: str
    column: str = ""  # the prefix of its statistics' columns (SPREAD outputs)
    # the range its reported percentiles are taken over (histograms beyond runs.aggregate's
    # EXACT_RUNS); MEMBERS: whole counts from 0 to the number of members; None: none reported
    scale: tuple[float, float] | str | None = None


MEMBERS = "members"
"""The scale of an output that counts members: whole numbers from 0 to the member count."""


@dataclass(frozen=True)
class Table:
    """A file of a complete results folder built from the outputs, and what it holds."""

    file: str
    doc: str


PER_ISSUE = ("issue",)
PER_MEMBER_ISSUE = ("member", "issue")
PER_PERIOD_ISSUE = ("period", "issue")
PER_PERIOD_COALITION = ("period", "coalition")

OUTPUTS = (
    Output("outcome", PER_ISSUE, "int8", "int8", Storage.DEFLATE, Combine.ROWS,
           ("outcomes.parquet", "summary.csv"),
           "MC11's verdict (multilateral, plurilateral or none)"),
    Output("text", PER_ISSUE, "float64", "float64", Storage.DEFLATE, Combine.ROWS,
           ("outcomes.parquet", "summary.csv", "text_levels.csv"),
           "the agreed text level on the issue's 0-100 scale, empty without agreement",
           scale=(0.0, 100.0)),
    Output("coverage", PER_ISSUE, "float64", "float64", Storage.DEFLATE, Combine.ROWS,
           ("outcomes.parquet", "summary.csv"),
           "the share of trade a plurilateral deal covers, empty otherwise", scale=(0.0, 1.0)),
    Output("median_position", PER_ISSUE, "float64", "float64", Storage.DEFLATE, Combine.ROWS,
           ("outcomes.parquet",),
           "the capability x salience weighted median position after the last month's "
           "bargaining, on the 0-100 scale (the chair's last text before the ministerial; "
           "Bueno de Mesquita's forecast)"),
    Output("blockers", PER_MEMBER_ISSUE, "bool", "bool", Storage.BITS, Combine.MEMBER_LIST,
           ("outcomes.parquet", "blockers.csv", "summary.csv"),
           "the members that blocked consensus"),
    Output("plurilateral_members", PER_MEMBER_ISSUE, "bool", "bool", Storage.BITS,
           Combine.MEMBER_LIST, ("outcomes.parquet", "plurilateral_membership.csv"),
           "the members of the plurilateral deal"),
    Output("support", PER_PERIOD_ISSUE, "float64", "float32", Storage.RAW, Combine.SPREAD,
           ("support.csv",), "support for the chair's text (capability share accepting it)",
           column="support", scale=(0.0, 1.0)),
    Output("mean_position", PER_PERIOD_ISSUE, "float64", "float32", Storage.RAW, Combine.SPREAD,
           ("positions_over_time.csv",),
           "the capability x salience weighted mean position on the 0-100 scale",
           column="position", scale=(0.0, 100.0)),
    Output("coalition_sizes", PER_PERIOD_COALITION, "int32", "int16", Storage.DEFLATE,
           Combine.SPREAD, ("coalitions.csv",),
           "members per coalition (proposal sponsors and blocs) after the month's coalition "
           "round", column="size", scale=MEMBERS),
)

OUTPUT = {output.name: output for output in OUTPUTS}


_MEMBER_TEXT = (" (one text of member codes joined by `;`, e.g. `IND;MMR`, empty where there are "
                "none: `.str.split(\";\")` gives lists)")
"""How the outcomes table holds a MEMBER_LIST output."""

TABLES = (
    Table("outcomes.parquet", "one row per replication x issue (columns run, issue, then "
          + "; ".join(f"{o.name}: {o.doc}" + (_MEMBER_TEXT if o.combine is Combine.MEMBER_LIST
                                               else "")
                      for o in OUTPUTS if o.combine is not Combine.SPREAD)
          + "; then, per constant with a prior, draw:<constant>: the value the run drew)"),
    Table("summary.csv", "per issue: P(multilateral), P(plurilateral), P(none) with Wilson 95% "
          "intervals, modal outcome, median and 10th-90th percentile of the agreed text level, "
          "median plurilateral coverage, top blockers (every member tied with the top three, then "
          "the next distinct share; ties joined by '=', a bloc blocking as one named once), "
          "P(agreed text reaches the scale's mid / high point) with Wilson 95% intervals "
          "(p_text_mid, p_text_high), the median text in the scale's words"),
    Table("summary.json", "summary.csv as a list of records"),
    Table("priors.csv", "only if the scenario has priors: per uncertain constant, its prior and "
          "the mean, 5% and 95% quantiles of the runs' draws (a choice prior's quantiles are "
          "values it drew)"),
    Table("text_levels.csv", "per issue and kind of agreement (multilateral, plurilateral): "
          "n_runs and the 10th, 25th, 50th, 75th and 90th percentile of the agreed text level"),
    *(Table(o.tables[0], f"per month and {o.axes[1]}: n_runs, mean and 10th-90th percentile "
            f"over runs ({o.column}_mean, {o.column}_p10, {o.column}_p90) of {o.doc}")
      for o in OUTPUTS if o.combine is Combine.SPREAD),
    *(Table(o.tables[1], f"per issue and member: count and share of runs listing it among "
            f"{o.doc}") for o in OUTPUTS if o.combine is Combine.MEMBER_LIST),
)


def table_rows() -> list[str]:
    """The README's rows (markdown) for the results folder's output tables."""
    return [f"| `{table.file}` | {table.doc} |" for table in TABLES]

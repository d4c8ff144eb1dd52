"""Report: statistics, tables and figures made from the outcomes of a run."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

FIGURE_FORMATS = {"png": {"pil_kwargs": {"compress_level": 3}},
                  "pdf": {"metadata": {"CreationDate": None}},
                  "svg": {"metadata": {"Date": None}}}
"""The file formats a figure is written in (`--figure-format`, a file's ending), each with what
matplotlib's savefig is given besides: PNG at a fast compression level; PDF and SVG (vector, for
journals) without the time of drawing, so that the same tables give the same bytes. Plain data,
so that the command line reads it without importing matplotlib."""
DEFAULT_FIGURE_FORMAT = "png"


def counted(number: int, noun: str) -> str:
    """A count with its noun in the singular or plural: '1 proposal', '3 proposals'."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def json_records(frame: pd.DataFrame) -> str:
    """A frame as JSON records, each float written as the CSV writes it (the shortest text that
    reads back as the same number; pandas' `to_json` rounds to 10 decimals), NaN as null."""
    import numpy as np

    records = json.loads(frame.to_json(orient="records", force_ascii=False))
    for column in frame.columns:
        for record, value in zip(records, frame[column].to_numpy(), strict=True):
            if isinstance(value, float | np.floating):  # a float32's shortest text too
                record[str(column)] = float(str(value)) if math.isfinite(value) else None
    return json.dumps(records, indent=1, ensure_ascii=False) + "\n"

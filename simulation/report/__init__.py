"""Report: statistics, tables and figures made from the outcomes of a run."""

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

"""Fixtures shared by several test modules."""

from pathlib import Path

import pytest

from simulation.inputs.deu import convert_deu, write_long_csv
from simulation.inputs.importers import read_dataset

DEU = Path(__file__).parent / "data" / "deu3_synthetic.csv"


@pytest.fixture(scope="module")
def long_csv(tmp_path_factory) -> Path:
    """The synthetic DEU III file converted to a long CSV with a negotiation column."""
    path = tmp_path_factory.mktemp("deu") / "deu.csv"
    write_long_csv(convert_deu(DEU), path)
    return path


@pytest.fixture(scope="module")
def dataset(long_csv):
    """That long CSV read as a dataset of many negotiations."""
    return read_dataset(long_csv)

"""Fixtures shared by several test modules."""

import signal
from pathlib import Path

import pytest
from hypothesis import settings

from simulation.inputs.deu import convert_deu, write_long_csv
from simulation.inputs.importers import read_dataset
from simulation.runs import compiling

DEU = Path(__file__).parent / "data" / "deu3_synthetic.csv"

# No time limit on a hypothesis example: a limit fails a test on a busy machine (an example
# taking 0.4 s under load, 0.5 ms alone), and speed is measured by benchmarks/, not by tests.
settings.register_profile("mc11", deadline=None)
settings.load_profile("mc11")

# Started in the background of a script, the tests inherit SIGINT ignored, and so would the
# commands they start: the tests of Ctrl-C need it as a terminal gives it (KeyboardInterrupt).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


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


@pytest.fixture(autouse=True)
def registered_speeds(monkeypatch):
    """Estimates at the registry's speeds, not at those `mc11 compile` measured on this
    machine, so that what a test of an estimate sees does not depend on the machine."""
    monkeypatch.setattr(compiling, "measured_speeds", dict)

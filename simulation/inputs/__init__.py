"""Inputs: data, scenario and user files read and validated once, turned into engine objects.

Every problem becomes an `InputError` naming the file, the field and what is allowed.
"""

from pathlib import Path

DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
DEFAULT_ROUNDS = 12  # rounds of a run on own data when the user names none
MAX_ROUNDS = 1000  # rounds a run on own data may have: its synthetic calendar's months
SEED_LIMIT = 2**63  # master seeds run from 0 to this - 1 (numpy's SeedSequence takes them here)
MAX_RUNS = 10_000_000  # replications an ensemble may ask for (its outcomes take ~49 GB)

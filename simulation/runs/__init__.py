"""Runs: Monte Carlo ensembles on worker processes, results folders, forecasts on own data."""

from simulation.inputs import DEFAULT_ROUNDS, MAX_ROUNDS

__all__ = ["DEFAULT_ROUNDS", "MAX_ROUNDS"]

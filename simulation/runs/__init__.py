"""Runs: Monte Carlo ensembles on worker processes, results folders, forecasts on own data."""

DEFAULT_ROUNDS = 12  # rounds of a forecast on own data when the user names none

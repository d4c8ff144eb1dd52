"""Runs: Monte Carlo ensembles on worker processes, results folders, forecasts on own data."""

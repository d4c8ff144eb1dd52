"""The what-if dashboard: a Solara page over the ensemble engine (`mc11 dashboard`)."""

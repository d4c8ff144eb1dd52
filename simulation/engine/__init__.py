"""The engine: one batch of replications of a negotiation, from arrays to verdicts.

It reads no files: a `Negotiation` (arrays), `Parameters` and seeds go in, a `RunResult` comes
out. The rules are pure array functions (coalitions, protocols, exchange, consensus) that the
Mesa classes (`agents`, `model`) orchestrate.
"""

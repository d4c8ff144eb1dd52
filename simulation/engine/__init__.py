"""The engine: one batch of replications of a negotiation, from arrays to verdicts.

It reads no data files: a `Negotiation` (arrays), `Parameters` and seeds go in, a `RunResult`
comes out. The rules are pure array functions (coalitions, protocols, exchange, consensus) that
the Mesa classes (`agents`, `model`) orchestrate; most are compiled with numba, whose machine
code is kept in a folder per engine source (`machine_code`).
"""

from simulation.engine.machine_code import use_versioned_cache

# before any module of the engine defines a compiled rule: numba fixes a rule's cache folder then
MACHINE_CODE = use_versioned_cache()

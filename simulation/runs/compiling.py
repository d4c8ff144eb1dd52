"""Compiling the model's rules for every protocol at once (`mc11 compile`, run by the install).

numba compiles a rule the first time a process meets it and caches the machine code on disk, so
without this the first run of each protocol pays its compilation (on the project's 2-core
machine: 29 s for the rules every protocol shares, 17-39 s more for each protocol; see
`docs/performance.md`). One replication of each protocol, and of each choice of a setting that
selects other rules (the exchange rule), compiles and caches all of them.
"""

from __future__ import annotations

import multiprocessing
import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed

from simulation.engine.negotiation import Negotiation
from simulation.engine.parameters import Parameters
from simulation.engine.protocols import REGISTRY
from simulation.inputs.priors import Prior
from simulation.runs.ensemble import compile_rules, mark_rules_compiled
from simulation.runs.workers import end_quietly_when_stopped


def rule_variants(parameters: Parameters) -> dict[str, list[tuple[str, Parameters]]]:
    """By protocol of the registry: `parameters` under it with its choice settings at their
    defaults, then under each other choice of those settings, each with its name in words."""
    variants = {}
    for spec in REGISTRY:
        defaults = {s.name: s.default for s in spec.settings if s.choices}
        changes = [("", {})] + [(f", {s.name} {choice}", {s.name: choice})
                                for s in spec.settings for choice in s.choices
                                if choice != s.default]
        variants[spec.name] = []
        for words, change in changes:
            bargaining = parameters.bargaining.model_copy(
                update={"protocol": spec.name, **defaults, **change})
            variants[spec.name].append(
                (f"{spec.name}{words}", parameters.model_copy(update={"bargaining": bargaining})))
    return variants


def _compile(negotiation: Negotiation, variants: list[tuple[str, Parameters]],
             priors: Mapping[str, Prior]) -> list[str]:
    """Compile the rules of a protocol's variants, one after another (they share most), each
    as a run without priors takes them (`mc11 simulate`) and as one drawing the `priors`."""
    for _, parameters in variants:
        compile_rules(negotiation, parameters)
        compile_rules(negotiation, parameters, priors)
    return [name for name, _ in variants]


def compile_every_rule(negotiation: Negotiation, parameters: Parameters,
                       priors: Mapping[str, Prior], workers: int,
                       compiled: Callable[[str], None]) -> None:
    """Compile (or load from numba's cache) the rules of every variant of `rule_variants`,
    without and with draws from the `priors`, calling `compiled` with each
    one's name when it is done. The first protocol's run here, which compiles the rules every
    protocol shares once; then each other protocol's on one of `workers` forked processes,
    which inherit them."""
    first, *rest = rule_variants(parameters).values()
    parallel = workers > 1 and "fork" in multiprocessing.get_all_start_methods()
    for variants in [first] if parallel else [first, *rest]:
        for name in _compile(negotiation, variants, priors):
            compiled(name)
    if parallel:
        with warnings.catch_warnings():  # this process's threads hold no lock numba needs
            warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                     initializer=end_quietly_when_stopped) as pool:
                for task in as_completed([pool.submit(_compile, negotiation, variants, priors)
                                          for variants in rest]):
                    for name in task.result():
                        compiled(name)
    mark_rules_compiled()

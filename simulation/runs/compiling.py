"""Compiling the model's rules for every protocol at once (`mc11 compile`, run by the install).

numba compiles a rule the first time a process meets it and caches the machine code on disk, so
without this the first run of each protocol pays its compilation (on the project's 2-core
machine: 29 s for the rules every protocol shares, 17-39 s more for each protocol; see
`docs/performance.md`). One replication of each protocol, and of each choice of a setting that
selects other rules (the exchange rule), compiles and caches all of them. Then each variant's
speed on this machine is measured, for the estimates before long work (`measured_rate`).
"""

from __future__ import annotations

import multiprocessing
import time
import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed

from simulation.engine.negotiation import Negotiation
from simulation.engine.parameters import BargainingParameters, Parameters
from simulation.engine.protocols import PROTOCOLS, REGISTRY, size_scale
from simulation.inputs.priors import Prior
from simulation.runs.ensemble import (
    CHUNK_SIZE,
    compile_rules,
    mark_rules_compiled,
    measured_speeds,
    run_chunk,
)
from simulation.runs.workers import end_quietly_when_stopped

MEASURE_SECONDS = 1.0  # CPU time of the replications timed for a variant's speed
WORKER_SHARE = 0.92
"""A worker's share of one process's speed while every core works: 2 workers ran 1.82-1.86
times one worker's replications a second (section b of `benchmarks/bench_ensemble.py`,
2026-12-01), as the registry's figures, halved rates on 2 workers, already include."""


def variant_name(bargaining: BargainingParameters) -> str:
    """A protocol's rule variant in words: its name, then each choice setting not at its
    default (`exchange, exchange_rule reference`)."""
    spec = PROTOCOLS[bargaining.protocol]
    return spec.name + "".join(f", {s.name} {getattr(bargaining, s.name)}"
                               for s in spec.settings
                               if s.choices and getattr(bargaining, s.name) != s.default)


def rule_variants(parameters: Parameters) -> dict[str, list[tuple[str, Parameters]]]:
    """By protocol of the registry: `parameters` under it with its choice settings at their
    defaults, then under each other choice of those settings, each with its name in words."""
    variants = {}
    for spec in REGISTRY:
        defaults = {s.name: s.default for s in spec.settings if s.choices}
        changes = [{}] + [{s.name: choice} for s in spec.settings for choice in s.choices
                          if choice != s.default]
        variants[spec.name] = []
        for change in changes:
            bargaining = parameters.bargaining.model_copy(
                update={"protocol": spec.name, **defaults, **change})
            variant = parameters.model_copy(update={"bargaining": bargaining})
            variants[spec.name].append((variant_name(bargaining), variant))
    return variants


def measure_speed(negotiation: Negotiation, parameters: Parameters,
                  priors: Mapping[str, Prior]) -> float:
    """Replications a second a worker runs under `parameters` on this machine, its rules
    compiled, on a negotiation of the baseline's size (`size_scale`): the CPU time of a chunk of
    replications of `negotiation` with the `priors` drawn, as an ensemble's workers run them.
    A chunk's own costs weigh on small ones (a chunk of 1 ran at 0.26-0.95 of a chunk of 50's
    rate), so the chunk doubles until it takes MEASURE_SECONDS or is an ensemble's chunk."""
    def cpu_seconds(size: int) -> float:
        start = time.process_time()
        run_chunk(negotiation, parameters, 0, 0, size, priors)
        return time.process_time() - start

    size, spent = 1, cpu_seconds(1)
    while spent < MEASURE_SECONDS and size < CHUNK_SIZE:
        size = min(2 * size, CHUNK_SIZE)
        spent = cpu_seconds(size)
    timed = size
    while spent < MEASURE_SECONDS:
        spent, timed = spent + cpu_seconds(size), timed + size
    size_of = (len(negotiation.members), len(negotiation.issues), len(negotiation.calendar))
    return WORKER_SHARE * timed / spent * size_scale(*size_of)


def _compile(negotiation: Negotiation, variants: list[tuple[str, Parameters]],
             priors: Mapping[str, Prior]) -> list[tuple[str, float]]:
    """Compile the rules of a protocol's variants, one after another (they share most), each
    as a run without priors takes them (`mc11 simulate`) and as one drawing the `priors`; then
    measure each one's speed. Each variant's name and speed."""
    done = []
    for name, parameters in variants:
        compile_rules(negotiation, parameters)
        compile_rules(negotiation, parameters, priors)
        done.append((name, measure_speed(negotiation, parameters, priors)))
    return done


def measured_rate(bargaining: BargainingParameters) -> float | None:
    """Replications a second a worker runs under a `bargaining:` section on this machine, as
    `mc11 compile` measured it (scaled to the baseline's size): its variant's own figure, or, for
    a combination of choices it did not measure, the registered figure scaled as this machine
    scaled the protocol's defaults; None if `mc11 compile` has not measured the rules as they
    are now."""
    speeds = measured_speeds()
    name = variant_name(bargaining)
    if name in speeds:
        return speeds[name]
    spec = PROTOCOLS[bargaining.protocol]
    if spec.name not in speeds:
        return None
    registered, _ = spec.speed.of(bargaining)
    return registered * speeds[spec.name] / spec.speed.runs_per_second


def compile_every_rule(negotiation: Negotiation, parameters: Parameters,
                       priors: Mapping[str, Prior], workers: int,
                       compiled: Callable[[str, float], None]) -> None:
    """Compile (or load from numba's cache) the rules of every variant of `rule_variants`,
    without and with draws from the `priors`, and measure their speeds, calling `compiled` with
    each one's name and speed when it is done; keep the speeds with the stamp of compiled rules
    (`measured_rate` reads them). The first protocol's run here, which compiles the rules every
    protocol shares once; then each other protocol's on one of `workers` forked processes,
    which inherit them."""
    first, *rest = rule_variants(parameters).values()
    parallel = workers > 1 and "fork" in multiprocessing.get_all_start_methods()
    speeds: dict[str, float] = {}

    def done(variants: list[tuple[str, float]]) -> None:
        for name, rate in variants:
            speeds[name] = rate
            compiled(name, rate)

    for variants in [first] if parallel else [first, *rest]:
        done(_compile(negotiation, variants, priors))
    if parallel:
        with warnings.catch_warnings():  # this process's threads hold no lock numba needs
            warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                     initializer=end_quietly_when_stopped) as pool:
                for task in as_completed([pool.submit(_compile, negotiation, variants, priors)
                                          for variants in rest]):
                    done(task.result())
    mark_rules_compiled(speeds)

"""The bargaining protocols: the one place that declares each protocol and its parameters.

Every protocol is one module of this package with a class that implements `base.Protocol`, plus
one `ProtocolSpec` line in `REGISTRY` below: its name, what it does, the module and class, and
the parameters it reads (defaults, ranges, meaning). The scenario schema
(`parameters.BargainingParameters`), the CLI's `--protocol` choices, `forecast` and the README's
protocol table are all generated from `REGISTRY`.

This module imports nothing heavy (no numpy, no numba): the CLI builds its parser from `NAMES`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulation.engine.protocols.base import Protocol


@dataclass(frozen=True)
class Setting:
    """One parameter of a protocol, in the scenario's flat `bargaining:` section.

    Numbers take `low <= value <= high`; a setting with `choices` takes one of them.
    """

    name: str
    default: Any
    meaning: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    def allowed(self) -> str:
        """What the setting accepts, in words."""
        if self.choices:
            return " or ".join(f"`{choice}`" for choice in self.choices)
        return f"{self.low:g} to {self.high:g}"


BASELINE_SIZE = (136, 25, 16)
"""Members, issues and periods of the shipped baseline, the negotiation the speeds below were
measured on (tests/test_estimate.py checks it against the shipped data)."""

SMALLEST_SHARE = 1 / 16
"""The least share of a baseline run's time a smaller negotiation's run is estimated at. Measured
on 2026-12-02 (09:38 UTC) on the Decide sample (tests/data/decide_sample_data.csv: 10 actors,
6 issues, 12 rounds, 1/75 of the baseline's size) with `mc11 forecast --workers 1`, the runs
beyond the first 4,000: compromise 25,000 runs/s (32x the baseline's), exchange (once) 909 (72x),
challenge 1,740 (65x); 1/16 keeps the estimate on the long side for all three."""


@dataclass(frozen=True)
class Speed:
    """How fast a protocol runs, for the estimate before long work: replications a second per
    worker, all cores working, on a negotiation of the baseline's size at the settings'
    defaults (measured, see `REGISTRY`); `by_choice`: the figures for other choices of a choice
    `setting` that changes the work (the exchange rule)."""

    runs_per_second: float
    setting: str = ""
    by_choice: tuple[tuple[str, float], ...] = ()

    def of(self, params: Any) -> tuple[float, str]:
        """The figure for a scenario's `bargaining:` section, and the setting it is for."""
        if not self.setting:
            return self.runs_per_second, ""
        choice = getattr(params, self.setting)
        return dict(self.by_choice).get(choice, self.runs_per_second), f"{self.setting} {choice}"


@dataclass(frozen=True)
class ProtocolSpec:
    """A bargaining protocol: its name in scenarios and on the command line, a one-line
    description, where its class lives, the settings it reads, the work it follows (`reference`,
    cited in the README's table), its speed, for the estimate before long work, its forecast of
    an issue's outcome (what `backtest` and `calibrate` score): `mean`, the capability x salience
    weighted mean position after the last round (Stokman's expected outcome), or `median`, the
    weighted median (Bueno de Mesquita's); and whether its moves scale with the calendar's
    pressure (if not, the calendar acts on it only through attention, and priors on pressure
    change none of its runs)."""

    name: str
    description: str
    module: str
    cls: str
    settings: tuple[Setting, ...]
    reference: str
    speed: Speed
    forecast: str = "mean"
    reads_pressure: bool = True


# Speeds: section b of benchmarks/bench_ensemble.py, run of 2026-12-01 20:35 UTC on the project's
# 2-core machine with nothing else running (docs/benchmarks/bench-20261201-203548.json, README
# "Performance"): each protocol's row on 2 workers, halved (one worker's share while every core
# works: 1.82-1.86x one worker's rate, so the figures fit runs on all cores and are cautious for
# one worker).
REGISTRY: tuple[ProtocolSpec, ...] = (
    ProtocolSpec(
        name="compromise",
        description="members move toward their coalition's platform and, more slowly, the "
                    "capability x salience weighted mean, further on issues they care less about",
        module="simulation.engine.protocols.compromise", cls="Compromise",
        settings=(
            Setting("coalition_rate", 0.15, "share of the distance to the coalition platform a "
                    "member moves a period at full pressure and salience 0", 0, 1),
            Setting("overall_rate", 0.05, "share of the distance to the overall weighted mean "
                    "moved a period, likewise", 0, 1),
            Setting("noise_sd", 1.0, "standard deviation (points on 0-100) of a member's "
                    "random move a period, likewise", 0, 50),
        ),
        reference="this project (README, \"How the model works\")",
        speed=Speed(783),  # 1,566 runs/s on 2 workers
    ),
    ProtocolSpec(
        name="exchange",
        description="equal-gain exchanges of voting positions: two members on opposite sides of "
                    "the expected outcome on two issues each give way on the one it cares less "
                    "about, highest gain first",
        module="simulation.engine.protocols.exchange", cls="Exchange",
        settings=(
            Setting("exchange_rule", "once", "`once`: a member trades on an issue at most once "
                    "a period (fast); `reference`: exchanges are re-evaluated after every "
                    "realised one, as decide-exchange-model does (slower)",
                    choices=("once", "reference")),
            Setting("exchange_salience_weight", 0.4, "after a period's exchanges a member's "
                    "next position moves (1 - salience) x this + `exchange_fixed_weight` of the "
                    "way to its voting position, at most all the way (decide-exchange-model's "
                    "SALIENCE_WEIGHT)", 0, 1),
            Setting("exchange_fixed_weight", 0.1, "the fixed part of that move "
                    "(decide-exchange-model's FIXED_WEIGHT)", 0, 1),
        ),
        reference="Stokman & Van Oosten (1994); decide-exchange-model",
        # section b of 2026-12-05 on the third host, each rule's slower run on 2 workers halved:
        # rule once 50.3 and 42.5 runs/s (docs/benchmarks/bench-20261205-081614.json and
        # -081817.json, its selection in buckets of gain and its evaluations vectorised), rule
        # reference 3.49 and 3.62 (-083715.json and -083935.json, its indices shown to be
        # non-negative)
        speed=Speed(21.2, "exchange_rule", (("reference", 1.7),)),
        reads_pressure=False,  # decide-exchange-model has no pressure: gains alone drive it
    ),
    ProtocolSpec(
        name="challenge",
        description="Bueno de Mesquita's expected-utility model: each member weighs challenging "
                    "each other (chance of winning the capability x salience weighted vote, "
                    "utilities of success, failure and the status quo, risk attitudes) and moves "
                    "to the best offer it receives: confrontation, compromise or capitulation",
        module="simulation.engine.protocols.challenge", cls="Challenge",
        settings=(
            Setting("status_quo_belief", 1.0, "Q: a member's belief that, unchallenged, the "
                    "other keeps its position (1: Scholz et al.'s value)", 0, 1),
            Setting("improvement_belief", 1.0, "T: its belief that a change it did not force "
                    "improves its lot (used only when Q < 1)", 0, 1),
            Setting("risk_attitudes", "security", "`security`: risk exponents in [0.5, 2] "
                    "from how endangered each member is (Scholz et al. section 5); "
                    "`neutral`: all 1", choices=("security", "neutral")),
            Setting("offer_rule", "least_move", "which of its best-type offers a member "
                    "takes: `least_move`, the one that moves it least (the paper's text, the "
                    "same at either end of the scale); `reference`, among compromises the "
                    "lowest position (Scholz's program: reproduces its published run)",
                    choices=("least_move", "reference")),
        ),
        reference="Bueno de Mesquita (1994); Scholz, Calbert & Smith (2011)",
        speed=Speed(26.7),  # 53.2-53.8 runs/s on 2 workers (section b, 2026-12-02 04:15)
        forecast="median",
    ),
)

PROTOCOLS: dict[str, ProtocolSpec] = {spec.name: spec for spec in REGISTRY}
NAMES: tuple[str, ...] = tuple(PROTOCOLS)
DEFAULT = NAMES[0]


def settings() -> tuple[Setting, ...]:
    """Every protocol's settings, in registry order: the fields of the `bargaining:` section."""
    found: dict[str, Setting] = {}
    for spec in REGISTRY:
        for setting in spec.settings:
            if setting.name in found or setting.name == "protocol":
                raise ValueError(f"protocol setting {setting.name!r} is declared twice or is "
                                 "'protocol', the section's field that names the protocol")
            found[setting.name] = setting
    return tuple(found.values())


def size_scale(members: int, issues: int, periods: int) -> float:
    """How many times the baseline's work a replication of a negotiation of this size is
    assumed to be: members x issues x periods over the baseline's, SMALLEST_SHARE at least.

    The compromise protocol's time grows at most linearly in members and in issues (section d
    of the benchmark run of the registry's speeds: 6.1x the members cost 2.5x-6.0x the time, 5x
    the issues 2.0x-4.6x; 30x the members x issues 11.7x); each period is assumed to be one more
    round's worth. The other protocols are assumed to grow alike (not measured). Smaller
    negotiations are scaled alike, but to SMALLEST_SHARE at least (the per-run overheads stay).
    """
    return max(SMALLEST_SHARE, members * issues * periods
               / (BASELINE_SIZE[0] * BASELINE_SIZE[1] * BASELINE_SIZE[2]))


def runs_per_second(params: Any, members: int, issues: int, periods: int,
                    measured: float | None = None) -> tuple[float, str]:
    """About how many replications a second one worker runs under a scenario's `bargaining:`
    section on a negotiation of this size, and in words what that figure is: the figure for
    the baseline's size, `measured` on this machine by `mc11 compile` if given, else the
    registry's, divided by `size_scale`."""
    spec = PROTOCOLS[params.protocol]
    figure, choice = spec.speed.of(params)
    where = "on an idle machine"
    if measured is not None:
        figure, where = measured, "here by `mc11 compile`"
    scale = size_scale(members, issues, periods)
    basis = (f"{spec.name} protocol{f', {choice}' if choice else ''}: {figure:.3g} runs/s a "
             f"worker as measured {where}")
    if scale > 1:
        basis += (f" for the baseline, / {scale:.1f} for this negotiation's members x issues x "
                  "periods")
    elif scale < 1:
        basis += (f" for the baseline, x {1 / scale:.0f} for this smaller negotiation "
                  f"(members x issues x periods, x {1 / SMALLEST_SHARE:.0f} at most)")
    return figure / scale, basis


def make_protocol(params: Any) -> Protocol:
    """The protocol a scenario's `bargaining:` section names, built from its settings."""
    spec = PROTOCOLS[params.protocol]
    return getattr(importlib.import_module(spec.module), spec.cls)(params)


def markdown_table() -> str:
    """The README's table of protocols and their settings (tests keep the README equal to it)."""
    lines = ["| `protocol:` | what members do each period | settings (default; allowed) | "
             "forecast of an issue (`backtest`, `calibrate`) |",
             "|---|---|---|---|"]
    for spec in REGISTRY:
        described = "<br>".join(f"`{s.name}` ({s.default}; {s.allowed()}): {s.meaning}"
                                for s in spec.settings)
        lines.append(f"| `{spec.name}` | {spec.description} ({spec.reference}) | {described} | "
                     f"capability x salience weighted {spec.forecast} |")
    return "\n".join(lines)

"""`mc11 compile`: compile the model's rules for every protocol now (the install runs it), so
that no first run waits for them, and measure their speed here for the estimates."""

from __future__ import annotations

import argparse
import time

from simulation.cli.common import (
    add_scenario_argument,
    load_noting,
    positive,
    scenario_of,
    workers_on_this_machine,
)


def compile_now(args: argparse.Namespace) -> None:
    """`mc11 compile`: compile every protocol's rules now, on all cores, and measure their speed
    here for the estimates before long work."""
    from simulation.engine import MACHINE_CODE
    from simulation.engine.machine_code import remove_earlier
    from simulation.runs.compiling import compile_every_rule

    scenario = load_noting(scenario_of(args))
    workers = workers_on_this_machine(args.workers)
    start = time.monotonic()
    print(f"mc11: compiling the model's rules for every protocol on {workers} worker(s) (a "
          "minute or two the first time; loaded from the cache afterwards)", flush=True)

    def compiled(name: str, rate: float) -> None:
        print(f"  {name}: ready after {time.monotonic() - start:.0f} s; {rate:.3g} runs/s a "
              "worker here", flush=True)

    compile_every_rule(scenario.negotiation(), scenario.spec.parameters, scenario.priors,
                       workers, compiled)
    print("mc11: every protocol's rules are compiled and cached for this machine, and their "
          "speeds kept for the estimates before long work")
    if MACHINE_CODE is not None:
        removed, size = remove_earlier(MACHINE_CODE)
        if removed:
            print(f"mc11: removed {removed} folder(s) and file(s) of machine code compiled from "
                  f"earlier versions of the engine ({size / 1e6:.1f} MB)")


def register(commands: argparse._SubParsersAction) -> None:
    """Add `compile` to the `mc11` parser."""
    parser = commands.add_parser("compile", help="compile the model's rules for every protocol "
                                 "now and measure their speed here for the estimates before long "
                                 "work (the install does; a first run then starts at once)")
    add_scenario_argument(parser)
    parser.add_argument("--workers", type=positive,
                        help="processes compiling at once (default: all cores)")
    parser.set_defaults(handler=compile_now)

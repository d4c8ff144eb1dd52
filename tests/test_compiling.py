"""`mc11 compile`: every protocol's rules compiled at once, so that no first run waits."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from commands import mc11

from simulation.engine.protocols import PROTOCOLS, REGISTRY
from simulation.inputs.scenario import load_scenario
from simulation.runs import compiling, ensemble, results
from simulation.runs.compiling import rule_variants

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
MC11 = Path(sys.executable).with_name("mc11")


def test_the_variants_are_every_protocol_and_every_choice_of_its_settings():
    parameters = load_scenario(BASELINE).spec.parameters
    variants = rule_variants(parameters)
    assert list(variants) == [spec.name for spec in REGISTRY]
    for spec in REGISTRY:
        choices = {(s.name, c) for s in spec.settings for c in s.choices}
        seen = set()
        for _, variant in variants[spec.name]:
            assert variant.bargaining.protocol == spec.name
            seen |= {(s.name, getattr(variant.bargaining, s.name)) for s in spec.settings
                     if s.choices}
            assert variant.model_dump(exclude={"bargaining"}) == \
                parameters.model_dump(exclude={"bargaining"})
        assert seen == choices
        names = [name for name, _ in variants[spec.name]]
        assert len(set(names)) == len(names) and names[0] == spec.name


@pytest.mark.slow  # 7-12 s: every variant loaded and measured; the install runs the command
def test_compile_names_every_variant_and_keeps_its_speed_for_the_estimates(tmp_path,
                                                                          monkeypatch):
    stamp = tmp_path / "cache" / "stamp"
    monkeypatch.setattr(ensemble, "_compiled_stamps", lambda: [stamp])
    monkeypatch.setattr(compiling, "measured_speeds", ensemble.measured_speeds)
    monkeypatch.setattr(compiling, "MEASURE_SECONDS", 0.01)  # a chunk or two a variant
    assert ensemble.rules_need_compiling()
    code, out, stderr = mc11("compile", "--workers", 1)
    assert code == 0, stderr
    names = [name for variants in rule_variants(load_scenario(BASELINE).spec.parameters).values()
             for name, _ in variants]
    shown = r"(.+): ready after \d+ s; (\S+) runs/s a worker here"
    ready = dict(re.fullmatch(shown, line.strip()).groups() for line in out.splitlines()
                 if "ready" in line)
    assert list(ready) == names
    assert not ensemble.rules_need_compiling()
    speeds = ensemble.measured_speeds()
    assert list(speeds) == names and all(rate > 0 for rate in speeds.values())
    assert all(f"{speeds[name]:.3g}" == shown for name, shown in ready.items())
    reference = bargaining("exchange_protocol.yaml", exchange_rule="reference")
    cost = results.estimate(load_scenario(BASELINE).negotiation(), reference, 1000, 2)
    assert cost.seconds == pytest.approx(1000 / (2 * speeds["exchange, exchange_rule reference"]))
    assert "measured here by `mc11 compile`" in cost.basis


def bargaining(name: str, **changes):
    parameters = load_scenario(ROOT / "scenarios" / name).spec.parameters.bargaining
    return parameters.model_copy(update=changes)


def test_a_combination_not_measured_is_the_registered_figure_scaled_as_the_protocol(
        tmp_path, monkeypatch):
    """`mc11 compile` measures each choice of a setting alone; two choices off their defaults
    at once take the registry's figure, scaled as this machine ran the protocol's defaults."""
    stamp = tmp_path / "stamp"
    monkeypatch.setattr(ensemble, "_compiled_stamps", lambda: [stamp])
    monkeypatch.setattr(compiling, "measured_speeds", ensemble.measured_speeds)
    challenge, exchange = PROTOCOLS["challenge"].speed, PROTOCOLS["exchange"].speed
    stamp.write_text(json.dumps({"challenge": challenge.runs_per_second / 2,
                                 "exchange": exchange.runs_per_second / 4}), encoding="utf-8")
    both = bargaining("challenge_protocol.yaml", risk_attitudes="neutral",
                      offer_rule="reference")
    assert compiling.measured_rate(both) == pytest.approx(challenge.runs_per_second / 2)
    reference = bargaining("exchange_protocol.yaml", exchange_rule="reference")
    assert compiling.measured_rate(reference) == \
        pytest.approx(dict(exchange.by_choice)["reference"] / 4)
    assert compiling.measured_rate(bargaining("baseline.yaml")) is None  # compromise: never


@pytest.mark.parametrize("content", ["", "not json {", "[1, 2]", '{"compromise": -3}',
                                     '{"compromise": 0}', '{"compromise": "fast"}'])
def test_a_stamp_without_usable_speeds_leaves_the_registered_figures(tmp_path, monkeypatch,
                                                                     content):
    stamp = tmp_path / "stamp"
    stamp.write_text(content, encoding="utf-8")
    monkeypatch.setattr(ensemble, "_compiled_stamps", lambda: [stamp])
    monkeypatch.setattr(compiling, "measured_speeds", ensemble.measured_speeds)
    cost = results.estimate(load_scenario(BASELINE).negotiation(), bargaining("baseline.yaml"),
                            1000, 2)
    assert cost.seconds == pytest.approx(1000 / (2 * PROTOCOLS["compromise"].speed
                                                 .runs_per_second))
    assert "on an idle machine" in cost.basis


def test_a_stamp_in_either_of_its_places_says_the_rules_are_compiled(tmp_path, monkeypatch):
    """The stamp goes to the first writable of its two places (beside numba's cache, else the
    user's cache folder): found in either, the rules need no compiling; in neither, they do."""
    beside, home = tmp_path / "beside" / "stamp", tmp_path / "home" / "stamp"
    monkeypatch.setattr(ensemble, "_compiled_stamps", lambda: [beside, home])
    assert ensemble.rules_need_compiling()
    ensemble.mark_rules_compiled()
    assert beside.exists() and not home.exists()
    assert not ensemble.rules_need_compiling()
    beside.unlink()
    home.parent.mkdir()
    home.touch()
    assert not ensemble.rules_need_compiling()


def test_compile_runs_on_the_workers_asked_for(monkeypatch, capsys):
    """`mc11 compile --workers 3` compiles and measures on 3 processes, not on every core."""
    import simulation.engine
    from simulation.cli import common, main

    asked = []
    monkeypatch.setattr(common.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(simulation.engine, "MACHINE_CODE", None)  # no earlier code removed
    monkeypatch.setattr(compiling, "compile_every_rule",
                        lambda negotiation, parameters, priors, workers, compiled:
                        asked.append(workers))
    assert main(["compile", "--workers", "3"]) == 0
    assert asked == [3]
    assert "for every protocol on 3 worker(s)" in capsys.readouterr().out


def test_a_scenario_that_is_not_there_is_a_clear_error(tmp_path):
    code, _, stderr = mc11("compile", tmp_path / "nowhere.yaml")
    assert code == 2 and "Traceback" not in stderr
    assert "nowhere.yaml" in stderr


@pytest.mark.slow
def test_after_compile_no_protocol_compiles_anything(tmp_path):
    """In an empty numba cache: `mc11 compile`, then one replication (`simulate`) and a small
    ensemble with the priors drawn (`run`) of every protocol and exchange rule add no file to
    the cache and say nothing about compiling."""
    cache = tmp_path / "numba"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    done = subprocess.run([MC11, "compile"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    compiled = sorted(cache.rglob("*"))
    reference = tmp_path / "reference.yaml"
    reference.write_text(f"extends: {ROOT / 'scenarios' / 'exchange_protocol.yaml'}\n"
                         "name: reference\nparameters:\n  bargaining:\n"
                         "    exchange_rule: reference\n", encoding="utf-8")
    for number, scenario in enumerate((BASELINE, ROOT / "scenarios" / "exchange_protocol.yaml",
                                       reference, ROOT / "scenarios" / "challenge_protocol.yaml")):
        for command in (["simulate", scenario, "--seed", "1"],
                        ["run", scenario, "--runs", "2", "--folder", tmp_path / f"run{number}",
                         "--no-plots", "--quiet"]):
            done = subprocess.run([MC11, *command], env=env, capture_output=True, text=True)
            assert done.returncode == 0 and "compiling" not in done.stderr, done.stderr
    assert sorted(cache.rglob("*")) == compiled


@pytest.mark.parametrize("overhead", [0.0, 0.1])
@pytest.mark.parametrize("members", [136, 68])
def test_a_variants_speed_is_that_of_an_ensembles_chunks_as_a_worker_scaled_to_the_baseline(
        monkeypatch, overhead, members):
    """Replications costing 4 ms of CPU each, a chunk `overhead` more: a worker runs an
    ensemble's chunk (CHUNK_SIZE replications) at CHUNK_SIZE / (overhead + 4 ms x CHUNK_SIZE)
    a second, which is the speed measured (a worker's share of it), scaled to the baseline's
    size (half the baseline's members: twice the replications a second of the baseline)."""
    from simulation.engine.protocols import size_scale

    clock = [0.0]
    sizes = []

    def chunk(negotiation, parameters, master_seed, start, stop, priors):
        sizes.append(stop - start)
        clock[0] += overhead + 0.004 * (stop - start)

    monkeypatch.setattr(compiling, "run_chunk", chunk)
    monkeypatch.setattr(compiling, "time", SimpleNamespace(process_time=lambda: clock[0]))
    scenario = load_scenario(BASELINE)
    baseline = scenario.negotiation()
    negotiation = SimpleNamespace(members=baseline.members[:members], issues=baseline.issues,
                                  calendar=baseline.calendar)  # its size is all that is read
    rate = compiling.measure_speed(negotiation, scenario.spec.parameters, scenario.priors)
    scale = size_scale(members, len(baseline.issues), len(baseline.calendar))
    assert scale == pytest.approx(members / 136)
    chunk_rate = ensemble.CHUNK_SIZE / (overhead + 0.004 * ensemble.CHUNK_SIZE)
    assert rate == pytest.approx(compiling.WORKER_SHARE * chunk_rate * scale)
    assert sum(overhead + 0.004 * size for size in sizes) >= compiling.MEASURE_SECONDS


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                    reason="the protocols are compiled on forked workers only")
@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_on_two_workers_every_variant_is_compiled_and_the_other_protocols_on_the_workers(
        tmp_path, monkeypatch):
    """`mc11 compile --workers 2`: the first protocol's variants here (the rules every protocol
    shares compiled once), every other protocol's on the forked workers; each variant named
    once and its speed kept."""
    stamp = tmp_path / "stamp"
    monkeypatch.setattr(ensemble, "_compiled_stamps", lambda: [stamp])
    monkeypatch.setattr(compiling, "measured_speeds", ensemble.measured_speeds)
    here = os.getpid()
    monkeypatch.setattr(compiling, "compile_rules", lambda *args: None)
    monkeypatch.setattr(compiling, "measure_speed",  # forked workers inherit it
                        lambda *args: 1.0 if os.getpid() == here else 2.0)
    scenario = load_scenario(BASELINE)
    shown = []
    compiling.compile_every_rule(scenario.negotiation(), scenario.spec.parameters,
                                 scenario.priors, 2, lambda name, rate: shown.append(name))
    variants = rule_variants(scenario.spec.parameters)
    first = REGISTRY[0].name
    expected = {name: 1.0 if protocol == first else 2.0
                for protocol, named in variants.items() for name, _ in named}
    assert sorted(shown) == sorted(expected)
    assert ensemble.measured_speeds() == expected

"""An edit of any engine module takes effect in the next run, though numba caches each compiled
rule by its own module's file; `mc11 compile` clears the machine code of earlier sources."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numba

from simulation.engine import machine_code

PACKAGE = Path(__file__).resolve().parents[1] / "simulation"

# a compiled rule whose module is never edited, and the helper it inlines from another module
RULE = """from numba import njit

from simulation.engine._probe_helper import factor


@njit(cache=True)
def rule():
    return 2.0 * factor()
"""
HELPER = """from numba import njit


@njit(inline="always")
def factor():
    return {value}
"""
RUN = ("import simulation, simulation.engine._probe as probe; "
       "print(simulation.__file__); print(probe.rule())")


def _run_rule(root: Path) -> float:
    env = {key: value for key, value in os.environ.items() if key != "NUMBA_CACHE_DIR"}
    done = subprocess.run([sys.executable, "-c", RUN], cwd=root, capture_output=True, text=True,
                          env={**env, "PYTHONPATH": str(root)}, timeout=300)
    assert done.returncode == 0, done.stderr
    where, value = done.stdout.split()
    assert Path(where).is_relative_to(root)  # the copy ran, not the installed package
    return float(value)


def test_an_edit_of_a_module_a_compiled_rule_inlines_is_not_masked_by_the_cache(tmp_path):
    engine = tmp_path / "simulation" / "engine"
    shutil.copytree(PACKAGE, tmp_path / "simulation",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (engine / "_probe.py").write_text(RULE, encoding="utf-8")
    (engine / "_probe_helper.py").write_text(HELPER.format(value=1.0), encoding="utf-8")
    assert _run_rule(tmp_path) == 2.0
    assert _run_rule(tmp_path) == 2.0  # from the cache
    (engine / "_probe_helper.py").write_text(HELPER.format(value=3.0), encoding="utf-8")
    assert _run_rule(tmp_path) == 6.0


def test_the_machine_code_goes_below_numba_cache_dir_in_a_folder_of_this_source(
        monkeypatch, tmp_path):
    monkeypatch.setattr(numba.config, "CACHE_DIR", numba.config.CACHE_DIR)  # restored after
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    folder = machine_code.use_versioned_cache()
    assert folder == tmp_path / f"mc11-engine-{machine_code.source_digest()}"
    assert folder.is_dir() and str(folder) == numba.config.CACHE_DIR


def test_removing_earlier_machine_code_keeps_this_sources_and_everything_else(tmp_path):
    base, engine = tmp_path / "cache", tmp_path / "engine"
    current, earlier, other = (base / name for name in
                               ("mc11-engine-current", "mc11-engine-earlier", "someone-elses"))
    for folder in (current, earlier, other):
        (folder / "engine_0").mkdir(parents=True)
        (folder / "engine_0" / "rule.nbc").write_bytes(b"x" * 100)
    (engine / "__pycache__").mkdir(parents=True)  # numba's files beside the modules, and others
    for name, size in (("rules.rule-12.py312.nbi", 10), ("rules.rule-12.py312.1.nbc", 30),
                       ("mc11-rules-compiled-0123", 2), ("rules.cpython-312.pyc", 50)):
        (engine / "__pycache__" / name).write_bytes(b"x" * size)
    assert machine_code.remove_earlier(current, engine) == (4, 142)
    assert sorted(path.name for path in base.iterdir()) == ["mc11-engine-current",
                                                            "someone-elses"]
    assert [path.name for path in (engine / "__pycache__").iterdir()] == ["rules.cpython-312.pyc"]


def test_the_source_digest_follows_every_engine_module_and_the_package_version(monkeypatch,
                                                                               tmp_path):
    """A module of a subpackage (the protocols) counts as much as one beside the rules, and so
    does the version; the machine code numba keeps beside the modules is not source."""
    engine = tmp_path / "engine"
    (engine / "protocols").mkdir(parents=True)
    (engine / "rules.py").write_text("TOLERANCE = 1.0\n", encoding="utf-8")
    (engine / "protocols" / "base.py").write_text("PULL = 0.5\n", encoding="utf-8")
    monkeypatch.setattr(machine_code, "ENGINE", engine)
    digest = machine_code.source_digest.__wrapped__  # not the digest cached for this process
    first = digest()
    (engine / "__pycache__").mkdir()
    (engine / "__pycache__" / "rules.rule-12.py312.nbi").write_bytes(b"x")
    assert digest() == first
    (engine / "protocols" / "base.py").write_text("PULL = 0.25\n", encoding="utf-8")
    second = digest()
    assert second != first
    monkeypatch.setattr(machine_code, "__version__", machine_code.__version__ + ".post1")
    assert digest() not in (first, second)


def test_a_child_process_given_this_sources_folder_keeps_it(monkeypatch, tmp_path):
    """Workers inherit NUMBA_CACHE_DIR already pointing at this source's folder: they use that
    folder, not one nested inside it (which would compile everything again)."""
    monkeypatch.setattr(numba.config, "CACHE_DIR", numba.config.CACHE_DIR)  # restored after
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    folder = machine_code.use_versioned_cache()
    assert machine_code.use_versioned_cache() == folder
    assert os.environ["NUMBA_CACHE_DIR"] == str(folder) == numba.config.CACHE_DIR


def test_without_a_usable_cache_dir_the_machine_code_goes_to_the_users_cache(monkeypatch,
                                                                             tmp_path):
    monkeypatch.setattr(numba.config, "CACHE_DIR", numba.config.CACHE_DIR)  # restored after
    (tmp_path / "a_file").write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "a_file" / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    name = f"mc11-engine-{machine_code.source_digest()}"
    assert machine_code.use_versioned_cache() == (
        tmp_path / "home" / ".cache" / "mc11-ecommerce-sim" / name)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "a_file" / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "a_file"))
    assert machine_code.use_versioned_cache() is None  # numba then caches where it would


def test_earlier_machine_code_beside_the_protocols_modules_is_removed_too(tmp_path):
    base, engine = tmp_path / "cache", tmp_path / "engine"
    (base / "mc11-engine-current").mkdir(parents=True)
    (engine / "protocols" / "__pycache__").mkdir(parents=True)
    (engine / "protocols" / "__pycache__" / "exchange.rule-3.py312.nbi").write_bytes(b"x" * 7)
    assert machine_code.remove_earlier(base / "mc11-engine-current", engine) == (1, 7)
    assert not any((engine / "protocols" / "__pycache__").iterdir())

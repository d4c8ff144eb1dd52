"""The package's layers import only downward: engine < inputs < runs < report < dashboard < cli.

The README's architecture section draws these arrows; this test keeps the tree honest. Modules
at the package's top (errors, outcomes, outputs) are the base every layer may use.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "simulation"
LAYERS = ("engine", "inputs", "runs", "report", "dashboard", "cli")


def layer_of(module: str) -> int:
    """The rank of a dotted module name of the package; -1 for the base modules at the top."""
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else -1


def imported_modules(path: Path) -> set[str]:
    """The package modules a source file imports, wherever in the file the import stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: a relative import; write it absolute"
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            found.update(n for n in names if n.startswith("simulation"))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("simulation"))
    return found


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_higher_layer(path):
    module = ".".join(("simulation", *path.relative_to(PACKAGE).with_suffix("").parts))
    own = layer_of(module)
    upward = sorted(m for m in imported_modules(path) if layer_of(m) > own)
    assert not upward, f"{module} (layer {LAYERS[own] if own >= 0 else 'base'}) imports {upward}"


def test_every_module_belongs_to_a_layer_or_the_base():
    loose = [p.name for p in PACKAGE.glob("*.py")]
    assert sorted(loose) == ["__init__.py", "errors.py", "outcomes.py", "outputs.py"]
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"} \
        == {*LAYERS, "data"}

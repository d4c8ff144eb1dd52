"""engine.rules is the plain statement of the rules the kernels implement: every kernel cites
its rule there, and every rule there has a fast version that cites it. (That both give the same
results is tests/test_reference_oracle.py.)"""

import importlib
import inspect
import re
from pathlib import Path

from simulation.engine import rules

ENGINE = Path(rules.__file__).parent
# Kernels that are no rule: random streams, loops of a per-replication kernel over a batch, and
# one comparison.
NOT_RULES = {"_fill", "_engaged_normals", "_rare_normal", "_chair_texts", "_platforms",
             "_affinity", "_update_membership", "_coalition_targets", "_reaches"}


def _rules() -> set[str]:
    return {name for name, value in vars(rules).items()
            if inspect.isfunction(value) and value.__module__ == rules.__name__
            and not name.startswith("_")}


def _citations() -> dict[str, set[str]]:
    """Per engine module (other than rules and reference), the rule names its docstrings cite."""
    found = {}
    for path in ENGINE.rglob("*.py"):
        if path.stem in {"rules", "reference"}:
            continue
        text = path.read_text(encoding="utf-8")
        names = set(re.findall(r"\brules\.(\w+)", text))
        for listing in re.findall(r"rules\.\w+((?:,\s*(?:and\s+)?\w+)+)", text):
            names |= set(re.findall(r"\w+", listing)) - {"and"}
        found[path.stem] = names
    return found


def test_every_citation_names_a_rule():
    for module, names in _citations().items():
        assert names <= _rules(), f"{module} cites {sorted(names - _rules())}"


def test_every_rule_has_a_fast_version_that_cites_it():
    cited = set().union(*_citations().values())
    assert _rules() - cited == set()


def test_every_compiled_kernel_names_its_rule():
    for path in ENGINE.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for kernel in re.findall(r"@njit\(cache=True\)\ndef (\w+)\(", source):
            if kernel in NOT_RULES:
                continue
            dotted = path.relative_to(ENGINE.parents[1]).with_suffix("").as_posix()
            module = importlib.import_module(dotted.replace("/", "."))
            doc = inspect.getdoc(getattr(module, kernel).py_func) or ""
            # the exchange protocol's rules are stated in engine.exchange (numpy)
            cites = "rules." in doc or (path.stem.startswith("exchange") and "exchange." in doc)
            assert cites, f"{path.stem}.{kernel} does not cite its rule"

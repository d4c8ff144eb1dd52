"""engine.rules is the plain statement of the rules the kernels implement: every kernel cites
its rule there, every rule there has a fast version that cites it, and the kernels of the chair's
text, the consensus rule and the plurilateral path give what the statements give on small random
negotiations (whole replications: tests/test_reference_oracle.py)."""

import importlib
import inspect
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.engine import consensus, rules

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
        # every compiled function but the helpers inlined into the kernels
        for kernel in re.findall(r"@njit\((?![^)]*inline)[^)]*\)\ndef (\w+)\(", source):
            if kernel in NOT_RULES:
                continue
            dotted = path.relative_to(ENGINE.parents[1]).with_suffix("").as_posix()
            module = importlib.import_module(dotted.replace("/", "."))
            doc = inspect.getdoc(getattr(module, kernel).py_func) or ""
            # the exchange and challenge protocols' rules are stated in engine.exchange and
            # engine.challenge (numpy)
            stem = path.stem.split("_")[0]
            cites = "rules." in doc or (stem in ("exchange", "challenge") and f"{stem}." in doc)
            assert cites, f"{path.stem}.{kernel} does not cite its rule"


# --- the kernels against the plain statements, rule by rule, on small random negotiations ----
# Positions on a grid of 5 points and dyadic capabilities and saliences make ties common and keep
# the weighted sums exact, so selections (medians, blockers, members) must agree exactly.

POSITIONS = st.sampled_from([float(v) for v in range(0, 101, 5)])
SALIENCES = st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0])
CAPABILITIES = st.sampled_from([0.125, 0.25, 0.5, 1.0])


@st.composite
def negotiations(draw, max_members=7, max_issues=3):
    n, k = draw(st.integers(1, max_members)), draw(st.integers(1, max_issues))
    X = np.array(draw(st.lists(st.lists(POSITIONS, min_size=k, max_size=k), min_size=n,
                               max_size=n)))
    S = np.array(draw(st.lists(st.lists(SALIENCES, min_size=k, max_size=k), min_size=n,
                               max_size=n)))
    C = np.array(draw(st.lists(CAPABILITIES, min_size=n, max_size=n)))
    q = np.array(draw(st.lists(POSITIONS, min_size=k, max_size=k)))
    return X, S, C, q


@settings(max_examples=200)
@given(negotiations())
def test_chair_text_kernel_is_the_weighted_median(negotiation):
    X, S, C, _ = negotiation
    expected = [rules.chair_text(X.tolist(), S.tolist(), C.tolist(), i) for i in range(X.shape[1])]
    assert consensus.chair_texts(X, S, C).tolist() == expected


@settings(max_examples=200)
@given(negotiations(), st.sampled_from([0.0, 5.0, 15.0]), st.sampled_from([5.0, 10.0, 20.0]))
def test_consensus_kernel_is_the_consensus_rule(negotiation, base, min_step):
    X, S, C, q = negotiation
    tol = base * (1.0 - S)
    lo, hi = consensus.acceptance_intervals(X, q, tol)
    agreed, text, blockers = consensus.consensus_by_issue(lo, hi, q, consensus.chair_texts(X, S, C),
                                                          min_step)
    for i in range(X.shape[1]):
        plain = rules.consensus_on_issue(X.tolist(), S.tolist(), C.tolist(), tol.tolist(), q[i],
                                         i, min_step)
        assert agreed[i] == (plain.text == plain.text)
        assert text[i] == plain.text or (np.isnan(text[i]) and plain.text != plain.text)
        assert np.flatnonzero(blockers[:, i]).tolist() == plain.blockers


@settings(max_examples=200)
@given(negotiations(), st.sampled_from([5.0, 10.0]), st.sampled_from([0.5, 0.75, 0.9, 1.0]))
def test_plurilateral_kernel_is_the_plurilateral_rule(negotiation, min_step, critical_mass):
    X, S, C, q = negotiation
    fast = consensus.plurilateral(X, S, C, q, min_step, critical_mass)
    for i in range(X.shape[1]):
        plain = rules.plurilateral_deal(X.tolist(), S.tolist(), C.tolist(), i, q[i], min_step,
                                        critical_mass)
        assert fast.deal[i] == plain.deal
        assert np.flatnonzero(fast.members[:, i]).tolist() == plain.members
        assert fast.coverage[i] == pytest.approx(plain.coverage, abs=1e-12)
        if plain.deal:
            assert fast.text[i] == plain.text

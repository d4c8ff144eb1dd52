"""The generated parts of the model description (docs/model_odd.md), so it cannot drift from the
code: the entities and calendar of the baseline scenario, every parameter (from the pydantic
models in engine.parameters, whose bargaining settings come from the protocol registry), the
protocols (engine.protocols), the derivation constants and the outputs (simulation.outputs).

    python -m simulation.report.odd --check docs/model_odd.md   # exit 1 if a part is stale
    python -m simulation.report.odd --write docs/model_odd.md   # regenerate the parts in place

Each part sits between `<!-- generated: NAME -->` and `<!-- end generated: NAME -->`; the prose
around them is written by hand. tests/test_odd.py runs the check.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import typing
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel

from simulation import outputs
from simulation.engine import protocols
from simulation.engine.parameters import Parameters
from simulation.errors import write_atomic
from simulation.inputs import DEFAULT_SCENARIO
from simulation.inputs.preferences import DerivationRules
from simulation.inputs.scenario import Scenario, load_scenario

BLOCK = re.compile(r"(<!-- generated: (\w+) -->\n)(.*?)(<!-- end generated: \2 -->)", re.S)


def _value(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()  # as a scenario file spells it
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _allowed(field) -> str:
    """A pydantic field's allowed values, in words."""
    if field.annotation is bool:
        return "true or false"
    if typing.get_origin(field.annotation) is typing.Literal:
        return " or ".join(f"`{choice}`" for choice in typing.get_args(field.annotation))
    low = high = None
    for rule in field.metadata:
        low = f"[{_value(rule.ge)}" if getattr(rule, "ge", None) is not None else low
        low = f"({_value(rule.gt)}" if getattr(rule, "gt", None) is not None else low
        high = f"{_value(rule.le)}]" if getattr(rule, "le", None) is not None else high
    return f"{low or '(-inf'}, {high or 'inf)'}"


def _parameter_rows(model: type[BaseModel], prefix: str = "") -> list[str]:
    rows = []
    for name, field in model.model_fields.items():
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            rows += _parameter_rows(field.annotation, f"{prefix}{name}.")
        else:
            rows.append(f"| `{prefix}{name}` | {_value(field.default)} | {_allowed(field)} | "
                        f"{field.description} |")
    return rows


def parameters_table(_: Scenario) -> str:
    """Every behavioural parameter a scenario's `parameters:` section may set."""
    return "\n".join(["| parameter | default | allowed | meaning |", "|---|---|---|---|",
                      *_parameter_rows(Parameters)])


def protocols_table(_: Scenario) -> str:
    """The bargaining protocols, from their registry."""
    return protocols.markdown_table()


def derivation_table(_: Scenario) -> str:
    """The constants of the rules that derive preferences (a scenario's `derivation:` section)."""
    rows = ["| constant | default |", "|---|---|"]
    defaults = DerivationRules()
    for field in dataclasses.fields(DerivationRules):
        rows.append(f"| `{field.name}` | {_flat(getattr(defaults, field.name))} |")
    return "\n".join(rows)


def _flat(value: object) -> str:
    """A constant's value in one table cell: key: value pairs, tuples as comma lists."""
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_flat(item)}" for key, item in value.items())
    if isinstance(value, tuple):
        return ", ".join(_value(item) for item in value)
    return _value(value)


def entities_table(scenario: Scenario) -> str:
    """The baseline's agents, issues and coalitions, counted from the data."""
    negotiation = scenario.negotiation()
    n, k = negotiation.shape
    clusters: dict[str, list[str]] = {}
    for issue in scenario.catalogue.issues:
        clusters.setdefault(issue.cluster, []).append(issue.id)
    rows = [f"Baseline scenario: **{n} negotiating members** and **{k} issues**, "
            f"{len(negotiation.calendar)} periods.", "",
            "| issue cluster | issues |", "|---|---|"]
    rows += [f"| {cluster} | {', '.join(ids)} |" for cluster, ids in clusters.items()]
    rows += ["", "| initial coalition | founders | bloc |", "|---|---|---|"]
    for c, name in enumerate(negotiation.coalitions):
        rows.append(f"| {name} | {int(negotiation.founders[:, c].sum())} | "
                    f"{'yes' if negotiation.bloc[c] else 'no'} |")
    return "\n".join(rows)


def calendar_table(scenario: Scenario) -> str:
    """The baseline's periods, with the attention and pressure of each."""
    rows = ["| period | month | meeting | kind | attention | pressure |",
            "|---|---|---|---|---|---|"]
    rows += [f"| {t} | {p.month} | {p.label} | {p.kind} | {_value(p.attention)} | "
             f"{_value(p.pressure)} |" for t, p in enumerate(scenario.negotiation().calendar, 1)]
    return "\n".join(rows)


def outputs_table(_: Scenario) -> str:
    """What a replication records, from the output registry."""
    rows = ["| output | per | meaning |", "|---|---|---|"]
    rows += [f"| `{o.name}` | {' x '.join(o.axes)} | {o.doc} |" for o in outputs.OUTPUTS]
    return "\n".join(rows)


PARTS: dict[str, Callable[[Scenario], str]] = {
    "entities": entities_table,
    "calendar": calendar_table,
    "parameters": parameters_table,
    "protocols": protocols_table,
    "derivation": derivation_table,
    "outputs": outputs_table,
}


def render(text: str) -> str:
    """`text` with every generated part replaced by what the code and the default scenario
    say now."""
    scenario = load_scenario(DEFAULT_SCENARIO)
    found = {match.group(2) for match in BLOCK.finditer(text)}
    if unknown := found - set(PARTS):
        raise ValueError(f"unknown generated parts: {sorted(unknown)}")
    if missing := set(PARTS) - found:
        raise ValueError(f"the document lacks the generated parts {sorted(missing)}")
    return BLOCK.sub(lambda m: f"{m.group(1)}{PARTS[m.group(2)](scenario)}\n{m.group(4)}", text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulation.report.odd",
                                     description="Check or regenerate the generated parts of "
                                                 "the ODD model description.")
    parser.add_argument("document", type=Path, help="the model description (Markdown)")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true", help="exit 1 if a part is stale")
    action.add_argument("--write", action="store_true", help="regenerate the parts in place")
    args = parser.parse_args(argv)
    text = args.document.read_text(encoding="utf-8")
    fresh = render(text)
    if args.check:
        if fresh != text:
            print(f"{args.document}: generated parts are stale; run python -m "
                  f"simulation.report.odd --write {args.document}", file=sys.stderr)
            return 1
        return 0
    if fresh != text:
        write_atomic(args.document, fresh)
    return 0


if __name__ == "__main__":
    sys.exit(main())

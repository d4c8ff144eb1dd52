"""Parameter files for runs on own data: `mc11 calibrate` writes them, `forecast --params`,
`backtest --params` and scenario files (`parameters_file:`) read them.

The file is YAML: ``rounds`` (own-data runs only: the synthetic calendar's length) and a
``parameters`` mapping in the scenario files' syntax, limited to what applies to own data (the
bargaining protocol and its rates, the consensus rule; no coalitions: own data names none)::

    rounds: 8
    parameters:
      bargaining:
        protocol: exchange
        exchange_rule: reference
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError

from simulation.engine.parameters import BargainingParameters, ConsensusParameters
from simulation.engine.schema import FileSchema
from simulation.errors import InputError
from simulation.inputs import DEFAULT_ROUNDS, MAX_ROUNDS
from simulation.inputs.files import at_line, error_line, load_yaml, read_text, validation_problem

_Strict = FileSchema


class OwnParameters(_Strict):
    """The parts of the model's parameters that apply to own data."""

    bargaining: BargainingParameters = BargainingParameters()
    consensus: ConsensusParameters = ConsensusParameters()


class OwnDataSettings(_Strict):
    """Everything a run on own data needs besides the data, the number of runs and the seed."""

    rounds: int = Field(DEFAULT_ROUNDS, ge=1, le=MAX_ROUNDS)
    parameters: OwnParameters = OwnParameters()

    @property
    def protocol(self) -> str:
        return self.parameters.bargaining.protocol

    def with_bargaining(self, **changes: object) -> OwnDataSettings:
        """The same settings with some bargaining parameters changed (validated)."""
        bargaining = self.parameters.bargaining.model_dump() | changes
        parameters = OwnParameters(bargaining=BargainingParameters(**bargaining),
                                   consensus=self.parameters.consensus)
        return OwnDataSettings(rounds=self.rounds, parameters=parameters)


def read_own_parameters(path: Path | str) -> OwnDataSettings:
    """A parameter file; unknown keys and values out of range are InputErrors naming them and
    their line."""
    raw, node = load_yaml(read_text(Path(path)), path)
    if raw is None:
        raise InputError(str(path), "(file)", "the file is empty; a parameter file is a "
                         "mapping: rounds and parameters")
    if not isinstance(raw, dict):
        raise InputError(str(path), "(top level)", "a parameter file is a mapping: rounds and "
                         "parameters")
    try:
        return OwnDataSettings.model_validate(raw)
    except ValidationError as exc:
        field, message = validation_problem(exc, OwnDataSettings)
        raise InputError(str(path), at_line(field, error_line(node, exc)), message) from None


def own_parameters_yaml(settings: OwnDataSettings, names: list[str], header: str = "") -> str:
    """A parameter file's text: rounds, the protocol and the bargaining settings `names`, under
    `header` comment lines."""
    import yaml

    bargaining = settings.parameters.bargaining.model_dump(mode="json")
    body = {"rounds": settings.rounds,
            "parameters": {"bargaining": {"protocol": settings.protocol,
                                          **{name: bargaining[name] for name in names}}}}
    comments = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comments + yaml.safe_dump(body, sort_keys=False)

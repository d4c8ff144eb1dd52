"""The protocol registry drives the scenario schema, the CLI choices, forecast and the README."""

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from simulation.cli import build_parser
from simulation.engine import protocols, rules
from simulation.engine.model import NegotiationModel
from simulation.engine.parameters import BargainingParameters, Parameters
from simulation.engine.protocols.base import (
    BargainingContext,
    Exchanges,
    Round,
    weighted_mean_positions,
)
from simulation.engine.varying import parameter_path
from simulation.errors import InputError
from simulation.inputs.arrays import build_negotiation
from simulation.inputs.calendar import load_calendar
from simulation.inputs.catalogue import default_catalogue
from simulation.inputs.preferences import derive_preferences
from simulation.runs.forecast import settings_for

README = Path(__file__).resolve().parents[1] / "README.md"
TABLE = re.compile(r"<!-- protocols table: start -->\n(.*?)\n<!-- protocols table: end -->",
                   re.DOTALL)


@pytest.fixture(scope="module")
def negotiation():
    catalogue = default_catalogue()
    return build_negotiation(catalogue, derive_preferences(catalogue), load_calendar())


def test_the_readme_table_is_the_registrys():
    found = TABLE.search(README.read_text(encoding="utf-8"))
    assert found, "README.md lacks the protocols table markers"
    assert found.group(1) == protocols.markdown_table(), (
        "README's protocol table is stale: replace it with protocols.markdown_table()")


def test_the_scenario_schema_has_every_setting_with_its_default():
    fields = BargainingParameters.model_fields
    assert set(fields) == {"protocol", *(s.name for s in protocols.settings())}
    defaults = BargainingParameters()
    assert defaults.protocol == protocols.DEFAULT
    for setting in protocols.settings():
        assert getattr(defaults, setting.name) == setting.default


@pytest.mark.parametrize("setting", protocols.settings(), ids=lambda s: s.name)
def test_the_schema_rejects_values_outside_a_settings_range(setting):
    bad = ["not one of them"] if setting.choices else [setting.low - 1e-6, setting.high + 1e-6]
    for value in bad:
        with pytest.raises(ValidationError, match=setting.name):
            BargainingParameters(**{setting.name: value})
    good = setting.choices[-1] if setting.choices else setting.high
    assert getattr(BargainingParameters(**{setting.name: good}), setting.name) == good


def test_an_unknown_protocol_is_refused_by_the_schema_and_forecast():
    with pytest.raises(ValidationError, match="protocol"):
        BargainingParameters(protocol="auction")
    with pytest.raises(InputError, match="allowed: " + ", ".join(protocols.NAMES)):
        settings_for("auction")


@pytest.mark.parametrize("command", ["simulate", "forecast", "backtest"])
def test_the_cli_offers_exactly_the_registered_protocols(command):
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.choices and command in a.choices)
    actions = subparsers.choices[command]._actions
    option = next(a for a in actions if "--protocol" in a.option_strings)
    assert tuple(option.choices) == protocols.NAMES


def test_the_registry_names_load_without_numpy_or_numba():
    code = ("import sys; from simulation.engine.protocols import NAMES; "
            "print(NAMES, 'numpy' in sys.modules or 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"{protocols.NAMES} False"


@pytest.mark.parametrize("name", protocols.NAMES)
def test_every_protocol_bargains_a_batch_and_returns_a_round(name, negotiation):
    parameters = Parameters(bargaining=BargainingParameters(protocol=name))
    model = NegotiationModel(negotiation, parameters, seeds=[1, 2, 3])
    assert type(model.protocol).__name__ == protocols.PROTOCOLS[name].cls
    start = model.positions.copy()
    model.step()
    assert model.positions.shape == start.shape
    assert np.all((model.positions >= 0) & (model.positions <= 100))
    assert not np.array_equal(model.positions, start), f"{name} moved nobody in a whole period"


@pytest.mark.parametrize("name", protocols.NAMES)
def test_a_protocol_reads_the_calendars_pressure_as_the_registry_says(name, negotiation):
    """`reads_pressure` decides which priors and swept pressures mc11 calls unread: the same
    seeds under a low and a high pressure move members alike exactly when it is False."""
    parameters = Parameters(bargaining=BargainingParameters(protocol=name))
    moved = []
    for pressure in (0.2, 0.9):
        calendar = tuple(period.model_copy(update={"pressure": pressure})
                         for period in negotiation.calendar)
        model = NegotiationModel(dataclasses.replace(negotiation, calendar=calendar),
                                 parameters, seeds=[1, 2])
        for _ in range(3):
            model.step()
        moved.append(model.positions.copy())
    same = np.array_equal(*moved)
    assert same is not protocols.PROTOCOLS[name].reads_pressure, name


def test_a_round_finds_the_exchanges_of_a_replication():
    records = np.zeros(2, dtype=[("i", np.int64)])
    bargained = Round(np.zeros((3, 2, 2)), (Exchanges(1, records),))
    assert bargained.exchanges_of(1) is records
    assert bargained.exchanges_of(0).size == 0


def test_where_no_one_cares_the_expected_outcome_is_weighted_by_capability():
    """Saliences all 0 (own data: nobody takes part) once gave an expected outcome of 0, which
    pulled every member toward the scale's end; the chair's text already fell back to
    capability, and so does the mean, in the compiled rule and its plain statement."""
    X, S, C = np.array([[60.0, 10.0], [80.0, 30.0]]), np.array([[0.0, 0.5], [0.0, 0.5]]), \
        np.array([3.0, 1.0])
    assert weighted_mean_positions(X, S, C).tolist() == [65.0, 15.0]
    assert rules.weighted_mean_positions(X.tolist(), S.tolist(), C.tolist()) == [65.0, 15.0]


def test_one_salience_table_serves_every_replication_of_a_batch():
    """The negotiation's saliences (n, k), shared by a batch of replications' positions
    (r, n, k), weigh each replication's positions as they would weigh them alone."""
    X = np.array([[[60.0, 10.0], [80.0, 30.0]], [[20.0, 90.0], [40.0, 50.0]],
                  [[0.0, 100.0], [100.0, 0.0]]])
    S, C = np.array([[0.2, 0.5], [0.6, 0.5]]), np.array([3.0, 1.0])
    together = weighted_mean_positions(X, S, C)
    assert together.shape == (3, 2)
    for positions, means in zip(X, together, strict=True):
        assert means.tolist() == weighted_mean_positions(positions, S, C).tolist()
        np.testing.assert_allclose(
            means, rules.weighted_mean_positions(positions.tolist(), S.tolist(), C.tolist()))


@pytest.mark.parametrize("pressure", [0.4, np.array([0.4, 0.7, 1.0])])
def test_the_periods_pressure_is_one_writable_value_per_replication(pressure):
    """Whether the calendar gives the period one pressure or one per replication, a protocol
    gets an array of the replications' own (which the compiled rules take as they take
    every other writable array, and which it may change without changing the calendar's)."""
    context = BargainingContext(saliences=np.ones((3, 2, 2)), capability=np.ones(2) / 2,
                                targets=np.zeros((3, 2, 2)), active=np.ones((3, 2), bool),
                                pressure=pressure, draw_shocks=np.zeros)
    pressures = context.pressures
    assert pressures.tolist() == np.broadcast_to(pressure, 3).tolist()
    assert pressures.flags.writeable and pressures.flags.c_contiguous
    pressures[0] = 0.0
    assert context.pressures[0] == np.broadcast_to(pressure, 3)[0]


# --- mutation testing, fifteenth round (docs/mutation_testing.md) --------------------------


def test_each_settings_description_names_the_protocol_that_reads_it():
    """The scenario schema describes each setting as the protocol that reads it and what it
    means (a flat section: the protocol tells a reader whose setting it is)."""
    for spec in protocols.REGISTRY:
        for setting in spec.settings:
            description = BargainingParameters.model_fields[setting.name].description
            assert description == f"{spec.name}: {setting.meaning}"


@pytest.mark.parametrize("name", ["protocol", "noise_sd"])
def test_a_setting_named_protocol_or_declared_twice_is_refused(monkeypatch, name):
    """`protocol` is the section's own field, and a second `noise_sd` would read the first's
    value: neither can be a protocol's setting."""
    extra = dataclasses.replace(protocols.REGISTRY[-1], name="auction", settings=(
        protocols.Setting(name, 1.0, "a setting", 0, 2),))
    monkeypatch.setattr(protocols, "REGISTRY", (*protocols.REGISTRY, extra))
    with pytest.raises(ValueError, match=f"'{name}' is declared twice"):
        protocols.settings()


def test_a_period_under_the_exchange_protocol_realises_exchanges(negotiation):
    """`exchange` names the exchange rule: a traced period records the exchanges realised."""
    parameters = Parameters(bargaining=BargainingParameters(protocol="exchange"))
    model = NegotiationModel(negotiation, parameters, rng=1, trace=True)
    model.step()
    (_, records), = model.exchanges
    assert records.size > 0 and (records["gain"] > 0).all()


NUMERIC_SETTINGS = [(spec.name, setting) for spec in protocols.REGISTRY
                    for setting in spec.settings if not setting.choices]
# T weighs what a member believes follows when the status quo does not hold, so it matters
# only where Q, the belief that it holds, is below 1 (its default)
WHERE_IT_MATTERS = {"improvement_belief": {"status_quo_belief": 0.5}}


@pytest.mark.parametrize(("protocol", "setting"), NUMERIC_SETTINGS,
                         ids=[setting.name for _, setting in NUMERIC_SETTINGS])
def test_a_setting_varied_by_replication_acts_as_if_the_scenario_set_it(negotiation, protocol,
                                                                       setting):
    """A prior, a sweep or a sensitivity design varies a protocol's setting by replication: each
    replication bargains as a scenario that sets that value would (the exchange protocol's
    weights once kept the scenario's value whatever the replication drew)."""
    chosen = [setting.low + share * (setting.high - setting.low) for share in (0.2, 0.45)]
    base = BargainingParameters(protocol=protocol, **WHERE_IT_MATTERS.get(setting.name, {}))
    values = {parameter_path("bargaining", setting.name): np.array(chosen)}
    batch = NegotiationModel(negotiation, Parameters(bargaining=base), seeds=[5, 5],
                             values=values).run()
    assert not np.array_equal(batch.mean_position[0], batch.mean_position[1])
    for row, value in enumerate(chosen):
        scenario = Parameters(bargaining=base.model_copy(update={setting.name: value}))
        alone = NegotiationModel(negotiation, scenario, seeds=[5]).run()
        for field in ("outcome", "text", "mean_position"):
            np.testing.assert_array_equal(getattr(batch, field)[row], getattr(alone, field)[0])

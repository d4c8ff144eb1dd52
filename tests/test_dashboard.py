"""The dashboard's engine bridge, without a browser: edits, validation, ensembles, saving,
cancelling, and the watched negotiation (the browser tests are in test_dashboard_browser.py)."""

import io
import logging
import multiprocessing

import ipyvuetify as v
import numpy as np
import pandas as pd
import pytest
import solara
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.cli import main
from simulation.dashboard import editor, state, watch
from simulation.engine import protocols
from simulation.engine.parameters import Parameters
from simulation.errors import InputError
from simulation.inputs import DEFAULT_SCENARIO
from simulation.inputs.scenario import load_scenario
from simulation.runs.ensemble import run_ensemble

RUNS, SEED = 100, 4242


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(DEFAULT_SCENARIO)


USA_MORE = state.Edit("members", "USA", issue="data_flows", position=20.0, salience=0.9)
LDC_SOFTER = state.Edit("group", "ldc_group", cluster="data_technology", position=70.0)
EDITS = [USA_MORE, LDC_SOFTER]
PARAMETERS = {"consensus.critical_mass": 0.8, "bargaining.protocol": "compromise"}


def test_a_scenario_with_the_longest_name_still_has_a_what_if(baseline):
    """A name of 93-100 characters plus "-what-if" was refused as too long, a refusal of the
    form's changes for a name the user never changed."""
    long = baseline.with_changes(name="n" * 100)
    edited = state.what_if_scenario(long, [USA_MORE], {})
    assert edited.name == "n" * 92 + "-what-if"


@pytest.mark.parametrize(("path", "field", "allowed"), [
    ("concensus.min_step", "parameters.concensus", "did you mean 'consensus'"),
    ("consensus.package.on", "parameters.consensus.package", "allowed: true or false"),
])
def test_a_parameter_path_the_schema_lacks_is_the_loaders_message(baseline, path, field,
                                                                  allowed):
    """A misspelt section ended in a KeyError from building the mapping, even through
    try_what_if, which is to give the loader's message instead."""
    scenario, problem = state.try_what_if(baseline, [], {path: 5})
    assert scenario is None
    assert f"the form's changes to {baseline.path}: {field}: " in problem and allowed in problem


def test_edits_change_exactly_the_chosen_preferences(baseline):
    edited = state.what_if_scenario(baseline, [USA_MORE], {})
    before, after = baseline.preferences, edited.preferences
    changed = (before[["position", "salience"]] != after[["position", "salience"]]).any(axis=1)
    rows = after[changed]
    assert set(rows["member"]) == {"USA"} and set(rows["issue"]) == {"data_flows"}
    assert rows["position"].tolist() == [20.0] and rows["salience"].tolist() == [0.9]


def test_parameters_are_set_by_their_dotted_path(baseline):
    edited = state.what_if_scenario(baseline, [], {"consensus.critical_mass": 0.75,
                                                   "coalitions.bloc_discipline": 0.5})
    assert edited.spec.parameters.consensus.critical_mass == 0.75
    assert edited.spec.parameters.coalitions.bloc_discipline == 0.5
    assert baseline.spec.parameters.consensus.critical_mass == 0.9  # the base is untouched


def test_a_parameter_set_keeps_the_other_values_of_its_section(baseline):
    """Setting consensus.critical_mass changes it alone: the scenario's own min_step and
    package beside it in the consensus section stay as the scenario has them."""
    base = baseline.with_changes(parameters={"consensus": {"min_step": 7, "package": True}})
    edited = state.what_if_scenario(base, [], {"consensus.critical_mass": 0.75})
    consensus = edited.spec.parameters.consensus
    assert (consensus.critical_mass, consensus.min_step, consensus.package) == (0.75, 7, True)


def test_a_parameter_takes_a_prior_as_a_scenario_file_writes_it(baseline):
    prior = state.parse_setting("{uniform: [0.8, 1.0]}")
    edited = state.what_if_scenario(baseline, [], {"consensus.critical_mass": prior})
    assert edited.priors["parameters.consensus.critical_mass"].as_data() == prior
    assert state.setting_text(state.parameter_setting(edited, "consensus.critical_mass")) == \
        "{uniform: [0.8, 1.0]}"
    fixed = state.what_if_scenario(edited, [], {"consensus.critical_mass": 0.85})
    assert "parameters.consensus.critical_mass" not in fixed.priors
    assert state.parameter_setting(fixed, "consensus.critical_mass") == 0.85


def test_a_field_yaml_would_read_as_octal_is_refused_with_the_number_it_looks_like(baseline):
    """0100 in a form field ran with 64 (YAML 1.1's octal), silently."""
    parameters = state.with_setting({}, "consensus.min_step", "010")
    scenario, message = state.try_what_if(baseline, [], parameters)
    assert scenario is None and "write 10" in message, message


def test_every_parameter_is_a_form_field_with_its_schema_bounds():
    fields = {f.path: f for f in state.parameter_fields()}
    mass = fields["consensus.critical_mass"]
    assert (mass.low, mass.high) == (0, 1)
    assert fields["bargaining.protocol"].choices == protocols.NAMES
    assert fields["consensus.package"].kind == "bool"
    defaults = Parameters().model_dump()
    for path, field in fields.items():
        value = defaults
        for part in path.split("."):
            value = value[part]
        assert field.default == value


@pytest.mark.parametrize(("edit", "parameters"), [
    (state.Edit("members", "USA", issue="data_flows", position=150.0), {}),
    (state.Edit("members", "XXX", issue="data_flows", position=50.0), {}),
    (None, {"consensus.critical_mass": 1.5}),
    (None, {"consensus.critical_mass": {"uniform": [1.0, 0.8]}}),
    (None, {"consensus.critical_mass": "lots"}),
])
def test_refused_values_carry_the_scenario_files_message(baseline, tmp_path, edit, parameters):
    """The form refuses what a scenario file may not say, with the loader's words."""
    edits = [edit] if edit else []
    with pytest.raises(InputError) as in_form:
        state.what_if_scenario(baseline, edits, parameters)
    raw = {"extends": str(DEFAULT_SCENARIO), "name": "bad",
           "overrides": [e.override() for e in edits]}
    for path, value in parameters.items():
        group, name = path.split(".")
        raw.setdefault("parameters", {}).setdefault(group, {})[name] = value
    file = tmp_path / "bad.yaml"
    file.write_text(yaml.safe_dump(raw))
    with pytest.raises(InputError) as from_file:
        load_scenario(file)
    assert in_form.value.problem == from_file.value.problem
    assert in_form.value.field.split(": ")[-1] == from_file.value.field.split(": ")[-1]


def test_current_values_are_the_chosen_members_mean(baseline):
    table = baseline.preferences
    rows = table[(table["member"] == "USA") & (table["issue"] == "data_flows")]
    assert state.current_values(baseline, "members", "USA", "data_flows", None) == \
        pytest.approx((rows["position"].mean(), rows["salience"].mean()))
    assert state.current_values(baseline, "members", "NOPE", "data_flows", None) is None


def test_the_what_if_equals_mc11_run_of_the_saved_scenario(baseline, tmp_path, capsys):
    """Same seed and edits: the dashboard's summary is `mc11 run`'s summary.csv, byte for byte,
    from the file "save as scenario" wrote."""
    edited = state.saved_scenario(baseline, EDITS, PARAMETERS, "my_what_if", RUNS, SEED)
    tables = state.run_what_if(edited, RUNS, SEED, workers=2)
    saved = state.save_scenario(edited, tmp_path / "my_what_if.yaml")
    # its empty lists of what-if papers and stances do not read as the shipped ones dropped
    assert "the shipped ones\n# (simulation/data/proposals.yaml, groups.yaml) stay in force" in \
        saved.read_text(encoding="utf-8")
    with pytest.raises(InputError, match="exists already"):
        state.save_scenario(edited, saved)
    folder = tmp_path / "out"
    assert main(["run", str(saved), "--workers", "1", "--folder", str(folder), "--quiet",
                 "--no-plots"]) == 0  # the file's own runs and seed
    assert tables.summary_csv() == (folder / "summary.csv").read_text(encoding="utf-8")
    support = pd.read_csv(folder / "support.csv")
    assert np.allclose(support["support_mean"], tables.support["support_mean"])
    base = state.run_what_if(baseline, RUNS, SEED, workers=1)
    changes = state.comparison(base, tables)
    assert (changes["diff_multilateral_low"] <= changes["diff_multilateral"]).all()
    assert not tables.summary.equals(base.summary)  # the edits matter
    # the changes are `mc11 compare`'s of the two folders: runs of one seed, paired
    assert main(["run", str(baseline.path), "--runs", str(RUNS), "--seed", str(SEED),
                 "--workers", "1", "--folder", str(tmp_path / "base"), "--quiet",
                 "--no-plots"]) == 0
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "base"), str(folder), "--format", "csv"]) == 0
    compared = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert changes["paired"].all()
    numbers = [c for c in compared.columns if c.startswith("diff_")]
    np.testing.assert_allclose(changes[numbers].to_numpy(float), compared[numbers].to_numpy(float),
                               atol=1e-12)


def test_an_unchanged_share_reads_0_and_a_tiny_bound_keeps_its_sign(baseline):
    """The shares table's changes are written as `mc11 compare` writes them: an issue the
    what-if leaves alone reads 0.000 (it read -0.000, the sign of a difference of equal
    shares, on every row of the page's first view, the scenario against itself), and a bound
    too small for three decimals +<0.001, never 0 beside a * that says it excludes 0."""
    from simulation.dashboard import results
    from simulation.report.summary import signed_change

    tables = state.run_what_if(baseline, 20, SEED, workers=1)
    changes = state.comparison(tables, tables)
    view = results.shares_table(tables, tables, changes)
    for name in ("multilateral", "plurilateral", "none"):
        assert view[f"change {name}"].str.startswith("0.000 [-0.").all()
    assert [signed_change(x, 3) for x in (0.0, -0.0, 0.0004, -0.0004, 0.0125, -0.5)] == \
        ["0.000", "0.000", "+<0.001", "-<0.001", "+0.013", "-0.500"]
    assert [signed_change(x) for x in (-0.0, 0.004, -0.004)] == ["0.00", "+<0.01", "-<0.01"]


def test_text_levels_carry_each_issues_scale_anchors(baseline):
    tables = state.run_what_if(baseline, 50, SEED, workers=1)
    levels = state.text_levels(tables).set_index("issue")
    mandate = baseline.catalogue.issue("mandate")
    assert levels.loc["mandate", "low"] == mandate.scale.low
    assert levels.loc["mandate", "high"] == mandate.scale.high
    assert levels.loc["mandate", "status_quo"] == mandate.status_quo


@pytest.mark.parametrize("workers", [1, 2])
def test_cancel_stops_the_work(baseline, workers):
    """Asked to stop after the first chunk, the run returns nothing, and no worker is left."""
    seen = []
    result = state.run_what_if(baseline, 5000, SEED, workers=workers, on_progress=seen.append,
                               keep_going=lambda: len(seen) < 1)
    assert result is None
    assert seen == [50]
    assert multiprocessing.active_children() == []


def test_a_cancel_before_an_ensemble_starts_runs_none_of_it(baseline):
    """Cancel (or the page closing) during the baseline's last chunk used to let the what-if
    ensemble start and run to its end: an ensemble asked to stop before it starts runs
    nothing."""
    seen = []
    assert state.run_what_if(baseline, 60, SEED, workers=1, on_progress=seen.append,
                             keep_going=lambda: False) is None
    assert seen == []


def test_a_cancel_after_the_last_chunk_keeps_the_finished_ensemble(baseline):
    """Cancel pressed as the last runs finish threw the whole finished ensemble away."""
    seen = []  # cancelled once the last chunk (runs 51-60) is in
    result = state.run_what_if(baseline, 60, SEED, workers=1, on_progress=seen.append,
                               keep_going=lambda: len(seen) < 2)
    assert seen == [50, 60] and result is not None and result.runs == 60
    assert result.summary_csv() == state.run_what_if(baseline, 60, SEED, workers=1).summary_csv()


def test_the_run_buttons_progress_counts_only_the_runs_it_starts(baseline, monkeypatch):
    """The progress bar ends at 100% and the count at the runs actually made, whether the
    press runs the baseline alone, the what-if alone (baseline cached) or both."""
    from simulation.dashboard import app

    run = state.run_what_if
    # no page here, so the task is never current: let its runs go on
    monkeypatch.setattr(app.state, "run_what_if", lambda *args: run(*args[:5]))
    monkeypatch.setattr(app, "_BASELINES", state.Baselines(16))
    what_if = state.what_if_scenario(baseline, [USA_MORE], {})
    steps = []
    for base, other, runs in ((baseline, baseline, 60), (baseline, what_if, 60),
                              (baseline, what_if, 70)):
        first, second = app.ensemble.function(base, other, runs, SEED)
        steps.append((app.ensemble.progress, app.done.value, first is second))
    assert steps == [(100.0, 60, True), (100.0, 60, False), (100.0, 140, False)]


def test_the_watched_replication_ends_as_its_ensemble_row(baseline):
    replication = 3
    model = watch.watched_model(baseline, SEED, replication)
    months = []
    while model.running:
        months.append(watch.step_month(model))
    assert len(months) == len(model.negotiation.calendar)
    assert months[-1].label == model.period_label
    verdict = watch.verdict_table(model)
    outcomes = run_ensemble(baseline, 5, SEED, workers=1).outcomes
    row = outcomes[outcomes["run"] == replication]
    assert verdict["outcome"].tolist() == row["outcome"].tolist()
    assert verdict["blockers"].str.replace(" ", ";").tolist() == row["blockers"].tolist()


def test_a_month_reports_who_joined_and_who_left(baseline):
    model = watch.watched_model(baseline, SEED, 0)
    for _ in range(len(model.negotiation.calendar)):
        before = model.membership[0].copy()
        month = watch.step_month(model)
        now = model.membership[0]
        assert {tuple(x) for x in np.argwhere(now & ~before)} == set(month.joined)
        assert {tuple(x) for x in np.argwhere(before & ~now)} == set(month.left)
    hubs, spots = watch.layout(model.negotiation, model.membership[0])
    assert hubs.shape == (len(model.negotiation.coalitions), 2)
    assert spots.shape == (len(model.negotiation.members), 2)


def test_dashboard_command_refuses_a_bad_scenario(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nparameters: {consensus: {critical_mass: 7}}\n")
    assert main(["dashboard", str(bad)]) == 2
    assert "critical_mass" in capsys.readouterr().err


def test_dashboard_serves_this_machine_unless_told_and_warns(monkeypatch, capsys):
    from simulation.cli import dashboard

    started = []
    monkeypatch.setattr(dashboard, "check_free", lambda host, port: None)  # ports of others
    monkeypatch.setattr(dashboard.subprocess, "run", lambda command, **kw: started.append(
        (command, kw["env"])) or type("Done", (), {"returncode": 0})())
    assert main(["dashboard"]) == 0
    command, env = started[-1]
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert env["MC11_DASHBOARD_SCENARIO"] == str(DEFAULT_SCENARIO)
    assert "warning" not in capsys.readouterr().err
    assert main(["dashboard", "--host", "0.0.0.0", "--port", "9001"]) == 0
    command, _ = started[-1]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert command[command.index("--port") + 1] == "9001"
    assert "warning: serving on 0.0.0.0" in capsys.readouterr().err


def test_the_users_own_python_warnings_reach_the_dashboard_server(monkeypatch):
    """The server is told to ignore Solara's cookie warning, after the user's own settings
    (PYTHONWARNINGS), which it keeps."""
    from simulation.cli import dashboard
    from simulation.runs import ensemble

    started = []
    monkeypatch.setenv("PYTHONWARNINGS", "error::DeprecationWarning")
    monkeypatch.setattr(ensemble, "rules_need_compiling", lambda: False)
    monkeypatch.setattr(dashboard, "check_free", lambda host, port: None)
    monkeypatch.setattr(dashboard.subprocess, "run", lambda command, **kw: started.append(
        kw["env"]) or type("Done", (), {"returncode": 0})())
    assert main(["dashboard"]) == 0
    assert started[-1]["PYTHONWARNINGS"] == ("error::DeprecationWarning,"
                                             + dashboard.QUIET_WARNINGS)


def test_a_server_that_stops_with_an_error_is_said_to_have_stopped_not_blamed_on_the_port(
        monkeypatch, capsys):
    """The port was checked free before the server started: a server that ends with an error
    later (a stop signal to it alone, a crash) was stopped, exit 130, its messages above."""
    from simulation.cli import dashboard

    monkeypatch.setattr(dashboard, "check_free", lambda host, port: None)
    monkeypatch.setattr(dashboard.subprocess, "run",
                        lambda command, **kw: type("Done", (), {"returncode": 1})())
    assert main(["dashboard", "--port", "8901"]) == 130
    error = capsys.readouterr().err
    assert "the dashboard server on 127.0.0.1:8901 stopped (exit code 1)" in error
    assert "port in use" not in error


@pytest.mark.parametrize("stop", ["Ctrl-C", -2, 130])
def test_a_dashboard_stopped_with_ctrl_c_exits_130_as_any_command(monkeypatch, capsys, stop):
    """Ctrl-C (or SIGTERM) reaches mc11 as a KeyboardInterrupt while it waits for the server;
    a stop signal to the server alone ends it with a code of its own (-2: killed by SIGINT, or
    130, the code of a program that stops itself on Ctrl-C). Either way the dashboard was
    interrupted: exit 130, as `mc11 run` stopped by Ctrl-C (it exited 0)."""
    from simulation.cli import dashboard

    def serve(command, **kw):
        if stop == "Ctrl-C":
            raise KeyboardInterrupt
        return type("Done", (), {"returncode": stop})()

    monkeypatch.setattr(dashboard, "check_free", lambda host, port: None)
    monkeypatch.setattr(dashboard.subprocess, "run", serve)
    assert main(["dashboard"]) == 130
    error = capsys.readouterr().err
    assert ("mc11: interrupted" if stop == "Ctrl-C" else f"stopped (exit code {stop})") in error
    assert "Traceback" not in error


def test_dashboard_server_does_not_ask_pypi_for_a_newer_solara(monkeypatch):
    """Solara's server asks pypi.org for its latest version at every start and prints 'Please
    upgrade using: pip install solara==...', advice outside the project's pinned range; the
    dashboard turns that check off."""
    from simulation.cli import dashboard

    started = []
    monkeypatch.setattr(dashboard, "check_free", lambda host, port: None)
    monkeypatch.setattr(dashboard.subprocess, "run", lambda command, **kw: started.append(
        command) or type("Done", (), {"returncode": 0})())
    assert main(["dashboard"]) == 0
    assert "--no-check-version" in started[-1]


@settings(max_examples=25,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(who=st.sampled_from(["members", "group", "sponsors_of"]),
       name=st.one_of(st.sampled_from(["USA", "african_group", "JOB/GC/94", "ldc_group"]),
                      st.text(max_size=8)),
       scope=st.sampled_from([("issue", "moratorium"), ("issue", "nowhere"),
                              ("cluster", "market_access"), ("cluster", "nowhere"), (None, None)]),
       position=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
       salience=st.one_of(st.none(), st.floats(-1, 2)))
def test_any_form_input_gives_a_scenario_or_the_loaders_error(baseline, who, name, scope,
                                                              position, salience):
    """Whatever the form holds, the page gets a scenario or a one-paragraph InputError."""
    kind, target = scope
    edit = state.Edit(who, name, issue=target if kind == "issue" else None,
                      cluster=target if kind == "cluster" else None, position=position,
                      salience=salience)
    scenario, problem = state.try_what_if(baseline, [edit], {})
    assert (scenario is None) != (problem is None)
    if problem is None:
        assert state.current_values(scenario, who, name, edit.issue, edit.cluster) is not None


@pytest.mark.parametrize("port", ["0", "65536"])
def test_a_port_outside_1_to_65535_is_refused_saying_the_range(monkeypatch, capsys, port):
    from simulation.cli import dashboard

    started = []
    monkeypatch.setattr(dashboard, "check_free", lambda host, port: None)
    monkeypatch.setattr(dashboard.subprocess, "run", lambda command, **kw: started.append(
        command) or type("Done", (), {"returncode": 0})())
    with pytest.raises(SystemExit) as ended:
        main(["dashboard", "--port", port])
    assert ended.value.code == 2
    assert "--port: must be a whole number from 1 to 65535" in capsys.readouterr().err
    assert not started


def test_a_port_in_use_is_refused_before_announcing_the_page(capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["dashboard", "--port", str(port)]) == 2
    error = capsys.readouterr().err
    assert f"127.0.0.1:{port}" in error and "in use" in error and "--port" in error
    assert "dashboard on" not in error


def test_an_emptied_parameter_field_goes_back_to_the_scenarios_setting(baseline):
    """Emptying a parameter's field drops the page's value (it was read as YAML's null: the
    field showed "None" and the what-if was refused)."""
    parameters = state.with_setting({}, "consensus.critical_mass", "0.8")
    assert parameters == {"consensus.critical_mass": 0.8}
    assert state.with_setting(parameters, "consensus.critical_mass", "  ") == {}
    assert state.try_what_if(baseline, [], state.with_setting({}, "consensus.critical_mass",
                                                              ""))[1] is None


def test_save_as_scenario_expands_home_and_names_the_file_asked_for(baseline, tmp_path,
                                                                    monkeypatch):
    """`~` is the home folder (it made a folder named '~'), and a refusal names the file the
    user asked to write (it named the base scenario, baseline.yaml)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    written = state.save_what_if(baseline, [USA_MORE], {}, "~/usa_more.yaml", 50, SEED)
    assert written == tmp_path / "usa_more.yaml" and load_scenario(written).name == "usa_more"
    assert state.save_scenario(load_scenario(written), "~/again.yaml") == tmp_path / "again.yaml"
    assert state.try_open("~/usa_more.yaml")[0].name == "usa_more"  # opened as it was saved
    monkeypatch.chdir(tmp_path)  # a relative name: the message says where the file went
    assert state.save_scenario(load_scenario(written), "here.yaml") == tmp_path / "here.yaml"
    for path, problem in ((tmp_path / "my what if.yaml", "no spaces"),
                          (tmp_path / "usa_more.yaml", "exists already")):
        with pytest.raises(InputError, match=problem) as refused:
            state.save_what_if(baseline, [USA_MORE], {}, path, 50, SEED)
        assert refused.value.source == str(path) and "baseline" not in str(refused.value)


@pytest.mark.parametrize("typed", ["usa_more", "usa_more.yml", "usa_more.YAML", "usa_more.txt",
                                   "~"])
def test_save_as_scenario_refuses_a_file_name_without_yaml(baseline, tmp_path, monkeypatch,
                                                           typed):
    """A name without .yaml was written as typed (a scenario file no list of scenarios shows):
    it is refused with what is allowed, and nothing is written."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=r"ends in \.yaml") as refused:
        state.save_what_if(baseline, [USA_MORE], {}, typed, 50, SEED)
    assert refused.value.source == typed and refused.value.field == "save as"
    assert "nothing was written" in refused.value.problem
    assert list(tmp_path.iterdir()) == []


WINDOW_COLUMN = 830  # pixels: the page's results column in a 1280-pixel-wide window


def _texts_too_small_or_wide(figure) -> list[str]:
    """What keeps a chart from being legible in a 1280 x 800 window: wider than the results
    column (the browser shrinks it, and its text) or a text under 11 pixels."""
    from matplotlib.text import Text

    width = figure.get_figwidth() * figure.dpi
    problems = [f"{width:.0f} px wide"] if width > WINDOW_COLUMN else []
    return problems + [f"{t.get_text()!r}: {t.get_fontsize() * figure.dpi / 72:.1f} px"
                       for t in figure.findobj(Text) if t.get_visible() and t.get_text()
                       and t.get_fontsize() * figure.dpi / 72 < 11]


def test_the_charts_fit_the_page_and_their_text_is_legible(baseline):
    from simulation.dashboard import charts

    base = state.run_what_if(baseline, 20, SEED, workers=1)
    other = state.run_what_if(state.what_if_scenario(baseline, [USA_MORE], {}), 20, SEED,
                              workers=1)
    model = watch.watched_model(baseline, SEED, 0)
    start = model.positions[0][:, 0].copy()
    month = watch.step_month(model)
    figures = {"outcomes": charts.outcome_chart(base, other, state.comparison(base, other)),
               "text": charts.text_chart(state.text_levels(base), state.text_levels(other)),
               "support": charts.support_chart(base, other, "mandate"),
               "network": charts.network_chart(model, "mandate", month),
               "positions": charts.positions_chart(model, "mandate", start)}
    problems = {name: _texts_too_small_or_wide(f) for name, f in figures.items()}
    assert {name: found for name, found in problems.items() if found} == {}


def test_the_network_charts_labels_do_not_overlap(baseline):
    from simulation.dashboard import charts

    model, month = watch.watched_model(baseline, SEED, 0), None
    while True:
        figure = charts.network_chart(model, "data_flows", month)
        renderer = figure.canvas.get_renderer()
        boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in figure.axes[0].texts]
        assert len(boxes) >= len(model.negotiation.coalitions)  # every coalition named
        overlaps = [(a, b) for i, (a, box) in enumerate(boxes) for b, other in boxes[i + 1:]
                    if box.overlaps(other)]
        assert overlaps == [], f"{model.period_label}: {overlaps}"
        if not model.running:
            break
        month = watch.step_month(model)


def test_the_form_says_whose_preferences_change_in_words_not_field_names(baseline):
    """The choice of whose preferences to change offered the scenario file's keys (members,
    group, sponsors_of): it offers the domain's words, and each still picks its own names."""
    _, rendered = solara.render(editor.EditForm(baseline, solara.reactive([])),
                                handle_error=False)
    kinds = rendered.find(v.Select, label="Change the preferences of").widget
    assert kinds.items == ["a member", "a group", "a proposal's sponsors"]
    kinds.v_model = "a proposal's sponsors"
    assert [item["value"] for item in rendered.find(v.Select, label="Who").widget.items] == \
        [p.symbol for p in baseline.catalogue.proposals]
    rendered.close()


def _who_items(rendered) -> dict[str, str]:
    """The Who list's words on the page, by the value each sets."""
    items = rendered.find(v.Select, label="Who").widget.items
    return {item["value"]: item["text"] for item in items}


def test_the_who_list_names_members_and_groups_in_words_and_sets_their_codes(baseline):
    """Members were listed by code alone (the EU as "EUN") and groups by their tags
    (`doha_linkage_india`): each member shows its name too, each group its name (a group
    stance's from groups.yaml, a tag's title), and choosing one still sets the code or id."""
    edits = solara.reactive([])
    _, rendered = solara.render(editor.EditForm(baseline, edits), handle_error=False)
    members = _who_items(rendered)
    assert list(members) == [m.code for m in baseline.catalogue.actors]
    assert members["EUN"] == "EUN – European Union" and members["USA"] == "USA – United States"
    rendered.find(v.Select, label="Change the preferences of").widget.v_model = "a group"
    groups = _who_items(rendered)
    assert list(groups) == baseline.catalogue.group_names
    assert groups["doha_linkage_india"] == "India (Doha linkage) – doha_linkage_india"
    assert groups["gats_preference_china_india"].startswith("China and India (GATS)")
    assert groups["african_group"].startswith("African Group")
    assert groups["g90"].startswith("G-90") and groups["eu28"].startswith("EU28 member states")
    rendered.find(v.Select, label="Who").widget.v_model = "doha_linkage_india"
    rendered.find(v.Btn, children=["Add change"]).widget.click()
    assert edits.value[0].name == "doha_linkage_india"
    rendered.close()


def test_the_choice_of_issue_cluster_or_every_issue_is_labelled(baseline):
    """The toggle of one issue, a cluster or every issue had no label, on the page or for a
    screen reader: a caption says what it chooses, and its group is named the same."""
    _, rendered = solara.render(editor.EditForm(baseline, solara.reactive([])),
                                handle_error=False)
    rendered.find(v.Html, tag="span", children=["On which issues"]).assert_single()
    group = rendered.find(v.Html, attributes={"role": "group", "aria-label": "On which issues"})
    assert [b.children for b in group.find(v.Btn).widgets] == \
        [["issue"], ["cluster"], ["every issue"]]
    rendered.close()


def test_results_of_other_runs_or_seed_than_the_forms_are_marked_out_of_date(baseline):
    """Only another scenario or an edit marked the results on show out of date: results of
    other replications or another seed than the form's are marked too, until run."""
    from simulation.dashboard import app

    tables = state.run_what_if(baseline, 20, SEED, workers=1)
    form = solara.reactive((20, SEED))

    @solara.component
    def Shown():
        app.ShownResults((tables, tables), baseline, baseline, *form.value)

    _, rendered = solara.render(Shown(), handle_error=False)
    marked = []
    for count, master in ((20, SEED), (30, SEED), (20, SEED + 1), (20, SEED)):
        form.set((count, master))
        notes = rendered.find(v.Alert, class_="out-of-date").widgets
        marked.append([" ".join(map(str, n.children)) for n in notes])
    rendered.close()
    note = "These results are of baseline as it was when run (20 runs, seed 4242)"
    assert [len(m) for m in marked] == [0, 1, 1, 0] and note in marked[1][0]


# --- mutation testing, fifth round (docs/mutation_testing.md) -----------------------------


def test_an_edit_to_position_0_or_salience_0_takes_effect(baseline):
    """The sliders' ends are values like any other: position 0 and salience 0 are set, not
    taken for 'no change'."""
    edit = state.Edit("members", "USA", issue="data_flows", position=0.0, salience=0.0)
    edited = state.what_if_scenario(baseline, [edit], {})
    table = edited.preferences.set_index(["member", "issue"])
    assert table.loc[("USA", "data_flows"), "position"] == 0
    assert table.loc[("USA", "data_flows"), "salience"] == 0
    assert baseline.preferences.set_index(["member", "issue"]).loc[
        ("USA", "data_flows"), "position"] > 0


def test_an_edit_wins_over_the_scenarios_own_override_of_the_same_row():
    """An edit made on the page comes after the opened scenario's own overrides: China's
    mandate position set to 30 on the page is 30, not china_rules_agenda's 80."""
    china = load_scenario(state.SCENARIO_DIR / "china_rules_agenda.yaml")
    row = ("CHN", "mandate")
    assert china.preferences.set_index(["member", "issue"]).loc[row, "position"] == 80
    edit = state.Edit("members", "CHN", issue="mandate", position=30.0)
    edited = state.what_if_scenario(china, [edit], {})
    assert edited.preferences.set_index(["member", "issue"]).loc[row, "position"] == 30


def test_a_what_if_of_parameters_alone_is_named_as_a_what_if(baseline):
    """Changing only parameters makes a what-if too: it is not labelled as the scenario it came
    from; without any change it is that scenario."""
    assert state.what_if_scenario(baseline, [], {"consensus.critical_mass": 0.8}).name == \
        "baseline-what-if"
    assert state.what_if_scenario(baseline, [USA_MORE], {}).name == "baseline-what-if"
    assert state.what_if_scenario(baseline, [], {}).name == "baseline"


def test_a_what_if_has_no_description_of_the_scenario_it_came_from(baseline, tmp_path):
    """The what-if (edits or parameters) and the file "save as scenario" writes carried the
    base's description into their results, as if they were the base; a child scenario of
    `extends` that states none has none, and so has the what-if. Without changes the page's
    scenario is the base, with its description."""
    assert baseline.spec.description
    assert state.what_if_scenario(baseline, [USA_MORE], {}).spec.description == ""
    assert state.what_if_scenario(baseline, [], PARAMETERS).spec.description == ""
    assert state.what_if_scenario(baseline, [], {}).spec.description == baseline.spec.description
    written = state.save_what_if(baseline, [USA_MORE], {}, tmp_path / "usa_more.yaml", 50, SEED)
    assert load_scenario(written).resolved()["description"] == ""


def test_the_scenario_list_opens_on_the_baseline():
    shipped = state.shipped_scenarios()
    assert shipped[0] == DEFAULT_SCENARIO
    assert shipped[1:] == sorted(shipped[1:]) and len(shipped) > 2


def test_chunks_finishing_out_of_order_give_the_same_tables(baseline, monkeypatch):
    """Workers finish chunks in any order; the page's tables are those of the runs in their
    order, as `mc11 run` makes them (support's means are float sums: the order matters)."""
    in_order = state.run_what_if(baseline, 150, SEED, workers=1)
    finished = state.ensemble_chunks

    def last_first(*args, **kwargs):
        yield from list(finished(*args, **kwargs))[::-1]

    monkeypatch.setattr(state, "ensemble_chunks", last_first)
    shuffled = state.run_what_if(baseline, 150, SEED, workers=1)
    assert shuffled.summary_csv() == in_order.summary_csv()
    pd.testing.assert_frame_equal(shuffled.support, in_order.support)


# --- mutation testing, twelfth round (docs/mutation_testing.md) ---------------------------


@pytest.fixture(scope="module")
def two_ensembles(baseline):
    """The baseline and the USA_MORE what-if, 20 runs each."""
    return (state.run_what_if(baseline, 20, SEED, workers=1),
            state.run_what_if(state.what_if_scenario(baseline, [USA_MORE], {}), 20, SEED,
                              workers=1))


def _whiskers(container) -> np.ndarray:
    """An errorbar's horizontal whiskers as rows (left end, right end, height)."""
    return np.array([[s[0][0], s[1][0], s[0][1]] for s in container.lines[2][0].get_segments()])


def test_the_outcome_chart_stacks_the_shares_and_draws_each_interval_where_it_belongs(
        two_ensembles):
    """Each table's shares stacked in the order of the outcomes, the first issue on top; the
    Wilson whiskers of the two deals at the end of their own segment; the differences and
    their Newcombe intervals at their values, all in view; the run of each named."""
    from matplotlib.container import BarContainer, ErrorbarContainer

    from simulation.dashboard import charts
    from simulation.outcomes import OUTCOMES

    base, other = two_ensembles
    changes = state.comparison(base, other)
    figure = charts.outcome_chart(base, other, changes)
    figure.canvas.draw()
    assert [t.get_text() for t in figure.axes[0].get_yticklabels()] == list(other.summary["issue"])
    assert figure.get_suptitle() == ("baseline: baseline, 20 runs, seed 4242\n"
                                     "what-if: baseline-what-if, 20 runs, seed 4242")
    ids = list(other.summary["issue"])
    rows = np.arange(len(ids))
    for ax, tables in zip(figure.axes[:2], two_ensembles, strict=True):
        table = tables.summary
        assert ax.get_ylim()[0] > ax.get_ylim()[1]  # row 0, the first issue, at the top
        bars = {c.get_label(): c for c in ax.containers if isinstance(c, BarContainer)}
        left = np.zeros(len(ids))
        for name in OUTCOMES:
            share = table[f"p_{name}"].fillna(0).to_numpy()
            assert np.allclose([p.get_x() for p in bars[name].patches], left)
            assert np.allclose([p.get_width() for p in bars[name].patches], share)
            left = left + share
        whiskers = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
        left = np.zeros(len(ids))
        for container, name in zip(whiskers, ("multilateral", "plurilateral"), strict=True):
            drawn = _whiskers(container)
            assert np.allclose(drawn[:, 0], left + table[f"p_{name}_low"].fillna(0))
            assert np.allclose(drawn[:, 1], left + table[f"p_{name}_high"].fillna(0))
            assert np.allclose(drawn[:, 2], rows)
            left = left + table[f"p_{name}"].fillna(0).to_numpy()
    ax = figure.axes[2]
    low, high = ax.get_xlim()
    for container, name, shift in zip(ax.containers, ("multilateral", "plurilateral"),
                                      (-0.15, 0.15), strict=True):
        assert container.get_label() == f"P({name})"
        x, y = container.lines[0].get_xydata().T
        assert np.allclose(x, changes[f"diff_{name}"]) and np.allclose(y, rows + shift)
        drawn = _whiskers(container)
        assert np.allclose(drawn[:, 0], changes[f"diff_{name}_low"])
        assert np.allclose(drawn[:, 1], changes[f"diff_{name}_high"])
        assert low <= drawn[:, 0].min() and drawn[:, 1].max() <= high  # every interval in view
    # and no wider than the next range down would allow: it ran from -1 to 1 whatever the
    # changes, so that intervals a few hundredths wide were dots
    widest = max(changes[[f"diff_{n}_{e}" for n in ("multilateral", "plurilateral")
                          for e in ("low", "high")]].abs().max())
    narrower = [r for r in (0.1, 0.2, 0.4, 0.6, 1.0) if r < high]
    assert (low, high) == (-high, high) and all(1.05 * widest > r for r in narrower), (high,
                                                                                      widest)


def test_the_outcomes_tab_says_what_its_brackets_and_stars_mean(two_ensembles):
    """Under the chart, a key to the shares table: Wilson intervals of the shares, the change's
    Newcombe interval paired run by run (the page's ensembles always are) and the *; the page
    said none of it (the chart's panel only "95% Newcombe interval")."""
    from simulation.dashboard import results

    base, other = two_ensembles
    changes = state.comparison(base, other)
    _, rendered = solara.render(results.OutcomesTab(base, other, changes), handle_error=False)
    key = rendered.find(v.Html, class_="shares-key").widget.children[0]
    rendered.close()
    assert "95% Wilson interval" in key and "* the interval excludes 0" in key
    assert "95% Newcombe interval, paired run by run" in key
    unpaired = changes.assign(paired=False)
    assert "the runs taken as independent" in results.shares_key(unpaired)


def test_the_text_chart_draws_each_ensembles_10_to_90_range_its_median_and_the_status_quo(
        two_ensembles):
    from simulation.dashboard import charts

    levels = [state.text_levels(tables) for tables in two_ensembles]
    ax = charts.text_chart(*levels).axes[0]
    rows = np.arange(len(levels[1]))
    for ranges, medians, frame, shift in zip(ax.collections, ax.lines, levels, (-0.17, 0.17),
                                             strict=False):
        deal = frame["text_p10"].notna().to_numpy()  # issues without a deal in any run: none
        segments = np.array([s for s in ranges.get_segments() if len(s)])  # (start, end) x (x, y)
        np.testing.assert_allclose(segments[:, 0, 0], frame["text_p10"][deal])
        np.testing.assert_allclose(segments[:, 1, 0], frame["text_p90"][deal])
        np.testing.assert_allclose(segments[:, 0, 1], rows[deal] + shift)
        np.testing.assert_allclose(medians.get_xdata(), frame["text_median"])
    assert ax.lines[2].get_label() == "status quo"
    np.testing.assert_allclose(ax.lines[2].get_xdata(), levels[1]["status_quo"])


def test_the_support_chart_draws_each_ensembles_support_on_the_issue_over_the_calendar(
        two_ensembles):
    from simulation.dashboard import charts

    ax = charts.support_chart(*two_ensembles, "data_flows").axes[0]
    means = []
    for line, tables in zip(ax.lines, two_ensembles, strict=True):
        rows = tables.support[tables.support["issue"] == "data_flows"]
        np.testing.assert_allclose(line.get_ydata(), rows["support_mean"])
        means.append(rows["support_mean"].to_numpy())
    assert not np.allclose(*means)  # the edit matters: each line is its own ensemble's
    assert [t.get_text() for t in ax.get_xticklabels()] == \
        [str(label).split(" ")[0] for label in rows["period_label"]]


def test_a_label_is_written_inside_the_axes_or_not_at_all():
    """A label at an edge of the axes goes where it stays inside them (beside or below a point
    on the top edge, not above it)."""
    from simulation.dashboard import charts

    figure = charts._figure(4, 4, left=0.5, bottom=0.5)
    ax = figure.add_subplot()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    edges = {"top": (0.5, 1), "bottom": (0.5, 0), "left": (0, 0.5), "right": (1, 0.5)}
    charts._place_labels(ax, [(text, np.array(point, float), 4)
                              for text, point in edges.items()], [])
    renderer = figure.canvas.get_renderer()
    inside = ax.get_window_extent(renderer)
    placed = {t.get_text(): t.get_window_extent(renderer) for t in ax.texts}
    assert set(placed) == set(edges)
    assert all(inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0
               and box.y1 <= inside.y1 for box in placed.values())


def test_the_network_chart_draws_joins_and_leaves_colours_the_issue_and_names_the_largest(
        baseline):
    from simulation.dashboard import charts

    model = watch.watched_model(baseline, SEED, 0)
    for _ in range(3):
        watch.step_month(model)
    nego, membership = model.negotiation, model.membership[0]
    hubs, spots = watch.layout(nego, membership)
    outside = next(m for m in range(len(nego.members)) if not membership[m, 0])
    month = watch.Month("made up", joined=[tuple(np.argwhere(membership)[0])],
                        left=[(outside, 0)], events=[])
    ax = charts.network_chart(model, "data_flows", month).axes[0]

    def drawn(colour: str) -> list[list[float]]:
        return [line.get_xydata().ravel().round(6).tolist() for line in ax.lines
                if line.get_color() == colour]

    def links(pairs) -> list[list[float]]:
        return [np.array([spots[m], hubs[c]]).ravel().round(6).tolist() for m, c in pairs]

    assert drawn("#009E73") == links(month.joined)
    assert drawn("#D55E00") == links(month.left)
    column = nego.issues.index("data_flows")
    np.testing.assert_allclose(ax.collections[0].get_array(), model.positions[0][:, column])
    coalitions = {f"{name} ({size})" for name, size in
                  zip(nego.coalitions, membership.sum(axis=0), strict=True)}
    members = {t.get_text() for t in ax.texts} - coalitions
    largest = {nego.members[row] for row in np.argsort(nego.capability)[::-1][:8]}
    assert members and members <= largest


def test_the_positions_chart_sorts_start_and_now_alike_with_the_issues_status_quo(baseline):
    from simulation.dashboard import charts

    model = watch.watched_model(baseline, SEED, 0)
    column = model.negotiation.issues.index("data_flows")
    start = model.positions[0][:, column].copy()
    for _ in range(4):
        watch.step_month(model)
    now = model.positions[0][:, column]
    order = np.argsort(now)
    ax = charts.positions_chart(model, "data_flows", start).axes[0]
    before, after = ax.collections
    np.testing.assert_allclose(before.get_offsets()[:, 1], start[order])
    np.testing.assert_allclose(after.get_offsets()[:, 1], now[order])
    capability = model.negotiation.capability
    np.testing.assert_allclose(after.get_sizes(), 8 + 60 * capability[order] / capability.max())
    assert ax.lines[0].get_ydata()[0] == model.negotiation.status_quo[column]
    low, high = ax.get_ylim()  # a status quo or member at an end is not drawn on the frame
    assert low < 0 and high > 100


def _number_field(value: solara.Reactive, **bounds):
    """A rendered NumberField on `value`: its text field's widget, its `invalid` and the
    numbers it passed on."""
    invalid, passed = solara.reactive(False), []

    @solara.component
    def Field():
        editor.NumberField("N", value.value, lambda n: (passed.append(n), value.set(n)),
                           invalid, **bounds)

    _, rendered = solara.render(Field(), handle_error=False)
    return rendered, invalid, passed


def test_a_number_field_passes_on_only_a_number_in_its_range_and_says_what_is_allowed():
    """A whole-number field refuses 2.5, and takes its bounds themselves; a good number after
    a bad one clears the mark, the number it had before too; a number field refuses nan and
    inf; a number set elsewhere replaces a bad text."""
    rendered, invalid, passed = _number_field(solara.reactive(5), whole=True, low=1, high=100)
    field = rendered.find(label="N").widget
    field.vue_read("2.5")
    assert (invalid.value, passed, field.shown) == (True, [], "2.5")
    assert field.problem == "a whole number from 1 to 100"
    for bound in ("1", "100"):
        field.vue_read(bound)
        assert invalid.value is False and field.problem is False
    field.vue_read("abc")
    field.vue_read("100")  # the number it had before: the mark goes all the same
    assert invalid.value is False and field.problem is False
    assert passed == [1, 100, 100]
    rendered.close()
    value = solara.reactive(0.5)
    rendered, invalid, passed = _number_field(value, low=0, high=1)
    field = rendered.find(label="N").widget
    for bad in ("nan", "inf", "-0.1", "abc"):
        field.vue_read(bad)
        assert invalid.value is True and field.shown == bad
    assert passed == [] and field.problem == "a number from 0 to 1"
    value.set(0.25)  # a slider moved: its number replaces the text, and the mark goes
    assert (invalid.value, field.shown, field.problem) == (False, "0.25", False)
    field.vue_read("0")
    assert passed == [0.0] and invalid.value is False
    rendered.close()


def test_a_number_read_stays_as_typed_so_the_echo_changes_nothing_in_the_field():
    """After '30' is read the field shows '30', not the number's own '30.0': an echo that
    rewrote the field could land while its user types the next value (a browser test's '150'
    became '30.015'). A number set elsewhere is shown as the number."""
    value = solara.reactive(50.0)
    rendered, invalid, passed = _number_field(value, low=0, high=100)
    field = rendered.find(label="N").widget
    field.vue_read(" 30 ")
    assert (passed, value.value, field.shown, invalid.value) == ([30.0], 30.0, "30", False)
    value.set(40.0)  # a slider
    assert field.shown == "40.0"
    rendered.close()


def test_the_edit_form_adds_the_change_it_shows_and_removes_the_row_asked(baseline):
    """The fields follow whom the form names; a change is made of the ticked values on the
    chosen scope only; Add needs one of them ticked; remove takes away its own row."""
    edits = solara.reactive([])
    _, rendered = solara.render(editor.EditForm(baseline, edits), handle_error=False)
    issue = baseline.catalogue.issue_ids[0]
    rendered.find(v.Select, label="Who").widget.v_model = "CHN"
    position, salience = state.current_values(baseline, "members", "CHN", issue, None)
    assert rendered.find(label="Position").widget.shown == str(round(position, 1))
    rendered.find(v.Select, label="Change the preferences of").widget.v_model = "a group"
    group = next(iter(state.who_choices(baseline)["group"]))
    assert rendered.find(v.Select, label="Who").widget.v_model == group
    rendered.find(v.BtnToggle).widget.v_model = 1  # a cluster
    cluster = state.cluster_choices()[0]
    position, salience = state.current_values(baseline, "group", group, None, cluster)
    add = rendered.find(v.Btn, children=["Add change"]).widget
    add.click()
    assert edits.value == [state.Edit("group", group, None, cluster, round(position, 1), None)]
    rendered.find(v.Checkbox, label="set salience").widget.v_model = True
    rendered.find(v.Checkbox, label="set position").widget.v_model = False
    assert rendered.find(v.Btn, children=["Add change"]).widget.disabled is False
    rendered.find(v.Btn, children=["Add change"]).widget.click()
    assert edits.value[1] == state.Edit("group", group, None, cluster, None, round(salience, 2))
    edits.set([*edits.value, USA_MORE])
    rendered.find(v.Btn, children=["remove"]).widgets[0].click()
    assert [edit.salience for edit in edits.value] == [round(salience, 2), USA_MORE.salience]
    rendered.close()


def test_each_parameter_field_shows_the_pages_value_and_sets_its_own_parameter(baseline):
    parameters = solara.reactive({"consensus.critical_mass": 0.8})
    _, rendered = solara.render(editor.ParameterForm(baseline, parameters), handle_error=False)
    field = rendered.find(label="consensus.critical_mass (0-1)").widget
    assert field.shown == "0.8"  # the page's, not the scenario's 0.9
    field.vue_read("0.75")
    assert parameters.value == {"consensus.critical_mass": 0.75}
    rendered.close()


def test_the_watch_view_steps_replication_0_month_by_month_and_to_the_end(baseline,
                                                                           monkeypatch):
    """Replication 0 (the ensemble's first run) is watched; the status counts the months
    stepped, and names the last one after Run to MC11; the month's joins are listed; the
    positions chart starts from the chosen issue's positions at the start."""
    from simulation.dashboard import charts, watching

    starts = []
    chart = charts.positions_chart
    monkeypatch.setattr(charts, "positions_chart", lambda model, issue, start: (
        starts.append((issue, start.copy())), chart(model, issue, start))[1])
    _, rendered = solara.render(watching.WatchView(baseline, SEED), handle_error=False)
    same = watch.watched_model(baseline, SEED, 0)  # stepped alongside
    column = same.negotiation.issues.index("data_flows")
    total = len(same.negotiation.calendar)

    def status() -> str:
        return rendered.find(v.Html, class_="watch-status").widget.children[0]

    assert status() == f"baseline, seed {SEED}, replication 0: month 0 of {total} (before the " \
        "first month)"
    rendered.find(v.Select, label="Issue").widget.v_model = "data_flows"
    assert starts[-1][0] == "data_flows"
    np.testing.assert_array_equal(starts[-1][1], same.positions[0][:, column])
    rendered.find(v.Btn, children=["Step one month"]).widget.click()
    month = watch.step_month(same)
    assert status().endswith(f"month 1 of {total} ({month.label})")
    codes, names = same.negotiation.members, same.negotiation.coalitions
    joined = ", ".join(f"{codes[m]} → {names[c]}" for m, c in month.joined)
    assert month.joined and rendered.find(unsafe_innerHTML=f"<b>Joined:</b> {joined}").widgets
    rendered.find(v.Btn, children=["Run to MC11"]).widget.click()
    while same.running:
        month = watch.step_month(same)
    assert status().endswith(f"month {total} of {total} ({month.label})")
    rendered.close()


def test_the_watch_view_takes_a_replication_an_ensemble_can_have_and_says_which(baseline):
    """The Replication field took any whole number (a billion, a negative one said below the
    controls); it now takes 0 to the last run of the largest ensemble mc11 runs, says so in
    the field otherwise, and Step and Run to MC11 wait for an allowed number."""
    from simulation.dashboard import watching
    from simulation.inputs import MAX_RUNS

    _, rendered = solara.render(watching.WatchView(baseline, SEED), handle_error=False)
    field = rendered.find(label="Replication").widget

    def status() -> str:
        return rendered.find(v.Html, class_="watch-status").widget.children[0]

    for bad in ("1000000000", str(MAX_RUNS), "-3"):
        field.vue_read(bad)
        assert field.problem == f"a whole number from 0 to {MAX_RUNS - 1:,}"
        assert rendered.find(v.Btn, children=["Step one month"]).widget.disabled
        assert rendered.find(v.Btn, children=["Run to MC11"]).widget.disabled
        assert "replication 0:" in status()
    field.vue_read(str(MAX_RUNS - 1))
    assert field.problem is False
    assert f"replication {MAX_RUNS - 1}:" in status()
    assert not rendered.find(v.Btn, children=["Step one month"]).widget.disabled
    rendered.close()


def test_the_watch_views_replication_field_says_what_it_holds(baseline):
    """Under the Replication field a line says which run it is (it had a label alone), and a
    problem replaces that line while the text is not allowed."""
    from simulation.dashboard import watching

    _, rendered = solara.render(watching.WatchView(baseline, SEED), handle_error=False)
    field = rendered.find(label="Replication").widget
    assert field.hint == "the ensemble's run to watch; 0 is its first" and not field.problem
    field.vue_read("-1")
    assert rendered.find(label="Replication").widget.problem.startswith("a whole number from 0")
    rendered.close()


class _Task:
    """A stand-in for the page's ensemble task: it keeps the arguments it is called with."""

    pending = cancelled = error = False
    progress, not_called = 0, True

    def __init__(self):
        self.calls = []

    def __call__(self, *args):
        self.calls.append(args)

    def cancel(self):
        pass


def _page_state(monkeypatch, **values) -> None:
    """The app's page-wide reactive values, fresh for the test (the defaults, then `values`)."""
    from simulation.dashboard import app

    defaults = {"scenario_path": str(DEFAULT_SCENARIO), "scenario_reads": 0,
                "scenario_refused": "", "edits": [], "parameters": {},
                "runs": 60, "seed": None, "runs_invalid": False, "seed_invalid": False,
                "save_name": "", "saved": None, "finished": None, "view": 0, "done": 0,
                "planned": 0, "ended": ""}
    for name, value in {**defaults, **values}.items():
        monkeypatch.setattr(app, name, solara.reactive(value))


def test_a_message_lost_with_its_pages_connection_is_not_logged_as_a_crash(caplog):
    """Solara's kernel can fail to send an ensemble's progress as a page's connection ends (the
    tab closed, the server stopping): that traceback is dropped, any other error is kept."""
    from simulation.dashboard import app  # noqa: F401  (its import installs the filter)

    kernel = logging.getLogger("solara.server.kernel")
    errors = [RuntimeError("This task group is not active; no new tasks can be started."),
              RuntimeError("This portal is not running"), RuntimeError("something else"),
              ValueError("This portal is not running")]
    with caplog.at_level(logging.ERROR, logger="solara.server.kernel"):
        for error in errors:
            try:
                raise error
            except Exception as caught:
                kernel.exception("Error sending message: %s, closing websocket", caught)
    assert [record.exc_info[1] for record in caplog.records] == errors[2:]


def test_an_ensemble_of_a_few_chunks_runs_on_one_worker_and_a_larger_one_on_every_core(
        monkeypatch):
    from simulation.dashboard import app

    monkeypatch.setattr(app.os, "cpu_count", lambda: 6)
    assert [app.workers_for(n) for n in (1, 50, 400, 401, 10_000)] == [1, 1, 1, 6, 6]


def test_the_run_panel_estimates_the_ensembles_the_run_button_starts(baseline, monkeypatch):
    from simulation.dashboard import app

    what_if = state.what_if_scenario(baseline, [USA_MORE], {})
    monkeypatch.setattr(app, "_BASELINES", state.Baselines(16))

    def names(*args) -> list[tuple[str, str]]:
        return [(words, s.name) for words, s in app._to_run(*args).items()]

    assert names(baseline, what_if, 60, SEED) == [("the baseline", "baseline"),
                                                  ("the what-if", "baseline-what-if")]
    assert names(baseline, baseline, 60, SEED) == [("the baseline", "baseline")]
    app._BASELINES.keep((baseline.input_hash(), 60, SEED), None)  # the baseline cached
    assert names(baseline, what_if, 60, SEED) == [("the what-if", "baseline-what-if")]
    assert names(baseline, baseline, 60, SEED) == []
    assert names(baseline, None, 60, SEED) == []


def test_the_page_keeps_the_baselines_it_used_last_and_forgets_the_oldest(two_ensembles):
    """The baselines the pages ran are kept for reuse, but not without end: a server left
    running kept every one (about 25 MB a million runs); the one used longest ago goes."""
    kept = state.Baselines(size=2)
    first, second = two_ensembles
    kept.keep(("a", 60, 1), first)
    kept.keep(("b", 60, 1), second)
    assert kept.get(("a", 60, 1)) is first  # used: now the latest
    kept.keep(("c", 60, 1), second)
    assert ("b", 60, 1) not in kept and kept.get(("b", 60, 1)) is None
    assert kept.get(("a", 60, 1)) is first and ("c", 60, 1) in kept
    assert kept.stored == 3


def test_a_baseline_kept_again_is_the_one_used_last(two_ensembles):
    """Two pages running the same baseline at once both keep it when done: the second keep is
    its latest use, so it is not the next to be forgotten."""
    kept = state.Baselines(size=2)
    first, second = two_ensembles
    kept.keep(("a", 60, 1), first)
    kept.keep(("b", 60, 1), second)
    kept.keep(("a", 60, 1), first)
    kept.keep(("c", 60, 1), second)
    assert ("a", 60, 1) in kept and ("b", 60, 1) not in kept and ("c", 60, 1) in kept


def test_run_reuses_the_baselines_of_seeds_tried_in_turn(baseline, two_ensembles, monkeypatch):
    """Going back to a seed (or a run count, or a scenario) tried a moment ago reuses its
    baseline: the page keeps more than the last one it ran."""
    from simulation.dashboard import app

    ran = []

    def run_what_if(scenario, runs, seed, *args):
        ran.append(seed)
        return two_ensembles[0]

    monkeypatch.setattr(app.state, "run_what_if", run_what_if)
    monkeypatch.setattr(app, "_BASELINES", state.Baselines(app._BASELINES.size))
    for master in (SEED, SEED + 1, SEED + 2) * 2:
        app.ensemble.function(baseline, baseline, 20, master)
    assert ran == [SEED, SEED + 1, SEED + 2]


def test_the_estimate_drops_the_baseline_once_a_run_has_kept_it(baseline, monkeypatch):
    """Once a run finished, the next press only runs the what-if (the baseline is kept): the
    estimate under the buttons says so at once, not after the form changes. It says of which
    ensembles its runs are: 60,000 replications typed gave "for 120,000 runs", unexplained."""
    from simulation.dashboard import app

    monkeypatch.setattr(app, "ensemble", _Task())
    monkeypatch.setattr(app, "_BASELINES", state.Baselines(16))
    _page_state(monkeypatch)
    what_if = state.what_if_scenario(baseline, [USA_MORE], {})
    _, rendered = solara.render(app.RunPanel(baseline, what_if, None), handle_error=False)

    def estimate() -> str:
        return rendered.find(v.Html, class_="estimate").widget.children[0]

    assert " for 120 runs: 60 of the baseline and 60 of the what-if (" in estimate()
    app._BASELINES.keep((baseline.input_hash(), 60, baseline.spec.seed), None)  # a run ended
    app.ended.set("the ensemble stopped")  # any redraw of the panel (here: a message in it)
    assert " for 60 runs of the what-if (" in estimate()
    rendered.close()


def test_the_replications_and_seed_fields_say_what_they_mean(baseline, monkeypatch):
    """Under each field a line says what it holds (they had a label alone), and a problem
    replaces that line while the text is not allowed."""
    from simulation.dashboard import app

    monkeypatch.setattr(app, "ensemble", _Task())
    _page_state(monkeypatch)
    _, rendered = solara.render(app.RunPanel(baseline, baseline, None), handle_error=False)
    runs, seed = (rendered.find(label=name).widget for name in ("Replications", "Seed"))
    assert "runs in each ensemble" in runs.hint and not runs.problem
    assert "a seed gives the same runs" in seed.hint
    seed.vue_read("-1")
    assert rendered.find(label="Seed").widget.problem == \
        f"a whole number from 0 to {app.SEED_LIMIT - 1:,}"
    rendered.close()


def test_run_starts_the_ensembles_of_the_seed_in_the_form_seed_0_included(baseline,
                                                                          monkeypatch):
    from simulation.dashboard import app

    task = _Task()
    monkeypatch.setattr(app, "ensemble", task)
    _page_state(monkeypatch)
    what_if = state.what_if_scenario(baseline, [USA_MORE], {})
    _, rendered = solara.render(app.RunPanel(baseline, what_if, None), handle_error=False)
    field = rendered.find(label="Seed").widget
    assert field.shown == str(baseline.spec.seed)
    for typed in ("7", "0"):
        field.vue_read(typed)
        assert field.shown == typed
        rendered.find(v.Btn, children=["Run"]).widget.click()
    assert task.calls == [(baseline, what_if, 60, 7), (baseline, what_if, 60, 0)]
    rendered.close()


def test_a_save_is_said_only_while_its_inputs_stand_and_the_download_is_the_what_ifs(
        baseline, two_ensembles, tmp_path, monkeypatch):
    from simulation.dashboard import app

    _page_state(monkeypatch, save_name=str(tmp_path / "mine.yaml"), edits=[USA_MORE])
    downloads = []

    @solara.component
    def FileDownload(data, filename, label):
        downloads.append((data, filename))

    monkeypatch.setattr(app.solara, "FileDownload", FileDownload)
    _, rendered = solara.render(app.SavePanel(baseline, SEED, two_ensembles), handle_error=False)
    assert downloads[-1] == (two_ensembles[1].summary_csv(), "baseline-what-if-summary.csv")
    rendered.find(v.Btn, children=["Save as scenario"]).widget.click()
    assert rendered.find(v.Html, class_="save-message").widget.children == \
        [f"saved {tmp_path / 'mine.yaml'}"]
    app.runs.set(30)  # the file saved no longer says what the form does
    rendered.find(v.Html, class_="save-message").assert_empty()
    rendered.close()


def test_the_page_first_runs_the_default_ensemble_and_watches_the_what_if(baseline,
                                                                        monkeypatch):
    """A page opens on an ensemble of the default runs, whatever the form restored asks for;
    its Watch tab steps the what-if, not the scenario as written."""
    from simulation.dashboard import app, watching

    task = _Task()
    monkeypatch.setattr(app, "ensemble", task)
    _page_state(monkeypatch, runs=1_000_000, edits=[USA_MORE], view=1)
    watched = []

    @solara.component
    def WatchView(scenario, seed):
        watched.append((scenario.name, seed))

    monkeypatch.setattr(watching, "WatchView", WatchView)
    monkeypatch.setattr(app, "keep_form", lambda: None)  # no browser session here
    _, rendered = solara.render(app.Page(), handle_error=False)
    seed = baseline.spec.seed
    assert [(b.name, w.name, n, s) for b, w, n, s in task.calls] == \
        [("baseline", "baseline", app.DEFAULT_RUNS, seed)]
    assert watched[-1] == ("baseline-what-if", seed)
    rendered.close()


def test_what_loading_the_what_if_decided_is_said_on_the_page(baseline, monkeypatch):
    """An edit the loader finds has no effect (the group eu28 selects no negotiating member:
    the EU negotiates as EUN) or narrows a spread is said under the Run button, as `mc11 run`
    says it: the page used to run it silently, as if the change made no difference."""
    from simulation.dashboard import app

    monkeypatch.setattr(app, "ensemble", _Task())
    _page_state(monkeypatch)
    what_if = state.what_if_scenario(baseline, [state.Edit("group", "eu28", position=0.0)], {})
    _, rendered = solara.render(app.RunPanel(baseline, what_if, None), handle_error=False)
    notes = [" ".join(map(str, w.children))
             for w in rendered.find(v.Alert, class_="scenario-note").widgets]
    rendered.close()
    assert len(notes) == 2
    assert "28 of group eu28's members negotiate through EUN" in notes[0]
    assert "selects no negotiating member x issue: it changes nothing" in notes[1]


def test_the_loaders_notes_show_as_information_and_a_refusal_as_an_error(baseline,
                                                                         monkeypatch):
    """A note (a spread a set value narrows) looked like a warning, in orange with "!", after
    every edit: it is information; a value refused stays an error."""
    from simulation.dashboard import app

    monkeypatch.setattr(app, "ensemble", _Task())
    _page_state(monkeypatch)
    narrowed = state.Edit("group", "ldc_group", issue="mandate", salience=0.5)
    what_if = state.what_if_scenario(baseline, [narrowed], {})
    assert any("narrowed" in note for note in what_if.notes)
    _, rendered = solara.render(app.RunPanel(baseline, what_if, "refused: a reason"),
                                handle_error=False)
    assert {w.type for w in rendered.find(v.Alert, class_="scenario-note").widgets} == {"info"}
    assert rendered.find(v.Alert, class_="refused").widget.type == "error"
    rendered.close()


def test_the_forms_changes_are_named_as_the_page_lists_them_not_as_the_files(baseline):
    """A note on a change of the form names that change as the page lists it, and a refused
    value is said of the form's changes: both named the scenario file (`us_disengages.yaml
    overrides.1`, an entry the file has not; `.../baseline.yaml: parameters...`, as if the file
    that loaded held the refused value)."""
    disengaged = load_scenario(DEFAULT_SCENARIO.with_name("us_disengages.yaml"))
    assert len(disengaged.spec.overrides) == 1  # its own override: the form's first is index 1
    edit = state.Edit("group", "eu28", position=0.0)
    notes = state.what_if_scenario(disengaged, [edit], {}).notes
    assert notes and all("overrides.1" not in note for note in notes)
    assert notes[-1] == f"change 1 ({edit.describe()}) selects no negotiating member x issue: " \
        "it changes nothing"
    with pytest.raises(InputError) as refused:
        state.what_if_scenario(baseline, [], {"consensus.critical_mass": 1.5})
    assert str(refused.value).startswith(f"the form's changes to {DEFAULT_SCENARIO}: "
                                         "parameters.consensus.critical_mass: ")


OWN_FILE = "...or your own scenario file (path, then Enter)"  # the path field's label


def _whole_page():
    """The page as the server shows it, its sidebar (the form) included."""
    from simulation.dashboard import app

    return solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)[1]


def test_enter_in_the_path_field_reads_the_file_again(tmp_path, monkeypatch):
    """A scenario file edited on disk since it was opened: Enter in its field reads it again
    (the page kept the first version, and Run and Save used it)."""
    from simulation.dashboard import app, watching

    mine = tmp_path / "mine.yaml"
    mine.write_text(f"extends: {DEFAULT_SCENARIO}\nname: mine\ndescription: version one\n",
                    encoding="utf-8")
    monkeypatch.setattr(app, "ensemble", _Task())
    monkeypatch.setattr(app, "keep_form", lambda: None)  # no browser session here
    _page_state(monkeypatch, scenario_path=str(mine), view=1)
    watched = []

    @solara.component
    def WatchView(scenario, seed):  # the page's scenario, as its tabs and buttons use it
        watched.append(scenario.spec.description)

    monkeypatch.setattr(watching, "WatchView", WatchView)
    rendered = _whole_page()
    assert watched[-1] == "version one"
    mine.write_text(f"extends: {DEFAULT_SCENARIO}\nname: mine\ndescription: version two\n",
                    encoding="utf-8")
    field = rendered.find(label=OWN_FILE).widget
    field.vue_read(str(mine))  # the same path, then Enter: read again
    assert watched[-1] == "version two"
    rendered.close()


def _bad_file(folder) -> str:
    """A scenario file the loader refuses: a member code that is no member's."""
    bad = folder / "bad.yaml"
    bad.write_text(f"extends: {DEFAULT_SCENARIO}\nname: bad\noverrides:\n"
                   "  - {members: [USX], issue: mandate, set_position: 10}\n", encoding="utf-8")
    return str(bad)


def test_a_refused_scenario_file_leaves_the_page_on_the_scenario_in_use(baseline, tmp_path,
                                                                         monkeypatch):
    """A file with an error, entered in the path field, is said beside the field, and the page
    stays on the scenario in use: its form, Run and Save, and its results, still current. The
    form, Run and Save went, the list of shipped scenarios went blank, the results said "press
    Run" with no Run button, and the emptied field named the refused file as the one in use."""
    from simulation.dashboard import app

    monkeypatch.setattr(app, "ensemble", _Task())
    monkeypatch.setattr(app, "keep_form", lambda: None)
    shown = state.run_what_if(baseline, 20, baseline.spec.seed, workers=1)
    _page_state(monkeypatch, runs=20, finished=(shown, shown), save_name="mine.yaml")
    rendered = _whole_page()
    rendered.find(v.Alert, class_="out-of-date").assert_empty()
    rendered.find(label=OWN_FILE).widget.vue_read(_bad_file(tmp_path))
    error = " ".join(map(str, rendered.find(v.Alert, class_="scenario-error").widget.children))
    assert "unknown member code 'USX' (did you mean 'USA'?)" in error
    assert rendered.find(v.Select, label="Shipped scenario").widget.v_model == "baseline"
    for button in ("Run", "Save as scenario", "Add change"):
        assert rendered.find(v.Btn, children=[button]).widget.disabled is False
    assert f"not opened: the page stays on {DEFAULT_SCENARIO}" in error
    rendered.find(v.Alert, class_="out-of-date").assert_empty()  # the results are the form's
    assert app.scenario_path.value == str(DEFAULT_SCENARIO)  # kept for a reload
    rendered.find(label=OWN_FILE).widget.vue_read("")
    rendered.find(v.Alert, class_="scenario-error").assert_empty()
    rendered.find(v.Html, class_="scenario-in-use").assert_empty()  # the baseline is listed
    rendered.close()


def test_a_scenario_file_refused_when_read_again_leaves_its_last_version_in_use(tmp_path,
                                                                                 monkeypatch):
    """Enter on the file in use, broken on disk since: the page keeps the version it read, and
    the emptied field names that file as the one in use (a refused file is never in use)."""
    from simulation.dashboard import app, watching

    mine = tmp_path / "mine.yaml"
    mine.write_text(f"extends: {DEFAULT_SCENARIO}\nname: mine\ndescription: version one\n",
                    encoding="utf-8")
    monkeypatch.setattr(app, "ensemble", _Task())
    monkeypatch.setattr(app, "keep_form", lambda: None)
    _page_state(monkeypatch, scenario_path=str(mine), view=1)
    watched = []

    @solara.component
    def WatchView(scenario, seed):
        watched.append(scenario.spec.description)

    monkeypatch.setattr(watching, "WatchView", WatchView)
    rendered = _whole_page()
    mine.write_text("extends: [\n", encoding="utf-8")
    rendered.find(label=OWN_FILE).widget.vue_read(str(mine))
    assert rendered.find(v.Alert, class_="scenario-error").widget.children
    assert rendered.find(v.Btn, children=["Run"]).widget.disabled is False
    assert watched[-1] == "version one"
    rendered.find(label=OWN_FILE).widget.vue_read("")
    assert rendered.find(v.Html, class_="scenario-in-use").widget.children == [f"in use: {mine}"]
    rendered.close()


def test_a_page_restored_on_a_file_that_no_longer_loads_opens_on_the_first_scenario(
        baseline, tmp_path, monkeypatch):
    """A reload restores the form of its browser session; its scenario file, broken since,
    is refused as the path field refuses it: the page opens on the scenario it starts with,
    runs it and says why (it ran nothing, and showed no form), without the form's changes,
    which were to the refused file's scenario."""
    from simulation.dashboard import app

    task = _Task()
    monkeypatch.setattr(app, "ensemble", task)
    monkeypatch.setattr(app, "keep_form", lambda: None)
    _page_state(monkeypatch)
    monkeypatch.setattr(app.solara, "get_session_id", lambda: "a session")
    monkeypatch.setitem(app._FORMS, "a session",
                        app.Form(_bad_file(tmp_path), [USA_MORE], {}, 60, None))
    app.restore_form()
    rendered = _whole_page()
    assert [(b.name, n) for b, _, n, _ in task.calls] == [("baseline", app.DEFAULT_RUNS)]
    error = " ".join(map(str, rendered.find(v.Alert, class_="scenario-error").widget.children))
    assert "unknown member code 'USX'" in error
    assert "the form's changes to it were not restored" in error
    rendered.find(v.Btn, children=["remove"]).assert_empty()
    rendered.close()


def test_a_start_up_scenario_file_broken_since_shows_its_error_not_a_traceback(
        baseline, tmp_path, monkeypatch):
    """`mc11 dashboard mine.yaml`, then mine.yaml edited into an error and the page reloaded:
    the page says why, with no form to run, and marks the results on show as of the file as it
    was (the page raised the loader's InputError)."""
    from simulation.dashboard import app

    task = _Task()
    monkeypatch.setattr(app, "ensemble", task)
    monkeypatch.setattr(app, "keep_form", lambda: None)
    shown = state.run_what_if(baseline, 20, baseline.spec.seed, workers=1)
    _page_state(monkeypatch, scenario_path=_bad_file(tmp_path), finished=(shown, shown))
    rendered = _whole_page()
    error = " ".join(map(str, rendered.find(v.Alert, class_="scenario-error").widget.children))
    assert "unknown member code 'USX'" in error
    rendered.find(v.Btn, children=["Run"]).assert_empty()
    stale = " ".join(map(str, rendered.find(v.Alert, class_="out-of-date").widget.children))
    assert "the scenario file in use no longer loads" in stale and "press Run" not in stale
    assert task.calls == []
    rendered.close()


def test_a_month_lists_its_joins_among_its_events_and_the_verdict_its_runs_text(baseline):
    """Every join of a month is one of its event lines; at the end, the verdict's text is the
    ensemble row's, to a tenth of a point."""
    model = watch.watched_model(baseline, SEED, 1)
    codes, names = model.negotiation.members, model.negotiation.coalitions
    while model.running:
        month = watch.step_month(model)
        joins = {line for line in month.events if line.startswith("joins")}
        assert joins == {f"joins  {codes[m]}  {names[c]}" for m, c in month.joined}
    outcomes = run_ensemble(baseline, 2, SEED, workers=1).outcomes
    text = outcomes[outcomes["run"] == 1]["text"].round(1).to_numpy()
    np.testing.assert_array_equal(watch.verdict_table(model)["text"].to_numpy(), text)


def test_the_network_puts_a_member_by_the_centre_of_its_coalitions_or_on_the_outer_ring(
        baseline):
    """Coalitions on the unit circle; a member 0.18 from 0.8 x the centre of its coalitions'
    points (one, or several); a member of none on the ring of radius 1.55."""
    nego = watch.watched_model(baseline, SEED, 0).negotiation
    membership = np.zeros((len(nego.members), len(nego.coalitions)), bool)
    membership[0, 0] = membership[1, [0, 1]] = membership[2, [1, 2, 3]] = True
    hubs, spots = watch.layout(nego, membership)
    np.testing.assert_allclose(np.hypot(*hubs.T), 1)
    for member in range(3):
        centre = hubs[membership[member]].mean(axis=0)
        assert np.hypot(*(spots[member] - 0.8 * centre)) == pytest.approx(0.18)
    np.testing.assert_allclose(np.hypot(*spots[3:].T), 1.55)


# --- mutation testing, twenty-third round (docs/mutation_testing.md) ------------------------


def test_a_note_on_the_scenarios_own_override_keeps_the_files_name_for_it(tmp_path):
    """Only the form's changes are renamed: a note on the opened file's own last override
    still names it as the file does, not as a change of the form."""
    mine = tmp_path / "mine.yaml"
    mine.write_text(f"extends: {DEFAULT_SCENARIO}\nname: mine\noverrides:\n"
                    "  - {group: eu28, set_position: 0}\n", encoding="utf-8")
    base = load_scenario(mine)
    assert any("overrides.0 selects no" in note for note in base.notes)
    edit = state.Edit("members", "USA", issue="data_flows", position=10.0)
    notes = state.what_if_scenario(base, [edit], {}).notes
    assert any("mine.yaml overrides.0 selects no" in note for note in notes), notes
    assert not any("change 0" in note for note in notes), notes


def test_the_shares_key_says_the_shares_are_no_calibrated_probabilities(two_ensembles):
    """A student read the page's P(multilateral) 0.61 as "a 61% chance": the key says what the
    shares are and what their interval measures, as `mc11 run` does."""
    from simulation.dashboard import results

    key = results.shares_key(state.comparison(*two_ensembles))
    assert "not a calibrated probability" in key
    assert "the Monte Carlo error of the number of runs alone" in key


def test_the_text_levels_give_each_kinds_median_where_both_kinds_are_common(two_ensembles):
    """Where multilateral and plurilateral deals each reach a tenth of the runs, the text cell
    gives each kind's median and share after the pooled median; elsewhere the pooled one only."""
    from simulation.dashboard import results

    base, other = two_ensembles
    table = results.levels_table(state.text_levels(base), state.text_levels(other))
    for tables, column in ((base, "base text"), (other, "what-if text")):
        kinds = tables.levels.set_index(["issue", "outcome"])["n_runs"]
        for issue, cell in zip(table["issue"], table[column], strict=True):
            both = all(kinds.get((issue, kind), 0) >= 2 for kind in ("multilateral",
                                                                     "plurilateral"))
            assert (" of runs; plurilateral " in cell) == both, (issue, cell)
    assert " of runs; plurilateral " in table.set_index("issue").loc["mandate", "base text"]


def test_the_blockers_tab_gives_the_largest_changes_in_blocking_shares(baseline):
    """The page listed each ensemble's top blockers side by side but not what changed: with the
    African Group at 50 on the mandate, its blocking there falls, as the two ensembles' blocker
    tables have it; an unchanged issue has no change to show."""
    from simulation.dashboard import results

    softer = state.Edit("group", "african_group", issue="mandate", position=50.0)
    base = state.run_what_if(baseline, 40, SEED, workers=1)
    other = state.run_what_if(state.what_if_scenario(baseline, [softer], {}), 40, SEED,
                              workers=1)
    table = results.blockers_table(base, other).set_index("issue")
    group = next(entry for entry in table.loc["mandate", "largest changes"].split("; ")
                 if entry.startswith("African Group ("))
    shares = [t.blockers[(t.blockers["issue"] == "mandate") & (t.blockers["member"] == "AGO")]
              ["share"].sum() for t in (base, other)]
    assert shares[0] > shares[1]
    assert f" {shares[0]:.2f} -> {shares[1]:.2f} -" in group
    assert table.loc["moratorium", "largest changes"] == ""

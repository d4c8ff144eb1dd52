"""The what-if dashboard, a Solara page (start it with `mc11 dashboard`).

Left: the scenario and its edits. Right: the ensemble's results against the unedited scenario
(the baseline), and one negotiation watched month by month. Ensembles run in a background
thread on `mc11 run`'s engine, with a progress bar and a cancel button.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

import solara
import solara.lab

from simulation.dashboard import editor, results, state, watching
from simulation.errors import InputError
from simulation.inputs import SEED_LIMIT
from simulation.inputs.scenario import Scenario
from simulation.runs.ensemble import CHUNK_SIZE, compile_rules

DEFAULT_RUNS = 200
MAX_PAGE_RUNS = 1_000_000  # a page's ensemble at most (a scenario file may hold inputs.MAX_RUNS)
_BASELINES = state.Baselines(size=16)
# A number is never broken over lines. The shares table, wider than the results column of a
# 1280-pixel window, scrolls in a box of its own, whose scroll bars stay in the window, with its
# headers and issue names kept in view. A long name chosen in the Who list wraps, and a long
# path anywhere: unbroken, it widened the sidebar (as wide as its content, up to 600 pixels)
# over the results.
CSS = """
.table-box { overflow-x: auto; }
.table-box th, .table-box td { padding: 2px 8px; }
table.shares td, table.levels td:nth-child(-n+4) { white-space: nowrap; }
.shares-box { max-height: 70vh; overflow: auto; }
.shares-box th, .shares-box td:first-child { position: sticky; background: white; }
.shares-box th { top: 0; z-index: 1; }
.shares-box td:first-child, .shares-box th:first-child { left: 0; }
.shares-box th:first-child { z-index: 2; }
.changes { height: 9em; overflow-y: auto; margin: 8px 0; }
.who .v-select__selection { white-space: normal; }
.scenario-error, .scenario-in-use { overflow-wrap: anywhere; }
"""


def _warm_up() -> None:
    """Load (or compile) the model's rules and run the opening scenario's ensemble once, so the
    first page shows its chart at once."""
    scenario = state.open_scenario(state.initial_scenario())
    compile_rules(scenario.negotiation(), scenario.spec.parameters, scenario.priors)
    key = (scenario.input_hash(), DEFAULT_RUNS, scenario.spec.seed)
    if key not in _BASELINES:
        _BASELINES.keep(key, state.run_what_if(scenario, DEFAULT_RUNS, scenario.spec.seed, 1))


threading.Thread(target=_warm_up, daemon=True).start()

scenario_path = solara.reactive(str(state.initial_scenario()))  # the file in use: one that loaded
scenario_reads = solara.reactive(0)  # counts the reads of that file: each Enter reads it again
scenario_refused = solara.reactive("")  # why the file asked for last is not in use, if it is not
edits: solara.Reactive[list[state.Edit]] = solara.reactive([])
parameters: solara.Reactive[dict] = solara.reactive({})
runs = solara.reactive(DEFAULT_RUNS)
seed: solara.Reactive[int | None] = solara.reactive(None)
done = solara.reactive(0)
planned = solara.reactive(0)  # the runs the last press of Run started
finished: solara.Reactive[tuple | None] = solara.reactive(None)  # the last (baseline, what-if)
runs_invalid = solara.reactive(False)  # the Replications field's text is not a number
seed_invalid = solara.reactive(False)
ended = solara.reactive("")  # why the last ensemble stopped without results
save_name = solara.reactive("")
saved: solara.Reactive[tuple | None] = solara.reactive(None)  # (what was saved, the message)
view = solara.reactive(0)


@dataclass(frozen=True)
class Form:
    """What the user set in the form: the scenario, its changes, runs and seed."""

    scenario_path: str
    edits: list[state.Edit]
    parameters: dict
    runs: int
    seed: int | None


_FORMS: dict[str, Form] = {}  # by browser session (Solara's cookie): what a reload brings back


def keep_form() -> None:
    """Remember the page's form for its browser session, so that reloading the page keeps it."""
    _FORMS[solara.get_session_id()] = Form(scenario_path.value, edits.value, parameters.value,
                                           runs.value, seed.value)


def read_scenario(path: str, aside: str = "") -> bool:
    """Put the scenario file at `path` in use if it loads (read again, as edited since, if it is
    in use already); a file refused leaves the page on the scenario in use, and says why (and
    `aside`). Whether it loaded."""
    problem = state.try_open(path)[1]
    scenario_refused.set("" if problem is None else
                         f"{problem} (not opened: the page stays on {scenario_path.value}{aside})")
    if problem is None:
        scenario_path.set(path)
        scenario_reads.set(scenario_reads.value + 1)
    return problem is None


def restore_form() -> None:
    """At a page's start (before it is drawn), the form its browser session last had; its
    scenario file and changes only if the file still loads (the changes were to its scenario)."""
    form = _FORMS.get(solara.get_session_id())
    if form is None:
        return
    if read_scenario(form.scenario_path, "; the form's changes to it were not restored"):
        edits.set(form.edits)
        parameters.set(form.parameters)
    runs.set(form.runs)
    seed.set(form.seed)


_CLOSED: dict[str, threading.Event] = {}  # by page (Solara's kernel): set once it has closed


def start_page() -> Callable[[], None]:
    """At a page's start: its browser session's form back; at its end (the tab closed or
    reloaded), its running ensemble stops, or the workers would run on for no page."""
    restore_form()
    kernel, closed = solara.get_kernel_id(), threading.Event()
    _CLOSED[kernel] = closed

    def end_page() -> None:  # outside the page's context: only the event it captured
        closed.set()
        _CLOSED.pop(kernel, None)

    return end_page


solara.lab.on_kernel_start(start_page)

_STOPPING = threading.Event()  # set as the server exits: every ensemble stops
_RUNNING: set[threading.Thread] = set()  # the threads running an ensemble now
STOP_SECONDS = 10.0  # how long the server's exit waits for an ensemble's pool to end


def _stop_ensembles() -> None:
    """As the server exits (Ctrl-C), before Python shuts down the process pools still open:
    stop every ensemble and wait for its pool to end. Python 3.12.1's shutdown of a pool races
    with the pool ending itself and can print a traceback (its wake-up pipe closed under it;
    later Pythons take a lock there, gh-125451)."""
    _STOPPING.set()
    for thread in list(_RUNNING):
        thread.join(STOP_SECONDS)


# run before concurrent.futures' own exit hook, registered earlier (they run last first)
threading._register_atexit(_stop_ensembles)

# anyio's words for a connection's task group that has ended (the page closed, or the server
# stopping): what Solara could not send through it was for a page that is gone
_ENDED_CONNECTION = ("This task group is not active; no new tasks can be started.",
                     "This portal is not running")


def sent_to_an_open_page(record: logging.LogRecord) -> bool:
    """Whether to keep a record of Solara's kernel: not its traceback of a message an ensemble's
    progress sent just as the page's connection ended (a race in Solara between closing a
    connection and forgetting it), which would read as a crash on the server's screen."""
    error = record.exc_info[1] if record.exc_info else None
    return not (isinstance(error, RuntimeError) and str(error) in _ENDED_CONNECTION)


logging.getLogger("solara.server.kernel").addFilter(sent_to_an_open_page)


def workers_for(count: int) -> int:
    """Worker processes for an ensemble: one for a few chunks, every core for more."""
    return 1 if count <= 400 else os.cpu_count() or 1


@solara.lab.task
def ensemble(base: Scenario, what_if: Scenario, count: int, master: int
             ) -> tuple[state.Tables, state.Tables] | None:
    """The baseline (cached) and the what-if ensembles; None if cancelled."""
    key = (base.input_hash(), count, master)
    uncached, changed = _needed(base, what_if, count, master)
    total = count * (uncached + changed)  # the runs this press starts: a cached one is not redone
    done.set(0)
    planned.set(total)
    ended.set("")

    def progress(runs_done: int, offset: int) -> None:
        done.set(offset + runs_done)
        ensemble.progress = 100 * (offset + runs_done) / total

    baseline = _BASELINES.get(key)
    if baseline is None:
        baseline = _ensemble_of(base, count, master, lambda n: progress(n, 0))
        if baseline is None:
            return None
        _BASELINES.keep(key, baseline)
    if not changed:
        finished.set((baseline, baseline))
        return baseline, baseline
    offset = count if uncached else 0
    tables = _ensemble_of(what_if, count, master, lambda n: progress(n, offset))
    if tables is None:
        return None
    finished.set((baseline, tables))  # shown until another run finishes, a cancelled one too
    return baseline, tables


def _ensemble_of(scenario: Scenario, count: int, master: int, on_progress
                 ) -> state.Tables | None:
    """One ensemble of the Run button; None if cancelled, or if its worker processes ended
    under it (the server stopping ends them too): said on the page, where it matters, not as a
    traceback on the server's screen."""
    closed, here = _page_closing(), threading.current_thread()
    _RUNNING.add(here)
    try:
        return state.run_what_if(scenario, count, master, workers_for(count), on_progress,
                                 lambda: ensemble.is_current() and not closed.is_set()
                                 and not _STOPPING.is_set())
    except Exception as error:
        if not state.workers_gone(error):
            raise
        ended.set(f"the ensemble stopped after {done.value} runs: its worker processes ended "
                  "(the server stopping, or a worker killed)")
        return None
    finally:
        _RUNNING.discard(here)


def _page_closing() -> threading.Event:
    """The event set when this page closes (a fresh one outside a page, as in tests)."""
    try:
        return _CLOSED.get(solara.get_kernel_id(), threading.Event())
    except RuntimeError:  # not in a page's kernel
        return threading.Event()


def _needed(base: Scenario, what_if: Scenario, count: int, master: int) -> tuple[bool, bool]:
    """Which ensembles the Run button starts: the baseline unless cached, the what-if if it
    differs from the baseline."""
    return ((base.input_hash(), count, master) not in _BASELINES,
            what_if.input_hash() != base.input_hash())


def _to_run(base: Scenario, what_if: Scenario | None, count: int, master: int
            ) -> dict[str, Scenario]:
    """The ensembles the Run button starts (`_needed`), in the order they run, by what each is
    in words: the baseline, the what-if."""
    if what_if is None:
        return {}
    return {words: s for words, s, needed in zip(
        ("the baseline", "the what-if"), (base, what_if), _needed(base, what_if, count, master),
        strict=True) if needed}


def _counts_ok(master: int) -> bool:
    """Whether the Replications and Seed fields hold what a run (or a saved file) can use."""
    return (1 <= runs.value <= MAX_PAGE_RUNS and 0 <= master < SEED_LIMIT and not runs_invalid.value
            and not seed_invalid.value)


@solara.component
def RunPanel(base: Scenario, what_if: Scenario | None, refused: str | None) -> None:
    """Runs, seed, the Run and Cancel buttons, and below them (so that they never move as it
    shows) why the what-if is refused, the estimate or the progress bar."""
    master = seed.value if seed.value is not None else base.spec.seed
    count_ok = _counts_ok(master)
    estimate = solara.use_memo(
        lambda: state.estimate_words(_to_run(base, what_if, runs.value, master), runs.value,
                                     workers_for(runs.value)) if count_ok else "",
        dependencies=[base, what_if, runs.value, master, _BASELINES.stored, count_ok])
    with solara.Div(classes=["runs-field"]):
        editor.NumberField("Replications", runs.value, runs.set, runs_invalid, whole=True,
                           low=1, high=MAX_PAGE_RUNS,
                           hint="runs in each ensemble; a baseline already run is reused")
    with solara.Div(classes=["seed-field"]):
        editor.NumberField("Seed", master, seed.set, seed_invalid, whole=True, low=0,
                           high=SEED_LIMIT - 1,
                           hint="the scenario's unless changed: a seed gives the same runs")
    with solara.Row():
        solara.Button("Run", color="primary", classes=["run-button"],
                      disabled=what_if is None or not count_ok or ensemble.pending,
                      on_click=lambda: ensemble(base, what_if, runs.value, master))
        solara.Button("Cancel", classes=["cancel-button"], disabled=not ensemble.pending,
                      on_click=ensemble.cancel)
    if refused is not None:
        solara.Error(refused, classes=["refused"])
    # as `mc11 run` prints them: notes on what the loader decided, no problem to fix
    for note in what_if.notes if what_if is not None else ():
        solara.Info(f"note: {note}", classes=["scenario-note"])
    if estimate and not ensemble.pending:
        solara.Text(estimate, classes=["estimate"])
    if ensemble.pending:
        solara.ProgressLinear(ensemble.progress or True)
        solara.Text(f"{done.value:,} of {planned.value:,} runs done (counted as each batch of "
                    f"up to {CHUNK_SIZE} runs finishes)", classes=["progress-text"])
    elif ensemble.cancelled:
        solara.Warning(f"cancelled after {done.value} runs", classes=["cancelled"])
    elif ensemble.error:
        solara.Error(f"the ensemble failed: {ensemble.exception}")
    elif ended.value:
        solara.Error(ended.value, classes=["ended"])


@solara.component
def SavePanel(base: Scenario, master: int,
              shown: tuple[state.Tables, state.Tables] | None) -> None:
    """Save the edited scenario (with the page's runs and seed) as a file `mc11 run`
    reproduces; download the summary CSV of the what-if shown."""
    with solara.Div(classes=["save-name"]):  # read as typed: a click right after uses it
        solara.InputText("Save as scenario file", value=save_name, continuous_update=True)
    # under the field: in its label, this was cut off in a 1280-pixel window
    solara.Text("the path of a new file ending .yaml (~ is your home folder)",
                classes=["save-hint"], style=editor.CAPTION)

    def inputs() -> tuple:
        """What a save writes: the message of one is shown only while these are unchanged."""
        return save_name.value, scenario_path.value, edits.value, parameters.value, runs.value, \
            master

    def save():
        try:
            written = state.save_what_if(base, edits.value, parameters.value, save_name.value,
                                         runs.value, master)
            message = f"saved {written}"
        except InputError as error:
            message = f"error: {error}"
        saved.set((inputs(), message))

    solara.Button("Save as scenario", on_click=save, classes=["save-button"],
                  disabled=not save_name.value.strip() or not _counts_ok(master))
    if saved.value is not None and saved.value[0] == inputs():
        solara.Text(saved.value[1], classes=["save-message"])
    if shown is not None:
        what_if = shown[1]
        solara.FileDownload(what_if.summary_csv(), filename=f"{what_if.scenario.name}-summary.csv",
                            label="Download the summary CSV")
        solara.Text(f"of {what_if.scenario.name}, {what_if.runs} runs, seed {what_if.seed}",
                    classes=["download-of"])


def _out_of_date(shown: tuple[state.Tables, state.Tables], base: Scenario,
                 what_if: Scenario | None, count: int, master: int) -> bool:
    """Whether the results on show are of other inputs than the form's (another scenario
    picked, an edit, other replications or another seed since the run)."""
    return what_if is None or (shown[0].scenario.input_hash(), shown[1].scenario.input_hash(),
                               shown[1].runs, shown[1].seed
                               ) != (base.input_hash(), what_if.input_hash(), count, master)


@solara.component
def ShownResults(shown: tuple[state.Tables, state.Tables], base: Scenario | None,
                 what_if: Scenario | None, count: int, master: int) -> None:
    """The last finished results, marked out of date while the form asks for others (or while
    the scenario file in use no longer loads)."""
    if base is None or _out_of_date(shown, base, what_if, count, master):
        run = shown[1]
        since = ("the scenario file in use no longer loads (the message on the left says why)"
                 if base is None else "the form has changed since: press Run to see it")
        solara.Warning(f"These results are of {run.scenario.name} as it was when run ("
                       f"{run.runs:,} runs, seed {run.seed}); {since}.", classes=["out-of-date"])
    results.ResultsView(*shown)


@solara.component
def ScenarioForm(base: Scenario, what_if: Scenario | None, refused: str | None,
                 master: int) -> None:
    """The scenario's description, its changes and parameters, and the Run and Save panels."""
    solara.Text(base.spec.description)
    with solara.Details("Positions and saliences", expand=True):
        editor.EditForm(base, edits)
    with solara.Details("Parameters"):
        editor.ParameterForm(base, parameters)
    RunPanel(base, what_if, refused)
    if what_if is not None:
        SavePanel(base, master, finished.value)


@solara.component
def Page() -> None:
    """The dashboard: the scenario and its edits on the left, the run and its results on the
    right."""
    solara.Title("MC11 what-if dashboard")
    # the file in use loaded when picked (read_scenario); `mc11 dashboard`'s, or a file edited
    # on disk since, may no longer load: then the page says why and shows no form
    base, problem = solara.use_memo(lambda: state.try_open(scenario_path.value),
                                    dependencies=[scenario_path.value, scenario_reads.value])
    what_if, refused = solara.use_memo(
        lambda: state.try_what_if(base, edits.value, parameters.value) if base else (None, None),
        dependencies=[base, edits.value, parameters.value])
    master = seed.value if seed.value is not None else (base.spec.seed if base else 0)

    def first_run():  # the default runs: a form restored at a reload may ask for a million
        if base is not None and ensemble.not_called:
            ensemble(base, base, DEFAULT_RUNS, master)

    solara.use_effect(first_run, [base is not None])  # at the start, or once a file loads
    solara.use_effect(keep_form, [scenario_path.value, edits.value, parameters.value, runs.value,
                                  seed.value])
    solara.Style(CSS)
    with solara.Sidebar():
        solara.HTML(tag="h2", unsafe_innerHTML="Scenario")
        editor.ScenarioPicker(scenario_path.value, scenario_refused, read_scenario)
        if base is None:
            solara.Error(problem, classes=["scenario-error"])
        else:
            ScenarioForm(base, what_if, refused, master)
    with solara.lab.Tabs(value=view):  # only the open view
        with solara.lab.Tab("Results"):
            if view.value == 0 and finished.value:
                ShownResults(finished.value, base, what_if, runs.value, master)
            elif view.value == 0 and base is not None:
                solara.Text("Running the first ensemble..." if ensemble.pending else
                            "No results yet: press Run.")
        with solara.lab.Tab("Watch one negotiation"):
            if view.value == 1 and what_if is not None:
                watching.WatchView(what_if, master)
            elif view.value == 1:
                solara.Warning("Nothing to watch while the scenario file or the form's changes "
                               "are refused (the message on the left says why).",
                               classes=["watch-nothing"])

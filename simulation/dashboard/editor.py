"""The scenario form: pick a scenario file, change positions and saliences, change parameters.

Values go into the scenario as a scenario file would state them, and the scenario loader
validates them: a refused value shows the loader's message (as `mc11 run` would print it).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import reacton.ipyvue
import solara

from simulation.dashboard import state
from simulation.inputs.scenario import Scenario

SCOPE_LABEL = "On which issues"  # the toggle of one issue, a cluster or every issue
CAPTION = {"font-size": "12px", "color": "rgba(0, 0, 0, 0.6)"}  # as a field's label is written


@solara.component
def ScenarioPicker(in_use: str, refused: solara.Reactive[str], read: Callable[[str], None]
                   ) -> None:
    """A shipped scenario from the list, or the path of one's own scenario file, passed to
    `read` (each Enter reads the file again, as edited since); beside the path field, why the
    file asked for last was `refused`, else, with the field emptied, the file `in_use`."""
    shipped = [str(p) for p in state.shipped_scenarios()]
    names = {str(p): p.stem for p in state.shipped_scenarios()}
    own = solara.use_reactive(in_use if in_use not in shipped else "")
    solara.Select("Shipped scenario", values=[names[p] for p in shipped],
                  value=names.get(in_use),
                  on_value=lambda name: read(next(p for p in shipped if names[p] == name)))

    def take(text: str) -> None:  # the path as typed; emptied, the file in use stays
        own.set(text)
        if text:
            read(text)
        else:
            refused.set("")

    with solara.Div(classes=["own-scenario"]):
        TextField(label="...or your own scenario file (path, then Enter)", shown=own.value,
                  event_read=take, again=True)
    if refused.value:
        solara.Error(refused.value, classes=["scenario-error"])
    elif in_use not in shipped and not own.value:  # emptied: the file still in use
        solara.Text(f"in use: {in_use}", classes=["scenario-in-use"])


@solara.component
def NumberField(label: str, value: float | None, on_value: Callable, invalid: solara.Reactive[bool],
                whole: bool = False, disabled: bool = False, low: float | None = None,
                high: float | None = None, hint: str = "") -> None:
    """A number field whose text, while it is not a number (from `low` to `high`, if given),
    stays as typed, says what is allowed and sets `invalid`, so that the buttons reading the
    number are disabled (solara's InputInt and InputFloat keep the last good number, and Run or
    Add change used it unseen; NaN broke the page's messages). `hint`, if any, is said under
    it while it holds an allowed number."""
    typed = solara.use_reactive(None)  # the text, while it is not an allowed number
    # the last allowed text read and its number: shown as typed ("30", not "30.0"), so that the
    # server's echo changes nothing in a field its user may already be typing into again
    read_last = solara.use_reactive(None)

    def written(bound: float) -> str:
        return f"{int(bound):,}" if whole else f"{bound:g}"

    allowed = ("a whole number" if whole else "a number") + (
        f" from {written(low)} to {written(high)}" if low is not None and high is not None
        else "")

    def read(text: str | None) -> None:
        try:
            number = (int if whole else float)((text or "").strip())
        except ValueError:
            number = None
        if number is None or not math.isfinite(number) or \
                (low is not None and number < low) or (high is not None and number > high):
            typed.set(text or "")
            invalid.set(True)
            return
        typed.set(None)
        invalid.set(False)
        read_last.set((text.strip(), number))
        on_value(number)

    def forget_typed() -> None:  # the number set elsewhere (a slider, the form reset)
        typed.set(None)
        invalid.set(False)

    solara.use_effect(forget_typed, [value])
    if typed.value is not None:
        text = typed.value
    elif value is None:
        text = ""
    elif read_last.value is not None and read_last.value[1] == value:
        text = read_last.value[0]
    else:
        text = str(value)
    TextField(label=label, shown=text, problem=allowed if typed.value is not None else False,
              disabled=disabled, event_read=read, hint=hint)


@solara.component_vue("text_field.vue")
def TextField(label: str, shown: str, event_read: Callable[[str], None],
              problem: str | bool = False, disabled: bool = False, hint: str = "",
              again: bool = False) -> None:
    """A text field showing `shown` that calls `event_read` with its text as typed when Enter
    is pressed or the field is left, if changed (`again`: at every Enter); `problem`, unless
    False, is said under it, else `hint`.

    The text travels with that event, so a click right after reaches the server after it.
    Solara's InputText has the server read the text from the field's widget instead, and a
    busy server read it a key short: the browser holds back a widget's newer text until the
    server has taken the last, but sends key presses and clicks at once (typed 50, Enter and
    Run ran 5 runs, and the field then said 5)."""


@solara.component
def Slider(label: str, value: float, on_value, low: float, high: float, step: float,
           disabled: bool) -> None:
    """A slider that reports only the user's moves (Vuetify's `change`), never the echo of a
    value set from the server, so it cannot race the number field it mirrors."""
    slider = solara.v.Slider(v_model=min(max(value, low), high), label=label, min=low, max=high,
                             step=step, thumb_label=True, hide_details=True, disabled=disabled)
    reacton.ipyvue.use_event(slider, "change", lambda _widget, _event, moved: on_value(
        float(moved)))


@solara.component
def EditForm(base: Scenario, edits: solara.Reactive[list[state.Edit]]) -> None:
    """One change at a time: whose position and salience, on which issue or cluster."""
    choices = state.who_choices(base)
    who = solara.use_reactive("members")
    name = solara.use_reactive(next(iter(choices["members"])))
    scope = solara.use_reactive("issue")
    issue = solara.use_reactive(base.catalogue.issue_ids[0])
    cluster = solara.use_reactive(state.cluster_choices()[0])
    if name.value not in choices[who.value]:
        name.set(next(iter(choices[who.value])))
    target_issue = issue.value if scope.value == "issue" else None
    target_cluster = cluster.value if scope.value == "cluster" else None
    now = solara.use_memo(lambda: state.current_values(base, who.value, name.value,
                                                       target_issue, target_cluster),
                          dependencies=[base, who.value, name.value, target_issue,
                                        target_cluster])
    position = solara.use_reactive(50.0)
    salience = solara.use_reactive(0.5)
    change_position = solara.use_reactive(True)
    change_salience = solara.use_reactive(False)
    position_invalid = solara.use_reactive(False)  # the field's text is not a number
    salience_invalid = solara.use_reactive(False)

    def reset_to_current():
        if now is not None:
            position.set(round(now[0], 1))
            salience.set(round(now[1], 2))

    solara.use_effect(reset_to_current, [now])

    kinds = {label: kind for kind, label in state.WHO_LABELS.items()}
    solara.Select("Change the preferences of", values=list(kinds),
                  value=state.WHO_LABELS[who.value], on_value=lambda label: who.set(kinds[label]))
    solara.Select("Who", values=[{"text": words, "value": code}  # the words shown, the code set
                                 for code, words in choices[who.value].items()], value=name,
                  classes=["who"])
    # labelled on the page and for screen readers (the buttons alone said not what they choose)
    solara.Text(SCOPE_LABEL, classes=["scope-label"], style=CAPTION)
    with solara.v.Html(tag="div", class_="scope", attributes={"role": "group",
                                                              "aria-label": SCOPE_LABEL}):
        solara.ToggleButtonsSingle(value=scope, values=["issue", "cluster", "every issue"])
    if scope.value == "issue":
        solara.Select("Issue", values=base.catalogue.issue_ids, value=issue)
    elif scope.value == "cluster":
        solara.Select("Cluster", values=state.cluster_choices(), value=cluster)
    if now is not None:
        solara.Text(f"{name.value} now: mean position {now[0]:.1f}, mean salience {now[1]:.2f}",
                    classes=["current-values"])
    solara.Checkbox(label="set position", value=change_position)
    # the sliders show the field's value within their range; the fields may say more, and the
    # scenario loader refuses it
    with solara.Div(classes=["position-slider"]):
        Slider("Position (0-100)", position.value, position.set, 0, 100, 1,
               disabled=not change_position.value)
    with solara.Div(classes=["position-field"]):
        NumberField("Position", position.value, position.set, position_invalid,
                    disabled=not change_position.value, low=0, high=100)
    solara.Checkbox(label="set salience", value=change_salience)
    with solara.Div(classes=["salience-slider"]):
        Slider("Salience (0-1)", salience.value, salience.set, 0, 1, 0.01,
               disabled=not change_salience.value)
    with solara.Div(classes=["salience-field"]):
        NumberField("Salience", salience.value, salience.set, salience_invalid,
                    disabled=not change_salience.value, low=0, high=1)

    def add():
        edit = state.Edit(who.value, name.value, target_issue, target_cluster,
                          position.value if change_position.value else None,
                          salience.value if change_salience.value else None)
        edits.set([*edits.value, edit])

    unread = ((change_position.value and position_invalid.value)
              or (change_salience.value and salience_invalid.value))
    solara.Button("Add change", on_click=add, color="primary", classes=["add-change"],
                  disabled=not (change_position.value or change_salience.value) or unread)
    # a box of fixed height (it scrolls when full): a row added while Run is pressed
    # below would move the button from under the pointer, and the press would be lost
    with solara.Div(classes=["changes"]):
        if not edits.value:
            solara.Text("No changes yet: the what-if is the scenario as written.",
                        classes=["no-changes"], style=CAPTION)
        for index, edit in enumerate(edits.value):
            with solara.Row(classes=["edit-row"]):
                solara.Text(edit.describe())
                solara.Button("remove", text=True, on_click=lambda i=index: edits.set(
                    [e for j, e in enumerate(edits.value) if j != i]))


@solara.component
def SettingField(label: str, setting: Any, on_text: Callable[[str], None]) -> None:
    """A parameter's text field; emptied, it shows the scenario's own setting again, which the
    form then uses (the field is re-made: its text would otherwise stay empty)."""
    emptied = solara.use_reactive(0)

    def read(text: str | None) -> None:
        if not (text or "").strip():
            emptied.set(emptied.value + 1)
        on_text(text or "")

    TextField(label=label, shown=state.setting_text(setting), event_read=read).key(
        f"setting-{emptied.value}")


@solara.component
def ParameterForm(base: Scenario, parameters: solara.Reactive[dict]) -> None:
    """Every model parameter, starting from the scenario's value or prior. A number field
    takes a number, or a prior as a scenario file writes it (`{triangular: [0.8, 0.9, 1]}`);
    emptied, the scenario's own again."""
    solara.HTML(tag="div", unsafe_innerHTML="A number, or a prior: " + ", ".join(
        f"<code>{prior}</code>" for prior in ("{uniform: [a, b]}", "{triangular: [a, mode, b]}",
                                              "{normal: [mean, sd], clip: [a, b]}",
                                              "{choice: [v1, v2]}")) + "; empty the field for "
                "the scenario's own.")
    for field in state.parameter_fields():
        current = parameters.value.get(field.path, state.parameter_setting(base, field.path))

        def put(value, path=field.path):
            parameters.set({**parameters.value, path: value})

        label = field.path + (f" ({field.low:g}-{field.high:g})"
                              if field.low is not None and field.high is not None else "")
        if field.kind == "bool":
            solara.Checkbox(label=label, value=bool(current), on_value=put)
        elif field.kind == "choice":
            solara.Select(label, values=list(field.choices), value=current, on_value=put)
        else:
            with solara.Div(classes=[f"param-{field.path.replace('.', '-')}"]):
                SettingField(label, current, lambda text, path=field.path: parameters.set(
                    state.with_setting(parameters.value, path, text)))
        if field.meaning:  # the raw path alone said nothing of what the number is
            solara.Text(field.meaning, classes=["param-meaning"], style=CAPTION)

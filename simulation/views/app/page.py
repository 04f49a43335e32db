"""The dashboard page (Solara): controls on the left, the two runs on the right.

Everything a tab owns (its `Session`, the values typed, messages) lives in component state,
which Solara keeps per browser tab (per virtual kernel), so two tabs never share a run. Runs
play in a background task, one per tab, so the server keeps answering other tabs and this
tab's own Pause button. Every handler catches its errors and shows them on the page: a bad
value, or even a failing run, cannot take the server down.

The language comes from `SIMULATION_APP_LANG` (set by `simulation app --lang`), the scenario
folder from `SIMULATION_APP_SCENARIOS` (default: ./scenarios, else the one beside the package).
"""

from __future__ import annotations

import html
import math
import os
import threading
import time
from pathlib import Path
from typing import Any

import solara
import solara.lab

from simulation.scenario import Scenario, ScenarioError, load_scenario
from simulation.views.app.controls import (
    MAIN_LEVERS,
    MODES,
    RUN_CONTROLS,
    Control,
    ControlError,
    apply_values,
    check_budget,
    control,
    format_value,
    parse_text,
)
from simulation.views.app.figures import map_png, series_png
from simulation.views.app.session import DEFAULT_SCALE, SERIES, Session, Snapshot, shipped_scenarios
from simulation.views.param_text import param_doc
from simulation.views.translations import (
    check_language,
    label,
    mode_label,
    scenario_description,
    scenario_label,
)

__all__ = ["Page", "scenario_folder"]

#: Seconds of simulation between two redraws while a run plays (drawing costs ~1 s).
FRAME_SECONDS = 1.0
#: Seconds between two redraws of the map while a run plays.
MAP_SECONDS = 3.0


def _lang() -> str:
    return check_language(os.environ.get("SIMULATION_APP_LANG", "en"))


def scenario_folder() -> Path:
    """Where the shipped scenarios are: $SIMULATION_APP_SCENARIOS, ./scenarios, or the repo's."""
    env = os.environ.get("SIMULATION_APP_SCENARIOS")
    if env:
        return Path(env)
    here = Path("scenarios")
    if here.is_dir() and any(here.glob("*.toml")):
        return here
    return Path(__file__).resolve().parents[3] / "scenarios"


def _build(path: Path, values: dict[str, Any]) -> Scenario:
    """The scenario of `path` at the page's default scale with the page's values applied."""
    return apply_values(load_scenario(path, overrides={"scale": DEFAULT_SCALE}), values)


def _pct(v: float | None) -> str:
    return "–" if v is None or not math.isfinite(v) else f"{100 * v:.1f}%"


def _kpi_table(snap: Snapshot, lang: str) -> str:
    """The headline figures as an HTML table (scenario, baseline, difference in points)."""
    head = (
        f"<tr><th></th><th>{html.escape(label('app.this_scenario', lang))}</th>"
        f"<th>{html.escape(label('app.baseline_short', lang))}</th>"
        f"<th>{html.escape(label('app.difference', lang))}</th></tr>"
    )
    rows = []
    for metric in SERIES:
        a = snap.metrics.get(metric, float("nan"))
        b = snap.baseline_metrics.get(metric, float("nan"))
        diff = (
            f"{100 * (a - b):+.1f} {label('app.pp', lang)}"
            if math.isfinite(a) and math.isfinite(b)
            else "–"
        )
        rows.append(
            f"<tr><td>{html.escape(label(f'metric.{metric}', lang))}</td>"
            f"<td class='kpi-{metric}'>{_pct(a)}</td><td class='kpi-base-{metric}'>{_pct(b)}</td>"
            f"<td class='kpi-diff-{metric}'>{diff}</td></tr>"
        )
    return (
        "<table class='kpi' style='border-collapse:collapse;font-size:15px'>"
        + head
        + "".join(rows)
        + "</table>"
        "<style>.kpi td,.kpi th{padding:4px 12px;border-bottom:1px solid #ddd;text-align:right}"
        ".kpi td{white-space:nowrap}"
        ".kpi td:first-child{text-align:left}</style>"
    )


@solara.component
def NumberField(c: Control, value: Any, error: str, lang: str, on_text) -> None:
    """A typed number with its allowed range; refuses (with the message) what is not allowed."""
    text, set_text = solara.use_state(format_value(value), key=f"{c.key}-text")
    bounds = c.bounds_text()

    def changed(new: str | None) -> None:
        set_text(new or "")
        on_text(c, new or "")

    with solara.Column(gap="0px", classes=[f"field-{c.key.replace('.', '-')}"]):
        solara.InputText(
            f"{c.name(lang)}" + (f" ({bounds})" if bounds else ""),
            value=text,
            on_value=changed,
            error=bool(error),
            hide_details=True,
        )
        # Help and refusal as text of their own: the field's built-in message line has a
        # fixed height and long schema messages would spill over the next field.
        if error:
            solara.Text(error, style={"font-size": "12px", "color": "#c62828"})
        solara.Text(
            param_doc(c.key, lang),
            style={"font-size": "11px", "color": "#777", "margin-bottom": "6px"},
        )


@solara.component
def LeverControl(c: Control, value: Any, error: str, lang: str, on_value, on_text) -> None:
    """The control of one lever: switch, choice list or number field, as its type says."""
    if c.kind == "bool":
        solara.Switch(label=c.name(lang), value=bool(value), on_value=lambda v: on_value(c, v))
    elif c.kind == "choice":
        names = {label(f"app.choice.{ch}", lang, default=ch): ch for ch in c.choices or ()}
        current = next((n for n, ch in names.items() if ch == value), None)
        solara.Select(
            label=c.name(lang),
            values=list(names),
            value=current,
            on_value=lambda n: on_value(c, names[n]),
            dense=True,
        )
    else:
        NumberField(c, value, error, lang, on_text)


@solara.component
def Page() -> None:
    """The whole page."""
    lang = _lang()
    files = solara.use_memo(lambda: shipped_scenarios(scenario_folder()), [])
    names = list(files)
    choice = solara.use_reactive(names[0] if names else "")
    values = solara.use_reactive({})  # dotted key -> value applied on top of the file
    errors = solara.use_reactive({})  # dotted key -> message of the refused value
    run_error = solara.use_reactive("")
    # (latest snapshot, snapshot the map shows): one value, so both change in one render;
    # the map is redrawn less often while a run plays
    view = solara.use_reactive((None, None))
    timing = solara.use_reactive("")
    session = solara.use_memo(lambda: _first_session(files, choice.value, run_error), [])
    stop = solara.use_memo(threading.Event, [])

    if session is not None and view.value[0] is None:
        first = session.snapshot()
        view.set((first, first))

    def show(new: Snapshot, with_map: bool = True) -> None:
        shown = view.value[0]
        if shown is not None and new.version < shown.version:
            return  # a late snapshot of a run that was reset meanwhile
        view.set((new, new if with_map else view.value[1]))

    def play() -> None:
        """Step until the horizon or Pause, redrawing about once a second.

        Drawing costs about as much as a hundred days at scale 0.1, so the chart is redrawn at
        most once per `FRAME_SECONDS` of simulation (longer if drawing took longer) and the
        map at most every `MAP_SECONDS`; both are drawn when the run stops.
        """
        if session is None:
            return
        stop.clear()
        epoch = session.epoch
        start, day0 = time.perf_counter(), session.day
        window, last_map = FRAME_SECONDS, time.perf_counter()
        try:
            while not session.finished and not stop.is_set() and session.epoch == epoch:
                t = time.perf_counter()
                while (
                    not session.finished and not stop.is_set() and time.perf_counter() - t < window
                ):
                    session.advance(5)
                drawn = time.perf_counter()
                due = drawn - last_map >= MAP_SECONDS or session.finished or stop.is_set()
                show(session.snapshot(), with_map=due)
                if due:
                    last_map = time.perf_counter()
                window = max(FRAME_SECONDS, time.perf_counter() - drawn)
            days = session.day - day0
            if days and session.epoch == epoch:
                wall = time.perf_counter() - start
                timing.set(
                    label("app.played", lang).format(days=days, seconds=wall, ms=1000 * wall / days)
                )
        except Exception as exc:  # a failing run is shown, never crashes the server
            run_error.set(f"{type(exc).__name__}: {exc}")
        finally:
            latest, on_map = view.value
            if latest is not None and on_map is not latest:
                view.set((latest, latest))

    runner = solara.lab.use_task(play, dependencies=None)
    # A closed tab unmounts the page: its run stops instead of stepping on to the horizon.
    solara.use_effect(lambda: stop.set, [])

    def halt() -> None:
        stop.set()

    def restart(new_values: dict[str, Any], new_choice: str, settled: str | None = None) -> bool:
        """Rebuild both runs with new settings; False (and a message) if they are refused.

        `settled` is the control whose refusal (if any) the new value clears; other refused
        fields keep their message, since their text is still on the page.
        """
        if session is None:
            return False
        try:
            scenario = _build(files[new_choice], new_values)
            check_budget(scenario, settled or "run.days")
        except ControlError as exc:
            errors.set({**errors.value, exc.key: exc.message})
            return False
        except ScenarioError as exc:
            run_error.set(exc.render())
            return False
        stop.set()
        session.reset(scenario)
        values.set(new_values)
        if new_choice != choice.value:
            errors.set({})  # the fields are rebuilt for the new scenario
        elif settled is not None:
            errors.set({k: m for k, m in errors.value.items() if k != settled})
        choice.set(new_choice)
        run_error.set("")
        timing.set("")
        show(session.snapshot())
        return True

    def on_value(c: Control, v: Any) -> None:
        try:
            restart({**values.value, c.key: v}, choice.value, settled=c.key)
        except Exception as exc:  # never let a control take the page down
            errors.set({**errors.value, c.key: f"{type(exc).__name__}: {exc}"})

    def on_text(c: Control, text: str) -> None:
        try:
            v = parse_text(c, text)
        except ControlError as exc:
            errors.set({**errors.value, c.key: exc.message})
            return
        on_value(c, v)

    def on_choice(name: str) -> None:
        restart({}, name)

    def step(days: int) -> None:
        if session is None or runner.pending:
            return
        try:
            session.advance(days)
            show(session.snapshot())
        except Exception as exc:
            run_error.set(f"{type(exc).__name__}: {exc}")

    current: Snapshot | None = view.value[0]
    scenario = current.scenario if current else None
    on_map: Snapshot | None = view.value[1]
    version = (current.version, current.day) if current else None
    map_version = (on_map.version, on_map.day) if on_map else None
    series = solara.use_memo(lambda: series_png(current, lang) if current else b"", [version])
    picture = solara.use_memo(lambda: map_png(on_map, lang) if on_map else b"", [map_version])

    def value_of(key: str) -> Any:
        if key in values.value:
            return values.value[key]
        node: Any = scenario
        for part in key.split("."):
            node = getattr(node, part)
        return node

    solara.Title(label("app.title", lang))
    with solara.Sidebar(), solara.Column(gap="4px"):
        labels = {scenario_label(n, lang): n for n in names}
        solara.Select(
            label=label("app.scenario", lang),
            values=list(labels),
            value=scenario_label(choice.value, lang),
            on_value=lambda lab: on_choice(labels[lab]),
        )
        if scenario is not None:
            solara.Text(
                scenario_description(scenario.name, scenario.description, lang),
                style={"font-size": "12px", "color": "#555"},
            )
            # Always present (empty when nothing changed), so the controls below never shift
            # position; each switch is keyed by its mode as well.
            solara.Text(
                label("app.changed", lang).format(
                    keys=", ".join(_key_label(k, lang) for k in values.value)
                )
                if values.value
                else "",
                classes=["app-changed"],
                style={"font-size": "12px", "color": "#b26a00"},
            )
            solara.HTML(tag="h4", unsafe_innerHTML=html.escape(label("app.modes", lang)))
            for mode in MODES:
                key = f"modes.{mode}.enabled"
                solara.Switch(
                    label=mode_label(mode, lang),
                    value=bool(value_of(key)),
                    on_value=lambda v, key=key: on_value(control(key), v),
                    classes=[f"switch-{mode}"],
                ).key(f"switch-{mode}")
                if value_of(key):
                    with solara.Column(style={"margin-left": "28px"}, gap="0px").key(
                        f"levers-{mode}"
                    ):
                        for lever in MAIN_LEVERS:
                            if lever.startswith(f"modes.{mode}."):
                                c = control(lever)
                                LeverControl(
                                    c,
                                    value_of(lever),
                                    errors.value.get(lever, ""),
                                    lang,
                                    on_value,
                                    on_text,
                                ).key(f"{lever}-{choice.value}")
            solara.HTML(tag="h4", unsafe_innerHTML=html.escape(label("app.levers", lang)))
            for lever in MAIN_LEVERS:
                if not lever.startswith("modes."):
                    LeverControl(
                        control(lever),
                        value_of(lever),
                        errors.value.get(lever, ""),
                        lang,
                        on_value,
                        on_text,
                    ).key(f"{lever}-{choice.value}")
            solara.HTML(tag="h4", unsafe_innerHTML=html.escape(label("app.run_settings", lang)))
            for key in RUN_CONTROLS:
                LeverControl(
                    control(key),
                    value_of(key),
                    errors.value.get(key, ""),
                    lang,
                    on_value,
                    on_text,
                ).key(f"{key}-{choice.value}")
            solara.Text(label("app.restart_note", lang), style={"font-size": "12px"})

    with solara.Column(style={"padding": "8px 16px"}):
        solara.Text(label("app.subtitle", lang), style={"color": "#555"})
        for key, message in errors.value.items():
            solara.Error(
                f"{label('app.refused', lang)} — {_key_label(key, lang)}: {message} "
                f"({label('app.refused_keep', lang)})",
                classes=["app-refused"],
            )
        if run_error.value:
            solara.Error(f"{label('app.error', lang)}: {run_error.value}", classes=["app-error"])
        if current is None:
            return
        with solara.Row(style={"align-items": "center"}):
            if runner.pending:
                solara.Button(
                    label("app.pause", lang), on_click=halt, color="warning", classes=["btn-pause"]
                )
            else:
                solara.Button(
                    label("app.run", lang),
                    on_click=lambda: runner(),
                    color="primary",
                    disabled=current.day >= current.horizon,
                    classes=["btn-run"],
                )
            solara.Button(
                label("app.step", lang),
                on_click=lambda: step(1),
                disabled=runner.pending,
                classes=["btn-step"],
            )
            solara.Button(
                label("app.step30", lang),
                on_click=lambda: step(30),
                disabled=runner.pending,
                classes=["btn-step30"],
            )
            solara.Button(
                label("app.reset", lang),
                on_click=lambda: restart(values.value, choice.value),
                classes=["btn-reset"],
            )
            solara.HTML(
                tag="b",
                unsafe_innerHTML=html.escape(
                    label("app.day", lang).format(day=current.day, horizon=current.horizon)
                ),
                classes=["app-day"],
                style="font-size: 18px; margin-left: 16px",
            )
        solara.ProgressLinear(runner.pending)
        speed = ""
        if current.ms_per_day is not None:
            speed = label("app.speed", lang).format(
                ms=current.ms_per_day, scale=current.scenario.run.scale
            )
        solara.Text(
            " · ".join(t for t in (speed, timing.value) if t),
            classes=["app-speed"],
            style={"font-size": "12px", "color": "#555"},
        )
        solara.Text(
            label("app.city", lang).format(
                residents=int(current.residents.sum()),
                communities=current.residents.size,
                scale=current.scenario.run.scale,
            ),
            classes=["app-city"],
            style={"font-size": "12px", "color": "#555"},
        )
        if current.day < current.first_known_day:
            solara.Info(label("app.not_yet", lang).format(day=current.first_known_day))
        with solara.Columns([2, 3], style={"max-width": "1100px"}):
            with solara.Column():
                solara.HTML(tag="b", unsafe_innerHTML=html.escape(label("app.so_far", lang)))
                solara.HTML(tag="div", unsafe_innerHTML=_kpi_table(current, lang))
            with solara.Column():
                solara.HTML(tag="b", unsafe_innerHTML=html.escape(label("app.map", lang)))
                solara.Image(picture, width="100%", classes=["app-map"])
        solara.HTML(tag="b", unsafe_innerHTML=html.escape(label("app.charts", lang)))
        solara.Image(series, width="1050px", classes=["app-series"])


def _key_label(key: str, lang: str) -> str:
    """A dotted key as the page names it: "<mode> · strength" or the control's label."""
    parts = key.split(".")
    try:
        name = control(key).name(lang)
    except (KeyError, TypeError):
        name = key
    if len(parts) == 3 and parts[0] == "modes":
        return f"{mode_label(parts[1], lang)} · {name}"
    return name


def _first_session(files: dict[str, Path], name: str, run_error) -> Session | None:
    """The tab's session on the first shipped scenario (None, with a message, if none loads)."""
    if not files:
        run_error.set(f"no scenario files found in {scenario_folder()}")
        return None
    try:
        return Session(_build(files[name], {}))
    except Exception as exc:
        run_error.set(f"{type(exc).__name__}: {exc}")
        return None

"""The dashboard's controls, generated from the scenario schema so they never drift from it.

Each control is one scenario parameter, named by its dotted key. Its type, bounds, choices and
help text are read from the `param()` declaration in `simulation.scenario`, so when the model's
bounds change, the page changes with it. Which parameters the page offers is a short list
(`MAIN_LEVERS`): the modes' switches and strengths and the levers the brief names. Anything
typed into a control is checked twice: here for its form ("a number"), then by the schema
itself (`Scenario.replace`), whose message the page shows unchanged apart from the key's label.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass
from typing import Any

from simulation.scenario import Scenario, ScenarioError
from simulation.scenario.settings import ModeSettings
from simulation.views.translations import label

__all__ = [
    "MAIN_LEVERS",
    "MODES",
    "PAGE_BUDGET",
    "RUN_CONTROLS",
    "Control",
    "ControlError",
    "apply_values",
    "check_budget",
    "control",
    "format_value",
    "parse_text",
]

#: The six modes, in the schema's order (from `ModeSettings`, not a copy of its names).
MODES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(ModeSettings))

#: Per mode, the parameters shown when the mode is on (only those the mode declares).
_MODE_LEVERS: tuple[str, ...] = ("strength", "coverage", "appraisal", "direct_routing")

#: The levers of the mechanisms and principles the brief asks planners to flip.
_SHARED_LEVERS: tuple[str, ...] = (
    "principles.pairing",
    "principles.party_building_first",
    "mechanisms.joint_activities",
    "mechanisms.matching",
    "mechanisms.approval_prob",
)

#: Run settings the page offers (the baseline run shares them).
RUN_CONTROLS: tuple[str, ...] = ("run.seed", "run.scale", "run.days")


def _field(key: str) -> tuple[dataclasses.Field, Any]:
    """The dataclass field and its type for a dotted scenario key (KeyError if unknown)."""
    cls: Any = Scenario
    *path, name = key.split(".")
    for part in path:
        fields = {f.name: f for f in dataclasses.fields(cls)}
        cls = fields[part].default_factory  # a section's dataclass
    fields = {f.name: f for f in dataclasses.fields(cls)}
    if name not in fields:
        raise KeyError(key)
    return fields[name], typing.get_type_hints(cls)[name]


def _mode_levers() -> tuple[str, ...]:
    keys = []
    for mode in MODES:
        for name in _MODE_LEVERS:
            try:
                _field(f"modes.{mode}.{name}")
            except KeyError:
                continue
            keys.append(f"modes.{mode}.{name}")
    return tuple(keys)


#: Every parameter the page offers besides the mode switches and run settings.
MAIN_LEVERS: tuple[str, ...] = (*_mode_levers(), *_SHARED_LEVERS)


@dataclass(frozen=True)
class Control:
    """One control: a scenario parameter with what the schema says about it."""

    key: str
    kind: str  # "bool", "int", "float" or "choice"
    default: Any
    doc: str
    lo: float | None
    hi: float | None
    lo_open: bool
    choices: tuple[str, ...] | None

    def name(self, lang: str) -> str:
        """The control's label: a translated term when the catalogue has one."""
        last = self.key.rsplit(".", 1)[-1]
        return label(f"app.param.{last}", lang, default=last.replace("_", " "))

    def bounds_text(self) -> str:
        """The allowed range as shown next to a field, e.g. "0 – 2" or "> 0 – 1"."""
        if self.lo is None and self.hi is None:
            return ""
        lo = "" if self.lo is None else format_value(self.lo)
        if self.hi is None or self.hi >= 1e12:  # e.g. the seed's 2**62: no useful ceiling
            return f"{'>' if self.lo_open else '≥'} {lo}"
        hi = format_value(self.hi)
        return f"{'> ' if self.lo_open else ''}{lo} – {hi}"


def control(key: str) -> Control:
    """The control for a dotted scenario key, from the schema's declaration."""
    f, tp = _field(key)
    meta = f.metadata
    choices = meta.get("choices")
    kind = "choice" if choices else {bool: "bool", int: "int", float: "float"}[tp]
    return Control(
        key=key,
        kind=kind,
        default=f.default,
        doc=meta.get("doc", ""),
        lo=meta.get("lo"),
        hi=meta.get("hi"),
        lo_open=bool(meta.get("lo_open")),
        choices=tuple(choices) if choices else None,
    )


class ControlError(ValueError):
    """A value typed into a control that the page refuses; `key` names the control."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


def format_value(value: Any) -> str:
    """A value as a field shows it (no float noise, no exponent for ordinary numbers)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e6 else f"{value:.0f}"
    return str(value)


def parse_text(c: Control, text: str) -> Any:
    """What was typed, as the control's type; ControlError if it is not of that form.

    Range and choice checks are the schema's job (`apply_values`), so there is one source
    of truth for what is allowed.
    """
    raw = text.strip().replace(",", "").replace("_", "")
    if c.kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise ControlError(c.key, f"must be a whole number; got {text!r}") from None
    if c.kind == "float":
        try:
            value = float(raw)
        except ValueError:
            raise ControlError(c.key, f"must be a number; got {text!r}") from None
        if not math.isfinite(value):
            raise ControlError(c.key, f"must be a finite number; got {text!r}")
        return value
    if c.kind == "bool":
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise ControlError(c.key, f"must be true or false; got {text!r}")
    return text.strip()


#: The most resident-days the page runs (scale × days): a full city for a year. Beyond it the
#: two runs would hold gigabytes of problems (every problem of the horizon is drawn up front)
#: and could exhaust the server; `simulation run` has no such limit.
PAGE_BUDGET = 365.0


def check_budget(scenario: Scenario, key: str = "run.days") -> None:
    """ControlError (named by `key`) if scale × days exceeds what the page runs."""
    run = scenario.run
    if run.scale * run.days > PAGE_BUDGET + 1e-9:
        raise ControlError(
            key,
            f"scale × days may be at most {PAGE_BUDGET:g} on this page (a full city for a "
            f"year); got {run.scale:g} × {run.days} — use `simulation run` for longer or "
            "larger runs",
        )


def apply_values(scenario: Scenario, values: dict[str, Any]) -> Scenario:
    """`scenario` with `values` (dotted keys) applied and validated by the schema.

    Raises ControlError naming the first offending key, with the schema's own message.
    """
    try:
        return scenario.replace(values)
    except ScenarioError as exc:
        first = exc.problems[0]
        raise ControlError(first.key, first.message) from None

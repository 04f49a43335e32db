"""Declaring parameters once: defaults, bounds, documentation and source in one place.

Every parameter of a scenario is a field of a frozen dataclass declared with `param()`. From
those declarations come the defaults, strict validation of scenario files (unknown key, wrong
type, out of range, not among the choices), the published JSON Schema and the parameter
tables of the documentation, so they cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import typing
from dataclasses import MISSING, dataclass, field
from typing import Any

__all__ = [
    "DISTRIBUTIONS",
    "ParamError",
    "Uncertain",
    "asdict",
    "from_mapping",
    "is_section",
    "json_schema",
    "param",
    "param_table",
    "section",
    "short_repr",
    "uncertain_parameters",
    "unranged_parameters",
]

#: How draws spread over a plausible range: evenly; evenly in the logarithm (for quantities
#: known to within a factor, e.g. rates and amounts of money); or a triangle peaking at the
#: default (the value thought most likely, with the ends possible but less so).
DISTRIBUTIONS: tuple[str, ...] = ("uniform", "loguniform", "triangular")


def short_repr(value: Any, limit: int = 60) -> str:
    """`repr(value)` cut to `limit` characters, so a hostile value cannot flood a message
    (and an integer too long to print does not turn a message into a traceback)."""
    try:
        text = repr(value)
    except ValueError:  # an int beyond sys.get_int_max_str_digits()
        return f"<an integer of more than {sys.get_int_max_str_digits()} digits>"
    if len(text) > limit:
        return f"{text[: limit - 20]}... ({len(text):,} characters)"
    return text


@dataclass(frozen=True)
class ParamError:
    """One problem found in a scenario: the dotted key and what is wrong or allowed."""

    key: str
    message: str


def param(
    default: Any,
    doc: str,
    source: str,
    *,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    choices: tuple[str, ...] | None = None,
    plausible: tuple[float, float] | None = None,
    distribution: str = "uniform",
) -> Any:
    """A scalar parameter with its default, bounds (inclusive unless `lo_open`) and source.

    `source` is a calibration.md row (e.g. "calibration A") or "assumption: why".
    `plausible` is the range an uncertain value (every "assumption", and sourced values whose
    source is loose) may take, with the `distribution` draws come from (one of
    `DISTRIBUTIONS`; "triangular" peaks at the default); the reason for the range belongs in
    `source`. A range is checked here, when the schema is imported, so a declaration that
    contradicts itself (range outside the bounds, default outside the range) cannot ship.
    """
    if plausible is not None:
        _check_plausible(default, lo, hi, lo_open, plausible, distribution, doc)
    elif distribution != "uniform":
        raise ValueError(
            f"parameter {doc!r}: distribution {distribution!r} needs a plausible range"
        )
    meta = {"doc": doc, "source": source, "lo": lo, "hi": hi, "lo_open": lo_open}
    meta["choices"] = choices
    meta["plausible"] = tuple(plausible) if plausible is not None else None
    meta["distribution"] = distribution
    return field(default=default, metadata=meta)


def _check_plausible(
    default: Any,
    lo: float | None,
    hi: float | None,
    lo_open: bool,
    plausible: tuple[float, float],
    distribution: str,
    doc: str,
) -> None:
    """Raise ValueError when a plausible range contradicts its own declaration."""
    where = f"parameter {doc!r}"
    if isinstance(default, bool) or not isinstance(default, int | float):
        raise ValueError(f"{where}: only numeric parameters can have a plausible range")
    if len(plausible) != 2:
        raise ValueError(f"{where}: plausible must be (low, high), got {plausible!r}")
    low, high = plausible
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"{where}: plausible range {plausible!r} must have low < high")
    if isinstance(default, int) and not (float(low).is_integer() and float(high).is_integer()):
        raise ValueError(f"{where}: an integer parameter needs whole-number plausible ends")
    if lo is not None and (low < lo or (lo_open and low <= lo)):
        raise ValueError(f"{where}: plausible range {plausible!r} reaches below the bound {lo}")
    if hi is not None and high > hi:
        raise ValueError(f"{where}: plausible range {plausible!r} reaches above the bound {hi}")
    if not low <= default <= high:
        raise ValueError(
            f"{where}: the default {default!r} lies outside its plausible range {plausible!r}"
        )
    if distribution not in DISTRIBUTIONS:
        raise ValueError(
            f"{where}: distribution must be one of {DISTRIBUTIONS}, got {distribution!r}"
        )
    if distribution == "loguniform" and low <= 0:
        raise ValueError(f"{where}: a loguniform range must be above 0, got {plausible!r}")


@dataclass(frozen=True)
class Uncertain:
    """A parameter with a plausible range: what `--uncertainty` draws and calibration fits."""

    key: str
    default: float
    low: float
    high: float
    distribution: str
    integer: bool
    source: str

    def from_unit(self, u: Any) -> Any:
        """Values for points `u` in [0, 1) by the inverse distribution function.

        Integers take each whole number of the range with equal chance under "uniform"
        (and the nearest whole number otherwise).
        """
        import numpy as np

        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        a, b = self.low, self.high
        if self.integer and self.distribution == "uniform":
            return np.minimum(np.floor(a + u * (b - a + 1)), b).astype(np.int64)
        if self.distribution == "loguniform":
            x = np.exp(math.log(a) + u * (math.log(b) - math.log(a)))
        elif self.distribution == "triangular":
            c = min(max(float(self.default), a), b)
            split = (c - a) / (b - a)
            left = a + np.sqrt(u * (b - a) * (c - a))
            right = b - np.sqrt((1.0 - u) * (b - a) * (b - c))
            x = np.where(u < split, left, right)
        else:
            x = a + u * (b - a)
        x = np.clip(x, a, b)
        return np.rint(x).astype(np.int64) if self.integer else x


def uncertain_parameters(cls: type, prefix: str = "") -> list[Uncertain]:
    """Every parameter of `cls` (and its sections) that declares a plausible range, in order."""
    out: list[Uncertain] = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        key = prefix + f.name
        if is_section(f):
            out.extend(uncertain_parameters(f.default_factory, key + "."))
            continue
        rng = f.metadata.get("plausible")
        if rng is None:
            continue
        out.append(
            Uncertain(
                key,
                f.default,
                float(rng[0]),
                float(rng[1]),
                f.metadata.get("distribution", "uniform"),
                isinstance(f.default, int) and not isinstance(f.default, bool),
                f.metadata.get("source", ""),
            )
        )
    return out


# Sections whose numbers say how to run a study, not how the city works.
_NOT_EFFECTS = ("run.",)


def unranged_parameters(cls: type) -> list[str]:
    """Effect-carrying parameters with no plausible range: numeric, not a run setting, and
    sourced as an "assumption" or "calibrated" value. `compare --uncertainty` holds them at
    their values, so each is a gap in the uncertainty analysis until it gets a range (or a
    firmer source)."""
    out = []
    for key, default, _doc, source in param_table(cls):
        if key.startswith(_NOT_EFFECTS) or isinstance(default, bool | str):
            continue
        text = source.lower()
        if "assum" not in text and "calibrated" not in text:
            continue
        if _field_meta(cls, key).get("plausible") is None:
            out.append(key)
    return out


def _field_meta(cls: type, key: str) -> Any:
    head, _, rest = key.partition(".")
    f = {f.name: f for f in dataclasses.fields(cls)}[head]
    return _field_meta(f.default_factory, rest) if rest else f.metadata


def section(factory: type, doc: str) -> Any:
    """A nested table of parameters (a TOML table)."""
    return field(default_factory=factory, metadata={"doc": doc, "section": True})


def is_section(f: dataclasses.Field) -> bool:
    """Whether a dataclass field is a nested table rather than a scalar parameter."""
    return bool(f.metadata.get("section"))


def _resolved_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _type_name(tp: Any) -> str:
    return {bool: "a boolean (true/false)", int: "an integer", float: "a number", str: "a string"}[
        tp
    ]


def _check_scalar(value: Any, tp: Any, f: dataclasses.Field, key: str) -> tuple[Any, str | None]:
    """Return (coerced value, error message or None) for one scalar."""
    if tp is bool:
        if not isinstance(value, bool):
            return value, f"must be {_type_name(bool)}, got {short_repr(value)}"
    elif tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return value, f"must be {_type_name(int)}, got {short_repr(value)}"
    elif tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return value, f"must be {_type_name(float)}, got {short_repr(value)}"
        try:
            value = float(value)
        except OverflowError:
            return value, f"must be a finite number, got {short_repr(value)}"
        if not math.isfinite(value):
            return value, f"must be a finite number, got {short_repr(value)}"
    elif tp is str and not isinstance(value, str):
        return value, f"must be {_type_name(str)}, got {short_repr(value)}"
    meta = f.metadata
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        return value, f"must be one of {', '.join(map(repr, choices))}; got {short_repr(value)}"
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None:
        if meta.get("lo_open") and not value > lo:
            return value, f"must be greater than {lo}; got {short_repr(value)}"
        if not meta.get("lo_open") and value < lo:
            return value, f"must be at least {lo}; got {short_repr(value)}"
    if hi is not None and value > hi:
        return value, f"must be at most {hi}; got {short_repr(value)}"
    return value, None


def from_mapping(cls: type, data: dict[str, Any], prefix: str = "") -> tuple[Any, list[ParamError]]:
    """Build `cls` from a (possibly partial) mapping, collecting every error found.

    Missing keys take their defaults. Returns (instance or None, errors).
    """
    errors: list[ParamError] = []
    hints = _resolved_types(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    for name in unknown:
        allowed = ", ".join(sorted(fields))
        errors.append(ParamError(prefix + name, f"unknown key; allowed here: {allowed}"))
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        if name not in data:
            continue
        key = prefix + name
        value = data[name]
        if is_section(f):
            if not isinstance(value, dict):
                errors.append(
                    ParamError(key, f"must be a table ([{key}]), got {short_repr(value)}")
                )
                continue
            sub, sub_errors = from_mapping(f.default_factory, value, key + ".")
            errors.extend(sub_errors)
            if sub is not None:
                kwargs[name] = sub
        else:
            coerced, msg = _check_scalar(value, hints[name], f, key)
            if msg:
                errors.append(ParamError(key, msg))
            else:
                kwargs[name] = coerced
    if errors:
        return None, errors
    return cls(**kwargs), errors


def _json_type(tp: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string"}[tp]


def json_schema(cls: type, title: str | None = None) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a parameter dataclass, for editors and external checks."""
    hints = _resolved_types(cls)
    props: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if is_section(f):
            sub = json_schema(f.default_factory)
            sub["description"] = f.metadata.get("doc", "")
            props[f.name] = sub
            continue
        tp = hints[f.name]
        prop: dict[str, Any] = {"type": _json_type(tp)}
        meta = f.metadata
        doc = meta.get("doc", "")
        src = meta.get("source", "")
        prop["description"] = f"{doc} [{src}]" if src else doc
        if f.default is not MISSING:
            prop["default"] = f.default
        if meta.get("choices"):
            prop["enum"] = list(meta["choices"])
        if meta.get("lo") is not None:
            prop["exclusiveMinimum" if meta.get("lo_open") else "minimum"] = meta["lo"]
        if meta.get("hi") is not None:
            prop["maximum"] = meta["hi"]
        props[f.name] = prop
    schema: dict[str, Any] = {
        "type": "object",
        "properties": props,
        "additionalProperties": False,
    }
    if title:
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": title,
            **schema,
        }
    if cls.__doc__:
        schema.setdefault("description", " ".join(cls.__doc__.split()))
    return schema


def param_table(cls: type, prefix: str = "") -> list[tuple[str, Any, str, str]]:
    """Flat rows (dotted key, default, doc, source) for documentation tables."""
    rows: list[tuple[str, Any, str, str]] = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        key = prefix + f.name
        if is_section(f):
            rows.extend(param_table(f.default_factory, key + "."))
        else:
            default = f.default if f.default is not MISSING else None
            rows.append((key, default, f.metadata.get("doc", ""), f.metadata.get("source", "")))
    return rows


def asdict(obj: Any) -> dict[str, Any]:
    """A plain nested dict of a parameter dataclass (for manifests and hashing)."""
    return dataclasses.asdict(obj)

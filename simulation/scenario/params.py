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
    "ParamError",
    "asdict",
    "from_mapping",
    "is_section",
    "json_schema",
    "param",
    "param_table",
    "section",
    "short_repr",
]


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
    source is loose) may take, with the `distribution` draws come from ("uniform" over the
    range unless said otherwise); the reason for the range belongs in `source`.
    """
    meta = {"doc": doc, "source": source, "lo": lo, "hi": hi, "lo_open": lo_open}
    meta["choices"] = choices
    meta["plausible"] = plausible
    meta["distribution"] = distribution
    return field(default=default, metadata=meta)


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

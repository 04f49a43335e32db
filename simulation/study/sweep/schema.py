"""The JSON Schema of sweep files (scenarios/sweep.schema.json)."""

from __future__ import annotations

from typing import Any

from simulation.scenario.names import SWEEP_NAME_MAX_LENGTH, name_schema
from simulation.scenario.params import json_schema
from simulation.study.sweep.spec import (
    _KEYS,
    _TOP,
    DEFAULT_OUTPUTS,
    MAX_DESIGN_POINTS,
    RESERVED_KEYS,
    RUN_KEYS,
    SAMPLERS,
    _Key,
)


# ---------------------------------------------------------------------- JSON Schema
def _value_schema(k: _Key) -> dict[str, Any]:
    prop = dict(json_schema(k.owner)["properties"][k.name])
    prop.pop("default", None)  # a default means nothing in a sweep file
    return prop


def _ref(key: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{key}"}


_VALUES_DOC = "discrete values (grid: each one; lhs/sobol: each equally likely)"
_SPEC_DEFS: dict[str, Any] = {
    "_values": {
        "type": "object",
        "properties": {
            "values": {
                "type": "array",
                "minItems": 2,
                "uniqueItems": True,
                "description": _VALUES_DOC,
            }
        },
        "required": ["values"],
        "additionalProperties": False,
    },
    "_range_or_values": {
        "type": "object",
        "properties": {
            "values": {
                "type": "array",
                "minItems": 2,
                "uniqueItems": True,
                "description": _VALUES_DOC,
            },
            "range": {
                "type": "array",
                "minItems": 2,
                "maxItems": 2,
                "description": "[low, high]: lhs/sobol sample it uniformly; the grid needs `levels`",
            },
            "levels": {
                "type": "integer",
                "minimum": 2,
                "description": "grid only: evenly spaced values of `range`, ends included",
            },
        },
        "oneOf": [{"required": ["range"]}, {"required": ["values"]}],
        "additionalProperties": False,
    },
}


def _parameter_schema(k: _Key) -> dict[str, Any]:
    """A swept key's table: the shared shape, with items of the key's own value schema."""
    if k.type in (int, float):
        return {
            "$ref": "#/$defs/_range_or_values",
            "properties": {"values": {"items": _ref(k.key)}, "range": {"items": _ref(k.key)}},
        }
    return {"$ref": "#/$defs/_values", "properties": {"values": {"items": _ref(k.key)}}}


def sweep_schema() -> dict[str, Any]:
    """The JSON Schema of sweep files (published as scenarios/sweep.schema.json)."""
    from simulation.metrics import COST_COLUMNS, COUNT_COLUMNS, EXTRA_METRICS
    from simulation.study.statistics import PRIMARY_METRICS

    sweepable = {k: v for k, v in _KEYS.items() if k not in RESERVED_KEYS}
    fixable = [k for k in sweepable if not k.startswith("run.")]
    defs = {key: _value_schema(k) for key, k in sweepable.items()}
    run_props = {key: _ref(f"run.{key}") for key in RUN_KEYS}
    fixed_props = {key: _ref(key) for key in fixable}
    props: dict[str, Any] = {
        "name": {**name_schema(SWEEP_NAME_MAX_LENGTH), "description": _TOP["name"]},
        "description": {"type": "string", "description": _TOP["description"]},
        "base": {"type": "string", "description": _TOP["base"]},
        "sampler": {"enum": list(SAMPLERS), "description": _TOP["sampler"]},
        "samples": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_DESIGN_POINTS,
            "description": _TOP["samples"],
        },
        "replications": {
            "type": "integer",
            "minimum": 1,
            "maximum": 100_000,
            "description": _TOP["replications"],
        },
        "seed": {"type": "integer", "minimum": 0, "maximum": 2**62, "description": _TOP["seed"]},
        "outputs": {
            "type": "array",
            "items": {"enum": [*PRIMARY_METRICS, *COUNT_COLUMNS, *COST_COLUMNS, *EXTRA_METRICS]},
            "minItems": 1,
            "uniqueItems": True,
            "default": list(DEFAULT_OUTPUTS),
            "description": _TOP["outputs"],
        },
        "timeseries": {"type": "boolean", "default": False, "description": _TOP["timeseries"]},
        "run": {
            "type": "object",
            "properties": run_props,
            "additionalProperties": False,
            "description": _TOP["run"],
        },
        "fixed": {
            "type": "object",
            "properties": fixed_props,
            "additionalProperties": False,
            "description": _TOP["fixed"],
        },
        "parameters": {
            "type": "object",
            "minProperties": 1,
            "properties": {key: _parameter_schema(k) for key, k in sweepable.items()},
            "additionalProperties": False,
            "description": _TOP["parameters"],
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Integrated party building simulation: sweep file",
        "description": "A base scenario, the scenario keys to vary and a sampler (grid, Latin "
        "hypercube or Sobol). See simulation/study/sweep/.",
        "type": "object",
        "properties": props,
        "required": ["base", "sampler", "parameters"],
        "additionalProperties": False,
        "$defs": {**_SPEC_DEFS, **defs},
        "allOf": [
            {
                "if": {"properties": {"sampler": {"const": "sobol"}}, "required": ["sampler"]},
                "then": {
                    "required": ["samples"],
                    "properties": {"parameters": {"minProperties": 2}},
                },
            },
            {
                "if": {"properties": {"sampler": {"const": "lhs"}}, "required": ["sampler"]},
                "then": {"required": ["samples"]},
            },
        ],
    }

"""A sweep's specification: the swept parameters, the sweep itself, and the scenario keys a sweep may name."""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import hashlib
import json
import math
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simulation.scenario import (
    Scenario,
    ScenarioError,
    scenario_files,
)
from simulation.scenario.params import from_mapping, is_section

SAMPLERS: tuple[str, ...] = ("grid", "lhs", "sobol")
DEFAULT_OUTPUTS: tuple[str, ...] = (
    "needs_met_rate",
    "service_coverage",
    "resolution_rate",
    "equity_gap",
)
#: Run settings a sweep may set in its [run] table (seed and replications are top-level keys).
RUN_KEYS: tuple[str, ...] = ("days", "warmup_days", "resolution_limit_days", "window_days", "scale")
#: Scenario keys a sweep decides itself, so they can be neither swept nor fixed.
RESERVED_KEYS: dict[str, str] = {
    "name": "design points are named <sweep>-p0001, ...",
    "description": "design points get their own description",
    "run.seed": "set the top-level `seed` of the sweep file",
    "run.replications": "set the top-level `replications` of the sweep file",
}
MAX_DESIGN_POINTS = 100_000
_SPEC_KEYS = ("range", "values", "levels")
_TOP = {
    "name": "sweep name (defaults to the file's stem); design points are <name>-p0001, ...",
    "description": "what the sweep asks",
    "base": "the base scenario file, relative to this file",
    "sampler": "design: grid (every combination), lhs (Latin hypercube) or sobol (Saltelli)",
    "samples": "lhs: design points; sobol: base sample size N, a power of 2 (N * (D + 2) points)",
    "replications": "runs per design point, on common seeds (default: the base's run.replications)",
    "seed": "base seed: replication r uses seed + r; also seeds the sampler (default: the base's run.seed)",
    "outputs": "metrics summarised per design point and analysed (Sobol indices)",
    "timeseries": "keep every run's daily series (default false: sweeps only need run-level outputs)",
    "run": "run settings for every design point",
    "fixed": "other scenario keys (dotted) set for every design point",
    "parameters": "the swept scenario keys (dotted, quoted), each with `range` or `values`",
}


# ---------------------------------------------------------------------- the scenario's keys
@dataclass(frozen=True)
class _Key:
    key: str
    owner: type
    name: str
    type: type


def _walk(cls: type, prefix: str, keys: dict[str, _Key], tables: set[str]) -> None:
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        key = prefix + f.name
        if is_section(f):
            tables.add(key)
            _walk(f.default_factory, key + ".", keys, tables)
        else:
            keys[key] = _Key(key, cls, f.name, hints[f.name])


_KEYS: dict[str, _Key] = {}
_TABLES: set[str] = set()
_walk(Scenario, "", _KEYS, _TABLES)


def _check_value(k: _Key, value: Any) -> tuple[Any, str | None]:
    """Validate one value of scenario key `k` like a scenario file would; (coerced, error)."""
    obj, errors = from_mapping(k.owner, {k.name: value})
    if errors:
        return value, errors[0].message
    return getattr(obj, k.name), None


def _unknown_key(key: str) -> str:
    if key in _TABLES:
        inside = sorted(k for k in _KEYS if k.startswith(key + "."))
        return f"is a table, not a parameter; its keys: {', '.join(inside[:8])}" + (
            ", ..." if len(inside) > 8 else ""
        )
    leaf = key.rsplit(".", 1)[-1]
    similar = difflib.get_close_matches(key, list(_KEYS), n=4, cutoff=0.6)
    similar += [k for k in _KEYS if k.rsplit(".", 1)[-1] == leaf and k not in similar]
    hint = f"; similar keys: {', '.join(similar[:6])}" if similar else ""
    return (
        f"unknown scenario key{hint} (every key: scenarios/scenario.schema.json; write "
        f'dotted keys in quotes, e.g. [parameters."modes.regional.strength"])'
    )


# ---------------------------------------------------------------------- the specification
@dataclass(frozen=True)
class SweepParameter:
    """One swept scenario key: a `range` (low, high) or a list of `values`."""

    key: str
    type: type
    low: float | int | None = None
    high: float | int | None = None
    levels: int | None = None
    values: tuple[Any, ...] | None = None

    @property
    def discrete(self) -> bool:
        """Whether the parameter takes one of listed values (rather than a range)."""
        return self.values is not None

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Map draws on [0, 1) to values (see the module docstring)."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, np.nextafter(1.0, 0.0))
        if self.values is not None:
            idx = np.minimum((u * len(self.values)).astype(int), len(self.values) - 1)
            return [self.values[i] for i in idx]
        assert self.low is not None
        assert self.high is not None
        if self.type is int:
            lo, hi = int(self.low), int(self.high)
            return [int(v) for v in np.minimum(lo + np.floor(u * (hi - lo + 1)), hi)]
        return [float(v) for v in self.low + u * (self.high - self.low)]

    def grid_values(self) -> list[Any]:
        """The grid sampler's values: the listed values, or `levels` evenly spaced ones."""
        if self.values is not None:
            return list(self.values)
        assert self.low is not None
        assert self.high is not None
        assert self.levels is not None
        points = np.linspace(float(self.low), float(self.high), self.levels)
        if self.type is int:
            return [round(v) for v in points]
        return [float(f"{v:.12g}") for v in points]

    def to_dict(self) -> dict[str, Any]:
        """The parameter as written in a sweep file (for manifests)."""
        out: dict[str, Any] = {"key": self.key, "type": self.type.__name__}
        if self.values is not None:
            out["values"] = list(self.values)
        else:
            out["range"] = [self.low, self.high]
            if self.levels is not None:
                out["levels"] = self.levels
        return out


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: the base scenario (with [run] and [fixed] applied) and the design."""

    name: str
    description: str
    file: Path | None
    base_file: Path
    base: Scenario
    sampler: str
    samples: int | None
    replications: int
    seed: int
    outputs: tuple[str, ...]
    parameters: tuple[SweepParameter, ...]
    timeseries: bool = False
    run: dict[str, Any] = field(default_factory=dict)
    fixed: dict[str, Any] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        """The swept scenario keys, in file order (the design's columns)."""
        return [p.key for p in self.parameters]

    def design_size(self) -> int:
        """Number of design points."""
        if self.sampler == "grid":
            return math.prod(len(p.grid_values()) for p in self.parameters)
        assert self.samples is not None
        if self.sampler == "sobol":
            return self.samples * (len(self.parameters) + 2)
        return self.samples

    def n_runs(self) -> int:
        """Design points times replications."""
        return self.design_size() * self.replications

    def identity(self) -> dict[str, Any]:
        """What decides the runs' results (not replications, outputs or text): a resumed sweep
        must match it, while raising `replications` and resuming adds runs to the same study."""
        return {
            "base": self.base.digest(),
            "sampler": self.sampler,
            "samples": self.samples,
            "seed": self.seed,
            "timeseries": self.timeseries,
            "parameters": [p.to_dict() for p in self.parameters],
        }

    def digest(self) -> str:
        """SHA-256 of `identity()`."""
        text = json.dumps(self.identity(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """Everything about the sweep, for the study's manifest."""
        files = []
        if self.file is not None and self.file.exists():
            files.append(_file_record(self.file))
        with contextlib.suppress(ScenarioError):  # the base was loaded moments ago
            files += [_file_record(f) for f in scenario_files(self.base_file)]
        return {
            "name": self.name,
            "description": self.description,
            "file": str(self.file) if self.file is not None else None,
            "files": files,
            "base": str(self.base_file),
            "base_digest": self.base.digest(),
            "sampler": self.sampler,
            "samples": self.samples,
            "design_size": self.design_size(),
            "replications": self.replications,
            "seed": self.seed,
            "outputs": list(self.outputs),
            "timeseries": self.timeseries,
            "run": self.run,
            "fixed": self.fixed,
            "parameters": [p.to_dict() for p in self.parameters],
            "digest": self.digest(),
            "identity": self.identity(),
            "base_parameters": self.base.to_dict(),
        }


def _file_record(path: Path) -> dict[str, str]:
    return {"path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}

"""Parameter sweeps: sweep files, designs (grid, Latin hypercube, Sobol), runs and Sobol indices.

A sweep file (TOML, design.md §5) names a base scenario, the parameters to vary and a sampler:

    name = "sweep_levers"                 # defaults to the file's stem
    description = "..."
    base = "baseline.toml"                # scenario file, relative to this file
    sampler = "sobol"                     # "grid" | "lhs" | "sobol"
    samples = 16                          # lhs: design points; sobol: base N (a power of 2)
    replications = 2                      # per design point, on common seeds
    seed = 7                              # replication r uses seed + r; also seeds the sampler
    outputs = ["needs_met_rate", "equity_gap"]
    timeseries = false                    # keep daily series of every run (default: no)

    [run]                                 # run settings for every point (days, scale, ...)
    scale = 0.01
    days = 120

    [fixed]                               # other scenario keys set for every point
    "modes.smart_platform.enabled" = true

    [parameters."modes.smart_platform.coverage"]
    range = [0.0, 1.0]                    # continuous; the grid needs `levels = 3`
    [parameters."principles.pairing"]
    values = ["voluntary", "forced"]      # discrete choices

Keys are the dotted keys of scenario files, checked against the scenario schema like a scenario
file's own values: every problem names the sweep file and key and says what is allowed.

Designs (`design`), deterministic given `seed`:
* grid: every combination (itertools.product) of each parameter's `values`, or of `levels`
  evenly spaced points of its `range` (ends included);
* lhs: `samples` points of a Latin hypercube (`scipy.stats.qmc.LatinHypercube`), one stratum
  per point in every parameter;
* sobol: Saltelli's scheme on a scrambled Sobol' sequence (`SALib.sample.sobol.sample`,
  first and total order only, `calc_second_order=False`): `samples * (D + 2)` points for D
  parameters. Second-order indices would double the runs, and with stochastic outputs they
  are rarely distinguishable from zero at the sizes a model this slow allows.

lhs and sobol draw each parameter on [0, 1) and map it: a float range linearly; an integer
range to one of its integers, each equally likely (lo + floor(u * (hi - lo + 1))); a list of
`values` to `values[floor(u * k)]`, each equally likely. So a discrete choice is a parameter
like any other in the Sobol analysis; its indices say how much its choice matters.

Every design point is a scenario (the base with the point's values) named `<sweep>-p0001`, ...,
and every point runs `replications` times on the same seeds (common random numbers), all as one
study (`simulation.experiment.run_study`): process pool or Dask, failures recorded, `--resume`.
Each row of runs.parquet carries `design_point` and one column per swept parameter. The sweep
folder also gets design.csv (the design), summary.csv (per design point: runs, ok runs, and the
replicate mean and SD of every output) and, for sobol, sobol.csv (S1, S1_conf, ST, ST_conf per
output and parameter).

Sobol indices are computed on replicate-averaged outputs in design order (SALib's estimator
reads rows by position; SALib #665) so that run-to-run noise is not counted as sensitivity
(SALib #292). What noise is left is reported as `noise_share`: the variance of a replicate mean
that noise explains, relative to the variance of the replicate means across the design. The
total-order indices are inflated by up to that share; add replications when it is large.

Daily series are off by default in sweeps (`timeseries = false`): the analysis uses run-level
outputs, and a sweep's hundreds of runs times days of rows would dominate its folder.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import hashlib
import itertools
import json
import math
import re
import time
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.experiment import StudyResult, default_workers, run_study
from simulation.params import ParamError, from_mapping, is_section, json_schema
from simulation.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    read_toml,
    scenario_files,
)
from simulation.store import StudyStore, atomic_write_bytes

__all__ = [
    "DEFAULT_OUTPUTS",
    "SAMPLERS",
    "SweepParameter",
    "SweepResult",
    "SweepSpec",
    "design",
    "is_sweep_file",
    "load_sweep",
    "noise_share",
    "point_scenarios",
    "run_sweep",
    "sobol_indices",
    "summarise",
    "sweep_from_dict",
    "sweep_schema",
]

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
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
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


# ---------------------------------------------------------------------- reading a sweep file
def _read_toml(path: Path) -> dict[str, Any]:
    return read_toml(path, "sweep file")


def is_sweep_file(path: str | Path) -> bool:
    """Whether a file is a sweep file: a top-level `sampler` or `[parameters]` table.

    A file that cannot be read counts as a sweep file when its name starts with "sweep", so
    that its error comes from the sweep loader.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return path.stem.startswith("sweep")
    return "sampler" in data or "parameters" in data


def _int(value: Any, key: str, lo: int, hi: int, errs: list[ParamError]) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        errs.append(ParamError(key, f"must be an integer, got {value!r}"))
        return None
    if not lo <= value <= hi:
        errs.append(ParamError(key, f"must be between {lo} and {hi}; got {value}"))
        return None
    return value


def _parse_parameter(key: str, spec: Any, sampler: str | None, errs: list[ParamError]):
    where = f'parameters."{key}"'
    if key in RESERVED_KEYS:
        errs.append(ParamError(where, f"cannot be swept: {RESERVED_KEYS[key]}"))
        return None
    k = _KEYS.get(key)
    if k is None:
        errs.append(ParamError(where, _unknown_key(key)))
        return None
    if not isinstance(spec, dict):
        errs.append(ParamError(where, f"must be a table with `range` or `values`, got {spec!r}"))
        return None
    n = len(errs)
    for sub in sorted(set(spec) - set(_SPEC_KEYS)):
        errs.append(
            ParamError(f"{where}.{sub}", "unknown key; allowed here: range, values, levels")
        )
    has_range, has_values = "range" in spec, "values" in spec
    if has_range == has_values:
        errs.append(
            ParamError(where, "give exactly one of `range = [low, high]` or `values = [...]`")
        )
        return None
    if has_values:
        if "levels" in spec:
            errs.append(ParamError(f"{where}.levels", "only goes with `range`, not `values`"))
        values = spec["values"]
        if not isinstance(values, list) or len(values) < 2:
            errs.append(
                ParamError(
                    f"{where}.values",
                    f"must be a list of at least 2 values, got {values!r} (to set one value "
                    "for every design point, use [fixed])",
                )
            )
            return None
        coerced = []
        for i, v in enumerate(values):
            c, msg = _check_value(k, v)
            if msg:
                errs.append(ParamError(f"{where}.values[{i}]", msg))
            coerced.append(c)
        if len(set(map(repr, coerced))) != len(coerced):
            errs.append(ParamError(f"{where}.values", f"repeats a value: {values!r}"))
        if len(errs) > n:
            return None
        return SweepParameter(key, k.type, values=tuple(coerced))
    # a range
    if k.type in (bool, str):
        kind = "true/false" if k.type is bool else "a choice"
        errs.append(
            ParamError(
                f"{where}.range", f"{key} is {kind}, not a number: list it with `values = [...]`"
            )
        )
        return None
    rng = spec["range"]
    if (
        not isinstance(rng, list)
        or len(rng) != 2
        or any(isinstance(v, bool) or not isinstance(v, int | float) for v in rng)
    ):
        errs.append(ParamError(f"{where}.range", f"must be [low, high] (two numbers), got {rng!r}"))
        return None
    if k.type is int and any(not isinstance(v, int) for v in rng):
        errs.append(
            ParamError(f"{where}.range", f"{key} is an integer: give whole numbers, got {rng!r}")
        )
        return None
    ends = []
    for label, v in zip(("low", "high"), rng, strict=True):
        c, msg = _check_value(k, v)
        if msg:
            errs.append(ParamError(f"{where}.range", f"{label} end: {msg}"))
        ends.append(c)
    if len(errs) > n:
        return None
    low, high = ends
    if not low < high:
        errs.append(ParamError(f"{where}.range", f"low must be below high, got {rng!r}"))
        return None
    levels = spec.get("levels")
    if levels is not None:
        levels = _int(levels, f"{where}.levels", 2, 10_000, errs)
        if levels is None:
            return None
        if k.type is int and levels > high - low + 1:
            errs.append(
                ParamError(
                    f"{where}.levels",
                    f"{levels} levels of an integer from {low} to {high} would repeat values; "
                    f"at most {high - low + 1}",
                )
            )
            return None
    elif sampler == "grid":
        errs.append(
            ParamError(
                f"{where}.levels", "the grid sampler needs `levels = N` (N >= 2) for a range"
            )
        )
        return None
    return SweepParameter(key, k.type, low=low, high=high, levels=levels)


def _flat_keys(table: dict[str, Any], where: str, errs: list[ParamError]) -> dict[str, Any]:
    """A [fixed] or [parameters] table's entries, with a hint when keys were written unquoted."""
    out = {}
    for key, value in table.items():
        if key in _TABLES and isinstance(value, dict) and where == "fixed":
            errs.append(
                ParamError(
                    f"{where}.{key}",
                    f'write dotted scenario keys in quotes, e.g. "{key}.…" = value under [fixed]',
                )
            )
            continue
        if (
            key in _TABLES
            and isinstance(value, dict)
            and where == "parameters"
            and not set(value) & set(_SPEC_KEYS)
        ):
            errs.append(
                ParamError(
                    f"{where}.{key}",
                    f'write dotted scenario keys in quotes: [parameters."{key}.…"], not '
                    f"[parameters.{key}.…]",
                )
            )
            continue
        out[key] = value
    return out


def sweep_from_dict(
    data: dict[str, Any], file: str | Path | None = None, root: str | Path | None = None
) -> SweepSpec:
    """Validate a sweep (as read from TOML) and build its `SweepSpec`.

    `root` is the folder `base` is relative to (the sweep file's folder, or the working
    folder). Raises ScenarioError listing every problem, each naming the key.
    """
    path = Path(file) if file is not None else None
    where_file = path if path is not None else "<sweep>"
    root = Path(root) if root is not None else (path.parent if path is not None else Path.cwd())
    errs: list[ParamError] = []
    for key in sorted(set(data) - set(_TOP)):
        close = difflib.get_close_matches(key, list(_TOP), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        errs.append(ParamError(key, f"unknown key{hint}; allowed here: {', '.join(sorted(_TOP))}"))

    def text(key: str, default: str | None) -> str | None:
        v = data.get(key, default)
        if v is not None and not isinstance(v, str):
            errs.append(ParamError(key, f"must be a string, got {v!r}"))
            return None
        return v

    name = text("name", path.stem if path is not None else "sweep")
    if name is not None and not _NAME_RE.match(name):
        errs.append(ParamError("name", f"must be letters, digits, '_', '-' or '.', got {name!r}"))
    description = text("description", "") or ""
    sampler = text("sampler", None)
    if "sampler" not in data:
        errs.append(ParamError("sampler", f"is required; one of {', '.join(SAMPLERS)}"))
    elif sampler is not None and sampler not in SAMPLERS:
        errs.append(ParamError("sampler", f"must be one of {', '.join(SAMPLERS)}; got {sampler!r}"))
        sampler = None
    samples = None
    if "samples" in data:
        samples = _int(data["samples"], "samples", 1, MAX_DESIGN_POINTS, errs)
    if sampler in ("lhs", "sobol") and "samples" not in data:
        errs.append(ParamError("samples", f"is required by the {sampler} sampler"))
    if sampler == "sobol" and samples is not None and (samples < 2 or samples & (samples - 1)):
        errs.append(
            ParamError(
                "samples",
                f"the sobol sampler needs a power of 2 (2, 4, 8, 16, 32, ...) to keep the "
                f"balance of Sobol' points; got {samples}",
            )
        )
    replications = None
    if "replications" in data:
        replications = _int(data["replications"], "replications", 1, 100_000, errs)
    seed = None
    if "seed" in data:
        seed = _int(data["seed"], "seed", 0, 2**62, errs)
    timeseries = data.get("timeseries", False)
    if not isinstance(timeseries, bool):
        errs.append(ParamError("timeseries", f"must be true or false, got {timeseries!r}"))
    outputs = _outputs(data.get("outputs", list(DEFAULT_OUTPUTS)), errs)

    # [run]
    run = data.get("run", {})
    if not isinstance(run, dict):
        errs.append(ParamError("run", f"must be a table ([run]), got {run!r}"))
        run = {}
    for key, value in run.items():
        if f"run.{key}" in RESERVED_KEYS:
            errs.append(ParamError(f"run.{key}", f"not here: {RESERVED_KEYS[f'run.{key}']}"))
        elif key not in RUN_KEYS:
            errs.append(
                ParamError(f"run.{key}", f"unknown key; allowed here: {', '.join(RUN_KEYS)}")
            )
        else:
            _, msg = _check_value(_KEYS[f"run.{key}"], value)
            if msg:
                errs.append(ParamError(f"run.{key}", msg))
    # [fixed]
    fixed = data.get("fixed", {})
    if not isinstance(fixed, dict):
        errs.append(ParamError("fixed", f"must be a table ([fixed]), got {fixed!r}"))
        fixed = {}
    fixed = _flat_keys(fixed, "fixed", errs)
    for key, value in fixed.items():
        where = f'fixed."{key}"'
        if key in RESERVED_KEYS:
            errs.append(ParamError(where, f"cannot be fixed here: {RESERVED_KEYS[key]}"))
        elif key.startswith("run."):
            errs.append(ParamError(where, f"set it in the [run] table: {key[4:]} = ..."))
        elif key not in _KEYS:
            errs.append(ParamError(where, _unknown_key(key)))
        else:
            _, msg = _check_value(_KEYS[key], value)
            if msg:
                errs.append(ParamError(where, msg))
    # [parameters]
    params_raw = data.get("parameters")
    parameters: list[SweepParameter] = []
    if params_raw is None:
        errs.append(ParamError("parameters", 'is required: [parameters."dotted.key"] tables'))
    elif not isinstance(params_raw, dict) or not params_raw:
        errs.append(ParamError("parameters", 'must hold [parameters."dotted.key"] tables'))
    else:
        for key, spec in _flat_keys(params_raw, "parameters", errs).items():
            p = _parse_parameter(key, spec, sampler, errs)
            if p is not None:
                parameters.append(p)
                if key in fixed:
                    errs.append(ParamError(f'fixed."{key}"', "is also swept; keep it in one place"))
                if key.startswith("run.") and key[4:] in run:
                    errs.append(ParamError(f"run.{key[4:]}", "is also swept; keep it in one place"))
        if sampler == "sobol" and isinstance(params_raw, dict) and len(params_raw) < 2:
            errs.append(
                ParamError(
                    "parameters",
                    "the sobol sampler needs at least 2 parameters (it apportions the variance "
                    f"among them); got {len(params_raw)}; use grid or lhs for one",
                )
            )
    # base
    base_name = text("base", None)
    base_path: Path | None = None
    if "base" not in data:
        errs.append(
            ParamError("base", 'is required: the base scenario file, e.g. base = "baseline.toml"')
        )
    elif base_name is not None:
        base_path = (root / base_name).resolve()
        if not base_path.is_file():
            errs.append(ParamError("base", f"scenario file not found: {base_path}"))
            base_path = None
    if errs:
        raise ScenarioError(where_file, errs)
    assert base_path is not None
    assert sampler is not None
    assert name is not None
    if is_sweep_file(base_path):
        raise ScenarioError(
            where_file, [ParamError("base", f"{base_path} is a sweep file, not a scenario")]
        )
    base0 = load_scenario(base_path)  # a broken base file is reported under its own name
    overrides = {f"run.{k}": v for k, v in run.items()} | fixed
    try:
        base = base0.replace(overrides) if overrides else base0
    except ScenarioError as exc:
        raise ScenarioError(
            where_file,
            [
                ParamError(p.key, f"{p.message} (with [run]/[fixed] applied to {base_path.name})")
                for p in exc.problems
            ],
        ) from None
    spec = SweepSpec(
        name=name,
        description=description,
        file=path,
        base_file=base_path,
        base=base,
        sampler=sampler,
        samples=samples,
        replications=replications if replications is not None else base.run.replications,
        seed=seed if seed is not None else base.run.seed,
        outputs=tuple(outputs),
        parameters=tuple(parameters),
        timeseries=bool(timeseries),
        run=dict(run),
        fixed=dict(fixed),
    )
    size = spec.design_size()
    if size > MAX_DESIGN_POINTS:
        raise ScenarioError(
            where_file,
            [
                ParamError(
                    "parameters" if sampler == "grid" else "samples",
                    f"the design has {size:,} points; at most {MAX_DESIGN_POINTS:,}",
                )
            ],
        )
    return spec


def _outputs(value: Any, errs: list[ParamError]) -> list[str]:
    from simulation.analysis import PRIMARY_METRICS
    from simulation.metrics import COUNT_COLUMNS, EXTRA_METRICS

    allowed = [*PRIMARY_METRICS, *COUNT_COLUMNS, *EXTRA_METRICS]
    if not isinstance(value, list) or not value:
        errs.append(
            ParamError("outputs", f"must be a non-empty list of metric names, got {value!r}")
        )
        return []
    out = []
    for i, v in enumerate(value):
        if v not in allowed:
            close = difflib.get_close_matches(str(v), allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            errs.append(
                ParamError(
                    f"outputs[{i}]", f"unknown metric {v!r}{hint}; allowed: {', '.join(allowed)}"
                )
            )
        elif v in out:
            errs.append(ParamError(f"outputs[{i}]", f"{v!r} is listed twice"))
        else:
            out.append(v)
    return out


def load_sweep(path: str | Path, *, check_design: bool = True) -> SweepSpec:
    """Read and validate a sweep file.

    With `check_design` every design point's scenario is built and validated too, so a
    combination the scenario rules forbid (e.g. weak grids staffed above strong ones) is found
    before anything runs; `simulation check` does this.
    """
    path = Path(path)
    data = _read_toml(path)
    if not ("sampler" in data or "parameters" in data) and (
        "city" in data or "modes" in data or "extends" in data
    ):
        raise ScenarioError(
            path,
            [
                ParamError(
                    "",
                    "is a scenario file, not a sweep file (a sweep file has `sampler`, `base` and "
                    '[parameters."key"] tables); run it with `simulation run`',
                )
            ],
        )
    spec = sweep_from_dict(data, file=path)
    if check_design:
        point_scenarios(spec)
    return spec


# ---------------------------------------------------------------------- designs
def _unit_sample(spec: SweepSpec) -> np.ndarray:
    d = len(spec.parameters)
    assert spec.samples is not None
    if spec.sampler == "lhs":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=d, rng=np.random.default_rng(spec.seed)).random(spec.samples)
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": d, "names": spec.keys, "bounds": [[0.0, 1.0]] * d}
    return sobol_sample.sample(
        problem, spec.samples, calc_second_order=False, scramble=True, seed=spec.seed
    )


def design(spec: SweepSpec) -> pd.DataFrame:
    """The design: one row per design point (index `design_point`, from 1), one column per
    swept key, in the order the runs are analysed. Deterministic given the sweep's seed."""
    if spec.sampler == "grid":
        rows = list(itertools.product(*(p.grid_values() for p in spec.parameters)))
        cols = {p.key: [r[j] for r in rows] for j, p in enumerate(spec.parameters)}
        n = len(rows)
    else:
        u = _unit_sample(spec)
        cols = {p.key: p.from_unit(u[:, j]) for j, p in enumerate(spec.parameters)}
        n = u.shape[0]
    df = pd.DataFrame(cols, index=pd.RangeIndex(1, n + 1, name="design_point"))
    for p in spec.parameters:  # keep each column's scenario type (a list of ints stays int)
        df[p.key] = df[p.key].astype(
            {bool: bool, int: "int64", float: "float64"}.get(p.type, object)
        )
    return df


def _native(value: Any, tp: type) -> Any:
    """A design value as the plain Python type the scenario schema checks for."""
    if isinstance(value, np.generic):
        value = value.item()
    return tp(value)


def _point_name(spec: SweepSpec, i: int) -> str:
    return f"{spec.name}-p{i:04d}"


def _point_overrides(spec: SweepSpec, row: pd.Series) -> dict[str, Any]:
    return {p.key: _native(row[p.key], p.type) for p in spec.parameters}


def point_scenarios(spec: SweepSpec, table: pd.DataFrame | None = None) -> list[Scenario]:
    """One validated scenario per design point (the base with the point's values).

    Raises ScenarioError naming the sweep file and the first offending design points.
    """
    table = design(spec) if table is None else table
    out: list[Scenario] = []
    errs: list[ParamError] = []
    bad = 0
    for i, row in table.iterrows():
        ov = _point_overrides(spec, row)
        try:
            s = spec.base.replace(
                {
                    **ov,
                    "name": _point_name(spec, int(i)),
                    "description": f"{spec.name} design point {i}: "
                    + ", ".join(f"{k}={v}" for k, v in ov.items()),
                }
            )
        except ScenarioError as exc:
            bad += 1
            if bad <= 5:
                shown = ", ".join(f"{k}={v!r}" for k, v in ov.items())
                errs.extend(
                    ParamError("parameters", f"design point {i} ({shown}): {p.key}: {p.message}")
                    for p in exc.problems
                )
            continue
        out.append(s)
    if errs:
        if bad > 5:
            errs.append(ParamError("parameters", f"... {bad} design points in all are invalid"))
        raise ScenarioError(spec.file or "<sweep>", errs)
    return out


# ---------------------------------------------------------------------- analysis
def summarise(spec: SweepSpec, table: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Per design point: its values, runs on disk, ok runs, and each output's replicate mean
    and standard deviation (over ok runs; SD is NaN with one run)."""
    out = table.copy()
    have = runs if ("design_point" in runs and not runs.empty) else None
    if have is None:
        out["runs"], out["ok"] = 0, 0
        for o in spec.outputs:
            out[f"{o}_mean"], out[f"{o}_sd"] = np.nan, np.nan
        return out.reset_index()
    ok = have[have["status"] == "ok"]
    out["runs"] = have.groupby("design_point").size().reindex(out.index, fill_value=0)
    out["ok"] = ok.groupby("design_point").size().reindex(out.index, fill_value=0)
    grouped = ok.groupby("design_point")
    for o in spec.outputs:
        if o in ok:
            out[f"{o}_mean"] = grouped[o].mean().reindex(out.index)
            out[f"{o}_sd"] = grouped[o].std(ddof=1).reindex(out.index)
        else:
            out[f"{o}_mean"], out[f"{o}_sd"] = np.nan, np.nan
    return out.reset_index()


def noise_share(runs: pd.DataFrame, output: str, n_points: int) -> float:
    """Share of the variance of the design-point means of `output` that run-to-run noise
    explains, allowing for common random numbers.

    Replication r of every point shares a seed, so part of the noise is common to all points
    and cannot look like sensitivity; what can is the point-by-replication interaction. It is
    estimated as the residual mean square of a two-way (point x replication) layout over the
    replications that are complete (ok at every point), divided by the number of
    replications, relative to the variance of the point means. NaN when fewer than two
    replications are complete.
    """
    if runs.empty or output not in runs or "design_point" not in runs:
        return float("nan")
    ok = runs[runs["status"] == "ok"]
    wide = ok.pivot_table(
        index="design_point", columns="replication", values=output, aggfunc="first"
    )
    wide = wide.reindex(range(1, n_points + 1)).dropna(axis=1, how="any")
    p, r = wide.shape
    if r < 2 or p < 2:
        return float("nan")
    y = wide.to_numpy(dtype=float)
    resid = y - y.mean(axis=1, keepdims=True) - y.mean(axis=0, keepdims=True) + y.mean()
    sigma2 = float((resid**2).sum() / ((p - 1) * (r - 1)))
    spread = float(y.mean(axis=1).var(ddof=1))
    if spread == 0.0:
        return float("nan")
    return sigma2 / r / spread


def sobol_indices(
    spec: SweepSpec,
    points: pd.DataFrame,
    runs: pd.DataFrame | None = None,
    *,
    num_resamples: int = 1000,
) -> tuple[pd.DataFrame, list[str]]:
    """First- and total-order Sobol indices per (output, parameter), with 95 % bootstrap CIs.

    `points` is `summarise`'s table; `runs` (the study's rows) gives each output's
    `noise_share`. The indices use the replicate means in design order; they need every design
    point to have at least one ok run (a hole would shift SALib's reading of the A, B and AB
    blocks), otherwise there are no indices and a warning says why.
    """
    from SALib.analyze import sobol as sobol_analyze

    cols = ["output", "parameter", "S1", "S1_conf", "ST", "ST_conf", "noise_share"]
    warnings: list[str] = []
    pts = points.sort_values("design_point")
    expected = spec.design_size()
    if len(pts) != expected or list(pts["design_point"]) != list(range(1, expected + 1)):
        warnings.append(
            f"no Sobol indices: the table has {len(pts)} design points, the design {expected}"
        )
        return pd.DataFrame(columns=cols), warnings
    missing = pts.loc[pts["ok"] < 1, "design_point"].tolist()
    if missing:
        shown = ", ".join(f"p{i:04d}" for i in missing[:8]) + (", ..." if len(missing) > 8 else "")
        warnings.append(
            f"no Sobol indices: {len(missing)} of {expected} design points have no ok run "
            f"({shown}); resume the sweep, or see the error column of runs.parquet"
        )
        return pd.DataFrame(columns=cols), warnings
    if spec.replications < 2:
        warnings.append(
            "one replication per design point: run-to-run noise cannot be told apart from "
            "sensitivity (SALib #292); use replications >= 2"
        )
    d = len(spec.parameters)
    problem = {"num_vars": d, "names": spec.keys, "bounds": [[0.0, 1.0]] * d}
    rows = []
    for o in spec.outputs:
        y = pts[f"{o}_mean"].to_numpy(dtype=float)
        if not np.isfinite(y).all():
            n_bad = int((~np.isfinite(y)).sum())
            warnings.append(f"no Sobol indices for {o}: undefined (NaN) at {n_bad} design points")
            continue
        if np.ptp(y) == 0.0:
            warnings.append(f"no Sobol indices for {o}: it does not vary over the design")
            continue
        si = sobol_analyze.analyze(
            problem,
            y,
            calc_second_order=False,
            num_resamples=num_resamples,
            conf_level=0.95,
            seed=spec.seed + 1,  # SALib falls back to numpy's global state when seed is 0
        )
        noise = noise_share(runs, o, expected) if runs is not None else float("nan")
        if noise > 0.2:
            warnings.append(
                f"{o}: run-to-run noise explains about {noise:.0%} of the variance of its "
                "design-point means; the indices, total-order ones above all, may be inflated "
                "by up to that much: add replications"
            )
        # Estimates outside [0, 1] beyond their own interval mean the design is too small for
        # stable indices (Saltelli's estimators at small N), not that a parameter explains
        # more than all the variance: say so rather than let a reader take them at face value.
        out_of_range = [
            key
            for j, key in enumerate(spec.keys)
            for v, c in ((si["S1"][j], si["S1_conf"][j]), (si["ST"][j], si["ST_conf"][j]))
            if v - c > 1.0 or v + c < 0.0
        ]
        if out_of_range:
            warnings.append(
                f"{o}: indices outside [0, 1] beyond their 95 % interval for "
                f"{', '.join(dict.fromkeys(out_of_range))}: the design is too small for stable "
                f"estimates (samples = {spec.samples}); read them as rankings, or raise samples"
            )
        for j, key in enumerate(spec.keys):
            rows.append(
                {
                    "output": o,
                    "parameter": key,
                    "S1": float(si["S1"][j]),
                    "S1_conf": float(si["S1_conf"][j]),
                    "ST": float(si["ST"][j]),
                    "ST_conf": float(si["ST_conf"][j]),
                    "noise_share": noise,
                }
            )
    return pd.DataFrame(rows, columns=cols), warnings


# ---------------------------------------------------------------------- running a sweep
@dataclass
class SweepResult:
    """A finished (or interrupted) sweep: the study, the design and what was made of it."""

    spec: SweepSpec
    study: StudyResult
    design: pd.DataFrame
    points: pd.DataFrame
    sobol: pd.DataFrame | None
    warnings: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        """The terminal text: design size, runs and failures, then the Sobol table (sobol) or
        the best design points (grid, lhs), then warnings and files."""
        spec, runs = self.spec, self.study.runs
        d = len(spec.parameters)
        if spec.sampler == "sobol":
            how = (
                f"sobol, N={spec.samples}, {d} parameters -> N*(D+2) = {spec.design_size()} points"
            )
        elif spec.sampler == "lhs":
            how = f"Latin hypercube, {spec.design_size()} points, {d} parameters"
        else:
            how = f"grid, {d} parameters -> {spec.design_size()} points"
        lines = [
            f"sweep {spec.name}: {how} x {spec.replications} replication(s) = {spec.n_runs()} runs",
        ]
        n = len(runs)
        failed = int((runs["status"] != "ok").sum()) if "status" in runs else 0
        session = (self.study.manifest.get("sessions") or [{}])[-1]
        timing = ""
        if session.get("runs"):
            where = (
                f"Dask at {session['scheduler']}"
                if session.get("executor") == "dask"
                else f"{session.get('workers')} worker(s)"
            )
            cpu = session.get("mean_run_cpu_seconds")
            timing = (
                f"; this session {session['runs']} runs in {session['wall_seconds']:.1f} s on "
                f"{where} ({session['wall_seconds_per_run']:.3f} s per run; a run took "
                f"{session['mean_run_seconds']:.3f} s"
                + (f", {cpu:.3f} s of CPU)" if cpu is not None else ")")
            )
        lines.append(f"runs: {n} of {spec.n_runs()} on disk, {failed} failed{timing}")
        if self.sobol is not None and not self.sobol.empty:
            lines.append("")
            lines.append(
                "Sobol indices on replicate means (S1 first order, ST total; ± is the 95 % CI "
                "half-width):"
            )
            kw = max(len(k) for k in spec.keys)
            ow = max(len(o) for o in self.sobol["output"])
            lines.append(f"  {'output':<{ow}}  {'parameter':<{kw}}  {'S1':>15}  {'ST':>15}  noise")
            for r in self.sobol.itertuples():
                lines.append(
                    f"  {r.output:<{ow}}  {r.parameter:<{kw}}  {r.S1:6.3f} ± {r.S1_conf:5.3f}  "
                    f"{r.ST:6.3f} ± {r.ST_conf:5.3f}  {_pct(r.noise_share)}"
                )
        elif not self.points.empty and spec.outputs:
            lines.extend(self._top_points())
        lines.extend(f"warning: {w}" for w in self.warnings)
        lines.extend(f"wrote: {f}" for f in self.files)
        return "\n".join(lines)

    def _top_points(self, k: int = 5) -> list[str]:
        from simulation.analysis import METRIC_DIRECTIONS

        o = self.spec.outputs[0]
        col = f"{o}_mean"
        pts = self.points.dropna(subset=[col])
        if pts.empty:
            return []
        sign = METRIC_DIRECTIONS.get(o, 1)
        best = pts.sort_values(col, ascending=sign < 0).head(k)
        word = "highest" if sign > 0 else "lowest"
        lines = ["", f"top {len(best)} design points by {o} ({word} replicate mean ± SD):"]
        for r in best.to_dict("records"):
            shown = ", ".join(f"{key}={_fmt(r[key])}" for key in self.spec.keys)
            sd = _fmt(r.get(f"{o}_sd"))
            lines.append(f"  p{int(r['design_point']):04d}  {r[col]:.4g} ± {sd}  {shown}")
        return lines


def _pct(v: float) -> str:
    return "  n/a" if not np.isfinite(v) else f"{v:5.1%}"


def _fmt(v: Any) -> str:
    if isinstance(v, float | np.floating):
        return "nan" if not np.isfinite(v) else f"{v:.4g}"
    return str(v)


def _default_out(spec: SweepSpec) -> Path:
    return Path("results") / f"sweep-{spec.name}-{time.strftime('%Y%m%d-%H%M%S')}"


def run_sweep(
    sweep: str | Path | SweepSpec,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    resume: bool = False,
    progress: bool = True,
) -> SweepResult:
    """Run a sweep (`simulation sweep`): every design point x replication as one study.

    Everything is validated before anything is written (a ScenarioError names the sweep file
    and key). `resume=True` finishes an interrupted sweep in `out`; the sweep must be the same
    (its digest: base scenario, sampler, samples, seed and parameters), though `replications`
    may have been raised to add runs.
    """
    spec = sweep if isinstance(sweep, SweepSpec) else load_sweep(sweep, check_design=False)
    table = design(spec)
    scenarios = point_scenarios(spec, table)
    folder = Path(out) if out is not None else _default_out(spec)
    store = StudyStore(folder)
    if resume and store.exists():
        old = store.load().get("sweep", {})
        if old.get("digest") != spec.digest():
            was = json.loads(json.dumps(old.get("identity", {}), default=str))
            now = json.loads(json.dumps(spec.identity(), default=str))
            changed = [k for k in now if was.get(k) != now[k]] or ["(not a sweep study)"]
            raise ScenarioError(
                spec.file or "<sweep>",
                [
                    ParamError(
                        "",
                        f"differs from the sweep that started {folder} in: {', '.join(changed)} "
                        "(base = the base scenario with [run] and [fixed]); use a new --out",
                    )
                ],
            )
    labels = []
    records = []
    for s, (i, row) in zip(scenarios, table.iterrows(), strict=True):
        ov = _point_overrides(spec, row)
        labels.append((("design_point", int(i)), *ov.items()))
        records.append(
            {"name": s.name, "digest": s.digest(), "design_point": int(i), "overrides": ov}
        )
    study = run_study(
        scenarios,
        folder,
        replications=spec.replications,
        base_seed=spec.seed,
        workers=workers or default_workers(),
        scheduler=scheduler,
        resume=resume,
        progress=progress,
        kind="sweep",
        labels=labels,
        extra_manifest={"sweep": spec.to_dict()},
        timeseries=spec.timeseries,
        scenario_records=records,
    )
    points = summarise(spec, table, study.runs)
    warnings: list[str] = []
    sobol = None
    files = [folder / "design.csv", folder / "summary.csv"]
    atomic_write_bytes(files[0], table.reset_index().to_csv(index=False).encode())
    atomic_write_bytes(files[1], points.to_csv(index=False).encode())
    if spec.sampler == "sobol":
        sobol, warnings = sobol_indices(spec, points, study.runs)
        if not sobol.empty:
            files.append(folder / "sobol.csv")
            atomic_write_bytes(files[-1], sobol.to_csv(index=False).encode())
    failed = int((study.runs["status"] != "ok").sum()) if "status" in study.runs else 0
    if failed:
        warnings.append(f"{failed} run(s) failed; see the error column of runs.parquet")
    if study.interrupted:
        warnings.append("the sweep was interrupted; finish it with --resume --out " + str(folder))
    return SweepResult(spec, study, table, points, sobol, warnings, files)


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
    from simulation.analysis import PRIMARY_METRICS
    from simulation.metrics import COUNT_COLUMNS, EXTRA_METRICS

    sweepable = {k: v for k, v in _KEYS.items() if k not in RESERVED_KEYS}
    fixable = [k for k in sweepable if not k.startswith("run.")]
    defs = {key: _value_schema(k) for key, k in sweepable.items()}
    run_props = {key: _ref(f"run.{key}") for key in RUN_KEYS}
    fixed_props = {key: _ref(key) for key in fixable}
    props: dict[str, Any] = {
        "name": {"type": "string", "pattern": _NAME_RE.pattern, "description": _TOP["name"]},
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
            "items": {"enum": [*PRIMARY_METRICS, *COUNT_COLUMNS, *EXTRA_METRICS]},
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
        "hypercube or Sobol). See simulation/sweep.py.",
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

"""Reading and validating a sweep file: every problem names the file and key and says what is allowed."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from simulation.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    read_toml,
)
from simulation.scenario.names import SWEEP_NAME_MAX_LENGTH, check_input_file, name_problem
from simulation.scenario.params import ParamError, short_repr
from simulation.study.sweep.designs import point_scenarios
from simulation.study.sweep.spec import (
    _KEYS,
    _SPEC_KEYS,
    _TABLES,
    _TOP,
    DEFAULT_OUTPUTS,
    MAX_DESIGN_POINTS,
    RESERVED_KEYS,
    RUN_KEYS,
    SAMPLERS,
    SweepParameter,
    SweepSpec,
    _check_value,
    _unknown_key,
)


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
        data = read_toml(path, "sweep file")  # never opens a FIFO, never recurses unbounded
    except ScenarioError:
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


def _top_level(data: dict[str, Any], default_name: str, errs: list[ParamError]) -> dict[str, Any]:
    """The top-level scalar keys: name, description, sampler, samples, replications, seed,
    timeseries and outputs (None where a value is missing or invalid; problems in `errs`)."""
    for key in sorted(set(data) - set(_TOP)):
        close = difflib.get_close_matches(key, list(_TOP), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        errs.append(ParamError(key, f"unknown key{hint}; allowed here: {', '.join(sorted(_TOP))}"))
    out: dict[str, Any] = {}
    out["name"] = _text(data, "name", default_name, errs)
    if out["name"] is not None:
        problem = name_problem(out["name"], SWEEP_NAME_MAX_LENGTH)
        if problem is not None:
            if "name" not in data:
                problem = f"is not given, and the file's stem cannot be the name: it {problem}"
            errs.append(ParamError("name", problem))
            out["name"] = None
    out["description"] = _text(data, "description", "", errs) or ""
    sampler = _text(data, "sampler", None, errs)
    if "sampler" not in data:
        errs.append(ParamError("sampler", f"is required; one of {', '.join(SAMPLERS)}"))
    elif sampler is not None and sampler not in SAMPLERS:
        errs.append(ParamError("sampler", f"must be one of {', '.join(SAMPLERS)}; got {sampler!r}"))
        sampler = None
    out["sampler"] = sampler
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
    out["samples"] = samples
    out["replications"] = (
        _int(data["replications"], "replications", 1, 100_000, errs)
        if "replications" in data
        else None
    )
    out["seed"] = _int(data["seed"], "seed", 0, 2**62, errs) if "seed" in data else None
    timeseries = data.get("timeseries", False)
    if not isinstance(timeseries, bool):
        errs.append(ParamError("timeseries", f"must be true or false, got {timeseries!r}"))
    out["timeseries"] = bool(timeseries)
    out["outputs"] = _outputs(data.get("outputs", list(DEFAULT_OUTPUTS)), errs)
    return out


def _text(data: dict[str, Any], key: str, default: str | None, errs: list[ParamError]):
    v = data.get(key, default)
    if v is not None and not isinstance(v, str):
        errs.append(ParamError(key, f"must be a string, got {v!r}"))
        return None
    return v


def _table(data: dict[str, Any], key: str, errs: list[ParamError]) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        errs.append(ParamError(key, f"must be a table ([{key}]), got {value!r}"))
        return {}
    return value


def _run_table(data: dict[str, Any], errs: list[ParamError]) -> dict[str, Any]:
    """[run]: run settings for every design point (seed and replications are top-level)."""
    run = _table(data, "run", errs)
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
    return run


def _fixed_table(data: dict[str, Any], errs: list[ParamError]) -> dict[str, Any]:
    """[fixed]: other scenario keys set for every design point, each checked like a file's."""
    fixed = _flat_keys(_table(data, "fixed", errs), "fixed", errs)
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
    return fixed


def _parameters_table(
    data: dict[str, Any],
    sampler: str | None,
    run: dict[str, Any],
    fixed: dict[str, Any],
    errs: list[ParamError],
) -> list[SweepParameter]:
    """[parameters."key"]: the swept keys; none may also be set in [run] or [fixed]."""
    raw = data.get("parameters")
    parameters: list[SweepParameter] = []
    if raw is None:
        errs.append(ParamError("parameters", 'is required: [parameters."dotted.key"] tables'))
        return parameters
    if not isinstance(raw, dict) or not raw:
        errs.append(ParamError("parameters", 'must hold [parameters."dotted.key"] tables'))
        return parameters
    for key, spec in _flat_keys(raw, "parameters", errs).items():
        p = _parse_parameter(key, spec, sampler, errs)
        if p is None:
            continue
        parameters.append(p)
        if key in fixed:
            errs.append(ParamError(f'fixed."{key}"', "is also swept; keep it in one place"))
        if key.startswith("run.") and key[4:] in run:
            errs.append(ParamError(f"run.{key[4:]}", "is also swept; keep it in one place"))
    if sampler == "sobol" and len(raw) < 2:
        errs.append(
            ParamError(
                "parameters",
                "the sobol sampler needs at least 2 parameters (it apportions the variance "
                f"among them); got {len(raw)}; use grid or lhs for one",
            )
        )
    return parameters


def _base_path(data: dict[str, Any], root: Path, errs: list[ParamError]) -> Path | None:
    """`base`: the base scenario file, relative to `root`; it must exist."""
    base_name = _text(data, "base", None, errs)
    if "base" not in data:
        errs.append(
            ParamError("base", 'is required: the base scenario file, e.g. base = "baseline.toml"')
        )
        return None
    if base_name is None:
        return None
    path = root / base_name
    problem = check_input_file(path)
    if problem is not None:
        errs.append(ParamError("base", f"{short_repr(base_name, 120)}: {problem}"))
        return None
    path = path.resolve()
    return path


def _base_scenario(
    base_path: Path, run: dict[str, Any], fixed: dict[str, Any], where_file: str | Path
) -> Scenario:
    """The base scenario with [run] and [fixed] applied; problems are reported under the sweep
    file (a broken base file itself is reported under its own name)."""
    if is_sweep_file(base_path):
        raise ScenarioError(
            where_file, [ParamError("base", f"{base_path} is a sweep file, not a scenario")]
        )
    base0 = load_scenario(base_path)
    overrides = {f"run.{k}": v for k, v in run.items()} | fixed
    try:
        return base0.replace(overrides) if overrides else base0
    except ScenarioError as exc:
        raise ScenarioError(
            where_file,
            [
                ParamError(p.key, f"{p.message} (with [run]/[fixed] applied to {base_path.name})")
                for p in exc.problems
            ],
        ) from None


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
    top = _top_level(data, path.stem if path is not None else "sweep", errs)
    run = _run_table(data, errs)
    fixed = _fixed_table(data, errs)
    parameters = _parameters_table(data, top["sampler"], run, fixed, errs)
    base_path = _base_path(data, root, errs)
    if errs:
        raise ScenarioError(where_file, errs)
    assert base_path is not None
    base = _base_scenario(base_path, run, fixed, where_file)
    spec = SweepSpec(
        name=top["name"],
        description=top["description"],
        file=path,
        base_file=base_path,
        base=base,
        sampler=top["sampler"],
        samples=top["samples"],
        replications=(
            top["replications"] if top["replications"] is not None else base.run.replications
        ),
        seed=top["seed"] if top["seed"] is not None else base.run.seed,
        outputs=tuple(top["outputs"]),
        parameters=tuple(parameters),
        timeseries=top["timeseries"],
        run=dict(run),
        fixed=dict(fixed),
    )
    size = spec.design_size()
    if size > MAX_DESIGN_POINTS:
        raise ScenarioError(
            where_file,
            [
                ParamError(
                    "parameters" if spec.sampler == "grid" else "samples",
                    f"the design has {size:,} points; at most {MAX_DESIGN_POINTS:,}",
                )
            ],
        )
    return spec


def _outputs(value: Any, errs: list[ParamError]) -> list[str]:
    from simulation.metrics import COST_COLUMNS, COUNT_COLUMNS, EXTRA_METRICS
    from simulation.study.statistics import PRIMARY_METRICS

    allowed = [*PRIMARY_METRICS, *COUNT_COLUMNS, *COST_COLUMNS, *EXTRA_METRICS]
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

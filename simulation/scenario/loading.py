"""Loading scenario files: `extends` chains, overrides, cross-key checks, JSON Schema, templates."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from pathlib import Path
from typing import Any

from simulation.categories import CATEGORIES
from simulation.scenario.names import check_input_file, name_problem, name_schema, short_repr
from simulation.scenario.params import ParamError, from_mapping, json_schema
from simulation.scenario.settings import Scenario, ScenarioError

#: Deepest nesting of tables and arrays a scenario or sweep file may have (the schema needs 3;
#: the cap keeps a hostile file from exhausting the reader's recursion).
MAX_NESTING = 16
#: Longest `extends` chain (the shipped files use 1; a cycle is reported as such).
MAX_EXTENDS_DEPTH = 32

RUN_SHORTCUTS = ("days", "warmup_days", "replications", "seed", "scale", "resolution_limit_days")


def _apply_overrides(data: dict[str, Any], overrides: dict[str, Any]) -> None:
    for key, value in overrides.items():
        if value is None:
            continue
        dotted = f"run.{key}" if key in RUN_SHORTCUTS else key
        parts = dotted.split(".")
        node = data
        for part in parts[:-1]:
            nxt = node.setdefault(part, {})
            if not isinstance(nxt, dict):
                raise ScenarioError("<overrides>", [ParamError(dotted, "is not a table")])
            node = nxt
        node[parts[-1]] = value


def _consistency(s: Scenario) -> list[ParamError]:
    """Checks that involve several keys (each names the key to change)."""
    errs: list[ParamError] = []
    run, city = s.run, s.city
    if run.days <= run.warmup_days + run.resolution_limit_days:
        errs.append(
            ParamError(
                "run.days",
                f"must exceed run.warmup_days + run.resolution_limit_days "
                f"({run.warmup_days} + {run.resolution_limit_days}) so that some problems arise "
                f"after the warm-up and have a known fate; got {run.days}",
            )
        )
    total = sum(getattr(s.demand.category_shares, c) for c in CATEGORIES)
    if abs(total - 1.0) > 1e-6:
        errs.append(
            ParamError("demand.category_shares", f"shares must sum to 1; they sum to {total:.6g}")
        )
    if city.old_community_share + city.strong_community_share > 1.0:
        errs.append(
            ParamError(
                "city.strong_community_share",
                "city.old_community_share + city.strong_community_share must be at most 1",
            )
        )
    if city.n_communities < city.n_streets:
        errs.append(
            ParamError(
                "city.n_communities",
                "must be at least city.n_streets (each street has a community)",
            )
        )
    scaled = round(city.residents * run.scale)
    if scaled < 5 * city.n_communities:
        errs.append(
            ParamError(
                "run.scale",
                f"too small: {scaled} residents for {city.n_communities} communities; need at least "
                f"5 per community (scale >= {5 * city.n_communities / city.residents:.4g})",
            )
        )
    for key, rate, share in (
        ("city.coverage_nonpublic", city.coverage_nonpublic, city.district_share_nonpublic),
        ("city.coverage_social", city.coverage_social, city.district_share_social),
    ):
        if city.coverage_in_districts * share > rate + 1e-12 or (
            share < 1 and (rate - city.coverage_in_districts * share) / (1 - share) > 1 + 1e-12
        ):
            errs.append(
                ParamError(
                    key,
                    "cannot be met with city.coverage_in_districts inside districts: the rate "
                    "outside districts would leave [0, 1]",
                )
            )
    if s.mechanisms.rectify_share + s.mechanisms.fund_share > 1.0:
        errs.append(
            ParamError(
                "mechanisms.fund_share",
                "mechanisms.rectify_share + mechanisms.fund_share must be at most 1",
            )
        )
    if s.service.grid_staffing_weak > s.service.grid_staffing_strong:
        errs.append(
            ParamError("service.grid_staffing_weak", "must not exceed service.grid_staffing_strong")
        )
    n_units = (
        city.n_city_agencies
        + city.n_county_agencies
        + city.n_state_enterprises
        + city.n_nonpublic_enterprises
        + city.n_social_organisations
        + city.n_parks
    )
    cd = s.modes.cross_domain
    if cd.enabled and cd.n_alliances > 0 and n_units < cd.partners_per_alliance:
        errs.append(
            ParamError(
                "modes.cross_domain.partners_per_alliance",
                "exceeds the number of units in the city",
            )
        )
    if s.modes.red_commercial_street.enabled and city.n_commercial_districts == 0:
        errs.append(
            ParamError(
                "modes.red_commercial_street.enabled",
                "needs city.n_commercial_districts > 0",
            )
        )
    return errs


def scenario_from_dict(data: dict[str, Any], file: str | Path | None = None) -> Scenario:
    """Validate a nested mapping and build a Scenario; raise ScenarioError listing all problems."""
    data = dict(data)
    data.pop("extends", None)
    scenario, errors = from_mapping(Scenario, data)
    if scenario is not None and (problem := name_problem(scenario.name)) is not None:
        errors.append(ParamError("name", problem))
    if errors:
        raise ScenarioError(file, errors)
    errors = _consistency(scenario)
    if errors:
        raise ScenarioError(file, errors)
    return scenario


def _nesting(value: Any, depth: int = 0) -> int:
    """How deeply tables and arrays nest in parsed TOML (stops counting past MAX_NESTING)."""
    if depth > MAX_NESTING or not isinstance(value, dict | list):
        return depth
    items = value.values() if isinstance(value, dict) else value
    return max([depth + 1, *(_nesting(v, depth + 1) for v in items)])


def read_toml(path: Path, kind: str = "scenario file") -> dict[str, Any]:
    """Parse a TOML file; every way it can fail becomes a ScenarioError naming the file.

    Only regular files of bounded size are opened (`names.check_input_file`: a FIFO would
    block forever), and nesting is capped (MAX_NESTING) before the data is used.
    """
    problem = check_input_file(path, kind)
    if problem is not None:
        raise ScenarioError(path, [ParamError("", problem)])
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, [ParamError("", f"malformed TOML: {exc}")]) from None
    except UnicodeDecodeError:
        raise ScenarioError(path, [ParamError("", "is not UTF-8 text")]) from None
    except RecursionError:
        raise ScenarioError(
            path, [ParamError("", f"tables or arrays nest too deeply (at most {MAX_NESTING})")]
        ) from None
    except ValueError as exc:  # an integer beyond Python's digit limit (4,300 by default)
        what = "an integer with too many digits" if "digits" in str(exc) else str(exc)
        raise ScenarioError(path, [ParamError("", f"unreadable value: {what}")]) from None
    except OSError as exc:
        raise ScenarioError(path, [ParamError("", f"cannot be read: {exc}")]) from None
    if _nesting(data) > MAX_NESTING:
        raise ScenarioError(
            path, [ParamError("", f"tables or arrays nest too deeply (at most {MAX_NESTING})")]
        )
    return data


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _load_raw(path: Path, chain: tuple[Path, ...]) -> tuple[dict[str, Any], list[Path]]:
    """Read a file and everything it extends; validate each file's own keys and types."""
    if len(chain) >= MAX_EXTENDS_DEPTH:
        raise ScenarioError(
            chain[0],
            [
                ParamError(
                    "extends",
                    f"the chain of extends is longer than {MAX_EXTENDS_DEPTH} files "
                    f"({chain[0].name} -> {chain[1].name} -> ... -> {path.name})",
                )
            ],
        )
    problem = check_input_file(path)
    if problem is not None:  # before resolve(): a NUL byte or an over-long name fails there
        raise ScenarioError(path, [ParamError("", problem)])
    path = path.resolve()
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise ScenarioError(path, [ParamError("extends", f"circular extends: {cycle}")])
    raw = read_toml(path)
    # Each file's own keys and types are checked here so that errors name the right file.
    own = dict(raw)
    parent_name = own.pop("extends", None)
    _, errors = from_mapping(Scenario, own)
    if parent_name is not None and not isinstance(parent_name, str):
        errors.append(
            ParamError("extends", f"must be a file name (string), got {short_repr(parent_name)}")
        )
    if errors:
        raise ScenarioError(path, errors)
    files = [path]
    if parent_name is None:
        return own, files
    parent_path = path.parent / parent_name
    problem = check_input_file(parent_path)
    if problem is not None:
        if problem.startswith("file not found"):
            # the usual slip: a copied example moved elsewhere still names its neighbour
            problem += f" (looked for {parent_path}: `extends` is relative to this file's folder)"
        raise ScenarioError(
            path, [ParamError("extends", f"{short_repr(parent_name, 120)}: {problem}")]
        )
    parent, parent_files = _load_raw(parent_path, (*chain, path))
    parent.pop("name", None)  # a name is never inherited: it defaults to the file's stem
    return _deep_merge(parent, own), [*parent_files, *files]


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load, merge (`extends`), override and validate a scenario file.

    `overrides` maps dotted keys (or the run shortcuts `days`, `seed`, `scale`, ...) to values;
    they are validated like file values.
    """
    path = Path(path)
    raw, _ = _load_raw(path, ())
    if "name" not in raw:
        problem = name_problem(path.stem)
        if problem is not None:
            raise ScenarioError(
                path,
                [
                    ParamError(
                        "name",
                        f"is not given, and the file's stem cannot be the name: it {problem}; "
                        'add name = "..." to the file',
                    )
                ],
            )
        raw["name"] = path.stem
    if overrides:
        _apply_overrides(raw, overrides)
    return scenario_from_dict(raw, file=path)


def scenario_files(path: str | Path) -> list[Path]:
    """The file and every file it extends (root first), for manifests and hashes."""
    return _load_raw(Path(path), ())[1]


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files (published as scenarios/scenario.schema.json)."""
    schema = json_schema(Scenario, title="Integrated party building simulation: scenario file")
    schema["properties"]["name"].update(name_schema())
    schema["properties"]["extends"] = {
        "type": "string",
        "description": "another scenario file (relative to this one) to inherit and override",
    }
    return schema


def _toml_value(value: Any, key: str = "") -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:_}" if abs(value) >= 10_000 and key != "seed" else str(value)
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def scenario_template(name: str = "baseline", description: str = "") -> str:
    """A complete scenario file with every parameter at its default, each with its source.

    `scenarios/baseline.toml` is this text; a test keeps the two identical.
    """
    lines = [
        "# Scenario file (TOML). Every parameter is listed with its default and source;",
        "# 'calibration X' points to a row of calibration.md, 'assumption' marks a modelling",
        "# choice. Schema: scenarios/scenario.schema.json. Check with: simulation check FILE",
        "",
        f"name = {_toml_value(name)}",
        f"description = {_toml_value(description)}",
    ]

    def walk(cls: type, prefix: str) -> None:
        scalars = [f for f in dataclasses.fields(cls) if not f.metadata.get("section")]
        if prefix and scalars:
            lines.append("")
            lines.append(f"[{prefix}]")
        for f in scalars:
            if not prefix and f.name in ("name", "description"):
                continue
            meta = f.metadata
            lines.append(f"# {meta['doc']} [{meta['source']}]")
            lines.append(f"{f.name} = {_toml_value(f.default, f.name)}")
        for f in dataclasses.fields(cls):
            if f.metadata.get("section"):
                walk(f.default_factory, f"{prefix}.{f.name}" if prefix else f.name)

    walk(Scenario, "")
    return "\n".join(lines) + "\n"

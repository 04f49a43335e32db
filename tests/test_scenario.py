"""Scenario files (design.md §5, a contract): loading, `extends`, strict validation, JSON Schema.

Every bad-input case of `conftest.BAD_CASES` must raise `ScenarioError` whose text names the
file, the dotted key and what is allowed; the shipped files must load, keep name = stem and
validate against the published JSON Schema; `baseline.toml` must be the code's template.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import (
    BAD_CASES,
    BASELINE,
    MODE_NAMES,
    SCENARIOS,
    SHIPPED_SCENARIOS,
    expected_location,
)

from simulation import cli
from simulation.scenario import (
    RUN_SHORTCUTS,
    Scenario,
    ScenarioError,
    load_scenario,
    scenario_files,
    scenario_from_dict,
    scenario_schema,
    scenario_template,
)
from simulation.scenario.params import param_table

SCHEMA_PATH = SCENARIOS / "scenario.schema.json"


def _baseline_raw() -> dict[str, Any]:
    with BASELINE.open("rb") as fh:
        return tomllib.load(fh)


# ---------------------------------------------------------------------------- shipped files
def test_shipped_scenarios_are_present() -> None:
    names = {p.stem for p in SHIPPED_SCENARIOS}
    # design.md §2: baseline, each mode alone, all modes (Chifeng 2018)
    assert {"baseline", "chifeng_2018", *MODE_NAMES} <= names


@pytest.mark.parametrize("path", SHIPPED_SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenario_loads_with_name_equal_to_stem(path: Path) -> None:
    s = load_scenario(path)
    assert isinstance(s, Scenario)
    assert s.name == path.stem
    assert s.description, "every shipped scenario describes itself"


@pytest.mark.parametrize("mode", MODE_NAMES)
def test_single_mode_files_switch_on_exactly_their_mode(mode: str) -> None:
    s = load_scenario(SCENARIOS / f"{mode}.toml")
    assert s.enabled_modes() == [mode]
    base = load_scenario(BASELINE)
    # Everything outside [modes] is inherited from the baseline unchanged.
    a, b = s.to_dict(), base.to_dict()
    for section in ("run", "city", "demand", "service", "trust", "mechanisms", "principles"):
        assert a[section] == b[section], section


def test_chifeng_2018_switches_every_mode_on() -> None:
    s = load_scenario(SCENARIOS / "chifeng_2018.toml")
    assert s.enabled_modes() == list(MODE_NAMES)
    assert s.modes.red_commercial_street.coverage == 0.5
    assert s.modes.smart_platform.coverage == 0.25


def test_baseline_has_every_mode_off() -> None:
    assert load_scenario(BASELINE).enabled_modes() == []


def test_baseline_file_is_the_code_template() -> None:
    """`scenarios/baseline.toml` is generated from the code's defaults and cannot drift."""
    text = BASELINE.read_text(encoding="utf-8")
    description = _baseline_raw()["description"]
    assert text == scenario_template("baseline", description)


def test_baseline_file_loads_to_code_defaults() -> None:
    raw = _baseline_raw()
    expected = dataclasses.replace(Scenario(), name="baseline", description=raw["description"])
    loaded = load_scenario(BASELINE)
    assert loaded == expected
    assert loaded.digest() == expected.digest()


def test_template_is_a_complete_valid_scenario() -> None:
    """The template lists every parameter of the schema (and nothing else)."""
    raw = tomllib.loads(scenario_template("x", "y"))

    def flat(d: dict[str, Any], prefix: str = "") -> set[str]:
        out: set[str] = set()
        for k, v in d.items():
            out |= flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {prefix + k}
        return out

    assert flat(raw) == {row[0] for row in param_table(Scenario)}
    s = scenario_from_dict(raw)
    assert s == dataclasses.replace(Scenario(), name="x", description="y")


def test_every_parameter_cites_a_source() -> None:
    rows = param_table(Scenario)
    assert len(rows) > 100
    missing = [key for key, _, doc, source in rows if not doc or not source]
    assert missing == []


# ---------------------------------------------------------------------------- extends
def test_extends_inherits_and_overrides(write_toml) -> None:
    path = write_toml(
        "child.toml",
        "[run]\ndays = 120\n\n[modes.regional]\nenabled = true\n",
        extends_baseline=True,
    )
    s = load_scenario(path)
    assert s.name == "child"  # a name is never inherited
    assert s.run.days == 120
    assert s.run.warmup_days == 30  # inherited
    assert s.modes.regional.enabled is True
    assert s.modes.regional.coverage == 1.0  # sibling key inherited within the table
    assert s.description == _baseline_raw()["description"]


def test_extends_chain_and_scenario_files(write_toml) -> None:
    mid = write_toml("mid.toml", "[run]\ndays = 200\n", extends_baseline=True)
    leaf = write_toml("leaf.toml", 'extends = "mid.toml"\nname = "leafy"\n[run]\nseed = 7\n')
    s = load_scenario(leaf)
    assert (s.name, s.run.days, s.run.seed) == ("leafy", 200, 7)
    files = scenario_files(leaf)
    assert files == [BASELINE.resolve(), mid, leaf]


def test_shipped_extends_chain_is_recorded() -> None:
    files = scenario_files(SCENARIOS / "regional.toml")
    assert [f.name for f in files] == ["baseline.toml", "regional.toml"]


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("case", BAD_CASES, ids=repr)
def test_bad_file_raises_scenario_error_naming_file_key_and_allowed(case, workdir) -> None:
    path = case.write(workdir)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    text = str(info.value)
    assert expected_location(case, workdir) in text, text
    for fragment in case.fragments:
        assert fragment in text, (fragment, text)
    assert Path(info.value.file).name == case.blamed
    if case.key is not None:
        assert case.key in [p.key for p in info.value.problems]
    assert "Traceback" not in text


def test_boundary_days_just_beyond_warmup_plus_limit_is_accepted(write_toml) -> None:
    path = write_toml("ok.toml", "[run]\ndays = 61\nscale = 0.01\n", extends_baseline=True)
    assert load_scenario(path).run.days == 61


def test_every_problem_is_reported_at_once(write_toml) -> None:
    path = write_toml(
        "bad.toml",
        '[run]\ndayz = 1\nseed = -1\n\n[service]\nreport_hazard = "high"\n',
        extends_baseline=True,
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    keys = {p.key for p in info.value.problems}
    assert keys == {"run.dayz", "run.seed", "service.report_hazard"}
    assert len(str(info.value).splitlines()) == 3


def test_integer_is_accepted_for_a_float_parameter(write_toml) -> None:
    path = write_toml("ok.toml", "[service]\nreport_hazard = 1\n", extends_baseline=True)
    s = load_scenario(path)
    assert s.service.report_hazard == 1.0
    assert isinstance(s.service.report_hazard, float)


def test_folder_is_not_a_scenario_file(workdir) -> None:
    with pytest.raises(ScenarioError, match="folder"):
        load_scenario(workdir)


def test_non_utf8_file_is_an_error(workdir) -> None:
    path = workdir / "latin1.toml"
    path.write_bytes('description = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(path) in str(info.value)


# ---------------------------------------------------------------------------- overrides
def test_run_shortcut_overrides() -> None:
    s = load_scenario(BASELINE, overrides={"days": 90, "scale": 0.01, "seed": 3})
    assert (s.run.days, s.run.scale, s.run.seed) == (90, 0.01, 3)
    assert set(RUN_SHORTCUTS) >= {"days", "scale", "seed", "replications", "warmup_days"}


def test_dotted_overrides_and_none_is_ignored() -> None:
    s = load_scenario(
        BASELINE, overrides={"modes.regional.enabled": True, "service.bank_days": 3, "days": None}
    )
    assert s.modes.regional.enabled is True
    assert s.service.bank_days == 3.0
    assert s.run.days == 365


@pytest.mark.parametrize(
    ("overrides", "key", "fragment"),
    [
        ({"run.dayz": 90}, "run.dayz", "unknown key"),
        ({"scale": 0}, "run.scale", "greater than 0"),
        ({"days": 10}, "run.days", "must exceed"),
        ({"modes.teleport.enabled": True}, "modes.teleport", "unknown key"),
        ({"service.report_hazard": "x"}, "service.report_hazard", "number"),
    ],
)
def test_bad_overrides_are_validated_like_file_values(overrides, key, fragment) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(BASELINE, overrides=overrides)
    assert key in [p.key for p in info.value.problems]
    assert fragment in str(info.value)


def test_override_through_a_scalar_is_an_error() -> None:
    with pytest.raises(ScenarioError, match=re.escape("run.days.x")):
        load_scenario(BASELINE, overrides={"run.days.x": 1})


def test_replace_validates_and_leaves_the_original_alone() -> None:
    s = load_scenario(BASELINE)
    t = s.replace({"days": 100, "modes.smart_platform.enabled": True})
    assert (t.run.days, t.enabled_modes()) == (100, ["smart_platform"])
    assert (s.run.days, s.enabled_modes()) == (365, [])
    with pytest.raises(ScenarioError):
        s.replace({"run.warmup_days": -1})


def test_digest_is_stable_and_sensitive() -> None:
    a, b = load_scenario(BASELINE), load_scenario(BASELINE)
    assert a.digest() == b.digest()
    assert len(a.digest()) == 64
    assert a.replace({"service.report_hazard": 0.026}).digest() != a.digest()
    assert a.replace({"modes.regional.enabled": True}).digest() != a.digest()


def test_scenario_is_frozen() -> None:
    s = Scenario()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.run.days = 3  # type: ignore[misc]


# ---------------------------------------------------------------------------- JSON Schema
@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = scenario_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", SHIPPED_SCENARIOS, ids=lambda p: p.stem)
def test_shipped_file_validates_against_schema(path: Path, validator) -> None:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    errors = [e.message for e in validator.iter_errors(data)]
    assert errors == []


def _set(data: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    node = data
    parts = dotted.split(".")
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value
    return data


@pytest.mark.parametrize(
    ("dotted", "value"),
    [
        ("run.dayz", 100),
        ("modes.regional.enabld", True),
        ("modes.teleport", {"enabled": True}),
        ("run.days", "many"),
        ("run.days", 0),
        ("run.scale", 0.0),
        ("service.report_hazard", 1.5),
        ("service.report_hazard", True),
        ("mechanisms.matching", "best"),
        ("modes.regional.enabled", "yes"),
    ],
)
def test_schema_and_loader_both_reject(dotted: str, value: Any, validator, workdir) -> None:
    """The published schema rejects what the loader rejects (for per-key rules)."""
    data = _set(_baseline_raw(), dotted, value)
    assert list(validator.iter_errors(data)), f"schema accepts {dotted} = {value!r}"
    with pytest.raises(ScenarioError):
        scenario_from_dict(data, file=workdir / "x.toml")


def test_schema_defaults_match_code_defaults() -> None:
    schema = scenario_schema()
    for key, default, doc, _source in param_table(Scenario):
        node = schema
        for part in key.split("."):
            node = node["properties"][part]
        assert node["default"] == default, key
        assert doc in node["description"], key


def test_schema_command_prints_the_schema(capsys) -> None:
    assert cli.main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == scenario_schema()


def test_schema_write_writes_the_schema(workdir, monkeypatch, capsys) -> None:
    """`simulation schema --write` writes scenarios/scenario.schema.json (here in a scratch cwd)."""
    monkeypatch.chdir(workdir)
    assert cli.main(["schema", "--write"]) == 0
    written = json.loads((workdir / "scenarios" / "scenario.schema.json").read_text())
    assert written == scenario_schema()
    assert "scenario.schema.json" in capsys.readouterr().out


def test_published_schema_file_matches_code() -> None:
    """The schema editors use is the code's schema (regenerate with `simulation schema --write`)."""
    published = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert published == scenario_schema()
    validator = jsonschema.Draft202012Validator(published)
    misspelt = _set(_baseline_raw(), "run.dayz", 1)
    assert not validator.is_valid(misspelt)

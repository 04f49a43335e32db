"""Scenario files: the parameter schema, loading with `extends`, validation and the JSON Schema.

`settings` holds the frozen dataclasses (the schema, with every default and its source),
`params` the machinery that turns them into validators and JSON Schema, `mode_params` the six
modes' parameters, and `loading` the reading of files. Import from here.
"""

from __future__ import annotations

from simulation.scenario.loading import (
    RUN_SHORTCUTS,
    load_scenario,
    read_toml,
    scenario_files,
    scenario_from_dict,
    scenario_schema,
    scenario_template,
)
from simulation.scenario.params import ParamError
from simulation.scenario.settings import Scenario, ScenarioError

__all__ = [
    "RUN_SHORTCUTS",
    "ParamError",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "read_toml",
    "scenario_files",
    "scenario_from_dict",
    "scenario_schema",
    "scenario_template",
]

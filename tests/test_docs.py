"""The model documentation stays in step with the code.

* docs/parameters.md is generated from the parameter declarations; it must equal what the
  generator renders now. When this fails, rerun `python scripts/gen_param_docs.py`.
* docs/ODD.md must name every integration mode and every metric column, so that a mode or
  metric added to the code cannot go undocumented.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from simulation.metrics import COUNT_COLUMNS, EXTRA_METRICS, METRICS, STRUCTURE_COLUMNS
from simulation.modes import Mode

ROOT = Path(__file__).resolve().parent.parent
ODD = ROOT / "docs" / "ODD.md"
PARAMS = ROOT / "docs" / "parameters.md"
GENERATOR = ROOT / "scripts" / "gen_param_docs.py"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_param_docs", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def odd_text() -> str:
    assert ODD.exists(), "docs/ODD.md is missing"
    return ODD.read_text(encoding="utf-8")


def test_parameters_md_is_up_to_date() -> None:
    expected = _generator().render()
    current = PARAMS.read_text(encoding="utf-8") if PARAMS.exists() else ""
    assert current == expected, (
        "docs/parameters.md is out of date with the parameter declarations in the code; "
        "regenerate it with: python scripts/gen_param_docs.py"
    )


def test_parameters_md_lists_every_parameter_once() -> None:
    from simulation.scenario import Scenario
    from simulation.scenario.params import param_table

    text = PARAMS.read_text(encoding="utf-8")
    keys = re.findall(r"^\| `([^`]+)` \|", text, flags=re.MULTILINE)
    assert len(keys) == len(set(keys))
    assert sorted(keys) == sorted(row[0] for row in param_table(Scenario))


def test_generator_check_mode_detects_a_stale_file(tmp_path, monkeypatch) -> None:
    gen = _generator()
    stale = tmp_path / "parameters.md"
    stale.write_text("stale\n", encoding="utf-8")
    monkeypatch.setattr(gen, "OUTPUT", stale)
    monkeypatch.setattr(gen, "ROOT", tmp_path)
    assert gen.main(["--check"]) == 1
    stale.write_text(gen.render(), encoding="utf-8")
    assert gen.main(["--check"]) == 0


@pytest.mark.parametrize("mode", [m.value for m in Mode])
def test_odd_names_every_mode(odd_text: str, mode: str) -> None:
    assert f"`{mode}`" in odd_text, f"docs/ODD.md does not describe the mode `{mode}`"


@pytest.mark.parametrize("name", [*METRICS, *COUNT_COLUMNS, *EXTRA_METRICS, *STRUCTURE_COLUMNS])
def test_odd_names_every_metric_column(odd_text: str, name: str) -> None:
    assert f"`{name}`" in odd_text, f"docs/ODD.md does not document the output column `{name}`"


def test_odd_links_the_parameter_tables(odd_text: str) -> None:
    assert "parameters.md" in odd_text

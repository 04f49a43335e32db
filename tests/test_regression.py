"""Committed regression baselines: each shipped scenario's metrics are unchanged, bit for bit.

A failure means results changed. If that was the intent, regenerate with
`make regression` (`.venv/bin/python scripts/regression.py --write`) and say why in CHANGELOG.md
under "Results-changing"; otherwise, find what moved them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("regression", ROOT / "scripts" / "regression.py")
regression = importlib.util.module_from_spec(_spec)
assert _spec.loader is not None
_spec.loader.exec_module(regression)


@pytest.mark.slow
@pytest.mark.parametrize("name", regression.SCENARIOS)
def test_shipped_scenario_matches_its_regression_baseline(name: str) -> None:
    diff = regression.differences(name)
    assert not diff, (
        f"{name} changed ({len(diff)} values; regenerate with `make regression` if intended):\n"
        + "\n".join(diff[:10])
    )

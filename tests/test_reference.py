"""The shipped reference results (results/reference/) match what the code produces now.

The reference study is rerun at its fixed settings (scripts/make_reference.py) and its table
compared with the shipped comparison.csv. A model change that moves results makes this fail
until the reference is regenerated with `make reference`, so shipped results are never stale.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "results" / "reference"
REGENERATE = (
    "regenerate with `make reference` (scripts/make_reference.py) and commit results/reference/"
)


def test_reference_files_are_shipped() -> None:
    for name in ("README.md", "comparison.csv", "ranking.csv", "settings.json"):
        assert (REF / name).is_file(), f"results/reference/{name} missing: {REGENERATE}"
    assert list((REF / "charts").glob("*.png")), f"no reference charts: {REGENERATE}"


@pytest.mark.slow
def test_reference_table_is_current(tmp_path: Path) -> None:
    script = runpy.run_path(str(ROOT / "scripts" / "make_reference.py"))
    result = script["run_study"](tmp_path / "study", charts=False)
    fresh = result.table.reset_index(drop=True)
    shipped = pd.read_csv(REF / "comparison.csv")
    assert list(fresh["scenario"]) == list(shipped["scenario"]), f"scenarios differ: {REGENERATE}"
    assert list(fresh["metric"]) == list(shipped["metric"]), f"metrics differ: {REGENERATE}"
    for col in ("mean", "ci_low", "ci_high", "diff", "diff_ci_low", "diff_ci_high"):
        pd.testing.assert_series_equal(
            fresh[col].astype(float),
            shipped[col].astype(float),
            check_names=False,
            rtol=1e-9,
            atol=1e-12,
            obj=f"results/reference/comparison.csv column {col!r} is stale: {REGENERATE}",
        )

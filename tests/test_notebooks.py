"""The notebooks run from start to end on their small settings, and are stored without outputs.

Each notebook is executed in a copy of `notebooks/` next to a link to `scenarios/`, so the
studies it writes go to a temporary `results/` and the working tree stays clean. A cell that
raises fails the test (nbclient's CellExecutionError names the cell).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_three_notebooks_exist() -> None:
    names = {p.stem for p in NOTEBOOKS}
    assert {"planner_comparison", "researcher_sweep", "decision_brief"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs, f"{path.name}: stored with outputs (clear them)"
            assert cell.execution_count is None, f"{path.name}: stored with execution counts"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_public_api_only(path: Path) -> None:
    source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    for inner in ("simulation.model", "simulation.service", "simulation.city", "CityModel("):
        assert inner not in source, f"{path.name} reaches into the model ({inner})"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    work = tmp_path / "notebooks"
    work.mkdir()
    copy = work / path.name
    shutil.copy(path, copy)
    nb = nbformat.read(copy, as_version=4)
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(work)}}
    ).execute()
    assert (tmp_path / "results" / "notebooks").is_dir()
    # Charts show as pictures, not as "<Figure size ...>" text.
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    figures = [o for o in outputs if o.get("data", {}).get("text/plain", "").startswith("<Figure")]
    assert all("image/png" in o["data"] for o in figures), f"{path.name}: a chart as text only"
    if any("_figure(" in c.source for c in nb.cells if c.cell_type == "code"):
        assert figures, f"{path.name}: no chart shown"

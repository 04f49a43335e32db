"""The three layers import one way: views -> study -> model (design.md §2).

Read from the source with `ast`, so a forbidden import fails here even when it sits inside a
function (a lazy import is still a dependency). The front doors (`cli`, `api`) may import
every layer; nothing below them may import the front doors.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "simulation"
FRONT_DOORS = {"simulation.cli", "simulation.api", "simulation.__main__"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> str:
    if module in FRONT_DOORS:
        return "front"
    if module.startswith("simulation.views"):
        return "views"
    if module.startswith("simulation.study"):
        return "study"
    return "model"


def _imports(path: Path) -> set[str]:
    """Every `simulation...` module a file imports, anywhere in it (absolute imports only)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("simulation"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "simulation":  # from simulation import api, views, ...
                out.update(f"simulation.{a.name}" for a in node.names)
            elif node.module.startswith("simulation."):
                out.add(node.module)
    return out


# What each layer may not import.
FORBIDDEN = {
    "model": {"study", "views", "front"},
    "study": {"views", "front"},
    "views": {"front"},
    "front": set(),
}


def _violations() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = _layer(_module_name(path))
        for target in sorted(_imports(path)):
            if target == "simulation.__version__":
                continue
            there = _layer(target)
            if there in FORBIDDEN[here]:
                found.append(
                    f"{path.relative_to(PACKAGE.parent)} ({here}) imports {target} ({there})"
                )
    return found


def test_layers_import_one_way() -> None:
    assert _violations() == []


def test_relative_imports_are_not_used() -> None:
    """The check above reads absolute imports only; a relative one would slip past it."""
    relative = [
        str(p.relative_to(PACKAGE.parent))
        for p in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(p.read_text()))
        if isinstance(node, ast.ImportFrom) and node.level > 0
    ]
    assert relative == []


@pytest.mark.parametrize(
    ("source", "layer", "bad"),
    [
        ("from simulation.study.runner import run_study\n", "model", True),
        ("def f():\n    from simulation.views import charts\n", "study", True),
        ("import simulation.views.charts\n", "model", True),
        ("from simulation import api\n", "study", True),
        ("from simulation.scenario import Scenario\n", "study", False),
        ("from simulation.study import statistics\n", "views", False),
    ],
)
def test_the_checker_sees_forbidden_imports(tmp_path: Path, source: str, layer: str, bad: bool):
    """The checker itself can fail: a planted forbidden import is found, an allowed one not."""
    f = tmp_path / "probe.py"
    f.write_text(source)
    hits = [t for t in _imports(f) if _layer(t) in FORBIDDEN[layer]]
    assert bool(hits) is bad

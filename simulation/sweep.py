"""Placeholder replaced by the sweep implementation (sweep files, designs, Sobol indices)."""

from __future__ import annotations

from pathlib import Path


def is_sweep_file(path: Path) -> bool:
    return False


def load_sweep(path: Path):
    raise NotImplementedError


def sweep_schema() -> dict:
    return {}


def run_sweep(*args, **kwargs):
    raise NotImplementedError("sweeps are not implemented yet")

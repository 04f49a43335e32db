"""Designs (grid, Latin hypercube, Sobol) and the scenario of each design point."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from simulation.scenario import (
    Scenario,
    ScenarioError,
)
from simulation.scenario.params import ParamError
from simulation.study.sweep.spec import SweepSpec


# ---------------------------------------------------------------------- designs
def _unit_sample(spec: SweepSpec) -> np.ndarray:
    d = len(spec.parameters)
    assert spec.samples is not None
    if spec.sampler == "lhs":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=d, rng=np.random.default_rng(spec.seed)).random(spec.samples)
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": d, "names": spec.keys, "bounds": [[0.0, 1.0]] * d}
    return sobol_sample.sample(
        problem, spec.samples, calc_second_order=False, scramble=True, seed=spec.seed
    )


def design(spec: SweepSpec) -> pd.DataFrame:
    """The design: one row per design point (index `design_point`, from 1), one column per
    swept key, in the order the runs are analysed. Deterministic given the sweep's seed."""
    if spec.sampler == "grid":
        rows = list(itertools.product(*(p.grid_values() for p in spec.parameters)))
        cols = {p.key: [r[j] for r in rows] for j, p in enumerate(spec.parameters)}
        n = len(rows)
    else:
        u = _unit_sample(spec)
        cols = {p.key: p.from_unit(u[:, j]) for j, p in enumerate(spec.parameters)}
        n = u.shape[0]
    df = pd.DataFrame(cols, index=pd.RangeIndex(1, n + 1, name="design_point"))
    for p in spec.parameters:  # keep each column's scenario type (a list of ints stays int)
        df[p.key] = df[p.key].astype(
            {bool: bool, int: "int64", float: "float64"}.get(p.type, object)
        )
    return df


def _native(value: Any, tp: type) -> Any:
    """A design value as the plain Python type the scenario schema checks for."""
    if isinstance(value, np.generic):
        value = value.item()
    return tp(value)


def _point_name(spec: SweepSpec, i: int) -> str:
    return f"{spec.name}-p{i:04d}"


def _point_overrides(spec: SweepSpec, row: pd.Series) -> dict[str, Any]:
    return {p.key: _native(row[p.key], p.type) for p in spec.parameters}


def point_scenarios(spec: SweepSpec, table: pd.DataFrame | None = None) -> list[Scenario]:
    """One validated scenario per design point (the base with the point's values).

    Raises ScenarioError naming the sweep file and the first offending design points.
    """
    table = design(spec) if table is None else table
    out: list[Scenario] = []
    errs: list[ParamError] = []
    bad = 0
    for i, row in table.iterrows():
        ov = _point_overrides(spec, row)
        try:
            s = spec.base.replace(
                {
                    **ov,
                    "name": _point_name(spec, int(i)),
                    "description": f"{spec.name} design point {i}: "
                    + ", ".join(f"{k}={v}" for k, v in ov.items()),
                }
            )
        except ScenarioError as exc:
            bad += 1
            if bad <= 5:
                shown = ", ".join(f"{k}={v!r}" for k, v in ov.items())
                errs.extend(
                    ParamError("parameters", f"design point {i} ({shown}): {p.key}: {p.message}")
                    for p in exc.problems
                )
            continue
        out.append(s)
    if errs:
        if bad > 5:
            errs.append(ParamError("parameters", f"... {bad} design points in all are invalid"))
        raise ScenarioError(spec.file or "<sweep>", errs)
    return out

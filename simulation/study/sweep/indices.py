"""Per-point summaries, the noise share, and Sobol indices on replicate means."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.study.sweep.spec import SweepSpec


# ---------------------------------------------------------------------- analysis
def summarise(spec: SweepSpec, table: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Per design point: its values, runs on disk, ok runs, and each output's replicate mean
    and standard deviation (over ok runs; SD is NaN with one run)."""
    out = table.copy()
    have = runs if ("design_point" in runs and not runs.empty) else None
    if have is None:
        out["runs"], out["ok"] = 0, 0
        for o in spec.outputs:
            out[f"{o}_mean"], out[f"{o}_sd"] = np.nan, np.nan
        return out.reset_index()
    ok = have[have["status"] == "ok"]
    out["runs"] = have.groupby("design_point").size().reindex(out.index, fill_value=0)
    out["ok"] = ok.groupby("design_point").size().reindex(out.index, fill_value=0)
    grouped = ok.groupby("design_point")
    for o in spec.outputs:
        if o in ok:
            out[f"{o}_mean"] = grouped[o].mean().reindex(out.index)
            out[f"{o}_sd"] = grouped[o].std(ddof=1).reindex(out.index)
        else:
            out[f"{o}_mean"], out[f"{o}_sd"] = np.nan, np.nan
    return out.reset_index()


def noise_share(runs: pd.DataFrame, output: str, n_points: int) -> float:
    """Share of the variance of the design-point means of `output` that run-to-run noise
    explains, allowing for common random numbers.

    Replication r of every point shares a seed, so part of the noise is common to all points
    and cannot look like sensitivity; what can is the point-by-replication interaction. It is
    estimated as the residual mean square of a two-way (point x replication) layout over the
    replications that are complete (ok at every point), divided by the number of
    replications, relative to the variance of the point means. NaN when fewer than two
    replications are complete.
    """
    if runs.empty or output not in runs or "design_point" not in runs:
        return float("nan")
    ok = runs[runs["status"] == "ok"]
    wide = ok.pivot_table(
        index="design_point", columns="replication", values=output, aggfunc="first"
    )
    wide = wide.reindex(range(1, n_points + 1)).dropna(axis=1, how="any")
    p, r = wide.shape
    if r < 2 or p < 2:
        return float("nan")
    y = wide.to_numpy(dtype=float)
    resid = y - y.mean(axis=1, keepdims=True) - y.mean(axis=0, keepdims=True) + y.mean()
    sigma2 = float((resid**2).sum() / ((p - 1) * (r - 1)))
    spread = float(y.mean(axis=1).var(ddof=1))
    if spread == 0.0:
        return float("nan")
    return sigma2 / r / spread


def sobol_indices(
    spec: SweepSpec,
    points: pd.DataFrame,
    runs: pd.DataFrame | None = None,
    *,
    num_resamples: int = 1000,
) -> tuple[pd.DataFrame, list[str]]:
    """First- and total-order Sobol indices per (output, parameter), with 95 % bootstrap CIs.

    `points` is `summarise`'s table; `runs` (the study's rows) gives each output's
    `noise_share`. The indices use the replicate means in design order; they need every design
    point to have at least one ok run (a hole would shift SALib's reading of the A, B and AB
    blocks), otherwise there are no indices and a warning says why.
    """
    from SALib.analyze import sobol as sobol_analyze

    cols = ["output", "parameter", "S1", "S1_conf", "ST", "ST_conf", "noise_share"]
    warnings: list[str] = []
    pts = points.sort_values("design_point")
    expected = spec.design_size()
    if len(pts) != expected or list(pts["design_point"]) != list(range(1, expected + 1)):
        warnings.append(
            f"no Sobol indices: the table has {len(pts)} design points, the design {expected}"
        )
        return pd.DataFrame(columns=cols), warnings
    missing = pts.loc[pts["ok"] < 1, "design_point"].tolist()
    if missing:
        shown = ", ".join(f"p{i:04d}" for i in missing[:8]) + (", ..." if len(missing) > 8 else "")
        warnings.append(
            f"no Sobol indices: {len(missing)} of {expected} design points have no ok run "
            f"({shown}); resume the sweep, or see the error column of runs.parquet"
        )
        return pd.DataFrame(columns=cols), warnings
    if spec.replications < 2:
        warnings.append(
            "one replication per design point: run-to-run noise cannot be told apart from "
            "sensitivity (SALib #292); use replications >= 2"
        )
    d = len(spec.parameters)
    problem = {"num_vars": d, "names": spec.keys, "bounds": [[0.0, 1.0]] * d}
    rows = []
    for o in spec.outputs:
        y = pts[f"{o}_mean"].to_numpy(dtype=float)
        if not np.isfinite(y).all():
            n_bad = int((~np.isfinite(y)).sum())
            warnings.append(f"no Sobol indices for {o}: undefined (NaN) at {n_bad} design points")
            continue
        if np.ptp(y) == 0.0:
            warnings.append(f"no Sobol indices for {o}: it does not vary over the design")
            continue
        si = sobol_analyze.analyze(
            problem,
            y,
            calc_second_order=False,
            num_resamples=num_resamples,
            conf_level=0.95,
            seed=spec.seed + 1,  # SALib falls back to numpy's global state when seed is 0
        )
        noise = noise_share(runs, o, expected) if runs is not None else float("nan")
        if noise > 0.2:
            warnings.append(
                f"{o}: run-to-run noise explains about {noise:.0%} of the variance of its "
                "design-point means; the indices, total-order ones above all, may be inflated "
                "by up to that much: add replications"
            )
        # Estimates outside [0, 1] beyond their own interval mean the design is too small for
        # stable indices (Saltelli's estimators at small N), not that a parameter explains
        # more than all the variance: say so rather than let a reader take them at face value.
        out_of_range = [
            key
            for j, key in enumerate(spec.keys)
            for v, c in ((si["S1"][j], si["S1_conf"][j]), (si["ST"][j], si["ST_conf"][j]))
            if v - c > 1.0 or v + c < 0.0
        ]
        if out_of_range:
            warnings.append(
                f"{o}: indices outside [0, 1] beyond their 95 % interval for "
                f"{', '.join(dict.fromkeys(out_of_range))}: the design is too small for stable "
                f"estimates (samples = {spec.samples}); read them as rankings, or raise samples"
            )
        for j, key in enumerate(spec.keys):
            rows.append(
                {
                    "output": o,
                    "parameter": key,
                    "S1": float(si["S1"][j]),
                    "S1_conf": float(si["S1_conf"][j]),
                    "ST": float(si["ST"][j]),
                    "ST_conf": float(si["ST_conf"][j]),
                    "noise_share": noise,
                }
            )
    return pd.DataFrame(rows, columns=cols), warnings

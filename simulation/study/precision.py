"""Adaptive precision: add paired replications until the intervals a planner reads are narrow.

`compare --precision H` promises that every 95 % half-width of the ranked metric — each
scenario's mean and each paired difference to the baseline — is at most H. The number of
replications that needs is not known in advance, so the study runs its first replications,
estimates from their spread how many would reach H (Student-t, `replications_needed`), resumes
the same crash-safe study with that many, and repeats until the target or the cap is reached.
Resuming keeps common random numbers: replication r of every scenario still uses seed + r.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.scenario import Scenario
from simulation.study.runner import StudyResult, run_study
from simulation.study.statistics import half_width, replications_needed

__all__ = ["max_half_width", "precision_samples", "replications_for", "run_to_precision"]


def precision_samples(runs: pd.DataFrame, baseline: str, metric: str) -> list[np.ndarray]:
    """The samples whose 95 % half-widths `--precision` drives down: each scenario's values of
    `metric`, and each alternative's paired differences to the baseline (finite values)."""
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    if "draw" in ok:  # runs of --uncertainty draws are not replications of the scenarios
        ok = ok[ok["draw"].isna()]
    base = ok[ok["scenario"] == baseline].set_index("replication")[metric]
    samples = []
    for name, grp in ok.groupby("scenario", sort=False):
        vals = grp.set_index("replication")[metric]
        samples.append(vals.to_numpy())
        if name != baseline:
            samples.append((vals - base).dropna().to_numpy())
    return [x[np.isfinite(x)] for x in samples]


def max_half_width(runs: pd.DataFrame, baseline: str, metric: str) -> float:
    """Widest 95 % half-width among the scenario means and the paired differences; a width
    that cannot be computed (fewer than 2 values) counts as not reached (inf)."""
    widths = [half_width(x) for x in precision_samples(runs, baseline, metric)]
    return max([0.0, *(w if np.isfinite(w) else np.inf for w in widths)])


def replications_for(runs: pd.DataFrame, baseline: str, metric: str, target: float) -> int:
    """Replications each sample would need to reach `target`; the largest of them."""
    samples = precision_samples(runs, baseline, metric)
    return max([0, *(replications_needed(x, target) for x in samples if x.size >= 2)])


def run_to_precision(
    scenarios: Sequence[Scenario],
    folder: Path,
    *,
    replications: int,
    base_seed: int,
    baseline: str,
    metric: str,
    precision: float | None,
    max_replications: int,
    resume: bool,
    **study_options: Any,
) -> tuple[StudyResult, int, list[str]]:
    """Run the study, then (with `precision`) resume it with more replications until every
    half-width of `metric` is at most `precision` or `max_replications` is reached.

    Returns the study, the replications it ended with, and warnings for the reader.
    """
    reps = replications
    study = run_study(
        scenarios, folder, replications=reps, base_seed=base_seed, resume=resume, **study_options
    )
    warnings: list[str] = []
    while precision is not None and not study.interrupted:
        wide = max_half_width(study.runs, baseline, metric)
        if wide <= precision:
            break
        if reps >= max_replications:
            warnings.append(
                f"precision {precision:g} on {metric} not reached with {reps} replications "
                f"(widest 95 % half-width {wide:.4g}); raise --max-replications"
            )
            break
        need = replications_for(study.runs, baseline, metric, precision)
        reps = int(min(max_replications, max(need, reps + 1)))
        study = run_study(
            scenarios, folder, replications=reps, base_seed=base_seed, resume=True, **study_options
        )
    return study, reps, warnings

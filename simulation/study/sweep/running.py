"""Running a sweep as one crash-safe study and writing its tables."""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.scenario import (
    ScenarioError,
)
from simulation.scenario.params import ParamError
from simulation.study.runner import StudyResult, default_workers, run_study, study_folder
from simulation.study.store import StudyDamagedError, StudyStore, atomic_write_bytes
from simulation.study.sweep.designs import _point_overrides, design, point_scenarios
from simulation.study.sweep.file import load_sweep
from simulation.study.sweep.indices import sobol_indices, summarise
from simulation.study.sweep.spec import SweepSpec


# ---------------------------------------------------------------------- running a sweep
@dataclass
class SweepResult:
    """A finished (or interrupted) sweep: the study, the design and what was made of it."""

    spec: SweepSpec
    study: StudyResult
    design: pd.DataFrame
    points: pd.DataFrame
    sobol: pd.DataFrame | None
    warnings: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        """The terminal text: design size, runs and failures, then the Sobol table (sobol) or
        the best design points (grid, lhs), then warnings and files."""
        spec, runs = self.spec, self.study.runs
        d = len(spec.parameters)
        if spec.sampler == "sobol":
            how = (
                f"sobol, N={spec.samples}, {d} parameters -> N*(D+2) = {spec.design_size()} points"
            )
        elif spec.sampler == "lhs":
            how = f"Latin hypercube, {spec.design_size()} points, {d} parameters"
        else:
            how = f"grid, {d} parameters -> {spec.design_size()} points"
        lines = [
            f"sweep {spec.name}: {how} x {spec.replications} replication(s) = {spec.n_runs()} runs",
        ]
        n = len(runs)
        failed = int((runs["status"] != "ok").sum()) if "status" in runs else 0
        session = (self.study.manifest.get("sessions") or [{}])[-1]
        timing = ""
        if session.get("runs"):
            where = (
                f"Dask at {session['scheduler']}"
                if session.get("executor") == "dask"
                else f"{session.get('workers')} worker(s)"
            )
            cpu = session.get("mean_run_cpu_seconds")
            timing = (
                f"; this session {session['runs']} runs in {session['wall_seconds']:.1f} s on "
                f"{where} ({session['wall_seconds_per_run']:.3f} s per run; a run took "
                f"{session['mean_run_seconds']:.3f} s"
                + (f", {cpu:.3f} s of CPU)" if cpu is not None else ")")
            )
        lines.append(f"runs: {n} of {spec.n_runs()} on disk, {failed} failed{timing}")
        if self.sobol is not None and not self.sobol.empty:
            lines.append("")
            lines.append(
                "Sobol indices on replicate means (S1 first order, ST total; ± is the 95 % CI "
                "half-width):"
            )
            kw = max(len(k) for k in spec.keys)
            ow = max(len(o) for o in self.sobol["output"])
            lines.append(f"  {'output':<{ow}}  {'parameter':<{kw}}  {'S1':>15}  {'ST':>15}  noise")
            for r in self.sobol.itertuples():
                lines.append(
                    f"  {r.output:<{ow}}  {r.parameter:<{kw}}  {r.S1:6.3f} ± {r.S1_conf:5.3f}  "
                    f"{r.ST:6.3f} ± {r.ST_conf:5.3f}  {_pct(r.noise_share)}"
                )
        elif not self.points.empty and spec.outputs:
            lines.extend(self._top_points())
        lines.extend(f"warning: {w}" for w in self.warnings)
        lines.extend(f"wrote: {f}" for f in self.files)
        return "\n".join(lines)

    def _top_points(self, k: int = 5) -> list[str]:
        from simulation.study.statistics import METRIC_DIRECTIONS

        o = self.spec.outputs[0]
        col = f"{o}_mean"
        pts = self.points.dropna(subset=[col])
        if pts.empty:
            return []
        sign = METRIC_DIRECTIONS.get(o, 1)
        best = pts.sort_values(col, ascending=sign < 0).head(k)
        word = "highest" if sign > 0 else "lowest"
        lines = ["", f"top {len(best)} design points by {o} ({word} replicate mean ± SD):"]
        for r in best.to_dict("records"):
            shown = ", ".join(f"{key}={_fmt(r[key])}" for key in self.spec.keys)
            sd = _fmt(r.get(f"{o}_sd"))
            lines.append(f"  p{int(r['design_point']):04d}  {r[col]:.4g} ± {sd}  {shown}")
        return lines


def _pct(v: float) -> str:
    return "  n/a" if not np.isfinite(v) else f"{v:5.1%}"


def _fmt(v: Any) -> str:
    if isinstance(v, float | np.floating):
        return "nan" if not np.isfinite(v) else f"{v:.4g}"
    return str(v)


def _default_out(spec: SweepSpec) -> Path:
    return Path("results") / f"sweep-{spec.name}-{time.strftime('%Y%m%d-%H%M%S')}"


def run_sweep(
    sweep: str | Path | SweepSpec,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    resume: bool = False,
    progress: bool = True,
    wait: bool = False,
) -> SweepResult:
    """Run a sweep (`simulation sweep`): every design point x replication as one study.

    Everything is validated before anything is written (a ScenarioError names the sweep file
    and key). `resume=True` finishes an interrupted sweep in `out`; the sweep must be the same
    (its digest: base scenario, sampler, samples, seed and parameters), though `replications`
    may have been raised to add runs. `wait` waits for another process working in `out`
    instead of raising StudyLockedError.
    """
    spec = sweep if isinstance(sweep, SweepSpec) else load_sweep(sweep, check_design=False)
    table = design(spec)
    scenarios = point_scenarios(spec, table)
    folder = Path(out) if out is not None else _default_out(spec)
    with study_folder(folder, wait=wait) as store:
        return _run_sweep_locked(
            spec, table, scenarios, store, workers, scheduler, resume, progress
        )


def _run_sweep_locked(
    spec: SweepSpec,
    table: pd.DataFrame,
    scenarios: list,
    store: StudyStore,
    workers: int | None,
    scheduler: Any,
    resume: bool,
    progress: bool,
) -> SweepResult:
    folder = store.folder
    old = None
    if resume and store.exists():
        # A damaged manifest is rebuilt by run_study or refused there with the reason; a
        # study of another kind is refused there too, naming the kind.
        with contextlib.suppress(StudyDamagedError):
            manifest = store.load()
            old = manifest.get("sweep", {}) if manifest.get("kind") == "sweep" else None
    if old is not None and old.get("digest") != spec.digest():
        was = json.loads(json.dumps(old.get("identity", {}), default=str))
        now = json.loads(json.dumps(spec.identity(), default=str))
        changed = [k for k in now if was.get(k) != now[k]] or ["(not a sweep study)"]
        raise ScenarioError(
            spec.file or "<sweep>",
            [
                ParamError(
                    "",
                    f"differs from the sweep that started {folder} in: {', '.join(changed)} "
                    "(base = the base scenario with [run] and [fixed]); use a new --out",
                )
            ],
        )
    labels = []
    records = []
    for s, (i, row) in zip(scenarios, table.iterrows(), strict=True):
        ov = _point_overrides(spec, row)
        labels.append((("design_point", int(i)), *ov.items()))
        records.append(
            {"name": s.name, "digest": s.digest(), "design_point": int(i), "overrides": ov}
        )
    study = run_study(
        scenarios,
        folder,
        replications=spec.replications,
        base_seed=spec.seed,
        workers=workers or default_workers(),
        scheduler=scheduler,
        resume=resume,
        progress=progress,
        kind="sweep",
        labels=labels,
        extra_manifest={"sweep": spec.to_dict()},
        timeseries=spec.timeseries,
        scenario_records=records,
    )
    points = summarise(spec, table, study.runs)
    warnings: list[str] = []
    sobol = None
    files = [folder / "design.csv", folder / "summary.csv"]
    atomic_write_bytes(files[0], table.reset_index().to_csv(index=False).encode())
    atomic_write_bytes(files[1], points.to_csv(index=False).encode())
    if spec.sampler == "sobol":
        sobol, warnings = sobol_indices(spec, points, study.runs)
        if not sobol.empty:
            files.append(folder / "sobol.csv")
            atomic_write_bytes(files[-1], sobol.to_csv(index=False).encode())
    failed = int((study.runs["status"] != "ok").sum()) if "status" in study.runs else 0
    if failed:
        warnings.append(f"{failed} run(s) failed; see the error column of runs.parquet")
    if study.interrupted:
        warnings.append("the sweep was interrupted; finish it with --resume --out " + str(folder))
    return SweepResult(spec, study, table, points, sobol, warnings, files)

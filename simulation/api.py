"""The Python API, mirroring the command line (for notebooks and scripts).

    >>> from simulation import api
    >>> study = api.run("scenarios/baseline.toml", replications=2, days=70, scale=0.005,
    ...                 out="/tmp/doc-run", workers=1, progress=False, resume=True)
    >>> sorted(study.runs["replication"])
    [0, 1]

Every function accepts scenario file paths or loaded `Scenario` objects, applies the same
overrides as the command-line options, and writes the same study folder. Process pools use
spawned workers that do not re-run the caller's script, so calling these from Jupyter or from
a plain script (without an `if __name__ == "__main__":` guard) is safe. Mistakes raise
ScenarioError (files, options) or a StudyError (see docs/reliability.md).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.scenario import Scenario, ScenarioError, load_scenario
from simulation.scenario.params import ParamError, from_mapping
from simulation.scenario.settings import RunSettings
from simulation.study import costs as costs_mod
from simulation.study import statistics as analysis
from simulation.study import uncertainty as unc
from simulation.study.precision import run_to_precision
from simulation.study.runner import StudyResult, default_workers, run_study, study_folder
from simulation.study.store import atomic_write_bytes

__all__ = ["Comparison", "calibrate", "check", "compare", "load", "report", "run"]

ScenarioLike = str | Path | Scenario


def _overrides(days: int | None, scale: float | None) -> dict[str, Any]:
    return {k: v for k, v in {"days": days, "scale": scale}.items() if v is not None}


def load(
    scenarios: ScenarioLike | Sequence[ScenarioLike], **overrides: Any
) -> tuple[list[Scenario], list[Path | None]]:
    """Load and validate scenarios (every file is checked before anything runs)."""
    items = [scenarios] if isinstance(scenarios, str | Path | Scenario) else list(scenarios)
    loaded: list[Scenario] = []
    sources: list[Path | None] = []
    problems: list[ScenarioError] = []
    for item in items:
        try:
            if isinstance(item, Scenario):
                loaded.append(item.replace(overrides) if overrides else item)
                sources.append(None)
            else:
                from simulation.study.calibration import is_calibration_file
                from simulation.study.sweep import is_sweep_file

                if Path(item).is_file() and is_calibration_file(Path(item)):
                    raise ScenarioError(
                        item,
                        [
                            ParamError(
                                "", "is a calibration file; run it with: simulation calibrate FILE"
                            )
                        ],
                    )
                if Path(item).is_file() and is_sweep_file(Path(item)):
                    raise ScenarioError(
                        item,
                        [ParamError("", "is a sweep file; run it with: simulation sweep FILE")],
                    )
                loaded.append(load_scenario(item, overrides=overrides))
                sources.append(Path(item))
        except ScenarioError as exc:
            problems.append(exc)
    if problems:
        if len(problems) == 1:
            raise problems[0]
        raise ScenarioError(
            problems[0].file,
            [ParamError("", p.render()) for p in problems],
        )
    if not loaded:
        raise ScenarioError(None, [ParamError("", "no scenario given")])
    _check_no_duplicates(
        loaded, sources, [str(i) if not isinstance(i, Scenario) else None for i in items]
    )
    _check_same_run_settings(loaded, sources)
    return loaded, sources


def _check_no_duplicates(
    loaded: list[Scenario], sources: list[Path | None], given: list[str | None]
) -> None:
    """The same file twice (under any spelling) or two scenarios of one name is a mistake: a
    study would silently hold one of them, or pair a scenario with itself."""
    problems = []
    seen_files: dict[tuple[int, int], int] = {}
    for i, (src, text) in enumerate(zip(sources, given, strict=True)):
        if src is None or text is None:
            continue
        st = src.stat()
        j = seen_files.setdefault((st.st_dev, st.st_ino), i)
        if j != i:
            problems.append(
                ParamError(
                    "",
                    "is given twice; give it once"
                    if given[j] == text
                    else f"is given twice ({given[j]} and {text} are the same file); give it once",
                )
            )
    seen_names: dict[str, int] = {}
    for i, s in enumerate(loaded):
        j = seen_names.setdefault(s.name.casefold(), i)
        if j != i and not problems:
            first, where = (given[k] or "a scenario in memory" for k in (j, i))
            problems.append(
                ParamError(
                    "name",
                    f"{where} and {first} are both named {s.name!r} (ignoring case); scenarios "
                    "in one study need distinct names (set `name` in one of the files)",
                )
            )
    if problems:
        raise ScenarioError(given[0] or loaded[0].name, problems)


def _check_study_options(replications: int | None, seed: int | None) -> None:
    """--replications and --seed within the bounds scenario files have (run.replications,
    run.seed), so an option cannot ask for what a file may not."""
    given = {k: v for k, v in {"replications": replications, "seed": seed}.items() if v is not None}
    if given:
        _, errors = from_mapping(RunSettings, given, prefix="run.")
        if errors:
            raise ScenarioError("<command line>", errors)


# Run settings every scenario of a study must share: paired replications compare policies, so
# scenarios simulated at another scale or horizon would differ for reasons that are not policy.
_SHARED_RUN_KEYS = ("days", "warmup_days", "resolution_limit_days", "window_days", "scale")


def _check_same_run_settings(loaded: list[Scenario], sources: list[Path | None]) -> None:
    first = loaded[0]
    problems = []
    for s, src in zip(loaded[1:], sources[1:], strict=True):
        for key in _SHARED_RUN_KEYS:
            a, b = getattr(first.run, key), getattr(s.run, key)
            if a != b:
                problems.append(
                    ParamError(
                        f"run.{key}",
                        f"{s.name} ({src or 'in memory'}) has {b!r} but {first.name} has {a!r}; "
                        "scenarios compared in one study must share their run settings (set "
                        "them in the files, or for all at once with --days/--scale)",
                    )
                )
    if problems:
        raise ScenarioError(sources[0] or first.name, problems)


def _default_out(kind: str, scenarios: list[Scenario]) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    label = scenarios[0].name if len(scenarios) == 1 else f"{len(scenarios)}-scenarios"
    return Path("results") / f"{kind}-{label}-{stamp}"


def run(
    scenarios: ScenarioLike | Sequence[ScenarioLike],
    *,
    replications: int | None = None,
    days: int | None = None,
    seed: int | None = None,
    scale: float | None = None,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = True,
    kind: str = "run",
    wait: bool = False,
) -> StudyResult:
    """Run replications of one or more scenarios on common seeds (`simulation run`).

    Raises ScenarioError for bad files or options (nothing written), the `StudyError`s of
    `run_study` for folders that cannot be used as asked (`wait=True` waits for another
    process working in `out`), and StudyFailedError when every run failed.
    """
    _check_study_options(replications, seed)
    loaded, sources = load(scenarios, **_overrides(days, scale))
    reps = replications if replications is not None else loaded[0].run.replications
    base_seed = seed if seed is not None else loaded[0].run.seed
    folder = Path(out) if out is not None else _default_out(kind, loaded)
    return run_study(
        loaded,
        folder,
        replications=reps,
        base_seed=base_seed,
        sources=sources,
        workers=workers or default_workers(),
        scheduler=scheduler,
        resume=resume,
        progress=progress,
        kind=kind,
        wait=wait,
    )


@dataclass
class Comparison:
    """A comparison study with its statistics (what `simulation compare` prints and writes)."""

    study: StudyResult
    table: pd.DataFrame
    ranking: pd.DataFrame
    baseline: str
    metric: str
    warnings: list[str] = field(default_factory=list)
    charts: list[Path] = field(default_factory=list)
    replications: int = 0
    costs: pd.DataFrame | None = None
    uncertainty: unc.UncertaintyResult | None = None

    def summary(self) -> str:
        """The terminal table: means with 95 % CIs, paired differences, ranking, warnings;
        with `uncertainty`, also both interval kinds side by side and the verdicts; and what
        each scenario costs against the baseline."""
        noise_cols = [c for c in analysis.COMPARISON_COLUMNS if c in self.table]
        lines = [analysis.summary_table(self.table[noise_cols].copy())]
        lines.append("")
        lines.append(f"Probability of being best on {self.metric} (paired bootstrap):")
        w = analysis.name_width(self.ranking["scenario"])
        for row in self.ranking.itertuples():
            lines.append(
                f"  {row.scenario:<{w}} {row.p_best:6.1%}   mean {row.mean:.4g} [{row.ci_low:.4g}, {row.ci_high:.4g}]"
            )
        if self.uncertainty is not None:
            headline = list(dict.fromkeys([self.metric, "service_coverage", "resolution_rate"]))
            lines.append("")
            lines.append(
                unc.headline_table(
                    self.table, self.uncertainty, headline, self.baseline, self.ranking
                )
            )
        if self.costs is not None:
            lines.extend(["", costs_mod.cost_table(self.costs)])
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)


def compare(
    scenarios: ScenarioLike | Sequence[ScenarioLike],
    *,
    baseline: str | None = None,
    metric: str = "needs_met_rate",
    precision: float | None = None,
    max_replications: int = 200,
    replications: int | None = None,
    days: int | None = None,
    seed: int | None = None,
    scale: float | None = None,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = True,
    charts: bool = True,
    wait: bool = False,
    uncertainty: int | None = None,
    uncertainty_design: str = "lhs",
    posterior: str | Path | None = None,
    lang: str = "en",
) -> Comparison:
    """Compare scenarios on paired replications (`simulation compare`).

    With `precision`, replications are added (up to `max_replications`) until every 95 %
    half-width of `metric` — each scenario's mean and each paired difference to the
    baseline — is at most `precision`. Errors as for `run`; the study folder stays locked
    until its tables and charts are written.

    With `uncertainty=N`, N draws of every uncertain parameter (a `uncertainty_design`
    design: "lhs" or "sobol"; fitted parameters from a calibration's `posterior` table when
    given) are also run on every scenario, paired, and the table gains the intervals and
    verdicts described in `simulation.study.uncertainty`.
    `lang` ("en" or "zh") is the language of the charts.
    """
    _check_study_options(replications, seed)
    if precision is not None:
        _, errors = from_mapping(RunSettings, {"replications": max_replications}, "run.")
        if errors:
            raise ScenarioError(None, [ParamError("--max-replications", e.message) for e in errors])
    loaded, sources = load(scenarios, **_overrides(days, scale))
    names = [s.name for s in loaded]
    base_name = baseline if baseline is not None else names[0]
    if base_name not in names:
        raise ScenarioError(
            None,
            [
                ParamError(
                    "--baseline", f"{base_name!r} is not among the scenarios: {', '.join(names)}"
                )
            ],
        )
    if metric not in analysis.METRIC_DIRECTIONS:
        raise ScenarioError(
            None,
            [
                ParamError(
                    "--metric",
                    f"unknown metric {metric!r}; allowed: {', '.join(analysis.PRIMARY_METRICS)}",
                )
            ],
        )
    # The baseline goes first so every table reads baseline, then the alternatives.
    order = [names.index(base_name)] + [i for i in range(len(names)) if names[i] != base_name]
    loaded = [loaded[i] for i in order]
    sources = [sources[i] for i in order]
    reps = replications if replications is not None else loaded[0].run.replications
    base_seed = seed if seed is not None else loaded[0].run.seed
    folder = Path(out) if out is not None else _default_out("compare", loaded)
    uplan, draw_tasks = _uncertainty_plan(
        loaded, uncertainty, uncertainty_design, posterior, base_seed, folder, resume
    )
    extra_manifest: dict[str, Any] = {"baseline": base_name, "metric": metric}
    extra_manifest["precision"] = precision
    if uplan is not None:
        extra_manifest["uncertainty"] = uplan.record()
    kwargs = dict(
        sources=sources,
        workers=workers or default_workers(),
        scheduler=scheduler,
        progress=progress,
        kind="compare",
        extra_manifest=extra_manifest,
        extra_tasks=draw_tasks,
        wait=wait,
    )
    with study_folder(folder, wait=wait):
        study, reps, warnings = run_to_precision(
            loaded,
            folder,
            replications=reps,
            base_seed=base_seed,
            baseline=base_name,
            metric=metric,
            precision=precision,
            max_replications=max_replications,
            resume=resume,
            **kwargs,
        )
        runs = unc.noise_runs(study.runs)
        table = analysis.compare(runs, base_name)
        ranking = analysis.ranking(runs, metric)
        if metric in runs:
            w = analysis.separation_warning(runs, metric, base_name)
            if w:
                warnings.append(w)
        uresult = None
        if uplan is not None and not unc.draw_runs(study.runs).empty:
            uresult = unc.analyse(study.runs, base_name, metric, uplan)
            table = unc.merge(table, uresult)
            ranking = unc.merge_ranking(ranking, uresult)
            atomic_write_bytes(
                folder / "sensitivity.csv", uresult.sensitivity.to_csv(index=False).encode()
            )
        failed = int((runs["status"] != "ok").sum()) if "status" in runs else 0
        if failed:
            warnings.append(
                f"{failed} run(s) failed; see the error column of runs.parquet and the manifest"
            )
        atomic_write_bytes(folder / "comparison.csv", table.to_csv(index=False).encode())
        atomic_write_bytes(folder / "ranking.csv", ranking.to_csv(index=False).encode())
        cost = None
        if not runs.empty and all(
            c in runs for c in ("hours_total", "cost_yuan", "needs_met_total")
        ):
            cost = costs_mod.costs(runs, base_name)
            atomic_write_bytes(folder / "costs.csv", cost.to_csv(index=False).encode())
        written: list[Path] = []
        if charts and not runs.empty:
            from simulation.views import charts as charts_mod

            cm_path = folder / "communities.parquet"
            written = charts_mod.write_all(
                folder / "charts",
                table,
                study.timeseries,
                ranking,
                metric=metric,
                baseline=base_name,
                communities=pd.read_parquet(cm_path) if cm_path.exists() else None,
                runs=runs,
                lang=lang,
            )
    return Comparison(
        study, table, ranking, base_name, metric, warnings, written, reps, cost, uresult
    )


def report(folder: str | Path, *, lang: str = "en", pdf: bool = True):
    """Write the decision report of a finished comparison study (`simulation report`):
    `report-<lang>.html` (self-contained) and `report-<lang>.pdf` in the study folder.

    Returns a `ReportFiles` (paths, the language really used, warnings). Raises
    `simulation.views.report.ReportError` when the folder is not a finished comparison.
    """
    from simulation.views.report import build_report

    return build_report(folder, lang, pdf=pdf)


def _uncertainty_plan(
    loaded: list[Scenario],
    n: int | None,
    design: str,
    posterior: str | Path | None,
    base_seed: int,
    folder: Path,
    resume: bool,
) -> tuple[unc.UncertaintyPlan | None, list]:
    """The draws of `--uncertainty` and their runs; checked against a study being resumed."""
    from simulation.study.store import StudyStore

    if n is None and posterior is not None:
        raise ScenarioError(None, [ParamError("--posterior", "needs --uncertainty N")])
    uplan = None
    tasks: list = []
    if n is not None:
        post = unc.load_posterior(posterior) if posterior is not None else None
        uplan = unc.plan(
            loaded,
            n,
            base_seed,
            design=design,
            posterior=post,
            posterior_name=str(posterior) if posterior is not None else None,
        )
        tasks = unc.draw_tasks(loaded, uplan, base_seed)
    store = StudyStore(folder)
    if resume and store.exists():
        unc.check_resumable(store.load(), uplan, store.manifest_path)
    return uplan, tasks


def check(paths: Sequence[str | Path]) -> list[tuple[Path, Any]]:
    """Validate scenario, sweep or calibration files; one (path, loaded-or-error) pair per
    file."""
    from simulation.study.calibration import is_calibration_file, load_calibration
    from simulation.study.sweep import is_sweep_file, load_sweep

    out: list[tuple[Path, Any]] = []
    for p in paths:
        path = Path(p)
        try:
            if is_calibration_file(path):
                out.append((path, load_calibration(path)))
                continue
            out.append((path, load_sweep(path) if is_sweep_file(path) else load_scenario(path)))
        except ScenarioError as exc:
            out.append((path, exc))
    return out


def calibrate(
    calibfile: str | Path,
    *,
    trials: int | None = None,
    scale: float | None = None,
    days: int | None = None,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = True,
):
    """Fit a calibration file's parameters to its targets (`simulation calibrate`).

    Returns a `simulation.study.calibration.CalibrationResult`; see that module for the
    files written. `scale` and `days` override the file's run settings. `resume=True` with
    the `out` of a killed or interrupted calibration goes on from the trials already in its
    database (with the same file and options).
    """
    import dataclasses

    from simulation.study.calibration import load_calibration, run_calibration

    cal = load_calibration(calibfile)
    if scale is not None or days is not None:
        run = {**cal.overrides, **_overrides(days, scale)}
        for f in cal.scenario_files():
            load_scenario(f, overrides=run)  # an inconsistent option fails here, by file
        cal = dataclasses.replace(cal, overrides=run)
    if resume and out is None:
        raise ScenarioError(None, [ParamError("--resume", "needs --out: the folder to resume")])
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = Path(out) if out is not None else Path("results") / f"calibrate-{cal.name}-{stamp}"
    return run_calibration(
        cal,
        folder,
        trials=trials,
        workers=workers or default_workers(),
        scheduler=scheduler,
        resume=resume,
        progress=progress,
    )

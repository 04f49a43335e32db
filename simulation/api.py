"""The Python API, mirroring the command line (for notebooks and scripts).

    >>> from simulation import api
    >>> study = api.run("scenarios/baseline.toml", replications=2, days=70, scale=0.005,
    ...                 out="/tmp/doc-run", workers=1, progress=False, resume=True)
    >>> sorted(study.runs["replication"])
    [0, 1]

Every function accepts scenario file paths or loaded `Scenario` objects, applies the same
overrides as the command-line options, and writes the same study folder. Process pools use
spawned workers, so calling these from Jupyter is safe.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.scenario import Scenario, ScenarioError, load_scenario
from simulation.scenario.params import ParamError
from simulation.study import statistics as analysis
from simulation.study.precision import run_to_precision
from simulation.study.runner import StudyResult, default_workers, run_study
from simulation.study.store import atomic_write_bytes

__all__ = ["Comparison", "check", "compare", "load", "report", "run"]

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
                from simulation.study.sweep import is_sweep_file

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
    _check_same_run_settings(loaded, sources)
    return loaded, sources


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
) -> StudyResult:
    """Run replications of one or more scenarios on common seeds (`simulation run`)."""
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

    def summary(self) -> str:
        """The terminal table: means with 95 % CIs, paired differences, ranking, warnings."""
        lines = [analysis.summary_table(self.table)]
        lines.append("")
        lines.append(f"Probability of being best on {self.metric} (paired bootstrap):")
        for row in self.ranking.itertuples():
            lines.append(
                f"  {row.scenario:<24} {row.p_best:6.1%}   mean {row.mean:.4g} [{row.ci_low:.4g}, {row.ci_high:.4g}]"
            )
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
    lang: str = "en",
) -> Comparison:
    """Compare scenarios on paired replications (`simulation compare`).

    With `precision`, replications are added (up to `max_replications`) until every 95 %
    half-width of `metric` — each scenario's mean and each paired difference to the
    baseline — is at most `precision`. `lang` ("en" or "zh") is the language of the charts.
    """
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
    kwargs = dict(
        sources=sources,
        workers=workers or default_workers(),
        scheduler=scheduler,
        progress=progress,
        kind="compare",
        extra_manifest={"baseline": base_name, "metric": metric, "precision": precision},
    )
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
    runs = study.runs
    table = analysis.compare(runs, base_name)
    ranking = analysis.ranking(runs, metric)
    if metric in runs:
        w = analysis.separation_warning(runs, metric, base_name)
        if w:
            warnings.append(w)
    failed = int((runs["status"] != "ok").sum()) if "status" in runs else 0
    if failed:
        warnings.append(
            f"{failed} run(s) failed; see the error column of runs.parquet and the manifest"
        )
    atomic_write_bytes(folder / "comparison.csv", table.to_csv(index=False).encode())
    atomic_write_bytes(folder / "ranking.csv", ranking.to_csv(index=False).encode())
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
    return Comparison(study, table, ranking, base_name, metric, warnings, written, reps)


def report(folder: str | Path, *, lang: str = "en", pdf: bool = True):
    """Write the decision report of a finished comparison study (`simulation report`):
    `report-<lang>.html` (self-contained) and `report-<lang>.pdf` in the study folder.

    Returns a `ReportFiles` (paths, the language really used, warnings). Raises
    `simulation.views.report.ReportError` when the folder is not a finished comparison.
    """
    from simulation.views.report import build_report

    return build_report(folder, lang, pdf=pdf)


def check(paths: Sequence[str | Path]) -> list[tuple[Path, Scenario | ScenarioError]]:
    """Validate scenario or sweep files; one (path, Scenario-or-error) pair per file."""
    from simulation.study.sweep import is_sweep_file, load_sweep

    out: list[tuple[Path, Any]] = []
    for p in paths:
        path = Path(p)
        try:
            out.append((path, load_sweep(path) if is_sweep_file(path) else load_scenario(path)))
        except ScenarioError as exc:
            out.append((path, exc))
    return out

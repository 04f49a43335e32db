"""Calibration (`simulation calibrate CALIBFILE`): fit uncertain parameters to public figures.

A calibration file (TOML) names a scenario, the parameters to fit with their ranges, and
*targets*: a figure of a run (a metric or a structure count, optionally as the paired
difference between two scenarios), its observed value, a tolerance, its source, and the set
it belongs to — "calibration" (fitted) or "validation" (held out: never seen by the search,
only checked afterwards). `scenarios/calibration.toml` is the shipped example and documents
every key.

The search is Optuna's TPE sampler with its database storage: an SQLite file in the output
folder records every trial as it ends, so a calibration that is killed (even with SIGKILL)
resumes with `--resume` — trials that were running are marked failed and asked again with the
same parameter values. Each trial runs the scenario on several seeds (the same seeds for every
trial: common random numbers, so trials differ by their parameters, not their luck), on the
executors of every study (`simulation.study.runner.run_tasks`: in-process, a local process
pool or a Dask cluster); a batch of trials runs at once to keep every worker busy. The loss
is the sum over calibration targets of ((model - observed) / tolerance)²: a trial fits when
every term is at most 1.

After the search, the best trial is checked on *fresh* seeds against every target,
calibration and validation alike, and the folder receives:

* `fit.csv` — per target: observed, tolerance, the model's mean with its 95 % interval,
  whether it lies within tolerance, the set and the source;
* `fitted.toml` — a scenario that `extends` the calibrated one with the fitted values (a
  scenario uses them by extending this file);
* `trials.csv` — every trial: parameters, loss, figures, state;
* `posterior.csv` — the trials that fit (every calibration target within tolerance): a set
  of parameter values consistent with the targets, which `compare --uncertainty N
  --posterior posterior.csv` draws from instead of the prior ranges. TPE concentrates trials
  where the fit is good, so this is an ABC-style accepted set, not a posterior with
  calibrated probabilities;
* `manifest.json` — versions, the calibration file and its hash, seeds, sessions, status.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.metrics import COUNT_COLUMNS, EXTRA_METRICS, METRICS, STRUCTURE_COLUMNS
from simulation.scenario import Scenario, ScenarioError, load_scenario, read_toml
from simulation.scenario.params import ParamError, param_table, uncertain_parameters
from simulation.study.runner import RunTask, StudyExistsError, run_tasks
from simulation.study.statistics import mean_ci
from simulation.study.store import atomic_write_bytes, environment

__all__ = [
    "FIGURES",
    "Calibration",
    "CalibrationResult",
    "FitParameter",
    "Target",
    "is_calibration_file",
    "load_calibration",
    "run_calibration",
]

#: Figures a target may name: every per-run column of runs.parquet.
FIGURES: tuple[str, ...] = (*METRICS, *COUNT_COLUMNS, *EXTRA_METRICS, *STRUCTURE_COLUMNS)
SETS = ("calibration", "validation")
DB_NAME = "optuna.sqlite3"
STUDY_NAME = "calibration"


@dataclass(frozen=True)
class Target:
    """One figure the model should reproduce, within `tolerance` of `observed`."""

    name: str
    figure: str
    observed: float
    tolerance: float
    source: str
    set: str
    scenario: Path
    minus: Path | None = None

    def describe(self) -> str:
        what = f"{self.figure} of {self.scenario.stem}"
        return f"{what} minus {self.minus.stem}" if self.minus else what


@dataclass(frozen=True)
class FitParameter:
    """A parameter the search varies, over [low, high] (log scale for log-uniform ranges;
    a triangular range is searched evenly: the search looks for fits, not for likely values)."""

    key: str
    low: float
    high: float
    log: bool
    integer: bool


@dataclass(frozen=True)
class Calibration:
    """A loaded, validated calibration file."""

    file: Path
    name: str
    scenario: Path
    parameters: tuple[FitParameter, ...]
    targets: tuple[Target, ...]
    trials: int
    seeds: int
    check_seeds: int
    seed: int
    overrides: dict[str, Any]

    def digest(self) -> str:
        """SHA-256 of what defines the search (not the trial count, which may grow)."""
        rec = {
            "scenario": str(self.scenario),
            "parameters": [dataclasses.asdict(p) for p in self.parameters],
            "targets": [
                {**dataclasses.asdict(t), "scenario": str(t.scenario), "minus": str(t.minus)}
                for t in self.targets
            ],
            "seeds": self.seeds,
            "seed": self.seed,
            "overrides": self.overrides,
        }
        return hashlib.sha256(json.dumps(rec, sort_keys=True).encode()).hexdigest()

    def scenario_files(self, kind: str | None = None) -> list[Path]:
        """The scenario files the targets need (of one set, or all), the calibrated one first."""
        out = [self.scenario]
        for t in self.targets:
            if kind is None or t.set == kind:
                out += [t.scenario] + ([t.minus] if t.minus else [])
        return list(dict.fromkeys(out))


# ---------------------------------------------------------------------- the file
_TOP_KEYS = {
    "name",
    "description",
    "scenario",
    "trials",
    "seeds",
    "check_seeds",
    "seed",
    "run",
    "parameters",
    "targets",
}
_TARGET_KEYS = {
    "name",
    "figure",
    "observed",
    "tolerance",
    "source",
    "set",
    "scenario",
    "minus",
}
_RUN_KEYS = {"scale", "days", "warmup_days"}


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _int_in(raw: dict, key: str, default: int, lo: int, hi: int, errs: list) -> int:
    v = raw.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        errs.append(ParamError(key, f"must be a whole number from {lo} to {hi}, got {v!r}"))
        return default
    return v


def _schema_fields() -> dict[str, dict[str, Any]]:
    """Dotted key -> (default, metadata) of every numeric scenario parameter."""
    out: dict[str, dict[str, Any]] = {}

    def walk(cls: type, prefix: str) -> None:
        for f in dataclasses.fields(cls):
            if f.metadata.get("section"):
                walk(f.default_factory, prefix + f.name + ".")
            elif isinstance(f.default, int | float) and not isinstance(f.default, bool):
                out[prefix + f.name] = {"default": f.default, **f.metadata}

    walk(Scenario, "")
    return out


def _parameters(raw: Any, errs: list[ParamError]) -> list[FitParameter]:
    if not isinstance(raw, dict) or not raw:
        errs.append(ParamError("parameters", "must be a table naming at least one parameter"))
        return []
    fields = _schema_fields()
    ranged = {u.key: u for u in uncertain_parameters(Scenario)}
    out = []
    for key, spec in raw.items():
        where = f"parameters.{key}"
        if key.startswith("run.") or key not in fields:
            known = "a numeric scenario parameter (see docs/parameters.md)"
            errs.append(ParamError(where, f"is not {known}"))
            continue
        if not isinstance(spec, dict):
            errs.append(ParamError(where, "must be a table, e.g. { low = 0.1, high = 0.5 }"))
            continue
        extra = sorted(set(spec) - {"low", "high", "distribution"})
        if extra:
            errs.append(
                ParamError(where, f"unknown key(s) {extra}; allowed: low, high, distribution")
            )
            continue
        meta = fields[key]
        u = ranged.get(key)
        low = spec.get("low", u.low if u else None)
        high = spec.get("high", u.high if u else None)
        dist = spec.get("distribution", u.distribution if u else "uniform")
        if low is None or high is None:
            errs.append(
                ParamError(where, "has no plausible range in the schema: give low and high")
            )
            continue
        if not (_number(low) and _number(high) and low < high):
            errs.append(ParamError(where, f"needs numbers low < high, got {low!r}, {high!r}"))
            continue
        lo, hi = meta.get("lo"), meta.get("hi")
        if (lo is not None and (low < lo or (meta.get("lo_open") and low <= lo))) or (
            hi is not None and high > hi
        ):
            errs.append(ParamError(where, f"range [{low}, {high}] leaves the allowed [{lo}, {hi}]"))
            continue
        if dist not in ("uniform", "loguniform", "triangular"):
            errs.append(
                ParamError(
                    where,
                    f"distribution must be uniform, loguniform or triangular, got {dist!r}",
                )
            )
            continue
        if dist == "loguniform" and low <= 0:
            errs.append(ParamError(where, "a loguniform range must be above 0"))
            continue
        integer = isinstance(meta["default"], int)
        out.append(FitParameter(key, float(low), float(high), dist == "loguniform", integer))
    return out


def _targets(raw: Any, base: Path, scenario: Path, errs: list[ParamError]) -> list[Target]:
    if not isinstance(raw, list) or not raw:
        errs.append(ParamError("targets", "must be a list of [[targets]] tables"))
        return []
    out = []
    for i, t in enumerate(raw, start=1):
        where = f"targets[{i}]"
        if not isinstance(t, dict):
            errs.append(ParamError(where, "must be a table"))
            continue
        extra = sorted(set(t) - _TARGET_KEYS)
        if extra:
            errs.append(
                ParamError(
                    where, f"unknown key(s) {extra}; allowed: {', '.join(sorted(_TARGET_KEYS))}"
                )
            )
        missing = sorted({"figure", "observed", "tolerance", "source", "set"} - set(t))
        if missing:
            errs.append(ParamError(where, f"missing key(s): {', '.join(missing)}"))
            continue
        if t["figure"] not in FIGURES:
            errs.append(
                ParamError(
                    f"{where}.figure",
                    f"unknown figure {t['figure']!r}; allowed: {', '.join(FIGURES)}",
                )
            )
        if not _number(t["observed"]):
            errs.append(ParamError(f"{where}.observed", f"must be a number, got {t['observed']!r}"))
        if not (_number(t["tolerance"]) and t["tolerance"] > 0):
            errs.append(
                ParamError(
                    f"{where}.tolerance", f"must be a number above 0, got {t['tolerance']!r}"
                )
            )
        if t["set"] not in SETS:
            errs.append(
                ParamError(f"{where}.set", f"must be one of {', '.join(SETS)}, got {t['set']!r}")
            )
        if not isinstance(t["source"], str) or not t["source"].strip():
            errs.append(ParamError(f"{where}.source", "must say where the figure comes from"))
        paths = {}
        for k in ("scenario", "minus"):
            if k in t:
                if not isinstance(t[k], str):
                    errs.append(ParamError(f"{where}.{k}", "must be a scenario file name"))
                    continue
                p = (base / t[k]).resolve()
                if not p.is_file():
                    errs.append(ParamError(f"{where}.{k}", f"file not found: {p}"))
                paths[k] = p
        if errs:
            continue
        out.append(
            Target(
                str(t.get("name", f"{t['figure']} ({i})")),
                t["figure"],
                float(t["observed"]),
                float(t["tolerance"]),
                t["source"],
                t["set"],
                paths.get("scenario", scenario),
                paths.get("minus"),
            )
        )
    if out and not any(t.set == "calibration" for t in out):
        errs.append(ParamError("targets", 'needs at least one target with set = "calibration"'))
    return out


def is_calibration_file(path: str | Path) -> bool:
    """Whether a file is a calibration file: it has `[[targets]]` (a list of tables)."""
    try:
        data = read_toml(Path(path), kind="calibration file")
    except ScenarioError:  # unreadable: not recognisably a calibration file; its own
        return False  # reader then reports the problem
    return isinstance(data.get("targets"), list)


def load_calibration(path: str | Path) -> Calibration:
    """Read and validate a calibration file; ScenarioError lists every problem by key."""
    path = Path(path)
    raw = read_toml(path, kind="calibration file")
    errs: list[ParamError] = []
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        errs.append(
            ParamError(
                unknown[0], f"unknown key(s) {unknown}; allowed: {', '.join(sorted(_TOP_KEYS))}"
            )
        )
    scen = raw.get("scenario")
    scenario = (path.parent / scen).resolve() if isinstance(scen, str) else None
    if scenario is None:
        errs.append(ParamError("scenario", "must name the scenario file to calibrate"))
    elif not scenario.is_file():
        errs.append(ParamError("scenario", f"file not found: {scenario}"))
    run = raw.get("run", {})
    if not isinstance(run, dict) or set(run) - _RUN_KEYS:
        errs.append(ParamError("run", f"may set only {', '.join(sorted(_RUN_KEYS))}"))
        run = {}
    trials = _int_in(raw, "trials", 40, 1, 100_000, errs)
    seeds = _int_in(raw, "seeds", 3, 1, 1000, errs)
    check_seeds = _int_in(raw, "check_seeds", 5, 2, 1000, errs)
    seed = _int_in(raw, "seed", 20180917, 0, 2**62, errs)
    params = _parameters(raw.get("parameters"), errs)
    targets = _targets(raw.get("targets"), path.parent, scenario or path, errs) if scenario else []
    if errs:
        raise ScenarioError(path, errs)
    name = raw.get("name", path.stem)
    cal = Calibration(
        path,
        str(name),
        scenario,
        tuple(params),
        tuple(targets),
        trials,
        seeds,
        check_seeds,
        seed,
        dict(run),
    )
    for f in cal.scenario_files():  # every scenario must load with the run overrides
        load_scenario(f, overrides=cal.overrides)
    return cal


# ---------------------------------------------------------------------- running
@dataclass
class CalibrationResult:
    """What a calibration wrote and found."""

    folder: Path
    fit: pd.DataFrame
    trials: pd.DataFrame
    best: dict[str, Any]
    best_loss: float
    n_fitting: int
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The terminal report: fitted values, then fit per target."""
        lines = [
            f"Calibration in {self.folder}: {len(self.trials)} trials, best loss {self.best_loss:.3g}"
        ]
        lines.append(f"{self.n_fitting} trial(s) fit every calibration target within tolerance")
        lines.append("Fitted values:")
        for k, v in self.best.items():
            lines.append(f"  {k} = {v:.6g}")
        if not self.fit.empty:
            lines.append("")
            lines.append("Fit per target (best trial on fresh seeds; 95 % interval over seeds):")
            rows = [("target", "set", "observed", "tolerance", "model [95 % CI]", "verdict")]
            for r in self.fit.itertuples():
                rows.append(
                    (
                        r.target,
                        r.set,
                        f"{r.observed:.4g}",
                        f"±{r.tolerance:.3g}",
                        f"{r.model:.4g} [{r.ci_low:.4g}, {r.ci_high:.4g}]",
                        r.verdict,
                    )
                )
            widths = [max(len(x[j]) for x in rows) for j in range(len(rows[0]))]
            for i, row in enumerate(rows):
                lines.append(
                    "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                )
                if i == 0:
                    lines.append("  " + "  ".join("-" * w for w in widths))
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)


def _quiet_optuna() -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _distributions(cal: Calibration) -> dict[str, Any]:
    from optuna.distributions import FloatDistribution, IntDistribution

    out: dict[str, Any] = {}
    for p in cal.parameters:
        if p.integer:
            out[p.key] = IntDistribution(int(p.low), int(p.high), log=p.log)
        else:
            out[p.key] = FloatDistribution(p.low, p.high, log=p.log)
    return out


def _loaded(cal: Calibration, files: Sequence[Path]) -> dict[Path, Scenario]:
    return {f: load_scenario(f, overrides=cal.overrides) for f in files}


def _tasks(
    scenarios: dict[Path, Scenario],
    values: dict[str, Any],
    label: str,
    seeds: Sequence[int],
) -> list[RunTask]:
    """One run per scenario and seed, with the values applied; names keep runs apart."""
    tasks = []
    for i, (path, s) in enumerate(scenarios.items()):
        sc = s.replace({**values, "name": f"{label}-s{i}-{path.stem}"})
        for j, seed in enumerate(seeds):
            tasks.append(RunTask(sc, j, seed, (("label", label), ("file", str(path))), False))
    return tasks


def _figures(
    cal: Calibration, rows: list[dict[str, Any]], kind: str | None
) -> dict[str, np.ndarray]:
    """Per target (of a set, or all): its value on each seed (paired differences for `minus`)."""
    table = pd.DataFrame(rows)
    out: dict[str, np.ndarray] = {}
    for t in cal.targets:
        if kind is not None and t.set != kind:
            continue
        ok = table[table["status"] == "ok"] if "status" in table else table
        a = ok[ok["file"] == str(t.scenario)].set_index("seed")[t.figure]
        if t.minus is not None:
            b = ok[ok["file"] == str(t.minus)].set_index("seed")[t.figure]
            a = (a - b).dropna()
        out[t.name] = a.to_numpy(dtype=float)
    return out


def _loss(cal: Calibration, figs: dict[str, np.ndarray]) -> tuple[float, bool]:
    loss, fits = 0.0, True
    for t in cal.targets:
        if t.set != "calibration":
            continue
        vals = figs.get(t.name, np.array([]))
        if vals.size == 0 or not np.isfinite(vals).all():
            return math.inf, False
        z = (float(vals.mean()) - t.observed) / t.tolerance
        loss += z * z
        fits &= abs(z) <= 1.0
    return loss, fits


def _prepare(cal: Calibration, folder: Path, resume: bool) -> dict[str, Any]:
    """Check the folder (new, or a resumable calibration of the same file) and load or start
    its manifest."""
    manifest_path = folder / "manifest.json"
    if manifest_path.exists():
        if not resume:
            raise StudyExistsError(
                f"{folder} already holds a calibration; add --resume to finish it, or choose another --out"
            )
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("kind") != "calibrate":
            raise StudyExistsError(
                f"{folder} holds a {manifest.get('kind')} study, not a calibration"
            )
        if manifest.get("digest") != cal.digest():
            raise ScenarioError(
                manifest_path,
                [
                    ParamError(
                        "calibration",
                        f"{cal.file} (or its run options) changed since the calibration started; "
                        "use a new --out",
                    )
                ],
            )
        return manifest
    if folder.exists() and any(folder.iterdir()):
        raise StudyExistsError(
            f"{folder} is not empty and holds no calibration; choose another --out"
        )
    folder.mkdir(parents=True, exist_ok=True)
    files = [cal.file, *cal.scenario_files()]
    return {
        "kind": "calibrate",
        "name": cal.name,
        "digest": cal.digest(),
        "calibration_file": str(cal.file),
        "files": [
            {"path": str(f), "sha256": hashlib.sha256(f.read_bytes()).hexdigest()} for f in files
        ],
        "parameters": [dataclasses.asdict(p) for p in cal.parameters],
        "targets": [
            {
                **dataclasses.asdict(t),
                "scenario": str(t.scenario),
                "minus": str(t.minus) if t.minus else None,
            }
            for t in cal.targets
        ],
        "run_overrides": cal.overrides,
        "seeds": [cal.seed + i for i in range(cal.seeds)],
        "check_seeds": [cal.seed + 10_000 + i for i in range(cal.check_seeds)],
        "sampler": "optuna TPESampler",
        "environment": {**environment(), "optuna": _optuna_version()},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "status": "running",
        "sessions": [],
    }


def _optuna_version() -> str:
    import optuna

    return optuna.__version__


def _write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    atomic_write_bytes(
        folder / "manifest.json", json.dumps(manifest, indent=2, default=str).encode()
    )


def run_calibration(
    cal: Calibration,
    out: str | Path,
    *,
    trials: int | None = None,
    workers: int = 1,
    scheduler: Any = None,
    resume: bool = False,
    progress: bool = True,
) -> CalibrationResult:
    """Run (or resume) a calibration until `trials` trials are complete, then check the best
    on fresh seeds and write fit.csv, fitted.toml, trials.csv, posterior.csv."""
    import optuna
    from optuna.trial import TrialState

    _quiet_optuna()
    folder = Path(out)
    n_trials = trials if trials is not None else cal.trials
    manifest = _prepare(cal, folder, resume)
    _write_manifest(folder, manifest)
    storage = f"sqlite:///{(folder / DB_NAME).resolve()}"
    sampler = optuna.samplers.TPESampler(seed=cal.seed)
    study = optuna.create_study(
        storage=storage,
        study_name=STUDY_NAME,
        direction="minimize",
        sampler=sampler,
        load_if_exists=True,
    )
    stale = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.RUNNING]
    for t in stale:  # left by a killed session: fail them, ask their values again
        study.tell(t.number, state=TrialState.FAIL)
        study.enqueue_trial(t.params, skip_if_exists=False)
    dists = _distributions(cal)
    scenarios = _loaded(cal, cal.scenario_files("calibration"))
    seeds = [cal.seed + i for i in range(cal.seeds)]
    batch = max(1, workers) if scheduler is None else max(1, workers, 4)
    for old in manifest.get("sessions", []):
        if old.get("status") == "running":  # that session was killed: no end was recorded
            old["status"] = "killed"
    session: dict[str, Any] = {"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "status": "running"}
    session["stale_trials_redone"] = len(stale)
    manifest["sessions"] = [*manifest.get("sessions", []), session]
    _write_manifest(folder, manifest)
    wall = time.perf_counter()
    interrupted = False

    def complete() -> int:
        return sum(t.state == TrialState.COMPLETE for t in study.get_trials(deepcopy=False))

    try:
        from tqdm.auto import tqdm

        with tqdm(
            total=n_trials, initial=min(complete(), n_trials), desc="trials", disable=not progress
        ) as bar:
            while complete() < n_trials:
                k = min(batch, n_trials - complete())
                asked = [study.ask(dists) for _ in range(k)]
                tasks = [
                    task
                    for tr in asked
                    for task in _tasks(scenarios, tr.params, f"t{tr.number:05d}", seeds)
                ]
                outcomes = run_tasks(
                    tasks, workers=workers, scheduler=scheduler, progress=False, description="runs"
                )
                rows: dict[str, list[dict[str, Any]]] = {}
                for o in outcomes:
                    rows.setdefault(dict(o.row)["label"], []).append(o.row)
                for tr in asked:
                    r = rows.get(f"t{tr.number:05d}", [])
                    figs = _figures(cal, r, "calibration")
                    loss, fits = _loss(cal, figs)
                    for name, vals in figs.items():
                        tr.set_user_attr(name, float(vals.mean()) if vals.size else None)
                    tr.set_user_attr("fits", bool(fits))
                    if math.isfinite(loss):
                        study.tell(tr, loss)
                    else:
                        errors = {x.get("error") for x in r if x.get("status") != "ok"}
                        tr.set_user_attr("error", "; ".join(sorted(map(str, errors)))[:500])
                        study.tell(tr, state=TrialState.FAIL)
                bar.n = min(complete(), n_trials)
                bar.refresh()
    except KeyboardInterrupt:
        interrupted = True
    session.update(
        finished=time.strftime("%Y-%m-%dT%H:%M:%S"),
        wall_seconds=round(time.perf_counter() - wall, 3),
        status="interrupted" if interrupted else "complete",
        workers=workers if scheduler is None else None,
        scheduler=str(scheduler) if scheduler is not None else None,
    )
    _write_manifest(folder, manifest)
    trials_df = _trials_table(study, cal)
    atomic_write_bytes(folder / "trials.csv", trials_df.to_csv(index=False).encode())
    done = trials_df[trials_df["state"] == "COMPLETE"]
    if interrupted or done.empty:
        manifest["status"] = "interrupted" if interrupted else "failed"
        _write_manifest(folder, manifest)
        return CalibrationResult(folder, pd.DataFrame(), trials_df, {}, math.nan, 0, interrupted)
    best = study.best_trial
    fit = _check(cal, best.params, workers, scheduler)
    atomic_write_bytes(folder / "fit.csv", fit.to_csv(index=False).encode())
    fitting = done[done["fits"].astype(bool)]
    notes = []
    keys = [p.key for p in cal.parameters]
    if fitting.empty:
        notes.append(
            "no trial fits every calibration target within tolerance: no posterior.csv written "
            "(widen the ranges, add trials, or question the targets)"
        )
        with contextlib.suppress(FileNotFoundError):
            os.remove(folder / "posterior.csv")
    else:
        post = fitting[keys]
        atomic_write_bytes(folder / "posterior.csv", post.to_csv(index=False).encode())
    fitted_text = _fitted_toml(cal, folder, best.params, best.value, len(done))
    atomic_write_bytes(folder / "fitted.toml", fitted_text.encode())
    missed = fit[(fit["set"] == "validation") & (fit["verdict"] != "fits")]
    if not missed.empty:
        notes.append(f"{len(missed)} validation target(s) missed: " + ", ".join(missed["target"]))
    manifest.update(
        status="complete",
        best={"trial": best.number, "loss": best.value, "params": best.params},
        finished=time.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    _write_manifest(folder, manifest)
    return CalibrationResult(
        folder, fit, trials_df, dict(best.params), float(best.value), len(fitting), False, notes
    )


def _trials_table(study: Any, cal: Calibration) -> pd.DataFrame:
    rows = []
    for t in study.get_trials(deepcopy=False):
        rows.append(
            {
                "trial": t.number,
                "state": t.state.name,
                "loss": t.value,
                **{p.key: t.params.get(p.key) for p in cal.parameters},
                **{k: v for k, v in t.user_attrs.items()},
            }
        )
    df = pd.DataFrame(rows)
    if "fits" not in df:
        df["fits"] = False
    df["fits"] = df["fits"].fillna(False).astype(bool)
    return df


def _check(cal: Calibration, values: dict[str, Any], workers: int, scheduler: Any) -> pd.DataFrame:
    """Every target at the fitted values, on fresh seeds (out of sample for the noise too)."""
    seeds = [cal.seed + 10_000 + i for i in range(cal.check_seeds)]
    scenarios = _loaded(cal, cal.scenario_files())
    outcomes = run_tasks(
        _tasks(scenarios, values, "check", seeds),
        workers=workers,
        scheduler=scheduler,
        progress=False,
    )
    figs = _figures(cal, [o.row for o in outcomes], None)
    rows = []
    for t in cal.targets:
        vals = figs.get(t.name, np.array([]))
        mean, lo, hi = mean_ci(vals) if vals.size else (math.nan,) * 3
        err = mean - t.observed
        within = bool(np.isfinite(err) and abs(err) <= t.tolerance)
        rows.append(
            {
                "target": t.name,
                "set": t.set,
                "figure": t.describe(),
                "observed": t.observed,
                "tolerance": t.tolerance,
                "model": mean,
                "ci_low": lo,
                "ci_high": hi,
                "n": int(vals.size),
                "error": err,
                "within": within,
                "verdict": "fits" if within else "misses",
                "source": t.source,
            }
        )
    return pd.DataFrame(rows)


def _toml_number(v: Any) -> str:
    return str(int(v)) if isinstance(v, int | np.integer) else repr(float(v))


def _fitted_toml(
    cal: Calibration, folder: Path, values: dict[str, Any], loss: float, n: int
) -> str:
    """A scenario file extending the calibrated one with the fitted values."""
    rel = os.path.relpath(cal.scenario, folder.resolve())
    lines = [
        f"# Fitted by `simulation calibrate {cal.file.name}` ({time.strftime('%Y-%m-%d')}): the best",
        f"# of {n} trials (loss {loss:.4g}; see fit.csv, trials.csv and manifest.json here).",
        f"# Run settings of the calibration: {cal.overrides or 'those of the scenario'}.",
        '# A scenario uses these values by extending this file: extends = "<path to this file>".',
        f"extends = {json.dumps(rel)}",
        f"description = {json.dumps('Calibrated ' + cal.scenario.stem + ' (' + cal.name + ')')}",
    ]
    tables: dict[str, list[tuple[str, Any]]] = {}
    for key, v in values.items():
        table, _, name = key.rpartition(".")
        tables.setdefault(table, []).append((name, v))
    sources = {k: s for k, _d, _doc, s in param_table(Scenario)}
    for table, items in tables.items():
        lines.append("")
        lines.append(f"[{table}]")
        for name, v in items:
            lines.append(f"# fitted; was [{sources.get(table + '.' + name, '')}]")
            lines.append(f"{name} = {_toml_number(v)}")
    return "\n".join(lines) + "\n"

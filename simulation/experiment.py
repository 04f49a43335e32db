"""Running many independent runs: tasks, executors, and studies that can be resumed.

A *run* is one scenario with one seed. Replication r of every scenario in a study uses the
seed `base_seed + r`, so scenarios are compared on common random numbers (paired). A *study*
is a set of runs written to one folder by `simulation.store.StudyStore`.

Executors (all give the same rows for the same tasks, since a run depends only on its task):
* `workers=1`: in this process, one run after the other (easiest to debug, notebook-safe);
* `workers=N>1`: a local process pool (spawned workers, safe from Jupyter);
* `scheduler="tcp://host:port"`: a Dask distributed cluster.

Each finished run is written at once; a run that raises is recorded as failed with its error
and the study goes on; Ctrl-C stops the study and keeps everything finished; `resume=True`
finishes an interrupted study without redoing or duplicating runs.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from simulation.params import ParamError
from simulation.scenario import Scenario, ScenarioError, scenario_files
from simulation.store import StudyStore, run_key

__all__ = [
    "RunTask",
    "StudyExistsError",
    "StudyResult",
    "default_workers",
    "execute",
    "make_tasks",
    "run_tasks",
]


class StudyExistsError(Exception):
    """The output folder already holds a study and `resume` was not asked for."""


@dataclass(frozen=True)
class RunTask:
    """One run: a scenario, its replication index and seed, and labels for its row."""

    scenario: Scenario
    replication: int
    seed: int
    labels: tuple[tuple[str, Any], ...] = ()
    timeseries: bool = True

    @property
    def key(self) -> str:
        return run_key(self.scenario.name, self.replication)


@dataclass
class RunOutcome:
    """What a worker sends back: the run's row and its daily series."""

    key: str
    row: dict[str, Any]
    timeseries: pd.DataFrame | None


def execute(task: RunTask) -> RunOutcome:
    """Run one task to the end; never raises (a failure becomes a row with its error)."""
    from simulation.model import CityModel  # imported here: keeps worker start-up lean

    start = time.perf_counter()
    head: dict[str, Any] = {
        "scenario": task.scenario.name,
        "replication": task.replication,
        "seed": task.seed,
        **dict(task.labels),
    }
    try:
        model = CityModel(task.scenario, rng=task.seed)
        model.run_model()
        row = {**head, "status": "ok", "error": None, **model.metrics()}
        ts = None
        if task.timeseries:
            ts = model.timeseries()
            for i, (k, v) in enumerate(head.items()):
                ts.insert(i, k, v)
    except Exception as exc:  # a run's failure is data, not the end of the study
        row = {**head, "status": "failed", "error": f"{type(exc).__name__}: {exc}"}
        row["traceback"] = traceback.format_exc(limit=8)
        ts = None
    row["seconds"] = time.perf_counter() - start
    return RunOutcome(task.key, row, ts)


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def make_tasks(
    scenarios: Sequence[Scenario],
    replications: int,
    base_seed: int,
    *,
    first_replication: int = 0,
    labels: Sequence[tuple[tuple[str, Any], ...]] | None = None,
    timeseries: bool = True,
) -> list[RunTask]:
    """Replications [first, first + replications) of each scenario, on common seeds."""
    tasks = []
    for i, s in enumerate(scenarios):
        lab = labels[i] if labels is not None else ()
        for r in range(first_replication, first_replication + replications):
            tasks.append(RunTask(s, r, base_seed + r, lab, timeseries))
    return tasks


def _iter_local(tasks: list[RunTask], workers: int) -> Iterator[RunOutcome]:
    if workers <= 1:
        for t in tasks:
            yield execute(t)
        return
    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
    try:
        pending: set[Future] = set()
        queue = list(reversed(tasks))
        # Keep a bounded number of tasks in flight so an interrupt leaves few half-done.
        while queue or pending:
            while queue and len(pending) < 2 * workers:
                pending.add(pool.submit(execute, queue.pop()))
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                yield fut.result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _iter_dask(tasks: list[RunTask], scheduler: str) -> Iterator[RunOutcome]:
    from distributed import Client, as_completed

    with Client(scheduler, timeout="30s") as client:
        futures = client.map(execute, tasks, pure=False)
        try:
            for fut in as_completed(futures):
                yield fut.result()
        finally:
            client.cancel(futures)


def run_tasks(
    tasks: list[RunTask],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    on_result: Callable[[RunOutcome], None] | None = None,
    progress: bool = True,
    description: str = "runs",
) -> list[RunOutcome]:
    """Run tasks on the chosen executor, handing each outcome to `on_result` as it arrives."""
    it = _iter_dask(tasks, scheduler) if scheduler else _iter_local(tasks, workers)
    out = []
    with tqdm(
        total=len(tasks), desc=description, unit="run", disable=not progress, dynamic_ncols=True
    ) as bar:
        for outcome in it:
            if on_result is not None:
                on_result(outcome)
            out.append(outcome)
            bar.update(1)
            if outcome.row.get("status") == "failed":
                bar.write(f"run {outcome.key} failed: {outcome.row.get('error')}")
    return out


@dataclass
class StudyResult:
    """A finished (or interrupted) study: its folder, runs and daily series."""

    folder: Path
    runs: pd.DataFrame
    timeseries: pd.DataFrame
    manifest: dict[str, Any]
    interrupted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _scenario_record(s: Scenario, source: str | Path | None) -> dict[str, Any]:
    rec: dict[str, Any] = {"name": s.name, "digest": s.digest(), "modes": s.enabled_modes()}
    if source is not None:
        files = []
        try:
            for f in scenario_files(source):
                files.append({"path": str(f), "sha256": hashlib.sha256(f.read_bytes()).hexdigest()})
        except ScenarioError:
            pass
        rec["files"] = files
    rec["parameters"] = s.to_dict()
    return rec


def run_study(
    scenarios: Sequence[Scenario],
    out: str | Path,
    *,
    replications: int,
    base_seed: int,
    sources: Sequence[str | Path | None] | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = True,
    kind: str = "run",
    labels: Sequence[tuple[tuple[str, Any], ...]] | None = None,
    extra_manifest: dict[str, Any] | None = None,
    timeseries: bool = True,
    extra_tasks: list[RunTask] | None = None,
) -> StudyResult:
    """Run (or resume) a study and return its consolidated results.

    Raises StudyExistsError when `out` holds a study and `resume` is false, and ScenarioError
    when resuming a study whose scenarios have changed.
    """
    store = StudyStore(out)
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise ScenarioError(
            None,
            [ParamError("name", f"scenario names must be unique in a study; repeated: {dupes}")],
        )
    tasks = make_tasks(scenarios, replications, base_seed, labels=labels, timeseries=timeseries)
    tasks += extra_tasks or []
    records = {
        s.name: _scenario_record(s, sources[i] if sources else None)
        for i, s in enumerate(scenarios)
    }
    if store.exists():
        if not resume:
            raise StudyExistsError(
                f"{store.folder} already holds a study; add --resume to finish it, or choose another --out"
            )
        manifest = store.load()
        old = {n: r["digest"] for n, r in manifest.get("scenarios", {}).items()}
        changed = [n for n, r in records.items() if n in old and old[n] != r["digest"]]
        if changed:
            raise ScenarioError(
                store.manifest_path,
                [
                    ParamError(
                        "scenarios",
                        f"changed since the study started: {', '.join(changed)}; use a new --out",
                    )
                ],
            )
        manifest.setdefault("scenarios", {}).update(records)
        manifest["scenario_order"] = list(
            dict.fromkeys([*manifest.get("scenario_order", []), *names])
        )
        manifest["resumed"] = [*manifest.get("resumed", []), time.strftime("%Y-%m-%dT%H:%M:%S")]
    else:
        store.start(
            {
                "kind": kind,
                "scenario_order": names,
                "base_seed": base_seed,
                "replications": replications,
                "seeds": sorted({t.seed for t in tasks}),
                "scenarios": records,
                **(extra_manifest or {}),
            }
        )
    done = store.finished_keys()
    todo = [t for t in tasks if t.key not in done]
    store.set_status([t.key for t in todo], "pending")
    store.write_manifest()
    interrupted = False
    last_write = [time.monotonic()]

    def on_result(outcome: RunOutcome) -> None:
        store.record(outcome.key, outcome.row, outcome.timeseries)
        if time.monotonic() - last_write[0] > 2.0:
            store.write_manifest()
            last_write[0] = time.monotonic()

    try:
        run_tasks(
            todo,
            workers=workers,
            scheduler=scheduler,
            on_result=on_result,
            progress=progress,
            description=f"{kind} ({len(done)} already done)" if done else kind,
        )
    except KeyboardInterrupt:
        interrupted = True
        finished = store.finished_keys()
        store.set_status([t.key for t in todo if t.key not in finished], "interrupted")
    runs, ts = store.consolidate()
    store.finish("interrupted" if interrupted else "complete")
    return StudyResult(store.folder, runs, ts, store.manifest, interrupted)

"""Runs and executors: one run as a task, and three ways to run many of them.

A *run* is one scenario with one seed (`RunTask`); `execute` runs it and never raises an
`Exception` (a failure becomes a failed row with its error and traceback). `run_tasks` runs
many on one of three executors, which all give the same rows for the same tasks:
* `workers=1`: in this process, one run after the other (easiest to debug, notebook-safe);
* `workers=N>1`: a local process pool (spawned workers that do not re-run the caller's
  script; a run that kills its worker is found and recorded as failed);
* `scheduler="tcp://host:port"` (or a `distributed.Client`/cluster object): a Dask cluster.

Studies — folders of runs that can be resumed — are built on these in `simulation.study.runner`.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import multiprocessing.context
import multiprocessing.spawn as mp_spawn
import os
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from simulation.scenario import Scenario
from simulation.study.store import (
    StudyError,
    run_key,
)


@dataclass(frozen=True)
class RunTask:
    """One run: a scenario, its replication index and seed, and labels for its row.

    `labels` are extra (column, value) pairs put at the front of the run's row and series,
    e.g. a sweep's design point and parameter values, so results need no join.
    """

    scenario: Scenario
    replication: int
    seed: int
    labels: tuple[tuple[str, Any], ...] = ()
    timeseries: bool = True

    @property
    def key(self) -> str:
        """The run's identity in its study (scenario name and replication)."""
        return run_key(self.scenario.name, self.replication)


@dataclass
class RunOutcome:
    """What a worker sends back: the run's row, its daily series and, with the series, one row
    per community (needs met in the closed cohort: the map of who is left behind)."""

    key: str
    row: dict[str, Any]
    timeseries: pd.DataFrame | None
    communities: pd.DataFrame | None = None


RunFunction = Callable[[RunTask], RunOutcome]


def _head(task: RunTask) -> dict[str, Any]:
    return {
        "scenario": task.scenario.name,
        "replication": task.replication,
        "seed": task.seed,
        **dict(task.labels),
    }


def failed_outcome(
    task: RunTask, error: str, tb: str | None = None, seconds: float = 0.0
) -> RunOutcome:
    """The row of a run that did not produce results (recorded, never raised)."""
    row = {**_head(task), "status": "failed", "error": error, "traceback": tb, "seconds": seconds}
    return RunOutcome(task.key, row, None)


def execute(task: RunTask) -> RunOutcome:
    """Run one task to the end; never raises an Exception (a failure becomes a row with its error).

    KeyboardInterrupt and SystemExit still propagate, so Ctrl-C stops an in-process study.
    """
    from simulation.metrics import community_metrics
    from simulation.model import CityModel  # imported here: keeps worker start-up lean

    start, cpu = time.perf_counter(), time.process_time()
    head = _head(task)
    model = None
    try:
        model = CityModel(task.scenario, rng=task.seed)
        model.run_model()
        row = {**head, "status": "ok", "error": None, **model.metrics()}
        ts = cm = None
        if task.timeseries:
            ts = model.timeseries()
            cm = pd.DataFrame(community_metrics(model))
            for i, (k, v) in enumerate(head.items()):
                ts.insert(i, k, v)
                cm.insert(i, k, v)
    except Exception as exc:  # a run's failure is data, not the end of the study
        out = failed_outcome(task, f"{type(exc).__name__}: {exc}", traceback.format_exc(limit=8))
        row, ts, cm = out.row, None, None
    row["seconds"] = time.perf_counter() - start
    # CPU time too: on a shared machine wall time measures the neighbours as much as the run.
    row["cpu_seconds"] = time.process_time() - cpu
    # The model is a web of reference cycles (agents and model point at each other), so its
    # arrays go only at a cyclic collection; without one a worker running full-city years one
    # after another held up to three models (0.92 GB at its peak instead of 0.3 GB).
    model = None
    gc.collect()
    return RunOutcome(task.key, row, ts, cm)


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


# ---------------------------------------------------------------------- executors
def _iter_serial(tasks: Sequence[RunTask], fn: RunFunction) -> Iterator[RunOutcome]:
    for t in tasks:
        try:
            yield fn(t)
        except Exception as exc:  # only a custom `fn` can get here; `execute` never raises
            yield failed_outcome(t, f"{type(exc).__name__}: {exc}", traceback.format_exc(limit=8))


def _worker_init() -> None:
    """Pool workers ignore Ctrl-C: the parent decides, records what finished, and stops them.

    Without this, Ctrl-C in a terminal reaches every worker of the process group, each prints
    a traceback, and idle workers die mid-protocol.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: cancel queued runs and terminate the workers (runs in flight are lost,
    and redone by a resume)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
    if terminate is not None:  # pragma: no cover - depends on the Python version
        with contextlib.suppress(Exception):
            terminate()
        return
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        with contextlib.suppress(Exception):
            p.terminate()
    for p in procs:
        with contextlib.suppress(Exception):
            p.join(timeout=5)


class _LibraryWorkerProcess(multiprocessing.context.SpawnProcess):
    """A spawned worker that does not re-run the caller's main script.

    A spawned worker normally imports the parent's `__main__` file first, so that functions
    defined there can be unpickled. A study's workers run `execute` (or another importable
    function), which needs nothing from the caller's script; re-running a script that calls
    `api.compare(...)` at top level, without an `if __name__ == "__main__":` guard, would start
    the study again inside every worker and kill it. So the preparation data sent to these
    workers leaves the main script out; nothing else about spawning changes.
    """

    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        original = mp_spawn.get_preparation_data

        def without_main(name: str) -> dict[str, Any]:
            data = original(name)
            data.pop("init_main_from_path", None)
            data.pop("init_main_from_name", None)
            return data

        # The swap lasts while this one process is launched (Popen writes its preparation
        # data synchronously); the guard keeps two launches in this process from interleaving.
        with _LAUNCH_GUARD:
            mp_spawn.get_preparation_data = without_main
            try:
                return multiprocessing.context.SpawnProcess._Popen(process_obj)
            finally:
                mp_spawn.get_preparation_data = original


class _LibraryWorkerContext(multiprocessing.context.SpawnContext):
    Process = _LibraryWorkerProcess


_LAUNCH_GUARD = threading.Lock()


def _pool_context(fn: RunFunction) -> multiprocessing.context.BaseContext:
    """Spawned workers; they skip the caller's main script unless `fn` is defined in it."""
    if getattr(fn, "__module__", None) == "__main__":
        return multiprocessing.get_context("spawn")
    return _LibraryWorkerContext()


_DIED = (
    "the worker process died while running this run (killed, out of memory, or a crash in "
    "native code); the other runs went on"
)


def _iter_pool(tasks: Sequence[RunTask], workers: int, fn: RunFunction) -> Iterator[RunOutcome]:
    """Run tasks on a spawned process pool, yielding outcomes as they finish.

    At most 2 x workers runs are in flight, so an interrupt leaves few half-done. When a worker
    dies, every run in flight is lost with it and nobody knows which one killed it: those runs
    are re-run one at a time on a fresh pool (so each one's fate is its own), then the study
    goes on as before.
    """
    ctx = _pool_context(fn)
    queue: deque[RunTask] = deque(tasks)
    suspects: deque[RunTask] = deque()
    pending: dict[Future, RunTask] = {}
    pool: ProcessPoolExecutor | None = None
    clean = False
    breaks = 0  # pools broken in a row without a single run coming back
    try:
        while queue or suspects or pending:
            if breaks > 3:
                raise StudyError(
                    "the process pool broke 4 times in a row without finishing a run (workers "
                    "cannot start?); try --workers 1 (workers=1) to see the error. Finished "
                    "runs are kept: --resume continues"
                )
            if pool is None:
                size = max(1, min(workers, len(queue) + len(suspects)))
                pool = ProcessPoolExecutor(size, mp_context=ctx, initializer=_worker_init)
            broken = False
            # Suspects go alone; otherwise keep the pool busy with a bounded backlog.
            source, limit = (suspects, 1) if suspects else (queue, 2 * workers)
            while source and len(pending) < limit:
                t = source.popleft()
                try:
                    pending[pool.submit(fn, t)] = t
                except BrokenProcessPool:
                    source.appendleft(t)
                    broken = True
                    break
            if not broken:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    if isinstance(fut.exception(), BrokenProcessPool):
                        broken = True
                        continue
                    task = pending.pop(fut)
                    try:
                        outcome = fut.result()
                    except Exception as exc:  # e.g. a result that could not be pickled
                        outcome = failed_outcome(task, f"{type(exc).__name__}: {exc}")
                    yield outcome
                    breaks = 0
            if broken:
                # A broken pool fails every future it holds; runs that finished first still
                # count, the others were lost with the worker.
                wait(pending)
                lost = []
                for fut, task in list(pending.items()):
                    if fut.exception() is None:
                        yield fut.result()
                    else:
                        lost.append(task)
                pending.clear()
                _stop_pool(pool)
                pool = None
                if len(lost) == 1:  # the only run in flight: it killed its worker
                    yield failed_outcome(lost[0], f"WorkerDied: {_DIED}")
                    breaks = 0
                else:
                    suspects.extend(lost)
                    breaks += 1
        clean = True
    finally:
        if pool is not None:
            if clean:
                pool.shutdown(wait=True)
            else:
                _stop_pool(pool)


def _iter_dask(tasks: Sequence[RunTask], scheduler: Any, fn: RunFunction) -> Iterator[RunOutcome]:
    """Run tasks on a Dask cluster; `scheduler` is an address, a Client or a cluster object."""
    from distributed import Client, as_completed

    own = not isinstance(scheduler, Client)
    client = Client(scheduler, timeout="30s") if own else scheduler
    try:
        futures = client.map(fn, list(tasks), pure=False)
        owner = {f.key: t for f, t in zip(futures, tasks, strict=True)}
        try:
            for fut in as_completed(futures):
                try:
                    outcome = fut.result()
                except Exception as exc:  # KilledWorker: the run killed 3 workers in a row
                    outcome = failed_outcome(owner[fut.key], f"{type(exc).__name__}: {exc}")
                yield outcome
        finally:
            client.cancel(futures)
    finally:
        if own:
            client.close()


def run_tasks(
    tasks: Sequence[RunTask],
    *,
    workers: int = 1,
    scheduler: Any = None,
    on_result: Callable[[RunOutcome], None] | None = None,
    progress: bool = True,
    description: str = "runs",
    fn: RunFunction = execute,
) -> list[RunOutcome]:
    """Run tasks on the chosen executor, handing each outcome to `on_result` as it arrives.

    Returns the outcomes when there is no `on_result`; with one, it returns an empty list and
    keeps nothing, so memory stays flat however long the study. `fn` replaces `execute` (it
    must be importable by name in a worker: a module-level function).
    """
    if scheduler is not None:
        it = _iter_dask(tasks, scheduler, fn)
    elif workers > 1 and len(tasks) > 1:
        it = _iter_pool(tasks, workers, fn)
    else:
        it = _iter_serial(tasks, fn)
    out: list[RunOutcome] = []
    failed = 0
    with (
        contextlib.closing(it),
        tqdm(
            total=len(tasks),
            desc=description,
            unit="run",
            disable=not progress,
            dynamic_ncols=True,
        ) as bar,
    ):
        for outcome in it:
            if on_result is not None:
                on_result(outcome)
            else:
                out.append(outcome)
            bar.update(1)
            if outcome.row.get("status") == "failed":
                failed += 1
                bar.set_postfix(failed=failed, refresh=False)
                bar.write(f"run {outcome.key} failed: {outcome.row.get('error')}")
    return out

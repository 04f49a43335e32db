"""Running many independent runs: tasks, executors, and studies that can be resumed.

A *run* is one scenario with one seed. Replication r of every scenario in a study uses the
seed `base_seed + r`, so scenarios are compared on common random numbers (paired). A *study*
is a set of runs written to one folder by `simulation.study.store.StudyStore`.

Executors (all give the same rows for the same tasks, since a run depends only on its task and
rows are sorted when they are consolidated; only the timing columns `seconds` and
`cpu_seconds` differ):
* `workers=1`: in this process, one run after the other (easiest to debug, notebook-safe);
* `workers=N>1`: a local process pool (spawned workers, safe from Jupyter);
* `scheduler="tcp://host:port"` (or a `distributed.Client`/cluster object): a Dask cluster.
  Its workers must be able to import this package at the same version.

What a study guarantees, and how:
* each finished run is written at once (`StudyStore.record`: parts, then a journal line);
* a run that raises is recorded as failed with its error and traceback, and the study goes
  on (`execute` never raises an `Exception`);
* a run that kills its worker process (out of memory, a crash in native code) is found by
  running the runs that were in flight one at a time on a fresh pool, recorded as failed,
  and the study goes on; on Dask, a run that kills three workers (`KilledWorker`) likewise;
* Ctrl-C or SIGTERM stops the study, stops the workers and keeps everything finished (the
  study's status is then "interrupted"); SIGKILL keeps everything finished too, only the
  consolidated files and the manifest's run statuses are then stale until `resume=True`,
  which finishes the study without redoing or duplicating runs;
* `resume=True` continues only the same study (`study_identity`: kind, base seed, scenario
  names and digests, labels), and says what changed otherwise;
* one process at a time works in a study folder (`study_folder` holds its lock), and nothing
  is written before the folder, the names and the number of runs are checked;
* a study whose runs all fail raises StudyFailedError naming the first cause.
docs/reliability.md states these guarantees for users.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import multiprocessing.context
import multiprocessing.spawn as mp_spawn
import os
import signal
import threading
import time
import traceback
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from simulation.scenario import Scenario, ScenarioError, scenario_files
from simulation.scenario.names import check_output_folder, name_problem
from simulation.scenario.params import ParamError, short_repr
from simulation.study.store import (
    StudyDamagedError,
    StudyError,
    StudyLockedError,
    StudyStore,
    run_key,
)

__all__ = [
    "MAX_RUNS",
    "RunOutcome",
    "RunTask",
    "StudyDamagedError",
    "StudyError",
    "StudyExistsError",
    "StudyFailedError",
    "StudyLockedError",
    "StudyRepairWarning",
    "StudyResult",
    "default_workers",
    "execute",
    "failed_outcome",
    "make_tasks",
    "run_study",
    "run_tasks",
    "study_folder",
    "study_identity",
]


class StudyExistsError(StudyError):
    """The output folder already holds a study (or other files) and `resume` was not asked for."""


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


# ---------------------------------------------------------------------- studies
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


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """While a study runs, SIGTERM (a batch system's stop, `kill PID`) is handled like Ctrl-C,
    so finished runs are consolidated and the manifest says "interrupted"."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _probe(address: str) -> None:
    """Fail fast on a refused tcp address (a Dask client would retry until its timeout)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "") or parts.hostname is None or parts.port is None:
        return  # tls://, inproc:// ...: let the client judge
    with socket.create_connection((parts.hostname, parts.port), timeout=10):
        pass


def _connect(scheduler: Any) -> Any:
    """A Dask client for an address, checked before anything is written (a usage error)."""
    if scheduler is None or not isinstance(scheduler, str):
        return scheduler
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - dask is a dependency
        raise ScenarioError(
            None,
            [
                ParamError(
                    "--scheduler",
                    "needs the 'distributed' package: pip install 'dask[distributed]'",
                )
            ],
        ) from None
    try:
        _probe(scheduler)
        return Client(scheduler, timeout="30s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ScenarioError(
            None,
            [ParamError("--scheduler", f"cannot reach a Dask scheduler at {scheduler!r}: {exc}")],
        ) from None


#: Most runs one study may hold (a guard against a typo such as --replications 1000000000,
#: which would otherwise exhaust memory before the first run).
MAX_RUNS = 1_000_000


def _check_names(scenarios: Sequence[Scenario]) -> None:
    """Every scenario name is a valid path component and unique in the study (also ignoring
    case: on macOS and Windows two names differing in case would share their files)."""
    problems = []
    for s in scenarios:
        problem = name_problem(s.name)
        if problem is not None:
            problems.append(ParamError("name", f"scenario {short_repr(s.name)}: {problem}"))
    names = [s.name for s in scenarios]
    folded = [n.casefold() for n in names if isinstance(n, str)]
    if len(set(folded)) != len(folded):
        dupes = sorted({n for n in names if folded.count(n.casefold()) > 1})
        problems.append(
            ParamError(
                "name",
                f"scenario names must be unique in a study (ignoring case); repeated: {dupes}",
            )
        )
    if problems:
        raise ScenarioError(None, problems)


@contextlib.contextmanager
def study_folder(folder: str | Path, wait: bool = False) -> Iterator[StudyStore]:
    """Check `folder` as a place to write a study, then hold its lock while the body runs.

    The check comes before anything is written (ScenarioError naming --out); folders created
    for the study are removed again when the body fails before writing anything into them.
    Re-entrant: `api.compare` holds it around its resumed studies and its tables.
    """
    folder = Path(folder)
    problem = check_output_folder(folder)
    if problem is not None:
        raise ScenarioError(folder, [ParamError("--out", problem)])
    created = []
    missing = folder.absolute()
    while not missing.exists():
        created.append(missing)
        missing = missing.parent
    store = StudyStore(folder)
    try:
        with store.locked(wait=wait):
            yield store
    except BaseException:
        for path in created:  # innermost first; only folders left empty
            with contextlib.suppress(OSError):
                path.rmdir()
        raise


def study_identity(
    kind: str,
    base_seed: int,
    records: dict[str, dict[str, Any]],
    tasks: Sequence[RunTask],
    timeseries: bool,
) -> dict[str, Any]:
    """What decides a study's runs: its kind, base seed, scenario names and parameter digests,
    the labels of its runs and whether they keep daily series — and a SHA-256 of all that.

    Replications are not part of it: a study grows by more replications (`--precision`,
    resuming with a larger --replications), each a new run on seed + r.
    """
    labels = sorted({(t.scenario.name, json.dumps(t.labels, default=str)) for t in tasks})
    ident: dict[str, Any] = {
        "kind": kind,
        "base_seed": base_seed,
        "scenarios": [[n, r["digest"]] for n, r in records.items()],
        "labels_sha256": hashlib.sha256(json.dumps(labels).encode()).hexdigest(),
        "timeseries": bool(tasks[0].timeseries) if tasks else timeseries,
    }
    text = json.dumps(ident, sort_keys=True, default=str)
    return {**ident, "sha256": hashlib.sha256(text.encode()).hexdigest()}


def _listing(names: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _identity_changes(manifest: dict[str, Any], new: dict[str, Any]) -> list[ParamError]:
    """What differs between the study in the folder and the one asked for (each problem names
    what changed). Manifests written before identities existed are compared on the kind, base
    seed and scenarios they record."""
    old = manifest.get("identity") or {}
    problems = []
    old_kind = old.get("kind", manifest.get("kind"))
    if old_kind is not None and old_kind != new["kind"]:
        problems.append(
            ParamError(
                "--out",
                f"holds a {old_kind} study, not a {new['kind']}: its runs cannot be mixed; "
                "use another --out",
            )
        )
        return problems
    old_seed = old.get("base_seed", manifest.get("base_seed"))
    if old_seed is not None and old_seed != new["base_seed"]:
        problems.append(
            ParamError(
                "--seed",
                f"the study used base seed {old_seed}; resuming with {new['base_seed']} "
                "would mix seeds in one study (omit --seed, or use a new --out)",
            )
        )
    if old.get("scenarios") is not None:
        old_digests = {n: d for n, d in old["scenarios"]}
    else:
        recorded = manifest.get("scenarios")
        recorded = recorded if isinstance(recorded, dict) else {}
        old_digests = {n: r.get("digest") for n, r in recorded.items() if isinstance(r, dict)}
    new_digests = {n: d for n, d in new["scenarios"]}
    removed = [n for n in old_digests if n not in new_digests]
    added = [n for n in new_digests if n not in old_digests]
    changed = [n for n in new_digests if n in old_digests and old_digests[n] != new_digests[n]]
    if removed or added:
        problems.append(
            ParamError(
                "scenarios",
                f"the study holds {_listing(removed) or 'no other scenario'}, this command has "
                f"{_listing(added) or 'no other scenario'} instead (a scenario or sweep name "
                "changed, or scenarios were added or left out); use a new --out",
            )
        )
    if changed:
        problems.append(
            ParamError(
                "scenarios",
                f"changed since the study started: {_listing(changed, 5)}; use a new --out",
            )
        )
    for key, what in (("labels_sha256", "design points"), ("timeseries", "timeseries setting")):
        if not problems and key in old and old[key] != new[key]:
            problems.append(ParamError(key, f"the {what} differ from the study's; use a new --out"))
    return problems


def _rebuild_check(store: StudyStore, tasks: Sequence[RunTask]) -> str | None:
    """Whether the journal can vouch for a rebuilt manifest: every run it holds must be a run
    of this command with the same scenario, replication, seed and labels, and the same
    parameters where the journal records their digest (None when so)."""
    heads = {t.key: _head(t) for t in tasks}
    digests = {t.key: t.scenario.digest() for t in tasks}
    for key, entry in store.journal().items():
        head = heads.get(key)
        if head is None:
            return f"the journal holds run {key}, which this command does not make"
        if entry.get("digest") not in (None, digests[key]):
            return f"run {key} in the journal was made with other parameters of {head['scenario']}"
        row = entry.get("row") if isinstance(entry.get("row"), dict) else {}
        differ = [k for k, v in head.items() if row.get(k) != v]
        if differ:
            return f"run {key} in the journal was made with another {', '.join(differ)}"
    return None


def run_study(
    scenarios: Sequence[Scenario],
    out: str | Path,
    *,
    replications: int,
    base_seed: int,
    sources: Sequence[str | Path | None] | None = None,
    workers: int = 1,
    scheduler: Any = None,
    resume: bool = False,
    progress: bool = True,
    kind: str = "run",
    labels: Sequence[tuple[tuple[str, Any], ...]] | None = None,
    extra_manifest: dict[str, Any] | None = None,
    timeseries: bool = True,
    extra_tasks: list[RunTask] | None = None,
    scenario_records: Sequence[dict[str, Any]] | None = None,
    fn: RunFunction = execute,
    wait: bool = False,
) -> StudyResult:
    """Run (or resume) a study and return its consolidated results.

    `scenario_records` replaces the manifest's per-scenario records (each needs "name" and
    "digest"); a sweep uses it to record each design point's overrides rather than hundreds of
    full parameter sets. Before anything is written this raises ScenarioError for invalid or
    repeated scenario names, an unusable `out`, too many runs, an unreachable Dask scheduler,
    or — when resuming — a study of another identity (kind, seeds, scenarios; the message says
    what changed); StudyExistsError when `out` holds a study (or other files) and `resume` is
    false; StudyLockedError when another process works in `out` (unless `wait`);
    StudyDamagedError when its manifest is damaged and the journal cannot vouch for a rebuilt
    one. When every run fails it raises StudyFailedError (the study is on disk).
    """
    _check_names(scenarios)
    cap = 4 * default_workers()
    if scheduler is None and workers > cap:
        raise ScenarioError(
            "<command line>",
            [
                ParamError(
                    "--workers",
                    f"{workers:,} local worker processes for {default_workers()} core(s); at most "
                    f"{cap} (more only slow the runs down; for more machines use --scheduler)",
                )
            ],
        )
    n_runs = len(scenarios) * replications + len(extra_tasks or [])
    if n_runs > MAX_RUNS:
        raise ScenarioError(
            None,
            [
                ParamError(
                    "replications",
                    f"{len(scenarios)} scenario(s) x {replications:,} replications = "
                    f"{n_runs:,} runs; a study holds at most {MAX_RUNS:,}",
                )
            ],
        )
    names = [s.name for s in scenarios]
    tasks = make_tasks(scenarios, replications, base_seed, labels=labels, timeseries=timeseries)
    tasks += extra_tasks or []
    if scenario_records is not None:
        records = {r["name"]: r for r in scenario_records}
    else:
        records = {
            s.name: _scenario_record(s, sources[i] if sources else None)
            for i, s in enumerate(scenarios)
        }
    identity = study_identity(kind, base_seed, records, tasks, timeseries)
    with study_folder(out, wait=wait) as store:
        return _run_locked(
            store,
            tasks,
            names,
            records,
            identity,
            replications=replications,
            base_seed=base_seed,
            workers=workers,
            scheduler=scheduler,
            resume=resume,
            progress=progress,
            kind=kind,
            extra_manifest=extra_manifest,
            fn=fn,
        )


def _run_locked(
    store: StudyStore,
    tasks: list[RunTask],
    names: list[str],
    records: dict[str, dict[str, Any]],
    identity: dict[str, Any],
    *,
    replications: int,
    base_seed: int,
    workers: int,
    scheduler: Any,
    resume: bool,
    progress: bool,
    kind: str,
    extra_manifest: dict[str, Any] | None,
    fn: RunFunction,
) -> StudyResult:
    """run_study's work once the folder is checked and locked."""
    fresh = {
        "kind": kind,
        "identity": identity,
        "scenario_order": names,
        "base_seed": base_seed,
        "replications": replications,
        "seeds": sorted({t.seed for t in tasks}),
        **(extra_manifest or {}),
        "scenarios": records,
    }
    rebuilt = None
    if store.exists():
        if not resume:
            raise StudyExistsError(
                f"{store.folder} already holds a study; add --resume to finish it, or choose another --out"
            )
        try:
            manifest = store.load()
        except StudyDamagedError as exc:
            why = _rebuild_check(store, tasks)
            if why is not None:
                raise StudyDamagedError(
                    f"{exc}. It cannot be rebuilt for this command: {why}"
                ) from None
            manifest = None
            rebuilt = str(exc).split(". The journal", 1)[0]
        if manifest is not None:
            problems = _identity_changes(manifest, identity)
            if problems:
                raise ScenarioError(store.manifest_path, problems)
    elif store.foreign_content():
        shown = ", ".join(store.foreign_content()[:5])
        raise StudyExistsError(
            f"{store.folder} is not empty and holds no study ({shown}); choose another --out"
        )
    client = _connect(scheduler)
    try:
        if rebuilt is not None:
            store.rebuild(fresh, reason=rebuilt)
            warnings.warn(
                f"{rebuilt}; rebuilt it from the journal ({len(store.journal())} finished runs, "
                "each checked against this command's scenario, parameters, replication, seed "
                "and labels)",
                StudyRepairWarning,
                stacklevel=2,
            )
        elif store.exists():
            manifest = store.manifest
            manifest.setdefault("scenarios", {}).update(records)
            manifest["identity"] = identity
            manifest["scenario_order"] = list(
                dict.fromkeys([*manifest.get("scenario_order", []), *names])
            )
            manifest["seeds"] = sorted({*manifest.get("seeds", []), *(t.seed for t in tasks)})
            manifest["replications"] = max(int(manifest.get("replications", 0)), replications)
            if extra_manifest:
                manifest.update(extra_manifest)
            manifest["resumed"] = [*manifest.get("resumed", []), time.strftime("%Y-%m-%dT%H:%M:%S")]
        else:
            store.start(fresh)
        result = _run_session(store, tasks, workers, client, scheduler, progress, kind, fn)
    finally:
        if client is not None and client is not scheduler:
            client.close()
    _raise_if_all_failed(result)
    return result


class StudyFailedError(StudyError):
    """Every run of a study failed; `study` holds what is on disk, the message the first cause."""

    def __init__(self, message: str, study: StudyResult) -> None:
        super().__init__(message)
        self.study = study


def _raise_if_all_failed(result: StudyResult) -> None:
    runs = result.runs
    if result.interrupted or runs.empty or "status" not in runs or (runs["status"] == "ok").any():
        return
    first = runs.iloc[0]
    error = str(first.get("error") or "unknown error")
    hint = ""
    if error.startswith("WorkerDied"):
        hint = (
            '; if this is a script started without an `if __name__ == "__main__":` guard '
            "around its study, add one, or pass workers=1 (--workers 1) to see the error"
        )
    raise StudyFailedError(
        f"all {len(runs)} run(s) of the study in {result.folder} failed; the first, "
        f"{first['scenario']} replication {first['replication']}: {error}{hint} "
        "(every error is in the error column of runs.parquet)",
        result,
    )


class StudyRepairWarning(UserWarning):
    """A damaged study folder was repaired (e.g. its manifest rebuilt from the journal)."""


def _run_session(
    store: StudyStore,
    tasks: list[RunTask],
    workers: int,
    client: Any,
    scheduler: Any,
    progress: bool,
    kind: str,
    fn: RunFunction,
) -> StudyResult:
    """Run the tasks not yet finished, recording each at once; consolidate at the end."""
    done = store.finished_keys()
    todo = [t for t in tasks if t.key not in done]
    store.set_status([t.key for t in todo], "pending")
    executor = "dask" if client is not None else ("pool" if workers > 1 else "in-process")
    session: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "executor": executor,
        "workers": workers if client is None else None,
        "scheduler": str(scheduler) if client is not None else None,
        "runs_to_do": len(todo),
        "already_done": len(done),
    }
    store.write_manifest()
    interrupted = False
    last_write = [time.monotonic()]
    counts = {"ok": 0, "failed": 0, "run_seconds": 0.0, "cpu_seconds": 0.0}

    digests = {t.key: t.scenario.digest() for t in todo}

    def on_result(outcome: RunOutcome) -> None:
        store.record(
            outcome.key,
            outcome.row,
            outcome.timeseries,
            digests.get(outcome.key),
            communities=outcome.communities,
        )
        status = outcome.row.get("status", "ok")
        counts["ok" if status == "ok" else "failed"] += 1
        counts["run_seconds"] += float(outcome.row.get("seconds") or 0.0)
        counts["cpu_seconds"] += float(outcome.row.get("cpu_seconds") or 0.0)
        if time.monotonic() - last_write[0] > 2.0:
            store.write_manifest()
            last_write[0] = time.monotonic()

    wall = time.perf_counter()
    try:
        with _sigterm_as_interrupt():
            run_tasks(
                todo,
                workers=workers,
                scheduler=client,
                on_result=on_result,
                progress=progress,
                description=f"{kind} ({len(done)} already done)" if done else kind,
                fn=fn,
            )
    except KeyboardInterrupt:
        interrupted = True
        finished = store.finished_keys()
        store.set_status([t.key for t in todo if t.key not in finished], "interrupted")
        store.sync_statuses()
    wall = time.perf_counter() - wall
    n = counts["ok"] + counts["failed"]
    session.update(
        finished=time.strftime("%Y-%m-%dT%H:%M:%S"),
        status="interrupted" if interrupted else "complete",
        runs=n,
        ok=counts["ok"],
        failed=counts["failed"],
        wall_seconds=round(wall, 3),
        mean_run_seconds=round(counts["run_seconds"] / n, 4) if n else None,
        mean_run_cpu_seconds=round(counts["cpu_seconds"] / n, 4) if n else None,
        wall_seconds_per_run=round(wall / n, 4) if n else None,
    )
    store.manifest["sessions"] = [*store.manifest.get("sessions", []), session]
    runs, ts = store.consolidate()
    store.finish("interrupted" if interrupted else "complete")
    return StudyResult(store.folder, runs, ts, store.manifest, interrupted)

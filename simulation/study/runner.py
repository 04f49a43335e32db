"""Studies: many runs written to one folder, checked, locked, resumable.

A *run* is one scenario with one seed. Replication r of every scenario in a study uses the
seed `base_seed + r`, so scenarios are compared on common random numbers (paired). A *study*
is a set of runs written to one folder by `simulation.study.store.StudyStore`.

Runs are executed by `simulation.study.executors` (in process, a local pool or Dask; all
give the same rows for the same tasks).

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
import signal
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.scenario import Scenario, ScenarioError, scenario_files
from simulation.scenario.names import check_output_folder, name_problem
from simulation.scenario.params import ParamError, short_repr
from simulation.study.executors import (
    RunFunction,
    RunOutcome,
    RunTask,
    _head,
    default_workers,
    execute,
    failed_outcome,
    make_tasks,
    run_tasks,
)
from simulation.study.store import (
    StudyDamagedError,
    StudyError,
    StudyLockedError,
    StudyStore,
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

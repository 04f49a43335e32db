"""The study runner and its store: executors agree, failures are data, interruptions lose
nothing finished, and `--resume` finishes a study without redoing or duplicating runs.

One small study is the reference throughout: a grid sweep of the smart platform's coverage
(3 design points x 4 replications = 12 runs of the small city, daily series kept), run in this
process. The process pool, a Dask cluster, a study killed with SIGKILL and resumed, and a
study stopped with Ctrl-C or SIGTERM and resumed must all give the same rows (timing columns
aside). The fault tests inject a real exception inside the model's day (or kill the worker
process) through `run_tasks`' `fn` hook, which spawned workers import from this module.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE, ROOT, SMALL

from simulation import api
from simulation.cli import main
from simulation.scenario import ScenarioError
from simulation.study.runner import (
    RunOutcome,
    RunTask,
    StudyExistsError,
    execute,
    make_tasks,
    run_study,
    run_tasks,
)
from simulation.study.store import StudyFormatError, StudyStore, atomic_write_bytes, run_key
from simulation.study.sweep import run_sweep

TIMING = ["seconds", "cpu_seconds"]
SWEEP = f"""\
base = "{BASELINE.as_posix()}"
sampler = "grid"
replications = 4
seed = 101
timeseries = true
outputs = ["service_coverage", "needs_met_rate"]

[run]
scale = {SMALL["scale"]}
days = {SMALL["days"]}

[fixed]
"modes.smart_platform.enabled" = true

[parameters."modes.smart_platform.coverage"]
values = [0.0, 0.5, 1.0]
"""
N_RUNS = 12


def strip(df: pd.DataFrame) -> pd.DataFrame:
    """Rows without the timing columns (the only ones that may differ between executors)."""
    return df.drop(columns=[c for c in TIMING if c in df]).reset_index(drop=True)


def ok_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The ok rows without the failure columns. Compare them with check_dtype=False: next to a
    failed row (which has no metrics) integer columns hold NaN and become floats."""
    ok = df[df["status"] == "ok"]
    assert ok["error"].isna().all()
    return ok.drop(columns=[c for c in ("error", "traceback") if c in ok])


def assert_same_rows(a: pd.DataFrame, b: pd.DataFrame, check_dtype: bool = True) -> None:
    pd.testing.assert_frame_equal(strip(a), strip(b), check_exact=True, check_dtype=check_dtype)


def _subprocess_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory) -> Path:
    path = Path(os.path.realpath(tmp_path_factory.mktemp("sweepfile"))) / "sweep_cov.toml"
    path.write_text(SWEEP, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(sweep_file, tmp_path_factory):
    """The uninterrupted study, run in this process."""
    out = Path(os.path.realpath(tmp_path_factory.mktemp("ref"))) / "study"
    result = run_sweep(sweep_file, out=out, workers=1, progress=False)
    assert len(result.study.runs) == N_RUNS
    assert (result.study.runs["status"] == "ok").all()
    return result.study


# The signal tests need a study still running when the signal arrives, whatever the machine's
# load: longer, more numerous runs than the fast sweep above (a starved test process must not
# find the study already finished). Three runs are journaled first, then the signal.
SLOW_DAYS = 240
SLOW_SWEEP = SWEEP.replace("replications = 4", "replications = 8").replace(
    f"days = {SMALL['days']}", f"days = {SLOW_DAYS}"
)
N_SLOW = 24


@pytest.fixture(scope="module")
def slow_sweep_file(tmp_path_factory) -> Path:
    path = Path(os.path.realpath(tmp_path_factory.mktemp("slowsweep"))) / "sweep_slow.toml"
    path.write_text(SLOW_SWEEP, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def slow_reference(slow_sweep_file, tmp_path_factory):
    out = Path(os.path.realpath(tmp_path_factory.mktemp("slowref"))) / "study"
    result = run_sweep(slow_sweep_file, out=out, workers=2, progress=False)
    assert len(result.study.runs) == N_SLOW
    return result.study


# ---------------------------------------------------------------------------- executors agree
def test_reference_rows_are_in_a_stable_order(reference) -> None:
    runs = reference.runs
    assert list(runs["design_point"]) == [1] * 4 + [2] * 4 + [3] * 4
    assert list(runs["replication"]) == [0, 1, 2, 3] * 3
    assert list(runs["seed"]) == [101, 102, 103, 104] * 3
    assert runs["problems_arisen"].nunique() > 3  # replications differ
    assert len(reference.timeseries) == N_RUNS * SMALL["days"]


def test_process_pool_gives_the_same_rows(sweep_file, reference, workdir) -> None:
    pool = run_sweep(sweep_file, out=workdir / "pool", workers=2, progress=False)
    assert pool.study.manifest["sessions"][-1]["executor"] == "pool"
    assert_same_rows(pool.study.runs, reference.runs)
    pd.testing.assert_frame_equal(pool.study.timeseries, reference.timeseries, check_exact=True)
    on_disk = pd.read_parquet(workdir / "pool" / "runs.parquet")
    assert_same_rows(on_disk, reference.runs)
    assert sorted(pool.study.runs["seconds"]) != sorted(reference.runs["seconds"])  # real runs


@pytest.mark.slow
def test_dask_cluster_gives_the_same_rows(sweep_file, reference, workdir) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        argv = ["sweep", str(sweep_file), "--scheduler", address, "--out", str(workdir / "dask")]
        assert main([*argv, "--no-progress"]) == 0
    runs = pd.read_parquet(workdir / "dask" / "runs.parquet")
    assert_same_rows(runs, reference.runs)
    ts = pd.read_parquet(workdir / "dask" / "timeseries.parquet")
    pd.testing.assert_frame_equal(ts, reference.timeseries, check_exact=True)
    manifest = json.loads((workdir / "dask" / "manifest.json").read_text())
    assert manifest["sessions"][-1]["executor"] == "dask"
    assert manifest["sessions"][-1]["scheduler"] == address


def test_unreachable_scheduler_exits_2_and_writes_nothing(sweep_file, workdir, capsys) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = workdir / "study"
    argv = ["sweep", str(sweep_file), "--scheduler", f"tcp://127.0.0.1:{port}", "--out", str(out)]
    start = time.monotonic()
    assert main(argv) == 2
    assert time.monotonic() - start < 15
    assert "--scheduler: cannot reach a Dask scheduler" in capsys.readouterr().err
    assert not out.exists()


# ---------------------------------------------------------------------------- failures are data
FAULTY = ("smart_platform", 1)  # (scenario, replication) that the hooks below break


def _is_faulty(task: RunTask) -> bool:
    return (task.scenario.name, task.replication) == FAULTY


def execute_with_fault(task: RunTask) -> RunOutcome:
    """`execute`, except that one run's model raises on its sixth day (a real exception in the
    model's step, caught where any model error would be)."""
    if not _is_faulty(task):
        return execute(task)
    from simulation import model

    original = model.CityModel.step

    def step(self) -> None:
        if self.day == 5:
            raise RuntimeError("injected fault on day 5")
        original(self)

    model.CityModel.step = step
    try:
        return execute(task)
    finally:
        model.CityModel.step = original


def execute_or_die(task: RunTask) -> RunOutcome:
    """`execute`, except that one run kills its worker process outright."""
    if _is_faulty(task):
        os._exit(3)
    return execute(task)


@pytest.fixture(scope="module")
def two_scenarios():
    loaded, _ = api.load([BASELINE, ROOT / "scenarios" / "smart_platform.toml"], **SMALL)
    return loaded


@pytest.fixture(scope="module")
def fault_reference(two_scenarios, tmp_path_factory):
    out = tmp_path_factory.mktemp("faultref") / "study"
    return run_study(two_scenarios, out, replications=3, base_seed=7, progress=False).runs


def test_a_run_that_raises_is_recorded_and_the_study_goes_on(
    two_scenarios, fault_reference, workdir
) -> None:
    out = workdir / "study"
    study = run_study(
        two_scenarios, out, replications=3, base_seed=7, progress=False, fn=execute_with_fault
    )
    runs = study.runs
    assert len(runs) == 6
    bad = runs[(runs["scenario"] == "smart_platform") & (runs["replication"] == 1)].iloc[0]
    assert bad["status"] == "failed"
    assert bad["error"] == "RuntimeError: injected fault on day 5"
    assert "injected fault" in bad["traceback"]
    assert "step" in bad["traceback"]
    assert (runs["status"] == "ok").sum() == 5
    assert_same_rows(
        ok_rows(runs), ok_rows(fault_reference.drop(index=bad.name)), check_dtype=False
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    entry = manifest["runs"][run_key("smart_platform", 1)]
    assert entry["status"] == "failed"
    assert "injected fault" in entry["error"]
    assert manifest["sessions"][-1]["failed"] == 1
    journal = [json.loads(x) for x in (out / "journal.jsonl").read_text().splitlines()]
    assert sorted(e["status"] for e in journal) == ["failed"] + ["ok"] * 5
    # a resume does not run the failed run again: it would fail again (same scenario and seed)
    again = run_study(two_scenarios, out, replications=3, base_seed=7, progress=False, resume=True)
    assert again.manifest["sessions"][-1]["runs"] == 0


@pytest.mark.slow  # three pools are spawned one after the other (about 10-20 s)
def test_a_run_that_kills_its_worker_is_recorded_and_the_others_finish(
    two_scenarios, fault_reference, workdir
) -> None:
    study = run_study(
        two_scenarios,
        workdir / "study",
        replications=3,
        base_seed=7,
        workers=2,
        progress=False,
        fn=execute_or_die,
    )
    runs = study.runs
    assert len(runs) == 6
    died = runs[(runs["scenario"] == "smart_platform") & (runs["replication"] == 1)].iloc[0]
    assert died["status"] == "failed"
    assert died["error"].startswith("WorkerDied: the worker process died")
    assert (runs["status"] == "ok").sum() == 5
    assert_same_rows(
        ok_rows(runs), ok_rows(fault_reference.drop(index=died.name)), check_dtype=False
    )


def raises(task: RunTask) -> RunOutcome:
    raise ValueError(f"no result for {task.key}")


def test_a_custom_function_that_raises_becomes_a_failed_row(two_scenarios) -> None:
    tasks = make_tasks(two_scenarios, 1, 0)
    out = run_tasks(tasks, progress=False, fn=raises)
    assert [o.row["status"] for o in out] == ["failed", "failed"]
    assert out[0].row["error"] == "ValueError: no result for baseline/r00000"


# ---------------------------------------------------------------------------- interruptions
def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(sweep_file: Path, out: Path, workers: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "simulation", "sweep", str(sweep_file), "--out", str(out)),
            *("--workers", str(workers), "--no-progress"),
        ],
        cwd=out.parent,
        env=_subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the signal reaches its workers too
        # As in a terminal: SIGINT at its default even when this test itself was started with
        # it ignored (a background job of a non-interactive shell), which the child inherits.
        preexec_fn=_default_sigint,
    )


def _journaled(out: Path) -> int:
    path = out / "journal.jsonl"
    return len(path.read_text().splitlines()) if path.exists() else 0


def _wait_for_runs(proc: subprocess.Popen, out: Path, n: int, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = _journaled(out)
        if done >= n:
            return done
        if proc.poll() is not None:
            pytest.fail(f"the study ended before {n} runs: {proc.stderr.read()}")
        time.sleep(0.02)
    proc.kill()
    pytest.fail(f"fewer than {n} runs journaled after {timeout} s")


def _resume_and_check(
    sweep_file: Path, out: Path, reference, done_before: int, n_runs: int = N_SLOW
) -> None:
    argv = ["sweep", str(sweep_file), "--out", str(out), "--resume", "--workers", "1"]
    assert main([*argv, "--no-progress"]) == 0
    runs = pd.read_parquet(out / "runs.parquet")
    keys = [run_key(s, r) for s, r in zip(runs["scenario"], runs["replication"], strict=True)]
    assert len(keys) == len(set(keys)) == n_runs  # every run exactly once
    assert (runs["status"] == "ok").all()
    assert_same_rows(runs, reference.runs)
    ts = pd.read_parquet(out / "timeseries.parquet")
    pd.testing.assert_frame_equal(ts, reference.timeseries, check_exact=True)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert len(manifest["runs"]) == n_runs
    assert all(r["status"] == "ok" for r in manifest["runs"].values())
    last = manifest["sessions"][-1]
    assert last["already_done"] == done_before  # nothing finished was redone
    assert last["runs"] == n_runs - done_before
    journal = [json.loads(x) for x in (out / "journal.jsonl").read_text().splitlines() if x]
    assert len(journal) == n_runs  # one line per run: none ran twice
    assert not list(out.rglob(".*.tmp"))


@pytest.mark.slow
def test_sigkill_then_resume_redoes_nothing_and_duplicates_nothing(
    slow_sweep_file, slow_reference, workdir
) -> None:
    out = workdir / "study"
    proc = _start(slow_sweep_file, out, workers=2)
    _wait_for_runs(proc, out, 3)
    os.killpg(proc.pid, signal.SIGKILL)  # the parent and its workers, no clean-up at all
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()
    done = _journaled(out)
    assert 3 <= done < N_SLOW, "the study must be killed part-way"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["finished"] is None  # killed: no end stamp
    _resume_and_check(slow_sweep_file, out, slow_reference, done)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "group", "workers"),
    [(signal.SIGINT, True, 2), (signal.SIGTERM, False, 1)],
    ids=["ctrl-c-to-the-process-group-pool", "sigterm-to-the-parent-in-process"],
)
def test_interrupt_keeps_finished_runs_then_resume_finishes(
    slow_sweep_file, slow_reference, workdir, sig, group, workers
) -> None:
    out = workdir / "study"
    proc = _start(slow_sweep_file, out, workers=workers)
    _wait_for_runs(proc, out, 3)
    if group:
        os.killpg(proc.pid, sig)  # what Ctrl-C in a terminal does
    else:
        os.kill(proc.pid, sig)  # what a batch system's stop does
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "interrupted:" in stdout
    assert "--resume" in stdout
    done = _journaled(out)
    assert done < N_SLOW, "the study must be interrupted part-way"
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == done  # everything finished is consolidated
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    statuses = [r["status"] for r in manifest["runs"].values()]
    assert statuses.count("ok") == done
    assert statuses.count("interrupted") == N_SLOW - done
    _resume_and_check(slow_sweep_file, out, slow_reference, done)


# ---------------------------------------------------------------------------- the store
def _tiny_study(out: Path, replications: int = 2, seed: int = 3):
    loaded, _ = api.load(BASELINE, **SMALL)
    return run_study(loaded, out, replications=replications, base_seed=seed, progress=False)


def test_resume_with_another_seed_is_refused(workdir) -> None:
    out = workdir / "study"
    _tiny_study(out, replications=1)
    before = (out / "manifest.json").read_text()
    loaded, _ = api.load(BASELINE, **SMALL)
    with pytest.raises(ScenarioError, match="--seed: the study used base seed 3"):
        run_study(loaded, out, replications=2, base_seed=4, resume=True, progress=False)
    assert (out / "manifest.json").read_text() == before


def test_more_replications_on_resume_adds_only_the_new_runs(workdir) -> None:
    out = workdir / "study"
    first = _tiny_study(out, replications=1)
    loaded, _ = api.load(BASELINE, **SMALL)
    more = run_study(loaded, out, replications=2, base_seed=3, resume=True, progress=False)
    assert more.manifest["sessions"][-1]["runs"] == 1
    assert list(more.runs["replication"]) == [0, 1]
    assert_same_rows(more.runs.iloc[:1], first.runs)


def test_a_folder_of_other_files_is_not_used(workdir) -> None:
    out = workdir / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    loaded, _ = api.load(BASELINE, **SMALL)
    with pytest.raises(StudyExistsError, match="not empty and holds no study"):
        run_study(loaded, out, replications=1, base_seed=1, progress=False)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_torn_journal_line_and_stale_temporaries_are_repaired_on_resume(workdir) -> None:
    out = workdir / "study"
    _tiny_study(out, replications=2)
    store = StudyStore(out)
    # what a crash mid-write could leave: half a journal line, a temporary file, and a series
    # part written just before the kill whose journal line never made it
    with (out / "journal.jsonl").open("a") as fh:
        fh.write('{"key": "baseline/r00002", "sta')
    (out / "parts" / ".ts-x.parquet.123.tmp").write_bytes(b"half")
    orphan = store.part_path(run_key("baseline", 2))
    orphan.write_bytes(store.part_path(run_key("baseline", 0)).read_bytes())
    store.load()
    assert not list(out.rglob(".*.tmp"))
    assert (out / "journal.jsonl").read_bytes().endswith(b"\n")
    assert store.finished_keys() == {run_key("baseline", 0), run_key("baseline", 1)}
    runs, ts = store.consolidate()
    assert list(runs["replication"]) == [0, 1]  # the orphan part is not a finished run
    assert sorted(set(ts["replication"])) == [0, 1]
    loaded, _ = api.load(BASELINE, **SMALL)
    more = run_study(loaded, out, replications=3, base_seed=3, resume=True, progress=False)
    assert list(more.runs["replication"]) == [0, 1, 2]
    assert more.runs.loc[2, "seed"] == 5
    assert set(more.timeseries.loc[more.timeseries["replication"] == 2, "seed"]) == {5}
    assert len(StudyStore(out).journal()) == 3


def test_journal_rows_read_back_exactly(workdir) -> None:
    """runs.parquet comes from the journal's JSON: floats, NaN and integers survive exactly."""
    store = StudyStore(workdir / "s")
    store.start({"scenario_order": ["a"]})
    row = {
        "scenario": "a",
        "replication": 0,
        "status": "ok",
        "error": None,
        "x": 0.1 + 0.2,
        "tiny": 5e-324,
        "nan": float("nan"),
        "n": np.int64(7),
        "f": np.float64(1 / 3),
        "flag": np.bool_(True),
    }
    store.record("a/r00000", row, None)
    runs, _ = StudyStore(workdir / "s").consolidate(["a/r00000"])
    got = runs.iloc[0]
    assert got["x"] == 0.1 + 0.2
    assert got["tiny"] == 5e-324
    assert np.isnan(got["nan"])
    assert got["n"] == 7
    assert runs["n"].dtype == np.int64
    assert got["f"] == 1 / 3
    assert bool(got["flag"]) is True


def test_a_study_of_another_format_is_not_resumed(workdir) -> None:
    out = workdir / "study"
    _tiny_study(out, replications=1)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["format_version"] = 1
    (out / "manifest.json").write_text(json.dumps(manifest))
    loaded, _ = api.load(BASELINE, **SMALL)
    with pytest.raises(StudyFormatError, match="format 1; this version"):
        run_study(loaded, out, replications=2, base_seed=3, resume=True, progress=False)


def test_files_are_written_atomically_with_the_usual_permissions(workdir) -> None:
    target = workdir / "x" / "file.txt"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.txt"]
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask


# ---------------------------------------------------------------------------- progress
def quick(task: RunTask) -> RunOutcome:
    """A run without a model: what the runner itself costs."""
    row = {"scenario": task.scenario.name, "replication": task.replication, "status": "ok"}
    return RunOutcome(task.key, {**row, "seconds": 0.0}, None)


def test_progress_bar_shows_count_and_eta(capsys, two_scenarios) -> None:
    tasks = make_tasks(two_scenarios, 3, 1, timeseries=False)
    out = run_tasks(tasks, progress=True, description="study", fn=quick)
    assert [o.key for o in out] == [t.key for t in tasks]
    err = capsys.readouterr().err
    assert "study" in err
    assert "6/6" in err
    assert "<00:00" in err  # elapsed<remaining: the ETA


def test_runs_are_recorded_as_they_finish(two_scenarios, workdir) -> None:
    """The journal grows run by run (not at the end), so a kill loses only runs in flight."""
    out = workdir / "study"
    seen: list[int] = []

    def watch(task: RunTask) -> RunOutcome:
        seen.append(_journaled(out))
        return quick(task)

    run_study(two_scenarios, out, replications=2, base_seed=1, progress=False, fn=watch)
    assert seen == [0, 1, 2, 3]


def test_a_finished_run_leaves_no_model_behind(monkeypatch) -> None:
    """The model is a web of reference cycles; a worker frees it at once after each run, so a
    worker running full-city years one after another holds one model's memory, not several."""
    import weakref

    import simulation.model
    from simulation.scenario import load_scenario
    from simulation.study.executors import execute, make_tasks

    alive: list[weakref.ref] = []

    class Watched(simulation.model.CityModel):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            alive.append(weakref.ref(self))

    monkeypatch.setattr(simulation.model, "CityModel", Watched)
    (task,) = make_tasks([load_scenario(BASELINE, SMALL)], 1, 7)
    outcome = execute(task)
    assert outcome.row["status"] == "ok"
    assert len(alive) == 1
    assert alive[0]() is None, "the finished model is still in memory"

"""Hostile input, odd paths and concurrent use (issue 13): always a clear error, never a lost
or doubled run.

One test (or one parametrised case) per failure the issue lists. Each asserts the contract:
exit status 2 (or one exception from the API), a message naming the file, key or option, no
traceback, and nothing written — or, for studies, that every run is on disk exactly once.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import BASELINE, ROOT

from simulation import api
from simulation.cli import main
from simulation.scenario import ScenarioError, load_scenario
from simulation.scenario.loading import MAX_EXTENDS_DEPTH, MAX_NESTING
from simulation.study.runner import StudyFailedError, run_study, study_folder
from simulation.study.store import StudyLockedError, StudyStore

SMALL = f"""extends = "{BASELINE.as_posix()}"
name = "small"
[run]
scale = 0.003
days = 70
replications = 2
"""


def small(folder: Path, name: str = "small", file: str | None = None) -> Path:
    path = folder / (file or f"{name}.toml")
    path.write_text(SMALL.replace('name = "small"', f'name = "{name}"'), encoding="utf-8")
    return path


def sweep_file(folder: Path, name: str = "sw") -> Path:
    small(folder, "base")
    path = folder / f"{name}.toml"
    path.write_text(
        f"""name = "{name}"
base = "base.toml"
sampler = "grid"
replications = 1
outputs = ["service_coverage"]
[parameters."modes.smart_platform.coverage"]
range = [0.0, 1.0]
levels = 2
[fixed]
"modes.smart_platform.enabled" = true
""",
        encoding="utf-8",
    )
    return path


def cli(capsys, *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


RUN = ("--workers", "1", "--no-progress")


# ---------------------------------------------------------------------- names used as paths
@pytest.mark.parametrize(
    "name",
    ["../../../x", "a/b", "..", ".hidden", "a\\u0000b", "x" * 300, "", "-x", "a b"],
    ids=["climbs", "slash", "dotdot", "hidden", "nul", "300-chars", "empty", "dash", "space"],
)
def test_a_name_that_is_not_a_safe_path_component_is_refused(
    name, workdir, capsys, monkeypatch
) -> None:
    deep = workdir / "a" / "b" / "c"
    deep.mkdir(parents=True)
    path = deep / "evil.toml"
    path.write_text(SMALL.replace('name = "small"', f'name = "{name}"'), encoding="utf-8")
    monkeypatch.chdir(deep)
    before = listing(workdir)
    code, _, err = cli(capsys, "run", path, *RUN)  # default --out: results/run-<name>-<time>
    assert code == 2
    assert f"{path}: name:" in err
    assert "letters A-Z a-z, digits" in err
    assert listing(workdir) == before
    code, _, err = cli(capsys, "check", path)
    assert code == 2
    assert ": name:" in err


def test_a_file_stem_that_is_not_a_name_needs_a_name(workdir, capsys) -> None:
    path = workdir / "my scenario.toml"
    path.write_text(SMALL.replace('name = "small"\n', ""), encoding="utf-8")
    code, _, err = cli(capsys, "check", path)
    assert code == 2
    assert "name: is not given, and the file's stem cannot be the name" in err


def test_a_sweep_name_leaves_room_for_design_points(workdir, capsys) -> None:
    path = sweep_file(workdir, "s" * 57)
    code, _, err = cli(capsys, "check", path)
    assert code == 2
    assert "name: is 57 characters long; a name is 1 to 56 characters" in err
    assert (workdir / "sw.toml").exists() is False
    ok = sweep_file(workdir, "s" * 56)
    assert cli(capsys, "check", ok)[0] == 0


def test_a_scenario_in_memory_with_a_bad_name_is_refused(workdir) -> None:
    bad = dataclasses.replace(load_scenario(small(workdir)), name="../x")
    with pytest.raises(ScenarioError, match=r"name: scenario '\.\./x': must be 1 to 64"):
        run_study([bad], workdir / "out", replications=1, base_seed=1, progress=False)
    assert not (workdir / "out").exists()


# ---------------------------------------------------------------------- reading files safely
def test_deeply_nested_toml_is_refused(workdir, capsys) -> None:
    path = workdir / "deep.toml"
    path.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    code, _, err = cli(capsys, "check", path)
    assert code == 2
    assert f"nest too deeply (at most {MAX_NESTING})" in err
    path.write_text("[a" + ".b" * 40 + "]\nc = 1\n")
    code, _, err = cli(capsys, "check", path)
    assert code == 2
    assert "nest too deeply" in err


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[run]\nseed = " + "9" * 5000, "unreadable value: an integer with too many digits"),
        ("[run]\nscale = " + "9" * 4000, "run.scale: must be a finite number, got 999"),
        ("[run]\ndays = " + "9" * 4000, "run.days: must be at most"),
    ],
    ids=["5000-digits", "4000-digit-float", "4000-digit-int"],
)
def test_huge_integers_give_short_messages(text, fragment, workdir, capsys) -> None:
    path = workdir / "big.toml"
    path.write_text(text + "\n")
    code, _, err = cli(capsys, "check", path)
    assert code == 2
    assert fragment in err
    assert len(err) < 400


@pytest.mark.parametrize(
    ("target", "fragment"),
    [
        ("a\\u0000b.toml", "the path contains a NUL byte"),
        ("n" * 300 + ".toml", "longer than 255 bytes"),
        ("missing.toml", "file not found"),
        (".", "is a folder, not a scenario file"),
    ],
    ids=["nul", "long", "missing", "folder"],
)
def test_bad_paths_in_extends_and_base_are_refused(target, fragment, workdir, capsys) -> None:
    scen = workdir / "child.toml"
    scen.write_text(f'extends = "{target}"\n')
    code, _, err = cli(capsys, "check", scen)
    assert code == 2
    assert "child.toml: extends:" in err
    assert fragment in err
    sweep = sweep_file(workdir)
    sweep.write_text(sweep.read_text().replace('base = "base.toml"', f'base = "{target}"'))
    code, _, err = cli(capsys, "check", sweep)
    assert code == 2
    assert "sw.toml: base:" in err
    assert fragment in err


def test_a_long_extends_chain_is_cut_with_a_message(workdir, capsys) -> None:
    for i in range(1, 1101):
        (workdir / f"c{i}.toml").write_text(f'extends = "c{i + 1}.toml"\n')
    (workdir / "c1101.toml").write_text("")
    code, _, err = cli(capsys, "check", workdir / "c1.toml")
    assert code == 2
    assert f"the chain of extends is longer than {MAX_EXTENDS_DEPTH} files" in err


def _alarm(signum, frame) -> None:
    raise TimeoutError("blocked on a FIFO")


def test_a_fifo_is_refused_without_blocking(workdir, capsys) -> None:
    fifo = workdir / "fifo.toml"
    os.mkfifo(fifo)
    (workdir / "child.toml").write_text('extends = "fifo.toml"\n')
    sweep = sweep_file(workdir)
    sweep.write_text(sweep.read_text().replace('base = "base.toml"', 'base = "fifo.toml"'))
    # A regression would block in open(): the alarm turns that into a failure.
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(60)
    try:
        code, _, err = cli(capsys, "check", fifo, workdir / "child.toml")
        assert code == 2
        assert f"{fifo}: is not a regular file (a FIFO, socket or device)" in err
        assert "child.toml: extends: 'fifo.toml': is not a regular file" in err
        code, _, err = cli(capsys, "sweep", sweep, "--out", workdir / "o", *RUN)
        assert code == 2
        assert "sw.toml: base: 'fifo.toml': is not a regular file" in err
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert not (workdir / "o").exists()


# ---------------------------------------------------------------------- --out
@pytest.mark.parametrize("case", ["file", "under-file", "dev-null"])
def test_an_out_that_cannot_be_a_folder_is_refused(case, workdir, capsys) -> None:
    scen = small(workdir)
    (workdir / "afile").write_text("mine")
    out = {
        "file": workdir / "afile",
        "under-file": workdir / "afile" / "x",
        "dev-null": "/dev/null",
    }
    before = listing(workdir)
    code, _, err = cli(capsys, "run", scen, "--out", out[case], *RUN)
    assert code == 2
    assert "--out:" in err
    assert ("is a file, not a folder" if case == "under-file" else "is not a folder") in err
    assert listing(workdir) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_an_out_in_a_read_only_folder_is_refused(workdir, capsys) -> None:
    scen = small(workdir)
    ro = workdir / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        code, _, err = cli(capsys, "run", scen, "--out", ro / "x" / "y", *RUN)
    finally:
        ro.chmod(0o755)
    assert code == 2
    assert "--out: cannot be created" in err
    assert "not writable" in err


# ---------------------------------------------------------------------- options and duplicates
@pytest.mark.parametrize("value", ["100001", "1000000000"])
def test_replications_above_the_files_limit_are_refused(value, workdir, capsys) -> None:
    code, _, err = cli(capsys, "run", small(workdir), "--replications", value, *RUN)
    assert code == 2
    assert "run.replications: must be at most 100000" in err
    assert "(set by --replications)" in err
    assert listing(workdir) == ["small.toml"]


def test_a_fork_bomb_of_workers_is_refused(workdir, capsys) -> None:
    code, _, err = cli(capsys, "run", small(workdir), "--out", workdir / "o", "--workers", "100000")
    assert code == 2
    assert "--workers: 100,000 local worker processes" in err
    assert listing(workdir) == ["small.toml"]


def test_max_replications_above_the_limit_is_refused(workdir, capsys) -> None:
    argv = ["compare", small(workdir), "--precision", "0.01", "--max-replications", "200001"]
    code, _, err = cli(capsys, *argv, *RUN)
    assert code == 2
    assert "--max-replications: must be at most 100000" in err


def test_the_same_file_twice_is_refused(workdir, capsys, monkeypatch) -> None:
    small(workdir)
    monkeypatch.chdir(workdir)
    code, _, err = cli(capsys, "compare", "small.toml", workdir / "small.toml", *RUN)
    assert code == 2
    assert f"is given twice (small.toml and {workdir / 'small.toml'} are the same file)" in err
    assert listing(workdir) == ["small.toml"]


def test_two_files_with_one_name_are_refused(workdir, capsys) -> None:
    a = small(workdir, "same", "a.toml")
    b = small(workdir, "SAME", "b.toml")
    code, _, err = cli(capsys, "compare", a, b, *RUN)
    assert code == 2
    assert "are both named 'SAME' (ignoring case)" in err


# ---------------------------------------------------------------------- resume and identity
@pytest.fixture
def small_sweep_study(workdir) -> tuple[Path, Path]:
    path = sweep_file(workdir)
    out = workdir / "study"
    assert main(["sweep", str(path), "--out", str(out), *RUN]) == 0
    return path, out


def _journal_lines(out: Path) -> int:
    return len((out / "journal.jsonl").read_text().splitlines())


def test_a_renamed_sweep_does_not_resume_into_the_old_study(small_sweep_study, capsys) -> None:
    path, out = small_sweep_study
    capsys.readouterr()
    renamed = path.with_name("renamed.toml")
    renamed.write_text(path.read_text().replace('name = "sw"', 'name = "other"'))
    manifest = (out / "manifest.json").read_text()
    code, _, err = cli(capsys, "sweep", renamed, "--out", out, "--resume", *RUN)
    assert code == 2
    assert "scenarios: the study holds sw-p0001, sw-p0002, this command has other-p0001" in err
    assert _journal_lines(out) == 2
    assert (out / "manifest.json").read_text() == manifest


def test_run_resume_into_a_sweep_folder_is_refused(small_sweep_study, capsys) -> None:
    path, out = small_sweep_study
    capsys.readouterr()
    code, _, err = cli(capsys, "run", path.with_name("base.toml"), "--out", out, "--resume", *RUN)
    assert code == 2
    assert "--out: holds a sweep study, not a run" in err
    assert _journal_lines(out) == 2


def test_compare_resume_with_another_scenario_set_is_refused(workdir, capsys) -> None:
    a, b = small(workdir, "a"), small(workdir, "b")
    out = workdir / "study"
    assert main(["run", str(a), "--out", str(out), "--replications", "1", *RUN]) == 0
    capsys.readouterr()
    code, _, err = cli(capsys, "run", b, "--out", out, "--resume", "--replications", "1", *RUN)
    assert code == 2
    assert "the study holds a, this command has b instead" in err
    changed = a.read_text().replace("days = 70", "days = 71")
    a.write_text(changed)
    code, _, err = cli(capsys, "run", a, "--out", out, "--resume", "--replications", "1", *RUN)
    assert code == 2
    assert "changed since the study started: a" in err
    assert _journal_lines(out) == 1


# ---------------------------------------------------------------------- damaged study folders
@pytest.fixture
def finished_run(workdir) -> tuple[Path, Path]:
    scen = small(workdir)
    out = workdir / "study"
    assert main(["run", str(scen), "--out", str(out), *RUN]) == 0
    return scen, out


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (b"", "is empty"),
        (b"[1, 2]", "holds a JSON list, not an object"),
        (b'{"format', "is not valid JSON"),
        (b"\xff\xfe", "is not valid JSON"),
        (None, "is missing"),
    ],
    ids=["empty", "list", "torn", "binary", "missing"],
)
def test_a_damaged_manifest_is_rebuilt_from_the_journal(damage, said, finished_run, capsys) -> None:
    scen, out = finished_run
    before = pd.read_parquet(out / "runs.parquet")
    if damage is None:
        (out / "manifest.json").unlink()
    else:
        (out / "manifest.json").write_bytes(damage)
    capsys.readouterr()
    code, _, err = cli(capsys, "run", scen, "--out", out, "--resume", "--replications", "3", *RUN)
    assert code == 0
    assert said in err
    assert "rebuilt it from the journal (2 finished runs" in err
    manifest = json.loads((out / "manifest.json").read_text())
    assert said in manifest["rebuilt"]["reason"]
    assert manifest["sessions"][-1]["runs"] == 1  # only the new replication
    assert _journal_lines(out) == 3
    after = pd.read_parquet(out / "runs.parquet")
    assert list(after["replication"]) == [0, 1, 2]
    pd.testing.assert_frame_equal(after.iloc[:2][before.columns], before)


def test_a_damaged_manifest_is_not_rebuilt_for_another_command(finished_run, capsys) -> None:
    scen, out = finished_run
    (out / "manifest.json").write_text("")
    capsys.readouterr()
    code, _, err = cli(capsys, "run", scen, "--out", out, "--resume", "--seed", "5", *RUN)
    assert code == 2
    assert "manifest.json is empty" in err
    assert "cannot be rebuilt for this command: run small/r00000" in err
    assert "seed" in err
    assert (out / "manifest.json").read_text() == ""
    scen.write_text(scen.read_text().replace("days = 70", "days = 72"))
    code, _, err = cli(capsys, "run", scen, "--out", out, "--resume", *RUN)
    assert code == 2
    assert "was made with other parameters of small" in err


def test_a_manifest_without_resume_is_still_a_study(finished_run, capsys) -> None:
    scen, out = finished_run
    (out / "manifest.json").unlink()
    capsys.readouterr()
    code, _, err = cli(capsys, "run", scen, "--out", out, *RUN)
    assert code == 2
    assert "already holds a study; add --resume" in err


def test_a_study_of_an_old_format_gives_a_message(finished_run, capsys) -> None:
    scen, out = finished_run
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["format_version"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    capsys.readouterr()
    code, _, err = cli(capsys, "run", scen, "--out", out, "--resume", *RUN)
    assert code == 2
    assert "holds a study of no format version" in err
    assert "format 2 only" in err


def test_a_damaged_series_part_names_the_file_and_the_way_out(finished_run, capsys) -> None:
    scen, out = finished_run
    part = sorted((out / "parts").iterdir())[0]
    part.write_bytes(b"not parquet")
    capsys.readouterr()
    code, _, err = cli(capsys, "run", scen, "--out", out, "--resume", *RUN)
    assert code == 2
    assert f"{part} (a run's daily series) is damaged" in err
    assert "delete it" in err
    part.unlink()
    code, _, err = cli(capsys, "run", scen, "--out", out, "--resume", *RUN)
    assert code == 0
    assert len(StudyStore(out).journal()) == 2  # the run was redone, and is there once
    assert len(pd.read_parquet(out / "runs.parquet")) == 2


def test_garbage_lines_in_the_journal_are_skipped_and_their_runs_redone(
    finished_run, capsys
) -> None:
    scen, out = finished_run
    lines = (out / "journal.jsonl").read_text().splitlines()
    (out / "journal.jsonl").write_text("\n".join(["[1]", "garbage", lines[1], "{}"]) + "\n")
    capsys.readouterr()
    code, _, _ = cli(capsys, "run", scen, "--out", out, "--resume", *RUN)
    assert code == 0
    assert list(pd.read_parquet(out / "runs.parquet")["replication"]) == [0, 1]


# ---------------------------------------------------------------------- every run failed
def test_a_study_whose_runs_all_fail_exits_2_naming_the_cause(workdir, capsys, monkeypatch):
    import simulation.model

    class Broken:
        def __init__(self, *args, **kwargs) -> None:
            raise RuntimeError("the city could not be built")

    monkeypatch.setattr(simulation.model, "CityModel", Broken)
    out = workdir / "study"
    code, _, err = cli(capsys, "run", small(workdir), "--out", out, *RUN)
    assert code == 2
    assert "all 2 run(s) of the study" in err
    assert "small replication 0: RuntimeError: the city could not be built" in err
    with pytest.raises(StudyFailedError, match="the city could not be built") as info:
        api.compare([small(workdir, "x")], out=workdir / "c", workers=1, progress=False)
    assert set(info.value.study.runs["status"]) == {"failed"}


# ---------------------------------------------------------------------- concurrency
def _hold_lock(folder: Path) -> subprocess.Popen:
    """Another process holding the study folder's lock (as a running study does)."""
    code = (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(folder)!r}, os.O_RDONLY)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('locked', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_study_in_use_by_another_process_is_refused(finished_run, capsys) -> None:
    scen, out = finished_run
    holder = _hold_lock(out)
    try:
        capsys.readouterr()
        code, _, err = cli(capsys, "run", scen, "--out", out, "--resume", *RUN)
        assert code == 2
        assert f"{out} is in use by another process" in err
        assert "--wait" in err
    finally:
        holder.kill()
        holder.wait()
    # the lock died with its process: the resume goes through
    code, _, _ = cli(capsys, "run", scen, "--out", out, "--resume", *RUN)
    assert code == 0


def test_the_lock_is_reentrant_in_a_thread_and_refuses_other_threads(workdir) -> None:
    folder = workdir / "study"
    errors: list[BaseException] = []

    def other() -> None:
        try:
            with StudyStore(folder).locked():
                pass
        except StudyLockedError as exc:
            errors.append(exc)

    with study_folder(folder), study_folder(folder):  # the --precision loop nests like this
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert len(errors) == 1
    assert "in use by another process" in str(errors[0])
    with StudyStore(folder).locked():  # released by the outer holder
        pass


def test_folders_made_for_a_study_that_stops_on_a_mistake_are_removed(workdir) -> None:
    folder = workdir / "a" / "b" / "study"
    with pytest.raises(ScenarioError), study_folder(folder):
        raise ScenarioError(None, [])
    assert listing(workdir) == []


def _start(argv: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "simulation", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_runs(out: Path, n: int, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if (out / "journal.jsonl").exists() and _journal_lines(out) >= n:
            return
        time.sleep(0.1)
    raise AssertionError(f"{out}: fewer than {n} runs after {timeout} s")


@pytest.mark.slow
def test_two_processes_on_one_study_never_double_a_run(workdir) -> None:
    """A second process resuming a study in use stops with exit 2; with --wait it waits, then
    finds everything done; a study killed with SIGKILL leaves no lock behind. Every run is in
    the journal exactly once."""
    scen = small(workdir)
    out = workdir / "study"
    argv = ["run", str(scen), "--out", str(out), "--replications", "24", *RUN]
    first = _start(argv)
    _wait_for_runs(out, 1)
    second = subprocess.run(
        [sys.executable, "-m", "simulation", *argv, "--resume"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert first.poll() is None, "the first study ended before the second began: no overlap"
    assert second.returncode == 2
    assert "is in use by another process" in second.stderr
    assert "Traceback" not in second.stderr
    waiting = _start([*argv, "--resume", "--wait"])
    assert first.wait(timeout=300) == 0
    assert waiting.wait(timeout=300) == 0
    assert "finished: 24 run(s) on disk" in waiting.stdout.read()
    keys = [json.loads(line)["key"] for line in (out / "journal.jsonl").read_text().splitlines()]
    assert len(keys) == 24
    assert len(set(keys)) == 24
    manifest = json.loads((out / "manifest.json").read_text())
    assert [s["runs"] for s in manifest["sessions"]] == [24, 0]

    # killed mid-study: its lock goes with it, and the resume adds only the missing runs
    out2 = workdir / "killed"
    killed = _start(["run", str(scen), "--out", str(out2), "--replications", "8", *RUN])
    _wait_for_runs(out2, 2)
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=60)
    done_before = _journal_lines(out2)
    resumed = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulation",
            "run",
            str(scen),
            "--out",
            str(out2),
            "--replications",
            "8",
            "--resume",
            *RUN,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    keys = [json.loads(line)["key"] for line in (out2 / "journal.jsonl").read_text().splitlines()]
    assert len(keys) == 8
    assert len(set(keys)) == 8
    assert json.loads((out2 / "manifest.json").read_text())["sessions"][-1]["runs"] == (
        8 - done_before
    )


# ---------------------------------------------------------------------- the README's example
def _readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## From Python.*?```python\n(.*?)```", text, re.S)
    assert block is not None
    return block.group(1)


@pytest.mark.slow
def test_the_readme_python_example_runs_as_a_plain_script(workdir) -> None:
    """Pasted into a .py file without a `__main__` guard, with the default (all cores)
    workers: the workers must not re-run the script. Smaller numbers keep it quick; the code
    is the README's."""
    code = _readme_example()
    assert "if __name__" not in code
    for old, new in (
        ("scale=0.02", "scale=0.003, days=70"),
        ("replications=10", "replications=2"),
        ('out="results/my-study"', f"out={str(workdir / 'my-study')!r}"),
        ("scale=0.05)", "scale=0.003, days=70)"),
    ):
        assert old in code, old
        code = code.replace(old, new)
    code = code.replace("model.metrics(), model.timeseries()", "print(model.metrics())")
    script = workdir / "example.py"
    script.write_text(code, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Probability of being best" in done.stdout
    assert "WorkerDied" not in done.stdout + done.stderr
    manifest = json.loads((workdir / "my-study" / "manifest.json").read_text())
    assert manifest["sessions"][-1]["executor"] in ("pool", "in-process")
    assert manifest["sessions"][-1]["ok"] == 4


# ---------------------------------------------------------------------- a full disk
def test_a_full_disk_mid_study_gives_a_message_and_resume_finishes(
    workdir, capsys, monkeypatch
) -> None:
    import errno

    import simulation.study.store as store

    write = store._atomic_parquet
    calls = {"n": 0}

    def fills_up(df, path) -> None:
        calls["n"] += 1
        if calls["n"] >= 3:  # the first run's parts are written, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        write(df, path)

    monkeypatch.setattr(store, "_atomic_parquet", fills_up)
    out = workdir / "study"
    code, _, err = cli(capsys, "run", small(workdir), "--out", out, *RUN)
    assert code == 2
    assert "No space left on device" in err
    assert "parts" in err
    assert f"--resume --out {out}" in err
    monkeypatch.setattr(store, "_atomic_parquet", write)
    code, _, err = cli(capsys, "run", small(workdir), "--out", out, "--resume", *RUN)
    assert code == 0, err
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 2
    assert set(runs["status"]) == {"ok"}

"""The command line (design.md §6, a contract): user mistakes and the end-to-end `run`.

A user mistake (bad file, key, value or option) exits with status 2, names the key or option
on stderr, prints no traceback and writes nothing: the `--out` folder must not exist after.
Most cases run `simulation.cli.main` in-process (fast); a few run the real
`python -m simulation` in a subprocess, as a user would.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import BAD_CASES, BASELINE, ROOT, SCENARIOS, SHIPPED, expected_location

from simulation import __version__
from simulation.cli import main
from simulation.metrics import COUNT_COLUMNS, METRICS

STRUCTURE = ("n_streets", "n_communities", "n_agencies", "n_members", "n_residents")


def _subprocess(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "simulation", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# ---------------------------------------------------------------------------- bad scenario files
@pytest.mark.parametrize("case", BAD_CASES, ids=repr)
def test_run_with_bad_file_exits_2_names_key_and_writes_nothing(case, workdir, capsys) -> None:
    path = case.write(workdir)
    out = workdir / "study"
    rc = main(["run", str(path), "--out", str(out), "--workers", "1", "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2
    assert expected_location(case, workdir) in err, err
    for fragment in case.fragments:
        assert fragment in err
    assert "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("case", BAD_CASES[:6], ids=repr)
def test_compare_with_one_bad_file_writes_nothing(case, workdir, capsys) -> None:
    path = case.write(workdir)
    out = workdir / "study"
    rc = main(["compare", str(BASELINE), str(path), "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2
    assert case.key is None or case.key in err
    assert not out.exists()


@pytest.mark.parametrize("case", BAD_CASES, ids=repr)
def test_check_bad_file_exits_2(case, workdir, capsys) -> None:
    path = case.write(workdir)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert expected_location(case, workdir) in err
    assert "Traceback" not in err


def test_check_every_shipped_scenario_exits_0(capsys) -> None:
    assert main(["check", *map(str, SHIPPED)]) == 0
    out = capsys.readouterr().out
    for path in SHIPPED:
        assert f"ok: {path} ({path.stem})" in out


def test_check_reports_good_and_bad_files_together(write_toml, capsys) -> None:
    bad = write_toml("bad.toml", "[run]\ndayz = 1\n", extends_baseline=True)
    assert main(["check", str(BASELINE), str(bad)]) == 2
    captured = capsys.readouterr()
    assert f"ok: {BASELINE}" in captured.out
    assert "run.dayz" in captured.err


def test_subprocess_run_with_misspelt_key(write_toml, workdir) -> None:
    bad = write_toml("bad.toml", "[run]\ndayz = 100\n", extends_baseline=True)
    out = workdir / "study"
    proc = _subprocess("run", str(bad), "--out", str(out), cwd=workdir)
    assert proc.returncode == 2
    assert f"{bad}: run.dayz: unknown key" in proc.stderr
    assert "allowed here: days" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert not out.exists()
    assert list(workdir.iterdir()) == [bad]  # nothing else written (no results/ either)


def test_subprocess_check_every_shipped_scenario(workdir) -> None:
    proc = _subprocess("check", *map(str, SHIPPED), cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("ok: ") == len(SHIPPED)


# ---------------------------------------------------------------------------- option values
@pytest.mark.parametrize(
    ("options", "key", "option"),
    [
        (["--days", "10"], "run.days", "--days"),
        (["--scale", "0.0001"], "run.scale", "--scale"),
    ],
)
def test_option_making_scenario_inconsistent_names_key_and_option(
    options, key, option, workdir, capsys
) -> None:
    out = workdir / "study"
    rc = main(["run", str(BASELINE), *options, "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2
    assert key in err
    assert f"(set by {option})" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["run", str(BASELINE), "--scale", "0"], "--scale"),
        (["run", str(BASELINE), "--scale", "2"], "--scale"),
        (["run", str(BASELINE), "--scale", "much"], "--scale"),
        (["run", str(BASELINE), "--replications", "0"], "--replications"),
        (["run", str(BASELINE), "--replications", "1.5"], "--replications"),
        (["run", str(BASELINE), "--days", "0"], "--days"),
        (["run", str(BASELINE), "--seed", "-1"], "--seed"),
        (["run", str(BASELINE), "--workers", "0"], "--workers"),
        (["compare", str(BASELINE), "--precision", "0"], "--precision"),
        (["frobnicate"], "frobnicate"),
        (["run"], "scenario"),
        ([], "COMMAND"),
    ],
)
def test_bad_option_exits_2_naming_the_option(argv, option, workdir, capsys) -> None:
    out = workdir / "study"
    with pytest.raises(SystemExit) as info:
        main([*argv, "--out", str(out)] if argv[:1] in (["run"], ["compare"]) else argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert option in err
    assert "Traceback" not in err
    assert not out.exists()


def test_error_from_the_file_is_not_attributed_to_an_option(write_toml, workdir, capsys) -> None:
    bad = write_toml("bad.toml", "[run]\ndays = 60\n", extends_baseline=True)
    out = workdir / "study"
    assert main(["run", str(bad), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "run.days" in err
    assert "set by --days" not in err


def test_seed_option_out_of_range_is_rejected(workdir, capsys) -> None:
    out = workdir / "study"
    argv = ["run", str(BASELINE), "--seed", str(2**63), "--scale", "0.003", "--days", "70"]
    argv += ["--replications", "1", "--workers", "1", "--out", str(out), "--no-progress"]
    try:
        rc = main(argv)
    except SystemExit as exc:  # an argparse-level rejection is fine too
        rc = exc.code
    assert rc == 2
    assert "--seed" in capsys.readouterr().err
    assert not out.exists()


def test_unknown_baseline_name_in_compare(workdir, capsys) -> None:
    out = workdir / "study"
    argv = ["compare", str(BASELINE), "--baseline", "nope", "--out", str(out), "--no-progress"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--baseline" in err
    assert "nope" in err
    assert not out.exists()


def test_unknown_metric_in_compare(workdir, capsys) -> None:
    out = workdir / "study"
    argv = ["compare", str(BASELINE), "--metric", "happiness", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--metric" in err
    assert "needs_met_rate" in err  # what is allowed
    assert not out.exists()


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_existing_study_without_resume_exits_2(workdir, capsys) -> None:
    out = workdir / "study"
    argv = ["run", str(BASELINE), "--scale", "0.003", "--days", "70", "--replications", "1"]
    argv += ["--out", str(out), "--workers", "1", "--no-progress"]
    assert main(argv) == 0
    before = (out / "manifest.json").read_text()
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--resume" in err
    assert (out / "manifest.json").read_text() == before


# ---------------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def e2e(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """`simulation run scenarios/baseline.toml --scale 0.02 --days 120 --replications 3`."""
    folder = Path(os.path.realpath(tmp_path_factory.mktemp("e2e")))
    out = folder / "study"
    proc = _subprocess(
        "run",
        str(BASELINE),
        "--scale",
        "0.02",
        "--days",
        "120",
        "--replications",
        "3",
        "--out",
        str(out),
        cwd=folder,
    )
    return out, proc


def test_e2e_run_exits_0_and_writes_the_study(e2e) -> None:
    out, proc = e2e
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    for name in ("manifest.json", "runs.parquet", "timeseries.parquet"):
        assert (out / name).is_file(), name
    # a clear table of results at the end
    assert "baseline" in proc.stdout
    assert "n_residents=" in proc.stdout  # the simulated sample's residents (scale 0.02)
    assert "3 run(s)" in proc.stdout


def test_e2e_runs_parquet(e2e) -> None:
    out, _ = e2e
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 3
    for col in ("scenario", "replication", "seed", *METRICS, *COUNT_COLUMNS, *STRUCTURE):
        assert col in runs.columns, col
    assert list(runs["scenario"]) == ["baseline"] * 3
    assert sorted(runs["replication"]) == [0, 1, 2]
    base = 20180917  # the file's run.seed; replication r uses seed + r
    assert sorted(runs["seed"]) == [base, base + 1, base + 2]
    assert (runs["status"] == "ok").all()
    # scale 0.02: 6 whole communities of 291, about 2 % of the 2.08 million residents
    share = runs["n_residents"] / 2_080_000
    assert share.between(0.01, 0.035).all(), share.tolist()
    assert (runs["n_communities"] == 291).all()
    assert (runs["n_streets"] == 44).all()
    assert (
        runs["problems_arisen"]
        == runs["problems_resolved"] + runs["problems_open"] + runs["problems_expired"]
    ).all()
    for m in ("service_coverage", "resolution_rate", "needs_met_rate", "party_org_coverage"):
        assert runs[m].between(0, 1).all(), m
    assert runs["mean_days_to_resolve"].between(0, 30).all()
    assert runs["problems_arisen"].nunique() == 3  # replications differ


def test_e2e_timeseries_parquet(e2e) -> None:
    out, _ = e2e
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 3 * 120
    assert {"scenario", "replication", "seed", "day", *METRICS, "problems_open"} <= set(ts.columns)
    assert ts.groupby("replication").size().to_dict() == {0: 120, 1: 120, 2: 120}
    assert not ts.duplicated(["replication", "day"]).any()
    for _, days in ts.groupby("replication")["day"]:
        assert sorted(days) == list(range(1, 121))
    assert ts["service_coverage"].dropna().between(0, 1).all()


def test_e2e_manifest(e2e) -> None:
    out, _ = e2e
    manifest = json.loads((out / "manifest.json").read_text())
    env = manifest["environment"]
    assert env["package_version"] == __version__
    for key in ("python", "mesa", "numpy"):
        assert env[key], key
    assert env["python"] == ".".join(map(str, sys.version_info[:3]))
    assert manifest["seeds"] == [20180917, 20180918, 20180919]
    assert manifest["status"] == "complete"
    assert manifest["format_version"] >= 1
    assert manifest["started"]
    assert manifest["finished"]
    runs = manifest["runs"]
    assert len(runs) == 3
    assert all(r["status"] == "ok" for r in runs.values())
    record = manifest["scenarios"]["baseline"]
    files = record["files"]
    assert [Path(f["path"]).name for f in files] == ["baseline.toml"]
    assert files[0]["sha256"] == hashlib.sha256(BASELINE.read_bytes()).hexdigest()
    assert record["parameters"]["run"]["days"] == 120
    assert record["parameters"]["run"]["scale"] == 0.02


def test_run_of_an_extending_file_hashes_every_file(workdir, capsys) -> None:
    out = workdir / "study"
    path = SCENARIOS / "smart_platform.toml"
    argv = ["run", str(path), "--scale", "0.003", "--days", "70", "--replications", "1"]
    assert main([*argv, "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    files = manifest["scenarios"]["smart_platform"]["files"]
    assert [Path(f["path"]).name for f in files] == ["baseline.toml", "smart_platform.toml"]
    for f in files:
        assert f["sha256"] == hashlib.sha256(Path(f["path"]).read_bytes()).hexdigest()
    runs = pd.read_parquet(out / "runs.parquet")
    assert list(runs["scenario"]) == ["smart_platform"]
    assert runs["channel_platform"].iloc[0] > 0  # the mode's channel is in use


def test_compare_refuses_scenarios_with_different_run_settings(tmp_path: Path, capsys) -> None:
    """Paired comparisons need one scale and horizon: otherwise differences are not policy."""
    other = tmp_path / "other.toml"
    other.write_text(
        f'extends = "{(ROOT / "scenarios" / "baseline.toml").as_posix()}"\nname = "other"\n[run]\nscale = 0.01\n',
        encoding="utf-8",
    )
    out = tmp_path / "study"
    code = main(
        [
            "compare",
            str(ROOT / "scenarios" / "baseline.toml"),
            str(other),
            "--out",
            str(out),
            "--days",
            "70",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "run.scale" in err
    assert "must share their run settings" in err
    assert not out.exists()
    # The same files with one --scale for all compare fine.
    code = main(
        [
            "compare",
            str(ROOT / "scenarios" / "baseline.toml"),
            str(other),
            "--out",
            str(out),
            "--days",
            "70",
            "--scale",
            "0.004",
            "--replications",
            "2",
            "--workers",
            "1",
            "--no-progress",
            "--no-charts",
        ]
    )
    assert code == 0

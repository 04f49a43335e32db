"""`simulation calibrate`: the calibration file, the search, its outputs and resuming.

What must hold: a bad calibration file is refused naming the key (exit 2, nothing written);
the loss recorded for each trial is the one its figures give; the fitted scenario loads and
carries the best trial's values; a killed calibration resumes without losing or repeating
finished trials, and redoes the trials that were running; the accepted set feeds
`--uncertainty --posterior`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SCENARIOS

from simulation import api
from simulation.cli import main
from simulation.scenario import load_scenario
from simulation.study import calibration as cal_mod
from simulation.study import uncertainty as unc

SMALL_CAL = f"""
name = "tiny"
scenario = "{SCENARIOS / "baseline.toml"}"
trials = 3
seeds = 1
check_seeds = 2
seed = 5

[run]
scale = 0.003
days = 70

[parameters]
"service.agency_hours_per_member_day" = {{}}
"service.report_hazard" = {{ low = 0.02, high = 0.03 }}

[[targets]]
name = "resolution"
figure = "resolution_rate"
observed = 0.6
tolerance = 0.4
source = "test: a band every trial meets"
set = "calibration"

[[targets]]
name = "coverage"
figure = "service_coverage"
observed = 0.6
tolerance = 0.4
source = "test"
set = "calibration"

[[targets]]
name = "handed on"
figure = "escalation_share"
observed = 0.4
tolerance = 0.1
source = "test: held out"
set = "validation"
"""


def _write(tmp_path: Path, text: str, name: str = "cal.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_shipped_calibration_file_splits_targets_into_both_sets() -> None:
    cal = cal_mod.load_calibration(SCENARIOS / "calibration.toml")
    sets = {t.set for t in cal.targets}
    assert sets == {"calibration", "validation"}
    assert all(t.source for t in cal.targets)
    # calibration.md keeps section H for out-of-sample checks: the search never sees it.
    for t in cal.targets:
        if t.set == "calibration":
            assert "calibration H" not in t.source, t.name
    assert any("calibration H" in t.source for t in cal.targets if t.set == "validation")


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (lambda s: s.replace('name = "tiny"', 'name = "tiny"\ntrails = 3'), "trails"),
        (lambda s: s.replace('"resolution_rate"', '"resolution_rat"'), "targets[1].figure"),
        (lambda s: s.replace('set = "validation"', 'set = "holdout"'), "targets[3].set"),
        (lambda s: s.replace("tolerance = 0.1", "tolerance = 0"), "targets[3].tolerance"),
        (
            lambda s: s.replace('"service.report_hazard"', '"service.report_hazzard"'),
            "parameters.service.report_hazzard",
        ),
        (
            lambda s: s.replace("low = 0.02, high = 0.03", "low = 0.5, high = 1.5"),
            "parameters.service.report_hazard",
        ),
        (lambda s: s.replace('set = "calibration"', 'set = "validation"'), "targets"),
        (lambda s: s.replace("seeds = 1", "seeds = 0"), "seeds"),
    ],
)
def test_bad_calibration_file_exits_2_naming_the_key(tmp_path, capsys, edit, key) -> None:
    path = _write(tmp_path, edit(SMALL_CAL))
    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"{path}: {key}" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_compare_refuses_a_calibration_file(capsys) -> None:
    assert main(["compare", str(SCENARIOS / "calibration.toml")]) == 2
    assert "simulation calibrate" in capsys.readouterr().err


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> tuple[Path, object]:
    tmp = tmp_path_factory.mktemp("cal")
    path = _write(tmp, SMALL_CAL)
    result = api.calibrate(path, out=tmp / "out", workers=1, progress=False)
    return path, result


def test_every_trial_completes_and_its_loss_is_what_its_figures_give(fitted) -> None:
    _, result = fitted
    trials = pd.read_csv(result.folder / "trials.csv")
    assert (trials["state"] == "COMPLETE").sum() == 3
    z_res = (trials["resolution"] - 0.6) / 0.4
    z_cov = (trials["coverage"] - 0.6) / 0.4
    np.testing.assert_allclose(trials["loss"], z_res**2 + z_cov**2, rtol=1e-9)
    assert result.best_loss == pytest.approx(trials["loss"].min())
    assert trials["service.report_hazard"].between(0.02, 0.03).all()
    lo, hi = _plausible("service", "agency_hours_per_member_day")  # the schema's range
    assert trials["service.agency_hours_per_member_day"].between(lo, hi).all()


def test_fit_checks_every_target_on_fresh_seeds(fitted) -> None:
    _, result = fitted
    fit = pd.read_csv(result.folder / "fit.csv")
    assert list(fit["target"]) == ["resolution", "coverage", "handed on"]
    assert list(fit["set"]) == ["calibration", "calibration", "validation"]
    assert (fit["n"] == 2).all()
    within = (fit["model"] - fit["observed"]).abs() <= fit["tolerance"]
    assert (within == fit["within"]).all()
    manifest = json.loads((result.folder / "manifest.json").read_text())
    assert manifest["check_seeds"] == [10_005, 10_006]
    assert not set(manifest["check_seeds"]) & set(manifest["seeds"])
    assert manifest["status"] == "complete"
    assert "optuna" in manifest["environment"]


def test_fitted_scenario_extends_the_calibrated_one_with_the_best_values(fitted) -> None:
    _, result = fitted
    s = load_scenario(result.folder / "fitted.toml")
    best = result.best
    assert s.service.agency_hours_per_member_day == best["service.agency_hours_per_member_day"]
    assert s.service.report_hazard == best["service.report_hazard"]
    base = load_scenario(SCENARIOS / "baseline.toml")
    assert s.trust == base.trust  # everything else is inherited


def test_posterior_feeds_the_uncertainty_draws(fitted) -> None:
    _, result = fitted
    post = unc.load_posterior(result.folder / "posterior.csv")
    assert len(post) == result.n_fitting == 3  # the test's band is met by every trial
    s = load_scenario(SCENARIOS / "baseline.toml", overrides={"scale": 0.003, "days": 70})
    uplan = unc.plan([s], 8, seed=1, posterior=post, posterior_name="p")
    rows = set(map(tuple, post[list(uplan.posterior_keys)].to_numpy()))
    drawn = set(map(tuple, uplan.draws[list(uplan.posterior_keys)].to_numpy()))
    assert drawn <= rows


def test_resume_redoes_trials_left_running_and_keeps_finished_ones(fitted, tmp_path) -> None:
    """What a SIGKILL leaves: finished trials in the database and one still 'running'."""
    import optuna

    path, result = fitted
    folder = tmp_path / "copy"
    folder.mkdir()
    for name in ("optuna.sqlite3", "manifest.json"):
        (folder / name).write_bytes((result.folder / name).read_bytes())
    storage = f"sqlite:///{folder / 'optuna.sqlite3'}"
    study = optuna.load_study(study_name="calibration", storage=storage)
    cal = cal_mod.load_calibration(path)
    hanging = study.ask(cal_mod._distributions(cal))  # a trial whose session was killed
    before = {t.number: t.value for t in study.trials if t.value is not None}
    with pytest.raises(cal_mod.StudyExistsError):
        api.calibrate(path, out=folder, workers=1, progress=False)
    again = api.calibrate(path, trials=4, out=folder, resume=True, workers=1, progress=False)
    trials = pd.read_csv(folder / "trials.csv").set_index("trial")
    assert trials.loc[hanging.number, "state"] == "FAIL"
    done = trials[trials["state"] == "COMPLETE"]
    assert len(done) == 4
    assert {n: trials.loc[n, "loss"] for n in before} == pytest.approx(before)
    redo = done.drop(index=list(before))
    assert len(redo) == 1
    for key, value in hanging.params.items():
        assert redo[key].iloc[0] == pytest.approx(value)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["sessions"][-1]["stale_trials_redone"] == 1
    assert again.folder == folder


def test_resume_of_a_changed_calibration_is_refused(fitted, tmp_path, capsys) -> None:
    _, result = fitted
    changed = _write(tmp_path, SMALL_CAL.replace("observed = 0.4", "observed = 0.5"))
    rc = main(["calibrate", str(changed), "--resume", "--out", str(result.folder)])
    assert rc == 2
    assert "changed since the calibration started" in capsys.readouterr().err


@pytest.mark.slow
def test_sigkill_then_resume_finishes_the_calibration(tmp_path: Path) -> None:
    """A real kill: SIGKILL the command once a trial is in the database, then resume."""
    path = _write(tmp_path, SMALL_CAL.replace("trials = 3", "trials = 4"))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "simulation", "calibrate", str(path), "--out", str(out)]
    cmd += ["--workers", "1", "--no-progress"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env)
    db = out / "optuna.sqlite3"
    deadline = time.monotonic() + 240
    import sqlite3

    def complete() -> int:
        if not db.exists():
            return 0
        with sqlite3.connect(db) as con:
            try:
                return con.execute("select count(*) from trials where state='COMPLETE'").fetchone()[
                    0
                ]
            except sqlite3.OperationalError:
                return 0

    while complete() < 1 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
    assert proc.poll() is None, "finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    first = complete()
    assert 1 <= first < 4
    res = subprocess.run([*cmd, "--resume"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    trials = pd.read_csv(out / "trials.csv")
    assert (trials["state"] == "COMPLETE").sum() == 4
    assert (out / "fitted.toml").exists()
    sessions = json.loads((out / "manifest.json").read_text())["sessions"]
    assert [x["status"] for x in sessions] == ["killed", "complete"]


def _plausible(section: str, name: str) -> tuple[float, float]:
    """A parameter's plausible range as the schema declares it."""
    import dataclasses

    from simulation.scenario import Scenario

    owner = {f.name: f for f in dataclasses.fields(Scenario)}[section].default_factory
    return {f.name: f for f in dataclasses.fields(owner)}[name].metadata["plausible"]

"""Assumption uncertainty: plausible ranges in the schema and `compare --uncertainty N`.

What must hold: a range that contradicts its declaration cannot be declared; draws follow
their distributions; every scenario of a draw gets the same values and seed (paired); levers
that differ between scenarios are not drawn; the intervals, verdicts and probability of best
are what their definitions say; the attribution names no parameter by chance more often than
its 5 % family-wise level allows; the study records its draws and refuses to resume with
others.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE, SHIPPED_SCENARIOS, SMALL

from simulation import api
from simulation.cli import main
from simulation.scenario import Scenario, ScenarioError, load_scenario
from simulation.scenario.params import (
    Uncertain,
    param,
    uncertain_parameters,
    unranged_parameters,
)
from simulation.study import uncertainty as unc


# ------------------------------------------------------------------ declarations
@pytest.mark.parametrize(
    ("default", "kwargs", "message"),
    [
        (0.5, {"lo": 0.0, "hi": 1.0, "plausible": (0.6, 0.9)}, "outside its plausible range"),
        (0.5, {"lo": 0.0, "hi": 1.0, "plausible": (-0.1, 0.9)}, "below the bound"),
        (0.5, {"lo": 0.0, "hi": 1.0, "plausible": (0.1, 1.5)}, "above the bound"),
        (0.5, {"lo": 0.0, "lo_open": True, "plausible": (0.0, 0.9)}, "below the bound"),
        (0.5, {"plausible": (0.9, 0.1)}, "low < high"),
        (0.5, {"plausible": (0.1, 0.9), "distribution": "normal"}, "distribution must be"),
        (0.5, {"plausible": (0.0, 0.9), "distribution": "loguniform"}, "above 0"),
        (5, {"plausible": (2.5, 9)}, "whole-number"),
        (True, {"plausible": (0, 1)}, "only numeric"),
        (0.5, {"distribution": "triangular"}, "needs a plausible range"),
    ],
)
def test_a_contradictory_range_cannot_be_declared(default, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        param(default, "a test parameter", "assumption", **kwargs)


def test_every_declared_range_holds_its_default_and_bounds() -> None:
    """The schema's ranges as shipped (the import-time check, applied to what is there)."""
    found = uncertain_parameters(Scenario)
    assert len(found) >= 60
    for u in found:
        assert u.low <= u.default <= u.high, u.key
        assert "range" in u.source, f"{u.key}: the source should give the range's reason"


def test_no_parameter_outside_modes_lacks_a_range() -> None:
    """Every assumption outside the mode tables carries a range (the lead ranges the modes)."""
    gaps = unranged_parameters(Scenario)
    assert [k for k in gaps if not k.startswith("modes.")] == []


def _u(dist: str, low: float, high: float, default: float, integer: bool = False) -> Uncertain:
    return Uncertain("k", default, low, high, dist, integer, "assumption")


def test_uniform_and_loguniform_draws_follow_their_distributions() -> None:
    u = (np.arange(10_000) + 0.5) / 10_000
    x = _u("uniform", 2.0, 6.0, 3.0).from_unit(u)
    assert x.min() >= 2.0
    assert x.max() <= 6.0
    assert np.median(x) == pytest.approx(4.0, abs=1e-3)
    y = _u("loguniform", 1.0, 100.0, 10.0).from_unit(u)
    assert np.median(y) == pytest.approx(10.0, rel=1e-3)  # the geometric midpoint
    assert np.mean(y < 2.0) == pytest.approx(np.log(2) / np.log(100), abs=1e-3)


def test_triangular_draws_peak_at_the_default() -> None:
    u = (np.arange(20_000) + 0.5) / 20_000
    x = _u("triangular", 0.0, 1.0, 0.2).from_unit(u)
    assert np.mean(x <= 0.2) == pytest.approx(0.2, abs=1e-3)  # F(mode) = (c-a)/(b-a)
    hist, edges = np.histogram(x, bins=10, range=(0, 1))
    assert edges[np.argmax(hist)] in (pytest.approx(0.1), pytest.approx(0.2))  # the bins by 0.2
    assert hist[0] < hist[2] > hist[9]


def test_integer_draws_give_each_whole_number_the_same_chance() -> None:
    u = (np.arange(7_000) + 0.5) / 7_000
    x = _u("uniform", 3, 9, 5, integer=True).from_unit(u)
    counts = np.bincount(x, minlength=10)[3:10]
    assert counts.tolist() == [1000] * 7


# ------------------------------------------------------------------ plans and tasks
def _small(path: Path, **extra) -> Scenario:
    return load_scenario(path, overrides={**SMALL, **extra})


def test_plan_is_deterministic_and_stratified() -> None:
    base = [_small(BASELINE)]
    a = unc.plan(base, 16, seed=7)
    b = unc.plan(base, 16, seed=7)
    c = unc.plan(base, 16, seed=8)
    pd.testing.assert_frame_equal(a.draws, b.draws)
    assert a.digest() == b.digest() != c.digest()
    # Latin hypercube: each sixteenth of a uniform range holds exactly one draw.
    u = next(p for p in a.drawn if p.distribution == "uniform" and not p.integer)
    strata = np.floor((a.draws[u.key] - u.low) / (u.high - u.low) * 16).astype(int)
    assert sorted(strata) == list(range(16))


def test_every_shipped_scenario_is_valid_under_the_draws() -> None:
    """Ranges chosen jointly (shares that must stay below one, coverage rates) never break a
    scenario: the draws of a 64-point design validate for every shipped scenario."""
    scenarios = [_small(p) for p in SHIPPED_SCENARIOS]
    for design, n in (("lhs", 64), ("sobol", 16)):
        uplan = unc.plan(scenarios, n, seed=3, design=design)
        tasks = unc.draw_tasks(scenarios, uplan, base_seed=1)
        assert len(tasks) == n * len(scenarios)


def test_draws_are_paired_across_scenarios() -> None:
    scenarios = [_small(BASELINE), _small(BASELINE.parent / "regional.toml")]
    uplan = unc.plan(scenarios, 4, seed=1)
    tasks = unc.draw_tasks(scenarios, uplan, base_seed=100)
    by_draw: dict[int, list] = {}
    for t in tasks:
        by_draw.setdefault(dict(t.labels)["draw"], []).append(t)
    for d, ts in by_draw.items():
        assert {t.seed for t in ts} == {100 + unc.DRAW_OFFSET + d}
        assert {t.scenario.name for t in ts} == {"baseline", "regional"}
        key = uplan.keys[0]
        vals = {unc._value_of(t.scenario, key) for t in ts}
        assert vals == {uplan.draws.loc[d, key]}
        # Only the policy differs inside a draw.
        a, b = (t.scenario.to_dict() for t in ts)
        for section in ("city", "demand", "service", "trust", "mechanisms"):
            assert a[section] == b[section]


def test_a_lever_that_differs_between_scenarios_is_held() -> None:
    key = "service.agency_hours_per_member_day"
    a = _small(BASELINE)
    b = _small(BASELINE, **{key: 0.3}).replace({"name": "responsive"})
    uplan = unc.plan([a, b], 4, seed=1)
    assert key not in uplan.keys
    assert "differs between the scenarios" in uplan.held[key]
    tasks = unc.draw_tasks([a, b], uplan, base_seed=1)
    held = {t.scenario.name: t.scenario.service.agency_hours_per_member_day for t in tasks}
    assert held == {"baseline": a.service.agency_hours_per_member_day, "responsive": 0.3}


def test_posterior_rows_are_drawn_jointly(tmp_path: Path) -> None:
    post = pd.DataFrame(
        {"service.report_hazard": [0.02, 0.03, 0.035], "trust.initial": [0.4, 0.5, 0.6]}
    )
    path = tmp_path / "posterior.csv"
    post.to_csv(path, index=False)
    table = unc.load_posterior(path)
    uplan = unc.plan([_small(BASELINE)], 30, seed=2, posterior=table, posterior_name=str(path))
    pairs = set(
        zip(uplan.draws["service.report_hazard"], uplan.draws["trust.initial"], strict=True)
    )
    assert pairs <= set(zip(post.iloc[:, 0], post.iloc[:, 1], strict=True))
    assert len(pairs) == 3
    assert "trust.gain_on_resolved" in uplan.keys  # the others still come from their ranges


def test_posterior_with_an_unknown_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "posterior.csv"
    path.write_text("service.report_hazzard\n0.02\n")
    with pytest.raises(ScenarioError, match="report_hazzard"):
        unc.load_posterior(path)


# ------------------------------------------------------------------ analysis
def _synthetic(n: int, effect, seed: int = 0) -> tuple[pd.DataFrame, unc.UncertaintyPlan]:
    """Draw runs of two scenarios whose difference is effect(x1, x2, noise)."""
    gen = np.random.default_rng(seed)
    draws = pd.DataFrame(
        {f"p{j}": gen.random(n) for j in range(20)}, index=pd.RangeIndex(n, name="draw")
    )
    base = 0.5 + 0.05 * gen.standard_normal(n)
    diff = effect(draws["p0"].to_numpy(), draws["p1"].to_numpy(), gen.standard_normal(n))
    rows = []
    for d in range(n):
        for s, v in (("base", base[d]), ("alt", base[d] + diff[d])):
            rows.append(
                {
                    "scenario": s,
                    "replication": unc.DRAW_OFFSET + d,
                    "draw": d,
                    "status": "ok",
                    "needs_met_rate": v,
                    **draws.loc[d].to_dict(),
                }
            )
    uplan = unc.UncertaintyPlan(n, "lhs", 0, (), {}, draws)
    return pd.DataFrame(rows), uplan


def test_intervals_and_a_robust_verdict() -> None:
    runs, uplan = _synthetic(40, lambda x1, x2, e: 0.05 + 0.02 * x1 + 0.001 * e)
    res = unc.analyse(runs, "base", "needs_met_rate", uplan, metrics=["needs_met_rate"])
    row = res.columns.set_index("scenario").loc["alt"]
    alt = runs[runs.scenario == "alt"].sort_values("draw")["needs_met_rate"].to_numpy()
    base = runs[runs.scenario == "base"].sort_values("draw")["needs_met_rate"].to_numpy()
    assert (row.ui_low, row.ui_high) == pytest.approx(tuple(np.quantile(alt, [0.025, 0.975])))
    d = alt - base
    assert (row.diff_ui_low, row.diff_ui_high) == pytest.approx(
        tuple(np.quantile(d, [0.025, 0.975]))
    )
    assert row.verdict == "robust"
    assert row.same_sign == 1.0
    assert res.p_best["alt"] == 1.0


def test_a_difference_whose_sign_follows_a_parameter_depends_on_it() -> None:
    runs, uplan = _synthetic(40, lambda x1, x2, e: (x1 - 0.5) * 0.1 + 0.002 * e)
    res = unc.analyse(runs, "base", "needs_met_rate", uplan, metrics=["needs_met_rate"])
    row = res.columns.set_index("scenario").loc["alt"]
    assert row.verdict.startswith("depends on p0")
    assert row.depends_on.split(";")[0] == "p0"
    assert 0.3 < res.p_best["alt"] < 0.7
    top = res.sensitivity.iloc[0]
    assert top.parameter == "p0"
    assert top.explained > 0.8


def test_attribution_names_no_parameter_by_chance_beyond_its_level() -> None:
    """Pure noise: the family-wise permutation test may name a parameter in about 5 % of
    studies (with 16 draws and 20 parameters the t approximation would do so far more)."""
    named = 0
    trials = 100
    gen = np.random.default_rng(42)
    for seed in range(trials):
        x = pd.DataFrame(gen.random((16, 20)), columns=[f"p{j}" for j in range(20)])
        att = unc._attribution(x, gen.standard_normal(16), seed)
        named += bool((att["p_adjusted"] < 0.05).any())
    # Binomial(100, 0.05): mean 5, P(X > 12) < 0.001.
    assert named <= 12, named


# ------------------------------------------------------------------ end to end
@pytest.fixture(scope="module")
def study(tmp_path_factory) -> api.Comparison:
    out = tmp_path_factory.mktemp("unc") / "study"
    return api.compare(
        [BASELINE, BASELINE.parent / "smart_platform.toml"],
        replications=2,
        uncertainty=4,
        out=out,
        workers=1,
        progress=False,
        charts=False,
        **SMALL,
    )


def test_compare_writes_both_interval_kinds(study: api.Comparison) -> None:
    table = pd.read_csv(study.study.folder / "comparison.csv")
    for col in ("ci_low", "ui_low", "ui_high", "diff_ui_low", "diff_ui_high", "verdict"):
        assert col in table
    assert "depends_on" in table
    alt = table[table.scenario == "smart_platform"]
    # At this tiny scale a sample can lack a weak community, so the equity gap may have no
    # finite draws: no interval and no verdict there; every other metric gets both.
    judged = alt[alt["diff_ui_low"].notna()]
    assert len(judged) >= len(alt) - 1
    assert judged["verdict"].str.match(r"^(robust|depends on .+)$").all()
    assert table.loc[table.scenario == "baseline", "verdict"].isna().all()
    ranking = pd.read_csv(study.study.folder / "ranking.csv")
    assert ranking["p_best_ui"].sum() == pytest.approx(1.0)
    text = study.summary()
    assert "UI (+assumptions)" in text
    assert "CI (noise)" in text


def test_noise_statistics_ignore_the_draws(study: api.Comparison) -> None:
    runs = study.study.runs
    assert (runs["draw"].notna()).sum() == 4 * 2
    noise = runs[runs["draw"].isna()]
    t = study.table.set_index(["scenario", "metric"])
    vals = noise[noise.scenario == "baseline"]["needs_met_rate"]
    assert t.loc[("baseline", "needs_met_rate"), "n"] == 2
    assert t.loc[("baseline", "needs_met_rate"), "mean"] == pytest.approx(vals.mean())


def test_draws_are_in_the_manifest_and_runs(study: api.Comparison) -> None:
    manifest = json.loads((study.study.folder / "manifest.json").read_text())
    rec = manifest["uncertainty"]
    assert rec["n"] == 4
    assert rec["design"] == "lhs"
    runs = study.study.runs
    draws = runs[runs["draw"].notna()]
    for key, values in rec["draws"].items():
        for d, v in enumerate(values):
            got = draws[draws["draw"] == d][key]
            assert (got == v).all(), key


def test_resume_with_other_draws_is_refused(study: api.Comparison, capsys) -> None:
    folder = study.study.folder
    argv = ["compare", str(BASELINE), str(BASELINE.parent / "smart_platform.toml")]
    argv += ["--scale", "0.003", "--days", "70", "--replications", "2", "--workers", "1"]
    argv += ["--resume", "--out", str(folder), "--no-progress", "--no-charts"]
    assert main([*argv, "--uncertainty", "5"]) == 2
    err = capsys.readouterr().err
    assert "--uncertainty" in err
    assert "Traceback" not in err
    assert main(argv) == 2  # started with draws: resuming without them is refused too
    assert main([*argv, "--uncertainty", "4"]) == 0  # the same draws: nothing to redo


def test_posterior_without_uncertainty_exits_2(tmp_path: Path, capsys) -> None:
    out = tmp_path / "s"
    rc = main(["compare", str(BASELINE), "--posterior", "x.csv", "--out", str(out)])
    assert rc == 2
    assert "--posterior" in capsys.readouterr().err
    assert not out.exists()


def test_a_difference_within_noise_is_said_to_depend_on_noise() -> None:
    runs, uplan = _synthetic(40, lambda x1, x2, e: 0.01 * e)
    res = unc.analyse(runs, "base", "needs_met_rate", uplan, metrics=["needs_met_rate"])
    table = pd.DataFrame(
        {
            "scenario": ["base", "alt"],
            "metric": "needs_met_rate",
            "diff": [0.0, 0.001],
            "diff_ci_low": [np.nan, -0.004],
            "diff_ci_high": [np.nan, 0.006],
        }
    )
    merged = unc.merge(table, res).set_index("scenario")
    assert merged.loc["alt", "verdict"].startswith("depends on noise")
    assert merged.loc["base", "verdict"] == ""

"""Tests for simulation.study.statistics: intervals, paired comparisons, Holm, bootstrap, planning."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulation.study import statistics as analysis
from simulation.study.statistics import (
    METRIC_DIRECTIONS,
    PRIMARY_METRICS,
    PairedDiff,
    compare,
    half_width,
    holm,
    indistinguishable,
    mean_ci,
    paired_difference,
    probability_best,
    ranking,
    replications_needed,
    separation_warning,
    summary_table,
)

EXPECTED_COLUMNS = [
    "scenario",
    "metric",
    "n",
    "mean",
    "ci_low",
    "ci_high",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "p_value",
    "p_adjusted",
]


def make_runs(
    effects: dict[str, float],
    n_rep: int = 20,
    seed: int = 1,
    common_sd: float = 1.0,
    noise_sd: float = 0.05,
    metrics: tuple[str, ...] = ("service_coverage", "mean_days_to_resolve"),
) -> pd.DataFrame:
    """Synthetic CRN study: value = base + effect + replication-level luck + small own noise."""
    rng = np.random.default_rng(seed)
    common = {m: rng.normal(0.0, common_sd, n_rep) for m in metrics}
    rows = []
    for scenario, effect in effects.items():
        for r in range(n_rep):
            row = {"scenario": scenario, "replication": r, "seed": 1000 + r, "status": "ok"}
            for m in metrics:
                row[m] = 10.0 + effect + common[m][r] + rng.normal(0.0, noise_sd)
            rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# constants
# ---------------------------------------------------------------------------------------------


def test_metric_constants() -> None:
    assert PRIMARY_METRICS == (
        "service_coverage",
        "resolution_rate",
        "needs_met_rate",
        "mean_days_to_resolve",
        "party_org_coverage",
        "equity_gap",
        "hours_per_resolved",
    )
    assert set(METRIC_DIRECTIONS) == set(PRIMARY_METRICS)
    assert [m for m, d in METRIC_DIRECTIONS.items() if d == -1] == [
        "mean_days_to_resolve",
        "equity_gap",
        "hours_per_resolved",
    ]
    assert all(d in (1, -1) for d in METRIC_DIRECTIONS.values())


# ---------------------------------------------------------------------------------------------
# mean_ci / half_width
# ---------------------------------------------------------------------------------------------


def test_mean_ci_matches_hand_computed_t_interval() -> None:
    # mean 3, s = sqrt(2.5), t_{0.975,4} = 2.776445 -> half-width 1.963243
    mean, lo, hi = mean_ci([1.0, 2.0, 3.0, 4.0, 5.0])
    assert mean == pytest.approx(3.0)
    assert lo == pytest.approx(3.0 - 1.963243, abs=1e-5)
    assert hi == pytest.approx(3.0 + 1.963243, abs=1e-5)
    assert half_width([1.0, 2.0, 3.0, 4.0, 5.0]) == pytest.approx(1.963243, abs=1e-5)


def test_mean_ci_wider_at_higher_confidence() -> None:
    x = [1.0, 2.5, 2.0, 4.0]
    _, lo90, hi90 = mean_ci(x, 0.90)
    _, lo99, hi99 = mean_ci(x, 0.99)
    assert lo99 < lo90 < hi90 < hi99


def test_mean_ci_edge_cases() -> None:
    assert all(math.isnan(v) for v in mean_ci([]))
    assert all(math.isnan(v) for v in mean_ci([np.nan, np.nan]))
    m, lo, hi = mean_ci([4.2, np.nan])
    assert m == 4.2
    assert math.isnan(lo)
    assert math.isnan(hi)
    assert mean_ci([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)
    # NaNs are dropped, not propagated
    assert mean_ci([1.0, 2.0, np.nan, 3.0, 4.0, 5.0]) == pytest.approx(mean_ci([1, 2, 3, 4, 5]))
    assert math.isnan(half_width([1.0]))
    with pytest.raises(ValueError, match="confidence"):
        mean_ci([1.0, 2.0], confidence=1.5)


def test_mean_ci_coverage_is_nominal() -> None:
    rng = np.random.default_rng(20240601)
    true_mean = 3.7
    samples = rng.normal(true_mean, 2.0, size=(2000, 10))
    hits = 0
    for row in samples:
        _, lo, hi = mean_ci(row)
        hits += lo <= true_mean <= hi
    assert 0.93 <= hits / len(samples) <= 0.97


def test_paired_difference_coverage_is_nominal() -> None:
    rng = np.random.default_rng(7)
    true_diff = 0.3
    hits = 0
    n_sim = 1000
    for _ in range(n_sim):
        common = rng.normal(0.0, 5.0, 8)
        a = common + true_diff + rng.normal(0.0, 1.0, 8)
        b = common + rng.normal(0.0, 1.0, 8)
        d = paired_difference(a, b)
        hits += d.ci_low <= true_diff <= d.ci_high
    assert 0.93 <= hits / n_sim <= 0.97


# ---------------------------------------------------------------------------------------------
# paired_difference
# ---------------------------------------------------------------------------------------------


def test_paired_difference_much_narrower_than_unpaired() -> None:
    rng = np.random.default_rng(3)
    common = rng.normal(0.0, 10.0, 30)
    a = 50.0 + 0.5 + common + rng.normal(0.0, 0.2, 30)
    b = 50.0 + common + rng.normal(0.0, 0.2, 30)
    d = paired_difference(a, b)
    unpaired = stats.ttest_ind(a, b).confidence_interval(0.95)
    paired_width = d.ci_high - d.ci_low
    unpaired_width = unpaired.high - unpaired.low
    assert paired_width * 10 < unpaired_width
    assert d.ci_low > 0.0  # paired analysis detects the effect ...
    assert unpaired.low < 0.0 < unpaired.high  # ... which the unpaired one misses
    assert d.p_value < 1e-6


def test_paired_difference_matches_scipy_and_drops_nan_pairs() -> None:
    a = np.array([1.0, 2.0, 3.5, np.nan, 5.0, 4.0])
    b = np.array([0.5, 2.5, 2.0, 1.0, 3.0, np.nan])
    d = paired_difference(a, b)
    ref = stats.ttest_rel([1.0, 2.0, 3.5, 5.0], [0.5, 2.5, 2.0, 3.0])
    ci = ref.confidence_interval(0.95)
    assert isinstance(d, PairedDiff)
    assert d.n == 4
    assert d.diff == pytest.approx(np.mean([0.5, -0.5, 1.5, 2.0]))
    assert d.p_value == pytest.approx(ref.pvalue)
    assert (d.ci_low, d.ci_high) == pytest.approx((ci.low, ci.high))


def test_paired_difference_edge_cases() -> None:
    same = paired_difference([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert same == PairedDiff(3, 0.0, 0.0, 0.0, 1.0)
    constant = paired_difference([2.0, 3.0, 4.0], [1.0, 2.0, 3.0])
    assert (constant.diff, constant.ci_low, constant.ci_high) == (1.0, 1.0, 1.0)
    assert constant.p_value == 0.0
    one = paired_difference([2.0, np.nan], [1.0, 5.0])
    assert one.n == 1
    assert one.diff == 1.0
    assert math.isnan(one.p_value)
    assert math.isnan(one.ci_low)
    with pytest.raises(ValueError, match="equal length"):
        paired_difference([1.0, 2.0], [1.0])
    with pytest.raises(AttributeError):
        same.n = 5  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------
# holm
# ---------------------------------------------------------------------------------------------


def test_holm_hand_worked_example() -> None:
    # sorted: 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> running max 0.06
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])


def test_holm_nan_passes_through_and_is_not_counted() -> None:
    out = holm([0.01, np.nan, 0.04, 0.03, 0.005])
    assert math.isnan(out[1])
    np.testing.assert_allclose(out[[0, 2, 3, 4]], [0.03, 0.06, 0.06, 0.02])
    assert np.isnan(holm([np.nan, np.nan])).all()
    assert holm([]).shape == (0,)


def test_holm_caps_at_one_and_is_monotone() -> None:
    rng = np.random.default_rng(11)
    p = rng.uniform(0.0, 1.0, 25)
    adj = holm(p)
    assert np.all(adj <= 1.0)
    assert np.all(adj >= p)
    order = np.argsort(p)
    assert np.all(np.diff(adj[order]) >= 0)
    np.testing.assert_allclose(holm([0.5, 0.6]), [1.0, 1.0])


# ---------------------------------------------------------------------------------------------
# compare
# ---------------------------------------------------------------------------------------------


def test_compare_columns_order_and_baseline_rows() -> None:
    runs = make_runs({"mode_a": 0.5, "siloed": 0.0, "mode_b": 0.0})
    out = compare(runs, baseline="siloed")
    assert list(out.columns) == EXPECTED_COLUMNS
    # baseline first, then first appearance; metrics default to primary metrics present
    assert list(pd.unique(out["scenario"])) == ["siloed", "mode_a", "mode_b"]
    assert list(pd.unique(out["metric"])) == ["service_coverage", "mean_days_to_resolve"]
    assert len(out) == 6
    base = out[out["scenario"] == "siloed"]
    assert (base["diff"] == 0.0).all()
    assert base[["diff_ci_low", "diff_ci_high", "p_value", "p_adjusted"]].isna().all().all()
    assert (out["n"] == 20).all()
    a = out[(out["scenario"] == "mode_a") & (out["metric"] == "service_coverage")].iloc[0]
    assert a["diff"] == pytest.approx(0.5, abs=0.05)
    assert a["diff_ci_low"] > 0.0
    assert a["p_adjusted"] < 0.05
    assert a["p_adjusted"] >= a["p_value"]


def test_compare_pairs_by_replication_not_row_order() -> None:
    runs = make_runs({"base": 0.0, "alt": 0.3}, n_rep=15, common_sd=3.0)
    ordered = compare(runs, "base", metrics=["service_coverage"])
    shuffled_runs = runs.sample(frac=1.0, random_state=5).reset_index(drop=True)
    # make sure the shuffle actually changed the first appearance of scenarios' rows
    assert not shuffled_runs["replication"].is_monotonic_increasing
    shuffled = compare(shuffled_runs, "base", metrics=["service_coverage"])
    alt_o = ordered.set_index("scenario").loc["alt"]
    alt_s = shuffled.set_index("scenario").loc["alt"]
    for col in ["n", "mean", "ci_low", "ci_high", "diff", "diff_ci_low", "diff_ci_high", "p_value"]:
        assert alt_s[col] == pytest.approx(alt_o[col])
    # the paired interval is much tighter than the scenario's own spread
    assert alt_s["diff_ci_high"] - alt_s["diff_ci_low"] < 0.2 * (alt_s["ci_high"] - alt_s["ci_low"])
    assert alt_s["diff_ci_low"] > 0.0


def test_compare_missing_baseline_and_metric_raise() -> None:
    runs = make_runs({"base": 0.0, "alt": 0.3})
    with pytest.raises(ValueError, match=r"baseline scenario 'nope' not found.*base, alt"):
        compare(runs, "nope")
    with pytest.raises(ValueError, match=r"metric column.*equity_gap"):
        compare(runs, "base", metrics=["service_coverage", "equity_gap"])
    with pytest.raises(ValueError, match="none of the primary metrics"):
        compare(runs[["scenario", "replication", "seed"]], "base")


def test_compare_rejects_duplicate_replications() -> None:
    runs = make_runs({"base": 0.0, "alt": 0.3}, n_rep=5)
    dup = pd.concat([runs, runs.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match="ambiguous"):
        compare(dup, "base")


def test_compare_excludes_failed_runs() -> None:
    runs = make_runs({"base": 0.0, "alt": 0.3}, n_rep=10)
    failed_mask = (runs["scenario"] == "alt") & runs["replication"].isin([2, 7])
    runs.loc[failed_mask, "status"] = "failed"
    runs.loc[failed_mask, "service_coverage"] = 1e6  # garbage that must not leak in
    out = compare(runs, "base", metrics=["service_coverage"]).set_index("scenario")
    assert out.loc["alt", "n"] == 8
    assert out.loc["base", "n"] == 10
    ok_alt = runs[(runs["scenario"] == "alt") & ~failed_mask]
    assert out.loc["alt", "mean"] == pytest.approx(ok_alt["service_coverage"].mean())
    base = runs[runs["scenario"] == "base"].set_index("replication")["service_coverage"]
    alt = ok_alt.set_index("replication")["service_coverage"]
    expected = paired_difference(alt, base.loc[alt.index])
    assert expected.n == 8
    assert out.loc["alt", "diff"] == pytest.approx(expected.diff)
    assert out.loc["alt", "diff_ci_high"] == pytest.approx(expected.ci_high)


def test_compare_without_status_column_and_holm_per_metric() -> None:
    runs = make_runs({"b": 0.0, "x": 0.02, "y": 0.03, "z": 0.0}, n_rep=12).drop(columns="status")
    out = compare(runs, "b")
    for metric, grp in out.groupby("metric"):
        others = grp[grp["scenario"] != "b"]
        np.testing.assert_allclose(
            others["p_adjusted"].to_numpy(), holm(others["p_value"].to_numpy()), err_msg=metric
        )
    assert out.attrs["baseline"] == "b"


# ---------------------------------------------------------------------------------------------
# probability_best / ranking
# ---------------------------------------------------------------------------------------------


def test_probability_best_sums_to_one_and_picks_clear_winner() -> None:
    runs = make_runs({"base": 0.0, "good": 0.5, "meh": 0.1}, n_rep=20)
    p = probability_best(runs, "service_coverage", n_boot=1000, rng=0)
    assert list(p.index) == ["base", "good", "meh"]
    assert p.sum() == pytest.approx(1.0)
    assert p["good"] > 0.95


def test_probability_best_respects_lower_is_better_and_override() -> None:
    runs = make_runs({"base": 0.0, "fast": -0.5, "slow": 0.5}, n_rep=20)
    p = probability_best(runs, "mean_days_to_resolve", n_boot=1000, rng=1)
    assert p["fast"] > 0.95
    flipped = probability_best(
        runs, "mean_days_to_resolve", n_boot=1000, rng=1, higher_is_better=True
    )
    assert flipped["slow"] > 0.95
    with pytest.raises(ValueError, match="higher_is_better"):
        probability_best(runs.assign(custom=1.0), "custom", n_boot=10)


def test_probability_best_splits_ties_and_is_reproducible() -> None:
    runs = make_runs({"a": 0.0, "b": 0.0}, n_rep=10)
    runs.loc[runs["scenario"] == "b", "service_coverage"] = runs.loc[
        runs["scenario"] == "a", "service_coverage"
    ].to_numpy()
    p = probability_best(runs, "service_coverage", n_boot=200, rng=3)
    np.testing.assert_allclose(p.to_numpy(), [0.5, 0.5])
    runs2 = make_runs({"a": 0.0, "b": 0.01, "c": 0.0}, n_rep=10, noise_sd=0.2)
    p1 = probability_best(runs2, "service_coverage", n_boot=300, rng=42)
    p2 = probability_best(runs2, "service_coverage", n_boot=300, rng=np.random.default_rng(42))
    pd.testing.assert_series_equal(p1, p2)


def test_probability_best_uses_only_common_replications() -> None:
    runs = make_runs({"a": 0.0, "b": 0.2}, n_rep=10)
    # replication 9 of "a" failed; an absurd value for "b" there must be ignored
    runs.loc[(runs["scenario"] == "a") & (runs["replication"] == 9), "status"] = "failed"
    runs.loc[(runs["scenario"] == "b") & (runs["replication"] == 9), "service_coverage"] = -1e9
    p = probability_best(runs, "service_coverage", n_boot=500, rng=0)
    assert p["b"] > 0.95


def test_ranking_best_first() -> None:
    runs = make_runs({"base": 0.0, "fast": -0.5, "slow": 0.5}, n_rep=15)
    r = ranking(runs, "mean_days_to_resolve", n_boot=500, rng=0)
    assert list(r.columns) == ["scenario", "mean", "ci_low", "ci_high", "p_best"]
    assert list(r["scenario"]) == ["fast", "base", "slow"]
    assert r["p_best"].iloc[0] > 0.95
    assert (r["ci_low"] <= r["mean"]).all()
    assert (r["mean"] <= r["ci_high"]).all()
    r_cov = ranking(runs, "service_coverage", n_boot=500, rng=0)
    assert list(r_cov["scenario"]) == ["slow", "base", "fast"]


# ---------------------------------------------------------------------------------------------
# indistinguishable / separation_warning
# ---------------------------------------------------------------------------------------------


def test_indistinguishable_and_separation_warning() -> None:
    close = make_runs({"base": 0.0, "mode_a": 0.5, "mode_b": 0.5}, n_rep=10, noise_sd=0.2)
    assert indistinguishable(close, "service_coverage")
    msg = separation_warning(close, "service_coverage", baseline="base")
    assert msg is not None
    assert "service_coverage" in msg
    assert "mode_a" in msg
    assert "mode_b" in msg
    assert "base'" not in msg
    assert msg.endswith(".")
    assert re.search(r"\.\s+[A-Z]", msg) is None  # a single sentence
    assert "95% CI" in msg

    clear = make_runs({"base": 0.0, "mode_a": 0.5, "mode_b": 1.0}, n_rep=10)
    assert not indistinguishable(clear, "service_coverage")
    assert separation_warning(clear, "service_coverage", baseline="base") is None
    # the baseline is not a candidate: if only one mode remains there is nothing to warn about
    assert (
        separation_warning(clear[clear["scenario"] != "mode_b"], "service_coverage", "base") is None
    )
    with pytest.raises(ValueError, match="baseline"):
        separation_warning(clear, "service_coverage", baseline="nope")
    with pytest.raises(ValueError, match="metric"):
        separation_warning(clear, "equity_gap", baseline="base")


def test_indistinguishable_lower_is_better_picks_top_two_correctly() -> None:
    # best two on days (lowest) are fast & faster, which tie; slow is far behind
    runs = make_runs({"slow": 2.0, "fast": -1.0, "faster": -1.0}, n_rep=10, noise_sd=0.2)
    assert indistinguishable(runs, "mean_days_to_resolve")
    msg = separation_warning(runs, "mean_days_to_resolve", baseline="slow")
    assert msg is not None
    assert "fast" in msg
    assert "faster" in msg


# ---------------------------------------------------------------------------------------------
# replications_needed
# ---------------------------------------------------------------------------------------------


def test_replications_needed_hand_computation() -> None:
    pilot = [-1.0, 0.0, 1.0]  # s = 1
    # t_{0.975,16}/sqrt(17) = 2.1199/4.1231 = 0.514 > 0.5; t_{0.975,17}/sqrt(18) = 0.497 <= 0.5
    assert replications_needed(pilot, 0.5) == 18
    expected = next(
        n for n in range(3, 10_000) if stats.t.ppf(0.975, n - 1) * 1.0 / math.sqrt(n) <= 0.1
    )
    assert replications_needed(pilot, 0.1) == expected


def test_replications_needed_monotone_and_edge_cases() -> None:
    pilot = np.random.default_rng(5).normal(0.7, 0.05, 10)
    targets = [0.05, 0.02, 0.01, 0.005, 0.002]
    needed = [replications_needed(pilot, t) for t in targets]
    assert needed == sorted(needed)
    assert needed[-1] > needed[0]
    # already met -> the pilot size
    assert replications_needed(pilot, 1.0) == 10
    assert replications_needed(pilot, half_width(pilot)) == 10
    assert replications_needed([0.3, 0.3, 0.3], 1e-9) == 3
    with pytest.raises(ValueError, match="at least 2"):
        replications_needed([0.3], 0.1)
    with pytest.raises(ValueError, match="at least 2"):
        replications_needed([0.3, np.nan], 0.1)
    with pytest.warns(RuntimeWarning, match="max_n"):
        assert replications_needed(pilot, 1e-6, max_n=50) == 50


# ---------------------------------------------------------------------------------------------
# summary_table
# ---------------------------------------------------------------------------------------------


def test_summary_table_names_and_markers() -> None:
    runs = make_runs(
        {"siloed": 0.0, "alliance": 0.5, "grid_link": 0.0},
        n_rep=12,
        metrics=PRIMARY_METRICS,
    )
    # grid_link = siloed +/- 0.01 alternating: a zero mean paired difference, never significant
    jitter = np.tile([0.01, -0.01], 6)
    for metric in PRIMARY_METRICS:
        siloed = runs.loc[runs["scenario"] == "siloed", metric].to_numpy()
        runs.loc[runs["scenario"] == "grid_link", metric] = siloed + jitter
    comparison = compare(runs, "siloed")
    wide = summary_table(comparison, width=10_000)  # one panel
    lines = wide.splitlines()
    for name in ("siloed", "alliance", "grid_link"):
        assert any(line.startswith(name) for line in lines)
    assert lines[0].split() == [
        "scenario",
        "coverage",
        "resolution",
        "needs_met",
        "days",
        "party_cov",
        "equity_gap",
        "hours/res",
    ]
    delta_lines = [line for line in lines if line.lstrip().startswith("Δ")]
    assert len(delta_lines) == 2  # one per non-baseline scenario, none for the baseline
    alliance_delta, grid_delta = delta_lines
    assert lines[lines.index(alliance_delta) - 1].startswith("alliance")
    assert lines[lines.index(grid_delta) - 1].startswith("grid_link")
    assert alliance_delta.count("*") == len(PRIMARY_METRICS)  # every metric shifted by 0.5
    assert "*" not in grid_delta
    assert re.search(r"Δ \+0\.\d\d \[0\.\d\d, 0\.\d\d\]\*", alliance_delta)


def test_summary_table_fits_terminal_width() -> None:
    runs = make_runs(
        {"siloed_baseline": 0.0, "party_mass_integration": -0.5, "grid_link": 0.0},
        n_rep=12,
        metrics=PRIMARY_METRICS,
    )
    table = summary_table(compare(runs, "siloed_baseline"))
    lines = table.splitlines()
    assert max(len(line) for line in lines) <= 160
    for header in analysis.METRIC_ABBREVIATIONS.values():
        assert header in table
    # every panel repeats the scenario rows: two Δ lines per panel
    n_panels = sum(line.startswith("scenario") for line in lines)
    assert sum(line.lstrip().startswith("Δ") for line in lines) == 2 * n_panels
    narrow = summary_table(compare(runs, "siloed_baseline"), width=60)
    assert sum(line.startswith("scenario") for line in narrow.splitlines()) == len(PRIMARY_METRICS)


def test_summary_table_requires_comparison_columns() -> None:
    with pytest.raises(ValueError, match="missing column"):
        summary_table(pd.DataFrame({"scenario": ["a"], "metric": ["m"]}))


def test_module_docstring_explains_choices() -> None:
    doc = analysis.__doc__ or ""
    for phrase in ("common random numbers", "Holm", "Bootstrap"):
        assert phrase.lower() in doc.lower()


def test_cost_table_says_when_a_scenario_meets_fewer_needs() -> None:
    """No cost per need without a gain; a significant loss is named, not shown as a dash."""
    from simulation.study.costs import cost_table, costs

    rng = np.random.default_rng(0)
    rows = []
    for r in range(6):
        base = 1000 + rng.normal(0, 5)
        for name, met, yuan in (
            ("base", base, 0.0),
            ("worse", base - 50, 9e5),
            ("better", base + 40, 4e4),
        ):
            rows.append(
                {
                    "scenario": name,
                    "replication": r,
                    "status": "ok",
                    "hours_total": 1e4,
                    "cost_yuan": yuan,
                    "needs_met_total": met + rng.normal(0, 1),
                }
            )
    table = costs(pd.DataFrame(rows), "base")
    text = cost_table(table)
    worse = next(line for line in text.splitlines() if line.strip().startswith("worse"))
    better = next(line for line in text.splitlines() if line.strip().startswith("better"))
    assert "fewer met" in worse
    assert "fewer met" not in better
    per_need = table.set_index("scenario").loc["better", "yuan_per_extra_need_met"]
    assert 900 < per_need < 1100  # 40,000 yuan for about 40 extra needs met
    assert f"{per_need:,.0f}" in better

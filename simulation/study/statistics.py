"""Statistical comparison of simulation scenarios for planners.

A study yields one row per run (``scenario``, ``replication``, ``seed``, optional ``status``
and one column per outcome metric).  This module turns that table into the numbers a planner
needs to choose between integration modes, and is deliberately conservative about what it
claims.

Statistical choices
-------------------
* **Student-t intervals for means.**  Each run is one independent observation of a scenario;
  with the handful to a few dozen replications typical of agent-based studies the t interval is
  the honest small-sample choice (a normal interval would be too narrow).
* **Paired t on common random numbers.**  Replication ``r`` of every scenario is run with the
  same seed, so the stochastic "luck" of a replication (who falls ill, which problems arise) is
  shared across scenarios.  Differences are therefore computed within replication and analysed
  with a paired t test / interval.  The shared component cancels, which gives far narrower
  intervals than comparing two independent samples; treating the data as unpaired would throw
  that precision away, and mixing replications up would be simply wrong.  Pairing is always by
  the ``replication`` column, never by row order.
* **Holm for the family of comparisons against the baseline.**  On each metric every scenario
  is tested against the baseline; with several modes, some would look "significant" by chance.
  Holm's step-down procedure controls the family-wise error rate like Bonferroni but is
  uniformly more powerful, and needs no independence assumption (the comparisons share the
  baseline and are correlated).  The family is one metric's set of scenario-vs-baseline tests:
  metrics answer different questions and are reported separately.
* **Bootstrap for the probability of being best.**  "Which scenario is best?" is not a
  pairwise test.  Resampling replication indices (the same resample for every scenario, so the
  common-random-number pairing is kept) and counting how often each scenario has the best mean
  gives a direct, assumption-light answer with ties split equally.
* **Sample-size planning.**  :func:`replications_needed` uses a pilot standard deviation and
  the t quantile to find how many replications reach a target interval half-width, so that
  "we could not tell them apart" can be turned into "run N more replications".

Only runs whose ``status`` is ``"ok"`` are analysed (a missing ``status`` column means all
runs succeeded).  No global random state is used: functions that resample take ``rng``
(a :class:`numpy.random.Generator` or an integer seed).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from simulation.metrics import METRICS

__all__ = [
    "COMPARISON_COLUMNS",
    "METRIC_ABBREVIATIONS",
    "METRIC_DIRECTIONS",
    "PRIMARY_METRICS",
    "PairedDiff",
    "compare",
    "half_width",
    "holm",
    "indistinguishable",
    "mean_ci",
    "name_width",
    "paired_difference",
    "probability_best",
    "ranking",
    "replications_needed",
    "separation_warning",
    "summary_table",
]

#: +1 when a higher value is better, -1 when a lower value is better.
METRIC_DIRECTIONS: dict[str, int] = {
    "service_coverage": 1,
    "resolution_rate": 1,
    "needs_met_rate": 1,
    "party_org_coverage": 1,
    "mean_days_to_resolve": -1,
    "equity_gap": -1,
    "hours_per_resolved": -1,
}

#: The headline metrics, in the order they are reported (the contract of simulation.metrics).
PRIMARY_METRICS: tuple[str, ...] = METRICS

#: Short column headers for :func:`summary_table`.
METRIC_ABBREVIATIONS: dict[str, str] = {
    "service_coverage": "coverage",
    "resolution_rate": "resolution",
    "needs_met_rate": "needs_met",
    "mean_days_to_resolve": "days",
    "party_org_coverage": "party_cov",
    "equity_gap": "equity_gap",
    "hours_per_resolved": "hours/res",
}

COMPARISON_COLUMNS: tuple[str, ...] = (
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
)

_NAN = float("nan")


# --------------------------------------------------------------------------------------------
# Elementary statistics
# --------------------------------------------------------------------------------------------


def _clean(values: npt.ArrayLike) -> np.ndarray:
    """Return a 1-D float array without NaNs (missing metric values are not observations)."""
    arr = np.asarray(values, dtype=float).ravel()
    return arr[~np.isnan(arr)]


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")


def _t_quantile(confidence: float, dof: int | np.ndarray) -> float | np.ndarray:
    """Two-sided Student-t critical value for the given confidence level."""
    return stats.t.ppf(0.5 + confidence / 2.0, dof)


def mean_ci(values: npt.ArrayLike, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of independent replications.

    The t distribution is used because the standard deviation is estimated from the (usually
    few) replications themselves.  NaNs are dropped.  With one value the mean is known but
    its uncertainty is not, so the interval is ``(nan, nan)``; with no values everything is
    NaN.  A zero standard deviation collapses the interval onto the mean.

    Returns:
        ``(mean, ci_low, ci_high)``.
    """
    _check_confidence(confidence)
    x = _clean(values)
    n = x.size
    if n == 0:
        return (_NAN, _NAN, _NAN)
    mean = float(x.mean())
    if n == 1:
        return (mean, _NAN, _NAN)
    sd = float(x.std(ddof=1))
    if sd == 0.0:
        return (mean, mean, mean)
    hw = float(_t_quantile(confidence, n - 1)) * sd / math.sqrt(n)
    return (mean, mean - hw, mean + hw)


def half_width(values: npt.ArrayLike, confidence: float = 0.95) -> float:
    """Half-width of the Student-t interval of the mean (NaN with fewer than two values).

    This is the precision a planner reads off a result ("±0.02"); it is what
    :func:`replications_needed` drives below a target.
    """
    _check_confidence(confidence)
    x = _clean(values)
    n = x.size
    if n < 2:
        return _NAN
    sd = float(x.std(ddof=1))
    return float(_t_quantile(confidence, n - 1)) * sd / math.sqrt(n)


def replications_needed(
    values: npt.ArrayLike,
    target_half_width: float,
    confidence: float = 0.95,
    max_n: int = 10_000,
) -> int:
    """Smallest number of replications whose t interval half-width meets a target.

    Uses the sample standard deviation ``s`` of pilot replications and returns the smallest
    ``n >= len(values)`` with ``t_{n-1} * s / sqrt(n) <= target_half_width``.  The pilot is
    never "un-run", hence the lower bound; if the target is already met (or ``s`` is 0) the
    pilot size is returned.  The search is capped at ``max_n``; when even ``max_n`` is not
    enough a :class:`RuntimeWarning` is issued and ``max_n`` is returned, since a study that
    large is a design problem rather than a number to plan with.

    Raises:
        ValueError: fewer than two non-NaN pilot values (no variance estimate) or a
            non-positive target.
    """
    _check_confidence(confidence)
    x = _clean(values)
    n0 = int(x.size)
    if n0 < 2:
        raise ValueError(
            f"replications_needed needs at least 2 pilot values to estimate the variance, got {n0}"
        )
    if not target_half_width > 0:
        raise ValueError(f"target_half_width must be positive, got {target_half_width!r}")
    sd = float(x.std(ddof=1))
    if sd == 0.0:
        return n0
    ns = np.arange(n0, max(n0, max_n) + 1)
    hw = _t_quantile(confidence, ns - 1) * sd / np.sqrt(ns)
    ok = np.flatnonzero(hw <= target_half_width)
    if ok.size:
        return int(ns[ok[0]])
    warnings.warn(
        f"half-width {target_half_width:g} is not reached within max_n={max_n} replications "
        f"(pilot sd {sd:g}); returning max_n",
        RuntimeWarning,
        stacklevel=2,
    )
    return int(ns[-1])


@dataclass(frozen=True)
class PairedDiff:
    """Result of a paired comparison ``a - b``.

    Attributes:
        n: number of complete pairs used.
        diff: mean of the within-pair differences ``a - b``.
        ci_low, ci_high: Student-t interval of the mean difference.
        p_value: two-sided paired t-test p-value for "mean difference is 0".
    """

    n: int
    diff: float
    ci_low: float
    ci_high: float
    p_value: float


def paired_difference(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    confidence: float = 0.95,
) -> PairedDiff:
    """Paired t comparison of two aligned samples (``a[i]`` and ``b[i]`` share a replication).

    Under common random numbers the replication-level noise is shared by ``a[i]`` and
    ``b[i]``; differencing within pairs removes it, which is why this is far more precise than
    an unpaired comparison.  Pairs where either value is NaN are dropped.

    Edge cases: with fewer than two pairs the interval and p-value are NaN.  If all
    differences are exactly zero the scenarios behaved identically: the interval is
    ``(0, 0)`` and ``p = 1``.  If the differences are constant but non-zero the interval
    collapses onto that constant and ``p = 0``.

    Raises:
        ValueError: if ``a`` and ``b`` have different lengths.
    """
    _check_confidence(confidence)
    x = np.asarray(a, dtype=float).ravel()
    y = np.asarray(b, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"paired samples must have equal length, got {x.size} and {y.size}")
    keep = ~(np.isnan(x) | np.isnan(y))
    d = x[keep] - y[keep]
    n = int(d.size)
    if n == 0:
        return PairedDiff(0, _NAN, _NAN, _NAN, _NAN)
    diff = float(d.mean())
    if n == 1:
        return PairedDiff(1, diff, _NAN, _NAN, _NAN)
    if np.all(d == 0.0):
        return PairedDiff(n, 0.0, 0.0, 0.0, 1.0)
    sd = float(d.std(ddof=1))
    if sd == 0.0:
        return PairedDiff(n, diff, diff, diff, 0.0)
    se = sd / math.sqrt(n)
    hw = float(_t_quantile(confidence, n - 1)) * se
    t_stat = diff / se
    p = float(2.0 * stats.t.sf(abs(t_stat), n - 1))
    return PairedDiff(n, diff, diff - hw, diff + hw, min(p, 1.0))


def holm(p_values: npt.ArrayLike) -> np.ndarray:
    """Holm–Bonferroni step-down adjusted p-values, in the input order.

    The i-th smallest of ``m`` p-values is multiplied by ``m - i + 1``; a running maximum
    keeps the adjusted values monotone in the raw ones, and they are capped at 1.  NaNs (tests
    that could not be run) pass through unchanged and do not count towards ``m``: a missing
    test should not make the others more conservative.  Reject at level ``alpha`` where the
    adjusted value is ``<= alpha``.
    """
    p = np.asarray(p_values, dtype=float).ravel()
    out = np.full(p.shape, np.nan)
    finite = np.flatnonzero(~np.isnan(p))
    m = finite.size
    if m == 0:
        return out
    order = finite[np.argsort(p[finite], kind="stable")]
    multipliers = m - np.arange(m)
    adjusted = np.minimum(np.maximum.accumulate(p[order] * multipliers), 1.0)
    out[order] = adjusted
    return out


# --------------------------------------------------------------------------------------------
# Working with the runs table
# --------------------------------------------------------------------------------------------


def _ok_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Rows that completed successfully; failed runs carry no valid metric values."""
    missing = [c for c in ("scenario", "replication") if c not in runs.columns]
    if missing:
        raise ValueError(f"runs table is missing required column(s): {', '.join(missing)}")
    ok = runs[runs["status"] == "ok"] if "status" in runs.columns else runs
    dup = ok.duplicated(subset=["scenario", "replication"])
    if dup.any():
        first = ok.loc[dup, ["scenario", "replication"]].iloc[0]
        raise ValueError(
            "runs table has more than one successful row for scenario "
            f"{first['scenario']!r}, replication {first['replication']!r}; "
            "pairing by replication would be ambiguous"
        )
    return ok


def _scenario_order(runs: pd.DataFrame) -> list[str]:
    return list(pd.unique(runs["scenario"]))


def _check_metric(runs: pd.DataFrame, metric: str) -> None:
    if metric not in runs.columns:
        raise ValueError(
            f"metric column {metric!r} not found in runs; available columns: "
            f"{', '.join(map(str, runs.columns))}"
        )


def _direction(metric: str, higher_is_better: bool | None) -> int:
    if higher_is_better is not None:
        return 1 if higher_is_better else -1
    try:
        return METRIC_DIRECTIONS[metric]
    except KeyError:
        raise ValueError(
            f"direction of metric {metric!r} is unknown; pass higher_is_better=True/False"
        ) from None


def _wide(ok: pd.DataFrame, metric: str, scenarios: Sequence[str]) -> pd.DataFrame:
    """Replication x scenario table of one metric (NaN where a run is missing)."""
    wide = ok.pivot(index="replication", columns="scenario", values=metric)
    return wide.reindex(columns=list(scenarios)).astype(float)


def compare(
    runs: pd.DataFrame,
    baseline: str,
    metrics: Sequence[str] | str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Compare every scenario with the baseline on each metric.

    Returns a long table with one row per (scenario, metric) and columns ``scenario, metric,
    n, mean, ci_low, ci_high, diff, diff_ci_low, diff_ci_high, p_value, p_adjusted``.

    ``n``, ``mean`` and the ``ci`` columns describe the scenario on its own (successful runs,
    non-NaN values).  ``diff`` and its interval are ``scenario - baseline`` paired on
    ``replication`` (replications where both succeeded), tested with a paired t test;
    ``p_adjusted`` applies Holm's correction per metric across the non-baseline scenarios.
    Baseline rows have ``diff = 0.0`` and NaN difference interval and p-values.

    Scenarios are ordered baseline first, then in order of first appearance in ``runs``.
    ``metrics`` defaults to the :data:`PRIMARY_METRICS` present in ``runs``.  The baseline is
    also recorded in ``result.attrs["baseline"]``.

    Raises:
        ValueError: the baseline is not a scenario in ``runs``, a metric column is missing,
            required columns are missing, or a (scenario, replication) occurs twice.
    """
    _check_confidence(confidence)
    if "scenario" not in runs.columns:
        raise ValueError("runs table is missing required column: scenario")
    all_scenarios = _scenario_order(runs)
    if baseline not in all_scenarios:
        raise ValueError(
            f"baseline scenario {baseline!r} not found in runs; scenarios are: "
            f"{', '.join(map(str, all_scenarios))}"
        )
    if metrics is None:
        metric_list = [m for m in PRIMARY_METRICS if m in runs.columns]
        if not metric_list:
            raise ValueError(
                "no metrics given and none of the primary metrics "
                f"({', '.join(PRIMARY_METRICS)}) is a column of runs"
            )
    else:
        metric_list = [metrics] if isinstance(metrics, str) else list(metrics)
        missing = [m for m in metric_list if m not in runs.columns]
        if missing:
            raise ValueError(
                f"metric column(s) not found in runs: {', '.join(missing)}; available columns: "
                f"{', '.join(map(str, runs.columns))}"
            )
    ok = _ok_runs(runs)
    scenarios = [baseline] + [s for s in all_scenarios if s != baseline]

    records: dict[tuple[str, str], dict[str, object]] = {}
    for metric in metric_list:
        wide = _wide(ok, metric, scenarios)
        base = wide[baseline].to_numpy()
        for scenario in scenarios:
            col = wide[scenario].to_numpy()
            mean, lo, hi = mean_ci(col, confidence)
            rec: dict[str, object] = {
                "scenario": scenario,
                "metric": metric,
                "n": int(np.count_nonzero(~np.isnan(col))),
                "mean": mean,
                "ci_low": lo,
                "ci_high": hi,
            }
            if scenario == baseline:
                rec.update(diff=0.0, diff_ci_low=_NAN, diff_ci_high=_NAN, p_value=_NAN)
            else:
                pd_ = paired_difference(col, base, confidence)
                rec.update(
                    diff=pd_.diff,
                    diff_ci_low=pd_.ci_low,
                    diff_ci_high=pd_.ci_high,
                    p_value=pd_.p_value,
                )
            rec["p_adjusted"] = _NAN
            records[(scenario, metric)] = rec
        others = scenarios[1:]
        adjusted = holm([records[(s, metric)]["p_value"] for s in others])
        for s, p_adj in zip(others, adjusted, strict=True):
            records[(s, metric)]["p_adjusted"] = float(p_adj)

    rows = [records[(s, m)] for s in scenarios for m in metric_list]
    out = pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))
    out["n"] = out["n"].astype("int64")
    for c in COMPARISON_COLUMNS[3:]:
        out[c] = out[c].astype(float)
    out.attrs["baseline"] = baseline
    return out


# --------------------------------------------------------------------------------------------
# Which scenario is best?
# --------------------------------------------------------------------------------------------


def _complete_matrix(runs: pd.DataFrame, metric: str) -> tuple[list[str], np.ndarray]:
    """Scenarios with data on ``metric`` and the replications complete for all of them."""
    _check_metric(runs, metric)
    ok = _ok_runs(runs)
    ok = ok[ok[metric].notna()]
    scenarios = _scenario_order(ok)
    if not scenarios:
        raise ValueError(f"no successful runs with a value for metric {metric!r}")
    wide = _wide(ok, metric, scenarios).dropna(how="any")
    if wide.empty:
        raise ValueError(
            f"no replication has a successful run of every scenario for metric {metric!r}; "
            "the paired bootstrap needs common replications"
        )
    return scenarios, wide.to_numpy()


def probability_best(
    runs: pd.DataFrame,
    metric: str,
    n_boot: int = 2000,
    rng: np.random.Generator | int = 0,
    *,
    higher_is_better: bool | None = None,
) -> pd.Series:
    """Bootstrap probability that each scenario has the best mean on ``metric``.

    Replications are resampled with replacement, the *same* resample for every scenario, so
    the common-random-number pairing is preserved (a lucky replication is lucky for all).  For
    each resample the scenario with the best mean wins; ties share the win equally, so the
    result sums to 1.  Only successful replications present for all scenarios are used;
    scenarios with no successful values on the metric are left out.

    "Best" is the highest mean when :data:`METRIC_DIRECTIONS` says higher is better (lowest
    otherwise); ``higher_is_better`` overrides that and is required for unknown metrics.

    Returns:
        Series named ``"p_best"`` indexed by scenario (order of first appearance).
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    sign = _direction(metric, higher_is_better)
    scenarios, x = _complete_matrix(runs, metric)
    n_rep = x.shape[0]
    gen = np.random.default_rng(rng)
    # Resampling counts instead of index arrays: memory O(n_boot * n_rep), not * n_scenarios.
    counts = gen.multinomial(n_rep, np.full(n_rep, 1.0 / n_rep), size=n_boot)
    score = sign * (counts @ x) / n_rep
    best = score.max(axis=1, keepdims=True)
    # Tolerance so that identical scenarios tie despite floating-point summation order.
    tol = 1e-12 * np.maximum(1.0, np.abs(best))
    winners = score >= best - tol
    share = winners / winners.sum(axis=1, keepdims=True)
    p = share.mean(axis=0)
    return pd.Series(p, index=pd.Index(scenarios, name="scenario"), name="p_best")


def _scenario_means(
    runs: pd.DataFrame, metric: str, scenarios: Sequence[str], confidence: float
) -> pd.DataFrame:
    ok = _ok_runs(runs)
    wide = _wide(ok, metric, scenarios)
    rows = [(s, *mean_ci(wide[s].to_numpy(), confidence)) for s in scenarios]
    return pd.DataFrame(rows, columns=["scenario", "mean", "ci_low", "ci_high"])


def ranking(
    runs: pd.DataFrame,
    metric: str,
    n_boot: int = 2000,
    rng: np.random.Generator | int = 0,
    *,
    higher_is_better: bool | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Scenarios sorted best first, with mean, t interval and bootstrap probability of best.

    Means and intervals use all successful runs of each scenario; ``p_best`` comes from
    :func:`probability_best`.  Ties in the mean are broken by ``p_best``.

    Returns:
        DataFrame with columns ``scenario, mean, ci_low, ci_high, p_best``.
    """
    _check_confidence(confidence)
    sign = _direction(metric, higher_is_better)
    p_best = probability_best(runs, metric, n_boot, rng, higher_is_better=higher_is_better)
    table = _scenario_means(runs, metric, list(p_best.index), confidence)
    table["p_best"] = p_best.to_numpy()
    order = np.lexsort((-table["p_best"].to_numpy(), -sign * table["mean"].to_numpy()))
    return table.iloc[order].reset_index(drop=True)


def _top_two(
    runs: pd.DataFrame,
    metric: str,
    confidence: float,
    exclude: Iterable[str],
    higher_is_better: bool | None,
) -> tuple[str, str, PairedDiff] | None:
    """Best and runner-up by mean, and their paired difference (best minus runner-up)."""
    _check_confidence(confidence)
    _check_metric(runs, metric)
    sign = _direction(metric, higher_is_better)
    ok = _ok_runs(runs)
    excluded = set(exclude)
    scenarios = [s for s in _scenario_order(ok[ok[metric].notna()]) if s not in excluded]
    if len(scenarios) < 2:
        return None
    wide = _wide(ok, metric, scenarios)
    means = wide.mean(axis=0).to_numpy()
    order = np.argsort(-sign * means, kind="stable")
    best, second = scenarios[order[0]], scenarios[order[1]]
    diff = paired_difference(wide[best].to_numpy(), wide[second].to_numpy(), confidence)
    return best, second, diff


def indistinguishable(
    runs: pd.DataFrame,
    metric: str,
    confidence: float = 0.95,
    *,
    exclude: Iterable[str] = (),
    higher_is_better: bool | None = None,
) -> bool:
    """Whether the best and runner-up scenario on ``metric`` cannot be told apart.

    The two are chosen by mean (successful runs); they are indistinguishable when the paired
    (by replication) interval of their difference contains 0, or cannot be computed for lack
    of common replications.  Reporting a "winner" in that situation would be reading noise.
    Scenarios in ``exclude`` take no part.  With fewer than two scenarios there is nothing to
    distinguish and the result is ``False``.
    """
    top = _top_two(runs, metric, confidence, exclude, higher_is_better)
    if top is None:
        return False
    d = top[2]
    if math.isnan(d.ci_low) or math.isnan(d.ci_high):
        return True
    return bool(d.ci_low <= 0.0 <= d.ci_high)


def separation_warning(
    runs: pd.DataFrame,
    metric: str,
    baseline: str,
    confidence: float = 0.95,
    *,
    higher_is_better: bool | None = None,
) -> str | None:
    """One-sentence warning when the best two candidate scenarios cannot be told apart.

    The planner's question is which mode to roll out, so the contest is among the
    non-baseline scenarios (the baseline is the status quo that :func:`compare` measures them
    against).  Returns ``None`` when the best candidate is clearly separated from the
    runner-up, or when there are fewer than two candidates.

    Raises:
        ValueError: the baseline is not a scenario in ``runs`` or the metric is missing.
    """
    _check_metric(runs, metric)
    if "scenario" not in runs.columns or baseline not in set(runs["scenario"]):
        raise ValueError(f"baseline scenario {baseline!r} not found in runs")
    if not indistinguishable(
        runs, metric, confidence, exclude=[baseline], higher_is_better=higher_is_better
    ):
        return None
    top = _top_two(runs, metric, confidence, [baseline], higher_is_better)
    assert top is not None  # indistinguishable() returned True, so there are two candidates
    best, second, d = top
    level = f"{100 * confidence:g}%"
    if math.isnan(d.ci_low):
        detail = f"only {d.n} common successful replication(s), too few for a paired interval"
    else:
        detail = (
            f"paired difference {d.diff:.3g}, {level} CI [{d.ci_low:.3g}, {d.ci_high:.3g}], n={d.n}"
        )
    return (
        f"On {metric}, the best scenario {best!r} cannot be distinguished from the runner-up "
        f"{second!r} ({detail}), so run more replications before preferring one of them."
    )


# --------------------------------------------------------------------------------------------
# Terminal output
# --------------------------------------------------------------------------------------------


def _decimals(values: np.ndarray, significant: int) -> int:
    """Decimals that show ``significant`` digits of the largest magnitude in ``values``."""
    finite = np.abs(values[np.isfinite(values)])
    finite = finite[finite > 0]
    if finite.size == 0:
        return max(significant, 0)
    magnitude = math.floor(math.log10(float(finite.max())))
    return int(min(max(significant - 1 - magnitude, 0), significant + 4))


def _fmt(x: float, decimals: int, sign: bool = False) -> str:
    if not np.isfinite(x):
        return "n/a"
    return f"{x:+.{decimals}f}" if sign else f"{x:.{decimals}f}"


def name_width(names, least: int = 24) -> int:
    """Width of the scenario column of a terminal table: long names keep the rows aligned."""
    return max([least, *(len(str(n)) for n in names)])


def summary_table(comparison: pd.DataFrame, digits: int = 3, width: int = 160) -> str:
    """Plain-text table of a :func:`compare` result for the terminal.

    One line per scenario with ``mean [lo, hi]`` for each metric and, for every scenario but
    the baseline, a second line ``Δ diff [lo, hi]`` (scenario minus baseline, paired by
    replication) marked with ``*`` when the Holm-adjusted p-value is below 0.05.

    Numbers show ``digits`` significant digits of each column's largest mean, so rates and
    day counts both stay compact.  Differences are usually much smaller than levels, so they
    get at least two significant digits of the column's largest difference (and never fewer
    decimals than the means).  Metric headers are abbreviated; if the metrics still do not
    fit in ``width`` characters, they are split into several panels, each repeating the
    scenario column, rather than producing lines a terminal would wrap illegibly.

    The baseline is taken from ``comparison.attrs["baseline"]`` when present, otherwise it is
    the first scenario (the order :func:`compare` produces).
    """
    missing = [c for c in COMPARISON_COLUMNS if c not in comparison.columns]
    if missing:
        raise ValueError(f"comparison table is missing column(s): {', '.join(missing)}")
    if comparison.empty:
        return "(no results)"
    scenarios = list(pd.unique(comparison["scenario"]))
    metrics = list(pd.unique(comparison["metric"]))
    baseline = comparison.attrs.get("baseline", scenarios[0])
    indexed = comparison.set_index(["scenario", "metric"])

    # Build the cells column by column: [header, row, row, ...].
    name_col = ["scenario"]
    for scenario in scenarios:
        name_col.append(str(scenario))
        if scenario != baseline:
            name_col.append("")
    columns: list[list[str]] = []
    for metric in metrics:
        of_metric = comparison["metric"] == metric
        dec = _decimals(comparison.loc[of_metric, "mean"].to_numpy(float), digits)
        diffs = comparison.loc[of_metric & (comparison["scenario"] != baseline), "diff"]
        ddec = max(dec, _decimals(diffs.to_numpy(float), 2))
        cells = [METRIC_ABBREVIATIONS.get(metric, metric)]
        for scenario in scenarios:
            has = (scenario, metric) in indexed.index
            row = indexed.loc[(scenario, metric)] if has else None
            if row is None:
                cells.append("")
            else:
                mean, lo, hi = (_fmt(row[c], dec) for c in ("mean", "ci_low", "ci_high"))
                cells.append(f"{mean} [{lo}, {hi}]")
            if scenario == baseline:
                continue
            if row is None:
                cells.append("")
            else:
                mark = "*" if row["p_adjusted"] < 0.05 else ""
                diff = _fmt(row["diff"], ddec, sign=True)
                lo, hi = (_fmt(row[c], ddec) for c in ("diff_ci_low", "diff_ci_high"))
                cells.append(f"Δ {diff} [{lo}, {hi}]{mark}")
        columns.append(cells)

    sep = "  "
    name_w = max(map(len, name_col))
    col_w = [max(map(len, c)) for c in columns]

    # Greedily pack metric columns into panels that fit the requested width.
    panels: list[list[int]] = []
    used = width + 1
    for j, w in enumerate(col_w):
        if panels and used + len(sep) + w <= width:
            panels[-1].append(j)
            used += len(sep) + w
        else:
            panels.append([j])
            used = name_w + len(sep) + w

    out: list[str] = []
    for k, panel in enumerate(panels):
        if k:
            out.append("")
        widths = [name_w] + [col_w[j] for j in panel]
        rule = sep.join("-" * w for w in widths)
        for i in range(len(name_col)):
            cells = [name_col[i]] + [columns[j][i] for j in panel]
            out.append(sep.join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
            if i == 0:
                out.append(rule)
        out.append(rule)
    out.append(f"Baseline: {baseline}.  Δ = scenario - baseline, paired by replication.")
    out.append("Marker * = Holm-adjusted p < 0.05 (per metric, across scenarios vs the baseline).")
    return "\n".join(out)

"""Cost against effect: what each scenario spends, and what it buys, against the baseline.

Kept apart from the statistics of `simulation.study.statistics` because it answers another
question ("at what cost?") from other columns (`hours_total`, `cost_yuan`, `needs_met_total`),
using the same paired comparison.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.study.statistics import (
    _NAN,
    _ok_runs,
    _scenario_order,
    _wide,
    name_width,
    paired_difference,
)

__all__ = ["COST_TABLE_COLUMNS", "cost_table", "costs"]


#: Columns of :func:`costs` (and of costs.csv).
COST_TABLE_COLUMNS: tuple[str, ...] = (
    "scenario",
    "n",
    "hours_total",
    "cost_yuan",
    "extra_needs_met",
    "extra_needs_met_ci_low",
    "extra_needs_met_ci_high",
    "extra_hours",
    "extra_cost_yuan",
    "yuan_per_extra_need_met",
    "hours_per_extra_need_met",
)


def costs(runs: pd.DataFrame, baseline: str, confidence: float = 0.95) -> pd.DataFrame:
    """What each scenario costs and what it buys, against the baseline (paired on replication).

    Per scenario: mean whole-city hours and yuan over the horizon; the paired mean of extra
    needs met (problems resolved) with its interval; extra hours and yuan; and the cost per
    extra need met as a ratio of paired means (extra yuan / extra needs met; hours likewise).
    The ratio is NaN where the scenario meets no more needs than the baseline (its interval
    reaches zero or below): a cost per need is only meaningful for a real gain.
    """
    needed = ("hours_total", "cost_yuan", "needs_met_total")
    missing = [c for c in ("scenario", "replication", *needed) if c not in runs.columns]
    if missing:
        raise ValueError(f"runs table is missing column(s) for costs: {', '.join(missing)}")
    ok = _ok_runs(runs)
    scenarios = [baseline] + [s for s in _scenario_order(runs) if s != baseline]
    wide = {c: _wide(ok, c, scenarios) for c in needed}
    rows = []
    for s in scenarios:
        hours, yuan, met = (wide[c][s].to_numpy() for c in needed)
        row: dict[str, object] = {
            "scenario": s,
            "n": int(np.count_nonzero(~np.isnan(met))),
            "hours_total": float(np.nanmean(hours)) if np.isfinite(hours).any() else _NAN,
            "cost_yuan": float(np.nanmean(yuan)) if np.isfinite(yuan).any() else _NAN,
        }
        if s == baseline:
            row.update(dict.fromkeys(COST_TABLE_COLUMNS[4:], _NAN))
        else:
            d_met = paired_difference(met, wide["needs_met_total"][baseline], confidence)
            d_hours = paired_difference(hours, wide["hours_total"][baseline], confidence)
            d_yuan = paired_difference(yuan, wide["cost_yuan"][baseline], confidence)
            gain = d_met.diff if d_met.ci_low > 0 else _NAN
            row.update(
                extra_needs_met=d_met.diff,
                extra_needs_met_ci_low=d_met.ci_low,
                extra_needs_met_ci_high=d_met.ci_high,
                extra_hours=d_hours.diff,
                extra_cost_yuan=d_yuan.diff,
                yuan_per_extra_need_met=d_yuan.diff / gain,
                hours_per_extra_need_met=d_hours.diff / gain,
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=list(COST_TABLE_COLUMNS))


def cost_table(costs_df: pd.DataFrame) -> str:
    """The cost block of the terminal summary."""
    w = name_width(costs_df["scenario"])
    lines = [
        "Cost over the horizon, whole city (paired against the baseline):",
        f"  {'scenario':<{w}} {'hours':>12} {'yuan':>14} {'extra needs met':>24} "
        f"{'yuan/extra need':>16} {'hours/extra need':>17}",
    ]
    for r in costs_df.itertuples():
        if np.isnan(r.extra_needs_met):
            extra = "—"
        else:
            extra = f"{r.extra_needs_met:+,.0f} [{r.extra_needs_met_ci_low:+,.0f}, {r.extra_needs_met_ci_high:+,.0f}]"
        # No cost per need without a real gain: say whether the scenario met fewer needs.
        none = "fewer met" if r.extra_needs_met_ci_high < 0 else "—"
        per_yuan = (
            none if np.isnan(r.yuan_per_extra_need_met) else f"{r.yuan_per_extra_need_met:,.0f}"
        )
        per_hour = (
            none if np.isnan(r.hours_per_extra_need_met) else f"{r.hours_per_extra_need_met:,.1f}"
        )
        lines.append(
            f"  {r.scenario:<{w}} {r.hours_total:>12,.0f} {r.cost_yuan:>14,.0f} {extra:>24} "
            f"{per_yuan:>16} {per_hour:>17}"
        )
    lines.append(
        "  (— : no extra needs met detectable; fewer met: significantly fewer needs met than the"
        " baseline; either way no cost per need. Negative hours per need: hours saved.)"
    )
    return "\n".join(lines)

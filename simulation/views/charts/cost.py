"""Cost against effect: what each scenario buys, and at what price, relative to the baseline.

Drawn only when the runs carry a cost column (`cost_yuan`, else `hours_total`): both are
paired differences to the baseline (replication r of each scenario shares a seed), with 95 %
intervals in both directions, so a planner sees which modes are better and cheaper, better
but dearer, and so on.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from simulation.study.statistics import paired_difference
from simulation.views.charts import style
from simulation.views.charts.style import (
    BASELINE_COLOUR,
    _direction_text,
    _scale,
    _style,
    _t,
    _wrap,
    scenario_colours,
    scenario_label,
    short_label,
)

#: Cost columns, preferred first.
COST_COLUMNS: tuple[str, ...] = ("cost_yuan", "hours_total")


def cost_column(runs: pd.DataFrame) -> str | None:
    """The cost column the runs carry (with any value), or None: then there is no chart."""
    for col in COST_COLUMNS:
        if col in runs.columns and pd.to_numeric(runs[col], errors="coerce").notna().any():
            return col
    return None


def cost_effect_table(runs: pd.DataFrame, baseline: str, effect: str, cost: str) -> pd.DataFrame:
    """Per scenario other than the baseline: paired differences of cost and effect with 95 %
    intervals (columns `scenario`, `cost`, `cost_low`, `cost_high`, `effect`, `effect_low`,
    `effect_high`, `n`)."""
    ok = runs[runs["status"] == "ok"] if "status" in runs.columns else runs
    wide = {
        col: ok.pivot_table(index="replication", columns="scenario", values=col, aggfunc="first")
        for col in (cost, effect)
    }
    rows = []
    for s in dict.fromkeys(ok["scenario"].astype(str)):
        if s == baseline or baseline not in wide[cost]:
            continue
        c = paired_difference(wide[cost][s], wide[cost][baseline])
        e = paired_difference(wide[effect][s], wide[effect][baseline])
        rows.append(
            {
                "scenario": s,
                "cost": c.diff,
                "cost_low": c.ci_low,
                "cost_high": c.ci_high,
                "effect": e.diff,
                "effect_low": e.ci_low,
                "effect_high": e.ci_high,
                "n": e.n,
            }
        )
    return pd.DataFrame(rows)


def cost_effect_figure(
    runs: pd.DataFrame,
    *,
    baseline: str = "baseline",
    effect: str = "needs_met_rate",
    cost: str | None = None,
    colours: Mapping[str, str] | None = None,
    lang: str | None = None,
) -> Figure:
    """Build the chart of :func:`cost_effect_chart` (for notebooks: display, not save)."""
    cost = cost or cost_column(runs)
    if cost is None:
        raise ValueError(f"runs have no cost column ({', '.join(COST_COLUMNS)}): nothing to draw")
    table = cost_effect_table(runs, baseline, effect, cost)
    scale = _scale(effect)
    auto = scenario_colours([baseline, *table["scenario"]], baseline)
    cmap = {s: (colours or {}).get(s, auto[s]) for s in auto}
    with _style(lang):
        fig = Figure(figsize=(9, 6.2), layout="constrained")
        ax = fig.subplots()
        fig.suptitle(
            _t(
                "What each scenario buys, and at what cost, compared with {baseline}",
                baseline=scenario_label(baseline),
            )
        )
        ax.axhline(0, color=BASELINE_COLOUR, lw=1)
        ax.axvline(0, color=BASELINE_COLOUR, lw=1)
        # Labels of points close in height alternate above and below, so they do not overlap.
        ys = table["effect"].to_numpy(float) * scale.factor
        span = float(np.nanmax(ys) - np.nanmin(ys)) if len(ys) and np.isfinite(ys).any() else 1.0
        below: dict[int, bool] = {}
        previous = None
        for i in np.argsort(-ys):  # from the top: the lower of two close points goes below
            close = previous is not None and abs(ys[i] - ys[previous]) < 0.04 * max(span, 1e-9)
            below[int(i)] = close and not below.get(int(previous), False)
            previous = i
        for i, row in enumerate(table.itertuples()):
            colour = cmap[row.scenario]
            ex, ey = row.cost, row.effect * scale.factor
            ax.errorbar(
                ex,
                ey,
                xerr=[[ex - row.cost_low], [row.cost_high - ex]],
                yerr=[[ey - row.effect_low * scale.factor], [row.effect_high * scale.factor - ey]],
                fmt="o",
                color=colour,
                ms=7,
                capsize=3,
                lw=1.4,
            )
            ax.annotate(
                scenario_label(row.scenario),
                (ex, ey),
                xytext=(6, -13 if below.get(i) else 5),
                textcoords="offset points",
                fontsize=9,
                color=colour,
            )
        ax.set_xlabel(_t("Difference in {cost}", cost=short_label(cost)))
        # Whole numbers with separators (millions of yuan read badly as "1e7"), on whole-number
        # ticks; when nothing is spent at all the axis spans -1 to 1 instead of "-0 -0 0 0".
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        lo, hi = ax.get_xlim()
        if hi - lo < 2:
            ax.set_xlim(min(lo, -1.0), max(hi, 1.0))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v + 0.0:,.0f}"))
        unit = f" ({scale.diff_unit})" if scale.diff_unit else ""
        ax.set_ylabel(_t("Difference in {effect}", effect=short_label(effect)) + unit)
        ax.grid(color="0.93", lw=0.6)
        for x, y, text in (
            (0.99, 0.99, "better, dearer"),
            (0.01, 0.99, "better, cheaper"),
            (0.01, 0.01, "worse, cheaper"),
            (0.99, 0.01, "worse, dearer"),
        ):
            ax.text(
                x,
                y,
                _t(text),
                transform=ax.transAxes,
                ha="right" if x > 0.5 else "left",
                va="top" if y > 0.5 else "bottom",
                color="0.45",
                fontsize=9,
            )
        n = int(table["n"].min()) if len(table) else 0
        fig.supxlabel(
            _wrap(
                _t(
                    "Each point: scenario − {baseline}, paired by replication; bars are 95 % "
                    "CIs in both directions (simulation noise only). {direction} for the "
                    "effect; lower cost is cheaper. n = {n} pairs.",
                    baseline=scenario_label(baseline),
                    direction=_direction_text(effect).capitalize(),
                    n=n,
                )
                + (
                    " "
                    + _t(
                        "Money only (budgets, platform, stations); the hours people give are "
                        "in costs.csv (dual reporting costs members' hours, not money)."
                    )
                    if cost == "cost_yuan"
                    else ""
                ),
                120,
            ),
            fontsize=8.5,
            color="0.3",
        )
    return fig


def cost_effect_chart(
    runs: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    baseline: str = "baseline",
    effect: str = "needs_met_rate",
    cost: str | None = None,
    colours: Mapping[str, str] | None = None,
    lang: str = "en",
) -> Path:
    """Save the cost-against-effect chart (see the module docstring)."""
    with _style(lang):
        fig = cost_effect_figure(runs, baseline=baseline, effect=effect, cost=cost, colours=colours)
        return style._save(fig, path)

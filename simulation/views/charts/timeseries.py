"""Daily series per scenario: warm-up and steady state, with the spread across replications."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from scipy import stats

from simulation.views.charts import style
from simulation.views.charts.style import (
    TIMESERIES_METRICS,
    _direction_text,
    _grid,
    _no_data,
    _ordered_scenarios,
    _panel_title,
    _scale,
    _style,
    _t,
    _wrap,
    scenario_colours,
    scenario_label,
)

# --------------------------------------------------------------------------------------------
# Time series
# --------------------------------------------------------------------------------------------


def _daily_mean_ci(timeseries: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per (scenario, day): mean across replications and its Student-t 95 % interval."""
    values = pd.to_numeric(timeseries[metric], errors="coerce").astype(float)
    frame = pd.DataFrame(
        {
            "scenario": timeseries["scenario"].astype(str).to_numpy(),
            "day": timeseries["day"].to_numpy(),
            "value": values.to_numpy(),
        }
    )
    agg = (
        frame.groupby(["scenario", "day"], sort=True)["value"]
        .agg(["mean", "std", "count"])
        .reset_index()
    )
    count = agg["count"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        tq = np.where(count >= 2, stats.t.ppf(0.975, np.maximum(count - 1, 1)), np.nan)
        hw = tq * agg["std"].to_numpy(float) / np.sqrt(count)
    agg["lo"] = agg["mean"] - hw
    agg["hi"] = agg["mean"] + hw
    return agg


def timeseries_figure(
    timeseries: pd.DataFrame,
    metrics: Sequence[str] | str = TIMESERIES_METRICS,
    *,
    baseline: str | None = "baseline",
    colours: Mapping[str, str] | None = None,
    lang: str | None = None,
) -> Figure:
    """Build the chart of :func:`timeseries_chart` (for notebooks: display, not save)."""
    missing = [c for c in ("scenario", "day") if c not in timeseries.columns]
    if missing:
        raise ValueError(f"timeseries table is missing column(s): {', '.join(missing)}")
    metric_list = [metrics] if isinstance(metrics, str) else list(metrics)
    scenarios = _ordered_scenarios(timeseries["scenario"], baseline)
    auto = scenario_colours(scenarios, baseline)
    given = dict(colours) if colours is not None else {}
    cmap = {s: given.get(s, auto[s]) for s in scenarios}
    n_panels = max(len(metric_list), 1)
    ncols = 2 if n_panels > 1 else 1
    nrows = math.ceil(n_panels / ncols)
    n_reps = (
        timeseries.groupby(timeseries["scenario"].astype(str))["replication"].nunique()
        if "replication" in timeseries.columns
        else pd.Series(dtype=float)
    )

    with _style(lang):
        fig = Figure(figsize=(12 if ncols == 2 else 8, 3.4 * nrows + 1.6), layout="constrained")
        fig.get_layout_engine().set(w_pad=0.08, h_pad=0.08, wspace=0.05, hspace=0.08)
        panels, _ = _grid(fig, n_panels, ncols)
        fig.suptitle(
            _t("Over time: mean across replications (line) and 95 % CI of the mean (band)")
        )
        for ax, metric in zip(panels, metric_list, strict=False):
            title = _panel_title(metric, 50)
            if metric not in timeseries.columns or timeseries.empty:
                _no_data(ax, title)
                continue
            agg = _daily_mean_ci(timeseries, metric)
            if not np.isfinite(agg["mean"].to_numpy(float)).any():
                _no_data(ax, title)
                continue
            scale = _scale(metric)
            for s in scenarios:
                part = agg[agg["scenario"] == s]
                if part.empty:
                    continue
                x = part["day"].to_numpy(float)
                is_base = s == baseline
                ax.fill_between(
                    x,
                    part["lo"].to_numpy(float) * scale.factor,
                    part["hi"].to_numpy(float) * scale.factor,
                    color=cmap[s],
                    alpha=0.15 if not is_base else 0.18,
                    lw=0,
                    zorder=1,
                )
                ax.plot(
                    x,
                    part["mean"].to_numpy(float) * scale.factor,
                    color=cmap[s],
                    lw=2.2 if is_base else 1.5,
                    ls="--" if is_base else "-",
                    zorder=3 if is_base else 2,
                )
            ax.set_title(f"{title}\n({_direction_text(metric)})", fontsize=10.5)
            ax.set_xlabel(_t("Simulated day"))
            ax.set_ylabel(scale.level_unit or _t("value"))
            ax.grid(axis="y", color="0.92", lw=0.6)
            ax.margins(x=0.01)
        if not metric_list:
            _no_data(panels[0], "", "no data")

        handles: list[Line2D | Patch] = [
            Line2D(
                [],
                [],
                color=cmap[s],
                lw=2.2 if s == baseline else 1.8,
                ls="--" if s == baseline else "-",
                label=scenario_label(s),
            )
            for s in scenarios
        ]
        handles.append(Patch(facecolor="0.5", alpha=0.3, label=_t("Band: 95 % CI of the mean")))
        fig.legend(
            handles=handles,
            loc="outside right center",
            fontsize=9.5,
            title=_t("Scenario"),
            title_fontproperties={"weight": "bold", "size": 9.5},
            alignment="left",
        )
        reps = ""
        if not n_reps.empty:
            lo, hi = int(n_reps.min()), int(n_reps.max())
            reps = _t(" across {n} replications", n=lo if lo == hi else f"{lo}–{hi}")
        fig.supxlabel(
            _wrap(
                _t(
                    "Each day shows the metric over the problems that arose in the 30 days "
                    "ending 30 days earlier, whose fate is known by then (blank until such a "
                    "cohort exists). Line = mean{reps}; band = Student-t 95 % CI of that mean "
                    "(how precisely the mean is known, not how much single runs vary: see the "
                    "spread chart). Rates in percent, the equity gap in percentage points (pp).",
                    reps=reps,
                ),
                150,
            ),
            fontsize=8.5,
            color="0.3",
        )
    return fig


def timeseries_chart(
    timeseries: pd.DataFrame,
    path: str | os.PathLike[str],
    metrics: Sequence[str] | str = TIMESERIES_METRICS,
    *,
    baseline: str | None = "baseline",
    colours: Mapping[str, str] | None = None,
    lang: str = "en",
) -> Path:
    """Save the time series of the daily metrics (trailing closed cohort) per scenario.

    Shows whether a mode's effect builds up, levels off or fades, and when the warm-up is
    over.  Each line is the mean across replications by day; the shaded band is the Student-t
    95 % interval of that mean, so bands that overlap for long periods warn that the daily
    difference is within the noise.  Days on which no replication has a value are gaps.

    Args:
        timeseries: one row per (scenario, replication, day) with the metric columns.
        path: where to write the image.
        metrics: columns to plot, one panel each (missing or all-NaN ones say "no data").
        baseline: the status-quo scenario (dark grey, dashed).
        colours: scenario colours to share with other charts.

    Returns:
        The written path.
    """
    with _style(lang):
        fig = timeseries_figure(timeseries, metrics, baseline=baseline, colours=colours)
        return style._save(fig, path)

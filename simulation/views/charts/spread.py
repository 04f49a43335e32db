"""One metric over time per scenario with both kinds of band: how much single runs vary, and
how precisely their mean is known.

The two are easy to confuse and answer different questions. The run-to-run spread (10th to
90th percentile of single runs on a day) says what one year in one city could look like; the
95 % confidence interval of the mean says how well the simulation has pinned down the
expected value, and shrinks with more replications while the spread does not. One small
panel per scenario keeps both bands readable; the baseline's mean is repeated in each panel.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from simulation.views.charts import style
from simulation.views.charts.style import (
    BASELINE_COLOUR,
    _body_and_footer,
    _direction_text,
    _footer,
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
from simulation.views.charts.timeseries import _daily_mean_ci

#: Percentiles of single runs that bound the spread band.
SPREAD_PERCENTILES = (10, 90)


def _daily_spread(timeseries: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per (scenario, day): the 10th and 90th percentile of single runs."""
    frame = pd.DataFrame(
        {
            "scenario": timeseries["scenario"].astype(str).to_numpy(),
            "day": timeseries["day"].to_numpy(),
            "value": pd.to_numeric(timeseries[metric], errors="coerce").to_numpy(float),
        }
    )
    lo, hi = (q / 100 for q in SPREAD_PERCENTILES)
    grouped = frame.groupby(["scenario", "day"], sort=True)["value"]
    return pd.DataFrame({"p_lo": grouped.quantile(lo), "p_hi": grouped.quantile(hi)}).reset_index()


def spread_figure(
    timeseries: pd.DataFrame,
    metric: str = "needs_met_rate",
    *,
    baseline: str | None = "baseline",
    colours: Mapping[str, str] | None = None,
    lang: str | None = None,
) -> Figure:
    """Build the chart of :func:`spread_chart` (for notebooks: display, not save)."""
    missing = [c for c in ("scenario", "day", metric) if c not in timeseries.columns]
    if missing:
        raise ValueError(f"timeseries table is missing column(s): {', '.join(missing)}")
    scenarios = _ordered_scenarios(timeseries["scenario"], baseline)
    auto = scenario_colours(scenarios, baseline)
    cmap = {s: (colours or {}).get(s, auto[s]) for s in scenarios}
    n = max(len(scenarios), 1)
    ncols = min(4, n)
    nrows = math.ceil(n / ncols)
    scale = _scale(metric)
    with _style(lang):
        fig = Figure(figsize=(max(3.3 * ncols + 0.6, 8.0), 2.6 * nrows + 2.3), layout="constrained")
        body, footer = _body_and_footer(fig, 1.2)
        panels, _ = _grid(body, n, ncols)
        fig.suptitle(
            _wrap(
                _t(
                    "{metric} over time: single runs vary (pale band), their mean is known "
                    "more precisely (dark band)",
                    metric=_panel_title(metric, 200),
                ),
                110,
            )
        )
        if timeseries.empty:
            _no_data(panels[0], "")
            return fig
        ci = _daily_mean_ci(timeseries, metric)
        spread = _daily_spread(timeseries, metric)
        base_line = ci[ci["scenario"] == baseline]
        values = np.concatenate(
            [spread["p_lo"].to_numpy(float), spread["p_hi"].to_numpy(float)]
        ) * (scale.factor)
        finite = values[np.isfinite(values)]
        ylim = (
            (finite.min() - 0.05 * np.ptp(finite), finite.max() + 0.05 * np.ptp(finite))
            if finite.size
            else None
        )
        for ax, s in zip(panels, scenarios, strict=False):
            c, sp = ci[ci["scenario"] == s], spread[spread["scenario"] == s]
            x = c["day"].to_numpy(float)
            colour = cmap[s]
            ax.fill_between(
                sp["day"].to_numpy(float),
                sp["p_lo"].to_numpy(float) * scale.factor,
                sp["p_hi"].to_numpy(float) * scale.factor,
                color=colour,
                alpha=0.15,
                lw=0,
            )
            ax.fill_between(
                x,
                c["lo"].to_numpy(float) * scale.factor,
                c["hi"].to_numpy(float) * scale.factor,
                color=colour,
                alpha=0.55,
                lw=0,
            )
            ax.plot(x, c["mean"].to_numpy(float) * scale.factor, color=colour, lw=1.4)
            if s != baseline and not base_line.empty:
                ax.plot(
                    base_line["day"].to_numpy(float),
                    base_line["mean"].to_numpy(float) * scale.factor,
                    color=BASELINE_COLOUR,
                    lw=1.0,
                    ls="--",
                )
            ax.set_title(_wrap(scenario_label(s), 34), fontsize=10)
            if ylim is not None and np.isfinite(ylim).all() and ylim[0] < ylim[1]:
                ax.set_ylim(*ylim)
            ax.set_xlabel(_t("Simulated day"), fontsize=8.5)
            ax.set_ylabel(scale.level_unit or _t("value"), fontsize=8.5)
            ax.grid(axis="y", color="0.92", lw=0.6)
            ax.margins(x=0.01)
        n_reps = timeseries.groupby(timeseries["scenario"].astype(str))["replication"].nunique()
        reps = int(n_reps.min()) if len(n_reps) else 0
        handles = [
            Patch(
                facecolor="0.5",
                alpha=0.2,
                label=_t(
                    "Pale band: run-to-run spread ({lo}th–{hi}th percentile of single runs)",
                    lo=SPREAD_PERCENTILES[0],
                    hi=SPREAD_PERCENTILES[1],
                ),
            ),
            Patch(facecolor="0.35", alpha=0.6, label=_t("Dark band: 95 % CI of the mean")),
            Line2D([], [], color="0.35", lw=1.4, label=_t("Line: mean across replications")),
            Line2D(
                [],
                [],
                color=BASELINE_COLOUR,
                lw=1.0,
                ls="--",
                label=_t("Dashed: {baseline} mean", baseline=scenario_label(baseline)),
            ),
        ]
        _footer(
            footer,
            handles,
            _t(
                "{direction}. {reps} replications per scenario. The spread says what one "
                "run (one year in one city) could look like; the confidence interval says "
                "how well the simulation pins down the expected value and narrows with more "
                "replications. Both show simulation noise only.",
                direction=_direction_text(metric).capitalize(),
                reps=reps,
            ),
            150,
        )
    return fig


def spread_chart(
    timeseries: pd.DataFrame,
    path: str | os.PathLike[str],
    metric: str = "needs_met_rate",
    *,
    baseline: str | None = "baseline",
    colours: Mapping[str, str] | None = None,
    lang: str = "en",
) -> Path:
    """Save one metric's daily series per scenario with the run-to-run spread and the 95 %
    confidence interval of the mean, labelled apart (see the module docstring)."""
    with _style(lang):
        fig = spread_figure(timeseries, metric, baseline=baseline, colours=colours)
        return style._save(fig, path)

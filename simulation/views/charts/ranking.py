"""The probability that each scenario is the best one."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulation.views.charts import style
from simulation.views.charts.style import (
    BASELINE_COLOUR,
    _capital,
    _decimals,
    _direction_text,
    _no_data,
    _num,
    _scale,
    _style,
    _t,
    _with_unit,
    _wrap,
    metric_label,
    scenario_colours,
    scenario_label,
)

# --------------------------------------------------------------------------------------------
# Probability of being best
# --------------------------------------------------------------------------------------------


def _percent_text(p: float) -> str:
    """A probability in percent without false certainty: "<1 %" and ">99 %" at the ends."""
    if not np.isfinite(p):
        return "n/a"
    if p <= 0:
        return "0 %"
    if p >= 100:
        return "100 %"
    if p < 1:
        return "<1 %"
    if p > 99:
        return ">99 %"
    return f"{p:.0f} %"


def ranking_figure(
    ranking: pd.DataFrame,
    metric: str,
    *,
    baseline: str | None = "baseline",
    colours: Mapping[str, str] | None = None,
    lang: str | None = None,
) -> Figure:
    """Build the chart of :func:`ranking_chart` (for notebooks: display, not save)."""
    missing = [c for c in ("scenario", "p_best") if c not in ranking.columns]
    if missing:
        raise ValueError(f"ranking table is missing column(s): {', '.join(missing)}")
    scenarios = [str(s) for s in ranking["scenario"]]
    auto = scenario_colours(scenarios, baseline)
    given = dict(colours) if colours is not None else {}
    scale = _scale(metric)
    n = len(scenarios)

    with _style(lang):
        fig = Figure(figsize=(10, max(3.2, 0.55 * n + 1.9)), layout="constrained")
        ax = fig.subplots()
        fig.suptitle(
            _wrap(
                _t("Probability of being the best scenario: {metric}", metric=metric_label(metric)),
                90,
            )
        )
        ax.set_title(
            _t(
                "{direction}; bootstrap over replications (the same resample for every "
                "scenario, ties shared)",
                direction=_capital(_direction_text(metric)),
            ),
            fontsize=9,
            fontweight="normal",
            color="0.3",
        )
        p = pd.to_numeric(ranking["p_best"], errors="coerce").to_numpy(float) * 100.0
        if n == 0 or not np.isfinite(p).any():
            _no_data(ax, "")
            return fig

        ys = np.arange(n, dtype=float)[::-1]  # ranking order: best at the top
        bar_colours = [given.get(s, auto[s]) for s in scenarios]
        with_ui = "p_best_ui" in ranking.columns and ranking["p_best_ui"].notna().any()
        if with_ui:  # the uncertainty analysis' probability: a pale bar under the noise-only one
            pu = pd.to_numeric(ranking["p_best_ui"], errors="coerce").to_numpy(float) * 100.0
            ax.barh(ys - 0.2, np.nan_to_num(pu), height=0.3, color=bar_colours, alpha=0.35)
            for y, pi in zip(ys, pu, strict=True):
                ax.text(
                    (pi if np.isfinite(pi) else 0) + 1.2,
                    y - 0.2,
                    _percent_text(pi),
                    va="center",
                    ha="left",
                    fontsize=8.5,
                    color="0.3",
                )
            ys_main = ys + 0.12
        else:
            ys_main = ys
        ax.barh(
            ys_main, np.nan_to_num(p), height=0.38 if with_ui else 0.62, color=bar_colours, zorder=2
        )
        for y, pi in zip(ys_main, p, strict=True):
            text = _percent_text(pi)
            if np.isfinite(pi) and pi > 88:
                ax.text(
                    pi - 1.5,
                    y,
                    text,
                    va="center",
                    ha="right",
                    color="white",
                    fontweight="bold",
                    fontsize=10,
                    zorder=3,
                )
            else:
                ax.text(
                    (pi if np.isfinite(pi) else 0) + 1.2,
                    y,
                    text,
                    va="center",
                    ha="left",
                    fontsize=10,
                    zorder=3,
                )

        labels: list[str] = []
        has_mean = {"mean", "ci_low", "ci_high"} <= set(ranking.columns)
        if has_mean:
            m = ranking["mean"].to_numpy(float) * scale.factor
            lo = ranking["ci_low"].to_numpy(float) * scale.factor
            hi = ranking["ci_high"].to_numpy(float) * scale.factor
            dec = _decimals(np.concatenate([m, lo, hi]))
        for i, s in enumerate(scenarios):
            label = scenario_label(s)
            if has_mean:
                mean = _with_unit(_num(m[i], dec), scale.level_unit)
                ci = (
                    f" [{_num(lo[i], dec)}, {_num(hi[i], dec)}]"
                    if np.isfinite(lo[i]) and np.isfinite(hi[i])
                    else ""
                )
                label += "\n" + _t("mean {value}", value=f"{mean}{ci}")
            labels.append(label)
        ax.set_yticks(ys, labels=labels)
        ax.tick_params(axis="y", length=0)
        for text, s in zip(ax.get_yticklabels(), scenarios, strict=True):
            if s == baseline:
                text.set_color(BASELINE_COLOUR)
                text.set_fontweight("bold")
        ax.set_xlim(0, 100)
        ax.set_ylim(-0.6, n - 0.4)
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.set_xlabel(_t("Probability of having the best mean (%)"))
        ax.grid(axis="x", color="0.9", lw=0.6, zorder=0)
        ax.spines["left"].set_visible(False)
        if has_mean:
            note = _t(
                "Under each name: mean with 95 % CI (Student-t). A high probability with "
                "overlapping intervals still means the leaders are close."
            )
            note += " " + (
                _t(
                    "Upper bar: simulation noise only; lower pale bar: with the uncertainty of "
                    "the model's assumptions as well."
                )
                if with_ui
                else _t("Simulation noise only (not uncertainty in the model's assumptions).")
            )
            fig.supxlabel(
                _wrap(note, 130),
                fontsize=8.5,
                color="0.3",
            )
    return fig


def ranking_chart(
    ranking: pd.DataFrame,
    metric: str,
    path: str | os.PathLike[str],
    *,
    baseline: str | None = "baseline",
    colours: Mapping[str, str] | None = None,
    lang: str = "en",
) -> Path:
    """Save horizontal bars of each scenario's probability of being the best on ``metric``.

    "Which mode should we roll out?" is not a pairwise question; the bootstrap probability of
    being best answers it directly and shows at a glance whether one mode is a clear winner
    (one long bar) or several are in contention (similar bars).

    Args:
        ranking: output of :func:`simulation.study.statistics.ranking` (best first).
        metric: the metric the ranking was computed on (for labels, units and direction).
        path: where to write the image.
        baseline: the status-quo scenario (labelled in grey).
        colours: scenario colours to share with other charts.

    Returns:
        The written path.
    """
    with _style(lang):
        fig = ranking_figure(ranking, metric, baseline=baseline, colours=colours)
        return style._save(fig, path)

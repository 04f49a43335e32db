"""The level of each metric per scenario with its interval, for context."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from simulation.views.charts import style
from simulation.views.charts.style import (
    BASELINE_COLOUR,
    _capital,
    _check_comparison,
    _decimals,
    _direction_text,
    _grid,
    _intervals,
    _metric_list,
    _no_data,
    _num,
    _ordered_scenarios,
    _padded_limits,
    _panel_title,
    _points,
    _rep_count_text,
    _resolve_baseline,
    _row_lines,
    _scale,
    _style,
    _t,
    _value_column,
    _wide_intervals,
    _with_unit,
    _wrap,
    has_uncertainty,
    scenario_colours,
    scenario_label,
)

# --------------------------------------------------------------------------------------------
# Means with confidence intervals
# --------------------------------------------------------------------------------------------


def _means_panel(
    ax: Axes,
    sub: pd.DataFrame,
    metric: str,
    scenarios: Sequence[str],
    baseline: str,
    colours: Mapping[str, str],
) -> None:
    scale = _scale(metric)
    title = _panel_title(metric)
    m = sub["mean"].to_numpy(float) * scale.factor
    lo = sub["ci_low"].to_numpy(float) * scale.factor
    hi = sub["ci_high"].to_numpy(float) * scale.factor
    wide = has_uncertainty(sub)
    ulo = sub["ui_low"].to_numpy(float) * scale.factor if wide else lo
    uhi = sub["ui_high"].to_numpy(float) * scale.factor if wide else hi
    if not np.isfinite(m).any():
        _no_data(ax, title)
        return

    ys = np.arange(len(scenarios), dtype=float)[::-1]
    xmin, xmax = _padded_limits(np.concatenate([m, lo, hi, ulo, uhi]))
    if baseline in scenarios:
        i = scenarios.index(baseline)
        if np.isfinite(lo[i]) and np.isfinite(hi[i]):
            ax.axvspan(lo[i], hi[i], color=BASELINE_COLOUR, alpha=0.10, lw=0, zorder=0)
        if np.isfinite(m[i]):
            ax.axvline(m[i], color=BASELINE_COLOUR, lw=1.0, ls="--", zorder=1)
    _row_lines(ax, ys)
    cols = [colours[s] for s in scenarios]
    if wide:
        _wide_intervals(ax, ys, ulo, uhi, cols)
    _intervals(ax, ys, lo, hi, cols, lw=2.0)
    _points(
        ax,
        m,
        ys,
        markers=["D" if s == baseline else "o" for s in scenarios],
        edge=["white" if s != baseline else c for s, c in zip(scenarios, cols, strict=True)],
        face=cols,
        edge_width=0.8,
    )

    decimals = _decimals(np.concatenate([m, lo, hi]))
    labels: list[str] = []
    for mi, li, hi_ in zip(m, lo, hi, strict=True):
        value = _with_unit(_num(mi, decimals), scale.level_unit)
        if np.isfinite(li) and np.isfinite(hi_):
            value += f"  [{_num(li, decimals)}, {_num(hi_, decimals)}]"
        labels.append(value)

    ax.set_xlim(xmin, xmax)
    ax.set_ylim(-0.6, len(scenarios) - 0.4)
    ax.set_yticks(ys, labels=[scenario_label(s) for s in scenarios])
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    for text, s in zip(ax.get_yticklabels(), scenarios, strict=True):
        if s == baseline:
            text.set_fontweight("bold")
            text.set_color(BASELINE_COLOUR)
    unit = f" ({scale.level_unit})" if scale.level_unit else ""
    ax.set_xlabel(_t("Mean") + unit)
    ax.set_title(f"{title}\n({_direction_text(metric)})", fontsize=10.5)
    _value_column(ax, ys, labels, [s == baseline for s in scenarios])


def means_figure(
    comparison: pd.DataFrame,
    metrics: Sequence[str] | str | None = None,
    *,
    baseline: str | None = None,
    colours: Mapping[str, str] | None = None,
    lang: str | None = None,
) -> Figure:
    """Build the chart of :func:`means_chart` (for notebooks: display, not save)."""
    _check_comparison(comparison)
    base = _resolve_baseline(comparison, baseline)
    metric_list = _metric_list(list(comparison["metric"].astype(str)), metrics)
    scenarios = _ordered_scenarios(comparison["scenario"], base)
    cmap = dict(colours) if colours is not None else {}
    auto = scenario_colours(scenarios, base)
    cmap = {s: cmap.get(s, auto[s]) for s in scenarios}
    n_panels = max(len(metric_list), 1)
    ncols = 2 if n_panels > 1 else 1
    nrows = math.ceil(n_panels / ncols)
    row_h = max(3.0, 0.34 * len(scenarios) + 1.4)

    with _style(lang):
        fig = Figure(figsize=(12 if ncols == 2 else 8, row_h * nrows + 1.2), layout="constrained")
        fig.get_layout_engine().set(w_pad=0.08, h_pad=0.08, wspace=0.06, hspace=0.06)
        panels, spare = _grid(fig, n_panels, ncols)
        fig.suptitle(_t("Mean per scenario (dot) with 95 % confidence interval (bar)"))
        if not metric_list or comparison.empty:
            _no_data(panels[0], "", "no data")
        else:
            indexed = comparison.assign(scenario=comparison["scenario"].astype(str))
            for ax, metric in zip(panels, metric_list, strict=True):
                sub = (
                    indexed[indexed["metric"] == metric]
                    .drop_duplicates("scenario")
                    .set_index("scenario")
                    .reindex(scenarios)
                )
                _means_panel(ax, sub, metric, scenarios, base, cmap)
        note = _t(
            "{baseline} (status quo) in grey: dashed line = its mean, grey band = its 95 % CI. "
            "Student-t intervals across replications; {reps}. Rates in percent; the equity gap "
            "in percentage points (pp). Numbers at the right: mean [95 % CI]. Overlapping "
            "intervals do not mean 'no difference': the difference chart compares each "
            "scenario with the baseline replication by replication, which is more precise.",
            baseline=_capital(scenario_label(base)),
            reps=_rep_count_text(comparison["n"]),
        )
        note += " " + (
            _t(
                "Thin bar: 95 % CI from simulation noise only; thick pale bar: 95 % interval "
                "with the uncertainty of the model's assumptions as well."
            )
            if has_uncertainty(comparison)
            else _t(
                "Intervals show simulation noise only (not uncertainty in the model's assumptions)."
            )
        )
        if spare:
            spare[0].text(
                0.0,
                0.5,
                _wrap(note, 64),
                transform=spare[0].transAxes,
                fontsize=9,
                color="0.3",
                va="center",
            )
        else:
            fig.supxlabel(_wrap(note, 150), fontsize=8.5, color="0.3")
    return fig


def means_chart(
    comparison: pd.DataFrame,
    path: str | os.PathLike[str],
    metrics: Sequence[str] | str | None = None,
    *,
    baseline: str | None = None,
    colours: Mapping[str, str] | None = None,
    lang: str = "en",
) -> Path:
    """Save each metric's mean per scenario with its 95 % interval, baseline in grey.

    Differences alone hide the level ("+3 pp" matters more at 40 % than at 95 %), so this
    chart gives the context; the baseline's mean and interval are drawn across each panel so
    that every scenario can be read against the status quo.

    Args:
        comparison: output of :func:`simulation.study.statistics.compare`.
        path: where to write the image.
        metrics: metrics to show; defaults to the primary metrics present.
        baseline: the status-quo scenario; defaults to ``comparison.attrs["baseline"]``.
        colours: scenario colours (see :func:`scenario_colours`) to share with other charts.

    Returns:
        The written path.
    """
    with _style(lang):
        fig = means_figure(comparison, metrics, baseline=baseline, colours=colours)
        return style._save(fig, path)

"""The key decision chart: each scenario's paired difference to the baseline with its interval."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from simulation.study.statistics import METRIC_DIRECTIONS
from simulation.views.charts import style
from simulation.views.charts.style import (
    _BETTER,
    _WORSE,
    ALPHA,
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
    _status,
    _style,
    _t,
    _value_column,
    _wide_intervals,
    _with_unit,
    _wrap,
    has_uncertainty,
    scenario_label,
)


def _difference_legend_handles(wide: bool = False) -> list[Line2D | Patch]:
    extra: list[Line2D | Patch] = (
        [
            Line2D(
                [], [], color="0.25", lw=7, alpha=0.22, label=_t("Thick pale bar: with assumptions")
            )
        ]
        if wide
        else []
    )
    return [
        *extra,
        Line2D(
            [], [], ls="none", marker="o", ms=8, color=_BETTER, label=_t("Better than baseline")
        ),
        Line2D([], [], ls="none", marker="s", ms=8, color=_WORSE, label=_t("Worse than baseline")),
        Line2D(
            [],
            [],
            ls="none",
            marker="o",
            ms=8,
            color="0.25",
            label=_t("Filled: significant (Holm p < {alpha})", alpha=f"{ALPHA:g}"),
        ),
        Line2D(
            [],
            [],
            ls="none",
            marker="o",
            ms=8,
            color="0.25",
            mfc="white",
            mew=1.6,
            label=_t("Hollow: not significant"),
        ),
        Line2D(
            [], [], color="0.25", lw=1.8, label=_t("Bar: 95 % paired CI (simulation noise only)")
        ),
        Patch(facecolor=_BETTER, alpha=0.08, label=_t("Shaded: better side")),
    ]


def _difference_panel(
    ax: Axes, sub: pd.DataFrame, metric: str, scenarios: Sequence[str], baseline: str
) -> None:
    scale = _scale(metric)
    direction = METRIC_DIRECTIONS.get(metric)
    title = _panel_title(metric)
    d = sub["diff"].to_numpy(float) * scale.factor
    lo = sub["diff_ci_low"].to_numpy(float) * scale.factor
    hi = sub["diff_ci_high"].to_numpy(float) * scale.factor
    p_adj = sub["p_adjusted"].to_numpy(float)
    wide = has_uncertainty(sub, "diff_")
    ulo = sub["diff_ui_low"].to_numpy(float) * scale.factor if wide else lo
    uhi = sub["diff_ui_high"].to_numpy(float) * scale.factor if wide else hi
    if not np.isfinite(d).any():
        _no_data(ax, title)
        return

    ys = np.arange(len(scenarios), dtype=float)[::-1]  # first scenario at the top
    xmin, xmax = _padded_limits(np.concatenate([d, lo, hi, ulo, uhi]), include=[0.0])
    if direction == 1:
        ax.axvspan(0.0, xmax, color=_BETTER, alpha=0.08, lw=0, zorder=0)
    elif direction == -1:
        ax.axvspan(xmin, 0.0, color=_BETTER, alpha=0.08, lw=0, zorder=0)
    ax.axvline(0.0, color=BASELINE_COLOUR, lw=1.2, zorder=1)
    _row_lines(ax, ys)

    status = [_status(di, direction) for di in d]
    significant = [bool(np.isfinite(p) and p < ALPHA) for p in p_adj]
    if wide:
        _wide_intervals(ax, ys, ulo, uhi, [c for c, _ in status])
    _intervals(ax, ys, lo, hi, [c for c, _ in status], lw=1.8)
    _points(
        ax,
        d,
        ys,
        markers=[m for _, m in status],
        edge=[c for c, _ in status],
        face=[c if sig else "white" for (c, _), sig in zip(status, significant, strict=True)],
    )

    decimals = _decimals(np.concatenate([d, lo, hi]))
    labels: list[str] = []
    for di, li, hi_ in zip(d, lo, hi, strict=True):
        value = _with_unit(_num(di, decimals, sign=True), scale.diff_unit)
        if np.isfinite(li) and np.isfinite(hi_):
            value += f"  [{_num(li, decimals)}, {_num(hi_, decimals)}]"
        labels.append(value)
    bold = significant

    ax.set_xlim(xmin, xmax)
    ax.set_ylim(-0.6, len(scenarios) - 0.4)
    ax.set_yticks(ys, labels=[scenario_label(s) for s in scenarios])
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    unit = f" ({scale.diff_unit})" if scale.diff_unit else ""
    arrow = {1: "   " + _t("better →"), -1: "   " + _t("← better")}.get(direction or 0, "")
    ax.set_xlabel(
        _t("{baseline} = 0; difference", baseline=_capital(scenario_label(baseline)))
        + f"{unit}{arrow}"
    )
    ax.set_title(f"{title}\n({_direction_text(metric)})", fontsize=10.5)
    _value_column(ax, ys, labels, bold)


def difference_figure(
    comparison: pd.DataFrame,
    baseline: str | None = None,
    metrics: Sequence[str] | str | None = None,
    *,
    lang: str | None = None,
) -> Figure:
    """Build the forest plot of :func:`difference_chart` (for notebooks: display, not save)."""
    _check_comparison(comparison)
    base = _resolve_baseline(comparison, baseline)
    present = set(comparison["scenario"].astype(str))
    if present and base not in present:
        # The differences in the table are relative to its own baseline; drawing them under
        # another name would mislabel every number on the chart.
        raise ValueError(
            f"baseline {base!r} is not a scenario of the comparison table "
            f"({', '.join(sorted(present))})"
        )
    metric_list = _metric_list(list(comparison["metric"].astype(str)), metrics)
    scenarios = [s for s in _ordered_scenarios(comparison["scenario"], base) if s != base]
    n_panels = max(len(metric_list), 1)
    ncols = 2 if n_panels > 1 else 1
    nrows = math.ceil(n_panels / ncols)
    row_h = max(3.0, 0.34 * len(scenarios) + 1.4)
    has_spare = nrows * ncols > n_panels
    footer_h = 1.5 if ncols == 2 else 2.3

    with _style(lang):
        fig = Figure(
            figsize=(
                12 if ncols == 2 else 8,
                row_h * nrows + (0.9 if has_spare else 0.9 + footer_h),
            ),
            layout="constrained",
        )
        fig.get_layout_engine().set(w_pad=0.08, h_pad=0.08, wspace=0.06, hspace=0.06)
        panels, spare = _grid(fig, n_panels, ncols, footer_ratio=footer_h / row_h)
        fig.suptitle(
            _t(
                "Difference to {baseline} (95 % paired CI; filled = significant after Holm)",
                baseline=scenario_label(base),
            )
        )
        if not metric_list or comparison.empty:
            _no_data(panels[0], "", "no data")
        elif not scenarios:
            for ax, metric in zip(panels, metric_list, strict=False):
                _no_data(
                    ax,
                    _panel_title(metric),
                    _t("only {baseline}: nothing to compare", baseline=scenario_label(base)),
                )
        else:
            indexed = comparison.assign(scenario=comparison["scenario"].astype(str))
            for ax, metric in zip(panels, metric_list, strict=True):
                sub = (
                    indexed[indexed["metric"] == metric]
                    .drop_duplicates("scenario")
                    .set_index("scenario")
                    .reindex(scenarios)
                )
                _difference_panel(ax, sub, metric, scenarios, base)

        base_rows = comparison[comparison["scenario"].astype(str) != base]
        note = _t(
            "Each row: scenario − {baseline}, paired by replication (common random numbers); "
            "{reps}. Rate differences in percentage points (pp). {kinds} Holm correction per "
            "metric across all scenarios compared with the baseline; the intervals are not "
            "adjusted, so an interval just clear of 0 can still be hollow. Numbers at the "
            "right: difference [95 % CI]; bold = significant.",
            baseline=scenario_label(base),
            reps=_rep_count_text(base_rows["n"]),
            kinds=_t(
                "Thin bar: 95 % CI from simulation noise only; thick pale bar: 95 % interval "
                "with the uncertainty of the model's assumptions as well."
            )
            if has_uncertainty(comparison, "diff_")
            else _t(
                "Intervals show simulation noise only (not uncertainty in the model's assumptions)."
            ),
        )
        handles = _difference_legend_handles(has_uncertainty(comparison, "diff_"))
        holder = spare[0]
        if has_spare:  # an empty grid cell: legend at the top, notes at the bottom
            # One legend column when the cell is tall enough; two when few scenarios make the
            # panels (and so this cell) low, so the legend still clears the note.
            two = row_h < 3.5
            if two:  # half the width each: long labels wrap instead of running off the figure
                for h in handles:
                    h.set_label(_wrap(h.get_label(), 26))
            holder.legend(
                handles=handles,
                loc="upper left",
                ncols=2 if two else 1,
                fontsize=9,
                borderaxespad=0.3,
            )
            holder.text(
                0.0,
                0.02,
                _wrap(note.replace("\n", " "), 64),
                transform=holder.transAxes,
                fontsize=8.5,
                color="0.3",
                va="bottom",
            )
        else:  # a full-width footer row
            holder.legend(
                handles=handles,
                loc="upper center",
                ncols=3 if ncols == 2 else 2,
                fontsize=9.5,
                borderaxespad=0.2,
            )
            holder.text(
                0.5,
                0.0,
                _wrap(note.replace("\n", " "), 135 if ncols == 2 else 90),
                transform=holder.transAxes,
                fontsize=8.5,
                color="0.3",
                ha="center",
                va="bottom",
            )
    return fig


def difference_chart(
    comparison: pd.DataFrame,
    path: str | os.PathLike[str],
    baseline: str | None = None,
    metrics: Sequence[str] | str | None = None,
    *,
    lang: str = "en",
) -> Path:
    """Save the key decision chart: each scenario's paired difference to the baseline.

    One panel per metric; per scenario the mean paired difference (scenario − baseline) with
    its 95 % interval, a zero line for "no change", colour and marker saying whether the
    change is an improvement for that metric (fewer days or a smaller equity gap is better),
    and a filled marker only when the Holm-adjusted p-value is below 0.05.  This is the chart
    that answers "which modes actually help, and on what?" without overstating noise.

    Args:
        comparison: output of :func:`simulation.study.statistics.compare`.
        path: where to write the image (format from the suffix, PNG by default).
        baseline: the reference scenario; defaults to ``comparison.attrs["baseline"]``.
        metrics: metrics to show; defaults to the primary metrics present.
        lang: "en" or "zh" (Chinese falls back to English, with a warning, without a CJK font).

    Returns:
        The written path.
    """
    with _style(lang):
        fig = difference_figure(comparison, baseline=baseline, metrics=metrics)
        return style._save(fig, path)

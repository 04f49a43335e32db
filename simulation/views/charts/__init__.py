"""Charts that let planners compare integration modes at a glance.

The tables of :mod:`simulation.study.statistics` are exact but slow to read; a city decision-maker
needs to see in one picture which modes help, which hurt, and which differences are within
the noise.  This module draws those pictures from the analysis outputs:

* :func:`difference_chart` - the key decision chart: every scenario's paired difference to the
  baseline with its 95 % interval, coloured by whether it is an improvement (direction-aware:
  fewer days to resolve is better) and filled only when it survives the Holm correction.
* :func:`means_chart` - the level of each metric per scenario, for context ("better by 3 pp
  of what?").
* :func:`timeseries_chart` - how each scenario evolves over simulated time (warm-up, steady
  state), with the uncertainty across replications.
* :func:`ranking_chart` - the bootstrap probability that each scenario is the best one.
* :func:`spread_figure` - one metric over time per scenario with both kinds of band: the
  run-to-run spread of single runs and the confidence interval of their mean.
* :func:`communities_figure` - needs met per community on a (schematic) map, strongest and
  weakest quarters marked: who is left behind.
* :func:`cost_effect_figure` - paired cost against paired effect, when runs carry costs.
* :func:`sobol_figure`, :func:`response_figure` - a sweep's answer: Sobol indices with
  intervals, and each output over its most influential parameters.
* :func:`write_all`, :func:`write_sweep_charts` - all of the above into one folder with
  stable file names, PNG and SVG, in English or Chinese (``lang``).

Design choices
--------------
* **No global matplotlib state.**  Figures are built as :class:`matplotlib.figure.Figure`
  objects (not through ``pyplot``) and styled inside :func:`matplotlib.rc_context`, so
  importing this module neither switches the backend nor changes a notebook's settings.  The
  ``*_figure`` builders return the figure for display in Jupyter; the ``*_chart`` functions
  save it.
* **Units a planner reads.**  Rates are shown in percent and their differences in percentage
  points (pp); the equity gap is itself a difference of rates, so it is in pp throughout.
  Days and hours are shown as they are.
* **Stable colours.**  :func:`scenario_colours` gives each known scenario a fixed colour
  (baseline always dark grey) so that a mode keeps its colour across charts and reports.
* **Atomic files.**  Every chart is written to a temporary file in the target folder and then
  moved into place with :func:`os.replace`, so an interrupted run never leaves a truncated
  image where a report expects a chart.
* Fonts: DejaVu Sans (bundled with matplotlib) for English; for Chinese an installed CJK
  font (Debian's fonts-noto-cjk), found by :mod:`simulation.views.fonts`; without one,
  Chinese falls back to English with a warning. Nothing is fetched from the network.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from simulation.views.charts import style
from simulation.views.charts.communities import communities_chart, communities_figure
from simulation.views.charts.cost import cost_column, cost_effect_chart, cost_effect_figure
from simulation.views.charts.differences import difference_chart, difference_figure
from simulation.views.charts.means import means_chart, means_figure
from simulation.views.charts.ranking import ranking_chart, ranking_figure
from simulation.views.charts.spread import spread_chart, spread_figure
from simulation.views.charts.style import (
    BASELINE_COLOUR,
    DPI,
    FILE_NAMES,
    METRIC_LABELS,
    _ordered_scenarios,
    _resolve_baseline,
    _style,
    metric_label,
    scenario_colours,
    scenario_label,
)
from simulation.views.charts.sweep import (
    response_chart,
    response_figure,
    sobol_chart,
    sobol_figure,
)
from simulation.views.charts.timeseries import timeseries_chart, timeseries_figure

__all__ = [
    "BASELINE_COLOUR",
    "DPI",
    "FILE_NAMES",
    "METRIC_LABELS",
    "communities_chart",
    "communities_figure",
    "cost_column",
    "cost_effect_chart",
    "cost_effect_figure",
    "difference_chart",
    "difference_figure",
    "means_chart",
    "means_figure",
    "metric_label",
    "ranking_chart",
    "ranking_figure",
    "response_chart",
    "response_figure",
    "scenario_colours",
    "scenario_label",
    "sobol_chart",
    "sobol_figure",
    "spread_chart",
    "spread_figure",
    "timeseries_chart",
    "timeseries_figure",
    "write_all",
    "write_sweep_charts",
]

# --------------------------------------------------------------------------------------------
# Everything at once
# --------------------------------------------------------------------------------------------


def _is_empty(df: pd.DataFrame | None) -> bool:
    return df is None or len(df) == 0


def write_all(
    out_dir: str | os.PathLike[str],
    comparison: pd.DataFrame | None,
    timeseries: pd.DataFrame | None = None,
    ranking: pd.DataFrame | None = None,
    metric: str = "needs_met_rate",
    baseline: str | None = None,
    *,
    communities: pd.DataFrame | None = None,
    runs: pd.DataFrame | None = None,
    lang: str = "en",
    formats: Sequence[str] = ("png", "svg"),
) -> list[Path]:
    """Write every chart whose input is available into ``out_dir`` (created if needed).

    File names are fixed (:data:`FILE_NAMES`, one file per format) so reports and dashboards
    can link to them. The difference chart is skipped when the comparison holds only the
    baseline (there is nothing to compare); charts whose input is ``None`` or empty are
    skipped, and the cost chart unless the runs carry a cost column. All charts share one
    colour map, so a scenario has the same colour everywhere. Each file is written atomically.

    Returns:
        The paths written: differences, means, time series, spread, ranking, communities,
        cost against effect, each in every format.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    base = (
        _resolve_baseline(comparison, baseline)
        if comparison is not None
        else (baseline or "baseline")
    )
    names: list[str] = []
    for df in (comparison, timeseries, ranking):
        if not _is_empty(df) and "scenario" in df.columns:
            names.extend(df["scenario"].astype(str))
    colours = scenario_colours(_ordered_scenarios(names, base), base)

    figures: list[tuple[str, Callable[[], Figure]]] = []
    if not _is_empty(comparison):
        assert comparison is not None
        others = set(comparison["scenario"].astype(str)) - {base}
        if others:
            figures.append(("differences", lambda: difference_figure(comparison, baseline=base)))
        figures.append(("means", lambda: means_figure(comparison, baseline=base, colours=colours)))
    if not _is_empty(timeseries):
        assert timeseries is not None
        figures.append(
            ("timeseries", lambda: timeseries_figure(timeseries, baseline=base, colours=colours))
        )
        if metric in timeseries.columns:
            figures.append(
                (
                    "spread",
                    lambda: spread_figure(timeseries, metric, baseline=base, colours=colours),
                )
            )
    if not _is_empty(ranking):
        assert ranking is not None
        figures.append(
            ("ranking", lambda: ranking_figure(ranking, metric, baseline=base, colours=colours))
        )
    if not _is_empty(communities):
        figures.append(("communities", lambda: communities_figure(communities, baseline=base)))
    if not _is_empty(runs) and cost_column(runs) is not None:
        figures.append(
            ("cost_effect", lambda: cost_effect_figure(runs, baseline=base, colours=colours))
        )

    written: list[Path] = []
    with _style(lang):
        for name, build in figures:
            fig = build()
            stem = Path(FILE_NAMES[name]).stem
            for fmt in formats:
                written.append(style._save(fig, out / f"{stem}.{fmt}"))
    return written


def write_sweep_charts(
    out_dir: str | os.PathLike[str],
    summary: pd.DataFrame,
    sobol: pd.DataFrame | None = None,
    *,
    lang: str = "en",
    formats: Sequence[str] = ("png", "svg"),
) -> list[Path]:
    """Write a sweep's charts: Sobol indices (when there are any) and response curves."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figures: list[tuple[str, Callable[[], Figure]]] = []
    if sobol is not None and not sobol.empty:
        figures.append(("sobol", lambda: sobol_figure(sobol)))
    if not summary.empty:
        figures.append(("response", lambda: response_figure(summary, sobol)))
    written: list[Path] = []
    with _style(lang):
        for name, build in figures:
            fig = build()
            for fmt in formats:
                written.append(style._save(fig, out / f"{Path(FILE_NAMES[name]).stem}.{fmt}"))
    return written

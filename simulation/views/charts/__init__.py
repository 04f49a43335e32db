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
* :func:`write_all` - all of the above into one folder with stable file names.

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
* Only DejaVu Sans (bundled with matplotlib) is used; nothing is fetched from the network.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from simulation.views.charts.differences import difference_chart, difference_figure
from simulation.views.charts.means import means_chart, means_figure
from simulation.views.charts.ranking import ranking_chart, ranking_figure
from simulation.views.charts.style import (
    BASELINE_COLOUR,
    DPI,
    FILE_NAMES,
    METRIC_LABELS,
    _ordered_scenarios,
    _resolve_baseline,
    metric_label,
    scenario_colours,
    scenario_label,
)
from simulation.views.charts.timeseries import timeseries_chart, timeseries_figure

__all__ = [
    "BASELINE_COLOUR",
    "DPI",
    "FILE_NAMES",
    "METRIC_LABELS",
    "difference_chart",
    "difference_figure",
    "means_chart",
    "means_figure",
    "metric_label",
    "ranking_chart",
    "ranking_figure",
    "scenario_colours",
    "scenario_label",
    "timeseries_chart",
    "timeseries_figure",
    "write_all",
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
) -> list[Path]:
    """Write every chart whose input is available into ``out_dir`` (created if needed).

    File names are fixed (:data:`FILE_NAMES`) so reports and dashboards can link to them.
    The difference chart is skipped when the comparison holds only the baseline (there is
    nothing to compare); charts whose input is ``None`` or empty are skipped.  All charts share
    one colour map, so a scenario has the same colour everywhere.  Each file is written
    atomically.

    Returns:
        The paths written, in the order differences, means, time series, ranking.
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

    written: list[Path] = []
    if not _is_empty(comparison):
        assert comparison is not None
        others = set(comparison["scenario"].astype(str)) - {base}
        if others:
            written.append(
                difference_chart(comparison, out / FILE_NAMES["differences"], baseline=base)
            )
        written.append(
            means_chart(comparison, out / FILE_NAMES["means"], baseline=base, colours=colours)
        )
    if not _is_empty(timeseries):
        assert timeseries is not None
        written.append(
            timeseries_chart(
                timeseries, out / FILE_NAMES["timeseries"], baseline=base, colours=colours
            )
        )
    if not _is_empty(ranking):
        assert ranking is not None
        written.append(
            ranking_chart(
                ranking, metric, out / FILE_NAMES["ranking"], baseline=base, colours=colours
            )
        )
    return written

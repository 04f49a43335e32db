"""Who is left behind: needs met in each community, on a map of communities by street.

The model has no geography: communities belong to streets (街道) and have a strength, not
coordinates. The map is therefore schematic unless the community table carries `x` and `y`
columns: streets on a grid, each street's communities in a small cluster around its centre.
Colour is the share of the community's problems resolved within the limit (its needs met);
triangles mark the strongest quarter of communities and inverted triangles the weakest, the
two groups whose gap is the `equity_gap` metric. Each panel is one scenario on the city of
the first replication (every scenario shares that city: common random numbers), and says
the weak and strong quarters' needs met pooled over all replications.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from simulation.views.charts import style
from simulation.views.charts.style import (
    _body_and_footer,
    _footer,
    _grid,
    _no_data,
    _ordered_scenarios,
    _style,
    _t,
    _wrap,
    scenario_label,
)

_REQUIRED = ("scenario", "replication", "community", "street", "group", "problems", "resolved")
_MARKERS = {"strong": "^", "weak": "v", "middle": "o"}


def schematic_positions(communities: pd.DataFrame) -> pd.DataFrame:
    """`x`, `y` per community of one city: streets on a square grid, communities on a small
    sunflower spiral around their street's centre (deterministic, no overlap)."""
    streets = np.sort(communities["street"].unique())
    cols = max(1, math.ceil(math.sqrt(len(streets))))
    centre = {s: (i % cols, -(i // cols)) for i, s in enumerate(streets)}
    x = np.empty(len(communities))
    y = np.empty(len(communities))
    golden = math.pi * (3 - math.sqrt(5))
    for street, idx in communities.groupby("street").indices.items():
        k = np.arange(len(idx))
        r = 0.36 * np.sqrt((k + 0.5) / max(len(idx), 1))
        cx, cy = centre[street]
        x[idx] = cx + r * np.cos(k * golden)
        y[idx] = cy + r * np.sin(k * golden)
    return communities.assign(x=x, y=y)


def _pooled(group: pd.DataFrame) -> float:
    problems = group["problems"].sum()
    return float(group["resolved"].sum() / problems) if problems else float("nan")


def communities_figure(
    communities: pd.DataFrame,
    *,
    baseline: str | None = "baseline",
    lang: str | None = None,
) -> Figure:
    """Build the chart of :func:`communities_chart` (for notebooks: display, not save)."""
    missing = [c for c in _REQUIRED if c not in communities.columns]
    if missing:
        raise ValueError(f"communities table is missing column(s): {', '.join(missing)}")
    scenarios = _ordered_scenarios(communities["scenario"], baseline)
    n = max(len(scenarios), 1)
    ncols = min(4, n)
    nrows = math.ceil(n / ncols)
    with _style(lang):
        fig = Figure(figsize=(3.4 * ncols + 1.2, 3.3 * nrows + 2.3), layout="constrained")
        body, footer = _body_and_footer(fig, 1.2)
        panels, _ = _grid(body, n, ncols)
        fig.suptitle(_t("Who is left behind: needs met in each community"))
        if communities.empty:
            _no_data(panels[0], "")
            return fig
        first = communities["replication"].min()
        city = communities[communities["replication"] == first]
        schematic = not {"x", "y"} <= set(city.columns)
        scatter = None
        rates = (city["resolved"] / city["problems"].where(city["problems"] > 0)).dropna() * 100
        # Colour range from the data (5th to 95th percentile, to the nearest 10 %), so the
        # differences that exist are visible; values beyond it take the end colours.
        lo_c = float(np.floor(np.percentile(rates, 5) / 10) * 10) if len(rates) else 0.0
        hi_c = float(np.ceil(np.percentile(rates, 95) / 10) * 10) if len(rates) else 100.0
        if hi_c <= lo_c:
            lo_c, hi_c = 0.0, 100.0
        for ax, s in zip(panels, scenarios, strict=False):
            part = city[city["scenario"].astype(str) == s]
            if schematic:
                part = schematic_positions(part.reset_index(drop=True))
            rate = part["resolved"] / part["problems"].where(part["problems"] > 0)
            idle = (part["problems"] == 0).to_numpy()  # not in the simulated sample
            ax.scatter(
                part["x"][idle],
                part["y"][idle],
                s=12,
                facecolors="none",
                edgecolors="0.75",
                linewidths=0.6,
            )
            for group, marker in _MARKERS.items():
                sel = (part["group"] == group).to_numpy() & ~idle
                scatter = ax.scatter(
                    part["x"][sel],
                    part["y"][sel],
                    c=rate[sel] * 100,
                    cmap="viridis",
                    vmin=lo_c,
                    vmax=hi_c,
                    marker=marker,
                    s=34 if group != "middle" else 14,
                    edgecolors="black" if group != "middle" else "none",
                    linewidths=0.5,
                )
            every = communities[communities["scenario"].astype(str) == s]
            weak = _pooled(every[every["group"] == "weak"])
            strong = _pooled(every[every["group"] == "strong"])
            ax.set_title(
                _wrap(scenario_label(s), 34)
                + "\n"
                + _t(
                    "weakest quarter {weak:.0f} %, strongest {strong:.0f} %",
                    weak=weak * 100,
                    strong=strong * 100,
                ),
                fontsize=9.5,
            )
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_aspect("equal")
            for spine in ax.spines.values():
                spine.set_visible(False)
        if scatter is not None:
            bar = body.colorbar(scatter, ax=panels, shrink=0.6, pad=0.01, extend="both")
            bar.set_label(_t("Needs met in the community (%)"))
        handles = [
            Line2D([], [], ls="none", marker=marker, mfc=face, mec=edge, ms=size, label=_t(text))
            for marker, face, edge, size, text in (
                ("^", "0.6", "black", 7, "strongest quarter of communities"),
                ("v", "0.6", "black", 7, "weakest quarter of communities"),
                ("o", "0.6", "none", 5, "other communities"),
                ("o", "none", "0.75", 5, "not simulated at this scale"),
            )
        ]

        where = (
            _t(
                "Positions are schematic: the model has streets and communities, not "
                "coordinates; each cluster is one street."
            )
            if schematic
            else ""
        )
        _footer(
            footer,
            handles,
            _t(
                "Dots: the communities of the first replication's city (shared by every "
                "scenario), coloured by the share of their problems resolved within 30 days. "
                "Percentages in the titles pool all replications. {where} Below full scale "
                "only a sample of whole communities is simulated; grey rings are the others. "
                "Read the pattern, not one dot.",
                where=where,
            ),
            150,
            ncols=4,
        )
    return fig


def communities_chart(
    communities: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    baseline: str | None = "baseline",
    lang: str = "en",
) -> Path:
    """Save the map of needs met per community, strong and weak quarters marked (see the
    module docstring); `communities` is a study's communities.parquet."""
    with _style(lang):
        fig = communities_figure(communities, baseline=baseline)
        return style._save(fig, path)

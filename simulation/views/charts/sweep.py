"""What a sweep answers: which parameters move each output (Sobol indices with their
intervals), and how (the response of each output over its most influential parameters).

Inputs are a sweep folder's `sobol.csv` (output, parameter, S1, S1_conf, ST, ST_conf) and
`summary.csv` (one row per design point: parameter values and `<output>_mean`). Without
Sobol indices (grid or Latin-hypercube designs) the response chart ranks parameters by the
spread of the output's binned means along each parameter instead.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
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
    _panel_title,
    _scale,
    _style,
    _t,
    _wrap,
)

_S1 = "#0072B2"
_ST = "#D55E00"


def parameter_label(key: str) -> str:
    """A dotted scenario key as a short readable label (`modes.smart_platform.coverage` ->
    `smart platform: coverage`)."""
    parts = key.split(".")
    if len(parts) >= 3 and parts[0] == "modes":
        return f"{parts[1].replace('_', ' ')}: {' '.join(parts[2:]).replace('_', ' ')}"
    return ": ".join(p.replace("_", " ") for p in parts[-2:])


def sobol_figure(sobol: pd.DataFrame, *, lang: str | None = None) -> Figure:
    """Build the chart of :func:`sobol_chart` (for notebooks: display, not save)."""
    missing = [
        c for c in ("output", "parameter", "S1", "S1_conf", "ST", "ST_conf") if c not in sobol
    ]
    if missing:
        raise ValueError(f"Sobol table is missing column(s): {', '.join(missing)}")
    outputs = list(dict.fromkeys(sobol["output"].astype(str)))
    n = max(len(outputs), 1)
    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    params = list(dict.fromkeys(sobol["parameter"].astype(str)))
    with _style(lang):
        fig = Figure(
            figsize=(4.6 * ncols + 2.2, (0.42 * len(params) + 1.6) * nrows + 2.0),
            layout="constrained",
        )
        body, footer = _body_and_footer(fig, 0.9)
        panels, _ = _grid(body, n, ncols)
        fig.suptitle(_t("Which parameters move each output: Sobol indices with 95 % intervals"))
        if sobol.empty:
            _no_data(panels[0], "")
        for k, (ax, out) in enumerate(zip(panels, outputs, strict=False)):
            sub = sobol[sobol["output"].astype(str) == out].set_index("parameter").reindex(params)
            ys = np.arange(len(params), dtype=float)[::-1]
            for col, colour, dy in (("ST", _ST, 0.14), ("S1", _S1, -0.14)):
                v = sub[col].to_numpy(float)
                c = sub[f"{col}_conf"].to_numpy(float)
                ax.errorbar(v, ys + dy, xerr=c, fmt="o", color=colour, ms=5, capsize=2, lw=1.2)
            ax.axvline(0, color="0.4", lw=0.8)
            ax.axvline(1, color="0.8", lw=0.8, ls=":")
            ax.set_yticks(
                ys, labels=[_wrap(parameter_label(p), 28) for p in params] if k % ncols == 0 else []
            )
            ax.tick_params(axis="y", length=0)
            ax.set_title(_panel_title(out, 40), fontsize=10)
            ax.set_xlabel(_t("share of the output's variance"))
            ax.grid(axis="x", color="0.93", lw=0.6)
        handles = [
            Line2D(
                [],
                [],
                ls="none",
                marker="o",
                color=_ST,
                label=_t("total order (ST): alone and with others"),
            ),
            Line2D([], [], ls="none", marker="o", color=_S1, label=_t("first order (S1): alone")),
        ]
        _footer(
            footer,
            handles,
            _t(
                "Bars: 95 % bootstrap intervals. ST well above S1 means the parameter acts "
                "through interactions with others. Estimates beyond [0, 1] or with wide "
                "intervals mean the design is too small: read them as a ranking."
            ),
            140,
        )
    return fig


def sobol_chart(sobol: pd.DataFrame, path: str | os.PathLike[str], *, lang: str = "en") -> Path:
    """Save the Sobol indices (first and total order, with intervals) per output."""
    with _style(lang):
        return style._save(sobol_figure(sobol), path)


def _influence(summary: pd.DataFrame, output: str, params: Sequence[str]) -> dict[str, float]:
    """Spread of the output's mean over quantile bins of each parameter (a ranking when no
    Sobol indices exist)."""
    y = summary[f"{output}_mean"]
    out = {}
    for p in params:
        x = summary[p]
        groups = (
            x
            if not pd.api.types.is_numeric_dtype(x) or x.nunique() <= 6
            else pd.qcut(x, 4, duplicates="drop")
        )
        out[p] = float(y.groupby(groups, observed=True).mean().agg(np.ptp))
    return out


def response_figure(
    summary: pd.DataFrame,
    sobol: pd.DataFrame | None = None,
    *,
    parameters: Sequence[str] | None = None,
    top: int = 2,
    lang: str | None = None,
) -> Figure:
    """Build the chart of :func:`response_chart` (for notebooks: display, not save)."""
    outputs = [c.removesuffix("_mean") for c in summary.columns if c.endswith("_mean")]
    if parameters is None:
        skip = {"design_point", "runs", "ok"}
        parameters = [
            c for c in summary.columns if c not in skip and not c.endswith(("_mean", "_sd"))
        ]
    if not outputs or not parameters:
        raise ValueError("summary table needs <output>_mean columns and parameter columns")
    chosen: dict[str, list[str]] = {}
    for out in outputs:
        if sobol is not None and not sobol.empty and (sobol["output"] == out).any():
            rank = sobol[sobol["output"] == out].set_index("parameter")["ST"].to_dict()
        else:
            rank = _influence(summary, out, parameters)
        chosen[out] = sorted(parameters, key=lambda p: -np.nan_to_num(rank.get(p, np.nan), nan=-1))[
            :top
        ]
    ncols = top
    nrows = len(outputs)
    with _style(lang):
        fig = Figure(figsize=(4.4 * ncols + 0.6, 3.0 * nrows + 1.6), layout="constrained")
        panels, _ = _grid(fig, ncols * nrows, ncols)
        fig.suptitle(_t("How each output responds to its most influential parameters"))
        for i, out in enumerate(outputs):
            scale = _scale(out)
            y = summary[f"{out}_mean"].to_numpy(float) * scale.factor
            for j in range(ncols):
                ax = panels[i * ncols + j]
                if j >= len(chosen[out]):
                    ax.set_axis_off()
                    continue
                p = chosen[out][j]
                x = summary[p]
                if pd.api.types.is_numeric_dtype(x) and x.nunique() > 6:
                    ax.scatter(x, y, s=12, color="0.55", alpha=0.7, lw=0)
                    bins = pd.qcut(x, min(6, x.nunique()), duplicates="drop")
                    g = pd.DataFrame({"x": x, "y": y}).groupby(bins, observed=True).mean()
                    ax.plot(g["x"], g["y"], color=_ST, lw=2, marker="o", ms=4)
                else:
                    cats = list(dict.fromkeys(x.astype(str)))
                    pos = x.astype(str).map({c: k for k, c in enumerate(cats)}).to_numpy(float)
                    jitter = (np.arange(len(pos)) % 7 - 3) * 0.03
                    ax.scatter(pos + jitter, y, s=12, color="0.55", alpha=0.7, lw=0)
                    means = pd.Series(y).groupby(pos).mean()
                    ax.plot(means.index, means.to_numpy(), color=_ST, lw=0, marker="D", ms=7)
                    ax.set_xticks(range(len(cats)), labels=cats)
                ax.set_xlabel(parameter_label(p), fontsize=9)
                if j == 0:
                    ax.set_ylabel(
                        _wrap(_panel_title(out, 200), 30)
                        + (f" ({scale.level_unit})" if scale.level_unit else ""),
                        fontsize=9,
                    )
                ax.grid(color="0.93", lw=0.6)
        fig.supxlabel(
            _wrap(
                _t(
                    "Grey dots: design points (mean over their replications; the other "
                    "parameters vary too, which is the scatter). Orange: mean in bins of the "
                    "parameter, the response curve. Parameters chosen by total Sobol index."
                ),
                140,
            ),
            fontsize=8.5,
            color="0.3",
        )
    return fig


def response_chart(
    summary: pd.DataFrame,
    path: str | os.PathLike[str],
    sobol: pd.DataFrame | None = None,
    *,
    top: int = 2,
    lang: str = "en",
) -> Path:
    """Save the response curves of each output over its `top` most influential parameters."""
    with _style(lang):
        return style._save(response_figure(summary, sobol, top=top), path)

"""The dashboard's two pictures, drawn with matplotlib and sent to the browser as PNG.

Drawn on `matplotlib.figure.Figure` objects (no pyplot state), so two tabs drawing at once
cannot mix their figures. Chinese labels need a CJK font: the Noto CJK fonts that set-up
installs are registered with matplotlib on first use; without them the labels fall back to
the default font (and Chinese shows as boxes), which the page's text still shows correctly.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib as mpl
import numpy as np
from matplotlib import font_manager
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle

from simulation.views.app.readouts import ALLIANCE_KINDS
from simulation.views.app.session import SERIES, Snapshot
from simulation.views.translations import label

__all__ = ["map_png", "series_png"]

_DPI = 96
_SCENARIO_COLOUR = "#1f77b4"
_BASELINE_COLOUR = "#404040"
_KIND_COLOURS = ("#1f77b4", "#6baed6", "#ff7f0e", "#2ca02c", "#d62728")
_CMAP = "RdYlBu"
#: Alliance kinds whose links span the city (drawn faint, under the local ones).
_FAINT = frozenset(i for i, name in enumerate(ALLIANCE_KINDS) if name == "cross_domain")


def _street_discs(x: np.ndarray, y: np.ndarray, street: np.ndarray):
    """(centre x, centre y, radius) of a light disc behind each street's communities."""
    for s in np.unique(street):
        sel = street == s
        cx, cy = x[sel].mean(), y[sel].mean()
        r = float(np.sqrt((x[sel] - cx) ** 2 + (y[sel] - cy) ** 2).max()) + 0.06
        yield cx, cy, r


@functools.cache
def _font_family() -> tuple[str, ...]:
    """Fonts to draw with: the default, then a CJK font for Chinese when one is installed."""
    family = ["DejaVu Sans"]
    for path in font_manager.findSystemFonts():
        if "NotoSansCJK-Regular" in path or "NotoSansCJKsc-Regular" in path:
            font_manager.fontManager.addfont(path)
            family.append("Noto Sans CJK SC")
            break
    return tuple(family)


@contextmanager
def _style() -> Iterator[None]:
    with mpl.rc_context({"font.family": list(_font_family()), "font.size": 9}):
        yield


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    # Fast compression: a slightly bigger file is cheaper than a slow redraw on every frame.
    fig.savefig(buf, format="png", dpi=_DPI, pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def _pct(value: float) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{100 * value:.1f}%"


def series_png(snap: Snapshot, lang: str) -> bytes:
    """Three panels (coverage, resolution, needs met): scenario against baseline, by day."""
    with _style():
        fig = Figure(figsize=(11.0, 3.1))
        fig.subplots_adjust(left=0.05, right=0.99, top=0.9, bottom=0.27, wspace=0.18)
        axes = fig.subplots(1, len(SERIES), sharex=True)
        scenario_name = label("app.this_scenario", lang)
        baseline_name = label("app.baseline_short", lang)
        for ax, metric in zip(axes, SERIES, strict=True):
            ax.set_title(label(f"metric.{metric}", lang), fontsize=10)
            ax.set_xlim(0, snap.horizon)
            ax.set_ylim(0, 100)
            ax.set_xlabel(label("app.axis_day", lang))
            ax.grid(alpha=0.3)
            ax.axvspan(0, min(snap.first_known_day, snap.horizon), color="#eeeeee", zorder=0)
            for df, colour, name, style in (
                (snap.baseline_series, _BASELINE_COLOUR, baseline_name, "--"),
                (snap.series, _SCENARIO_COLOUR, scenario_name, "-"),
            ):
                if len(df) and metric in df:
                    ax.plot(
                        df["day"],
                        100 * df[metric].astype(float),
                        style,
                        color=colour,
                        lw=1.6,
                        label=name,
                    )
            if snap.day < snap.first_known_day:
                ax.text(
                    snap.first_known_day / 2,
                    50,
                    label("app.not_yet_short", lang).format(day=snap.first_known_day),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="#666666",
                    wrap=True,
                )
        axes[0].set_ylabel("%")
        handles = [
            Line2D([], [], color=_SCENARIO_COLOUR, lw=1.6, label=scenario_name),
            Line2D([], [], color=_BASELINE_COLOUR, lw=1.6, ls="--", label=baseline_name),
        ]
        fig.legend(handles=handles, loc="lower center", ncols=2, frameon=False)
        return _png(fig)


def map_png(snap: Snapshot, lang: str) -> bytes:
    """Communities coloured by needs met so far, sized by residents, with alliance links."""
    with _style():
        fig = Figure(figsize=(7.2, 6.6))
        ax = fig.add_axes((0.01, 0.16, 0.86, 0.8))
        cax = fig.add_axes((0.89, 0.3, 0.025, 0.55))
        x, y = snap.layout
        links = snap.links
        counts: dict[int, int] = {}
        discs = [Circle((cx, cy), r) for cx, cy, r in _street_discs(x, y, snap.street)]
        ax.add_collection(
            PatchCollection(discs, facecolor="#f4f4f4", edgecolor="#dddddd", lw=0.6, zorder=0),
            autolim=False,
        )
        if links.count:
            segs = np.stack(
                [
                    np.column_stack([x[links.pairs[:, 0]], y[links.pairs[:, 0]]]),
                    np.column_stack([x[links.pairs[:, 1]], y[links.pairs[:, 1]]]),
                ],
                axis=1,
            )
            # Long-range kinds (cross-domain) first and faint, local ones on top and clearer,
            # so hundreds of city-wide alliances do not hide the street-level structure.
            for k in sorted(set(links.kind.tolist()), key=lambda k: k not in _FAINT):
                sel = links.kind == k
                faint = k in _FAINT
                ax.add_collection(
                    LineCollection(
                        segs[sel],
                        colors=_KIND_COLOURS[k % len(_KIND_COLOURS)],
                        linewidths=0.4 if faint else 0.9,
                        alpha=0.18 if faint else 0.7,
                        zorder=1,
                    )
                )
            kinds, n = np.unique(links.kind, return_counts=True)
            counts = dict(zip(kinds.tolist(), n.tolist(), strict=True))
        size = 6 + 40 * np.sqrt(snap.residents / max(snap.residents.max(), 1.0))
        rate = snap.needs_met
        known = np.isfinite(rate)
        ax.scatter(
            x[~known],
            y[~known],
            s=size[~known],
            c="#d9d9d9",
            edgecolors="#999999",
            linewidths=0.4,
            zorder=2,
        )
        sc = ax.scatter(
            x[known],
            y[known],
            s=size[known],
            c=100 * rate[known],
            cmap=_CMAP,
            vmin=0,
            vmax=100,
            edgecolors="#333333",
            linewidths=0.4,
            zorder=3,
        )
        cbar = fig.colorbar(sc, cax=cax)
        cbar.set_label(f"{label('metric.needs_met_rate', lang)} (%)")
        ax.set_aspect("equal")
        ax.set_xlim(x.min() - 0.5, x.max() + 0.5)
        ax.set_ylim(y.min() - 0.5, y.max() + 0.5)
        ax.set_xticks([])
        ax.set_yticks([])
        for side in ax.spines.values():
            side.set_visible(False)
        handles = [
            Line2D(
                [],
                [],
                color=_KIND_COLOURS[k % len(_KIND_COLOURS)],
                lw=1.5,
                label=f"{label(f'alliance.{ALLIANCE_KINDS[k]}', lang)} ({n:,})",
            )
            for k, n in sorted(counts.items())
        ]
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                ls="",
                color="#d9d9d9",
                markeredgecolor="#999999",
                label=label("app.no_closed", lang),
            )
        )
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.01),
            ncols=2,
            frameon=False,
            fontsize=8,
            title=label("app.links_legend", lang),
            title_fontsize=8,
        )
        ax.set_title(label("app.map_note", lang), fontsize=8, color="#555555")
        return _png(fig)

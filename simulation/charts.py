"""Charts that let planners compare integration modes at a glance.

The tables of :mod:`simulation.analysis` are exact but slow to read; a city decision-maker
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

import contextlib
import math
import os
import re
import tempfile
import textwrap
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from scipy import stats

from simulation.analysis import COMPARISON_COLUMNS, METRIC_DIRECTIONS, PRIMARY_METRICS

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

#: Resolution of saved charts: sharp when printed at the figure size, small enough to e-mail.
DPI = 150

#: Significance level for the filled markers (applied to Holm-adjusted p-values).
ALPHA = 0.05

#: File names used by :func:`write_all` (stable, so reports can link to them).
FILE_NAMES: dict[str, str] = {
    "differences": "differences.png",
    "means": "means.png",
    "timeseries": "timeseries.png",
    "ranking": "ranking.png",
}

#: Human-readable metric names for titles.
METRIC_LABELS: dict[str, str] = {
    "service_coverage": "Service coverage (share of problems taken up)",
    "resolution_rate": "Resolution rate (taken-up problems resolved ≤ 30 days)",
    "needs_met_rate": "Needs met (all problems resolved ≤ 30 days)",
    "mean_days_to_resolve": "Mean days to resolve",
    "party_org_coverage": "Party-organisation coverage (firms and social orgs)",
    "equity_gap": "Equity gap (strongest − weakest quarter of communities)",
    "hours_per_resolved": "Staff and member hours per resolved problem",
    "problems_open": "Open problems",
}

#: The baseline (status quo) is always drawn in this dark grey.
BASELINE_COLOUR = "#404040"

# Fixed colours for the known modes (matplotlib's tab10 without its grey), so a mode keeps its
# colour whichever subset of scenarios a chart shows.
_KNOWN_COLOURS: dict[str, str] = {
    "regional": "#1f77b4",
    "cross_domain": "#ff7f0e",
    "central_community": "#2ca02c",
    "dual_reporting": "#9467bd",
    "red_commercial_street": "#d62728",
    "smart_platform": "#17becf",
    "chifeng_2018": "#8c564b",
}
# For scenarios the project does not know yet (sensitivity variants and the like).
_SPARE_COLOURS: tuple[str, ...] = (
    "#e377c2",
    "#bcbd22",
    "#000080",
    "#808000",
    "#ff9896",
    "#98df8a",
    "#c5b0d5",
    "#c49c94",
    "#9edae5",
    "#ffbb78",
    "#aec7e8",
    "#dbdb8d",
)

# Direction-aware colours of the difference chart (Okabe-Ito: readable with colour blindness).
_BETTER = "#009E73"
_WORSE = "#D55E00"
_NEUTRAL = "#7f7f7f"

# Metrics that are shares in [0, 1] (shown in %; differences in pp) and differences of shares
# (shown in pp throughout); everything else is shown in its own unit.
_RATE_METRICS = frozenset(
    {"service_coverage", "resolution_rate", "needs_met_rate", "party_org_coverage"}
)
_PP_METRICS = frozenset({"equity_gap"})
_UNITS: dict[str, str] = {
    "mean_days_to_resolve": "days",
    "hours_per_resolved": "hours",
    "problems_open": "problems",
}

_STYLE: dict[str, object] = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9.5,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "figure.titlesize": 13,
    "figure.titleweight": "bold",
    "axes.unicode_minus": True,
}

#: The metrics of the time-series chart by default: the two headline rates, their product
#: and the equity gap.
TIMESERIES_METRICS: tuple[str, ...] = (
    "service_coverage",
    "resolution_rate",
    "needs_met_rate",
    "equity_gap",
)

_COMPARISON_REQUIRED = tuple(c for c in COMPARISON_COLUMNS if c != "p_value")


# --------------------------------------------------------------------------------------------
# Labels, units and colours
# --------------------------------------------------------------------------------------------


def scenario_label(name: object) -> str:
    """Readable scenario name (``red_commercial_street`` -> ``red commercial street``).

    Scenario identifiers are ASCII for files and configs; charts are read by people.
    """
    return str(name).replace("_", " ")


def metric_label(metric: str) -> str:
    """Human title of a metric (the identifier with spaces when the metric is unknown)."""
    return METRIC_LABELS.get(metric, metric.replace("_", " "))


@dataclass(frozen=True)
class _Scale:
    """How a metric is shown: multiply by ``factor``; unit of levels and of differences."""

    factor: float
    level_unit: str
    diff_unit: str


def _scale(metric: str) -> _Scale:
    if metric in _RATE_METRICS:
        return _Scale(100.0, "%", "pp")
    if metric in _PP_METRICS:
        return _Scale(100.0, "pp", "pp")
    unit = _UNITS.get(metric, "")
    return _Scale(1.0, unit, unit)


def _direction_text(metric: str) -> str:
    d = METRIC_DIRECTIONS.get(metric)
    if d == 1:
        return "higher is better"
    if d == -1:
        return "lower is better"
    return "direction not defined"


def _decimals(values: Iterable[float]) -> int:
    """Decimals for a panel: one for values of 1 or more, two below, none from 100."""
    arr = np.abs(np.asarray(list(values), dtype=float))
    arr = arr[np.isfinite(arr)]
    top = float(arr.max()) if arr.size else 0.0
    if top >= 100:
        return 0
    if top >= 1 or top == 0:
        return 1
    return 2


def _num(x: float, decimals: int, sign: bool = False) -> str:
    if not np.isfinite(x):
        return "n/a"
    if round(x, decimals) == 0:
        x = 0.0  # no "−0.0"
    text = f"{x:+.{decimals}f}" if sign else f"{x:.{decimals}f}"
    return text.replace("-", "−")


def _with_unit(text: str, unit: str) -> str:
    return f"{text} {unit}" if unit and text != "n/a" else text


def scenario_colours(names: Iterable[str], baseline: str | None = "baseline") -> dict[str, str]:
    """Colour of each scenario, the same in every chart.

    Known modes have fixed colours and the baseline is always dark grey, so that a reader
    who learnt "orange is cross-domain" on one chart can rely on it on the next.  Unknown
    scenarios get spare colours in sorted-name order, so the result depends only on the set of
    names (not on their order) and no two scenarios of one call share a colour until the
    palette runs out.

    Args:
        names: scenario identifiers (duplicates are ignored).
        baseline: the status-quo scenario, drawn in :data:`BASELINE_COLOUR`.

    Returns:
        Mapping from scenario name to a hex colour, in the order of first appearance.
    """
    ordered = list(dict.fromkeys(str(n) for n in names))
    out: dict[str, str] = {}
    for name in ordered:
        if name == baseline:
            out[name] = BASELINE_COLOUR
        elif name in _KNOWN_COLOURS:
            out[name] = _KNOWN_COLOURS[name]
    used = set(out.values())
    spare = [c for c in _SPARE_COLOURS if c not in used]
    unknown = sorted(n for n in ordered if n not in out)
    for i, name in enumerate(unknown):
        out[name] = spare[i] if i < len(spare) else _SPARE_COLOURS[i % len(_SPARE_COLOURS)]
    return {name: out[name] for name in ordered}


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _style() -> Iterator[None]:
    """Apply the chart style locally; the caller's rcParams are restored afterwards."""
    with mpl.rc_context(_STYLE):
        yield


def _save(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Write ``fig`` atomically: temporary file in the same folder, then :func:`os.replace`.

    The temporary file lives next to the target so that the final rename stays on one file
    system (and is therefore atomic); it is removed if saving fails.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fmt = target.suffix.lstrip(".").lower() or "png"
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, format=fmt, dpi=DPI, facecolor="white")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o644)  # mkstemp creates 0600; charts are meant to be shared
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return target


def _check_comparison(comparison: pd.DataFrame) -> None:
    missing = [c for c in _COMPARISON_REQUIRED if c not in comparison.columns]
    if missing:
        raise ValueError(
            "comparison table (output of simulation.analysis.compare) is missing column(s): "
            + ", ".join(missing)
        )


def _resolve_baseline(comparison: pd.DataFrame, baseline: str | None) -> str:
    """Baseline from the argument, else ``comparison.attrs``, else the first scenario."""
    if baseline is not None:
        return baseline
    attr = comparison.attrs.get("baseline")
    if attr is not None:
        return str(attr)
    if len(comparison):
        return str(comparison["scenario"].iloc[0])
    return "baseline"


def _metric_list(available: Sequence[str], metrics: Sequence[str] | str | None) -> list[str]:
    """Requested metrics, or the primary ones present (in report order) then any others."""
    if isinstance(metrics, str):
        return [metrics]
    if metrics is not None:
        return list(metrics)
    present = list(dict.fromkeys(available))
    primary = [m for m in PRIMARY_METRICS if m in present]
    return primary + [m for m in present if m not in primary]


def _ordered_scenarios(names: Iterable[str], baseline: str | None) -> list[str]:
    """Baseline first, then the others in order of first appearance."""
    unique = list(dict.fromkeys(str(n) for n in names))
    if baseline in unique:
        return [baseline, *(s for s in unique if s != baseline)]
    return unique


def _grid(
    fig: Figure, n_panels: int, ncols: int = 2, footer_ratio: float = 0.0
) -> tuple[list[Axes], list[Axes]]:
    """Panels in a grid of ``ncols`` columns; returns (panels, spare axes turned off).

    With ``footer_ratio > 0`` and no spare cell in the grid, a full-width row of that height
    (relative to a panel row) is added as the spare axes, so a legend and notes always have a
    place that the layout engine accounts for (figure-level legends collide with titles).
    """
    ncols = max(1, min(ncols, n_panels))
    nrows = max(1, math.ceil(n_panels / ncols))
    footer = footer_ratio > 0 and nrows * ncols == n_panels
    gs = fig.add_gridspec(
        nrows + footer, ncols, height_ratios=[1.0] * nrows + ([footer_ratio] if footer else [])
    )
    axes = [fig.add_subplot(gs[r, c]) for r in range(nrows) for c in range(ncols)]
    if footer:
        axes.append(fig.add_subplot(gs[nrows, :]))
    for ax in axes[n_panels:]:
        ax.set_axis_off()
    return axes[:n_panels], axes[n_panels:]


def _no_data(ax: Axes, title: str, message: str = "no data") -> None:
    """Mark a panel as empty rather than leaving a blank or misleading axis."""
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.text(
        0.5,
        0.5,
        message,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=11,
        color="0.45",
        style="italic",
    )


def _wrap(text: str, width: int) -> str:
    """Wrap a note without breaking "95 % CI" apart (textwrap breaks only at ASCII spaces)."""
    return textwrap.fill(
        re.sub(r"(\d) (%|CI\b)", "\\1\u00a0\\2", text).replace("% CI", "%\u00a0CI"), width
    )


def _panel_title(metric: str, width: int = 58) -> str:
    # Keep "≤ 30 days" on one line (textwrap only breaks at ASCII whitespace).
    label = re.sub(r"≤ (\d+) days", "≤\u00a0\\1\u00a0days", metric_label(metric))
    return textwrap.fill(label, width)


def _padded_limits(values: Iterable[float], include: Iterable[float] = ()) -> tuple[float, float]:
    arr = np.asarray([*values, *include], dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return (-1.0, 1.0)
    lo, hi = float(arr.min()), float(arr.max())
    span = hi - lo
    pad = 0.08 * span if span > 0 else max(abs(hi) * 0.1, 1.0)
    return (lo - pad, hi + pad)


def _rep_count_text(n: pd.Series) -> str:
    vals = pd.to_numeric(n, errors="coerce").dropna().astype(int)
    vals = vals[vals > 0]
    if vals.empty:
        return "no replications"
    lo, hi = int(vals.min()), int(vals.max())
    count = f"{lo}" if lo == hi else f"{lo}–{hi}"
    return f"n = {count} replication{'s' if hi != 1 else ''} per scenario"


def _value_column(ax: Axes, ys: Sequence[float], labels: Sequence[str], bold: Sequence[bool]):
    """Numbers at the right edge of a panel, one per row (part of the layout, never clipped)."""
    sec = ax.secondary_yaxis("right")
    sec.set_yticks(list(ys), labels=list(labels))
    sec.tick_params(axis="y", length=0, pad=4, labelsize=9)
    sec.spines["right"].set_visible(False)
    for text, b in zip(sec.get_yticklabels(), bold, strict=True):
        text.set_fontweight("bold" if b else "normal")
        text.set_color("black" if b else "0.35")
    return sec


def _row_lines(ax: Axes, ys: np.ndarray) -> None:
    """Faint horizontal guide per row, so a value can be followed to its label."""
    ax.hlines(ys, 0, 1, transform=ax.get_yaxis_transform(), color="0.9", lw=0.6, zorder=0)


def _intervals(
    ax: Axes,
    ys: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    colours: Sequence[str],
    lw: float = 1.8,
    cap: float = 0.13,
) -> None:
    """Horizontal interval bars with end caps, one artist for the whole panel.

    Rows without a finite interval (e.g. a single replication) get no bar; their point is
    still drawn by :func:`_points`.  Caps are ``cap`` rows high, rows being one unit apart.
    """
    segments: list[list[tuple[float, float]]] = []
    seg_colours: list[str] = []
    for y, a, b, c in zip(ys, lo, hi, colours, strict=True):
        if not (np.isfinite(a) and np.isfinite(b)):
            continue
        segments += [[(a, y), (b, y)], [(a, y - cap), (a, y + cap)], [(b, y - cap), (b, y + cap)]]
        seg_colours += [c, c, c]
    if segments:
        ax.add_collection(
            LineCollection(segments, colors=seg_colours, linewidths=lw, zorder=2, capstyle="butt"),
            autolim=False,
        )


def _points(
    ax: Axes,
    xs: np.ndarray,
    ys: np.ndarray,
    markers: Sequence[str],
    edge: Sequence[str],
    face: Sequence[str],
    size: float = 8.0,
    edge_width: float = 1.6,
) -> None:
    """Markers grouped by (marker, edge, face): a few artists rather than one per point."""
    groups: dict[tuple[str, str, str], list[int]] = {}
    for i, key in enumerate(zip(markers, edge, face, strict=True)):
        if np.isfinite(xs[i]):
            groups.setdefault(key, []).append(i)
    for (marker, ec, fc), idx in groups.items():
        ax.plot(
            xs[idx],
            ys[idx],
            ls="none",
            marker=marker,
            ms=size,
            mec=ec,
            mfc=fc,
            mew=edge_width,
            zorder=3,
        )


# --------------------------------------------------------------------------------------------
# Difference to the baseline (forest plot)
# --------------------------------------------------------------------------------------------


def _status(diff: float, direction: int | None) -> tuple[str, str]:
    """(colour, marker) for a difference: better / worse / unchanged or unknown."""
    if direction is None or not np.isfinite(diff) or diff == 0:
        return _NEUTRAL, "D"
    return (_BETTER, "o") if diff * direction > 0 else (_WORSE, "s")


def _difference_legend_handles() -> list[Line2D | Patch]:
    return [
        Line2D([], [], ls="none", marker="o", ms=8, color=_BETTER, label="Better than baseline"),
        Line2D([], [], ls="none", marker="s", ms=8, color=_WORSE, label="Worse than baseline"),
        Line2D(
            [],
            [],
            ls="none",
            marker="o",
            ms=8,
            color="0.25",
            label=f"Filled: significant (Holm p < {ALPHA:g})",
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
            label="Hollow: not significant",
        ),
        Line2D([], [], color="0.25", lw=1.8, label="Bar: 95 % paired CI"),
        Patch(facecolor=_BETTER, alpha=0.08, label="Shaded: better side"),
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
    if not np.isfinite(d).any():
        _no_data(ax, title)
        return

    ys = np.arange(len(scenarios), dtype=float)[::-1]  # first scenario at the top
    xmin, xmax = _padded_limits(np.concatenate([d, lo, hi]), include=[0.0])
    if direction == 1:
        ax.axvspan(0.0, xmax, color=_BETTER, alpha=0.08, lw=0, zorder=0)
    elif direction == -1:
        ax.axvspan(xmin, 0.0, color=_BETTER, alpha=0.08, lw=0, zorder=0)
    ax.axvline(0.0, color=BASELINE_COLOUR, lw=1.2, zorder=1)
    _row_lines(ax, ys)

    status = [_status(di, direction) for di in d]
    significant = [bool(np.isfinite(p) and p < ALPHA) for p in p_adj]
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
    arrow = {1: "   better →", -1: "   ← better"}.get(direction or 0, "")
    ax.set_xlabel(f"{scenario_label(baseline).capitalize()} = 0; difference{unit}{arrow}")
    ax.set_title(f"{title}\n({_direction_text(metric)})", fontsize=10.5)
    _value_column(ax, ys, labels, bold)


def difference_figure(
    comparison: pd.DataFrame,
    baseline: str | None = None,
    metrics: Sequence[str] | str | None = None,
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

    with _style():
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
            f"Difference to {scenario_label(base)} "
            "(95 % paired CI; filled = significant after Holm)"
        )
        if not metric_list or comparison.empty:
            _no_data(panels[0], "", "no data")
        elif not scenarios:
            for ax, metric in zip(panels, metric_list, strict=False):
                _no_data(
                    ax, _panel_title(metric), f"only {scenario_label(base)}: nothing to compare"
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
        note = (
            f"Each row: scenario − {scenario_label(base)}, paired by replication (common random "
            f"numbers); {_rep_count_text(base_rows['n'])}. Rate differences in percentage points "
            "(pp).\nHolm correction per metric across all scenarios compared with the baseline; "
            "the intervals are not adjusted, so an interval just clear of 0 can still be "
            "hollow. Numbers at the right: difference [95 % CI]; bold = significant."
        )
        handles = _difference_legend_handles()
        holder = spare[0]
        if has_spare:  # an empty grid cell: legend at the top, notes at the bottom
            # One legend column when the cell is tall enough; two when few scenarios make the
            # panels (and so this cell) low, so the legend still clears the note.
            holder.legend(
                handles=handles,
                loc="upper left",
                ncols=1 if row_h >= 3.5 else 2,
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
) -> Path:
    """Save the key decision chart: each scenario's paired difference to the baseline.

    One panel per metric; per scenario the mean paired difference (scenario − baseline) with
    its 95 % interval, a zero line for "no change", colour and marker saying whether the
    change is an improvement for that metric (fewer days or a smaller equity gap is better),
    and a filled marker only when the Holm-adjusted p-value is below 0.05.  This is the chart
    that answers "which modes actually help, and on what?" without overstating noise.

    Args:
        comparison: output of :func:`simulation.analysis.compare`.
        path: where to write the image (format from the suffix, PNG by default).
        baseline: the reference scenario; defaults to ``comparison.attrs["baseline"]``.
        metrics: metrics to show; defaults to the primary metrics present.

    Returns:
        The written path.
    """
    with _style():
        fig = difference_figure(comparison, baseline=baseline, metrics=metrics)
        return _save(fig, path)


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
    if not np.isfinite(m).any():
        _no_data(ax, title)
        return

    ys = np.arange(len(scenarios), dtype=float)[::-1]
    xmin, xmax = _padded_limits(np.concatenate([m, lo, hi]))
    if baseline in scenarios:
        i = scenarios.index(baseline)
        if np.isfinite(lo[i]) and np.isfinite(hi[i]):
            ax.axvspan(lo[i], hi[i], color=BASELINE_COLOUR, alpha=0.10, lw=0, zorder=0)
        if np.isfinite(m[i]):
            ax.axvline(m[i], color=BASELINE_COLOUR, lw=1.0, ls="--", zorder=1)
    _row_lines(ax, ys)
    cols = [colours[s] for s in scenarios]
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
    ax.set_xlabel(f"Mean{unit}")
    ax.set_title(f"{title}\n({_direction_text(metric)})", fontsize=10.5)
    _value_column(ax, ys, labels, [s == baseline for s in scenarios])


def means_figure(
    comparison: pd.DataFrame,
    metrics: Sequence[str] | str | None = None,
    *,
    baseline: str | None = None,
    colours: Mapping[str, str] | None = None,
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

    with _style():
        fig = Figure(figsize=(12 if ncols == 2 else 8, row_h * nrows + 1.2), layout="constrained")
        fig.get_layout_engine().set(w_pad=0.08, h_pad=0.08, wspace=0.06, hspace=0.06)
        panels, spare = _grid(fig, n_panels, ncols)
        fig.suptitle("Mean per scenario (dot) with 95 % confidence interval (bar)")
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
        note = (
            f"{scenario_label(base).capitalize()} (status quo) in grey: dashed line = its mean, "
            f"grey band = its 95 % CI. Student-t intervals across replications; "
            f"{_rep_count_text(comparison['n'])}. Rates in percent; the equity gap in "
            "percentage points (pp). Numbers at the right: mean [95 % CI]. Overlapping "
            "intervals do not mean 'no difference': the difference chart compares each "
            "scenario with the baseline replication by replication, which is more precise."
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
) -> Path:
    """Save each metric's mean per scenario with its 95 % interval, baseline in grey.

    Differences alone hide the level ("+3 pp" matters more at 40 % than at 95 %), so this
    chart gives the context; the baseline's mean and interval are drawn across each panel so
    that every scenario can be read against the status quo.

    Args:
        comparison: output of :func:`simulation.analysis.compare`.
        path: where to write the image.
        metrics: metrics to show; defaults to the primary metrics present.
        baseline: the status-quo scenario; defaults to ``comparison.attrs["baseline"]``.
        colours: scenario colours (see :func:`scenario_colours`) to share with other charts.

    Returns:
        The written path.
    """
    with _style():
        fig = means_figure(comparison, metrics, baseline=baseline, colours=colours)
        return _save(fig, path)


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

    with _style():
        fig = Figure(figsize=(12 if ncols == 2 else 8, 3.4 * nrows + 1.6), layout="constrained")
        fig.get_layout_engine().set(w_pad=0.08, h_pad=0.08, wspace=0.05, hspace=0.08)
        panels, _ = _grid(fig, n_panels, ncols)
        fig.suptitle("Over time: mean across replications (line) and 95 % CI of the mean (band)")
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
            ax.set_xlabel("Simulated day")
            ax.set_ylabel(scale.level_unit or "value")
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
        handles.append(Patch(facecolor="0.5", alpha=0.3, label="95 % CI of the mean"))
        fig.legend(
            handles=handles,
            loc="outside right center",
            fontsize=9.5,
            title="Scenario",
            title_fontproperties={"weight": "bold", "size": 9.5},
            alignment="left",
        )
        reps = ""
        if not n_reps.empty:
            lo, hi = int(n_reps.min()), int(n_reps.max())
            reps = f" across {lo if lo == hi else f'{lo}–{hi}'} replications"
        fig.supxlabel(
            _wrap(
                "Each day shows the metric over the problems that arose in the 30 days ending "
                "30 days earlier, whose fate is known by then (blank until such a cohort "
                f"exists). Line = mean{reps}; band = Student-t 95 % CI of that mean. "
                "Rates in percent, the equity gap in percentage points (pp).",
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
    with _style():
        fig = timeseries_figure(timeseries, metrics, baseline=baseline, colours=colours)
        return _save(fig, path)


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

    with _style():
        fig = Figure(figsize=(10, max(3.2, 0.55 * n + 1.9)), layout="constrained")
        ax = fig.subplots()
        fig.suptitle(f"Probability of being the best scenario: {metric_label(metric)}")
        ax.set_title(
            f"{_direction_text(metric).capitalize()}; bootstrap over replications (the same "
            "resample for every scenario, ties shared)",
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
        ax.barh(ys, np.nan_to_num(p), height=0.62, color=bar_colours, zorder=2)
        for y, pi in zip(ys, p, strict=True):
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
                label += f"\nmean {mean}{ci}"
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
        ax.set_xlabel("Probability of having the best mean (%)")
        ax.grid(axis="x", color="0.9", lw=0.6, zorder=0)
        ax.spines["left"].set_visible(False)
        if has_mean:
            fig.supxlabel(
                "Under each name: mean with 95 % CI (Student-t). A high probability with "
                "overlapping intervals still means the leaders are close.",
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
) -> Path:
    """Save horizontal bars of each scenario's probability of being the best on ``metric``.

    "Which mode should we roll out?" is not a pairwise question; the bootstrap probability of
    being best answers it directly and shows at a glance whether one mode is a clear winner
    (one long bar) or several are in contention (similar bars).

    Args:
        ranking: output of :func:`simulation.analysis.ranking` (best first).
        metric: the metric the ranking was computed on (for labels, units and direction).
        path: where to write the image.
        baseline: the status-quo scenario (labelled in grey).
        colours: scenario colours to share with other charts.

    Returns:
        The written path.
    """
    with _style():
        fig = ranking_figure(ranking, metric, baseline=baseline, colours=colours)
        return _save(fig, path)


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

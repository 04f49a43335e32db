"""One style for every chart: labels, units, colours, number formats, layout helpers and atomic saving."""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
import re
import tempfile
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from simulation.study.statistics import COMPARISON_COLUMNS, METRIC_DIRECTIONS, PRIMARY_METRICS
from simulation.views import translations
from simulation.views.fonts import font_families, resolve_language

#: The language of the chart being drawn (set by :func:`_style`; read by :func:`_t`).
_LANG: contextvars.ContextVar[str] = contextvars.ContextVar("chart_language", default="en")

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
    "spread": "spread.png",
    "communities": "communities.png",
    "cost_effect": "cost_effect.png",
    "sobol": "sobol.png",
    "response": "response.png",
}

#: Human-readable metric names for titles.
METRIC_LABELS: dict[str, str] = {
    key.removeprefix("metric_long."): entry["en"]
    for key, entry in translations.TERMS.items()
    if key.startswith("metric_long.")
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


def _t(text: str, **fields: object) -> str:
    """`text` (an English phrase of the catalogue) in the current chart language, filled in."""
    return translations.phrase(text, _LANG.get()).format(**fields)


def short_label(metric: str) -> str:
    """A metric's short name in the chart's language (`needs met`, `需求满足率`)."""
    return translations.label(f"metric.{metric}", _LANG.get())


def _capital(text: str) -> str:
    """First letter upper-case, the rest untouched (Chinese unchanged)."""
    return text[:1].upper() + text[1:]


def current_language() -> str:
    """The language of the chart being drawn ("en" outside a chart)."""
    return _LANG.get()


def scenario_label(name: object) -> str:
    """Readable scenario name in the chart's language (``red_commercial_street`` -> ``red
    commercial street``, or the source's own term in Chinese).

    Scenario identifiers are ASCII for files and configs; charts are read by people.
    """
    return translations.scenario_label(str(name), _LANG.get())


def metric_label(metric: str) -> str:
    """Human title of a metric (the identifier with spaces when the metric is unknown)."""
    return translations.label(f"metric_long.{metric}", _LANG.get(), metric.replace("_", " "))


@dataclass(frozen=True)
class _Scale:
    """How a metric is shown: multiply by ``factor``; unit of levels and of differences."""

    factor: float
    level_unit: str
    diff_unit: str


def _scale(metric: str) -> _Scale:
    if metric in _RATE_METRICS:
        return _Scale(100.0, "%", _t("pp"))
    if metric in _PP_METRICS:
        return _Scale(100.0, _t("pp"), _t("pp"))
    unit = _t(_UNITS[metric]) if metric in _UNITS else ""
    return _Scale(1.0, unit, unit)


def _direction_text(metric: str) -> str:
    d = METRIC_DIRECTIONS.get(metric)
    if d == 1:
        return _t("higher is better")
    if d == -1:
        return _t("lower is better")
    return _t("direction not defined")


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
def _style(lang: str | None = None) -> Iterator[None]:
    """Apply the chart style (and, if given, the language and its fonts) locally; the
    caller's rcParams and language are restored afterwards.

    Chinese without an installed CJK font falls back to English with a warning
    (:func:`simulation.views.fonts.resolve_language`): never boxes in place of characters.
    """
    effective = resolve_language(lang) if lang is not None else _LANG.get()
    token = _LANG.set(effective)
    try:
        with mpl.rc_context({**_STYLE, "font.family": font_families(effective)}):
            yield
    finally:
        _LANG.reset(token)


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
            "comparison table (output of simulation.study.statistics.compare) is missing column(s): "
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


def _body_and_footer(fig: Figure, footer_inches: float) -> tuple[Figure, Figure]:
    """Split a figure into a body (panels) and a footer of fixed height (legend and note), so
    the layout engine keeps them apart (a figure legend next to `supxlabel` overlaps it)."""
    height = fig.get_figheight()
    body, footer = fig.subfigures(
        2, 1, height_ratios=[max(height - footer_inches, 1.0), footer_inches]
    )
    return body, footer


def _footer(footer: Figure, handles: Sequence[object], note: str, width: int, ncols: int = 2):
    """Legend at the top of the footer, the wrapped note under it."""
    footer.legend(handles=handles, loc="upper center", ncols=ncols, fontsize=9, frameon=False)
    footer.text(0.5, 0.03, _wrap(note, width), ha="center", va="bottom", fontsize=8.5, color="0.3")


def _no_data(ax: Axes, title: str, message: str = "no data") -> None:
    """Mark a panel as empty rather than leaving a blank or misleading axis."""
    message = _t(message) if message == "no data" else message
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


def _is_wide(ch: str) -> bool:
    """A character that takes two columns (CJK ideographs and full-width punctuation)."""
    return ord(ch) >= 0x2E80


def _wrap_wide(text: str, width: int) -> str:
    """Wrap text that mixes Chinese and Latin: a Chinese character may end a line anywhere
    (except before closing punctuation), a Latin word only at a space; wide characters count
    two columns."""
    tokens = re.findall(r"[\u2e80-\uffff]|[^\s\u2e80-\uffff]+|\s+", text)
    lines: list[str] = []
    line, cols = "", 0
    for tok in tokens:
        if tok.isspace():
            if line:
                line, cols = line + " ", cols + 1
            continue
        w = sum(2 if _is_wide(c) else 1 for c in tok)
        closing = tok in "，。；：、）》」”！？"
        if cols + w > width and line.strip() and not closing:
            lines.append(line.rstrip())
            line, cols = "", 0
        line, cols = line + tok, cols + w
    if line.strip():
        lines.append(line.rstrip())
    return "\n".join(lines)


def _wrap(text: str, width: int) -> str:
    """Wrap a note without breaking "95 % CI" apart (textwrap breaks only at ASCII spaces);
    Chinese text wraps between characters."""
    text = re.sub(r"(\d) (%|CI\b)", "\\1\u00a0\\2", text).replace("% CI", "%\u00a0CI")
    if any(_is_wide(c) for c in text):
        return _wrap_wide(text, width)
    return textwrap.fill(text, width)


def _panel_title(metric: str, width: int = 58) -> str:
    # Keep "≤ 30 days" on one line (textwrap only breaks at ASCII whitespace).
    label = re.sub(r"≤ (\d+) days", "≤\u00a0\\1\u00a0days", metric_label(metric))
    return _wrap(label, width)


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
        return _t("no replications")
    lo, hi = int(vals.min()), int(vals.max())
    count = f"{lo}" if lo == hi else f"{lo}–{hi}"
    if hi == 1:
        return _t("n = {count} replication per scenario", count=count)
    return _t("n = {count} replications per scenario", count=count)


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


def _wide_intervals(
    ax: Axes, ys: np.ndarray, lo: np.ndarray, hi: np.ndarray, colours: Sequence[str]
) -> None:
    """The assumption-and-noise interval (uncertainty analysis): a thick pale bar behind the
    noise-only interval, so both kinds show side by side without being confused."""
    for y, a, b, c in zip(ys, lo, hi, colours, strict=True):
        if np.isfinite(a) and np.isfinite(b):
            ax.plot([a, b], [y, y], color=c, lw=7, alpha=0.22, solid_capstyle="butt", zorder=1.5)


def has_uncertainty(table: pd.DataFrame, prefix: str = "") -> bool:
    """Whether a comparison table carries the uncertainty analysis' intervals (`ui_low`,
    `ui_high`, or `diff_ui_low`, `diff_ui_high` with `prefix="diff_"`) with any value."""
    cols = [f"{prefix}ui_low", f"{prefix}ui_high"]
    return all(c in table.columns for c in cols) and bool(table[cols].notna().any().any())


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

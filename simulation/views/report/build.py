"""Build the report of a comparison study (see the package docstring)."""

from __future__ import annotations

import base64
import io
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape

from simulation import __version__
from simulation.study.store import atomic_write_bytes
from simulation.views import charts
from simulation.views.charts import style
from simulation.views.fonts import LanguageFallbackWarning, resolve_language
from simulation.views.param_text import param_doc, param_source
from simulation.views.translations import (
    label,
    mode_label,
    phrase,
    scenario_description,
    scenario_label,
)

__all__ = ["HEADLINE_METRICS", "ReportError", "ReportFiles", "build_report", "verdict"]

#: The metrics of the headline table, in order (the planners' two questions and their product).
HEADLINE_METRICS: tuple[str, ...] = ("service_coverage", "resolution_rate", "needs_met_rate")

#: Significance level of the verdicts (Holm-adjusted p-values, as in the charts).
ALPHA = 0.05

# Parameters every report lists (the assumptions the headline numbers lean on most), then the
# parameters of each mode a compared scenario switches on.
_CORE_ASSUMPTIONS = (
    "city.staff_hours_per_day",
    "service.grid_discovery_hazard",
    "city.digital_access_60_plus",
    "trust.initial",
)

_TEMPLATES = Path(__file__).parent / "templates"


class ReportError(Exception):
    """The folder is not a finished comparison study (the message says what is missing)."""


@dataclass
class ReportFiles:
    """What `build_report` wrote, and anything the reader of the command should know."""

    html: Path
    pdf: Path | None
    lang: str
    warnings: list[str] = field(default_factory=list)


def _t(text: str, lang: str, **fields: Any) -> str:
    return phrase(text, lang).format(**fields)


def _pp(x: float) -> str:
    """A difference of shares in percentage points, with one decimal."""
    return f"{abs(x) * 100:.1f}"


def verdict(row: pd.Series, lang: str = "en") -> str:
    """One plain-language clause for a scenario's difference on one metric.

    "raises resolution rate by 6.1–8.9 points" when the Holm-adjusted p-value is below 0.05
    and the interval excludes zero; otherwise "no detectable effect on resolution rate". The
    range is the 95 % interval of the paired difference.
    """
    name = label(f"metric.{row['metric']}", lang)
    lo, hi, p = float(row["diff_ci_low"]), float(row["diff_ci_high"]), float(row["p_adjusted"])
    if np.isfinite(p) and p < ALPHA and np.isfinite(lo) and np.isfinite(hi) and lo * hi > 0:
        a, b = sorted((abs(lo) * 100, abs(hi) * 100))
        # One decimal, or two when one would show an empty range ("0.2–0.2") or a zero end.
        digits = 1 if f"{a:.1f}" != f"{b:.1f}" and f"{a:.1f}" != "0.0" else 2
        a_txt, b_txt = f"{a:.{digits}f}", f"{b:.{digits}f}"
        if a_txt == b_txt:
            text = (
                "raises {metric} by about {x} points"
                if lo > 0
                else "lowers {metric} by about {x} points"
            )
            return _t(text, lang, metric=name, x=a_txt)
        text = (
            "raises {metric} by {lo}–{hi} points"
            if lo > 0
            else "lowers {metric} by {lo}–{hi} points"
        )
        return _t(text, lang, metric=name, lo=a_txt, hi=b_txt)
    return _t("no detectable effect on {metric}", lang, metric=name)


def _interval(lo: float, hi: float) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "n/a"
    return f"[{lo * 100:+.1f}, {hi * 100:+.1f}]".replace("-", "−")


def _headline(table: pd.DataFrame, baseline: str, lang: str) -> tuple[list[dict], bool]:
    """Rows of the headline table and whether the uncertainty columns are present."""
    wide = style.has_uncertainty(table, "diff_")
    rows = []
    for scenario in dict.fromkeys(table["scenario"].astype(str)):
        if scenario == baseline:
            continue
        sub = table[table["scenario"].astype(str) == scenario].set_index("metric")
        cells, clauses = [], []
        for metric in HEADLINE_METRICS:
            if metric not in sub.index:
                cells.append({"diff": "n/a", "ci": "", "ui": "", "significant": False})
                continue
            r = sub.loc[metric].copy()
            r["metric"] = metric
            clauses.append(verdict(r, lang))
            sig = bool(np.isfinite(r["p_adjusted"]) and r["p_adjusted"] < ALPHA)
            cells.append(
                {
                    "diff": f"{r['diff'] * 100:+.1f}".replace("-", "−"),
                    "ci": _interval(r["diff_ci_low"], r["diff_ci_high"]),
                    "ui": _interval(r["diff_ui_low"], r["diff_ui_high"]) if wide else "",
                    "significant": sig,
                }
            )
        robust = ""
        if wide and "verdict" in sub.columns:
            v = sub["verdict"].dropna()
            robust = str(v.iloc[0]) if len(v) else ""
        rows.append(
            {
                "scenario": scenario_label(scenario, lang),
                "cells": cells,
                "verdict": "; ".join(clauses),
                "robust": robust,
            }
        )
    return rows, wide


def _figure_uri(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, facecolor="white")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _charts(folder: Path, table, ranking, metric, baseline, lang) -> list[dict[str, str]]:
    """Every chart the study supports, rendered in `lang` and embedded (question, image)."""
    ts_path, cm_path = folder / "timeseries.parquet", folder / "communities.parquet"
    ts = pd.read_parquet(ts_path) if ts_path.exists() else pd.DataFrame()
    cm = pd.read_parquet(cm_path) if cm_path.exists() else pd.DataFrame()
    runs = pd.read_parquet(folder / "runs.parquet")
    colours = charts.scenario_colours(list(dict.fromkeys(table["scenario"].astype(str))), baseline)
    plan: list[tuple[str, Any]] = [
        (
            "Which scenarios change what, compared with the baseline, beyond the noise?",
            lambda: charts.difference_figure(table, baseline=baseline),
        ),
        (
            "At what level does each scenario stand?",
            lambda: charts.means_figure(table, baseline=baseline, colours=colours),
        ),
    ]
    if not ts.empty and metric in ts.columns:
        plan.append(
            (
                "How much do single runs vary over the year, and how well is the mean known?",
                lambda: charts.spread_figure(ts, metric, baseline=baseline, colours=colours),
            )
        )
    if not cm.empty:
        plan.append(
            (
                "Who is left behind: which communities have their needs met?",
                lambda: charts.communities_figure(cm, baseline=baseline),
            )
        )
    if charts.cost_column(runs) is not None:
        plan.append(
            (
                "What does each scenario buy, and at what cost?",
                lambda: charts.cost_effect_figure(runs, baseline=baseline, colours=colours),
            )
        )
    plan.append(
        (
            "Which scenario is most likely the best?",
            lambda: charts.ranking_figure(ranking, metric, baseline=baseline, colours=colours),
        )
    )
    if not ts.empty:
        plan.append(
            (
                "Do effects build up, level off or fade over the year?",
                lambda: charts.timeseries_figure(ts, baseline=baseline, colours=colours),
            )
        )
    out = []
    with style._style(lang):
        for question, build in plan:
            out.append({"question": _t(question, lang), "uri": _figure_uri(build())})
    return out


def _lookup(params: dict, key: str) -> Any:
    node: Any = params
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _assumptions(manifest: dict, lang: str) -> list[dict[str, str]]:
    """Key parameters with value and source: the core ones, then each compared mode's."""
    from simulation.scenario import Scenario
    from simulation.scenario.params import param_table

    rows = {key: (doc, source) for key, _, doc, source in param_table(Scenario)}
    scenarios = list(manifest.get("scenarios", {}).values())
    keys = list(_CORE_ASSUMPTIONS)
    for s in scenarios:
        for mode in s.get("modes", []):
            keys += [
                k
                for k in rows
                if k.startswith(f"modes.{mode}.") and not k.endswith((".enabled", ".strength"))
            ]
    out = []
    for key in dict.fromkeys(keys):
        if key not in rows:
            continue
        holder = next(
            (s for s in scenarios if _lookup(s.get("parameters", {}), key) is not None), None
        )
        value = _lookup(holder.get("parameters", {}), key) if holder else None
        mode = key.split(".")[1] if key.startswith("modes.") else ""
        out.append(
            {
                "key": key,
                "short": key.removeprefix(f"modes.{mode}.") if mode else key,
                "group": mode_label(mode, lang) if mode else _t("The city and its services", lang),
                "value": "" if value is None else str(value),
                "doc": param_doc(key, lang),
                "source": param_source(key, lang),
            }
        )
    return out


def _scenarios_in_words(manifest: dict, baseline: str, lang: str) -> list[dict[str, str]]:
    out = []
    for name in manifest.get("scenario_order", []):
        rec = manifest.get("scenarios", {}).get(name, {})
        own = (rec.get("parameters") or {}).get("description", "")
        text = scenario_description(name, own, lang)
        modes = ", ".join(mode_label(m, lang) for m in rec.get("modes", [])) or _t("none", lang)
        out.append(
            {
                "name": scenario_label(name, lang),
                "id": name,
                "description": text,
                "modes": modes,
                "baseline": name == baseline,
            }
        )
    return out


def _provenance(manifest: dict) -> dict[str, Any]:
    env = manifest.get("environment", {})
    seeds = manifest.get("seeds") or []
    scen = []
    for name in manifest.get("scenario_order", []):
        rec = manifest.get("scenarios", {}).get(name, {})
        files = rec.get("files") or []
        scen.append(
            {
                "name": name,
                "digest": rec.get("digest", ""),
                "files": [(Path(f.get("path", "")).name, f.get("sha256", "")) for f in files],
            }
        )
    return {
        "package_version": env.get("package_version", ""),
        "git_revision": env.get("git_revision") or "",
        "python": env.get("python", ""),
        "mesa": env.get("mesa", ""),
        "base_seed": manifest.get("base_seed", ""),
        "seeds": f"{min(seeds)}–{max(seeds)}" if seeds else "",
        "replications": manifest.get("replications", ""),
        "started": manifest.get("started", ""),
        "finished": manifest.get("finished", ""),
        "status": manifest.get("status", ""),
        "scenarios": scen,
        "report_version": __version__,
    }


def _run_settings(manifest: dict) -> dict[str, Any]:
    first = next(iter(manifest.get("scenarios", {}).values()), {})
    run = (first.get("parameters") or {}).get("run", {})
    return {k: run.get(k, "") for k in ("scale", "days", "warmup_days", "resolution_limit_days")}


def _load(folder: Path) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    if not folder.is_dir():
        raise ReportError(f"{folder}: no such folder (give the folder of a comparison study)")
    missing = [
        n
        for n in ("manifest.json", "comparison.csv", "ranking.csv", "runs.parquet")
        if not (folder / n).exists()
    ]
    if missing:
        raise ReportError(
            f"{folder}: not a finished comparison study (missing {', '.join(missing)}); "
            "make one with: simulation compare SCENARIO... --out DIR"
        )
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except json.JSONDecodeError as exc:
        raise ReportError(f"{folder / 'manifest.json'}: not valid JSON ({exc})") from None
    table = pd.read_csv(folder / "comparison.csv")
    ranking = pd.read_csv(folder / "ranking.csv")
    if table.empty:
        raise ReportError(f"{folder / 'comparison.csv'}: empty; the study has no finished runs")
    return manifest, table, ranking


def render_html(folder: str | Path, lang: str = "en") -> tuple[str, list[str]]:
    """The report of the study in `folder` as one self-contained HTML string, and warnings."""
    folder = Path(folder)
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LanguageFallbackWarning)
        effective = resolve_language(lang)
    notes += [str(w.message) for w in caught]
    manifest, table, ranking = _load(folder)
    baseline = str(manifest.get("baseline") or table["scenario"].iloc[0])
    metric = str(manifest.get("metric") or "needs_met_rate")
    rows, wide = _headline(table, baseline, effective)
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["t"] = lambda text, **kw: _t(text, effective, **kw)
    template = env.get_template("report.html.j2")
    html = template.render(
        lang=effective,
        baseline=scenario_label(baseline, effective),
        metrics=[label(f"metric.{m}", effective) for m in HEADLINE_METRICS],
        rows=rows,
        uncertainty=wide,
        scenarios=_scenarios_in_words(manifest, baseline, effective),
        charts=_charts(folder, table, ranking, metric, baseline, effective),
        assumptions=_assumptions(manifest, effective),
        leaves_out=[
            label(k, effective)
            for k in (
                "leaves_out.geography",
                "leaves_out.capacity",
                "leaves_out.hours_source",
                "leaves_out.satisfaction",
                "leaves_out.platform",
                "leaves_out.mechanisms",
                "leaves_out.people",
            )
        ],
        provenance=_provenance(manifest),
        run=_run_settings(manifest),
        study=folder.name,
    )
    return html, notes


def build_report(folder: str | Path, lang: str = "en", *, pdf: bool = True) -> ReportFiles:
    """Write `report-<lang>.html` (and, with `pdf`, `report-<lang>.pdf`) into the study folder.

    Raises:
        ReportError: the folder is not a finished comparison study.
    """
    folder = Path(folder)
    html, notes = render_html(folder, lang)
    effective = "en" if notes else lang
    html_path = folder / f"report-{effective}.html"
    pdf_path: Path | None = None
    pdf_bytes = None
    if pdf:
        try:
            from weasyprint import HTML
        except (ImportError, OSError) as exc:  # Pango missing: HTML only, and say why
            notes.append(f"no PDF: WeasyPrint cannot load ({exc}); install libpango-1.0-0")
        else:
            pdf_bytes = HTML(string=html, base_url=str(folder)).write_pdf()
    atomic_write_bytes(html_path, html.encode("utf-8"))
    if pdf_bytes is not None:
        pdf_path = folder / f"report-{effective}.pdf"
        atomic_write_bytes(pdf_path, pdf_bytes)
    return ReportFiles(html_path, pdf_path, effective, notes)

"""The new charts and the languages: Chinese really is Chinese (a CJK font, no missing glyph,
no untranslated phrase), English is the fallback without a font, both interval kinds show
when the uncertainty columns exist, the cost chart appears only with costs."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text

from simulation.study import statistics as analysis
from simulation.views import charts, fonts, translations
from simulation.views.charts import style
from tests.test_charts import FEW, SCENARIOS, make_runs, make_timeseries

HAN = re.compile(r"[\u4e00-\u9fff]")
needs_cjk = pytest.mark.skipif(
    fonts.cjk_font_family() is None,
    reason="no CJK font installed (Debian fonts-noto-cjk; scripts/system_packages.sh)",
)


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def make_communities(scenarios=SCENARIOS, n_rep: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for k, s in enumerate(scenarios):
        for r in range(n_rep):
            for c in range(40):
                problems = int(rng.integers(5, 60))
                strength = (c % 10) / 10
                resolved = int(rng.binomial(problems, min(0.95, 0.3 + 0.4 * strength + 0.05 * k)))
                group = "strong" if c % 10 >= 8 else "weak" if c % 10 <= 1 else "middle"
                rows.append(
                    {
                        "scenario": s,
                        "replication": r,
                        "community": c,
                        "street": c // 6,
                        "strength": strength,
                        "group": group,
                        "problems": problems,
                        "taken_up": problems,
                        "resolved": resolved,
                    }
                )
    return pd.DataFrame(rows)


def make_sweep() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(8)
    n = 40
    summary = pd.DataFrame(
        {
            "design_point": np.arange(1, n + 1),
            "modes.smart_platform.coverage": rng.random(n),
            "principles.pairing": rng.choice(["voluntary", "forced"], n),
            "city.digital_access_60_plus": rng.random(n),
        }
    )
    summary["needs_met_rate_mean"] = 0.4 + 0.2 * summary["modes.smart_platform.coverage"]
    sobol = pd.DataFrame(
        {
            "output": "needs_met_rate",
            "parameter": [c for c in summary.columns[1:4]],
            "S1": [0.9, 0.02, 0.05],
            "S1_conf": [0.1, 0.05, 0.05],
            "ST": [0.95, 0.03, 0.06],
            "ST_conf": [0.1, 0.05, 0.05],
        }
    )
    return summary, sobol


@pytest.fixture(scope="module")
def study() -> dict[str, pd.DataFrame]:
    runs = make_runs()
    return {
        "runs": runs,
        "comparison": analysis.compare(runs, "baseline", metrics=FEW),
        "ranking": analysis.ranking(runs, "needs_met_rate", n_boot=100),
        "timeseries": make_timeseries(n_days=30),
        "communities": make_communities(),
    }


def all_figures(study, lang: str) -> dict[str, Figure]:
    summary, sobol = make_sweep()
    runs = study["runs"].assign(cost_yuan=1e6 + 1e5 * np.arange(len(study["runs"])) % 7)
    return {
        "differences": charts.difference_figure(study["comparison"], lang=lang),
        "means": charts.means_figure(study["comparison"], lang=lang),
        "timeseries": charts.timeseries_figure(study["timeseries"], FEW, lang=lang),
        "spread": charts.spread_figure(study["timeseries"], lang=lang),
        "ranking": charts.ranking_figure(study["ranking"], "needs_met_rate", lang=lang),
        "communities": charts.communities_figure(study["communities"], lang=lang),
        "cost": charts.cost_effect_figure(runs, lang=lang),
        "sobol": charts.sobol_figure(sobol, lang=lang),
        "response": charts.response_figure(summary, sobol, lang=lang),
    }


@needs_cjk
def test_chinese_charts_use_a_cjk_font_with_every_glyph(study) -> None:
    family = fonts.cjk_font_family()
    with warnings.catch_warnings():
        # matplotlib warns "Glyph ... missing from font(s)" when it would draw a box.
        warnings.simplefilter("error")
        figures = all_figures(study, "zh")
        for name, fig in figures.items():
            fig.canvas.draw()  # lays out every text: missing glyphs warn here
            han = [t for t in fig.findobj(Text) if HAN.search(t.get_text())]
            assert han, f"{name}: no Chinese text"
            for t in han:
                path = font_manager.findfont(t.get_fontproperties(), fallback_to_default=False)
                assert family is not None
                assert "CJK" in path or "cjk" in path.lower(), f"{name}: {t.get_text()!r} in {path}"
    assert translations.missing_phrases() == set(), "untranslated chart phrases"


@needs_cjk
def test_chinese_charts_name_modes_in_the_sources_terms(study) -> None:
    fig = charts.difference_figure(study["comparison"], lang="zh")
    assert "区域化共驻共建" in texts(fig)
    assert "智慧党建线上互动" in texts(fig)
    fig = charts.difference_figure(study["comparison"], lang="en")
    assert not any(HAN.search(t) for t in texts(fig))


def test_without_a_cjk_font_chinese_falls_back_to_english_with_a_warning(
    study, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fonts, "cjk_font_family", lambda: None)
    with pytest.warns(fonts.LanguageFallbackWarning, match="fonts-noto-cjk"):
        fig = charts.difference_figure(study["comparison"], lang="zh")
    assert not any(HAN.search(t) for t in texts(fig)), "Chinese text without a font: boxes"
    assert "regional co-construction" in texts(fig)


def test_unknown_language_is_refused(study) -> None:
    with pytest.raises(ValueError, match="en, zh"):
        charts.means_figure(study["comparison"], lang="fr")


def test_noise_only_intervals_are_labelled_as_such(study) -> None:
    joined = " ".join(texts(charts.difference_figure(study["comparison"])))
    assert "simulation noise only" in joined
    assert "assumptions as well" not in joined


def test_both_interval_kinds_show_when_the_uncertainty_columns_exist(study) -> None:
    table = study["comparison"].copy()
    table["ui_low"], table["ui_high"] = table["ci_low"] - 0.05, table["ci_high"] + 0.05
    table["diff_ui_low"] = table["diff_ci_low"] - 0.05
    table["diff_ui_high"] = table["diff_ci_high"] + 0.05
    for fig in (charts.difference_figure(table), charts.means_figure(table)):
        joined = " ".join(texts(fig))
        assert "simulation noise only" in joined
        assert "assumptions as well" in joined
    # the wide bars are drawn: one pale thick line per finite interval
    fig = charts.means_figure(table, "service_coverage")
    thick = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_linewidth() == 7]
    assert len(thick) == len(SCENARIOS)
    ranking = study["ranking"].assign(p_best_ui=[0.2, 0.3, 0.5])
    joined = " ".join(texts(charts.ranking_figure(ranking, "needs_met_rate")))
    assert "with the uncertainty of the model's assumptions" in joined


def test_spread_chart_labels_both_bands_apart(study) -> None:
    joined = " ".join(texts(charts.spread_figure(study["timeseries"])))
    assert "run-to-run spread (10th–90th percentile of single runs)" in joined
    assert "95 % CI of the mean" in joined


def test_spread_band_is_wider_than_the_ci_of_the_mean(study) -> None:
    from simulation.views.charts.spread import _daily_spread
    from simulation.views.charts.timeseries import _daily_mean_ci

    ts = make_timeseries(n_rep=20, n_days=30)
    ci = _daily_mean_ci(ts, "needs_met_rate").dropna()
    sp = _daily_spread(ts, "needs_met_rate").dropna()
    merged = ci.merge(sp, on=["scenario", "day"])
    assert ((merged["p_hi"] - merged["p_lo"]) > (merged["hi"] - merged["lo"])).mean() > 0.9


def test_cost_chart_only_with_a_cost_column(study, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(style, "DPI", 30)
    comparison = study["comparison"]
    without = charts.write_all(tmp_path / "a", comparison, runs=study["runs"], formats=("png",))
    assert "cost_effect.png" not in [p.name for p in without]
    rng = np.random.default_rng(1)
    runs = study["runs"].assign(hours_total=1000 + rng.normal(0, 10, len(study["runs"])))
    with_cost = charts.write_all(tmp_path / "b", comparison, runs=runs, formats=("png",))
    assert "cost_effect.png" in [p.name for p in with_cost]
    table = charts.cost.cost_effect_table(runs, "baseline", "needs_met_rate", "hours_total")
    assert list(table["scenario"]) == ["regional", "smart_platform"]
    assert (table["cost_low"] <= table["cost"]).all()
    assert (table["cost"] <= table["cost_high"]).all()
    with pytest.raises(ValueError, match="no cost column"):
        charts.cost_effect_figure(study["runs"])


def test_schematic_map_puts_each_street_in_its_own_cluster() -> None:
    from simulation.views.charts.communities import schematic_positions

    city = make_communities(scenarios=("baseline",), n_rep=1)
    pos = schematic_positions(city)
    centres = pos.groupby("street")[["x", "y"]].mean().round()
    assert len(centres.drop_duplicates()) == city["street"].nunique()
    spread = pos.groupby("street")[["x", "y"]].agg(lambda v: v.max() - v.min())
    assert (spread < 0.8).all().all()  # clusters do not reach into each other (1 apart)
    assert pos.equals(schematic_positions(city))  # deterministic


def test_community_chart_titles_pool_all_replications() -> None:
    cm = make_communities()
    fig = charts.communities_figure(cm)
    base = cm[cm["scenario"] == "baseline"]
    weak = base[base["group"] == "weak"]
    expected = f"weakest quarter {weak['resolved'].sum() / weak['problems'].sum() * 100:.0f} %"
    assert any(expected in t for t in texts(fig))


def test_sweep_charts_pick_the_most_influential_parameter() -> None:
    summary, sobol = make_sweep()
    fig = charts.response_figure(summary, sobol, top=1)
    labels = [ax.get_xlabel() for ax in fig.axes if ax.get_xlabel()]
    assert labels == ["smart platform: coverage"]
    fig = charts.sobol_figure(sobol)
    assert any("total order" in t for t in texts(fig))


def test_chinese_notes_wrap_within_their_width() -> None:
    text = (
        translations.phrase(
            "Intervals show simulation noise only (not uncertainty in the model's assumptions).",
            "zh",
        )
        * 4
    )
    wrapped = style._wrap(text, 30)
    assert wrapped.replace("\n", "") == text.replace(" ", "") or len(wrapped.splitlines()) > 1
    for line in wrapped.splitlines():
        assert sum(2 if style._is_wide(c) else 1 for c in line) <= 32

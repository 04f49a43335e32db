"""Tests for simulation.views.charts: files are written, valid and atomic; edge cases do not crash."""

from __future__ import annotations

import math
import re
import struct
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from scipy import stats

from simulation.study import statistics as analysis
from simulation.views import charts

SCENARIOS = ("baseline", "regional", "smart_platform")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LEVELS = {
    "service_coverage": (0.60, 0.02),
    "resolution_rate": (0.78, 0.02),
    "needs_met_rate": (0.47, 0.02),
    "mean_days_to_resolve": (11.5, 0.6),
    "party_org_coverage": (0.35, 0.02),
    "equity_gap": (0.12, 0.015),
    "hours_per_resolved": (6.2, 0.5),
}
# Two metrics keep the renders fast (the full seven-panel charts were checked by eye).
FEW = ["service_coverage", "mean_days_to_resolve"]


def make_runs(scenarios=SCENARIOS, n_rep: int = 5, seed: int = 11) -> pd.DataFrame:
    """CRN-style study: level + scenario effect + replication luck shared by all scenarios."""
    rng = np.random.default_rng(seed)
    luck = {m: rng.normal(0.0, sd, n_rep) for m, (_, sd) in LEVELS.items()}
    rows = []
    for k, scenario in enumerate(scenarios):
        for r in range(n_rep):
            row = {"scenario": scenario, "replication": r, "seed": 100 + r, "status": "ok"}
            for m, (level, sd) in LEVELS.items():
                row[m] = level + 0.8 * k * sd + luck[m][r] + rng.normal(0.0, 0.3 * sd)
            rows.append(row)
    return pd.DataFrame(rows)


def make_timeseries(scenarios=SCENARIOS, n_rep: int = 5, n_days: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    days = np.arange(1, n_days + 1)
    parts = []
    for k, scenario in enumerate(scenarios):
        for r in range(n_rep):
            part = {"day": days, "scenario": scenario, "replication": r, "seed": 100 + r}
            for m, (level, sd) in LEVELS.items():
                values = level + 0.5 * k * sd + rng.normal(0.0, sd, n_days)
                values[days < 10] = np.nan  # trailing-window rates are undefined at first
                part[m] = values
            part["problems_open"] = rng.poisson(30, n_days).astype(float)
            parts.append(pd.DataFrame(part))
    return pd.concat(parts, ignore_index=True)


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from the IHDR chunk, after checking the PNG signature."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def assert_valid_png(path: Path, min_width: int = 600, min_height: int = 300) -> None:
    width, height = png_size(path)
    assert width >= min_width
    assert height >= min_height
    image = mpimg.imread(path)
    assert image.shape[:2] == (height, width)
    assert float(image[..., :3].std()) > 0.01, f"{path.name} looks blank"


def figure_texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text)]


@pytest.fixture(scope="module")
def runs() -> pd.DataFrame:
    return make_runs()


@pytest.fixture
def low_dpi(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render at a low resolution where only structure matters (keeps the suite fast)."""
    monkeypatch.setattr(charts.style, "DPI", 40)


# ---------------------------------------------------------------------------------------------
# write_all
# ---------------------------------------------------------------------------------------------


def test_write_all_creates_valid_pngs_and_svgs(tmp_path: Path, runs: pd.DataFrame, low_dpi) -> None:
    comparison = analysis.compare(runs, "baseline", metrics=FEW)
    ranking = analysis.ranking(runs, "needs_met_rate", n_boot=200)
    out = tmp_path / "charts" / "nested"  # must be created
    paths = charts.write_all(out, comparison, make_timeseries(), ranking)

    stems = ["differences", "means", "timeseries", "spread", "ranking"]
    names = [f"{s}.{ext}" for s in stems for ext in ("png", "svg")]
    assert [p.name for p in paths] == names
    assert sorted(p.name for p in out.iterdir()) == sorted(names)  # no temp files left over
    for svg in out.glob("*.svg"):
        assert svg.read_text().lstrip().startswith("<?xml"), svg.name
    paths = [p for p in paths if p.suffix == ".png"]
    for path in paths:
        assert_valid_png(path, min_width=8 * charts.style.DPI, min_height=3 * charts.style.DPI)
    # Saved at the documented size: 12 inches wide for the multi-panel charts, and at least
    # 3 inches per row of panels, so that the labels stay legible.
    for name in ("differences.png", "means.png", "timeseries.png"):
        width, height = png_size(out / name)
        assert width == 12 * charts.style.DPI
        assert height >= 3 * charts.style.DPI


def test_write_all_skips_missing_inputs(
    tmp_path: Path, runs: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only which charts are written matters here, so saving is replaced by an empty file.
    saved: list[str] = []

    def fake_save(fig: Figure, path: Path) -> Path:
        saved.append(Path(path).name)
        Path(path).touch()
        return Path(path)

    monkeypatch.setattr(charts.style, "_save", fake_save)
    comparison = analysis.compare(runs, "baseline", metrics=FEW)
    paths = charts.write_all(
        tmp_path, comparison, timeseries=None, ranking=pd.DataFrame(), formats=("png",)
    )
    assert [p.name for p in paths] == saved == ["differences.png", "means.png"]
    assert charts.write_all(tmp_path / "none", None) == []
    only_base = comparison[comparison["scenario"] == "baseline"]
    saved.clear()
    charts.write_all(tmp_path / "single", only_base, ranking=None, formats=("png",))
    assert saved == ["means.png"]  # nothing to compare with: no difference chart


def test_single_scenario_skips_difference_chart(tmp_path: Path, low_dpi) -> None:
    only_base = make_runs(scenarios=("baseline",))
    comparison = analysis.compare(only_base, "baseline", metrics=FEW)
    ranking = analysis.ranking(only_base, "needs_met_rate", n_boot=50)
    paths = charts.write_all(
        tmp_path, comparison, make_timeseries(scenarios=("baseline",)), ranking, formats=("png",)
    )
    assert [p.name for p in paths] == ["means.png", "timeseries.png", "spread.png", "ranking.png"]
    assert not (tmp_path / "differences.png").exists()
    for path in paths:
        assert_valid_png(path, min_width=300, min_height=100)
    # Called directly, the difference chart says so instead of failing.
    fig = charts.difference_figure(comparison)
    assert any("nothing to compare" in t for t in figure_texts(fig))


def test_nan_inputs_do_not_raise(tmp_path: Path, low_dpi, monkeypatch: pytest.MonkeyPatch) -> None:
    # Keep each figure that is saved, to look inside it afterwards.
    figures: dict[str, Figure] = {}
    real_save = charts.style._save

    def keeping_save(fig: Figure, path: Path) -> Path:
        figures[Path(path).name] = fig
        return real_save(fig, path)

    monkeypatch.setattr(charts.style, "_save", keeping_save)
    # One replication: every interval is NaN.  One metric entirely missing.
    runs1 = make_runs(n_rep=1)
    runs1["equity_gap"] = np.nan
    comparison = analysis.compare(runs1, "baseline", metrics=[*FEW, "equity_gap"])
    assert comparison["ci_low"].isna().all()
    assert comparison["diff_ci_low"].isna().all()
    timeseries = make_timeseries()
    timeseries["equity_gap"] = np.nan
    ranking = pd.DataFrame(
        {
            "scenario": list(SCENARIOS),
            "mean": [0.5, np.nan, 0.4],
            "ci_low": np.nan,
            "ci_high": np.nan,
            "p_best": [np.nan, 0.5, 0.5],
        }
    )
    paths = charts.write_all(
        tmp_path, comparison, timeseries, ranking, metric="needs_met_rate", formats=("png",)
    )
    assert len(paths) == 5
    for path in paths:
        assert_valid_png(path, min_width=300, min_height=100)

    # The all-NaN metric gets a "no data" panel; points without an interval are still drawn,
    # with their value and no interval next to them.
    diff_texts = figure_texts(figures["differences.png"])
    assert "no data" in diff_texts
    assert any(re.fullmatch(r"[+−]\d+\.\d pp", t) for t in diff_texts)
    assert figure_texts(figures["timeseries.png"]).count("no data") == 1
    assert "n/a" in figure_texts(figures["ranking.png"])


# ---------------------------------------------------------------------------------------------
# Content of the difference chart
# ---------------------------------------------------------------------------------------------


def test_difference_chart_shows_rates_in_percentage_points() -> None:
    base = make_runs(scenarios=("baseline",))
    shifted = base.assign(
        scenario="regional",
        service_coverage=base["service_coverage"] + 0.05,  # exactly +5 pp in every replication
        mean_days_to_resolve=base["mean_days_to_resolve"] - 1.25,  # 1.25 days faster
    )
    comparison = analysis.compare(pd.concat([base, shifted]), "baseline", metrics=FEW)
    fig = charts.difference_figure(comparison)
    texts = figure_texts(fig)
    assert "+5.0 pp  [5.0, 5.0]" in texts
    assert "−1.2 days  [−1.2, −1.2]" in texts or "−1.3 days  [−1.3, −1.3]" in texts
    assert any("Difference to baseline" in t and "Holm" in t for t in texts)


def test_difference_markers_are_direction_aware_and_filled_when_significant() -> None:
    base = make_runs(scenarios=("baseline",))
    noise = np.array([0.012, -0.008, 0.011, -0.009, 0.004])  # mean +0.002, sd 0.01
    worse = base.assign(
        scenario="regional",
        # Fewer days is better, so +2 days is a significant deterioration ...
        mean_days_to_resolve=base["mean_days_to_resolve"] + 2.0,
        # ... while a tiny noisy coverage gain is an improvement that is not significant.
        service_coverage=base["service_coverage"].to_numpy() + noise,
    )
    comparison = analysis.compare(pd.concat([base, worse]), "baseline", metrics=FEW)
    row = comparison.set_index(["scenario", "metric"]).loc[("regional", "service_coverage")]
    assert row["p_adjusted"] >= 0.05
    assert row["diff"] > 0
    fig = charts.difference_figure(comparison)
    panels = {ax.get_title().split("\n")[0]: ax for ax in fig.axes if ax.get_title()}

    def marker(title: str) -> Line2D:
        (line,) = [ln for ln in panels[title].get_lines() if ln.get_marker() in ("o", "s", "D")]
        return line

    days = marker("Mean days to resolve")
    assert days.get_marker() == "s"  # worse
    assert days.get_markeredgecolor() == charts.style._WORSE
    assert days.get_markerfacecolor() == charts.style._WORSE  # filled: significant
    cov = marker(charts.style._panel_title("service_coverage"))
    assert cov.get_marker() == "o"  # better
    assert cov.get_markeredgecolor() == charts.style._BETTER
    assert cov.get_markerfacecolor() == "white"  # hollow: not significant after Holm


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def test_scenario_colours_are_deterministic_with_grey_baseline() -> None:
    names = [
        "baseline",
        "regional",
        "cross_domain",
        "central_community",
        "dual_reporting",
        "red_commercial_street",
        "smart_platform",
        "chifeng_2018",
        "sensitivity_a",
        "sensitivity_b",
    ]
    first = charts.scenario_colours(names)
    assert first == charts.scenario_colours(names)
    assert first == charts.scenario_colours(list(reversed(names)))  # order does not matter
    assert list(first) == names
    assert first["baseline"] == charts.BASELINE_COLOUR == "#404040"
    assert len(set(first.values())) == len(names)  # all distinguishable
    # A mode keeps its colour when a chart shows only some scenarios.
    subset = charts.scenario_colours(["smart_platform", "baseline"])
    assert subset["smart_platform"] == first["smart_platform"]
    # Whatever the baseline is called, it is the grey one.
    other = charts.scenario_colours(["status_quo", "regional"], baseline="status_quo")
    assert other["status_quo"] == charts.BASELINE_COLOUR
    assert other["regional"] != charts.BASELINE_COLOUR


def test_labels() -> None:
    assert charts.scenario_label("red_commercial_street") == "red commercial street"
    assert charts.metric_label("needs_met_rate").startswith("Needs met")
    assert set(analysis.PRIMARY_METRICS) <= set(charts.METRIC_LABELS)


def test_timeseries_band_is_t_interval_of_the_mean() -> None:
    ts = make_timeseries()
    agg = charts.timeseries._daily_mean_ci(ts, "needs_met_rate")
    row = agg[(agg["scenario"] == "regional") & (agg["day"] == 20)].iloc[0]
    x = ts.loc[(ts["scenario"] == "regional") & (ts["day"] == 20), "needs_met_rate"].to_numpy()
    half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    assert row["mean"] == pytest.approx(x.mean())
    assert row["lo"] == pytest.approx(x.mean() - half)
    assert row["hi"] == pytest.approx(x.mean() + half)
    early = agg[agg["day"] < 10]
    assert early["mean"].isna().all()  # undefined days stay gaps, not zeros


def test_write_is_atomic(tmp_path: Path, runs: pd.DataFrame, monkeypatch) -> None:
    comparison = analysis.compare(runs, "baseline", metrics=FEW)
    target = tmp_path / "differences.png"
    target.write_bytes(b"previous chart")

    def broken_savefig(self, fname, *args, **kwargs):
        fname.write(PNG_SIGNATURE + b"half a chart")
        raise KeyboardInterrupt  # interrupted mid-write

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    with pytest.raises(KeyboardInterrupt):
        charts.difference_chart(comparison, target)
    assert target.read_bytes() == b"previous chart"  # the old file is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["differences.png"]  # no temp file left

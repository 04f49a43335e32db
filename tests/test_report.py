"""The decision report: self-contained HTML and a PDF from one study, in English and Chinese,
with verdicts that follow the intervals, provenance from the manifest, and clear errors."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from simulation import api, cli
from simulation.views import fonts, translations
from simulation.views.report import ReportError, build_report
from simulation.views.report.build import render_html, verdict
from tests.conftest import SCENARIOS

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real, tiny comparison (three scenarios, 3 replications, 0.5 % of the city)."""
    folder = tmp_path_factory.mktemp("report") / "study"
    api.compare(
        [
            SCENARIOS / "baseline.toml",
            SCENARIOS / "regional.toml",
            SCENARIOS / "smart_platform.toml",
        ],
        scale=0.005,
        days=100,
        replications=3,
        out=folder,
        workers=1,
        progress=False,
        charts=False,
    )
    return folder


def row(diff: float, lo: float, hi: float, p: float, metric: str = "resolution_rate") -> pd.Series:
    return pd.Series(
        {"metric": metric, "diff": diff, "diff_ci_low": lo, "diff_ci_high": hi, "p_adjusted": p}
    )


def test_verdicts_follow_interval_and_significance() -> None:
    assert verdict(row(0.075, 0.06, 0.09, 0.001)) == "raises resolution rate by 6.0–9.0 points"
    assert verdict(row(-0.02, -0.03, -0.01, 0.01)) == "lowers resolution rate by 1.0–3.0 points"
    assert verdict(row(0.01, -0.01, 0.03, 0.4, "service_coverage")) == (
        "no detectable effect on service coverage"
    )
    # an interval clear of zero that Holm does not confirm is not called an effect
    assert verdict(row(0.02, 0.001, 0.04, 0.08)).startswith("no detectable effect")
    assert verdict(row(0.075, 0.06, 0.09, 0.001), "zh") == "问题解决率提高 6.0–9.0 个百分点"
    # narrow intervals: never an empty range ("0.2–0.2") or a zero end ("0.0–0.1")
    assert verdict(row(-0.002, -0.0023, -0.0017, 0.001)) == (
        "lowers resolution rate by 0.17–0.23 points"
    )
    assert (
        verdict(row(0.0005, 0.0003, 0.0008, 0.001)) == "raises resolution rate by 0.03–0.08 points"
    )
    assert (
        verdict(row(0.002, 0.00201, 0.00204, 0.001))
        == "raises resolution rate by about 0.20 points"
    )


def test_html_is_self_contained_and_complete(study: Path) -> None:
    html, notes = render_html(study, "en")
    assert notes == []
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "refers to the network"
    assert len(re.findall(r'src="data:image/png;base64,', html)) >= 5
    manifest = json.loads((study / "manifest.json").read_text())
    for rec in manifest["scenarios"].values():
        assert rec["digest"] in html
    assert manifest["environment"]["package_version"] in html
    assert str(manifest["base_seed"]) in html
    for heading in (
        "The question",
        "The scenarios",
        "The answer in one table",
        "Main assumptions and their sources",
        "What the model leaves out",
        "Provenance",
    ):
        assert heading in html
    assert "simulation noise only" in html
    assert "modes.smart_platform.coverage" in html  # an assumption of a compared mode
    assert re.search(r"(raises|lowers) \w[\w ]* by \d+\.\d–\d+\.\d points|no detectable", html)


@pytest.mark.slow
def test_report_files_in_both_languages(study: Path) -> None:
    en = build_report(study, "en")
    assert en.html == study / "report-en.html"
    assert en.pdf is not None
    pdf = en.pdf.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert len(pdf) > 200_000  # the charts are in it, not only the text
    if fonts.cjk_font_family() is None:
        pytest.skip("no CJK font: Chinese falls back to English (tested in test_charts_views)")
    zh = build_report(study, "zh", pdf=False)
    text = zh.html.read_text()
    assert zh.lang == "zh"
    assert "区域化共驻共建" in text
    assert "智慧党建线上互动" in text
    assert 'lang="zh-CN"' in text
    assert translations.missing_phrases() == set()


def test_both_interval_kinds_in_the_table_when_present(study: Path, tmp_path: Path) -> None:
    copy = tmp_path / "study"
    shutil.copytree(study, copy)
    table = pd.read_csv(copy / "comparison.csv")
    table["ui_low"], table["ui_high"] = table["ci_low"] - 0.01, table["ci_high"] + 0.01
    table["diff_ui_low"], table["diff_ui_high"] = (
        table["diff_ci_low"] - 0.01,
        table["diff_ci_high"] + 0.01,
    )
    table["verdict"] = "depends on city.digital_access_60_plus"
    table.to_csv(copy / "comparison.csv", index=False)
    html, _ = render_html(copy, "en")
    assert "Robust to assumptions?" in html
    assert "depends on city.digital_access_60_plus" in html
    assert 'class="ui"' in html


def test_not_a_study_is_a_clear_error(tmp_path: Path, capsys) -> None:
    with pytest.raises(ReportError, match="not a finished comparison study"):
        build_report(tmp_path)
    assert cli.main(["report", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "no such folder" in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_cli_report_writes_html(study: Path, capsys) -> None:
    assert cli.main(["report", str(study), "--no-pdf"]) == 0
    out = capsys.readouterr().out
    assert f"report: {study / 'report-en.html'}" in out


def test_community_table_adds_up_to_the_run_metrics(study: Path) -> None:
    runs = pd.read_parquet(study / "runs.parquet").set_index(["scenario", "replication"])
    cm = pd.read_parquet(study / "communities.parquet")
    n_communities = runs["n_communities"].iloc[0]
    assert (cm.groupby(["scenario", "replication"]).size() == n_communities).all()
    pooled = cm.groupby(["scenario", "replication"])[["problems", "taken_up", "resolved"]].sum()
    needs_met = pooled["resolved"] / pooled["problems"]
    coverage = pooled["taken_up"] / pooled["problems"]
    pd.testing.assert_series_equal(
        needs_met, runs.loc[needs_met.index, "needs_met_rate"], check_names=False
    )
    pd.testing.assert_series_equal(
        coverage, runs.loc[coverage.index, "service_coverage"], check_names=False
    )
    by_group = cm.groupby(["scenario", "replication", "group"])[["problems", "resolved"]].sum()
    rate = (by_group["resolved"] / by_group["problems"]).unstack("group")
    pd.testing.assert_series_equal(
        rate["strong"] - rate["weak"], runs.loc[rate.index, "equity_gap"], check_names=False
    )


def test_compare_prints_the_report_command(tmp_path: Path, capsys) -> None:
    out = tmp_path / "cmp"
    argv = ["compare", str(SCENARIOS / "baseline.toml"), str(SCENARIOS / "regional.toml")]
    argv += ["--scale", "0.003", "--days", "70", "--replications", "2", "--workers", "1"]
    argv += ["--out", str(out), "--no-progress", "--no-charts"]
    assert cli.main(argv) == 0
    assert f"decision report: simulation report {out}" in capsys.readouterr().out

"""The dashboard in a real browser: Debian's Chromium, driven by Playwright, as a planner would.

Starts `python -m simulation app` on a free port (English, then Chinese), loads the page,
checks that every file the page asks for is served locally (no internet at run time),
switches a mode on, refuses a bad value with a message, steps and plays the year, checks
that the figures and charts change, that a second tab keeps its own run, and saves
screenshots (in pytest's temporary folder, or in $APP_SCREENSHOTS when set).

Without Chromium or Playwright the test skips and says why, except under CI (env `CI` set),
where it fails: CI's set-up installs both, so a skip there would hide a broken dashboard.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulation.views.app.controls import MODES
from simulation.views.app.server import free_port
from tests.conftest import ROOT

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

pytestmark = pytest.mark.slow


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser test (scripts/system_packages.sh)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium")
    if chromium is None:
        _unavailable("no `chromium` on the PATH (Debian package chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (dev extra)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


@contextlib.contextmanager
def _server(lang: str, log: Path) -> Iterator[str]:
    """`simulation app` in a subprocess on a free port; yields its URL, stops it after."""
    import urllib.request

    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "simulation", "app", "--port", str(port), "--lang", lang],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode}: {log.read_text()}")
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the server did not answer within 60 s: {log.read_text()}")
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("APP_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _open(browser, url: str, failed: list[str]):
    page = browser.new_page(viewport={"width": 1500, "height": 1250})
    page.set_default_timeout(60_000)
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("requestfailed", lambda r: failed.append(f"failed {r.url}"))
    page.goto(url)
    page.locator(".app-day").wait_for()
    return page


def _day(page) -> int:
    return int(re.search(r"\d+", page.locator(".app-day").inner_text()).group())


def _src(page, cls: str) -> str:
    return page.locator(f".{cls} img, img.{cls}").first.get_attribute("src") or ""


def _switched_on(page) -> set[str]:
    """The modes whose switch shows "on"."""
    on = set()
    for mode in MODES:
        box = page.locator(f".switch-{mode} input")
        if box.get_attribute("aria-checked") == "true":
            on.add(mode)
    return on


def _changes(page, cls: str, before: str, seconds: float = 30) -> bool:
    """Whether the picture `cls` shows something other than `before` within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _src(page, cls) != before:
            return True
        page.wait_for_timeout(200)
    return False


def test_dashboard_in_chromium(browser, tmp_path) -> None:
    shots = _shots(tmp_path)
    failed: list[str] = []
    with _server("en", tmp_path / "server-en.log") as url:
        page = _open(browser, url, failed)
        assert _day(page) == 0
        assert "regional co-construction" in page.content()

        # switch a mode on: its levers appear, generated from the schema with their bounds
        page.locator(".switch-regional label").click()
        strength = page.locator(".field-modes-regional-strength input")
        strength.wait_for()
        assert "(0 – 2)" in page.locator(".field-modes-regional-strength").inner_text()

        # bad values are refused with a message naming the lever; the page keeps working
        strength.fill("5")
        strength.press("Enter")
        refused = page.locator(".app-refused")
        refused.wait_for()
        assert "strength" in refused.inner_text()
        assert "at most 2" in refused.inner_text()
        strength.fill("lots")
        strength.press("Enter")
        page.get_by_text("must be a number").first.wait_for()
        page.screenshot(path=shots / "app-refused-en.png", full_page=True)
        strength.fill("1.5")
        strength.press("Enter")
        refused.wait_for(state="detached")

        # step, then play the rest of the year; figures and charts change
        chart0, map0 = _src(page, "app-series"), _src(page, "app-map")
        page.locator(".btn-step30").click()
        page.get_by_text("Day 30 of 365").wait_for()
        page.locator(".btn-step30").click()
        page.locator(".btn-step30").click()
        page.get_by_text("Day 90 of 365").wait_for()
        assert _changes(page, "app-series", chart0)
        assert _switched_on(page) == {"regional"}
        assert "regional co-construction" in page.locator(".app-changed").inner_text()
        assert page.locator(".kpi-needs_met_rate").inner_text().endswith("%")
        started = time.monotonic()
        page.locator(".btn-run").click()
        page.get_by_text("Day 365 of 365").wait_for(timeout=90_000)
        played = time.monotonic() - started
        page.locator(".app-speed").filter(has_text="days played").wait_for()
        page.locator(".btn-run").wait_for()  # the run has ended: Pause is Run again
        assert _changes(page, "app-map", map0)
        diff = page.locator(".kpi-diff-needs_met_rate").inner_text()
        assert re.fullmatch(r"[+-]\d+\.\d pp", diff), diff
        assert diff != "+0.0 pp"  # regional co-construction changes needs met
        print(f"\nyear played in {played:.1f} s: {page.locator('.app-speed').inner_text()}")
        page.screenshot(path=shots / "app-year-en.png", full_page=True)

        # a second tab has its own run: day 0, mode off; the first tab is untouched
        other = _open(browser, url, failed)
        assert _day(other) == 0
        assert other.locator(".field-modes-regional-strength").count() == 0
        other.locator(".btn-step").click()
        other.get_by_text("Day 1 of 365").wait_for()
        assert _day(page) == 365
        other.close()
        page.close()

    with _server("zh", tmp_path / "server-zh.log") as url:
        page = _open(browser, url, failed)
        assert "融合党建" in page.content()
        assert "区域化共驻共建" in page.content()
        page.locator(".switch-smart_platform label").click()
        page.locator(".field-modes-smart_platform-strength input").wait_for()
        map0 = _src(page, "app-map")
        page.locator(".btn-step30").click()
        page.locator(".btn-step30").click()
        page.locator(".btn-step30").click()
        page.get_by_text("第 90 天").wait_for()
        assert _changes(page, "app-map", map0)
        assert _switched_on(page) == {"smart_platform"}
        assert "个百分点" in page.locator(".kpi").inner_text()
        page.screenshot(path=shots / "app-zh.png", full_page=True)
        # Pause stops a playing run before the horizon; Run comes back
        page.locator(".btn-run").click()
        page.locator(".btn-pause").click()
        page.locator(".btn-run").wait_for()
        assert 90 < _day(page) < 365
        page.close()

    assert failed == [], f"requests that failed (the page must load offline): {failed}"

"""The dashboard without a browser: controls from the schema, the paired runs, the map's data.

The browser test (tests/test_app_browser.py) drives the page itself; these check the parts
it is built from, quickly and exactly.
"""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys

import numpy as np
import pytest

from simulation import cli
from simulation.model import CityModel
from simulation.scenario import load_scenario
from simulation.scenario.settings import ModeSettings
from simulation.views.app import controls, readouts, server
from simulation.views.app.figures import map_png, series_png
from simulation.views.app.server import HOST, free_port, port_in_use
from simulation.views.app.session import Session, baseline_of, shipped_scenarios
from tests.conftest import BASELINE, SCENARIOS

SMALL = {"scale": 0.003, "days": 75}
PNG = b"\x89PNG\r\n\x1a\n"


def _scenario(name: str = "regional", **extra):
    return load_scenario(SCENARIOS / f"{name}.toml", overrides=SMALL | extra)


# ---------------------------------------------------------------- controls from the schema
def _meta(key: str) -> dict:
    f, _ = controls._field(key)
    return dict(f.metadata)


@pytest.mark.parametrize("key", [*controls.MAIN_LEVERS, *controls.RUN_CONTROLS])
def test_every_control_carries_the_schemas_bounds_and_choices(key) -> None:
    c = controls.control(key)
    meta = _meta(key)
    assert (c.lo, c.hi, c.lo_open, c.doc) == (meta["lo"], meta["hi"], meta["lo_open"], meta["doc"])
    assert c.choices == (tuple(meta["choices"]) if meta["choices"] else None)


def test_every_mode_gets_a_switch_and_a_strength_lever() -> None:
    modes = [f.name for f in dataclasses.fields(ModeSettings)]
    assert list(controls.MODES) == modes
    for mode in modes:
        assert controls.control(f"modes.{mode}.enabled").kind == "bool"
        assert f"modes.{mode}.strength" in controls.MAIN_LEVERS


def test_bounds_text_shows_the_range_and_no_huge_ceiling() -> None:
    assert controls.control("modes.regional.strength").bounds_text() == "0 – 2"
    assert controls.control("run.scale").bounds_text() == "> 0 – 1"
    assert controls.control("run.seed").bounds_text() == "≥ 0"


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        ("modes.regional.strength", "abc", "must be a number"),
        ("modes.regional.strength", "nan", "must be a finite number"),
        ("run.days", "12.5", "must be a whole number"),
    ],
)
def test_malformed_text_is_refused_with_the_key(key, text, expected) -> None:
    with pytest.raises(controls.ControlError) as err:
        controls.parse_text(controls.control(key), text)
    assert err.value.key == key
    assert expected in err.value.message


def test_out_of_range_values_are_refused_by_the_schema_itself() -> None:
    s = _scenario()
    for key, value, expected in (
        ("modes.regional.strength", 5.0, "must be at most 2.0"),
        ("run.scale", 0.0, "must be greater than 0"),
        ("principles.pairing", "sometimes", "must be one of 'voluntary', 'forced'"),
        ("run.days", 40, "must exceed run.warmup_days + run.resolution_limit_days"),
    ):
        with pytest.raises(controls.ControlError) as err:
            controls.apply_values(s, {key: value})
        assert err.value.key == key
        assert expected in err.value.message
    ok = controls.apply_values(s, {"modes.regional.strength": 1.5})
    assert ok.modes.regional.strength == 1.5


def test_the_page_refuses_runs_bigger_than_a_full_city_year() -> None:
    s = _scenario()
    controls.check_budget(controls.apply_values(s, {"run.scale": 1.0, "run.days": 365}))
    controls.check_budget(controls.apply_values(s, {"run.scale": 0.1, "run.days": 3650}))
    big = controls.apply_values(s, {"run.scale": 1.0, "run.days": 730})
    with pytest.raises(controls.ControlError) as err:
        controls.check_budget(big, "run.days")
    assert err.value.key == "run.days"
    assert "simulation run" in err.value.message


def test_parse_accepts_what_a_planner_types() -> None:
    assert controls.parse_text(controls.control("run.seed"), " 1_000 ") == 1000
    assert controls.parse_text(controls.control("modes.regional.strength"), "1.5") == 1.5


# ---------------------------------------------------------------- the paired runs
def test_shipped_scenarios_lists_scenarios_not_sweeps_baseline_first() -> None:
    files = shipped_scenarios(SCENARIOS)
    assert next(iter(files)) == "baseline"
    assert "chifeng_2018" in files
    assert "sweep_levers" not in files
    assert all(p.suffix == ".toml" for p in files.values())


def test_baseline_of_turns_every_mode_off_and_keeps_the_rest() -> None:
    s = _scenario("chifeng_2018")
    base = baseline_of(s)
    assert base.enabled_modes() == []
    assert base.run == s.run
    assert base.city == s.city
    assert base.service == s.service
    shipped = load_scenario(BASELINE, overrides=SMALL)
    # one-mode files only switch their mode on: their baseline is the shipped one exactly
    one = baseline_of(_scenario("regional"))
    assert (
        one.replace({"description": ""}).digest() == shipped.replace({"description": ""}).digest()
    )
    # chifeng_2018 also sets parameters of its modes, which do nothing once they are off
    a = CityModel(scenario=base, rng=3)
    b = CityModel(scenario=shipped, rng=3)
    a.run_model()
    b.run_model()
    # exact equality; NaN (an equity gap with no weak community in a tiny sample) equals NaN
    assert a.metrics() == pytest.approx(b.metrics(), rel=0, abs=0, nan_ok=True)


def test_session_runs_the_same_numbers_as_the_model_run_directly() -> None:
    s = _scenario()
    session = Session(s)
    assert session.advance(1000) == s.run.days  # stops at the horizon
    snap = session.snapshot()
    direct = CityModel(scenario=s, rng=s.run.seed)
    direct.run_model()
    base = CityModel(scenario=baseline_of(s), rng=s.run.seed)
    base.run_model()
    for metric in ("service_coverage", "resolution_rate", "needs_met_rate"):
        assert snap.metrics[metric] == direct.metrics()[metric]
        assert snap.baseline_metrics[metric] == base.metrics()[metric]
    assert snap.series["needs_met_rate"].equals(direct.timeseries()["needs_met_rate"])
    # the mode changes what the city achieves (the page would show a flat gap otherwise)
    assert snap.metrics["needs_met_rate"] != snap.baseline_metrics["needs_met_rate"]


def test_reset_goes_back_to_day_zero_and_two_sessions_do_not_share_state() -> None:
    a, b = Session(_scenario()), Session(_scenario("baseline"))
    a.advance(70)
    assert (a.day, b.day) == (70, 0)
    assert b.snapshot().metrics == {}
    epoch = a.epoch
    a.reset(controls.apply_values(a.scenario, {"modes.regional.enabled": False}))
    assert a.epoch == epoch + 1  # a playing task can see that its run was replaced
    assert a.day == 0
    assert not a.scenario.modes.regional.enabled
    a.advance(70)
    fresh = Session(a.scenario)  # nothing of the first run is carried over
    fresh.advance(70)
    np.testing.assert_equal(a.snapshot().metrics, fresh.snapshot().metrics)  # NaN == NaN
    assert a.snapshot().metrics["problems_arisen"] > 0
    assert b.day == 0
    assert b.scenario.enabled_modes() == []


# ---------------------------------------------------------------- what the map reads
def test_layout_is_deterministic_and_groups_communities_by_street() -> None:
    m = CityModel(scenario=_scenario(), rng=1)
    x, y = readouts.community_layout(m)
    x2, y2 = readouts.community_layout(CityModel(scenario=_scenario(), rng=1))
    assert np.array_equal(x, x2)
    assert np.array_equal(y, y2)
    street = m.city.community_street
    for s in np.unique(street):
        sel = street == s
        # every community sits within its street's cell (cells are one unit apart)
        assert np.all(np.hypot(x[sel] - x[sel].mean(), y[sel] - y[sel].mean()) < 0.5)


def test_needs_met_per_community_is_unknown_until_problems_close_then_a_share() -> None:
    s = _scenario()
    m = CityModel(scenario=s, rng=1)
    for _ in range(s.run.warmup_days + s.run.resolution_limit_days):
        m.step()
    rate, n = readouts.community_needs_met(m)
    assert np.isnan(rate).all()
    assert n.sum() == 0
    m.step()
    m.step()
    rate, n = readouts.community_needs_met(m)
    known = np.isfinite(rate)
    assert known.any()
    assert np.all((rate[known] >= 0) & (rate[known] <= 1))
    # weighted by problems, the communities add up to the city-wide run metric
    city = np.nansum(rate * n) / n.sum()
    assert math.isclose(city, m.metrics()["needs_met_rate"], rel_tol=1e-12)


def test_alliance_links_only_for_active_alliances_and_within_the_city() -> None:
    s = _scenario()
    m = CityModel(scenario=s, rng=1)
    assert readouts.alliance_links(m).count == 0  # nothing approved on day 0
    for _ in range(60):
        m.step()
    links = readouts.alliance_links(m)
    k = m.city.n_communities
    assert links.count > 0
    assert links.pairs.min() >= 0
    assert links.pairs.max() < k
    assert np.all(links.pairs[:, 0] != links.pairs[:, 1])
    assert set(links.kind.tolist()) <= set(range(len(readouts.ALLIANCE_KINDS)))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_figures_draw_before_and_after_the_first_closed_problems(lang) -> None:
    session = Session(_scenario())
    empty = session.snapshot()
    session.advance(75)
    full = session.snapshot()
    charts = [series_png(snap, lang) for snap in (empty, full)]
    maps = [map_png(snap, lang) for snap in (empty, full)]
    assert all(png.startswith(PNG) for png in charts + maps)
    assert charts[0] != charts[1]
    assert maps[0] != maps[1]  # communities coloured, alliance links drawn


# ---------------------------------------------------------------- the command
def test_app_refuses_a_port_in_use_and_a_bad_port(capsys) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, free_port()))
        sock.listen()
        port = sock.getsockname()[1]
        assert port_in_use(port)
        assert cli.main(["app", "--port", str(port)]) == 2
    assert "--port" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        cli.main(["app", "--port", "70000"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        cli.main(["app", "--lang", "fr"])
    assert exc.value.code == 2


# ---------------------------------------------------------------- a tab that goes away
def test_a_closed_page_stops_its_run(monkeypatch) -> None:
    """Closing a tab unmounts the page; the run it was playing stops instead of stepping on
    to the horizon (a full-city year would otherwise hold a core and gigabytes for minutes)."""
    import time

    import ipyvuetify as v
    import solara

    from simulation.views.app import page

    calls: list[float] = []
    advance = Session.advance

    def counted(self, days: int) -> None:
        calls.append(time.perf_counter())
        advance(self, days)

    monkeypatch.setattr(Session, "advance", counted)
    _, rc = solara.render(page.Page(), handle_error=False)
    (run,) = [w for w in rc.find(v.Btn).widgets if "btn-run" in (w.class_ or "")]
    run.click()
    deadline = time.perf_counter() + 30
    while len(calls) < 3 and time.perf_counter() < deadline:
        time.sleep(0.05)
    assert len(calls) >= 3, "the run plays"
    assert len(calls) < 60, "the run is far from its horizon (73 steps of 5 days)"
    rc.close()
    closed = time.perf_counter()
    time.sleep(1.5)
    assert not [t for t in calls if t > closed + 0.5], "the run went on after the page closed"


def test_a_disconnected_tab_is_culled_within_minutes() -> None:
    code = (
        "from simulation.views.app import server; server.configure('en'); "
        "import solara.server.settings as s; print(s.kernel.cull_timeout)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == server.CULL_TIMEOUT

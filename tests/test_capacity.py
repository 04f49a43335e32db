"""Every mode's effect is spent from a finite pool of hours (issue 9).

(a) an outside organisation with no hours resolves nothing, and the problem goes on by the
    normal route: with `unit_hours_per_month = 0` regional co-construction, and with
    `partner_hours_per_month = 0` cross-domain alliances, give the baseline's metrics exactly;
(b) hours taken by partners never exceed the hours they were given (banks never go negative,
    and the partner route's hours are bounded by what the offers put in);
(c) a central community's lent hours are conserved: what the lent staff offer the weak
    communities is exactly what the centre's pool loses, and grid time likewise;
(d) agencies' departments take escalations first come, first served within their hours and
    competence;
(e) the service station serves its catchment (host first, same street first);
(f) the chains of a cross-domain alliance are the categories where its partners meet most need;
(g) strength scales every effect continuously: a small strength gives a small effect;
(h) common random numbers by stable identity: raising coverage keeps the approval day of every
    committee common to both runs;
(i) a unit's hours count once: a unit in several alliances splits its hours over them, and
    gets them back from an alliance rejected for good;
(j) a paired agency's hours come out of its department;
(k) a problem a committee takes waits for that committee's own meeting.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.mechanisms import ACTIVE, AllianceBook, AllianceKind
from simulation.metrics import run_metrics
from simulation.model import CityModel
from simulation.modes.red_commercial_street import catchment
from simulation.rng import RandomStreams
from simulation.scenario import load_scenario
from simulation.service import Levers

SMALL = {"scale": 0.1, "days": 120}


def _run(rng: int = 5, **over) -> CityModel:
    m = CityModel("scenarios/baseline.toml", rng=rng, **SMALL, **over)
    m.run_model()
    return m


def _same(a: dict, b: dict, keys) -> bool:
    return all((a[k] == b[k]) or (np.isnan(a[k]) and np.isnan(b[k])) for k in keys)


OUTCOMES = ("service_coverage", "resolution_rate", "needs_met_rate", "equity_gap", "route_partner")


@pytest.mark.parametrize(
    ("mode", "key"),
    [("regional", "unit_hours_per_month"), ("cross_domain", "partner_hours_per_month")],
)
def test_partners_without_hours_resolve_nothing(mode: str, key: str) -> None:
    base = run_metrics(_run())
    zero = _run(**{f"modes.{mode}.enabled": True, f"modes.{mode}.{key}": 0.0})
    with_hours = run_metrics(_run(**{f"modes.{mode}.enabled": True}))
    m0 = run_metrics(zero)
    assert zero.alliances.n > 0, "the mode built its alliances"
    assert m0["route_partner"] == 0.0
    assert _same(base, m0, OUTCOMES)
    assert with_hours["route_partner"] > 0.0, "with hours, partners do take problems"


def test_partner_hours_spent_never_exceed_the_hours_given() -> None:
    """Banks start empty and only fill with offered hours, so what partners spend over the run
    is at most what they were offered; and no bank ever goes negative."""
    m = CityModel(  # without the platform, a problem's hours are spent as they are
        "scenarios/chifeng_2018.toml",
        rng=2,
        scale=0.1,
        days=90,
        **{"modes.smart_platform.enabled": False},
    )
    svc = m.service
    offered = 0.0
    step = svc.step

    def counting_step(day: int, lv: Levers) -> None:
        nonlocal offered
        offered += sum(float(np.maximum(o.hours, 0.0).sum()) for o in lv.offers)
        step(day, lv)
        for name, bank in svc.offer_banks.items():
            assert (bank >= -1e-9).all(), name

    svc.step = counting_step
    m.run_model()
    partner = svc.route == 3
    assert partner.sum() > 50
    assert svc.hours[partner].sum() <= offered


def test_central_community_lends_exactly_what_the_centre_loses() -> None:
    m = CityModel(
        "scenarios/baseline.toml",
        rng=4,
        scale=0.05,  # clusters are formed over the whole city at any scale
        days=70,
        **{"modes.central_community.enabled": True},
    )
    for _ in range(30):  # past approval
        m.step()
    mode = m.modes[0]
    active = [a for _, _, a in mode.clusters if m.alliances.status[a] == ACTIVE]
    assert active
    lv = Levers(m.city.n_communities)
    mode.contribute(m, m.day, lv)
    (staff,) = lv.offers  # the lent staff, in the weak communities, with their hours
    assert (lv.hours_add <= 0).all()
    lent_out = -lv.hours_add.sum()
    lent_in = staff.hours.sum()
    assert lent_out > 0
    assert lent_in == pytest.approx(lent_out, rel=1e-12)
    assert (staff.hours[lv.hours_add < 0] == 0).all()  # a centre lends to others only
    # the lent staff's competence is the centre's, where the hours go and nowhere else
    assert (staff.competence[staff.hours == 0] == 0).all()
    for centre, weak, a in mode.clusters:
        if m.alliances.status[a] == ACTIVE:
            own = m.city.competence[centre]
            assert (staff.competence[weak] <= own + 1e-12).all()  # tie < 1: at most the centre's
            assert (staff.competence[weak][:, own > 0] > 0).all()
    # grid time: the centres' lost staffing x grids equals the weak communities' gain x grids
    grids = m.city.community_grids
    hazard = m.params.service.grid_discovery_hazard
    moved = lv.discovery_shared / hazard * grids
    assert moved.sum() == pytest.approx(0.0, abs=1e-9)
    assert moved.max() > 0


def test_central_community_narrows_the_equity_gap_without_new_hours() -> None:
    base = _run()
    cc = _run(**{"modes.central_community.enabled": True})
    assert run_metrics(cc)["equity_gap"] < run_metrics(base)["equity_gap"]


def test_station_catchment_is_the_host_then_its_street_then_nearest() -> None:
    street = np.array([0, 0, 0, 1, 1, 1, 1, 2])
    assert catchment(street, 4, 1).tolist() == [4]
    assert catchment(street, 4, 4).tolist() == [4, 3, 5, 6]
    near = catchment(street, 1, 5)
    assert near[0] == 1
    assert set(near[:3]) == {0, 1, 2}  # the host's street before any other
    assert len(set(near)) == 5


def test_chains_are_the_categories_where_partners_meet_most_need() -> None:
    from simulation.matching import needs

    m = CityModel(
        "scenarios/baseline.toml",
        rng=3,
        scale=0.05,
        days=70,
        **{"modes.cross_domain.enabled": True},
    )
    book, city = m.alliances, m.city
    need = needs(city.competence, m.category_shares)
    checked = 0
    for a in range(book.n):
        if book.kind[a] != AllianceKind.CROSS_DOMAIN or not book.chains[a]:
            continue
        lead = book.communities[a][0]
        res = np.clip(city.unit_resources[book.units[a]], 0.0, 0.999)
        gain = need[lead] * (1.0 - np.prod(1.0 - res, axis=0))
        chains = book.chains[a]
        worst_chain = min(gain[c] for c in chains)
        others = [gain[c] for c in range(gain.size) if c not in chains]
        assert all(g <= worst_chain + 1e-12 for g in others)
        checked += 1
    assert checked > 100


def _effect(mode: str, metric: str, strength: float, base: dict) -> float:
    m = _run(**{f"modes.{mode}.enabled": True, f"modes.{mode}.strength": strength})
    return run_metrics(m)[metric] - base[metric]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mode", "metric"),
    [
        ("regional", "resolution_rate"),
        ("central_community", "equity_gap"),
        ("dual_reporting", "needs_met_rate"),
        ("smart_platform", "service_coverage"),
    ],
)
def test_a_small_strength_gives_a_small_effect(mode: str, metric: str) -> None:
    base = run_metrics(_run())
    full = _effect(mode, metric, 1.0, base)
    small = _effect(mode, metric, 0.02, base)
    assert abs(full) > 0.003, f"{mode} should move {metric} at full strength"
    assert abs(small) <= 0.1 * abs(full), (mode, small, full)


def test_raising_coverage_keeps_every_common_committees_approval_day() -> None:
    def approvals(coverage: float) -> dict[int, int]:
        m = CityModel(
            "scenarios/baseline.toml",
            rng=9,
            scale=0.02,
            days=200,
            **{"modes.regional.enabled": True, "modes.regional.coverage": coverage},
        )
        m.run_model()
        mode = m.modes[0]
        return {k: int(m.alliances.approve_day[a]) for k, a in mode.community_alliance.items()}

    low, high = approvals(0.5), approvals(0.6)
    common = set(low) & set(high)
    assert len(common) > 100
    assert all(low[k] == high[k] for k in common)


def test_a_units_hours_are_split_over_the_committees_it_sits_in() -> None:
    """Regional co-construction alone: every unit gives `unit_hours_per_month` once, however
    many active committees (its community's and its street's) it sits in."""
    m = CityModel(
        "scenarios/baseline.toml",
        rng=6,
        scale=0.05,
        days=70,
        **{"modes.regional.enabled": True, "mechanisms.approval_prob": 1.0},
    )
    book = m.alliances
    assert (book.unit_hours_factor == 1.0).all()  # nothing is active yet: nothing is split
    for _ in range(20):  # past approval
        m.step()
    counts = book.unit_memberships()
    assert (counts >= 2).sum() > 100, "many units sit in a community and a street committee"
    per_unit = m.params.modes.regional.unit_hours_per_month / 30.0
    assert book.hrs_value.sum() == pytest.approx(per_unit * (counts > 0).sum(), rel=1e-12)
    # without the split the same alliances would declare one share per membership
    assert book.hrs_declared.sum() == pytest.approx(per_unit * counts.sum(), rel=1e-12)


@pytest.mark.parametrize(
    ("strength", "expected"), [(1.0, [0.75, 0.5, 1.0]), (0.0, [0.5, 1.0, 1.0])]
)
def test_units_split_their_hours_by_strength_over_active_alliances(strength, expected) -> None:
    scenario = load_scenario("scenarios/baseline.toml", {"mechanisms.approval_prob": 1.0})
    book = AllianceBook(scenario, n_communities=3, streams=RandomStreams(1))
    hours = {"hours": (np.array([0]), np.array([1.0])), "unit_hours": True}
    shared = book.add(AllianceKind.CROSS_DOMAIN, [0], [7, 8], strength, key=0, **hours)
    other = book.add(AllianceKind.REGIONAL_COMMUNITY, [1], [7], 1.0, key=1, **hours)
    alone = book.add(AllianceKind.REGIONAL_STREET, [2], [9], 1.0, key=2, **hours)
    book.freeze()
    assert book.unit_hours_factor[[shared, other, alone]].tolist() == [1.0, 1.0, 1.0]
    book._approve(scenario.mechanisms.approval_days)
    assert (book.status == ACTIVE).all()
    # unit 7 serves two alliances: at equal strength `shared` gets (1/2 + 1) / 2 of its
    # declared hours and `other` half; at strength 0 `shared` claims none of unit 7's time
    assert book.unit_hours_factor[[shared, other, alone]].tolist() == expected


def test_a_mode_at_strength_zero_leaves_the_modes_it_shares_units_with_unchanged() -> None:
    alone = run_metrics(_run(**{"modes.regional.enabled": True}))
    with_zero = run_metrics(
        _run(
            **{
                "modes.regional.enabled": True,
                "modes.cross_domain.enabled": True,
                "modes.cross_domain.strength": 0.0,
            }
        )
    )
    assert _same(alone, with_zero, OUTCOMES)
    assert with_zero["route_partner"] > 0


def test_co_opted_agencies_hours_come_out_of_their_departments() -> None:
    m = CityModel(
        "scenarios/baseline.toml", rng=3, scale=0.05, days=70, **{"modes.regional.enabled": True}
    )
    for _ in range(20):
        m.step()
    lv = Levers(m.city.n_communities)
    m.modes[0].contribute(m, m.day, lv)
    assert (lv.department_hours_add <= 0).all()
    assert lv.department_hours_add.sum() < 0
    # the drain is what the committees' agency members give: at most the committees' hours
    given = sum(float(o.hours.sum()) for o in lv.offers)  # the offers' hours, all communities
    assert -lv.department_hours_add.sum() < given * m.city.sample_share


def test_a_paired_agencys_hours_come_out_of_its_department() -> None:
    def run(hours: float) -> tuple[CityModel, dict]:
        m = _run(
            **{
                "modes.dual_reporting.enabled": True,
                "modes.dual_reporting.paired_agency_hours_per_month": hours,
            }
        )
        return m, run_metrics(m)

    m, default = run(8.0)
    lv = Levers(m.city.n_communities)
    m.modes[0].contribute(m, m.day, lv)
    given = next(o for o in lv.offers if o.name == "dual_reporting.paired_agency").hours
    # what the agencies give all communities, at the sample's share, is what departments lose
    assert -lv.department_hours_add.sum() == pytest.approx(given.sum() * m.city.sample_share)
    assert (lv.department_hours_add <= 0).all()
    # with far more hours moved down, departments are left with nothing for escalations
    _, drained = run(500.0)
    assert default["route_agency"] > 0.05
    assert drained["route_agency"] < 0.2 * default["route_agency"]


def test_a_committees_problem_waits_for_its_own_meeting() -> None:
    """Approvals refused once are filed a month later, so with 45-day meetings community and
    street committees meet on different days; each offer carries its own committee's."""
    interval = 45
    m = CityModel(
        "scenarios/baseline.toml",
        rng=2,
        scale=0.05,
        days=120,
        **{
            "modes.regional.enabled": True,
            "modes.regional.meeting_interval_days": interval,
            "mechanisms.approval_prob": 0.5,
        },
    )
    for _ in range(100):
        m.step()
    book, mode = m.alliances, m.modes[0]
    lv = Levers(m.city.n_communities)
    mode.contribute(m, m.day, lv)
    offers = {o.name: o for o in lv.offers}
    differ = 0
    for name, alliances in (
        ("regional.community", mode.community_alliance),
        ("regional.street", mode.street_alliance),
    ):
        meeting = offers[name].next_meeting
        for a in alliances.values():
            if book.status[a] != ACTIVE:
                continue
            for k in book.communities[a]:
                nxt = int(meeting[k])
                assert m.day <= nxt < m.day + interval, (name, k)
                assert (nxt - book.approve_day[a]) % interval == 0, (name, k)
        other = offers["regional.community" if name == "regional.street" else "regional.street"]
        differ += int((meeting != other.next_meeting).sum())
    assert differ > 0, "some community and street committees meet on different days"

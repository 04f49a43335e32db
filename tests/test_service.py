"""Each rule of the baseline (siloed) service process, on a tiny city with hand-set problems.

The tiny city (`conftest.TINY`): one street, two communities, 200 residents, two agencies.
`Lab` builds it with the public objects (`load_scenario`, `RandomStreams`, `build_city`,
`ServiceProcess`, `Levers`), hides every generated problem (its detection clock set to
infinity), then sets the attributes of the few problems a test follows: a clock of 0 means the
problem is taken up on the day it arises.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import pytest
from conftest import BASELINE, TINY
from scipy import stats

from simulation.categories import CATEGORIES, INDEX
from simulation.city import build_city
from simulation.rng import RandomStreams
from simulation.scenario import load_scenario
from simulation.service import (
    CHANNELS,
    ESCALATED,
    EXPIRED,
    HANDLING,
    HIDDEN,
    MONTH_DAYS,
    QUEUED,
    RESOLVED,
    ROUTES,
    Levers,
    Offer,
    ServiceProcess,
)

HOUSING = INDEX["housing"]
R_COMMUNITY, R_STREET, R_AGENCY, R_PARTNER = (ROUTES.index(r) for r in ROUTES)
LIMIT = TINY["resolution_limit_days"]


class Lab:
    """A tiny city whose problems a test controls."""

    def __init__(self, seed: int = 1, **overrides) -> None:
        over = {
            "service.escalation_delay_days": 0.0,
            "service.forward_delay_days": 0.0,
            "service.agency_handling_days": 0.0,
            "service.reescalation_delay_days": 0.0,
            **overrides,
        }
        self.s = load_scenario(BASELINE, overrides={**TINY, **over})
        self.streams = RandomStreams(seed)
        self.city = build_city(self.s, self.streams)
        self.svc = ServiceProcess(self.s, self.city, self.streams)
        self.svc.clock[:] = np.inf  # every problem hidden unless a test says otherwise
        self.day = 0
        self._used: set[int] = set()
        self.K = self.city.n_communities

    # -- city
    def competence(self, k: int, value: float, cat: int = HOUSING) -> None:
        self.city.competence[k, cat] = value

    def street_competence(self, value: float, cat: int = HOUSING) -> None:
        self.city.street_competence[:, cat] = value

    def hours_per_day(self, k: int, hours: float) -> None:
        self.city.community_staff_hours[k] = hours
        self.city.community_member_hours[k] = 0.0

    def agencies(self, hours: float, competence: float = 1.0, cat: int = HOUSING) -> None:
        """The department of `cat`: hours per day for escalations and its competence."""
        self.city.department_hours[cat] = hours
        self.city.department_competence[cat] = competence

    # -- problems
    def problem(
        self,
        day: int,
        *,
        community: int = 0,
        difficulty: float = 0.3,
        hours: float = 1.0,
        cat: int = HOUSING,
        clock: float = 0.0,
    ) -> int:
        """A problem arising on `day` in `community`, with the given attributes."""
        svc = self.svc
        ids = np.arange(svc.day_start[day], svc.day_start[day + 1])
        ids = [int(i) for i in ids if svc.community[i] == community and int(i) not in self._used]
        assert ids, f"no spare problem on day {day} in community {community}"
        p = ids[0]
        self._used.add(p)
        svc.difficulty[p] = difficulty
        svc.hours[p] = hours
        svc.category[p] = cat
        svc.clock[p] = clock
        return p

    def run(self, until: int, levers: Callable[[int], Levers] | None = None) -> None:
        while self.day < until:
            self.day += 1
            lv = levers(self.day) if levers else Levers(self.K)
            self.svc.step(self.day, lv)

    def status(self, p: int) -> int:
        return int(self.svc.status[p])


# ---------------------------------------------------------------------------- local handling
def test_problem_below_competence_is_queued_and_resolved_locally() -> None:
    lab = Lab()
    lab.competence(0, 0.6)
    lab.hours_per_day(0, 50.0)
    p = lab.problem(3, difficulty=0.3, hours=2.0)
    lab.run(2)
    assert lab.status(p) == HIDDEN
    lab.run(3)
    svc = lab.svc
    assert lab.status(p) == RESOLVED
    assert svc.resolve_day[p] == svc.taken_day[p] == svc.arise_day[p] == 3
    assert svc.route[p] == R_COMMUNITY
    assert not svc.escalated[p]
    assert svc.c_escalations.sum() == 0
    assert svc.c_hours[3] == pytest.approx(2.0)
    assert svc.c_resolved[3] == 1


def test_local_problem_waits_for_hours_then_expires() -> None:
    lab = Lab()
    lab.competence(0, 0.6)
    lab.hours_per_day(0, 0.0)
    p = lab.problem(2, difficulty=0.3, hours=1.0)
    lab.run(2 + LIMIT - 1)
    assert lab.status(p) == QUEUED  # known, solvable here, but no hours
    assert not lab.svc.escalated[p]
    lab.run(2 + LIMIT)
    assert lab.status(p) == EXPIRED
    assert lab.svc.resolve_day[p] == -1


def test_fifo_within_banked_hours() -> None:
    """The older problem is served first even when a newer one would fit today."""
    lab = Lab()
    lab.competence(0, 0.9)
    lab.hours_per_day(0, 1.0)
    first = lab.problem(1, hours=3.0)
    second = lab.problem(2, hours=1.0)
    lab.run(2)
    # day 2: 2 hours banked; the second (1 h) would fit, but the first (3 h) is ahead of it
    assert lab.status(first) == QUEUED
    assert lab.status(second) == QUEUED
    lab.run(3)
    assert lab.status(first) == RESOLVED
    assert lab.status(second) == QUEUED
    lab.run(4)
    assert lab.status(second) == RESOLVED
    assert (lab.svc.resolve_day[first], lab.svc.resolve_day[second]) == (3, 4)


def test_same_day_problems_are_served_in_id_order() -> None:
    lab = Lab()
    lab.competence(0, 0.9)
    lab.hours_per_day(0, 1.0)
    lab.run(4)  # bank 4 hours first
    a = lab.problem(5, hours=3.0)
    b = lab.problem(5, hours=3.0)
    assert a < b
    lab.run(5)
    assert lab.status(a) == RESOLVED  # 5 h banked: one 3 h problem
    assert lab.status(b) == QUEUED
    assert lab.svc.bank[0] == pytest.approx(2.0)


def test_unused_hours_carry_over_up_to_bank_days() -> None:
    """A pool holds at most (1 + bank_days) days of its hours: no floor, so it scales."""
    lab = Lab(**{"service.bank_days": 2.0, "demand.hours_base": 0.5})
    lab.hours_per_day(0, 1.0)
    lab.hours_per_day(1, 0.25)
    lab.run(2)
    assert lab.svc.bank[0] == pytest.approx(2.0)
    lab.run(9)
    assert lab.svc.bank[0] == pytest.approx(3.0)
    assert lab.svc.bank[1] == pytest.approx(0.75)
    lab2 = Lab(**{"service.bank_days": 0.0})
    lab2.hours_per_day(0, 1.0)
    lab2.run(9)
    assert lab2.svc.bank[0] == pytest.approx(1.0)  # today's hours only


def test_hours_accumulate_until_a_long_problem_is_done_on_the_limit_day() -> None:
    """A problem resolved on the very day it reaches the limit counts as resolved, age = limit."""
    lab = Lab(**{"service.bank_days": 14.0})
    lab.competence(0, 0.9)
    lab.hours_per_day(0, 1.0)
    p = lab.problem(1, hours=LIMIT + 0.5)  # needs LIMIT + 1 days of hours
    lab.run(LIMIT)
    assert lab.status(p) == QUEUED
    lab.run(1 + LIMIT)
    assert lab.status(p) == RESOLVED
    assert lab.svc.resolve_day[p] - lab.svc.arise_day[p] == LIMIT


# ---------------------------------------------------------------------------- escalation
def test_problem_above_competence_is_escalated_and_the_street_resolves_it() -> None:
    lab = Lab(**{"service.escalation_delay_days": 3.0})
    lab.competence(0, 0.2)
    lab.street_competence(0.8)
    lab.hours_per_day(0, 50.0)
    p = lab.problem(2, difficulty=0.5, hours=2.0)
    lab.run(2)
    svc = lab.svc
    due = int(svc.due[p])
    assert due > 2, "seed 1 gives this problem a non-zero escalation delay"
    assert lab.status(p) == ESCALATED
    assert svc.escalated[p]
    assert svc.c_escalations[2] == 1
    assert svc.c_hours[2] == pytest.approx(lab.s.service.escalation_hours)
    lab.run(due - 1)
    assert lab.status(p) == ESCALATED
    lab.run(due)
    assert lab.status(p) == RESOLVED
    assert svc.resolve_day[p] == due
    assert svc.route[p] == R_STREET
    assert svc.attempts[p] == 0


def test_escalation_delay_has_the_configured_mean() -> None:
    lab = Lab(**{"service.escalation_delay_days": 3.0, "city.residents": 20_000})
    svc = lab.svc
    lab.competence(0, 0.0)
    lab.competence(1, 0.0)
    lab.street_competence(0.99)
    ids = np.flatnonzero(svc.arise_day <= 2)
    svc.category[ids] = HOUSING
    svc.difficulty[ids] = 0.5
    svc.clock[ids] = 0.0
    lab.run(2)
    delays = (svc.due[ids] - svc.arise_day[ids]).astype(float)
    assert ids.size > 1000
    assert (delays >= 0).all()
    # whole days of an exponential delay with mean 3: mean 3, sd of the mean 3 / sqrt(n)
    assert abs(delays.mean() - 3.0) < 4 * 3.0 / math.sqrt(ids.size)
    lab.run(2 + LIMIT)
    done = svc.status[ids] == RESOLVED
    assert np.array_equal(svc.resolve_day[ids][done], svc.due[ids][done])
    assert (svc.route[ids][done] == R_STREET).all()
    assert np.array_equal(done, delays <= LIMIT)  # resolved iff the street sees it in time


def test_street_forwards_to_the_agency_which_resolves() -> None:
    lab = Lab(**{"service.agency_handling_days": 4.0})
    lab.agencies(hours=100.0)
    lab.competence(0, 0.2)
    lab.street_competence(0.3)
    p = lab.problem(2, difficulty=0.5, hours=2.0)
    lab.run(2)
    svc = lab.svc
    assert lab.status(p) in (HANDLING, RESOLVED)
    due = int(svc.due[p])
    lab.run(max(due, 2))
    assert lab.status(p) == RESOLVED
    assert svc.resolve_day[p] == max(due, 2)
    assert svc.route[p] == R_AGENCY
    assert svc.escalated[p]
    assert svc.attempts[p] == 0


def test_agency_refusals_send_problems_back_and_count_attempts() -> None:
    lab = Lab()
    lab.agencies(hours=0.0)  # a department with no hours for community problems
    lab.competence(0, 0.1)
    lab.street_competence(0.2)
    p = lab.problem(2, difficulty=0.5)
    svc = lab.svc
    for day in range(2, 2 + LIMIT):
        lab.run(day)
        # refused once per day (zero delays; a refused problem waits at least one day)
        assert svc.attempts[p] == day - 1
        assert lab.status(p) == ESCALATED
        assert svc.due[p] == day + 1
    lab.run(2 + LIMIT)
    assert lab.status(p) == EXPIRED
    assert svc.attempts[p] == LIMIT + 1
    assert svc.c_refusals.sum() == LIMIT + 1
    assert svc.route[p] == -1


def test_refused_problem_waits_before_it_is_escalated_again() -> None:
    lab = Lab(
        **{
            "service.reescalation_delay_days": 7.0,
            "service.forward_delay_days": 4.0,
        }
    )
    lab.agencies(hours=0.0)
    lab.competence(0, 0.1)
    lab.street_competence(0.2)
    p = lab.problem(1, difficulty=0.5)
    svc = lab.svc
    seen = []
    for day in range(1, 1 + LIMIT):
        lab.run(day)
        if svc.attempts[p] > len(seen):
            seen.append(day)
            assert svc.due[p] >= day + 1
    assert seen, "the agency saw the problem at least once"
    assert all(b - a >= 1 for a, b in itertools.pairwise(seen))


def _escalate_all_on_day_one(lab: Lab, hours: float, difficulty: float = 0.5) -> np.ndarray:
    svc = lab.svc
    for k in range(lab.K):
        lab.competence(k, 0.0)
    lab.street_competence(0.0)
    first = np.arange(svc.day_start[1], svc.day_start[2])
    svc.category[first] = HOUSING
    svc.difficulty[first] = difficulty
    svc.hours[first] = hours
    svc.clock[first] = 0.0
    return first


def test_a_department_takes_problems_first_come_first_served_within_its_hours() -> None:
    lab = Lab()
    lab.agencies(hours=2.5)
    first = _escalate_all_on_day_one(lab, hours=1.0)
    assert first.size >= 4
    lab.run(1)
    svc = lab.svc
    taken = svc.attempts[first] == 0
    # 2.5 hours: the first two problems (by id) are taken, every later one is sent back
    assert taken.tolist() == [True, True] + [False] * (first.size - 2)
    assert (svc.route[first[:2]] == R_AGENCY).all()
    assert svc.dept_bank[HOUSING] == pytest.approx(0.5)
    assert svc.c_refusals[1] == first.size - 2


def test_a_problem_beyond_the_departments_competence_is_always_sent_back() -> None:
    lab = Lab()
    lab.agencies(hours=1000.0, competence=0.6)
    hard = _escalate_all_on_day_one(lab, hours=1.0, difficulty=0.7)
    lab.run(LIMIT + 2)
    svc = lab.svc
    assert (svc.status[hard] == EXPIRED).all()
    assert (svc.attempts[hard] >= 1).all()
    assert svc.dept_bank[HOUSING] == pytest.approx(1000.0 * (1 + lab.s.service.bank_days))


def test_departments_hours_bound_what_agencies_resolve() -> None:
    """Over a month, agencies never spend more than their hours (plus nothing banked at start)."""
    lab = Lab()
    lab.agencies(hours=3.0)
    svc = lab.svc
    for k in range(lab.K):
        lab.competence(k, 0.0)
    lab.street_competence(0.0)
    svc.category[:] = HOUSING
    svc.difficulty[:] = 0.5
    svc.clock[:] = 0.0
    lab.run(30)
    by_agency = svc.route == R_AGENCY
    assert by_agency.sum() > 10
    assert svc.hours[by_agency].sum() <= 3.0 * 30 + 1e-9
    assert svc.c_refusals.sum() > 0


# ---------------------------------------------------------------------------- expiry
def test_hidden_problem_expires_exactly_at_the_resolution_limit() -> None:
    lab = Lab()
    p = lab.problem(4, clock=np.inf)
    res = lab.svc.resident[p]
    lab.run(4 + LIMIT - 1)
    assert lab.status(p) == HIDDEN
    assert p in lab.svc.active
    trust_before = lab.svc.trust[res]
    lab.run(4 + LIMIT)
    assert lab.status(p) == EXPIRED
    assert p not in lab.svc.active
    assert lab.svc.c_expired[4 + LIMIT] >= 1
    # a problem nobody knew of does not cost trust
    assert lab.svc.trust[res] == trust_before


def test_no_problem_outlives_the_limit() -> None:
    lab = Lab()
    lab.svc.clock[:] = lab.streams.generator("test").exponential(size=lab.svc.n_problems)
    lab.run(40)
    svc = lab.svc
    a = svc.arise_day
    gone = svc.status == EXPIRED
    assert gone.any()
    assert (a[gone] <= 40 - LIMIT).all()
    assert (a[svc.status < RESOLVED] > 40 - LIMIT).all()
    done = svc.status == RESOLVED
    assert ((svc.resolve_day - a)[done] <= LIMIT).all()


# ---------------------------------------------------------------------------- trust
def _no_reputation(**over) -> dict:
    return {"trust.reputation_weight": 0.0, **over}


def test_trust_rises_on_resolution() -> None:
    lab = Lab(**_no_reputation(**{"trust.initial": 0.5, "trust.gain_on_resolved": 0.2}))
    lab.competence(0, 0.9)
    lab.hours_per_day(0, 50.0)
    p = lab.problem(2)
    res = lab.svc.resident[p]
    lab.run(2)
    assert lab.status(p) == RESOLVED
    assert lab.svc.trust[res] == pytest.approx(0.5 + 0.2 * 0.5)
    others = np.delete(lab.svc.trust, res)
    assert np.all(others == 0.5)


def test_trust_falls_when_a_taken_up_problem_expires() -> None:
    lab = Lab(**_no_reputation(**{"trust.initial": 0.5, "trust.loss_on_expired": 0.2}))
    lab.competence(0, 0.9)
    lab.hours_per_day(0, 0.0)
    p = lab.problem(2)
    res = lab.svc.resident[p]
    lab.run(2 + LIMIT)
    assert lab.status(p) == EXPIRED
    assert lab.svc.trust[res] == pytest.approx(0.5 * 0.8)


def _same_resident_twice(lab: Lab, day: int) -> tuple[int, int]:
    """Two problems of one resident, both taken up on `day`."""
    p = lab.problem(day)
    q = lab.problem(day)
    lab.svc.resident[q] = lab.svc.resident[p]
    return p, q


def test_two_resolutions_on_one_day_both_raise_trust() -> None:
    lab = Lab(**_no_reputation(**{"trust.initial": 0.5, "trust.gain_on_resolved": 0.2}))
    lab.competence(0, 0.9)
    lab.hours_per_day(0, 50.0)
    p, q = _same_resident_twice(lab, 2)
    lab.run(2)
    assert lab.status(p) == lab.status(q) == RESOLVED
    assert lab.svc.trust[lab.svc.resident[p]] == pytest.approx(1 - 0.5 * 0.8 * 0.8)


def test_two_expiries_on_one_day_both_lower_trust() -> None:
    lab = Lab(**_no_reputation(**{"trust.initial": 0.5, "trust.loss_on_expired": 0.2}))
    lab.competence(0, 0.9)
    lab.hours_per_day(0, 0.0)
    p, q = _same_resident_twice(lab, 2)
    lab.run(2 + LIMIT)
    assert lab.status(p) == lab.status(q) == EXPIRED
    assert lab.svc.trust[lab.svc.resident[p]] == pytest.approx(0.5 * 0.8 * 0.8)


def test_reputation_follows_outcomes() -> None:
    lab = Lab(**{"trust.initial": 0.5})
    lab.competence(0, 0.9)
    lab.hours_per_day(0, 50.0)
    lab.competence(1, 0.9)
    lab.hours_per_day(1, 0.0)
    for day in range(1, 4):
        lab.problem(day, community=0)
        lab.problem(day, community=1)
    lab.run(3 + LIMIT)
    rep = lab.svc.reputation
    assert rep[0] > 0.5  # resolved everything
    assert rep[1] < 0.5  # let everything expire


def _detection_days(trust: float) -> np.ndarray:
    lab = Lab(
        seed=7,
        **_no_reputation(
            **{
                "trust.initial": trust,
                "trust.gain_on_resolved": 0.0,
                "trust.loss_on_expired": 0.0,
                "service.grid_discovery_hazard": 0.0,
                "service.report_hazard": 0.1,
            }
        ),
    )
    svc = lab.svc
    svc.clock[:] = lab.streams.generator("arrivals").exponential(size=svc.n_problems)
    lab.run(30)
    return svc.taken_day.astype(float), svc.clock.copy(), svc.arise_day.copy()


def test_higher_trust_raises_the_report_hazard() -> None:
    low, clock, arise = _detection_days(0.2)
    high, clock2, _ = _detection_days(0.8)
    assert np.array_equal(clock, clock2)  # same problems, same luck
    found_low, found_high = low >= 0, high >= 0
    assert found_high.sum() > found_low.sum()
    assert np.all(found_high[found_low])  # everything found at low trust is found at high trust
    both = found_low & found_high
    assert np.all(high[both] <= low[both])
    # exact rule: cumulative hazard report_hazard x trust per day reaches the clock
    for t, taken in ((0.2, low), (0.8, high)):
        sel = taken >= 0
        expected = arise[sel] + np.ceil(clock[sel] / (0.1 * t)) - 1
        assert np.array_equal(taken[sel], expected)


# ---------------------------------------------------------------------------- detection channels
def _channels(**over) -> tuple[Lab, np.ndarray]:
    lab = Lab(**over)
    svc = lab.svc
    svc.clock[:] = lab.streams.generator("arrivals").exponential(size=svc.n_problems)
    lab.run(20)
    taken = svc.taken_day >= 0
    return lab, svc.channel[taken]


def test_report_channel_only_when_grids_do_not_search() -> None:
    _, ch = _channels(**{"service.grid_discovery_hazard": 0.0})
    assert ch.size > 20
    assert set(ch.tolist()) == {CHANNELS.index("report")}


def test_grid_channel_only_when_residents_do_not_report() -> None:
    _, ch = _channels(**{"service.report_hazard": 0.0})
    assert ch.size > 20
    assert set(ch.tolist()) == {CHANNELS.index("grid")}


def test_nothing_is_found_without_any_channel() -> None:
    lab, ch = _channels(**{"service.report_hazard": 0.0, "service.grid_discovery_hazard": 0.0})
    assert ch.size == 0
    assert lab.svc.c_detected.sum() == 0
    assert lab.svc.c_resolved.sum() == 0


def test_grid_discovery_depends_on_staffing() -> None:
    lab = Lab(**{"service.report_hazard": 0.0})
    lab.city.grid_staffing[:] = [1.0, 0.0]
    svc = lab.svc
    svc.clock[:] = lab.streams.generator("arrivals").exponential(size=svc.n_problems)
    lab.run(20)
    taken = svc.taken_day >= 0
    assert taken[svc.community == 0].sum() > 20
    assert taken[svc.community == 1].sum() == 0


def test_channel_is_drawn_in_proportion_to_the_hazards() -> None:
    # report hazard x effective trust (0.5) = 0.05 = grid hazard x staffing (1.0 x 0.05)
    lab = Lab(
        **{
            "service.report_hazard": 0.1,
            "service.grid_discovery_hazard": 0.05,
            "service.grid_staffing_strong": 1.0,
            "service.grid_staffing_weak": 1.0,
            "trust.gain_on_resolved": 0.0,
            "trust.loss_on_expired": 0.0,
            "trust.reputation_weight": 0.0,
            "city.residents": 20_000,
        }
    )
    svc = lab.svc
    svc.clock[:] = lab.streams.generator("arrivals").exponential(size=svc.n_problems)
    lab.run(15)
    ch = svc.channel[svc.taken_day >= 0]
    n = ch.size
    assert n > 1000
    share = np.mean(ch == CHANNELS.index("report"))
    assert abs(share - 0.5) < 4 * math.sqrt(0.25 / n)
    assert set(ch.tolist()) == {0, 1}


def test_lever_channels_member_visits_platform_and_station() -> None:
    lab = Lab(**{"service.report_hazard": 0.0, "service.grid_discovery_hazard": 0.0})
    svc, city = lab.svc, lab.city
    svc.clock[:] = lab.streams.generator("arrivals").exponential(size=svc.n_problems)

    def levers(day: int) -> Levers:
        lv = Levers(lab.K)
        lv.discovery_members[0] = 0.2  # community 0: members' visits
        lv.report_platform_digital[1] = 0.4  # community 1: platform, digital residents only
        return lv

    lab.run(20, levers)
    taken = svc.taken_day >= 0
    in0, in1 = svc.community == 0, svc.community == 1
    assert set(svc.channel[taken & in0].tolist()) == {CHANNELS.index("member_visit")}
    assert set(svc.channel[taken & in1].tolist()) == {CHANNELS.index("platform")}
    digital = city.resident_digital[svc.resident]
    assert (taken & in1 & digital).sum() > 10
    assert not (taken & in1 & ~digital).any()

    lab2 = Lab(**{"service.report_hazard": 0.0, "service.grid_discovery_hazard": 0.0})
    lab2.svc.clock[:] = lab2.streams.generator("arrivals").exponential(size=lab2.svc.n_problems)

    def station(day: int) -> Levers:
        lv = Levers(lab2.K)
        lv.discovery_station[:] = 0.3
        return lv

    lab2.run(10, station)
    ch = lab2.svc.channel[lab2.svc.taken_day >= 0]
    assert ch.size > 10
    assert set(ch.tolist()) == {CHANNELS.index("station")}


# ---------------------------------------------------------------------------- levers
def _direct_routing_lab(street: float, direct: bool) -> tuple[Lab, int]:
    lab = Lab(**{"service.escalation_hours": 0.5})
    lab.agencies(hours=100.0)
    lab.competence(0, 0.1)
    lab.street_competence(street)

    def levers(day: int) -> Levers:
        lv = Levers(lab.K)
        lv.direct_routing[:] = 1.0 if direct else 0.0
        return lv

    p = lab.problem(2, difficulty=0.5, hours=2.0)
    lab.run(2, levers)
    return lab, p


def test_direct_routing_goes_to_the_agency_without_the_street_forwarding() -> None:
    lab, p = _direct_routing_lab(street=0.3, direct=True)
    siloed, q = _direct_routing_lab(street=0.3, direct=False)
    for lb, pid in ((lab, p), (siloed, q)):
        assert lb.status(pid) == RESOLVED
        assert lb.svc.route[pid] == R_AGENCY
    # one escalation step (0.5 h) instead of two, plus the problem's 2 h
    assert lab.svc.c_hours[2] == pytest.approx(2.5)
    assert siloed.svc.c_hours[2] == pytest.approx(3.0)


def test_direct_routing_sends_to_the_street_when_it_is_competent() -> None:
    lab, p = _direct_routing_lab(street=0.9, direct=True)
    assert lab.status(p) == RESOLVED
    assert lab.svc.route[p] == R_STREET


def test_direct_routing_is_decided_per_problem_with_its_probability() -> None:
    lab = Lab()
    lab.agencies(hours=1e6)
    first = _escalate_all_on_day_one(lab, hours=1.0)
    svc = lab.svc

    def half(day: int) -> Levers:
        lv = Levers(lab.K)
        lv.direct_routing[:] = 0.5
        return lv

    lab.run(1, half)
    u = lab.streams.uniform("direct_routing", first)
    # zero delays: a direct problem reaches the agency today; the others the street first,
    # which (competence 0) forwards them on the same day too — so compare the stage path
    direct = u < 0.5
    assert 0 < direct.sum() < first.size
    assert (svc.route[first] == R_AGENCY).all()
    assert svc.c_hours[1] == pytest.approx(
        first.size * 1.0 + lab.s.service.escalation_hours * (first.size + (~direct).sum())
    )


def test_resource_adds_make_a_problem_local() -> None:
    lab = Lab()
    lab.competence(0, 0.2)
    lab.hours_per_day(0, 50.0)

    def adds(day: int) -> Levers:
        lv = Levers(lab.K)
        extra = np.zeros((lab.K, len(CATEGORIES)))
        extra[0, HOUSING] = 0.5  # union: 1 - 0.8 x 0.5 = 0.6 > 0.5
        lv.resource_adds.append(extra)
        return lv

    p = lab.problem(2, difficulty=0.5)
    lab.run(2, adds)
    assert lab.svc.route[p] == R_COMMUNITY
    assert not lab.svc.escalated[p]


def _partner(lab: Lab, hours: float, competence: float = 0.9, gated: bool = False):
    def levers(day: int) -> Levers:
        lv = Levers(lab.K)
        comp = np.zeros((lab.K, len(CATEGORIES)))
        comp[0, HOUSING] = competence
        meeting = np.full(lab.K, 10) if gated else None
        lv.offers.append(Offer("test", comp, np.array([hours, 0.0]), next_meeting=meeting))
        return lv

    return levers


def test_partner_takes_on_a_problem_beyond_the_community() -> None:
    lab = Lab(**{"service.agency_handling_days": 3.0})
    lab.competence(0, 0.2)
    partner = _partner(lab, hours=5.0)
    p = lab.problem(2, difficulty=0.5, hours=2.0)
    lab.run(2, partner)
    svc = lab.svc
    assert lab.status(p) in (HANDLING, RESOLVED)
    assert not svc.escalated[p]
    assert svc.c_hours[2] == pytest.approx(2.0)  # the partner's hours are spent on intake
    assert svc.offer_banks["test"][0] == pytest.approx(10.0 - 2.0)
    lab.run(max(int(svc.due[p]), 2), partner)
    assert lab.status(p) == RESOLVED
    assert svc.route[p] == R_PARTNER


def test_a_partner_without_hours_declines_and_the_problem_is_escalated() -> None:
    lab = Lab()
    lab.competence(0, 0.2)
    lab.agencies(hours=100.0)
    partner = _partner(lab, hours=0.0)
    p = lab.problem(2, difficulty=0.5, hours=2.0)
    lab.run(2, partner)
    assert lab.svc.escalated[p]
    assert lab.svc.route[p] != R_PARTNER


def test_a_partner_without_the_competence_declines() -> None:
    lab = Lab()
    lab.competence(0, 0.2)
    partner = _partner(lab, hours=100.0, competence=0.3)  # union 1 - 0.8 x 0.7 = 0.44 < 0.5
    p = lab.problem(2, difficulty=0.5, hours=2.0)
    lab.run(2, partner)
    assert lab.svc.escalated[p]


def test_a_gated_partner_takes_the_problem_at_the_next_meeting() -> None:
    lab = Lab(**{"service.agency_handling_days": 0.0})
    lab.competence(0, 0.2)
    lab.street_competence(0.2)  # the street cannot solve it, so waiting for the meeting pays
    partner = _partner(lab, hours=5.0, gated=True)
    p = lab.problem(2, difficulty=0.5, hours=2.0)
    lab.run(2, partner)
    svc = lab.svc
    assert lab.status(p) == HANDLING
    assert svc.due[p] == 10  # the next meeting
    lab.run(10, partner)
    assert lab.status(p) == RESOLVED
    assert svc.resolve_day[p] == 10
    assert svc.route[p] == R_PARTNER


def test_a_gated_partner_is_skipped_when_the_street_can_solve_it() -> None:
    lab = Lab()
    lab.competence(0, 0.2)
    lab.street_competence(0.9)
    partner = _partner(lab, hours=5.0, gated=True)
    p = lab.problem(2, difficulty=0.5, hours=2.0)
    lab.run(2, partner)
    assert lab.svc.route[p] == R_STREET


def test_hours_factor_scales_the_hours_spent() -> None:
    spent = []
    for factor in (1.0, 0.5):
        lab = Lab()
        lab.competence(0, 0.9)
        lab.hours_per_day(0, 50.0)

        def levers(day: int, factor: float = factor, lab: Lab = lab) -> Levers:
            lv = Levers(lab.K)
            lv.hours_factor[:] = factor
            return lv

        lab.problem(2, hours=4.0)
        lab.run(2, levers)
        spent.append(lab.svc.c_hours[2])
    assert spent == [pytest.approx(4.0), pytest.approx(2.0)]


# ---------------------------------------------------------------------------- problems and counters
def test_problems_do_not_depend_on_the_service_policy() -> None:
    """Common random numbers: the same seed gives the same problems whatever the process."""
    a = Lab(seed=3).svc
    b = Lab(
        seed=3,
        **{
            "service.agency_hours_per_member_day": 1.0,
            "service.report_hazard": 0.2,
            "trust.initial": 0.9,
        },
    ).svc
    for name in ("arise_day", "resident", "community", "category", "difficulty", "hours"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    c = Lab(seed=4).svc
    assert not np.array_equal(a.difficulty[:10], c.difficulty[: min(10, c.n_problems)])


def test_problem_generation_follows_the_demand_parameters() -> None:
    over = {
        "city.residents": 20_000,  # 20 problems per resident-year: about 1,100 a day
        "demand.elderly_rate_multiplier": 1.0,
        "demand.elderly_civil_affairs_multiplier": 1.0,
    }
    svc = Lab(seed=5, **over).svc
    n = svc.n_problems
    expected = 20_000 * 20.0 / 365.0 * 40
    assert abs(n - expected) < 5 * math.sqrt(expected)  # Poisson
    counts = np.bincount(svc.category, minlength=len(CATEGORIES))
    s = load_scenario(BASELINE)
    shares = np.array([getattr(s.demand.category_shares, c) for c in CATEGORIES])
    assert stats.chisquare(counts, shares * n).pvalue > 1e-4
    means = np.array([getattr(s.demand.category_difficulty, c) for c in CATEGORIES])
    for c in range(len(CATEGORIES)):
        d = svc.difficulty[svc.category == c]
        assert abs(d.mean() - means[c]) < 0.03, CATEGORIES[c]
    assert ((svc.difficulty > 0) & (svc.difficulty < 1)).all()
    assert np.allclose(svc.hours, 1.5 + 5.0 * svc.difficulty)
    assert np.array_equal(
        np.bincount(svc.arise_day, minlength=41)[1:],
        svc.c_arisen[1:] * 0 + np.diff(svc.day_start)[1:],
    )


def test_elderly_residents_raise_more_problems() -> None:
    lab = Lab(seed=6, **{"city.residents": 20_000})
    svc, city = lab.svc, lab.city
    elderly = city.resident_elderly
    per_resident = np.bincount(svc.resident, minlength=city.n_residents) / 40.0
    ratio = per_resident[elderly].mean() / per_resident[~elderly].mean()
    assert ratio == pytest.approx(1.3, rel=0.1)


def test_daily_counters_add_up() -> None:
    lab = Lab()
    svc = lab.svc
    svc.clock[:] = lab.streams.generator("arrivals").exponential(size=svc.n_problems)
    lab.run(40)
    assert svc.c_arisen.sum() == svc.n_problems
    assert svc.c_detected.sum() == (svc.taken_day >= 0).sum()
    assert svc.c_resolved.sum() == (svc.status == RESOLVED).sum()
    assert svc.c_expired.sum() == (svc.status == EXPIRED).sum()
    assert svc.c_open[40] == svc.active.size == (svc.status < RESOLVED).sum()
    assert svc.c_refusals.sum() == svc.attempts.sum()
    assert svc.c_escalations.sum() == svc.escalated.sum()
    assert (svc.c_hours >= 0).all()


def test_hours_committed_per_month_can_be_saved_up_for_a_month() -> None:
    """An offer of a few hours a month banks up to a month of them (enough for one problem),
    where hours given day by day keep only 1 + `service.bank_days` days' worth."""
    banked = {}
    for monthly in (False, True):
        lab = Lab(**{"service.bank_days": 7})

        def levers(day: int, lab: Lab = lab, monthly: bool = monthly) -> Levers:
            lv = Levers(lab.K)
            comp = np.zeros((lab.K, len(CATEGORIES)))
            lv.offers.append(Offer("unit", comp, np.array([0.1, 0.0]), monthly=monthly))
            return lv

        lab.run(40, levers)
        banked[monthly] = lab.svc.offer_banks["unit"][0]
    assert banked[False] == pytest.approx(0.1 * 8)
    assert banked[True] == pytest.approx(0.1 * MONTH_DAYS)

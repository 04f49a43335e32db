"""Residents' problems from arising to resolution or expiry, processed as daily events.

The baseline is the siloed city of the brief: a problem arises for a resident; it stays hidden
until the resident reports it (more likely with more trust) or a grid worker discovers it; a
known problem is handled by its community when the community has the competence and the hours,
otherwise it is escalated to the street and on to the competent agency, which may send it back
(the "walls between blocks"); it is resolved, or it expires at the resolution limit. Resolution
raises trust and expiry lowers it, and trust drives reporting, so demand rises with
responsiveness (calibration G2).

Everyone who takes on work spends hours from a finite pool, refilled daily and carried over
for at most `service.bank_days` days: a community's staff and members (its queue), each
department of agencies (escalations: a problem beyond the department's competence, or arriving
when its hours are spent, is sent back), and every outside organisation a mode brings in (an
`Offer`: alliance partners, a service station, a paired agency, a skills
team). A problem an offer could solve is handed to it only while the offer has hours left;
otherwise it goes on by the normal route. So every effect of a mode is bounded by hours someone
gives, and an offer with no hours resolves nothing.

Integration modes never touch this code. They act only through `Levers`, rebuilt every day:
offers, hours added to or lent from communities' pools, hours taken from agencies'
departments, extra reporting and discovery hazards, a probability of direct routing, and a
factor on hours per problem. A mode at zero strength
adds exact zeros (or multiplies by exact ones), which is why it reproduces the baseline bit for
bit.

Every random decision about a problem uses a counter-based uniform keyed by the problem's id
(see `simulation.rng`), and the year's problems are drawn before the first day from streams no
policy touches. Replication r of two scenarios therefore faces the very same problems, and each
problem meets the very same luck at each decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from simulation.categories import CATEGORIES, N_CATEGORIES
from simulation.city import City
from simulation.rng import RandomStreams

if TYPE_CHECKING:
    from simulation.scenario import Scenario

__all__ = ["CHANNELS", "MONTH_DAYS", "ROUTES", "STATUS", "Levers", "Offer", "ServiceProcess"]

HIDDEN, QUEUED, ESCALATED, HANDLING, RESOLVED, EXPIRED = range(6)
STATUS = ("hidden", "queued", "escalated", "handling", "resolved", "expired")
STAGE_STREET, STAGE_AGENCY = 0, 1
CHANNELS = ("report", "grid", "member_visit", "platform", "station")
# Who resolved a problem: its community, its street, an agency after escalation, or an
# alliance partner (a co-opted unit, a chain partner, a service station).
ROUTES = ("community", "street", "agency", "partner")
R_COMMUNITY, R_STREET, R_AGENCY, R_PARTNER = range(4)
#: Days in the month over which hours committed per month may be given (`Offer.monthly`).
MONTH_DAYS = 30


@dataclass
class Offer:
    """Hours and competence an outside organisation puts at communities' disposal today.

    `hours` per day is (K,) for organisations that take any category they are competent in, or
    (K, C) for per-category teams. Unused hours are banked under `name` (a stable name per
    mode and kind of organisation) like a community's own. An offer with `next_meeting` (per
    community, the day its committee next meets) is meeting-gated: it takes a problem on only
    at that meeting. A `monthly` offer is hours people commit per month (a unit's, a partner's,
    a member's): they may be given any day of the month, so its bank holds up to `MONTH_DAYS`
    days of them (at least the usual 1 + `service.bank_days`); without it a few hours a month
    could never add up to one problem's.
    """

    name: str
    competence: np.ndarray
    hours: np.ndarray
    next_meeting: np.ndarray | None = None
    monthly: bool = False

    @property
    def gated(self) -> bool:
        return self.next_meeting is not None


@dataclass
class Levers:
    """What the integration modes can change, rebuilt every day (neutral values = baseline)."""

    n_communities: int
    resource_adds: list[np.ndarray] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)
    hours_add: np.ndarray = field(init=False)
    department_hours_add: np.ndarray = field(init=False)
    report_platform_digital: np.ndarray = field(init=False)
    discovery_members: np.ndarray = field(init=False)
    discovery_shared: np.ndarray = field(init=False)
    discovery_station: np.ndarray = field(init=False)
    direct_routing: np.ndarray = field(init=False)
    hours_factor: np.ndarray = field(init=False)
    extra_hours_spent: float = 0.0
    cost_yuan: float = 0.0

    def __post_init__(self) -> None:
        K = self.n_communities
        self.hours_add = np.zeros(K)
        self.department_hours_add = np.zeros(N_CATEGORIES)
        self.report_platform_digital = np.zeros(K)
        self.discovery_members = np.zeros(K)
        self.discovery_shared = np.zeros(K)
        self.discovery_station = np.zeros(K)
        self.direct_routing = np.zeros(K)
        self.hours_factor = np.ones(K)


def _union(base: np.ndarray, adds: list[np.ndarray]) -> np.ndarray:
    """Competence reachable from independent sources: 1 - (1-base) * prod(1-add)."""
    miss = 1.0 - base
    for add in adds:
        miss = miss * (1.0 - add)
    return 1.0 - miss


class ServiceProcess:
    """All problems of one run and the siloed process that handles them."""

    def __init__(self, scenario: Scenario, city: City, streams: RandomStreams) -> None:
        self.s = scenario
        self.city = city
        self.streams = streams
        run = scenario.run
        self.days = run.days
        self.limit = run.resolution_limit_days
        self.window = run.window_days
        K = city.n_communities
        self._generate_problems()
        n = self.n_problems
        self.status = np.zeros(n, dtype=np.int8)
        self.stage = np.zeros(n, dtype=np.int8)
        self.attempts = np.zeros(n, dtype=np.int16)
        self.due = np.zeros(n, dtype=np.int64)
        self.cum_hazard = np.zeros(n)
        self.taken_day = np.full(n, -1, dtype=np.int32)
        self.resolve_day = np.full(n, -1, dtype=np.int32)
        self.channel = np.full(n, -1, dtype=np.int8)
        self.escalated = np.zeros(n, dtype=bool)
        self.route = np.full(n, -1, dtype=np.int8)
        self.active = np.zeros(0, dtype=np.int64)
        # residents' trust and communities' reputation
        self.trust = np.full(city.n_residents, scenario.trust.initial)
        self.reputation = np.full(K, scenario.trust.initial)
        per_day = scenario.demand.problems_per_resident_year / 365.0
        self._rep_memory = np.maximum(
            scenario.trust.reputation_memory_days * per_day * city.community_residents, 1e-9
        )
        # hours banks: communities, agencies' departments, and outside organisations (offers)
        self.bank = np.zeros(K)
        self.dept_bank = np.zeros(N_CATEGORIES)
        self.offer_banks: dict[str, np.ndarray] = {}
        # daily counters (index = day, 0 unused)
        d = self.days + 1
        self.c_arisen = np.zeros(d, dtype=np.int64)
        self.c_detected = np.zeros(d, dtype=np.int64)
        self.c_resolved = np.zeros(d, dtype=np.int64)
        self.c_age_sum = np.zeros(d)
        self.c_expired = np.zeros(d, dtype=np.int64)
        self.c_expired_known = np.zeros(d, dtype=np.int64)
        self.c_hours = np.zeros(d)
        self.c_open = np.zeros(d, dtype=np.int64)
        self.c_escalations = np.zeros(d, dtype=np.int64)
        self.c_refusals = np.zeros(d, dtype=np.int64)
        self.c_cost = np.zeros(d)
        self.resolved_by_community = np.zeros(K, dtype=np.int64)
        self.expired_by_community = np.zeros(K, dtype=np.int64)
        self._hours_today = 0.0

    # ------------------------------------------------------------------ problems
    def _generate_problems(self) -> None:
        """Draw every problem of the horizon up front (policy-independent streams)."""
        s, city = self.s, self.city
        rng = self.streams.generator("arrivals")
        dem = s.demand
        per_day = dem.problems_per_resident_year / 365.0
        weight = np.where(city.resident_elderly, dem.elderly_rate_multiplier, 1.0)
        cumw = np.cumsum(weight)
        total_rate = per_day * cumw[-1] if cumw.size else 0.0
        counts = rng.poisson(total_rate, size=self.days)
        n = int(counts.sum())
        self.n_problems = n
        self.day_start = np.concatenate([[0, 0], np.cumsum(counts)]).astype(np.int64)
        self.arise_day = np.repeat(np.arange(1, self.days + 1, dtype=np.int32), counts)
        u = rng.random(n) * (cumw[-1] if cumw.size else 0.0)
        # Sorted queries walk the cumulative weights once (same indices, about twice as fast).
        order = np.argsort(u, kind="stable")
        self.resident = np.empty(n, dtype=np.int32)
        self.resident[order] = np.searchsorted(cumw, u[order], side="right")
        self.community = city.resident_community[self.resident]
        # Copied per problem: the daily hazard reads it for every hidden problem, and a lookup
        # into the two-million-row resident column each day costs more than this byte.
        self.digital = city.resident_digital[self.resident]
        shares = np.array([getattr(dem.category_shares, c) for c in CATEGORIES])
        old = shares.copy()
        old[CATEGORIES.index("civil_affairs")] *= dem.elderly_civil_affairs_multiplier
        old /= old.sum()
        cum_young, cum_old = np.cumsum(shares), np.cumsum(old)
        cum_young[-1] = cum_old[-1] = 1.0
        traits = self.streams.generator("problem_traits")
        uc = traits.random(n)
        elderly = city.resident_elderly[self.resident]
        cat = np.where(
            elderly,
            np.searchsorted(cum_old, uc, side="right"),
            np.searchsorted(cum_young, uc, side="right"),
        )
        self.category = np.minimum(cat, N_CATEGORIES - 1).astype(np.int8)
        mean_d = np.array([getattr(dem.category_difficulty, c) for c in CATEGORIES])[self.category]
        kappa = dem.difficulty_concentration
        self.difficulty = traits.beta(mean_d * kappa, (1.0 - mean_d) * kappa)
        self.hours = dem.hours_base + dem.hours_per_difficulty * self.difficulty
        self.clock = traits.exponential(size=n)

    # ------------------------------------------------------------------ helpers
    def _delay(self, ids: np.ndarray, mean: float, step: int) -> np.ndarray:
        """Whole days of an exponential delay with the given mean, fixed per (problem, step)."""
        if mean <= 0 or ids.size == 0:
            return np.zeros(ids.size, dtype=np.int64)
        counter = self.attempts[ids].astype(np.int64) * 8 + step
        e = self.streams.exponential("delay", ids, counter)
        return np.rint(e * mean).astype(np.int64)

    def _resolve(self, ids: np.ndarray, day: int, hours: np.ndarray) -> None:
        self.status[ids] = RESOLVED
        self.resolve_day[ids] = day
        self._hours_today += float(hours.sum())

    def open_by_community(self) -> np.ndarray:
        """Problems not yet resolved or expired, per community."""
        a = self.active
        return np.bincount(self.community[a], minlength=self.city.n_communities)

    # ------------------------------------------------------------------ one day
    def step(self, day: int, lv: Levers) -> None:
        """Advance all problems by one day under today's levers (the order is documented)."""
        s, city = self.s, self.city
        svc = s.service
        self._hours_today = lv.extra_hours_spent
        self.c_cost[day] = lv.cost_yuan
        self._refill(lv)
        lo, hi = self.day_start[day], self.day_start[day + 1]
        new = np.arange(lo, hi, dtype=np.int64)
        self.active = np.concatenate([self.active, new])
        self.c_arisen[day] = new.size
        act = self.active
        st = self.status[act]

        # 1. Detection of hidden problems (competing hazards on one exponential clock).
        hid = act[st == HIDDEN]
        if hid.size:
            k = self.community[hid]
            res = self.resident[hid]
            w = s.trust.reputation_weight
            eff = (1.0 - w) * self.trust[res] + w * self.reputation[k]
            h_report = svc.report_hazard * eff
            h_platform = lv.report_platform_digital[k] * self.digital[hid] * eff
            h_station = lv.discovery_station[k]
            h_grid = np.maximum(
                svc.grid_discovery_hazard * city.grid_staffing[k] + lv.discovery_shared[k], 0.0
            )
            h_member = lv.discovery_members[k]
            total = h_report + h_grid + h_member + h_platform + h_station
            self.cum_hazard[hid] += total
            found = self.cum_hazard[hid] >= self.clock[hid]
            det = hid[found]
            if det.size:
                parts = np.stack(
                    [
                        h_report[found],
                        h_grid[found],
                        h_member[found],
                        h_platform[found],
                        h_station[found],
                    ]
                )
                cum = np.cumsum(parts, axis=0)
                u = self.streams.uniform("channel", det) * cum[-1]
                self.channel[det] = np.minimum((u[None, :] >= cum).sum(axis=0), len(CHANNELS) - 1)
                self.taken_day[det] = day
                self.c_detected[day] = det.size
                self._intake(det, day, lv)

        # The problems with something due today: every later phase of the day only acts on
        # these (it moves due days later or acts on problems already here), so filtering this
        # subset instead of all active problems gives the same problems in the same order.
        act = self.active
        self._today = act[(self.status[act] != HIDDEN) & (self.due[act] <= day)]
        # 2. Escalations: street, then agency, then agency resolution (zero delays chain).
        self._street_step(day, lv)
        self._agency_step(day, lv)
        self._agency_resolution(day, lv)
        # 3. Communities work through their queues with today's hours.
        self._community_step(day, lv)
        # 4. Expiry at the resolution limit; trust and reputation follow the outcomes.
        self._expire_and_learn(day)
        self.c_hours[day] = self._hours_today

    def _refill(self, lv: Levers) -> None:
        """Add today's hours to every bank, each capped at (1 + bank_days) days of its hours."""
        keep = 1.0 + self.s.service.bank_days
        pool = np.maximum(
            self.city.community_staff_hours + self.city.community_member_hours + lv.hours_add, 0.0
        )
        self.bank = np.minimum(self.bank + pool, keep * pool)
        dept = np.maximum(self.city.department_hours + lv.department_hours_add, 0.0)
        self.dept_bank = np.minimum(self.dept_bank + dept, keep * dept)
        for offer in lv.offers:
            hours = np.maximum(offer.hours, 0.0)
            bank = self.offer_banks.get(offer.name)
            if bank is None or bank.shape != hours.shape:
                bank = np.zeros_like(hours)
            cap = max(keep, MONTH_DAYS) if offer.monthly else keep
            self.offer_banks[offer.name] = np.minimum(bank + hours, cap * hours)

    @staticmethod
    def _take(bank: np.ndarray, cell: np.ndarray, need: np.ndarray) -> np.ndarray:
        """First come, first served within each bank cell: which of the problems (given in
        arrival order) the cell's hours cover; their hours are taken from `bank` (in place)."""
        take = np.zeros(cell.size, dtype=bool)
        if not cell.size:
            return take
        order = np.argsort(cell, kind="stable")
        cs, nd = cell[order], need[order]
        total = np.cumsum(nd)
        starts = np.flatnonzero(np.r_[True, cs[1:] != cs[:-1]])
        before = np.repeat(total[starts] - nd[starts], np.diff(np.r_[starts, cs.size]))
        ok = (total - before) <= bank[cs]
        take[order[ok]] = True
        bank -= np.bincount(cs[ok], weights=nd[ok], minlength=bank.size)
        return take

    def _intake(self, ids: np.ndarray, day: int, lv: Levers) -> None:
        """Route newly known problems by the competence and hours reachable for them.

        In order: the community's own competence -> its queue; else each offer that could
        solve the problem and still has the hours (offers acting at once first, then those
        acting at the next joint meeting when that beats the siloed route and leaves time
        before the resolution limit) -> handed to it, its hours spent; otherwise escalation to
        the street (or, with direct routing, straight to the agencies when the street could
        not solve it).
        """
        city, svc = self.city, self.s.service
        k = self.community[ids]
        c = self.category[ids]
        d = self.difficulty[ids]
        local = _union(city.competence, lv.resource_adds) if lv.resource_adds else city.competence
        at_home = d < local[k, c]
        q = ids[at_home]
        self.status[q] = QUEUED
        self.due[q] = day
        rest = ~at_home
        street_ok = d < city.street_competence[city.community_street[k], c]
        if lv.offers and rest.any():
            need = self.hours[ids] * lv.hours_factor[k]
            # The handling delay of each problem, drawn once (the same draw whoever takes it):
            # an organisation takes a problem only if it can finish it before its limit.
            wait = self._delay(ids, svc.agency_handling_days, 5)
            deadline = self.arise_day[ids] + self.limit
            for offer in sorted(lv.offers, key=lambda o: o.gated):
                # The offer's own competence: its hours are the only ones spent on it.
                cand = rest & (d < offer.competence[k, c])
                if offer.gated:
                    # Waiting for the meeting only when it beats the siloed route (the street
                    # cannot solve it) and the meeting plus the handling ends by the limit.
                    cand &= ~street_ok & (offer.next_meeting[k] + wait <= deadline)
                else:
                    cand &= day + wait <= deadline
                idx = np.flatnonzero(cand)
                if not idx.size:
                    continue
                bank = self.offer_banks[offer.name]
                cell = k[idx] if bank.ndim == 1 else k[idx] * N_CATEGORIES + c[idx]
                flat = bank.reshape(-1)
                got = idx[self._take(flat, cell, need[idx])]
                if not got.size:
                    continue
                h = ids[got]
                start = offer.next_meeting[k[got]] if offer.gated else day
                self.status[h] = HANDLING
                self.route[h] = R_PARTNER
                self.due[h] = start + wait[got]
                self._hours_today += float(need[got].sum())
                rest[got] = False
        esc = ids[rest]
        if esc.size:
            # Direct routing sends a problem to the competent level at once: the street when
            # it can solve it, otherwise the agencies (skipping the street's forwarding);
            # decided per problem with the platform's probability in its community.
            ke = k[rest]
            u = self.streams.uniform("direct_routing", esc)
            direct = (u < lv.direct_routing[ke]) & ~street_ok[rest]
            self.status[esc] = ESCALATED
            self.escalated[esc] = True
            self.stage[esc] = np.where(direct, STAGE_AGENCY, STAGE_STREET)
            self.due[esc] = day + self._delay(esc, svc.escalation_delay_days, 0)
            self._hours_today += svc.escalation_hours * esc.size
            self.c_escalations[day] += esc.size

    def _due(self, status: int, day: int, stage: int | None = None) -> np.ndarray:
        act = self._today
        m = (self.status[act] == status) & (self.due[act] <= day)
        if stage is not None:
            m &= self.stage[act] == stage
        return act[m]

    def _street_step(self, day: int, lv: Levers) -> None:
        ids = self._due(ESCALATED, day, STAGE_STREET)
        if not ids.size:
            return
        svc = self.s.service
        k = self.community[ids]
        street = self.city.community_street[k]
        solved = self.difficulty[ids] < self.city.street_competence[street, self.category[ids]]
        done = ids[solved]
        self.route[done] = R_STREET
        self._resolve(done, day, self.hours[done] * lv.hours_factor[k[solved]])
        fwd = ids[~solved]
        self.stage[fwd] = STAGE_AGENCY
        self.due[fwd] = day + self._delay(fwd, svc.forward_delay_days, 1)
        self._hours_today += svc.escalation_hours * fwd.size

    def _agency_step(self, day: int, lv: Levers) -> None:
        """The department of the problem's category takes it if it is competent and has the
        hours (first come, first served); otherwise it sends the problem back, and the street
        escalates it again after a while ("walls between blocks": agencies give community
        problems only the hours they set aside for them)."""
        ids = self._due(ESCALATED, day, STAGE_AGENCY)
        if not ids.size:
            return
        svc, city = self.s.service, self.city
        k = self.community[ids]
        c = self.category[ids].astype(np.int64)
        # Competent, and able to finish before the problem's limit (the handling delay is
        # drawn first, with the same counter-based draw whatever the outcome).
        handling = self._delay(ids, svc.agency_handling_days, 4)
        competent = (self.difficulty[ids] < city.department_competence[c]) & (
            day + handling - self.arise_day[ids] <= self.limit
        )
        need = self.hours[ids] * lv.hours_factor[k]
        took = np.zeros(ids.size, dtype=bool)
        idx = np.flatnonzero(competent)
        took[idx] = self._take(self.dept_bank, c[idx], need[idx])
        back = ids[~took]
        if back.size:
            self.attempts[back] += 1
            wait = self._delay(back, svc.reescalation_delay_days, 2)
            self.due[back] = (
                day + np.maximum(wait, 1) + self._delay(back, svc.forward_delay_days, 3)
            )
            self._hours_today += svc.escalation_hours * back.size
            self.c_refusals[day] += back.size
        ok = ids[took]
        self.status[ok] = HANDLING
        self.route[ok] = R_AGENCY
        self.due[ok] = day + handling[took]
        self._hours_today += float(need[took].sum())

    def _agency_resolution(self, day: int, lv: Levers) -> None:
        """Problems handled by an agency or an outside organisation are resolved when due
        (their hours were spent when they were taken on)."""
        ids = self._due(HANDLING, day)
        if ids.size:
            self.status[ids] = RESOLVED
            self.resolve_day[ids] = day

    def _community_step(self, day: int, lv: Levers) -> None:
        """FIFO handling within each community's banked hours (refilled in `_refill`)."""
        city = self.city
        ids = self._due(QUEUED, day)
        if not ids.size:
            return
        k = self.community[ids]
        order = np.lexsort((ids, self.taken_day[ids], k))
        ids, k = ids[order], k[order]
        need = self.hours[ids] * lv.hours_factor[k]
        cs = np.cumsum(need)
        starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
        before = np.repeat(cs[starts] - need[starts], np.diff(np.r_[starts, k.size]))
        within = cs - before
        take = within <= self.bank[k]
        done = ids[take]
        if done.size:
            self.route[done] = R_COMMUNITY
            used = np.bincount(k[take], weights=need[take], minlength=city.n_communities)
            self.bank -= used
            self._resolve(done, day, need[take])

    def _expire_and_learn(self, day: int) -> None:
        act = self.active
        st = self.status[act]
        old = (day - self.arise_day[act]) >= self.limit
        exp = act[old & (st < RESOLVED)]
        self.status[exp] = EXPIRED
        st = self.status[act]
        res = act[st == RESOLVED]
        gone = act[st == EXPIRED]
        K = self.city.n_communities
        tr = self.s.trust
        # resolutions
        self.c_resolved[day] = res.size
        self.c_age_sum[day] = float((day - self.arise_day[res]).sum())
        # A resident with several outcomes on one day takes each of them (np.unique counts;
        # a fancy-index update would apply a repeated index once).
        r_res, n_r = np.unique(self.resident[res], return_counts=True)
        self.trust[r_res] = 1.0 - (1.0 - self.trust[r_res]) * (1.0 - tr.gain_on_resolved) ** n_r
        n_res = np.bincount(self.community[res], minlength=K)
        # expiries: only problems that were taken up hurt trust (the resident asked in vain)
        known = gone[self.taken_day[gone] >= 0]
        self.c_expired[day] = gone.size
        self.c_expired_known[day] = known.size
        r_exp, n_e = np.unique(self.resident[known], return_counts=True)
        self.trust[r_exp] *= (1.0 - tr.loss_on_expired) ** n_e
        n_exp_known = np.bincount(self.community[known], minlength=K)
        n_exp = np.bincount(self.community[gone], minlength=K)
        decided = n_res + n_exp_known
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(decided > 0, n_res / np.maximum(decided, 1), 0.0)
        w = decided / (decided + self._rep_memory)
        self.reputation += w * (rate - self.reputation)
        self.resolved_by_community += n_res
        self.expired_by_community += n_exp
        self.active = act[st < RESOLVED]
        self.c_open[day] = self.active.size

    # ------------------------------------------------------------------ read-outs
    def window_sums(self, day: int) -> dict[str, float]:
        """Sums of the daily counters over the trailing window ending at `day`."""
        a = max(1, day - self.window + 1)
        sl = slice(a, day + 1)
        return {
            "arisen": float(self.c_arisen[sl].sum()),
            "detected": float(self.c_detected[sl].sum()),
            "resolved": float(self.c_resolved[sl].sum()),
            "age_sum": float(self.c_age_sum[sl].sum()),
            "expired": float(self.c_expired[sl].sum()),
            "expired_known": float(self.c_expired_known[sl].sum()),
            "hours": float(self.c_hours[sl].sum()),
        }

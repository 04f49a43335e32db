"""The seven mechanisms that make alliances (党建联合体) work or fail, as daily rules.

All alliances of all modes live in one `AllianceBook` (the "database of alliances" of
mechanism 7). The rules, in the order they run each day:

1. organisation linkage: an alliance is an application by its lead organisation; the level
   above approves it after `approval_days` with probability `approval_prob` (a refused
   application is filed again a month later, up to `max_applications` in all, then the
   alliance is rejected for good); affiliation never changes;
2. deliberation and decision: an approved alliance holds joint meetings at its cadence; in
   regional committees, problems that need a member unit's resources wait for the next one;
3. joint activities, the "five ones": a launch meeting and a party lecture at the start (when
   the party-building-first principle holds), a visit-and-exchange monthly, a themed activity
   quarterly, a mutual evaluation half-yearly. Each raises tie strength (less under forced
   pairing), costs member hours and money; ties decay daily without them;
4. supply-demand matching: lives with the modes that pair organisations (`simulation.matching`);
5. basic guarantees: a yearly budget from three sources (the level above, the members, party
   fees); an activity the budget cannot pay for is skipped;
6. assessment: every `assessment_interval_days` (yearly) the level above scores each
   alliance (its tie strength) and records the score;
7. dynamic management: every `review_interval_days` the database is analysed from daily
   monitoring: within each kind of alliance, the weakest `rectify_share` are rectified (tie
   regained, at an hours cost) and the strongest `fund_share` get extra funding.

An alliance's effect on its communities is its resource entries (competence per community and
category) and hour entries, weighted by its current tie strength and its mode's strength.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from simulation.categories import N_CATEGORIES
from simulation.rng import RandomStreams

if TYPE_CHECKING:
    from simulation.scenario import Scenario

__all__ = ["ACTIVE", "PENDING", "REJECTED", "AllianceBook", "AllianceKind"]

PENDING, ACTIVE, REJECTED = 0, 1, 2
_STATUS = ("pending", "active", "rejected")


class AllianceKind:
    """Kinds of alliance, one or two per mode."""

    REGIONAL_COMMUNITY = 0
    REGIONAL_STREET = 1
    CROSS_DOMAIN = 2
    CENTRAL_CLUSTER = 3
    COMMERCIAL = 4
    NAMES = (
        "community_joint_committee",
        "street_joint_committee",
        "cross_domain",
        "central_community",
        "commercial_joint_org",
    )


@dataclass
class _Pending:
    """Entries gathered during set-up, frozen into arrays by `AllianceBook.freeze`."""

    res_alliance: list[np.ndarray] = field(default_factory=list)
    res_cell: list[np.ndarray] = field(default_factory=list)
    res_value: list[np.ndarray] = field(default_factory=list)
    hrs_alliance: list[np.ndarray] = field(default_factory=list)
    hrs_comm: list[np.ndarray] = field(default_factory=list)
    hrs_value: list[np.ndarray] = field(default_factory=list)


class AllianceBook:
    """Every alliance of a run, its state as columns, and the mechanisms acting on it."""

    def __init__(self, scenario: Scenario, n_communities: int, streams: RandomStreams) -> None:
        self.s = scenario
        self.m = scenario.mechanisms
        self.K = n_communities
        self.streams = streams
        self.kind: list[int] = []
        self.communities: list[list[int]] = []
        self.units: list[list[int]] = []
        self.chains: list[list[int]] = []
        self.gated: list[bool] = []
        self.strength_of: list[float] = []
        self.forced_of: list[bool] = []
        self.key_of: list[int] = []
        self.shares_units: list[bool] = []
        self._p = _Pending()
        self.frozen = False
        self.hours_spent_today = 0.0
        self.yuan_today = 0.0

    # ------------------------------------------------------------------ set-up
    def add(
        self,
        kind: int,
        communities: list[int],
        units: list[int],
        strength: float,
        *,
        chains: list[int] | None = None,
        resources: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
        hours: tuple[np.ndarray, np.ndarray] | None = None,
        meeting_gated: bool = False,
        forced: bool = False,
        unit_hours: bool = False,
        key: int,
    ) -> int:
        """File an alliance application; returns its index.

        `key` is the alliance's stable identity within its kind (its community, street,
        district or lead community): the approval and review draws are keyed by it, so the
        same alliance meets the same luck whatever else is filed (common random numbers
        across coverage levels). `resources` is (communities, categories, x) with
        x = -ln(1 - competence) at full tie; `hours` is (communities, hours per day at full tie).

        `unit_hours`: the hours are what the member units' people give, each unit the same,
        as if this were the unit's only alliance. A unit in several such alliances has only
        one set of people, so it splits its time over the active ones (`_split_unit_hours`).
        """
        assert not self.frozen, "alliances are filed during set-up"
        a = len(self.kind)
        self.kind.append(kind)
        self.communities.append([int(k) for k in communities])
        self.units.append([int(u) for u in units])
        self.chains.append([int(c) for c in (chains or [])])
        self.gated.append(meeting_gated)
        self.strength_of.append(float(strength))
        self.forced_of.append(forced)
        if key < 0:
            raise ValueError(f"alliance key must be >= 0, got {key}")
        self.key_of.append(int(key))
        self.shares_units.append(bool(unit_hours))
        if resources is not None:
            ks, cs, xs = (np.asarray(v) for v in resources)
            self._p.res_alliance.append(np.full(ks.size, a, dtype=np.int64))
            self._p.res_cell.append(ks.astype(np.int64) * N_CATEGORIES + cs.astype(np.int64))
            self._p.res_value.append(xs.astype(np.float64))
        if hours is not None:
            ks, hs = (np.asarray(v) for v in hours)
            self._p.hrs_alliance.append(np.full(ks.size, a, dtype=np.int64))
            self._p.hrs_comm.append(ks.astype(np.int64))
            self._p.hrs_value.append(hs.astype(np.float64))
        return a

    def freeze(self, unit_department: np.ndarray | None = None) -> None:
        """Turn the applications into columns; every alliance applies on day 0.

        `unit_department` is, per unit, the department (category) of an agency and -1 for any
        other unit: an agency's hours in alliances come out of its department's.
        """
        self.unit_department = (
            np.asarray(unit_department, dtype=np.int64)
            if unit_department is not None
            else np.zeros(0, dtype=np.int64)
        )
        n = len(self.kind)
        self.n = n
        self.kind_arr = np.asarray(self.kind, dtype=np.int8)
        self.n_orgs = np.array(
            [len(c) + len(u) for c, u in zip(self.communities, self.units, strict=True)]
        )
        self.strength = np.asarray(self.strength_of, dtype=np.float64)
        self.forced = np.asarray(self.forced_of, dtype=bool)
        self.gated_arr = np.asarray(self.gated, dtype=bool)
        self.key = np.asarray(self.key_of, dtype=np.int64)
        for kind in np.unique(self.kind_arr):
            keys = self.key[self.kind_arr == kind]
            if np.unique(keys).size != keys.size:
                raise ValueError(f"two alliances of kind {kind} share a key")
        self.status = np.full(n, PENDING, dtype=np.int8)
        self.apply_day = np.zeros(n, dtype=np.int64)
        self.applications = np.zeros(n, dtype=np.int64)
        self.approve_day = np.full(n, -1, dtype=np.int64)
        self.tie = np.zeros(n)
        self.budget = np.zeros(n)
        self.activities = np.zeros(n, dtype=np.int64)
        self.skipped = np.zeros(n, dtype=np.int64)
        self.rectified = np.zeros(n, dtype=np.int64)
        self.funded = np.zeros(n, dtype=np.int64)
        self.score = np.full(n, np.nan)

        def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

        p = self._p
        self.res_alliance = cat(p.res_alliance, np.int64)
        self.res_cell = cat(p.res_cell, np.int64)
        self.res_value = cat(p.res_value, np.float64)
        self.hrs_alliance = cat(p.hrs_alliance, np.int64)
        self.hrs_comm = cat(p.hrs_comm, np.int64)
        self.hrs_declared = cat(p.hrs_value, np.float64)
        # each alliance's declared hours in all (fixed: the split only scales them)
        self._declared = np.bincount(self.hrs_alliance, weights=self.hrs_declared, minlength=n)
        self.unit_hours_arr = np.asarray(self.shares_units, dtype=bool)
        self._p = _Pending()
        self._split_unit_hours()
        gated_alliances = np.flatnonzero(self.gated_arr)
        self.meet_alliance = (
            np.concatenate(
                [np.full(len(self.communities[a]), a, dtype=np.int64) for a in gated_alliances]
            )
            if gated_alliances.size
            else np.zeros(0, dtype=np.int64)
        )
        self.meet_comm = (
            np.concatenate(
                [np.asarray(self.communities[a], dtype=np.int64) for a in gated_alliances]
            )
            if gated_alliances.size
            else np.zeros(0, dtype=np.int64)
        )
        self._kind_masks: dict[tuple[tuple[int, ...], bool | None], np.ndarray] = {}
        self.frozen = True

    def unit_memberships(self) -> np.ndarray:
        """Per unit index (up to the largest one filed), how many active alliances with unit
        hours it serves."""
        counted = np.flatnonzero(self.unit_hours_arr & (self.status == ACTIVE))
        units = [u for a in counted for u in self.units[a]]
        return np.bincount(np.asarray(units, dtype=np.int64)) if units else np.zeros(0, int)

    def _split_unit_hours(self) -> None:
        """Hour entries after splitting each unit's hours over the active alliances it serves.

        A unit gives each of its active alliances a share of what that alliance declares per
        unit, in proportion to the alliances' strengths (equal shares at equal strength): a
        mode at strength 0 claims none of its units' time, so it leaves the other modes exactly
        as they are without it. An alliance's hours are its declared hours times the mean of
        its units' shares. Recomputed whenever such an alliance is approved (a pending or
        rejected alliance claims nothing). Also sets `_drain`: per alliance and department,
        the hours its agencies give at full tie and strength, which their departments lose.
        """
        counted = np.flatnonzero(self.unit_hours_arr & (self.status == ACTIVE))
        factor = np.ones(self.n)
        drain = np.zeros((self.n, N_CATEGORIES))
        if counted.size:
            units = np.concatenate([np.asarray(self.units[a], dtype=np.int64) for a in counted])
            owner = np.repeat(counted, [len(self.units[a]) for a in counted])
            total = np.bincount(units, weights=self.strength[owner])
            n_of = np.bincount(units)
            share = np.where(
                total[units] > 0,
                self.strength[owner] / np.where(total[units] > 0, total[units], 1.0),
                1.0 / n_of[units],
            )
            size = np.bincount(owner, minlength=self.n)
            factor_sum = np.bincount(owner, weights=share, minlength=self.n)
            has = size > 0
            factor[has] = factor_sum[has] / size[has]
            per_unit = self._declared[owner] / size[owner]
            if self.unit_department.size:
                dept = self.unit_department[units]
                agency = dept >= 0
                np.add.at(drain, (owner[agency], dept[agency]), (per_unit * share)[agency])
        self.unit_hours_factor = factor
        self.hrs_value = self.hrs_declared * factor[self.hrs_alliance]
        self._drain = drain

    def department_drain(self, kinds: tuple[int, ...]) -> np.ndarray:
        """(C,) hours per day the agencies in active alliances of `kinds` give them (at today's
        tie and strength, the whole city's): hours their departments no longer have."""
        return self._weights(kinds) @ self._drain

    # ------------------------------------------------------------------ read-outs
    def kind_name(self, a: int) -> str:
        return AllianceKind.NAMES[self.kind[a]]

    def status_name(self, a: int) -> str:
        return _STATUS[int(self.status[a])]

    def _weights(self, kinds: tuple[int, ...], gated: bool | None = None) -> np.ndarray:
        """Per alliance, tie x strength if it is active and of `kinds` (and `gated`), else 0."""
        sel_kind = self._kind_masks.get((kinds, gated))
        if sel_kind is None:  # fixed after freeze: computed once per (kinds, gated)
            sel_kind = np.isin(self.kind_arr, kinds)
            if gated is not None:
                sel_kind &= self.gated_arr == gated
            self._kind_masks[(kinds, gated)] = sel_kind
        return np.where(sel_kind & (self.status == ACTIVE), self.tie * self.strength, 0.0)

    def contributions(
        self, kinds: tuple[int, ...], gated: bool | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(K, C) competence added and (K,) hours per day added by active alliances of `kinds`.

        Competence adds combine as 1 - exp(-sum(strength * tie * x)): zero strength or zero
        tie adds exactly zero.
        """
        K, C = self.K, N_CATEGORIES
        wk = self._weights(kinds, gated)
        x = np.bincount(
            self.res_cell, weights=wk[self.res_alliance] * self.res_value, minlength=K * C
        )
        add = -np.expm1(-x).reshape(K, C)
        h = np.bincount(self.hrs_comm, weights=wk[self.hrs_alliance] * self.hrs_value, minlength=K)
        return add, h

    def next_meeting(self, day: int, kind: int) -> np.ndarray:
        """Per community, the day of the next meeting of an active meeting-gated alliance of
        `kind` covering it (a problem a committee takes waits for that committee's meeting)."""
        out = np.full(self.K, np.iinfo(np.int32).max, dtype=np.int64)
        a = self.meet_alliance
        ok = (self.status[a] == ACTIVE) & (self.kind_arr[a] == kind)
        a, k = a[ok], self.meet_comm[ok]
        if not a.size:
            return out
        interval = self.s.modes.regional.meeting_interval_days
        since = day - self.approve_day[a]
        nxt = self.approve_day[a] + -(-since // interval) * interval
        np.minimum.at(out, k, nxt)
        return out

    # ------------------------------------------------------------------ the daily rules
    def step(self, day: int) -> None:
        """Apply mechanisms 1, 3, 5, 6 and 7 for `day` (mechanism 2 is `next_meeting`).

        `hours_spent_today` and `yuan_today` are the whole city's member hours and money
        disbursed today (budgets, funding) for the alliances' own work.
        """
        self.hours_spent_today = 0.0
        self.yuan_today = 0.0
        if not self.n:
            return
        m = self.m
        self._approve(day)
        active = self.status == ACTIVE
        self.tie[active] *= 1.0 - m.tie_decay_per_day
        since = day - self.approve_day
        # yearly budget renewal (mechanism 5)
        renew = active & (since > 0) & (since % 365 == 0)
        money = self._yearly_budget(renew)
        self.budget[renew] += money
        self.yuan_today += float(money.sum())
        if m.joint_activities:
            for interval, gain in (
                (m.visit_interval_days, m.tie_gain_visit),
                (m.themed_interval_days, m.tie_gain_themed),
                (m.evaluation_interval_days, m.tie_gain_evaluation),
            ):
                due = active & (since > 0) & (since % interval == 0)
                self._activity(due, gain)
        if day % m.assessment_interval_days == 0:
            idx = np.flatnonzero(active)
            self.score[idx] = self.tie[idx]
        if day % m.review_interval_days == 0:
            self._review(active, day)

    def _yearly_budget(self, mask: np.ndarray) -> np.ndarray:
        """A year's money for the alliances of `mask`, times their mode's strength (like every
        amount an alliance spends: strength scales the whole alliance, money included)."""
        m = self.m
        per = (
            m.budget_upper_yuan + m.budget_member_yuan * self.n_orgs[mask] + m.budget_party_fee_yuan
        )
        return per * self.strength[mask]

    def _approve(self, day: int) -> None:
        m = self.m
        due = np.flatnonzero((self.status == PENDING) & (self.apply_day + m.approval_days <= day))
        if not due.size:
            return
        u = np.empty(due.size)
        for kind in np.unique(self.kind_arr[due]):
            sel = self.kind_arr[due] == kind
            ids = due[sel]
            u[sel] = self.streams.uniform(f"approval.{kind}", self.key[ids], self.applications[ids])
        ok = due[u < m.approval_prob]
        again = due[u >= m.approval_prob]
        self.applications[again] += 1
        self.apply_day[again] = day + 30
        self.status[again[self.applications[again] >= m.max_applications]] = REJECTED
        if not ok.size:
            return
        self.status[ok] = ACTIVE
        self.approve_day[ok] = day
        if self.unit_hours_arr[ok].any():
            self._split_unit_hours()  # the units now serve one more alliance
        self.tie[ok] = m.initial_tie
        mask = np.zeros(self.n, dtype=bool)
        mask[ok] = True
        self.budget[ok] = self._yearly_budget(mask)
        self.yuan_today += float(self.budget[ok].sum())
        if self.s.principles.party_building_first and m.joint_activities:
            self._activity(mask, m.tie_gain_launch)
            self._activity(mask, m.tie_gain_lecture)

    def _activity(self, mask: np.ndarray, gain: float) -> None:
        """Hold one joint activity in each alliance of `mask` that can pay for it."""
        if not mask.any():
            return
        m = self.m
        price = m.activity_cost_yuan * self.strength
        can = mask & (self.budget >= price)
        self.skipped += mask & ~can
        if not can.any():
            return
        factor = np.where(self.forced, self.s.principles.forced_tie_gain_factor, 1.0)
        self.tie[can] += gain * factor[can] * (1.0 - self.tie[can])
        self.budget[can] -= price[can]
        self.activities[can] += 1
        hours = m.activity_hours_per_org * self.n_orgs[can] * self.strength[can]
        self.hours_spent_today += float(hours.sum())

    def _review(self, active: np.ndarray, day: int) -> None:
        """Mechanism 7: rectify the weakest alliances and fund the strongest, within each kind.

        Ranked within each kind (the level above reviews each kind of alliance), so one mode's
        alliances never change another's outcome. Alliances approved together often have equal
        ties; those ties are broken by a counter-based draw keyed by (kind, index within kind,
        review), not by filing order.
        """
        for kind in np.unique(self.kind_arr[active]):
            self._review_kind(np.flatnonzero(active & (self.kind_arr == kind)), int(kind), day)

    def _review_kind(self, idx: np.ndarray, kind: int, day: int) -> None:
        m = self.m
        u = self.streams.uniform(f"review.{kind}", self.key[idx], day // m.review_interval_days)
        order = idx[np.lexsort((u, self.tie[idx]))]
        n_rect = int(np.floor(m.rectify_share * idx.size))
        n_fund = int(np.floor(m.fund_share * idx.size))
        weak = order[:n_rect]
        strong = order[idx.size - n_fund :] if n_fund else order[:0]
        self.tie[weak] += m.rectify_tie_boost * (1.0 - self.tie[weak])
        self.rectified[weak] += 1
        self.hours_spent_today += float(
            (m.activity_hours_per_org * self.n_orgs[weak] * self.strength[weak]).sum()
        )
        bonus = m.funding_bonus_yuan * self.strength[strong]
        self.budget[strong] += bonus
        self.yuan_today += float(bonus.sum())
        self.funded[strong] += 1

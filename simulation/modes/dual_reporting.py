"""Mode 4, dual reporting (双报到结对互动).

Every paired agency is linked with one community (mechanism 4 decides which: the community
whose needs its department meets best, the community it sits in when matching is ad hoc, or
any community under forced pairing); a community gets about 3.8 agencies. Every in-service
member of a paired agency reports to the community where they live and serves there. All of
the mode's effects are hours someone gives:

* visits: `visit_share` of members' hours go to household visits; each visiting hour reaches
  `residents_visited_per_hour` residents and finds a visited resident's hidden problem with
  `detection_per_visit` (a discovery hazard in the member's home community);
* volunteer teams by speciality (Hexigten banner, brief mode 4): the rest of members' hours go
  to their street's team of their speciality, which can solve problems of that category up to
  `member_skill_competence` while its hours last (an offer per community and category, the
  street's team hours split over its communities by population);
* the paired agency (agencies move their attention down): its staff give
  `paired_agency_hours_per_month` to their community's problems, only in the categories the
  agency is competent in (an offer in the paired community). Those are hours its people would
  otherwise give escalations: its department has as many fewer (the sample's share of them,
  like every department hour).

Points are credited monthly (planned hours); they are a record — appraisal acts through the
participation rule below. Participation is decided monthly, per member: with appraisal (points
count, units lose awards) it stays at `reporting_target`; without, it decays by
`motivation_decay_per_month` (pattern G6).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.categories import N_CATEGORIES
from simulation.matching import assign, complementarity, needs
from simulation.modes.base import ModePolicy, pick_share
from simulation.service import MONTH_DAYS, Offer

if TYPE_CHECKING:
    from simulation.model import CityModel
    from simulation.service import Levers

__all__ = ["DualReporting"]


class DualReporting(ModePolicy):
    """Agency-community pairs and members serving where they live, kept up by appraisal."""

    name = "dual_reporting"

    def setup(self, model: CityModel) -> None:
        city, p = model.city, self.p
        rng = self.rng(model)
        forced = model.params.principles.pairing == "forced"
        method = model.params.mechanisms.matching
        K = city.n_communities
        agencies = np.flatnonzero(city.agency_mask())
        paired = agencies[pick_share(rng, agencies.size, p.agency_pairing_coverage)]
        need = needs(city.competence, model.category_shares)
        if method == "adhoc" and not forced:
            partner = city.unit_community[paired].astype(np.int64)  # the community it sits in
        else:
            # Each community can take several agencies; later places count a little less, so
            # agencies spread over communities.
            reps = -(-paired.size // max(K, 1)) + 1
            base = complementarity(need, city.unit_resources[paired]).T  # (agencies, K)
            scores = np.concatenate([base * 0.8**r for r in range(reps)], axis=1)
            cols = assign(scores, "optimal", rng, forced=forced)
            partner = np.where(cols >= 0, cols % K, -1)
        self.pair_agency = paired[partner >= 0]
        self.pair_community = partner[partner >= 0]
        model.structure.agency_paired[self.pair_agency] = True
        # The paired agencies' competence per community (x = -ln(1 - v), summed over agencies)
        # and how many agencies each community has.
        res = np.clip(city.unit_resources[self.pair_agency], 0.0, 0.999)
        self._paired_x = np.zeros((K, N_CATEGORIES))
        np.add.at(self._paired_x, self.pair_community, -np.log1p(-res))
        self._paired_n = np.bincount(self.pair_community, minlength=K).astype(float)
        # Paired agencies per department (their primary category): the hours they move down.
        self._paired_per_department = (
            np.bincount(city.unit_primary[self.pair_agency], minlength=N_CATEGORIES)
            * city.sample_share
        )
        # Each community's share of its street's population (volunteer teams serve the street).
        street_pop = np.bincount(
            city.community_street, weights=city.community_population, minlength=city.n_streets
        )
        self._street_split = city.community_population / np.maximum(
            street_pop[city.community_street], 1.0
        )
        # Members who report: in-service members of paired agencies.
        emp = city.member_employer
        self.eligible = np.flatnonzero((city.member_kind == 0) & np.isin(emp, self.pair_agency))
        self._month = -1
        self._update_participation(model, 0)

    def _update_participation(self, model: CityModel, day: int) -> None:
        month = day // MONTH_DAYS
        if month == self._month:
            return
        self._month = month
        p = self.p
        target = p.reporting_target
        if not p.appraisal:
            target *= (1.0 - p.motivation_decay_per_month) ** month
        u = model.streams.uniform("dual_reporting.participation", self.eligible, month)
        st = model.structure
        st.member_reporting[:] = False
        st.member_reporting[self.eligible[u < target]] = True
        st.member_points[st.member_reporting] += p.hours_per_member_month * self.strength

    def contribute(self, model: CityModel, day: int, levers: Levers) -> None:
        p, city = self.p, model.city
        self._update_participation(model, day)
        s = self.strength
        K = city.n_communities
        rep = model.structure.member_reporting
        home = city.member_home[rep]
        per_member = p.hours_per_member_month / MONTH_DAYS * s
        active = np.bincount(home, minlength=K).astype(np.float64)
        visit = active * per_member * p.visit_share
        levers.extra_hours_spent += float(visit[city.simulated].sum())
        residents = np.maximum(city.community_residents, 1)
        levers.discovery_members += np.minimum(
            p.detection_per_visit * p.residents_visited_per_hour * visit / residents, 1.0
        )
        # Volunteer teams by speciality, per street: the hours of the street's reporting members
        # of each speciality, split over the street's communities by population.
        S, C = city.n_streets, N_CATEGORIES
        street = city.community_street
        team = np.bincount(street[home] * C + city.member_skill[rep], minlength=S * C).reshape(
            S, C
        ) * (per_member * (1.0 - p.visit_share))
        team_hours = team[street] * self._street_split[:, None]
        skill = np.where(
            team_hours > 0, 1.0 - (1.0 - p.member_skill_competence) ** min(s, 1.0), 0.0
        )
        levers.offers.append(Offer("dual_reporting.skills", skill, team_hours, monthly=True))
        # The paired agencies' own staff, where they are competent, with hours their
        # departments no longer have for escalations.
        paired_hours = p.paired_agency_hours_per_month / MONTH_DAYS * s
        levers.department_hours_add -= self._paired_per_department * paired_hours
        levers.offers.append(
            Offer(
                "dual_reporting.paired_agency",
                -np.expm1(-s * self._paired_x),
                self._paired_n * paired_hours,
                monthly=True,
            )
        )

    def counts(self, model: CityModel) -> dict[str, int]:
        st = model.structure
        return {
            "n_agencies_paired": int(st.agency_paired.sum()),
            "n_members_reporting": int(st.member_reporting.sum()),
        }

"""Mode 4, dual reporting (双报到结对互动).

Every paired agency is linked with one community (mechanism 4 decides which: the community
whose needs its department meets best, the community it sits in when matching is ad hoc, or
any community under forced pairing); a community gets about 3.8 agencies. Every in-service
member of a paired agency reports to the community where they live and serves there: part of
their hours go to household visits, which find hidden problems, the rest to the community's
tasks. Members form volunteer teams by speciality in each street (Hexigten banner, brief mode
4), which add competence in their categories to the street's communities. Paired agencies
refuse fewer of their community's escalations ("agencies move their attention down").
Points are credited monthly (planned hours); they are a record — appraisal acts through the
participation rule below.

Participation is decided monthly, per member: with appraisal (points count, units lose awards)
it stays at `reporting_target`; without, it decays by `motivation_decay_per_month` (pattern G6).

Effect in the model: fewer refusals for paired (community, category) cells, hours and
competence added, and discovery by visits, in members' home communities.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.categories import N_CATEGORIES
from simulation.matching import assign, complementarity, needs
from simulation.modes.base import ModePolicy, pick_share

if TYPE_CHECKING:
    from simulation.model import CityModel
    from simulation.service import Levers

__all__ = ["DualReporting"]

_MONTH = 30


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
        # Cells where a paired agency is the competent department.
        strong = city.unit_resources[self.pair_agency] >= 0.75
        cells = np.zeros((K, N_CATEGORIES), dtype=bool)
        rows, cats = np.nonzero(strong)
        cells[self.pair_community[rows], cats] = True
        self.paired_cells = cells
        # Members who report: in-service members of paired agencies.
        emp = city.member_employer
        self.eligible = np.flatnonzero((city.member_kind == 0) & np.isin(emp, self.pair_agency))
        self._street_size = np.bincount(city.community_street, minlength=city.n_streets).astype(
            float
        )
        self._month = -1
        self._update_participation(model, 0)

    def _update_participation(self, model: CityModel, day: int) -> None:
        month = day // _MONTH
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
        levers.refusal_factor *= np.where(
            self.paired_cells, 1.0 - p.paired_refusal_reduction * min(s, 1.0), 1.0
        )
        rep = model.structure.member_reporting
        K = city.n_communities
        home = city.member_home[rep]
        active = np.bincount(home, minlength=K).astype(np.float64)
        hours = active * p.hours_per_member_month / _MONTH * s
        visit = hours * p.visit_share
        levers.hours_add += hours - visit
        levers.extra_hours_spent += float(visit.sum())
        residents = np.maximum(city.community_residents, 1)
        levers.discovery_members += np.minimum(
            p.detection_per_visit * p.residents_visited_per_hour * visit / residents, 1.0
        )
        # Volunteer teams by speciality, per street: pooled over the street's communities, so a
        # community's gain depends on its street's team density (per community, at full scale).
        S = city.n_streets
        street = city.community_street
        teams = np.bincount(
            street[home] * N_CATEGORIES + city.member_skill[rep], minlength=S * N_CATEGORIES
        ).reshape(S, N_CATEGORIES)
        per_community = teams / (10.0 * city.scale * self._street_size[:, None])
        x = p.skill_resource * per_community[street] * s
        levers.resource_adds.append(-np.expm1(-x))

    def counts(self, model: CityModel) -> dict[str, int]:
        st = model.structure
        return {
            "n_agencies_paired": int(st.agency_paired.sum()),
            "n_members_reporting": int(st.member_reporting.sum()),
        }

"""Mode 5, red commercial street (红色商街两个覆盖).

In covered commercial districts the street or community sets up a joint (non-formal) party
organisation that brings the district's non-public enterprises and social organisations without
a party organisation under coverage ("two coverages"), and opens a party-and-mass service
station that extends legal, labour, civil-affairs and market services to the district and the
communities around it (`station_catchment`: the host and its nearest communities, same street
first). Every effect is hours someone gives:

* organising: running the joint organisation takes `organising_hours_per_month` of the host
  community's staff hours;
* work coverage: the party members of the district's covered enterprises and social
  organisations give `member_service_hours_per_month` each to the catchment's residents, with
  their organisations' competence (an offer over the catchment, split by population) — so party
  coverage reaches residents only through those hours;
* the station: `station_hours_per_day` of staff, `station_outreach_share` of them spent reaching
  residents of the catchment (a discovery hazard: contacts per hour x detection per contact /
  residents), the rest solving problems of the station's categories up to `station_resource`.

The station costs `station_cost_yuan_per_year`. Hours and cost are weighted by the joint
organisation's tie strength and the mode's strength.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.categories import INDEX, N_CATEGORIES
from simulation.mechanisms import ACTIVE, AllianceKind
from simulation.modes.base import ModePolicy, pick_share, union_x
from simulation.service import MONTH_DAYS, Offer

if TYPE_CHECKING:
    from simulation.model import CityModel
    from simulation.service import Levers

__all__ = ["RedCommercialStreet", "catchment"]

STATION_CATEGORIES = ("labour_social_security", "social_order", "civil_affairs", "market_commerce")


def catchment(street: np.ndarray, host: int, size: int) -> np.ndarray:
    """The host community and its nearest communities, same street first (by index distance)."""
    others = np.arange(street.size)
    key = np.abs(street - street[host]) * 10_000 + np.abs(others - host)
    return others[np.argsort(key, kind="stable")[:size]]


class RedCommercialStreet(ModePolicy):
    """Joint party organisations and service stations in commercial districts."""

    name = "red_commercial_street"

    def setup(self, model: CityModel) -> None:
        city, p, book = model.city, self.p, model.alliances
        rng = self.rng(model)
        covered = pick_share(rng, city.district_community.size, p.coverage)
        members_per = model.params.city.members_per_covered_enterprise
        # Per district: (district, alliance, units that join, catchment, population split of
        # the catchment, the covered organisations' competence x, their party members).
        self.districts: list[tuple[int, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]]
        self.districts = []
        for d in covered:
            host = int(city.district_community[d])
            units = np.flatnonzero(city.unit_district == d)
            uncovered = units[~city.unit_formal_party_org[units]]
            u = model.streams.uniform("red_commercial_street.cover", uncovered)
            joins = uncovered[u < min(self.strength, 1.0)]
            near = catchment(city.community_street, host, p.station_catchment)
            pop = city.community_population[near].astype(float)
            with_party = np.union1d(units[city.unit_formal_party_org[units]], joins)
            a = book.add(AllianceKind.COMMERCIAL, [host], units.tolist(), self.strength, key=int(d))
            self.districts.append(
                (
                    int(d),
                    a,
                    joins,
                    near,
                    pop / pop.sum(),
                    union_x(city.unit_resources[with_party]),
                    float(with_party.size * members_per),
                )
            )
        self._station_x = -np.log1p(-min(p.station_resource, 0.999))
        self._station_cats = np.array([INDEX[c] for c in STATION_CATEGORIES])

    def contribute(self, model: CityModel, day: int, levers: Levers) -> None:
        p, book, st, city = self.p, model.alliances, model.structure, model.city
        K, C = city.n_communities, N_CATEGORIES
        unit_x, unit_hours = np.zeros((K, C)), np.zeros(K)
        station_x, station_hours = np.zeros((K, C)), np.zeros(K)
        for d, a, joins, near, split, x_units, n_members in self.districts:
            on = book.status[a] == ACTIVE
            st.district_joint_org[d] = on
            if not on:
                continue
            st.unit_covered[joins] = True
            w = self.strength * book.tie[a]
            host = city.district_community[d]
            organising = p.organising_hours_per_month / MONTH_DAYS * w
            levers.hours_add[host] -= organising
            unit_x[near] += w * x_units[None, :]
            unit_hours[near] += (
                n_members * p.member_service_hours_per_month / MONTH_DAYS * w * split
            )
            hours = p.station_hours_per_day * w * split
            station_x[np.ix_(near, self._station_cats)] += w * self._station_x
            station_hours[near] += hours * (1.0 - p.station_outreach_share)
            found = (
                hours
                * p.station_outreach_share
                * p.station_contacts_per_hour
                * p.station_detection_per_contact
            )
            levers.discovery_station[near] += np.minimum(
                found / np.maximum(city.community_residents[near], 1), 1.0
            )
            # Organising and outreach hours are spent whether or not they find a problem:
            # counted for the simulated communities, like dual reporting's visits.
            sim = city.simulated
            outreach = hours * p.station_outreach_share
            levers.extra_hours_spent += float(organising * sim[host] + outreach[sim[near]].sum())
            levers.cost_yuan += p.station_cost_yuan_per_year / 365.0 * w
        levers.offers.append(
            Offer("red_commercial_street.units", -np.expm1(-unit_x), unit_hours, monthly=True)
        )
        levers.offers.append(
            Offer("red_commercial_street.station", -np.expm1(-station_x), station_hours)
        )

    def counts(self, model: CityModel) -> dict[str, int]:
        return {"n_commercial_joint_orgs": int(model.structure.district_joint_org.sum())}

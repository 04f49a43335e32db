"""Mode 5, red commercial street (红色商街两个覆盖).

In covered commercial districts the street or community sets up a joint (non-formal) party
organisation that brings the district's non-public enterprises and social organisations without
a party organisation under coverage ("two coverages"), and opens a party-and-mass service
station that extends legal, labour, civil-affairs and market services to the district and the
communities around it (`station_catchment`).

Effect in the model: party-organisation coverage; in the catchment, an extra reporting channel
(the station), and problems of the station's categories that it can solve go to it (the
partner route).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.categories import INDEX
from simulation.mechanisms import ACTIVE, AllianceKind
from simulation.modes.base import ModePolicy, pick_share

if TYPE_CHECKING:
    from simulation.model import CityModel
    from simulation.service import Levers

__all__ = ["RedCommercialStreet"]

STATION_CATEGORIES = ("labour_social_security", "social_order", "civil_affairs", "market_commerce")


class RedCommercialStreet(ModePolicy):
    """Joint party organisations and service stations in commercial districts."""

    name = "red_commercial_street"

    def setup(self, model: CityModel) -> None:
        city, p, book = model.city, self.p, model.alliances
        rng = self.rng(model)
        D = city.district_community.size
        covered = pick_share(rng, D, p.coverage)
        cats = np.array([INDEX[c] for c in STATION_CATEGORIES])
        x_value = -np.log1p(-min(p.station_resource, 0.999))
        self.districts: list[tuple[int, int, np.ndarray, np.ndarray]] = []
        street = city.community_street
        for d in covered:
            host = int(city.district_community[d])
            members = np.flatnonzero(city.unit_district == d)
            uncovered = members[~city.unit_formal_party_org[members]]
            u = model.streams.uniform("red_commercial_street.cover", uncovered)
            joins = uncovered[u < min(self.strength, 1.0)]
            # Catchment: the host and its nearest communities, same street first.
            others = np.arange(city.n_communities)
            key = np.abs(street - street[host]) * 10_000 + np.abs(others - host)
            catchment = others[np.argsort(key, kind="stable")[: p.station_catchment]]
            a = book.add(
                AllianceKind.COMMERCIAL,
                [host],
                members.tolist(),
                self.strength,
                resources=(
                    np.repeat(catchment, cats.size),
                    np.tile(cats, catchment.size),
                    np.full(catchment.size * cats.size, x_value),
                ),
            )
            self.districts.append((int(d), a, joins, catchment))

    def contribute(self, model: CityModel, day: int, levers: Levers) -> None:
        book, st = model.alliances, model.structure
        add, _ = book.contributions((AllianceKind.COMMERCIAL,))
        levers.partner_adds.append(add)
        for d, a, joins, catchment in self.districts:
            on = book.status[a] == ACTIVE
            st.district_joint_org[d] = on
            if on:
                st.unit_covered[joins] = True
                levers.report_station[catchment] += (
                    self.p.station_report_hazard * self.strength * book.tie[a]
                )

    def counts(self, model: CityModel) -> dict[str, int]:
        return {"n_commercial_joint_orgs": int(model.structure.district_joint_org.sum())}

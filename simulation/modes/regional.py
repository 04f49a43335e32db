"""Mode 1, regional co-construction (区域化共驻共建).

Every covered community sets up a joint party committee that co-opts the party organisations of
the units located in it (at most `max_units_per_committee`, chosen by complementarity, or at
random under forced pairing); its street sets up a joint working committee of the units in the
street. The units' competence becomes reachable for the community's problems — but only at the
committee's next joint meeting (mechanism 2), and only with the hours the units' people give
(`unit_hours_per_month` each; a street committee's units split theirs over the street's covered
communities by population). A unit in several alliances splits its time over them, and an
agency's hours come out of its department's (`AllianceBook._split_unit_hours`).

Effect in the model: in covered communities, a problem a co-opted unit could solve is handed to
the committee at its next meeting if the committee's units still have the hours (the partner
route, meeting-gated); otherwise it goes on by the siloed route. With no hours, nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.matching import complementarity, needs
from simulation.mechanisms import AllianceKind
from simulation.modes.base import ModePolicy, pick_share, union_x
from simulation.service import MONTH_DAYS, Offer

if TYPE_CHECKING:
    from simulation.model import CityModel
    from simulation.service import Levers

__all__ = ["Regional"]


class Regional(ModePolicy):
    """Joint committees in communities and streets; unit hours and competence at meetings."""

    name = "regional"

    def setup(self, model: CityModel) -> None:
        city, p, book = model.city, self.p, model.alliances
        rng = self.rng(model)
        forced = model.params.principles.pairing == "forced"
        covered = pick_share(rng, city.n_communities, p.coverage)
        shares = model.category_shares
        need = needs(city.competence, shares)
        party_units = np.flatnonzero(city.unit_formal_party_org)
        by_comm = [[] for _ in range(city.n_communities)]
        for u in party_units:
            by_comm[city.unit_community[u]].append(u)
        per_unit = p.unit_hours_per_month / MONTH_DAYS
        self.community_alliance: dict[int, int] = {}
        for k in covered:
            units = np.asarray(by_comm[k], dtype=np.int64)
            units = self._choose(
                units, need[k], city.unit_resources, p.max_units_per_committee, rng, forced
            )
            x = union_x(city.unit_resources[units])
            cats = np.flatnonzero(x > 0)
            a = book.add(
                AllianceKind.REGIONAL_COMMUNITY,
                [int(k)],
                units.tolist(),
                self.strength,
                resources=(np.full(cats.size, k), cats, x[cats]),
                hours=(np.array([k]), np.array([per_unit * units.size])),
                meeting_gated=True,
                forced=forced,
                unit_hours=True,
                key=int(k),
            )
            self.community_alliance[int(k)] = a
        # Street committees: the street's units, for the street's covered communities.
        self.street_alliance: dict[int, int] = {}
        streets = np.unique(city.community_street[covered]) if covered.size else np.zeros(0, int)
        for s in streets:
            comms = covered[city.community_street[covered] == s]
            in_street = party_units[city.community_street[city.unit_community[party_units]] == s]
            street_need = need[comms].mean(axis=0)
            units = self._choose(
                in_street, street_need, city.unit_resources, p.max_units_per_committee, rng, forced
            )
            x = union_x(city.unit_resources[units])
            cats = np.flatnonzero(x > 0)
            pop = city.community_population[comms].astype(float)
            split = pop / pop.sum() if pop.sum() > 0 else np.full(comms.size, 1.0 / comms.size)
            self.street_alliance[int(s)] = book.add(
                AllianceKind.REGIONAL_STREET,
                comms.tolist(),
                units.tolist(),
                self.strength,
                resources=(
                    np.repeat(comms, cats.size),
                    np.tile(cats, comms.size),
                    np.tile(x[cats], comms.size),
                ),
                hours=(comms, per_unit * units.size * split),
                meeting_gated=True,
                forced=forced,
                unit_hours=True,
                key=int(s),
            )

    @staticmethod
    def _choose(
        units: np.ndarray,
        need: np.ndarray,
        resources: np.ndarray,
        cap: int,
        rng: np.random.Generator,
        forced: bool,
    ) -> np.ndarray:
        """Entry rule: the `cap` most complementary units (random ones under forced pairing)."""
        if units.size <= cap:
            return units
        if forced:
            return np.sort(rng.choice(units, size=cap, replace=False))
        score = complementarity(need[None, :], resources[units])[0]
        return np.sort(units[np.argsort(-score, kind="stable")[:cap]])

    def contribute(self, model: CityModel, day: int, levers: Levers) -> None:
        book = model.alliances
        for kind, name in (
            (AllianceKind.REGIONAL_COMMUNITY, "regional.community"),
            (AllianceKind.REGIONAL_STREET, "regional.street"),
        ):
            add, hours = book.contributions((kind,))
            meeting = book.next_meeting(day, kind)
            levers.offers.append(Offer(name, add, hours, next_meeting=meeting, monthly=True))
            # co-opted agencies give these hours out of their departments' (the sample's share)
            levers.department_hours_add -= book.department_drain((kind,)) * model.city.sample_share
        st = model.structure
        for k, a in self.community_alliance.items():
            st.community_joint_committee[k] = book.status[a] == 1
        for s, a in self.street_alliance.items():
            st.street_joint_committee[s] = book.status[a] == 1

    def counts(self, model: CityModel) -> dict[str, int]:
        st = model.structure
        return {
            "n_joint_committees": int(
                st.community_joint_committee.sum() + st.street_joint_committee.sum()
            )
        }

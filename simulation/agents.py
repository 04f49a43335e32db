"""Mesa agents: streets, communities, unit organisations, districts, party members, alliances.

Organisations, members and alliances are `mesa.Agent`s so that Mesa's tools (AgentSet
selection, `agg`, `groupby`, DataCollector agent-type reporters, the visualisation) work on
them. Their state lives in the model's columns (`model.city` and the mode/mechanism arrays);
each agent holds its row index and exposes that row through read-only properties. This keeps
the daily processes vectorised (a Python call per agent per day would not scale to the full
city) while every organisation and member stays an addressable agent.

Residents and problems are not agents: two million residents and a million problems a year
are columns owned by the model (design.md §3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from simulation.categories import CATEGORIES
from simulation.city import UnitKind

if TYPE_CHECKING:
    from simulation.model import CityModel

__all__ = [
    "Alliance",
    "CommercialDistrict",
    "Community",
    "PartyMember",
    "Street",
    "UnitOrganisation",
]


class _RowAgent(mesa.Agent):
    """An agent that is a view on row `index` of the model's columns."""

    model: CityModel

    def __init__(self, model: CityModel, index: int) -> None:
        super().__init__(model)
        self.index = int(index)


class Street(_RowAgent):
    """A street (sub-district) and its party working committee."""

    @property
    def communities(self) -> list[int]:
        return [int(k) for k in (self.model.city.community_street == self.index).nonzero()[0]]

    @property
    def joint_committee(self) -> bool:
        """Whether the street has a joint working committee (regional co-construction)."""
        return bool(self.model.structure.street_joint_committee[self.index])


class Community(_RowAgent):
    """A residential community and its party organisation."""

    TYPES = ("old", "ordinary", "strong")

    @property
    def street(self) -> int:
        return int(self.model.city.community_street[self.index])

    @property
    def strength(self) -> float:
        return float(self.model.city.community_strength[self.index])

    @property
    def community_type(self) -> str:
        return self.TYPES[int(self.model.city.community_type[self.index])]

    @property
    def n_residents(self) -> int:
        return int(self.model.city.community_residents[self.index])

    @property
    def n_grids(self) -> int:
        return int(self.model.city.community_grids[self.index])

    @property
    def staff_hours_per_day(self) -> float:
        return float(self.model.city.community_staff_hours[self.index])

    @property
    def joint_committee(self) -> bool:
        """Whether the community has a joint party committee (regional co-construction)."""
        return bool(self.model.structure.community_joint_committee[self.index])

    @property
    def open_problems(self) -> int:
        return int(self.model.service.open_by_community()[self.index])

    @property
    def needs_met_rate(self) -> float:
        """Share of this community's decided problems resolved so far (all days)."""
        svc = self.model.service
        done = svc.resolved_by_community[self.index] + svc.expired_by_community[self.index]
        return float(svc.resolved_by_community[self.index] / done) if done else float("nan")


class UnitOrganisation(_RowAgent):
    """An agency, enterprise, social organisation or park with a resource profile."""

    @property
    def kind(self) -> str:
        return UnitKind.NAMES[int(self.model.city.unit_kind[self.index])]

    @property
    def community(self) -> int:
        return int(self.model.city.unit_community[self.index])

    @property
    def primary_category(self) -> str | None:
        p = int(self.model.city.unit_primary[self.index])
        return CATEGORIES[p] if p >= 0 else None

    @property
    def resources(self) -> dict[str, float]:
        row = self.model.city.unit_resources[self.index]
        return {cat: float(v) for cat, v in zip(CATEGORIES, row, strict=True)}

    @property
    def formal_party_org(self) -> bool:
        return bool(self.model.city.unit_formal_party_org[self.index])

    @property
    def party_covered(self) -> bool:
        """Covered by a formal or a joint party organisation (red commercial street)."""
        return bool(self.model.structure.unit_covered[self.index])

    @property
    def party_members(self) -> int:
        """Party members employed (agencies: in-service members; covered firms: a few)."""
        return int(self.model.city.unit_members[self.index])

    @property
    def paired(self) -> bool:
        """Paired with a community (dual reporting; agencies only)."""
        return bool(self.model.structure.agency_paired[self.index])


class CommercialDistrict(_RowAgent):
    """A shopping street, business building or market, hosted by a community."""

    @property
    def community(self) -> int:
        return int(self.model.city.district_community[self.index])

    @property
    def joint_party_org(self) -> bool:
        return bool(self.model.structure.district_joint_org[self.index])


class PartyMember(_RowAgent):
    """A party member: an agency's in-service member or an active community member."""

    @property
    def kind(self) -> str:
        return ("agency", "community")[int(self.model.city.member_kind[self.index])]

    @property
    def employer(self) -> int | None:
        e = int(self.model.city.member_employer[self.index])
        return e if e >= 0 else None

    @property
    def home_community(self) -> int:
        return int(self.model.city.member_home[self.index])

    @property
    def skill(self) -> str:
        return CATEGORIES[int(self.model.city.member_skill[self.index])]

    @property
    def reporting(self) -> bool:
        """Currently reporting to (serving in) the home community (dual reporting)."""
        return bool(self.model.structure.member_reporting[self.index])

    @property
    def points(self) -> float:
        """Service points: planned service hours credited monthly while reporting."""
        return float(self.model.structure.member_points[self.index])


class Alliance(_RowAgent):
    """A party-building alliance (党建联合体) of several organisations, kept by the mechanisms."""

    @property
    def kind(self) -> str:
        return self.model.alliances.kind_name(self.index)

    @property
    def communities(self) -> list[int]:
        return list(self.model.alliances.communities[self.index])

    @property
    def units(self) -> list[int]:
        return list(self.model.alliances.units[self.index])

    @property
    def chains(self) -> list[str]:
        return [CATEGORIES[c] for c in self.model.alliances.chains[self.index]]

    @property
    def status(self) -> str:
        return self.model.alliances.status_name(self.index)

    @property
    def tie(self) -> float:
        return float(self.model.alliances.tie[self.index])

    @property
    def budget(self) -> float:
        return float(self.model.alliances.budget[self.index])

    @property
    def activities(self) -> int:
        return int(self.model.alliances.activities[self.index])

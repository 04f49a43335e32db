"""Parameters of the six integration modes, one frozen dataclass each.

They sit apart from the mode code so the scenario schema can import them without importing the
model. Every mode has `enabled` and `strength`: strength 0 means "switched on but doing
nothing", which must reproduce the baseline bit for bit; 1 means "as the source describes".
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation.scenario.params import param

__all__ = [
    "CentralCommunityParams",
    "CrossDomainParams",
    "DualReportingParams",
    "RedCommercialStreetParams",
    "RegionalParams",
    "SmartPlatformParams",
]

_ENABLED = "switch the mode on"
_STRENGTH = "scale of every effect of the mode: 0 = no effect (baseline), 1 = as described"


@dataclass(frozen=True, kw_only=True)
class RegionalParams:
    """Regional co-construction: joint committees co-opt the units located in the area."""

    enabled: bool = param(False, _ENABLED, "brief mode 1")
    strength: float = param(1.0, _STRENGTH, "assumption", lo=0.0, hi=2.0)
    coverage: float = param(
        1.0,
        "share of communities with a joint party committee (their streets get a joint working "
        "committee)",
        "calibration A: all 44 streets and 291 communities",
        lo=0.0,
        hi=1.0,
    )
    max_units_per_committee: int = param(
        27,
        "most units a community committee co-opts",
        "calibration A: Tienan, 27 units",
        lo=1,
        hi=1000,
    )
    street_weight: float = param(
        0.3,
        "weight of the street committee's units for each of its communities",
        "assumption: street units serve several communities",
        lo=0.0,
        hi=1.0,
    )
    unit_hours_per_month: float = param(
        4.0,
        "hours a co-opted unit gives its community per month (at full tie strength)",
        "assumption",
        lo=0.0,
        hi=500.0,
    )
    meeting_interval_days: int = param(
        30,
        "days between joint meetings; problems that need a unit's resources wait for the next",
        "brief mechanism 2 (regular joint meetings); assumption: monthly",
        lo=1,
        hi=365,
    )


@dataclass(frozen=True, kw_only=True)
class CrossDomainParams:
    """Cross-domain alliances: communities linked by complementarity to units anywhere."""

    enabled: bool = param(False, _ENABLED, "brief mode 2")
    strength: float = param(1.0, _STRENGTH, "assumption", lo=0.0, hi=2.0)
    n_alliances: int = param(
        300, "cross-domain alliances formed city-wide", "calibration A: 300+", lo=0, hi=100_000
    )
    partners_per_alliance: int = param(
        3,
        "unit partners of each alliance besides its lead community",
        "assumption (Herun's 26 organisations is the exception)",
        lo=1,
        hi=30,
    )
    chains_per_alliance: float = param(
        3.3,
        "mean chains (categories routed to a partner) per alliance",
        "calibration A: nearly 1,000 chains from 300+ alliances",
        lo=1.0,
        hi=8.0,
    )
    partner_hours_per_month: float = param(
        6.0,
        "hours each partner gives the alliance's community per month (at full tie strength)",
        "assumption",
        lo=0.0,
        hi=500.0,
    )


@dataclass(frozen=True, kw_only=True)
class CentralCommunityParams:
    """Central community: strong communities lift the weak old communities next to them."""

    enabled: bool = param(False, _ENABLED, "brief mode 3")
    strength: float = param(1.0, _STRENGTH, "assumption", lo=0.0, hi=2.0)
    centre_share: float = param(
        0.15,
        "share of communities (the strongest) that become centres",
        "assumption; calibration A: Zhenxing street has two centres",
        lo=0.0,
        hi=0.5,
    )
    max_weak_per_centre: int = param(
        6, "most weak communities a centre takes on", "calibration A: 6 and 3", lo=1, hi=20
    )
    capacity_share: float = param(
        0.25,
        "share of a centre's daily hours lent to its cluster",
        "assumption",
        lo=0.0,
        hi=0.9,
    )
    resource_share: float = param(
        0.6,
        "share of the centre's competence reachable by its weak communities (at full tie)",
        "assumption",
        lo=0.0,
        hi=1.0,
    )
    information_share: float = param(
        0.5,
        "share of the centre's grid discovery rate added in its weak communities "
        "(information shared)",
        "assumption",
        lo=0.0,
        hi=1.0,
    )


@dataclass(frozen=True, kw_only=True)
class DualReportingParams:
    """Dual reporting: agencies pair with communities; agency members serve where they live."""

    enabled: bool = param(False, _ENABLED, "brief mode 4")
    strength: float = param(1.0, _STRENGTH, "assumption", lo=0.0, hi=2.0)
    agency_pairing_coverage: float = param(
        1.0,
        "share of agencies paired with a community",
        "calibration A: all 69 + 1,036 agencies paired",
        lo=0.0,
        hi=1.0,
    )
    reporting_target: float = param(
        0.95,
        "share of agency members reporting when participation counts in appraisal",
        "calibration E: Xingtai, units lose eligibility under 95 %; A: 23,800 reported",
        lo=0.0,
        hi=1.0,
    )
    appraisal: bool = param(
        True,
        "points and penalties count in the units' appraisal (keeps participation up)",
        "brief mode 4 (points; loss of awards); calibration G6",
    )
    motivation_decay_per_month: float = param(
        0.15,
        "monthly relative decay of members' participation when it does not count in appraisal",
        "assumption; calibration G6 and E (participation decays without appraisal)",
        lo=0.0,
        hi=1.0,
    )
    hours_per_member_month: float = param(
        4.2,
        "service hours of a reporting member per month",
        "calibration E: >= 50 h a year",
        lo=0.0,
        hi=200.0,
    )
    visit_share: float = param(
        0.4,
        "share of members' hours spent visiting households (finding hidden problems)",
        "assumption",
        lo=0.0,
        hi=1.0,
    )
    residents_visited_per_hour: float = param(
        8.0,
        "residents reached per visiting hour",
        "assumption: about 3 households of 2.7 persons",
        lo=0.0,
        hi=100.0,
    )
    detection_per_visit: float = param(
        0.6,
        "chance a visit finds a visited resident's hidden problem",
        "assumption",
        lo=0.0,
        hi=1.0,
    )
    skill_resource: float = param(
        0.35,
        "competence a community gains in a category per 10 reporting members skilled in it, "
        "counted over its street's volunteer team (per community, at full scale)",
        "assumption (volunteer teams by speciality, brief mode 4)",
        lo=0.0,
        hi=2.0,
    )
    paired_refusal_reduction: float = param(
        0.5,
        "relative cut in refusals by a paired, competent agency (agencies move attention down)",
        "assumption; brief 'three improvements'",
        lo=0.0,
        hi=1.0,
    )


@dataclass(frozen=True, kw_only=True)
class RedCommercialStreetParams:
    """Red commercial street: joint party organisations and a service station in districts."""

    enabled: bool = param(False, _ENABLED, "brief mode 5")
    strength: float = param(1.0, _STRENGTH, "assumption", lo=0.0, hi=2.0)
    coverage: float = param(
        1.0,
        "share of commercial districts with a joint party organisation and service station",
        "assumption; calibration A/F: Victoria business district",
        lo=0.0,
        hi=1.0,
    )
    station_catchment: int = param(
        3,
        "communities served by a district's service station (the host and its nearest)",
        "assumption",
        lo=1,
        hi=50,
    )
    station_report_hazard: float = param(
        0.01,
        "extra daily chance that a resident of the catchment reports a problem at the station",
        "assumption",
        lo=0.0,
        hi=1.0,
    )
    station_resource: float = param(
        0.5,
        "competence the station adds in legal, labour, civil-affairs and market matters",
        "brief mode 5 (party, legal, labour, civil-affairs, financial services); level assumed",
        lo=0.0,
        hi=1.0,
    )


@dataclass(frozen=True, kw_only=True)
class SmartPlatformParams:
    """Smart party building: one platform, one-click requests, routing to the competent unit."""

    enabled: bool = param(False, _ENABLED, "brief mode 6")
    strength: float = param(1.0, _STRENGTH, "assumption", lo=0.0, hi=2.0)
    coverage: float = param(
        1.0,
        "share of streets on the platform",
        "assumption; calibration A: Xicheng street, 120 grids",
        lo=0.0,
        hi=1.0,
    )
    one_click_hazard: float = param(
        0.03,
        "extra daily chance that a resident with digital access reports a problem online "
        "(at full trust)",
        "assumption; calibration D (demand rises with easier channels)",
        lo=0.0,
        hi=1.0,
    )
    direct_routing: bool = param(
        True,
        "escalations go straight to the competent agency, skipping the street",
        "calibration A: 30+ departments, 130+ work items on one platform",
    )
    workflow_efficiency: float = param(
        0.2,
        "share of staff hours per problem saved by online workflows",
        "assumption; brief mode 6 ('much work, few hands')",
        lo=0.0,
        hi=0.9,
    )

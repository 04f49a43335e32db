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
#: Strength and coverage are what a planner chooses, not uncertain facts: `compare
#: --uncertainty` holds them at the scenario's values.
_LEVER = "planner's lever (1 = as the source describes)"


@dataclass(frozen=True, kw_only=True)
class RegionalParams:
    """Regional co-construction: joint committees co-opt the units located in the area."""

    enabled: bool = param(False, _ENABLED, "brief mode 1")
    strength: float = param(1.0, _STRENGTH, _LEVER, lo=0.0, hi=2.0)
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
    unit_hours_per_month: float = param(
        4.0,
        "hours a co-opted unit's people give to residents' problems per month (at full tie "
        "strength); a street committee's units split theirs over the street's covered "
        "communities. A unit without hours left declines a problem",
        "assumption: a few hours of a unit's staff a month; range 1-12 h",
        lo=0.0,
        hi=500.0,
        plausible=(1.0, 12.0),
    )
    meeting_interval_days: int = param(
        30,
        "days between joint meetings; problems that need a unit's resources wait for the next",
        "brief mechanism 2 (regular joint meetings); assumption: monthly; range 14-60 days",
        lo=1,
        hi=365,
        plausible=(14, 60),
    )


@dataclass(frozen=True, kw_only=True)
class CrossDomainParams:
    """Cross-domain alliances: communities linked by complementarity to units anywhere."""

    enabled: bool = param(False, _ENABLED, "brief mode 2")
    strength: float = param(1.0, _STRENGTH, _LEVER, lo=0.0, hi=2.0)
    n_alliances: int = param(
        330,
        "cross-domain alliance applications filed city-wide (about 300 approved within the year)",
        "calibration A: 300+ (300余个) exist; 330 filed so that 300+ are approved",
        lo=0,
        hi=100_000,
    )
    partners_per_alliance: int = param(
        3,
        "unit partners of each alliance besides its lead community",
        "assumption (Herun's 26 organisations is the exception); range 2-6",
        lo=1,
        hi=30,
        plausible=(2, 6),
    )
    chains_per_alliance: float = param(
        3.0,
        "mean chains (categories routed to a partner) per alliance",
        "calibration A: nearly 1,000 chains from 300+ alliances (about 330)",
        lo=1.0,
        hi=8.0,
    )
    partner_hours_per_month: float = param(
        6.0,
        "hours each partner's people give the alliance's problems per month (at full tie "
        "strength); a partner without hours left declines a problem",
        "assumption: a working day a month at most; range 2-16 h",
        lo=0.0,
        hi=500.0,
        plausible=(2.0, 16.0),
    )


@dataclass(frozen=True, kw_only=True)
class CentralCommunityParams:
    """Central community: strong communities lift the weak old communities next to them."""

    enabled: bool = param(False, _ENABLED, "brief mode 3")
    strength: float = param(1.0, _STRENGTH, _LEVER, lo=0.0, hi=2.0)
    centre_share: float = param(
        0.15,
        "share of communities (the strongest) that become centres",
        "assumption; calibration A: Zhenxing street has two centres; range 0.1-0.2",
        lo=0.0,
        hi=0.5,
        plausible=(0.1, 0.2),
    )
    max_weak_per_centre: int = param(
        6, "most weak communities a centre takes on", "calibration A: 6 and 3", lo=1, hi=20
    )
    capacity_share: float = param(
        0.25,
        "share of a centre's daily staff hours lent to its weak communities: the centre's staff "
        "work their problems with the centre's competence, and the centre loses the hours",
        "assumption; range 0.1-0.4",
        lo=0.0,
        hi=0.9,
        plausible=(0.1, 0.4),
    )
    information_share: float = param(
        0.5,
        "share of the centre's grid workers' time lent to its weak communities' grids "
        "(information shared is grid time shared: the centre finds less, the weak more)",
        "assumption; range 0.1-0.5",
        lo=0.0,
        hi=1.0,
        plausible=(0.1, 0.5),
    )


@dataclass(frozen=True, kw_only=True)
class DualReportingParams:
    """Dual reporting: agencies pair with communities; agency members serve where they live."""

    enabled: bool = param(False, _ENABLED, "brief mode 4")
    strength: float = param(1.0, _STRENGTH, _LEVER, lo=0.0, hi=2.0)
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
        "assumption; calibration G6 and E (participation decays without appraisal); range 0.05-0.3",
        lo=0.0,
        hi=1.0,
        plausible=(0.05, 0.3),
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
        "assumption; range 0.2-0.6",
        lo=0.0,
        hi=1.0,
        plausible=(0.2, 0.6),
    )
    residents_visited_per_hour: float = param(
        8.0,
        "residents reached per visiting hour",
        "assumption: about 3 households of 2.7 persons; range 4-12",
        lo=0.0,
        hi=100.0,
        plausible=(4.0, 12.0),
    )
    detection_per_visit: float = param(
        0.6,
        "chance a visit finds a visited resident's hidden problem",
        "assumption; range 0.3-0.9",
        lo=0.0,
        hi=1.0,
        plausible=(0.3, 0.9),
    )
    member_skill_competence: float = param(
        0.5,
        "hardest problem (difficulty 0-1) a reporting member can solve in their speciality; "
        "members' hours outside visits go to their street's volunteer team of that speciality",
        "assumption (volunteer teams by speciality, brief mode 4); range 0.3-0.7",
        lo=0.0,
        hi=1.0,
        plausible=(0.3, 0.7),
    )
    paired_agency_hours_per_month: float = param(
        8.0,
        "hours a paired agency's staff give their community's problems per month, in the "
        "categories the agency is competent in (agencies move their attention down)",
        "assumption; brief 'three improvements'; range 2-20 h",
        lo=0.0,
        hi=500.0,
        plausible=(2.0, 20.0),
    )


@dataclass(frozen=True, kw_only=True)
class RedCommercialStreetParams:
    """Red commercial street: joint party organisations and a service station in districts."""

    enabled: bool = param(False, _ENABLED, "brief mode 5")
    strength: float = param(1.0, _STRENGTH, _LEVER, lo=0.0, hi=2.0)
    coverage: float = param(
        1.0,
        "share of commercial districts with a joint party organisation and service station",
        "planner's lever; calibration A/F: Victoria business district is the source's example",
        lo=0.0,
        hi=1.0,
    )
    station_catchment: int = param(
        3,
        "communities served by a district's service station (the host and its nearest)",
        "assumption; range 2-5",
        lo=1,
        hi=50,
        plausible=(2, 5),
    )
    organising_hours_per_month: float = param(
        20.0,
        "host community staff hours a joint organisation takes to run per month",
        "assumption; range 8-40 h",
        lo=0.0,
        hi=1000.0,
        plausible=(8.0, 40.0),
    )
    member_service_hours_per_month: float = param(
        2.0,
        "service hours per month each party member of the district's covered enterprises and "
        "social organisations gives to the catchment's residents (the 'two coverages' reach them)",
        "assumption (as community members' volunteering); range 0.5-4 h",
        lo=0.0,
        hi=200.0,
        plausible=(0.5, 4.0),
    )
    station_hours_per_day: float = param(
        8.0,
        "staff hours per day of a district's party-and-mass service station",
        "assumption: one full-time worker; range 4-16 h",
        lo=0.0,
        hi=100.0,
        plausible=(4.0, 16.0),
    )
    station_outreach_share: float = param(
        0.25,
        "share of the station's hours spent on outreach in the catchment (finding problems)",
        "assumption; range 0.1-0.5",
        lo=0.0,
        hi=1.0,
        plausible=(0.1, 0.5),
    )
    station_contacts_per_hour: float = param(
        8.0,
        "residents reached per outreach hour",
        "assumption (as dual reporting's visits); range 4-15",
        lo=0.0,
        hi=100.0,
        plausible=(4.0, 15.0),
    )
    station_detection_per_contact: float = param(
        0.6,
        "chance that reaching a resident finds their hidden problem",
        "assumption (as dual reporting's visits); range 0.3-0.9",
        lo=0.0,
        hi=1.0,
        plausible=(0.3, 0.9),
    )
    station_resource: float = param(
        0.5,
        "hardest problem (difficulty 0-1) the station solves in legal, labour, civil-affairs and "
        "market matters",
        "brief mode 5 (party, legal, labour, civil-affairs, financial services); level assumed, "
        "range 0.3-0.7",
        lo=0.0,
        hi=1.0,
        plausible=(0.3, 0.7),
    )
    station_cost_yuan_per_year: float = param(
        100_000.0,
        "yearly cost of a service station (rent, worker, services)",
        "assumption: one worker and a room in a mall; range 50,000-200,000 yuan",
        lo=0.0,
        hi=1e9,
        plausible=(50_000.0, 200_000.0),
    )


@dataclass(frozen=True, kw_only=True)
class SmartPlatformParams:
    """Smart party building: one platform, one-click requests, routing to the competent unit."""

    enabled: bool = param(False, _ENABLED, "brief mode 6")
    strength: float = param(1.0, _STRENGTH, _LEVER, lo=0.0, hi=2.0)
    coverage: float = param(
        1.0,
        "share of streets on the platform",
        "planner's lever; calibration A: Xicheng street, 120 grids, is the source's example",
        lo=0.0,
        hi=1.0,
    )
    one_click_hazard: float = param(
        0.03,
        "extra daily chance that a resident who has adopted the platform reports a problem "
        "online (at full trust)",
        "assumption; calibration D (demand rises with easier channels); range 0.01-0.06",
        lo=0.0,
        hi=1.0,
        plausible=(0.01, 0.06),
    )
    adoption_innovation: float = param(
        0.3,
        "Bass innovation rate of platform adoption among residents with digital access, per "
        "year (adoption A grows by (p + q A)(1 - A) a year)",
        "Bass (1969) diffusion model; consumer durables average p = 0.03 (Sultan, Farley & "
        "Lehmann 1990) is the lower end; assumption: grid workers sign residents up; range "
        "0.03-0.6",
        lo=0.0,
        hi=10.0,
        plausible=(0.03, 0.6),
    )
    adoption_imitation: float = param(
        1.0,
        "Bass imitation rate of platform adoption, per year",
        "Bass (1969); consumer durables average q = 0.38 (Sultan, Farley & Lehmann 1990) is the "
        "lower end; assumption: a free app shared in neighbours' chat groups; range 0.38-2",
        lo=0.0,
        hi=20.0,
        plausible=(0.38, 2.0),
    )
    direct_routing: bool = param(
        True,
        "escalations go straight to the competent level (with probability min(strength, 1), "
        "decided per problem), skipping the street's forwarding",
        "calibration A: 30+ departments, 130+ work items on one platform",
    )
    workflow_efficiency: float = param(
        0.2,
        "share of staff hours per problem saved by online workflows",
        "assumption; brief mode 6 ('much work, few hands'); range 0.05-0.35",
        lo=0.0,
        hi=0.9,
        plausible=(0.05, 0.35),
    )
    build_yuan_per_street: float = param(
        150_000.0,
        "one-off cost of putting a street on the platform (software share, data entry, devices)",
        "assumption; range 50,000-500,000 yuan",
        lo=0.0,
        hi=1e10,
        plausible=(50_000.0, 500_000.0),
    )
    operation_yuan_per_street_year: float = param(
        60_000.0,
        "yearly cost of running the platform per street (hosting, maintenance, operators)",
        "assumption; range 20,000-150,000 yuan",
        lo=0.0,
        hi=1e10,
        plausible=(20_000.0, 150_000.0),
    )

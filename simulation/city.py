"""Building the synthetic city from a scenario: columns of numbers, not Python objects.

Everything a day of simulation touches in bulk lives here as numpy arrays (the way Starsim and
Covasim store people): communities, units, members, residents. The Mesa agents of
`simulation.agents` are thin views on these arrays, so Mesa's tools can read them while the
daily processes stay vectorised.

Defaults come from the scenario (each cites calibration.md or says "assumption").

**Scale samples whole communities.** At `scale` s < 1 the city is built in full (every street,
community, organisation, member and alliance keeps its full-city count), and a stratified
sample of round(s x communities) whole communities is *simulated*: only they get residents and
problems, at full density. A simulated community therefore has the staff, grids, members and
queue of the real one, so its waits are those of the full city; thinning residents instead
would leave each community a fraction of a worker and make queues lumpy (docs/ODD.md,
"Scales"). The sample is systematic over communities ordered by strength, from a random start
(stream `city.sample`), so strong and weak communities are represented in proportion. What the
whole city shares, agencies' hours for escalations, is scaled by the simulated share of
residents (`sample_share`), so each problem meets the same load as at full scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simulation.categories import CATEGORIES, INDEX, N_CATEGORIES
from simulation.rng import RandomStreams

if TYPE_CHECKING:
    from simulation.scenario import Scenario

__all__ = ["City", "UnitKind", "build_city"]


class UnitKind:
    """Kinds of unit organisations (int codes used in arrays)."""

    CITY_AGENCY = 0
    COUNTY_AGENCY = 1
    STATE_ENTERPRISE = 2
    NONPUBLIC_ENTERPRISE = 3
    SOCIAL_ORGANISATION = 4
    PARK = 5
    NAMES = (
        "city_agency",
        "county_agency",
        "state_enterprise",
        "nonpublic_enterprise",
        "social_organisation",
        "park",
    )


# Resource profiles of unit kinds over problem categories (assumption, from the brief: agencies
# hold their department's competence; state enterprises run heating, water and power; firms and
# parks offer jobs and market know-how; social organisations do care, legal aid and mediation).
_PROFILES: dict[int, dict[str, tuple[float, float]]] = {
    UnitKind.STATE_ENTERPRISE: {
        "utilities": (0.55, 0.9),
        "labour_social_security": (0.2, 0.5),
        "housing": (0.1, 0.4),
    },
    UnitKind.NONPUBLIC_ENTERPRISE: {
        "market_commerce": (0.2, 0.6),
        "labour_social_security": (0.1, 0.4),
        "city_management": (0.0, 0.2),
    },
    UnitKind.SOCIAL_ORGANISATION: {
        "civil_affairs": (0.3, 0.7),
        "social_order": (0.2, 0.6),
        "housing": (0.0, 0.3),
    },
    UnitKind.PARK: {
        "labour_social_security": (0.4, 0.8),
        "market_commerce": (0.3, 0.6),
        "traffic_parking": (0.1, 0.3),
    },
}


@dataclass
class City:
    """The city's columns. Indices: streets s, communities k, units u, members m, residents i."""

    # streets and communities
    n_streets: int
    community_street: np.ndarray  # (K,) int32
    community_strength: np.ndarray  # (K,) float64 in [0, 1]
    community_type: np.ndarray  # (K,) int8: 0 old, 1 ordinary, 2 strong
    community_residents: np.ndarray  # (K,) int64 simulated residents (0 if not simulated)
    community_population: np.ndarray  # (K,) int64 residents at full scale
    simulated: np.ndarray  # (K,) bool: the community is in the simulated sample
    community_grids: np.ndarray  # (K,) int32
    community_staff_hours: np.ndarray  # (K,) staff hours per day for residents' problems
    community_member_hours: np.ndarray  # (K,) volunteer hours per day of community members
    grid_staffing: np.ndarray  # (K,) in [0, 1]
    competence: np.ndarray  # (K, C) own competence
    street_competence: np.ndarray  # (S, C)
    # units
    unit_kind: np.ndarray  # (U,) int8
    unit_community: np.ndarray  # (U,) int32
    unit_resources: np.ndarray  # (U, C) float64
    unit_primary: np.ndarray  # (U,) int8, primary category (-1 none)
    unit_district: np.ndarray  # (U,) int32, commercial district (-1 none)
    unit_formal_party_org: np.ndarray  # (U,) bool
    unit_members: np.ndarray  # (U,) int32 party members employed
    # commercial districts
    district_community: np.ndarray  # (D,) int32 host community
    # members (agents): agency in-service members then community members
    member_kind: np.ndarray  # (M,) int8: 0 agency, 1 community
    member_employer: np.ndarray  # (M,) int32 unit index (-1 for community members)
    member_home: np.ndarray  # (M,) int32 community
    member_skill: np.ndarray  # (M,) int8 category
    # residents
    resident_community: np.ndarray  # (N,) int32, sorted
    resident_grid: np.ndarray  # (N,) int32 global grid id
    resident_elderly: np.ndarray  # (N,) bool
    resident_digital: np.ndarray  # (N,) bool
    scale: float
    sample_share: float  # simulated residents / all residents (1 at full scale)
    # agencies' departments (one per category: the agencies whose primary category it is)
    department_competence: np.ndarray  # (C,) best competence among the department's agencies
    department_hours: np.ndarray  # (C,) hours per day for escalations, for the simulated sample

    @property
    def n_communities(self) -> int:
        return int(self.community_street.size)

    @property
    def n_units(self) -> int:
        return int(self.unit_kind.size)

    @property
    def n_residents(self) -> int:
        return int(self.resident_community.size)

    @property
    def n_members(self) -> int:
        return int(self.member_kind.size)

    @property
    def n_agencies(self) -> int:
        return int(np.count_nonzero(self.unit_kind <= UnitKind.COUNTY_AGENCY))

    def agency_mask(self) -> np.ndarray:
        return self.unit_kind <= UnitKind.COUNTY_AGENCY

    def party_covered_base(self) -> np.ndarray:
        """Non-public enterprises and social organisations (the coverage denominator)."""
        return (self.unit_kind == UnitKind.NONPUBLIC_ENTERPRISE) | (
            self.unit_kind == UnitKind.SOCIAL_ORGANISATION
        )


def _split(total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
    """Integer split of `total` proportional to weights, each at least `minimum` (largest remainder)."""
    n = weights.size
    base = np.full(n, minimum, dtype=np.int64)
    rest = total - minimum * n
    if rest <= 0:
        return base
    share = weights / weights.sum() * rest
    floor = np.floor(share).astype(np.int64)
    remainder = rest - floor.sum()
    order = np.argsort(-(share - floor), kind="stable")
    floor[order[:remainder]] += 1
    return base + floor


def sample_communities(strength: np.ndarray, scale: float, rng: np.random.Generator) -> np.ndarray:
    """Which communities are simulated at `scale`: all at 1; otherwise round(scale * K) (at least
    one), a systematic sample over communities ordered by strength from a random start."""
    K = strength.size
    u = rng.random()  # drawn at every scale, so the stream's use does not depend on it
    n = max(1, round(scale * K))
    out = np.zeros(K, dtype=bool)
    if n >= K:
        out[:] = True
        return out
    order = np.argsort(strength, kind="stable")
    step = K / n
    out[order[np.floor(u * step + step * np.arange(n)).astype(np.int64)]] = True
    return out


def build_city(s: Scenario, streams: RandomStreams) -> City:
    """Build the city of scenario `s` with the `city` random stream (sample: `city.sample`)."""
    rng = streams.generator("city")
    c = s.city
    K, S, C = c.n_communities, c.n_streets, N_CATEGORIES
    scale = s.run.scale

    # Streets get at least one community each; the rest are spread at random.
    per_street = _split(K, rng.dirichlet(np.full(S, 8.0)), 1)
    community_street = np.repeat(np.arange(S, dtype=np.int32), per_street)

    # Community types: weak old, ordinary, strong (assumption: shares from the scenario).
    u = rng.random(K)
    ctype = np.ones(K, dtype=np.int8)
    ctype[u < c.old_community_share] = 0
    ctype[u >= 1.0 - c.strong_community_share] = 2
    lo = np.array([0.05, 0.35, 0.75])[ctype]
    hi = np.array([0.35, 0.75, 0.95])[ctype]
    strength = lo + (hi - lo) * rng.random(K)

    # Populations: lognormal sizes with the given CV, split to the scaled total.
    sigma = np.sqrt(np.log1p(c.community_size_cv**2))
    size_w = rng.lognormal(-0.5 * sigma**2, sigma, K)
    full_pop = _split(c.residents, size_w, 1)
    simulated = sample_communities(strength, scale, streams.generator("city.sample"))
    pop = np.where(simulated, full_pop, 0)
    n_res = int(pop.sum())
    sample_share = n_res / max(int(full_pop.sum()), 1)
    grids = np.maximum(1, np.round(full_pop / c.residents_per_grid)).astype(np.int32)

    # Staff: stronger communities are better staffed; mean per 10k residents as given.
    staff_w = 0.6 + 0.8 * strength
    staff_w = staff_w / np.average(staff_w, weights=full_pop)
    staff_hours = c.staff_per_10k * full_pop / 10_000.0 * staff_w * c.staff_hours_per_day
    grid_staffing = (
        s.service.grid_staffing_weak
        + (s.service.grid_staffing_strong - s.service.grid_staffing_weak) * strength
    )

    base = np.array([getattr(s.service.competence, cat) for cat in CATEGORIES])
    competence = np.clip(base[None, :] * (0.5 + strength[:, None]), 0.0, 1.0)
    street_comp = np.zeros((S, C))
    np.add.at(street_comp, community_street, competence)
    street_comp /= np.bincount(community_street, minlength=S)[:, None]
    street_comp = np.clip(street_comp + s.service.street_competence_bonus, 0.0, 1.0)

    # Units.
    counts = [
        (UnitKind.CITY_AGENCY, c.n_city_agencies),
        (UnitKind.COUNTY_AGENCY, c.n_county_agencies),
        (UnitKind.STATE_ENTERPRISE, c.n_state_enterprises),
        (UnitKind.NONPUBLIC_ENTERPRISE, c.n_nonpublic_enterprises),
        (UnitKind.SOCIAL_ORGANISATION, c.n_social_organisations),
        (UnitKind.PARK, c.n_parks),
    ]
    kind = np.concatenate([np.full(n, k, dtype=np.int8) for k, n in counts])
    U = kind.size
    resources = np.zeros((U, C))
    primary = np.full(U, -1, dtype=np.int8)
    shares = np.array([getattr(s.demand.category_shares, cat) for cat in CATEGORIES])
    shares = shares / shares.sum()  # validated to 1e-6; numpy's choice() wants ~1e-8
    agencies = np.flatnonzero(kind <= UnitKind.COUNTY_AGENCY)
    # Agencies: one department category (more agencies for bigger categories), strong in it.
    primary[agencies] = rng.choice(C, size=agencies.size, p=shares)
    resources[agencies, primary[agencies]] = rng.uniform(0.75, 0.95, agencies.size)
    secondary = rng.choice(C, size=agencies.size, p=shares)
    sec_mask = secondary != primary[agencies]
    resources[agencies[sec_mask], secondary[sec_mask]] = rng.uniform(0.2, 0.5, sec_mask.sum())
    for k, profile in _PROFILES.items():
        idx = np.flatnonzero(kind == k)
        for cat, (a, b) in profile.items():
            resources[idx, INDEX[cat]] = rng.uniform(a, b, idx.size)
        if idx.size:
            primary[idx] = np.argmax(resources[idx], axis=1)

    # Locations: city agencies sit in the central streets (the first third, assumption),
    # everything else anywhere, more often in bigger communities.
    pop_w = full_pop / full_pop.sum()
    location = rng.choice(K, size=U, p=pop_w).astype(np.int32)
    central = np.flatnonzero(community_street < max(1, S // 3))
    city_ag = np.flatnonzero(kind == UnitKind.CITY_AGENCY)
    if central.size and city_ag.size:
        location[city_ag] = rng.choice(central, size=city_ag.size)

    # Commercial districts: hosted by ordinary or strong communities (busy centres).
    D = c.n_commercial_districts
    hosts_pool = np.flatnonzero(ctype >= 1)
    if hosts_pool.size < D:
        hosts_pool = np.arange(K)
    district_community = rng.choice(hosts_pool, size=D, replace=hosts_pool.size < D).astype(
        np.int32
    )
    district = np.full(U, -1, dtype=np.int32)
    for k, share in (
        (UnitKind.NONPUBLIC_ENTERPRISE, c.district_share_nonpublic),
        (UnitKind.SOCIAL_ORGANISATION, c.district_share_social),
    ):
        idx = np.flatnonzero(kind == k)
        if D == 0 or idx.size == 0:
            continue
        in_d = idx[rng.random(idx.size) < share]
        district[in_d] = rng.integers(0, D, in_d.size)
        location[in_d] = district_community[district[in_d]]

    # Formal party organisations: agencies, state enterprises and parks have them; firms and
    # social organisations at the national rates city-wide (calibration F), lower inside
    # commercial districts and correspondingly higher outside.
    formal = kind <= UnitKind.STATE_ENTERPRISE
    formal |= kind == UnitKind.PARK
    draw = rng.random(U)
    for k, rate in (
        (UnitKind.NONPUBLIC_ENTERPRISE, c.coverage_nonpublic),
        (UnitKind.SOCIAL_ORGANISATION, c.coverage_social),
    ):
        sel = kind == k
        # The share actually placed in districts (none when the city has no districts).
        share = (
            (
                c.district_share_nonpublic
                if k == UnitKind.NONPUBLIC_ENTERPRISE
                else c.district_share_social
            )
            if D
            else 0.0
        )
        outside = (rate - c.coverage_in_districts * share) / (1.0 - share) if share < 1 else rate
        p = np.where(district >= 0, c.coverage_in_districts, outside)
        formal[sel] = draw[sel] < p[sel]

    # Members employed by agencies (agents) and members counted in covered units.
    unit_members = np.zeros(U, dtype=np.int32)
    n_agency_members = c.agency_members
    if agencies.size and n_agency_members:
        agency_size = rng.lognormal(0.0, 0.6, agencies.size)
        unit_members[agencies] = _split(n_agency_members, agency_size, 0)
    firm_like = formal & (kind >= UnitKind.STATE_ENTERPRISE)
    unit_members[firm_like] = c.members_per_covered_enterprise

    employer = np.repeat(agencies, unit_members[agencies]).astype(np.int32)
    # Members live where residents live (in proportion to population).
    home_a = rng.choice(K, size=employer.size, p=pop_w).astype(np.int32)
    # Skills: half follow the employer's department, half anything (assumption).
    skill_a = np.where(
        rng.random(employer.size) < 0.5,
        primary[employer] if employer.size else np.zeros(0, dtype=np.int8),
        rng.choice(C, size=employer.size, p=shares),
    ).astype(np.int8)
    n_comm_members = round(c.community_member_share * int(full_pop.sum()))
    home_c = rng.choice(K, size=n_comm_members, p=pop_w).astype(np.int32)
    skill_c = rng.choice(C, size=n_comm_members, p=shares).astype(np.int8)
    member_kind = np.concatenate(
        [np.zeros(employer.size, np.int8), np.ones(n_comm_members, np.int8)]
    )
    member_employer = np.concatenate([employer, np.full(n_comm_members, -1, np.int32)])
    member_home = np.concatenate([home_a, home_c])
    member_skill = np.concatenate([skill_a, skill_c])
    comm_member_hours = np.bincount(home_c, minlength=K) * c.community_member_hours_per_month / 30.0

    # Departments: agencies of one primary category handle that category's escalations with
    # the hours their people give to community problems (the city's, scaled to the sample).
    dept = primary[agencies].astype(np.int64)
    department_competence = np.zeros(C)
    if agencies.size:
        np.maximum.at(department_competence, dept, resources[agencies, dept])
    department_hours = (
        np.bincount(dept, weights=unit_members[agencies], minlength=C)
        * s.service.agency_hours_per_member_day
        * sample_share
    )

    # Residents (simulated communities only): one row each, sorted by community.
    res_comm = np.repeat(np.arange(K, dtype=np.int32), pop)
    grid_offset = np.concatenate([[0], np.cumsum(grids)[:-1]])
    within = np.arange(n_res) - np.repeat(np.cumsum(pop) - pop, pop)
    res_grid = (
        grid_offset[res_comm] + within * grids[res_comm] // np.maximum(pop[res_comm], 1)
    ).astype(np.int32)
    elderly = rng.random(n_res) < c.share_aged_60_plus
    digital_p = np.where(elderly, c.digital_access_60_plus, c.digital_access_under_60)
    digital = rng.random(n_res) < digital_p

    return City(
        n_streets=S,
        community_street=community_street,
        community_strength=strength,
        community_type=ctype,
        community_residents=pop,
        community_population=full_pop,
        simulated=simulated,
        community_grids=grids,
        community_staff_hours=staff_hours,
        community_member_hours=comm_member_hours,
        grid_staffing=grid_staffing,
        competence=competence,
        street_competence=street_comp,
        unit_kind=kind,
        unit_community=location,
        unit_resources=resources,
        unit_primary=primary,
        unit_district=district,
        unit_formal_party_org=formal,
        unit_members=unit_members,
        district_community=district_community,
        member_kind=member_kind,
        member_employer=member_employer,
        member_home=member_home,
        member_skill=member_skill,
        resident_community=res_comm,
        resident_grid=res_grid,
        resident_elderly=elderly,
        resident_digital=digital,
        scale=scale,
        sample_share=sample_share,
        department_competence=department_competence,
        department_hours=department_hours,
    )

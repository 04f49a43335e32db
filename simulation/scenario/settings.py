"""The scenario schema: frozen dataclasses whose defaults are Chifeng 2018, each with its source.

A scenario is one TOML file (design.md §5). Its tables mirror the frozen dataclasses below,
whose defaults are the Chifeng 2018 city at full scale, siloed (every mode off). A file may
`extends = "other.toml"` to inherit another file and override some keys. Validation is strict
and collects every problem: unknown key, wrong type, out-of-range value, inconsistent
combination, malformed TOML, missing file. Each problem names the file and the dotted key.

Example:
    >>> from simulation.scenario import load_scenario
    >>> s = load_scenario("scenarios/baseline.toml", overrides={"scale": 0.01})
    >>> s.run.scale
    0.01
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, make_dataclass
from pathlib import Path
from typing import Any

from simulation.categories import CATEGORIES
from simulation.scenario.mechanism_params import MechanismSettings, PrincipleSettings
from simulation.scenario.mode_params import (
    CentralCommunityParams,
    CrossDomainParams,
    DualReportingParams,
    RedCommercialStreetParams,
    RegionalParams,
    SmartPlatformParams,
)
from simulation.scenario.params import ParamError, asdict, param, section

__all__ = ["Scenario", "ScenarioError"]


class ScenarioError(Exception):
    """A scenario (or sweep) file is unusable; carries every problem found, by file and key."""

    def __init__(self, file: str | Path | None, problems: list[ParamError]) -> None:
        self.file = str(file) if file is not None else None  # None: not about a file
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        """One line per problem: `file: key: message` (without the parts that are unknown)."""
        lines = []
        for p in self.problems:
            where = ": ".join(part for part in (self.file, p.key) if part)
            lines.append(f"{where}: {p.message}" if where else p.message)
        return "\n".join(lines)


def _category_table(
    name: str,
    defaults: dict[str, float],
    doc: str,
    source: str,
    lo: float,
    hi: float,
    spread: float | None = None,
):
    """A dataclass with one float field per problem category (a TOML sub-table).

    With `spread`, each value's plausible range is the default plus or minus `spread`.
    """

    def plausible(value: float) -> tuple[float, float] | None:
        if spread is None:
            return None
        return (round(max(lo, value - spread), 6), round(min(hi, value + spread), 6))

    fields = [
        (
            cat,
            float,
            param(
                defaults[cat],
                f"{doc}: {cat}",
                source,
                lo=lo,
                hi=hi,
                plausible=plausible(defaults[cat]),
            ),
        )
        for cat in CATEGORIES
    ]
    cls = make_dataclass(name, fields, frozen=True, kw_only=True)
    cls.__doc__ = doc
    cls.__module__ = __name__
    return cls


CategoryShares = _category_table(
    "CategoryShares",
    {
        "housing": 0.18,
        "city_management": 0.17,
        "utilities": 0.15,
        "labour_social_security": 0.13,
        "civil_affairs": 0.12,
        "market_commerce": 0.10,
        "traffic_parking": 0.08,
        "social_order": 0.07,
    },
    "share of problems by category (must sum to 1)",
    "calibration D (Beijing 2020 top ten, Jinan 2017) normalised; G3",
    0.0,
    1.0,
)

CategoryDifficulty = _category_table(
    "CategoryDifficulty",
    {
        "housing": 0.45,
        "city_management": 0.40,
        "utilities": 0.55,
        "labour_social_security": 0.55,
        "civil_affairs": 0.45,
        "market_commerce": 0.50,
        "traffic_parking": 0.50,
        "social_order": 0.40,
    },
    "mean difficulty (0-1) of a problem by category; the resources needed to solve it",
    "assumption; range: the value plus or minus 0.1",
    0.01,
    0.99,
    spread=0.1,
)

CategoryCompetence = _category_table(
    "CategoryCompetence",
    {
        "housing": 0.45,
        "city_management": 0.40,
        "utilities": 0.15,
        "labour_social_security": 0.30,
        "civil_affairs": 0.50,
        "market_commerce": 0.20,
        "traffic_parking": 0.25,
        "social_order": 0.50,
    },
    "competence (0-1) of an average community in a category; a problem is solvable locally "
    "when its difficulty is below the competence reachable there",
    "assumption; G5 (utilities and market matters sit with agencies and firms); range: the "
    "value plus or minus 0.1",
    0.0,
    1.0,
    spread=0.1,
)


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    """Horizon, replications, seed and scale of a study."""

    days: int = param(365, "simulated days (one step is one day)", "design.md §3", lo=1, hi=3650)
    warmup_days: int = param(
        30, "first days whose problems no metric counts", "design.md §3; assumption", lo=0, hi=3650
    )
    resolution_limit_days: int = param(
        30,
        "days a problem may stay unresolved before it expires (counts as not resolved)",
        "design.md §3",
        lo=1,
        hi=365,
    )
    window_days: int = param(
        30, "trailing window of the daily metric series", "assumption", lo=1, hi=365
    )
    replications: int = param(10, "replications per scenario", "design.md §7", lo=1, hi=100_000)
    seed: int = param(
        20180917, "base seed; replication r uses seed + r", "assumption", lo=0, hi=2**62
    )
    scale: float = param(
        1.0,
        "share of communities simulated: a stratified sample of whole communities at full "
        "density; organisations, members and alliances keep their full-city counts",
        "design.md §3 (one resident is one row at scale 1); docs/ODD.md 'Scales'",
        lo=0.0,
        hi=1.0,
        lo_open=True,
    )


@dataclass(frozen=True, kw_only=True)
class CitySettings:
    """The synthetic city at full scale: organisations, members and residents."""

    n_streets: int = param(44, "streets (sub-districts)", "calibration A", lo=1, hi=10_000)
    n_communities: int = param(291, "residential communities", "calibration A", lo=1, hi=100_000)
    residents: int = param(
        2_080_000,
        "urban residents at full scale",
        "calibration B (end 2018, derived)",
        lo=1,
        hi=50_000_000,
    )
    community_size_cv: float = param(
        0.35,
        "coefficient of variation of community population",
        "assumption; calibration C (1,000-5,000 households); range 0.2-0.5: the 1,000-5,000-household norm allows a narrower or wider spread",
        lo=0.0,
        hi=1.5,
        plausible=(0.2, 0.5),
    )
    old_community_share: float = param(
        0.35,
        "share of weak old communities",
        "assumption (brief mode 3: weak old communities); range 0.2-0.5: no Chifeng count of old communities was found",
        lo=0.0,
        hi=1.0,
        plausible=(0.2, 0.5),
    )
    strong_community_share: float = param(
        0.15,
        "share of strong, well-resourced communities",
        "assumption; range 0.08-0.25: no count found",
        lo=0.0,
        hi=1.0,
        plausible=(0.08, 0.25),
    )
    residents_per_grid: int = param(
        1000, "residents per grid", "calibration C (about 1,000 per grid)", lo=50, hi=100_000
    )
    staff_per_10k: float = param(
        12.0,
        "community workers per 10,000 residents (average community)",
        "assumption: below the 2025 target of 18 (calibration C); range 8-18: the 2025 target is the top",
        lo=0.0,
        hi=200.0,
        plausible=(8.0, 18.0),
    )
    staff_hours_per_day: float = param(
        0.6,
        "hours per worker per day left for residents' problems after other duties",
        "calibrated: strong communities use about 90 % of their hours in the baseline ('much work, few hands', brief mode 6; communities carry 100+ tasks); range 0.4-0.9 around the calibrated value",
        lo=0.0,
        hi=12.0,
        plausible=(0.4, 0.9),
    )
    share_aged_60_plus: float = param(
        0.2105, "share of residents aged 60+", "calibration B (2020 census)", lo=0.0, hi=1.0
    )
    digital_access_under_60: float = param(
        0.85,
        "share of residents under 60 with a smartphone and an account",
        "assumption; range 0.75-0.95: national smartphone use in 2018, no Chifeng figure",
        lo=0.0,
        hi=1.0,
        plausible=(0.75, 0.95),
    )
    digital_access_60_plus: float = param(
        0.35,
        "share of residents aged 60+ with digital access",
        "assumption; range 0.2-0.5: national surveys of older users vary this much",
        lo=0.0,
        hi=1.0,
        plausible=(0.2, 0.5),
    )
    n_city_agencies: int = param(69, "city-level agencies", "calibration A", lo=0, hi=100_000)
    n_county_agencies: int = param(
        1036, "county- and district-level agencies", "calibration A", lo=0, hi=100_000
    )
    n_state_enterprises: int = param(
        150,
        "state-owned enterprises",
        "assumption; range 100-250: no Chifeng count found",
        lo=0,
        hi=100_000,
        plausible=(100, 250),
    )
    n_nonpublic_enterprises: int = param(
        3000,
        "non-public enterprises",
        "assumption; range 2,000-4,500: no count of enterprises with party members found",
        lo=0,
        hi=1_000_000,
        plausible=(2000, 4500),
    )
    n_social_organisations: int = param(
        800,
        "social organisations",
        "assumption; range 500-1,200: no count found",
        lo=0,
        hi=1_000_000,
        plausible=(500, 1200),
    )
    n_commercial_districts: int = param(
        12,
        "commercial districts (shopping streets, business buildings, markets)",
        "assumption; range 8-20: no count found",
        lo=0,
        hi=10_000,
        plausible=(8, 20),
    )
    n_parks: int = param(
        6,
        "industrial parks",
        "assumption; range 3-10: no count found",
        lo=0,
        hi=10_000,
        plausible=(3, 10),
    )
    district_share_nonpublic: float = param(
        0.4,
        "share of non-public enterprises located in commercial districts",
        "assumption; range 0.3-0.42, capped so that the coverage outside districts stays below 100 %",
        lo=0.0,
        hi=1.0,
        plausible=(0.3, 0.42),
    )
    district_share_social: float = param(
        0.25,
        "share of social organisations located in commercial districts",
        "assumption; range 0.15-0.35",
        lo=0.0,
        hi=1.0,
        plausible=(0.15, 0.35),
    )
    coverage_nonpublic: float = param(
        0.731,
        "share of non-public enterprises with a formal party organisation, city-wide",
        "calibration F (national, end 2017); national rate used for Chifeng: range 0.70-0.75",
        lo=0.0,
        hi=1.0,
        plausible=(0.7, 0.75),
    )
    coverage_social: float = param(
        0.617,
        "share of social organisations with a formal party organisation, city-wide",
        "calibration F (national, end 2017); national rate used for Chifeng: range 0.58-0.65",
        lo=0.0,
        hi=1.0,
        plausible=(0.58, 0.65),
    )
    coverage_in_districts: float = param(
        0.45,
        "the same share inside commercial districts (small shops, new sectors); the rate "
        "outside districts follows so that the city-wide rate holds",
        "assumption (brief mode 5: districts are the coverage gap); range 0.42-0.55, kept where the coverage outside districts stays below 100 %",
        lo=0.0,
        hi=1.0,
        plausible=(0.42, 0.55),
    )
    agency_members: int = param(
        25_000,
        "in-service party members employed by agencies (full scale)",
        "assumption: 23,800 reported (calibration A) at ~95 % participation (E); range 23,800-28,000: 85-100 % of members reported",
        lo=0,
        hi=10_000_000,
        plausible=(23800, 28000),
    )
    community_member_share: float = param(
        0.01,
        "resident party members active in their community's own organisation, per resident",
        "assumption; range 0.5-2 % of residents (log-uniform): no count found",
        lo=0.0,
        hi=0.5,
        plausible=(0.005, 0.02),
        distribution="loguniform",
    )
    community_member_hours_per_month: float = param(
        2.0,
        "volunteer hours per active community member per month",
        "assumption; range 1-4 h (log-uniform)",
        lo=0.0,
        hi=200.0,
        plausible=(1.0, 4.0),
        distribution="loguniform",
    )
    members_per_covered_enterprise: int = param(
        4,
        "party members in an enterprise or social organisation with a party organisation",
        "assumption; range 3-8: three members form a branch",
        lo=0,
        hi=10_000,
        plausible=(3, 8),
    )


@dataclass(frozen=True, kw_only=True)
class DemandSettings:
    """How problems arise: rate per resident, categories and difficulty."""

    problems_per_resident_year: float = param(
        0.45,
        "problems needing action per resident per year (latent demand)",
        "calibration D: ~1.1 contacts per resident per year in Beijing 2025 x 41.5 % requests (derived); range 0.3-0.6: Beijing's figure carried to Chifeng is loose",
        lo=0.0,
        hi=20.0,
        plausible=(0.3, 0.6),
    )
    elderly_rate_multiplier: float = param(
        1.3,
        "problem rate of residents aged 60+ relative to others",
        "assumption; range 1.0-1.8",
        lo=0.0,
        hi=10.0,
        plausible=(1.0, 1.8),
    )
    elderly_civil_affairs_multiplier: float = param(
        2.0,
        "weight of civil-affairs problems (care, assistance) for residents aged 60+",
        "assumption; range 1.5-3",
        lo=0.0,
        hi=20.0,
        plausible=(1.5, 3.0),
    )
    difficulty_concentration: float = param(
        4.0,
        "concentration of the Beta distribution of difficulty",
        "assumption; range 2-8 (log-uniform)",
        lo=0.5,
        hi=1000.0,
        plausible=(2.0, 8.0),
        distribution="loguniform",
    )
    hours_base: float = param(
        1.5,
        "staff hours to handle the easiest problem",
        "assumption; range 1-2.5 h; calibration D: handling takes 2-4 days, not hours",
        lo=0.0,
        hi=100.0,
        plausible=(1.0, 2.5),
    )
    hours_per_difficulty: float = param(
        5.0,
        "extra staff hours per unit of difficulty",
        "assumption; range 3-8 h",
        lo=0.0,
        hi=100.0,
        plausible=(3.0, 8.0),
    )
    category_shares: Any = section(CategoryShares, "share of problems by category")
    category_difficulty: Any = section(CategoryDifficulty, "mean difficulty by category")


@dataclass(frozen=True, kw_only=True)
class ServiceSettings:
    """The siloed baseline: channels, discovery, local handling and escalation."""

    report_hazard: float = param(
        0.025,
        "daily chance a resident with full trust reports a problem through existing channels",
        "calibrated: baseline resolution in calibration D's 53-75 % band; range 0.015-0.04 (log-uniform): the band fits several values",
        lo=0.0,
        hi=1.0,
        plausible=(0.015, 0.04),
        distribution="loguniform",
    )
    grid_discovery_hazard: float = param(
        0.077,
        "daily chance a fully staffed grid finds a hidden problem",
        "calibration C/G7: 90 % found within 30 days where grids are staffed (1-exp(-30h)=0.9); range 0.055-0.1: 80-95 % found in 30 days; the 90 % is one district in 2004-05",
        lo=0.0,
        hi=1.0,
        plausible=(0.055, 0.1),
    )
    grid_staffing_strong: float = param(
        0.4,
        "grid staffing (0-1) of the strongest communities",
        "calibrated: baseline coverage and resolution in calibration D's pre-reform band; range 0.3-0.5 around the calibrated value",
        lo=0.0,
        hi=1.0,
        plausible=(0.3, 0.5),
    )
    grid_staffing_weak: float = param(
        0.08,
        "grid staffing (0-1) of the weakest communities",
        "calibrated (as grid_staffing_strong); range 0.04-0.15 around the calibrated value",
        lo=0.0,
        hi=1.0,
        plausible=(0.04, 0.15),
    )
    competence: Any = section(CategoryCompetence, "competence of an average community by category")
    street_competence_bonus: float = param(
        0.15,
        "competence a street adds over its communities for escalated problems",
        "assumption; range 0.05-0.25",
        lo=0.0,
        hi=1.0,
        plausible=(0.05, 0.25),
    )
    escalation_delay_days: float = param(
        3.0,
        "mean days from community to street",
        "assumption; range 1-5 days",
        lo=0.0,
        hi=60.0,
        plausible=(1.0, 5.0),
    )
    forward_delay_days: float = param(
        4.0,
        "mean days from street to the competent agency",
        "assumption; range 2-7 days",
        lo=0.0,
        hi=60.0,
        plausible=(2.0, 7.0),
    )
    agency_handling_days: float = param(
        4.0,
        "mean days an agency takes once it accepts a problem",
        "calibration D: mean handling 2-4 days; range 2-5 days: the two cities quoted differ",
        lo=0.0,
        hi=60.0,
        plausible=(2.0, 5.0),
    )
    agency_hours_per_member_day: float = param(
        0.04,
        "hours per day each agency party member's department sets aside for escalated community "
        "problems (siloed: 'little coordination sideways'); a department without hours left, or "
        "not competent for a problem, or unable to finish it before its limit, sends it back",
        "calibrated: baseline resolution at the middle of calibration D's 53-75 % band before "
        "reform (0.03 / 0.04 / 0.05 / 0.06 h give 0.61 / 0.64 / 0.67 / 0.70 at scale 0.1, 3 "
        "seeds; about 1,000 h a day city-wide); brief (siloed organisations rarely lend); range "
        "0.025-0.06 h (resolution about 0.58-0.70, inside the band)",
        lo=0.0,
        hi=24.0,
        plausible=(0.025, 0.06),
    )
    reescalation_delay_days: float = param(
        7.0,
        "mean days before a refused problem is escalated again",
        "assumption; calibration G5; range 3-14 days",
        lo=0.0,
        hi=60.0,
        plausible=(3.0, 14.0),
    )
    escalation_hours: float = param(
        0.5,
        "staff hours each escalation step costs (paperwork, calls)",
        "assumption; range 0.25-1 h (log-uniform)",
        lo=0.0,
        hi=20.0,
        plausible=(0.25, 1.0),
        distribution="loguniform",
    )
    bank_days: float = param(
        7.0,
        "days of unused hours that carry over, for every pool (communities, departments, "
        "outside organisations): a pool holds at most (1 + bank_days) days of its hours",
        "assumption; range 3-14 days",
        lo=0.0,
        hi=365.0,
        plausible=(3.0, 14.0),
    )


@dataclass(frozen=True, kw_only=True)
class TrustSettings:
    """Residents' trust: resolution raises it, expiry lowers it, and it drives reporting."""

    initial: float = param(
        0.5,
        "initial trust of every resident",
        "assumption; range 0.3-0.7",
        lo=0.0,
        hi=1.0,
        plausible=(0.3, 0.7),
    )
    gain_on_resolved: float = param(
        0.2,
        "share of the gap to full trust closed when a resident's problem is resolved",
        "assumption; range 0.1-0.35",
        lo=0.0,
        hi=1.0,
        plausible=(0.1, 0.35),
    )
    loss_on_expired: float = param(
        0.2,
        "share of trust lost when a reported problem expires",
        "assumption; range 0.1-0.35",
        lo=0.0,
        hi=1.0,
        plausible=(0.1, 0.35),
    )
    reputation_weight: float = param(
        0.6,
        "weight of the community's reputation (word of mouth) in a resident's effective trust",
        "assumption; calibration G2 (demand rises with responsiveness); range 0.4-0.8",
        lo=0.0,
        hi=1.0,
        plausible=(0.4, 0.8),
    )
    reputation_memory_days: float = param(
        60.0,
        "days of outcomes the community reputation remembers",
        "assumption; range 30-120 days (log-uniform)",
        lo=1.0,
        hi=3650.0,
        plausible=(30.0, 120.0),
        distribution="loguniform",
    )


@dataclass(frozen=True, kw_only=True)
class ModeSettings:
    """The six integration modes; each is off unless enabled."""

    regional: Any = section(RegionalParams, "regional co-construction (区域化共驻共建)")
    cross_domain: Any = section(CrossDomainParams, "cross-domain alliances (跨域抱团联建共促)")
    central_community: Any = section(CentralCommunityParams, "central community (中心社区以强带弱)")
    dual_reporting: Any = section(DualReportingParams, "dual reporting (双报到结对互动)")
    red_commercial_street: Any = section(
        RedCommercialStreetParams, "red commercial street (红色商街)"
    )
    smart_platform: Any = section(SmartPlatformParams, "smart party building (智慧党建)")


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """One planning scenario: a city, its service process, and the integration modes on."""

    name: str = param("scenario", "scenario name (defaults to the file's stem)", "design.md §5")
    description: str = param("", "what the scenario represents", "design.md §5")
    run: Any = section(RunSettings, "run settings")
    city: Any = section(CitySettings, "the city")
    demand: Any = section(DemandSettings, "problem generation")
    service: Any = section(ServiceSettings, "the siloed service process")
    trust: Any = section(TrustSettings, "residents' trust")
    mechanisms: Any = section(MechanismSettings, "the seven mechanisms")
    principles: Any = section(PrincipleSettings, "the three principles")
    modes: Any = section(ModeSettings, "the six integration modes")

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (every parameter, defaults included)."""
        return asdict(self)

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of every parameter: two equal digests, equal runs."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def enabled_modes(self) -> list[str]:
        """Names of the modes switched on, in registry order."""
        return [
            f.name for f in dataclasses.fields(self.modes) if getattr(self.modes, f.name).enabled
        ]

    def replace(self, overrides: dict[str, Any]) -> Scenario:
        """A copy with dotted-key overrides applied and validated (e.g. {"run.days": 90})."""
        from simulation.scenario.loading import _apply_overrides, scenario_from_dict

        data = self.to_dict()
        _apply_overrides(data, overrides)
        return scenario_from_dict(data, file="<overrides>")

"""Parameters of the seven mechanisms and the three principles: how alliances are kept working.

They sit apart from the city and service settings (`simulation.scenario.settings`) as the
modes' parameters do (`simulation.scenario.mode_params`): every alliance of every mode lives
by them.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation.scenario.params import param

__all__ = ["MechanismSettings", "PrincipleSettings"]


@dataclass(frozen=True, kw_only=True)
class MechanismSettings:
    """The seven mechanisms that keep alliances working (shared by every mode's alliances)."""

    approval_prob: float = param(
        0.9,
        "chance the level above approves an alliance application (organisation linkage)",
        "brief mechanism 1; level assumed; range 0.75-0.98",
        lo=0.0,
        hi=1.0,
        plausible=(0.75, 0.98),
    )
    approval_days: int = param(
        14,
        "days from application to approval",
        "brief mechanism 1; assumption; range 7-30 days",
        lo=0,
        hi=365,
        plausible=(7, 30),
    )
    initial_tie: float = param(
        0.3,
        "tie strength (0-1) of a newly approved alliance",
        "assumption; range 0.2-0.45",
        lo=0.0,
        hi=1.0,
        plausible=(0.2, 0.45),
    )
    tie_decay_per_day: float = param(
        0.004,
        "relative daily decay of tie strength without joint activity",
        "assumption (half-life about 6 months); range 0.002-0.008 (log-uniform): half-life 3 to 12 months",
        lo=0.0,
        hi=1.0,
        plausible=(0.002, 0.008),
        distribution="loguniform",
    )
    joint_activities: bool = param(
        True, "hold the 'five ones' joint activities", "brief mechanism 3"
    )
    visit_interval_days: int = param(
        30,
        "days between visit-and-exchange activities",
        "brief mechanism 3: monthly",
        lo=1,
        hi=3650,
    )
    themed_interval_days: int = param(
        90, "days between themed activities", "brief mechanism 3: quarterly", lo=1, hi=3650
    )
    evaluation_interval_days: int = param(
        180,
        "days between mutual learning/inspection/evaluation",
        "brief mechanism 3: half-yearly",
        lo=1,
        hi=3650,
    )
    tie_gain_launch: float = param(
        0.2,
        "tie gained at the launch meeting",
        "assumption; range 0.1-0.3",
        lo=0.0,
        hi=1.0,
        plausible=(0.1, 0.3),
    )
    tie_gain_lecture: float = param(
        0.1,
        "tie gained at the secretary's party lecture",
        "assumption; range 0.05-0.15",
        lo=0.0,
        hi=1.0,
        plausible=(0.05, 0.15),
    )
    tie_gain_visit: float = param(
        0.06,
        "tie gained per visit-and-exchange",
        "assumption; range 0.03-0.09",
        lo=0.0,
        hi=1.0,
        plausible=(0.03, 0.09),
    )
    tie_gain_themed: float = param(
        0.1,
        "tie gained per themed activity",
        "assumption; range 0.05-0.15",
        lo=0.0,
        hi=1.0,
        plausible=(0.05, 0.15),
    )
    tie_gain_evaluation: float = param(
        0.1,
        "tie gained per mutual evaluation",
        "assumption; range 0.05-0.15",
        lo=0.0,
        hi=1.0,
        plausible=(0.05, 0.15),
    )
    activity_hours_per_org: float = param(
        2.0,
        "member hours each member organisation spends per activity",
        "assumption; range 1-4 h",
        lo=0.0,
        hi=100.0,
        plausible=(1.0, 4.0),
    )
    matching: str = param(
        "optimal",
        "supply-demand matching over the three lists: optimal assignment or ad-hoc first-come",
        "brief mechanism 4",
        choices=("optimal", "adhoc"),
    )
    budget_upper_yuan: float = param(
        4000.0,
        "yearly money from the level above per alliance",
        "brief mechanism 5; amount assumed; range 2,000-8,000 yuan (log-uniform)",
        lo=0.0,
        hi=1e9,
        plausible=(2000.0, 8000.0),
        distribution="loguniform",
    )
    budget_member_yuan: float = param(
        500.0,
        "yearly contribution of each member organisation",
        "brief mechanism 5; amount assumed; range 250-1,000 yuan (log-uniform)",
        lo=0.0,
        hi=1e9,
        plausible=(250.0, 1000.0),
        distribution="loguniform",
    )
    budget_party_fee_yuan: float = param(
        1000.0,
        "yearly party-fee subsidy per alliance",
        "brief mechanism 5; amount assumed; range 500-2,000 yuan (log-uniform)",
        lo=0.0,
        hi=1e9,
        plausible=(500.0, 2000.0),
        distribution="loguniform",
    )
    activity_cost_yuan: float = param(
        300.0,
        "cost of one joint activity",
        "assumption; range 150-600 yuan (log-uniform)",
        lo=0.0,
        hi=1e9,
        plausible=(150.0, 600.0),
        distribution="loguniform",
    )
    max_applications: int = param(
        6,
        "applications an alliance may file (one a month) before the level above rejects it for "
        "good",
        "assumption (brief mechanism 1: the level above approves); six months of trying, so "
        "that, as the source reports, all 335 joint committees exist within the year; range 4-8",
        lo=1,
        hi=100,
        plausible=(4, 8),
    )
    assessment_interval_days: int = param(
        365, "days between assessments of alliances", "brief mechanism 6: yearly", lo=1, hi=3650
    )
    review_interval_days: int = param(
        90,
        "days between the periodic analyses of the alliance database that rectify the weakest "
        "and fund the strongest alliances",
        "brief mechanism 7 (periodic analysis of yearly results and daily monitoring); interval assumed: quarterly; range 60-180 days",
        lo=1,
        hi=3650,
        plausible=(60, 180),
    )
    rectify_share: float = param(
        0.2,
        "share of alliances (the weakest) rectified at each review",
        "brief mechanism 7; share assumed; range 0.1-0.3",
        lo=0.0,
        hi=1.0,
        plausible=(0.1, 0.3),
    )
    fund_share: float = param(
        0.2,
        "share of alliances (the strongest) given extra funding at each review",
        "brief mechanism 7; share assumed; range 0.1-0.3",
        lo=0.0,
        hi=1.0,
        plausible=(0.1, 0.3),
    )
    funding_bonus_yuan: float = param(
        3000.0,
        "extra budget of a well-reviewed alliance",
        "assumption; range 1,500-6,000 yuan (log-uniform)",
        lo=0.0,
        hi=1e9,
        plausible=(1500.0, 6000.0),
        distribution="loguniform",
    )
    rectify_tie_boost: float = param(
        0.15,
        "tie regained by a rectified alliance (reorganised leadership, renewed charter)",
        "assumption; range 0.05-0.25",
        lo=0.0,
        hi=1.0,
        plausible=(0.05, 0.25),
    )


@dataclass(frozen=True, kw_only=True)
class PrincipleSettings:
    """The three principles, as levers a planner can flip."""

    pairing: str = param(
        "voluntary",
        "voluntary, complementarity-based pairing or forced pairing (拉郎配) ignoring complementarity",
        "brief principle 1",
        choices=("voluntary", "forced"),
    )
    forced_tie_gain_factor: float = param(
        0.5,
        "tie gained per activity in forced pairings relative to voluntary ones",
        "assumption; calibration E (forced pairing as a known failure mode); range 0.25-0.75",
        lo=0.0,
        hi=1.0,
        plausible=(0.25, 0.75),
    )
    party_building_first: bool = param(
        True,
        "open each alliance with the launch meeting and the secretary's party lecture (ties "
        "start stronger)",
        "brief principle 2",
    )

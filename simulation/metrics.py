"""The metrics of design.md §4 (a contract: names are stable), per run and per day.

Per run, rates are computed over the *closed cohort*: problems that arose after the warm-up and
at least `resolution_limit_days` before the end, so every one of them is resolved or expired by
the end and none is censored. Counts (`problems_*`) cover every problem that arose after the
warm-up, so that arisen = resolved + open + expired holds exactly.

Per day, the same metrics over the trailing *closed cohort*: the problems that arose in the
`window_days` ending `resolution_limit_days` before the day, whose fate is therefore known.
The series thus use the run's definitions exactly, lagged by the resolution limit (NaN until a
first cohort has closed). Hours per resolved problem is the one event-based series: hours spent
over resolutions made in the trailing window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.service import CHANNELS, RESOLVED, ROUTES

if TYPE_CHECKING:
    from simulation.model import CityModel

__all__ = [
    "COST_COLUMNS",
    "COUNT_COLUMNS",
    "DAILY_COLUMNS",
    "EXTRA_METRICS",
    "METRICS",
    "STRUCTURE_COLUMNS",
    "community_metrics",
    "daily_metrics",
    "run_metrics",
]

METRICS: tuple[str, ...] = (
    "service_coverage",
    "resolution_rate",
    "needs_met_rate",
    "mean_days_to_resolve",
    "party_org_coverage",
    "equity_gap",
    "hours_per_resolved",
)
COUNT_COLUMNS: tuple[str, ...] = (
    "problems_arisen",
    "problems_resolved",
    "problems_open",
    "problems_expired",
)
#: What a run costs over its whole horizon, for the whole city (the simulated sample's hours
#: divided by its share of residents): hours spent by staff, members, units and agencies on
#: residents' problems and on the alliances' own work; money disbursed (alliance budgets and
#: funding, platform, stations); and needs met (problems resolved), for cost per extra need met.
COST_COLUMNS: tuple[str, ...] = ("hours_total", "cost_yuan", "needs_met_total")
EXTRA_METRICS: tuple[str, ...] = (
    "escalation_share",
    "refusal_share",
    *(f"channel_{c}" for c in CHANNELS),
    *(f"route_{r}" for r in ROUTES),
)
STRUCTURE_COLUMNS: tuple[str, ...] = (
    "n_streets",
    "n_communities",
    "n_agencies",
    "n_members",
    "n_residents",
    "n_agencies_paired",
    "n_members_reporting",
    "n_cross_domain_alliances",
    "n_chains",
    "n_joint_committees",
    "n_central_clusters",
    "n_communities_in_clusters",
    "n_commercial_joint_orgs",
    "n_platform_streets",
)
DAILY_COLUMNS: tuple[str, ...] = (*METRICS, "problems_open")


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else float("nan")


def quartile_groups(strength: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Communities in the strongest and the weakest quarter (by strength).

    Strength never changes during a run: the model computes this once (`model.quartiles`).
    """
    lo, hi = np.quantile(strength, [0.25, 0.75])
    return strength >= hi, strength <= lo


def run_metrics(model: CityModel) -> dict[str, float]:
    """Every metric of the finished (or current) run, keyed by its contract name."""
    svc, run = model.service, model.params.run
    now = model.day  # problems are drawn up front: count only those that have arisen
    a = svc.arise_day
    post = (a > run.warmup_days) & (a <= now)
    cohort = post & (a <= now - run.resolution_limit_days)
    known = svc.taken_day >= 0
    resolved = svc.status == RESOLVED
    n = int(cohort.sum())
    n_known = int((cohort & known).sum())
    n_res = int((cohort & resolved).sum())
    ages = (svc.resolve_day - a)[cohort & resolved]
    strong, weak = model.quartiles
    comm = svc.community

    def met(group: np.ndarray) -> float:
        sel = cohort & group[comm]
        return _ratio((sel & resolved).sum(), sel.sum())

    after = slice(run.warmup_days + 1, now + 1)
    out = {
        "service_coverage": _ratio(n_known, n),
        "resolution_rate": _ratio(n_res, n_known),
        "needs_met_rate": _ratio(n_res, n),
        "mean_days_to_resolve": float(ages.mean()) if ages.size else float("nan"),
        "party_org_coverage": model.party_org_coverage(),
        "equity_gap": met(strong) - met(weak),
        "hours_per_resolved": _ratio(svc.c_hours[after].sum(), svc.c_resolved[after].sum()),
        "problems_arisen": int(post.sum()),
        "problems_resolved": int((post & resolved).sum()),
        "problems_open": int((post & (svc.status < RESOLVED)).sum()),
        "problems_expired": int((post & (svc.status > RESOLVED)).sum()),
        "escalation_share": _ratio((cohort & svc.escalated).sum(), n_known),
        "refusal_share": _ratio((cohort & (svc.attempts > 0)).sum(), n_known),
        "hours_total": float(svc.c_hours[1 : now + 1].sum()) / model.city.sample_share,
        "cost_yuan": float(svc.c_cost[1 : now + 1].sum()),
        "needs_met_total": float((resolved & (a <= now)).sum()) / model.city.sample_share,
    }
    ch = svc.channel[cohort & known]
    counts = np.bincount(ch, minlength=len(CHANNELS)) if ch.size else np.zeros(len(CHANNELS))
    for i, name in enumerate(CHANNELS):
        out[f"channel_{name}"] = _ratio(counts[i], n_known)
    rt = svc.route[cohort & resolved]
    by_route = np.bincount(rt, minlength=len(ROUTES)) if rt.size else np.zeros(len(ROUTES))
    for i, name in enumerate(ROUTES):
        out[f"route_{name}"] = _ratio(by_route[i], n_res)
    return out


def community_metrics(model: CityModel) -> dict[str, np.ndarray]:
    """Per community, over the run's closed cohort: who is left behind, and where.

    Columns: `community`, `street`, `strength`, `group` (`strong`/`weak` for the strongest and
    weakest quarter that `equity_gap` compares, else `middle`), `problems` (cohort size),
    `taken_up`, `resolved` and `needs_met_rate`. Counts are kept so that replications can be
    pooled; the rate is NaN where no problem arose.
    """
    svc, run = model.service, model.params.run
    k = model.city.n_communities
    a = svc.arise_day
    cohort = (a > run.warmup_days) & (a <= model.day - run.resolution_limit_days)
    comm = svc.community[cohort]
    problems = np.bincount(comm, minlength=k)
    taken = np.bincount(comm, weights=svc.taken_day[cohort] >= 0, minlength=k)
    resolved = np.bincount(comm, weights=svc.status[cohort] == RESOLVED, minlength=k)
    strong, weak = model.quartiles
    group = np.where(strong, "strong", np.where(weak, "weak", "middle"))
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(problems > 0, resolved / np.maximum(problems, 1), np.nan)
    return {
        "community": np.arange(k),
        "street": np.asarray(model.city.community_street, dtype=np.int64),
        "strength": np.asarray(model.city.community_strength, dtype=float),
        "group": group,
        "problems": problems.astype(np.int64),
        "taken_up": taken.astype(np.int64),
        "resolved": resolved.astype(np.int64),
        "needs_met_rate": rate,
    }


def daily_metrics(model: CityModel, day: int) -> dict[str, float]:
    """The metrics on `day` over the trailing closed cohort (cheap: one contiguous slice)."""
    svc, run = model.service, model.params.run
    last = day - run.resolution_limit_days
    first = max(last - run.window_days + 1, run.warmup_days + 1)
    out = dict.fromkeys(DAILY_COLUMNS, float("nan"))
    out["party_org_coverage"] = model.party_org_coverage()
    out["problems_open"] = float(svc.active.size)
    w = svc.window_sums(day)
    out["hours_per_resolved"] = _ratio(w["hours"], w["resolved"])
    if last < first:
        return out
    sl = slice(svc.day_start[first], svc.day_start[last + 1])
    n = sl.stop - sl.start
    if n == 0:
        return out
    known = svc.taken_day[sl] >= 0
    resolved = svc.status[sl] == RESOLVED
    n_known, n_res = int(known.sum()), int(resolved.sum())
    ages = (svc.resolve_day[sl] - svc.arise_day[sl])[resolved]
    strong, weak = model.quartiles
    comm = svc.community[sl]

    def met(group: np.ndarray) -> float:
        sel = group[comm]
        return _ratio((sel & resolved).sum(), sel.sum())

    out.update(
        service_coverage=_ratio(n_known, n),
        resolution_rate=_ratio(n_res, n_known),
        needs_met_rate=_ratio(n_res, n),
        mean_days_to_resolve=float(ages.mean()) if ages.size else float("nan"),
        equity_gap=met(strong) - met(weak),
    )
    return out

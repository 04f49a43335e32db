"""The figures of docs/ODD.md 7.9, 7.10 and 8.2 that come out of the model's dynamics.

    .venv/bin/python benchmarks/patterns.py --scale 0.05 --seeds 1 2 3 [--study DIR/runs.parquet]

Every run is 365 days at `--scale`, once per seed; the tables show the mean over seeds (and,
where the text quotes a range, the range over seeds or days). Rates per category are over the
closed cohort of `simulation/metrics.py` (problems that arose after the warm-up and at least
the resolution limit before the end), counting taken-up problems only. 33 runs in all with
three seeds: `chifeng_2018` as shipped and with five levers (7.9, 7.10, G1, G5), the baseline
at three levels of agencies' hours (G2, G3, G5, G7), and dual reporting with and without
appraisal (G6). `--study` adds the figures 8.2 takes from a finished full-city study
(`runs.parquet` of `simulation compare`, section 7.12).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulation.categories import CATEGORIES  # noqa: E402
from simulation.mechanisms import ACTIVE, AllianceKind  # noqa: E402
from simulation.model import CityModel  # noqa: E402
from simulation.service import RESOLVED  # noqa: E402

NO_REVIEWS = {"mechanisms.review_interval_days": 3650}
LEVERS = (
    ("as shipped", {}),
    ("forced pairing", {"principles.pairing": "forced"}),
    ("ad-hoc matching", {"mechanisms.matching": "adhoc"}),
    ("no party building first", {"principles.party_building_first": False}),
    ("no joint activities", {"mechanisms.joint_activities": False}),
    ("no reviews", NO_REVIEWS),
)
AGENCY_HOURS = (0.02, 0.04, 0.08)
RATES = ("resolution_rate", "service_coverage", "needs_met_rate")
SHORT = ("housing", "city mgmt", "utilities", "labour", "civil aff.", "market", "traffic", "order")


def run(scenario: str, seed: int, scale: float, overrides: dict) -> tuple[CityModel, np.ndarray]:
    """One year; returns the model and the daily mean tie of active alliances (NaN if none)."""
    m = CityModel(ROOT / "scenarios" / f"{scenario}.toml", rng=seed, scale=scale, **overrides)
    book = m.alliances
    ties = np.full(m.params.run.days + 1, np.nan)
    while m.running:
        m.step()
        active = book.status == ACTIVE
        if active.any():
            ties[m.day] = book.tie[active].mean()
    return m, ties


def cohort(m: CityModel) -> np.ndarray:
    """Taken-up problems of the closed cohort (as `run_metrics` counts them)."""
    svc, r = m.service, m.params.run
    a = svc.arise_day
    return (a > r.warmup_days) & (a <= m.day - r.resolution_limit_days) & (svc.taken_day >= 0)


def per_category(m: CityModel) -> np.ndarray:
    """(4, C): taken-up problems, share resolved, share escalated, share sent back >= once."""
    svc, known = m.service, cohort(m)
    c = svc.category[known]
    n = np.bincount(c, minlength=len(CATEGORIES)).astype(float)

    def share(flag: np.ndarray) -> np.ndarray:
        return np.bincount(c, weights=flag[known], minlength=len(CATEGORIES)) / np.maximum(n, 1)

    return np.stack(
        [n, share(svc.status == RESOLVED), share(svc.escalated), share(svc.attempts > 0)]
    )


def mode(m: CityModel, name: str):
    return next(x for x in m.modes if x.name == name)


def show_categories(title: str, rows: list[tuple[str, np.ndarray]]) -> None:
    print(f"\n{title}")
    print(f"{'':22s}" + "".join(f"{s:>11s}" for s in SHORT))
    for label, v in rows:
        fmt = "11.0f" if label.startswith("problems") else "11.3f"
        print(f"{label:22s}" + "".join(f"{x:{fmt}}" for x in v))


def chifeng(a: argparse.Namespace) -> np.ndarray:
    print("== 7.9 / 7.10: chifeng_2018, mean tie of active alliances; levers of 7.10 ==")
    print(f"{'run':26s} {'resolution':>10s} {'end tie':>8s} {'min tie':>8s} {'max tie':>8s}")
    shipped: list[CityModel] = []
    first = np.zeros(len(a.seeds))
    for label, over in LEVERS:
        res, series = [], []
        for seed in a.seeds:
            m, ties = run("chifeng_2018", seed, a.scale, over)
            res.append(m.metrics()["resolution_rate"])
            series.append(ties)
            if not over:
                shipped.append(m)
        if not over:
            first = np.array(res)
        mean = np.mean(series, axis=0)  # the daily mean tie, averaged over seeds
        late = mean[31:]
        print(
            f"{label:26s} {np.mean(res):10.3f} {mean[-1]:8.3f} {np.nanmin(late):8.3f} "
            f"{np.nanmax(late):8.3f}   (pp to as shipped by seed "
            + " ".join(f"{100 * d:+.2f}" for d in np.array(res) - first)
            + ")"
        )
    print("(min and max tie: over days 31-365 of the mean over seeds)")

    print("\n== G1: chifeng_2018 at the end of the year (structure counts, by seed) ==")
    keys = (
        "n_streets",
        "n_communities",
        "n_agencies_paired",
        "n_cross_domain_alliances",
        "n_chains",
        "n_joint_committees",
        "n_members_reporting",
        "n_central_clusters",
    )
    for k in keys:
        print(f"{k:28s} " + " ".join(f"{m.structure_counts()[k]:>7d}" for m in shipped))
    for m in shipped:
        book = m.alliances
        units = {
            kind: [len(book.units[i]) for i in np.flatnonzero(book.kind_arr == kind)]
            for kind in (AllianceKind.REGIONAL_COMMUNITY, AllianceKind.REGIONAL_STREET)
        }
        comm, street = (np.array(units[k]) for k in sorted(units))
        cap = m.params.modes.regional.max_units_per_committee
        cc = mode(m, "central_community")
        weak = np.array([w.size for _, w, _ in cc.clusters])
        centres = round(m.params.modes.central_community.centre_share * m.city.n_communities)
        dual = mode(m, "dual_reporting")
        rejected = int((book.status != ACTIVE).sum())
        print(
            f"seed {m.seed}: units per community committee {comm.mean():.1f} "
            f"(at the cap {cap}: {(comm >= cap).sum()}), per street committee {street.mean():.1f}"
            f" (at the cap: {(street >= cap).sum()} of {street.size}); centres {centres}, "
            f"with weak communities {weak.size}, weak per cluster {weak.min()}-{weak.max()}; "
            f"eligible members {dual.eligible.size}; alliances not active {rejected}; "
            f"most applications {book.applications.max() + 1}"
        )

    print("\n== G5: chifeng_2018, taken-up problems per category (mean over seeds) ==")
    t = np.mean([per_category(m) for m in shipped], axis=0)
    show_categories(
        "chifeng_2018",
        [
            ("problems (per seed)", t[0]),
            ("resolved", t[1]),
            ("escalated", t[2]),
            ("sent back >= once", t[3]),
        ],
    )
    met = [m.metrics() for m in shipped]
    print(
        f"all categories: resolved {np.mean([x['resolution_rate'] for x in met]):.3f}, "
        f"escalated {np.mean([x['escalation_share'] for x in met]):.3f}, "
        f"sent back >= once {np.mean([x['refusal_share'] for x in met]):.3f}"
    )
    return t


def baseline(a: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    print("\n== G2: baseline, agencies' hours per member-day ==")
    print(
        f"{'hours':>6s} {'resolution':>10s} {'reports/problem':>15s} {'reputation':>10s} "
        f"{'trust':>6s} {'coverage':>8s}"
    )
    runs: dict[float, list[CityModel]] = {}
    reports = {}
    for h in AGENCY_HOURS:
        runs[h] = []
        rows = []
        for seed in a.seeds:
            m, _ = run("baseline", seed, a.scale, {"service.agency_hours_per_member_day": h})
            x = m.metrics()
            sim = m.city.simulated
            rows.append(
                (
                    x["resolution_rate"],
                    x["channel_report"] * x["service_coverage"],
                    m.service.reputation[sim].mean(),
                    m.service.trust.mean(),
                    x["service_coverage"],
                )
            )
            runs[h].append(m)
        r = np.mean(rows, axis=0)
        reports[h] = r[1]
        print(f"{h:6.2f} {r[0]:10.3f} {r[1]:15.3f} {r[2]:10.3f} {r[3]:6.3f} {r[4]:8.3f}")
    lo, hi = AGENCY_HOURS[0], AGENCY_HOURS[-1]
    print(f"reports per problem at {hi} over {lo}: x{reports[hi] / reports[lo]:.3f}")
    print("(reports/problem: existing-channel take-ups per problem of the closed cohort;")
    print(" reputation: mean over simulated communities, trust: over residents, at day 365)")

    base = runs[0.04]
    t = np.mean([per_category(m) for m in base], axis=0)
    show_categories(
        "== G3 / G5: baseline (agency hours 0.04), taken-up problems per category ==",
        [
            ("problems (per seed)", t[0]),
            ("resolved", t[1]),
            ("escalated", t[2]),
            ("sent back >= once", t[3]),
        ],
    )
    met = [m.metrics() for m in base]
    print(
        f"all categories: resolved {np.mean([x['resolution_rate'] for x in met]):.3f}, "
        f"escalated {np.mean([x['escalation_share'] for x in met]):.3f}, "
        f"sent back >= once {np.mean([x['refusal_share'] for x in met]):.3f} (by seed "
        + " ".join(f"{x['refusal_share']:.3f}" for x in met)
        + ")"
    )
    for m in base:
        svc, known = m.service, cohort(m)
        att = svc.attempts[known]
        back = known & (svc.attempts > 0)
        often = known & (svc.attempts >= 5)
        print(
            f"seed {m.seed}: sent back at most {att.max()} times; >= 2 times "
            f"{(att >= 2).mean():.3f}, >= 3 times {(att >= 3).mean():.3f}, >= 5 times "
            f"{int(often.sum())} problems ({(svc.status[often] == RESOLVED).mean():.2f} of them "
            f"resolved); of those sent back at least once, resolved "
            f"{(svc.status[back] == RESOLVED).mean():.3f}"
        )
    print(
        "\n== G7: baseline, grid share of take-ups: "
        f"{np.mean([x['channel_grid'] for x in met]):.3f} (by seed "
        + " ".join(f"{x['channel_grid']:.3f}" for x in met)
        + ") =="
    )
    return np.mean([[x[k] for k in RATES] for x in met], axis=0), t


def dual(a: argparse.Namespace, base_rates: np.ndarray) -> None:
    print("\n== G6: dual_reporting with and without appraisal ==")
    for appraisal in (True, False):
        res, counts = [], []
        for seed in a.seeds:
            over = {"modes.dual_reporting.appraisal": appraisal}
            m, _ = run("dual_reporting", seed, a.scale, over)
            x = m.metrics()
            res.append([x[k] for k in RATES])
            counts.append(x["n_members_reporting"])
            eligible = mode(m, "dual_reporting").eligible.size
        r = np.mean(res, axis=0)
        print(
            f"appraisal {appraisal!s:5s}: resolution {r[0]:.3f}, coverage {r[1]:.3f}, needs met"
            f" {r[2]:.3f}; members reporting at "
            f"day 365 {min(counts)}-{max(counts)} of {eligible} eligible "
            f"({np.mean(counts) / eligible:.3f})"
        )
    print(
        "baseline (same seeds): resolution {:.3f}, coverage {:.3f}, needs met {:.3f}".format(
            *base_rates
        )
    )


def study(path: Path) -> None:
    import pandas as pd

    d = pd.read_parquet(path)
    print(f"\n== full-city study {path} ({len(d)} runs) ==")
    c = d[d.scenario == "chifeng_2018"]
    for k in (
        "n_cross_domain_alliances",
        "n_chains",
        "n_joint_committees",
        "n_members_reporting",
        "n_central_clusters",
        "n_communities_in_clusters",
    ):
        print(f"chifeng_2018 {k:26s} {c[k].min()}-{c[k].max()} (mean {c[k].mean():.1f})")
    d = d.assign(reports=d.channel_report * d.service_coverage)
    base = d[d.scenario == "baseline"].set_index("replication").reports
    print(
        "per scenario (means): existing-channel reports per problem, paired difference to the"
        " baseline (sd), resolution, sent back >= once, grid share of take-ups"
    )
    for name, g in d.groupby("scenario"):
        diff = g.set_index("replication").reports - base
        print(
            f"  {name:22s} {g.reports.mean():.4f} {diff.mean():+.4f} ({diff.std():.4f})"
            f" {g.resolution_rate.mean():.3f} {g.refusal_share.mean():.3f}"
            f" {g.channel_grid.mean():.3f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.05)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--study", type=Path, default=None, help="runs.parquet of the study of 7.12")
    a = ap.parse_args()
    print(f"scale {a.scale}, seeds {a.seeds}, 365 days")
    every = chifeng(a)
    base_rates, base = baseline(a)
    show_categories(
        "== G5: chifeng_2018 minus baseline, taken-up problems per category ==",
        [("resolved", every[1] - base[1]), ("escalated", every[2] - base[2])],
    )
    dual(a, base_rates)
    if a.study is not None:
        study(a.study)


if __name__ == "__main__":
    main()

"""Decompose each mode's effect by mechanism: switch each component off in turn.

    .venv/bin/python benchmarks/decomposition.py --scale 0.1 --replications 10 --out DIR

Every variant is the mode's scenario with one component switched off by its parameter (the
hours it is given, or the rule itself), compared on common random numbers with the baseline and
with the full mode. The table (printed, and written as DIR/decomposition.csv) gives the paired
effect of the full mode on needs met, coverage and resolution with its 95 % interval, and for
each component the effect left without it: the component's share is what disappears.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulation import api  # noqa: E402
from simulation.scenario import load_scenario  # noqa: E402

# mode -> [(component, {override that switches it off})]
COMPONENTS: dict[str, list[tuple[str, dict[str, object]]]] = {
    "regional": [
        ("committees' unit hours", {"modes.regional.unit_hours_per_month": 0.0}),
        ("joint activities (ties)", {"mechanisms.joint_activities": False}),
    ],
    "cross_domain": [
        ("partners' hours", {"modes.cross_domain.partner_hours_per_month": 0.0}),
        ("optimal matching (ad hoc instead)", {"mechanisms.matching": "adhoc"}),
    ],
    "central_community": [
        ("lent staff hours", {"modes.central_community.capacity_share": 0.0}),
        ("lent grid time", {"modes.central_community.information_share": 0.0}),
    ],
    "dual_reporting": [
        ("household visits", {"modes.dual_reporting.detection_per_visit": 0.0}),
        ("skills teams", {"modes.dual_reporting.member_skill_competence": 0.0}),
        ("paired agencies' hours", {"modes.dual_reporting.paired_agency_hours_per_month": 0.0}),
        ("appraisal", {"modes.dual_reporting.appraisal": False}),
    ],
    "red_commercial_street": [
        (
            "covered members' hours",
            {"modes.red_commercial_street.member_service_hours_per_month": 0.0},
        ),
        ("station desk", {"modes.red_commercial_street.station_resource": 0.0}),
        ("station outreach", {"modes.red_commercial_street.station_detection_per_contact": 0.0}),
    ],
    "smart_platform": [
        ("one-click reporting", {"modes.smart_platform.one_click_hazard": 0.0}),
        ("direct routing", {"modes.smart_platform.direct_routing": False}),
        ("online workflows", {"modes.smart_platform.workflow_efficiency": 0.0}),
    ],
}
METRICS = ("needs_met_rate", "service_coverage", "resolution_rate", "equity_gap")


def scenarios(scale: float, days: int | None) -> list:
    over = {"scale": scale} | ({"days": days} if days else {})
    out = [load_scenario(ROOT / "scenarios" / "baseline.toml", overrides=over)]
    for mode, parts in COMPONENTS.items():
        full = load_scenario(ROOT / "scenarios" / f"{mode}.toml", overrides=over)
        out.append(full)
        for i, (_, off) in enumerate(parts):
            out.append(full.replace({**off, "name": f"{mode}-without-{i}"}))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--replications", type=int, default=10)
    ap.add_argument("--days", type=int, default=None)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "decomposition")
    args = ap.parse_args(argv)
    cmp = api.compare(
        scenarios(args.scale, args.days),
        baseline="baseline",
        replications=args.replications,
        out=args.out,
        workers=args.workers,
        charts=False,
        resume=(args.out / "manifest.json").exists(),
    )
    t = cmp.table.set_index(["scenario", "metric"])
    rows = []
    for mode, parts in COMPONENTS.items():
        names = [(mode, "full mode")] + [
            (f"{mode}-without-{i}", f"without {c}") for i, (c, _) in enumerate(parts)
        ]
        for name, label in names:
            row = {"mode": mode, "variant": label}
            for m in METRICS:
                r = t.loc[(name, m)]
                row[m] = r["diff"]
                row[f"{m}_lo"], row[f"{m}_hi"] = r["diff_ci_low"], r["diff_ci_high"]
            rows.append(row)
    import pandas as pd

    df = pd.DataFrame(rows)
    df.to_csv(args.out / "decomposition.csv", index=False)
    print(
        f"Effect against the baseline in percentage points (95 % paired CI), scale {args.scale}, "
        f"{args.replications} replications:"
    )
    print(f"{'mode':<22} {'variant':<38} " + " ".join(f"{m:>22}" for m in METRICS))
    for r in rows:
        cells = " ".join(
            f"{100 * r[m]:+6.2f} [{100 * r[f'{m}_lo']:+5.2f},{100 * r[f'{m}_hi']:+5.2f}]"
            for m in METRICS
        )
        print(f"{r['mode']:<22} {r['variant']:<38} {cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

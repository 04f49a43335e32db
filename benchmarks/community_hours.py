"""How much of their own hours communities use, and how their queues wait (docs/ODD.md 8.1).

    .venv/bin/python benchmarks/community_hours.py --scale 0.05 --seeds 1 2 3

Per community type (weak old, ordinary, strong), over one year of the baseline: the share of
the community's pool hours (staff + community members) spent on problems it resolved itself;
for problems it queued, the mean days from take-up to resolution, the share resolved on the day
they were taken up, and the share that expired in the queue.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulation.model import CityModel  # noqa: E402
from simulation.service import R_COMMUNITY  # noqa: E402

TYPES = ("weak old", "ordinary", "strong")


def measure(scenario: str, scale: float, seed: int, overrides: dict) -> list[tuple]:
    m = CityModel(f"scenarios/{scenario}.toml", rng=seed, scale=scale, **overrides)
    m.run_model()
    city, svc = m.city, m.service
    days = m.params.run.days
    pool = (city.community_staff_hours + city.community_member_hours) * days
    own = svc.route == R_COMMUNITY
    used = np.bincount(svc.community[own], weights=svc.hours[own], minlength=city.n_communities)
    # problems queued at their community: resolved there, or expired while still queued
    queued = own | ((svc.status == 5) & (svc.taken_day >= 0) & ~svc.escalated & (svc.route < 0))
    rows = []
    for t, name in enumerate(TYPES):
        k = city.simulated & (city.community_type == t)
        in_t = k[svc.community]
        res = own & in_t
        wait = svc.resolve_day[res] - svc.taken_day[res]
        q = queued & in_t
        rows.append(
            (
                name,
                used[k].sum() / max(pool[k].sum(), 1e-9),
                float(wait.mean()) if wait.size else float("nan"),
                float((wait == 0).mean()) if wait.size else float("nan"),
                float((q & ~own).sum() / max(q.sum(), 1)),
            )
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument("--scale", type=float, default=0.05)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--staff-hours", type=float, default=None, help="city.staff_hours_per_day")
    a = ap.parse_args()
    over = {} if a.staff_hours is None else {"city.staff_hours_per_day": a.staff_hours}
    table = np.array([[r[1:] for r in measure(a.scenario, a.scale, s, over)] for s in a.seeds])
    mean = table.mean(axis=0)
    print(f"{a.scenario}, scale {a.scale}, seeds {a.seeds}, overrides {over or 'none'}")
    print(f"{'type':10s} {'hours used':>10s} {'queue days':>10s} {'same day':>9s} {'expired':>8s}")
    for name, row in zip(TYPES, mean, strict=True):
        print(f"{name:10s} {row[0]:10.2f} {row[1]:10.1f} {row[2]:9.2f} {row[3]:8.3f}")


if __name__ == "__main__":
    main()

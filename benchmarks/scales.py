"""Rates of one scenario at several scales, averaged over the same seeds (docs/ODD.md 8.3).

    .venv/bin/python benchmarks/scales.py baseline --scales 0.05 0.1 1 --seeds 10

Each scale simulates round(scale x 291) whole communities (a different stratified sample per
seed); the table shows the mean over seeds and, in brackets, the standard deviation of one
replication, so the agreement with the full city can be read against the sampling noise.
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

KEYS = (
    "service_coverage",
    "resolution_rate",
    "needs_met_rate",
    "escalation_share",
    "refusal_share",
    "route_agency",
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", help="name of a file in scenarios/ (without .toml)")
    ap.add_argument("--scales", type=float, nargs="+", default=[0.05, 1.0])
    ap.add_argument("--seeds", type=int, default=10, help="seeds 20180917 + r, r < SEEDS")
    args = ap.parse_args(argv)
    path = ROOT / "scenarios" / f"{args.scenario}.toml"
    print(f"{'scale':>6} " + " ".join(f"{k:>22}" for k in KEYS))
    for scale in args.scales:
        rows = []
        for r in range(args.seeds):
            m = CityModel(path, rng=20180917 + r, scale=scale)
            m.run_model()
            rows.append([m.metrics()[k] for k in KEYS])
        a = np.array(rows)
        sd = a.std(axis=0, ddof=1) if len(rows) > 1 else np.full(len(KEYS), np.nan)
        cells = " ".join(f"{mu:>13.4f} ({s:.4f})" for mu, s in zip(a.mean(axis=0), sd, strict=True))
        print(f"{scale:>6g} {cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Bit-for-bit fingerprints of model runs, to prove an optimisation changed no result.

Usage (from the repository root):

    .venv/bin/python benchmarks/fingerprint.py --out before.json            # quick cases
    .venv/bin/python benchmarks/fingerprint.py --full --out before.json     # + scale 1
    ... optimise ...
    .venv/bin/python benchmarks/fingerprint.py --full --out after.json --compare before.json

To fingerprint another copy of the package (e.g. the tree before a change), put that copy
first on the path: `PYTHONPATH=/tmp/old_tree .venv/bin/python benchmarks/fingerprint.py ...`.

Why more than `m.metrics()`: two runs can agree on every rounded rate and still differ in a
few problems, so each case also records a SHA-256 of every state column the run produced
(problem status, routes, days, trust, alliance ties, structure, the daily series). Floats are
stored with `repr` (exact round trip) and NaN is compared as equal to NaN.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere; PYTHONPATH still wins
    sys.path.append(str(ROOT))

# (label, scenario file, seed, scale, extra overrides). Small cases cover every shipped
# scenario and the non-default matching paths (ad hoc, forced pairing) that setup code uses.
QUICK_CASES: list[tuple[str, str, int, float, dict[str, Any]]] = [
    ("chifeng_2018@0.02/s3", "chifeng_2018.toml", 3, 0.02, {}),
    ("baseline@0.02/s3", "baseline.toml", 3, 0.02, {}),
    ("chifeng_2018@0.02/s11", "chifeng_2018.toml", 11, 0.02, {}),
    ("chifeng_2018@0.05/s5", "chifeng_2018.toml", 5, 0.05, {}),
    ("regional@0.02/s3", "regional.toml", 3, 0.02, {}),
    ("cross_domain@0.02/s3", "cross_domain.toml", 3, 0.02, {}),
    ("central_community@0.02/s3", "central_community.toml", 3, 0.02, {}),
    ("dual_reporting@0.02/s3", "dual_reporting.toml", 3, 0.02, {}),
    ("red_commercial_street@0.02/s3", "red_commercial_street.toml", 3, 0.02, {}),
    ("smart_platform@0.02/s3", "smart_platform.toml", 3, 0.02, {}),
    (
        "chifeng_2018@0.02/s3/adhoc",
        "chifeng_2018.toml",
        3,
        0.02,
        {"mechanisms.matching": "adhoc"},
    ),
    (
        "chifeng_2018@0.02/s3/forced",
        "chifeng_2018.toml",
        3,
        0.02,
        {"principles.pairing": "forced"},
    ),
]
FULL_CASES: list[tuple[str, str, int, float, dict[str, Any]]] = [
    ("chifeng_2018@1.0/s20180917", "chifeng_2018.toml", 20180917, 1.0, {}),
    ("baseline@1.0/s20180917", "baseline.toml", 20180917, 1.0, {}),
]


def _digest(*arrays: Any) -> str:
    """SHA-256 over the raw bytes, dtypes and shapes of the given arrays."""
    h = hashlib.sha256()
    for a in arrays:
        arr = np.ascontiguousarray(np.asarray(a))
        h.update(f"{arr.dtype.str}{arr.shape}".encode())
        h.update(arr.tobytes())
    return h.hexdigest()


def _exact(value: Any) -> Any:
    """A JSON-safe, exact form of a metric value (floats by repr, so no rounding)."""
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, int | np.integer):
        return int(value)
    return str(value)


def fingerprint(scenario: Path, seed: int, scale: float, overrides: dict[str, Any]) -> dict:
    """Run one case to the end and return its metrics and state digests."""
    from simulation.model import CityModel

    t0 = time.perf_counter()
    m = CityModel(scenario, rng=seed, scale=scale, **overrides)
    m.run_model()
    svc, book, st = m.service, m.alliances, m.structure
    state = {
        "problems": _digest(
            svc.status,
            svc.stage,
            svc.attempts,
            svc.taken_day,
            svc.resolve_day,
            svc.channel,
            svc.route,
            svc.escalated,
        ),
        "residents": _digest(svc.trust, svc.reputation),
        "alliances": _digest(
            book.kind_arr, book.status, book.tie, book.budget, book.activities, book.score
        ),
        "structure": _digest(
            st.street_joint_committee,
            st.community_joint_committee,
            st.unit_covered,
            st.agency_paired,
            st.member_reporting,
            st.member_points,
            st.district_joint_org,
        ),
        "timeseries": _digest(m.timeseries().to_numpy(dtype=np.float64)),
        "agents": _digest(np.array([len(m.agents)] + [len(s) for s in m.agents_by_type.values()])),
    }
    return {
        "metrics": {k: _exact(v) for k, v in m.metrics().items()},
        "state": state,
        "seconds": round(time.perf_counter() - t0, 2),
    }


def compare(a: dict, b: dict) -> list[str]:
    """Differences between two fingerprint files (cases present in both)."""
    out: list[str] = []
    for label in sorted(set(a) & set(b)):
        ca, cb = a[label], b[label]
        for key in sorted(set(ca["metrics"]) | set(cb["metrics"])):
            va, vb = ca["metrics"].get(key), cb["metrics"].get(key)
            same = va == vb or (
                isinstance(va, str)
                and isinstance(vb, str)
                and va == "nan" == vb  # repr(nan) == 'nan'
            )
            if not same:
                out.append(f"{label}: metric {key}: {va} != {vb}")
        for key in sorted(set(ca["state"]) | set(cb["state"])):
            if ca["state"].get(key) != cb["state"].get(key):
                out.append(f"{label}: state {key} differs")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", type=Path, required=True, help="JSON file to write")
    ap.add_argument("--full", action="store_true", help="add the scale-1 cases (~30 s each)")
    ap.add_argument("--only-full", action="store_true", help="only the scale-1 cases")
    ap.add_argument("--compare", type=Path, help="a fingerprint file to compare against")
    ap.add_argument(
        "--scenarios", type=Path, default=ROOT / "scenarios", help="folder of scenario files"
    )
    args = ap.parse_args(argv)
    import simulation

    print(f"package: {Path(simulation.__file__).parent}", flush=True)
    cases = [] if args.only_full else list(QUICK_CASES)
    if args.full or args.only_full:
        cases += FULL_CASES
    result: dict[str, Any] = {}
    for label, file, seed, scale, overrides in cases:
        result[label] = fingerprint(args.scenarios / file, seed, scale, overrides)
        print(f"{label:40s} {result[label]['seconds']:7.2f} s", flush=True)
    args.out.write_text(json.dumps(result, indent=1, sort_keys=True))
    if args.compare:
        diffs = compare(json.loads(args.compare.read_text()), result)
        if diffs:
            print("\n".join(["DIFFERENT:", *diffs]))
            return 1
        common = len(set(json.loads(args.compare.read_text())) & set(result))
        print(f"IDENTICAL: {common} cases, every metric and state digest equal")
    return 0


if __name__ == "__main__":
    sys.exit(main())

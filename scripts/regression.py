"""Regression baselines: every shipped scenario's metrics on a small city with a fixed seed.

    .venv/bin/python scripts/regression.py            # compare with tests/regression/*.json
    .venv/bin/python scripts/regression.py --write    # regenerate them (on purpose only)

A change that moves any result of any shipped scenario shows up as a changed file in review
(`tests/test_regression.py` fails until the files are regenerated with --write, which should go
with a "Results-changing" line in CHANGELOG.md saying why).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulation.model import CityModel  # noqa: E402
from simulation.modes import Mode  # noqa: E402

OUT = ROOT / "tests" / "regression"
SETTINGS = {"scale": 0.05, "days": 150}
SEED = 11
# The shipped scenarios: the baseline, one per mode (named as the mode), all six together.
SCENARIOS = ("baseline", *Mode, "chifeng_2018")


def metrics(name: str) -> dict[str, object]:
    """The run's metrics, floats as exact strings (repr round-trips; NaN stays NaN)."""
    m = CityModel(ROOT / "scenarios" / f"{name}.toml", rng=SEED, **SETTINGS)
    m.run_model()
    out: dict[str, object] = {}
    for key, value in m.metrics().items():
        if isinstance(value, float):
            out[key] = "nan" if math.isnan(value) else repr(value)
        else:
            out[key] = value
    return {"scenario": name, "seed": SEED, "settings": SETTINGS, "metrics": out}


def differences(name: str) -> list[str]:
    """Keys whose value differs from the committed file (empty: identical)."""
    path = OUT / f"{name}.json"
    if not path.is_file():
        return [f"{path} is missing"]
    old = json.loads(path.read_text())
    new = metrics(name)
    if old.get("settings") != new["settings"] or old.get("seed") != new["seed"]:
        return ["settings or seed changed"]
    keys = sorted(set(old["metrics"]) | set(new["metrics"]))
    return [
        f"{k}: {old['metrics'].get(k)} -> {new['metrics'].get(k)}"
        for k in keys
        if old["metrics"].get(k) != new["metrics"].get(k)
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="regenerate the committed baselines")
    args = ap.parse_args(argv)
    status = 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name in SCENARIOS:
        if args.write:
            (OUT / f"{name}.json").write_text(json.dumps(metrics(name), indent=1) + "\n")
            print(f"wrote {OUT / name}.json")
            continue
        diff = differences(name)
        print(f"{name}: {'identical' if not diff else f'{len(diff)} change(s)'}")
        for line in diff[:20]:
            print(f"  {line}")
        status |= bool(diff)
    return status


if __name__ == "__main__":
    raise SystemExit(main())

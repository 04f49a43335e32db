"""Regenerate results/reference/: the shipped comparison at a small, fixed size.

    make reference        (or: .venv/bin/python scripts/make_reference.py)

The eight shipped scenarios at 1 % of the city, 365 days, 3 paired replications, seed from
the files: about 25 runs, well under a minute on 2 cores. Kept in git: the headline table
(comparison.csv, ranking.csv), the main charts (PNG) and the reference study's settings;
tests/test_reference.py reruns the study and fails when the shipped table is stale.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "results" / "reference"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulation.modes import Mode  # noqa: E402

# The shipped scenarios: the baseline, one per mode (named as the mode), all six together.
SCENARIOS = [ROOT / "scenarios" / f"{name}.toml" for name in ("baseline", *Mode, "chifeng_2018")]
SETTINGS = {"scale": 0.01, "replications": 3}


def run_study(folder: Path, charts: bool):
    """The reference comparison, written to `folder` (a fresh study folder)."""
    from simulation import api

    return api.compare(SCENARIOS, **SETTINGS, out=folder, workers=2, progress=False, charts=charts)


def write_charts(result, folder: Path) -> None:
    """The main charts as PNG: differences, ranking, needs met per community."""
    import pandas as pd

    from simulation.views import charts

    base = result.baseline
    charts.difference_chart(result.table, folder / "differences.png", baseline=base)
    charts.ranking_chart(result.ranking, result.metric, folder / "ranking.png", baseline=base)
    communities = pd.read_parquet(result.study.folder / "communities.parquet")
    charts.communities_chart(communities, folder / "communities.png", baseline=base)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="reference-") as tmp:
        result = run_study(Path(tmp) / "study", charts=False)
        staging = Path(tmp) / "reference"
        (staging / "charts").mkdir(parents=True)
        for name in ("comparison.csv", "ranking.csv"):
            shutil.copy(result.study.folder / name, staging / name)
        write_charts(result, staging / "charts")
        env = result.study.manifest.get("environment", {})
        settings = {
            **SETTINGS,
            "scenarios": [p.name for p in SCENARIOS],
            "base_seed": result.study.manifest.get("base_seed"),
            "package_version": env.get("package_version"),
            "git_revision": env.get("git_revision"),
            "regenerate": "make reference",
        }
        (staging / "settings.json").write_text(json.dumps(settings, indent=2) + "\n")
        readme = OUT / "README.md"  # hand-written: kept across regenerations
        if readme.is_file():
            shutil.copy(readme, staging / "README.md")
        shutil.rmtree(OUT, ignore_errors=True)
        shutil.copytree(staging, OUT)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

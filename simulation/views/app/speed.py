"""How fast the dashboard plays: `python -m simulation.views.app.speed [--scales 0.1 1]`.

For each scale: build the page's pair of runs (scenario and baseline, `Session`), step a year,
and draw the two pictures once, `--repeats` times; prints medians of wall-clock and CPU
seconds, and the load average seen (the machine may be shared, and wall time shows it).
This is what backs the figures in the README's dashboard section.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from simulation.scenario import load_scenario
from simulation.views.app.figures import map_png, series_png
from simulation.views.app.session import Session

__all__ = ["main", "measure"]


def measure(scenario: Path, scale: float, days: int = 365) -> dict[str, float]:
    """Seconds (wall and CPU) to build, to step `days` days, and to draw once, for one scale."""
    s = load_scenario(scenario, overrides={"scale": scale, "days": days})
    out: dict[str, float] = {}
    w, c = time.perf_counter(), time.process_time()
    session = Session(s)
    out["build_wall"], out["build_cpu"] = time.perf_counter() - w, time.process_time() - c
    w, c = time.perf_counter(), time.process_time()
    session.advance(days)
    out["year_wall"], out["year_cpu"] = time.perf_counter() - w, time.process_time() - c
    snap = session.snapshot()
    w, c = time.perf_counter(), time.process_time()
    series_png(snap, "en")
    map_png(snap, "en")
    out["draw_wall"], out["draw_cpu"] = time.perf_counter() - w, time.process_time() - c
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """Print the medians for each scale."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scales", type=float, nargs="+", default=[0.1, 1.0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--scenario", type=Path, default=Path("scenarios/chifeng_2018.toml"))
    args = p.parse_args(argv)
    measure(args.scenario, min(args.scales), days=70)  # imports and caches, not timed
    for scale in args.scales:
        runs = [measure(args.scenario, scale) for _ in range(args.repeats)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(
            f"scale {scale:g} ({args.scenario.stem}, median of {args.repeats}): "
            f"build {med['build_wall']:.2f} s; a year of both runs {med['year_wall']:.2f} s wall "
            f"= {1000 * med['year_wall'] / 365:.1f} ms/day ({1000 * med['year_cpu'] / 365:.1f} ms "
            f"CPU); one redraw {med['draw_wall']:.2f} s; load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()

"""One planner's run: the chosen scenario and its baseline, stepped side by side.

A `Session` belongs to one browser tab (the page creates one per tab), so two tabs never share
a model. It holds two `CityModel`s built from the same seed and run settings: the scenario as
the planner set it, and its *baseline*, the same scenario with every mode switched off (for the
shipped files this runs exactly as the shipped baseline: tests/test_app.py checks it). Common seeds make
the two runs face the same problems, so the gap between the curves is what the modes change.

Both runs are rebuilt on every reset (a tenth of Chifeng builds in well under a second), so
the figures on the page at day d are exactly those `simulation run --days d` would report.

All methods are thread-safe: the page steps a session from a background thread while the user
may press buttons.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.model import CityModel
from simulation.scenario import Scenario, ScenarioError, load_scenario
from simulation.views.app.controls import MODES, apply_values
from simulation.views.app.readouts import (
    Links,
    alliance_links,
    community_layout,
    community_needs_met,
)

__all__ = ["DEFAULT_SCALE", "SERIES", "Session", "Snapshot", "baseline_of", "shipped_scenarios"]

#: The page's default scale: a tenth of Chifeng (about 208,000 residents and 100,000 problems
#: a year, all 291 communities and every organisation). The project's main comparison runs at
#: this scale because its results agree with the full city in direction for every mode and
#: within about a percentage point (docs/ODD.md, "Scales"); it keeps several tabs within
#: memory and a year of both runs within a couple of seconds. Scale 1 is one field away.
DEFAULT_SCALE = 0.1

#: The three metrics the charts and headline figures show (design.md §4 names).
SERIES: tuple[str, ...] = ("service_coverage", "resolution_rate", "needs_met_rate")


def shipped_scenarios(folder: Path) -> dict[str, Path]:
    """The scenario files in `folder` (scenarios/*.toml), by name, baseline first."""
    files = sorted(folder.glob("*.toml"))
    named = {}
    for path in files:
        try:
            scenario = load_scenario(path)
        except ScenarioError:  # a sweep file (or a broken file) is not a scenario to offer
            continue
        named[scenario.name] = path
    order = sorted(named, key=lambda n: (n != "baseline", n == "chifeng_2018", n))
    return {n: named[n] for n in order}


def baseline_of(scenario: Scenario) -> Scenario:
    """The scenario with every mode off: the same city, service and run settings."""
    return apply_values(
        scenario, {f"modes.{m}.enabled": False for m in MODES} | {"name": "baseline"}
    )


@dataclass(frozen=True, eq=False)  # compared by identity: each one is a new moment
class Snapshot:
    """What the page shows at one moment; immutable, so rendering never races stepping."""

    version: int
    day: int
    horizon: int
    scenario: Scenario
    series: pd.DataFrame  # the scenario's daily metrics (model.timeseries())
    baseline_series: pd.DataFrame  # the baseline's, up to the same day
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    needs_met: np.ndarray  # (K,) per community, NaN while unknown
    layout: tuple[np.ndarray, np.ndarray]
    residents: np.ndarray  # (K,) for marker sizes
    street: np.ndarray  # (K,) street of each community
    links: Links
    ms_per_day: float | None  # wall time per simulated day of the last stepping, both runs
    first_known_day: int  # first day with a value in the daily series
    extras: dict[str, Any] = field(default_factory=dict)


class Session:
    """The scenario and baseline runs of one browser tab."""

    def __init__(self, scenario: Scenario) -> None:
        self._lock = threading.RLock()
        self._version = 0
        self.epoch = 0  # counts resets, so a task can tell that its run was replaced
        self._baseline_model: CityModel | None = None
        self._ms_per_day: float | None = None
        self._links_key: bytes = b""
        self._links = Links(np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64))
        self.stop_requested = threading.Event()
        self.reset(scenario)

    # ------------------------------------------------------------------ set-up
    def reset(self, scenario: Scenario | None = None) -> None:
        """Back to day 0, with `scenario` if given (else the current one)."""
        with self._lock:
            if scenario is not None:
                self.scenario = scenario
            s = self.scenario
            base = baseline_of(s)
            self._baseline_model = CityModel(scenario=base, rng=base.run.seed)
            self.model = CityModel(scenario=s, rng=s.run.seed)
            self._layout = community_layout(self.model)
            self._links_key = b""
            self._ms_per_day = None
            self._version += 1
            self.epoch += 1

    # ------------------------------------------------------------------ stepping
    @property
    def day(self) -> int:
        return self.model.day

    @property
    def horizon(self) -> int:
        return self.scenario.run.days

    @property
    def finished(self) -> bool:
        return self.model.day >= self.horizon

    def advance(self, days: int) -> int:
        """Step both runs `days` days (fewer at the horizon); returns the days stepped."""
        with self._lock:
            n = max(0, min(days, self.horizon - self.model.day))
            start = time.perf_counter()
            for _ in range(n):
                self.model.step()
            base = self._baseline_model
            assert base is not None
            while base.day < self.model.day:
                base.step()
            if n:
                self._ms_per_day = (time.perf_counter() - start) * 1000.0 / n
                self._version += 1
            return n

    # ------------------------------------------------------------------ read-out
    def snapshot(self) -> Snapshot:
        """The current state, copied for the page."""
        with self._lock:
            m, base = self.model, self._baseline_model
            assert base is not None
            day = m.day
            series = m.timeseries() if day else pd.DataFrame(columns=["day", *SERIES])
            b_series = base.timeseries() if base.day else pd.DataFrame(columns=["day", *SERIES])
            metrics = m.metrics() if day else {}
            b_metrics = base.metrics() if day else {}
            needs_met, _ = community_needs_met(m)
            status_key = np.asarray(m.alliances.status).tobytes() if m.alliances.n else b""
            if status_key != self._links_key:
                self._links = alliance_links(m)
                self._links_key = status_key
            run = self.scenario.run
            return Snapshot(
                version=self._version,
                day=day,
                horizon=self.horizon,
                scenario=self.scenario,
                series=series,
                baseline_series=b_series,
                metrics=metrics,
                baseline_metrics=b_metrics,
                needs_met=needs_met,
                layout=self._layout,
                residents=np.asarray(m.city.community_residents, dtype=float),
                street=np.asarray(m.city.community_street),
                links=self._links,
                ms_per_day=self._ms_per_day,
                first_known_day=run.warmup_days + run.resolution_limit_days + 1,
            )

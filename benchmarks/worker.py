"""One measurement, run in a fresh process by `benchmarks/run.py` (not meant to be run by hand).

Each measurement gets its own interpreter so that one case's memory (peak RSS is a high-water
mark that never comes down) and warm caches (imports, allocator arenas, the matching memo)
cannot leak into the next. The parent reads this process's peak RSS from the operating system
when it exits; this script prints one JSON object on stdout with its own timings.

    python benchmarks/worker.py model SCENARIO SCALE DAYS SEED
    python benchmarks/worker.py mesa N_AGENTS STEPS SEED
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))


def _rss_mib() -> float:
    """Peak RSS of this process so far, in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure_model(scenario: str, scale: float, days: int, seed: int) -> dict[str, Any]:
    """Build the model, run every day, and time the two phases separately."""
    w0 = time.perf_counter()
    from simulation.model import CityModel

    w1, c1 = time.perf_counter(), time.process_time()
    rss_import = _rss_mib()
    m = CityModel(scenario, rng=seed, scale=scale, days=days)
    w2, c2 = time.perf_counter(), time.process_time()
    rss_built = _rss_mib()
    for _ in range(days):
        m.step()
    w3, c3 = time.perf_counter(), time.process_time()
    city = m.city
    return {
        "kind": "model",
        "scale": scale,
        "days": days,
        "seed": seed,
        "n_residents": city.n_residents,
        "n_problems": int(m.service.n_problems),
        "n_communities": city.n_communities,
        "n_units": city.n_units,
        "n_members": city.n_members,
        "n_alliances": int(m.alliances.n),
        "n_agents": len(m.agents),
        "import_s": w1 - w0,
        "construct_s": w2 - w1,
        "steps_s": w3 - w2,
        "total_s": w3 - w1,
        "construct_cpu_s": c2 - c1,
        "steps_cpu_s": c3 - c2,
        "rss_import_mib": rss_import,
        "rss_built_mib": rss_built,
        "rss_self_peak_mib": _rss_mib(),
    }


def measure_mesa(n_agents: int, steps: int, seed: int) -> dict[str, Any]:
    """A plain Mesa model: one trivial agent per resident, stepped with `shuffle_do`.

    Each agent's step is one draw and one attribute update — the least a per-resident agent
    can do in a day — so this is a lower bound on what one Mesa agent per resident costs.
    """
    import mesa

    class TrivialAgent(mesa.Agent):
        """One resident: a value that takes one random draw a day."""

        def __init__(self, model: mesa.Model) -> None:
            super().__init__(model)
            self.value = 0.0

        def step(self) -> None:
            self.value += self.random.random()

    class TrivialModel(mesa.Model):
        """`n` trivial agents, activated in random order each step (Mesa's idiom)."""

        def __init__(self, n: int, rng: int) -> None:
            super().__init__(rng=rng)
            for _ in range(n):
                TrivialAgent(self)

        def step(self) -> None:
            self.agents.shuffle_do("step")

    rss_import = _rss_mib()
    w0, c0 = time.perf_counter(), time.process_time()
    model = TrivialModel(n_agents, seed)
    w1, c1 = time.perf_counter(), time.process_time()
    per_step: list[float] = []
    per_step_cpu: list[float] = []
    for _ in range(steps):
        a, b = time.perf_counter(), time.process_time()
        model.step()
        per_step.append(time.perf_counter() - a)
        per_step_cpu.append(time.process_time() - b)
    return {
        "kind": "mesa",
        "n_agents": n_agents,
        "steps": steps,
        "seed": seed,
        "construct_s": w1 - w0,
        "construct_cpu_s": c1 - c0,
        "step_s": per_step,
        "step_cpu_s": per_step_cpu,
        "rss_import_mib": rss_import,
        "rss_self_peak_mib": _rss_mib(),
    }


def main(argv: list[str]) -> None:
    kind = argv[0]
    if kind == "model":
        out = measure_model(argv[1], float(argv[2]), int(argv[3]), int(argv[4]))
    elif kind == "mesa":
        out = measure_mesa(int(argv[1]), int(argv[2]), int(argv[3]))
    else:
        raise SystemExit(f"unknown measurement {kind!r}; allowed: model, mesa")
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

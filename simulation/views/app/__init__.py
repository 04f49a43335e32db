"""The interactive dashboard for planners (`simulation app`): Solara, served on 127.0.0.1.

- `controls`: the controls, generated from the scenario schema (bounds, choices, help);
- `session`: one tab's pair of runs (scenario and baseline, same seed), thread-safe;
- `readouts`: the per-community state the map reads from a model (the one place it does);
- `figures`: the time-series chart and the community map (matplotlib, PNG);
- `page`: the Solara page; `server`: starting it.

Imports of Solara stay inside `page` and `server`, so the rest works (and is tested) without
a browser or a server.
"""

from __future__ import annotations

from simulation.views.app.server import HOST, free_port, serve
from simulation.views.app.session import DEFAULT_SCALE

__all__ = ["DEFAULT_SCALE", "HOST", "free_port", "serve"]

"""`CityModel`: the Mesa model of a city's party organisations and residents' problems.

One step is one day. The order within a day is fixed (and documented in docs/ODD.md):

1. mechanisms: alliance approvals, tie decay, budgets, joint activities, assessment and
   dynamic management (`AllianceBook.step`);
2. modes: each enabled mode adds today's effects to a fresh set of `Levers`;
3. service: problems arise, are reported or discovered, routed, escalated, handled by
   communities, resolved or expired; trust and reputation follow (`ServiceProcess.step`);
4. metrics: the day's metrics over the trailing closed cohort are computed and the
   DataCollector records them;
5. `running` turns false at the end of the horizon.

The model is constructible with keyword arguments only, so Mesa's own tools can drive it:

    >>> from simulation.model import CityModel
    >>> m = CityModel(scenario="scenarios/baseline.toml", rng=1, scale=0.005, days=70)
    >>> m.run_model()
    >>> 0.0 <= m.metrics()["resolution_rate"] <= 1.0
    True

`model.params` is this package's `Scenario`; `model.scenario` stays Mesa's own scenario
object (it carries the seed), because Mesa writes to it.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from simulation.agents import (
    Alliance,
    CommercialDistrict,
    Community,
    PartyMember,
    Street,
    UnitOrganisation,
)
from simulation.categories import CATEGORIES
from simulation.city import build_city
from simulation.mechanisms import AllianceBook
from simulation.metrics import (
    DAILY_COLUMNS,
    STRUCTURE_COLUMNS,
    daily_metrics,
    quartile_groups,
    run_metrics,
)
from simulation.modes import REGISTRY, Mode, Structure
from simulation.rng import RandomStreams
from simulation.scenario import Scenario, load_scenario
from simulation.service import Levers, ServiceProcess

__all__ = ["CityModel", "resolve_scenario"]


def resolve_scenario(scenario: Scenario | str | Path | None, overrides: dict[str, Any]) -> Scenario:
    """A Scenario from a path, a loaded Scenario or None (the built-in Chifeng baseline)."""
    if scenario is None:
        scenario = Scenario(name="baseline")
    if isinstance(scenario, str | Path):
        return load_scenario(scenario, overrides=overrides)
    return scenario.replace(overrides) if overrides else scenario


def _daily_value(name: str, model: CityModel) -> float:
    """DataCollector reporter: today's trailing-window value of metric `name`."""
    return model.daily[name]


class CityModel(mesa.Model):
    """A city's organisations, alliances, members, residents and problems, day by day.

    Args:
        scenario: a scenario file path, a loaded `Scenario`, or None for the built-in Chifeng
            2018 baseline at full scale.
        rng: the run's seed (an int); defaults to the scenario's `run.seed`.
        **overrides: dotted scenario keys or run shortcuts (`days`, `scale`, `warmup_days`,
            ...), validated like file values; e.g. `scale=0.01`.
    """

    def __init__(
        self,
        scenario: Scenario | str | Path | None = None,
        *,
        rng: int | None = None,
        **overrides: Any,
    ) -> None:
        params = resolve_scenario(scenario, overrides)
        seed = params.run.seed if rng is None else int(rng)
        super().__init__(rng=seed)
        self.params = params
        self.seed = seed
        self.day = 0
        self.streams = RandomStreams(seed)
        self.city = build_city(params, self.streams)
        shares = np.array([getattr(params.demand.category_shares, c) for c in CATEGORIES])
        self.category_shares = shares / shares.sum()
        self._coverage_base = self.city.party_covered_base()
        self.quartiles = quartile_groups(self.city.community_strength)
        self.structure = Structure.baseline(self.city)
        self.alliances = AllianceBook(params, self.city.n_communities, self.streams)
        self.modes = [
            REGISTRY[Mode(name)](getattr(params.modes, name)) for name in params.enabled_modes()
        ]
        for mode in self.modes:
            mode.setup(self)
        city = self.city
        self.alliances.freeze(np.where(city.agency_mask(), city.unit_primary, -1))
        self.service = ServiceProcess(params, self.city, self.streams)
        self._create_agents()
        self.daily: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={"day": "day"}
            | {name: partial(_daily_value, name) for name in DAILY_COLUMNS}
        )

    def _create_agents(self) -> None:
        """One Mesa agent per organisation, member and alliance (views on the columns).

        Agents are built by calling each class in a plain loop rather than through
        `Agent.create_agents`: that helper also returns a weak-reference `AgentSet` of the
        new agents, which nobody here reads and which cost about a third of the time at full
        scale (~46,000 members). Registration, ids (same order) and `model.agents` are as
        with `create_agents`; Python ints avoid a numpy-scalar conversion per agent.
        """
        city = self.city
        for cls, n in (
            (Street, city.n_streets),
            (Community, city.n_communities),
            (UnitOrganisation, city.n_units),
            (CommercialDistrict, city.district_community.size),
            (PartyMember, city.n_members),
            (Alliance, self.alliances.n),
        ):
            for index in range(n):
                cls(self, index)

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """One day, in the order given in the module docstring."""
        if self.day >= self.params.run.days:
            raise RuntimeError(
                f"the run's horizon is {self.params.run.days} days; build the model with "
                "days=... to simulate longer"
            )
        self.day += 1
        day = self.day
        self.alliances.step(day)
        levers = Levers(self.city.n_communities)
        # The alliances' own hours are the whole city's; the service counts the simulated
        # sample's hours, so they enter in the sample's share (metrics scale totals back up).
        levers.extra_hours_spent = self.alliances.hours_spent_today * self.city.sample_share
        levers.cost_yuan = self.alliances.yuan_today
        for mode in self.modes:
            mode.contribute(self, day, levers)
        self.service.step(day, levers)
        self.daily = daily_metrics(self, day)
        self.datacollector.collect(self)
        if day >= self.params.run.days:
            self.running = False

    # ------------------------------------------------------------------ read-outs
    def party_org_coverage(self) -> float:
        """Share of non-public enterprises and social organisations with a party organisation."""
        base = self._coverage_base
        return float(self.structure.unit_covered[base].mean()) if base.any() else float("nan")

    def structure_counts(self) -> dict[str, int]:
        """The run's structure columns (organisations, members, alliances built by modes)."""
        city = self.city
        out = dict.fromkeys(STRUCTURE_COLUMNS, 0)
        out.update(
            n_streets=city.n_streets,
            n_communities=city.n_communities,
            n_agencies=city.n_agencies,
            n_members=city.n_members,
            n_residents=city.n_residents,
        )
        for mode in self.modes:
            out.update(mode.counts(self))
        return out

    def metrics(self) -> dict[str, float]:
        """Every metric of the run so far (design.md §4) plus the structure counts."""
        return {**run_metrics(self), **self.structure_counts()}

    def timeseries(self) -> pd.DataFrame:
        """The daily trailing-window metrics, one row per simulated day."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        df["day"] = df["day"].astype(int)
        return df

"""Mode 6, smart party building (智慧党建线上互动).

Covered streets join one online platform with the departments' regulations, workflows and
procedures and the household information of their grids.

* Adoption: residents with digital access take the platform up over time, following a Bass
  diffusion (adoption A grows by (p + q A)(1 - A) a year, p = `adoption_innovation`,
  q = `adoption_imitation`, both times the mode's strength); an adopter reports with the
  one-click hazard, so the reporting gain follows adoption and starts at zero.
* Routing: each escalated problem of a covered street goes straight to the competent level
  (the street when it can solve it, otherwise the agencies) with probability
  min(strength, 1), decided per problem by a counter-based draw.
* Workflows: online procedures save `workflow_efficiency` x strength of the hours a problem
  takes, everywhere in covered streets.
* Cost: `build_yuan_per_street` once (day 1) and `operation_yuan_per_street_year` per covered
  street, both times strength.

Members and units claiming open tasks on the platform is not modelled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.modes.base import ModePolicy, pick_share

if TYPE_CHECKING:
    from simulation.model import CityModel
    from simulation.service import Levers

__all__ = ["SmartPlatform", "bass_step"]


def bass_step(adoption: float, p: float, q: float, days: float = 1.0) -> float:
    """Adoption after `days` more days of a Bass diffusion with yearly rates p and q (an exact
    step of the logistic solution, so it never overshoots 1)."""
    if p <= 0 and q <= 0:
        return adoption
    rate = (p + q) * days / 365.0
    if p <= 0:  # pure imitation: logistic growth from the current level
        a = adoption
        return a / (a + (1.0 - a) * np.exp(-rate)) if a > 0 else 0.0
    # F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}); advance from the equivalent time.
    a = min(adoption, 1.0 - 1e-15)
    e0 = (1.0 - a) / (1.0 + q / p * a)
    e = e0 * np.exp(-rate)
    return float((1.0 - e) / (1.0 + q / p * e))


class SmartPlatform(ModePolicy):
    """One platform for residents, departments and party organisations."""

    name = "smart_platform"

    def setup(self, model: CityModel) -> None:
        city = model.city
        streets = pick_share(self.rng(model), city.n_streets, self.p.coverage)
        self.covered = np.isin(city.community_street, streets)
        self.n_streets = int(streets.size)
        self.adoption = 0.0

    def contribute(self, model: CityModel, day: int, levers: Levers) -> None:
        p, s = self.p, self.strength
        cov = self.covered
        self.adoption = bass_step(
            self.adoption, p.adoption_innovation * s, p.adoption_imitation * s
        )
        levers.report_platform_digital[cov] += p.one_click_hazard * self.adoption
        if p.direct_routing:
            levers.direct_routing[cov] = np.maximum(levers.direct_routing[cov], min(s, 1.0))
        levers.hours_factor[cov] *= max(1.0 - p.workflow_efficiency * s, 0.1)
        yearly = p.operation_yuan_per_street_year / 365.0 + (
            p.build_yuan_per_street if day == 1 else 0.0
        )
        levers.cost_yuan += yearly * self.n_streets * s

    def counts(self, model: CityModel) -> dict[str, int]:
        return {"n_platform_streets": self.n_streets}

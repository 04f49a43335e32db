"""Mode 6, smart party building (智慧党建线上互动).

Covered streets join one online platform with the departments' regulations, workflows and
procedures and the household information of their grids. Residents with digital access can
report with one click ("call" and "one-click" service); escalations go straight to the
competent level — the street when it can solve the problem, otherwise the agency, without the
street forwarding it; online workflows save staff hours per problem ("much work, few hands").
Members and units claiming open tasks on the platform is not modelled.

Effect in the model, in covered streets' communities: an extra reporting hazard for residents
with digital access (scaled by trust), direct routing, and fewer hours per problem.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.modes.base import ModePolicy, pick_share

if TYPE_CHECKING:
    from simulation.model import CityModel
    from simulation.service import Levers

__all__ = ["SmartPlatform"]


class SmartPlatform(ModePolicy):
    """One platform for residents, departments and party organisations."""

    name = "smart_platform"

    def setup(self, model: CityModel) -> None:
        city = model.city
        streets = pick_share(self.rng(model), city.n_streets, self.p.coverage)
        self.covered = np.isin(city.community_street, streets)
        self.n_streets = int(streets.size)

    def contribute(self, model: CityModel, day: int, levers: Levers) -> None:
        p, s = self.p, self.strength
        cov = self.covered
        levers.report_platform_digital[cov] += p.one_click_hazard * s
        if p.direct_routing and s > 0:
            levers.direct_routing |= cov
        levers.hours_factor[cov] *= max(1.0 - p.workflow_efficiency * s, 0.1)

    def counts(self, model: CityModel) -> dict[str, int]:
        return {"n_platform_streets": self.n_streets}

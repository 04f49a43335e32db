"""The one interface every integration mode implements, and the structure they share.

A mode is a policy module with three duties, called at fixed points of the model's day:

* `setup(model)` once, after the city is built: choose where the mode applies (coverage),
  pair organisations (mechanism 4) and file its alliances in the model's `AllianceBook`;
* `contribute(model, day, levers)` every day: add today's effects to the `Levers` the service
  process reads (never anything else), weighted by the mode's `strength`;
* `counts()` at the end: the structure it built, for the run's columns.

Each mode draws only from its own named random stream (`mode.<name>`), so switching one mode on
never shifts the draws of another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

if TYPE_CHECKING:
    from simulation.city import City
    from simulation.model import CityModel
    from simulation.service import Levers

__all__ = ["ModePolicy", "Structure"]


@dataclass
class Structure:
    """Organisational facts the modes change, read by agents and metrics."""

    street_joint_committee: np.ndarray
    community_joint_committee: np.ndarray
    unit_covered: np.ndarray
    agency_paired: np.ndarray
    member_reporting: np.ndarray
    member_points: np.ndarray
    district_joint_org: np.ndarray
    extra: dict[str, int] = field(default_factory=dict)

    @classmethod
    def baseline(cls, city: City) -> Structure:
        """The siloed city: no joint organisations, only formal party organisations."""
        return cls(
            street_joint_committee=np.zeros(city.n_streets, dtype=bool),
            community_joint_committee=np.zeros(city.n_communities, dtype=bool),
            unit_covered=city.unit_formal_party_org.copy(),
            agency_paired=np.zeros(city.n_units, dtype=bool),
            member_reporting=np.zeros(city.n_members, dtype=bool),
            member_points=np.zeros(city.n_members),
            district_joint_org=np.zeros(city.district_community.size, dtype=bool),
        )


class ModePolicy:
    """Base class of the six modes (see the module docstring for the contract)."""

    name: ClassVar[str]

    def __init__(self, params: Any) -> None:
        self.p = params

    @property
    def strength(self) -> float:
        return float(self.p.strength)

    def rng(self, model: CityModel) -> np.random.Generator:
        """The mode's own random stream."""
        return model.streams.generator(f"mode.{self.name}")

    def setup(self, model: CityModel) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def contribute(self, model: CityModel, day: int, levers: Levers) -> None:  # pragma: no cover
        raise NotImplementedError

    def counts(self, model: CityModel) -> dict[str, int]:
        return {}


def pick_share(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """A random subset of round(share * n) of range(n), sorted (all when share >= 1).

    A prefix of one permutation, so subsets are nested: with the same seed, coverage 0.3
    covers what coverage 0.25 covers and more (sweeps over coverage then vary only how much,
    not also where).
    """
    order = rng.permutation(n)  # drawn at every coverage: later draws do not depend on it
    if share >= 1.0:
        return np.arange(n)
    return np.sort(order[: round(share * n)])


def union_x(resources: np.ndarray) -> np.ndarray:
    """x = -ln(1 - v) of the union v of several units' resources (rows), per category.

    Stored this way so that an alliance at tie t and strength s adds 1 - (1 - v)^(s t).
    """
    if resources.size == 0:
        return np.zeros(resources.shape[-1])
    miss = np.prod(1.0 - np.clip(resources, 0.0, 0.999), axis=0)
    return -np.log(miss)

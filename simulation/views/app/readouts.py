"""What the dashboard reads from a running model beyond its public metrics: one place, small.

`CityModel.metrics()` and `CityModel.timeseries()` give the city-wide numbers. The map also
needs per-community state, which the model has no public accessor for yet, so it is read here
and only here. The model attributes this module reads (so the model's authors know what a
rework must keep or replace):

- `model.day`, `model.params.run.warmup_days`, `model.params.run.resolution_limit_days`;
- `model.city.community_street` (K,), `model.city.community_residents` (K,),
  `model.city.unit_community` (U,);
- `model.service.community`, `model.service.arise_day`, `model.service.status` (one entry per
  problem drawn for the run) and the status code `simulation.service.RESOLVED`;
- `model.alliances.n`, `.communities` (list of community lists), `.units` (list of unit
  lists), `.kind_arr`, `.status` and the status code `simulation.mechanisms.ACTIVE`;
  `simulation.mechanisms.AllianceKind.NAMES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simulation.mechanisms import ACTIVE, AllianceKind
from simulation.service import RESOLVED

if TYPE_CHECKING:
    from simulation.model import CityModel

__all__ = ["ALLIANCE_KINDS", "Links", "alliance_links", "community_layout", "community_needs_met"]

#: Alliance kinds, as named by the model (keys of the translation catalogue: `alliance.*`).
ALLIANCE_KINDS: tuple[str, ...] = tuple(AllianceKind.NAMES)


def community_needs_met(model: CityModel) -> tuple[np.ndarray, np.ndarray]:
    """Per community: needs met so far (NaN where no problem has a known fate yet), and counts.

    Uses the run metric's definition (design.md §4) restricted to one community: problems
    that arose after the warm-up and at least the resolution limit ago (so each is resolved
    or expired), resolved share. Returns (rate, number of such problems), both of shape (K,).
    """
    svc, run = model.service, model.params.run
    k = model.city.community_street.size
    a = svc.arise_day
    closed = (a > run.warmup_days) & (a <= model.day - run.resolution_limit_days)
    comm = svc.community[closed]
    n = np.bincount(comm, minlength=k)
    met = np.bincount(comm, weights=(svc.status[closed] == RESOLVED), minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n > 0, met / np.maximum(n, 1), np.nan)
    return rate, n


def community_layout(model: CityModel) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic (x, y) of every community: a schematic map, not geography.

    The model has no coordinates, so streets sit on a near-square grid in index order and each
    street's communities on a sunflower (Vogel) spiral around the street's centre, the biggest
    community nearest the centre. Same city, same picture; no iterative (spring) layout, so it
    costs microseconds at any size.
    """
    street = np.asarray(model.city.community_street)
    residents = np.asarray(model.city.community_residents, dtype=float)
    n_streets = int(street.max()) + 1 if street.size else 0
    cols = max(1, int(np.ceil(np.sqrt(n_streets))))
    x = np.zeros(street.size)
    y = np.zeros(street.size)
    golden = np.pi * (3.0 - np.sqrt(5.0))
    for s in range(n_streets):
        members = np.flatnonzero(street == s)
        members = members[np.argsort(-residents[members], kind="stable")]
        cx, cy = s % cols, -(s // cols)
        i = np.arange(members.size)
        r = 0.42 * np.sqrt((i + 0.5) / max(members.size, 1))
        x[members] = cx + r * np.cos(i * golden)
        y[members] = cy + r * np.sin(i * golden)
    return x, y


@dataclass(frozen=True)
class Links:
    """Alliance links between communities: pairs (i, j) and the alliance kind of each pair."""

    pairs: np.ndarray  # (L, 2) int community indices
    kind: np.ndarray  # (L,) int index into ALLIANCE_KINDS

    @property
    def count(self) -> int:
        return int(self.kind.size)


def alliance_links(model: CityModel) -> Links:
    """Links drawn for every active alliance: from its lead community to each other community
    it reaches (its member communities and the home communities of its member units).

    An alliance within one community draws nothing; pending and rejected ones draw nothing.
    """
    book = model.alliances
    unit_comm = np.asarray(model.city.unit_community)
    pairs: list[tuple[int, int]] = []
    kinds: list[int] = []
    for a in np.flatnonzero(np.asarray(book.status)[: book.n] == ACTIVE):
        comms = list(book.communities[a])
        comms += [int(unit_comm[u]) for u in book.units[a]]
        if not comms:
            continue
        lead = comms[0]
        for other in dict.fromkeys(comms[1:]):
            if other != lead:
                pairs.append((lead, other))
                kinds.append(int(book.kind_arr[a]))
    if not pairs:
        return Links(np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64))
    return Links(np.asarray(pairs, dtype=np.int64), np.asarray(kinds, dtype=np.int64))

"""Mode 3, central community (中心社区以强带弱).

The strongest communities become centres; each takes on up to `max_weak_per_centre` weak old
communities of its street (or the neighbouring streets), the weakest first — or any weak
communities at random under forced pairing. What the cluster shares is people's time, and it is
conserved:

* the centre lends `capacity_share` of its staff hours (split over the weak communities by
  population): the centre's staff work the weak communities' problems that the weak
  communities cannot solve themselves, with the centre's competence (an offer in each weak
  community), and the centre's own pool loses exactly those hours. The competence is the lent
  staff's, not copied: it acts only through the lent hours, and the weak communities' own
  staff do not gain it;
* information shared is grid time shared: the centre lends `information_share` of its grid
  workers' time to the weak communities' grids (split by their grids), so the weak find more
  hidden problems and the centre fewer.

Both are weighted by the cluster's tie strength and the mode's strength. Nothing is copied and
nothing is free: a cluster can only move hours and skills to where the problems are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.mechanisms import ACTIVE, AllianceKind
from simulation.modes.base import ModePolicy
from simulation.service import Offer

if TYPE_CHECKING:
    from simulation.model import CityModel
    from simulation.service import Levers

__all__ = ["CentralCommunity"]

_OLD = 0


class CentralCommunity(ModePolicy):
    """Clusters of a strong centre and neighbouring weak communities."""

    name = "central_community"

    def setup(self, model: CityModel) -> None:
        city, p, book = model.city, self.p, model.alliances
        rng = self.rng(model)
        forced = model.params.principles.pairing == "forced"
        K = city.n_communities
        n_centres = round(p.centre_share * K)
        strength = city.community_strength
        centres = np.argsort(-strength, kind="stable")[:n_centres]
        free = (city.community_type == _OLD) & ~np.isin(np.arange(K), centres)
        street = city.community_street
        self.clusters: list[tuple[int, np.ndarray, int]] = []
        for c in centres:
            if forced:
                pool = np.flatnonzero(free)
                weak = (
                    rng.choice(pool, size=min(p.max_weak_per_centre, pool.size), replace=False)
                    if pool.size
                    else pool
                )
            else:
                weak = np.zeros(0, dtype=np.int64)
                for dist in range(city.n_streets):
                    near = np.flatnonzero(free & (np.abs(street - street[c]) == dist))
                    near = near[np.argsort(strength[near], kind="stable")]
                    weak = np.concatenate([weak, near[: p.max_weak_per_centre - weak.size]])
                    if weak.size >= p.max_weak_per_centre or dist >= 1:
                        break
            if not weak.size:
                continue
            free[weak] = False
            # The lent staff bring the centre's competence to the weak communities' problems.
            x = -np.log1p(-np.clip(city.competence[c], 0.0, 0.999))
            cats = np.flatnonzero(x > 0)
            pop = city.community_population[weak].astype(float)
            split = pop / pop.sum()
            lent = p.capacity_share * city.community_staff_hours[c]
            a = book.add(
                AllianceKind.CENTRAL_CLUSTER,
                [int(c), *weak.tolist()],
                [],
                self.strength,
                resources=(
                    np.repeat(weak, cats.size),
                    np.tile(cats, weak.size),
                    np.tile(x[cats], weak.size),
                ),
                hours=(np.concatenate([weak, [c]]), np.concatenate([lent * split, [-lent]])),
                forced=forced,
                key=int(c),
            )
            self.clusters.append((int(c), weak, a))
        # Grid time: per cluster, the centre's staffing lent (share of its grids' time) and how
        # it is spread over the weak communities' grids (conserved in grid-days).
        self._grid_centre = np.array([c for c, _, _ in self.clusters], dtype=np.int64)
        self._grid_alliance = np.array([a for _, _, a in self.clusters], dtype=np.int64)
        self._grid_weak = [w for _, w, _ in self.clusters]

    def contribute(self, model: CityModel, day: int, levers: Levers) -> None:
        book, city = model.alliances, model.city
        # The centre's lent staff take the weak communities' problems beyond their own staff,
        # with the centre's competence and the lent hours; the centre's pool loses as much.
        skill, hours = book.contributions((AllianceKind.CENTRAL_CLUSTER,))
        levers.hours_add += np.minimum(hours, 0.0)
        levers.offers.append(Offer("central_community.staff", skill, np.maximum(hours, 0.0)))
        if not self._grid_centre.size:
            return
        a = self._grid_alliance
        tie = np.where(book.status[a] == ACTIVE, book.tie[a], 0.0)
        share = self.p.information_share * self.strength * tie
        hazard = model.params.service.grid_discovery_hazard
        c = self._grid_centre
        lent_grid_days = share * city.grid_staffing[c] * city.community_grids[c]
        levers.discovery_shared[c] -= hazard * share * city.grid_staffing[c]
        for i, weak in enumerate(self._grid_weak):
            levers.discovery_shared[weak] += (
                hazard * lent_grid_days[i] / city.community_grids[weak].sum()
            )

    def counts(self, model: CityModel) -> dict[str, int]:
        book = model.alliances
        active = [a for _, _, a in self.clusters if book.status[a] == ACTIVE]
        return {
            "n_central_clusters": len(active),
            "n_communities_in_clusters": int(
                sum(1 + w.size for _, w, a in self.clusters if book.status[a] == ACTIVE)
            ),
        }

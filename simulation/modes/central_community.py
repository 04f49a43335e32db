"""Mode 3, central community (中心社区以强带弱).

The strongest communities become centres; each takes on up to `max_weak_per_centre` weak old
communities of its street (or the neighbouring streets), the weakest first — or any weak
communities at random under forced pairing. In the cluster, information, services and help are
shared: the weak gain part of the centre's competence, the centre lends part of its daily hours
(and loses them), and the centre's better-staffed grids share what they find.

Effect in the model: competence and hours added in weak communities, hours removed from
centres, discovery added in weak communities — all weighted by the cluster's tie strength.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.mechanisms import ACTIVE, AllianceKind
from simulation.modes.base import ModePolicy

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
            share = np.clip(p.resource_share * city.competence[c], 0.0, 0.999)
            x = -np.log1p(-share)
            cats = np.flatnonzero(x > 0)
            ks = np.repeat(weak, cats.size)
            cs = np.tile(cats, weak.size)
            xs = np.tile(x[cats], weak.size)
            lent = p.capacity_share * city.community_staff_hours[c]
            hk = np.concatenate([weak, [c]])
            hv = np.concatenate([np.full(weak.size, lent / weak.size), [-lent]])
            a = book.add(
                AllianceKind.CENTRAL_CLUSTER,
                [int(c), *weak.tolist()],
                [],
                self.strength,
                resources=(ks, cs, xs),
                hours=(hk, hv),
                forced=forced,
            )
            self.clusters.append((int(c), weak, a))
        # Information sharing: each weak community's gap in grid discovery to its centre.
        self._info_comm = (
            np.concatenate([w for _, w, _ in self.clusters]) if self.clusters else np.zeros(0, int)
        )
        self._info_alliance = (
            np.concatenate([np.full(w.size, a) for _, w, a in self.clusters])
            if self.clusters
            else np.zeros(0, int)
        )
        gaps = [
            np.maximum(city.grid_staffing[c] - city.grid_staffing[w], 0.0)
            for c, w, _ in self.clusters
        ]
        self._info_gap = np.concatenate(gaps) if gaps else np.zeros(0)

    def contribute(self, model: CityModel, day: int, levers: Levers) -> None:
        book = model.alliances
        add, hours = book.contributions((AllianceKind.CENTRAL_CLUSTER,))
        levers.resource_adds.append(add)
        levers.hours_add += hours
        if self._info_comm.size:
            tie = np.where(
                book.status[self._info_alliance] == ACTIVE, book.tie[self._info_alliance], 0.0
            )
            hazard = model.params.service.grid_discovery_hazard
            extra = self.p.information_share * self.strength * tie * hazard * self._info_gap
            levers.discovery_shared += np.bincount(
                self._info_comm, weights=extra, minlength=levers.n_communities
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

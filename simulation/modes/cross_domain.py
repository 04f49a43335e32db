"""Mode 2, cross-domain alliances (跨域抱团联建共促).

Alliances form around a shared task, anywhere in the city: a lead community with unmet needs
is linked to units whose resources complement them (community + agency, community + park +
enterprise). Partners are chosen in rounds by supply-demand matching (mechanism 4: optimal
assignment or ad hoc; random under forced pairing), each round on the need the earlier
partners left. Each alliance runs chains (产业链/治理链/服务链) in the categories where its
partners meet most need; problems of a chain's category reach the partners directly.

Effect in the model: in the chain categories of lead communities, a problem the partners could
solve goes to them at once (the partner route) while the partners have hours left — each gives
`partner_hours_per_month`, split with its other alliances, an agency's out of its department's —
and otherwise on by the siloed route. With no hours, nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.city import UnitKind
from simulation.matching import assign, complementarity, needs
from simulation.mechanisms import ACTIVE, AllianceKind
from simulation.modes.base import ModePolicy
from simulation.service import MONTH_DAYS, Offer

if TYPE_CHECKING:
    from simulation.model import CityModel
    from simulation.service import Levers

__all__ = ["CrossDomain"]


def _split_evenly(total: int, n: int, rng: np.random.Generator) -> np.ndarray:
    base = np.full(n, total // n if n else 0, dtype=np.int64)
    extra = total - base.sum()
    if n and extra:
        base[rng.choice(n, size=int(extra), replace=False)] += 1
    return base


class CrossDomain(ModePolicy):
    """Complementarity-based alliances with chains that route problems to partners."""

    name = "cross_domain"

    def setup(self, model: CityModel) -> None:
        city, p, book = model.city, self.p, model.alliances
        rng = self.rng(model)
        forced = model.params.principles.pairing == "forced"
        method = model.params.mechanisms.matching
        n = p.n_alliances
        self.alliance_ids: list[int] = []
        if n == 0:
            return
        need = needs(city.competence, model.category_shares)
        # Candidate partners: units with a party organisation (agencies, enterprises, parks...).
        cand = np.flatnonzero(
            city.unit_formal_party_org & (city.unit_kind != UnitKind.SOCIAL_ORGANISATION)
        )
        cand = np.concatenate(
            [
                cand,
                np.flatnonzero(
                    city.unit_formal_party_org & (city.unit_kind == UnitKind.SOCIAL_ORGANISATION)
                ),
            ]
        )
        R = city.unit_resources[cand]
        # Lead communities: those with most unmet need (random under forced pairing), in turn.
        order = (
            rng.permutation(city.n_communities)
            if forced
            else np.argsort(-need.sum(axis=1), kind="stable")
        )
        lead = order[np.arange(n) % city.n_communities]
        residual = need[lead].copy()
        partners = np.full((n, p.partners_per_alliance), -1, dtype=np.int64)
        used = np.zeros(cand.size, dtype=bool)
        for r in range(p.partners_per_alliance):
            scores = complementarity(residual, R)
            allowed = np.broadcast_to(~used, scores.shape)
            pick = assign(scores, method, rng, forced=forced, allowed=allowed)
            partners[:, r] = pick
            ok = pick >= 0
            used[pick[ok]] = True
            residual[ok] *= 1.0 - R[pick[ok]]
        n_chains = _split_evenly(round(n * p.chains_per_alliance), n, rng)
        for a in range(n):
            mine = partners[a][partners[a] >= 0]
            units = cand[mine]
            res = np.clip(city.unit_resources[units], 0.0, 0.999)
            union = 1.0 - np.prod(1.0 - res, axis=0)
            gain = need[lead[a]] * union
            chains = [
                int(c) for c in np.argsort(-gain, kind="stable")[: n_chains[a]] if gain[c] > 0
            ]
            cats = np.asarray(chains, dtype=np.int64)
            x = -np.log1p(-union[cats]) if cats.size else np.zeros(0)
            hours = p.partner_hours_per_month / MONTH_DAYS * units.size
            self.alliance_ids.append(
                book.add(
                    AllianceKind.CROSS_DOMAIN,
                    [int(lead[a])],
                    units.tolist(),
                    self.strength,
                    chains=chains,
                    resources=(np.full(cats.size, lead[a]), cats, x),
                    hours=(np.array([lead[a]]), np.array([hours])),
                    forced=forced,
                    unit_hours=True,
                    # stable identity: the lead community and the alliance's rank among its own
                    key=int(lead[a]) + city.n_communities * (a // city.n_communities),
                )
            )

    def contribute(self, model: CityModel, day: int, levers: Levers) -> None:
        book = model.alliances
        add, hours = book.contributions((AllianceKind.CROSS_DOMAIN,))
        levers.offers.append(Offer("cross_domain", add, hours, monthly=True))
        # partner agencies give these hours out of their departments' (the sample's share)
        drain = book.department_drain((AllianceKind.CROSS_DOMAIN,))
        levers.department_hours_add -= drain * model.city.sample_share

    def counts(self, model: CityModel) -> dict[str, int]:
        book = model.alliances
        ids = [a for a in self.alliance_ids if book.status[a] == ACTIVE]
        return {
            "n_cross_domain_alliances": len(ids),
            "n_chains": int(sum(len(book.chains[a]) for a in ids)),
        }

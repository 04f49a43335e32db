"""Mechanism 4, supply-demand matching over the three lists, and principle 1 (pairing).

The problem list of a community is its competence gap weighted by how often each category
arises; the resource list of a unit is its resource profile; a supply-demand pair scores their
overlap (complementarity). Three ways to pair, all used by the modes that pair organisations:

* `optimal`: the assignment maximising total complementarity (Hungarian algorithm,
  `scipy.optimize.linear_sum_assignment`) — what a city with complete lists can do;
* `adhoc`: first come, first served — in random order each demander takes the best supplier
  among the few it happens to know (`horizon`), which is what happens without the lists;
* `forced` pairing (拉郎配): suppliers assigned at random, ignoring complementarity.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ["assign", "complementarity", "needs"]


def needs(competence: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """The problem list: (K, C) unmet need = share of demand x competence gap."""
    return shares[None, :] * (1.0 - competence)


def complementarity(need: np.ndarray, resources: np.ndarray) -> np.ndarray:
    """(rows, units) score: how much of each row's need each unit's resources meet."""
    return need @ resources.T


def assign(
    scores: np.ndarray,
    method: str,
    rng: np.random.Generator,
    *,
    forced: bool = False,
    horizon: int = 20,
    allowed: np.ndarray | None = None,
) -> np.ndarray:
    """Choose one distinct column (supplier) per row (demander); -1 when none is left.

    `allowed` (rows, cols) bool restricts the candidates (e.g. units already used).
    """
    n_rows, n_cols = scores.shape
    out = np.full(n_rows, -1, dtype=np.int64)
    if n_rows == 0 or n_cols == 0:
        return out
    ok = np.ones_like(scores, dtype=bool) if allowed is None else allowed.copy()
    if forced:
        taken = np.zeros(n_cols, dtype=bool)
        for r in rng.permutation(n_rows):
            cand = np.flatnonzero(ok[r] & ~taken)
            if cand.size:
                out[r] = cand[rng.integers(cand.size)]
                taken[out[r]] = True
        return out
    if method == "optimal":
        cost = np.where(ok, scores, -1e6)
        rows, cols = linear_sum_assignment(cost, maximize=True)
        good = ok[rows, cols]
        out[rows[good]] = cols[good]
        return out
    if method == "adhoc":
        taken = np.zeros(n_cols, dtype=bool)
        for r in rng.permutation(n_rows):
            cand = np.flatnonzero(ok[r] & ~taken)
            if not cand.size:
                continue
            known = cand if cand.size <= horizon else rng.choice(cand, size=horizon, replace=False)
            best = known[np.argmax(scores[r, known])]
            out[r] = best
            taken[best] = True
        return out
    raise ValueError(f"unknown matching method {method!r}; allowed: 'optimal', 'adhoc'")

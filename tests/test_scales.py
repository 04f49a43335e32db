"""Scale invariance: a sample of whole communities gives the full city's rates (issue 9).

At `scale` < 1 the model simulates a stratified sample of whole communities at full density
(docs/ODD.md 2.3), so no per-resident or per-community quantity depends on scale and the
rates agree with the full city's up to sampling noise. Checked for the baseline and for all six
modes together: the mean over 16 replications at scale 0.05 (15 communities each, a different
sample per seed) against the mean over 3 replications of the full city (the first 3 seeds),
within 1 percentage point, the tolerance the issue asks. One replication at 0.05 varies by
about 1 pp, so the small-scale mean is known to about 0.3 pp; a full-city replication varies by
about 0.3 pp. Before departments and offers checked that a problem could finish in time,
resolution was 1.0-1.2 pp higher at 0.05 than in the full city; it now agrees (docs/ODD.md 8.3).
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.model import CityModel

RATES = ("service_coverage", "resolution_rate", "needs_met_rate")
SEED = 20180917


def _mean(name: str, scale: float, reps: int) -> dict[str, float]:
    out = []
    for r in range(reps):
        m = CityModel(f"scenarios/{name}.toml", rng=SEED + r, scale=scale)
        m.run_model()
        out.append(m.metrics())
    return {k: float(np.mean([o[k] for o in out])) for k in RATES}


_cache: dict[str, dict[str, float]] = {}


def _gaps(name: str) -> dict[str, float]:
    """Scale 0.05 (16 replications) minus the full city (3 replications), per rate."""
    if name not in _cache:
        small = _mean(name, 0.05, 16)
        full = _mean(name, 1.0, 3)
        _cache[name] = {k: small[k] - full[k] for k in RATES}
    return _cache[name]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["baseline", "chifeng_2018"])
@pytest.mark.parametrize("rate", RATES)
def test_rates_at_scale_005_agree_with_the_full_city(name: str, rate: str) -> None:
    gap = _gaps(name)[rate]
    assert abs(gap) <= 0.01, (name, rate, gap)

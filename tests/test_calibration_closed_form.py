"""Closed-form checks: reductions of the model whose answer is known exactly.

Each test switches the model down to a case with a formula (docs/validation.md lists them)
and compares the simulated figure with the formula, within a stated sampling tolerance (four
standard errors: a correct model fails about once in 16,000 runs, a wrong formula or rule
much more often). Unlike the pattern tests of test_calibration.py, nothing here is tuned: a
failure means a rule does not do what docs/ODD.md says.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation.categories import CATEGORIES
from simulation.model import CityModel

Z = 4.0  # tolerance in standard errors


def _model(**kw) -> CityModel:
    return CityModel("scenarios/baseline.toml", rng=11, **{"scale": 0.01, "days": 120, **kw})


@pytest.fixture(scope="module")
def drawn() -> CityModel:
    """Problems are drawn up front (docs/ODD.md 7.1), so no day needs to run."""
    return _model()


def test_arrivals_are_poisson_with_the_weighted_rate(drawn: CityModel) -> None:
    """7.1: daily counts ~ Poisson(rate / 365 x sum of weights), weight 1.3 for 60+."""
    d = drawn.params.demand
    elderly = drawn.city.resident_elderly
    weights = np.where(elderly, d.elderly_rate_multiplier, 1.0).sum()
    expected = d.problems_per_resident_year / 365 * weights * drawn.params.run.days
    n = drawn.service.n_problems
    assert abs(n - expected) <= Z * math.sqrt(expected), (n, expected)


def test_elderly_residents_raise_their_share_by_the_multiplier(drawn: CityModel) -> None:
    """7.1: a resident is drawn in proportion to weight, so the share of problems raised by
    residents aged 60+ is m e / (m e + 1 - e), e their share of residents."""
    e = drawn.city.resident_elderly.mean()
    m = drawn.params.demand.elderly_rate_multiplier
    p = m * e / (m * e + 1 - e)
    got = drawn.city.resident_elderly[drawn.service.resident]
    se = math.sqrt(p * (1 - p) / got.size)
    assert abs(got.mean() - p) <= Z * se, (got.mean(), p)


def test_category_shares_follow_the_civil_affairs_reweighting(drawn: CityModel) -> None:
    """7.1: under 60 a category has its share s; aged 60+ civil affairs weighs m times more,
    so its share is m s / (1 - s + m s) and every other share s / (1 - s_civil + m s_civil)."""
    d = drawn.params.demand
    shares = np.array([getattr(d.category_shares, c) for c in CATEGORIES])
    civil = CATEGORIES.index("civil_affairs")
    m = d.elderly_civil_affairs_multiplier
    old = shares.copy()
    old[civil] *= m
    old /= 1 - shares[civil] + m * shares[civil]
    elderly = drawn.city.resident_elderly[drawn.service.resident]
    for group, expected in ((~elderly, shares), (elderly, old)):
        cats = drawn.service.category[group]
        freq = np.bincount(cats, minlength=len(CATEGORIES)) / cats.size
        se = np.sqrt(expected * (1 - expected) / cats.size)
        assert np.all(np.abs(freq - expected) <= Z * se), (freq, expected)


def test_difficulty_is_beta_with_the_category_mean_and_concentration(drawn: CityModel) -> None:
    """7.1: difficulty ~ Beta(mean kappa, (1 - mean) kappa): variance mean (1 - mean) / (kappa + 1)."""
    d = drawn.params.demand
    kappa = d.difficulty_concentration
    for i, c in enumerate(CATEGORIES):
        x = drawn.service.difficulty[drawn.service.category == i]
        mu = getattr(d.category_difficulty, c)
        var = mu * (1 - mu) / (kappa + 1)
        assert abs(x.mean() - mu) <= Z * math.sqrt(var / x.size), c
        # The sample variance of n draws has standard error about var * sqrt(2 / n) here
        # (Beta's excess kurtosis is small at these parameters; allow 6 of them).
        assert abs(x.var(ddof=1) - var) <= 6 * var * math.sqrt(2 / x.size), c


def test_handling_hours_are_linear_in_difficulty(drawn: CityModel) -> None:
    """7.1: hours = hours_base + hours_per_difficulty x difficulty, exactly, per problem."""
    d = drawn.params.demand
    svc = drawn.service
    np.testing.assert_allclose(
        svc.hours, d.hours_base + d.hours_per_difficulty * svc.difficulty, rtol=0, atol=1e-12
    )


@pytest.mark.parametrize("staffing", [0.0, 0.3])
def test_detection_is_competing_exponential_hazards(staffing: float) -> None:
    """7.2 reduced: constant trust (no gain, loss or reputation) and the same grid staffing
    everywhere make every hazard constant, h = report_hazard x trust + grid_hazard x staffing.
    A problem is hidden for days t .. t + L (detection comes before expiry in a day), so

        coverage = 1 - exp(-h (L + 1)),   share reported = h_report / h.
    """
    m = _model(
        **{
            "trust.gain_on_resolved": 0.0,
            "trust.loss_on_expired": 0.0,
            "trust.reputation_weight": 0.0,
            "service.grid_staffing_strong": staffing,
            "service.grid_staffing_weak": staffing,
        }
    )
    m.run_model()
    s = m.params
    h_report = s.service.report_hazard * s.trust.initial
    h = h_report + s.service.grid_discovery_hazard * staffing
    L = s.run.resolution_limit_days
    p = 1 - math.exp(-h * (L + 1))
    out = m.metrics()
    a = m.service.arise_day
    n = int(((a > s.run.warmup_days) & (a <= s.run.days - L)).sum())
    assert abs(out["service_coverage"] - p) <= Z * math.sqrt(p * (1 - p) / n), (out, p)
    share = h_report / h
    n_known = out["service_coverage"] * n
    se = math.sqrt(share * (1 - share) / n_known) if share < 1 else 0.0
    assert abs(out["channel_report"] - share) <= Z * se + 1e-12, (out["channel_report"], share)

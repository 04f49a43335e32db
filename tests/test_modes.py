"""The six integration modes: registry, zero strength = baseline, stream isolation, effects.

(a) each mode moves the metric it exists to move, in the direction the source expects, on
    paired replications (common random numbers): the 95 % paired CI over 5 replications must
    exclude zero on the expected side — a stated tolerance, not one lucky seed;
(b) a mode switched on at strength 0 reproduces the baseline bit for bit;
(c) switching one mode on leaves what the others build and draw untouched.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from simulation.mechanisms import AllianceKind
from simulation.metrics import run_metrics
from simulation.model import CityModel
from simulation.modes import PARAMS, REGISTRY, Mode
from simulation.scenario import Scenario, ScenarioError, scenario_from_dict
from simulation.study.statistics import paired_difference

SMALL = {"scale": 0.005, "days": 80}
MODES = [m.value for m in Mode]

KINDS = {
    "regional": (AllianceKind.REGIONAL_COMMUNITY, AllianceKind.REGIONAL_STREET),
    "cross_domain": (AllianceKind.CROSS_DOMAIN,),
    "central_community": (AllianceKind.CENTRAL_CLUSTER,),
    "dual_reporting": (),
    "red_commercial_street": (AllianceKind.COMMERCIAL,),
    "smart_platform": (),
}


def test_registry_covers_the_enum_exactly() -> None:
    assert set(REGISTRY) == set(Mode)
    assert set(PARAMS) == set(Mode)
    assert {f for f in Scenario().modes.__dataclass_fields__} == set(MODES)
    for mode, cls in REGISTRY.items():
        assert cls.name == mode.value


def test_unknown_mode_is_a_validation_error() -> None:
    with pytest.raises(ValueError, match="bogus"):
        Mode("bogus")
    with pytest.raises(
        ScenarioError, match=r"modes\.regionl: unknown key; allowed here: central_community"
    ):
        scenario_from_dict({"modes": {"regionl": {"enabled": True}}}, "x.toml")


def test_all_six_modes_combine() -> None:
    ov = {f"modes.{m}.enabled": True for m in MODES}
    model = CityModel("scenarios/baseline.toml", rng=2, **SMALL, **ov)
    assert [type(m).name for m in model.modes] == MODES
    model.run_model()
    counts = model.structure_counts()
    assert counts["n_joint_committees"] > 0
    assert counts["n_cross_domain_alliances"] > 0
    assert counts["n_agencies_paired"] > 0
    assert counts["n_members_reporting"] > 0


def _run(rng: int, **overrides) -> CityModel:
    model = CityModel("scenarios/baseline.toml", rng=rng, **SMALL, **overrides)
    model.run_model()
    return model


@pytest.mark.parametrize("mode", MODES)
def test_zero_strength_reproduces_the_baseline_bit_for_bit(mode: str) -> None:
    base = _run(3)
    zero = _run(3, **{f"modes.{mode}.enabled": True, f"modes.{mode}.strength": 0.0})
    assert zero.modes, "the mode must actually be switched on"
    m0, m1 = run_metrics(base), run_metrics(zero)
    assert m0.keys() == m1.keys()
    for key in m0:
        assert (m0[key] == m1[key]) or (np.isnan(m0[key]) and np.isnan(m1[key])), key
    for arr in ("status", "taken_day", "resolve_day", "route", "channel", "attempts"):
        assert np.array_equal(getattr(base.service, arr), getattr(zero.service, arr)), arr
    assert np.array_equal(base.service.trust, zero.service.trust)
    assert base.timeseries().equals(zero.timeseries())


def test_a_mode_at_full_strength_does_change_the_run() -> None:
    """Guards the test above: it would pass trivially if modes did nothing at all."""
    base = _run(3)
    on = _run(3, **{"modes.dual_reporting.enabled": True})
    assert not np.array_equal(base.service.status, on.service.status)


def _footprint(model: CityModel, mode: str) -> list:
    """What `mode` built and drew: its alliances (by kind and order) and its own arrays."""
    book = model.alliances
    out: list = []
    for a in range(book.n):
        if book.kind[a] in KINDS[mode]:
            out.append(
                (
                    book.kind[a],
                    int(book.key[a]),
                    tuple(book.communities[a]),
                    tuple(book.units[a]),
                    tuple(book.chains[a]),
                    int(book.status[a]),
                    float(book.tie[a]),
                    int(book.activities[a]),
                )
            )
    policy = next(p for p in model.modes if p.name == mode)
    if mode == "dual_reporting":
        out += [
            policy.pair_agency.tolist(),
            policy.pair_community.tolist(),
            model.structure.member_reporting.tolist(),
        ]
    if mode == "smart_platform":
        out.append(policy.covered.tolist())
    if mode == "red_commercial_street":
        out += [(d, j.tolist(), c.tolist()) for d, _, j, c, *_ in policy.districts]
    return out


@pytest.mark.parametrize(("mode", "other"), list(itertools.permutations(MODES, 2)))
def test_switching_another_mode_on_leaves_this_modes_draws_untouched(mode: str, other: str) -> None:
    kw = {"scale": 0.004, "days": 70}
    alone = CityModel("scenarios/baseline.toml", rng=5, **kw, **{f"modes.{mode}.enabled": True})
    both = CityModel(
        "scenarios/baseline.toml",
        rng=5,
        **kw,
        **{f"modes.{mode}.enabled": True, f"modes.{other}.enabled": True},
    )
    for m in (alone, both):
        for _ in range(40):
            m.step()
    assert _footprint(alone, mode) == _footprint(both, mode)


def test_problems_are_the_same_whatever_the_policy() -> None:
    """Common random numbers: every scenario faces the very same problems."""
    base = CityModel("scenarios/baseline.toml", rng=9, **SMALL)
    allm = CityModel("scenarios/chifeng_2018.toml", rng=9, **SMALL)
    for arr in ("arise_day", "resident", "category", "difficulty", "clock"):
        assert np.array_equal(getattr(base.service, arr), getattr(allm.service, arr)), arr
    assert np.array_equal(base.city.community_strength, allm.city.community_strength)


# (a) effects: mode -> (metric, expected sign). One line each on the mechanism in docs/ODD.md.
EXPECTED = [
    ("regional", "resolution_rate", +1),
    ("cross_domain", "route_partner", +1),  # small at 6 h a month per partner: see ODD 7.13
    ("central_community", "equity_gap", -1),
    ("dual_reporting", "service_coverage", +1),
    ("dual_reporting", "resolution_rate", +1),
    ("red_commercial_street", "party_org_coverage", +1),
    ("smart_platform", "service_coverage", +1),
    ("chifeng_2018", "needs_met_rate", +1),
]
SEEDS = range(11, 16)
EFFECT_KW = {"scale": 0.03, "days": 150}


@pytest.fixture(scope="module")
def baseline_metrics() -> list[dict]:
    out = []
    for s in SEEDS:
        m = CityModel("scenarios/baseline.toml", rng=s, **EFFECT_KW)
        m.run_model()
        out.append(m.metrics())
    return out


_cache: dict[str, list[dict]] = {}


def _scenario_metrics(name: str) -> list[dict]:
    if name not in _cache:
        out = []
        for s in SEEDS:
            m = CityModel(f"scenarios/{name}.toml", rng=s, **EFFECT_KW)
            m.run_model()
            out.append(m.metrics())
        _cache[name] = out
    return _cache[name]


@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "metric", "sign"), EXPECTED)
def test_mode_moves_its_metric_in_the_expected_direction(
    baseline_metrics: list[dict], scenario: str, metric: str, sign: int
) -> None:
    runs = _scenario_metrics(scenario)
    d = paired_difference(
        np.array([r[metric] for r in runs]), np.array([b[metric] for b in baseline_metrics])
    )
    if sign > 0:
        assert d.ci_low > 0, f"{scenario} {metric}: {d}"
    else:
        assert d.ci_high < 0, f"{scenario} {metric}: {d}"


def test_forced_pairing_gives_less_complementary_alliances() -> None:
    """Principle 1 as a lever: forced pairing (拉郎配) ignores complementarity."""
    from simulation.matching import needs

    def total_score(pairing: str) -> float:
        m = CityModel(
            "scenarios/cross_domain.toml",
            rng=4,
            scale=0.004,
            days=70,
            **{"principles.pairing": pairing},
        )
        need = needs(m.city.competence, m.category_shares)
        score = 0.0
        for a in range(m.alliances.n):
            k = m.alliances.communities[a][0]
            units = m.alliances.units[a]
            union = 1 - np.prod(1 - np.clip(m.city.unit_resources[units], 0, 0.999), axis=0)
            score += float(need[k] @ union)
        return score

    assert total_score("voluntary") > 1.1 * total_score("forced")


def test_optimal_matching_beats_adhoc_on_complementarity() -> None:
    from simulation.matching import assign

    rng = np.random.default_rng(0)
    scores = rng.random((30, 200))
    opt = assign(scores, "optimal", np.random.default_rng(1))
    adhoc = assign(scores, "adhoc", np.random.default_rng(1), horizon=5)
    forced = assign(scores, "forced", np.random.default_rng(1), forced=True)
    for pick in (opt, adhoc, forced):
        assert len(set(pick.tolist())) == 30
        assert (pick >= 0).all()

    def total(p: np.ndarray) -> float:
        return float(scores[np.arange(30), p].sum())

    assert total(opt) >= total(adhoc)
    assert total(opt) > total(forced)


def test_dual_reporting_participation_decays_without_appraisal() -> None:
    """Pattern G6: participation decays unless it counts in appraisal."""
    kw = {"scale": 0.004, "days": 200}
    with_ = _run_dual(kw, appraisal=True)
    without = _run_dual(kw, appraisal=False)
    assert with_ > 0
    assert without < 0.5 * with_


def _run_dual(kw: dict, appraisal: bool) -> int:
    m = CityModel(
        "scenarios/dual_reporting.toml",
        rng=6,
        **kw,
        **{"modes.dual_reporting.appraisal": appraisal},
    )
    m.run_model()
    return m.structure_counts()["n_members_reporting"]


def test_ties_decay_without_joint_activities() -> None:
    """Mechanism 3: ties are kept by the five ones and fade without them."""

    def mean_tie(activities: bool) -> float:
        m = CityModel(
            "scenarios/regional.toml",
            rng=2,
            scale=0.004,
            days=200,
            **{"mechanisms.joint_activities": activities},
        )
        m.run_model()
        book = m.alliances
        return float(book.tie[book.status == 1].mean())

    assert mean_tie(True) > mean_tie(False) + 0.1


def test_alliances_wait_for_approval() -> None:
    """Mechanism 1: nothing acts before the level above approves the application."""
    m = CityModel("scenarios/cross_domain.toml", rng=2, scale=0.004, days=70)
    approval = m.params.mechanisms.approval_days
    for _ in range(approval - 1):
        m.step()
    assert (m.alliances.status == 0).all()
    m.step()
    assert (m.alliances.status == 1).mean() > 0.7


def test_coverage_subsets_are_nested() -> None:
    """Sweeps over coverage vary how much is covered, not also where (same seed)."""
    from simulation.modes.base import pick_share

    small = pick_share(np.random.default_rng(3), 44, 0.25)
    large = pick_share(np.random.default_rng(3), 44, 0.5)
    assert set(small.tolist()) < set(large.tolist())
    assert len(pick_share(np.random.default_rng(3), 44, 1.0)) == 44


def test_reviews_rank_within_each_kind_not_by_filing_order() -> None:
    """Mechanism 7: equal ties are broken by a draw, and each kind is reviewed on its own."""
    m = CityModel("scenarios/chifeng_2018.toml", rng=5, scale=0.004, days=100)
    for _ in range(95):
        m.step()
    book = m.alliances
    for kind in np.unique(book.kind_arr):
        active = (book.kind_arr == kind) & (book.status == 1)
        n = int(active.sum())
        if n >= 10:
            # about rectify_share of every kind was rectified at the day-90 review
            assert book.rectified[active].sum() == int(np.floor(0.2 * n))
    regional = np.flatnonzero((book.kind_arr == 0) & (book.status == 1))
    chosen = regional[book.rectified[regional] > 0]
    # not simply the first-filed committees
    assert chosen.max() > regional[int(0.2 * regional.size)]

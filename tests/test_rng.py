"""`RandomStreams`: named generators and counter-based uniforms (the only randomness of a run).

Statistical checks state their tolerance: a Kolmogorov-Smirnov test at p > 1e-4 (a false alarm
once in ten thousand runs; the inputs are fixed, so a pass is reproducible), and correlations
within five standard errors (5 / sqrt(n)).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simulation.rng import RandomStreams, stream_key

N = 200_000
P_MIN = 1e-4


# ---------------------------------------------------------------------------- named generators
def test_named_generator_is_reproducible() -> None:
    a = RandomStreams(42).generator("arrivals").random(1000)
    b = RandomStreams(42).generator("arrivals").random(1000)
    assert np.array_equal(a, b)


def test_named_generator_is_reused_within_a_run() -> None:
    streams = RandomStreams(42)
    gen = streams.generator("arrivals")
    assert streams.generator("arrivals") is gen
    first = gen.random(10)
    assert not np.array_equal(streams.generator("arrivals").random(10), first)  # continues


def test_streams_are_independent_by_name() -> None:
    """Drawing from one stream never shifts another's draws."""
    quiet = RandomStreams(5)
    busy = RandomStreams(5)
    busy.generator("city").random(12_345)
    busy.generator("mode.regional").normal(size=77)
    assert np.array_equal(
        quiet.generator("arrivals").random(100), busy.generator("arrivals").random(100)
    )


def test_different_names_and_seeds_give_different_streams() -> None:
    draws = {
        (seed, name): RandomStreams(seed).generator(name).random(8).tobytes()
        for seed in (0, 1, 2)
        for name in ("city", "arrivals", "problem_traits", "mode.regional", "a", "b")
    }
    assert len(set(draws.values())) == len(draws)


def test_named_streams_are_uncorrelated() -> None:
    streams = RandomStreams(9)
    a = streams.generator("a").random(N)
    b = streams.generator("b").random(N)
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / math.sqrt(N)


def test_stream_key_is_stable_and_64_bit() -> None:
    k = stream_key(1, "refusal")
    assert k == stream_key(1, "refusal")
    assert 0 <= k < 2**64
    assert k != stream_key(2, "refusal")
    assert k != stream_key(1, "refusa1")


# ---------------------------------------------------------------------------- uniforms
def test_uniform_range_and_dtype() -> None:
    u = RandomStreams(3).uniform("x", np.arange(N), 0)
    assert u.dtype == np.float64
    assert u.shape == (N,)
    assert u.min() >= 0.0
    assert u.max() < 1.0
    assert u.min() < 1e-4  # the range is used to the ends
    assert u.max() > 1 - 1e-4


@pytest.mark.parametrize("counter", [0, 1, 7, 2**20])
def test_uniform_looks_uniform(counter: int) -> None:
    """KS test against U(0, 1) over consecutive ids (the worst case for a weak hash)."""
    u = RandomStreams(11).uniform("refusal", np.arange(N), counter)
    assert stats.kstest(u, "uniform").pvalue > P_MIN
    # and the low bits are not lazy: deciles are filled evenly (chi-square)
    counts = np.bincount((u * 10).astype(int), minlength=10)
    assert stats.chisquare(counts).pvalue > P_MIN


def test_uniform_over_counters_for_one_id_looks_uniform() -> None:
    u = RandomStreams(11).uniform("refusal", np.full(N, 1234), np.arange(N))
    assert stats.kstest(u, "uniform").pvalue > P_MIN


def test_uniform_successive_values_are_uncorrelated() -> None:
    u = RandomStreams(13).uniform("delay", np.arange(N), 0)
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 5 / math.sqrt(N)
    v = RandomStreams(13).uniform("delay", np.arange(N), 1)
    assert abs(np.corrcoef(u, v)[0, 1]) < 5 / math.sqrt(N)
    w = RandomStreams(13).uniform("channel", np.arange(N), 0)
    assert abs(np.corrcoef(u, w)[0, 1]) < 5 / math.sqrt(N)
    x = RandomStreams(14).uniform("delay", np.arange(N), 0)
    assert abs(np.corrcoef(u, x)[0, 1]) < 5 / math.sqrt(N)


def test_same_name_id_counter_gives_the_same_value() -> None:
    ids = np.array([0, 5, 17, 2**40, 123_456_789])
    a = RandomStreams(7).uniform("refusal", ids, 3)
    b = RandomStreams(7).uniform("refusal", ids, 3)
    assert np.array_equal(a, b)
    # whatever was asked before, and one at a time or in bulk
    s = RandomStreams(7)
    s.uniform("refusal", np.arange(1000), 0)
    s.generator("refusal").random(10)
    single = [s.uniform("refusal", np.array([i]), 3)[0] for i in ids]
    assert np.array_equal(np.array(single), a)
    # a value depends on its own id only, not on its neighbours in the array
    assert s.uniform("refusal", ids[::-1], 3)[::-1].tolist() == a.tolist()


def test_uniform_changes_with_each_coordinate() -> None:
    ids = np.arange(1000)
    base = RandomStreams(7).uniform("refusal", ids, 3)
    for other in (
        RandomStreams(8).uniform("refusal", ids, 3),
        RandomStreams(7).uniform("refusa1", ids, 3),
        RandomStreams(7).uniform("refusal", ids, 4),
        RandomStreams(7).uniform("refusal", ids + 1, 3),
    ):
        assert np.mean(base == other) < 0.01


def test_counter_may_be_an_array() -> None:
    s = RandomStreams(2)
    ids = np.arange(10)
    counters = np.arange(10) % 3
    together = s.uniform("delay", ids, counters)
    apart = [s.uniform("delay", ids[i : i + 1], int(counters[i]))[0] for i in range(10)]
    assert together.tolist() == apart


def test_uniform_does_not_use_or_advance_the_named_generator() -> None:
    s = RandomStreams(2)
    s.uniform("arrivals", np.arange(100), 0)
    assert np.array_equal(
        s.generator("arrivals").random(5), RandomStreams(2).generator("arrivals").random(5)
    )


def test_exponential_has_unit_mean() -> None:
    e = RandomStreams(4).exponential("delay", np.arange(N), 0)
    assert (e >= 0).all()
    assert np.isfinite(e).all()
    assert stats.kstest(e, "expon").pvalue > P_MIN
    assert e.mean() == pytest.approx(1.0, abs=5 / math.sqrt(N))


@settings(max_examples=50, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 2**62),
    name=st.text(min_size=1, max_size=20),
    ids=st.lists(st.integers(0, 2**63 - 1), min_size=1, max_size=50),
    counter=st.integers(0, 2**31),
)
def test_uniform_property(seed: int, name: str, ids: list[int], counter: int) -> None:
    arr = np.array(ids, dtype=np.uint64)
    u = RandomStreams(seed).uniform(name, arr, counter)
    assert ((u >= 0.0) & (u < 1.0)).all()
    assert np.array_equal(u, RandomStreams(seed).uniform(name, arr, counter))

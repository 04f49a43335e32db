"""Supply-demand matching (mechanism 4): the fast exact solver equals the plain one."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from simulation import matching
from simulation.matching import _max_assignment, assign


@pytest.mark.parametrize(
    ("n", "m", "seed", "reduced"),
    [(30, 400, 1, False), (80, 1200, 2, True), (100, 2000, 3, True), (60, 61, 4, False)],
)
def test_reduced_assignment_equals_plain_linear_sum_assignment(
    n: int, m: int, seed: int, reduced: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(seed)
    # Correlated rows (every demander prefers similar suppliers), as in the model's scores.
    cost = rng.random((n, 8)) @ rng.random((8, m)) + 0.01 * rng.random((n, m))
    ok = np.ones_like(cost, dtype=bool)
    matching._SOLVED.clear()
    shapes: list[tuple[int, int]] = []

    def spy(c: np.ndarray, maximize: bool = False):
        shapes.append(c.shape)
        return linear_sum_assignment(c, maximize=maximize)

    monkeypatch.setattr(matching, "linear_sum_assignment", spy)
    rows, cols = _max_assignment(cost, ok)
    r0, c0 = linear_sum_assignment(cost, maximize=True)
    assert np.array_equal(rows, r0)
    assert np.array_equal(cols, c0)
    if reduced:  # the fast path really ran on fewer columns
        assert shapes[0][1] < m


def test_memo_returns_the_same_answer_and_is_not_aliased() -> None:
    rng = np.random.default_rng(5)
    scores = rng.random((20, 300))
    a = assign(scores, "optimal", np.random.default_rng(0))
    a[:] = -7  # mutating the answer must not poison the memo
    b = assign(scores, "optimal", np.random.default_rng(0))
    assert (b >= 0).all()
    assert np.array_equal(b, assign(scores.copy(), "optimal", np.random.default_rng(9)))


def test_disallowed_pairs_are_never_chosen() -> None:
    rng = np.random.default_rng(6)
    scores = rng.random((10, 50))
    allowed = rng.random((10, 50)) < 0.3
    for method in ("optimal", "adhoc"):
        pick = assign(scores, method, np.random.default_rng(1), allowed=allowed)
        chosen = pick >= 0
        assert allowed[np.flatnonzero(chosen), pick[chosen]].all()
    with pytest.raises(ValueError, match="allowed: 'optimal', 'adhoc'"):
        assign(scores, "greedy", np.random.default_rng(1))

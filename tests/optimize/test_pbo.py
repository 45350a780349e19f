"""PBO by CSCV against a slow reference, and its two ends: overfit noise and a true signal."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from vantageadapt.optimize.pbo import logits, probability_of_backtest_overfitting


def _slow_logits(matrix: np.ndarray, blocks: int) -> list[float]:
    """CSCV as the paper lists it: loops over splits, trials and ranks."""
    rows, n = matrix.shape
    s = min(blocks, rows // 2)
    s -= s % 2
    size = rows // s
    m = matrix[rows - s * size :]
    parts = [m[b * size : (b + 1) * size] for b in range(s)]
    out = []
    for chosen in combinations(range(s), s // 2):
        train = np.vstack([parts[b] for b in chosen])
        test = np.vstack([parts[b] for b in range(s) if b not in chosen])

        def sharpe(x, column):
            sd = np.std(x, ddof=1)
            return 0.0 if sd <= 1e-6 * np.abs(m[:, column]).max() + 1e-300 else np.mean(x) / sd

        r_in = [sharpe(train[:, j], j) for j in range(n)]
        r_out = [sharpe(test[:, j], j) for j in range(n)]
        top = max(r_in)
        best = min(j for j in range(n) if r_in[j] >= top - 1e-9 * max(1.0, abs(top)))
        tol = 1e-9 * max(1.0, abs(r_out[best]))
        below = sum(1 for j in range(n) if r_out[j] < r_out[best] - tol)
        ties = sum(1 for j in range(n) if abs(r_out[j] - r_out[best]) <= tol)
        w = (below + (ties + 1) / 2) / (n + 1)
        out.append(float(np.log(w / (1 - w))))
    return out


@settings(max_examples=40, deadline=None)
@given(
    matrix=st.integers(8, 40).flatmap(
        lambda rows: st.integers(2, 6).flatmap(
            lambda n: arrays(
                np.float64, (rows, n), elements=st.integers(-500, 500).map(lambda k: k / 10_000)
            )
        )
    ),
    blocks=st.sampled_from([4, 6, 8]),
)
def test_matches_the_slow_reference(matrix, blocks):
    fast = logits(matrix, blocks)
    slow = _slow_logits(matrix, blocks)
    np.testing.assert_allclose(np.sort(fast), np.sort(slow), rtol=1e-9, atol=1e-9)
    assert fast.tolist() == pytest.approx(slow, rel=1e-9, abs=1e-9)


def test_near_one_for_pure_noise_fit_to_the_sample():
    # Pure noise whose trials all earn the same over the whole sample: whatever one trial gains
    # in-sample it gives back out-of-sample, so the in-sample winner always ranks low.
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 0.01, (480, 50))
    noise -= noise.mean(axis=0)
    assert probability_of_backtest_overfitting(noise) >= 0.95


def test_independent_noise_is_a_coin_flip():
    rng = np.random.default_rng(2)
    values = [
        probability_of_backtest_overfitting(rng.normal(0, 0.01, (240, 30))) for _ in range(12)
    ]
    assert 0.3 <= float(np.mean(values)) <= 0.7


def test_near_zero_for_a_dominant_true_signal():
    rng = np.random.default_rng(3)
    matrix = rng.normal(0, 0.01, (480, 50))
    matrix[:, 17] += 0.004
    assert probability_of_backtest_overfitting(matrix) <= 0.02


def test_too_small_matrices_have_no_pbo():
    assert np.isnan(probability_of_backtest_overfitting(np.zeros((3, 5))))
    assert np.isnan(probability_of_backtest_overfitting(np.zeros((100, 1))))

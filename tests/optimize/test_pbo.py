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


def _vectorised_logits(matrix: np.ndarray, blocks: int) -> np.ndarray:
    """The whole-array numpy version the per-split kernel replaced: its logits, bit for bit."""
    from vantageadapt.optimize.pbo import FLAT, TIE, _splits, usable_blocks

    def sharpe(total, squares, n, shift, scale):
        mean = total / n
        std = np.sqrt(np.maximum(squares - n * (mean - shift) ** 2, 0.0) / (n - 1))
        flat = std <= FLAT * scale + 1e-300
        return np.where(flat, 0.0, mean / np.where(flat, 1.0, std))

    s = usable_blocks(matrix.shape[0], blocks)
    size = matrix.shape[0] // s
    m = np.nan_to_num(matrix[matrix.shape[0] - s * size :], nan=0.0)
    parts = m.reshape(s, size, m.shape[1])
    shift, scale = m.mean(axis=0), np.abs(m).max(axis=0)
    sums, squares = parts.sum(axis=1), ((parts - shift) ** 2).sum(axis=1)
    choose, half = _splits(s), size * s // 2
    is_sharpe = sharpe(choose @ sums, choose @ squares, half, shift, scale)
    oos_sum, oos_sq = sums.sum(axis=0) - choose @ sums, squares.sum(axis=0) - choose @ squares
    oos_sharpe = sharpe(oos_sum, oos_sq, half, shift, scale)
    top = is_sharpe.max(axis=1, keepdims=True)
    best = np.argmax(is_sharpe >= top - TIE * np.maximum(1.0, np.abs(top)), axis=1)
    chosen = oos_sharpe[np.arange(len(best)), best][:, None]
    tol = TIE * np.maximum(1.0, np.abs(chosen))
    below = (oos_sharpe < chosen - tol).sum(axis=1)
    ties = (np.abs(oos_sharpe - chosen) <= tol).sum(axis=1)
    w = (below + (ties + 1) / 2.0) / (m.shape[1] + 1)
    return np.log(w / (1.0 - w))


@settings(max_examples=40, deadline=None)
@given(
    rows=st.integers(4, 300),
    trials=st.integers(2, 40),
    seed=st.integers(0, 10_000),
    blocks=st.sampled_from([4, 8, 16]),
    flat=st.integers(0, 3),
)
def test_per_split_kernel_is_the_vectorised_logits_bit_for_bit(rows, trials, seed, blocks, flat):
    rng = np.random.default_rng(seed)
    matrix = rng.normal(0.0, 0.01, (rows, trials)) * rng.choice([1e-9, 1.0, 30.0], trials)
    matrix[:, :flat] = 0.0  # trials that never traded: flat columns, ties
    matrix[:, -1] = matrix[:, 0]  # equal columns: ties in and out of sample
    if rows > 10:
        matrix[rng.integers(0, rows, 3), rng.integers(0, trials, 3)] = np.nan
    np.testing.assert_array_equal(logits(matrix, blocks), _vectorised_logits(matrix, blocks))

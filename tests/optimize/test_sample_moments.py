"""The numpy skew and kurtosis of the deflated Sharpe against scipy.stats, bit for bit."""

from __future__ import annotations

import math
import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import kurtosis, skew

from vantageadapt.optimize.deflated import deflated_sharpe_ratio, sample_moments
from vantageadapt.optimize.significance import matrix_deflated_sharpe, sharpe_per_period

_RETURNS = st.floats(-1.0, 10.0, allow_nan=False, width=64)


def _same(ours: float, theirs: float) -> bool:
    return (math.isnan(ours) and math.isnan(theirs)) or ours == theirs


def _scipy_moments(column: np.ndarray) -> tuple[float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy's note on near-constant data
        return float(skew(column)), float(kurtosis(column, fisher=False))


@settings(max_examples=300, deadline=None)
@given(arrays(np.float64, st.integers(1, 400), elements=_RETURNS))
def test_moments_equal_scipy_exactly(column):
    ours, theirs = sample_moments(column), _scipy_moments(column)
    assert _same(ours[0], theirs[0]) and _same(ours[1], theirs[1]), (ours, theirs)


@settings(max_examples=100, deadline=None)
@given(
    level=st.floats(-1e6, 1e6, allow_nan=False),
    noise=st.lists(st.floats(-1e-9, 1e-9, allow_nan=False), min_size=2, max_size=50),
)
def test_moments_of_near_constant_samples_equal_scipy(level, noise):
    column = level + np.array(noise)
    ours, theirs = sample_moments(column), _scipy_moments(column)
    assert _same(ours[0], theirs[0]) and _same(ours[1], theirs[1]), (ours, theirs)


def test_moments_known_values():
    assert sample_moments(np.array([2.0, 8, 0, 4, 1, 9, 9, 0]))[0] == skew([2, 8, 0, 4, 1, 9, 9, 0])
    assert all(math.isnan(v) for v in sample_moments(np.full(5, 0.25)))
    normal = np.random.default_rng(0).standard_normal(200_000)
    assert abs(sample_moments(normal)[0]) < 0.02
    assert abs(sample_moments(normal)[1] - 3.0) < 0.05


def _scipy_matrix_deflated_sharpe(matrix: np.ndarray, chosen: int, n_trials: int) -> float:
    """The previous implementation, on scipy.stats: the slow reference."""
    sharpes = sharpe_per_period(matrix)
    column = matrix[:, chosen]
    flat = column.std() <= 1e-15
    return deflated_sharpe_ratio(
        float(sharpes[chosen]),
        sharpes,
        len(column),
        trials=max(n_trials, matrix.shape[1]),
        skew=0.0 if flat else float(skew(column)),
        kurtosis=3.0 if flat else float(kurtosis(column, fisher=False)),
    )


@settings(max_examples=80, deadline=None)
@given(
    st.integers(3, 120).flatmap(
        lambda rows: arrays(
            np.float64, st.tuples(st.just(rows), st.integers(1, 6)), elements=_RETURNS
        )
    ),
    st.integers(0, 5),
    st.integers(1, 500),
)
def test_matrix_deflated_sharpe_equals_the_scipy_version(matrix, chosen, n_trials):
    chosen = chosen % matrix.shape[1]
    ours = matrix_deflated_sharpe(matrix, chosen, n_trials)
    theirs = _scipy_matrix_deflated_sharpe(matrix, chosen, n_trials)
    assert _same(ours, theirs), (ours, theirs)

"""Deflated Sharpe ratio: a slow reference, its limits, and its size on markets with no edge."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate
from scipy.stats import norm

from vantageadapt.optimize import deflated_sharpe_ratio
from vantageadapt.optimize.significance import matrix_deflated_sharpe


def _reference(sharpe, trial_sharpes, n_obs, trials, skew=0.0, kurtosis=3.0):
    """The DSR by hand: PSR statistic, implied correlation, quad over the common factor."""
    z = (
        sharpe
        * math.sqrt(n_obs - 1)
        / math.sqrt(1 - skew * sharpe + (kurtosis - 1) / 4 * sharpe**2)
    )
    mean = sum(trial_sharpes) / len(trial_sharpes)
    var = sum((x - mean) ** 2 for x in trial_sharpes) / (len(trial_sharpes) - 1)
    rho = min(0.999, max(0.0, 1.0 - var * (n_obs - 1)))

    def integrand(f):
        return norm.pdf(f) * norm.cdf((z - math.sqrt(rho) * f) / math.sqrt(1 - rho)) ** trials

    return integrate.quad(integrand, -12, 12, limit=400)[0]


@settings(max_examples=60, deadline=None)
@given(
    sr=st.floats(-0.5, 0.8),
    spread=st.floats(0.0, 0.3),
    n_obs=st.integers(5, 2_000),
    trials=st.integers(1, 5_000),
    skew=st.floats(-2, 2),
    kurt=st.floats(2, 12),
)
def test_matches_the_slow_reference(sr, spread, n_obs, trials, skew, kurt):
    trial = np.linspace(-spread, spread, 9)
    if 1 - skew * sr + (kurt - 1) / 4 * sr**2 <= 0:
        return
    fast = deflated_sharpe_ratio(sr, trial, n_obs, trials=trials, skew=skew, kurtosis=kurt)
    slow = _reference(sr, list(trial), n_obs, trials, skew, kurt)
    assert fast == pytest.approx(slow, abs=2e-4)


def test_one_trial_is_the_probabilistic_sharpe_against_zero():
    sr, t = 0.1, 200
    expected = norm.cdf(sr * math.sqrt(t - 1) / math.sqrt(1 + 0.5 * sr**2))
    assert deflated_sharpe_ratio(sr, np.array([sr]), t, trials=1) == pytest.approx(expected)


@settings(max_examples=40, deadline=None)
@given(
    sr=st.floats(-0.3, 0.3),
    n1=st.integers(2, 500),
    extra=st.integers(1, 5000),
    t=st.integers(10, 10_000),
)
def test_more_trials_never_raise_the_dsr(sr, n1, extra, t):
    trial = np.linspace(-0.1, 0.1, 7)
    a = deflated_sharpe_ratio(sr, trial, t, trials=n1)
    b = deflated_sharpe_ratio(sr, trial, t, trials=n1 + extra)
    assert 0.0 <= b <= a + 1e-12 <= 1.0 + 1e-12


@pytest.mark.parametrize(("periods", "trials", "rho"), [(120, 30, 0.0), (200, 100, 0.85)])
def test_no_edge_clears_095_about_five_percent_of_the_time(periods, trials, rho):
    # Skill-less trials (independent or alike, like neighbouring parameter sets): pick the best
    # Sharpe, deflate it. A calibrated test calls ~5 % of such searches significant.
    rng = np.random.default_rng(7)
    runs = 600
    hits = 0
    for _ in range(runs):
        common = rng.standard_normal((periods, 1))
        returns = 0.01 * (
            math.sqrt(rho) * common + math.sqrt(1 - rho) * rng.standard_normal((periods, trials))
        )
        sharpes = returns.mean(axis=0) / returns.std(axis=0, ddof=1)
        hits += matrix_deflated_sharpe(returns, int(np.argmax(sharpes)), trials) > 0.95
    rate = hits / runs
    assert 0.02 <= rate <= 0.09, rate


def test_a_real_edge_clears_095():
    rng = np.random.default_rng(3)
    returns = 0.01 * rng.standard_normal((200, 40))
    returns[:, 5] += 0.004  # a per-period Sharpe of 0.4 in one trial
    sharpes = returns.mean(axis=0) / returns.std(axis=0, ddof=1)
    assert int(np.argmax(sharpes)) == 5
    assert matrix_deflated_sharpe(returns, 5, 40) > 0.95

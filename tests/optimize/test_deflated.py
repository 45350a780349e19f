"""Deflated Sharpe ratio against Bailey & Lopez de Prado's worked example and by hand."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vantageadapt.optimize import deflated_sharpe_ratio, expected_max_sharpe
from vantageadapt.optimize.deflated import probabilistic_sharpe


def test_paper_example():
    # Bailey & Lopez de Prado (2014): annual SR 2.5, V[SR] 0.5 annual, N=100, T=1250 days,
    # skew -3, kurtosis 10 -> SR0 ~ 0.1132 (daily), DSR ~ 0.9004.
    variance = 0.5 / 250
    sr0 = expected_max_sharpe(100, variance)
    assert sr0 == pytest.approx(0.1132, abs=1e-4)
    dsr = probabilistic_sharpe(2.5 / math.sqrt(250), sr0, 1250, skew=-3, kurtosis=10)
    assert dsr == pytest.approx(0.9004, abs=1e-3)


def test_by_hand_with_trial_sharpes():
    trial = np.array([-0.05, 0.0, 0.05, 0.1])
    var = float(np.var(trial, ddof=1))
    n, sr, t = 50, 0.08, 500
    nd = NormalDist()
    g = 0.5772156649015329
    sr0 = math.sqrt(var) * ((1 - g) * nd.inv_cdf(1 - 1 / n) + g * nd.inv_cdf(1 - 1 / (n * math.e)))
    expected = nd.cdf((sr - sr0) * math.sqrt(t - 1) / math.sqrt(1 + 0.5 * sr**2))
    assert deflated_sharpe_ratio(sr, trial, t, trials=n) == pytest.approx(expected, rel=1e-9)


def test_one_trial_is_the_probabilistic_sharpe_against_zero():
    assert deflated_sharpe_ratio(0.0, np.array([0.0]), 100) == pytest.approx(0.5)


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

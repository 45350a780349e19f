"""Deflated Sharpe ratio (Bailey and Lopez de Prado, 2014): how much of a best Sharpe is luck."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

EULER_GAMMA = 0.5772156649015329
_NORMAL = NormalDist()


def expected_max_sharpe(trials: int, variance: float) -> float:
    """Expected best per-period Sharpe of `trials` skill-less strategies with that variance."""
    if trials <= 1 or variance <= 0:
        return 0.0
    a = _NORMAL.inv_cdf(1.0 - 1.0 / trials)
    b = _NORMAL.inv_cdf(1.0 - 1.0 / (trials * math.e))
    return math.sqrt(variance) * ((1.0 - EULER_GAMMA) * a + EULER_GAMMA * b)


def probabilistic_sharpe(
    sharpe: float, benchmark: float, n_obs: int, *, skew: float = 0.0, kurtosis: float = 3.0
) -> float:
    """P(true Sharpe > benchmark) given an observed per-period Sharpe over n_obs returns."""
    if n_obs < 2:
        return 0.0
    denom = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if denom <= 0:
        return 0.0
    z = (sharpe - benchmark) * math.sqrt(n_obs - 1) / math.sqrt(denom)
    return _NORMAL.cdf(z)


def deflated_sharpe_ratio(
    sharpe: float,
    trial_sharpes: np.ndarray,
    n_obs: int,
    *,
    trials: int | None = None,
    skew: float = 0.0,
    kurtosis: float = 3.0,
) -> float:
    """DSR of the chosen per-period Sharpe, deflated for the number of trials.

    `trial_sharpes` are the per-period Sharpe ratios of every parameter set tried (their
    variance sets the spread of luck); `trials` overrides their count when more were run
    than are listed (e.g. earlier iterations). Returns a probability in [0, 1].
    """
    values = np.asarray(trial_sharpes, dtype=np.float64)
    values = values[np.isfinite(values)]
    n_trials = trials if trials is not None else len(values)
    variance = float(np.var(values, ddof=1)) if len(values) > 1 else 0.0
    benchmark = expected_max_sharpe(n_trials, variance)
    return probabilistic_sharpe(sharpe, benchmark, n_obs, skew=skew, kurtosis=kurtosis)

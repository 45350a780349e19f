"""Deflated Sharpe ratio: how likely a best Sharpe is to be more than the luck of many trials.

Bailey and Lopez de Prado (2014) deflate the chosen Sharpe for the number of trials and their
spread. Their benchmark is the *expected* best of N skill-less trials, so under no edge the
chosen trial sits at that benchmark and the ratio almost never reaches 0.95: the test is much
stricter than its nominal 5 % and loses power. This version keeps their inputs (the chosen
per-period Sharpe, its skew and kurtosis, the number of periods, the trials' Sharpes and their
count) and returns the probability that the chosen Sharpe beats the *whole distribution* of the
best of N skill-less trials: under no edge it clears 0.95 in about 5 % of searches.

Model of the skill-less trials: per-period Sharpe estimates with the null standard error
1/sqrt(T-1), equicorrelated with the correlation their observed spread implies
(V[SR] = (1 - rho) / (T - 1), so near-duplicate parameter sets count as fewer trials):
  SR_i = (sqrt(rho) F + sqrt(1 - rho) e_i) / sqrt(T - 1),  F, e_i ~ N(0, 1),
  DSR = P(max_i SR_i < SR*) = E_F[ Phi((z - sqrt(rho) F) / sqrt(1 - rho)) ** N ],
with z the chosen Sharpe's PSR statistic against 0, z = SR sqrt(T-1) / sqrt(1 - g3 SR +
(g4 - 1)/4 SR^2). With one trial it is the probabilistic Sharpe ratio against 0.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import log_ndtr

MAX_RHO = 0.999
# The common factor on a fine grid (a near-1 correlation makes the integrand a steep step).
_NODES = np.linspace(-9.0, 9.0, 7_201)
_WEIGHTS = np.exp(-0.5 * _NODES**2)
_WEIGHTS /= _WEIGHTS.sum()


def sample_moments(values: np.ndarray) -> tuple[float, float]:
    """Skew and (Pearson, non-excess) kurtosis of a sample, biased, NaN for a constant one:
    the numbers of scipy.stats `skew(x)` and `kurtosis(x, fisher=False)`, same operations in
    the same order, without importing scipy.stats (about half a second)."""
    x = np.asarray(values, dtype=np.float64)
    mean = np.mean(x, keepdims=True)
    deviation = x - mean
    squared = deviation**2
    m2 = np.mean(squared)
    m3 = np.mean(squared * deviation)
    m4 = np.mean(squared**2)
    with np.errstate(all="ignore"):
        if m2 <= (np.finfo(np.float64).eps * mean[0]) ** 2:
            return math.nan, math.nan
        return float(m3 / m2**1.5), float(m4 / m2**2.0)


def sharpe_z(sharpe: float, n_obs: int, *, skew: float = 0.0, kurtosis: float = 3.0) -> float:
    """The PSR statistic of a per-period Sharpe over n_obs returns against a zero benchmark."""
    denom = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if n_obs < 2 or denom <= 0:
        return -math.inf
    return sharpe * math.sqrt(n_obs - 1) / math.sqrt(denom)


def trial_correlation(trial_sharpes: np.ndarray, n_obs: int) -> float:
    """The common correlation of skill-less trials whose Sharpes spread as these do."""
    values = np.asarray(trial_sharpes, dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) < 2 or n_obs < 2:
        return 0.0
    spread = float(np.var(values, ddof=1)) * (n_obs - 1)
    return float(np.clip(1.0 - spread, 0.0, MAX_RHO))


def max_null_cdf(z: float, trials: int, rho: float) -> float:
    """P(the best of `trials` equicorrelated (rho) standard normals < z)."""
    if not math.isfinite(z):
        return 0.0 if z < 0 else 1.0
    inner = (z - math.sqrt(rho) * _NODES) / math.sqrt(1.0 - rho)
    return float(np.sum(_WEIGHTS * np.exp(max(1, trials) * log_ndtr(inner))))


def deflated_sharpe_ratio(
    sharpe: float,
    trial_sharpes: np.ndarray,
    n_obs: int,
    *,
    trials: int | None = None,
    skew: float = 0.0,
    kurtosis: float = 3.0,
) -> float:
    """P(the chosen per-period Sharpe beats the best of `trials` skill-less trials), in [0, 1].

    `trial_sharpes` are the per-period Sharpes of the parameter sets tried on the same periods
    (their spread sets how alike the trials are); `trials` overrides their count when more
    were run than are listed (e.g. earlier iterations).
    """
    values = np.asarray(trial_sharpes, dtype=np.float64)
    n_trials = trials if trials is not None else int(np.isfinite(values).sum())
    z = sharpe_z(sharpe, n_obs, skew=skew, kurtosis=kurtosis)
    return max_null_cdf(z, n_trials, trial_correlation(values, n_obs))

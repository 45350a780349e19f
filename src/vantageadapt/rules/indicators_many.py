"""Rolling means of several windows in one pass over a column, each bit for bit the
single-window `rolling_moments_nb` mean (the windows' running sums interleave, so their
divisions overlap instead of waiting on each other)."""

from __future__ import annotations

import numpy as np
from numba import njit

from vantageadapt.rules.indicator_kernels import (
    CANCELLATION,
    _same_run_nb,
    _window_moments_nb,
)


@njit(cache=True, nogil=True)
def rolling_means_nb(values: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """`rolling_moments_nb(values, w, 0, False)` of each window w, one row each."""
    n = values.shape[0]
    k = windows.shape[0]
    out = np.full((k, n), np.nan)
    run = _same_run_nb(values)
    count = np.zeros(k, dtype=np.int64)
    mean = np.zeros(k)
    m2 = np.zeros(k)
    phase = np.zeros(k, dtype=np.int64)  # (t + 1) % window, kept without dividing
    first = n
    for j in range(k):
        if windows[j] >= 1 and windows[j] <= n:
            first = min(first, windows[j] - 1)
            phase[j] = (windows[j] - 1) % windows[j]
    for t in range(first, n):
        v = values[t]
        for j in range(k):
            window = windows[j]
            if window < 1 or window > n or t < window - 1:
                continue
            phase[j] += 1
            if phase[j] == window:
                phase[j] = 0
            if phase[j] == 0:
                count[j], mean[j], m2[j] = _window_moments_nb(values, t, window)
            else:
                c, mu, m = count[j], mean[j], m2[j]
                old = values[t - window]
                before = m
                if old == old:  # Welford removal
                    c -= 1
                    if c > 0:
                        delta = old - mu
                        mu -= delta / c
                        m -= delta * (old - mu)
                    else:
                        mu = 0.0
                        m = 0.0
                if m < before * CANCELLATION:
                    c, mu, m = _window_moments_nb(values, t, window)
                elif v == v:  # Welford addition
                    c += 1
                    delta = v - mu
                    mu += delta / c
                    m += delta * (v - mu)
                count[j], mean[j], m2[j] = c, mu, m
            if count[j] < window or count[j] <= 0:
                continue
            out[j, t] = v if run[t] >= window else mean[j]
    return out


def rolling_means(values: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """`rolling_mean(values, w)` of each window, one row each, in one pass."""
    column = np.ascontiguousarray(values, dtype=np.float64)
    return rolling_means_nb(column, np.asarray(windows, dtype=np.int64))

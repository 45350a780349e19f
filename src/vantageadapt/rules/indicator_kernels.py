"""O(n) numba kernels for the built-in indicators (row t uses rows <= t; NaN while warming up).

Windows need `window` valid rows (a NaN inside a window makes its row NaN), as pandas'
`rolling(window, min_periods=window)` does. Running sums drift, so rolling mean and variance
are recomputed exactly once every `window` rows (O(n) in all), and a window of equal values
gives that value (variance 0) exactly.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True)
def _same_run_nb(values: np.ndarray) -> np.ndarray:
    """Length of the run of equal (non-NaN) values ending at each row."""
    n = values.shape[0]
    run = np.zeros(n, dtype=np.int64)
    for t in range(n):
        v = values[t]
        if v == v:
            run[t] = run[t - 1] + 1 if t > 0 and values[t - 1] == v else 1
    return run


@njit(cache=True, nogil=True)
def _window_moments_nb(values, t, window):
    """Exact count, mean and sum of squared deviations of the non-NaN values in the window."""
    count = 0
    total = 0.0
    for j in range(t - window + 1, t + 1):
        v = values[j]
        if v == v:
            count += 1
            total += v
    mean = total / count if count > 0 else 0.0
    m2 = 0.0
    for j in range(t - window + 1, t + 1):
        v = values[j]
        if v == v:
            m2 += (v - mean) * (v - mean)
    return count, mean, m2


CANCELLATION = 1e-3  # m2 falling below this share of itself in one step is recomputed


@njit(cache=True, nogil=True)
def rolling_moments_nb(values: np.ndarray, window: int, ddof: int, want_std: bool) -> np.ndarray:
    """Rolling mean (want_std False) or standard deviation with `ddof` of `window` rows."""
    n = values.shape[0]
    out = np.full(n, np.nan)
    if window < 1 or n < window:
        return out
    run = _same_run_nb(values)
    count = 0
    mean = 0.0
    m2 = 0.0
    for t in range(window - 1, n):
        if (t + 1) % window == 0:
            count, mean, m2 = _window_moments_nb(values, t, window)
        else:
            old = values[t - window]
            before = m2
            if old == old:  # Welford removal
                count -= 1
                if count > 0:
                    delta = old - mean
                    mean -= delta / count
                    m2 -= delta * (old - mean)
                else:
                    mean = 0.0
                    m2 = 0.0
            v = values[t]
            if m2 < before * CANCELLATION:
                # An outlier left the window: the running sum lost its digits; recompute.
                count, mean, m2 = _window_moments_nb(values, t, window)
            elif v == v:  # Welford addition
                count += 1
                delta = v - mean
                mean += delta / count
                m2 += delta * (v - mean)
        if count < window or count <= ddof:
            continue
        if not want_std:
            out[t] = values[t] if run[t] >= window else mean
        elif run[t] >= window or count == 1:
            out[t] = 0.0
        else:
            out[t] = np.sqrt(max(m2, 0.0) / (count - ddof))
    return out


@njit(cache=True, nogil=True, parallel=True)
def rolling_means_nb(values: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """`rolling_moments_nb` means of each window, one row each, the windows side by side."""
    out = np.empty((windows.shape[0], values.shape[0]))
    for j in prange(windows.shape[0]):
        out[j] = rolling_moments_nb(values, windows[j], 0, False)
    return out


@njit(cache=True, nogil=True, inline="always")
def _dominated(old: float, new: float, want_max: bool) -> bool:
    return old <= new if want_max else old >= new


@njit(cache=True, nogil=True)
def previous_extreme_nb(values: np.ndarray, window: int, want_max: bool) -> np.ndarray:
    """Max (or min) of rows t-window..t-1, by a monotonic deque of row numbers."""
    n = values.shape[0]
    out = np.full(n, np.nan)
    if window < 1:
        return out
    queue = np.empty(n, dtype=np.int64)
    head = 0
    tail = 0
    nans = 0
    for t in range(n - 1):  # the window ending at t is row t+1's answer
        v = values[t]
        if t >= window and values[t - window] != values[t - window]:
            nans -= 1
        if v != v:
            nans += 1
        else:
            while tail > head and _dominated(values[queue[tail - 1]], v, want_max):
                tail -= 1
            queue[tail] = t
            tail += 1
        while tail > head and queue[head] <= t - window:
            head += 1
        if t >= window - 1 and nans == 0:
            out[t + 1] = values[queue[head]]
    return out


@njit(cache=True, nogil=True)
def previous_extremes_nb(values: np.ndarray, windows: np.ndarray, want_max: bool) -> np.ndarray:
    """`previous_extreme_nb` of each window, one row each, sharing the work between windows.

    A table of block extremes is doubled in place (block length 1, 2, 4, ...: the windows in
    ascending order each read the longest block that fits twice), so each window costs two
    reads per row. Ties keep the later row's value, as the deque does; a window holding a NaN
    is NaN, by a running count of NaNs.
    """
    n = values.shape[0]
    out = np.full((windows.shape[0], n), np.nan)
    nans = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        nans[i + 1] = nans[i] + (values[i] != values[i])
    table = values.copy()  # table[i]: the extreme of rows i .. i + block - 1
    block = 1
    for j in np.argsort(windows, kind="mergesort"):
        window = windows[j]
        if window < 1:
            continue
        while block * 2 <= window:
            for i in range(n - 2 * block + 1):
                if _dominated(table[i], table[i + block], want_max):
                    table[i] = table[i + block]
            block *= 2
        for t in range(window, n):
            if nans[t] == nans[t - window]:
                first, last = table[t - window], table[t - block]
                out[j, t] = last if _dominated(first, last, want_max) else first
    return out


@njit(cache=True, nogil=True)
def ema_nb(values: np.ndarray, window: int) -> np.ndarray:
    """pandas' ewm(span=window, adjust=False, min_periods=window).mean(), step for step."""
    n = values.shape[0]
    out = np.full(n, np.nan)
    if n == 0:
        return out
    com = (window - 1) / 2.0
    alpha = 1.0 / (1.0 + com)
    keep = 1.0 - alpha
    weighted = values[0]
    nobs = 1 if weighted == weighted else 0
    if nobs >= window:
        out[0] = weighted
    old_wt = 1.0
    for t in range(1, n):
        cur = values[t]
        seen = cur == cur
        nobs += seen
        if weighted == weighted:
            old_wt *= keep
            if seen:
                if weighted != cur:
                    weighted = (old_wt * weighted + alpha * cur) / (old_wt + alpha)
                old_wt = 1.0
        elif seen:
            weighted = cur
        if nobs >= window:
            out[t] = weighted
    return out


@njit(cache=True, nogil=True)
def wilder_rsi_nb(price: np.ndarray, window: int) -> np.ndarray:
    """Wilder's RSI: first averages are simple means of `window` changes, then smoothed 1/window."""
    n = price.shape[0]
    out = np.full(n, np.nan)
    if n <= window:
        return out
    gain = 0.0
    loss = 0.0
    for t in range(1, window + 1):
        change = price[t] - price[t - 1]
        if change > 0:
            gain += change
        else:
            loss -= change
    gain /= window
    loss /= window
    for t in range(window, n):
        if t > window:
            change = price[t] - price[t - 1]
            up = change if change > 0 else 0.0
            down = -change if change < 0 else 0.0
            gain = (gain * (window - 1) + up) / window
            loss = (loss * (window - 1) + down) / window
        if loss == 0.0:
            out[t] = 100.0 if gain > 0.0 else 50.0
        else:
            out[t] = 100.0 - 100.0 / (1.0 + gain / loss)
    return out


@njit(cache=True, nogil=True)
def wilder_atr_nb(price: np.ndarray, high: np.ndarray, low: np.ndarray, window: int) -> np.ndarray:
    """Wilder's average true range over rows 1..t (high/low used when given, else |change|)."""
    n = price.shape[0]
    out = np.full(n, np.nan)
    if n <= window:
        return out
    use_hl = high.shape[0] == n
    total = 0.0
    value = 0.0
    for t in range(1, n):
        move = abs(price[t] - price[t - 1])
        if use_hl:
            move = max(high[t] - low[t], abs(high[t] - price[t - 1]), abs(low[t] - price[t - 1]))
        if t <= window:
            total += move
            if t == window:
                value = total / window
                out[t] = value
        else:
            value = (value * (window - 1) + move) / window
            out[t] = value
    return out

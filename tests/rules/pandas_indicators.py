"""The pandas indicators the numba kernels replaced, kept as slow references."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _rolling(values: np.ndarray, window: int):
    return pd.Series(values).rolling(window, min_periods=window)


def rolling_mean(values: np.ndarray, window: int) -> np.ndarray:
    return _rolling(values, window).mean().to_numpy()


def rolling_std(values: np.ndarray, window: int) -> np.ndarray:
    return _rolling(values, window).std(ddof=0).to_numpy()


def ema(values: np.ndarray, window: int) -> np.ndarray:
    series = pd.Series(values)
    return series.ewm(span=window, adjust=False, min_periods=window).mean().to_numpy()


def previous_max(values: np.ndarray, window: int) -> np.ndarray:
    return _rolling(values, window).max().shift(1).to_numpy()


def previous_min(values: np.ndarray, window: int) -> np.ndarray:
    return _rolling(values, window).min().shift(1).to_numpy()


def volatility(price: np.ndarray, window: int) -> np.ndarray:
    one = np.full(price.shape[0], np.nan)
    one[1:] = price[1:] / price[:-1] - 1.0
    return pd.Series(one).rolling(window, min_periods=window).std(ddof=1).to_numpy()


REFERENCES = {
    "rolling_mean": rolling_mean,
    "rolling_std": rolling_std,
    "ema": ema,
    "previous_max": previous_max,
    "previous_min": previous_min,
    "volatility": volatility,
}

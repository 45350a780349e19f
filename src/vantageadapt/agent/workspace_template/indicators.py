"""Workspace hook: custom indicators the rule language can use as `name_N` terms.

Each is fn(frame, window) -> float64 array as long as the frame; the value at row t may use
rows <= t only (no look-ahead); NaN where the window is not yet full.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd


def price_zscore(frame: pd.DataFrame, window: int) -> np.ndarray:
    """Distance of price from its rolling mean, in rolling standard deviations."""
    price = frame["price"].astype(np.float64)
    mean = price.rolling(window).mean()
    std = price.rolling(window).std(ddof=0)
    return ((price - mean) / std.where(std > 0.0)).to_numpy(dtype=np.float64)


CUSTOM_INDICATORS: dict[str, Callable[[pd.DataFrame, int], np.ndarray]] = {
    "price_zscore": price_zscore
}

"""Small canonical frames built by hand for the engine tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vantageadapt.models import TradingRules


def frame_from(prices, volume=None, **extra) -> pd.DataFrame:
    """A canonical frame (UTC minute index named timestamp) from a list of prices."""
    prices = np.asarray(prices, dtype=np.float64)
    index = pd.date_range("2024-01-01", periods=len(prices), freq="min", tz="UTC", name="timestamp")
    volume = np.ones(len(prices)) if volume is None else np.asarray(volume, dtype=np.float64)
    return pd.DataFrame({"price": prices, "volume": volume, **extra}, index=index)


def random_frame(
    rows: int, seed: int, *, sigma: float = 0.02, ohlc: bool = False, pools: bool = False
) -> pd.DataFrame:
    """A random-walk frame; optionally with high/low and constant-product pool reserves."""
    rng = np.random.default_rng(seed)
    price = 10.0 * np.exp(np.cumsum(rng.normal(0.0, sigma, rows)))
    extra = {}
    if ohlc:
        spread = np.abs(rng.normal(0.0, sigma, rows)) * price
        extra["high"] = price + spread
        extra["low"] = price - spread * 0.9
    if pools:
        x = rng.uniform(50.0, 500.0, rows)
        extra["sol_pool"] = x
        extra["coin_pool"] = x / price
    return frame_from(price, rng.lognormal(0.0, 0.5, rows), **extra)


def rules(entry, exit, **parameters) -> TradingRules:
    """TradingRules from lists of conditions and keyword parameters."""
    return TradingRules.model_validate(
        {"conditions": {"entry": list(entry), "exit": list(exit)}, "parameters": parameters}
    )

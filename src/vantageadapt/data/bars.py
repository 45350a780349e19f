"""Resample canonical trade frames to OHLCV bars."""

from __future__ import annotations

import pandas as pd

from vantageadapt.errors import ConfigError

# Columns holding a state (the pool reserves after the bar), so the bar keeps their last value.
STATE_COLUMNS = ("sol_pool", "coin_pool")


def check_bar(bar: str) -> pd.Timedelta:
    """The bar length of a pandas offset alias such as "1min", "5min", "1h"; ConfigError else."""
    try:
        length = pd.Timedelta(pd.tseries.frequencies.to_offset(bar))
    except (ValueError, TypeError):
        raise ConfigError(
            f"--bar {bar!r} is not a fixed time span; use e.g. 30s, 1min, 5min, 1h, 1D"
        ) from None
    if length <= pd.Timedelta(0):
        raise ConfigError(f"--bar {bar!r} must be a positive time span")
    return length


def to_bars(frame: pd.DataFrame, bar: str) -> pd.DataFrame:
    """One canonical frame -> bars labelled by their start: open, high, low, price (close),
    volume (sum), trades (count) and the pool columns' last value; empty bars are dropped."""
    check_bar(bar)
    grouped = frame.resample(bar, label="left", closed="left")
    price = grouped["price"]
    bars = pd.DataFrame(
        {
            "open": (grouped["open"].first() if "open" in frame else price.first()),
            "high": (grouped["high"].max() if "high" in frame else price.max()),
            "low": (grouped["low"].min() if "low" in frame else price.min()),
            "price": price.last(),
            "volume": grouped["volume"].sum(),
            "trades": price.count().astype("int64"),
        }
    )
    for column in STATE_COLUMNS:
        if column in frame:
            bars[column] = grouped[column].last()
    bars = bars[bars["trades"] > 0]
    bars.index.name = "timestamp"
    return bars.astype({c: "float64" for c in ("price", "volume", "open", "high", "low")})

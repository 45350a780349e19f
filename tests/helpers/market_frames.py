"""Synthetic canonical frames with made-up symbols and dates (for anonymity and regime tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd

SYMBOLS = ("BONKXSOL", "WIFZSOL", "POPCATQ")
START = "2024-03-05"


def make_frames(
    drift: float = 0.0,
    vol: float = 0.01,
    *,
    rows: int = 3000,
    seed: int = 0,
    tail: tuple[float, float] | None = None,
    symbols: tuple[str, ...] = SYMBOLS,
) -> dict[str, pd.DataFrame]:
    """Canonical frames: log-normal walks, optionally a different last 10 % (drift, vol)."""
    rng = np.random.default_rng(seed)
    frames = {}
    for symbol in symbols:
        steps = rng.normal(drift, vol, rows)
        if tail is not None:
            steps[-rows // 10 :] = rng.normal(tail[0], tail[1], rows // 10)
        index = pd.date_range(START, periods=rows, freq="min", tz="UTC", name="timestamp")
        frames[symbol] = pd.DataFrame(
            {"price": 100 * np.exp(np.cumsum(steps)), "volume": rng.lognormal(0, 1, rows)},
            index=index,
        )
    return frames

"""Causal indicators (row t uses rows <= t only), NaN during warm-up, stored per window."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial

import numpy as np
import pandas as pd

from vantageadapt.errors import RuleError
from vantageadapt.rules.indicator_kernels import (
    ema_nb,
    previous_extreme_nb,
    previous_extremes_nb,
    rolling_means_nb,
    rolling_moments_nb,
    wilder_atr_nb,
    wilder_rsi_nb,
)
from vantageadapt.rules.indicator_store import IndicatorStore, content_key, default_store

CustomIndicator = Callable[[pd.DataFrame, int], np.ndarray]


def _floats(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.float64)


def rolling_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of the `window` rows ending at t."""
    return rolling_moments_nb(_floats(values), window, 0, False)


def rolling_means(values: np.ndarray, windows: Sequence[int]) -> np.ndarray:
    """`rolling_mean` of each window, one row each, computed side by side."""
    return rolling_means_nb(_floats(values), np.asarray(windows, dtype=np.int64))


def rolling_std(values: np.ndarray, window: int) -> np.ndarray:
    """Population standard deviation (ddof=0) of the `window` rows ending at t."""
    return rolling_moments_nb(_floats(values), window, 0, True)


def ema(values: np.ndarray, window: int) -> np.ndarray:
    """Exponential mean, alpha = 2/(window+1), seeded at the first value, NaN for window-1 rows."""
    return ema_nb(_floats(values), window)


def rsi(price: np.ndarray, window: int) -> np.ndarray:
    """Wilder's RSI: first averages are simple means of `window` changes, then smoothed 1/window."""
    return wilder_rsi_nb(_floats(price), window)


def atr(
    price: np.ndarray, window: int, high: np.ndarray | None, low: np.ndarray | None
) -> np.ndarray:
    """Wilder's average true range over rows 1..t (true range needs the previous close)."""
    empty = np.empty(0)
    h = empty if high is None else _floats(high)
    lo = empty if low is None else _floats(low)
    return wilder_atr_nb(_floats(price), h, lo, window)


def previous_max(values: np.ndarray, window: int) -> np.ndarray:
    """Max of rows t-window..t-1 (excludes row t, for breakouts)."""
    return previous_extreme_nb(_floats(values), window, True)


def previous_min(values: np.ndarray, window: int) -> np.ndarray:
    """Min of rows t-window..t-1."""
    return previous_extreme_nb(_floats(values), window, False)


def previous_extremes(values: np.ndarray, windows: Sequence[int], want_max: bool) -> np.ndarray:
    """`previous_max` (or `previous_min`) of each window, one row each, in one pass."""
    return previous_extremes_nb(_floats(values), np.asarray(windows, dtype=np.int64), want_max)


def period_returns(price: np.ndarray, window: int) -> np.ndarray:
    """price[t] / price[t-window] - 1."""
    out = np.full(price.shape[0], np.nan)
    out[window:] = price[window:] / price[:-window] - 1.0
    return out


def volatility(price: np.ndarray, window: int) -> np.ndarray:
    """Sample standard deviation (ddof=1) of the last `window` one-row returns (not annualized)."""
    return rolling_moments_nb(period_returns(_floats(price), 1), window, 1, True)


def macd_parts(price: np.ndarray, fast: int, slow: int, signal: int) -> tuple[np.ndarray, ...]:
    """MACD line (ema fast - ema slow), its signal line (ema of the line) and histogram."""
    line = ema(price, fast) - ema(price, slow)
    valid = ~np.isnan(line)
    sig = np.full(line.shape[0], np.nan)
    if valid.any():
        first = int(np.argmax(valid))
        sig[first:] = ema(line[first:], signal)
    return line, sig, line - sig


# Windowed indicators: name -> minimum window. Order matters for prefix matching (longest first).
WINDOWED: dict[str, int] = {
    "volume_ma": 1,
    "bb_upper": 1,
    "bb_lower": 1,
    "volatility": 2,
    "returns": 1,
    "ema": 1,
    "rsi": 1,
    "std": 1,
    "atr": 1,
    "high": 1,
    "low": 1,
    "ma": 1,
}
MACD_TERMS = ("macd", "macd_signal", "macd_hist")
# Indicators computed for many windows in one call: name -> (the column they read, the
# batch function); each row is bit for bit the one-window function's array.
BATCHED: dict[str, tuple[str, Callable[[np.ndarray, Sequence[int]], np.ndarray]]] = {
    "high": ("price", partial(previous_extremes, want_max=True)),
    "low": ("price", partial(previous_extremes, want_max=False)),
    "ma": ("price", rolling_means),
    "volume_ma": ("volume", rolling_means),
}
PREFETCH_BYTES = 64 * 2**20  # rows computed at once by `IndicatorCache.prefetch`
BB_WIDTH = 2.0


class IndicatorCache:
    """Indicator arrays of rows [0, stop) of one frame, computed once per (name, window).

    Built-ins are computed over the whole frame and kept in a shared `IndicatorStore` under
    the frame's content key: they are causal, so rows [0, stop) of the whole-frame array are
    exactly the array of the cut frame, and every window of a search shares one computation.
    Custom indicators (workspace code, not trusted to be causal) see only rows [0, stop).
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        custom: Mapping[str, CustomIndicator] | None = None,
        *,
        stop: int | None = None,
        store: IndicatorStore | None = None,
        key: str | None = None,
    ) -> None:
        self.frame = frame
        self.custom = dict(custom or {})
        self.rows = len(frame) if stop is None else stop
        self.store = store if store is not None else default_store()
        self._key = key
        self._local: dict[tuple[str, int], np.ndarray] = {}
        self.price = self.column("price")

    @property
    def key(self) -> str:
        """The content key of the whole frame (computed on first use)."""
        if self._key is None:
            self._key = content_key(self.frame)
        return self._key

    def column(self, name: str) -> np.ndarray:
        """A raw column as float64 (price, volume, open, high, low), rows [0, stop)."""
        return self._whole_column(name)[: self.rows]

    def _whole_column(self, name: str) -> np.ndarray:
        key = ("column:" + name, 0)
        if key not in self._local:
            if name not in self.frame.columns:
                raise RuleError(f"term {name!r} needs a {name!r} column, which the data lacks")
            self._local[key] = np.ascontiguousarray(self.frame[name].to_numpy(dtype=np.float64))
        return self._local[key]

    def get(self, name: str, window: int) -> np.ndarray:
        """The indicator `name_window` (windowed built-ins and custom indicators)."""
        if name in self.custom:
            key = ("custom:" + name, window)
            if key not in self._local:
                self._local[key] = self._custom(name, window)
            return self._local[key]
        return self._stored(name, window)[: self.rows]

    def prefetch(self, wanted: Iterable[tuple[str, int]]) -> None:
        """Store the indicators among `wanted` (name, window) pairs that are computed for
        many windows at once (`BATCHED`) and not stored yet, every window of a name in one
        call; the rest are left to `get`."""
        wanted = set(wanted)
        for name, (column, compute) in BATCHED.items():
            if name in self.custom or column not in self.frame.columns:
                continue  # `get` computes (or reports) these one at a time
            windows = sorted({w for n, w in wanted if n == name and not self.stored(n, w)})
            if len(windows) < 2:
                continue
            step = max(2, PREFETCH_BYTES // (8 * max(len(self.frame), 1)))
            for part in range(0, len(windows), step):
                chosen = windows[part : part + step]
                rows = compute(self._whole_column(column), chosen)
                for window, row in zip(chosen, rows, strict=True):
                    self.store.get((self.key, name, window), row.copy)

    def stored(self, name: str, window: int) -> bool:
        """Whether the built-in `name_window` of the whole frame is in the store now."""
        return (self.key, name, window) in self.store

    def macd(self, which: str, fast: int, slow: int, signal: int) -> np.ndarray:
        """macd / macd_signal / macd_hist for the given windows."""
        windows = (fast, slow, signal)
        line = self.store.get(
            (self.key, "macd", windows),
            lambda: self._stored("ema", fast) - self._stored("ema", slow),
        )
        sig = self.store.get(
            (self.key, "macd_signal", windows), lambda: macd_parts(self._whole_price(), *windows)[1]
        )
        if which == "macd":
            return line[: self.rows]
        if which == "macd_signal":
            return sig[: self.rows]
        return self.store.get((self.key, "macd_hist", windows), lambda: line - sig)[: self.rows]

    def _whole_price(self) -> np.ndarray:
        return self._whole_column("price")

    def _stored(self, name: str, window: int) -> np.ndarray:
        return self.store.get((self.key, name, window), lambda: self._compute(name, window))

    def _compute(self, name: str, window: int) -> np.ndarray:
        price = self._whole_price()
        if name == "ma":
            return rolling_mean(price, window)
        if name == "ema":
            return ema(price, window)
        if name == "rsi":
            return rsi(price, window)
        if name == "std":
            return rolling_std(price, window)
        if name == "atr":
            if {"high", "low"} <= set(self.frame.columns):
                return atr(price, window, self._whole_column("high"), self._whole_column("low"))
            return atr(price, window, None, None)
        if name == "high":
            return previous_max(price, window)
        if name == "low":
            return previous_min(price, window)
        if name == "bb_upper":
            return self._stored("ma", window) + BB_WIDTH * self._stored("std", window)
        if name == "bb_lower":
            return self._stored("ma", window) - BB_WIDTH * self._stored("std", window)
        if name == "returns":
            return period_returns(price, window)
        if name == "volatility":
            return volatility(price, window)
        if name == "volume_ma":
            return rolling_mean(self._whole_column("volume"), window)
        raise RuleError(f"unknown indicator {name!r}")

    def _custom(self, name: str, window: int) -> np.ndarray:
        try:
            seen = self.frame if self.rows == len(self.frame) else self.frame.iloc[: self.rows]
            values = np.asarray(self.custom[name](seen, window), dtype=np.float64)
        except RuleError:
            raise
        except Exception as exc:
            raise RuleError(f"custom indicator {name!r} failed for window {window}: {exc}") from exc
        if values.shape != (self.rows,):
            raise RuleError(
                f"custom indicator {name!r} returned shape {values.shape}; "
                f"it must return one value per row ({self.rows},)"
            )
        return values

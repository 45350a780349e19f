"""Causal indicators (row t uses rows <= t only), NaN during warm-up, cached per window."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from numba import njit

from vantageadapt.errors import RuleError

CustomIndicator = Callable[[pd.DataFrame, int], np.ndarray]


def _rolling(values: np.ndarray, window: int) -> pd.core.window.Rolling:
    return pd.Series(values, copy=False).rolling(window, min_periods=window)


def rolling_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of the `window` rows ending at t."""
    return _rolling(values, window).mean().to_numpy()


def rolling_std(values: np.ndarray, window: int) -> np.ndarray:
    """Population standard deviation (ddof=0) of the `window` rows ending at t."""
    return _rolling(values, window).std(ddof=0).to_numpy()


def ema(values: np.ndarray, window: int) -> np.ndarray:
    """Exponential mean, alpha = 2/(window+1), seeded at the first value, NaN for window-1 rows."""
    series = pd.Series(values, copy=False)
    return series.ewm(span=window, adjust=False, min_periods=window).mean().to_numpy()


@njit(cache=True, nogil=True)
def _wilder_rsi_nb(price: np.ndarray, window: int) -> np.ndarray:
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


def rsi(price: np.ndarray, window: int) -> np.ndarray:
    """Wilder's RSI: first averages are simple means of `window` changes, then smoothed 1/window."""
    return _wilder_rsi_nb(np.ascontiguousarray(price, dtype=np.float64), window)


@njit(cache=True, nogil=True)
def _wilder_atr_nb(price: np.ndarray, high: np.ndarray, low: np.ndarray, window: int) -> np.ndarray:
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


def atr(
    price: np.ndarray, window: int, high: np.ndarray | None, low: np.ndarray | None
) -> np.ndarray:
    """Wilder's average true range over rows 1..t (true range needs the previous close)."""
    empty = np.empty(0)
    h = empty if high is None else np.ascontiguousarray(high, dtype=np.float64)
    lo = empty if low is None else np.ascontiguousarray(low, dtype=np.float64)
    return _wilder_atr_nb(np.ascontiguousarray(price, dtype=np.float64), h, lo, window)


def previous_max(values: np.ndarray, window: int) -> np.ndarray:
    """Max of rows t-window..t-1 (excludes row t, for breakouts)."""
    return _rolling(values, window).max().shift(1).to_numpy()


def previous_min(values: np.ndarray, window: int) -> np.ndarray:
    """Min of rows t-window..t-1."""
    return _rolling(values, window).min().shift(1).to_numpy()


def period_returns(price: np.ndarray, window: int) -> np.ndarray:
    """price[t] / price[t-window] - 1."""
    out = np.full(price.shape[0], np.nan)
    out[window:] = price[window:] / price[:-window] - 1.0
    return out


def volatility(price: np.ndarray, window: int) -> np.ndarray:
    """Sample standard deviation (ddof=1) of the last `window` one-row returns (not annualized)."""
    one = period_returns(price, 1)
    return pd.Series(one).rolling(window, min_periods=window).std(ddof=1).to_numpy()


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
BB_WIDTH = 2.0


class IndicatorCache:
    """Indicator arrays for one frame, computed once per (name, window)."""

    def __init__(
        self, frame: pd.DataFrame, custom: Mapping[str, CustomIndicator] | None = None
    ) -> None:
        self.frame = frame
        self.custom = dict(custom or {})
        self.rows = len(frame)
        self._cache: dict[tuple[str, int | tuple[int, ...]], np.ndarray] = {}
        self.price = frame["price"].to_numpy(dtype=np.float64)

    @property
    def nbytes(self) -> int:
        """Bytes held by the cached arrays."""
        return sum(array.nbytes for array in self._cache.values())

    def clear(self) -> None:
        """Drop every cached array (they are recomputed on demand)."""
        self._cache.clear()

    def column(self, name: str) -> np.ndarray:
        """A raw column as float64 (price, volume, open, high, low)."""
        key = ("column:" + name, 0)
        if key not in self._cache:
            if name not in self.frame.columns:
                raise RuleError(f"term {name!r} needs a {name!r} column, which the data lacks")
            self._cache[key] = self.frame[name].to_numpy(dtype=np.float64)
        return self._cache[key]

    def get(self, name: str, window: int) -> np.ndarray:
        """The indicator `name_window` (windowed built-ins and custom indicators)."""
        key = (name, window)
        if key not in self._cache:
            self._cache[key] = self._compute(name, window)
        return self._cache[key]

    def macd(self, which: str, fast: int, slow: int, signal: int) -> np.ndarray:
        """macd / macd_signal / macd_hist for the given windows."""
        key = ("macd", (fast, slow, signal))
        if key not in self._cache:
            line, sig, hist = macd_parts(self.price, fast, slow, signal)
            self._cache[key] = line
            self._cache[("macd_signal", (fast, slow, signal))] = sig
            self._cache[("macd_hist", (fast, slow, signal))] = hist
        return self._cache[(which, (fast, slow, signal))]

    def _compute(self, name: str, window: int) -> np.ndarray:
        price = self.price
        if name in self.custom:
            return self._custom(name, window)
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
                return atr(price, window, self.column("high"), self.column("low"))
            return atr(price, window, None, None)
        if name == "high":
            return previous_max(price, window)
        if name == "low":
            return previous_min(price, window)
        if name == "bb_upper":
            return self.get("ma", window) + BB_WIDTH * self.get("std", window)
        if name == "bb_lower":
            return self.get("ma", window) - BB_WIDTH * self.get("std", window)
        if name == "returns":
            return period_returns(price, window)
        if name == "volatility":
            return volatility(price, window)
        if name == "volume_ma":
            return rolling_mean(self.column("volume"), window)
        raise RuleError(f"unknown indicator {name!r}")

    def _custom(self, name: str, window: int) -> np.ndarray:
        try:
            values = np.asarray(self.custom[name](self.frame, window), dtype=np.float64)
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

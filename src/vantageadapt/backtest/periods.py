"""Calendar periods for Sharpe and Sortino: which period, its rows, its returns, its year."""

from __future__ import annotations

import functools
from collections.abc import Iterable

import numpy as np
import pandas as pd

from vantageadapt.errors import ConfigError

# Coarsest first: `auto` takes the first that gives every scored window enough periods.
CALENDAR_PERIODS = ("1D", "1h", "1min")
METRICS_PERIODS = ("auto", *CALENDAR_PERIODS, "row")
MIN_PERIODS = 30
_YEAR_SECONDS = 365.25 * 86_400.0
_NAT = np.iinfo(np.int64).min  # NaT's int64


def check_metrics_period(period: str) -> str:
    """The period itself; ConfigError naming the choices otherwise."""
    if period not in METRICS_PERIODS:
        raise ConfigError(f"metrics_period {period!r} must be one of {', '.join(METRICS_PERIODS)}")
    return period


def period_floor(index: pd.DatetimeIndex, period: str) -> np.ndarray:
    """Each row's calendar period start in int64 nanoseconds: `index.floor(period)`.

    UTC and naive times are floored as integers (what pandas does for them, without its
    per-call cost); other time zones go through pandas, which floors local wall time.
    """
    utc = index.tz is None or str(index.tz) == "UTC"
    if not utc or index.hasnans:
        return index.floor(check_metrics_period(period)).as_unit("ns").asi8
    values = index.asi8  # in the index's own unit: no conversion of every row
    floors = values - values % _ticks(check_metrics_period(period), index.unit)
    return floors if index.unit == "ns" else floors * _ticks("1" + index.unit, "ns")


@functools.cache
def _ticks(length: str, unit: str) -> int:
    """How many ticks of `unit` make `length` ('1h', '1us', ...)."""
    return pd.Timedelta(length) // pd.Timedelta(1, unit=unit)


def _bisected_breaks(index: pd.DatetimeIndex, period: str) -> np.ndarray | None:
    """The rows that start a new non-empty period, found by bisecting the period bounds
    into the rows: for sorted UTC or naive times spanning few periods (None otherwise)."""
    if not (index.tz is None or str(index.tz) == "UTC"):
        return None
    values = index.asi8
    # sorted, and so without NaT (the smallest int64) when the first row is not NaT
    if values[0] == _NAT or not (values[1:] >= values[:-1]).all():
        return None
    step = _ticks(check_metrics_period(period), index.unit)
    first = int(values[0]) - int(values[0]) % step
    bounds = (int(values[-1]) - first) // step  # period starts after the first row's
    if bounds > len(values) // 8:
        return None
    starts = np.searchsorted(values, first + step * np.arange(1, bounds + 1, dtype=np.int64))
    starts = starts[starts < len(values)]
    return starts[np.append(True, starts[1:] != starts[:-1])] if starts.size else starts


def _period_breaks(index: pd.DatetimeIndex, period: str) -> np.ndarray:
    """The rows (after the first) that start a new non-empty period."""
    breaks = _bisected_breaks(index, period)
    if breaks is not None:
        return breaks
    starts = period_floor(index, period)
    return np.flatnonzero(starts[1:] != starts[:-1]) + 1


def _own_periods(index: pd.Index, period: str) -> bool:
    """Whether every row is its own period: `row`, an index without times, or no rows."""
    return period == "row" or not isinstance(index, pd.DatetimeIndex) or len(index) == 0


def period_ids(index: pd.Index, period: str) -> np.ndarray:
    """Per row, the number of its non-empty period (0, 1, 2, ...; non-decreasing in time).

    `row` (or an index without times) makes every row its own period.
    """
    if _own_periods(index, period):
        return np.arange(len(index), dtype=np.int64)
    ids = np.zeros(len(index), dtype=np.int64)
    ids[_period_breaks(index, period)] = 1
    return np.cumsum(ids, out=ids)


def count_periods(index: pd.Index, period: str) -> int:
    """Non-empty periods among these rows."""
    if _own_periods(index, period):
        return len(index)
    return len(_period_breaks(index, period)) + 1


def periods_per_year(index: pd.Index, period: str = "row") -> float:
    """Non-empty periods over the span of the rows in years (1 when the span is empty)."""
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 2:
        return 1.0
    ticks = index.asi8  # the span in ns, without converting every row
    span_ns = int(ticks[-1] - ticks[0]) * _ticks("1" + index.unit, "ns")
    years = float(span_ns) / 1e9 / _YEAR_SECONDS
    if years <= 0:
        return 1.0
    return count_periods(index, period) / years


def choose_metrics_period(windows: Iterable[pd.Index], requested: str = "auto") -> str:
    """`requested`, or for `auto` the coarsest calendar period giving every window >= 30 periods.

    Empty windows are not scored and do not count; when no calendar period fits, `row`.
    """
    if check_metrics_period(requested) != "auto":
        return requested
    scored = [w for w in windows if len(w) > 0]
    if not scored or not all(isinstance(w, pd.DatetimeIndex) for w in scored):
        return "row"
    for period in CALENDAR_PERIODS:
        if all(count_periods(w, period) >= MIN_PERIODS for w in scored):
            return period
    return "row"


def period_returns(equity: pd.Series, period: str, init_cash: float) -> np.ndarray:
    """r_k = E_k / E_(k-1) - 1 over the last equity of each non-empty period, E_0 = init_cash.

    The returns the engine's Sharpe (mean / std, ddof 1) and Sortino (mean /
    sqrt(mean(min(r, 0)^2))) are computed from, each times sqrt(periods per year).
    """
    values = equity.to_numpy(dtype=np.float64)
    if values.size == 0:
        return np.empty(0)
    ids = period_ids(equity.index, period)
    last = np.append(ids[1:] != ids[:-1], True)
    ends = np.concatenate(([float(init_cash)], values[last]))
    return ends[1:] / ends[:-1] - 1.0

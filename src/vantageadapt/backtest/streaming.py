"""The kernel's metrics row from the sums it streams (no NaN, no inf)."""

from __future__ import annotations

import numpy as np
from numba import njit

from vantageadapt.backtest.layout import PROFIT_FACTOR_CAP


@njit(cache=True, nogil=True)
def finish_metrics_nb(
    out, n, n_periods, final_eq, init_cash, sums, mdd, exposed, trades_stats, ann
):  # fmt: skip
    """Turn the streaming sums into the METRIC_NAMES row (no NaN, no inf).

    n counts rows (exposure); sums are over n_periods period returns, ann periods a year.
    """
    out[:] = 0.0
    if n <= 0:
        return
    sum_r, sum_r2, sum_d2 = sums[0], sums[1], sums[2]
    n_closed, wins, gross_win, gross_loss, sum_ret = (
        trades_stats[0],
        trades_stats[1],
        trades_stats[2],
        trades_stats[3],
        trades_stats[4],
    )
    k = max(n_periods, 1)
    mean = sum_r / k
    scale = np.sqrt(ann)
    if k > 1:
        var = (sum_r2 - k * mean * mean) / (k - 1)
        std = np.sqrt(var) if var > 0.0 else 0.0
        if std > 1e-15:
            out[1] = mean / std * scale
    downside = np.sqrt(sum_d2 / k)
    if downside > 1e-15 and k > 1:  # one period gives no ratio (empyrical: NaN)
        out[2] = mean / downside * scale
    out[0] = final_eq / init_cash - 1.0
    out[3] = mdd
    out[5] = n_closed
    if n_closed > 0:
        out[4] = wins / n_closed
        out[7] = sum_ret / n_closed
        if gross_loss > 0.0:
            out[6] = min(gross_win / gross_loss, PROFIT_FACTOR_CAP)
        elif wins > 0:
            out[6] = PROFIT_FACTOR_CAP
    out[8] = exposed / n
    for i in range(out.shape[0]):
        if not np.isfinite(out[i]):
            out[i] = 0.0


@njit(cache=True, nogil=True)
def period_starts_nb(period):
    """starts[k]: the first row whose period is >= k, for k up to the last period + 1."""
    n = period.shape[0]
    last = period[n - 1] if n > 0 else -1
    return np.searchsorted(period, np.arange(last + 2), side="left")


@njit(cache=True, nogil=True, inline="always")
def add_period_nb(sums, eq, period_eq):
    """Add the period return ending at equity eq (begun at period_eq) to sums (r, r^2, d^2)."""
    r = eq / period_eq - 1.0 if period_eq > 0.0 else 0.0
    sums[0] += r
    sums[1] += r * r
    d = min(r, 0.0)
    sums[2] += d * d


@njit(cache=True, nogil=True, inline="always")
def next_period_nb(sums, row_period, cur_period, prev_eq, period_eq):
    """(period, its starting equity) for a row in period row_period after the row whose
    equity was prev_eq: a later period closes the current one (its return into sums)."""
    if row_period != cur_period:
        # periods skipped whole returned 0 and add nothing to the sums
        add_period_nb(sums, prev_eq, period_eq)
        return row_period, prev_eq
    return cur_period, period_eq


@njit(cache=True, nogil=True, inline="always")
def drawdown_nb(peak, mdd, eq):
    """The equity peak and the deepest drawdown from it after a row with equity eq."""
    peak = max(peak, eq)
    if peak - eq > mdd * peak:
        mdd = (peak - eq) / peak
    return peak, mdd


@njit(cache=True, nogil=True)
def finish_window_nb(out, period, window, final_eq, period_eq, sums, mdd, exposed, stats, engine):
    """The metrics row of a window once its last row is streamed (its last period closed)."""
    start, stop = window
    n_periods = 0
    if stop > start:
        add_period_nb(sums, final_eq, period_eq)
        n_periods = period[stop - 1] - period[start] + 1
    finish_metrics_nb(
        out, stop - start, n_periods, final_eq, engine.init_cash, sums, mdd, exposed, stats,
        engine.ann,
    )  # fmt: skip

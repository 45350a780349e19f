"""The grid kernel's common case: one lot at a time, no position-term programs, price fills.

`single_lot_nb` gives the metrics row `simulate_nb` gives for such a set, to the bit: the same
floating-point operations in the same order, with the lot in scalars instead of the lot matrix
and the drawdown bookkeeping of held rows done only where the equity can move the peak or
deepen the drawdown (an equity above the peak, or below a floor under which it is too shallow
to count; both tests are exact, so the rows they skip would have changed nothing).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from vantageadapt.backtest.lots import (
    book_sale_nb,
    cap_order_nb,
    order_notional_nb,
    pay_order_nb,
    sale_nb,
    stop_levels_nb,
)
from vantageadapt.backtest.streaming import drawdown_nb, finish_window_nb, next_period_nb

GAP_CAP = 255  # the largest gap a uint8 holds: a jump that long lands on another gap


@njit(cache=True, nogil=True, inline="always")
def single_lot_fits(params, engine, signals):
    """Whether `single_lot_nb` runs this set: at most one lot, no programs, no AMM fills."""
    programs = signals[3].shape[0] + signals[5].shape[0]
    return max(int(params.max_orders), 1) == 1 and programs == 0 and not engine.amm


@njit(cache=True, nogil=True)
def signal_gaps_nb(flags, gaps):
    """gaps[t]: the rows from t to the next flagged row (capped at GAP_CAP); gaps[n] = 0."""
    n = flags.shape[0]
    gaps[n] = 0
    gap = 0
    for t in range(n - 1, -1, -1):
        gap = 0 if flags[t] else min(gap + 1, GAP_CAP)
        gaps[t] = gap


@njit(cache=True, nogil=True, inline="always")
def _next_flag_nb(gaps, t):
    """The first flagged row from t on (the flags' length when none)."""
    while True:
        gap = gaps[t]
        t += gap
        if gap < GAP_CAP:
            return t


@njit(cache=True, nogil=True, inline="always")
def _floor_nb(peak, mdd):
    """An equity at and above which `peak - eq > mdd * peak` is false.

    The test can only turn false as eq grows (rounding is monotone), so one equity where it is
    false bounds them all; the fallbacks make every row take the exact bookkeeping."""
    floor = peak - mdd * peak
    if peak - floor > mdd * peak:
        floor = np.inf if mdd * peak < 0.0 else peak
    return floor


@njit(cache=True, nogil=True, inline="always")
def _track_nb(eq, peak, mdd, floor):
    """`drawdown_nb` for a row with equity eq, skipped where it would change nothing.

    A new low's own equity is the next floor when the test is false there already (the usual
    case): the next row's test then waits on no arithmetic. Else `_floor_nb` gives it."""
    if eq > peak or eq < floor:
        low = eq < floor
        peak, mdd = drawdown_nb(peak, mdd, eq)
        floor = eq if low and not peak - eq > mdd * peak else _floor_nb(peak, mdd)
    return peak, mdd, floor


@njit(cache=True, nogil=True)
def single_lot_nb(market, starts, signals, gaps, engine, params, window, out):
    """`simulate_nb` without trade records or equity curve, for a set `single_lot_fits`.

    gaps = (entry gaps, exit gaps): `signal_gaps_nb` of the set's entry and exit arrays."""
    price, high, low, _, _, period = market
    entry, size_vol = signals[0], signals[7]
    entry_gaps, exit_gaps = gaps
    start, stop = window
    tp, sl = params.take_profit, params.stop_loss
    fees, size_type = engine.fees, engine.size_type
    lows, highs = (low, high) if engine.stop_level else (price, price)
    holding = False
    units = 0.0  # the open lot's units (0 when flat), its cost and its stop levels
    cost = 0.0
    lot_tp = np.inf
    lot_sl = -np.inf
    cash = engine.init_cash
    prev_eq = cash
    peak = cash
    mdd = 0.0
    floor = _floor_nb(peak, mdd)
    sums = np.zeros(3)
    stats = np.zeros(5)
    exposed = 0
    cur_period = period[start] if stop > start else 0
    period_eq = cash
    one = np.uint64(1)
    t = start
    while t < stop:
        if holding:
            # held rows up to the first that touches a stop or has the exit signal (the
            # only lot is open: no entry can be taken), period by period
            hold_from = t
            exit_row = _next_flag_nb(exit_gaps, t)
            while True:
                cur_period, period_eq = next_period_nb(
                    sums, period[t], cur_period, prev_eq, period_eq
                )
                end = min(stop, starts[cur_period + 1])
                u = np.uint64(t)
                u_end = np.uint64(min(end, exit_row))
                while u < u_end:
                    if lows[u] <= lot_sl or highs[u] >= lot_tp:
                        break
                    peak, mdd, floor = _track_nb(cash + units * price[u], peak, mdd, floor)
                    u += one
                if u > np.uint64(t):
                    prev_eq = cash + units * price[u - one]
                t = np.int64(u)
                if t < end or t == stop:
                    break
            exposed += t - hold_from
            if t == stop:
                break
            # the lot closes on row t: stop-loss, take-profit, or the exit signal
            level = price[t]
            if engine.stop_level:
                if low[t] <= lot_sl:
                    level = lot_sl
                elif high[t] >= lot_tp:
                    level = lot_tp
            gross, _, _ = sale_nb(units, level, 0.0, 0.0, engine)
            cash += book_sale_nb(gross, fees, cost, stats)[0]
            holding = False
            units = 0.0
            lot_tp = np.inf
            lot_sl = -np.inf
        else:
            t = min(_next_flag_nb(entry_gaps, t), stop)
            if t == stop:
                break
        # row t in full, flat so far: an entry, the equity, the period end
        p = price[t]
        if entry[t]:
            fill = p * (1.0 + engine.slippage)
            notional = order_notional_nb(size_type, params, size_vol, t, fill, cash + units * p)
            notional, spend_all = cap_order_nb(notional, cash, fees)
            if notional > 1e-12:
                units = notional / fill
                fee, cash = pay_order_nb(notional, spend_all, cash, fees)
                cost = notional + fee
                lot_tp, lot_sl = stop_levels_nb(fill, tp, sl)
                holding = True
        eq = cash + units * p
        exposed += holding
        cur_period, period_eq = next_period_nb(sums, period[t], cur_period, prev_eq, period_eq)
        peak, mdd, floor = _track_nb(eq, peak, mdd, floor)
        prev_eq = eq
        t += 1
    finish_window_nb(out, period, window, prev_eq, period_eq, sums, mdd, exposed, stats, engine)

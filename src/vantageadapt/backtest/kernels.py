"""The numba engine: one asset, several lots, stops, exits, fees, AMM fills, streaming metrics.

`simulate_nb` runs one parameter set on one row window; `grid_nb` runs many (set, window)
pairs in parallel for their metrics, `curves_nb` many sets for their equity curves.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from vantageadapt.backtest import layout as lay
from vantageadapt.backtest.conditions import run_program_nb
from vantageadapt.backtest.lots import (
    cap_order_nb,
    close_lot_nb,
    order_notional_nb,
    pay_order_nb,
    position_terms_nb,
    record_nb,
    sale_nb,
    stop_levels_nb,
)
from vantageadapt.backtest.single_lot import signal_gaps_nb, single_lot_fits, single_lot_nb
from vantageadapt.backtest.streaming import (
    drawdown_nb,
    finish_window_nb,
    next_period_nb,
    period_starts_nb,
)

# numba's cache checks only this file's stamp, but these kernels hold the helpers above
# compiled in: `jit_cache.drop_stale` (run as the package loads) removes them when any source
# they read changed.


@njit(cache=True, nogil=True)
def simulate_nb(market, starts, signals, engine, params, window, trades, equity_out, out):
    """Simulate one parameter set on rows window = (start, stop); metrics into `out`.

    market = (price, high, low, x_pool, y_pool, period: each row's non-empty metrics period
    numbered 0, 1, ...); starts = `period_starts_nb(period)`; signals = (entry, exit,
    leaves, entry ops, entry args, exit ops, exit args, volatility for sizing): entry is the
    AND of the static entry conditions (all true for none), exit the OR of the static exit
    ones (all false for none);
    engine: an ENGINE_DTYPE record;
    params: a SET_DTYPE record. Trade records are written when `trades` is not empty (it
    must hold every lot then), the equity curve when `equity_out` is not. Returns the number
    of trade records (closed lots, then open).
    """
    price, high, low, x_pool, y_pool, period = market
    entry, exit_, leaves, e_ops, e_args, x_ops, x_args, size_vol = signals
    start, stop = window
    tp, sl = params.take_profit, params.stop_loss
    fees, slippage, size_type = engine.fees, engine.slippage, engine.size_type
    stop_level, amm, pool_fee = engine.stop_level, engine.amm, engine.pool_fee
    record = equity_out.shape[0] > 0
    keep = trades.shape[0] > 0
    m = max(int(params.max_orders), 1)
    lots = np.zeros((m, lay.LOT_COLUMNS))
    stack = np.empty(max(e_ops.shape[0], x_ops.shape[0], 1))
    has_e_prog = e_ops.shape[0] > 0
    has_x_prog = x_ops.shape[0] > 0
    track_peak = has_e_prog or has_x_prog
    n_open = 0
    units_open = 0.0
    low_tp = np.inf  # nearest take-profit level of the open lots
    top_sl = -np.inf  # nearest stop-loss level
    cash = engine.init_cash
    prev_eq = cash
    peak_eq = cash
    mdd = 0.0
    sums = np.zeros(3)  # sums of period returns, their squares, squared downsides
    exposed = 0
    stats = np.zeros(5)  # closed lots, wins, gross win, gross loss, sum of returns
    n_rec = 0 if keep else -1  # -1: no records
    # Sharpe/Sortino on calendar periods (docs/internals.md): a period's return is its last
    # equity over the previous one's (E_0 = init_cash).
    cur_period = period[start] if stop > start else 0
    period_eq = engine.init_cash
    # Rows where nothing but the price moves run in two tight loops, every other row in
    # full: flat, a scan for the next entry; holding (unless an exit program must run each
    # row), the nearest levels, the exit, an entry if a lot may open, the equity, and the
    # period ends (found from `starts`). Unsigned row numbers: no negative-index checks.
    hold = not has_x_prog
    lows, highs = (low, high) if stop_level else (price, price)
    u_stop = np.uint64(stop)
    one = np.uint64(1)
    t = start - 1
    while t < stop - 1:
        t += 1
        if n_open == 0:
            flat_from = t
            u = np.uint64(t)
            while u < u_stop and not entry[u]:
                u += one
            t = np.int64(u)
            if record:
                equity_out[flat_from - start : t - start] = prev_eq
            if t == stop:
                break
        elif hold:
            hold_from = t
            can_open = n_open < m
            while True:
                # a period ends before row t (its events)
                cur_period, period_eq = next_period_nb(
                    sums, period[t], cur_period, prev_eq, period_eq
                )
                end = min(stop, starts[cur_period + 1])
                u = np.uint64(t)
                u_end = np.uint64(end)
                while u < u_end:
                    touched = lows[u] <= top_sl or highs[u] >= low_tp
                    if touched or exit_[u] or (can_open and entry[u]):
                        break
                    eq = cash + units_open * price[u]
                    peak_eq, mdd = drawdown_nb(peak_eq, mdd, eq)
                    prev_eq = eq
                    if record:
                        equity_out[np.int64(u) - start] = eq
                    u += one
                t = np.int64(u)
                if t < end or t == stop:
                    break
            exposed += t - hold_from
            if track_peak and t > hold_from:
                top = price[hold_from:t].max()
                for i in range(n_open):
                    lots[i, lay.LOT_PEAK] = max(lots[i, lay.LOT_PEAK], top)
            if t == stop:
                break
        p = price[t]
        changed = False
        x = x_pool[t] if amm else 0.0
        y = y_pool[t] if amm else 0.0
        if n_open > 0:
            if track_peak:
                for i in range(n_open):
                    lots[i, lay.LOT_PEAK] = max(lots[i, lay.LOT_PEAK], p)
            # step 1: per-lot take-profit / stop-loss (the nearest levels rule out most rows)
            if stop_level:
                touched = low[t] <= top_sl or high[t] >= low_tp
            else:
                touched = (p <= top_sl) | (p >= low_tp)
            i = 0
            while touched and i < n_open:
                reason = 0
                level = p
                if stop_level:
                    if low[t] <= lots[i, lay.LOT_SL]:
                        reason = lay.STOP_LOSS
                        level = lots[i, lay.LOT_SL]
                    elif high[t] >= lots[i, lay.LOT_TP]:
                        reason = lay.TAKE_PROFIT
                        level = lots[i, lay.LOT_TP]
                elif p >= lots[i, lay.LOT_TP]:
                    reason = lay.TAKE_PROFIT
                elif p <= lots[i, lay.LOT_SL]:
                    reason = lay.STOP_LOSS
                if reason == 0:
                    i += 1
                    continue
                gross, x, y = sale_nb(lots[i, lay.LOT_UNITS], level, x, y, engine)
                cash += close_lot_nb(lots, i, n_open, gross, reason, t, fees, stats, trades, n_rec)
                n_rec += keep
                n_open -= 1
                changed = True
            # step 2: any exit condition closes every open lot
            if n_open > 0:
                signal = exit_[t]
                if not signal and has_x_prog:
                    dd, held, pnl = position_terms_nb(lots, n_open, p, t)
                    signal = run_program_nb(x_ops, x_args, leaves, t, dd, held, pnl, stack)
                while signal and n_open > 0:
                    gross, x, y = sale_nb(lots[0, lay.LOT_UNITS], p, x, y, engine)
                    cash += close_lot_nb(
                        lots, 0, n_open, gross, lay.SIGNAL, t, fees, stats, trades, n_rec
                    )
                    n_rec += keep
                    n_open -= 1
                    changed = True
            if changed:
                units_open = 0.0
                low_tp = np.inf
                top_sl = -np.inf
                for i in range(n_open):
                    units_open += lots[i, lay.LOT_UNITS]
                    low_tp = min(low_tp, lots[i, lay.LOT_TP])
                    top_sl = max(top_sl, lots[i, lay.LOT_SL])
        # step 3: at most one new lot per row
        if n_open < m and entry[t]:
            go = True
            if has_e_prog:
                dd, held, pnl = position_terms_nb(lots, n_open, p, t)
                go = run_program_nb(e_ops, e_args, leaves, t, dd, held, pnl, stack)
            if go:
                fill = p * (1.0 + slippage)
                if amm and size_type == lay.SIZE_AMOUNT:
                    want = params.order_size * (1.0 + slippage)
                    notional = (x * y / (y - want) - x) / (1.0 - pool_fee) if want < y else cash
                else:
                    equity = cash + units_open * p
                    notional = order_notional_nb(size_type, params, size_vol, t, fill, equity)
                notional, spend_all = cap_order_nb(notional, cash, fees)
                if notional > 1e-12:
                    if amm:
                        units = (y - x * y / (x + notional * (1.0 - pool_fee))) / (1.0 + slippage)
                        fill = notional / units
                    else:
                        units = notional / fill
                    fee, cash = pay_order_nb(notional, spend_all, cash, fees)
                    lots[n_open, lay.LOT_UNITS] = units
                    lots[n_open, lay.LOT_COST] = notional + fee
                    lots[n_open, lay.LOT_NOTIONAL] = notional
                    lots[n_open, lay.LOT_FEE] = fee
                    lots[n_open, lay.LOT_FILL] = fill
                    lots[n_open, lay.LOT_ROW] = t
                    lots[n_open, lay.LOT_PEAK] = p
                    lots[n_open, lay.LOT_TP], lots[n_open, lay.LOT_SL] = stop_levels_nb(
                        fill, tp, sl
                    )
                    n_open += 1
                    units_open += units
                    low_tp = min(low_tp, lots[n_open - 1, lay.LOT_TP])
                    top_sl = max(top_sl, lots[n_open - 1, lay.LOT_SL])
        eq = cash + units_open * p
        exposed += n_open > 0
        # the previous period ended at the last row before t (skipped rows were flat)
        cur_period, period_eq = next_period_nb(sums, period[t], cur_period, prev_eq, period_eq)
        peak_eq, mdd = drawdown_nb(peak_eq, mdd, eq)
        prev_eq = eq
        if record:
            equity_out[t - start] = eq
    if keep and stop > start:
        last = price[stop - 1]
        for i in range(n_open):
            pnl = lots[i, lay.LOT_UNITS] * last - lots[i, lay.LOT_COST]
            record_nb(trades[n_rec], lots, i, stop - 1, last, lots[i, lay.LOT_FEE], pnl, lay.OPEN)
            n_rec += 1
    finish_window_nb(out, period, window, prev_eq, period_eq, sums, mdd, exposed, stats, engine)
    return max(n_rec, 0)


@njit(cache=True, nogil=True, parallel=True)
def grid_nb(market, signals, programs, engines, sets, windows):
    """Metrics (n_windows, n_sets, lay.N_METRICS): every set on every window, in parallel.

    signals = (entries, exits, signal of each set): set s reads entries[signal[s]] (the AND
    of its static entry conditions) and exits[signal[s]] (the OR of its static exit ones).
    programs = (leaves, entry ops, entry args, entry lengths, exit ops, exit args, exit
    lengths, sizing volatilities), one row per program group; set s reads sets[s].group.
    Window w = (start, stop) is run with engines[w].
    """
    n_sets = sets.shape[0]
    n_windows = windows.shape[0]
    out = np.zeros((n_windows, n_sets, lay.N_METRICS))
    no_trades = np.empty(0, dtype=lay.TRADE_DTYPE)
    no_equity = np.empty(0)
    starts = period_starts_nb(market[5])
    entries, exits, signal_of = signals
    single = np.empty(n_sets * n_windows, dtype=np.bool_)  # jobs `single_lot_nb` runs
    fast = np.zeros(entries.shape[0], dtype=np.bool_)  # signals a single-lot job reads
    for job in range(n_sets * n_windows):
        s = job // n_windows
        signal = _signals_nb(signals, programs, sets, s)
        single[job] = single_lot_fits(sets[s], engines[job % n_windows], signal)
        fast[signal_of[s]] |= single[job]
    gaps = np.empty((2, entries.shape[0], entries.shape[1] + 1), dtype=np.uint8)
    for g in prange(entries.shape[0]):
        if fast[g]:
            signal_gaps_nb(entries[g], gaps[0, g])
            signal_gaps_nb(exits[g], gaps[1, g])
    for job in prange(n_sets * n_windows):
        s = job // n_windows
        w = job % n_windows
        window = (windows[w, 0], windows[w, 1])
        signal = _signals_nb(signals, programs, sets, s)
        if single[job]:
            g = signal_of[s]
            single_lot_nb(
                market, starts, signal, (gaps[0, g], gaps[1, g]), engines[w], sets[s], window,
                out[w, s],
            )  # fmt: skip
        else:
            simulate_nb(
                market, starts, signal, engines[w], sets[s], window, no_trades, no_equity,
                out[w, s],
            )  # fmt: skip
    return out


@njit(cache=True, nogil=True, parallel=True)
def curves_nb(market, signals, programs, engines, sets, start, stop):
    """Equity curves (n_sets, stop - start): every set on rows [start, stop), in parallel.

    Arguments as for `grid_nb`, with one window and engines[0] its engine record.
    """
    n_sets = sets.shape[0]
    curves = np.zeros((n_sets, stop - start))
    no_trades = np.empty(0, dtype=lay.TRADE_DTYPE)
    starts = period_starts_nb(market[5])
    for s in prange(n_sets):
        out = np.zeros(lay.N_METRICS)
        simulate_nb(
            market, starts, _signals_nb(signals, programs, sets, s), engines[0], sets[s],
            (start, stop),
            no_trades, curves[s], out,
        )  # fmt: skip
    return curves


@njit(cache=True, nogil=True)
def _signals_nb(signals, programs, sets, s):
    """Set s's signals tuple for `simulate_nb`."""
    entries, exits, signal = signals
    leaves, e_ops, e_args, e_len, x_ops, x_args, x_len, size_vols = programs
    k = sets[s].group
    g = signal[s]
    return (
        entries[g], exits[g], leaves[k], e_ops[k, : e_len[k]], e_args[k, : e_len[k]],
        x_ops[k, : x_len[k]], x_args[k, : x_len[k]], size_vols[k],
    )  # fmt: skip

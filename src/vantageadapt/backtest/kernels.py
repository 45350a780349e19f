"""The numba engine: one asset, several lots, stops, exits, fees, AMM fills, streaming metrics."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

# The seed's TradeMemory: one record per lot, written inside the kernel.
TRADE_DTYPE = np.dtype(
    [
        ("entry_row", np.int64),
        ("exit_row", np.int64),
        ("entry_price", np.float64),
        ("exit_price", np.float64),
        ("units", np.float64),
        ("notional", np.float64),
        ("fees", np.float64),
        ("pnl", np.float64),
        ("return", np.float64),
        ("reason", np.int64),
    ]
)
REASONS = ("", "take_profit", "stop_loss", "signal", "open")
SIZE_TYPES = {"fraction": 0, "amount": 1, "volatility": 2}
N_METRICS = 9
PROFIT_FACTOR_CAP = 100.0


@njit(cache=True, nogil=True)
def run_program_nb(ops, args, leaves, t, drawdown, bars_held, pnl, stack):
    """Run a postfix condition program at row t; comparisons with NaN are false."""
    top = 0
    for i in range(ops.shape[0]):
        op = ops[i]
        if op == 0:
            stack[top] = leaves[int(args[i]), t]
            top += 1
        elif op == 1:
            stack[top] = args[i]
            top += 1
        elif op == 2:
            which = int(args[i])
            stack[top] = drawdown if which == 0 else (bars_held if which == 1 else pnl)
            top += 1
        elif op == 7:
            stack[top - 1] = -stack[top - 1]
        elif op == 14:
            stack[top - 1] = 0.0 if stack[top - 1] != 0.0 else 1.0
        else:
            b = stack[top - 1]
            a = stack[top - 2]
            top -= 1
            if op == 3:
                r = a + b
            elif op == 4:
                r = a - b
            elif op == 5:
                r = a * b
            elif op == 6:
                r = a / b if b != 0.0 else (np.nan if a == 0.0 else np.inf * np.sign(a))
            elif op == 8:
                r = 1.0 if a > b else 0.0
            elif op == 9:
                r = 1.0 if a < b else 0.0
            elif op == 10:
                r = 1.0 if a >= b else 0.0
            elif op == 11:
                r = 1.0 if a <= b else 0.0
            elif op == 12:
                r = 1.0 if (a != 0.0 and b != 0.0) else 0.0
            else:
                r = 1.0 if (a != 0.0 or b != 0.0) else 0.0
            stack[top - 1] = r
    return stack[0] != 0.0


@njit(cache=True, nogil=True)
def finish_metrics_nb(out, n, final_eq, init_cash, sums, mdd, exposed, trades_stats, ann):
    """Turn the streaming sums into the METRIC_NAMES row (no NaN, no inf)."""
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
    mean = sum_r / n
    scale = np.sqrt(ann)
    if n > 1:
        var = (sum_r2 - n * mean * mean) / (n - 1)
        std = np.sqrt(var) if var > 0.0 else 0.0
        if std > 1e-15:
            out[1] = mean / std * scale
    downside = np.sqrt(sum_d2 / n)
    if downside > 1e-15:
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


# Columns of the open-lot matrix (one row per open lot, oldest first).
_UNITS, _COST, _NOTIONAL, _FEE, _FILL, _ROW, _PEAK, _TP, _SL = range(9)


@njit(cache=True, nogil=True)
def _close_lot_nb(lots, i, n_open, gross, fill, reason, t, fees, stats, record, trades, n_rec):
    """Book the sale of lot i (gross quote before fees), remove it; returns the cash it adds."""
    exit_fee = gross * fees
    proceeds = gross - exit_fee
    cost = lots[i, _COST]
    pnl = proceeds - cost
    stats[0] += 1.0
    if pnl > 0.0:
        stats[1] += 1.0
        stats[2] += pnl
    else:
        stats[3] -= pnl
    stats[4] += pnl / cost
    if record:
        rec = trades[n_rec]
        rec["entry_row"] = int(lots[i, _ROW])
        rec["exit_row"] = t
        rec["entry_price"] = lots[i, _FILL]
        rec["exit_price"] = fill
        rec["units"] = lots[i, _UNITS]
        rec["notional"] = lots[i, _NOTIONAL]
        rec["fees"] = lots[i, _FEE] + exit_fee
        rec["pnl"] = pnl
        rec["return"] = pnl / cost
        rec["reason"] = reason
    for j in range(i, n_open - 1):
        lots[j, :] = lots[j + 1, :]
    return proceeds


@njit(cache=True, nogil=True)
def _position_terms_nb(lots, n_open, p, t):
    """drawdown from the oldest lot's peak, bars held by it, and the open lots' return."""
    if n_open == 0:
        return 0.0, 0.0, 0.0
    peak = lots[0, _PEAK]
    value = 0.0
    cost = 0.0
    for i in range(n_open):
        value += lots[i, _UNITS] * p
        cost += lots[i, _COST]
    return (peak - p) / peak, t - lots[0, _ROW], (value - cost) / cost


@njit(cache=True, nogil=True)
def simulate_nb(
    price, high, low, x_pool, y_pool, entry, exit_, leaves, e_ops, e_args, x_ops, x_args,
    size_vol, start, stop, tp, sl, order_size, max_orders, target_vol,
    init_cash, fees, slippage, size_type, stop_level, amm, pool_fee, ann,
    trades, equity_out, out,
):  # fmt: skip
    """Simulate one parameter set on rows [start, stop); metrics into `out`, records if asked.

    Returns the number of trade records written (closed lots, then open ones).
    """
    record = equity_out.shape[0] > 0
    m = max(int(max_orders), 1)
    lots = np.zeros((m, 9))
    stack = np.empty(max(e_ops.shape[0], x_ops.shape[0], 1))
    has_e_prog = e_ops.shape[0] > 0
    has_x_prog = x_ops.shape[0] > 0
    track_peak = has_e_prog or has_x_prog
    n_open = 0
    units_open = 0.0
    low_tp = np.inf  # nearest take-profit level of the open lots
    top_sl = -np.inf  # nearest stop-loss level
    cash = init_cash
    prev_eq = init_cash
    peak_eq = init_cash
    mdd = 0.0
    sum_r = 0.0
    sum_r2 = 0.0
    sum_d2 = 0.0
    exposed = 0
    stats = np.zeros(5)  # closed lots, wins, gross win, gross loss, sum of returns
    n_rec = 0
    t = start - 1
    while t < stop - 1:
        t += 1
        if n_open == 0:
            # flat: nothing changes until the next entry signal (a tight scan)
            flat_from = t
            while t < stop and not entry[t]:
                t += 1
            if record:
                equity_out[flat_from - start : t - start] = prev_eq
            if t == stop:
                break
        p = price[t]
        changed = False
        x = x_pool[t] if amm else 0.0
        y = y_pool[t] if amm else 0.0
        if n_open > 0:
            if track_peak:
                for i in range(n_open):
                    lots[i, _PEAK] = max(lots[i, _PEAK], p)
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
                    if low[t] <= lots[i, _SL]:
                        reason = 2
                        level = lots[i, _SL]
                    elif high[t] >= lots[i, _TP]:
                        reason = 1
                        level = lots[i, _TP]
                elif p >= lots[i, _TP]:
                    reason = 1
                elif p <= lots[i, _SL]:
                    reason = 2
                if reason == 0:
                    i += 1
                    continue
                u = lots[i, _UNITS]
                if amm:
                    gross = x - x * y / (y + u * (1.0 - pool_fee))
                    x -= gross
                    y += u
                else:
                    gross = u * level * (1.0 - slippage)
                cash += _close_lot_nb(
                    lots, i, n_open, gross, gross / u, reason, t, fees, stats, record, trades, n_rec
                )
                n_rec += record
                n_open -= 1
                changed = True
            # step 2: any exit condition closes every open lot
            if n_open > 0:
                signal = exit_[t]
                if not signal and has_x_prog:
                    dd, held, pnl = _position_terms_nb(lots, n_open, p, t)
                    signal = run_program_nb(x_ops, x_args, leaves, t, dd, held, pnl, stack)
                while signal and n_open > 0:
                    u = lots[0, _UNITS]
                    if amm:
                        gross = x - x * y / (y + u * (1.0 - pool_fee))
                        x -= gross
                        y += u
                    else:
                        gross = u * p * (1.0 - slippage)
                    cash += _close_lot_nb(
                        lots, 0, n_open, gross, gross / u, 3, t, fees, stats, record, trades, n_rec
                    )
                    n_rec += record
                    n_open -= 1
                    changed = True
            if changed:
                units_open = 0.0
                low_tp = np.inf
                top_sl = -np.inf
                for i in range(n_open):
                    units_open += lots[i, _UNITS]
                    low_tp = min(low_tp, lots[i, _TP])
                    top_sl = max(top_sl, lots[i, _SL])
        # step 3: at most one new lot per row
        if n_open < m and entry[t]:
            go = True
            if has_e_prog:
                dd, held, pnl = _position_terms_nb(lots, n_open, p, t)
                go = run_program_nb(e_ops, e_args, leaves, t, dd, held, pnl, stack)
            if go:
                fill = p * (1.0 + slippage)
                if size_type == 1:
                    if amm:
                        want = order_size
                        notional = (x * y / (y - want) - x) / (1.0 - pool_fee) if want < y else cash
                    else:
                        notional = order_size * fill
                else:
                    frac = order_size
                    if size_type == 2:
                        vol = size_vol[t]
                        if vol > target_vol and target_vol > 0.0:
                            frac = order_size * target_vol / vol
                    notional = frac * (cash + units_open * p)
                spend_all = notional * (1.0 + fees) > cash
                if spend_all:
                    notional = cash / (1.0 + fees)
                if notional > 1e-12:
                    if amm:
                        units = y - x * y / (x + notional * (1.0 - pool_fee))
                        fill = notional / units
                    else:
                        units = notional / fill
                    fee = notional * fees
                    # a lot capped by cash spends all of it: no rounding dust for a next lot
                    cash = 0.0 if spend_all else max(cash - (notional + fee), 0.0)
                    lots[n_open, _UNITS] = units
                    lots[n_open, _COST] = notional + fee
                    lots[n_open, _NOTIONAL] = notional
                    lots[n_open, _FEE] = fee
                    lots[n_open, _FILL] = fill
                    lots[n_open, _ROW] = t
                    lots[n_open, _PEAK] = p
                    lots[n_open, _TP] = fill * (1.0 + tp) if tp > 0.0 else np.inf
                    lots[n_open, _SL] = fill * (1.0 - sl) if sl > 0.0 else -np.inf
                    n_open += 1
                    units_open += units
                    low_tp = min(low_tp, lots[n_open - 1, _TP])
                    top_sl = max(top_sl, lots[n_open - 1, _SL])
        eq = cash + units_open * p
        exposed += n_open > 0
        # branch-free streaming metrics: signs of returns are unpredictable
        r = eq / prev_eq - 1.0 if prev_eq > 0.0 else 0.0
        sum_r += r
        sum_r2 += r * r
        d = min(r, 0.0)
        sum_d2 += d * d
        peak_eq = max(peak_eq, eq)
        if peak_eq - eq > mdd * peak_eq:
            mdd = (peak_eq - eq) / peak_eq
        prev_eq = eq
        if record:
            equity_out[t - start] = eq
    if record and stop > start:
        last = price[stop - 1]
        for i in range(n_open):
            rec = trades[n_rec]
            value = lots[i, _UNITS] * last
            rec["entry_row"] = int(lots[i, _ROW])
            rec["exit_row"] = stop - 1
            rec["entry_price"] = lots[i, _FILL]
            rec["exit_price"] = last
            rec["units"] = lots[i, _UNITS]
            rec["notional"] = lots[i, _NOTIONAL]
            rec["fees"] = lots[i, _FEE]
            rec["pnl"] = value - lots[i, _COST]
            rec["return"] = (value - lots[i, _COST]) / lots[i, _COST]
            rec["reason"] = 4
            n_rec += 1
    sums = np.array([sum_r, sum_r2, sum_d2])
    finish_metrics_nb(out, stop - start, prev_eq, init_cash, sums, mdd, exposed, stats, ann)
    return n_rec


@njit(cache=True, nogil=True, parallel=True)
def grid_nb(
    price, high, low, x_pool, y_pool, entries, exits, leaves, e_ops, e_args, e_len,
    x_ops, x_args, x_len, size_vols, set_key, tp, sl, order_size, max_orders, target_vol,
    start, stop, init_cash, fees, slippage, size_type, stop_level, amm, pool_fee, ann, no_trades,
):  # fmt: skip
    """Metrics for many parameter sets in parallel; set s reads the signals of group set_key[s]."""
    n_sets = set_key.shape[0]
    out = np.zeros((n_sets, N_METRICS))
    for s in prange(n_sets):
        k = set_key[s]
        simulate_nb(
            price, high, low, x_pool, y_pool, entries[k], exits[k], leaves[k],
            e_ops[k, : e_len[k]], e_args[k, : e_len[k]], x_ops[k, : x_len[k]],
            x_args[k, : x_len[k]], size_vols[k], start, stop, tp[s], sl[s], order_size[s],
            max_orders[s], target_vol[s], init_cash, fees, slippage, size_type, stop_level,
            amm, pool_fee, ann, no_trades, np.empty(0), out[s],
        )  # fmt: skip
    return out

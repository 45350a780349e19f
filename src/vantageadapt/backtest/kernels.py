"""The numba engine: one asset, several lots, stops, exits, fees, AMM fills, streaming metrics."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from vantageadapt.rules.opcodes import (
    OP_ADD,
    OP_AND,
    OP_CONST,
    OP_DIV,
    OP_GE,
    OP_GT,
    OP_LE,
    OP_LEAF,
    OP_LT,
    OP_MUL,
    OP_NEG,
    OP_NOT,
    OP_POS,
    OP_SUB,
)

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
TAKE_PROFIT, STOP_LOSS, SIGNAL, OPEN = 1, 2, 3, 4
SIZE_TYPES = {"fraction": 0, "amount": 1, "volatility": 2}
SIZE_AMOUNT, SIZE_VOLATILITY = SIZE_TYPES["amount"], SIZE_TYPES["volatility"]
# One parameter set (and the signal group it reads), and the engine settings shared by all.
SET_DTYPE = np.dtype(
    [
        ("take_profit", np.float64),
        ("stop_loss", np.float64),
        ("order_size", np.float64),
        ("max_orders", np.int64),
        ("target_vol", np.float64),
        ("group", np.int64),
    ]
)
ENGINE_DTYPE = np.dtype(
    [
        ("init_cash", np.float64),
        ("fees", np.float64),
        ("slippage", np.float64),
        ("size_type", np.int64),
        ("stop_level", np.bool_),
        ("amm", np.bool_),
        ("pool_fee", np.float64),
        ("ann", np.float64),
    ]
)
N_METRICS = 9
PROFIT_FACTOR_CAP = 100.0


@njit(cache=True, nogil=True)
def run_program_nb(ops, args, leaves, t, drawdown, bars_held, pnl, stack):
    """Run a postfix condition program at row t; comparisons with NaN are false."""
    top = 0
    for i in range(ops.shape[0]):
        op = ops[i]
        if op == OP_LEAF:
            stack[top] = leaves[int(args[i]), t]
            top += 1
        elif op == OP_CONST:
            stack[top] = args[i]
            top += 1
        elif op == OP_POS:
            which = int(args[i])
            stack[top] = drawdown if which == 0 else (bars_held if which == 1 else pnl)
            top += 1
        elif op == OP_NEG:
            stack[top - 1] = -stack[top - 1]
        elif op == OP_NOT:
            stack[top - 1] = 0.0 if stack[top - 1] != 0.0 else 1.0
        else:
            b = stack[top - 1]
            a = stack[top - 2]
            top -= 1
            if op == OP_ADD:
                r = a + b
            elif op == OP_SUB:
                r = a - b
            elif op == OP_MUL:
                r = a * b
            elif op == OP_DIV:
                r = a / b if b != 0.0 else (np.nan if a == 0.0 else np.inf * np.sign(a))
            elif op == OP_GT:
                r = 1.0 if a > b else 0.0
            elif op == OP_LT:
                r = 1.0 if a < b else 0.0
            elif op == OP_GE:
                r = 1.0 if a >= b else 0.0
            elif op == OP_LE:
                r = 1.0 if a <= b else 0.0
            elif op == OP_AND:
                r = 1.0 if (a != 0.0 and b != 0.0) else 0.0
            else:  # OP_OR
                r = 1.0 if (a != 0.0 or b != 0.0) else 0.0
            stack[top - 1] = r
    return stack[0] != 0.0


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


# Columns of the open-lot matrix (one row per open lot, oldest first).
_UNITS, _COST, _NOTIONAL, _FEE, _FILL, _ROW, _PEAK, _TP, _SL = range(9)


@njit(cache=True, nogil=True)
def _record_nb(rec, lots, i, exit_row, exit_price, fees_paid, pnl, reason):
    """Write lot i's trade record."""
    rec["entry_row"] = int(lots[i, _ROW])
    rec["exit_row"] = exit_row
    rec["entry_price"] = lots[i, _FILL]
    rec["exit_price"] = exit_price
    rec["units"] = lots[i, _UNITS]
    rec["notional"] = lots[i, _NOTIONAL]
    rec["fees"] = fees_paid
    rec["pnl"] = pnl
    rec["return"] = pnl / lots[i, _COST]
    rec["reason"] = reason


@njit(cache=True, nogil=True)
def _sale_nb(units, level, x, y, engine):
    """Quote received (before fees) for `units` sold at `level`, and the pool reserves after.

    AMM sales pay slippage on top of the curve; the pool moves by the curve's amounts."""
    if engine.amm:
        out_q = x - x * y / (y + units * (1.0 - engine.pool_fee))
        return out_q * (1.0 - engine.slippage), x - out_q, y + units
    return units * level * (1.0 - engine.slippage), x, y


@njit(cache=True, nogil=True)
def _close_lot_nb(lots, i, n_open, gross, reason, t, fees, stats, trades, n_rec):
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
    if n_rec >= 0:
        fill = gross / lots[i, _UNITS]
        _record_nb(trades[n_rec], lots, i, t, fill, lots[i, _FEE] + exit_fee, pnl, reason)
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


@njit(cache=True, nogil=True, inline="always")
def _all_nb(conds, rows, t):
    """AND of conds[rows, t] (True for no rows)."""
    for i in range(rows.shape[0]):  # noqa: SIM110 (numba: a plain loop, early exit)
        if not conds[rows[i], t]:
            return False
    return True


@njit(cache=True, nogil=True, inline="always")
def _any_nb(conds, rows, t):
    """OR of conds[rows, t] (False for no rows)."""
    for i in range(rows.shape[0]):  # noqa: SIM110
        if conds[rows[i], t]:
            return True
    return False


@njit(cache=True, nogil=True)
def simulate_nb(market, signals, engine, params, window, trades, equity_out, out):
    """Simulate one parameter set on rows window = (start, stop); metrics into `out`.

    market = (price, high, low, x_pool, y_pool, period: each row's non-empty metrics period
    numbered 0, 1, ...); signals = (conds, entry rows, exit rows,
    leaves, entry ops, entry args, exit ops, exit args, volatility for sizing): the static
    entry signal is the AND of conds[entry rows], the exit one the OR of conds[exit rows];
    engine: an ENGINE_DTYPE record;
    params: a SET_DTYPE record. Trade records and the equity curve are written when
    `equity_out` is not empty. Returns the number of trade records (closed lots, then open).
    """
    price, high, low, x_pool, y_pool, period = market
    conds, e_idx, x_idx, leaves, e_ops, e_args, x_ops, x_args, size_vol = signals
    start, stop = window
    tp, sl, order_size, target_vol = (
        params.take_profit,
        params.stop_loss,
        params.order_size,
        params.target_vol,
    )
    fees, slippage, size_type = engine.fees, engine.slippage, engine.size_type
    stop_level, amm, pool_fee = engine.stop_level, engine.amm, engine.pool_fee
    record = equity_out.shape[0] > 0
    # the first entry / exit condition as a plain array: most rules have one or two
    n_e, n_x = e_idx.shape[0], x_idx.shape[0]
    none = np.zeros(0, dtype=np.bool_)
    e0 = conds[e_idx[0]] if n_e > 0 else none
    x0 = conds[x_idx[0]] if n_x > 0 else none
    m = max(int(params.max_orders), 1)
    lots = np.zeros((m, 9))
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
    sum_r = 0.0
    sum_r2 = 0.0
    sum_d2 = 0.0
    exposed = 0
    stats = np.zeros(5)  # closed lots, wins, gross win, gross loss, sum of returns
    n_rec = 0 if record else -1  # -1: no records
    # Sharpe/Sortino on calendar periods (DESIGN.md): a period's return is its last equity
    # over the previous one's (E_0 = init_cash).
    cur_period = period[start] if stop > start else 0
    period_eq = engine.init_cash
    t = start - 1
    while t < stop - 1:
        t += 1
        if n_open == 0:
            # flat: nothing changes until the next entry signal (a tight scan)
            flat_from = t
            if n_e > 0:
                while t < stop and not (e0[t] and (n_e == 1 or _all_nb(conds, e_idx, t))):
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
                        reason = STOP_LOSS
                        level = lots[i, _SL]
                    elif high[t] >= lots[i, _TP]:
                        reason = TAKE_PROFIT
                        level = lots[i, _TP]
                elif p >= lots[i, _TP]:
                    reason = TAKE_PROFIT
                elif p <= lots[i, _SL]:
                    reason = STOP_LOSS
                if reason == 0:
                    i += 1
                    continue
                gross, x, y = _sale_nb(lots[i, _UNITS], level, x, y, engine)
                cash += _close_lot_nb(lots, i, n_open, gross, reason, t, fees, stats, trades, n_rec)
                n_rec += record
                n_open -= 1
                changed = True
            # step 2: any exit condition closes every open lot
            if n_open > 0:
                signal = n_x > 0 and (x0[t] or (n_x > 1 and _any_nb(conds, x_idx, t)))
                if not signal and has_x_prog:
                    dd, held, pnl = _position_terms_nb(lots, n_open, p, t)
                    signal = run_program_nb(x_ops, x_args, leaves, t, dd, held, pnl, stack)
                while signal and n_open > 0:
                    gross, x, y = _sale_nb(lots[0, _UNITS], p, x, y, engine)
                    cash += _close_lot_nb(
                        lots, 0, n_open, gross, SIGNAL, t, fees, stats, trades, n_rec
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
        if n_open < m and (n_e == 0 or (e0[t] and (n_e == 1 or _all_nb(conds, e_idx, t)))):
            go = True
            if has_e_prog:
                dd, held, pnl = _position_terms_nb(lots, n_open, p, t)
                go = run_program_nb(e_ops, e_args, leaves, t, dd, held, pnl, stack)
            if go:
                fill = p * (1.0 + slippage)
                if size_type == SIZE_AMOUNT:
                    if amm:
                        want = order_size * (1.0 + slippage)
                        notional = (x * y / (y - want) - x) / (1.0 - pool_fee) if want < y else cash
                    else:
                        notional = order_size * fill
                else:
                    frac = order_size
                    if size_type == SIZE_VOLATILITY:
                        vol = size_vol[t]
                        if vol > target_vol and target_vol > 0.0:
                            frac = order_size * target_vol / vol
                    notional = frac * (cash + units_open * p)
                spend_all = notional * (1.0 + fees) > cash
                if spend_all:
                    notional = cash / (1.0 + fees)
                if notional > 1e-12:
                    if amm:
                        units = (y - x * y / (x + notional * (1.0 - pool_fee))) / (1.0 + slippage)
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
        if period[t] != cur_period:
            # the previous period ended at the last row before t (skipped rows were flat);
            # periods skipped whole returned 0 and add nothing to the sums
            r = prev_eq / period_eq - 1.0 if period_eq > 0.0 else 0.0
            sum_r += r
            sum_r2 += r * r
            d = min(r, 0.0)
            sum_d2 += d * d
            period_eq = prev_eq
            cur_period = period[t]
        peak_eq = max(peak_eq, eq)
        if peak_eq - eq > mdd * peak_eq:
            mdd = (peak_eq - eq) / peak_eq
        prev_eq = eq
        if record:
            equity_out[t - start] = eq
    if record and stop > start:
        last = price[stop - 1]
        for i in range(n_open):
            pnl = lots[i, _UNITS] * last - lots[i, _COST]
            _record_nb(trades[n_rec], lots, i, stop - 1, last, lots[i, _FEE], pnl, OPEN)
            n_rec += 1
    n_periods = 0
    if stop > start:
        r = prev_eq / period_eq - 1.0 if period_eq > 0.0 else 0.0
        sum_r += r
        sum_r2 += r * r
        sum_d2 += min(r, 0.0) ** 2
        n_periods = period[stop - 1] - period[start] + 1
    sums = np.array([sum_r, sum_r2, sum_d2])
    finish_metrics_nb(
        out, stop - start, n_periods, prev_eq, engine.init_cash, sums, mdd, exposed, stats,
        engine.ann,
    )  # fmt: skip
    return max(n_rec, 0)


@njit(cache=True, nogil=True, parallel=True)
def grid_nb(market, conds, programs, engines, sets, windows):
    """Metrics (n_windows, n_sets, N_METRICS): every set on every window, in parallel.

    conds: (n_conditions, rows) bool, the distinct static condition arrays; sets["entry"] /
    sets["exit"] of set s (rows of `entry_rows` / `exit_rows`) name the ones it ANDs / ORs.
    programs = (leaves, entry ops, entry args, entry lengths, exit ops, exit args, exit
    lengths, sizing volatilities), one row per program group; set s reads sets[s].group.
    Window w = (start, stop) is run with engines[w].
    """
    entry_rows, exit_rows = conds[1], conds[2]
    leaves, e_ops, e_args, e_len, x_ops, x_args, x_len, size_vols = programs
    n_sets = sets.shape[0]
    n_windows = windows.shape[0]
    out = np.zeros((n_windows, n_sets, N_METRICS))
    no_trades = np.empty(0, dtype=TRADE_DTYPE)
    no_equity = np.empty(0)
    for job in prange(n_sets * n_windows):
        s = job // n_windows
        w = job % n_windows
        k = sets[s].group
        signals = (
            conds[0], entry_rows[s], exit_rows[s], leaves[k], e_ops[k, : e_len[k]],
            e_args[k, : e_len[k]], x_ops[k, : x_len[k]], x_args[k, : x_len[k]], size_vols[k],
        )  # fmt: skip
        window = (windows[w, 0], windows[w, 1])
        simulate_nb(market, signals, engines[w], sets[s], window, no_trades, no_equity, out[w, s])
    return out

"""Open lots inside the kernel: selling one (price or AMM curve), booking it, position terms."""

from __future__ import annotations

import numpy as np
from numba import njit

from vantageadapt.backtest import layout as lay


@njit(cache=True, nogil=True)
def record_nb(rec, lots, i, exit_row, exit_price, fees_paid, pnl, reason):
    """Write lot i's trade record."""
    rec["entry_row"] = int(lots[i, lay.LOT_ROW])
    rec["exit_row"] = exit_row
    rec["entry_price"] = lots[i, lay.LOT_FILL]
    rec["exit_price"] = exit_price
    rec["units"] = lots[i, lay.LOT_UNITS]
    rec["notional"] = lots[i, lay.LOT_NOTIONAL]
    rec["fees"] = fees_paid
    rec["pnl"] = pnl
    rec["return"] = pnl / lots[i, lay.LOT_COST]
    rec["reason"] = reason


@njit(cache=True, nogil=True, inline="always")
def sale_nb(units, level, x, y, engine):
    """Quote received (before fees) for `units` sold at `level`, and the pool reserves after.

    AMM sales pay slippage on top of the curve; the pool moves by the curve's amounts."""
    if engine.amm:
        out_q = x - x * y / (y + units * (1.0 - engine.pool_fee))
        return out_q * (1.0 - engine.slippage), x - out_q, y + units
    return units * level * (1.0 - engine.slippage), x, y


@njit(cache=True, nogil=True, inline="always")
def book_sale_nb(gross, fees, cost, stats):
    """Proceeds, exit fee and P&L of selling a lot that cost `cost` for `gross` (before fees).

    The sale is added to stats: closed lots, wins, gross win, gross loss, sum of returns."""
    exit_fee = gross * fees
    proceeds = gross - exit_fee
    pnl = proceeds - cost
    stats[0] += 1.0
    if pnl > 0.0:
        stats[1] += 1.0
        stats[2] += pnl
    else:
        stats[3] -= pnl
    stats[4] += pnl / cost
    return proceeds, exit_fee, pnl


@njit(cache=True, nogil=True, inline="always")
def order_notional_nb(size_type, params, size_vol, t, fill, equity):
    """The quote a new lot would spend at fill price `fill` (price fills), before the cash cap.

    equity: cash plus the open lots at this row's price (what fraction sizing is a part of)."""
    if size_type == lay.SIZE_AMOUNT:
        return params.order_size * fill
    frac = params.order_size
    if size_type == lay.SIZE_VOLATILITY:
        vol = size_vol[t]
        if vol > params.target_vol and params.target_vol > 0.0:
            frac = params.order_size * params.target_vol / vol
    return frac * equity


@njit(cache=True, nogil=True, inline="always")
def cap_order_nb(notional, cash, fees):
    """The notional capped so that it and its fee fit in cash, and whether it takes all of it."""
    spend_all = notional * (1.0 + fees) > cash
    if spend_all:
        notional = cash / (1.0 + fees)
    return notional, spend_all


@njit(cache=True, nogil=True, inline="always")
def pay_order_nb(notional, spend_all, cash, fees):
    """The entry fee and the cash left after buying `notional`.

    A lot capped by cash spends all of it: no rounding dust for a next lot."""
    fee = notional * fees
    return fee, 0.0 if spend_all else max(cash - (notional + fee), 0.0)


@njit(cache=True, nogil=True, inline="always")
def stop_levels_nb(fill, tp, sl):
    """A lot's take-profit and stop-loss prices (inf and -inf when off)."""
    return fill * (1.0 + tp) if tp > 0.0 else np.inf, fill * (1.0 - sl) if sl > 0.0 else -np.inf


@njit(cache=True, nogil=True, inline="always")
def close_lot_nb(lots, i, n_open, gross, reason, t, fees, stats, trades, n_rec):
    """Book the sale of lot i (gross quote before fees), remove it; returns the cash it adds.

    stats: closed lots, wins, gross win, gross loss, sum of returns. The trade record is
    written at trades[n_rec] unless n_rec < 0."""
    proceeds, exit_fee, pnl = book_sale_nb(gross, fees, lots[i, lay.LOT_COST], stats)
    if n_rec >= 0:
        fill = gross / lots[i, lay.LOT_UNITS]
        record_nb(trades[n_rec], lots, i, t, fill, lots[i, lay.LOT_FEE] + exit_fee, pnl, reason)
    for j in range(i, n_open - 1):
        lots[j, :] = lots[j + 1, :]
    return proceeds


@njit(cache=True, nogil=True)
def position_terms_nb(lots, n_open, p, t):
    """drawdown from the oldest lot's peak, bars held by it, and the open lots' return."""
    if n_open == 0:
        return 0.0, 0.0, 0.0
    peak = lots[0, lay.LOT_PEAK]
    value = 0.0
    cost = 0.0
    for i in range(n_open):
        value += lots[i, lay.LOT_UNITS] * p
        cost += lots[i, lay.LOT_COST]
    return (peak - p) / peak, t - lots[0, lay.LOT_ROW], (value - cost) / cost

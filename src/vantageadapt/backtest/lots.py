"""Open lots inside the kernel: selling one (price or AMM curve), booking it, position terms."""

from __future__ import annotations

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
def close_lot_nb(lots, i, n_open, gross, reason, t, fees, stats, trades, n_rec):
    """Book the sale of lot i (gross quote before fees), remove it; returns the cash it adds.

    stats: closed lots, wins, gross win, gross loss, sum of returns. The trade record is
    written at trades[n_rec] unless n_rec < 0."""
    exit_fee = gross * fees
    proceeds = gross - exit_fee
    cost = lots[i, lay.LOT_COST]
    pnl = proceeds - cost
    stats[0] += 1.0
    if pnl > 0.0:
        stats[1] += 1.0
        stats[2] += pnl
    else:
        stats[3] -= pnl
    stats[4] += pnl / cost
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

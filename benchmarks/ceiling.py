"""The practical ceiling both speed benchmarks compare against: a minimal numba loop."""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, parallel=True)
def ceiling_nb(price, volume, mas, vmas, widx, tps, sls, fees, init_cash):
    """The practical ceiling: this exact strategy, one lot, no records, final equity only."""
    out = np.empty(tps.shape[0])
    for s in prange(tps.shape[0]):
        ma, vma, tp, sl = mas[widx[s]], vmas[widx[s]], tps[s], sls[s]
        cash, units, entry = init_cash, 0.0, 0.0
        for t in range(price.shape[0]):
            p = price[t]
            if units > 0.0:
                if p >= entry * (1 + tp) or p <= entry * (1 - sl) or p < ma[t]:
                    cash += units * p * (1 - fees)
                    units = 0.0
                    continue
            elif p > ma[t] and volume[t] > vma[t]:
                notional = cash / (1 + fees)
                units = notional / p
                cash -= notional * (1 + fees)
                entry = p
        out[s] = cash + units * price[-1]
    return out


@njit(cache=True, nogil=True, parallel=True)
def breakout_ceiling_nb(price, volume, highs, lows, vmas, sets, fees, init_cash, start, stop):
    """The search benchmark's ceiling: the breakout rule with lots, no records, final equity.

    sets columns: index into highs, lows, vmas, then take_profit, stop_loss, order_size,
    max_orders (as floats).
    """
    out = np.empty(sets.shape[0])
    for s in prange(sets.shape[0]):
        high, low, vma = highs[int(sets[s, 0])], lows[int(sets[s, 1])], vmas[int(sets[s, 2])]
        tp, sl, size, most = sets[s, 3], sets[s, 4], sets[s, 5], int(sets[s, 6])
        units = np.zeros(most)
        entry = np.zeros(most)
        n = 0
        cash = init_cash
        for t in range(start, stop):
            p = price[t]
            i = 0
            while i < n:
                if p >= entry[i] * (1 + tp) or p <= entry[i] * (1 - sl):
                    cash += units[i] * p * (1 - fees)
                    n -= 1
                    units[i], entry[i] = units[n], entry[n]
                else:
                    i += 1
            if n > 0 and p < low[t]:
                for i in range(n):
                    cash += units[i] * p * (1 - fees)
                n = 0
            if n < most and p > high[t] and volume[t] > vma[t]:
                held = 0.0
                for i in range(n):
                    held += units[i] * p
                notional = min(size * (cash + held), cash / (1 + fees))
                units[n] = notional / p
                entry[n] = p
                cash -= notional * (1 + fees)
                n += 1
        value = cash
        for i in range(n):
            value += units[i] * price[stop - 1]
        out[s] = value
    return out

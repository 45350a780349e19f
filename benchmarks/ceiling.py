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

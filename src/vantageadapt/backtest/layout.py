"""The kernel's record layouts and codes: trade records, parameter sets, engine settings."""

from __future__ import annotations

import numpy as np

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
# Columns of the open-lot matrix (one row per open lot, oldest first).
LOT_UNITS, LOT_COST, LOT_NOTIONAL, LOT_FEE, LOT_FILL, LOT_ROW, LOT_PEAK, LOT_TP, LOT_SL = range(9)
LOT_COLUMNS = 9

"""The kernel's record layouts and codes: trade records, parameter sets, engine settings."""

from __future__ import annotations

import numpy as np


def _record(fields: str) -> np.dtype:
    """A record dtype from `name:type` words (numpy type names), fields in the order given."""
    return np.dtype([tuple(word.split(":")) for word in fields.split()])


# The seed's TradeMemory: one record per lot, written inside the kernel.
TRADE_DTYPE = _record(
    "entry_row:int64 exit_row:int64 entry_price:float64 exit_price:float64 units:float64"
    " notional:float64 fees:float64 pnl:float64 return:float64 reason:int64"
)
REASONS = ("", "take_profit", "stop_loss", "signal", "open")
TAKE_PROFIT, STOP_LOSS, SIGNAL, OPEN = 1, 2, 3, 4
SIZE_TYPES = {"fraction": 0, "amount": 1, "volatility": 2}
SIZE_AMOUNT, SIZE_VOLATILITY = SIZE_TYPES["amount"], SIZE_TYPES["volatility"]
# One parameter set (and the signal group it reads), and the engine settings shared by all.
SET_DTYPE = _record(
    "take_profit:float64 stop_loss:float64 order_size:float64 max_orders:int64"
    " target_vol:float64 group:int64"
)
ENGINE_DTYPE = _record(
    "init_cash:float64 fees:float64 slippage:float64 size_type:int64 stop_level:bool amm:bool"
    " pool_fee:float64 ann:float64"
)
N_METRICS = 9
PROFIT_FACTOR_CAP = 100.0
# Columns of the open-lot matrix (one row per open lot, oldest first).
LOT_UNITS, LOT_COST, LOT_NOTIONAL, LOT_FEE, LOT_FILL, LOT_ROW, LOT_PEAK, LOT_TP, LOT_SL = range(9)
LOT_COLUMNS = 9

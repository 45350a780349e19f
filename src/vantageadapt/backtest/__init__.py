"""The numba backtest engine: trade records, metrics, and the many-parameter-set fast path."""

from vantageadapt.backtest.config import EngineConfig
from vantageadapt.backtest.engine import BacktestResult, backtest_assets, run_backtest
from vantageadapt.backtest.grid import equity_curves, evaluate_grid, evaluate_windows
from vantageadapt.backtest.jit_cache import drop_stale
from vantageadapt.backtest.layout import PROFIT_FACTOR_CAP, TRADE_DTYPE
from vantageadapt.backtest.metrics import aggregate_metrics, metrics_from_row
from vantageadapt.backtest.periods import (
    METRICS_PERIODS,
    choose_metrics_period,
    period_returns,
    periods_per_year,
)

# numba reads a kernel's cache at its first call, which comes after this: a cache compiled
# from other sources than these is removed first.
drop_stale()

__all__ = [
    "METRICS_PERIODS",
    "PROFIT_FACTOR_CAP",
    "TRADE_DTYPE",
    "BacktestResult",
    "EngineConfig",
    "aggregate_metrics",
    "backtest_assets",
    "choose_metrics_period",
    "equity_curves",
    "evaluate_grid",
    "evaluate_windows",
    "metrics_from_row",
    "period_returns",
    "periods_per_year",
    "run_backtest",
]

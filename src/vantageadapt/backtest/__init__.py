"""The numba backtest engine: trade records, metrics, and the many-parameter-set fast path."""

from vantageadapt.backtest.config import EngineConfig, periods_per_year
from vantageadapt.backtest.engine import BacktestResult, backtest_assets, run_backtest
from vantageadapt.backtest.grid import evaluate_grid, evaluate_windows
from vantageadapt.backtest.kernels import PROFIT_FACTOR_CAP, TRADE_DTYPE
from vantageadapt.backtest.metrics import aggregate_metrics, metrics_from_row

__all__ = [
    "PROFIT_FACTOR_CAP",
    "TRADE_DTYPE",
    "BacktestResult",
    "EngineConfig",
    "aggregate_metrics",
    "backtest_assets",
    "evaluate_grid",
    "evaluate_windows",
    "metrics_from_row",
    "periods_per_year",
    "run_backtest",
]

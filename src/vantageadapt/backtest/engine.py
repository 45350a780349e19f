"""One rule set on one asset (with records) or on many assets (metrics only)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vantageadapt.backtest.config import (
    EngineConfig,
    engine_record,
    for_window,
    frame_arrays,
    market_arrays,
    set_params,
    set_records,
)
from vantageadapt.backtest.kernels import simulate_nb
from vantageadapt.backtest.layout import N_METRICS, REASONS, TRADE_DTYPE
from vantageadapt.backtest.metrics import aggregate_metrics, metrics_from_row
from vantageadapt.backtest.streaming import period_starts_nb
from vantageadapt.errors import ConfigError
from vantageadapt.models import AggregateMetrics, Metrics, TradingRules
from vantageadapt.rules import IndicatorCache, compile_rules
from vantageadapt.rules.indicators import CustomIndicator

TRADE_COLUMNS = (
    "entry_time",
    "exit_time",
    "entry_price",
    "exit_price",
    "units",
    "notional",
    "fees",
    "pnl",
    "return",
    "exit_reason",
)


@dataclass
class BacktestResult:
    """Metrics over [start, end), the equity curve on those rows and the trade table."""

    metrics: Metrics
    equity: pd.Series
    trades: pd.DataFrame


def check_window(start: int, stop: int, rows: int) -> None:
    """ConfigError unless 0 <= start <= stop <= rows."""
    if not 0 <= start <= stop <= rows:
        raise ConfigError(
            f"window start={start}, stop={stop} must satisfy 0 <= start <= stop <= {rows}"
        )


def _trade_table(records: np.ndarray, index: pd.Index) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "entry_time": index[records["entry_row"]],
            "exit_time": index[records["exit_row"]],
            "entry_price": records["entry_price"],
            "exit_price": records["exit_price"],
            "units": records["units"],
            "notional": records["notional"],
            "fees": records["fees"],
            "pnl": records["pnl"],
            "return": records["return"],
            "exit_reason": [REASONS[r] for r in records["reason"]],
        },
        columns=list(TRADE_COLUMNS),
    )
    return table.sort_values(["entry_time", "exit_time"], kind="stable", ignore_index=True)


def run_backtest(
    frame: pd.DataFrame,
    rules: TradingRules,
    config: EngineConfig = EngineConfig(),
    *,
    start: int = 0,
    custom_indicators: Mapping[str, CustomIndicator] | None = None,
) -> BacktestResult:
    """Backtest one rule set on one asset, trading on rows >= start (earlier rows warm up)."""
    rows = len(frame)
    check_window(start, rows, rows)
    config = for_window(config, frame, start, rows)
    cache = IndicatorCache(frame, custom_indicators)
    compiled = compile_rules(rules, frame, indicators=cache)
    params = set_params(rules.parameters, config)
    arrays = frame_arrays(frame, config)
    size_vol = np.empty(0)
    if config.size_type == "volatility":
        size_vol = cache.get("volatility", params.vol_window)
    trades = np.zeros(int(compiled.entry[start:].sum()), dtype=TRADE_DTYPE)
    equity = np.empty(rows - start)
    out = np.zeros(N_METRICS)
    signals = (
        compiled.entry, compiled.exit, compiled.leaves, compiled.entry_program.ops,
        compiled.entry_program.args, compiled.exit_program.ops, compiled.exit_program.args,
        size_vol,
    )  # fmt: skip
    record = set_records([params], np.zeros(1, dtype=np.int64))[0]
    engine = engine_record(config, arrays)
    window = (start, rows)
    market = market_arrays(arrays)
    starts = period_starts_nb(arrays.period)
    n_rec = simulate_nb(market, starts, signals, engine, record, window, trades, equity, out)
    return BacktestResult(
        metrics=metrics_from_row(out),
        equity=pd.Series(equity, index=frame.index[start:], name="equity"),
        trades=_trade_table(trades[:n_rec], frame.index),
    )


def backtest_assets(
    frames: Mapping[str, pd.DataFrame],
    rules: TradingRules,
    config: EngineConfig = EngineConfig(),
    *,
    start: Mapping[str, int] | None = None,
    custom_indicators: Mapping[str, CustomIndicator] | None = None,
) -> tuple[dict[str, Metrics], AggregateMetrics]:
    """Run one rule set over every asset; per-asset metrics and their aggregate."""
    per_asset = {
        symbol: run_backtest(
            frame,
            rules,
            config,
            start=(start or {}).get(symbol, 0),
            custom_indicators=custom_indicators,
        ).metrics
        for symbol, frame in frames.items()
    }
    return per_asset, aggregate_metrics(per_asset)

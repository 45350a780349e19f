"""Metric rows to models, and aggregates over assets."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from vantageadapt.backtest.layout import PROFIT_FACTOR_CAP
from vantageadapt.models import METRIC_NAMES, AggregateMetrics, Metrics

__all__ = ["PROFIT_FACTOR_CAP", "aggregate_metrics", "metrics_from_row"]


def metrics_from_row(row: np.ndarray) -> Metrics:
    """A kernel metrics row (METRIC_NAMES order) as a Metrics model."""
    values = {name: float(value) for name, value in zip(METRIC_NAMES, row, strict=True)}
    values["total_trades"] = round(values["total_trades"])
    return Metrics(**values)


def aggregate_metrics(per_asset: Mapping[str, Metrics]) -> AggregateMetrics:
    """Equal-weight mean return (sum kept too), mean ratios, pooled win rate, summed trades."""
    items = list(per_asset.values())
    if not items:
        return AggregateMetrics()
    trades = sum(m.total_trades for m in items)
    wins = sum(m.win_rate * m.total_trades for m in items)
    trade_return = sum(m.avg_trade_return * m.total_trades for m in items)

    def mean(name: str) -> float:
        return float(np.mean([getattr(m, name) for m in items]))

    return AggregateMetrics(
        total_return=mean("total_return"),
        total_return_sum=float(sum(m.total_return for m in items)),
        sharpe_ratio=mean("sharpe_ratio"),
        sortino_ratio=mean("sortino_ratio"),
        max_drawdown=mean("max_drawdown"),
        win_rate=wins / trades if trades else 0.0,
        total_trades=trades,
        profit_factor=mean("profit_factor"),
        avg_trade_return=trade_return / trades if trades else 0.0,
        exposure=mean("exposure"),
        n_assets=len(items),
    )

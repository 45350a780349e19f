"""OptimizationResult and the array-side metric helpers the search uses."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from vantageadapt.models import METRIC_NAMES, AggregateMetrics, Metrics

_COL = {name: i for i, name in enumerate(METRIC_NAMES)}


def aggregate_rows(stack: np.ndarray) -> np.ndarray:
    """(assets, sets, metrics) -> (sets, metrics): means, summed trades, pooled per-trade stats.

    Mirrors `aggregate_metrics` for many sets at once, without building pydantic objects.
    """
    out = stack.mean(axis=0)
    trades = stack[:, :, _COL["total_trades"]]
    total = trades.sum(axis=0)
    out[:, _COL["total_trades"]] = total
    for name in ("win_rate", "avg_trade_return"):
        weighted = (stack[:, :, _COL[name]] * trades).sum(axis=0)
        out[:, _COL[name]] = np.divide(
            weighted, total, out=np.zeros_like(weighted), where=total > 0
        )
    return out


def row_mapping(row: np.ndarray, n_assets: int) -> dict[str, float]:
    """An aggregated row as the mapping score functions take (with n_assets)."""
    return row_mappings(np.asarray(row, dtype=np.float64)[None, :], n_assets)[0]


def row_mappings(rows: np.ndarray, n_assets: int) -> list[dict[str, float]]:
    """`row_mapping` of each aggregated row, the whole array read into floats at once."""
    names = (*METRIC_NAMES, "n_assets")
    assets = [float(n_assets)]
    values = np.asarray(rows, dtype=np.float64).tolist()
    return [dict(zip(names, row + assets, strict=True)) for row in values]


@dataclass
class OptimizationResult:
    """The tuned parameters, their in-sample and out-of-sample metrics, and the search's trace."""

    best_parameters: dict[str, float]
    score: float
    in_sample: AggregateMetrics
    out_of_sample: AggregateMetrics
    per_asset_in: dict[str, Metrics]
    per_asset_out: dict[str, Metrics]
    trials: int
    deflated_sharpe: float
    landscape: pd.DataFrame
    parameters_at_edge: dict[str, Literal["low", "high"]]
    wall_seconds: float
    interrupted: bool
    validation_score: float
    subset: list[str] = field(default_factory=list)
    cache_hits: int = 0
    indicator_cache: dict[str, int] = field(default_factory=dict)  # hits, misses, evictions, bytes
    pbo: float = float("nan")  # probability of backtest overfitting of this search (CSCV)
    significance_periods: str = ""  # "<n> x <period>" the deflated Sharpe and PBO were measured on
    engine: dict[str, Any] = field(default_factory=dict)  # the settings it ran with, resolved

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the landscape as a count; it can be large)."""
        return {
            "best_parameters": self.best_parameters,
            "score": _finite_or_none(self.score),
            "validation_score": _finite_or_none(self.validation_score),
            "in_sample": self.in_sample.model_dump(),
            "out_of_sample": self.out_of_sample.model_dump(),
            "per_asset": {
                sym: {
                    "in_sample": self.per_asset_in[sym].model_dump(),
                    "out_of_sample": self.per_asset_out[sym].model_dump(),
                }
                for sym in self.per_asset_in
            },
            "trials": self.trials,
            "deflated_sharpe": self.deflated_sharpe,
            "pbo": _finite_or_none(self.pbo),
            "significance_periods": self.significance_periods,
            "parameters_at_edge": self.parameters_at_edge,
            "subset": self.subset,
            "cache_hits": self.cache_hits,
            "indicator_cache": self.indicator_cache,
            "engine": self.engine,
            "metrics_period": self.engine.get("metrics_period"),
            "wall_seconds": self.wall_seconds,
            "interrupted": self.interrupted,
        }


def _finite_or_none(value: float) -> float | None:
    """JSON has no infinities: a score that is not finite (a failed set) prints as null."""
    return value if math.isfinite(value) else None

"""The seed's per-regime performance tracking (`GodelAgent.track_performance`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from vantageadapt.models import MarketRegime


def _key(metrics: Mapping[str, float]) -> tuple[float, float]:
    return float(metrics.get("sortino_ratio", 0.0)), float(metrics.get("total_return", 0.0))


class PerformanceTracking:
    """The last and the best (by sortino, then return) metrics and parameters of each regime.

    A base of `GodelAgent`, whose seed API `track_performance`, `best` and `last` are.
    """

    def __init__(self) -> None:
        self.best: dict[MarketRegime, dict[str, Any]] = {}
        self.last: dict[MarketRegime, dict[str, Any]] = {}

    def track_performance(
        self,
        metrics: Mapping[str, float] | BaseModel,
        parameters: Mapping[str, float],
        market_regime: Any,
    ) -> None:
        """Record one iteration's validation metrics and tuned parameters for its regime."""
        values = metrics.model_dump() if isinstance(metrics, BaseModel) else dict(metrics)
        regime = MarketRegime.parse(market_regime)
        entry = {"metrics": values, "parameters": dict(parameters)}
        self.last[regime] = entry
        if regime not in self.best or _key(values) > _key(self.best[regime]["metrics"]):
            self.best[regime] = entry

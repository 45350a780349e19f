"""Pydantic records the pipeline builds and the store returns: one per saved thing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field, field_validator

from vantageadapt.models import (
    METRIC_NAMES,
    Conditions,
    LLMCall,
    MarketContext,
    Metrics,
    Regime,
    StrategyInsight,
    UtcTime,
    utc_now,
)
from vantageadapt.results import PatchRecord, RunStatus

Window = Literal["in_sample", "out_of_sample", "test"]


def new_id() -> str:
    """A fresh random id for a run or an iteration."""
    return uuid4().hex


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunRecord(_Record):
    """One `vantage run`: what it was asked, on which data, and how it ended."""

    id: str = Field(default_factory=new_id)
    theme: str
    provider: str
    model: str | None = None
    data_path: str
    data_fingerprint: str
    test_fingerprint: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    engine: dict[str, Any] | None = None  # the engine settings the run used, `auto` settled
    metrics_period: str | None = None  # the period its Sharpe and Sortino are computed on
    status: RunStatus = "running"
    met: bool | None = None
    best_iteration: int | None = None
    test_metrics: dict[str, float] | None = None
    unmet: list[str] = Field(default_factory=list)
    message: str = ""
    started_at: UtcTime = Field(default_factory=utc_now)
    finished_at: UtcTime | None = None


class PerformanceRecord(Metrics):
    """Metrics of one asset (or the aggregate, asset None) over one window."""

    window: Window
    asset: str | None = None
    total_return_sum: float | None = None
    n_assets: int | None = None

    @classmethod
    def from_metrics(
        cls, window: Window, metrics: Metrics | Mapping[str, float], asset: str | None = None
    ) -> PerformanceRecord:
        """Build from a `Metrics`/`AggregateMetrics` or a plain dict of metric values."""
        values = metrics.model_dump() if isinstance(metrics, Metrics) else dict(metrics)
        known = {*METRIC_NAMES, "total_return_sum", "n_assets"}
        fields = {k: v for k, v in values.items() if k in known}
        return cls(window=window, asset=asset, **fields)

    def metrics(self) -> dict[str, float]:
        """The metric values as a dict (aggregate extras only where set)."""
        return self.model_dump(exclude={"window", "asset"}, exclude_none=True)


class StrategyRecord(_Record):
    """A rule set with the theme, regime and insight it came from."""

    id: int | None = Field(default=None, description="set by the store")
    run_id: str | None = Field(default=None, description="set by the store")
    iteration: int | None = Field(default=None, description="set by the store")
    theme: str
    regime: Regime
    conditions: Conditions
    parameters: dict[str, float]
    insight: StrategyInsight | None = None
    performance: list[PerformanceRecord] = Field(default_factory=list)
    created_at: UtcTime = Field(default_factory=utc_now)

    @field_validator("performance")
    @classmethod
    def _one_row_each(cls, rows: list[PerformanceRecord]) -> list[PerformanceRecord]:
        seen: set[tuple[str, str | None]] = set()
        for row in rows:
            key = (row.window, row.asset)
            if key in seen:
                raise ValueError(f"two performance rows for window {row.window}, asset {row.asset}")
            seen.add(key)
        return rows

    def rules_json(self) -> dict[str, Any]:
        """The rules file `vantage backtest --rules` reads."""
        return {"conditions": self.conditions.model_dump(), "parameters": dict(self.parameters)}

    def aggregate(self, window: Window) -> PerformanceRecord | None:
        """The aggregate row for one window, if stored."""
        for row in self.performance:
            if row.window == window and row.asset is None:
                return row
        return None


class StrategySummary(_Record):
    """One line of `vantage strategies list`."""

    id: int
    run_id: str
    iteration: int | None
    theme: str
    regime: str
    entry: list[str]
    exit: list[str]
    in_sample_sortino: float | None
    out_of_sample_sortino: float | None
    out_of_sample_return: float | None
    out_of_sample_trades: int | None
    created_at: UtcTime


class PromptVersionRecord(_Record):
    """A version of one prompt template used or written during a run."""

    name: str
    version: int
    template: str
    reason: str = ""
    created_at: UtcTime = Field(default_factory=utc_now)


class IterationRecord(_Record):
    """Everything one pass of the loop learned; saved in one transaction."""

    id: str | None = Field(default=None, description="set by the store")
    index: int = Field(ge=1)
    regime: Regime
    market_context: MarketContext | None = None
    strategy: StrategyRecord
    score: float
    validation_score: float | None = None
    unmet: list[str] = Field(default_factory=list)
    optimization: dict[str, Any] = Field(
        default_factory=dict, description="trials, deflated_sharpe, parameters_at_edge, ..."
    )
    patches: list[PatchRecord] = Field(default_factory=list)
    prompt_versions: list[PromptVersionRecord] = Field(default_factory=list)
    llm_calls: list[LLMCall] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)
    created_at: UtcTime = Field(default_factory=utc_now)

    @property
    def deflated_sharpe(self) -> float:
        """The stored deflated Sharpe of the iteration's pick (0 when none was stored)."""
        return float(self.optimization.get("deflated_sharpe") or 0.0)


class ResumeState(_Record):
    """What `vantage run --resume` needs to carry on where a run was cut off."""

    run: RunRecord
    iterations: list[IterationRecord]
    best: IterationRecord | None
    patches: list[PatchRecord]
    # Calls no saved iteration holds: those of iterations cut off before they were saved.
    unattached_calls: list[LLMCall] = Field(default_factory=list)

    @property
    def calls(self) -> list[LLMCall]:
        """Every stored strategist call of the run: the saved iterations', then the rest."""
        return [c for item in self.iterations for c in item.llm_calls] + self.unattached_calls

    @property
    def last_index(self) -> int:
        """The index of the last saved iteration (0 when none)."""
        return max((item.index for item in self.iterations), default=0)

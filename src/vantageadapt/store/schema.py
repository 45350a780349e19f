"""SQLAlchemy tables: runs, iterations and everything an iteration learns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Batch mode on SQLite can only drop constraints that have names.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
Timestamp = sa.DateTime(timezone=True)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def _run_fk() -> Any:
    return sa.ForeignKey("runs.id", ondelete="CASCADE")


def _iteration_fk() -> Any:
    return sa.ForeignKey("iterations.id", ondelete="CASCADE")


class RunRow(Base):
    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    theme: Mapped[str] = mapped_column(sa.String(200))
    provider: Mapped[str] = mapped_column(sa.String(50))
    model: Mapped[str | None] = mapped_column(sa.String(200))
    data_path: Mapped[str] = mapped_column(sa.Text)
    data_fingerprint: Mapped[str] = mapped_column(sa.String(128))
    test_fingerprint: Mapped[str | None] = mapped_column(sa.String(128))
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType)
    engine: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    metrics_period: Mapped[str | None] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(20), index=True)
    met: Mapped[bool | None] = mapped_column(sa.Boolean)
    best_iteration: Mapped[int | None] = mapped_column(sa.Integer)
    test_metrics: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    unmet: Mapped[list[str]] = mapped_column(JSONType)
    message: Mapped[str] = mapped_column(sa.Text, default="")
    started_at: Mapped[datetime] = mapped_column(Timestamp, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp)


class IterationRow(Base):
    __tablename__ = "iterations"
    __table_args__ = (sa.UniqueConstraint("run_id", "number"),)

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    # The unique (run_id, number) index serves lookups by run.
    run_id: Mapped[str] = mapped_column(sa.String(64), _run_fk())
    number: Mapped[int] = mapped_column(sa.Integer)
    regime: Mapped[str] = mapped_column(sa.String(32))
    score: Mapped[float] = mapped_column(sa.Float)
    validation_score: Mapped[float | None] = mapped_column(sa.Float)
    unmet: Mapped[list[str]] = mapped_column(JSONType)
    optimization: Mapped[dict[str, Any]] = mapped_column(JSONType)
    timings: Mapped[dict[str, float]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class MarketContextRow(Base):
    __tablename__ = "market_contexts"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    iteration_id: Mapped[str] = mapped_column(sa.String(64), _iteration_fk(), unique=True)
    regime: Mapped[str] = mapped_column(sa.String(32), index=True)
    confidence: Mapped[float] = mapped_column(sa.Float)
    volatility_level: Mapped[float] = mapped_column(sa.Float)
    trend_strength: Mapped[float] = mapped_column(sa.Float)
    risk_level: Mapped[str] = mapped_column(sa.String(10))
    context: Mapped[dict[str, Any]] = mapped_column(JSONType)


class StrategyRow(Base):
    __tablename__ = "strategies"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(sa.String(64), _run_fk(), index=True)
    iteration_id: Mapped[str | None] = mapped_column(sa.String(64), _iteration_fk(), unique=True)
    theme: Mapped[str] = mapped_column(sa.String(200), index=True)
    regime: Mapped[str] = mapped_column(sa.String(32), index=True)
    entry: Mapped[list[str]] = mapped_column(JSONType)
    exit: Mapped[list[str]] = mapped_column(JSONType)
    parameters: Mapped[dict[str, float]] = mapped_column(JSONType)
    insight: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    rationale: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class PerformanceRow(Base):
    __tablename__ = "performance"
    __table_args__ = (
        sa.Index("ix_performance_strategy_window", "strategy_id", "window"),
        sa.Index("ix_performance_window_sortino", "window", "sortino_ratio"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    strategy_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("strategies.id", ondelete="CASCADE")
    )
    window: Mapped[str] = mapped_column(sa.String(16))
    # NULL asset = the aggregate over all assets.
    asset: Mapped[str | None] = mapped_column(sa.String(200))
    total_return: Mapped[float] = mapped_column(sa.Float)
    sharpe_ratio: Mapped[float] = mapped_column(sa.Float)
    sortino_ratio: Mapped[float] = mapped_column(sa.Float)
    max_drawdown: Mapped[float] = mapped_column(sa.Float)
    win_rate: Mapped[float] = mapped_column(sa.Float)
    total_trades: Mapped[int] = mapped_column(sa.Integer)
    profit_factor: Mapped[float] = mapped_column(sa.Float)
    avg_trade_return: Mapped[float] = mapped_column(sa.Float)
    exposure: Mapped[float] = mapped_column(sa.Float)
    total_return_sum: Mapped[float | None] = mapped_column(sa.Float)
    n_assets: Mapped[int | None] = mapped_column(sa.Integer)


class PatchRow(Base):
    __tablename__ = "patches"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    run_id: Mapped[str] = mapped_column(sa.String(64), _run_fk(), index=True)
    iteration_id: Mapped[str | None] = mapped_column(sa.String(64), _iteration_fk(), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    target: Mapped[str] = mapped_column(sa.String(200))
    op: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(10), index=True)
    stage: Mapped[str | None] = mapped_column(sa.String(10))
    reason: Mapped[str] = mapped_column(sa.Text)
    diff: Mapped[str] = mapped_column(sa.Text)
    parent_id: Mapped[str | None] = mapped_column(sa.String(64))
    score_before: Mapped[float | None] = mapped_column(sa.Float)
    score_after: Mapped[float | None] = mapped_column(sa.Float)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class PromptVersionRow(Base):
    __tablename__ = "prompt_versions"
    __table_args__ = (sa.Index("ix_prompt_versions_name_version", "name", "version"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str | None] = mapped_column(sa.String(64), _run_fk(), index=True)
    iteration_id: Mapped[str | None] = mapped_column(sa.String(64), _iteration_fk(), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    version: Mapped[int] = mapped_column(sa.Integer)
    template: Mapped[str] = mapped_column(sa.Text)
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class LLMCallRow(Base):
    __tablename__ = "llm_calls"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str | None] = mapped_column(sa.String(64), _run_fk(), index=True)
    iteration_id: Mapped[str | None] = mapped_column(sa.String(64), _iteration_fk(), index=True)
    provider: Mapped[str] = mapped_column(sa.String(50))
    model: Mapped[str] = mapped_column(sa.String(200))
    purpose: Mapped[str] = mapped_column(sa.String(100))
    prompt_name: Mapped[str | None] = mapped_column(sa.String(200))
    prompt_version: Mapped[int | None] = mapped_column(sa.Integer)
    request_hash: Mapped[str] = mapped_column(sa.String(128), index=True)
    request: Mapped[dict[str, Any]] = mapped_column(JSONType)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(sa.Text)
    latency_ms: Mapped[float] = mapped_column(sa.Float)
    prompt_tokens: Mapped[int] = mapped_column(sa.Integer)
    completion_tokens: Mapped[int] = mapped_column(sa.Integer)
    cost_usd: Mapped[float | None] = mapped_column(sa.Float)
    cached: Mapped[bool] = mapped_column(sa.Boolean)
    attempt: Mapped[int] = mapped_column(sa.Integer)
    repairs: Mapped[list[str]] = mapped_column(JSONType, server_default=sa.text("'[]'"))
    fallback: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class CalibrationRow(Base):
    """One `vantage calibrate`: the loop on null versions of a data set (and a run's p-value)."""

    __tablename__ = "calibrations"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    run_id: Mapped[str | None] = mapped_column(sa.String(64), _run_fk(), index=True)
    theme: Mapped[str] = mapped_column(sa.String(200))
    data_fingerprint: Mapped[str] = mapped_column(sa.String(128))
    nulls: Mapped[int] = mapped_column(sa.Integer)
    discoveries: Mapped[int] = mapped_column(sa.Integer)
    false_discovery_rate: Mapped[float] = mapped_column(sa.Float)
    real_score: Mapped[float | None] = mapped_column(sa.Float)
    p_value: Mapped[float | None] = mapped_column(sa.Float)
    null_runs: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(Timestamp)

"""Conversions between pydantic records and table rows, both ways."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from vantageadapt.models import LLMCall, MarketContext
from vantageadapt.store.records import (
    IterationRecord,
    PatchRecord,
    PerformanceRecord,
    PromptVersionRecord,
    RunRecord,
    StrategyRecord,
)
from vantageadapt.store.schema import (
    IterationRow,
    LLMCallRow,
    MarketContextRow,
    PatchRow,
    PerformanceRow,
    PromptVersionRow,
    RunRow,
    StrategyRow,
    utcnow,
)

_PERFORMANCE_FIELDS = tuple(PerformanceRecord.model_fields)


def run_row(run: RunRecord) -> RunRow:
    """A new `runs` row."""
    data = run.model_dump(mode="json", exclude={"started_at", "finished_at"})
    return RunRow(**data, started_at=run.started_at, finished_at=run.finished_at)


def run_record(row: RunRow) -> RunRecord:
    """A stored run as its record."""
    return RunRecord.model_validate({name: getattr(row, name) for name in RunRecord.model_fields})


def iteration_row(run_id: str, iteration_id: str, item: IterationRecord) -> IterationRow:
    """A new `iterations` row (its children are built separately)."""
    return IterationRow(
        id=iteration_id,
        run_id=run_id,
        number=item.index,
        regime=item.regime.value,
        score=item.score,
        validation_score=item.validation_score,
        unmet=list(item.unmet),
        optimization=item.model_dump(mode="json", include={"optimization"})["optimization"],
        timings=dict(item.timings),
        created_at=item.created_at,
    )


def context_row(iteration_id: str, context: MarketContext) -> MarketContextRow:
    """A new `market_contexts` row: the searchable numbers plus the whole read as JSON."""
    return MarketContextRow(
        iteration_id=iteration_id,
        regime=context.regime.value,
        confidence=context.confidence,
        volatility_level=context.volatility_level,
        trend_strength=context.trend_strength,
        risk_level=context.risk_level,
        context=context.model_dump(mode="json"),
    )


def strategy_row(run_id: str, iteration_id: str | None, item: StrategyRecord) -> StrategyRow:
    """A new `strategies` row."""
    return StrategyRow(
        run_id=run_id,
        iteration_id=iteration_id,
        theme=item.theme,
        regime=item.regime.value,
        entry=list(item.conditions.entry),
        exit=list(item.conditions.exit),
        parameters=dict(item.parameters),
        insight=item.insight.model_dump(mode="json") if item.insight else None,
        rationale=item.insight.rationale if item.insight else "",
        created_at=item.created_at,
    )


def performance_rows(strategy_id: int, items: Iterable[PerformanceRecord]) -> list[PerformanceRow]:
    """New `performance` rows for one strategy."""
    return [PerformanceRow(strategy_id=strategy_id, **item.model_dump()) for item in items]


def strategy_record(
    row: StrategyRow, performance: Iterable[PerformanceRow], iteration: int | None
) -> StrategyRecord:
    """A stored strategy with its performance rows."""
    return StrategyRecord(
        id=row.id,
        run_id=row.run_id,
        iteration=iteration,
        theme=row.theme,
        regime=row.regime,
        conditions={"entry": row.entry, "exit": row.exit},
        parameters=row.parameters,
        insight=row.insight,
        performance=[
            PerformanceRecord.model_validate({k: getattr(p, k) for k in _PERFORMANCE_FIELDS})
            for p in performance
        ],
        created_at=row.created_at,
    )


def patch_row(run_id: str, iteration_id: str | None, item: PatchRecord) -> PatchRow:
    """A new `patches` row."""
    data = item.model_dump(exclude={"run_id", "iteration", "created_at"})
    return PatchRow(**data, run_id=run_id, iteration_id=iteration_id, created_at=item.created_at)


def patch_record(row: PatchRow, iteration: int | None) -> PatchRecord:
    """A stored patch."""
    fields = set(PatchRecord.model_fields) - {"iteration"}
    return PatchRecord.model_validate(
        {**{name: getattr(row, name) for name in fields}, "iteration": iteration}
    )


def prompt_row(
    run_id: str | None, iteration_id: str | None, item: PromptVersionRecord
) -> PromptVersionRow:
    """A new `prompt_versions` row."""
    return PromptVersionRow(**item.model_dump(), run_id=run_id, iteration_id=iteration_id)


def prompt_record(row: PromptVersionRow) -> PromptVersionRecord:
    """A stored prompt version."""
    return PromptVersionRecord.model_validate(
        {name: getattr(row, name) for name in PromptVersionRecord.model_fields}
    )


def llm_call_row(run_id: str | None, iteration_id: str | None, call: LLMCall) -> LLMCallRow:
    """A new `llm_calls` row (the ledger never holds keys, so nothing to scrub here)."""
    return LLMCallRow(
        **call.model_dump(mode="json"),
        run_id=run_id,
        iteration_id=iteration_id,
        created_at=utcnow(),
    )


def llm_call_record(row: LLMCallRow) -> LLMCall:
    """A stored strategist call."""
    return LLMCall.model_validate({name: getattr(row, name) for name in LLMCall.model_fields})


def iteration_record(
    row: IterationRow,
    *,
    context: MarketContextRow | None,
    strategy: StrategyRecord,
    patches: list[PatchRecord],
    prompts: list[PromptVersionRecord],
    calls: list[LLMCall],
) -> IterationRecord:
    """A stored iteration with everything saved with it."""
    values: dict[str, Any] = {
        "id": row.id,
        "index": row.number,
        "regime": row.regime,
        "market_context": context.context if context else None,
        "strategy": strategy,
        "score": row.score,
        "validation_score": row.validation_score,
        "unmet": row.unmet,
        "optimization": row.optimization,
        "patches": patches,
        "prompt_versions": prompts,
        "llm_calls": calls,
        "timings": row.timings,
        "created_at": row.created_at,
    }
    return IterationRecord.model_validate(values)

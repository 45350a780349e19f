"""Read queries: runs, iterations (for resume), strategies (for the CLI and report), patches."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from vantageadapt.models import LLMCall
from vantageadapt.store import rows
from vantageadapt.store.records import (
    IterationRecord,
    PatchRecord,
    RunRecord,
    StrategyRecord,
    StrategySummary,
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
)


async def get_run(session: AsyncSession, run_id: str) -> RunRecord | None:
    """One run, or None."""
    row = await session.get(RunRow, run_id)
    return rows.run_record(row) if row else None


async def _by_iteration(session: AsyncSession, table: Any, ids: list[str]) -> dict[str, list]:
    grouped: dict[str, list] = defaultdict(list)
    if ids:
        result = await session.scalars(
            select(table).where(table.iteration_id.in_(ids)).order_by(table.id)
        )
        for row in result:
            grouped[row.iteration_id].append(row)
    return grouped


async def _performance(session: AsyncSession, strategy_ids: list[int]) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    if strategy_ids:
        result = await session.scalars(
            select(PerformanceRow)
            .where(PerformanceRow.strategy_id.in_(strategy_ids))
            .order_by(PerformanceRow.id)
        )
        for row in result:
            grouped[row.strategy_id].append(row)
    return grouped


async def list_unattached_calls(session: AsyncSession, run_id: str) -> list[LLMCall]:
    """A run's strategist calls that no saved iteration holds, in order."""
    result = await session.scalars(
        select(LLMCallRow)
        .where(LLMCallRow.run_id == run_id, LLMCallRow.iteration_id.is_(None))
        .order_by(LLMCallRow.id)
    )
    return [rows.llm_call_record(row) for row in result]


async def list_iterations(session: AsyncSession, run_id: str) -> list[IterationRecord]:
    """Every saved iteration of a run, in order, with all it saved."""
    iterations = list(
        await session.scalars(
            select(IterationRow).where(IterationRow.run_id == run_id).order_by(IterationRow.number)
        )
    )
    ids = [row.id for row in iterations]
    strategies = await _by_iteration(session, StrategyRow, ids)
    contexts = await _by_iteration(session, MarketContextRow, ids)
    patches = await _by_iteration(session, PatchRow, ids)
    prompts = await _by_iteration(session, PromptVersionRow, ids)
    calls = await _by_iteration(session, LLMCallRow, ids)
    performance = await _performance(
        session, [s.id for group in strategies.values() for s in group]
    )
    records = []
    for row in iterations:
        strategy = strategies[row.id][0]
        records.append(
            rows.iteration_record(
                row,
                context=(contexts.get(row.id) or [None])[0],
                strategy=rows.strategy_record(strategy, performance[strategy.id], row.number),
                patches=[rows.patch_record(p, row.number) for p in patches[row.id]],
                prompts=[rows.prompt_record(p) for p in prompts[row.id]],
                calls=[rows.llm_call_record(c) for c in calls[row.id]],
            )
        )
    return records


async def list_strategies(
    session: AsyncSession,
    *,
    theme: str | None = None,
    regime: str | None = None,
    min_sortino: float | None = None,
    limit: int = 100,
) -> list[StrategySummary]:
    """Stored strategies, best validation sortino first; filters combine with AND.

    `theme` matches case-insensitively anywhere in the theme; `min_sortino` applies to the
    out-of-sample (validation) aggregate sortino ratio.
    """
    ins = aliased(PerformanceRow)
    oos = aliased(PerformanceRow)

    def _join(alias: Any, window: str) -> Any:
        return and_(
            alias.strategy_id == StrategyRow.id, alias.window == window, alias.asset.is_(None)
        )

    stmt = (
        select(
            StrategyRow,
            IterationRow.number,
            ins.sortino_ratio,
            oos.sortino_ratio,
            oos.total_return,
            oos.total_trades,
        )
        .outerjoin(IterationRow, IterationRow.id == StrategyRow.iteration_id)
        .outerjoin(ins, _join(ins, "in_sample"))
        .outerjoin(oos, _join(oos, "out_of_sample"))
    )
    if theme:
        stmt = stmt.where(func.lower(StrategyRow.theme).contains(theme.lower(), autoescape=True))
    if regime:
        stmt = stmt.where(StrategyRow.regime == regime)
    if min_sortino is not None:
        stmt = stmt.where(oos.sortino_ratio >= min_sortino)
    stmt = stmt.order_by(
        oos.sortino_ratio.is_(None), oos.sortino_ratio.desc(), StrategyRow.id.desc()
    ).limit(limit)
    result = await session.execute(stmt)
    return [
        StrategySummary(
            id=row.id,
            run_id=row.run_id,
            iteration=number,
            theme=row.theme,
            regime=row.regime,
            entry=row.entry,
            exit=row.exit,
            in_sample_sortino=in_sortino,
            out_of_sample_sortino=out_sortino,
            out_of_sample_return=out_return,
            out_of_sample_trades=out_trades,
            created_at=row.created_at,
        )
        for row, number, in_sortino, out_sortino, out_return, out_trades in result
    ]


async def get_strategy(session: AsyncSession, strategy_id: int) -> StrategyRecord | None:
    """One strategy with all its performance rows, or None."""
    row = await session.get(StrategyRow, strategy_id)
    if row is None:
        return None
    number = None
    if row.iteration_id is not None:
        number = await session.scalar(
            select(IterationRow.number).where(IterationRow.id == row.iteration_id)
        )
    performance = await _performance(session, [row.id])
    return rows.strategy_record(row, performance[row.id], number)


async def list_patches(
    session: AsyncSession, *, run_id: str | None = None, status: str | None = None
) -> list[PatchRecord]:
    """Patches in the order they were made, optionally of one run or one status."""
    stmt = select(PatchRow, IterationRow.number).outerjoin(
        IterationRow, IterationRow.id == PatchRow.iteration_id
    )
    if run_id is not None:
        stmt = stmt.where(PatchRow.run_id == run_id)
    if status is not None:
        stmt = stmt.where(PatchRow.status == status)
    result = await session.execute(stmt.order_by(PatchRow.created_at, PatchRow.id))
    return [rows.patch_record(row, number) for row, number in result]


async def get_patch(session: AsyncSession, patch_id: str) -> PatchRecord | None:
    """One patch, or None."""
    result = await session.execute(
        select(PatchRow, IterationRow.number)
        .outerjoin(IterationRow, IterationRow.id == PatchRow.iteration_id)
        .where(PatchRow.id == patch_id)
    )
    found = result.first()
    return rows.patch_record(found[0], found[1]) if found else None


async def strategy_id_of(session: AsyncSession, run_id: str, index: int | None) -> int | None:
    """The id of the strategy saved with iteration `index` of a run, if any."""
    if index is None:
        return None
    return await session.scalar(
        select(StrategyRow.id)
        .join(IterationRow, IterationRow.id == StrategyRow.iteration_id)
        .where(IterationRow.run_id == run_id, IterationRow.number == index)
    )

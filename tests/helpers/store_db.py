"""The store's extra reads and single-row writes, which only tests need.

`DatabaseConnection` keeps the API the pipeline and the commands use; tests that save one
strategy, patch or prompt on its own, or read runs and iterations back, use this subclass.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from vantageadapt.models import LLMCall
from vantageadapt.store import (
    DatabaseConnection,
    IterationRecord,
    PatchRecord,
    PerformanceRecord,
    PromptVersionRecord,
    RunRecord,
    StrategyRecord,
    queries,
    rows,
)
from vantageadapt.store.schema import IterationRow, LLMCallRow, RunRow


class DatabaseForTests(DatabaseConnection):
    """`DatabaseConnection` plus the test-only methods; each call is one transaction."""

    async def save_strategy(
        self, run_id: str, item: StrategyRecord, *, iteration_id: str | None = None
    ) -> int:
        """Store a strategy (and its performance rows) on its own; returns its id."""
        async with self._transaction(f"saving a strategy of run {run_id}") as session:
            return await self._add_strategy(session, run_id, iteration_id, item)

    async def save_performance(self, strategy_id: int, items: Sequence[PerformanceRecord]) -> None:
        """Add performance rows to a stored strategy."""
        async with self._transaction(f"saving performance of strategy {strategy_id}") as session:
            session.add_all(rows.performance_rows(strategy_id, items))

    async def save_patch(
        self, run_id: str, item: PatchRecord, *, iteration_id: str | None = None
    ) -> str:
        """Store one patch (kept or rejected); returns its id."""
        async with self._transaction(f"saving patch {item.id}") as session:
            session.add(rows.patch_row(run_id, iteration_id, item))
        return item.id

    async def save_prompt_version(
        self,
        item: PromptVersionRecord,
        *,
        run_id: str | None = None,
        iteration_id: str | None = None,
    ) -> int:
        """Store one prompt version; returns its row id."""
        async with self._transaction(f"saving prompt {item.name} v{item.version}") as session:
            row = rows.prompt_row(run_id, iteration_id, item)
            session.add(row)
            await session.flush()
            return row.id

    async def save_llm_call(
        self, call: LLMCall, *, run_id: str | None = None, iteration_id: str | None = None
    ) -> int:
        """Store one strategist call; returns its row id."""
        async with self._transaction("saving a strategist call") as session:
            row = rows.llm_call_row(run_id, iteration_id, call)
            session.add(row)
            await session.flush()
            return row.id

    async def list_runs(self, *, limit: int = 50) -> list[RunRecord]:
        """The newest runs first."""
        async with self._transaction("listing runs") as session:
            found = await session.scalars(
                select(RunRow).order_by(RunRow.started_at.desc(), RunRow.id).limit(limit)
            )
            return [rows.run_record(row) for row in found]

    async def last_iteration(self, run_id: str) -> int:
        """The index of the run's last saved iteration (0 when none)."""
        async with self._transaction(f"reading run {run_id}") as session:
            value = await session.scalar(
                select(func.max(IterationRow.number)).where(IterationRow.run_id == run_id)
            )
            return int(value or 0)

    async def list_iterations(self, run_id: str) -> list[IterationRecord]:
        """Every saved iteration of a run, in order, with everything saved with it."""
        return await self._read(f"reading run {run_id}", queries.list_iterations, run_id)

    async def llm_calls(self, run_id: str) -> list[LLMCall]:
        """Every strategist call saved with a run, oldest first."""
        async with self._transaction(f"reading run {run_id}") as session:
            found = await session.scalars(
                select(LLMCallRow).where(LLMCallRow.run_id == run_id).order_by(LLMCallRow.id)
            )
            return [rows.llm_call_record(row) for row in found]

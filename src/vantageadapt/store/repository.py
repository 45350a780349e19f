"""`DatabaseConnection`: the store's async API; each save is one transaction."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from vantageadapt.errors import ConfigError, StoreError, VantageError
from vantageadapt.models import LLMCall, Metrics
from vantageadapt.results import best_iteration
from vantageadapt.store import calibrations, queries, rows
from vantageadapt.store.calibrations import CalibrationRecord
from vantageadapt.store.engine import create_engine
from vantageadapt.store.migrate import ensure_schema
from vantageadapt.store.records import (
    IterationRecord,
    PatchRecord,
    PerformanceRecord,
    ResumeState,
    RunRecord,
    RunStatus,
    StrategyRecord,
    StrategySummary,
    new_id,
)
from vantageadapt.store.schema import PerformanceRow, RunRow, utcnow
from vantageadapt.store.url import mask_url, resolve_database_url, store_error

logger = logging.getLogger(__name__)

# What an unreachable or refusing database raises (asyncpg's own errors arrive wrapped or raw).
_OUTSIDE_ERRORS: tuple[type[BaseException], ...] = (SQLAlchemyError, OSError, TimeoutError)
try:
    import asyncpg

    _OUTSIDE_ERRORS += (asyncpg.PostgresError, asyncpg.InterfaceError)
except ImportError:  # asyncpg is a dependency; only a broken install lacks it
    pass

_ROLLED_BACK = "nothing of it was saved"


class DatabaseConnection:
    """The store: an async engine on `url` (default from `resolve_database_url`) and the
    repository API. Use as `async with DatabaseConnection(url) as db:`; a fresh database is
    upgraded to the newest schema on first use."""

    def __init__(self, url: str | None = None, *, upgrade: bool = True) -> None:
        self.url = resolve_database_url(url)
        self._upgrade = upgrade
        self._engine: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None

    async def __aenter__(self) -> DatabaseConnection:
        await self.connect()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def engine(self) -> AsyncEngine:
        """The open engine (after `connect`)."""
        if self._engine is None:
            raise StoreError("the database connection is not open; use `async with` or connect()")
        return self._engine

    async def connect(self) -> None:
        """Open the engine, check the server answers, and upgrade the schema if behind."""
        if self._engine is not None:
            return
        engine = create_engine(self.url)
        try:
            if self._upgrade:
                if await ensure_schema(engine):
                    logger.info("database %s upgraded to the newest schema", mask_url(self.url))
            else:
                async with engine.connect():
                    pass
        except VantageError:
            await engine.dispose()
            raise
        except _OUTSIDE_ERRORS as exc:
            await engine.dispose()
            raise store_error("connect", self.url, exc) from exc
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def close(self) -> None:
        """Close every pooled connection."""
        if self._engine is not None:
            await self._engine.dispose()
        self._engine = None
        self._sessions = None

    @asynccontextmanager
    async def _transaction(self, action: str) -> AsyncIterator[AsyncSession]:
        if self._sessions is None:
            await self.connect()
        assert self._sessions is not None
        try:
            async with self._sessions() as session, session.begin():
                yield session
        except IntegrityError as exc:
            raise store_error(action, self.url, exc, hint=_ROLLED_BACK) from exc
        except _OUTSIDE_ERRORS as exc:
            raise store_error(action, self.url, exc) from exc

    # ----- writes -------------------------------------------------------------------------

    async def save_run(self, run: RunRecord) -> str:
        """Store a new run; returns its id."""
        async with self._transaction(f"saving run {run.id}") as session:
            session.add(rows.run_row(run))
        return run.id

    async def finish_run(
        self,
        run_id: str,
        *,
        status: RunStatus = "finished",
        met: bool | None = None,
        best_iteration: int | None = None,
        unmet: Sequence[str] = (),
        test_metrics: Metrics | Mapping[str, float] | None = None,
        test_per_asset: Mapping[str, Metrics | Mapping[str, float]] | None = None,
        test_fingerprint: str | None = None,
        message: str = "",
        llm_calls: Sequence[LLMCall] = (),
    ) -> None:
        """Record how a run ended; sealed-test metrics join the best iteration's strategy.

        `llm_calls` are strategist calls no saved iteration holds (the iteration in flight when
        the run failed or stopped); they are stored with the run, in the same transaction.
        """
        async with self._transaction(f"finishing run {run_id}") as session:
            run = await session.get(RunRow, run_id, with_for_update=True)
            if run is None:
                raise ConfigError(f"run {run_id} not found; pass an id `vantage run` printed")
            session.add_all(rows.llm_call_row(run_id, None, call) for call in llm_calls)
            run.status = status
            run.met = met
            run.best_iteration = best_iteration
            run.unmet = list(unmet)
            run.message = message
            run.finished_at = utcnow()
            if test_fingerprint is not None:
                run.test_fingerprint = test_fingerprint
            if test_metrics is not None:
                aggregate = PerformanceRecord.from_metrics("test", test_metrics)
                run.test_metrics = aggregate.metrics()
                records = [aggregate] + [
                    PerformanceRecord.from_metrics("test", values, asset=asset)
                    for asset, values in (test_per_asset or {}).items()
                ]
                strategy_id = await queries.strategy_id_of(session, run_id, best_iteration)
                if strategy_id is not None:
                    # A resumed run finishes again: its new test rows replace the old ones.
                    await session.execute(
                        delete(PerformanceRow).where(
                            PerformanceRow.strategy_id == strategy_id,
                            PerformanceRow.window == "test",
                        )
                    )
                    session.add_all(rows.performance_rows(strategy_id, records))

    async def save_iteration(self, run_id: str, item: IterationRecord) -> str:
        """Store one iteration and all it learned in ONE transaction; returns its id."""
        iteration_id = item.id or new_id()
        async with self._transaction(f"saving iteration {item.index} of run {run_id}") as session:
            session.add(rows.iteration_row(run_id, iteration_id, item))
            # Parents are flushed first so children can point at their generated ids.
            await session.flush()
            if item.market_context is not None:
                session.add(rows.context_row(iteration_id, item.market_context))
            await self._add_strategy(session, run_id, iteration_id, item.strategy)
            session.add_all(rows.patch_row(run_id, iteration_id, p) for p in item.patches)
            session.add_all(rows.prompt_row(run_id, iteration_id, p) for p in item.prompt_versions)
            session.add_all(rows.llm_call_row(run_id, iteration_id, c) for c in item.llm_calls)
        return iteration_id

    async def _add_strategy(
        self, session: AsyncSession, run_id: str, iteration_id: str | None, item: StrategyRecord
    ) -> int:
        row = rows.strategy_row(run_id, iteration_id, item)
        session.add(row)
        await session.flush()
        session.add_all(rows.performance_rows(row.id, item.performance))
        return row.id

    # ----- reads --------------------------------------------------------------------------

    async def save_calibration(self, record: CalibrationRecord) -> str:
        """Store a `vantage calibrate` result."""
        async with self._transaction(f"saving calibration {record.id}") as session:
            await calibrations.add(session, record)
        return record.id

    async def latest_calibration(self, run_id: str) -> CalibrationRecord | None:
        """The newest calibration that measured this run's p-value, or None."""
        action = f"reading calibrations of run {run_id}"
        return await self._read(action, calibrations.latest_for_run, run_id)

    async def _read(self, action: str, query: Any, *args: Any, **kwargs: Any) -> Any:
        async with self._transaction(action) as session:
            return await query(session, *args, **kwargs)

    async def get_run(self, run_id: str) -> RunRecord | None:
        """One run, or None."""
        return await self._read(f"reading run {run_id}", queries.get_run, run_id)

    async def list_strategies(
        self,
        *,
        theme: str | None = None,
        regime: str | None = None,
        min_sortino: float | None = None,
        limit: int = 100,
    ) -> list[StrategySummary]:
        """Stored strategies, best validation sortino first (see queries.list_strategies)."""
        return await self._read(
            "listing strategies",
            queries.list_strategies,
            theme=theme,
            regime=regime,
            min_sortino=min_sortino,
            limit=limit,
        )

    async def get_strategy(self, strategy_id: int) -> StrategyRecord | None:
        """One strategy with its performance rows, or None."""
        return await self._read(
            f"reading strategy {strategy_id}", queries.get_strategy, strategy_id
        )

    async def list_patches(
        self, *, run_id: str | None = None, status: str | None = None
    ) -> list[PatchRecord]:
        """Patches in the order they were made."""
        return await self._read(
            "listing patches", queries.list_patches, run_id=run_id, status=status
        )

    async def get_patch(self, patch_id: str) -> PatchRecord | None:
        """One patch, or None."""
        return await self._read(f"reading patch {patch_id}", queries.get_patch, patch_id)

    async def resume_state(self, run_id: str) -> ResumeState:
        """What the pipeline needs to carry on a cut-off run (or rebuild a finished one's
        report): the run, its iterations with all they saved, the best so far, its patches."""
        async with self._transaction(f"reading run {run_id}") as session:
            run = await queries.get_run(session, run_id)
            if run is None:
                raise ConfigError(
                    f"run {run_id} not found in {mask_url(self.url)}; pass an id `vantage run` "
                    "printed, with the same --db"
                )
            iterations = await queries.list_iterations(session, run_id)
            patches = await queries.list_patches(session, run_id=run_id)
            unattached = await queries.list_unattached_calls(session, run_id)
        return ResumeState(
            run=run,
            iterations=iterations,
            best=best_iteration(iterations),
            patches=patches,
            unattached_calls=unattached,
        )

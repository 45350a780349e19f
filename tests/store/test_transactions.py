"""Each iteration is one transaction: a failure part-way leaves none of its rows."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, func, select

from helpers.store_db import DatabaseForTests
from vantageadapt.errors import StoreError
from vantageadapt.store import DatabaseConnection
from vantageadapt.store.schema import Base

from .builders import iteration_record, run_record


async def _counts(db: DatabaseConnection) -> dict[str, int]:
    async with db.engine.connect() as conn:
        return {
            name: (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            for name, table in Base.metadata.tables.items()
        }


async def test_failure_mid_iteration_leaves_no_rows(db_url):
    async with DatabaseForTests(db_url) as db:
        run = run_record()
        await db.save_run(run)
        await db.save_iteration(run.id, iteration_record(1, patch_ids=("same-id",)))
        before = await _counts(db)
        # Iteration 2's rows (iteration, context, strategy, performance) are flushed before its
        # patch collides with iteration 1's: the whole iteration must roll back.
        with pytest.raises(StoreError, match=r"iteration 2 .*nothing of it was saved"):
            await db.save_iteration(run.id, iteration_record(2, patch_ids=("new", "same-id")))
        assert await _counts(db) == before
        assert await db.last_iteration(run.id) == 1
        # The run carries on: iteration 2 saves once the fault is gone.
        await db.save_iteration(run.id, iteration_record(2, patch_ids=("other",)))
        assert await db.last_iteration(run.id) == 2


async def test_duplicate_iteration_index_is_refused(db_url):
    async with DatabaseConnection(db_url) as db:
        run = run_record()
        await db.save_run(run)
        await db.save_iteration(run.id, iteration_record(1))
        before = await _counts(db)
        with pytest.raises(StoreError, match="saving iteration 1 of run"):
            await db.save_iteration(run.id, iteration_record(1))
        assert await _counts(db) == before


async def test_iteration_of_unknown_run_is_refused(db_url):
    async with DatabaseConnection(db_url) as db:
        with pytest.raises(StoreError):
            await db.save_iteration("no-such-run", iteration_record(1))
        assert sum((await _counts(db)).values()) == 0


async def test_cancelled_save_leaves_no_rows(db_url):
    async with DatabaseForTests(db_url) as db:
        run = run_record()
        await db.save_run(run)
        before = await _counts(db)
        seen: list[str] = []

        def watch(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        event.listen(db.engine.sync_engine, "before_cursor_execute", watch)
        task = asyncio.create_task(db.save_iteration(run.id, iteration_record(1)))
        # Cut the save off once it has written the iteration's performance rows, before commit.
        while not any(s.startswith("INSERT INTO performance") for s in seen):
            assert not task.done()
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        event.remove(db.engine.sync_engine, "before_cursor_execute", watch)
        assert await _counts(db) == before
        assert await db.last_iteration(run.id) == 0

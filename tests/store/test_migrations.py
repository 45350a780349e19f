"""The packaged migrations build exactly the models' schema, and go down and up again."""

from __future__ import annotations

import itertools

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from helpers.store_db import DatabaseForTests
from vantageadapt.store import DatabaseConnection
from vantageadapt.store.migrate import current_revision, head_revision, history, migrate
from vantageadapt.store.schema import Base

from .builders import iteration_record, run_record

TABLES = {
    "runs",
    "iterations",
    "market_contexts",
    "strategies",
    "performance",
    "patches",
    "prompt_versions",
    "llm_calls",
    "calibrations",
}


def _diff(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


def _tables(connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_autogenerate_finds_no_difference(db_url):
    async with DatabaseConnection(db_url) as db, db.engine.connect() as conn:
        diff = await conn.run_sync(_diff)
        tables = await conn.run_sync(_tables)
    assert diff == []
    assert tables == TABLES | {"alembic_version"}


async def test_downgrade_to_base_and_upgrade_again(db_url):
    async with DatabaseForTests(db_url) as db:
        run = run_record()
        await db.save_run(run)
        await db.save_iteration(run.id, iteration_record(1))
        assert await current_revision(db.engine) == head_revision()

        await migrate(db.engine, "downgrade", "base")
        assert await current_revision(db.engine) is None
        async with db.engine.connect() as conn:
            assert await conn.run_sync(_tables) <= {"alembic_version"}

        await migrate(db.engine, "upgrade", "head")
        assert await current_revision(db.engine) == head_revision()
        assert await db.list_runs() == []
        await db.save_run(run)
        await db.save_iteration(run.id, iteration_record(1))
        assert await db.last_iteration(run.id) == 1


async def test_fresh_database_is_upgraded_once(sqlite_url):
    async with DatabaseConnection(sqlite_url) as db:
        assert await current_revision(db.engine) == head_revision()
    # A second open finds it current and changes nothing.
    async with DatabaseConnection(sqlite_url) as db:
        assert await current_revision(db.engine) == head_revision()


def test_history_is_one_linear_chain():
    revisions = history()
    assert revisions[0].is_head and revisions[0].revision == head_revision()
    assert revisions[-1].down_revision is None
    for newer, older in itertools.pairwise(revisions):
        assert newer.down_revision == older.revision

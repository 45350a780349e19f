"""Alembic environment: runs on a connection handed over by the store, or its own async engine."""

from __future__ import annotations

import asyncio

from alembic import context

from vantageadapt.store.engine import create_engine
from vantageadapt.store.schema import Base
from vantageadapt.store.url import resolve_database_url

config = context.config
target_metadata = Base.metadata


def run_migrations(connection) -> None:  # connection: sqlalchemy.engine.Connection
    """Configure Alembic on a sync connection and run the migrations."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite alters tables by copying them; batch mode does that.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine() -> None:
    engine = create_engine(resolve_database_url(config.get_main_option("sqlalchemy.url")))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(run_migrations)
    finally:
        await engine.dispose()


_connection = config.attributes.get("connection")
if _connection is not None:
    # The store passes its connection (inside a running event loop): no asyncio.run here.
    run_migrations(_connection)
else:
    # The plain `alembic` command line, e.g. for writing a new migration.
    asyncio.run(_run_with_own_engine())

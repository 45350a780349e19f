"""Alembic, run programmatically on the async engine's connection: upgrade, downgrade, status."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from vantageadapt.errors import ConfigError, StoreError

_HERE = Path(__file__).resolve().parent
# Any constant works; it only has to be the same for every process migrating one database.
_PG_LOCK_KEY = 7_364_221


@dataclass(frozen=True)
class Revision:
    """One migration script."""

    revision: str
    down_revision: str | None
    message: str
    is_head: bool


def alembic_config() -> Config:
    """The packaged alembic.ini, with its script folder resolved inside the package."""
    config = Config(str(_HERE / "alembic.ini"))
    config.set_main_option("script_location", str(_HERE / "migrations"))
    return config


def head_revision() -> str:
    """The newest migration this package ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the packaged migrations have no head"
    return head


def history() -> list[Revision]:
    """All migrations, newest first."""
    script = ScriptDirectory.from_config(alembic_config())
    heads = set(script.get_heads())
    return [
        Revision(
            revision=item.revision,
            down_revision=item.down_revision if isinstance(item.down_revision, str) else None,
            message=item.doc or "",
            is_head=item.revision in heads,
        )
        for item in script.walk_revisions()
    ]


def _current_sync(connection: Any) -> str | None:
    heads = MigrationContext.configure(connection).get_current_heads()
    return heads[0] if heads else None


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None for a fresh database)."""
    async with engine.connect() as conn:
        return await conn.run_sync(_current_sync)


def _command_sync(connection: Any, name: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    try:
        getattr(command, name)(config, revision)
    except CommandError as exc:
        # Alembic's command errors are about the revision asked for: the user's input.
        raise ConfigError(
            f"cannot {name} to revision {revision!r}: {exc}; see `vantage db history`"
        ) from exc


@contextlib.asynccontextmanager
async def _file_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    # SQLite files: processes migrating the same file take turns via a lock file beside it.
    # flock blocks, so it waits in a thread: other tasks of this loop may hold the lock.
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or database in (None, "", ":memory:"):
        yield
        return
    with open(f"{database}.migrate-lock", "a+b") as handle:
        await asyncio.to_thread(fcntl.flock, handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


async def _lock_postgres(conn: AsyncConnection) -> None:
    if conn.dialect.name == "postgresql":
        from sqlalchemy import text

        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


async def migrate(engine: AsyncEngine, name: str, revision: str) -> None:
    """Run `upgrade` or `downgrade` to `revision`, one process at a time per database."""
    async with _file_lock(engine), engine.begin() as conn:
        await _lock_postgres(conn)
        await conn.run_sync(_command_sync, name, revision)


async def ensure_schema(engine: AsyncEngine) -> bool:
    """Upgrade a fresh or older database to head; True when it migrated anything."""
    head = head_revision()
    current = await current_revision(engine)
    if current == head:
        return False
    known = {item.revision for item in history()}
    if current is not None and current not in known:
        raise StoreError(
            f"database schema is at revision {current!r}, which this vantageadapt does not know "
            "(it is newer); upgrade vantageadapt or use another --db"
        )
    await migrate(engine, "upgrade", "head")
    return True

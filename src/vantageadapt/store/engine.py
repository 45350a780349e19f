"""Async engines for SQLite (aiosqlite) and PostgreSQL (asyncpg), tuned for this store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from vantageadapt.errors import ConfigError
from vantageadapt.outputs import check_output_path
from vantageadapt.store.url import mask_url, normalize_url

CONNECT_TIMEOUT_S = 5.0
SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers run beside one writer;
    # busy_timeout makes concurrent writers wait instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _check_sqlite_path(url: str, path: Path) -> None:
    # Checked here, not left to sqlite: a clearer message, and aiosqlite prints a worker
    # thread's traceback when its connect fails. A path that cannot hold the file is bad
    # input (exit 2), not an outside service failing.
    if not path.parent.is_dir():
        raise ConfigError(
            f"database {mask_url(url)}: folder {path.parent} does not exist; create it or "
            "point --db / VANTAGE_DATABASE_URL at another file"
        )
    if path.is_dir():
        raise ConfigError(
            f"database {mask_url(url)}: {path} is a folder; give a file path such as "
            f"sqlite+aiosqlite:///{path / 'vantage.db'}"
        )
    try:
        check_output_path(path, flag="database")
    except ConfigError as exc:
        raise ConfigError(f"{exc}; point --db / VANTAGE_DATABASE_URL at another file") from None


def create_engine(url: str) -> AsyncEngine:
    """An async engine for the URL (switched to an async driver); StoreError when unusable."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        options: dict[str, Any] = {}
        if parsed.database in (None, "", ":memory:"):
            # An in-memory SQLite database lives in one connection: share it.
            options["poolclass"] = StaticPool
        else:
            _check_sqlite_path(url, Path(parsed.database))
        engine = create_async_engine(parsed, **options)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        parsed,
        pool_size=5,
        max_overflow=5,
        # A run holds its pool for hours: a connection the server dropped meanwhile (restart,
        # idle timeout) is replaced on checkout instead of failing the next save.
        pool_pre_ping=True,
        connect_args={
            "timeout": CONNECT_TIMEOUT_S,
            "server_settings": {"application_name": "vantageadapt"},
        },
    )

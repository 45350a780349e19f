"""A wrong, unreachable or refusing database: one clear StoreError line, password masked."""

from __future__ import annotations

import pytest

from helpers.store_db import DatabaseForTests
from vantageadapt.errors import ConfigError, StoreError
from vantageadapt.store import DatabaseConnection, resolve_database_url

from .pg_server import PASSWORD, USER, PostgresServer, _free_port


async def _connect_error(url: str) -> str:
    with pytest.raises(StoreError) as caught:
        async with DatabaseConnection(url):
            pass
    message = str(caught.value)
    assert "\n" not in message
    assert caught.value.exit_code == 3
    return message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "is not a URL"),
        ("mysql+aiomysql://me:hunter22@db.example/x", "uses driver 'mysql+aiomysql'"),
        ("sqlite+aiosqlite:///no/such/folder/x.db", "folder no/such/folder does not exist"),
    ],
)
async def test_unusable_urls(url, expected):
    with pytest.raises(ConfigError) as caught:  # bad input: exit 2, not a failed service
        async with DatabaseConnection(url):
            pass
    message = str(caught.value)
    assert caught.value.exit_code == 2 and "\n" not in message
    assert expected in message
    assert "hunter22" not in message


async def test_unreachable_server_masks_the_password():
    url = f"postgresql+asyncpg://trader:hunter22@127.0.0.1:{_free_port()}/vantage"
    message = await _connect_error(url)
    assert "hunter22" not in message
    assert "trader:***@127.0.0.1" in message
    assert "connect failed" in message


@pytest.mark.postgres
async def test_bad_credentials(postgres_server: PostgresServer):
    url = postgres_server.url("postgres", password="wrong-pass-42")
    message = await _connect_error(url)
    assert "wrong-pass-42" not in message
    assert f"{USER}:***@" in message
    assert "password authentication failed" in message


@pytest.mark.postgres
async def test_missing_database(postgres_server: PostgresServer):
    message = await _connect_error(postgres_server.url("no_such_db"))
    assert PASSWORD not in message
    assert 'database "no_such_db" does not exist' in message


@pytest.mark.postgres
async def test_plain_postgresql_url_uses_asyncpg(postgres_url):
    plain = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    async with DatabaseForTests(plain) as db:
        assert db.engine.url.drivername == "postgresql+asyncpg"
        assert await db.list_runs() == []


def test_url_resolution_order(monkeypatch, tmp_path):
    monkeypatch.delenv("VANTAGE_DATABASE_URL")
    assert resolve_database_url(None) == "sqlite+aiosqlite:///vantage.db"
    (tmp_path / ".env").write_text("VANTAGE_DATABASE_URL=sqlite+aiosqlite:///from-dotenv.db\n")
    assert resolve_database_url(None) == "sqlite+aiosqlite:///from-dotenv.db"
    monkeypatch.setenv("VANTAGE_DATABASE_URL", "sqlite+aiosqlite:///from-env.db")
    assert resolve_database_url(None) == "sqlite+aiosqlite:///from-env.db"
    assert resolve_database_url("sqlite+aiosqlite:///flag.db") == "sqlite+aiosqlite:///flag.db"


@pytest.mark.postgres
async def test_dropped_connections_are_replaced(postgres_server: PostgresServer, postgres_url):
    from .builders import iteration_record, run_record

    async with DatabaseForTests(postgres_url) as db:
        run = run_record()
        await db.save_run(run)
        postgres_server.terminate_connections(postgres_url.rsplit("/", 1)[1])
        await db.save_iteration(run.id, iteration_record(1))
        assert await db.last_iteration(run.id) == 1

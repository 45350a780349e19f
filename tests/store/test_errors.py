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


async def test_a_raw_at_sign_in_the_password_is_never_shown():
    url = f"postgresql+asyncpg://trader:S3cr@t!p#ss@127.0.0.1:{_free_port()}/vantage"
    message = await _connect_error(url)
    assert "S3cr" not in message and "t!p#ss" not in message
    assert "trader:***@127.0.0.1" in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite+aiosqlite:////proc/vantage.db", "cannot write in /proc"),
        ("sqlite+aiosqlite:////dev/full", "is not a regular file"),
        ("/tmp/vantage.db", "not a URL; for a SQLite file write sqlite+aiosqlite:////tmp"),
        ("mysql://me:S3cr@t!p#ss@db.example/x", "uses driver 'mysql'"),
    ],
)
async def test_unusable_locations_are_bad_input_without_thread_tracebacks(url, expected, capfd):
    with pytest.raises(ConfigError) as caught:
        async with DatabaseConnection(url):
            pass
    assert expected in str(caught.value) and caught.value.exit_code == 2
    assert "t!p#ss" not in str(caught.value)
    assert "Traceback" not in capfd.readouterr().err


def test_log_masking_hides_a_password_with_an_at_sign():
    from vantageadapt.logs import mask_secrets

    masked = mask_secrets("connect to postgresql://u:S3cr@t!p#ss@host/db failed")
    assert "S3cr" not in masked and "t!p#ss" not in masked and "host/db" in masked

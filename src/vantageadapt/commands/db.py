"""`vantage db`: upgrade, downgrade and inspect the database schema (Alembic migrations)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import typer

from vantageadapt.commands.shared import DbOption, store_location


async def _on_database(url: str | None, action: str, work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Open the database without upgrading it, run `work(engine)`, map failures to StoreError."""
    from sqlalchemy.exc import SQLAlchemyError

    from vantageadapt.store import DatabaseConnection
    from vantageadapt.store.url import store_error

    db = DatabaseConnection(url, upgrade=False)
    await db.connect()
    try:
        return await work(db.engine)
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        raise store_error(action, db.url, exc) from exc
    finally:
        await db.close()


def _status_line(url: str | None, revision: str | None) -> str:
    from vantageadapt.store.migrate import head_revision

    where = store_location(url)
    if revision is None:
        return f"{where}: empty (no schema); run `vantage db upgrade`"
    mark = " (head)" if revision == head_revision() else f" (head is {head_revision()})"
    return f"{where}: at revision {revision}{mark}"


def _migration(direction: str, default: str, target_help: str) -> Callable[..., None]:
    """The body of `db upgrade` / `db downgrade`: migrate in `direction` to REVISION."""

    def migrate(
        revision: str = typer.Argument(default, help=target_help),
        db: DbOption = None,
    ) -> None:
        typer.echo(asyncio.run(_migrate(db, direction, revision)))

    return migrate


def register(app: typer.Typer) -> None:
    """Add the `db` commands to the root app."""
    db_app = typer.Typer(
        help="Manage the database schema (Alembic migrations shipped with the package).",
        no_args_is_help=True,
    )
    app.add_typer(db_app, name="db")

    db_app.command("upgrade", help="Upgrade the schema to REVISION (default: the newest).")(
        _migration("upgrade", "head", "Target revision.")
    )
    db_app.command(
        "downgrade",
        help="Downgrade the schema to REVISION (default: one step back; `base` empties it).",
    )(_migration("downgrade", "-1", "Target revision: an id, -1, or base."))

    @db_app.command("current")
    def current(db: DbOption = None) -> None:
        """Show the revision the database is at."""
        from vantageadapt.store.migrate import current_revision

        revision = asyncio.run(_on_database(db, "reading the revision", current_revision))
        typer.echo(_status_line(db, revision))

    @db_app.command("history")
    def history(db: DbOption = None) -> None:
        """List the migrations, newest first, marking the database's current one."""
        from vantageadapt.store import migrate

        revision = asyncio.run(_on_database(db, "reading the revision", migrate.current_revision))
        for item in migrate.history():
            marks = [
                m
                for m, on in (("head", item.is_head), ("current", item.revision == revision))
                if on
            ]
            suffix = f" ({', '.join(marks)})" if marks else ""
            parent = item.down_revision or "<base>"
            typer.echo(f"{parent} -> {item.revision}{suffix}: {item.message.splitlines()[0]}")


async def _migrate(url: str | None, name: str, revision: str) -> str:
    from vantageadapt.store.migrate import current_revision, migrate

    async def work(engine: Any) -> str | None:
        await migrate(engine, name, revision)
        return await current_revision(engine)

    return _status_line(url, await _on_database(url, f"{name} to {revision}", work))

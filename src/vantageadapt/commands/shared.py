"""What several commands share: their common options, one store query, and --out or stdout."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

from vantageadapt.outputs import write_output

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (default: VANTAGE_DATABASE_URL, then sqlite+aiosqlite:///vantage.db).",
    ),
]
OutOption = Annotated[Path | None, typer.Option("--out", help="Write to this file, not stdout.")]
# The loop's inputs, for the commands that run it (`run`, `calibrate`).
ThemeOption = Annotated[
    str | None, typer.Option("--theme", help="Strategy theme, e.g. 'breakout trading'.")
]
LoopDataOption = Annotated[
    Path | None, typer.Option("--data", help="Trade data: .pkl, .parquet, .csv or folder.")
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="A vantage.toml settings file.")
]


def query_store(url: str | None, method: str, *args: Any, **kwargs: Any) -> Any:
    """`DatabaseConnection(url).method(*args, **kwargs)`, run to its end."""
    from vantageadapt.store import DatabaseConnection

    async def ask() -> Any:
        async with DatabaseConnection(url) as db:
            return await getattr(db, method)(*args, **kwargs)

    return asyncio.run(ask())


def store_location(url: str | None) -> str:
    """The database a --db value (or the default) names, without its password."""
    from vantageadapt.store import mask_url, resolve_database_url

    return mask_url(resolve_database_url(url))


def emit(text: str, out: Path | None) -> None:
    """`text` to the --out file (checked before any work was done), else to stdout as is."""
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_output(out, text)

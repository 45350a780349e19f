"""What several commands share: common options, command groups, one store query, output."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from vantageadapt.outputs import check_output_path, write_output

if TYPE_CHECKING:
    from pydantic import BaseModel

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (default: VANTAGE_DATABASE_URL, then sqlite+aiosqlite:///vantage.db).",
    ),
]


def _writable(path: Path | None) -> Path | None:
    return None if path is None else check_output_path(path)


# Checked when the flags are read, so a path that cannot be written fails before any work.
OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="Write to this file, not stdout.", callback=_writable),
]
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
    """`text` to the --out file (OutOption checked it), else to stdout as is."""
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_output(out, text)


def command_group(app: typer.Typer, name: str, help_text: str) -> typer.Typer:
    """A `vantage NAME ...` group of subcommands, added to the root app."""
    group = typer.Typer(help=help_text, no_args_is_help=True)
    app.add_typer(group, name=name)
    return group


def show_records(
    records: BaseModel | Sequence[BaseModel],
    as_json: bool,
    print_tables: Callable[[Any], None],
    *,
    key: str = "",
) -> None:
    """With --json one JSON object on stdout (a list under `key`), else `print_tables(records)`."""
    if not as_json:
        print_tables(records)
    elif isinstance(records, Sequence):
        typer.echo(json.dumps({key: [r.model_dump(mode="json") for r in records]}))
    else:
        typer.echo(json.dumps(records.model_dump(mode="json")))

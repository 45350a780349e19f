"""`vantage db` commands."""

import typer


def register(app: typer.Typer) -> None:
    """Add the `db` commands to the root app (filled in by its issue)."""

"""`vantage patches` commands."""

import typer


def register(app: typer.Typer) -> None:
    """Add the `patches` commands to the root app (filled in by its issue)."""

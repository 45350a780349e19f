"""`vantage data` commands."""

import typer


def register(app: typer.Typer) -> None:
    """Add the `data` commands to the root app (filled in by its issue)."""

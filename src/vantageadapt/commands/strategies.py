"""`vantage strategies` commands."""

import typer


def register(app: typer.Typer) -> None:
    """Add the `strategies` commands to the root app (filled in by its issue)."""

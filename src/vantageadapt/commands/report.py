"""`vantage report` commands."""

import typer


def register(app: typer.Typer) -> None:
    """Add the `report` commands to the root app (filled in by its issue)."""

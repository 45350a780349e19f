"""`vantage run` commands."""

import typer


def register(app: typer.Typer) -> None:
    """Add the `run` commands to the root app (filled in by its issue)."""

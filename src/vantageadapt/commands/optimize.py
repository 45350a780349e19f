"""`vantage optimize` commands."""

import typer


def register(app: typer.Typer) -> None:
    """Add the `optimize` commands to the root app (filled in by its issue)."""

"""`vantage prompts` commands."""

import typer


def register(app: typer.Typer) -> None:
    """Add the `prompts` commands to the root app (filled in by its issue)."""

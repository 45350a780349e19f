"""`vantage backtest` commands."""

import typer


def register(app: typer.Typer) -> None:
    """Add the `backtest` commands to the root app (filled in by its issue)."""

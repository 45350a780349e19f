"""`vantage strategies`: list, show and export the rule sets runs have stored."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from vantageadapt.commands.shared import (
    DbOption,
    JsonOption,
    OutOption,
    command_group,
    emit,
    query_store,
    show_records,
    store_location,
)
from vantageadapt.errors import ConfigError

StrategyIdArgument = Annotated[int, typer.Argument(metavar="ID", help="Strategy id from `list`.")]


def _regime_name(value: str | None) -> str | None:
    from vantageadapt.models import MarketRegime

    if value is None:
        return None
    name = value.strip().upper().replace("-", "_").replace(" ", "_")
    if name not in MarketRegime.__members__:
        raise ConfigError(
            f"--regime {value!r} is not a market regime; use one of "
            f"{', '.join(MarketRegime.__members__)}"
        )
    return name


def _strategy(url: str | None, strategy_id: int) -> Any:
    found = query_store(url, "get_strategy", strategy_id)
    if found is None:
        raise ConfigError(
            f"strategy {strategy_id} not found in {store_location(url)}; "
            "see `vantage strategies list`"
        )
    return found


def _num(value: float | None, digits: str = ".3g") -> str:
    return "-" if value is None else format(value, digits)


def _print_list(items: list[Any]) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"{len(items)} strategies, best validation sortino first", box=box.SIMPLE_HEAD
    )
    table.add_column("id", justify="right")
    table.add_column("theme", no_wrap=True)
    table.add_column("regime", no_wrap=True)
    table.add_column("run:iter", no_wrap=True)
    for column in ("sortino\n(val)", "return\n(val)", "trades\n(val)"):
        table.add_column(column, justify="right")
    for s in items:
        table.add_row(
            str(s.id),
            s.theme,
            s.regime,
            f"{s.run_id[:8]}:{s.iteration or '-'}",
            _num(s.out_of_sample_sortino),
            _num(s.out_of_sample_return),
            _num(s.out_of_sample_trades, "d"),
        )
    Console(soft_wrap=False).print(table)


def _print_strategy(item: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    from vantageadapt.models import METRIC_NAMES

    console = Console()
    console.print(
        f"[bold]strategy {item.id}[/]  theme {item.theme!r}  regime {item.regime.value}  "
        f"run {item.run_id}  iteration {item.iteration or '-'}",
        highlight=False,
    )
    console.print("entry (all): " + " & ".join(item.conditions.entry), highlight=False)
    console.print("exit (any):  " + " | ".join(item.conditions.exit), highlight=False)
    console.print(
        "parameters:  " + ", ".join(f"{k}={v:.4g}" for k, v in sorted(item.parameters.items())),
        highlight=False,
    )
    if item.insight is not None:
        console.print(f"rationale:   {item.insight.rationale}", highlight=False)
    table = Table(title="performance (aggregate rows, then per asset)")
    for column in ("window", "asset", *METRIC_NAMES):
        table.add_column(column)
    rows = sorted(item.performance, key=lambda r: (r.asset is not None, r.window, r.asset or ""))
    for row in rows:
        values = [
            format(getattr(row, n), "d" if n == "total_trades" else ".4g") for n in METRIC_NAMES
        ]
        table.add_row(row.window, row.asset or "(all)", *values)
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the `strategies` commands to the root app."""
    group = command_group(app, "strategies", "List, show and export stored strategies.")

    @group.command("list")
    def list_(
        theme: str | None = typer.Option(None, "--theme", help="Theme contains this text."),
        regime: str | None = typer.Option(None, "--regime", help="Market regime, e.g. BREAKOUT."),
        min_sortino: float | None = typer.Option(
            None, "--min-sortino", help="Minimum validation (out-of-sample) sortino ratio."
        ),
        limit: int = typer.Option(100, "--limit", min=1, help="Show at most this many."),
        as_json: JsonOption = False,
        db: DbOption = None,
    ) -> None:
        """List stored strategies, best validation sortino first (rules: `show ID`)."""
        wanted = {"theme": theme, "regime": _regime_name(regime), "min_sortino": min_sortino}
        items = query_store(db, "list_strategies", **wanted, limit=limit)
        show_records(items, as_json, _print_list, key="strategies")

    @group.command("show")
    def show(
        strategy_id: StrategyIdArgument,
        as_json: JsonOption = False,
        db: DbOption = None,
    ) -> None:
        """Show one strategy: rules, parameters, insight and every performance row."""
        show_records(_strategy(db, strategy_id), as_json, _print_strategy)

    @group.command("export")
    def export(strategy_id: StrategyIdArgument, out: OutOption = None, db: DbOption = None) -> None:
        """Print the strategy's rules JSON, runnable with `vantage backtest --rules FILE`."""
        text = json.dumps(_strategy(db, strategy_id).rules_json(), indent=2)
        emit(text + "\n", out)

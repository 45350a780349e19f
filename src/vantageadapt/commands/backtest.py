"""`vantage backtest`: one rule set over every asset of a data file or folder."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from vantageadapt.data.cli_options import BarOption, TrustPickleOption


def backtest(
    data: Path = typer.Option(..., "--data", help="Trade data file or folder."),
    rules: Path = typer.Option(..., "--rules", help="Rules JSON: conditions and parameters."),
    fees: float = typer.Option(0.001, "--fees", help="Fee per fill, a fraction of notional."),
    slippage: float = typer.Option(0.0, "--slippage", help="Fill price moved against you."),
    init_cash: float = typer.Option(10_000.0, "--init-cash", help="Starting cash per asset."),
    size_type: str = typer.Option(
        "fraction", "--size-type", help="fraction (of equity), amount (units) or volatility."
    ),
    stop_fill: str = typer.Option("close", "--stop-fill", help="close, or level (high/low)."),
    fill_model: str = typer.Option(
        "close", "--fill-model", help="close, or amm (constant-product pool fills)."
    ),
    trust_pickle: TrustPickleOption = False,
    bar: BarOption = None,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Backtest a rules file on every asset; per-asset and aggregate metrics."""
    from vantageadapt.backtest import EngineConfig, backtest_assets
    from vantageadapt.commands.rules_file import load_rules_file
    from vantageadapt.data import load_cli_data

    config = EngineConfig(
        init_cash=init_cash,
        fees=fees,
        slippage=slippage,
        size_type=size_type,
        stop_fill=stop_fill,
        fill_model=fill_model,
    )
    trading_rules = load_rules_file(rules)
    frames = load_cli_data(data, trust_pickle=trust_pickle, bar=bar)
    per_asset, aggregate = backtest_assets(frames, trading_rules, config)
    if as_json:
        payload = {
            "assets": {symbol: m.model_dump() for symbol, m in per_asset.items()},
            "aggregate": aggregate.model_dump(),
        }
        typer.echo(json.dumps(payload))
        return
    _print_table(per_asset, aggregate)


_HEADERS = {
    "total_return": "return",
    "sharpe_ratio": "sharpe",
    "sortino_ratio": "sortino",
    "max_drawdown": "max dd",
    "win_rate": "win",
    "total_trades": "trades",
    "profit_factor": "pf",
    "avg_trade_return": "avg trade",
    "exposure": "exposure",
}


def _print_table(per_asset, aggregate) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="backtest (return, max dd, win, avg trade, exposure are fractions)")
    table.add_column("symbol", no_wrap=True)
    for header in _HEADERS.values():
        table.add_column(header, justify="right", no_wrap=True)
    for symbol, metrics in [*per_asset.items(), ("aggregate", aggregate)]:
        values = metrics.model_dump()
        cells = [str(v) if isinstance(v, int) else f"{v:.3g}" for v in map(values.get, _HEADERS)]
        table.add_row(symbol, *cells)
    Console(width=max(120, Console().width)).print(table)


def register(app: typer.Typer) -> None:
    """Add the `backtest` command to the root app."""
    app.command("backtest")(backtest)

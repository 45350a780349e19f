"""`vantage backtest`: one rule set over every asset of a data file or folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from vantageadapt.commands.engine_options import engine_config, with_engine_options
from vantageadapt.commands.shared import JsonOption
from vantageadapt.data.cli_options import BarOption, TrustPickleOption


@with_engine_options
def backtest(
    data: Path = typer.Option(..., "--data", help="Trade data file or folder."),
    rules: Path = typer.Option(..., "--rules", help="Rules JSON: conditions and parameters."),
    *,
    engine: dict[str, Any],  # the engine flags given (see with_engine_options)
    trust_pickle: TrustPickleOption = False,
    bar: BarOption = None,
    as_json: JsonOption = False,
) -> None:
    """Backtest a rules file on every asset; per-asset and aggregate metrics."""
    from vantageadapt.backtest import backtest_assets
    from vantageadapt.commands.rules_file import load_rules_file
    from vantageadapt.data import load_cli_data

    unsettled = engine_config(engine)
    trading_rules = load_rules_file(rules)
    frames = load_cli_data(data, trust_pickle=trust_pickle, bar=bar)
    # One setting for every asset: the scored windows are the frames, whole.
    config = unsettled.resolve(frames.values())
    per_asset, aggregate = backtest_assets(frames, trading_rules, config)
    if as_json:
        payload = {
            "engine": config.describe(),
            "metrics_period": config.metrics_period,
            "assets": {symbol: m.model_dump() for symbol, m in per_asset.items()},
            "aggregate": aggregate.model_dump(),
        }
        typer.echo(json.dumps(payload))
        return
    _print_table(per_asset, aggregate, config)


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


def _print_table(per_asset, aggregate, config) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title="backtest (return, max dd, win, avg trade, exposure are fractions; "
        f"sharpe, sortino per {config.metrics_period} period, annualized)",
        caption=config.summary(),
    )
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

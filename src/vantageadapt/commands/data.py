"""`vantage data` commands: write sample data, describe a data set."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer

from vantageadapt.data.cli_options import BarOption, TrustPickleOption

data_app = typer.Typer(
    help="Sample data and data set summaries.", no_args_is_help=True, add_completion=False
)


@data_app.command("sample")
def sample(
    out: Annotated[Path, typer.Option("--out", help="File to write: .pkl, .parquet or .csv.")],
    assets: Annotated[int, typer.Option("--assets", min=1, help="Number of assets.")] = 10,
    rows: Annotated[int, typer.Option("--rows", min=2, help="Trades per asset.")] = 100_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same bytes).")] = 0,
    edge: Annotated[
        str | None,
        typer.Option(
            "--edge",
            help="Plant a known edge: none (no edge, same volatility), trend (drift spells), "
            "revert (mean-reverting deviations) or volume (drift in heavy-trading bursts). "
            "Without it: the regime-switching default sample.",
        ),
    ] = None,
    edge_strength: Annotated[
        float,
        typer.Option(
            "--edge-strength",
            help="Size of the planted edge, 0-5 (1 = the documented default, calibrated so a "
            "tuned reference rule pays the default engine's AMM fees and impact; 0 = no edge).",
        ),
    ] = 1.0,
) -> None:
    """Write synthetic DEX trades (the original's columns), deterministic for a seed."""
    from vantageadapt.data.sample import write_sample_data

    write_sample_data(
        out, assets=assets, rows=rows, seed=seed, edge=edge, edge_strength=edge_strength
    )
    planted = f", edge {edge} at strength {edge_strength:g}" if edge else ""
    logging.getLogger("vantageadapt.data").info(
        "wrote %d assets x %d trades (seed %d%s) to %s", assets, rows, seed, planted, out
    )


def _seconds(value: float) -> str:
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if value >= size:
            return f"{value / size:.1f}{unit}"
    return f"{value:g}s"


def _table(path: Path, summaries: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=str(path),
        caption="spacing: median between rows; vol/yr: "
        "std of log returns, annualized by mean spacing",
    )
    for header in (
        "symbol",
        "rows",
        "span",
        "spacing",
        "price min",
        "price max",
        "vol/yr",
        "missing",
    ):
        table.add_column(header, justify="left" if header == "symbol" else "right")
    for symbol, s in summaries.items():
        table.add_row(
            symbol,
            f"{s.rows:,}",
            _seconds(s.span_seconds),
            _seconds(s.median_spacing_seconds),
            f"{s.price_min:.4g}",
            f"{s.price_max:.4g}",
            f"{s.volatility_annualized:.0%}",
            str(s.missing_values),
        )
    Console().print(table)


@data_app.command("info")
def info(
    path: Annotated[Path, typer.Argument(help="A .pkl, .parquet or .csv file, or a folder.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    trust_pickle: TrustPickleOption = False,
    bar: BarOption = None,
) -> None:
    """Per-symbol rows, span, median spacing, price range, volatility and missing values."""
    from vantageadapt.data.cli_options import load_cli_data
    from vantageadapt.data.summary import summarize

    summaries = summarize(load_cli_data(path, trust_pickle=trust_pickle, bar=bar))
    if json_out:
        payload = {
            "path": str(path),
            "bar": bar,
            "n_symbols": len(summaries),
            "total_rows": sum(s.rows for s in summaries.values()),
            "symbols": {symbol: s.model_dump() for symbol, s in summaries.items()},
        }
        typer.echo(json.dumps(payload))
    else:
        _table(path, summaries)


def register(app: typer.Typer) -> None:
    """Add the `data` command group to the root app."""
    app.add_typer(data_app, name="data")

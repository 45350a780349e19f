"""Typer options for the engine settings shared by `run`, `backtest` and `optimize`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from vantageadapt.backtest import EngineConfig

InitCashOption = Annotated[
    float | None,
    typer.Option(
        "--init-cash",
        help="Starting cash per asset, in the quote currency (default 10 with AMM fills, "
        "else 10,000).",
    ),
]
FeesOption = Annotated[
    float | None, typer.Option("--fees", help="Fee per fill, a fraction of notional (0.001).")
]
SlippageOption = Annotated[
    float | None,
    typer.Option("--slippage", help="Fill price moved against you, a fraction (0; AMM too)."),
]
FillModelOption = Annotated[
    str | None,
    typer.Option(
        "--fill-model",
        help="auto (default: amm where the data has sol_pool/coin_pool), close, or amm "
        "(constant-product pool fills with price impact).",
    ),
]
SizeTypeOption = Annotated[
    str | None,
    typer.Option("--size-type", help="fraction (of equity, default), amount (units), volatility."),
]
StopFillOption = Annotated[
    str | None, typer.Option("--stop-fill", help="close (default), or level (high/low).")
]
MetricsPeriodOption = Annotated[
    str | None,
    typer.Option(
        "--metrics-period",
        help="Period Sharpe/Sortino are computed on: auto (default: coarsest of 1D, 1h, 1min "
        "giving every scored window >= 30 periods), 1D, 1h, 1min or row.",
    ),
]


def engine_flags(
    init_cash: float | None,
    fees: float | None,
    slippage: float | None,
    fill_model: str | None,
    size_type: str | None,
    stop_fill: str | None,
    metrics_period: str | None,
) -> dict[str, Any]:
    """The engine flags the user gave, as the settings tree's `engine` section."""
    given = {
        "init_cash": init_cash,
        "fees": fees,
        "slippage": slippage,
        "fill_model": fill_model,
        "size_type": size_type,
        "stop_fill": stop_fill,
        "metrics_period": metrics_period,
    }
    return {k: v for k, v in given.items() if v is not None}


def engine_config(flags: dict[str, Any]) -> EngineConfig:
    """Flags over the environment and defaults as an EngineConfig (`auto` not yet settled);
    a bad value is a one-line ConfigError."""
    from vantageadapt.backtest import EngineConfig
    from vantageadapt.settings import load_settings

    # The same tree `vantage run` builds, so VANTAGE_ENGINE__* and .env apply here too.
    return EngineConfig(**load_settings({"engine": flags}).engine.model_dump())

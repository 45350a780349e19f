"""Typer options for the engine settings shared by `run`, `backtest` and `optimize`."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
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


# Each engine flag, in the order `--help` lists them, by the settings tree's `engine` key.
ENGINE_OPTIONS: dict[str, Any] = {
    "init_cash": InitCashOption,
    "fees": FeesOption,
    "slippage": SlippageOption,
    "fill_model": FillModelOption,
    "size_type": SizeTypeOption,
    "stop_fill": StopFillOption,
    "metrics_period": MetricsPeriodOption,
}


def with_engine_options(command: Callable[..., None]) -> Callable[..., None]:
    """A Typer command whose `engine` parameter becomes the engine flags (`--init-cash`,
    `--fees`, ...): the command receives the flags given, as the settings tree's `engine`
    section."""
    signature = inspect.signature(command, eval_str=True)
    params: list[inspect.Parameter] = []
    for param in signature.parameters.values():
        if param.name != "engine":
            params.append(param)
            continue
        params += [
            inspect.Parameter(name, param.kind, default=None, annotation=option)
            for name, option in ENGINE_OPTIONS.items()
        ]

    @functools.wraps(command)
    def with_flags(**values: Any) -> None:
        given = {name: values.pop(name) for name in ENGINE_OPTIONS}
        command(**values, engine={k: v for k, v in given.items() if v is not None})

    with_flags.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    return with_flags


def engine_config(flags: dict[str, Any]) -> EngineConfig:
    """Flags over the environment and defaults as an EngineConfig (`auto` not yet settled);
    a bad value is a one-line ConfigError."""
    from vantageadapt.backtest import EngineConfig
    from vantageadapt.settings import load_settings

    # The same tree `vantage run` builds, so VANTAGE_ENGINE__* and .env apply here too.
    return EngineConfig(**load_settings({"engine": flags}).engine.model_dump())

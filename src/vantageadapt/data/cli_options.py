"""Typer options and a loader for every command that takes --data (no pandas at import)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import pandas as pd

TrustPickleOption = Annotated[
    bool,
    typer.Option(
        "--trust-pickle",
        help="Read .pkl files with pandas' full unpickler. Pickles can run code: only for "
        "files you made yourself.",
    ),
]
BarOption = Annotated[
    str | None,
    typer.Option(
        "--bar",
        metavar="SPAN",
        help="Resample trades to OHLCV bars of this span (30s, 1min, 5min, 1h).",
    ),
]


def load_cli_data(
    path: str | Path, *, trust_pickle: bool = False, bar: str | None = None
) -> dict[str, pd.DataFrame]:
    """`load_trade_data` for a command, logging one summary line to stderr."""
    from vantageadapt.data.loader import load_trade_data

    frames = load_trade_data(path, trust_pickle=trust_pickle, bar=bar)
    rows = sum(len(frame) for frame in frames.values())
    logging.getLogger("vantageadapt.data").info(
        "loaded %d symbols, %d rows from %s%s",
        len(frames),
        rows,
        path,
        f" as {bar} bars" if bar else "",
    )
    return frames

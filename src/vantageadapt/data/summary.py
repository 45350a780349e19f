"""Per-symbol statistics of canonical frames, for `vantage data info`."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

SECONDS_PER_YEAR = 365.25 * 24 * 3600


class SymbolSummary(BaseModel):
    """What a quant checks first about one asset's rows."""

    model_config = ConfigDict(extra="forbid")

    rows: int
    start: str
    end: str
    span_seconds: float
    median_spacing_seconds: float
    mean_spacing_seconds: float
    price_min: float
    price_max: float
    price_last: float
    volatility_per_row: float
    volatility_annualized: float
    total_volume: float
    missing_values: int
    missing_by_column: dict[str, int]
    columns: list[str]


def summarize_frame(frame: pd.DataFrame) -> SymbolSummary:
    """Rows, span, spacing, price range, volatility and missing values of one frame."""
    stamps = frame.index.as_unit("ns").asi8  # asi8 counts the index's own unit
    spacing = np.diff(stamps) / 1e9
    span = float((stamps[-1] - stamps[0]) / 1e9) if len(stamps) else 0.0
    price = frame["price"].to_numpy(dtype="float64")
    log_returns = np.diff(np.log(price))
    row_vol = float(np.std(log_returns, ddof=1)) if len(log_returns) > 1 else 0.0
    mean_spacing = float(spacing.mean()) if len(spacing) else 0.0
    # Annualize by the mean spacing: DEX trades often share a second, so the median can be 0.
    annual = row_vol * np.sqrt(SECONDS_PER_YEAR / mean_spacing) if mean_spacing > 0 else 0.0
    missing = frame.isna().sum()
    return SymbolSummary(
        rows=len(frame),
        start=frame.index[0].isoformat(),
        end=frame.index[-1].isoformat(),
        span_seconds=span,
        median_spacing_seconds=float(np.median(spacing)) if len(spacing) else 0.0,
        mean_spacing_seconds=mean_spacing,
        price_min=float(price.min()),
        price_max=float(price.max()),
        price_last=float(price[-1]),
        volatility_per_row=row_vol,
        volatility_annualized=float(annual),
        total_volume=float(frame["volume"].sum()),
        missing_values=int(missing.sum()),
        missing_by_column={str(c): int(n) for c, n in missing.items() if n},
        columns=[str(c) for c in frame.columns],
    )


def summarize(frames: Mapping[str, pd.DataFrame]) -> dict[str, SymbolSummary]:
    """`summarize_frame` for every symbol, in the frames' order."""
    return {symbol: summarize_frame(frame) for symbol, frame in frames.items()}

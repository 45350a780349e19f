"""Market statistics for the strategist, computed from the data and anonymized."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

RECENT_FRACTION = 0.1
_SECONDS_PER_YEAR = 365.25 * 24 * 3600


class Summary(BaseModel):
    """A statistic's distribution over assets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mean: float
    median: float
    p10: float
    p90: float
    min: float
    max: float


class MarketStats(BaseModel):
    """What the strategist sees: distributions over assets, no symbols, no dates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    n_assets: int
    rows_per_asset: Summary
    median_spacing_seconds: float
    total_return: Summary
    volatility: Summary  # std of per-row log returns
    annualized_volatility: Summary
    trend_slope: Summary  # log-price slope per 1,000 rows
    trend_r2: Summary
    trend_zscore: Summary  # total log return / (volatility * sqrt(rows)): drift in noise units
    up_fraction: float  # share of assets with a positive total return
    autocorrelation: Summary  # lag-1 autocorrelation of returns
    max_drawdown: Summary
    range_position: Summary
    recent_return: Summary
    recent_zscore: Summary  # recent log return in noise units
    recent_volatility_ratio: Summary  # recent volatility / whole-window volatility
    recent_range_position: Summary  # last price in the recent window's range
    volume_cv: Summary  # coefficient of variation of volume
    volume_trend: Summary  # mean volume, second half / first half
    recent_volume_ratio: Summary  # mean volume in the recent window / whole window
    volume_price_correlation: Summary  # corr(volume, |return|)
    support: Summary  # 10th percentile of the recent window's prices / last price
    resistance: Summary  # 90th percentile of the recent window's prices / last price


def _summary(values: list[float]) -> Summary:
    arr = np.asarray([v for v in values if math.isfinite(v)], dtype=np.float64)
    if arr.size == 0:
        arr = np.zeros(1)
    return Summary(
        mean=_r(arr.mean()),
        median=_r(np.median(arr)),
        p10=_r(np.percentile(arr, 10)),
        p90=_r(np.percentile(arr, 90)),
        min=_r(arr.min()),
        max=_r(arr.max()),
    )


def _r(value: float) -> float:
    """Round to 6 significant digits so the stats (and request hashes) are stable."""
    value = float(value)
    return float(f"{value:.6g}") if math.isfinite(value) else 0.0


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    if a.size < 3 or np.std(a) == 0.0 or np.std(b) == 0.0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def _asset_stats(price: np.ndarray, volume: np.ndarray, spacing: float) -> dict[str, float]:
    """Per-asset numbers; assumes at least 3 positive prices."""
    logp = np.log(price)
    rets = np.diff(logp)
    n = price.size
    vol = float(np.std(rets))
    rows_per_year = _SECONDS_PER_YEAR / spacing if spacing > 0 else 0.0
    t = np.arange(n, dtype=np.float64)
    slope, _ = np.polyfit(t, logp, 1)
    r2 = _corr(t, logp) ** 2
    running_max = np.maximum.accumulate(price)
    recent = max(3, int(n * RECENT_FRACTION))
    tail = price[-recent:]
    tail_rets = rets[-(recent - 1) :]
    lo, hi = float(price.min()), float(price.max())
    tlo, thi = float(tail.min()), float(tail.max())
    half = n // 2
    vmean = float(volume.mean())
    first, second = float(volume[:half].mean()), float(volume[half:].mean())
    return {
        "rows": float(n),
        "total_return": float(price[-1] / price[0] - 1.0),
        "volatility": vol,
        "annualized_volatility": vol * math.sqrt(rows_per_year),
        "trend_slope": float(slope) * 1000.0,
        "trend_r2": r2,
        "trend_zscore": float(logp[-1] - logp[0]) / (vol * math.sqrt(n - 1)) if vol > 0 else 0.0,
        "autocorrelation": _corr(rets[:-1], rets[1:]),
        "max_drawdown": float(np.max(1.0 - price / running_max)),
        "range_position": (float(price[-1]) - lo) / (hi - lo) if hi > lo else 0.5,
        "recent_return": float(tail[-1] / tail[0] - 1.0),
        "recent_zscore": (
            float(logp[-1] - logp[-recent]) / (vol * math.sqrt(recent - 1)) if vol > 0 else 0.0
        ),
        "recent_volatility_ratio": float(np.std(tail_rets)) / vol if vol > 0 else 1.0,
        "recent_range_position": (float(tail[-1]) - tlo) / (thi - tlo) if thi > tlo else 0.5,
        "volume_cv": float(volume.std()) / vmean if vmean > 0 else 0.0,
        "volume_trend": second / first if first > 0 else 1.0,
        "recent_volume_ratio": float(volume[-recent:].mean()) / vmean if vmean > 0 else 1.0,
        "volume_price_correlation": _corr(volume[1:], np.abs(rets)),
        "support": float(np.percentile(tail, 10)) / float(price[-1]),
        "resistance": float(np.percentile(tail, 90)) / float(price[-1]),
    }


def compute_market_stats(frames: Mapping[str, pd.DataFrame]) -> MarketStats:
    """Summarize canonical frames (price, volume, UTC index) over assets, without names or dates.

    Assets with fewer than 3 rows are skipped; with none left every summary is zero.
    """
    per_asset: list[dict[str, float]] = []
    spacings: list[float] = []
    for frame in frames.values():
        price = frame["price"].to_numpy(dtype=np.float64)
        if price.size < 3 or not np.all(price > 0):
            continue
        volume = frame["volume"].to_numpy(dtype=np.float64) if "volume" in frame else np.ones(1)
        if volume.size != price.size:
            volume = np.ones_like(price)
        index = frame.index
        if isinstance(index, pd.DatetimeIndex) and len(index) > 1:
            # integer nanoseconds: a tz-aware index's to_numpy() is an object array (slow)
            steps = np.diff(index.as_unit("ns").asi8) / 1e9
            positive = steps[steps > 0]
            spacing = float(np.median(positive)) if positive.size else 0.0
        else:
            spacing = 0.0
        spacings.append(spacing)
        per_asset.append(_asset_stats(price, volume, spacing))
    keys = list(per_asset[0]) if per_asset else []
    column = {key: [a[key] for a in per_asset] for key in keys}
    fields = {
        name: _summary(column.get(name, []))
        for name in MarketStats.model_fields
        if MarketStats.model_fields[name].annotation in (Summary, "Summary")
    }
    fields["rows_per_asset"] = _summary(column.get("rows", []))
    returns = column.get("total_return", [])
    return MarketStats(
        n_assets=len(per_asset),
        median_spacing_seconds=_r(float(np.median(spacings)) if spacings else 0.0),
        up_fraction=_r(sum(r > 0 for r in returns) / len(returns) if returns else 0.0),
        **fields,
    )

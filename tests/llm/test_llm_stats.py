"""Market statistics: right numbers (slow reference), and nothing that names an asset or a date."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.market_frames import make_frames
from vantageadapt.llm import compute_market_stats


def _reference(prices: list[float]) -> dict[str, float]:
    """Plain-Python versions of a few statistics, one loop each."""
    rets = [math.log(prices[i] / prices[i - 1]) for i in range(1, len(prices))]
    mean = sum(rets) / len(rets)
    vol = math.sqrt(sum((r - mean) ** 2 for r in rets) / len(rets))
    peak, mdd = prices[0], 0.0
    for p in prices:
        peak = max(peak, p)
        mdd = max(mdd, 1 - p / peak)
    a, b = rets[:-1], rets[1:]
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    cov = sum((x - ma) * (y - mb) for x, y in zip(a, b, strict=True))
    var_a = sum((x - ma) ** 2 for x in a)
    var_b = sum((y - mb) ** 2 for y in b)
    return {
        "total_return": prices[-1] / prices[0] - 1,
        "volatility": vol,
        "max_drawdown": mdd,
        "autocorrelation": cov / math.sqrt(var_a * var_b),
        "range_position": (prices[-1] - min(prices)) / (max(prices) - min(prices)),
    }


def _frame(prices, start="2024-01-01", freq="5min"):
    index = pd.date_range(start, periods=len(prices), freq=freq, tz="UTC", name="timestamp")
    return pd.DataFrame({"price": prices, "volume": np.linspace(1, 2, len(prices))}, index=index)


def test_matches_the_reference_for_one_asset():
    prices = list(100 * np.exp(np.cumsum(np.random.default_rng(4).normal(0, 0.02, 400))))
    stats = compute_market_stats({"ONE": _frame(prices)})
    ref = _reference(prices)
    for name, value in ref.items():
        assert math.isclose(getattr(stats, name).median, value, rel_tol=1e-5, abs_tol=1e-9), name
    assert stats.n_assets == 1 and stats.median_spacing_seconds == 300.0
    rows_per_year = 365.25 * 24 * 12
    assert math.isclose(
        stats.annualized_volatility.median,
        ref["volatility"] * math.sqrt(rows_per_year),
        rel_tol=1e-5,
    )
    volume = np.linspace(1, 2, 400)
    trend = volume[200:].mean() / volume[:200].mean()
    assert math.isclose(stats.volume_trend.median, trend, rel_tol=1e-5)


def test_summaries_are_over_assets():
    frames = {f"A{i}": _frame([100.0, 100 * (1 + i / 10), 100 * (1 + i / 10)]) for i in range(5)}
    stats = compute_market_stats(frames)
    assert stats.total_return.min == 0.0 and stats.total_return.max == 0.4
    assert math.isclose(stats.total_return.mean, 0.2) and math.isclose(stats.up_fraction, 0.8)


def test_contains_no_symbols_or_dates():
    text = compute_market_stats(make_frames(0.001)).model_dump_json()
    for forbidden in ("BONKXSOL", "WIFZSOL", "POPCATQ", "2024", "03-05", "timestamp"):
        assert forbidden not in text


def test_short_or_empty_assets_are_skipped():
    stats = compute_market_stats({"A": _frame([1.0, 2.0]), "B": _frame([1.0, 2.0, 3.0])})
    assert stats.n_assets == 1
    assert compute_market_stats({}).n_assets == 0


walks = st.lists(
    st.lists(st.floats(-0.05, 0.05, allow_nan=False), min_size=5, max_size=40),
    min_size=1,
    max_size=4,
)


@settings(max_examples=30, deadline=None)
@given(walks, st.integers(0, 10_000), st.floats(0.01, 1000.0))
def test_invariant_to_names_order_dates_and_price_scale(steps_per_asset, day, scale):
    prices = [100 * np.exp(np.cumsum([0.0, *steps])) for steps in steps_per_asset]
    base = compute_market_stats({f"S{i}": _frame(p) for i, p in enumerate(prices)})
    start = pd.Timestamp("2000-01-01") + pd.Timedelta(days=day)
    renamed = {
        f"OTHER{i}": _frame(p * scale, start=str(start))
        for i, p in reversed(list(enumerate(prices)))
    }
    other = compute_market_stats(renamed)
    for name in ("total_return", "volatility", "max_drawdown", "trend_zscore", "autocorrelation"):
        a, b = getattr(base, name), getattr(other, name)
        assert math.isclose(a.median, b.median, rel_tol=1e-4, abs_tol=1e-9), name
        assert math.isclose(a.mean, b.mean, rel_tol=1e-4, abs_tol=1e-9), name
    assert base.n_assets == other.n_assets and base.up_fraction == other.up_fraction
    for summary in base.model_dump().values():
        if isinstance(summary, dict):
            assert summary["min"] <= summary["median"] <= summary["max"]
            assert all(math.isfinite(v) for v in summary.values())

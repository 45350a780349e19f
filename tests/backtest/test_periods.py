"""Sharpe and Sortino on calendar periods, checked against empyrical on the same returns."""

from __future__ import annotations

import empyrical
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vantageadapt.backtest import (
    EngineConfig,
    choose_metrics_period,
    evaluate_grid,
    period_returns,
    periods_per_year,
    run_backtest,
)
from vantageadapt.backtest.periods import count_periods, period_floor, period_ids
from vantageadapt.errors import ConfigError
from vantageadapt.models import METRIC_NAMES

from .frames import rules

SHARPE, SORTINO = METRIC_NAMES.index("sharpe_ratio"), METRIC_NAMES.index("sortino_ratio")
RULES = rules(["price > ma_10"], ["price < ma_30"], take_profit=0.04, stop_loss=0.03,
              order_size=0.6, max_orders=2)  # fmt: skip


def dex_frame(rows: int, seed: int, *, max_gap: int = 80, pools: bool = False) -> pd.DataFrame:
    """Irregular DEX-like trades: 0 to max_gap seconds apart (same-second trades kept)."""
    rng = np.random.default_rng(seed)
    seconds = np.cumsum(rng.integers(0, max_gap + 1, rows))
    index = pd.DatetimeIndex(
        pd.to_datetime(1_704_067_200 + seconds, unit="s", utc=True), name="timestamp"
    )
    price = 10.0 * np.exp(np.cumsum(rng.normal(0.0002, 0.01, rows)))
    extra = {}
    if pools:
        x = rng.uniform(80.0, 300.0, rows)
        extra = {"sol_pool": x, "coin_pool": x / price}
    return pd.DataFrame({"price": price, "volume": rng.lognormal(0, 0.5, rows), **extra}, index)


def _empyrical(result, config: EngineConfig, frame: pd.DataFrame) -> tuple[float, float]:
    returns = period_returns(result.equity, config.metrics_period, config.init_cash)
    ann = periods_per_year(frame.index, config.metrics_period)
    return (
        float(empyrical.sharpe_ratio(returns, annualization=ann)),
        float(empyrical.sortino_ratio(returns, annualization=ann)),
    )


def _check(frame: pd.DataFrame, config: EngineConfig, start: int = 0) -> None:
    result = run_backtest(frame, RULES, config, start=start)
    sharpe, sortino = _empyrical(result, config, frame)
    m = result.metrics
    # Where empyrical has no number (NaN with one period, inf with no losing period) the
    # engine reports 0: a metric is never NaN or inf.
    for got, want in ((m.sharpe_ratio, sharpe), (m.sortino_ratio, sortino)):
        if np.isfinite(want):
            assert got == pytest.approx(want, rel=1e-9, abs=1e-12)
        else:
            assert got == 0.0
    # the grid (the search's path) gives the same numbers
    grid = evaluate_grid(frame, RULES.conditions, [RULES.parameters], config, start=start)[0]
    assert grid[SHARPE] == pytest.approx(m.sharpe_ratio, rel=1e-12, abs=1e-12)
    assert grid[SORTINO] == pytest.approx(m.sortino_ratio, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("period", ["1D", "1h", "1min", "row"])
@pytest.mark.parametrize("fill_model", ["close", "amm"])
def test_ratios_match_empyrical_on_resampled_returns(period, fill_model):
    frame = dex_frame(30_000, 5, pools=True)  # about 14 days of trades
    config = EngineConfig(fill_model=fill_model, metrics_period=period).resolve([frame])
    result = run_backtest(frame, RULES, config)
    assert result.metrics.total_trades > 20
    _check(frame, config)
    _check(frame, config, start=12_345)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    rows=st.integers(50, 3_000),
    gap=st.sampled_from([3, 20, 80, 400]),
    period=st.sampled_from(["auto", "1h", "1min", "row"]),
    start=st.integers(0, 40),
)
def test_ratios_match_empyrical_property(seed, rows, gap, period, start):
    frame = dex_frame(rows, seed, max_gap=gap)
    config = EngineConfig(fees=0.002, metrics_period=period).resolve([frame], [frame.index[start:]])
    _check(frame, config, start=start)


def test_period_returns_start_from_init_cash_and_take_each_periods_last_equity():
    index = pd.DatetimeIndex(
        ["2024-01-01 00:10", "2024-01-01 00:50", "2024-01-01 03:05", "2024-01-01 03:06"],
        tz="UTC",
    )
    equity = pd.Series([101.0, 99.0, 110.0, 121.0], index=index)
    np.testing.assert_allclose(
        period_returns(equity, "1h", 100.0), [99 / 100 - 1, 121 / 99 - 1], rtol=1e-15
    )
    np.testing.assert_allclose(
        period_returns(equity, "row", 100.0), [0.01, 99 / 101 - 1, 110 / 99 - 1, 0.1], rtol=1e-15
    )
    np.testing.assert_array_equal(period_ids(index, "1h"), [0, 0, 1, 1])
    assert count_periods(index, "1D") == 1 and count_periods(index, "1min") == 4


def test_auto_period_is_the_coarsest_with_30_periods_in_every_window():
    hours = pd.date_range("2024-01-01", periods=24 * 40, freq="h", tz="UTC")
    assert choose_metrics_period([hours]) == "1D"  # 40 days
    assert choose_metrics_period([hours, hours[: 24 * 20]]) == "1h"  # one window has 20 days
    assert choose_metrics_period([hours[:20]]) == "row"  # 20 rows: nothing fits
    minutes = pd.date_range("2024-01-01", periods=600, freq="min", tz="UTC")
    assert choose_metrics_period([minutes, minutes[:0]]) == "1min"  # empty windows not scored
    assert choose_metrics_period([hours], "1min") == "1min"
    with pytest.raises(ConfigError, match="metrics_period '5min' must be one of"):
        choose_metrics_period([hours], "5min")


def test_engine_settings_resolve_auto_from_the_data():
    plain = dex_frame(500, 1)
    pools = dex_frame(500, 2, pools=True)
    assert EngineConfig().resolve([pools]).describe() == {
        "init_cash": 10.0, "fees": 0.001, "slippage": 0.0, "fill_model": "amm",
        "pool_fee": 0.0025, "size_type": "fraction", "stop_fill": "close",
        "metrics_period": "1min",
    }  # fmt: skip
    assert EngineConfig().resolve([plain]).fill_model == "close"
    assert EngineConfig().resolve([plain]).init_cash == 10_000.0
    assert EngineConfig().resolve([plain, pools]).fill_model == "close"  # not every asset
    assert EngineConfig(init_cash=3.0).resolve([pools]).init_cash == 3.0
    with pytest.raises(ConfigError, match="fill_model 'pool' must be one of auto, close, amm"):
        EngineConfig(fill_model="pool")


@settings(max_examples=60, deadline=None)
@given(
    seconds=st.lists(st.integers(-2_000_000_000, 4_000_000_000), min_size=1, max_size=300),
    sub=st.integers(0, 999_999_999),
    unit=st.sampled_from(["s", "ms", "us", "ns"]),
    tz=st.sampled_from([None, "UTC", "Europe/Berlin", "America/New_York"]),
    period=st.sampled_from(["1D", "1h", "1min"]),
    layout=st.sampled_from(["sorted", "narrow", "shuffled"]),
)
def test_period_floor_is_pandas_floor(seconds, sub, unit, tz, period, layout):
    """Integer flooring (UTC, naive) and pandas' own (other zones) give index.floor's
    nanoseconds exactly, around midnights, hour and minute edges, before 1970 and after;
    period ids and counts (bisected period bounds for sorted rows over few periods) follow."""
    seconds = np.asarray(seconds, dtype=np.int64)
    if layout == "narrow":  # a few days: few periods of each kind
        seconds = 1_700_000_000 + seconds % 400_000
    ns = np.sort(seconds) * 1_000_000_000 + sub
    if layout == "shuffled":
        ns = np.random.default_rng(len(ns)).permutation(ns)
    index = pd.DatetimeIndex(pd.to_datetime(ns, unit="ns", utc=True)).as_unit(unit)
    index = index.tz_convert(tz) if tz and tz != "UTC" else index
    if tz is None:
        index = index.tz_localize(None)
    try:
        slow = index.floor(period).as_unit("ns").asi8
    except (ValueError, OverflowError):  # a local floor pandas itself cannot place (DST)
        return
    np.testing.assert_array_equal(period_floor(index, period), slow)
    edges = pd.DatetimeIndex(["2024-03-31 23:59:59.999999999", "2024-04-01", "1969-12-31 23:59"])
    np.testing.assert_array_equal(
        period_floor(edges, period), edges.floor(period).as_unit("ns").asi8
    )
    starts = index.floor(period)
    ids = np.concatenate(([0], np.cumsum(starts[1:] != starts[:-1])))
    np.testing.assert_array_equal(period_ids(index, period), ids)
    assert count_periods(index, period) == int(ids[-1]) + 1

"""Metric definitions by hand: annualization by row spacing, ratios, and honest aggregates."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from vantageadapt.backtest import EngineConfig, aggregate_metrics, periods_per_year, run_backtest
from vantageadapt.errors import ConfigError
from vantageadapt.models import Metrics

from .frames import frame_from, rules
from .reference import periods_per_year as reference_periods_per_year
from .reference import reference_backtest

YEAR_S = 365.25 * 86_400


def _index(seconds) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(seconds, unit="s", utc=True), name="timestamp")


@pytest.mark.parametrize(
    ("seconds", "period", "expected"),
    [
        (np.arange(0, 600, 60), "row", 10 / (540 / YEAR_S)),  # 10 rows over 9 minutes
        (np.arange(0, 600, 60), "1min", 10 / (540 / YEAR_S)),
        (np.arange(0, 10 * 86_400, 86_400), "1D", 10 / (9 * 86_400 / YEAR_S)),
        ([0, 1, 3, 13, 14, 16, 61, 130], "1min", 3 / (130 / YEAR_S)),  # minutes 0, 1 and 2
        ([0, 0, 0, 5, 5, 10, 10], "row", 7 / (10 / YEAR_S)),  # same-second trades are rows
        ([0], "1h", 1.0),
        ([7, 7, 7], "row", 1.0),
    ],
)
def test_periods_per_year_is_non_empty_periods_over_the_span(seconds, period, expected):
    index = _index(seconds)
    assert periods_per_year(index, period) == pytest.approx(expected, rel=1e-12)
    assert reference_periods_per_year(index, period) == pytest.approx(expected, rel=1e-12)


def test_sharpe_sortino_drawdown_exposure_by_hand():
    # All-in at row 0 without fees: equity follows the price, 1,000 units. Five minute rows
    # are too few for any calendar period, so each row is a period: P = 5 rows / 4 minutes.
    frame = frame_from([10, 10, 11, 9.9, 10.89])
    config = EngineConfig(fees=0.0)
    m = run_backtest(frame, rules(["price > 0"], ["price < 0"]), config).metrics
    assert config.resolve([frame]).metrics_period == "row"
    r = np.array([0.0, 0.0, 0.1, -0.1, 0.1])
    ann = math.sqrt(5 / (240 / YEAR_S))
    assert m.sharpe_ratio == pytest.approx(r.mean() / r.std(ddof=1) * ann, rel=1e-9)
    assert m.sortino_ratio == pytest.approx(r.mean() / math.sqrt(0.01 / 5) * ann, rel=1e-9)
    assert m.max_drawdown == pytest.approx(0.1, rel=1e-12)
    assert m.total_return == pytest.approx(0.089, rel=1e-12)
    assert m.exposure == 1.0 and m.total_trades == 0 and m.win_rate == 0.0


def test_ratios_by_hand_on_hourly_periods():
    # Minute rows over three hours, all-in without fees: hourly equity 10,000 -> 11,000 ->
    # 9,900 -> 10,890, E_0 = init_cash; P = 4 hours over the span of 239 minutes.
    prices = [10.0] * 60 + [11.0] * 60 + [9.9] * 60 + [10.89] * 60
    frame = frame_from(prices)
    config = EngineConfig(fees=0.0, metrics_period="1h")
    m = run_backtest(frame, rules(["price > 0"], ["price < 0"]), config).metrics
    r = np.array([0.0, 0.1, -0.1, 0.1])
    ann = math.sqrt(4 / (239 * 60 / YEAR_S))
    assert m.sharpe_ratio == pytest.approx(r.mean() / r.std(ddof=1) * ann, rel=1e-9)
    assert m.sortino_ratio == pytest.approx(r.mean() / math.sqrt(0.01 / 4) * ann, rel=1e-9)


def test_trade_metrics_by_hand():
    # Three round trips at 10: out at 12 (+20%), at 9 (-10%), at 10.5 (+5%), no fees.
    frame = frame_from([10, 12, 10, 9, 10, 10.5])
    r = rules(["price <= 10", "price >= 10"], ["price > 11", "price < 9.5", "price > 10.2"])
    m = run_backtest(frame, r, EngineConfig(fees=0.0)).metrics
    assert m.total_trades == 3
    assert m.win_rate == pytest.approx(2 / 3)
    assert m.avg_trade_return == pytest.approx((0.2 - 0.1 + 0.05) / 3)
    # gross wins / gross losses, in quote: units differ per lot as equity changes
    e1 = 10_000 * 1.2
    e2 = e1 * 0.9
    pnl = [2_000.0, e1 * 0.9 - e1, e2 * 1.05 - e2]
    assert m.profit_factor == pytest.approx((pnl[0] + pnl[2]) / -pnl[1])


def test_aggregate_counts_winning_trades_not_winning_assets():
    many = Metrics(total_return=-0.1, win_rate=0.25, total_trades=8, avg_trade_return=-0.01,
                   sharpe_ratio=-1.0, sortino_ratio=-2.0, profit_factor=0.5, max_drawdown=0.2,
                   exposure=0.5)  # fmt: skip
    few = Metrics(total_return=0.3, win_rate=1.0, total_trades=2, avg_trade_return=0.04,
                  sharpe_ratio=3.0, sortino_ratio=4.0, profit_factor=100.0, max_drawdown=0.1,
                  exposure=0.1)  # fmt: skip
    agg = aggregate_metrics({"A": many, "B": few})
    assert agg.win_rate == pytest.approx(4 / 10)  # (2 + 2) winning trades of 10
    assert agg.total_trades == 10
    assert agg.total_return == pytest.approx(0.1) and agg.total_return_sum == pytest.approx(0.2)
    assert agg.avg_trade_return == pytest.approx((8 * -0.01 + 2 * 0.04) / 10)
    assert agg.sharpe_ratio == pytest.approx(1.0) and agg.sortino_ratio == pytest.approx(1.0)
    assert agg.profit_factor == pytest.approx(50.25) and agg.max_drawdown == pytest.approx(0.15)
    assert agg.exposure == pytest.approx(0.3) and agg.n_assets == 2


@pytest.mark.parametrize("fill_model", ["close", "amm"])
def test_a_lot_capped_by_cash_spends_it_all_and_leaves_no_dust_lot(fill_model):
    # notional + fee rounds 1.8e-12 below this cash; that residue must not open a second lot.
    config = EngineConfig(init_cash=15326.7009585641, fees=0.01, fill_model=fill_model)
    frame = frame_from([10.0] * 4, sol_pool=[1e6] * 4, coin_pool=[1e5] * 4)
    r = rules(["price > 0"], ["price < 0"], order_size=1.0, max_orders=3)
    for result in (run_backtest(frame, r, config), reference_backtest(frame, r, config)):
        trades = result.trades
        assert len(trades) == 1, trades


@pytest.mark.parametrize("target_vol", [0.0, -0.01])
def test_volatility_sizing_needs_a_positive_target(target_vol):
    # DESIGN: order_size * min(1, target_vol / volatility_N); it used to trade full size at 0.
    frame = frame_from([10.0, 10.5, 10.2, 10.8])
    r = rules(["price > 0"], ["price < 0"], target_vol=target_vol, vol_window=2)
    with pytest.raises(ConfigError, match=r"'target_vol' .* must be positive"):
        run_backtest(frame, r, EngineConfig(size_type="volatility"))

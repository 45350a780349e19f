"""Hand-built cases with exact expected trades, equity and metrics."""

from __future__ import annotations

import numpy as np
import pytest

from vantageadapt.backtest import EngineConfig, backtest_assets, run_backtest
from vantageadapt.errors import ConfigError

from .frames import frame_from, rules

NO_FEES = EngineConfig(fees=0.0)


def test_one_round_trip_by_signal_exact():
    frame = frame_from([10, 11, 12, 13, 9, 9])
    result = run_backtest(frame, rules(["price > 10.5"], ["price < 10"]), NO_FEES)
    trades = result.trades
    assert len(trades) == 1
    trade = trades.iloc[0]
    assert trade.entry_time == frame.index[1] and trade.exit_time == frame.index[4]
    assert trade.entry_price == 11 and trade.exit_price == 9 and trade.exit_reason == "signal"
    assert trade.units == pytest.approx(10_000 / 11)
    assert trade.pnl == pytest.approx(10_000 / 11 * 9 - 10_000)
    expected_equity = [10_000, 10_000, 10_000 / 11 * 12, 10_000 / 11 * 13, 10_000 / 11 * 9,
                       10_000 / 11 * 9]  # fmt: skip
    np.testing.assert_allclose(result.equity.to_numpy(), expected_equity)
    m = result.metrics
    assert m.total_return == pytest.approx(9 / 11 - 1)
    assert m.total_trades == 1 and m.win_rate == 0.0 and m.profit_factor == 0.0
    assert m.exposure == pytest.approx(3 / 6)
    assert m.max_drawdown == pytest.approx(1 - 9 / 13)


def test_take_profit_and_stop_loss_close_at_price_with_fees():
    frame = frame_from([10, 10, 11.5, 10, 9.4, 9])
    config = EngineConfig(fees=0.01)
    r = rules(["price >= 10", "price < 11"], ["price > 100"], take_profit=0.1, stop_loss=0.05)
    trades = run_backtest(frame, r, config).trades
    assert list(trades.exit_reason) == ["take_profit", "stop_loss"]
    first, second = trades.iloc[0], trades.iloc[1]
    notional = 10_000 / 1.01
    assert first.notional == pytest.approx(notional)
    assert first.exit_price == 11.5
    units = notional / 10
    assert first.pnl == pytest.approx(units * 11.5 * 0.99 - 10_000)
    assert first.fees == pytest.approx(notional * 0.01 + units * 11.5 * 0.01)
    # re-entry at row 3 (10), stop at 9.4 <= 9.5
    assert second.entry_price == 10 and second.exit_price == 9.4


def test_lot_opened_this_row_is_not_stopped_until_next_row():
    frame = frame_from([10, 5, 5])
    trades = run_backtest(frame, rules(["price > 0"], ["price > 100"], stop_loss=0.1), NO_FEES)
    closed = trades.trades[trades.trades.exit_reason != "open"]
    assert list(closed.exit_reason) == ["stop_loss"]
    assert closed.iloc[0].entry_time == frame.index[0]
    assert closed.iloc[0].exit_time == frame.index[1]


def test_pyramiding_up_to_max_orders_and_exit_closes_all():
    frame = frame_from([10, 10, 10, 10, 10, 8])
    r = rules(["price >= 10"], ["price < 9"], max_orders=3, order_size=0.25)
    result = run_backtest(frame, r, NO_FEES)
    trades = result.trades
    assert len(trades) == 3
    assert (trades.exit_reason == "signal").all()
    # lots are 25% of equity at each entry: 2500 each
    np.testing.assert_allclose(trades.notional, [2500, 2500, 2500])
    assert result.metrics.total_trades == 3


def test_amount_sizing_and_cash_limit():
    frame = frame_from([100, 100, 100])
    r = rules(["price > 0"], ["price > 1000"], order_size=30, max_orders=5, size_type=0)
    trades = run_backtest(frame, r, EngineConfig(fees=0.0, size_type="amount")).trades
    # 30 units = 3000 each row; third row only 4000 left -> 3000; all open
    np.testing.assert_allclose(trades.units, [30, 30, 30])
    assert (trades.exit_reason == "open").all()
    r = rules(["price > 0"], ["price > 1000"], order_size=80, max_orders=5)
    trades = run_backtest(frame, r, EngineConfig(fees=0.0, size_type="amount")).trades
    np.testing.assert_allclose(trades.units, [80, 20])


def test_level_stops_fill_at_level_stop_first():
    frame = frame_from([10, 10, 10], high=[10, 12, 10], low=[10, 9, 10])
    r = rules(["price > 0"], ["price > 100"], take_profit=0.1, stop_loss=0.05)
    trades = run_backtest(frame, r, EngineConfig(fees=0.0, stop_fill="level")).trades
    first = trades.iloc[0]
    assert first.exit_reason == "stop_loss" and first.exit_price == pytest.approx(9.5)


def test_amm_fill_pays_price_impact():
    x, y = 1_000.0, 100.0  # price 10
    frame = frame_from([10, 10], sol_pool=[x, x], coin_pool=[y, y])
    r = rules(["price > 0"], ["price > 100"], order_size=0.5)
    config = EngineConfig(init_cash=10_000.0, fees=0.0, fill_model="amm", pool_fee=0.0025)
    trade = run_backtest(frame, r, config).trades.iloc[0]
    q = 5_000.0
    assert trade.units == pytest.approx(y - x * y / (x + q * 0.9975))
    assert trade.entry_price > 10 * 5  # half the pool's depth: heavy impact


def test_drawdown_bars_held_and_pnl_exits():
    frame = frame_from([10, 12, 11, 10.7, 10.7, 10.7, 10.7])
    dd = run_backtest(frame, rules(["price >= 10"], ["drawdown > dd"], dd=0.1), NO_FEES)
    assert dd.trades.iloc[0].exit_time == frame.index[3]  # 10.7 is 10.8% below 12
    held = run_backtest(frame, rules(["price > 0"], ["bars_held >= 2"]), NO_FEES)
    assert held.trades.iloc[0].exit_time == frame.index[2]
    gain = run_backtest(frame, rules(["price > 0"], ["pnl > 0.15"]), NO_FEES)
    assert gain.trades.iloc[0].exit_time == frame.index[1]


def test_start_only_warms_up_rows_before():
    frame = frame_from([10, 20, 30, 40, 50])
    result = run_backtest(frame, rules(["price > ma_2"], ["price < 0"]), NO_FEES, start=3)
    assert result.trades.iloc[0].entry_time == frame.index[3]
    assert len(result.equity) == 2
    assert result.metrics.total_return == pytest.approx(50 / 40 - 1)


def test_degenerate_inputs_give_zeros_not_nan():
    one = run_backtest(frame_from([10]), rules(["price > 100"], ["price < 0"]))
    assert one.metrics.model_dump() == {k: 0 for k in one.metrics.model_dump()}
    flat = run_backtest(frame_from([10] * 50), rules(["price > 0"], ["price < 0"]), NO_FEES)
    assert flat.metrics.sharpe_ratio == 0.0 and flat.metrics.total_trades == 0
    empty = run_backtest(frame_from([10, 11]), rules(["price > 0"], ["price < 0"]), start=2)
    assert empty.metrics.total_return == 0.0 and empty.trades.empty


def test_profit_factor_cap_when_no_losses():
    frame = frame_from([10, 12, 13])
    r = rules(["price < 11"], ["price > 11"])
    assert run_backtest(frame, r, NO_FEES).metrics.profit_factor == 100.0


def test_backtest_assets_aggregates():
    frames = {"A": frame_from([10, 11, 12]), "B": frame_from([10, 9, 8])}
    per, agg = backtest_assets(frames, rules(["price > 0"], ["price < 0"]), NO_FEES)
    assert per["A"].total_return == pytest.approx(0.2)
    assert per["B"].total_return == pytest.approx(-0.2)
    assert agg.total_return == pytest.approx(0.0) and agg.total_return_sum == pytest.approx(0.0)
    assert agg.n_assets == 2


def test_bad_config_is_config_error():
    with pytest.raises(ConfigError, match="size_type"):
        EngineConfig(size_type="lots")
    frame = frame_from([10, 11])
    with pytest.raises(ConfigError, match="target_vol"):
        config = EngineConfig(size_type="volatility")
        run_backtest(frame, rules(["price > 0"], ["price < 0"]), config)

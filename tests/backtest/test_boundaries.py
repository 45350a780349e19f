"""Stops at exactly their level: DESIGN.md pins `p_t >= entry*(1+tp)` and `p_t <= entry*(1-sl)`.

Random-float tests never land a price exactly on a level, so these frames are built by hand
with levels that are exact in binary (entry 100, tp = sl = 0.25: levels 125 and 75), and each
one also checks the price one step inside the level does not fire.
"""

from __future__ import annotations

import numpy as np
import pytest

from vantageadapt.backtest import EngineConfig, evaluate_grid, run_backtest
from vantageadapt.models import METRIC_NAMES

from .frames import frame_from, rules

NO_FEES = EngineConfig(fees=0.0)
# Enter on the first row (price 100) only; never exit by signal.
ENTER_ONCE = (["price >= 100", "price <= 100"], ["price > 1000"])


def _one_trade(prices, config=NO_FEES, **extra):
    frame = frame_from(prices, **extra)
    r = rules(*ENTER_ONCE, take_profit=0.25, stop_loss=0.25, order_size=1.0, max_orders=1)
    trades = run_backtest(frame, r, config).trades
    assert len(trades) == 1
    return frame, trades.iloc[0]


def test_stop_loss_fires_at_exactly_the_level():
    frame, trade = _one_trade([100.0, 75.0, 75.0])
    assert trade.exit_reason == "stop_loss"
    assert trade.exit_time == frame.index[1] and trade.exit_price == 75.0


def test_stop_loss_does_not_fire_just_above_the_level():
    _, trade = _one_trade([100.0, np.nextafter(75.0, np.inf), 80.0])
    assert trade.exit_reason == "open"


def test_take_profit_fires_at_exactly_the_level():
    frame, trade = _one_trade([100.0, 125.0, 125.0])
    assert trade.exit_reason == "take_profit"
    assert trade.exit_time == frame.index[1] and trade.exit_price == 125.0


def test_take_profit_does_not_fire_just_below_the_level():
    _, trade = _one_trade([100.0, np.nextafter(125.0, -np.inf), 120.0])
    assert trade.exit_reason == "open"


def test_level_fills_fire_when_low_or_high_touch_exactly():
    level = EngineConfig(fees=0.0, stop_fill="level")
    prices = [100.0, 90.0, 90.0]
    frame, trade = _one_trade(prices, level, high=[100.0, 95.0, 95.0], low=[100.0, 75.0, 85.0])
    assert (trade.exit_reason, trade.exit_time, trade.exit_price) == (
        "stop_loss",
        frame.index[1],
        75.0,
    )
    frame, trade = _one_trade(prices, level, high=[100.0, 125.0, 95.0], low=[100.0, 85.0, 85.0])
    assert (trade.exit_reason, trade.exit_time, trade.exit_price) == (
        "take_profit",
        frame.index[1],
        125.0,
    )


@pytest.mark.parametrize(
    ("second", "closed", "total_return"),
    [(75.0, 1, -0.25), (125.0, 1, 0.25), (np.nextafter(75.0, np.inf), 0, 90.0 / 100.0 - 1.0)],
)
def test_grid_path_closes_at_the_same_boundary(second, closed, total_return):
    """The fast path (evaluate_grid) shares the kernel: a stop at the level ends at that price."""
    frame = frame_from([100.0, second, 90.0])
    params = {"take_profit": 0.25, "stop_loss": 0.25, "order_size": 1.0, "max_orders": 1}
    row = evaluate_grid(frame, rules(*ENTER_ONCE).conditions, [params], NO_FEES)[0]
    metrics = dict(zip(METRIC_NAMES, row, strict=True))
    assert metrics["total_trades"] == closed
    assert metrics["total_return"] == pytest.approx(total_return)


def test_levels_are_measured_from_the_entry_fill_price():
    """With slippage the lot's entry fill is 80 * 1.25 = 100, so its stop sits at exactly 75."""
    slipped = EngineConfig(fees=0.0, slippage=0.25)
    frame = frame_from([80.0, 75.0, 75.0])
    r = rules(["price >= 80", "price <= 80"], ["price > 1000"], take_profit=0.25, stop_loss=0.25)
    trade = run_backtest(frame, r, slipped).trades.iloc[0]
    assert trade.entry_price == 100.0
    assert (trade.exit_reason, trade.exit_time) == ("stop_loss", frame.index[1])

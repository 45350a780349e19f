"""Crossings at exact equality: DESIGN.md pins `a crosses_above b` as a[t] > b[t] and
a[t-1] <= b[t-1] (`crosses_below` mirrored), false where either side is NaN.

Random floats never make the two sides equal on the row before, so these series are built
by hand so that they are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vantageadapt.backtest import EngineConfig, run_backtest
from vantageadapt.models import TradingRules
from vantageadapt.rules import compile_rules


def _frame(price, volume) -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=len(price), freq="min", tz="UTC", name="timestamp")
    return pd.DataFrame(
        {"price": np.asarray(price, float), "volume": np.asarray(volume, float)}, index=index
    )


def _rules(entry: str, exit_: str = "price > 1000000") -> TradingRules:
    return TradingRules.model_validate(
        {"conditions": {"entry": [entry], "exit": [exit_]}, "parameters": {}}
    )


def _signal(condition: str, price, volume) -> list[bool]:
    compiled = compile_rules(_rules(condition), _frame(price, volume))
    return compiled.entry.tolist()


# price and volume are equal on row 1, then price moves to one side on row 2.
PRICE = [5.0, 7.0, 9.0, 9.0]
VOLUME = [8.0, 7.0, 8.0, 8.0]


def test_crosses_above_counts_equality_on_the_row_before():
    assert _signal("price crosses_above volume", PRICE, VOLUME) == [False, False, True, False]


def test_crosses_below_counts_equality_on_the_row_before():
    below = [9.0, 7.0, 5.0, 5.0]
    assert _signal("price crosses_below volume", below, VOLUME) == [False, False, True, False]


@pytest.mark.parametrize("op", ["crosses_above", "crosses_below"])
def test_equality_now_is_not_a_cross(op):
    """a[t] == b[t] is not strictly past b: neither crossing holds on the row of equality."""
    assert _signal(f"price {op} volume", [5.0, 7.0, 7.0], [6.0, 7.0, 7.0])[1] is False
    assert _signal(f"price {op} volume", [9.0, 7.0, 7.0], [6.0, 7.0, 7.0])[1] is False


@pytest.mark.parametrize("op", ["crosses_above", "crosses_below"])
def test_first_row_and_nan_never_cross(op):
    price = [9.0, np.nan, 9.0, 5.0] if op == "crosses_above" else [5.0, np.nan, 5.0, 9.0]
    signal = _signal(f"price {op} 7", price, [1.0] * 4)
    assert signal == [False, False, False, False]


def test_a_crossing_from_equality_opens_a_lot_on_that_row():
    frame = _frame(PRICE, VOLUME)
    trades = run_backtest(frame, _rules("price crosses_above volume"), EngineConfig(fees=0.0))
    assert list(trades.trades.entry_time) == [frame.index[2]]

"""Cross-check with vectorbt's Portfolio.from_signals on a rule without stops or pyramiding.

Documented differences, avoided here by construction: vectorbt ignores an entry and an exit
signalled on the same row (we exit, then may re-enter), and counts an open trade in
`trades.count()` (we count closed lots; compared with `trades.closed.count()`).
"""

from __future__ import annotations

import numpy as np
import pytest

from vantageadapt.backtest import EngineConfig, run_backtest

from .frames import random_frame, rules

vbt = pytest.importorskip("vectorbt")


@pytest.mark.parametrize(("seed", "window", "fees"), [(0, 5, 0.001), (1, 12, 0.0), (2, 30, 0.003)])
def test_total_return_and_trades_match_vectorbt(seed, window, fees):
    frame = random_frame(3_000, seed)
    r = rules([f"price > ma_{window}"], [f"price < ma_{window}"], order_size=1.0, max_orders=1)
    ours = run_backtest(frame, r, EngineConfig(fees=fees)).metrics
    price = frame["price"]
    ma = price.rolling(window).mean()
    portfolio = vbt.Portfolio.from_signals(
        price, entries=price > ma, exits=price < ma, fees=fees, init_cash=10_000.0, freq="1min"
    )
    assert ours.total_trades == int(portfolio.trades.closed.count())
    assert ours.total_return == pytest.approx(float(portfolio.total_return()), rel=1e-9, abs=1e-12)
    assert ours.max_drawdown == pytest.approx(-float(portfolio.max_drawdown()), rel=1e-9)
    assert ours.win_rate == pytest.approx(float(portfolio.trades.closed.win_rate()), rel=1e-9)
    assert np.isfinite(ours.sharpe_ratio)

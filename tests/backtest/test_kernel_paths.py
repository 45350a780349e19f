"""The kernel's fast paths (flat scan, hold loop, combined signals) against the slow reference.

Frames are built from long flat, rising and falling stretches so that most rows are skipped
flat or held, with period boundaries, several lots, AMM fills, level stops, position-term
programs and windows that start and stop inside the frame.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vantageadapt.backtest import EngineConfig, run_backtest
from vantageadapt.backtest.grid import equity_curves, evaluate_windows
from vantageadapt.models import METRIC_NAMES

from .frames import frame_from, rules
from .reference import reference_backtest

# (entry, exit): static only, several static rows each, entry-only and exit programs
TEMPLATES = [
    (["price > ma_{w}"], ["price < ma_{w}"]),
    (["price > ma_{w}", "volume > volume_ma_{w}"], ["price < low_{w}", "rsi_{w} > 80"]),
    (["price > high_{w}", "pnl <= gain"], ["price < ma_{w}"]),
    (["price crosses_above ma_{w}"], ["bars_held >= hold", "drawdown > dd"]),
    (["price > ma_{w}"], ["price < 0"]),
]
PERIODS = ["1h", "1min", "row"]


def _close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


def stretched_frame(segments, seed, ohlc, pools):
    """A minute frame whose price moves in stretches: (length, drift per row) each."""
    rng = np.random.default_rng(seed)
    steps = np.concatenate([np.full(n, d) for n, d in segments])
    steps = steps + rng.normal(0.0, 0.001, steps.shape[0])
    price = 10.0 * np.exp(np.cumsum(steps))
    extra = {}
    if ohlc:
        spread = np.abs(rng.normal(0.0, 0.004, price.shape[0])) * price
        extra["high"] = price + spread
        extra["low"] = price - spread * 0.9
    if pools:
        x = rng.uniform(50.0, 500.0, price.shape[0])
        extra["sol_pool"] = x
        extra["coin_pool"] = x / price
    return frame_from(price, rng.lognormal(0.0, 0.5, price.shape[0]), **extra)


def _same_run(result, ref):
    _close(result.equity.to_numpy(), ref.equity)
    _close(
        [getattr(result.metrics, n) for n in METRIC_NAMES], [ref.metrics[n] for n in METRIC_NAMES]
    )


@st.composite
def cases(draw):
    segments = draw(
        st.lists(
            st.tuples(st.integers(1, 90), st.sampled_from([-0.004, -0.001, 0.0, 0.002, 0.005])),
            min_size=1,
            max_size=6,
        )
    )
    ohlc, pools = draw(st.booleans()), draw(st.booleans())
    frame = stretched_frame(segments, draw(st.integers(0, 1000)), ohlc, pools)
    entry, exit_ = draw(st.sampled_from(TEMPLATES))
    base = {
        "w": draw(st.integers(2, 15)),
        "dd": draw(st.floats(0.005, 0.05)),
        "gain": draw(st.floats(0.0, 0.05)),
        "hold": draw(st.integers(1, 40)),
        "order_size": draw(st.sampled_from([0.2, 0.5, 1.0])),
    }
    sets = [
        {**base, "take_profit": tp, "stop_loss": sl, "max_orders": most}
        for tp, sl, most in draw(
            st.lists(
                st.tuples(
                    st.sampled_from([0.0, 0.005, 0.02]),
                    st.sampled_from([0.0, 0.004, 0.01]),
                    st.integers(1, 4),
                ),
                min_size=1,
                max_size=3,
            )
        )
    ]
    config = EngineConfig(
        fees=draw(st.sampled_from([0.0, 0.001])),
        slippage=draw(st.sampled_from([0.0, 0.002])),
        stop_fill="level" if ohlc and draw(st.booleans()) else "close",
        fill_model="amm" if pools else "close",
        metrics_period=draw(st.sampled_from(PERIODS)),
    )
    rows = len(frame)
    start = draw(st.integers(0, rows - 1))
    stop = draw(st.integers(start + 1, rows))
    return frame, (entry, exit_), sets, config, (start, stop)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_grid_and_curves_match_reference_on_stretches(case):
    frame, (entry, exit_), sets, config, (start, stop) = case
    config = config.resolve([frame], [frame.index[start:stop]])
    r = [rules(entry, exit_, **params) for params in sets]
    windows = [(start, stop), (0, stop)]
    grid = evaluate_windows(frame, r[0].conditions, sets, config, windows=windows)
    curves = equity_curves(frame, r[0].conditions, sets, config, start=start, stop=stop)
    for s, rule in enumerate(r):
        for w, (a, b) in enumerate(windows):
            ref = reference_backtest(frame, rule, config, start=a, stop=b)
            _close(grid[w, s], [ref.metrics[name] for name in METRIC_NAMES])
            if w == 0:
                _close(curves[s], ref.equity)


def test_long_hold_exits_at_exactly_the_stop_level_across_periods():
    # Enter once at 100, hold 300 rows (five hourly periods) at 101, stop at exactly 75.
    prices = [100.0] + [101.0] * 300 + [75.0, 75.0]
    frame = frame_from(prices)
    r = rules(["price >= 100", "price <= 100"], ["price > 1000"], take_profit=0.25,
              stop_loss=0.25, order_size=1.0, max_orders=1)  # fmt: skip
    config = EngineConfig(fees=0.0, metrics_period="1h")
    result = run_backtest(frame, r, config)
    assert len(result.trades) == 1
    trade = result.trades.iloc[0]
    assert trade.exit_reason == "stop_loss" and trade.exit_price == 75.0
    assert trade.exit_time == frame.index[301]
    ref = reference_backtest(frame, r, config)
    _same_run(result, ref)


def test_lots_open_during_a_hold_and_flat_rows_jump_to_the_next_entry():
    # Flat for 200 rows (entry false), then an entry every 50th row while holding.
    prices = np.full(500, 100.0)
    prices[200:] = 100.0 + np.arange(300) * 0.01
    volume = np.ones(500)
    volume[200::50] = 5.0
    frame = frame_from(prices, volume)
    r = rules(["volume > 2"], ["price < 0"], order_size=0.2, max_orders=4)
    config = EngineConfig(fees=0.001, metrics_period="1h")
    result = run_backtest(frame, r, config, start=10)
    assert list(result.trades.entry_time) == list(frame.index[200:400:50])
    ref = reference_backtest(frame, r, config, start=10)
    _same_run(result, ref)

"""Hypothesis: the numba engine equals the slow reference on random prices, rules and settings."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vantageadapt.backtest import EngineConfig, evaluate_grid, run_backtest
from vantageadapt.models import METRIC_NAMES

from .frames import random_frame, rules
from .reference import reference_backtest

TEMPLATES = [
    (["price > ma_{w}"], ["price < ma_{w}"]),
    (["price > high_{w}"], ["price < low_{w}", "drawdown > dd"]),
    (["rsi_{w} < 45 or price crosses_above ema_{w}"], ["rsi_{w} > 60", "bars_held >= hold"]),
    (["price > bb_lower_{w} and volume > volume_ma_{w}"], ["pnl > gain or pnl < -dd"]),
    (["not (returns_{w} < 0)", "pnl <= gain"], ["price crosses_below ma_{w}"]),
    (["macd_hist > 0"], ["macd < macd_signal", "drawdown * 2 > dd + 0.01"]),
    (["volatility_{w} < 0.03 and price / atr_{w} > 1"], ["std_{w} > 0.5"]),
]
SLOW = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def cases(draw):
    rows = draw(st.integers(1, 160))
    seed = draw(st.integers(0, 10_000))
    ohlc = draw(st.booleans())
    pools = draw(st.booleans())
    frame = random_frame(rows, seed, ohlc=ohlc, pools=pools)
    entry, exit_ = draw(st.sampled_from(TEMPLATES))
    params = {
        "w": draw(st.integers(2, 12)),
        "dd": draw(st.floats(0.01, 0.2)),
        "gain": draw(st.floats(0.0, 0.2)),
        "hold": draw(st.integers(1, 10)),
        "take_profit": draw(st.sampled_from([0.0, 0.02, 0.05, 0.1])),
        "stop_loss": draw(st.sampled_from([0.0, 0.01, 0.03, 0.08])),
        "max_orders": draw(st.integers(1, 4)),
        "order_size": draw(st.sampled_from([0.1, 0.3, 0.6, 1.0])),
        "target_vol": draw(st.floats(0.005, 0.05)),
        "vol_window": draw(st.integers(2, 10)),
        "macd_fast": draw(st.integers(2, 5)),
        "macd_slow": draw(st.integers(6, 10)),
    }
    size_type = draw(st.sampled_from(["fraction", "amount", "volatility"]))
    if size_type == "amount":
        params["order_size"] = draw(st.sampled_from([1.0, 50.0, 400.0]))
    config = EngineConfig(
        fees=draw(st.sampled_from([0.0, 0.001, 0.01])),
        slippage=draw(st.sampled_from([0.0, 0.002])),
        size_type=size_type,
        stop_fill=draw(st.sampled_from(["close", "level"])),
        fill_model=draw(st.sampled_from(["close", "amm"])),
    )
    start = draw(st.integers(0, rows))
    return frame, rules(entry, exit_, **params), config, start


def _close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


@SLOW
@given(cases())
def test_engine_matches_reference(case):
    frame, r, config, start = case
    ours = run_backtest(frame, r, config, start=start)
    ref = reference_backtest(frame, r, config, start=start)
    _close(ours.equity.to_numpy(), np.array(ref.equity))
    ref_trades = sorted(ref.trades, key=lambda tr: tr["entry_row"])
    assert len(ours.trades) == len(ref_trades)
    for (_, got), want in zip(ours.trades.iterrows(), ref_trades, strict=True):
        assert got.entry_time == frame.index[want["entry_row"]]
        assert got.exit_time == frame.index[want["exit_row"]]
        assert got.exit_reason == want["reason"]
        for column in ("entry_price", "exit_price", "units", "notional", "fees", "pnl", "return"):
            _close(got[column], want[column])
    for name in METRIC_NAMES:
        _close(getattr(ours.metrics, name), ref.metrics[name])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.integers(0, 40))
def test_grid_matches_single_runs_and_stop(case, cut):
    frame, r, config, start = case
    stop = max(start, len(frame) - cut)
    sets = [r.parameters, {**r.parameters, "w": r.parameters["w"] + 1, "take_profit": 0.03}]
    grid = evaluate_grid(frame, r.conditions, sets, config, start=start, stop=stop)
    for row, params in zip(grid, sets, strict=True):
        ref = reference_backtest(frame, rules(r.conditions.entry, r.conditions.exit, **params),
                                 config, start=start, stop=stop)  # fmt: skip
        _close(row, [ref.metrics[name] for name in METRIC_NAMES])


@pytest.mark.parametrize("seed", range(3))
def test_metrics_are_finite_on_wild_prices(seed):
    frame = random_frame(300, seed, sigma=0.5)
    r = rules(["price > ma_3"], ["price < ma_3"], take_profit=0.5, stop_loss=0.2, max_orders=3)
    metrics = run_backtest(frame, r).metrics.model_dump()
    assert all(np.isfinite(v) for v in metrics.values())

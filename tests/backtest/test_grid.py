"""evaluate_grid: one row per set equal to run_backtest, chunking, stop, custom indicators."""

from __future__ import annotations

import numpy as np
import pytest

from vantageadapt.backtest import EngineConfig, evaluate_grid, periods_per_year, run_backtest
from vantageadapt.backtest import grid as grid_module
from vantageadapt.errors import RuleError
from vantageadapt.models import METRIC_NAMES, Conditions, TradingRules
from vantageadapt.rules.indicator_store import IndicatorStore

from .frames import random_frame, rules

CONDITIONS = Conditions(
    entry=["price > ma_{w}", "volume > volume_ma_{v}"],
    exit=["price < ema_{w}", "drawdown > dd"],
)


def _sets():
    return [
        {"w": w, "v": v, "dd": dd, "take_profit": tp, "stop_loss": 0.03, "max_orders": mo,
         "order_size": 0.4}
        for w in (3, 8) for v in (5, 20) for dd in (0.02, 0.1) for tp in (0.0, 0.05)
        for mo in (1, 3)
    ]  # fmt: skip


def _single(frame, params, config, start=0):
    r = rules(CONDITIONS.entry, CONDITIONS.exit, **params)
    m = run_backtest(frame, r, config, start=start).metrics
    return [getattr(m, name) for name in METRIC_NAMES]


@pytest.mark.parametrize("tiny_chunks", [False, True])
def test_grid_rows_equal_single_backtests(monkeypatch, tiny_chunks):
    store = None
    if tiny_chunks:  # one group per kernel call, and a store that keeps nothing
        monkeypatch.setattr(grid_module, "CHUNK_BYTES", 1)
        store = IndicatorStore(max_bytes=1)
    frame = random_frame(700, 11)
    config = EngineConfig(fees=0.002)
    sets = _sets()
    out = evaluate_grid(frame, CONDITIONS, sets, config, start=100, store=store)
    assert out.shape == (len(sets), len(METRIC_NAMES))
    for row, params in zip(out, sets, strict=True):
        np.testing.assert_allclose(row, _single(frame, params, config, 100), rtol=1e-12)
    assert np.isfinite(out).all()
    assert len({tuple(r) for r in out}) > len(sets) // 2


def test_stop_means_rows_after_it_do_not_exist():
    frame = random_frame(500, 12)
    sets = _sets()[:6]
    out = evaluate_grid(frame, CONDITIONS, sets, start=50, stop=300)
    cut = frame.iloc[:300]
    config = EngineConfig().resolve([frame], [frame.index[50:300]])
    # Prices after stop are never read; only the periods per year count all the frame's rows.
    scale = np.ones(len(METRIC_NAMES))
    ratios = [METRIC_NAMES.index("sharpe_ratio"), METRIC_NAMES.index("sortino_ratio")]
    period = config.metrics_period
    scale[ratios] = np.sqrt(
        periods_per_year(frame.index, period) / periods_per_year(cut.index, period)
    )
    for row, params in zip(out, sets, strict=True):
        np.testing.assert_allclose(row, _single(cut, params, config, 50) * scale, rtol=1e-12)
    assert np.allclose(evaluate_grid(frame, CONDITIONS, sets, start=300, stop=300), 0.0)


def test_custom_indicator_in_grid():
    frame = random_frame(300, 13)

    def mid(f, window):
        return f["price"].rolling(window).median().to_numpy()

    entry, exit_ = ["price > mid_{w}"], ["price < mid_{w}"]
    conditions = Conditions(entry=entry, exit=exit_)
    custom = {"mid": mid}
    out = evaluate_grid(frame, conditions, [{"w": 4}, {"w": 9}], custom_indicators=custom)
    for row, w in zip(out, (4, 9), strict=True):
        data = {"conditions": conditions.model_dump(), "parameters": {"w": w}}
        tuned = TradingRules.checked(data, indicators=custom)
        single = run_backtest(frame, tuned, custom_indicators=custom).metrics
        np.testing.assert_allclose(row, [getattr(single, n) for n in METRIC_NAMES])
        assert row[5] > 0
    # Without the indicator passed in, `mid_N` is an unknown term (there is no registry).
    with pytest.raises(RuleError, match="unknown term"):
        evaluate_grid(frame, conditions, [{"w": 4}])
    out = evaluate_grid(frame, conditions, [{"w": 4}], custom_indicators={"mid": mid})
    assert out[0, 5] > 0

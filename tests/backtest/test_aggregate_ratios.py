"""Sharpe and Sortino over many assets: the mean of each asset's own ratio (DESIGN.md).

So the aggregate Sortino can be positive while the aggregate Sharpe and the equal-weight
return are negative: Sortino divides by the losing periods only, so a winner with rare small
losses counts for much more than a loser of the same size. Each asset's two ratios always
share their sign; only the means can disagree. Pinned against a slow reference here, with
the hand-built case that looks like a bug and is not.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vantageadapt.backtest import EngineConfig, backtest_assets

from .frames import frame_from, random_frame, rules
from .reference import periods_per_year, reference_backtest

ALWAYS_IN = rules(["price > 0"], ["price < 0"], take_profit=0.0, stop_loss=0.0, order_size=1.0,
                  max_orders=1)  # fmt: skip
RULE_SETS = [
    rules(["price > ma_5"], ["price < ma_12"], take_profit=0.05, stop_loss=0.03, order_size=0.5,
          max_orders=2),
    rules(["price < bb_lower_10"], ["price > ma_10"], take_profit=0.08, stop_loss=0.05,
          order_size=0.3, max_orders=3),
]  # fmt: skip


def _ratios(returns: list[float], ann: float) -> tuple[float, float]:
    """Sharpe and Sortino straight from their definitions (risk-free 0, annualized)."""
    n = len(returns)
    mean = sum(returns) / n
    std = math.sqrt(sum((r - mean) ** 2 for r in returns) / (n - 1))
    downside = math.sqrt(sum(min(r, 0.0) ** 2 for r in returns) / n)
    return mean / std * math.sqrt(ann), mean / downside * math.sqrt(ann)


def _prices(returns: list[float]) -> np.ndarray:
    return 10.0 * np.cumprod([1.0, *(1.0 + np.asarray(returns))])


def test_positive_mean_sortino_with_negative_mean_sharpe_and_return_is_the_mean_of_ratios():
    # A wins 20 % once and loses 1 % five times; B mirrors it, a little worse.
    winner, loser = [0.20] + [-0.01] * 5, [-0.21] + [0.01] * 5
    frames = {"A": frame_from(_prices(winner)), "B": frame_from(_prices(loser))}
    config = EngineConfig(fees=0.0, fill_model="close", metrics_period="row")
    per_asset, aggregate = backtest_assets(frames, ALWAYS_IN, config)
    expected = {}
    for symbol, moves in (("A", winner), ("B", loser)):
        # all in at the first row (no fee): a 0 return, then the price's own moves
        ann = periods_per_year(frames[symbol].index, "row")
        expected[symbol] = _ratios([0.0, *moves], ann)
        m = per_asset[symbol]
        assert (m.sharpe_ratio, m.sortino_ratio) == pytest.approx(expected[symbol], rel=1e-9)
        assert np.sign(m.sharpe_ratio) == np.sign(m.sortino_ratio)
    assert aggregate.sharpe_ratio == pytest.approx(np.mean([e[0] for e in expected.values()]))
    assert aggregate.sortino_ratio == pytest.approx(np.mean([e[1] for e in expected.values()]))
    assert aggregate.total_return == pytest.approx((1.2 * 0.99**5 + 0.79 * 1.01**5) / 2 - 1)
    # what `make run` showed once (Sortino +3.06, Sharpe -1.88, return -0.02 %), by design
    assert aggregate.total_return < 0 and aggregate.sharpe_ratio < 0 < aggregate.sortino_ratio


@settings(max_examples=15, deadline=None)
@given(
    seeds=st.lists(st.integers(0, 10_000), min_size=2, max_size=4),
    rows=st.integers(120, 400),
    which=st.integers(0, len(RULE_SETS) - 1),
    start=st.integers(0, 60),
    period=st.sampled_from(["row", "1h"]),
)
def test_aggregate_ratios_are_the_mean_of_the_reference_per_asset_ratios(
    seeds, rows, which, start, period
):
    frames = {f"S{i}": random_frame(rows + 37 * i, seed) for i, seed in enumerate(seeds)}
    config = EngineConfig(fees=0.002, metrics_period=period).resolve(frames.values())
    per_asset, aggregate = backtest_assets(
        frames, RULE_SETS[which], config, start=dict.fromkeys(frames, start)
    )
    reference = {
        s: reference_backtest(f, RULE_SETS[which], config, start=start).metrics
        for s, f in frames.items()
    }
    for name in ("sharpe_ratio", "sortino_ratio", "total_return"):
        for symbol, metrics in per_asset.items():
            assert getattr(metrics, name) == pytest.approx(
                reference[symbol][name], rel=1e-9, abs=1e-12
            )
        mean = np.mean([reference[s][name] for s in frames])
        assert getattr(aggregate, name) == pytest.approx(mean, rel=1e-9, abs=1e-12)

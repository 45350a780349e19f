"""Choosing the best iteration and the tuned rules it is tested with."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vantageadapt.backtest import EngineConfig, run_backtest
from vantageadapt.data import split_frames
from vantageadapt.pipeline.finish import score_sealed_test
from vantageadapt.results import IterationResult, best_iteration, tuned_rules

RULES = {
    "conditions": {"entry": ["price > ma_{ma_window}"], "exit": ["price < ma_{ma_window}"]},
    "parameters": {"ma_window": 20, "take_profit": 0.1, "stop_loss": 0.05},
}


def _it(index: int, score: float, unmet: list[str]) -> IterationResult:
    return IterationResult(
        index=index,
        regime="UNKNOWN",
        rules=RULES,
        parameters={},
        in_sample={},
        out_of_sample={},
        score=0.0,
        validation_score=score,
        unmet=unmet,
    )


def test_met_beats_a_higher_score_and_ties_go_to_the_earliest():
    items = [_it(1, 5.0, ["x"]), _it(2, 1.0, []), _it(3, 1.0, []), _it(4, 9.0, ["y"])]
    assert best_iteration(items).index == 2
    assert best_iteration([_it(1, 1.0, ["a"]), _it(2, 3.0, ["b"])]).index == 2


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(-10, 10), st.booleans()), min_size=1, max_size=8))
def test_best_matches_a_plain_reference(rows):
    items = [_it(i + 1, s, [] if met else ["no"]) for i, (s, met) in enumerate(rows)]
    met = [it for it in items if not it.unmet]
    pool = met or items
    top = max(it.validation_score for it in pool)
    expected = min(it.index for it in pool if it.validation_score == top)
    assert best_iteration(items).index == expected


def test_tuned_rules_fill_in_the_best_parameters():
    item = _it(1, 0.0, []).model_copy(
        update={"parameters": {"ma_window": 35.0, "take_profit": 0.2}}
    )
    rules = tuned_rules(item)
    assert rules.parameters == {"ma_window": 35.0, "take_profit": 0.2, "stop_loss": 0.05}
    assert rules.conditions.entry == ["price > ma_{ma_window}"]


def _rising(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    price = 10 * np.exp(np.cumsum(0.002 + rng.normal(0.0, 0.001, rows)))
    index = pd.date_range("2024-01-01", periods=rows, freq="min", tz="UTC", name="timestamp")
    return pd.DataFrame({"price": price, "volume": np.ones(rows)}, index=index)


def test_sealed_test_trades_only_test_rows_with_indicators_warmed_on_earlier_ones():
    # 100 rows: the last 20 are the sealed test; ma_30 is NaN on 20 rows taken alone.
    frames = {"A": _rising(100, 1), "B": _rising(100, 2)}
    split = split_frames(frames)
    best = _it(1, 0.0, []).model_copy(update={"parameters": {"ma_window": 30.0}})
    modules = SimpleNamespace(custom_indicators={}, indicator_names=())
    config = EngineConfig(fees=0.004, metrics_period="row").resolve(frames.values())
    aggregate, per_asset = score_sealed_test(split, best, modules, config)
    rules = tuned_rules(best)
    for symbol, frame in frames.items():
        start = split.test_start[symbol]
        assert start == 80
        warmed = run_backtest(frame, rules, config, start=start)
        default = run_backtest(frame, rules, EngineConfig(metrics_period="row"), start=start)
        assert per_asset[symbol]["total_return"] < default.metrics.total_return  # its fees
        assert per_asset[symbol] == pytest.approx(warmed.metrics.model_dump())
        assert (warmed.trades.entry_time >= frame.index[start]).all()
        assert len(warmed.equity) == 20 and per_asset[symbol]["exposure"] > 0.9
        cold = run_backtest(frame.iloc[start:], rules, EngineConfig())
        assert cold.metrics.exposure == 0.0  # no warm-up: the rule could not fire
    assert aggregate["n_assets"] == 2
    assert aggregate["total_return"] == pytest.approx(
        np.mean([per_asset[s]["total_return"] for s in frames])
    )

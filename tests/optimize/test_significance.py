"""The trial matrix (period returns of each trial on the same rows) against a slow reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vantageadapt.backtest import EngineConfig, run_backtest
from vantageadapt.models import TradingRules
from vantageadapt.optimize import OptimizeSettings, run_parameter_optimization
from vantageadapt.optimize.significance import (
    TrialRows,
    period_ends,
    period_returns,
    rules_significance,
    top_trials,
    trial_matrix,
)


def _walk(rows: int, freq: str, seed: int, start: str = "2024-01-01") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    price = 100 * np.exp(np.cumsum(rng.normal(0.0002, 0.004, rows)))
    steps = rng.exponential(pd.Timedelta(freq).total_seconds(), rows).cumsum()
    index = pd.DatetimeIndex(
        pd.Timestamp(start, tz="UTC") + pd.to_timedelta(np.floor(steps), unit="s"),
        name="timestamp",
    )
    return pd.DataFrame({"price": price, "volume": rng.uniform(1.0, 10.0, rows)}, index=index)


def _slow_period_returns(equity: pd.Series, period: str, init_cash: float) -> pd.Series:
    """pandas resample: last equity of each non-empty period, E_0 = init_cash."""
    last = equity.resample(period).last().dropna()
    values = [init_cash, *last.tolist()]
    return pd.Series(
        [values[k] / values[k - 1] - 1 for k in range(1, len(values))], index=last.index
    )


@settings(max_examples=30, deadline=None)
@given(rows=st.integers(5, 400), seed=st.integers(0, 1000), period=st.sampled_from(["1min", "1h"]))
def test_period_returns_match_pandas_resample(rows, seed, period):
    frame = _walk(rows, "20s", seed)
    equity = pd.Series(10_000 * frame["price"].to_numpy() / 100, index=frame.index)
    fast = period_returns(equity.to_numpy(), period_ends(frame.index, period), 10_000.0)
    slow = _slow_period_returns(equity, period, 10_000.0)
    np.testing.assert_allclose(fast, slow.to_numpy(), rtol=1e-12)
    # several curves at once: each row exactly as alone
    curves = np.stack([equity.to_numpy(), equity.to_numpy()[::-1], np.full(rows, 9_000.0)])
    ends = period_ends(frame.index, period)
    many = period_returns(curves, ends, 10_000.0)
    for row, curve in zip(many, curves, strict=True):
        np.testing.assert_array_equal(row, period_returns(curve, ends, 10_000.0))


def test_significance_is_measured_on_the_runs_metrics_period():
    frames = {"A": _walk(5_000, "60s", 1)}
    trials = [RULES, RULES]
    sig = rules_significance(TrialRows(frames, {"A": (0, 5_000)}, EngineConfig()), trials, 2)
    assert sig.period == "1h"  # ~83 hours: the coarsest period with 30 in the window
    pinned = TrialRows(frames, {"A": (0, 5_000)}, EngineConfig(metrics_period="1min"))
    assert rules_significance(pinned, trials, 2).period == "1min"


RULES = TradingRules.model_validate(
    {
        "conditions": {"entry": ["price > ma_{w}"], "exit": ["price < ma_{w}"]},
        "parameters": {"w": 20, "take_profit": 0.2, "stop_loss": 0.1, "order_size": 0.5},
    }
)


def test_trial_matrix_matches_a_slow_portfolio_of_pandas_period_returns():
    frames = {"A": _walk(3_000, "30s", 4), "B": _walk(2_500, "45s", 5, "2024-01-01 00:07")}
    windows = {"A": (500, 3_000), "B": (0, 2_000)}
    trials = [
        TradingRules(conditions=RULES.conditions, parameters={**RULES.parameters, "w": w})
        for w in (5, 20, 60)
    ]
    fast = trial_matrix(TrialRows(frames, windows, EngineConfig()), trials, "1min")
    for j, tuned in enumerate(trials):
        parts = []
        for sym, (start, stop) in windows.items():
            equity = run_backtest(frames[sym].iloc[:stop], tuned, start=start).equity
            parts.append(_slow_period_returns(equity, "1min", 10_000.0))
        slow = pd.concat(parts, axis=1, sort=True).fillna(0.0).mean(axis=1)
        np.testing.assert_allclose(fast[:, j], slow.to_numpy(), rtol=1e-10, atol=1e-14)


def test_top_trials_are_best_first():
    params = [{"w": 5.0}, {"w": 9.0}, {"w": 7.0}]
    picked = top_trials(RULES, params, [0.1, 0.9, 0.5], 2)
    assert [t.parameters["w"] for t in picked] == [9.0, 7.0]
    assert picked[0].parameters["take_profit"] == 0.2


def test_the_optimizer_measures_its_pick_on_the_same_rows_as_its_trials(monkeypatch):
    from vantageadapt.optimize import optimizer

    frames = {"A": _walk(2_000, "30s", 6), "B": _walk(2_000, "30s", 7)}
    seen = {}
    real = optimizer.rules_significance

    def spy(rows, trials, n_trials):
        seen.update(windows=rows.windows, trials=trials, n_trials=n_trials)
        return real(rows, trials, n_trials)

    monkeypatch.setattr(optimizer, "rules_significance", spy)
    starts = dict.fromkeys(frames, 1_500)
    result = run_parameter_optimization(
        frames, RULES, settings=OptimizeSettings(trials=8, seed=2, prior_trials=40),
        validation_start=starts,
    )  # fmt: skip
    assert seen["windows"] == {s: (0, 1_500) for s in result.subset}
    assert seen["n_trials"] == result.trials + 40
    assert seen["trials"][0].parameters == result.best_parameters  # the pick is column 0
    assert 0.0 <= result.deflated_sharpe <= 1.0
    assert result.pbo is None or 0.0 <= result.pbo <= 1.0 or np.isnan(result.pbo)
    assert result.significance_periods.endswith("x 1min")


def test_switched_off_significance_is_not_measured():
    frames = {"A": _walk(1_000, "30s", 8)}
    result = run_parameter_optimization(
        frames, RULES, settings=OptimizeSettings(trials=4, significance=False),
        validation_start={"A": 800},
    )  # fmt: skip
    assert result.deflated_sharpe == 0.0
    assert np.isnan(result.pbo)


@pytest.mark.parametrize("n_trials", [1, 1_000])
def test_rules_significance_deflates_for_the_trials_counted(n_trials):
    frames = {"A": _walk(3_000, "30s", 9)}
    trials = [
        TradingRules(conditions=RULES.conditions, parameters={**RULES.parameters, "w": w})
        for w in (10, 30, 50, 70)
    ]
    sig = rules_significance(TrialRows(frames, {"A": (0, 3_000)}, EngineConfig()), trials, n_trials)
    assert sig.period == "1min" and sig.periods > 100
    if n_trials == 1_000:
        assert sig.deflated_sharpe < 0.5

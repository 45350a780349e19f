"""The seed-compatible Backtester: load_trade_data, run_parameter_optimization(data, conditions)."""

from __future__ import annotations

import pandas as pd
import pytest

from vantageadapt.errors import RuleError
from vantageadapt.optimize import Backtester, OptimizeSettings


def test_seed_api_round_trip(tmp_path, walks):
    parts = [f.reset_index().assign(symbol=s) for s, f in list(walks.items())[:2]]
    pd.concat(parts).to_csv(tmp_path / "trades.csv", index=False)
    backtester = Backtester(OptimizeSettings(trials=6))
    data = backtester.load_trade_data(tmp_path / "trades.csv")
    assert sorted(data) == ["W0", "W1"]
    out = backtester.run_parameter_optimization(
        data, {"entry": ["price > ma_20"], "exit": ["price < ma_20"]}
    )
    assert {"metrics", "parameters", "out_of_sample", "trials", "deflated_sharpe"} <= set(out)
    assert out["trials"] == 6 and out["metrics"]["n_assets"] == 2
    assert 0.05 <= out["parameters"]["take_profit"] <= 0.3
    assert backtester.last_result is not None and backtester.last_result.trials == 6


def test_conditions_naming_a_parameter_need_its_value(walks):
    backtester = Backtester(OptimizeSettings(trials=2))
    conditions = {"entry": ["price > ma_20 * band"], "exit": ["price < ma_20"]}
    with pytest.raises(RuleError):
        backtester.run_parameter_optimization(walks, conditions)
    out = backtester.run_parameter_optimization(walks, conditions, parameters={"band": 1.01})
    assert 0.505 <= out["parameters"]["band"] <= 2.02


def test_the_seed_default_exit_needs_no_max_drawdown_value(walks):
    # max_drawdown is a known risk parameter (default 0.1), searched over 0.02-0.3.
    backtester = Backtester(OptimizeSettings(trials=2))
    conditions = {"entry": ["price > ma_20"], "exit": ["drawdown > max_drawdown"]}
    out = backtester.run_parameter_optimization(walks, conditions)
    assert 0.02 <= out["parameters"]["max_drawdown"] <= 0.3

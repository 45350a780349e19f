"""The deflated Sharpe's inputs: per-period Sharpes per asset, whatever each asset's row spacing."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from vantageadapt.backtest import EngineConfig, evaluate_grid, periods_per_year
from vantageadapt.backtest.periods import count_periods
from vantageadapt.models import METRIC_NAMES
from vantageadapt.optimize import OptimizeSettings, run_parameter_optimization
from vantageadapt.optimize import optimizer as optimizer_module
from vantageadapt.optimize.splits import inner_holdout

SHARPE = METRIC_NAMES.index("sharpe_ratio")
VALIDATION_START = 1_500


def _walk(rows: int, freq: str, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    price = 100 * np.exp(np.cumsum(rng.normal(0.0005, 0.004, rows)))
    index = pd.date_range("2024-01-01", periods=rows, freq=freq, tz="UTC", name="timestamp")
    return pd.DataFrame({"price": price, "volume": rng.uniform(1.0, 10.0, rows)}, index=index)


def _per_period(frame: pd.DataFrame, period: str, annualized: float) -> float:
    """An annualized Sharpe back to one period's: P counts periods over all the frame's rows."""
    return annualized / math.sqrt(periods_per_year(frame.index, period))


def test_dsr_deflates_per_period_sharpes_of_assets_with_different_spacing(ma_rules, monkeypatch):
    # One asset trades every second, the other hourly: 3,600x apart in rows per year.
    frames = {"FAST": _walk(2_000, "1s", 1), "SLOW": _walk(2_000, "1h", 2)}
    seen = {}
    real = optimizer_module.deflated_sharpe_ratio

    def spy(sharpe, trial_sharpes, n_obs, **kwargs):
        seen.update(sharpe=sharpe, trials=np.asarray(trial_sharpes), n_obs=n_obs)
        return real(sharpe, trial_sharpes, n_obs, **kwargs)

    monkeypatch.setattr(optimizer_module, "deflated_sharpe_ratio", spy)
    starts = dict.fromkeys(frames, VALIDATION_START)
    result = run_parameter_optimization(
        frames, ma_rules, settings=OptimizeSettings(trials=4, seed=3), validation_start=starts
    )
    period = result.engine["metrics_period"]
    assert period == "row"  # FAST's 375-second holdout has too few minutes for 1min periods
    chosen = np.mean(
        [_per_period(frames[s], period, result.per_asset_in[s].sharpe_ratio) for s in frames]
    )
    assert seen["sharpe"] == pytest.approx(chosen, rel=1e-9, abs=1e-12)
    assert seen["n_obs"] == np.mean(
        [count_periods(frames[s].index[:VALIDATION_START], period) for s in frames]
    )
    fit_stop = inner_holdout(VALIDATION_START).fit_stop
    searched = [c for c in result.landscape.columns if c != "score"]
    expected = []
    for record in result.landscape[searched].to_dict("records"):
        params = {**ma_rules.parameters, **record}
        expected.append(
            np.mean(
                [
                    _per_period(
                        frames[s],
                        period,
                        evaluate_grid(
                            frames[s],
                            ma_rules.conditions,
                            [params],
                            EngineConfig(**result.engine),
                            stop=fit_stop,
                        )[0, SHARPE],
                    )
                    for s in result.subset
                ]
            )
        )
    np.testing.assert_allclose(seen["trials"], expected, rtol=1e-9, atol=1e-12)

"""Contract tests every workspace module must pass.

They run inside a candidate's worker (`worker_main`, in the sandbox) on small synthetic data;
a failure raises ContractError naming the module and the broken promise. The backtest of a
candidate is its evaluation: the main process's engine, with indicators from the worker.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from vantageadapt.models import (
    KeyIndicators,
    KeyLevels,
    MarketAnalysis,
    MarketContext,
    MarketRegime,
    RegimeRule,
    RiskManagement,
    StrategyInsight,
    TradingRules,
    VolatilityAdjustment,
)
from vantageadapt.optimize.space import SearchSpace, default_search_space

THEMES = ("breakout trading", "mean reversion", "momentum", "trend following")
FALLBACK_RULES: dict[str, Any] = {
    "conditions": {"entry": ["price > ma_20"], "exit": ["price < ma_20"]},
    "parameters": {"take_profit": 0.1, "stop_loss": 0.05, "order_size": 0.1, "max_orders": 2},
}


class ContractError(AssertionError):
    """A workspace module broke a promise the pipeline relies on."""


def sample_frame(rows: int = 600, seed: int = 7) -> pd.DataFrame:
    """A canonical frame: a seeded random walk with volume, one row a minute, UTC."""
    rng = np.random.default_rng(seed)
    price = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, rows)))
    volume = rng.lognormal(3.0, 0.5, rows)
    index = pd.date_range("2024-01-01", periods=rows, freq="min", tz="UTC", name="timestamp")
    return pd.DataFrame({"price": price, "volume": volume}, index=index)


def sample_context() -> MarketContext:
    """A fixed market read for contract checks."""
    return MarketContext(
        regime=MarketRegime.BREAKOUT,
        confidence=0.6,
        volatility_level=0.5,
        trend_strength=0.4,
        volume_profile="rising",
        risk_level="medium",
        key_levels=KeyLevels(support=95.0, resistance=105.0),
        analysis=MarketAnalysis(
            price_action="higher highs", volume_analysis="rising", momentum="up", volatility="mid"
        ),
    )


def sample_insight() -> StrategyInsight:
    """A fixed strategy insight for contract checks."""
    rule = RegimeRule(position_size_mult=1.0, stop_loss_mult=1.0, take_profit_mult=1.0)
    return StrategyInsight(
        regime_change_probability=0.2,
        suggested_position_size=0.1,
        volatility_adjustment=VolatilityAdjustment(entry_zone=0.01, exit_zone=0.02, stop_loss=0.05),
        regime_specific_rules={MarketRegime.BREAKOUT: rule},
        key_indicators=KeyIndicators(
            primary=["ma_20"], confirmation=["volume_ma"], exit=["rsi_14"]
        ),
        risk_management=RiskManagement(
            max_position_size=0.5, max_correlation=0.7, max_drawdown=0.2
        ),
        rationale="contract check",
    )


def _require(condition: bool, module: str, message: str) -> None:
    if not condition:
        raise ContractError(f"{module}: {message}")


def check_strategy_generator(module: ModuleType, indicators: tuple[str, ...]) -> list[str]:
    """compose_rules returns None or a rules dict the rule language accepts, for any theme."""
    notes = []
    for theme in THEMES:
        result = module.compose_rules(sample_insight(), sample_context(), theme)
        if result is None:
            continue
        _require(
            isinstance(result, dict), "strategy_generator.py", "compose_rules must return dict"
        )
        TradingRules.checked(result, indicators=indicators)
        notes.append(f"compose_rules({theme!r}) gives rules")
    return notes


def _metrics(**values: float) -> dict[str, float]:
    base = {
        "total_return": 0.1,
        "sharpe_ratio": 1.0,
        "sortino_ratio": 1.0,
        "max_drawdown": 0.1,
        "win_rate": 0.5,
        "total_trades": 50.0,
        "profit_factor": 1.2,
        "avg_trade_return": 0.002,
        "exposure": 0.3,
        "n_assets": 2.0,
        "total_return_sum": 0.2,
    }
    base.update(values)
    return base


def check_scoring(module: ModuleType) -> list[str]:
    """score is a finite, deterministic float and never ranks a strictly better set lower."""
    cases = [
        _metrics(),
        _metrics(total_trades=0.0, sortino_ratio=0.0, total_return=0.0, max_drawdown=0.0),
        _metrics(sortino_ratio=-3.0, total_return=-0.4, max_drawdown=0.6),
        _metrics(sortino_ratio=50.0, total_trades=5000.0),
    ]
    for in_sample in cases:
        for holdout in (None, *cases):
            value = module.score(in_sample, holdout, 1000)
            _require(
                isinstance(value, float | int) and math.isfinite(value),
                "scoring.py",
                f"score must be a finite number, got {value!r}",
            )
            again = module.score(dict(in_sample), None if holdout is None else dict(holdout), 1000)
            _require(value == again, "scoring.py", "score must be deterministic")
    worse = _metrics(sortino_ratio=0.5, total_trades=10.0, max_drawdown=0.3, total_return=0.0)
    better = _metrics(sortino_ratio=2.0, total_trades=80.0, max_drawdown=0.05, total_return=0.3)
    _require(
        module.score(better, better, 1000) >= module.score(worse, worse, 1000),
        "scoring.py",
        "score ranks a set with higher sortino, more trades and less drawdown below a worse one",
    )
    return ["score finite, deterministic, monotone"]


def check_search_space(module: ModuleType) -> list[str]:
    """adjust_search_space returns a valid space over the same parameter names."""
    space = default_search_space(TradingRules.model_validate(FALLBACK_RULES))
    adjusted = module.adjust_search_space(space)
    _require(
        isinstance(adjusted, SearchSpace),
        "search_space.py",
        "adjust_search_space must return a SearchSpace",
    )
    _require(
        sorted(adjusted.names) == sorted(space.names),
        "search_space.py",
        f"adjust_search_space changed the parameter names {space.names} -> {adjusted.names}",
    )
    return ["search space valid"]


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(a, b, equal_nan=True) or np.allclose(a, b, equal_nan=True))


def check_indicators(module: ModuleType) -> list[str]:
    """Each custom indicator gives a float array as long as the frame, without look-ahead."""
    table = module.CUSTOM_INDICATORS
    _require(isinstance(table, Mapping), "indicators.py", "CUSTOM_INDICATORS must be a dict")
    frame = sample_frame()
    cut = len(frame) // 2
    notes = []
    for name, fn in table.items():
        _require(
            isinstance(name, str) and name.isidentifier() and name.islower(),
            "indicators.py",
            f"indicator name {name!r} must be a lower-case identifier",
        )
        _require(callable(fn), "indicators.py", f"indicator {name!r} is not callable")
        for window in (5, 20):
            values = np.asarray(fn(frame, window))
            _require(
                values.shape == (len(frame),) and values.dtype.kind == "f",
                "indicators.py",
                f"{name}(frame, {window}) must return a float array of {len(frame)} values",
            )
            _require(
                not np.isinf(values).any(), "indicators.py", f"{name} returns inf; use NaN instead"
            )
            early = np.asarray(fn(frame.iloc[:cut], window))
            _require(
                _same(early, values[:cut]),
                "indicators.py",
                f"{name}_{window} looks ahead: values before row {cut} change with later rows",
            )
        notes.append(f"indicator {name} ok")
    return notes


def run_contracts(modules: Mapping[str, ModuleType]) -> list[str]:
    """Every module's contract checks; notes on what ran."""
    notes = check_indicators(modules["indicators.py"])
    names = tuple(modules["indicators.py"].CUSTOM_INDICATORS)
    notes += check_scoring(modules["scoring.py"])
    notes += check_search_space(modules["search_space.py"])
    notes += check_strategy_generator(modules["strategy_generator.py"], names)
    return notes

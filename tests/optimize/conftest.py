"""Synthetic frames for optimizer tests: a planted optimum and plain random walks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vantageadapt.models import TradingRules
from vantageadapt.optimize import ParamSpec, SearchSpace

TP_CHOICES = (0.03, 0.06, 0.09, 0.12, 0.2)


def _frame(price: np.ndarray, volume: np.ndarray) -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=len(price), freq="1min", tz="UTC")
    return pd.DataFrame({"price": price, "volume": volume}, index=index.rename("timestamp"))


def sawtooth(cycles: int, seed: int) -> pd.DataFrame:
    """Each 60-row cycle: a volume spike at the bottom, a +10% climb, a fall to 98% of bottom."""
    rng = np.random.default_rng(seed)
    prices, volumes, bottom = [], [], 100.0
    for _ in range(cycles):
        climb = bottom * np.linspace(1.0, 1.10, 50) * (1 + rng.normal(0, 0.0005, 50))
        climb[0] = bottom
        fall = np.linspace(bottom * 1.10, bottom * 0.98, 11)[1:]
        prices += [*climb, *fall]
        volumes += [10.0] + [1.0] * 59
        bottom *= 0.98
    return _frame(np.asarray(prices), np.asarray(volumes))


@pytest.fixture
def planted_frames() -> dict[str, pd.DataFrame]:
    """Three assets where take_profit 0.09 is clearly the best of the offered choices."""
    return {f"S{i}": sawtooth(120, seed=i) for i in range(3)}


@pytest.fixture
def spike_rules() -> TradingRules:
    """Enter on a volume spike; no signal exit (stops only)."""
    return TradingRules.model_validate(
        {
            "conditions": {"entry": ["volume > spike"], "exit": ["price < 0"]},
            "parameters": {
                "take_profit": 0.1,
                "stop_loss": 0.05,
                "order_size": 0.5,
                "max_orders": 1,
                "spike": 5,
            },
        }
    )


def random_walks(assets: int, rows: int, seed: int) -> dict[str, pd.DataFrame]:
    """Independent log-normal random walks with random volume."""
    rng = np.random.default_rng(seed)
    out = {}
    for a in range(assets):
        price = 100 * np.exp(np.cumsum(rng.normal(0.0, 0.004, rows)))
        out[f"W{a}"] = _frame(price, rng.uniform(1.0, 10.0, rows))
    return out


@pytest.fixture
def walks() -> dict[str, pd.DataFrame]:
    """Seven random-walk assets of 3,000 rows."""
    return random_walks(7, 3000, seed=11)


@pytest.fixture
def ma_rules() -> TradingRules:
    """A moving-average crossover with a window parameter and a drawdown exit."""
    return TradingRules.model_validate(
        {
            "conditions": {
                "entry": ["price crosses_above ma_{ma_window}"],
                "exit": ["price < ma_{ma_window}", "drawdown > max_drawdown"],
            },
            "parameters": {
                "take_profit": 0.1,
                "stop_loss": 0.05,
                "order_size": 0.2,
                "max_orders": 2,
                "ma_window": 20,
                "max_drawdown": 0.1,
            },
        }
    )


@pytest.fixture
def planted_space() -> SearchSpace:
    """Five take_profit choices (0.09 is best on the sawtooth) and three stop losses."""
    return SearchSpace(
        params=(
            ParamSpec(name="take_profit", kind="choice", choices=TP_CHOICES),
            ParamSpec(name="stop_loss", kind="choice", choices=(0.02, 0.08, 0.3)),
        )
    )

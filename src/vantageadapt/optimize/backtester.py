"""`Backtester`: the seed's public API (load_trade_data, run_parameter_optimization) on top."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from vantageadapt.models import Conditions, TradingRules
from vantageadapt.optimize.optimizer import run_parameter_optimization
from vantageadapt.optimize.result import OptimizationResult
from vantageadapt.optimize.settings import OptimizeSettings

# Starting values for the searched parameters when the caller gives only conditions.
SEED_PARAMETERS: dict[str, float] = {
    "take_profit": 0.1,
    "stop_loss": 0.05,
    "order_size": 0.1,
    "max_orders": 3,
}


class Backtester:
    """Loads trade data and tunes rule parameters, as the original system's class did."""

    def __init__(self, settings: OptimizeSettings | None = None, config: Any = None) -> None:
        self.settings = settings or OptimizeSettings()
        self.config = config
        self.last_result: OptimizationResult | None = None

    def load_trade_data(self, path: str | Path, *, trust_pickle: bool = False) -> dict[str, Any]:
        """{symbol: canonical DataFrame} from a file or folder (see `load_trade_data`)."""
        from vantageadapt.data import load_trade_data

        return load_trade_data(path, trust_pickle=trust_pickle)

    def run_parameter_optimization(
        self,
        trade_data: Mapping[str, pd.DataFrame],
        conditions: Conditions | TradingRules | Mapping[str, Any],
        *,
        parameters: Mapping[str, float] | None = None,
    ) -> dict[str, Any]:
        """Search, re-run the best on all assets; {'metrics', 'parameters', 'out_of_sample', ...}.

        `conditions` is the seed's {"entry": [...], "exit": [...]}, a whole rules dict, or
        a TradingRules; `parameters` fills in values the conditions refer to.
        """
        rules = _as_rules(conditions, parameters)
        result = run_parameter_optimization(
            trade_data, rules, settings=self.settings, config=self.config
        )
        self.last_result = result
        return {
            "metrics": result.in_sample.model_dump(),
            "parameters": result.best_parameters,
            "out_of_sample": result.out_of_sample.model_dump(),
            "score": result.score,
            "trials": result.trials,
            "deflated_sharpe": result.deflated_sharpe,
        }


def _as_rules(
    conditions: Conditions | TradingRules | Mapping[str, Any],
    parameters: Mapping[str, float] | None,
) -> TradingRules:
    if isinstance(conditions, TradingRules):
        base = dict(conditions.parameters)
        cond = conditions.conditions
    elif isinstance(conditions, Mapping) and "conditions" in conditions:
        base = dict(conditions.get("parameters", {}))
        cond = Conditions.model_validate(conditions["conditions"])
    else:
        base = {}
        cond = Conditions.model_validate(conditions)
    merged = {**SEED_PARAMETERS, **base, **(parameters or {})}
    return TradingRules(conditions=cond, parameters=merged)

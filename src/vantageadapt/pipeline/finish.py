"""The end of a run: pick the best iteration, score the sealed test window once."""

from __future__ import annotations

from typing import Any

from vantageadapt.models import TradingRules
from vantageadapt.pipeline.results import IterationResult


def choose_best(iterations: list[IterationResult]) -> IterationResult:
    """Iterations meeting every threshold first, then the fixed validation score, then earliest."""
    return max(iterations, key=lambda it: (not it.unmet, it.validation_score, -it.index))


def tuned_rules(iteration: IterationResult) -> TradingRules:
    """The iteration's rules with the optimizer's best parameters filled in."""
    rules = TradingRules.model_validate(iteration.rules)
    parameters = {**rules.parameters, **iteration.parameters}
    return TradingRules(conditions=rules.conditions, parameters=parameters)


def score_sealed_test(
    split: Any, best: IterationResult, modules: Any
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Backtest the best strategy on the sealed test rows (full frames, trading from test_start)."""
    from vantageadapt.backtest import EngineConfig, backtest_assets

    per_asset, aggregate = backtest_assets(
        split.full,
        tuned_rules(best),
        EngineConfig(),
        start=split.test_start,
        custom_indicators=modules.custom_indicators,
    )
    return (
        {k: float(v) for k, v in aggregate.model_dump().items()},
        {s: {k: float(v) for k, v in m.model_dump().items()} for s, m in per_asset.items()},
    )

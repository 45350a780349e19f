"""The end of a run: score the best iteration (`results.best_iteration`) on the sealed test once."""

from __future__ import annotations

from typing import Any

from vantageadapt.results import IterationResult, tuned_rules


def score_sealed_test(
    split: Any, best: IterationResult, hooks: Any, config: Any
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Backtest the best strategy on the sealed test rows (full frames, trading from test_start)
    with the run's engine settings (`config`, an EngineConfig)."""
    from vantageadapt.backtest import backtest_assets

    per_asset, aggregate = backtest_assets(
        split.full,
        tuned_rules(best, hooks.indicator_names),
        config,
        start=split.test_start,
        custom_indicators=hooks.custom_indicators,
    )
    return (
        {k: float(v) for k, v in aggregate.model_dump().items()},
        {s: {k: float(v) for k, v in m.model_dump().items()} for s, m in per_asset.items()},
    )

"""Small, valid records for the store tests."""

from __future__ import annotations

from helpers.records import patch_record
from vantageadapt.models import LLMCall, MarketContext, StrategyInsight
from vantageadapt.store import (
    IterationRecord,
    PerformanceRecord,
    PromptVersionRecord,
    RunRecord,
    StrategyRecord,
)

CONTEXT = {
    "regime": "BREAKOUT",
    "confidence": 0.7,
    "volatility_level": 0.4,
    "trend_strength": 0.6,
    "volume_profile": "rising",
    "risk_level": "medium",
    "key_levels": {"support": 1.5, "resistance": 2.5},
    "analysis": {
        "price_action": "higher highs",
        "volume_analysis": "expanding",
        "momentum": "positive",
        "volatility": "moderate",
    },
}

INSIGHT = {
    "regime_change_probability": 0.2,
    "suggested_position_size": 0.1,
    "volatility_adjustment": {"entry_zone": 0.01, "exit_zone": 0.02, "stop_loss": 0.05},
    "regime_specific_rules": {
        "BREAKOUT": {"position_size_mult": 1.2, "stop_loss_mult": 0.8, "take_profit_mult": 1.5}
    },
    "key_indicators": {"primary": ["high_20"], "confirmation": ["volume_ma"], "exit": ["ma_20"]},
    "risk_management": {"max_position_size": 0.2, "max_correlation": 0.5, "max_drawdown": 0.1},
    "rationale": "buy strength above the 20-row high",
}


def run_record(theme: str = "breakout trading", **overrides) -> RunRecord:
    """A new run."""
    values = {
        "theme": theme,
        "provider": "offline",
        "model": "offline-1",
        "data_path": "data/sample.pkl",
        "data_fingerprint": "d" * 64,
        "test_fingerprint": "t" * 64,
        "settings": {"iterations": 3, "optimize": {"trials": 20}},
    }
    return RunRecord(**{**values, **overrides})


def iteration_record(
    index: int,
    *,
    theme: str = "breakout trading",
    regime: str = "BREAKOUT",
    sortino_in: float = 1.0,
    sortino_out: float = 0.5,
    validation_score: float | None = 0.3,
    patch_ids: tuple[str, ...] = (),
    assets: tuple[str, ...] = ("AAA", "BBB"),
) -> IterationRecord:
    """An iteration with a context, strategy, aggregate and per-asset rows, patches, prompt
    versions and one strategist call."""
    performance = [
        PerformanceRecord.from_metrics(
            "in_sample",
            {
                "total_return": 0.2 * index,
                "sortino_ratio": sortino_in,
                "total_trades": 40,
                "total_return_sum": 0.4 * index,
                "n_assets": len(assets),
            },
        ),
        PerformanceRecord.from_metrics(
            "out_of_sample",
            {"total_return": 0.1 * index, "sortino_ratio": sortino_out, "total_trades": 12},
        ),
    ]
    performance += [
        PerformanceRecord.from_metrics(
            "in_sample", {"total_return": 0.1, "win_rate": 0.5, "total_trades": 20}, asset=a
        )
        for a in assets
    ]
    return IterationRecord(
        index=index,
        regime=regime,
        market_context=MarketContext.model_validate({**CONTEXT, "regime": regime}),
        strategy=StrategyRecord(
            theme=theme,
            regime=regime,
            conditions={
                "entry": ["price > high_20", "volume > volume_ma"],
                "exit": ["price < ma_20"],
            },
            parameters={"take_profit": 0.1 + index / 100, "stop_loss": 0.05, "max_orders": 3.0},
            insight=StrategyInsight.model_validate(INSIGHT),
            performance=performance,
        ),
        score=float(index),
        validation_score=validation_score,
        unmet=["sortino_ratio 0.5 < 2.0"],
        optimization={"trials": 20, "deflated_sharpe": 0.4, "parameters_at_edge": {}},
        patches=[
            patch_record(pid, diff="-a\n+b", score_before=0.1, score_after=0.3) for pid in patch_ids
        ],
        prompt_versions=[
            PromptVersionRecord(name="rules/generate", version=1, template="Make rules for {theme}")
        ],
        llm_calls=[
            LLMCall(
                provider="offline",
                model="offline-1",
                purpose="generate_trading_rules",
                prompt_name="rules/generate",
                prompt_version=1,
                request_hash="h" * 16,
                request={"messages": [{"role": "user", "content": "rules"}]},
                response={"conditions": {"entry": ["price > high_20"]}},
                latency_ms=1.5,
                prompt_tokens=10,
                completion_tokens=20,
            )
        ],
        timings={"optimize": 1.25, "strategist": 0.01},
    )

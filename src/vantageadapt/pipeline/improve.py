"""One Gödel round inside an iteration, judged by the fixed evaluator on validation rows."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from vantageadapt.models import ImprovementContext, MarketRegime, TradingRules
from vantageadapt.optimize import validation_score
from vantageadapt.pipeline.stages import RunParts, compose, metric_dict, optimize
from vantageadapt.results import IterationResult, PatchRecord


@dataclass
class Plan:
    """The strategist's answers of one iteration (re-asked only when a prompt changed)."""

    context: Any
    insight: Any
    proposed: TradingRules


def may_improve(settings: Any, index: int, rounds: int) -> bool:
    """Whether iteration `index` may run a Gödel round, `rounds` rounds run before it:
    improving is on, a round is left, and it is not the last iteration."""
    return (
        settings.agent.enabled
        and rounds < settings.agent.max_iterations
        and index < settings.iterations
    )


def _prompt_state(prompts: Any) -> dict[str, int]:
    return {name: prompts.get(name)[1] for name in prompts.names()}


async def improve(
    parts: RunParts,
    index: int,
    history: list[IterationResult],
    plan: Plan,
    result: Any,
    unmet: list[str],
) -> list[PatchRecord]:
    """One Gödel round: each candidate is judged by the fixed evaluator on validation rows."""
    settings = parts.settings
    ctx = ImprovementContext(
        theme=settings.theme,
        regime=MarketRegime.parse(plan.context.regime),
        in_sample=metric_dict(result.in_sample),
        out_of_sample=metric_dict(result.out_of_sample),
        unmet=unmet,
        parameters=dict(result.best_parameters),
        parameters_at_edge=dict(result.parameters_at_edge),
        history=[
            p.model_dump(include={"target", "op", "status", "reason"})
            for item in history
            for p in item.patches
        ],
        iteration=index,
    )
    prompts_then = _prompt_state(parts.prompts)

    async def evaluate(candidate: Any) -> float:
        """Re-tune with the candidate's hooks; score with package code on validation rows."""
        insight, proposed = plan.insight, plan.proposed
        if _prompt_state(parts.prompts) != prompts_then:
            # A prompt change can only help through what the strategist answers with it.
            insight = await parts.trader.generate_strategy(settings.theme, plan.context)
            proposed = await parts.trader.generate_trading_rules(
                insight, plan.context, settings.theme
            )
        rules = await asyncio.to_thread(
            compose, candidate, insight, plan.context, settings.theme, proposed
        )
        tuned = await optimize(
            parts, rules, candidate, trials=settings.optimize.eval_trials, label="patch check"
        )
        return float(validation_score(tuned.out_of_sample, tuned.in_sample))

    return await parts.agent.improve(ctx, evaluate)

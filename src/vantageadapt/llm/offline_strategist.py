"""The built-in deterministic strategist behind the Strategist seam (no network, no key)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from vantageadapt.llm.answers import M
from vantageadapt.llm.hypotheses import Hypotheses, HypothesesAsk, offline_hypotheses
from vantageadapt.llm.ledger import request_hash
from vantageadapt.llm.offline import (
    OFFLINE_MODEL,
    offline_insight,
    offline_market_context,
)
from vantageadapt.llm.offline_patches import propose_patch_offline
from vantageadapt.llm.offline_prompt_changes import propose_prompt_change_offline
from vantageadapt.llm.offline_rules import OfflineHints, offline_hints, offline_rules
from vantageadapt.llm.questions import dump_json
from vantageadapt.llm.stats import MarketStats
from vantageadapt.llm.strategist import Session
from vantageadapt.models import (
    CodePatch,
    ImprovementContext,
    LLMCall,
    MarketContext,
    PromptChange,
    StrategyInsight,
    TradingRules,
)

logger = logging.getLogger(__name__)


def _rules_inputs(
    theme: str, insight: StrategyInsight, hints: OfflineHints, **more: Any
) -> dict[str, Any]:
    """What a rules answer is computed from, as its ledger row records it."""
    return {
        "theme": theme,
        "insight": insight.model_dump(mode="json"),
        "hints": asdict(hints),
        **more,
    }


class OfflineStrategist:
    """Answers from the statistics, theme, prompt hints and seed alone; ledgered as offline."""

    name = "offline"
    model = OFFLINE_MODEL

    def __init__(self, session: Session) -> None:
        self.session = session

    async def analyze_market(self, stats: MarketStats) -> MarketContext:
        """MarketContext from the statistics."""
        return self._answer("analyze_market", stats, lambda: offline_market_context(stats))

    async def generate_strategy(self, theme: str, context: MarketContext) -> StrategyInsight:
        """StrategyInsight from the theme, the context and the insight prompt's hints."""
        hints = self._hints("strategy/insight")
        inputs = {
            "theme": theme,
            "context": context.model_dump(mode="json"),
            "hints": asdict(hints),
        }
        return self._answer(
            "generate_strategy", inputs, lambda: offline_insight(theme, context, hints)
        )

    async def generate_trading_rules(
        self, insight: StrategyInsight, context: MarketContext, theme: str = ""
    ) -> TradingRules:
        """Rules composed for the theme and regime, following the rules prompt's hints."""
        hints, seed = self._hints("rules/generate"), self.session.seed
        inputs = _rules_inputs(theme, insight, hints, context=context.model_dump(mode="json"))
        return self._answer(
            "generate_trading_rules",
            inputs,
            lambda: offline_rules(theme, insight, context, seed, hints),
        )

    async def generate_hypotheses(self, ask: HypothesesAsk) -> Hypotheses:
        """K rule families for the theme, ordered held, untried, failed."""
        hints, seed = self._hints("rules/generate"), self.session.seed
        feedback = [o.model_dump() for o in ask.feedback]
        inputs = _rules_inputs(ask.theme, ask.insight, hints, k=ask.k, feedback=feedback)
        return self._answer(
            "generate_hypotheses",
            inputs,
            lambda: offline_hypotheses(
                ask.theme, ask.insight, ask.context, ask.k, ask.feedback, seed, hints
            ),
        )

    async def propose_patch(self, ctx: ImprovementContext) -> CodePatch:
        """The most relevant untried idea of the offline improver."""
        seed = self.session.seed
        return self._answer("propose_patch", ctx, lambda: propose_patch_offline(ctx, seed))

    async def propose_prompt_change(self, ctx: ImprovementContext) -> PromptChange:
        """One hint and its guidance appended to a strategist prompt."""
        seed = self.session.seed
        return self._answer(
            "propose_prompt_change", ctx, lambda: propose_prompt_change_offline(ctx, seed)
        )

    def _hints(self, name: str) -> OfflineHints:
        """The `# offline:` hints of the current version of a prompt template."""
        return offline_hints(self.session.prompts.get(name)[0])

    def _answer(self, purpose: str, inputs: Any, produce: Callable[[], M]) -> M:
        started = time.perf_counter()
        request = {
            "purpose": purpose,
            "seed": self.session.seed,
            "inputs": json.loads(dump_json(inputs)),
        }
        result = produce()
        self.session.ledger.append(
            LLMCall(
                provider=self.name,
                model=self.model,
                purpose=purpose,
                request_hash=request_hash(request),
                request=request,
                response=result.model_dump(mode="json"),
                latency_ms=(time.perf_counter() - started) * 1000,
                cost_usd=0.0,
            )
        )
        logger.info("offline strategist (deterministic, no LLM) answered %s", purpose)
        return result

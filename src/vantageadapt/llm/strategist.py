"""The strategist seam: six questions, answered by the offline strategist or by a model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from vantageadapt.llm.hypotheses import Hypotheses, HypothesesAsk
from vantageadapt.llm.stats import MarketStats
from vantageadapt.models import (
    CodePatch,
    ImprovementContext,
    LLMCall,
    MarketContext,
    PromptChange,
    StrategyInsight,
    TradingRules,
)
from vantageadapt.prompts import PromptManager


@dataclass
class Session:
    """What every strategist of one run shares: the prompts, the current seed, the call ledger."""

    prompts: PromptManager
    seed: int = 0
    ledger: list[LLMCall] = field(default_factory=list)
    # Custom indicator names the run's workspace offers (the pipeline sets them per
    # iteration): rule terms in the rules prompt and in the answer's validation.
    indicators: tuple[str, ...] = ()


class Strategist(Protocol):
    """Answers the strategist's questions; every answer is valid for its model and checks.

    `name`/`model` say who answers ("offline" / "offline-strategist-v1" for the built-in one).
    Each call, with its repairs and fallbacks, is appended to `session.ledger`. A question
    type is added by adding one method here and in each implementation.
    """

    name: str
    model: str
    session: Session

    async def analyze_market(self, stats: MarketStats) -> MarketContext:
        """Read the regime and context from anonymized statistics."""
        ...

    async def generate_strategy(self, theme: str, context: MarketContext) -> StrategyInsight:
        """Plan a strategy for the theme in this market."""
        ...

    async def generate_trading_rules(
        self, insight: StrategyInsight, context: MarketContext, theme: str
    ) -> TradingRules:
        """Entry/exit rules in the rule language."""
        ...

    async def generate_hypotheses(self, ask: HypothesesAsk) -> Hypotheses:
        """K diverse candidate rule sets in one answer, shown which earlier ones held."""
        ...

    async def propose_patch(self, ctx: ImprovementContext) -> CodePatch:
        """One code patch for a workspace module (PatchRejected when none is valid)."""
        ...

    async def propose_prompt_change(self, ctx: ImprovementContext) -> PromptChange:
        """A new version of one prompt template (PatchRejected when none is valid)."""
        ...

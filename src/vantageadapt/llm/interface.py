"""LLMInterface: the seed's name for the strategist, over the offline or a model strategist."""

from __future__ import annotations

import logging
from typing import Any, Generic, TypeVar

from vantageadapt.errors import ConfigError
from vantageadapt.llm.base import Provider, RetryPolicy
from vantageadapt.llm.hypotheses import Hypotheses, HypothesesAsk, HypothesisOutcome
from vantageadapt.llm.ledger import Budget, ResponseCache
from vantageadapt.llm.model_strategist import ModelStrategist
from vantageadapt.llm.offline_strategist import OfflineStrategist
from vantageadapt.llm.stats import MarketStats
from vantageadapt.llm.strategist import Session, Strategist
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

logger = logging.getLogger(__name__)

PROVIDERS = ("offline", "openai", "anthropic", "local")
T = TypeVar("T")


class SessionField(Generic[T]):
    """An LLMInterface attribute that is its session's attribute of the same name."""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, llm: Any, owner: type | None = None) -> T:
        return self if llm is None else getattr(llm.session, self.name)  # type: ignore[return-value]

    def __set__(self, llm: Any, value: T) -> None:
        setattr(llm.session, self.name, value)


class LLMInterface:
    """The strategist: market read, strategy insight, rules, code and prompt proposals.

    With no provider it is the offline strategist (deterministic, from the data and theme);
    with one, a model strategist that falls back to the offline one per question when the
    model's answers stay invalid. Every call is appended to `ledger` as an LLMCall.
    """

    def __init__(
        self,
        provider: Provider | None = None,
        *,
        prompts: PromptManager | None = None,
        cache: bool = False,
        budget: Budget | None = None,
        seed: int = 0,
        max_attempts: int = 3,
        cache_store: ResponseCache | None = None,
    ) -> None:
        self.session = Session(prompts or PromptManager(), seed)
        offline = OfflineStrategist(self.session)
        self.budget = budget or Budget()
        self.strategist: Strategist = (
            offline
            if provider is None
            else ModelStrategist(
                provider,
                self.session,
                fallback=offline,
                cache=cache,
                cache_store=cache_store,
                budget=self.budget,
                max_attempts=max_attempts,
            )
        )

    @classmethod
    def from_settings(
        cls,
        provider: str = "offline",
        model: str | None = None,
        base_url: str | None = None,
        *,
        prompts: PromptManager,
        cache: bool = False,
        budget: Budget | None = None,
        seed: int = 0,
        retry: RetryPolicy | None = None,
        tool_choice: str = "named",
        max_output_tokens: int | None = None,
        max_attempts: int = 3,
    ) -> LLMInterface:
        """Build the strategist for `--provider offline|openai|anthropic|local`."""
        backend = make_provider(
            provider,
            model,
            base_url,
            retry=retry,
            tool_choice=tool_choice,
            max_output_tokens=max_output_tokens,
        )
        if backend is None:
            logger.info("strategist: the offline strategist (deterministic, no LLM)")
        else:
            logger.info("strategist: %s model %s", backend.name, backend.model)
        return cls(
            backend,
            prompts=prompts,
            cache=cache,
            budget=budget,
            seed=seed,
            max_attempts=max_attempts,
        )

    @property
    def provider_name(self) -> str:
        """Who answers: offline, openai, anthropic or local."""
        return self.strategist.name

    @property
    def model_name(self) -> str:
        """The model (the offline strategist's version for offline)."""
        return self.strategist.model

    prompts: SessionField[PromptManager] = SessionField(
        "The prompt templates the strategist formats."
    )
    seed: SessionField[int] = SessionField(
        "The seed of the next answers (the pipeline sets one per iteration)."
    )
    indicators: SessionField[tuple[str, ...]] = SessionField(
        "Custom indicator names the run's workspace offers (rule terms; set per iteration)."
    )
    ledger: SessionField[list[LLMCall]] = SessionField("The calls since the last drain.")

    def drain_ledger(self) -> list[LLMCall]:
        """The calls since the last drain (for the store), emptying the ledger."""
        calls, self.session.ledger = self.session.ledger, []
        return calls

    async def analyze_market(self, stats: MarketStats) -> MarketContext:
        """Read the regime and context from anonymized statistics."""
        return await self.strategist.analyze_market(stats)

    async def generate_strategy(self, theme: str, context: MarketContext) -> StrategyInsight:
        """Plan a strategy for the theme in this market."""
        return await self.strategist.generate_strategy(theme, context)

    async def generate_trading_rules(
        self, insight: StrategyInsight, context: MarketContext, theme: str = ""
    ) -> TradingRules:
        """Entry/exit rules in the rule language."""
        return await self.strategist.generate_trading_rules(insight, context, theme)

    async def generate_hypotheses(
        self,
        insight: StrategyInsight,
        context: MarketContext,
        theme: str,
        k: int,
        feedback: list[HypothesisOutcome],
    ) -> Hypotheses:
        """K diverse candidate rule sets in one answer, shown which earlier ones held."""
        ask = HypothesesAsk(insight, context, theme, k, feedback)
        return await self.strategist.generate_hypotheses(ask)

    async def propose_patch(self, ctx: ImprovementContext) -> CodePatch:
        """One code patch for a workspace module (PatchRejected when none is valid)."""
        return await self.strategist.propose_patch(ctx)

    async def propose_prompt_change(self, ctx: ImprovementContext) -> PromptChange:
        """A new version of one prompt template (PatchRejected when none is valid)."""
        return await self.strategist.propose_prompt_change(ctx)


def make_provider(
    provider: str,
    model: str | None = None,
    base_url: str | None = None,
    *,
    retry: RetryPolicy | None = None,
    tool_choice: str = "named",
    max_output_tokens: int | None = None,
) -> Provider | None:
    """The provider for a `--provider` name (None for offline); ConfigError for unknown ones."""
    extra = {} if max_output_tokens is None else {"max_output_tokens": max_output_tokens}
    if provider == "offline":
        return None
    if provider == "openai":
        from vantageadapt.llm.openai_provider import OpenAIProvider

        return OpenAIProvider(model, base_url, retry=retry, tool_choice=tool_choice, **extra)
    if provider == "anthropic":
        from vantageadapt.llm.anthropic_provider import AnthropicProvider

        return AnthropicProvider(model, base_url, retry=retry, **extra)
    if provider == "local":
        from vantageadapt.llm.local_provider import LocalProvider

        return LocalProvider(model, **extra)
    raise ConfigError(
        f"unknown provider {provider!r}; use --provider {', '.join(PROVIDERS[:-1])} or local"
    )

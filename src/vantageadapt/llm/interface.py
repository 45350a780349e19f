"""LLMInterface: the strategist's five questions, answered by an LLM or the offline strategist."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from vantageadapt.errors import ConfigError, ProviderError, RuleError
from vantageadapt.llm.base import Provider, ProviderReply, RetryPolicy, ToolSpec
from vantageadapt.llm.hypotheses import (
    Hypotheses,
    HypothesisOutcome,
    hypotheses_request,
    offline_hypotheses,
)
from vantageadapt.llm.ledger import (
    Budget,
    ResponseCache,
    canonical_json,
    cost_usd,
    estimate_tokens,
    request_hash,
)
from vantageadapt.llm.offline import (
    OFFLINE_MODEL,
    offline_insight,
    offline_market_context,
    offline_rules,
)
from vantageadapt.llm.offline_rules import OfflineHints, offline_hints
from vantageadapt.llm.questions import (
    INDICATORS,
    dump_json,
    improvement_values,
    patch_check,
    prompt_change_check,
    render_modules,
    render_prompts,
    tool_for,
)
from vantageadapt.llm.stats import RECENT_FRACTION, MarketStats
from vantageadapt.models import (
    CodePatch,
    ImprovementContext,
    LLMCall,
    MarketContext,
    MarketRegime,
    PromptChange,
    StrategyInsight,
    TradingRules,
)
from vantageadapt.prompts import PromptManager

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

MAX_ERROR_CHARS = 1500


class _Rejected(Exception):
    """An answer that is not a valid call of the tool (fed back to the model)."""


def _error_text(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= MAX_ERROR_CHARS else text[:MAX_ERROR_CHARS] + " ..."


class LLMInterface:
    """The strategist: market read, strategy insight, rules, code and prompt proposals.

    With no provider it is the offline strategist (deterministic, from the data and theme).
    Every call, offline or not, is appended to `ledger` as an LLMCall.
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
        self.provider = provider
        self.provider_name = provider.name if provider else "offline"
        self.model_name = provider.model if provider else OFFLINE_MODEL
        self.prompts = prompts or PromptManager()
        self.use_cache = cache
        self.cache = cache_store or ResponseCache()
        self.budget = budget or Budget()
        self.seed = seed
        # Custom indicator names the run's workspace offers (the pipeline sets them per
        # iteration): rule terms in the rules prompt and in the answer's validation.
        self.indicators: tuple[str, ...] = ()
        self.max_attempts = max_attempts
        self.ledger: list[LLMCall] = []

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
    ) -> LLMInterface:
        """Build the interface for `--provider offline|openai|anthropic`."""
        backend: Provider | None
        if provider == "offline":
            backend = None
        elif provider == "openai":
            from vantageadapt.llm.openai_provider import OpenAIProvider

            backend = OpenAIProvider(model, base_url, retry=retry)
        elif provider == "anthropic":
            from vantageadapt.llm.anthropic_provider import AnthropicProvider

            backend = AnthropicProvider(model, base_url, retry=retry)
        else:
            raise ConfigError(
                f"unknown provider {provider!r}; use --provider offline, openai or anthropic"
            )
        if backend is None:
            logger.info("strategist: the offline strategist (deterministic, no LLM)")
        else:
            logger.info("strategist: %s model %s", backend.name, backend.model)
        return cls(backend, prompts=prompts, cache=cache, budget=budget, seed=seed)

    @property
    def offline(self) -> bool:
        """True for the built-in deterministic strategist."""
        return self.provider is None

    def drain_ledger(self) -> list[LLMCall]:
        """The calls since the last drain (for the store), emptying the ledger."""
        calls, self.ledger = self.ledger, []
        return calls

    # the five questions -------------------------------------------------------------------
    async def analyze_market(self, stats: MarketStats) -> MarketContext:
        """Read the regime and context from anonymized statistics."""
        if self.offline:
            return self._offline("analyze_market", stats, lambda: offline_market_context(stats))
        user = self.prompts.format_prompt(
            "analysis/market",
            n_assets=stats.n_assets,
            recent_fraction_pct=round(RECENT_FRACTION * 100),
            regimes=", ".join(r.value for r in MarketRegime),
            stats_json=dump_json(stats),
        )
        return await self._ask("analyze_market", MarketContext, "analysis/market", user)

    async def generate_strategy(self, theme: str, context: MarketContext) -> StrategyInsight:
        """Plan a strategy for the theme in this market."""
        if self.offline:
            hints = self._hints("strategy/insight")
            inputs = {
                "theme": theme,
                "context": context.model_dump(mode="json"),
                "hints": asdict(hints),
            }
            return self._offline(
                "generate_strategy", inputs, lambda: offline_insight(theme, context, hints)
            )
        user = self.prompts.format_prompt(
            "strategy/insight",
            theme=theme,
            context_json=dump_json(context),
            regimes=", ".join(r.value for r in MarketRegime),
            indicators=INDICATORS,
        )
        return await self._ask("generate_strategy", StrategyInsight, "strategy/insight", user)

    async def generate_trading_rules(
        self, insight: StrategyInsight, context: MarketContext, theme: str = ""
    ) -> TradingRules:
        """Entry/exit rules in the rule language; unknown terms are sent back for repair."""
        if self.offline:
            hints = self._hints("rules/generate")
            inputs = {
                "theme": theme,
                "insight": insight.model_dump(mode="json"),
                "context": context.model_dump(mode="json"),
                "hints": asdict(hints),
            }
            return self._offline(
                "generate_trading_rules",
                inputs,
                lambda: offline_rules(theme, insight, context, self.seed, hints),
            )
        from vantageadapt.rules import known_terms

        user = self.prompts.format_prompt(
            "rules/generate",
            theme=theme,
            context_json=dump_json(context),
            insight_json=dump_json(insight),
            terms=", ".join(known_terms(self.indicators)),
        )
        return await self._ask("generate_trading_rules", TradingRules, "rules/generate", user)

    async def generate_hypotheses(
        self,
        insight: StrategyInsight,
        context: MarketContext,
        theme: str,
        k: int,
        feedback: list[HypothesisOutcome],
    ) -> Hypotheses:
        """K diverse candidate rule sets in one answer, shown which earlier ones held."""
        if self.offline:
            hints = self._hints("rules/generate")
            inputs = {"theme": theme, "k": k, "feedback": [o.model_dump() for o in feedback]}
            return self._offline(
                "generate_hypotheses",
                inputs | {"insight": insight.model_dump(mode="json"), "hints": asdict(hints)},
                lambda: offline_hypotheses(theme, insight, context, k, feedback, self.seed, hints),
            )
        from vantageadapt.rules import known_terms

        user = self.prompts.format_prompt(
            "rules/generate",
            theme=theme,
            context_json=dump_json(context),
            insight_json=dump_json(insight),
            terms=", ".join(known_terms()),
        ) + hypotheses_request(k, feedback)
        return await self._ask("generate_hypotheses", Hypotheses, "rules/generate", user)

    async def propose_patch(self, ctx: ImprovementContext) -> CodePatch:
        """One code patch for a workspace module."""
        if self.offline:
            from vantageadapt.agent.offline_improver import propose_patch_offline

            return self._offline(
                "propose_patch", ctx, lambda: propose_patch_offline(ctx, self.seed)
            )
        user = self.prompts.format_prompt(
            "improvement/code",
            **improvement_values(ctx),
            in_sample=dump_json(ctx.in_sample),
            parameters=dump_json(ctx.parameters),
            parameters_at_edge=dump_json(ctx.parameters_at_edge),
            modules=render_modules(ctx),
        )
        return await self._ask(
            "propose_patch", CodePatch, "improvement/code", user, check=patch_check(ctx)
        )

    async def propose_prompt_change(self, ctx: ImprovementContext) -> PromptChange:
        """A new version of one prompt template, keeping its placeholders."""
        if self.offline:
            from vantageadapt.agent.offline_improver import propose_prompt_change_offline

            return self._offline(
                "propose_prompt_change",
                ctx,
                lambda: propose_prompt_change_offline(ctx, self.seed),
            )
        user = self.prompts.format_prompt(
            "improvement/prompt",
            **improvement_values(ctx),
            prompts=render_prompts(ctx),
        )
        return await self._ask(
            "propose_prompt_change",
            PromptChange,
            "improvement/prompt",
            user,
            check=prompt_change_check(ctx, self.prompts),
        )

    # machinery -----------------------------------------------------------------------------
    def _hints(self, name: str) -> OfflineHints:
        """The `# offline:` hints of the current version of a prompt template."""
        return offline_hints(self.prompts.get(name)[0])

    def _offline(self, purpose: str, inputs: Any, produce: Callable[[], M]) -> M:
        """Answer with the offline strategist and ledger it as such."""
        started = time.perf_counter()
        request = {"purpose": purpose, "seed": self.seed, "inputs": json.loads(dump_json(inputs))}
        result = produce()
        self.ledger.append(
            LLMCall(
                provider="offline",
                model=OFFLINE_MODEL,
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

    async def _ask(
        self,
        purpose: str,
        model_cls: type[M],
        prompt_name: str,
        user: str,
        *,
        check: Callable[[M], None] | None = None,
    ) -> M:
        """Ask the provider for one tool call; re-ask with the validation error, bounded."""
        assert self.provider is not None
        tool = tool_for(purpose)
        # One system prompt for reading markets and writing rules, one for self-improvement.
        improving = prompt_name.startswith("improvement/")
        system = self.prompts.format_prompt(
            "improvement/system" if improving else "analysis/system"
        )
        _, version = self.prompts.get(prompt_name)
        messages = [{"role": "user", "content": user}]
        error = ""
        for attempt in range(1, self.max_attempts + 1):
            request = {
                "provider": self.provider.name,
                "model": self.provider.model,
                **self.provider.describe(),
                "purpose": purpose,
                "system": system,
                "messages": list(messages),
                "tool": tool.name,
                "schema_sha256": hashlib.sha256(canonical_json(tool.schema).encode()).hexdigest(),
                "seed": self.seed,
            }
            call = LLMCall(
                provider=self.provider.name,
                model=self.provider.model,
                purpose=purpose,
                prompt_name=prompt_name,
                prompt_version=version,
                request_hash=request_hash(request),
                request=request,
                attempt=attempt,
            )
            reply = await self._call(call, system, messages, tool)
            try:
                if reply.arguments is None:
                    raise _Rejected(
                        f"the answer was not a call of {tool.name} with a JSON object "
                        f"(got: {reply.text[:300]!r})"
                    )
                result = model_cls.model_validate(
                    reply.arguments, context={"indicators": self.indicators}
                )
                if check is not None:
                    check(result)
            except (ValidationError, RuleError, ConfigError, _Rejected) as exc:
                error = _error_text(exc)
                self.ledger[-1] = self.ledger[-1].model_copy(update={"error": error})
                logger.warning("%s answer %d rejected: %s", purpose, attempt, error)
                shown = json.dumps(reply.arguments) if reply.arguments is not None else reply.text
                messages = [
                    *messages,
                    {"role": "assistant", "content": shown or "(empty)"},
                    {
                        "role": "user",
                        "content": f"That answer was rejected: {error}\n"
                        f"Call {tool.name} again with corrected arguments.",
                    },
                ]
                continue
            return result
        raise ProviderError(
            f"{self.provider.name} model {self.provider.model} gave no valid {purpose} answer in "
            f"{self.max_attempts} attempts; last error: {error[:300]}; try another --model or "
            "--provider offline"
        )

    async def _call(
        self, call: LLMCall, system: str, messages: list[dict[str, str]], tool: ToolSpec
    ) -> ProviderReply:
        """One provider round trip through the cache and the budget, ledgered."""
        assert self.provider is not None
        if self.use_cache:
            stored = self.cache.get(call.request_hash)
            if stored is not None:
                reply = ProviderReply.from_json(stored)
                self.ledger.append(
                    call.model_copy(
                        update={"response": reply.to_json(), "cached": True, "cost_usd": 0.0}
                    )
                )
                logger.info("%s answered from the cache (no tokens)", call.purpose)
                return reply
        max_out = int(getattr(self.provider, "max_output_tokens", 2048))
        prompt_estimate = estimate_tokens(system + canonical_json([*messages, tool.schema]))
        self.budget.check(
            purpose=call.purpose,
            model=call.model,
            tokens=prompt_estimate + max_out,
            cost=cost_usd(call.model, prompt_estimate, max_out),
        )
        started = time.perf_counter()
        try:
            reply = await self.provider.complete(system, messages, tool, seed=self.seed)
        except ProviderError as exc:
            latency = (time.perf_counter() - started) * 1000
            self.ledger.append(call.model_copy(update={"error": str(exc), "latency_ms": latency}))
            raise
        latency = (time.perf_counter() - started) * 1000
        cost = cost_usd(call.model, reply.prompt_tokens, reply.completion_tokens)
        self.budget.charge(tokens=reply.prompt_tokens + reply.completion_tokens, cost=cost)
        self.cache.put(call.request_hash, reply.to_json())
        self.ledger.append(
            call.model_copy(
                update={
                    "response": reply.to_json(),
                    "latency_ms": latency,
                    "prompt_tokens": reply.prompt_tokens,
                    "completion_tokens": reply.completion_tokens,
                    "cost_usd": cost,
                }
            )
        )
        logger.info(
            "%s via %s/%s: %d+%d tokens, %.0f ms%s",
            call.purpose,
            call.provider,
            call.model,
            reply.prompt_tokens,
            reply.completion_tokens,
            latency,
            f", ${cost:.5f}" if cost is not None else "",
        )
        return reply

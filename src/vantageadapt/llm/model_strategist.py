"""The strategist as an LLM: one forced tool call per question, read leniently, never fatal.

An answer is repaired where that is safe (answers.py), re-asked with the exact error at a
new seed and a warmer temperature, and, still invalid, answered by the offline strategist
(market read, insight, rules) or turned into PatchRejected (code patches, prompt changes).
Only transport failures (ProviderError after the provider's retries) leave this class.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from pydantic import ValidationError

from vantageadapt.errors import ConfigError, PatchRejected, RuleError
from vantageadapt.llm.answers import M, repair_rules, unwrap, validate_with_repairs
from vantageadapt.llm.base import Provider, ProviderReply, ToolSpec
from vantageadapt.llm.hypotheses import Hypotheses, HypothesesAsk, hypotheses_request
from vantageadapt.llm.ledger import Budget, ResponseCache
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
from vantageadapt.llm.round_trip import Question, round_trip
from vantageadapt.llm.stats import RECENT_FRACTION, MarketStats
from vantageadapt.llm.strategist import Session, Strategist
from vantageadapt.models import (
    CodePatch,
    ImprovementContext,
    MarketContext,
    MarketRegime,
    PromptChange,
    StrategyInsight,
    TradingRules,
)
from vantageadapt.rules.terms import known_terms

logger = logging.getLogger(__name__)

MAX_ERROR_CHARS = 1500
TEMPERATURE_STEP = 0.3  # each re-ask is warmer, so a model does not repeat its answer
_INVALID = (ValidationError, RuleError, ConfigError, PatchRejected)
P = ParamSpec("P")
R = TypeVar("R")


class _Rejected(Exception):
    """An answer that is not a call of the tool with a JSON object (fed back to the model)."""


def _error_text(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= MAX_ERROR_CHARS else text[:MAX_ERROR_CHARS] + " ..."


class _NoValidAnswer(PatchRejected):
    """The model's answers stayed invalid through every attempt."""


def _falls_back(
    question: Callable[Concatenate[ModelStrategist, P], Awaitable[R]],
) -> Callable[Concatenate[ModelStrategist, P], Awaitable[R]]:
    """The question, answered by the fallback strategist when the model's answers stay invalid."""

    @functools.wraps(question)
    async def ask(self: ModelStrategist, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await question(self, *args, **kwargs)
        except _NoValidAnswer as exc:
            logger.warning("%s; the offline strategist answers this question instead", exc)
            answer = await getattr(self.fallback, question.__name__)(*args, **kwargs)
            self._amend(fallback=True, error=str(exc))
            return answer

    return ask


class ModelStrategist:
    """Asks an LLM provider; falls back to `fallback` (the offline strategist) per question."""

    def __init__(
        self,
        provider: Provider,
        session: Session,
        *,
        fallback: Strategist,
        cache: bool = False,
        cache_store: ResponseCache | None = None,
        budget: Budget | None = None,
        max_attempts: int = 3,
    ) -> None:
        self.provider = provider
        self.session = session
        self.fallback = fallback
        self.name = provider.name
        self.model = provider.model
        self.use_cache = cache
        self.cache = cache_store or ResponseCache()
        self.budget = budget or Budget()
        self.max_attempts = max(1, max_attempts)

    # the questions -------------------------------------------------------------------------
    @_falls_back
    async def analyze_market(self, stats: MarketStats) -> MarketContext:
        """Read the regime and context from anonymized statistics."""
        user = self.session.prompts.format_prompt(
            "analysis/market",
            n_assets=stats.n_assets,
            recent_fraction_pct=round(RECENT_FRACTION * 100),
            regimes=", ".join(r.value for r in MarketRegime),
            stats_json=dump_json(stats),
        )
        return await self._ask("analyze_market", MarketContext, "analysis/market", user)

    @_falls_back
    async def generate_strategy(self, theme: str, context: MarketContext) -> StrategyInsight:
        """Plan a strategy for the theme in this market."""
        user = self.session.prompts.format_prompt(
            "strategy/insight",
            theme=theme,
            context_json=dump_json(context),
            regimes=", ".join(r.value for r in MarketRegime),
            indicators=INDICATORS,
        )
        return await self._ask("generate_strategy", StrategyInsight, "strategy/insight", user)

    @_falls_back
    async def generate_trading_rules(
        self, insight: StrategyInsight, context: MarketContext, theme: str = ""
    ) -> TradingRules:
        """Entry/exit rules in the rule language; safe repairs first, then re-asks."""
        return await self._ask(
            "generate_trading_rules",
            TradingRules,
            "rules/generate",
            self._rules_prompt(insight, context, theme),
            repair=repair_rules,
        )

    @_falls_back
    async def generate_hypotheses(self, ask: HypothesesAsk) -> Hypotheses:
        """K diverse candidate rule sets in one answer (the rules prompt plus the request)."""
        rules_prompt = self._rules_prompt(ask.insight, ask.context, ask.theme)
        user = rules_prompt + hypotheses_request(ask.k, ask.feedback)
        return await self._ask("generate_hypotheses", Hypotheses, "rules/generate", user)

    def _rules_prompt(self, insight: StrategyInsight, context: MarketContext, theme: str) -> str:
        """The rules prompt, listing the rule terms (the workspace's custom indicators too)."""
        return self.session.prompts.format_prompt(
            "rules/generate",
            theme=theme,
            context_json=dump_json(context),
            insight_json=dump_json(insight),
            terms=", ".join(known_terms(self.session.indicators)),
        )

    async def propose_patch(self, ctx: ImprovementContext) -> CodePatch:
        """One code patch for a shown workspace module."""
        user = self.session.prompts.format_prompt(
            "improvement/code",
            **improvement_values(ctx),
            in_sample=dump_json(ctx.in_sample),
            parameters=dump_json(ctx.parameters),
            parameters_at_edge=dump_json(ctx.parameters_at_edge),
            modules=render_modules(ctx),
        )
        return await self._ask(
            "propose_patch",
            CodePatch,
            "improvement/code",
            user,
            check=patch_check(ctx),
            enums={"target": sorted(ctx.modules)},
        )

    async def propose_prompt_change(self, ctx: ImprovementContext) -> PromptChange:
        """A new version of one prompt template, keeping its placeholders."""
        prompts = self.session.prompts
        user = prompts.format_prompt(
            "improvement/prompt", **improvement_values(ctx), prompts=render_prompts(ctx)
        )
        return await self._ask(
            "propose_prompt_change",
            PromptChange,
            "improvement/prompt",
            user,
            check=prompt_change_check(ctx, prompts),
            enums={"name": sorted(ctx.prompts) or prompts.names()},
        )

    # machinery -----------------------------------------------------------------------------
    async def _ask(
        self,
        purpose: str,
        model_cls: type[M],
        prompt_name: str,
        user: str,
        *,
        check: Callable[[M], None] | None = None,
        repair: Callable[[dict[str, Any]], tuple[dict[str, Any], list[str]]] | None = None,
        enums: dict[str, list[str]] | None = None,
    ) -> M:
        """Ask for one tool call; repair, re-ask with the error, then _NoValidAnswer."""
        tool = tool_for(purpose, enums=enums)
        prompts = self.session.prompts
        improving = prompt_name.startswith("improvement/")
        system = prompts.format_prompt("improvement/system" if improving else "analysis/system")
        _, version = prompts.get(prompt_name)
        messages = [{"role": "user", "content": user}]
        error = ""
        for attempt in range(1, self.max_attempts + 1):
            question = Question(
                purpose,
                prompt_name,
                version,
                system,
                messages,
                tool,
                seed=self.session.seed + attempt - 1,
                temperature=self._temperature(attempt),
                attempt=attempt,
            )
            reply = await round_trip(
                self.provider,
                question,
                self.session.ledger,
                budget=self.budget,
                cache=self.cache,
                use_cache=self.use_cache,
            )
            try:
                result, notes = self._read(reply, tool, model_cls, check, repair)
            except (*_INVALID, _Rejected) as exc:
                error = _error_text(exc)
                self._amend(error=error)
                logger.warning("%s answer %d rejected: %s", purpose, attempt, error)
                messages = [*messages, *self._repair_request(reply, tool, error)]
                continue
            if notes:
                self._amend(repairs=notes)
                for note in notes:
                    logger.warning("%s answer repaired: %s", purpose, note)
            return result
        raise _NoValidAnswer(
            f"{self.name} model {self.model} gave no valid {purpose} answer in "
            f"{self.max_attempts} attempt(s); last error: {error[:300]}"
        )

    def _read(
        self,
        reply: ProviderReply,
        tool: ToolSpec,
        model_cls: type[M],
        check: Callable[[M], None] | None,
        repair: Callable[[dict[str, Any]], tuple[dict[str, Any], list[str]]] | None,
    ) -> tuple[M, list[str]]:
        """The validated answer and the notes of every repair made on the way."""
        if reply.arguments is None:
            raise _Rejected(
                f"the answer was not a call of {tool.name} with a JSON object "
                f"(got: {reply.text[:300]!r})"
            )
        arguments, notes = unwrap(reply.arguments, tool.name)
        if repair is not None:
            arguments, repaired = repair(arguments)
            notes += repaired
        context = {"indicators": self.session.indicators}
        result, clamped = validate_with_repairs(model_cls, arguments, context)
        if check is not None:
            check(result)
        return result, notes + clamped

    def _temperature(self, attempt: int) -> float:
        base = float(getattr(self.provider, "temperature", 0.2))
        return round(min(1.0, base + TEMPERATURE_STEP * (attempt - 1)), 3)

    def _repair_request(
        self, reply: ProviderReply, tool: ToolSpec, error: str
    ) -> list[dict[str, str]]:
        shown = json.dumps(reply.arguments) if reply.arguments is not None else reply.text
        return [
            {"role": "assistant", "content": (shown or "(empty)")[:4000]},
            {
                "role": "user",
                "content": f"That answer was rejected: {error}\n"
                f"Call {tool.name} again with corrected arguments.",
            },
        ]

    def _amend(self, **update: Any) -> None:
        """Add repairs, an error or the fallback mark to the latest ledgered call."""
        last = self.session.ledger[-1]
        if "repairs" in update:
            update["repairs"] = [*last.repairs, *update["repairs"]]
        self.session.ledger[-1] = last.model_copy(update=update)

"""One strategist call to a provider: its ledger row, the cache, the budget, the timing."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from vantageadapt.errors import ProviderError
from vantageadapt.llm.base import Provider, ProviderReply, Request, ToolSpec
from vantageadapt.llm.ledger import (
    Budget,
    ResponseCache,
    canonical_json,
    cost_usd,
    estimate_tokens,
    request_hash,
)
from vantageadapt.models import LLMCall

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Question:
    """What one ask sends: system prompt, conversation so far, the forced tool, the seed."""

    purpose: str
    prompt_name: str
    prompt_version: int
    system: str
    messages: list[dict[str, str]]
    tool: ToolSpec
    seed: int
    temperature: float
    attempt: int


def new_call(provider: Provider, question: Question) -> LLMCall:
    """The ledger row of a question before it is sent (the request hash keys the cache)."""
    request = {
        "provider": provider.name,
        "model": provider.model,
        **provider.describe(),
        "purpose": question.purpose,
        "system": question.system,
        "messages": list(question.messages),
        "tool": question.tool.name,
        "schema_sha256": hashlib.sha256(canonical_json(question.tool.schema).encode()).hexdigest(),
        "seed": question.seed,
    }
    return LLMCall(
        provider=provider.name,
        model=provider.model,
        purpose=question.purpose,
        prompt_name=question.prompt_name,
        prompt_version=question.prompt_version,
        request_hash=request_hash(request),
        request=request,
        attempt=question.attempt,
    )


async def round_trip(
    provider: Provider,
    question: Question,
    ledger: list[LLMCall],
    *,
    budget: Budget,
    cache: ResponseCache,
    use_cache: bool,
) -> ProviderReply:
    """Ask once through the cache and the budget; the call is appended to `ledger`."""
    call = new_call(provider, question)
    if use_cache:
        stored = cache.get(call.request_hash)
        if stored is not None:
            reply = ProviderReply.from_json(stored)
            ledger.append(
                call.model_copy(
                    update={"response": reply.to_json(), "cached": True, "cost_usd": 0.0}
                )
            )
            logger.info("%s answered from the cache (no tokens)", call.purpose)
            return reply
    max_out = int(getattr(provider, "max_output_tokens", 2048))
    text = question.system + canonical_json([*question.messages, question.tool.schema])
    prompt_estimate = estimate_tokens(text)
    budget.check(
        purpose=call.purpose,
        model=call.model,
        tokens=prompt_estimate + max_out,
        cost=cost_usd(call.model, prompt_estimate, max_out),
    )
    started = time.perf_counter()
    try:
        reply = await provider.complete(
            Request(
                question.system,
                question.messages,
                question.tool,
                question.seed,
                question.temperature,
            )
        )
    except ProviderError as exc:
        latency = (time.perf_counter() - started) * 1000
        ledger.append(call.model_copy(update={"error": str(exc), "latency_ms": latency}))
        raise
    latency = (time.perf_counter() - started) * 1000
    cost = cost_usd(call.model, reply.prompt_tokens, reply.completion_tokens)
    budget.charge(tokens=reply.prompt_tokens + reply.completion_tokens, cost=cost)
    cache.put(call.request_hash, reply.to_json())
    ledger.append(
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

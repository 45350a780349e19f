"""What every LLM provider implements: one forced tool call in, its arguments out."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields
from typing import Any, Protocol, TypeVar

from vantageadapt.errors import ProviderError
from vantageadapt.logs import mask_secrets

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class ToolSpec:
    """The one tool the model must call: its name, description and JSON schema."""

    name: str
    description: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class Request:
    """What a provider is asked: the system prompt, the conversation so far ({"role":
    "user"|"assistant", "content": str}), the forced tool, the seed, and the temperature (None:
    the provider's own)."""

    system: str
    messages: list[dict[str, str]]
    tool: ToolSpec
    seed: int
    temperature: float | None = None


@dataclass(frozen=True)
class ProviderReply:
    """A model's answer: the tool arguments (or None) and the raw text, with token counts."""

    arguments: dict[str, Any] | None
    text: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    raw: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON for the cache and the ledger: every field but the provider's `raw` answer."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "raw"}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProviderReply:
        """Rebuild a reply stored by `to_json`."""
        return cls(
            arguments=data.get("arguments"),
            text=data.get("text", ""),
            prompt_tokens=int(data.get("prompt_tokens", 0)),
            completion_tokens=int(data.get("completion_tokens", 0)),
        )


@dataclass(frozen=True)
class RetryPolicy:
    """Retries for 429/5xx/timeouts/connection errors: attempts and exponential backoff."""

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 20.0
    timeout: float = 60.0
    fixed_timeout: bool = False  # --llm-timeout given: never scaled by prompt size

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt `attempt` (1-based), Retry-After up to the cap."""
        backoff = self.base_delay * 2 ** (attempt - 1)
        return min(self.max_delay, max(backoff, retry_after or 0.0))


# A slow local model on a small CPU: about 50 tokens/s of prompt and 10 tokens/s of answer.
LOCAL_PROMPT_TOKENS_PER_S = 50.0
LOCAL_ANSWER_TOKENS_PER_S = 10.0


def request_timeout(
    policy: RetryPolicy, messages: Any, tool: ToolSpec, max_output_tokens: int, *, local: bool
) -> float:
    """Seconds one request may take: the policy's, or for a local server scaled by its size.

    `--llm-timeout` (policy.fixed_timeout) always wins; a local server gets at least what a
    slow CPU needs for this prompt (3 characters a token) and a full answer.
    """
    if policy.fixed_timeout or not local:
        return policy.timeout
    chars = len(json.dumps(messages)) + len(json.dumps(tool.schema))
    needed = 10.0 + math.ceil(chars / 3) / LOCAL_PROMPT_TOKENS_PER_S
    needed += max_output_tokens / LOCAL_ANSWER_TOKENS_PER_S
    return max(policy.timeout, round(needed, 1))


def retry_after(exc: Exception) -> float | None:
    """The Retry-After seconds an HTTP error response carries, if any."""
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    value = headers.get("retry-after") if hasattr(headers, "get") else None
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff
    return seconds if seconds is not None and seconds >= 0 else None


class Provider(Protocol):
    """An LLM backend: one forced tool call per `Request`."""

    name: str
    model: str

    def describe(self) -> dict[str, Any]:
        """Provider facts that change answers (backend, base URL without secrets)."""
        ...

    async def complete(self, request: Request) -> ProviderReply:
        """Ask for one call of the request's tool; ProviderError after retries (transport only)."""
        ...


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema with local `$ref`s replaced by their definitions (servers differ on refs)."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                target = defs[node["$ref"].rsplit("/", 1)[-1]]
                merged = {**walk(copy.deepcopy(target)), **{k: v for k, v in node.items()}}
                merged.pop("$ref")
                return merged
            return {k: walk(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


def scrub(text: str, *secrets: str | None) -> str:
    """Text with the given secrets and anything key-like masked."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return mask_secrets(text)


def scrub_reply(reply: ProviderReply, *secrets: str | None) -> ProviderReply:
    """The reply with secrets masked (a server may echo a key back in its answer)."""
    original = json.dumps(reply.to_json())
    masked = scrub(original, *secrets)
    return reply if masked == original else ProviderReply.from_json(json.loads(masked))


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    retryable: Callable[[Exception], bool],
    describe: Callable[[Exception], str],
    what: str,
) -> T:
    """Run `call`, retrying retryable failures with backoff; ProviderError when they persist."""
    attempt = 1
    while True:
        try:
            return await call()
        except Exception as exc:
            if not retryable(exc):
                raise ProviderError(f"{what} failed: {describe(exc)}") from None
            if attempt >= policy.attempts:
                raise ProviderError(
                    f"{what} failed after {policy.attempts} attempts: {describe(exc)}; check the "
                    "server (--base-url) and your rate limits, or use --provider offline"
                ) from None
            wait = policy.delay(attempt, retry_after(exc))
            logger.warning(
                "%s: %s; retry %d/%d in %.2fs",
                what,
                describe(exc),
                attempt,
                policy.attempts - 1,
                wait,
            )
            await asyncio.sleep(wait)
            attempt += 1

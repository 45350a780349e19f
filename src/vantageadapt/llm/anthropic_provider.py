"""Anthropic's Messages API with one forced tool, through the official SDK."""

from __future__ import annotations

import os
from typing import Any

import anthropic

from vantageadapt.errors import ConfigError
from vantageadapt.llm.base import (
    ProviderReply,
    Request,
    RetryPolicy,
    scrub,
    scrub_reply,
    with_retries,
)
from vantageadapt.llm.openai_provider import safe_url

DEFAULT_MODEL = "claude-sonnet-4-6"


class AnthropicProvider:
    """Claude models; the answer is the input of a forced `tool_use` block."""

    name = "anthropic"

    def __init__(
        self,
        model: str | None = None,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        retry: RetryPolicy | None = None,
        max_output_tokens: int = 2048,
    ) -> None:
        key = api_key or os.environ.get("ANTHROPIC_API_KEY")
        if not key:
            raise ConfigError(
                "--provider anthropic needs ANTHROPIC_API_KEY (environment or .env); "
                "or use --provider offline"
            )
        self.model = model or DEFAULT_MODEL
        self.base_url = base_url
        self.retry = retry or RetryPolicy()
        self.max_output_tokens = max_output_tokens
        self._key = key
        self._client = anthropic.AsyncAnthropic(
            api_key=key, base_url=base_url, max_retries=0, timeout=self.retry.timeout
        )

    def describe(self) -> dict[str, Any]:
        """Backend and base URL (no secrets)."""
        return {"backend": "anthropic", "base_url": safe_url(self.base_url)}

    async def complete(self, request: Request) -> ProviderReply:
        """One message; the forced tool's input.

        The Messages API of anthropic 2.x takes neither a seed nor a temperature, so the
        request's seed and temperature are unused and answers may vary between runs (the cache
        makes reruns repeatable).
        """
        tool = request.tool
        body = {
            "model": self.model,
            "system": request.system,
            "messages": request.messages,
            "tools": [
                {"name": tool.name, "description": tool.description, "input_schema": tool.schema}
            ],
            "tool_choice": {"type": "tool", "name": tool.name},
            "max_tokens": self.max_output_tokens,
        }

        def retryable(exc: Exception) -> bool:
            if isinstance(exc, anthropic.APIStatusError):
                return exc.status_code in (429, 529) or exc.status_code >= 500
            return isinstance(exc, anthropic.APIConnectionError | anthropic.APITimeoutError)

        def describe(exc: Exception) -> str:
            if isinstance(exc, anthropic.APIStatusError):
                detail = f"HTTP {exc.status_code}: {exc.message}"
                if exc.status_code in (401, 403):
                    detail += " (check ANTHROPIC_API_KEY)"
                return scrub(detail, self._key)
            return scrub(f"{type(exc).__name__}: {exc}", self._key)

        response = await with_retries(
            lambda: self._client.messages.create(**body),
            policy=self.retry,
            retryable=retryable,
            describe=describe,
            what=f"Anthropic call to {self.model}",
        )
        arguments: dict[str, Any] | None = None
        texts = []
        for block in response.content:
            if block.type == "tool_use" and block.name == tool.name:
                arguments = block.input if isinstance(block.input, dict) else None
            elif block.type == "text":
                texts.append(block.text)
        usage = response.usage
        reply = ProviderReply(
            arguments=arguments,
            text="\n".join(texts),
            prompt_tokens=int(usage.input_tokens or 0),
            completion_tokens=int(usage.output_tokens or 0),
        )
        return scrub_reply(reply, self._key)

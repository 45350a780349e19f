"""Anthropic's Messages API with one forced tool, through the official SDK."""

from __future__ import annotations

from typing import Any

import anthropic

from vantageadapt.errors import ConfigError
from vantageadapt.llm.base import ProviderReply, Request, scrub_reply
from vantageadapt.llm.openai_provider import safe_url
from vantageadapt.llm.sdk_provider import SdkProvider

DEFAULT_MODEL = "claude-sonnet-4-6"


class AnthropicProvider(SdkProvider):
    """Claude models; the answer is the input of a forced `tool_use` block."""

    name = "anthropic"
    sdk = anthropic
    client_class = anthropic.AsyncAnthropic
    key_name = "ANTHROPIC_API_KEY"
    default_model = DEFAULT_MODEL

    def _without_key(self, base_url: str | None) -> str:
        raise ConfigError(
            "--provider anthropic needs ANTHROPIC_API_KEY (environment or .env); "
            "or use --provider offline"
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

        response = await self._call(
            lambda: self._client.messages.create(**body), f"Anthropic call to {self.model}"
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

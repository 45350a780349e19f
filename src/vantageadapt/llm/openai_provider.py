"""OpenAI and any OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio, OpenRouter)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from vantageadapt.errors import ConfigError
from vantageadapt.llm.base import (
    ProviderReply,
    RetryPolicy,
    ToolSpec,
    json_from_text,
    scrub,
    scrub_reply,
    with_retries,
)

DEFAULT_MODEL = "gpt-4o-mini"


@dataclass(frozen=True)
class Capabilities:
    """What a backend accepts: a named tool_choice, and a `seed` field."""

    named_tool_choice: bool
    seed: bool


# Some servers reject a forced named tool (llama.cpp answers HTTP 500 to tool_choice
# "required"); there we offer the tool with "auto", ask for it in words, and also accept a
# JSON object in the text.
CAPABILITIES: dict[str, Capabilities] = {
    "openai": Capabilities(named_tool_choice=True, seed=True),
    "openrouter": Capabilities(named_tool_choice=True, seed=True),
    "vllm": Capabilities(named_tool_choice=True, seed=True),
    "ollama": Capabilities(named_tool_choice=False, seed=True),
    "llamacpp": Capabilities(named_tool_choice=False, seed=True),
    "lmstudio": Capabilities(named_tool_choice=False, seed=True),
    "generic": Capabilities(named_tool_choice=True, seed=True),
}


def detect_backend(base_url: str | None) -> str:
    """The backend a base URL most likely points at (by host and default port)."""
    if not base_url:
        return "openai"
    parts = urlsplit(base_url)
    host, port = (parts.hostname or "").lower(), parts.port
    if host.endswith("openai.com"):
        return "openai"
    if "openrouter" in host:
        return "openrouter"
    if port == 11434 or "ollama" in host:
        return "ollama"
    if port == 1234 or "lmstudio" in host:
        return "lmstudio"
    if "llama" in host or port == 8080:
        return "llamacpp"
    if "vllm" in host or port == 8000:
        return "vllm"
    return "generic"


def safe_url(base_url: str | None) -> str | None:
    """The base URL without user:password and query (which may hold tokens)."""
    if not base_url:
        return None
    parts = urlsplit(base_url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return f"{parts.scheme}://{netloc}{parts.path}"


class OpenAIProvider:
    """Chat completions with one forced function tool, through the official SDK."""

    name = "openai"

    def __init__(
        self,
        model: str | None = None,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        retry: RetryPolicy | None = None,
        backend: str | None = None,
        temperature: float = 0.2,
        max_output_tokens: int = 2048,
    ) -> None:
        import openai

        key = api_key or os.environ.get("OPENAI_API_KEY")
        if not key:
            if base_url is None:
                raise ConfigError(
                    "--provider openai needs OPENAI_API_KEY (environment or .env), or --base-url "
                    "for a local OpenAI-compatible server; or use --provider offline"
                )
            key = "not-needed"  # local servers ignore it, the SDK insists on one
        self.model = model or DEFAULT_MODEL
        self.base_url = base_url
        self.backend = backend or detect_backend(base_url)
        if self.backend not in CAPABILITIES:
            raise ConfigError(
                f"unknown OpenAI-compatible backend {self.backend!r}; one of "
                f"{', '.join(CAPABILITIES)}"
            )
        self.capabilities = CAPABILITIES[self.backend]
        self.retry = retry or RetryPolicy()
        self.temperature = temperature
        self.max_output_tokens = max_output_tokens
        self._key = key
        self._client = openai.AsyncOpenAI(
            api_key=key, base_url=base_url, max_retries=0, timeout=self.retry.timeout
        )

    def describe(self) -> dict[str, Any]:
        """Backend and base URL (no secrets)."""
        return {"backend": self.backend, "base_url": safe_url(self.base_url)}

    def _request(
        self, system: str, messages: list[dict[str, str]], tool: ToolSpec, seed: int
    ) -> dict[str, Any]:
        chat = [{"role": "system", "content": system}, *messages]
        body: dict[str, Any] = {
            "model": self.model,
            "messages": chat,
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": tool.name,
                        "description": tool.description,
                        "parameters": tool.schema,
                    },
                }
            ],
            "temperature": self.temperature,
            "max_tokens": self.max_output_tokens,
        }
        if self.capabilities.named_tool_choice:
            body["tool_choice"] = {"type": "function", "function": {"name": tool.name}}
        else:
            body["tool_choice"] = "auto"
            chat[-1] = {
                "role": chat[-1]["role"],
                "content": chat[-1]["content"]
                + f"\n\nAnswer by calling the function {tool.name} (or, if you cannot call "
                "functions, with one JSON object matching its parameters and nothing else).",
            }
        if self.capabilities.seed:
            body["seed"] = seed
        return body

    async def complete(
        self, system: str, messages: list[dict[str, str]], tool: ToolSpec, *, seed: int
    ) -> ProviderReply:
        """One chat completion; the function call's arguments, or JSON found in the text."""
        import openai

        body = self._request(system, messages, tool, seed)

        def retryable(exc: Exception) -> bool:
            if isinstance(exc, openai.APIStatusError):
                return exc.status_code == 429 or exc.status_code >= 500
            return isinstance(exc, openai.APIConnectionError | openai.APITimeoutError)

        def describe(exc: Exception) -> str:
            if isinstance(exc, openai.APIStatusError):
                detail = f"HTTP {exc.status_code}: {exc.message}"
                if exc.status_code in (401, 403):
                    detail += " (check OPENAI_API_KEY)"
                return scrub(detail, self._key)
            return scrub(f"{type(exc).__name__}: {exc}", self._key)

        response = await with_retries(
            lambda: self._client.chat.completions.create(**body),
            policy=self.retry,
            retryable=retryable,
            describe=describe,
            what=f"OpenAI-compatible call to {self.model} ({self.backend})",
        )
        return scrub_reply(_reply(response, tool.name), self._key)


def _reply(response: Any, tool_name: str) -> ProviderReply:
    usage = getattr(response, "usage", None)
    prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
    completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
    message = response.choices[0].message if response.choices else None
    text = (message.content or "") if message else ""
    arguments: dict[str, Any] | None = None
    raw_args = ""
    for call in (message.tool_calls or []) if message else []:
        function = getattr(call, "function", None)
        if function is None or function.name != tool_name:
            continue
        raw_args = function.arguments or ""
        try:
            parsed = json.loads(raw_args)
        except json.JSONDecodeError:
            parsed = None
        arguments = parsed if isinstance(parsed, dict) else None
        break
    if arguments is None and not raw_args:
        arguments = json_from_text(text)
    return ProviderReply(
        arguments=arguments,
        text=text or raw_args,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
    )

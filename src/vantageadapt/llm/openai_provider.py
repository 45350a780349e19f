"""OpenAI and any OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio, OpenRouter)."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

import openai

from vantageadapt.errors import ConfigError
from vantageadapt.llm.answers import json_from_text, loads_lenient
from vantageadapt.llm.base import ProviderReply, Request, request_timeout, scrub_reply
from vantageadapt.llm.sdk_provider import SdkProvider

DEFAULT_MODEL = "gpt-4o-mini"


ToolChoice = Literal["named", "auto"]
LOOPBACK = ("localhost", "127.0.0.1", "::1")


def is_loopback(base_url: str | None) -> bool:
    """True for a server on this machine (a local model: slow, so timeouts scale)."""
    host = (urlsplit(base_url).hostname or "") if base_url else ""
    return host in LOOPBACK or host.startswith("127.")


def safe_url(base_url: str | None) -> str | None:
    """The base URL without user:password and query (which may hold tokens)."""
    if not base_url:
        return None
    parts = urlsplit(base_url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return f"{parts.scheme}://{netloc}{parts.path}"


class OpenAIProvider(SdkProvider):
    """Chat completions with one forced function tool, through the official SDK."""

    name = "openai"
    sdk = openai
    client_class = openai.AsyncOpenAI
    key_name = "OPENAI_API_KEY"
    default_model = DEFAULT_MODEL

    def __init__(
        self,
        model: str | None = None,
        base_url: str | None = None,
        *,
        tool_choice: ToolChoice = "named",
        temperature: float = 0.2,
        **common: Any,
    ) -> None:
        """`common`: api_key, retry and max_output_tokens, as SdkProvider takes them."""
        super().__init__(model, base_url, **common)
        if tool_choice not in ("named", "auto"):
            raise ConfigError(f"--tool-choice {tool_choice!r}: use named or auto")
        self.tool_choice = tool_choice
        self.local = is_loopback(base_url)
        self.temperature = temperature

    def _without_key(self, base_url: str | None) -> str:
        if base_url is None:
            raise ConfigError(
                "--provider openai needs OPENAI_API_KEY (environment or .env), or --base-url "
                "for a local OpenAI-compatible server; or use --provider offline"
            )
        return "not-needed"  # local servers ignore it, the SDK insists on one

    def _status_hint(self, status: int) -> str:
        if status in (400, 500) and self.tool_choice == "named":
            return " (if the server rejects a named tool choice, try --tool-choice auto)"
        return ""

    def describe(self) -> dict[str, Any]:
        """Backend and base URL (no secrets)."""
        return {
            "backend": "openai-compatible" if self.base_url else "openai",
            "base_url": safe_url(self.base_url),
            "tool_choice": self.tool_choice,
        }

    def _request(self, request: Request) -> dict[str, Any]:
        tool, temperature = request.tool, request.temperature
        chat = [{"role": "system", "content": request.system}, *request.messages]
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
            "temperature": self.temperature if temperature is None else temperature,
            "max_tokens": self.max_output_tokens,
            "seed": request.seed,
        }
        if self.tool_choice == "named":
            body["tool_choice"] = {"type": "function", "function": {"name": tool.name}}
        else:
            body["tool_choice"] = "auto"
            chat[-1] = {
                "role": chat[-1]["role"],
                "content": chat[-1]["content"]
                + f"\n\nAnswer by calling the function {tool.name} (or, if you cannot call "
                "functions, with one JSON object matching its parameters and nothing else).",
            }
        return body

    async def complete(self, request: Request) -> ProviderReply:
        """One chat completion; the function call's arguments, or JSON found in the text."""
        body = self._request(request)
        timeout = request_timeout(
            self.retry, body["messages"], request.tool, self.max_output_tokens, local=self.local
        )

        response = await self._call(
            lambda: self._client.chat.completions.create(**body, timeout=timeout),
            f"OpenAI-compatible call to {self.model} ({safe_url(self.base_url) or 'api'})",
        )
        return scrub_reply(_reply(response, request.tool.name), self._key)


def tool_arguments(raw: str) -> dict[str, Any] | None:
    """A tool call's arguments string as an object (control characters in strings allowed)."""
    try:
        parsed = loads_lenient(raw)
    except ValueError:
        parsed = json_from_text(raw)
    return parsed if isinstance(parsed, dict) else None


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
        arguments = tool_arguments(raw_args)
        break
    if arguments is None and not raw_args:
        arguments = json_from_text(text)
    return ProviderReply(
        arguments=arguments,
        text=text or raw_args,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
    )

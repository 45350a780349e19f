"""What the providers over an official SDK (openai, anthropic) share: key, settings, retries.

Both SDKs raise the same exception classes (APIStatusError, APIConnectionError,
APITimeoutError), so one rule says which failures are retried and how they are described.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any, TypeVar

from vantageadapt.llm.base import RetryPolicy, scrub, with_retries

T = TypeVar("T")


class SdkProvider:
    """A provider calling a hosted API through its SDK client; subclasses ask the questions."""

    sdk: ModuleType  # the SDK module, whose exception classes the retries read
    client_class: Callable[..., Any]  # the SDK's async client
    key_name: str  # the environment variable holding the API key
    default_model: str

    def __init__(
        self,
        model: str | None = None,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        retry: RetryPolicy | None = None,
        max_output_tokens: int = 2048,
    ) -> None:
        self._key = api_key or os.environ.get(self.key_name) or self._without_key(base_url)
        self.model = model or self.default_model
        self.base_url = base_url
        self.retry = retry or RetryPolicy()
        self.max_output_tokens = max_output_tokens
        # The policy here does the retrying, not the SDK.
        self._client = self.client_class(
            api_key=self._key, base_url=base_url, max_retries=0, timeout=self.retry.timeout
        )

    def _without_key(self, base_url: str | None) -> str:
        """The key to use when none is set, or a ConfigError saying where to set it."""
        raise NotImplementedError

    def _status_hint(self, status: int) -> str:
        """A fix to suggest for an HTTP error status other than 401/403 ('' for none)."""
        return ""

    def _retryable(self, exc: Exception) -> bool:
        if isinstance(exc, self.sdk.APIStatusError):
            return exc.status_code == 429 or exc.status_code >= 500
        return isinstance(exc, self.sdk.APIConnectionError | self.sdk.APITimeoutError)

    def _describe(self, exc: Exception) -> str:
        if isinstance(exc, self.sdk.APIStatusError):
            detail = f"HTTP {exc.status_code}: {exc.message}"
            if exc.status_code in (401, 403):
                detail += f" (check {self.key_name})"
            else:
                detail += self._status_hint(exc.status_code)
            return scrub(detail, self._key)
        return scrub(f"{type(exc).__name__}: {exc}", self._key)

    async def _call(self, call: Callable[[], Awaitable[T]], what: str) -> T:
        """`call()` with the retry policy; a final failure is a ProviderError naming `what`."""
        return await with_retries(
            call,
            policy=self.retry,
            retryable=self._retryable,
            describe=self._describe,
            what=what,
        )

"""Fixtures for the strategist tests: a fake LLM server, a prompt manager, fast retries."""

from __future__ import annotations

import pytest

from helpers.fake_openai import FakeLLMServer
from vantageadapt.llm import RetryPolicy
from vantageadapt.prompts import PromptManager


@pytest.fixture
def fake_server():
    """A started FakeLLMServer, stopped after the test."""
    with FakeLLMServer() as server:
        yield server


@pytest.fixture
def prompts(tmp_path) -> PromptManager:
    """A prompt manager with its own override folder."""
    return PromptManager(tmp_path / "prompts")


@pytest.fixture
def fast_retry() -> RetryPolicy:
    """Retries without real waiting; a timeout roomy enough for a loaded CI machine."""
    return RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02, timeout=15.0)

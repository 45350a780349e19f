"""Fixtures for the strategist tests: a fake LLM server, a prompt manager, market frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.fake_openai import FakeLLMServer
from vantageadapt.llm import RetryPolicy
from vantageadapt.prompts import PromptManager

SYMBOLS = ("BONKXSOL", "WIFZSOL", "POPCATQ")
START = "2024-03-05"


def make_frames(
    drift: float = 0.0,
    vol: float = 0.01,
    *,
    rows: int = 3000,
    seed: int = 0,
    tail: tuple[float, float] | None = None,
    symbols: tuple[str, ...] = SYMBOLS,
) -> dict[str, pd.DataFrame]:
    """Canonical frames: log-normal walks, optionally a different last 10 % (drift, vol)."""
    rng = np.random.default_rng(seed)
    frames = {}
    for symbol in symbols:
        steps = rng.normal(drift, vol, rows)
        if tail is not None:
            steps[-rows // 10 :] = rng.normal(tail[0], tail[1], rows // 10)
        index = pd.date_range(START, periods=rows, freq="min", tz="UTC", name="timestamp")
        frames[symbol] = pd.DataFrame(
            {"price": 100 * np.exp(np.cumsum(steps)), "volume": rng.lognormal(0, 1, rows)},
            index=index,
        )
    return frames


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
    """Retries without real waiting, and a short timeout."""
    return RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02, timeout=1.0)

"""The strategist over the real anthropic SDK, against the fake server's Messages API."""

from __future__ import annotations

import json

import pytest

from helpers.fake_openai import MARKET_CONTEXT, STRATEGY_INSIGHT, TRADING_RULES, tool_reply
from helpers.market_frames import make_frames
from vantageadapt.errors import ConfigError
from vantageadapt.llm import LLMInterface, compute_market_stats
from vantageadapt.models import MarketRegime

PLANTED = "anthropic-planted-key-XYZ987"


async def test_anthropic_round_trip_with_repair(fake_server, prompts, fast_retry, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", PLANTED)
    fake_server.enqueue(
        tool_reply({**MARKET_CONTEXT, "confidence": 7}),  # out of 0-1: clamped, with a note
        tool_reply(STRATEGY_INSIGHT),
        tool_reply(TRADING_RULES),
    )
    llm = LLMInterface.from_settings(
        "anthropic",
        "claude-sonnet-4-6",
        fake_server.anthropic_base_url,
        prompts=prompts,
        retry=fast_retry,
    )
    context = await llm.analyze_market(compute_market_stats(make_frames()))
    insight = await llm.generate_strategy("trend following", context)
    rules = await llm.generate_trading_rules(insight, context, "trend following")

    assert context.regime is MarketRegime.RANGING_LOW_VOL
    assert rules.parameters["max_orders"] == 2.0
    first = fake_server.requests[0]
    assert first.path == "/v1/messages"
    assert PLANTED in first.headers.get("x-api-key", "") + first.headers.get("authorization", "")
    assert first.body["tool_choice"] == {"type": "tool", "name": "report_market_context"}
    assert "input_schema" in first.body["tools"][0]
    assert context.confidence == 1.0
    calls = llm.ledger
    assert calls[0].repairs == ["confidence 7 is above the maximum 1.0: clamped to 1.0"]
    assert [c.attempt for c in calls] == [1, 1, 1]
    assert calls[1].cost_usd == pytest.approx((100 * 3 + 50 * 15) / 1e6)
    assert all(PLANTED not in json.dumps(c.model_dump(mode="json")) for c in calls)


def test_anthropic_needs_a_key(prompts):
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):
        LLMInterface.from_settings("anthropic", prompts=prompts)


def test_openai_needs_a_key_or_a_base_url(prompts):
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        LLMInterface.from_settings("openai", prompts=prompts)


def test_unknown_provider_is_a_config_error(prompts):
    with pytest.raises(ConfigError, match="offline, openai, anthropic or local"):
        LLMInterface.from_settings("gemini", prompts=prompts)

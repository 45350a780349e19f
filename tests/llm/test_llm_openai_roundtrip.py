"""The strategist over the real openai SDK, against a fake server on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from helpers.fake_openai import (
    MARKET_CONTEXT,
    STRATEGY_INSIGHT,
    TRADING_RULES,
    error_reply,
    strategist_responder,
    text_reply,
    tool_reply,
)
from helpers.market_frames import START, SYMBOLS, make_frames
from vantageadapt.errors import ProviderError
from vantageadapt.llm import LLMInterface, compute_market_stats
from vantageadapt.llm.offline import offline_market_context
from vantageadapt.models import MarketRegime


def _llm(server, prompts, retry, **kwargs) -> LLMInterface:
    return LLMInterface.from_settings(
        "openai", "gpt-4o-mini", server.base_url, prompts=prompts, retry=retry, **kwargs
    )


async def test_round_trip_repairs_a_malformed_answer(fake_server, prompts, fast_retry):
    fake_server.enqueue(
        tool_reply('{"regime": "RANGING_LOW_VOL", "confidence": '),  # truncated JSON
        tool_reply(MARKET_CONTEXT),
        tool_reply(STRATEGY_INSIGHT),
        tool_reply(TRADING_RULES),
    )
    llm = _llm(fake_server, prompts, fast_retry)
    stats = compute_market_stats(make_frames(0.0005))

    context = await llm.analyze_market(stats)
    insight = await llm.generate_strategy("breakout trading", context)
    rules = await llm.generate_trading_rules(insight, context, "breakout trading")

    assert context.regime is MarketRegime.RANGING_LOW_VOL
    assert insight.suggested_position_size == 0.2
    assert rules.conditions.entry == ["price > ma_{ma_window}", "volume > volume_ma"]
    assert rules.parameters["ma_window"] == 20.0
    bodies = fake_server.bodies()
    assert len(bodies) == 4
    # The forced, named tool and a schema generated from the pydantic model.
    tool = bodies[0]["tools"][0]["function"]
    assert bodies[0]["tool_choice"] == {"type": "function", "function": {"name": tool["name"]}}
    assert tool["name"] == "report_market_context"
    assert "RANGING_LOW_VOL" in json.dumps(tool["parameters"])
    # The repair request carries the bad answer and the validation error.
    repair = bodies[1]["messages"]
    assert repair[-2]["role"] == "assistant"
    assert '"confidence": ' in repair[-2]["content"]
    assert "rejected" in repair[-1]["content"]
    assert "report_market_context" in repair[-1]["content"]
    # The ledger: one row per HTTP call, the failed one with its error.
    calls = llm.drain_ledger()
    assert [c.purpose for c in calls] == [
        "analyze_market",
        "analyze_market",
        "generate_strategy",
        "generate_trading_rules",
    ]
    assert [c.attempt for c in calls] == [1, 2, 1, 1]
    assert calls[0].error and not calls[1].error
    assert all(c.provider == "openai" and c.model == "gpt-4o-mini" for c in calls)
    assert all(c.prompt_tokens == 100 and c.completion_tokens == 50 for c in calls)
    assert calls[1].cost_usd == pytest.approx((100 * 0.15 + 50 * 0.60) / 1e6)
    assert calls[2].prompt_name == "strategy/insight" and calls[2].prompt_version == 1
    assert len({c.request_hash for c in calls}) == 4
    assert llm.ledger == []


async def test_requests_carry_no_symbols_and_no_dates(fake_server, prompts, fast_retry):
    fake_server.responder = strategist_responder
    llm = _llm(fake_server, prompts, fast_retry)
    context = await llm.analyze_market(compute_market_stats(make_frames(0.001)))
    insight = await llm.generate_strategy("momentum", context)
    await llm.generate_trading_rules(insight, context, "momentum")

    raw = " ".join(r.raw for r in fake_server.requests)
    ledger = json.dumps([c.model_dump(mode="json") for c in llm.ledger])
    for text in (raw, ledger):
        for symbol in SYMBOLS:
            assert symbol not in text
        for date_part in (START, "2024", "03-05", "T00:"):
            assert date_part not in text


async def test_unknown_rule_term_is_repaired_with_the_rule_error(fake_server, prompts, fast_retry):
    bad = json.loads(json.dumps(TRADING_RULES))
    bad["conditions"]["entry"] = ["price > supertrend_10"]
    fake_server.enqueue(tool_reply(bad), tool_reply(TRADING_RULES))
    llm = _llm(fake_server, prompts, fast_retry)
    from vantageadapt.models import MarketContext, StrategyInsight

    rules = await llm.generate_trading_rules(
        StrategyInsight.model_validate(STRATEGY_INSIGHT),
        MarketContext.model_validate(MARKET_CONTEXT),
        "breakout",
    )
    assert rules.conditions.entry[0] == "price > ma_{ma_window}"
    feedback = fake_server.bodies()[1]["messages"][-1]["content"]
    assert "supertrend_10" in feedback
    assert "ma_N" in feedback or "known" in feedback.lower()


async def test_json_in_plain_text_is_accepted(fake_server, prompts, fast_retry):
    fake_server.enqueue(text_reply("Here it is:\n```json\n" + json.dumps(MARKET_CONTEXT) + "\n```"))
    llm = _llm(fake_server, prompts, fast_retry)
    context = await llm.analyze_market(compute_market_stats(make_frames()))
    assert context.confidence == 0.7


async def test_unknown_regime_maps_to_unknown(fake_server, prompts, fast_retry):
    fake_server.enqueue(tool_reply({**MARKET_CONTEXT, "regime": "CRAB_MARKET"}))
    llm = _llm(fake_server, prompts, fast_retry)
    context = await llm.analyze_market(compute_market_stats(make_frames()))
    assert context.regime is MarketRegime.UNKNOWN


async def test_retries_429_and_5xx_then_succeeds(fake_server, prompts, fast_retry):
    fake_server.enqueue(error_reply(429), error_reply(503), tool_reply(MARKET_CONTEXT))
    llm = _llm(fake_server, prompts, fast_retry)
    context = await llm.analyze_market(compute_market_stats(make_frames()))
    assert context.regime is MarketRegime.RANGING_LOW_VOL
    assert len(fake_server.requests) == 3
    assert len(llm.ledger) == 1 and llm.ledger[0].error is None


async def test_persistent_server_errors_become_provider_error(fake_server, prompts, fast_retry):
    fake_server.enqueue(*[error_reply(500, "boom")] * 3)
    llm = _llm(fake_server, prompts, fast_retry)
    with pytest.raises(ProviderError, match="after 3 attempts") as info:
        await llm.analyze_market(compute_market_stats(make_frames()))
    assert info.value.exit_code == 3
    assert len(fake_server.requests) == 3
    assert llm.ledger[-1].error and "HTTP 500" in llm.ledger[-1].error


async def test_timeouts_are_retried_then_fail(fake_server, prompts, fast_retry):
    from dataclasses import replace

    from helpers.fake_openai import slow_reply

    fake_server.enqueue(slow_reply(1.0), slow_reply(1.0))
    policy = replace(fast_retry, attempts=2, timeout=0.2, fixed_timeout=True)  # --llm-timeout
    llm = _llm(fake_server, prompts, policy)
    with pytest.raises(ProviderError, match="Timeout"):
        await llm.analyze_market(compute_market_stats(make_frames()))


async def test_client_errors_are_not_retried(fake_server, prompts, fast_retry):
    fake_server.enqueue(error_reply(400, "bad request"))
    llm = _llm(fake_server, prompts, fast_retry)
    with pytest.raises(ProviderError, match="HTTP 400"):
        await llm.analyze_market(compute_market_stats(make_frames()))
    assert len(fake_server.requests) == 1


async def test_answers_that_never_validate_fall_back_to_the_offline_strategist(
    fake_server, prompts, fast_retry
):
    fake_server.enqueue(*[tool_reply({"regime": "BREAKOUT"})] * 3)
    llm = _llm(fake_server, prompts, fast_retry)
    stats = compute_market_stats(make_frames())
    context = await llm.analyze_market(stats)
    assert context == offline_market_context(stats)
    assert len(fake_server.requests) == 3
    # Each re-ask quotes the exact error, at a new seed and a warmer temperature.
    bodies = fake_server.bodies()
    assert [b["seed"] for b in bodies] == [0, 1, 2]
    assert [b["temperature"] for b in bodies] == [0.2, 0.5, 0.8]
    assert "Field required" in bodies[1]["messages"][-1]["content"]
    *asked, fallback = llm.ledger
    assert [c.error is not None for c in asked] == [True] * 3
    assert fallback.provider == "offline" and fallback.fallback
    assert "no valid analyze_market answer in 3 attempt(s)" in (fallback.error or "")

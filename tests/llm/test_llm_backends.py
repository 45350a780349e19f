"""Per-backend capabilities, improvement proposals over HTTP, and the StrategicTrader façade."""

from __future__ import annotations

import json

import pytest

from helpers.fake_openai import MARKET_CONTEXT, strategist_responder, text_reply, tool_reply
from helpers.market_frames import make_frames
from vantageadapt.agent.strategic_trader import StrategicTrader
from vantageadapt.llm import LLMInterface, compute_market_stats
from vantageadapt.llm.openai_provider import OpenAIProvider, is_loopback, safe_url
from vantageadapt.models import ImprovementContext, MarketRegime


@pytest.mark.parametrize(
    ("url", "local"),
    [
        (None, False),
        ("https://api.openai.com/v1", False),
        ("http://localhost:11434/v1", True),
        ("http://127.0.0.1:8080/v1", True),
        ("http://gpu-box:8000/v1", False),
    ],
)
def test_loopback_servers_are_local(url, local):
    assert is_loopback(url) is local


async def test_tool_choice_comes_from_configuration_not_the_port(fake_server, prompts, fast_retry):
    # The fake server listens on a random port: whatever it is, a --base-url server gets the
    # named tool choice unless --tool-choice auto is configured.
    fake_server.responder = strategist_responder
    provider = OpenAIProvider("local", fake_server.base_url, retry=fast_retry)
    await LLMInterface(provider, prompts=prompts).analyze_market(
        compute_market_stats(make_frames())
    )
    choice = fake_server.bodies()[0]["tool_choice"]
    assert choice == {"type": "function", "function": {"name": "report_market_context"}}


def test_safe_url_drops_credentials_and_query():
    assert safe_url("https://me:pw@host:9/v1?token=abc") == "https://host:9/v1"


async def test_servers_without_named_tool_choice_get_auto_and_text_json(
    fake_server, prompts, fast_retry
):
    fake_server.enqueue(text_reply(json.dumps(MARKET_CONTEXT)))
    provider = OpenAIProvider("local", fake_server.base_url, retry=fast_retry, tool_choice="auto")
    llm = LLMInterface(provider, prompts=prompts)
    context = await llm.analyze_market(compute_market_stats(make_frames()))
    assert context.regime is MarketRegime.RANGING_LOW_VOL
    body = fake_server.bodies()[0]
    assert body["tool_choice"] == "auto"
    assert "report_market_context" in body["messages"][-1]["content"]
    assert llm.ledger[0].request["tool_choice"] == "auto"
    assert llm.ledger[0].cost_usd is None  # no price known for a local model


def _improvement_context(prompts) -> ImprovementContext:
    return ImprovementContext(
        theme="breakout",
        regime=MarketRegime.BREAKOUT,
        in_sample={"sortino_ratio": 1.0},
        out_of_sample={"sortino_ratio": 0.2},
        unmet=["sortino_ratio 0.2 < 2.0"],
        parameters={"take_profit": 0.3},
        parameters_at_edge={"take_profit": "high"},
        modules={"scoring.py": "def score(a, b, rows):\n    return 0.0\n"},
        prompts={"rules/generate": prompts.get("rules/generate")[0]},
    )


async def test_patch_with_bad_code_or_target_is_repaired(fake_server, prompts, fast_retry):
    fake_server.responder = strategist_responder
    fake_server.enqueue(
        tool_reply(
            {
                "target": "scoring.py",
                "op": "modify_code",
                "name": "score",
                "code": "def (",
                "reason": "x",
            }
        ),
        tool_reply(
            {
                "target": "evil.py",
                "op": "modify_code",
                "name": "score",
                "code": "x = 1",
                "reason": "x",
            }
        ),
    )
    llm = LLMInterface.from_settings(
        "openai", "gpt-4o-mini", fake_server.base_url, prompts=prompts, retry=fast_retry
    )
    patch = await llm.propose_patch(_improvement_context(prompts))
    assert patch.target == "scoring.py" and patch.name == "fake_helper"
    feedback = [b["messages"][-1]["content"] for b in fake_server.bodies()[1:]]
    assert "does not parse" in feedback[0]
    assert "evil.py" in feedback[1] and "scoring.py" in feedback[1]
    user = fake_server.bodies()[0]["messages"][1]["content"]
    assert "### scoring.py" in user and '"take_profit": "high"' in user


async def test_prompt_change_must_keep_placeholders(fake_server, prompts, fast_retry):
    fake_server.responder = strategist_responder
    fake_server.enqueue(
        tool_reply({"name": "rules/generate", "template": "{theme}", "reason": "x"})
    )
    llm = LLMInterface.from_settings(
        "openai", "gpt-4o-mini", fake_server.base_url, prompts=prompts, retry=fast_retry
    )
    ctx = _improvement_context(prompts)
    change = await llm.propose_prompt_change(ctx)
    assert (
        "missing ['context_json', 'insight_json', 'terms']"
        in (fake_server.bodies()[1]["messages"][-1]["content"])
    )
    assert change.template.startswith(ctx.prompts["rules/generate"])
    assert prompts.update_prompt(change.name, change.template, change.reason) == 2


async def test_strategic_trader_reads_frames_through_the_llm(prompts):
    trader = StrategicTrader(LLMInterface(prompts=prompts))
    context = await trader.analyze_market(make_frames(0.001))
    assert context.regime is MarketRegime.TRENDING_BULLISH
    assert trader.stats is not None and trader.stats.n_assets == 3
    insight = await trader.generate_strategy("breakout trading")
    rules = await trader.generate_trading_rules()
    assert rules == await trader.generate_trading_rules(insight, context, "breakout trading")
    assert "price > high_{breakout_window}" in rules.conditions.entry
    with pytest.raises(ValueError, match="analyze_market first"):
        await StrategicTrader(trader.llm).generate_strategy("x")


def test_backoff_doubles_and_honours_retry_after_up_to_the_cap():
    from types import SimpleNamespace

    from vantageadapt.llm.base import RetryPolicy, retry_after

    policy = RetryPolicy(base_delay=1.0, max_delay=10.0)
    assert [policy.delay(n) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 8.0, 10.0]
    assert policy.delay(1, 3.0) == 3.0 and policy.delay(1, 99.0) == 10.0
    error = SimpleNamespace(response=SimpleNamespace(headers={"retry-after": "2.5"}))
    assert retry_after(error) == 2.5
    dated = SimpleNamespace(response=SimpleNamespace(headers={"retry-after": "Wed, 21 Oct"}))
    assert retry_after(dated) is None and retry_after(ValueError("x")) is None

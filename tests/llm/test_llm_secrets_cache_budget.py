"""Keys never leak; the reply cache makes reruns free; the budget stops calls before they run."""

from __future__ import annotations

import json
import logging

import pytest

from helpers.fake_openai import MARKET_CONTEXT, error_reply, strategist_responder, tool_reply
from helpers.market_frames import make_frames
from vantageadapt.errors import BudgetExceeded, ProviderError
from vantageadapt.llm import Budget, LLMInterface, compute_market_stats
from vantageadapt.logs import setup_logging

PLANTED = "sk-planted-0123456789abcdefSECRET"


def _llm(server, prompts, retry, **kwargs) -> LLMInterface:
    return LLMInterface.from_settings(
        "openai", "gpt-4o-mini", server.base_url, prompts=prompts, retry=retry, **kwargs
    )


async def test_planted_key_appears_in_no_log_exception_or_ledger(
    fake_server, prompts, fast_retry, monkeypatch, caplog, tmp_path, capsys
):
    monkeypatch.setenv("OPENAI_API_KEY", PLANTED)
    setup_logging(verbose=True, log_dir=tmp_path / "logs")
    logging.getLogger("vantageadapt").propagate = True  # let caplog see the records too
    caplog.set_level(logging.DEBUG)
    fake_server.responder = strategist_responder
    fake_server.enqueue(
        tool_reply(f"not json {PLANTED}"),  # a server echoing the key in a bad answer
        tool_reply(MARKET_CONTEXT),
    )
    llm = _llm(fake_server, prompts, fast_retry)
    stats = compute_market_stats(make_frames())
    context = await llm.analyze_market(stats)
    await llm.generate_strategy("breakout", context)
    fake_server.enqueue(error_reply(401, f"invalid key {PLANTED}"))
    with pytest.raises(ProviderError) as info:
        await llm.analyze_market(stats)

    # The key really was used (in the Authorization header) ...
    assert fake_server.requests[0].headers["authorization"] == f"Bearer {PLANTED}"
    # ... and shows up nowhere we keep or print.
    assert PLANTED not in str(info.value)
    assert "check OPENAI_API_KEY" in str(info.value)
    for call in llm.ledger:
        assert PLANTED not in json.dumps(call.model_dump(mode="json"))
    assert PLANTED not in caplog.text
    log_file = (tmp_path / "logs" / "vantage.log").read_text()
    assert "analyze_market" in log_file and PLANTED not in log_file
    captured = capsys.readouterr()
    assert PLANTED not in captured.err + captured.out
    for request in fake_server.requests:
        assert PLANTED not in request.raw  # never in a prompt body either
    setup_logging()


async def test_cache_rerun_costs_no_tokens_and_no_requests(fake_server, prompts, fast_retry):
    fake_server.responder = strategist_responder
    stats = compute_market_stats(make_frames(0.001))
    first = _llm(fake_server, prompts, fast_retry, cache=True)
    context = await first.analyze_market(stats)
    assert first.ledger[0].prompt_tokens == 100 and not first.ledger[0].cached
    sent = len(fake_server.requests)

    rerun = _llm(fake_server, prompts, fast_retry, cache=True)
    again = await rerun.analyze_market(stats)
    assert again == context
    assert len(fake_server.requests) == sent
    row = rerun.ledger[0]
    assert row.cached and row.prompt_tokens == row.completion_tokens == 0 and row.cost_usd == 0
    assert row.request_hash == first.ledger[0].request_hash

    uncached = _llm(fake_server, prompts, fast_retry, cache=False)
    await uncached.analyze_market(stats)
    assert len(fake_server.requests) == sent + 1


async def test_budget_stops_before_a_call_would_pass_it(fake_server, prompts, fast_retry):
    fake_server.responder = strategist_responder
    stats = compute_market_stats(make_frames())
    budget = Budget(max_tokens=1_000_000)
    llm = _llm(fake_server, prompts, fast_retry, budget=budget)
    await llm.analyze_market(stats)
    assert budget.spent_tokens == 150
    assert budget.spent_cost == pytest.approx((100 * 0.15 + 50 * 0.60) / 1e6)

    budget.max_tokens = budget.spent_tokens + 1
    with pytest.raises(BudgetExceeded, match="--max-tokens"):
        await llm.analyze_market(stats)
    assert len(fake_server.requests) == 1


async def test_cost_budget_blocks_the_first_call(fake_server, prompts, fast_retry):
    fake_server.responder = strategist_responder
    llm = _llm(fake_server, prompts, fast_retry, budget=Budget(max_cost=1e-7))
    with pytest.raises(BudgetExceeded, match="--max-cost") as info:
        await llm.analyze_market(compute_market_stats(make_frames()))
    assert info.value.exit_code == 1
    assert fake_server.requests == []


async def test_offline_calls_never_touch_the_budget(prompts):
    budget = Budget(max_tokens=1, max_cost=1e-9)
    llm = LLMInterface(prompts=prompts, budget=budget)
    await llm.analyze_market(compute_market_stats(make_frames()))
    assert budget.spent_tokens == 0

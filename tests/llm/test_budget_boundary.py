"""The budget at exactly its limit: DESIGN.md says `--max-cost`/`--max-tokens` stop a run
before an LLM call would *pass* the budget, so a call that lands exactly on the limit runs and
one token (or one cent) more is refused.
"""

from __future__ import annotations

import pytest

from helpers.fake_openai import strategist_responder
from helpers.market_frames import make_frames
from vantageadapt.errors import BudgetExceeded
from vantageadapt.llm import Budget, LLMInterface, compute_market_stats


def _check(budget: Budget, tokens: int, cost: float | None = None) -> None:
    budget.check(purpose="analyze_market", model="gpt-4o-mini", tokens=tokens, cost=cost)


def test_a_call_landing_exactly_on_the_token_limit_is_allowed():
    budget = Budget(max_tokens=5_000)
    _check(budget, 5_000)
    budget.charge(tokens=3_000, cost=None)
    _check(budget, 2_000)


def test_one_token_over_the_limit_is_refused():
    budget = Budget(max_tokens=5_000)
    with pytest.raises(BudgetExceeded, match="--max-tokens 5000"):
        _check(budget, 5_001)
    budget.charge(tokens=3_000, cost=None)
    with pytest.raises(BudgetExceeded, match="3000 of --max-tokens 5000"):
        _check(budget, 2_001)


def test_the_cost_limit_has_the_same_boundary():
    budget = Budget(max_cost=0.5)
    budget.charge(tokens=10, cost=0.25)
    _check(budget, 10, cost=0.25)  # 0.25 + 0.25 == 0.5: exactly the limit
    with pytest.raises(BudgetExceeded, match="--max-cost"):
        _check(budget, 10, cost=0.25 + 2**-20)


class _Recording(Budget):
    """A budget that remembers the token estimate of each check (the limit is what we test)."""

    def check(self, *, purpose, model, tokens, cost):
        self.asked = [*getattr(self, "asked", []), tokens]
        super().check(purpose=purpose, model=model, tokens=tokens, cost=cost)


async def test_the_interface_runs_a_call_estimated_exactly_at_the_limit(
    fake_server, prompts, fast_retry
):
    fake_server.responder = strategist_responder
    stats = compute_market_stats(make_frames())

    def llm(budget: Budget) -> LLMInterface:
        return LLMInterface.from_settings(
            "openai", "gpt-4o-mini", fake_server.base_url, prompts=prompts, retry=fast_retry,
            budget=budget,
        )  # fmt: skip

    probe = _Recording()
    await llm(probe).analyze_market(stats)
    estimate = probe.asked[0]

    exact = Budget(max_tokens=estimate)
    await llm(exact).analyze_market(stats)
    assert exact.spent_tokens > 0

    sent = len(fake_server.requests)
    with pytest.raises(BudgetExceeded, match="--max-tokens"):
        await llm(Budget(max_tokens=estimate - 1)).analyze_market(stats)
    assert len(fake_server.requests) == sent  # refused before anything was sent

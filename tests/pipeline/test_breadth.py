"""Breadth per iteration: K hypotheses share the budget, the pick is made on validation, the
strategist sees which held, and the best iteration prefers a significant one."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from vantageadapt.llm.hypotheses import HypothesisOutcome, family_order, offline_hypotheses
from vantageadapt.llm.offline import offline_insight
from vantageadapt.models import MarketContext
from vantageadapt.pipeline import run_pipeline
from vantageadapt.results import IterationResult
from vantageadapt.results import best_iteration as choose_best
from vantageadapt.settings import load_settings

from .pipeline_support import fast_flags


def _calls(run_id: str, purpose: str):
    from helpers.store_db import DatabaseForTests

    async def read():
        async with DatabaseForTests(os.environ["VANTAGE_DATABASE_URL"]) as db:
            return await db.llm_calls(run_id)

    return [c for c in asyncio.run(read()) if c.purpose == purpose]


def test_each_iteration_tunes_k_hypotheses_and_picks_on_validation(sample_path: Path):
    flags = fast_flags(sample_path, optimize={"trials": 18, "hypotheses": 3})
    result = run_pipeline(load_settings(flags, dotenv=None))
    assert result.status == "finished"
    for item in result.iterations:
        names = [h["name"] for h in item.hypotheses]
        assert len(names) == 3 and len(set(names)) == 3
        # 18 trials: 3 to screen each hypothesis, the other 9 to refine the one picked.
        assert sorted(h["trials"] for h in item.hypotheses) == [3, 3, 12]
        assert max(item.hypotheses, key=lambda h: h["trials"])["picked"]
        picked = [h for h in item.hypotheses if h["picked"]]
        assert len(picked) == 1
        assert picked[0]["validation_score"] == max(h["validation_score"] for h in item.hypotheses)
        assert item.trials == 18
        assert item.validation_score == picked[0]["validation_score"]
        for h in item.hypotheses:
            assert h["held"] == (h["validation_score"] > 0 and h["validation_return"] > 0)
        assert 0.0 <= item.deflated_sharpe <= 1.0
        assert item.pbo is None or 0.0 <= item.pbo <= 1.0
        assert item.significance_periods
    # Every trial of every hypothesis counts for the deflated Sharpe.
    first = result.iterations[0]
    assert first.trials_to_date >= sum(h["trials"] for h in first.hypotheses)
    # The strategist is shown, in iteration 2, how iteration 1's hypotheses did.
    asked = _calls(result.run_id, "generate_hypotheses")
    assert len(asked) == 2
    assert asked[0].request["inputs"]["feedback"] == []
    shown = asked[1].request["inputs"]["feedback"]
    assert [(f["name"], f["held"]) for f in shown] == [
        (h["name"], h["held"]) for h in first.hypotheses
    ]
    assert all("test" not in key for f in shown for key in f)  # never the sealed test


def test_one_hypothesis_is_the_plain_loop(sample_path: Path):
    flags = fast_flags(sample_path, iterations=1, optimize={"hypotheses": 1})
    result = run_pipeline(load_settings(flags, dotenv=None))
    [item] = result.iterations
    assert [h["name"] for h in item.hypotheses] == ["strategist rules"]
    assert _calls(result.run_id, "generate_hypotheses") == []


def _market(regime: str) -> MarketContext:
    return MarketContext.model_validate(
        {
            "regime": regime,
            "confidence": 0.6,
            "volatility_level": 0.4,
            "trend_strength": 0.5,
            "volume_profile": "steady",
            "risk_level": "medium",
            "key_levels": {"support": 1.0, "resistance": 2.0},
            "analysis": {
                "price_action": "",
                "volume_analysis": "",
                "momentum": "",
                "volatility": "",
            },
        }
    )


def test_families_that_held_come_first_and_failed_ones_last():
    context = _market("UNKNOWN")
    plain = family_order("breakout trading", context, [])
    assert plain[0] == "breakout"
    feedback = [
        HypothesisOutcome(iteration=1, name="breakout", held=False, validation_score=-1,
                          validation_return=-0.1),
        HypothesisOutcome(iteration=1, name="mean_reversion", held=True, validation_score=2,
                          validation_return=0.1),
    ]  # fmt: skip
    order = family_order("breakout trading", context, feedback)
    assert order[0] == "mean_reversion" and order[-1] == "breakout"
    assert sorted(order) == sorted(plain)


def test_offline_hypotheses_are_k_distinct_valid_rule_sets():
    context = _market("TRENDING_BULLISH")
    insight = offline_insight("breakout trading", context)
    answer = offline_hypotheses("breakout trading", insight, context, 4, [], seed=2)
    assert [h.name for h in answer.hypotheses] == family_order("breakout trading", context, [])[:4]
    conditions = [tuple(h.rules.conditions.entry) for h in answer.hypotheses]
    assert len(set(conditions)) == 4


def _it(index: int, score: float, dsr: float) -> IterationResult:
    return IterationResult(
        index=index, regime="UNKNOWN", rules={"conditions": {"entry": ["price > 1"], "exit": []},
        "parameters": {}}, parameters={}, in_sample={}, out_of_sample={}, score=0.0,
        validation_score=score, unmet=["x"], deflated_sharpe=dsr,
    )  # fmt: skip


def test_a_significant_iteration_beats_a_slightly_higher_score():
    assert choose_best([_it(1, 3.0, 0.99), _it(2, 3.2, 0.4)]).index == 1
    assert choose_best([_it(1, 3.0, 0.5), _it(2, 3.2, 0.4)]).index == 2
    assert choose_best([_it(1, 3.0, 0.97), _it(2, 3.2, 0.96)]).index == 2

"""Reading weak models' answers: lenient JSON, wrappers, clamped ranges, safe rule repairs."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from helpers.fake_openai import MARKET_CONTEXT, STRATEGY_INSIGHT
from vantageadapt.errors import RuleError
from vantageadapt.llm.answers import json_from_text, repair_rules, unwrap, validate_with_repairs
from vantageadapt.llm.openai_provider import tool_arguments
from vantageadapt.models import MarketContext, StrategyInsight, TradingRules


def test_raw_control_characters_inside_strings_are_read():
    raw = '{"a": "line one\nline\ttwo", "b": 1}'
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)
    assert tool_arguments(raw) == {"a": "line one\nline\ttwo", "b": 1}


@pytest.mark.parametrize(
    "text",
    [
        'Here you go:\n```json\n{"x": 1}\n```\nanything else?',
        '```\n{"x": 1}\n```',
        'I think {"x": 1} is right',
        '{"x": 1}',
    ],
)
def test_json_found_in_prose_and_fences(text):
    assert json_from_text(text) == {"x": 1}


def test_json_from_text_gives_none_without_an_object():
    assert json_from_text("no json at all") is None
    assert json_from_text("[1, 2]") is None


def test_name_arguments_wrappers_are_unwrapped_also_as_strings():
    inner = {"regime": "BREAKOUT"}
    assert unwrap({"name": "t", "arguments": inner}, "t")[0] == inner
    assert unwrap({"name": "t", "parameters": json.dumps(inner)}, "t")[0] == inner
    # A real answer that merely has a `name` field is left alone.
    patch = {"name": "score", "target": "scoring.py", "op": "delete_code", "reason": "x"}
    assert unwrap(patch, "t") == (patch, [])


def test_out_of_range_numbers_are_clamped_with_a_note():
    answer = {**MARKET_CONTEXT, "volatility_level": 18.13, "trend_strength": 3, "confidence": -2}
    context, notes = validate_with_repairs(MarketContext, answer)
    assert (context.volatility_level, context.trend_strength, context.confidence) == (1, 1, 0)
    assert sorted(notes) == [
        "confidence -2 is below the minimum 0.0: clamped to 0.0",
        "trend_strength 3 is above the maximum 1.0: clamped to 1.0",
        "volatility_level 18.13 is above the maximum 1.0: clamped to 1.0",
    ]


def test_nested_ranges_and_unknown_keys_are_repaired_other_errors_are_not():
    answer = json.loads(json.dumps(STRATEGY_INSIGHT))
    answer["risk_management"]["max_drawdown"] = 20
    answer["regime_specific_rules"]["BREAKOUT"]["stop_loss_mult"] = -1
    answer["confidence_note"] = "extra"
    insight, notes = validate_with_repairs(StrategyInsight, answer)
    assert insight.risk_management.max_drawdown == 1.0
    assert len(notes) == 3 and any("confidence_note" in n for n in notes)
    with pytest.raises(ValidationError):
        validate_with_repairs(MarketContext, {**MARKET_CONTEXT, "confidence": "high"})
    missing = {k: v for k, v in MARKET_CONTEXT.items() if k != "analysis"}
    with pytest.raises(ValidationError):
        validate_with_repairs(MarketContext, missing)


def test_rules_repairs_are_safe_and_unambiguous():
    answer = {
        "conditions": {
            "entry": ["price > high_{breakout_window}", "price > high_{ 20 }"],
            "exit": "price < low_{exit_window}",
        },
        "parameters": {"exit_window": 10},
    }
    repaired, notes = repair_rules(answer)
    rules = TradingRules.model_validate(repaired)
    assert rules.conditions.entry == ["price > high_{breakout_window}", "price > high_20"]
    assert rules.conditions.exit == ["price < low_{exit_window}"]
    assert rules.parameters == {"breakout_window": 20, "exit_window": 10}  # given ones kept
    assert len(notes) == 3
    assert answer["parameters"] == {"exit_window": 10}  # the answer itself is not changed
    # An unknown term is not guessed at: it stays an error for the model to fix.
    unknown, notes = repair_rules(
        {"conditions": {"entry": ["momentum > 0"], "exit": ["price < ma_20"]}, "parameters": {}}
    )
    assert notes == []
    with pytest.raises(RuleError, match="unknown term 'momentum'"):
        TradingRules.model_validate(unknown)

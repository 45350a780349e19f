"""The offline strategist reads `# offline:` hints from its prompt templates."""

from __future__ import annotations

import asyncio

import pytest

from helpers.market_frames import make_frames
from vantageadapt.errors import ConfigError
from vantageadapt.llm import LLMInterface, compute_market_stats
from vantageadapt.llm.offline import offline_insight, offline_market_context
from vantageadapt.llm.offline_rules import OfflineHints, offline_hints, offline_rules
from vantageadapt.prompts import placeholders

THEME = "breakout trading"


@pytest.fixture(scope="module")
def context():
    return offline_market_context(compute_market_stats(make_frames(0.0, 0.01, tail=None)))


def test_hints_are_parsed_from_comment_lines():
    assert offline_hints("Plan it.\n{theme}\n") == OfflineHints()
    text = "x\n# offline: prefer=more_trades\n  #offline:exit=time\n"
    assert offline_hints(text) == OfflineHints(window_scale=0.5, exit="time")
    both = "# offline: window_scale=3\n# offline: prefer=fewer_trades\n"
    assert offline_hints(both).window_scale == 3.0  # an explicit scale beats prefer
    assert offline_hints("# offline: prefer=fewer_trades").window_scale == 2.0
    assert offline_hints("a line that says offline: prefer=x") == OfflineHints()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("# offline: import=os", "unknown offline hint 'import'"),
        ("# offline: window_scale=__import__('os')", "use 0.25-4"),
        ("# offline: window_scale=9", "use 0.25-4"),
        ("# offline: exit=never", "use trailing or time"),
        ("# offline: prefer=luck", "use more_trades or fewer_trades"),
    ],
)
def test_bad_hints_are_clear_errors(line, message):
    with pytest.raises(ConfigError, match=message):
        offline_hints(line)


def test_hints_change_the_composed_rules(context):
    insight = offline_insight(THEME, context)
    plain = offline_rules(THEME, insight, context)
    shorter = offline_rules(THEME, insight, context, hints=OfflineHints(window_scale=0.5))
    for name, value in plain.parameters.items():
        want = max(2, round(value * 0.5)) if name.endswith("_window") else value
        assert shorter.parameters[name] == want
    assert shorter.conditions == plain.conditions
    timed = offline_rules(THEME, insight, context, hints=OfflineHints(exit="time"))
    assert timed.conditions.exit == [*plain.conditions.exit, "bars_held > max_bars"]
    assert timed.parameters["max_bars"] == 3 * plain.parameters["breakout_window"]


def test_an_exit_hint_in_the_insight_prompt_reaches_the_rules(context):
    plain = offline_insight(THEME, context)
    insight = offline_insight(THEME, context, OfflineHints(exit="time"))
    assert insight.key_indicators.exit == [*plain.key_indicators.exit, "bars_held"]
    rules = offline_rules(THEME, insight, context)
    assert "bars_held > max_bars" in rules.conditions.exit


def test_the_interface_reads_hints_from_its_current_prompts(prompts, context):
    llm = LLMInterface(prompts=prompts)

    async def ask():
        insight = await llm.generate_strategy(THEME, context)
        return await llm.generate_trading_rules(insight, context, THEME)

    before = asyncio.run(ask())
    for name, hint in (("rules/generate", "prefer=more_trades"), ("strategy/insight", "exit=time")):
        old = prompts.get(name)[0]
        new = f"{old}\n# offline: {hint}\nGuidance an LLM reads as plain text.\n"
        assert placeholders(new) == placeholders(old)
        prompts.update_prompt(name, new, "test")
    after = asyncio.run(ask())
    assert llm.ledger[-1].request["inputs"]["hints"] == {"window_scale": 0.5, "exit": ""}
    assert llm.ledger[-2].request["inputs"]["hints"] == {"window_scale": 1.0, "exit": "time"}
    half = max(2, round(before.parameters["breakout_window"] * 0.5))
    assert after.parameters["breakout_window"] == half
    assert after.conditions.exit == [*before.conditions.exit, "bars_held > max_bars"]

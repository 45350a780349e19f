"""The offline strategist: regimes from the data, theme- and regime-specific rules that run."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vantageadapt.agent
from helpers.market_frames import make_frames
from vantageadapt.backtest import run_backtest
from vantageadapt.llm import LLMInterface, compute_market_stats
from vantageadapt.llm.offline import offline_insight, offline_market_context
from vantageadapt.llm.offline_rules import offline_rules
from vantageadapt.models import (
    CodePatch,
    ImprovementContext,
    MarketRegime,
    PromptChange,
    TradingRules,
)

R = MarketRegime
# (drift, vol per row, tail (drift, vol) of the last 10 %) -> the regime a reader should see.
MARKETS = {
    R.TRENDING_BULLISH: (0.001, 0.01, None),
    R.TRENDING_BEARISH: (-0.001, 0.01, None),
    R.RANGING_LOW_VOL: (0.0, 0.0005, None),
    R.RANGING_HIGH_VOL: (0.0, 0.01, None),
    R.BREAKOUT: (0.0, 0.005, (0.004, 0.012)),
    R.BREAKDOWN: (0.0, 0.005, (-0.004, 0.012)),
    R.REVERSAL: (0.0008, 0.005, (-0.002, 0.005)),
}
THEMES = ("breakout trading", "mean reversion", "momentum", "trend following")


@cache
def _context(regime: MarketRegime):
    drift, vol, tail = MARKETS[regime]
    return offline_market_context(compute_market_stats(make_frames(drift, vol, tail=tail)))


@pytest.mark.parametrize("regime", list(MARKETS))
def test_regime_is_read_from_the_data(regime):
    context = _context(regime)
    assert context.regime is regime
    assert 0.05 <= context.confidence <= 0.95
    assert "offline strategist" in context.analysis.price_action


def test_no_data_is_unknown():
    context = offline_market_context(compute_market_stats({}))
    assert context.regime is R.UNKNOWN and context.confidence == 0.0


def test_volatility_and_risk_follow_the_data():
    calm, wild = _context(R.RANGING_LOW_VOL), _context(R.RANGING_HIGH_VOL)
    assert calm.volatility_level < wild.volatility_level
    assert (calm.risk_level, wild.risk_level) == ("low", "high")
    assert _context(R.TRENDING_BULLISH).trend_strength > calm.trend_strength


def _rules(theme: str, regime: MarketRegime, seed: int = 0) -> TradingRules:
    context = _context(regime)
    return offline_rules(theme, offline_insight(theme, context), context, seed)


def test_themes_give_different_rules():
    for regime in (R.RANGING_HIGH_VOL, R.TRENDING_BULLISH):
        conditions = {
            theme: tuple(map(tuple, _rules(theme, regime).conditions.model_dump().values()))
            for theme in THEMES
        }
        assert len(set(conditions.values())) == len(THEMES)
    breakout = _rules("breakout trading", R.RANGING_HIGH_VOL)
    assert "price > high_{breakout_window}" in breakout.conditions.entry
    assert breakout.parameters["breakout_window"] in (20.0, 30.0, 40.0)
    reversion = _rules("mean reversion", R.RANGING_HIGH_VOL)
    assert "price < bb_lower_{bb_window}" in reversion.conditions.entry
    assert (
        "ema_{fast_window} > ema_{slow_window}"
        in _rules("trend following", R.RANGING_HIGH_VOL).conditions.entry
    )
    assert "macd > macd_signal" in _rules("momentum", R.RANGING_HIGH_VOL).conditions.entry


def test_regimes_shape_the_rules():
    for theme in THEMES:
        variants = {_rules(theme, regime).model_dump_json() for regime in MARKETS}
        assert len(variants) >= 3, theme
    calm = _rules("breakout trading", R.RANGING_LOW_VOL)
    wild = _rules("breakout trading", R.RANGING_HIGH_VOL)
    assert calm.parameters["stop_loss"] < wild.parameters["stop_loss"]
    assert calm.parameters["max_orders"] > wild.parameters["max_orders"]
    bear = _rules("mean reversion", R.TRENDING_BEARISH)
    assert (
        bear.parameters["rsi_oversold"]
        < _rules("mean reversion", R.RANGING_LOW_VOL).parameters["rsi_oversold"]
    )


@pytest.mark.parametrize(
    ("theme", "entry_term"),
    [
        ("Donchian channel", "high_{breakout_window}"),
        ("buy the dip", "rsi_{rsi_window}"),
        ("volume spikes", "volume_ma_{volume_window} * volume_mult"),
        ("bollinger squeeze", "bb_upper_{bb_window}"),
        ("MACD crossover", "ema_{fast_window}"),
    ],
)
def test_other_themes_map_sensibly(theme, entry_term):
    rules = _rules(theme, R.RANGING_HIGH_VOL)
    assert any(entry_term in c for c in rules.conditions.entry)


def test_unplaced_theme_follows_the_regime():
    assert _rules("my secret sauce", R.TRENDING_BULLISH) == _rules(
        "trend following", R.TRENDING_BULLISH
    )


def test_same_input_and_seed_same_answer():
    assert _rules("breakout", R.BREAKOUT, seed=3) == _rules("breakout", R.BREAKOUT, seed=3)
    windows = {_rules("breakout", R.BREAKOUT, s).parameters["breakout_window"] for s in range(8)}
    assert len(windows) > 1  # the seed varies the starting window


def test_parameters_stay_in_the_search_ranges():
    for regime in MARKETS:
        for theme in THEMES:
            p = _rules(theme, regime).parameters
            assert 0.05 <= p["take_profit"] <= 0.3
            assert 0.02 <= p["stop_loss"] <= 0.15
            assert 0.05 <= p["order_size"] <= 0.5
            assert 1 <= p["max_orders"] <= 5


def test_every_rule_set_backtests():
    frame = make_frames(0.0, 0.01, rows=1500, symbols=("X",))["X"]
    traded = 0
    for regime in MARKETS:
        for theme in (*THEMES, "volume spikes", "volatility squeeze"):
            result = run_backtest(frame, _rules(theme, regime))
            assert result.metrics.total_trades >= 0
            traded += result.metrics.total_trades > 0
    assert traded >= 20  # nearly all of the 42 rule sets trade on a noisy walk


async def test_interface_ledgers_the_offline_strategist(prompts):
    llm = LLMInterface.from_settings("offline", prompts=prompts, seed=1)
    assert (llm.provider_name, llm.model_name) == ("offline", "offline-strategist-v1")
    context = await llm.analyze_market(compute_market_stats(make_frames(0.001)))
    insight = await llm.generate_strategy("momentum", context)
    rules = await llm.generate_trading_rules(insight, context, "momentum")
    assert "Offline strategist" in insight.rationale
    assert "returns_{momentum_window} > momentum_threshold" in rules.conditions.entry
    calls = llm.drain_ledger()
    assert [c.purpose for c in calls] == [
        "analyze_market",
        "generate_strategy",
        "generate_trading_rules",
    ]
    assert all(c.provider == "offline" and c.cost_usd == 0.0 for c in calls)
    assert calls[2].response["conditions"] == rules.conditions.model_dump()
    again = LLMInterface.from_settings("offline", prompts=prompts, seed=1)
    await again.analyze_market(compute_market_stats(make_frames(0.001)))
    assert again.ledger[0].request_hash == calls[0].request_hash


async def test_offline_improvements_come_from_the_agent(prompts):
    template = Path(vantageadapt.agent.__file__).parent / "workspace_template"
    ctx = ImprovementContext(
        theme="breakout",
        regime=R.RANGING_HIGH_VOL,
        in_sample={"total_return": 0.1, "sortino_ratio": 1.0, "total_trades": 20},
        out_of_sample={"total_return": 0.02, "sortino_ratio": 0.3, "total_trades": 5},
        unmet=["total_trades 5 < 100"],
        parameters={"take_profit": 0.3, "stop_loss": 0.05},
        parameters_at_edge={"take_profit": "high"},
        modules={p.name: p.read_text() for p in sorted(template.glob("*.py"))},
        prompts={"rules/generate": prompts.get("rules/generate")[0]},
    )
    llm = LLMInterface(prompts=prompts)
    patch = await llm.propose_patch(ctx)
    change = await llm.propose_prompt_change(ctx)
    assert isinstance(patch, CodePatch) and patch.target in ctx.modules and patch.reason
    assert isinstance(change, PromptChange) and change.name == "rules/generate"
    assert prompts.update_prompt(change.name, change.template, change.reason) == 2
    assert [c.purpose for c in llm.ledger] == ["propose_patch", "propose_prompt_change"]


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(-0.003, 0.003), min_size=1, max_size=3),
    st.floats(0.0002, 0.03),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", max_size=30),
    st.integers(0, 50),
)
def test_any_market_and_theme_give_valid_rules(drifts, vol, theme, seed):
    frames = {}
    for i, drift in enumerate(drifts):
        frames |= make_frames(drift, vol, rows=300, seed=i, symbols=(f"S{i}",))
    context = offline_market_context(compute_market_stats(frames))
    insight = offline_insight(theme, context)
    rules = offline_rules(theme, insight, context, seed)  # validated by check_rules
    assert rules == offline_rules(theme, insight, context, seed)
    p = rules.parameters
    assert 0.05 <= p["take_profit"] <= 0.3 and 0.02 <= p["stop_loss"] <= 0.15
    assert 0.05 <= insight.suggested_position_size <= 0.5

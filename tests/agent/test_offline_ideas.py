"""Offline ideas that can move the score: a shipped indicator used in rules, prompt hints."""

from __future__ import annotations

from types import SimpleNamespace

from vantageadapt.agent.patch_ops import apply_patch
from vantageadapt.agent.static_check import check_source
from vantageadapt.agent.workspace import template_sources
from vantageadapt.llm.offline_patches import propose_patch_offline
from vantageadapt.llm.offline_prompt_changes import propose_prompt_change_offline
from vantageadapt.llm.offline_rules import OfflineHints, offline_hints
from vantageadapt.models import TradingRules
from vantageadapt.prompts import PromptManager, placeholders

from .conftest import import_folder, make_context, write_modules


def _insight(exit_: list[str]) -> SimpleNamespace:
    return SimpleNamespace(
        volatility_adjustment=SimpleNamespace(stop_loss=0.05),
        key_indicators=SimpleNamespace(model_dump=lambda: {"exit": exit_}),
    )


def _kept(ctx, modules, tag: str):
    """Propose until the idea tagged `tag` comes, keeping it; the modules after it."""
    history = []
    while True:
        patch = propose_patch_offline(
            ctx.model_copy(update={"history": history, "modules": modules}), seed=0
        )
        if tag in patch.reason:
            new = apply_patch(modules[patch.target], patch)
            check_source(new, filename=patch.target, original=modules[patch.target])
            return patch, {**modules, patch.target: new}
        history.append({"reason": patch.reason})


def _load(tmp_path, modules):
    return import_folder(write_modules(tmp_path / "mods", modules))


def _composed(tmp_path, modules) -> TradingRules:
    loaded = _load(tmp_path, modules)
    rules = loaded["strategy_generator.py"].compose_rules(_insight([]), None, "breakout")
    names = tuple(loaded["indicators.py"].CUSTOM_INDICATORS)
    return TradingRules.checked(rules, indicators=names)


def test_the_indicator_idea_uses_a_shipped_indicator_in_the_kept_rules(tmp_path):
    ctx = make_context()
    _, modules = _kept(ctx, template_sources(), "[offline:compose:breakout")
    patch, modules = _kept(ctx, modules, "[offline:filter:breakout:price_zscore:entry]")
    assert patch.target == "strategy_generator.py"
    rules = _composed(tmp_path, modules)
    assert rules.conditions.entry == [
        "price > high_{breakout_window}",
        "price_zscore_{breakout_window} > min_zscore",
    ]
    assert rules.parameters["min_zscore"] == 2.0
    again = propose_patch_offline(ctx.model_copy(update={"modules": modules}), seed=0)
    assert "filter:breakout:price_zscore:entry" not in again.reason  # kept: not proposed again


def test_an_inserted_indicator_is_composed_into_the_rules_next(tmp_path):
    ctx = make_context()
    _, modules = _kept(ctx, template_sources(), "[offline:compose:breakout")
    insert, modules = _kept(ctx, modules, "[offline:indicator:")
    assert insert.target == "indicators.py" and "efficiency" in insert.reason
    # Only the theme's filters' indicators are inserted; once kept, a filter uses it.
    _, modules = _kept(ctx, modules, "[offline:filter:breakout:efficiency:entry]")
    rules = _composed(tmp_path, modules)
    assert "efficiency_{breakout_window} > min_efficiency" in rules.conditions.entry


def test_the_workspace_composer_adds_the_exit_the_insight_asks_for(tmp_path):
    ctx = make_context()
    _, modules = _kept(ctx, template_sources(), "[offline:compose:breakout")
    compose = _load(tmp_path, modules)["strategy_generator.py"].compose_rules
    plain = compose(_insight(["low_10", "drawdown"]), None, "breakout")
    timed = compose(_insight(["low_10", "drawdown", "bars_held"]), None, "breakout")
    assert timed["conditions"]["exit"] == [*plain["conditions"]["exit"], "bars_held > max_bars"]
    assert timed["parameters"]["max_bars"] == 3.0 * plain["parameters"]["breakout_window"]


def test_prompt_changes_carry_hints_the_offline_strategist_reads(tmp_path):
    prompts = PromptManager(tmp_path / "prompts")
    names = ("rules/generate", "strategy/insight")
    ctx = make_context(prompts={n: prompts.get(n)[0] for n in names})
    seen, history = [], []
    for _ in range(4):
        change = propose_prompt_change_offline(ctx.model_copy(update={"history": history}), 0)
        assert placeholders(change.template) == placeholders(prompts.get(change.name)[0])
        seen.append((change.name, offline_hints(change.template)))
        history.append({"reason": change.reason})
    assert seen == [
        ("rules/generate", OfflineHints(window_scale=0.5)),  # total_trades is unmet
        ("rules/generate", OfflineHints(window_scale=2.0)),  # in-sample beats validation
        ("strategy/insight", OfflineHints(exit="time")),
        ("strategy/insight", OfflineHints(exit="trailing")),
    ]


def test_once_the_workspace_composes_only_the_insight_exit_is_proposed():
    ctx = make_context()
    _, modules = _kept(ctx, template_sources(), "[offline:compose:breakout")
    change = propose_prompt_change_offline(ctx.model_copy(update={"modules": modules}), 0)
    assert change.name == "strategy/insight"
    assert offline_hints(change.template) == OfflineHints(exit="time")

"""The offline improver proposes concrete patches that apply and pass the static check."""

from __future__ import annotations

import pytest

from vantageadapt.agent.patch_ops import apply_patch
from vantageadapt.agent.static_check import check_source
from vantageadapt.agent.workspace import template_sources
from vantageadapt.llm.offline_patches import propose_patch_offline
from vantageadapt.llm.offline_prompt_changes import propose_prompt_change_offline
from vantageadapt.models import PatchOp
from vantageadapt.prompts import PromptManager, placeholders

from .conftest import make_context


def _walk(ctx, steps: int):
    """Propose, apply and record `steps` patches as rejected, like a run that keeps nothing."""
    modules = template_sources()
    history, patches = [], []
    for _ in range(steps):
        patch = propose_patch_offline(ctx.model_copy(update={"history": history}), seed=0)
        new = apply_patch(modules[patch.target], patch)
        check_source(new, filename=patch.target, original=modules[patch.target])
        patches.append(patch)
        history.append(
            {
                "target": patch.target,
                "op": patch.op.value,
                "status": "rejected",
                "reason": patch.reason,
            }
        )
    return patches


@pytest.mark.parametrize("theme", ["breakout trading", "mean reversion", "momentum", "scalping"])
def test_every_idea_applies_and_passes_the_static_check(theme):
    patches = _walk(make_context(theme=theme), steps=8)
    tags = [p.reason.split("]")[0] for p in patches]
    assert len(set(tags[:6])) == 6  # tried ideas are not proposed again


def test_ideas_follow_the_evidence():
    ctx = make_context(theme="breakout trading")
    first = propose_patch_offline(ctx, seed=0)
    assert (first.target, first.name) == ("strategy_generator.py", "THEME_RULES")
    assert "high_{breakout_window}" in first.code and "'breakout_window': 200.0" not in first.code
    tried = [{"reason": first.reason}]
    edge = propose_patch_offline(ctx.model_copy(update={"history": tried}), seed=0)
    assert (edge.target, edge.name) == ("search_space.py", "WIDEN")
    assert "'take_profit': (1.0, 1.5)" in edge.code
    tried.append({"reason": edge.reason})
    trades = propose_patch_offline(ctx.model_copy(update={"history": tried}), seed=0)
    assert trades.code == "TRADE_PENALTY = 4.0"  # total_trades is unmet in this context


def test_widening_compounds_on_the_current_module():
    ctx = make_context(theme="scalping", parameters_at_edge={"stop_loss": "low"})
    modules = template_sources()
    first = propose_patch_offline(ctx, seed=0)
    modules["search_space.py"] = apply_patch(modules["search_space.py"], first)
    again = propose_patch_offline(ctx.model_copy(update={"modules": modules}), seed=0)
    assert "'stop_loss': (0.25, 1.0)" in again.code
    assert again.op is PatchOp.modify_code


def test_no_widening_past_a_hard_limit():
    # max_orders=1 sits on its low edge, which is also its hard floor: widening is a no-op.
    ctx = make_context(
        theme="scalping",
        parameters={"max_orders": 1.0, "take_profit": 0.3},
        parameters_at_edge={"max_orders": "low", "take_profit": "high"},
    )
    for seed in range(4):
        patch = propose_patch_offline(ctx, seed=seed)
        assert patch.name == "WIDEN" and "'take_profit': (1.0, 1.5)" in patch.code
        assert "max_orders" not in patch.code


def test_prompt_change_keeps_placeholders_and_is_accepted(tmp_path):
    prompts = PromptManager(tmp_path / "prompts")
    name = "rules/generate"
    ctx = make_context(prompts={name: prompts.get(name)[0]})
    change = propose_prompt_change_offline(ctx, seed=0)
    assert change.name == name and "many closed trades" in change.template
    assert placeholders(change.template) == placeholders(prompts.get(name)[0])
    assert prompts.update_prompt(change.name, change.template, change.reason) == 2
    history = [{"reason": change.reason}]
    ctx = ctx.model_copy(update={"history": history, "prompts": {name: change.template}})
    assert propose_prompt_change_offline(ctx, seed=0).reason != change.reason

"""The agent keeps what the fixed evaluator says helps, rolls back the rest, records everything."""

from __future__ import annotations

import json

from vantageadapt.agent.rounds import accepts
from vantageadapt.llm.offline_patches import propose_patch_offline
from vantageadapt.models import CodePatch, MarketRegime, PatchOp, PromptChange
from vantageadapt.prompts import PromptManager

from .conftest import ScriptedStrategist, make_context, package_untouched


async def _count_indicators(hooks) -> float:
    """A stand-in fixed evaluator: one point per custom indicator the worker reports."""
    return float(len(hooks.custom_indicators))


def _indicator_patch() -> CodePatch:
    """The offline improver's idea when nothing else applies: add a custom indicator."""
    calm = {"sortino_ratio": 1.0, "max_drawdown": 0.05, "total_trades": 500.0}
    ctx = make_context(
        theme="scalping", parameters_at_edge={}, unmet=[], in_sample=calm, out_of_sample=calm
    )
    return propose_patch_offline(ctx, seed=0)


def _penalty_patch(value: float = 2.0, reason: str = "no-op") -> CodePatch:
    """scoring.py's TRADE_PENALTY set to `value`; the default, its shipped value, changes
    nothing: rejected before the sandbox, so other tests stay fast."""
    return CodePatch(
        target="scoring.py",
        op=PatchOp.modify_code,
        name="TRADE_PENALTY",
        code=f"TRADE_PENALTY = {value!r}",
        reason=reason,
    )


async def test_helpful_patch_is_kept_and_used_next_iteration(workspace, agents):
    helpful = _indicator_patch()
    assert helpful.target == "indicators.py" and helpful.op is PatchOp.insert_code
    strategist = ScriptedStrategist([helpful, _penalty_patch(3.0, "weight tweak")])
    agent = agents(0.5, 5, workspace=workspace, llm=strategist)
    with package_untouched():
        [kept] = await agent.improve(make_context(iteration=1), _count_indicators)
    assert (kept.status, kept.score_before, kept.score_after) == ("kept", 1.0, 2.0)
    assert kept.parent_id is None and '+CUSTOM_INDICATORS["range_position"]' in kept.diff
    assert "range_position" in agent.runner.current().indicator_names

    seen = []

    async def evaluate(modules):
        seen.append(sorted(modules.custom_indicators))
        return await _count_indicators(modules)

    [rejected] = await agent.improve(make_context(iteration=2), evaluate)
    # The next iteration starts from the kept module: its source, its indicators, its lineage.
    assert "range_position" in strategist.contexts[1].modules["indicators.py"]
    assert seen[0] == ["price_zscore", "range_position"]
    assert rejected.status == "rejected" and rejected.stage == "accept"
    assert rejected.parent_id == kept.id and "rolled back" in rejected.reason
    assert "TRADE_PENALTY = 2.0" in workspace.sources()["scoring.py"]
    assert [h["status"] for h in strategist.contexts[1].history] == ["kept"]

    lineage = [
        json.loads(line) for line in (workspace.root / "lineage.jsonl").read_text().splitlines()
    ]
    assert [x["id"] for x in lineage] == [kept.id, rejected.id]


def test_threshold_is_absolute_gain_and_ties_never_pass():
    assert accepts(1.0, 1.0, 0.0)[0] is False
    assert accepts(1.0, 1.01, 0.0)[0] is True
    assert accepts(-2.0, -1.95, 0.1)[0] is False
    assert accepts(-2.0, -1.9, 0.1)[0] is True
    assert accepts(0.0, float("nan"), 0.1)[0] is False


async def test_failing_evaluation_is_a_rejection_not_a_crash(workspace, agents):
    strategist = ScriptedStrategist([_penalty_patch(3.0, "weight tweak")])
    agent = agents(workspace=workspace, llm=strategist)
    calls = []

    async def evaluate(modules):
        calls.append(1)
        if len(calls) > 1:
            raise ValueError("candidate broke the search")
        return 0.0

    [outcome] = await agent.improve(make_context(), evaluate)
    assert outcome.status == "rejected" and outcome.stage == "evaluate"
    assert "candidate broke the search" in outcome.reason
    assert "TRADE_PENALTY = 2.0" in workspace.sources()["scoring.py"]


async def test_unknown_target_is_rejected(workspace, agents):
    bad = CodePatch(target="../../etc/passwd", op=PatchOp.delete_code, name="x", reason="no")
    agent = agents(workspace=workspace, llm=ScriptedStrategist([bad]))
    [outcome] = await agent.improve(make_context(), _count_indicators)
    assert outcome.status == "rejected" and "not a workspace module" in outcome.reason


async def test_prompt_change_kept_when_it_helps_and_rolled_back_otherwise(workspace, agents):
    prompts = PromptManager(workspace.prompts_dir)
    name = "rules/generate"
    template, version = prompts.get(name)
    good = PromptChange(name=name, template=template + "\nTrade often.\n", reason="more trades")
    idle = PromptChange(name=name, template=template + "\nBe brief.\n", reason="style")
    broken = PromptChange(name=name, template="no placeholders at all", reason="broken")
    strategist = ScriptedStrategist(
        [_penalty_patch(), _penalty_patch(), _penalty_patch()], [good, idle, broken]
    )
    agent = agents(workspace=workspace, llm=strategist, prompts=prompts)

    async def evaluate(modules):
        return 1.0 if "Trade often." in prompts.get(name)[0] else 0.0

    code, kept = await agent.improve(make_context(), evaluate)
    assert (kept.kind, kept.status, kept.op, kept.target) == (
        "prompt",
        "kept",
        "update_prompt",
        name,
    )
    assert prompts.get(name) == (template + "\nTrade often.\n", version + 1)
    _, rolled = await agent.improve(make_context(), evaluate)
    assert rolled.status == "rejected" and "rolled back to v2" in rolled.reason
    assert prompts.get(name)[0] == template + "\nTrade often.\n"
    _, refused = await agent.improve(make_context(), evaluate)
    assert refused.status == "rejected" and refused.stage == "static"
    assert "placeholders" in refused.reason
    assert code.status == "rejected" and "changes nothing" in code.reason


async def test_tracks_best_and_last_per_regime_and_stops_after_max_rounds(workspace, agents):
    agent = agents(
        max_iterations=1, workspace=workspace, llm=ScriptedStrategist([_penalty_patch()])
    )
    agent.track_performance({"sortino_ratio": 1.0}, {"take_profit": 0.1}, "BREAKOUT")
    agent.track_performance({"sortino_ratio": 0.5}, {"take_profit": 0.2}, MarketRegime.BREAKOUT)
    agent.track_performance({"sortino_ratio": 3.0}, {}, "RANGING_LOW_VOL")
    assert agent.best[MarketRegime.BREAKOUT]["parameters"] == {"take_profit": 0.1}
    assert agent.last[MarketRegime.BREAKOUT]["parameters"] == {"take_profit": 0.2}
    assert agent.best[MarketRegime.RANGING_LOW_VOL]["metrics"]["sortino_ratio"] == 3.0
    assert agent.needs_improvement()
    await agent.improve(make_context(), _count_indicators)
    assert not agent.needs_improvement()
    assert await agent.improve(make_context(), _count_indicators) == []


async def test_lineage_survives_a_new_agent_on_the_same_workspace(workspace, agents):
    helpful = _indicator_patch()
    first = agents(0.5, workspace=workspace, llm=ScriptedStrategist([helpful]))
    [kept] = await first.improve(make_context(), _count_indicators)
    again = agents(0.5, workspace=type(workspace).create(workspace.root.parent))
    assert again.parent_id == kept.id and again.outcomes[0].status == "kept"


async def test_prompt_change_can_be_judged_by_its_own_evaluator(workspace, agents):
    prompts = PromptManager(workspace.prompts_dir)
    name = "rules/generate"
    template, _ = prompts.get(name)
    change = PromptChange(name=name, template=template + "\nTrade often.\n", reason="more trades")
    agent = agents(
        workspace=workspace, llm=ScriptedStrategist([_penalty_patch()], [change]), prompts=prompts
    )
    seen = []

    async def evaluate(modules):
        return 100.0  # the code evaluator's scale must not leak into the prompt decision

    async def evaluate_prompts(modules):
        seen.append(prompts.get(name)[1])
        return 1.0 if "Trade often." in prompts.get(name)[0] else 0.5

    _, outcome = await agent.improve(make_context(), evaluate, evaluate_prompts=evaluate_prompts)
    assert seen == [1, 2]
    assert (outcome.status, outcome.score_before, outcome.score_after) == ("kept", 0.5, 1.0)


async def test_a_rejected_candidates_indicator_never_becomes_a_term(workspace, agents):
    from vantageadapt.rules import known_terms

    agent = agents(0.5, workspace=workspace, llm=ScriptedStrategist([_indicator_patch()]))
    seen = []

    async def evaluate(hooks):
        seen.append(hooks.indicator_names)
        if "range_position" in hooks.indicator_names:
            raise ValueError("the candidate's search broke")
        return 0.0

    [outcome] = await agent.improve(make_context(), evaluate)
    assert outcome.status == "rejected" and outcome.stage == "evaluate"
    assert seen == [("price_zscore",), ("price_zscore", "range_position")]
    # What the run shows the model next: the kept names only, there is no registry to leak.
    kept = agent.runner.current().indicator_names
    assert kept == ("price_zscore",) and "range_position_N" not in known_terms(kept)
    assert "range_position_N" not in known_terms()

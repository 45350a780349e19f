"""Kept code that fails later: rolled back one version, then to the template, on record."""

from __future__ import annotations

from vantageadapt.agent import GodelAgent
from vantageadapt.agent.lineage import standing
from vantageadapt.agent.workspace import template_sources
from vantageadapt.models import CodePatch, PatchOp

from .conftest import ScriptedStrategist, make_context


def _indicator(name: str) -> CodePatch:
    code = (
        f"def {name}(frame, window):\n"
        f"    return frame['price'].rolling(window).mean().to_numpy()\n\n\n"
        f"CUSTOM_INDICATORS[{name!r}] = {name}\n"
    )
    return CodePatch(
        target="indicators.py", op=PatchOp.insert_code, code=code, reason=f"[idea:{name}]"
    )


async def _count(hooks) -> float:
    return float(len(hooks.custom_indicators))


async def test_rollback_goes_one_version_back_then_to_the_template(workspace, agents):
    strategist = ScriptedStrategist([_indicator("first_ma"), _indicator("second_ma")])
    agent = agents(0.5, 5, workspace=workspace, llm=strategist)
    [first] = await agent.improve(make_context(iteration=1), _count)
    [second] = await agent.improve(make_context(iteration=2), _count)
    assert (first.status, second.status) == ("kept", "kept")
    assert agent.runner.current().indicator_names == ("price_zscore", "first_ma", "second_ma")

    secret = "sk-rollback-secret-0123456789abcdef"
    [undo] = agent.roll_back(f"WorkerError: boom with {secret}", 3)
    assert (undo.op, undo.status, undo.stage, undo.parent_id) == (
        "rollback",
        "rejected",
        "run",
        second.id,
    )
    assert "[idea:second_ma]" in undo.reason and "iteration 3" in undo.reason
    assert f"rolled back to the modules of patch {first.id[:8]}" in undo.reason
    assert secret not in undo.reason and undo.diff.startswith("--- a/indicators.py")
    assert agent.parent_id == first.id
    # A fresh worker holds the version before the undone patch.
    assert agent.runner.current().indicator_names == ("price_zscore", "first_ma")

    [undo_first] = agent.roll_back("WorkerError: the sandbox worker exited", 3, to_template=True)
    assert undo_first.parent_id == first.id and "the shipped template" in undo_first.reason
    assert workspace.sources() == template_sources() and agent.parent_id is None
    # The lineage holds the undos: a new agent on the workspace sees no standing code patch.
    again = GodelAgent(workspace=workspace, runner=agent.runner)
    assert [o.id for o in again.outcomes] == [first.id, second.id, undo.id, undo_first.id]
    assert standing(again.outcomes, "code") == []


async def test_nothing_standing_restores_the_template_without_records(workspace, agents):
    agent = agents(workspace=workspace, llm=ScriptedStrategist([]))
    (workspace.modules_dir / "scoring.py").write_text("TRADE_PENALTY = 9.0\n")
    assert agent.roll_back("WorkerError: boom", 1) == []
    assert workspace.sources() == template_sources()

"""Sandboxed checks: hangs and memory hogs are killed, broken contracts and escapes rejected."""

from __future__ import annotations

import pytest

from vantageadapt.agent import GodelAgent, SandboxLimits, run_sandboxed
from vantageadapt.agent.contracts import ContractError, run_contracts
from vantageadapt.agent.patch_ops import apply_patch
from vantageadapt.agent.workspace import load_modules
from vantageadapt.models import CodePatch, PatchOp

from .conftest import ScriptedStrategist, make_context

FAST = SandboxLimits(timeout_s=60.0, memory_mb=1536)


async def _try(workspace, patch: CodePatch, limits: SandboxLimits = FAST):
    agent = GodelAgent(workspace=workspace, llm=ScriptedStrategist([patch]), limits=limits)

    async def evaluate(modules):
        return 0.0

    before = workspace.sources()
    [outcome] = await agent.improve(make_context(), evaluate)
    assert workspace.sources() == before
    return outcome


def _scoring(body: str) -> CodePatch:
    code = f"def quality(metrics):\n    {body}\n"
    return CodePatch(
        target="scoring.py", op=PatchOp.modify_code, name="quality", code=code, reason="test"
    )


async def test_infinite_loop_is_killed_and_rejected(workspace):
    outcome = await _try(workspace, _scoring("while True:\n        pass"), SandboxLimits(8.0))
    assert outcome.status == "rejected" and outcome.stage == "sandbox"
    assert "timed out" in outcome.reason or "CPU limit" in outcome.reason


async def test_unbounded_allocation_is_stopped_and_rejected(workspace):
    body = (
        "import numpy as np\n    hoard = []\n"
        "    while True:\n        hoard.append(np.empty(10_000_000))"
    )
    outcome = await _try(workspace, _scoring(body))
    assert outcome.status == "rejected" and outcome.stage == "sandbox"
    assert "memory" in outcome.reason.lower()


async def test_broken_contract_is_rejected_with_the_reason(workspace):
    outcome = await _try(workspace, _scoring("return float('nan')"))
    assert outcome.status == "rejected" and outcome.stage == "sandbox"
    assert "finite" in outcome.reason


@pytest.mark.parametrize(
    ("target", "name", "code", "broken"),
    [
        (
            "indicators.py",
            "price_zscore",
            "def price_zscore(frame, window):\n"
            "    price = frame['price']\n"
            "    return (price.shift(-1) / price).to_numpy(dtype=np.float64)\n",
            "looks ahead",
        ),
        (
            "indicators.py",
            "price_zscore",
            "def price_zscore(frame, window):\n    return [1.0]\n",
            "float array",
        ),
        (
            "scoring.py",
            "score",
            "def score(in_sample, holdout, rows):\n    return -quality(in_sample)\n",
            "ranks a set",
        ),
        (
            "search_space.py",
            "adjust_search_space",
            "def adjust_search_space(space):\n    return SearchSpace(params=space.params[:1])\n",
            "changed the parameter names",
        ),
    ],
)
def test_each_contract_catches_its_breakage(workspace, tmp_path, target, name, code, broken):
    # The same checks the sandbox runs, called in-process to keep the suite fast.
    source = workspace.sources()[target]
    patched = apply_patch(
        source,
        CodePatch(target=target, op=PatchOp.modify_code, name=name, code=code, reason="break"),
    )
    folder = workspace.stage("broken", target, patched)
    modules = load_modules(folder)
    with pytest.raises(ContractError, match=broken):
        run_contracts(modules.modules)


def test_runtime_guard_refuses_writes_outside_scratch(workspace, tmp_path):
    # Bypasses the static check on purpose: the process guard is the second line of defence.
    target = tmp_path / "escaped.txt"
    folder = workspace.stage(
        "guard",
        "scoring.py",
        workspace.sources()["scoring.py"] + f"\nopen({str(target)!r}, 'w').write('x')\n",
    )
    result = run_sandboxed(folder, workspace.scratch_dir / "guard", FAST)
    assert not result.ok and "outside the scratch folder" in result.reason
    assert not target.exists()


def test_runtime_guard_refuses_processes(workspace, tmp_path):
    target = tmp_path / "spawned.txt"
    code = f"\nimport subprocess\nsubprocess.run(['touch', {str(target)!r}])\n"
    folder = workspace.stage("spawn", "indicators.py", workspace.sources()["indicators.py"] + code)
    result = run_sandboxed(folder, workspace.scratch_dir / "spawn", FAST)
    assert not result.ok and "not allowed" in result.reason
    assert not target.exists()


def test_pristine_workspace_passes(workspace):
    result = run_sandboxed(workspace.modules_dir, workspace.scratch_dir / "ok", FAST)
    assert result.ok, result.reason
    assert "indicator price_zscore ok" in result.notes

"""Candidate workers: hangs and memory hogs are killed, broken contracts rejected with reasons."""

from __future__ import annotations

import pytest

from vantageadapt.agent import SandboxLimits, WorkerError, WorkspaceRunner
from vantageadapt.agent.contracts import ContractError, run_contracts
from vantageadapt.agent.patch_ops import apply_patch
from vantageadapt.agent.sandbox import SandboxStatus
from vantageadapt.errors import SandboxError
from vantageadapt.models import CodePatch, PatchOp

from .conftest import ScriptedStrategist, import_folder, make_context

FAST = SandboxLimits(timeout_s=60.0, memory_mb=2048)


async def _try(workspace, agents, patch: CodePatch, limits: SandboxLimits = FAST):
    agent = agents(workspace=workspace, llm=ScriptedStrategist([patch]), limits=limits)

    async def evaluate(hooks):
        hooks.contracts()  # the candidate's hooks answer, or the worker fails
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


async def test_infinite_loop_is_killed_and_rejected(workspace, agents):
    limits = SandboxLimits(timeout_s=5.0, memory_mb=2048)
    outcome = await _try(workspace, agents, _scoring("while True:\n        pass"), limits)
    assert outcome.status == "rejected" and outcome.stage == "sandbox"
    assert "timed out" in outcome.reason or "CPU" in outcome.reason


async def test_unbounded_allocation_is_stopped_and_rejected(workspace, agents):
    body = (
        "import numpy as np\n    hoard = []\n"
        "    while True:\n        hoard.append(np.ones(10_000_000))"
    )
    outcome = await _try(workspace, agents, _scoring(body))
    assert outcome.status == "rejected" and outcome.stage == "sandbox"
    assert "memory" in outcome.reason.lower() or "killed" in outcome.reason


async def test_broken_contract_is_rejected_with_the_reason(workspace, agents):
    outcome = await _try(workspace, agents, _scoring("return float('nan')"))
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
def test_each_contract_catches_its_breakage(workspace, target, name, code, broken):
    # The checks the worker runs, called on our own modules in-process to keep the suite fast.
    source = workspace.sources()[target]
    patched = apply_patch(
        source,
        CodePatch(target=target, op=PatchOp.modify_code, name=name, code=code, reason="break"),
    )
    folder = workspace.stage("broken", target, patched)
    with pytest.raises(ContractError, match=broken):
        run_contracts(import_folder(folder))


def test_a_failing_worker_answer_is_cut_and_scrubbed(workspace, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-parent-key-0123456789abcdef")
    secret, key = "ghp_" + "A1b2C3d4" * 6, "sk-parent-key-0123456789abcdef"
    folder = workspace.stage(
        "noisy",
        "scoring.py",
        workspace.sources()["scoring.py"]
        + f"\nraise ValueError('TOKEN={secret} ' + 'x' * 5000 + ' {key}')\n",
    )
    with WorkspaceRunner(workspace, limits=FAST) as runner, pytest.raises(WorkerError) as caught:
        runner.candidate(folder)
    text = str(caught.value)
    assert secret not in text and "sk-parent-key" not in text and len(text) <= 600


def test_without_bubblewrap_the_template_runs_and_code_patches_are_off(workspace, caplog):
    off = SandboxStatus(False, "bubblewrap (bwrap) is not installed", None)
    with WorkspaceRunner(workspace, status=off) as runner:
        hooks = runner.current()
        # The shipped template runs here, in-process (package code); no worker at all.
        assert hooks.worker is None and hooks.indicator_names == ("price_zscore",)
        assert runner.started_workers == 0
        assert "not installed" in (runner.code_patches_off() or "")
        runner.code_patches_off()
        with pytest.raises(SandboxError):  # no candidate worker without bubblewrap
            runner.candidate(workspace.modules_dir)
    warnings = [r for r in caplog.records if "code patches are off" in r.getMessage()]
    assert len(warnings) == 1


def test_without_bubblewrap_kept_code_is_refused_not_run(workspace):
    (workspace.modules_dir / "scoring.py").write_text(
        workspace.sources()["scoring.py"] + "\nEXTRA = 1\n"
    )
    off = SandboxStatus(False, "no user namespaces", None)
    with WorkspaceRunner(workspace, status=off) as runner, pytest.raises(SandboxError) as caught:
        runner.current()
    assert "kept code patches" in str(caught.value) and "vantage doctor" in str(caught.value)


async def test_code_patches_off_still_lets_prompt_changes_run(workspace, agents):
    from vantageadapt.models import PromptChange
    from vantageadapt.prompts import PromptManager

    prompts = PromptManager(workspace.prompts_dir)
    template, _ = prompts.get("rules/generate")
    change = PromptChange(name="rules/generate", template=template + "\nMore.\n", reason="more")
    strategist = ScriptedStrategist([], [change])
    off = SandboxStatus(False, "no bwrap", None)
    agent = agents(
        workspace=workspace,
        llm=strategist,
        prompts=prompts,
        runner=WorkspaceRunner(workspace, status=off),
    )

    async def evaluate(hooks):
        return 1.0 if "More." in prompts.get("rules/generate")[0] else 0.0

    [outcome] = await agent.improve(make_context(), evaluate)
    assert outcome.kind == "prompt" and outcome.status == "kept"
    assert strategist.contexts == []  # no code patch was even asked for


def test_dask_with_a_sandboxed_custom_indicator_is_one_clear_config_error():
    from vantageadapt.agent.hooks import CustomIndicator
    from vantageadapt.errors import ConfigError
    from vantageadapt.models import Conditions
    from vantageadapt.optimize.executors import SearchInputs, _for_dask, make_executor

    worker_side = {"spread_z": CustomIndicator(None, "spread_z"), "unused": lambda f, w: None}
    rules = Conditions(entry=["spread_z_20 > 1"], exit=["price < 0"])
    with pytest.raises(ConfigError) as caught:  # before any connection is tried
        make_executor("dask://127.0.0.1:1", SearchInputs({}, rules, None, worker_side))
    assert "spread_z" in str(caught.value) and "--executor local" in str(caught.value)
    assert caught.value.exit_code == 2
    # Rules that use none of them: nothing sandboxed is sent, so no error.
    plain = Conditions(entry=["price > 0"], exit=["price < 0"])
    assert _for_dask(plain, worker_side) is None


def test_a_candidate_starts_the_next_ones_worker_only_while_more_may_come(workspace):
    with WorkspaceRunner(workspace, limits=FAST) as runner:
        first = runner.candidate(workspace.modules_dir)
        # Taking a candidate's worker starts the next candidate's, so its start-up overlaps.
        assert runner.started_workers == 2
        first.close()
        runner.prestart = False  # no later round: nothing is started only to be closed
        last = runner.candidate(workspace.modules_dir)
        assert runner.started_workers == 2 and last.worker.isolated
        last.close()

"""Runs cut off at the worst moments: resume sees what the database saw, and finishes."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from vantageadapt.agent import GodelAgent, Workspace
from vantageadapt.pipeline import Progress, run_pipeline
from vantageadapt.pipeline.stages import run_dir_for
from vantageadapt.prompts import PromptManager
from vantageadapt.settings import load_settings

from .pipeline_support import TRIVIAL, fast_flags


def _state(run_id: str):
    from vantageadapt.store import DatabaseConnection

    async def read():
        async with DatabaseConnection(os.environ["VANTAGE_DATABASE_URL"]) as db:
            return await db.resume_state(run_id)

    return asyncio.run(read())


class _CutOff(Progress):
    """Ctrl-C as asyncio delivers it (the run's task cancelled) on entering a stage the nth time."""

    def __init__(self, name: str, nth: int = 1) -> None:
        super().__init__()
        self.name, self.left = name, nth

    @contextmanager
    def stage(self, name: str, detail: str = "") -> Iterator[None]:
        if name == self.name:
            self.left -= 1
            if self.left == 0:
                asyncio.current_task().cancel()
        with super().stage(name, detail):
            yield


class _Peek(Progress):
    """Records the workspace's modules and prompts as the first resumed iteration starts."""

    def __init__(self, workspace: Workspace) -> None:
        super().__init__()
        self.workspace = workspace
        self.sources: dict[str, str] | None = None
        self.prompts: dict[str, str] = {}

    @contextmanager
    def stage(self, name: str, detail: str = "") -> Iterator[None]:
        if name == "analyze market" and self.sources is None:
            self.sources = self.workspace.sources()
            manager = PromptManager(self.workspace.prompts_dir)
            self.prompts = {n: manager.get(n)[0] for n in manager.names()}
        with super().stage(name, detail):
            yield


def test_resume_drops_the_patches_of_an_iteration_cut_off_before_it_was_saved(
    sample_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # Every patch that passes its checks is kept, so both rounds change code and prompts.
    monkeypatch.setattr(
        "vantageadapt.agent.rounds.accepts", lambda before, after, threshold: (True, "test keeps")
    )
    flags = fast_flags(
        sample_path,
        iterations=4,
        agent={"max_iterations": 2},
        optimize={"trials": 6, "eval_trials": 3},
    )
    cut = run_pipeline(load_settings(flags, dotenv=None), progress=_CutOff("persist", nth=2))

    assert cut.status == "interrupted" and [it.index for it in cut.iterations] == [1]
    saved = cut.iterations[0].patches
    code = [p for p in saved if p.kind == "code" and p.status == "kept"]
    assert len(code) == 1
    workspace = Workspace(run_dir_for(cut.run_id) / "workspace")
    ids = {p.id for p in saved}
    lost = [o for o in GodelAgent(workspace=workspace).outcomes if o.id not in ids]
    assert [o.kind for o in lost if o.status == "kept"] == ["code", "prompt"]
    folder = workspace.candidates_dir / code[0].id
    after_first = {name: (folder / name).read_text() for name in workspace.sources()}
    assert workspace.sources() != after_first  # iteration 2's lost patch is in the modules
    recorded = {v.name: v.template for v in _state(cut.run_id).iterations[0].prompt_versions}
    manager = PromptManager(workspace.prompts_dir)
    assert {n: manager.get(n)[0] for n in recorded} != recorded  # and its prompt change

    peek = _Peek(workspace)
    result = run_pipeline(load_settings({"resume": cut.run_id}, dotenv=None), progress=peek)

    assert result.status == "finished" and [it.index for it in result.iterations] == [1, 2, 3, 4]
    assert peek.sources == after_first
    assert {n: peek.prompts[n] for n in recorded} == recorded
    redone = result.iterations[1].patches
    assert redone[0].parent_id == [p for p in saved if p.status == "kept"][-1].id
    # Rounds restored from the saved patches: iteration 2 took the second and last one.
    assert not result.iterations[2].patches
    lineage = [o.id for o in GodelAgent(workspace=workspace).outcomes]
    assert sorted(lineage) == sorted(p.id for it in result.iterations for p in it.patches)


@pytest.mark.parametrize("stage", ["sealed test", "report"])
def test_ctrl_c_after_the_loop_leaves_a_resumable_interrupted_run(sample_path: Path, stage: str):
    flags = fast_flags(sample_path, iterations=3, thresholds=TRIVIAL)
    cut = run_pipeline(load_settings(flags, dotenv=None), progress=_CutOff(stage))

    assert cut.status == "interrupted" and cut.report_path is None
    assert cut.message == f"resume with --resume {cut.run_id}"
    state = _state(cut.run_id)
    assert state.run.status == "interrupted" and len(state.iterations) == 1

    result = run_pipeline(load_settings({"resume": cut.run_id}, dotenv=None))

    # The loop had stopped (thresholds met): resume only scores the test and writes the report.
    assert result.status == "finished" and result.met
    assert [it.index for it in result.iterations] == [1]
    assert result.best_iteration == 1 and result.test["n_assets"] == 3
    assert Path(result.report_path).is_file()
    state = _state(cut.run_id)
    assert state.run.status == "finished" and state.run.test_metrics["total_return"] == (
        pytest.approx(result.test["total_return"])
    )


def test_saved_sources_touch_the_run_copy_only_to_undo_a_lost_patch(tmp_path: Path):
    from vantageadapt.agent.workspace import template_sources
    from vantageadapt.errors import ConfigError
    from vantageadapt.pipeline.rewind import saved_sources
    from vantageadapt.results import IterationResult, PatchRecord

    workspace = Workspace.create(tmp_path / "run")
    lost = PatchRecord(
        id="lost", parent_id=None, kind="code", target="scoring.py", op="replace",
        status="kept", stage="accept", reason="kept, never saved",
    )  # fmt: skip
    assert saved_sources(workspace, [], []) is None  # nothing lost: the run's copy stands
    assert saved_sources(workspace, [], [lost]) == template_sources()

    kept = PatchRecord(id="saved", target="scoring.py", op="replace", status="kept", reason="")
    done = [
        IterationResult(
            index=1, regime="UNKNOWN", rules={}, parameters={}, in_sample={},
            out_of_sample={}, score=0.0, validation_score=0.0, patches=[kept],
        )
    ]  # fmt: skip
    with pytest.raises(ConfigError, match="cannot rewind the workspace"):
        saved_sources(workspace, done, [lost])
    workspace.stage("saved", "scoring.py", "SCORE = 1\n")  # the saved patch's candidate
    wanted = {**workspace.sources(), "scoring.py": "SCORE = 1\n"}
    assert saved_sources(workspace, done, [lost]) == wanted
    assert saved_sources(workspace, done, []) == wanted  # compared even with nothing lost


class _MarkPersist(Progress):
    """Remembers the run's task as it enters the persist stage."""

    task: asyncio.Task | None = None

    @contextmanager
    def stage(self, name: str, detail: str = "") -> Iterator[None]:
        if name == "persist":
            _MarkPersist.task = asyncio.current_task()
        with super().stage(name, detail):
            yield


def test_a_ctrl_c_as_the_save_commits_reports_the_saved_iteration(
    sample_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from vantageadapt.store import DatabaseConnection

    commit = DatabaseConnection.save_iteration

    async def commit_then_ctrl_c(self, run_id, item):
        saved = await commit(self, run_id, item)
        _MarkPersist.task.cancel()  # the Ctrl-C lands after the commit, before the loop goes on
        await asyncio.sleep(0)
        return saved

    monkeypatch.setattr(DatabaseConnection, "save_iteration", commit_then_ctrl_c)
    cut = run_pipeline(load_settings(fast_flags(sample_path, iterations=3), dotenv=None),
                       progress=_MarkPersist())  # fmt: skip

    assert cut.status == "interrupted"
    assert [it.index for it in cut.iterations] == [1]
    assert [it.index for it in _state(cut.run_id).iterations] == [1]  # saved == reported

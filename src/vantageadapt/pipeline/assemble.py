"""Build one run's parts: data, engine settings, workspace and its runner, prompts,
strategist, agent; a new run is saved first, a resumed one is rewound to what it saved."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

from vantageadapt.agent import (
    GodelAgent,
    SandboxLimits,
    StrategicTrader,
    Workspace,
    WorkspaceRunner,
)
from vantageadapt.backtest import EngineConfig
from vantageadapt.data import DataSplit, data_fingerprint
from vantageadapt.llm import Budget, LLMInterface, RetryPolicy
from vantageadapt.pipeline import persist
from vantageadapt.pipeline.improve import may_improve
from vantageadapt.pipeline.progress import Progress
from vantageadapt.pipeline.rewind import rewind
from vantageadapt.pipeline.stages import RunParts, load_split, run_dir_for, run_engine
from vantageadapt.prompts import PromptManager
from vantageadapt.results import IterationResult
from vantageadapt.settings import RunSettings
from vantageadapt.store.records import new_id


def llm_retry(settings: RunSettings) -> Any:
    """The providers' retry policy; --llm-timeout fixes the per-request timeout."""
    if settings.llm.timeout is None:
        return RetryPolicy()
    return RetryPolicy(timeout=settings.llm.timeout, fixed_timeout=True)


def sandbox_limits(settings: RunSettings) -> Any:
    """The workers' limits: a candidate's wall clock from the settings, and no single request
    to any worker (the run's own included) may take longer than a whole candidate may."""
    timeout = settings.agent.candidate_timeout
    return SandboxLimits(timeout_s=timeout, request_s=min(SandboxLimits.request_s, timeout))


def _strategist(settings: RunSettings, prompts: Any, usage: dict[str, float]) -> Any:
    return LLMInterface.from_settings(
        settings.llm.provider,
        settings.llm.model,
        settings.llm.base_url,
        prompts=prompts,
        retry=llm_retry(settings),
        tool_choice=settings.llm.tool_choice,
        max_output_tokens=settings.llm.max_output_tokens,
        max_attempts=settings.llm.max_attempts,
        cache=settings.llm.cache,
        budget=Budget(
            max_cost=settings.llm.max_cost,
            max_tokens=settings.llm.max_tokens,
            spent_cost=usage["cost_usd"],
            spent_tokens=int(usage["tokens"]),
        ),
        seed=settings.seed,
    )


def load(settings: RunSettings, progress: Progress) -> tuple[DataSplit, EngineConfig]:
    """The run's data, split, and its engine settings with `auto` settled."""
    with progress.stage("load data"):
        split = load_split(settings)
    engine = run_engine(settings, split)
    progress.note(engine.summary())
    return split, engine


async def assemble(
    settings: RunSettings,
    progress: Progress,
    db: Any,
    stack: AsyncExitStack,
    state: Any,
    done: list[IterationResult],
    usage: dict[str, float],
    loaded: tuple[DataSplit, EngineConfig] | None = None,
) -> RunParts:
    """The run's parts (workers end with `stack`); `state` is the stored run on resume,
    `loaded` the data and engine settings when the caller loaded them already."""
    split, engine = loaded if loaded is not None else load(settings, progress)
    if state is not None:
        persist.check_same_data(state.run, split.test_fingerprint)
    run_id = state.run.id if state is not None else new_id()
    run_dir = run_dir_for(run_id)
    workspace = Workspace.create(run_dir)
    runner = stack.enter_context(WorkspaceRunner(workspace, limits=sandbox_limits(settings)))
    if runner.runs_kept_code() or may_improve(settings, len(done) + 1, 0):
        runner.start()  # the worker's start-up overlaps the strategist's first questions
    prompts = PromptManager(workspace.prompts_dir)
    llm = _strategist(settings, prompts, usage)
    if state is None:
        await db.save_run(
            persist.run_record(
                settings,
                run_id=run_id,
                provider=llm.provider_name,
                model=llm.model_name,
                data_fingerprint=data_fingerprint(split.dev),
                test_fingerprint=split.test_fingerprint,
                engine=engine.describe(),
            )
        )
    agent = GodelAgent(
        settings.agent.improvement_threshold,
        settings.agent.max_iterations,
        workspace=workspace,
        llm=llm,
        prompts=prompts,
        runner=runner,
    )
    for item in done:
        agent.track_performance(item.out_of_sample, item.parameters, item.regime)
    parts = RunParts(
        settings,
        split,
        db,
        llm,
        StrategicTrader(llm),
        agent,
        workspace,
        prompts,
        progress,
        run_id,
        run_dir,
        engine=engine,
    )
    if state is not None:
        rewind(parts, done, state.iterations)
        # The deflated Sharpe counts every backtest of the run, those before the cut too.
        parts.trials_so_far = done[-1].trials_to_date if done else 0
    return parts

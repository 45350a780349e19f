"""The prompt round: a new version of one template, judged with the kept modules, kept or
rolled back to the previous version."""

from __future__ import annotations

import asyncio
import difflib

from vantageadapt.agent.rounds import Attempt, Evaluate, Improver
from vantageadapt.agent.worker import WorkerError
from vantageadapt.errors import ConfigError, PatchRejected
from vantageadapt.models import ImprovementContext
from vantageadapt.results import PatchRecord


async def prompt_round(
    agent: Improver, ctx: ImprovementContext, evaluate: Evaluate, before: float
) -> PatchRecord:
    """One prompt change from the strategist, kept only if the fixed evaluator says it helps.

    A failure of the run's own worker (the kept modules) is not the prompt's: the change is
    rolled back and the failure propagates, so the run can roll the kept code back.
    """
    attempt = Attempt.starting(agent, ctx, before, kind="prompt", op="update_prompt")
    try:
        change = await agent.propose_prompt_change(ctx)
    except (ConfigError, PatchRejected) as exc:
        return attempt.unproposed(exc)
    attempt.fields["target"] = change.name
    attempt.why = change.reason
    prompts = agent.prompts
    try:
        old, version = prompts.get(change.name)
        attempt.fields["diff"] = "".join(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                change.template.splitlines(keepends=True),
                fromfile=f"a/{change.name}.prompt",
                tofile=f"b/{change.name}.prompt",
            )
        )
        prompts.update_prompt(change.name, change.template, change.reason)
    except ConfigError as exc:
        return attempt.reject("static", str(exc))

    async def score() -> float:
        return await evaluate(await asyncio.to_thread(agent.runner.current))

    return await attempt.judge(
        score,
        before,
        agent.improvement_threshold,
        keep=lambda: None,
        undo=lambda: prompts.rollback(change.name, version),
        undone=f"rolled back to v{version}",
        propagate=(WorkerError,),
    )

"""The code round: propose -> apply -> static check -> candidate worker -> contract tests ->
fixed evaluator -> kept (its worker becomes the run's) or rolled back (its worker killed)."""

from __future__ import annotations

import asyncio

from vantageadapt.agent.patch_ops import apply_patch, unified_diff
from vantageadapt.agent.rounds import Attempt, Evaluate, Improver
from vantageadapt.agent.static_check import check_source
from vantageadapt.agent.worker import WorkerError
from vantageadapt.agent.workspace import MODULE_FILES
from vantageadapt.errors import ConfigError, PatchRejected
from vantageadapt.models import ImprovementContext
from vantageadapt.results import PatchRecord


async def code_round(
    agent: Improver, ctx: ImprovementContext, evaluate: Evaluate, before: float
) -> PatchRecord:
    """One code patch from the strategist, tried in a fresh worker and kept only if it helps."""
    attempt = Attempt.starting(agent, ctx, before, kind="code")
    try:
        patch = await agent.propose_patch(ctx)
    except (ConfigError, PatchRejected) as exc:
        return attempt.unproposed(exc)
    attempt.fields.update(target=patch.target, op=patch.op.value)
    attempt.why = patch.reason
    workspace, runner = agent.workspace, agent.runner
    sources = workspace.sources()
    if patch.target not in sources:
        modules = ", ".join(MODULE_FILES)
        return attempt.reject(
            "static", f"{patch.target!r} is not a workspace module; one of {modules}"
        )
    try:
        new = apply_patch(sources[patch.target], patch)
        attempt.fields["diff"] = unified_diff(sources[patch.target], new, patch.target)
        check_source(new, filename=patch.target, original=sources[patch.target])
    except PatchRejected as exc:
        return attempt.reject("static", str(exc))
    folder = workspace.stage(attempt.id, patch.target, new)
    try:
        candidate = await asyncio.to_thread(runner.candidate, folder)
    except WorkerError as exc:
        return attempt.reject("sandbox", str(exc))
    kept = False

    def keep() -> None:
        nonlocal kept
        workspace.keep(folder, patch.target)
        kept = True

    try:
        try:
            await asyncio.to_thread(candidate.contracts)
        except WorkerError as exc:
            return attempt.reject("sandbox", str(exc))
        return await attempt.judge(
            lambda: evaluate(candidate), before, agent.improvement_threshold, keep=keep
        )
    finally:
        if kept:
            runner.adopt(candidate)  # its worker holds exactly the kept modules
        else:
            candidate.close()

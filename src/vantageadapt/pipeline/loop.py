"""The run loop: analyze, insight, rules, optimize, validate, track, improve, persist."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from contextlib import AsyncExitStack
from typing import Any

from vantageadapt.errors import BudgetExceeded, VantageError
from vantageadapt.llm import compute_market_stats
from vantageadapt.models import MarketRegime
from vantageadapt.optimize import validation_score
from vantageadapt.pipeline import breadth, persist
from vantageadapt.pipeline.assemble import assemble, load
from vantageadapt.pipeline.finish import wrap_up
from vantageadapt.pipeline.improve import Plan, improve, may_improve
from vantageadapt.pipeline.progress import Progress
from vantageadapt.pipeline.recover import recovering
from vantageadapt.pipeline.stages import (
    RunParts,
    Stopped,
    compose,
    iteration_seed,
    metric_dict,
    train_frames,
)
from vantageadapt.pipeline.usage import add_usage, fill, new_usage, unsaved_calls
from vantageadapt.results import IterationResult, PatchRecord, RunFailed, RunResult
from vantageadapt.settings import RunSettings
from vantageadapt.store import DatabaseConnection

logger = logging.getLogger(__name__)


async def run_iteration(parts: RunParts, index: int, history: list[IterationResult]):
    """One pass of the loop; returns the iteration and the LLM calls it made."""
    settings, progress = parts.settings, parts.progress
    progress.note(f"[bold]iteration {index}/{settings.iterations}[/]")
    # Each iteration asks and searches afresh (deterministic per run seed and iteration).
    parts.llm.seed = iteration_seed(settings, index)
    if parts.stats is None:
        with progress.stage("market stats"):
            parts.stats = compute_market_stats(train_frames(parts.split))
    with progress.stage("analyze market"):
        context = await parts.trader.analyze_market(parts.stats)
    with progress.stage("strategy insight", context.regime.value):
        insight = await parts.trader.generate_strategy(settings.theme, context)
    with progress.stage("trading rules"):
        hooks = await asyncio.to_thread(parts.runner.current)
        parts.llm.indicators = hooks.indicator_names  # the kept custom indicators are terms
        proposed = await parts.trader.generate_trading_rules(insight, context, settings.theme)
        rules = compose(hooks, insight, context, settings.theme, proposed)
        found = await breadth.candidates(parts, rules, insight, context, history)
    with progress.stage("optimize", f"{len(found)} hypotheses" if len(found) > 1 else ""):
        picked = await breadth.search(parts, found, hooks)
    rules, result = picked.rules, picked.result
    in_sample, out_of_sample = metric_dict(result.in_sample), metric_dict(result.out_of_sample)
    unmet = settings.thresholds.unmet(result.out_of_sample)
    fixed_score = float(validation_score(result.out_of_sample, result.in_sample))
    parts.agent.track_performance(out_of_sample, result.best_parameters, context.regime)
    patches: list[PatchRecord] = []
    if unmet and may_improve(settings, index, parts.agent.rounds):
        with progress.stage("self-improve"):
            # The next candidate's worker is started only if a later iteration may need it.
            parts.runner.prestart = may_improve(settings, index + 1, parts.agent.rounds + 1)
            plan = Plan(context, insight, proposed)
            patches = await improve(parts, index, history, plan, result, unmet)
    iteration = IterationResult(
        index=index,
        regime=MarketRegime.parse(context.regime).value,
        context=context.model_dump(mode="json"),
        insight=insight.model_dump(mode="json"),
        rules=rules.model_dump(mode="json"),
        parameters={k: float(v) for k, v in result.best_parameters.items()},
        in_sample=in_sample,
        out_of_sample=out_of_sample,
        score=float(result.score),
        validation_score=fixed_score,
        unmet=unmet,
        trials=sum(int(h["trials"]) for h in picked.outcomes),  # every hypothesis searched
        indicator_cache=dict(result.indicator_cache),
        trials_to_date=parts.trials_so_far,
        deflated_sharpe=float(picked.deflated_sharpe),
        pbo=picked.pbo,
        significance_periods=picked.periods,
        hypotheses=picked.outcomes,
        parameters_at_edge=dict(result.parameters_at_edge),
        landscape=persist.landscape_rows(result.landscape),
        patches=patches,
        timings=progress.take_timings(),
    )
    return iteration, parts.llm.drain_ledger()


async def _loop(parts: RunParts, done: list[IterationResult], usage: dict[str, float]):
    """Iterate until thresholds are met or iterations run out; returns (status, message).

    Kept workspace code failing in the run's worker is rolled back and the iteration done
    again (`recover`); the rollbacks are stored with the iteration, as rejected patches.
    """
    settings = parts.settings
    if done and not done[-1].unmet:
        return "finished", ""  # cut off after the loop had stopped: only the end is left
    for index in range(len(done) + 1, settings.iterations + 1):

        async def step(index: int = index):
            return await run_iteration(parts, index, done)

        try:
            (iteration, calls), undone = await recovering(parts, step, index)
        except BudgetExceeded as exc:
            return "budget_exceeded", f"{exc}; resume with --resume {parts.run_id}"
        iteration.patches[:0] = undone
        versions = persist.prompt_versions(parts.prompts, iteration, first=index == 1)
        with parts.progress.stage("persist"):
            record = persist.iteration_record(iteration, calls, settings, versions)
            saving = parts.db.save_iteration(parts.run_id, record)
            iteration.iteration_id, cut = await _save_whole(saving)
        iteration.timings.update(parts.progress.take_timings())
        add_usage(usage, calls)
        done.append(iteration)
        parts.progress.iteration_done(iteration)
        if cut:  # the save is reported with the others before the Ctrl-C takes effect
            raise asyncio.CancelledError
        if not iteration.unmet:
            break
    return "finished", ""


async def _save_whole(save: Coroutine[Any, Any, str]) -> tuple[str, bool]:
    """Run one save (one transaction) to its end: (its result, whether a Ctrl-C came meanwhile).

    A Ctrl-C that came before the save saves nothing; one that comes during it waits for it, so
    what the database holds is what the run reports.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        save.close()
        raise asyncio.CancelledError
    saving = asyncio.ensure_future(save)
    try:
        return await asyncio.shield(saving), False
    except asyncio.CancelledError:
        return await saving, True


async def _run(settings: RunSettings, progress: Progress, *, report: bool = True) -> RunResult:
    started = time.perf_counter()
    usage = new_usage()
    loaded = None
    if not settings.resume:
        if settings.data.path is not None:
            # Stored absolute, so `--resume` and `vantage report` work from any folder.
            data = settings.data.model_copy(update={"path": settings.data.path.resolve()})
            settings = settings.model_copy(update={"data": data})
        # Bad data or engine settings fail here, before the database is created or written.
        loaded = load(settings, progress)
    async with DatabaseConnection(settings.store.database_url) as db, AsyncExitStack() as stack:
        done: list[IterationResult] = []
        state = None
        if settings.resume:
            state = await db.resume_state(settings.resume)
            settings = persist.resume_settings(state, settings)
            done = [persist.iteration_result(item) for item in state.iterations]
            add_usage(usage, state.calls)  # those of the iteration cut off too
        parts = await assemble(settings, progress, db, stack, state, done, usage, loaded)
        result = RunResult(
            run_id=parts.run_id,
            status="running",
            theme=settings.theme,
            data_path=str(settings.data.path),
            provider=parts.llm.provider_name,
            model=parts.llm.model_name,
            thresholds={k: float(v) for k, v in settings.thresholds.model_dump().items()},
            test_fingerprint=parts.split.test_fingerprint,
            engine=parts.engine.describe(),
        )
        resume = f"resume with --resume {parts.run_id}"
        try:
            status, message = await _loop(parts, done, usage)
        except (asyncio.CancelledError, KeyboardInterrupt, Stopped):
            parts.stop.set()
            status, message = "interrupted", resume
        except Exception as exc:
            # An outside service failed after retries, bad input surfaced late, or a bug: the
            # saved iterations stand, the calls made so far are stored, the run is marked failed
            # (never left running) and stays resumable; for a VantageError the caller still
            # gets the run's result (for --json).
            text = str(exc) if isinstance(exc, VantageError) else f"{type(exc).__name__}: {exc}"
            note = f"{text}; {resume}"
            calls = unsaved_calls(parts.llm, usage)
            await db.finish_run(parts.run_id, status="failed", message=note, llm_calls=calls)
            if not isinstance(exc, VantageError):
                raise
            fill(result, done, "failed", note, usage)
            result.wall_seconds = time.perf_counter() - started
            raise RunFailed(exc, result) from exc
        calls = unsaved_calls(parts.llm, usage)
        fill(result, done, status, message, usage)
        try:
            await wrap_up(parts, result, started, calls, report=report)
        except (asyncio.CancelledError, KeyboardInterrupt):
            # Cut off while scoring the test or writing the report: resume redoes just those.
            result.status, result.message = "interrupted", resume
            result.report_path = None
            result.wall_seconds = time.perf_counter() - started
            await db.finish_run(parts.run_id, **persist.finish_fields(result))
    return result


def run_pipeline(
    settings: RunSettings, *, progress: Progress | None = None, report: bool = True
) -> RunResult:
    """Run (or resume) one full loop, save it and write its report (unless `report` is false:
    calibration's null runs write none); return its outcome."""
    return asyncio.run(_run(settings, progress or Progress(), report=report))

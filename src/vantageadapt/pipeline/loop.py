"""The run loop: analyze, insight, rules, optimize, validate, track, improve, persist."""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import AsyncExitStack
from typing import Any

from vantageadapt.errors import BudgetExceeded, VantageError
from vantageadapt.models import MarketRegime
from vantageadapt.pipeline import breadth, persist
from vantageadapt.pipeline.finish import score_sealed_test
from vantageadapt.pipeline.improve import Plan, improve
from vantageadapt.pipeline.progress import Progress
from vantageadapt.pipeline.rewind import rewind
from vantageadapt.pipeline.stages import (
    RunParts,
    Stopped,
    compose,
    iteration_seed,
    load_split,
    metric_dict,
    run_dir_for,
    run_engine,
    train_frames,
)
from vantageadapt.results import (
    IterationResult,
    PatchRecord,
    RunFailed,
    RunResult,
    best_iteration,
)
from vantageadapt.settings import RunSettings

logger = logging.getLogger(__name__)


async def run_iteration(parts: RunParts, index: int, history: list[IterationResult]):
    """One pass of the loop; returns the iteration and the LLM calls it made."""
    from vantageadapt.llm import compute_market_stats
    from vantageadapt.optimize import validation_score

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
    last = index >= settings.iterations
    if unmet and settings.agent.enabled and not last and parts.agent.needs_improvement():
        with progress.stage("self-improve"):
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
    """Iterate until thresholds are met or iterations run out; returns (status, message)."""
    settings = parts.settings
    if done and not done[-1].unmet:
        return "finished", ""  # cut off after the loop had stopped: only the end is left
    for index in range(len(done) + 1, settings.iterations + 1):
        try:
            iteration, calls = await run_iteration(parts, index, done)
        except BudgetExceeded as exc:
            return "budget_exceeded", f"{exc}; resume with --resume {parts.run_id}"
        versions = _prompt_versions(parts.prompts, iteration, first=index == 1)
        with parts.progress.stage("persist"):
            record = persist.iteration_record(iteration, calls, settings, versions)
            iteration.iteration_id = await parts.db.save_iteration(parts.run_id, record)
        iteration.timings.update(parts.progress.take_timings())
        _add_usage(usage, calls)
        done.append(iteration)
        parts.progress.iteration_done(iteration)
        if not iteration.unmet:
            break
    return "finished", ""


def _prompt_versions(prompts: Any, iteration: IterationResult, *, first: bool):
    """Prompt versions to store: all in use at the run's start, then each kept prompt change."""
    names = prompts.names() if first else []
    names += [p.target for p in iteration.patches if p.kind == "prompt" and p.status == "kept"]
    versions = []
    for name in dict.fromkeys(names):
        template, version = prompts.get(name)
        reason = next(
            (p.reason for p in iteration.patches if p.kind == "prompt" and p.target == name),
            "in use at the start of the run",
        )
        versions.append((name, version, template, reason))
    return versions


def _add_usage(usage: dict[str, float], calls: list[Any]) -> None:
    usage["calls"] += len(calls)
    usage["tokens"] += sum(c.prompt_tokens + c.completion_tokens for c in calls if not c.cached)
    usage["cost_usd"] += sum(c.cost_usd or 0.0 for c in calls if not c.cached)
    usage["repairs"] += sum(len(c.repairs) for c in calls)
    usage["fallbacks"] += sum(c.fallback for c in calls)


def _unsaved_calls(parts: RunParts, usage: dict[str, float]) -> list[Any]:
    """The calls of an iteration that never finished (failed, interrupted, over budget)."""
    calls = parts.llm.drain_ledger()
    _add_usage(usage, calls)
    return calls


async def _run(settings: RunSettings, progress: Progress, *, report: bool = True) -> RunResult:
    from vantageadapt.agent import (
        GodelAgent,
        SandboxLimits,
        StrategicTrader,
        Workspace,
        WorkspaceRunner,
    )
    from vantageadapt.data import data_fingerprint
    from vantageadapt.llm import Budget, LLMInterface
    from vantageadapt.prompts import PromptManager
    from vantageadapt.store import DatabaseConnection
    from vantageadapt.store.records import new_id

    started = time.perf_counter()
    usage = dict.fromkeys(("calls", "tokens", "cost_usd", "repairs", "fallbacks"), 0.0)
    async with DatabaseConnection(settings.store.database_url) as db, AsyncExitStack() as stack:
        done: list[IterationResult] = []
        state = None
        if settings.resume:
            state = await db.resume_state(settings.resume)
            settings = persist.resume_settings(state, settings)
            done = [persist.iteration_result(item) for item in state.iterations]
            for item in state.iterations:
                _add_usage(usage, item.llm_calls)
            _add_usage(usage, state.unattached_calls)  # those of the iteration cut off
        elif settings.data.path is not None:
            # Stored absolute, so `--resume` and `vantage report` work from any folder.
            data = settings.data.model_copy(update={"path": settings.data.path.resolve()})
            settings = settings.model_copy(update={"data": data})
        with progress.stage("load data"):
            split = load_split(settings)
        engine = run_engine(settings, split)
        progress.note(engine.summary())
        if state is not None:
            persist.check_same_data(state.run, split.test_fingerprint)
        run_id = state.run.id if state is not None else new_id()
        run_dir = run_dir_for(run_id)
        workspace = Workspace.create(run_dir)
        limits = SandboxLimits(timeout_s=settings.agent.candidate_timeout)
        runner = stack.enter_context(WorkspaceRunner(workspace, limits=limits))
        runner.start()  # the worker's start-up overlaps the strategist's first questions
        prompts = PromptManager(workspace.prompts_dir)
        llm = LLMInterface.from_settings(
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
        result = RunResult(
            run_id=run_id,
            status="running",
            theme=settings.theme,
            data_path=str(settings.data.path),
            provider=llm.provider_name,
            model=llm.model_name,
            thresholds={k: float(v) for k, v in settings.thresholds.model_dump().items()},
            test_fingerprint=split.test_fingerprint,
            engine=engine.describe(),
        )
        try:
            status, message = await _loop(parts, done, usage)
        except (asyncio.CancelledError, KeyboardInterrupt, Stopped):
            parts.stop.set()
            status, message = "interrupted", f"resume with --resume {run_id}"
        except Exception as exc:
            # An outside service failed after retries, bad input surfaced late, or a bug: the
            # saved iterations stand, the calls made so far are stored, the run is marked failed
            # (never left running) and stays resumable; for a VantageError the caller still
            # gets the run's result (for --json).
            text = str(exc) if isinstance(exc, VantageError) else f"{type(exc).__name__}: {exc}"
            note = f"{text}; resume with --resume {run_id}"
            calls = _unsaved_calls(parts, usage)
            await db.finish_run(run_id, status="failed", message=note, llm_calls=calls)
            if not isinstance(exc, VantageError):
                raise
            _fill(result, done, "failed", note, usage)
            result.wall_seconds = time.perf_counter() - started
            raise RunFailed(exc, result) from exc
        calls = _unsaved_calls(parts, usage)
        _fill(result, done, status, message, usage)
        try:
            await _wrap_up(parts, result, started, calls, report=report)
        except (asyncio.CancelledError, KeyboardInterrupt):
            # Cut off while scoring the test or writing the report: resume redoes just those.
            result.status, result.message = "interrupted", f"resume with --resume {run_id}"
            result.report_path = None
            result.wall_seconds = time.perf_counter() - started
            await db.finish_run(run_id, **persist.finish_fields(result))
    return result


def _fill(
    result: RunResult, done: list[IterationResult], status: str, message: str, usage: dict
) -> None:
    result.iterations, result.status, result.message = done, status, message  # type: ignore[assignment]
    result.llm_calls, result.llm_tokens = int(usage["calls"]), int(usage["tokens"])
    result.llm_cost_usd = usage["cost_usd"]
    result.llm_repairs, result.llm_fallbacks = int(usage["repairs"]), int(usage["fallbacks"])


def llm_retry(settings: RunSettings) -> Any:
    """The providers' retry policy; --llm-timeout fixes the per-request timeout."""
    from vantageadapt.llm import RetryPolicy

    if settings.llm.timeout is None:
        return RetryPolicy()
    return RetryPolicy(timeout=settings.llm.timeout, fixed_timeout=True)


async def _wrap_up(parts: RunParts, result: RunResult, started: float, calls: list, *, report):
    """Score the sealed test (finished runs), record how the run ended, write the report.

    `calls` are the strategist calls no saved iteration holds; they are stored with the end.
    """
    from vantageadapt.report import write_report

    done, progress = result.iterations, parts.progress
    best = best_iteration(done)
    if result.status == "finished" and best is not None:
        result.best_iteration, result.unmet, result.met = best.index, best.unmet, not best.unmet
        logger.info(
            "best metrics (iteration %d, validation): %s",
            best.index,
            ", ".join(f"{k}={v:.4g}" for k, v in best.out_of_sample.items()),
        )
        with progress.stage("sealed test"):
            result.test, result.test_per_asset = score_sealed_test(
                parts.split, best, await asyncio.to_thread(parts.runner.current), parts.engine
            )
        await asyncio.sleep(0)  # a Ctrl-C during the blocking scoring is delivered here
    result.wall_seconds = time.perf_counter() - started
    await parts.db.finish_run(parts.run_id, **persist.finish_fields(result), llm_calls=calls)
    if report and result.status != "interrupted":
        with progress.stage("report"):
            path = parts.settings.report or parts.run_dir / "report.html"
            written = write_report(
                result,
                path,
                split=parts.split,
                custom_indicators=parts.runner.current().custom_indicators,
            )
        await asyncio.sleep(0)  # likewise for the report
        result.report_path = str(written.resolve())


def run_pipeline(
    settings: RunSettings, *, progress: Progress | None = None, report: bool = True
) -> RunResult:
    """Run (or resume) one full loop, save it and write its report (unless `report` is false:
    calibration's null runs write none); return its outcome."""
    return asyncio.run(_run(settings, progress or Progress(), report=report))

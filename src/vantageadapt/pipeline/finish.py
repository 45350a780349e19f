"""The end of a run: score the best iteration on the sealed test once, record how the run
ended, write the report."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from vantageadapt.backtest import backtest_assets
from vantageadapt.errors import RuleError
from vantageadapt.pipeline import persist
from vantageadapt.pipeline.recover import recovering
from vantageadapt.pipeline.stages import RunParts
from vantageadapt.report import write_report
from vantageadapt.results import IterationResult, RunResult, best_iteration, tuned_rules

logger = logging.getLogger(__name__)


def score_sealed_test(
    split: Any, best: IterationResult, hooks: Any, config: Any
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Backtest the best strategy on the sealed test rows (full frames, trading from test_start)
    with the run's engine settings (`config`, an EngineConfig)."""
    per_asset, aggregate = backtest_assets(
        split.full,
        tuned_rules(best, hooks.indicator_names),
        config,
        start=split.test_start,
        custom_indicators=hooks.custom_indicators,
    )
    return (
        {k: float(v) for k, v in aggregate.model_dump().items()},
        {s: {k: float(v) for k, v in m.model_dump().items()} for s, m in per_asset.items()},
    )


def _runs_with(item: IterationResult, hooks: Any) -> bool:
    """Whether the iteration's strategy needs only indicators the kept modules still have."""
    try:
        tuned_rules(item, hooks.indicator_names)
    except RuleError:
        return False
    return True


async def _sealed_test(parts: RunParts, result: RunResult) -> Any:
    """Pick the best iteration the kept modules can still run, score it on the sealed test;
    the hooks used (the report re-runs the strategy with them)."""
    hooks = await asyncio.to_thread(parts.runner.current)
    runnable = [item for item in result.iterations if _runs_with(item, hooks)]
    best = best_iteration(runnable)
    if best is None:
        return hooks
    overall = best_iteration(result.iterations)
    if overall is not None and overall.index != best.index:
        result.message = (
            f"iteration {overall.index}'s strategy uses custom indicators of code that was "
            f"rolled back; the best of the others, iteration {best.index}, is scored"
        )
    result.best_iteration, result.unmet, result.met = best.index, best.unmet, not best.unmet
    logger.info(
        "best metrics (iteration %d, validation): %s",
        best.index,
        ", ".join(f"{k}={v:.4g}" for k, v in best.out_of_sample.items()),
    )
    with parts.progress.stage("sealed test"):
        result.test, result.test_per_asset = score_sealed_test(
            parts.split, best, hooks, parts.engine
        )
    await asyncio.sleep(0)  # a Ctrl-C during the blocking scoring is delivered here
    return hooks


async def wrap_up(
    parts: RunParts, result: RunResult, started: float, calls: list[Any], *, report: bool = True
) -> None:
    """Score the sealed test (finished runs), record how the run ended, write the report.

    `calls` are the strategist calls no saved iteration holds; they are stored with the end;
    `report` false writes no report (calibration's null runs).
    Kept code failing on the sealed test's rows is rolled back like anywhere in the run
    (`recover`); the rollback is noted in the run's message and its lineage.
    """
    hooks = None
    if result.status == "finished" and result.iterations:

        async def step() -> Any:
            return await _sealed_test(parts, result)

        hooks, undone = await recovering(parts, step, len(result.iterations))
        if undone:
            notes = "; ".join(o.reason for o in undone if o.op == "rollback")
            result.message = " ".join(filter(None, [result.message, notes]))
    result.wall_seconds = time.perf_counter() - started
    await parts.db.finish_run(parts.run_id, **persist.finish_fields(result), llm_calls=calls)
    if report and result.status != "interrupted":
        with parts.progress.stage("report"):
            path = parts.settings.report or parts.run_dir / "report.html"
            hooks = hooks or await asyncio.to_thread(parts.runner.current)
            written = write_report(
                result, path, split=parts.split, custom_indicators=hooks.custom_indicators
            )
        await asyncio.sleep(0)  # likewise for the report
        result.report_path = str(written.resolve())

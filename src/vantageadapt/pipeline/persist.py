"""Between the loop's results and the store's records, both ways (save and resume)."""

from __future__ import annotations

from typing import Any

from vantageadapt.errors import ConfigError
from vantageadapt.models import LLMCall, MarketContext, StrategyInsight
from vantageadapt.pipeline.usage import add_usage, fill, new_usage
from vantageadapt.results import IterationResult, RunResult
from vantageadapt.settings import RunSettings
from vantageadapt.store.records import (
    IterationRecord,
    PerformanceRecord,
    PromptVersionRecord,
    ResumeState,
    RunRecord,
    StrategyRecord,
)

MAX_LANDSCAPE_ROWS = 2_000


def landscape_rows(landscape: Any) -> list[dict[str, float]]:
    """The optimizer's trials (params + score) as plain rows, capped to keep rows small."""
    if landscape is None or len(landscape) == 0:
        return []
    frame = landscape.select_dtypes("number")
    if len(frame) > MAX_LANDSCAPE_ROWS:
        frame = frame.nlargest(MAX_LANDSCAPE_ROWS, "score")
    frame = frame.replace([float("inf"), float("-inf")], float("nan")).dropna()
    return [{k: float(v) for k, v in row.items()} for row in frame.to_dict("records")]


def prompt_versions(prompts: Any, iteration: IterationResult, *, first: bool):
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


def iteration_record(
    item: IterationResult,
    calls: list[LLMCall],
    settings: RunSettings,
    prompt_versions: list[tuple[str, int, str, str]],
) -> IterationRecord:
    """The store's IterationRecord; prompt_versions are (name, version, template, reason)."""
    strategy = StrategyRecord(
        theme=settings.theme,
        regime=item.regime,
        conditions=item.rules["conditions"],
        parameters={**item.rules.get("parameters", {}), **item.parameters},
        insight=StrategyInsight.model_validate(item.insight) if item.insight else None,
        performance=[
            PerformanceRecord.from_metrics("in_sample", item.in_sample),
            PerformanceRecord.from_metrics("out_of_sample", item.out_of_sample),
        ],
    )
    prompts = [
        PromptVersionRecord(name=name, version=version, template=template, reason=reason)
        for name, version, template, reason in prompt_versions
    ]
    return IterationRecord(
        index=item.index,
        regime=item.regime,
        market_context=MarketContext.model_validate(item.context) if item.context else None,
        strategy=strategy,
        score=item.score,
        validation_score=item.validation_score,
        unmet=item.unmet,
        optimization={
            "trials": item.trials,
            "trials_to_date": item.trials_to_date,
            "indicator_cache": item.indicator_cache,
            "deflated_sharpe": item.deflated_sharpe,
            "pbo": item.pbo,
            "significance_periods": item.significance_periods,
            "hypotheses": item.hypotheses,
            "parameters_at_edge": item.parameters_at_edge,
            "proposed_rules": item.rules,
            "landscape": item.landscape,
        },
        patches=list(item.patches),
        prompt_versions=prompts,
        llm_calls=calls,
        timings=item.timings,
    )


def iteration_result(record: IterationRecord) -> IterationResult:
    """Rebuild a loop result from a stored IterationRecord (resume, report)."""
    strategy = record.strategy
    optimization = record.optimization or {}
    rules = optimization.get("proposed_rules") or strategy.rules_json()
    inside, outside = strategy.aggregate("in_sample"), strategy.aggregate("out_of_sample")
    return IterationResult(
        index=record.index,
        regime=record.regime.value,
        context=record.market_context.model_dump(mode="json") if record.market_context else {},
        insight=strategy.insight.model_dump(mode="json") if strategy.insight else {},
        rules=rules,
        parameters=dict(strategy.parameters),
        in_sample=inside.metrics() if inside else {},
        out_of_sample=outside.metrics() if outside else {},
        score=record.score,
        validation_score=record.validation_score or 0.0,
        unmet=list(record.unmet),
        trials=int(optimization.get("trials", 0)),
        trials_to_date=int(optimization.get("trials_to_date", 0)),
        indicator_cache=dict(optimization.get("indicator_cache", {})),
        deflated_sharpe=float(optimization.get("deflated_sharpe", 0.0)),
        pbo=optimization.get("pbo"),
        significance_periods=str(optimization.get("significance_periods", "")),
        hypotheses=list(optimization.get("hypotheses", [])),
        parameters_at_edge=dict(optimization.get("parameters_at_edge", {})),
        landscape=list(optimization.get("landscape", [])),
        patches=list(record.patches),
        timings=dict(record.timings),
        iteration_id=record.id,
    )


def run_record(
    settings: RunSettings,
    *,
    run_id: str,
    provider: str,
    model: str | None,
    data_fingerprint: str,
    test_fingerprint: str,
    engine: dict[str, Any],
) -> RunRecord:
    """The store's RunRecord for a new run (settings stored; keys never live in them)."""
    return RunRecord(
        id=run_id,
        theme=settings.theme,
        provider=provider,
        model=model,
        data_path=str(settings.data.path),
        data_fingerprint=data_fingerprint,
        test_fingerprint=test_fingerprint,
        settings=settings.public_dump(),
        engine=engine,
        metrics_period=str(engine["metrics_period"]),
    )


def resume_settings(state: ResumeState, settings: RunSettings) -> RunSettings:
    """The stored run's settings, with this invocation's budget and iteration count on top."""
    if state.run.status == "finished":
        raise ConfigError(
            f"run {state.run.id} already finished; start a new run instead of --resume"
        )
    stored = RunSettings.model_validate(state.run.settings)
    return stored.model_copy(
        update={
            "resume": state.run.id,
            "iterations": settings.iterations
            if "iterations" in settings.model_fields_set
            else stored.iterations,
            "llm": stored.llm.model_copy(
                update={"max_cost": settings.llm.max_cost, "max_tokens": settings.llm.max_tokens}
            ),
            "report": settings.report or stored.report,
            "store": settings.store,
        }
    )


def check_same_data(run: RunRecord, test_fingerprint: str) -> None:
    """A resumed run must see the very rows it started on (same sealed test window)."""
    if run.test_fingerprint and run.test_fingerprint != test_fingerprint:
        raise ConfigError(
            f"run {run.id}: data {run.data_path} changed since the run started (sealed test "
            f"fingerprint {test_fingerprint[:12]} != {run.test_fingerprint[:12]}); restore the "
            "original data or start a new run"
        )


def finish_fields(result: RunResult) -> dict[str, Any]:
    """Keyword arguments of store.finish_run for the run's outcome."""
    return {
        "status": result.status,
        "met": result.met if result.status == "finished" else None,
        "best_iteration": result.best_iteration,
        "test_metrics": result.test or None,
        "test_per_asset": result.test_per_asset or None,
        "test_fingerprint": result.test_fingerprint or None,
        "unmet": result.unmet,
        "message": result.message,
    }


def run_result(state: ResumeState) -> RunResult:
    """A stored run as the report and `vantage report` see it."""
    run = state.run
    stored = RunSettings.model_validate(run.settings) if run.settings else RunSettings()
    result = RunResult(
        run_id=run.id,
        status=run.status,
        theme=run.theme,
        data_path=run.data_path,
        provider=run.provider,
        model=run.model,
        met=bool(run.met),
        best_iteration=run.best_iteration,
        unmet=list(run.unmet),
        test=dict(run.test_metrics or {}),
        test_fingerprint=run.test_fingerprint or "",
        thresholds={k: float(v) for k, v in stored.thresholds.model_dump().items()},
        engine=dict(run.engine or {}),
        wall_seconds=(run.finished_at - run.started_at).total_seconds() if run.finished_at else 0.0,
    )
    usage = new_usage()
    add_usage(usage, state.calls)
    fill(result, [iteration_result(i) for i in state.iterations], run.status, run.message, usage)
    return result

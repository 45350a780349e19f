"""The run's strategist usage: calls, tokens, cost, repairs and fallbacks, summed."""

from __future__ import annotations

from typing import Any

from vantageadapt.results import IterationResult, RunResult

FIELDS = ("calls", "tokens", "cost_usd", "repairs", "fallbacks")


def new_usage() -> dict[str, float]:
    """Zero usage."""
    return dict.fromkeys(FIELDS, 0.0)


def add_usage(usage: dict[str, float], calls: list[Any]) -> None:
    """Add `calls` (LLMCall rows) to `usage`; cached answers cost nothing."""
    usage["calls"] += len(calls)
    usage["tokens"] += sum(c.prompt_tokens + c.completion_tokens for c in calls if not c.cached)
    usage["cost_usd"] += sum(c.cost_usd or 0.0 for c in calls if not c.cached)
    usage["repairs"] += sum(len(c.repairs) for c in calls)
    usage["fallbacks"] += sum(c.fallback for c in calls)


def unsaved_calls(llm: Any, usage: dict[str, float]) -> list[Any]:
    """The calls of an iteration that never finished (failed, interrupted, over budget)."""
    calls = llm.drain_ledger()
    add_usage(usage, calls)
    return calls


def fill(
    result: RunResult, done: list[IterationResult], status: str, message: str, usage: dict
) -> None:
    """Put the iterations, how the run ended and its usage into `result`."""
    result.iterations, result.status, result.message = done, status, message  # type: ignore[assignment]
    result.llm_calls, result.llm_tokens = int(usage["calls"]), int(usage["tokens"])
    result.llm_cost_usd = usage["cost_usd"]
    result.llm_repairs, result.llm_fallbacks = int(usage["repairs"]), int(usage["fallbacks"])

"""What a run produces: one record per iteration and patch, and the run's outcome, JSON-ready.

Below the agent (which builds patch records), the store (which saves them as they are), the
pipeline (which builds the rest) and the report (which draws a finished run from them), so none
of them imports another for its data.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, Protocol, TypeVar
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field

from vantageadapt.errors import VantageError
from vantageadapt.models import TradingRules, UtcTime, utc_now

RunStatus = Literal["finished", "interrupted", "budget_exceeded", "failed", "running"]


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid")


PatchStage = Literal["propose", "static", "sandbox", "evaluate", "accept", "run"]
"""Where a patch's check ended: its proposal, the static check, the sandbox (contract tests),
the fixed evaluator, or the acceptance rule (kept patches end there); `run` marks a rollback
record (op `rollback`): a kept code patch undone after failing later in the run's worker."""


class PatchRecord(_Result):
    """One code or prompt patch the agent tried, kept or rolled back, with its lineage and
    scores: built by the agent, carried in the run's results, saved by the store as it is."""

    id: str = Field(default_factory=lambda: uuid4().hex)
    run_id: str | None = Field(default=None, description="set by the store")
    iteration: int | None = None  # the loop iteration whose round tried it
    kind: Literal["code", "prompt"] = "code"
    target: str
    op: str
    status: Literal["kept", "rejected"]
    stage: PatchStage | None = None  # None only in rows saved before stages were stored
    reason: str
    diff: str = ""
    parent_id: str | None = None
    score_before: float | None = None
    score_after: float | None = None
    created_at: UtcTime = Field(default_factory=utc_now)


class IterationResult(_Result):
    """One pass of the loop: the market read, the rules, their tuned metrics, the patches."""

    index: int
    regime: str
    context: dict[str, Any] = Field(default_factory=dict)
    insight: dict[str, Any] = Field(default_factory=dict)
    rules: dict[str, Any]
    parameters: dict[str, float]
    in_sample: dict[str, float]
    out_of_sample: dict[str, float]
    score: float
    validation_score: float
    unmet: list[str] = Field(default_factory=list)
    trials: int = 0
    trials_to_date: int = 0  # every backtest of the run so far, patch checks included
    deflated_sharpe: float = 0.0
    indicator_cache: dict[str, int] = Field(default_factory=dict)  # the search's store counters
    pbo: float | None = None  # probability of backtest overfitting of the iteration's search
    significance_periods: str = ""  # "<n> x <period>" the two were measured on
    hypotheses: list[dict[str, Any]] = Field(default_factory=list)  # each candidate's outcome
    parameters_at_edge: dict[str, str] = Field(default_factory=dict)
    landscape: list[dict[str, float]] = Field(default_factory=list)
    patches: list[PatchRecord] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)
    iteration_id: str | None = None

    def json_view(self) -> dict[str, Any]:
        """The `iterations[]` entry of `run --json` (landscape, long texts: the report only)."""
        data = self.model_dump(
            mode="json", exclude={"landscape", "context", "insight", "iteration_id"}
        )
        data["patches"] = [
            {k: p[k] for k in ("id", "target", "op", "status", "reason", "kind")}
            for p in data["patches"]
        ]
        return data


class RunResult(_Result):
    """The outcome of `vantage run`, as the summary, the JSON and the report show it."""

    run_id: str
    status: RunStatus
    theme: str
    data_path: str
    provider: str
    model: str | None = None
    met: bool = False
    best_iteration: int | None = None
    unmet: list[str] = Field(default_factory=list)
    iterations: list[IterationResult] = Field(default_factory=list)
    test: dict[str, float] = Field(default_factory=dict)
    test_per_asset: dict[str, dict[str, float]] = Field(default_factory=dict)
    test_fingerprint: str = ""
    thresholds: dict[str, float] = Field(default_factory=dict)
    engine: dict[str, Any] = Field(default_factory=dict)  # EngineConfig.describe(), resolved
    report_path: str | None = None
    message: str = ""
    wall_seconds: float = 0.0
    llm_calls: int = 0
    llm_tokens: int = 0
    llm_cost_usd: float = 0.0
    calibration: dict[str, Any] | None = None  # the latest `vantage calibrate --run` of this run
    llm_repairs: int = 0  # safe repairs made to strategist answers
    llm_fallbacks: int = 0  # questions the offline strategist answered after a model failed

    @property
    def best(self) -> IterationResult | None:
        """The best iteration, if any finished."""
        for item in self.iterations:
            if item.index == self.best_iteration:
                return item
        return None

    def json_view(self) -> dict[str, Any]:
        """The one JSON object `vantage run --json` prints."""
        return {
            "run_id": self.run_id,
            "status": self.status,
            "met": self.met,
            "provider": self.provider,
            "model": self.model,
            "theme": self.theme,
            "best_iteration": self.best_iteration,
            "unmet": self.unmet,
            "thresholds": self.thresholds,
            "engine": self.engine,
            "metrics_period": self.engine.get("metrics_period"),
            "test": self.test,
            "test_fingerprint": self.test_fingerprint,
            "iterations": [item.json_view() for item in self.iterations],
            "report": self.report_path,
            "message": self.message,
            "wall_seconds": round(self.wall_seconds, 3),
            "llm": {
                "calls": self.llm_calls,
                "tokens": self.llm_tokens,
                "cost_usd": round(self.llm_cost_usd, 6),
                "repairs": self.llm_repairs,
                "fallbacks": self.llm_fallbacks,
            },
        }


def tuned_rules(iteration: IterationResult, indicators: Iterable[str] = ()) -> TradingRules:
    """The iteration's rules with the optimizer's best parameters filled in.

    `indicators` are the custom indicator names the rules may use (the workspace's).
    """
    rules = TradingRules.checked(iteration.rules, indicators=indicators)
    return rules.with_parameters(iteration.parameters, indicators=indicators)


class Scored(Protocol):
    """What the best-iteration rule reads: an IterationResult or a stored IterationRecord."""

    @property
    def index(self) -> int: ...
    @property
    def unmet(self) -> list[str]: ...
    @property
    def score(self) -> float: ...
    @property
    def validation_score(self) -> float | None: ...
    @property
    def deflated_sharpe(self) -> float: ...


S = TypeVar("S", bound=Scored)
SIGNIFICANT = 0.95  # a deflated Sharpe at or above this calls an iteration significant


def best_iteration(iterations: Iterable[S]) -> S | None:
    """The best iteration: those meeting every threshold first, then significant ones
    (deflated Sharpe >= 0.95), then the higher fixed validation score (the search score where
    none was stored), then the higher deflated Sharpe, then the earliest. So a significant
    iteration is never passed over for a higher score that may be luck."""

    def key(item: S) -> tuple[bool, bool, float, float, int]:
        value = item.validation_score if item.validation_score is not None else item.score
        dsr = item.deflated_sharpe
        return (not item.unmet, dsr >= SIGNIFICANT, value, dsr, -item.index)

    return max(iterations, key=key, default=None)


class RunFailed(VantageError):
    """A run that stopped on an error after it started: the error, with the run's result.

    It keeps the cause's message and exit code, so the CLI reports it as the cause.
    """

    def __init__(self, cause: VantageError, result: RunResult) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.result = result
        self.exit_code = cause.exit_code

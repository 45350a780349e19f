"""The Gödel agent: propose -> static check -> sandbox -> fixed evaluator -> keep or roll back."""

from __future__ import annotations

import asyncio
import difflib
import json
import logging
import math
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any

from pydantic import BaseModel

from vantageadapt.agent.hooks import WorkspaceHooks
from vantageadapt.agent.patch_ops import apply_patch, unified_diff
from vantageadapt.agent.runner import WorkspaceRunner
from vantageadapt.agent.sandbox import SandboxLimits
from vantageadapt.agent.static_check import check_source
from vantageadapt.agent.worker import WorkerError
from vantageadapt.agent.workspace import MODULE_FILES, Workspace
from vantageadapt.errors import (
    BudgetExceeded,
    ConfigError,
    ExecutorError,
    PatchRejected,
    ProviderError,
    StoreError,
)
from vantageadapt.llm.interface import LLMInterface
from vantageadapt.logs import scrub_untrusted
from vantageadapt.models import (
    CodePatch,
    ImprovementContext,
    MarketRegime,
    PromptChange,
    utc_now,
)
from vantageadapt.results import PatchRecord, PatchStage

logger = logging.getLogger(__name__)

Evaluate = Callable[[WorkspaceHooks], Awaitable[float]]
# Failures of outside services or of the run itself propagate: they say nothing about a patch.
_NOT_THE_PATCH = (
    BudgetExceeded,
    ProviderError,
    StoreError,
    ExecutorError,
    asyncio.CancelledError,
    KeyboardInterrupt,
)
_LINEAGE = "lineage.jsonl"


def _key(metrics: Mapping[str, float]) -> tuple[float, float]:
    return float(metrics.get("sortino_ratio", 0.0)), float(metrics.get("total_return", 0.0))


class GodelAgent:
    """Tracks performance per regime and improves the run's workspace code and prompts.

    Acceptance: a patch is kept only when the fixed evaluator's validation score rises by at
    least `improvement_threshold` in absolute score units over its parent's score, measured
    in the same call with the same evaluator (gain > 0 is also required, so a threshold of 0
    never keeps a tie). Anything else is rolled back.
    """

    def __init__(
        self,
        improvement_threshold: float = 0.1,
        max_iterations: int = 5,
        *,
        workspace: Workspace,
        llm: Any = None,
        prompts: Any = None,
        seed: int = 0,
        limits: SandboxLimits = SandboxLimits(),
        runner: WorkspaceRunner | None = None,
    ) -> None:
        if improvement_threshold < 0 or max_iterations < 1:
            raise ConfigError(
                "GodelAgent needs improvement_threshold >= 0 and max_iterations >= 1 "
                f"(got {improvement_threshold}, {max_iterations})"
            )
        self.improvement_threshold = improvement_threshold
        self.max_iterations = max_iterations
        self.workspace = workspace
        # The strategist behind the proposals; the offline one unless a model is given.
        self.llm = llm if llm is not None else LLMInterface(prompts=prompts, seed=seed)
        self.prompts = prompts
        self.seed = seed
        self.limits = limits
        # Workspace code runs only in the runner's workers, never in this process.
        self.runner = runner if runner is not None else WorkspaceRunner(workspace, limits=limits)
        self.best: dict[MarketRegime, dict[str, Any]] = {}
        self.last: dict[MarketRegime, dict[str, Any]] = {}
        self.rounds = 0
        self.outcomes: list[PatchRecord] = self._read_lineage()

    # performance --------------------------------------------------------------------------
    def track_performance(
        self,
        metrics: Mapping[str, float] | BaseModel,
        parameters: Mapping[str, float],
        market_regime: Any,
    ) -> None:
        """Keep the last and the best (by sortino, then return) metrics of each regime."""
        values = metrics.model_dump() if isinstance(metrics, BaseModel) else dict(metrics)
        regime = MarketRegime.parse(market_regime)
        entry = {"metrics": values, "parameters": dict(parameters)}
        self.last[regime] = entry
        if regime not in self.best or _key(values) > _key(self.best[regime]["metrics"]):
            self.best[regime] = entry

    def needs_improvement(self) -> bool:
        """Whether an improvement round is left (the pipeline asks only when thresholds miss)."""
        return self.rounds < self.max_iterations

    @property
    def parent_id(self) -> str | None:
        """The last kept patch: the workspace state new patches apply to (None: pristine)."""
        kept = [o for o in self.outcomes if o.status == "kept"]
        return kept[-1].id if kept else None

    # proposals ----------------------------------------------------------------------------
    async def propose_patch(self, ctx: ImprovementContext) -> CodePatch:
        """A code patch from the strategist (PatchRejected when it has no valid one)."""
        return await self.llm.propose_patch(ctx)

    async def propose_prompt_change(self, ctx: ImprovementContext) -> PromptChange:
        """A prompt change from the strategist (PatchRejected when it has no valid one)."""
        return await self.llm.propose_prompt_change(ctx)

    def _context(self, ctx: ImprovementContext) -> ImprovementContext:
        update: dict[str, Any] = {}
        if not ctx.modules:
            update["modules"] = self.workspace.sources()
        if not ctx.prompts and self.prompts is not None:
            update["prompts"] = {n: self.prompts.get(n)[0] for n in self.prompts.names()}
        known = {(str(h.get("reason")), str(h.get("target"))) for h in ctx.history}
        extra = [
            {"target": o.target, "op": o.op, "status": o.status, "reason": o.reason}
            for o in self.outcomes
            if (o.reason, o.target) not in known
        ]
        if extra:
            update["history"] = [*ctx.history, *extra]
        return ctx.model_copy(update=update)

    # the round ----------------------------------------------------------------------------
    async def improve(
        self,
        ctx: ImprovementContext,
        evaluate: Evaluate,
        *,
        evaluate_prompts: Evaluate | None = None,
    ) -> list[PatchRecord]:
        """One round: a code patch, then a prompt change, each kept only if it helps.

        `evaluate_prompts`, when given, judges the prompt change instead of `evaluate` (before
        and after it, so both sides use one evaluator); it should re-ask the strategist with the
        current prompts, which `evaluate` need not do.
        """
        if not self.needs_improvement():
            return []
        self.rounds += 1
        ctx = self._context(ctx)
        outcomes: list[PatchRecord] = []
        score: float | None = None
        if self.runner.code_patches_off() is None:
            current = await asyncio.to_thread(self.runner.current)
            self.runner.start()  # the candidate's worker starts while the parent is re-scored
            score = float(await evaluate(current))
            outcomes.append(await self._code_round(ctx, evaluate, score))
            if outcomes[0].status == "kept" and outcomes[0].score_after is not None:
                score = outcomes[0].score_after
        if self.prompts is not None:
            if evaluate_prompts is not None or score is None:
                evaluate = evaluate_prompts or evaluate
                score = float(await evaluate(await asyncio.to_thread(self.runner.current)))
            outcomes.append(await self._prompt_round(ctx, evaluate, score))
        return outcomes

    def _accepts(self, before: float, after: float) -> tuple[bool, str]:
        gain = after - before
        ok = math.isfinite(after) and gain > 0 and gain >= self.improvement_threshold
        sign = ">=" if ok else "<"
        return ok, (
            f"validation score {before:.4f} -> {after:.4f} "
            f"(gain {gain:+.4f} {sign} threshold {self.improvement_threshold})"
        )

    def _record(self, outcome: PatchRecord) -> PatchRecord:
        self.outcomes.append(outcome)
        with (self.workspace.root / _LINEAGE).open("a", encoding="utf-8") as handle:
            handle.write(outcome.model_dump_json() + "\n")
        logger.info(
            "patch %s on %s: %s (%s)",
            outcome.id[:8],
            outcome.target,
            outcome.status,
            outcome.reason,
        )
        return outcome

    def forget(self, saved: Collection[str]) -> None:
        """Drop the outcomes whose ids the run never saved (an iteration cut off mid-way)."""
        kept = [o for o in self.outcomes if o.id in saved]
        if len(kept) == len(self.outcomes):
            return
        self.outcomes = kept
        path = self.workspace.root / _LINEAGE
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(o.model_dump_json() + "\n" for o in kept), encoding="utf-8")
        tmp.replace(path)

    def _read_lineage(self) -> list[PatchRecord]:
        path = self.workspace.root / _LINEAGE
        if not path.is_file():
            return []
        return [
            PatchRecord.model_validate(json.loads(line)) for line in path.read_text().splitlines()
        ]

    async def _code_round(
        self, ctx: ImprovementContext, evaluate: Evaluate, before: float
    ) -> PatchRecord:
        patch_id = uuid.uuid4().hex
        base = {
            "id": patch_id,
            "parent_id": self.parent_id,
            "kind": "code",
            "score_before": before,
            "iteration": ctx.iteration,
            "created_at": utc_now(),
        }
        try:
            patch = await self.propose_patch(ctx)
        except (ConfigError, PatchRejected) as exc:
            return self._record(
                PatchRecord(
                    **base,
                    target="",
                    op="",
                    status="rejected",
                    stage="propose",
                    reason=f"no valid proposal: {exc}",
                )
            )
        base.update(target=patch.target, op=patch.op.value)
        sources = self.workspace.sources()
        if patch.target not in sources:
            return self._reject(
                base,
                "static",
                patch.reason,
                (f"{patch.target!r} is not a workspace module; one of {', '.join(MODULE_FILES)}"),
            )
        try:
            new = apply_patch(sources[patch.target], patch)
            base["diff"] = unified_diff(sources[patch.target], new, patch.target)
            check_source(new, filename=patch.target, original=sources[patch.target])
        except PatchRejected as exc:
            return self._reject(base, "static", patch.reason, str(exc))
        candidate_dir = self.workspace.stage(patch_id, patch.target, new)
        try:
            candidate = await asyncio.to_thread(self.runner.candidate, candidate_dir)
        except WorkerError as exc:
            return self._reject(base, "sandbox", patch.reason, str(exc))
        try:
            outcome = await self._judge(base, patch, candidate, evaluate, before)
        except BaseException:
            candidate.close()
            raise
        if outcome.status == "kept":
            self.runner.adopt(candidate)  # its worker holds exactly the kept modules
        else:
            candidate.close()
        return outcome

    async def _judge(
        self,
        base: dict[str, Any],
        patch: CodePatch,
        candidate: WorkspaceHooks,
        evaluate: Evaluate,
        before: float,
    ) -> PatchRecord:
        """Contract tests, then the fixed evaluator, both with the candidate's worker."""
        try:
            await asyncio.to_thread(candidate.contracts)
        except WorkerError as exc:
            return self._reject(base, "sandbox", patch.reason, str(exc))
        try:
            after = float(await evaluate(candidate))
        except _NOT_THE_PATCH:
            raise
        except Exception as exc:  # workspace code failing here is a rejection, not a crash
            return self._reject(base, "evaluate", patch.reason, f"{type(exc).__name__}: {exc}")
        ok, verdict = self._accepts(before, after)
        base["score_after"] = after
        if not ok:
            return self._reject(base, "accept", patch.reason, f"rolled back: {verdict}")
        self.workspace.keep(self.workspace.candidates_dir / base["id"], patch.target)
        return self._record(
            PatchRecord(
                **base, status="kept", stage="accept", reason=f"{patch.reason} -> kept: {verdict}"
            )
        )

    def _reject(
        self, base: dict[str, Any], stage: PatchStage, why: str, verdict: str
    ) -> PatchRecord:
        # What a candidate's code produced is cut and scrubbed before it is stored or shown.
        return self._record(
            PatchRecord(
                **base,
                status="rejected",
                stage=stage,
                reason=f"{why} -> rejected at {stage}: {scrub_untrusted(verdict, 800)}",
            )
        )

    async def _prompt_round(
        self, ctx: ImprovementContext, evaluate: Evaluate, before: float
    ) -> PatchRecord:
        base = {
            "id": uuid.uuid4().hex,
            "parent_id": self.parent_id,
            "kind": "prompt",
            "op": "update_prompt",
            "score_before": before,
            "iteration": ctx.iteration,
            "created_at": utc_now(),
        }
        try:
            change = await self.propose_prompt_change(ctx)
        except (ConfigError, PatchRejected) as exc:
            return self._record(
                PatchRecord(
                    **base,
                    target="",
                    status="rejected",
                    stage="propose",
                    reason=f"no valid proposal: {exc}",
                )
            )
        base["target"] = change.name
        try:
            old, version = self.prompts.get(change.name)
            base["diff"] = "".join(
                difflib.unified_diff(
                    old.splitlines(keepends=True),
                    change.template.splitlines(keepends=True),
                    fromfile=f"a/{change.name}.prompt",
                    tofile=f"b/{change.name}.prompt",
                )
            )
            self.prompts.update_prompt(change.name, change.template, change.reason)
        except ConfigError as exc:
            return self._reject(base, "static", change.reason, str(exc))
        try:
            after = float(await evaluate(await asyncio.to_thread(self.runner.current)))
        except _NOT_THE_PATCH:
            self.prompts.rollback(change.name, version)
            raise
        except Exception as exc:
            self.prompts.rollback(change.name, version)
            return self._reject(base, "evaluate", change.reason, f"{type(exc).__name__}: {exc}")
        ok, verdict = self._accepts(before, after)
        base["score_after"] = after
        if not ok:
            self.prompts.rollback(change.name, version)
            return self._reject(
                base, "accept", change.reason, f"rolled back to v{version}: {verdict}"
            )
        return self._record(
            PatchRecord(
                **base, status="kept", stage="accept", reason=f"{change.reason} -> kept: {verdict}"
            )
        )

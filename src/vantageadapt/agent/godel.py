"""The Gödel agent: propose -> static check -> sandbox -> fixed evaluator -> keep or roll back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from typing import Any

from vantageadapt.agent.code_round import code_round
from vantageadapt.agent.lineage import Lineage, standing
from vantageadapt.agent.prompt_round import prompt_round
from vantageadapt.agent.rollback import roll_back
from vantageadapt.agent.rounds import Evaluate
from vantageadapt.agent.runner import WorkspaceRunner
from vantageadapt.agent.sandbox import SandboxLimits
from vantageadapt.agent.tracking import PerformanceTracking
from vantageadapt.agent.workspace import Workspace
from vantageadapt.errors import ConfigError
from vantageadapt.llm.interface import LLMInterface
from vantageadapt.models import CodePatch, ImprovementContext, PromptChange
from vantageadapt.results import PatchRecord

logger = logging.getLogger(__name__)


class GodelAgent(PerformanceTracking):
    """Tracks performance per regime and improves the run's workspace code and prompts.

    Acceptance: a patch is kept only when the fixed evaluator's validation score rises by at
    least `improvement_threshold` in absolute score units over its parent's score, measured
    in the same call with the same evaluator (gain > 0 is also required, so a threshold of 0
    never keeps a tie). Anything else is rolled back, and so is kept code that fails later in
    the run's worker (`roll_back`).
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
        super().__init__()
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
        self.rounds = 0
        self.lineage = Lineage(workspace.root)
        self.outcomes: list[PatchRecord] = self.lineage.read()

    def needs_improvement(self) -> bool:
        """Whether an improvement round is left (the pipeline asks only when thresholds miss)."""
        return self.rounds < self.max_iterations

    @property
    def parent_id(self) -> str | None:
        """The last kept patch still standing: the state new patches apply to (None: pristine)."""
        kept = standing(self.outcomes)
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
            outcomes.append(await code_round(self, ctx, evaluate, score))
            if outcomes[0].status == "kept" and outcomes[0].score_after is not None:
                score = outcomes[0].score_after
        if self.prompts is not None:
            if evaluate_prompts is not None or score is None:
                evaluate = evaluate_prompts or evaluate
                score = float(await evaluate(await asyncio.to_thread(self.runner.current)))
            outcomes.append(await prompt_round(self, ctx, evaluate, score))
        return outcomes

    def roll_back(
        self, error: str, iteration: int, *, to_template: bool = False
    ) -> list[PatchRecord]:
        """Undo the newest kept code patch (all with `to_template`) after `error` in the run's
        worker; the rollback records (see `agent.rollback`)."""
        return roll_back(self, error, iteration, to_template=to_template)

    # lineage ------------------------------------------------------------------------------
    def record(self, outcome: PatchRecord) -> PatchRecord:
        """Append one outcome to the lineage (memory and file) and log it."""
        self.outcomes.append(outcome)
        self.lineage.append(outcome)
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
        self.outcomes = self.lineage.keep_only(self.outcomes, saved)

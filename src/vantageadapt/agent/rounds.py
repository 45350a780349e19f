"""What the code and the prompt rounds share: a patch attempt on its way to a PatchRecord,
and its judgement by the fixed evaluator."""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from vantageadapt.errors import BudgetExceeded, ExecutorError, ProviderError, StoreError
from vantageadapt.logs import scrub_untrusted
from vantageadapt.models import CodePatch, ImprovementContext, PromptChange, utc_now
from vantageadapt.results import PatchRecord

Evaluate = Callable[[Any], Awaitable[float]]
# Failures of outside services or of the run itself propagate: they say nothing about a patch.
NOT_THE_PATCH = (
    BudgetExceeded,
    ProviderError,
    StoreError,
    ExecutorError,
    asyncio.CancelledError,
    KeyboardInterrupt,
)


class Improver(Protocol):
    """What the rounds and the rollback use of the agent (GodelAgent is one)."""

    improvement_threshold: float
    workspace: Any  # the run's Workspace
    runner: Any  # its WorkspaceRunner
    prompts: Any  # a PromptManager or None
    outcomes: list[PatchRecord]

    @property
    def parent_id(self) -> str | None: ...

    def record(self, outcome: PatchRecord) -> PatchRecord: ...

    async def propose_patch(self, ctx: ImprovementContext) -> CodePatch: ...

    async def propose_prompt_change(self, ctx: ImprovementContext) -> PromptChange: ...


def accepts(before: float, after: float, threshold: float) -> tuple[bool, str]:
    """Kept only for an absolute gain >= threshold (and > 0); the verdict says the numbers."""
    gain = after - before
    ok = math.isfinite(after) and gain > 0 and gain >= threshold
    sign = ">=" if ok else "<"
    verdict = f"validation score {before:.4f} -> {after:.4f} "
    return ok, verdict + f"(gain {gain:+.4f} {sign} threshold {threshold})"


class Attempt:
    """One patch attempt: its fields so far, and how it ends (each end is recorded once)."""

    def __init__(self, record: Callable[[PatchRecord], PatchRecord], **fields: Any) -> None:
        self._record = record
        self.fields: dict[str, Any] = {"id": uuid.uuid4().hex, "created_at": utc_now(), **fields}
        self.why = ""  # the proposal's own reason, once there is a proposal

    @classmethod
    def starting(
        cls, agent: Improver, ctx: ImprovementContext, before: float, **fields: Any
    ) -> Attempt:
        """A round's attempt on the agent's current state, its parent scored `before`."""
        return cls(
            agent.record,
            parent_id=agent.parent_id,
            score_before=before,
            iteration=ctx.iteration,
            **fields,
        )

    @property
    def id(self) -> str:
        return self.fields["id"]

    def unproposed(self, error: Exception) -> PatchRecord:
        """The strategist had no valid proposal."""
        fields = {"target": "", "op": "", **self.fields}
        reason = f"no valid proposal: {error}"
        return self._record(
            PatchRecord(**fields, status="rejected", stage="propose", reason=reason)
        )

    def reject(self, stage: str, verdict: str) -> PatchRecord:
        """Rejected at `stage`; what a candidate's code produced is cut and scrubbed first."""
        reason = f"{self.why} -> rejected at {stage}: {scrub_untrusted(verdict, 800)}"
        return self._record(
            PatchRecord(**self.fields, status="rejected", stage=stage, reason=reason)
        )

    def keep(self, verdict: str) -> PatchRecord:
        """Kept: the fixed evaluator said it helps."""
        reason = f"{self.why} -> kept: {verdict}"
        return self._record(
            PatchRecord(**self.fields, status="kept", stage="accept", reason=reason)
        )

    async def judge(
        self,
        score: Callable[[], Awaitable[float]],
        before: float,
        threshold: float,
        *,
        keep: Callable[[], None],
        undo: Callable[[], None] = lambda: None,
        undone: str = "rolled back",
        propagate: tuple[type[BaseException], ...] = (),
    ) -> PatchRecord:
        """Score the patch: `keep` it when the gain is enough, else `undo` it and reject it.

        `undo` runs on every way out but acceptance, a failure that propagates included;
        `propagate` names more failures that say nothing about this patch.
        """
        try:
            after = float(await score())
        except (*NOT_THE_PATCH, *propagate):
            undo()
            raise
        except Exception as exc:  # workspace code failing here is a rejection, not a crash
            undo()
            return self.reject("evaluate", f"{type(exc).__name__}: {exc}")
        ok, verdict = accepts(before, after, threshold)
        self.fields["score_after"] = after
        if not ok:
            undo()
            return self.reject("accept", f"{undone}: {verdict}")
        keep()
        return self.keep(verdict)

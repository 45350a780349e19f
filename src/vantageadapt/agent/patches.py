"""The record of one patch the Gödel agent tried: kept, rejected or rolled back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

ROLLBACK = "rollback"  # the op of a record that undoes a kept code patch (its parent_id)


def now() -> str:
    """The current UTC time as ISO text (a patch's created_at)."""
    return datetime.now(UTC).isoformat()


class PatchOutcome(BaseModel):
    """One patch the agent tried, kept or rejected, with its lineage and scores.

    A kept code patch whose code later fails in the run's worker is undone by a record with
    op `rollback`, status `rejected`, stage `run` and parent_id the undone patch's id.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    parent_id: str | None
    kind: Literal["code", "prompt"]
    target: str
    op: str
    status: Literal["kept", "rejected"]
    stage: Literal["propose", "static", "sandbox", "evaluate", "accept", "run"]
    reason: str
    diff: str = ""
    score_before: float | None = None
    score_after: float | None = None
    iteration: int = 0
    created_at: str = ""

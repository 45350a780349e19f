"""Kept workspace code that fails later, in the run's worker: roll it back and go on.

A kept code patch passed its contract tests and its evaluation, yet the run calls its code on
other inputs afterwards (another market read, other rows, other parameters). When a step of
the run fails while kept code patches stand, the failure is taken as theirs: the newest is
rolled back (`GodelAgent.roll_back`: the modules go back to the version before it, the undo
is recorded as a rejected patch with the failure scrubbed), the run's worker is replaced on
the next use, and the step runs again. A second failure rolls back every kept code patch
(the shipped template, trusted package code, then runs in this process); a failure after
that is not the patches' and propagates as before.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from vantageadapt.agent.rounds import NOT_THE_PATCH
from vantageadapt.pipeline.stages import RunParts, Stopped

logger = logging.getLogger(__name__)
T = TypeVar("T")
ROLLBACKS = 2  # per step: the newest kept code patch, then all of them


async def recovering(
    parts: RunParts, step: Callable[[], Awaitable[T]], iteration: int
) -> tuple[T, list[Any]]:
    """`step()`'s result, and the patch outcomes its failed attempts left (rollbacks too)."""
    agent, left_behind, rollbacks = parts.agent, [], 0
    while True:
        rounds, mark = agent.rounds, len(agent.outcomes)
        try:
            return await step(), left_behind
        except (*NOT_THE_PATCH, Stopped):
            raise
        except Exception as exc:
            if rollbacks == ROLLBACKS or not parts.runner.runs_kept_code():
                raise
            logger.debug("kept workspace code failed", exc_info=True)
            left_behind += agent.outcomes[mark:]  # what the failed attempt's round recorded
            agent.rounds = rounds  # the step's improvement round, if any, is done again
            error = f"{type(exc).__name__}: {exc}"
            left_behind += await asyncio.to_thread(
                agent.roll_back, error, iteration, to_template=rollbacks > 0
            )
            rollbacks += 1

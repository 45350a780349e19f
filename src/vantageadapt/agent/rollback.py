"""Undo kept code patches whose code failed later, in the run's own worker.

A kept patch passed its contract tests and its evaluation, but the run later calls its code
on other inputs (another market read, other rows, other parameters), where it can raise, hang,
crash its worker or answer garbage. The modules then go back to the version before it (the
candidate folder of the patch it was applied to, or the shipped template), and each undone
patch gets a record: op `rollback`, status `rejected`, stage `run`, parent_id the undone
patch's id, the failure cut and scrubbed in its reason. The record is stored with the
iteration and shown to the model like any other rejection.
"""

from __future__ import annotations

import logging
import uuid

from vantageadapt.agent.lineage import standing
from vantageadapt.agent.patch_ops import unified_diff
from vantageadapt.agent.patches import ROLLBACK
from vantageadapt.agent.rounds import Improver
from vantageadapt.agent.workspace import MODULE_FILES, template_sources
from vantageadapt.logs import scrub_untrusted
from vantageadapt.models import utc_now
from vantageadapt.results import PatchRecord

logger = logging.getLogger(__name__)


def _sources_after(agent: Improver, left: list[PatchRecord]) -> tuple[dict[str, str], str]:
    """The modules with only the `left` kept code patches applied, and what that version is."""
    if left:
        folder = agent.workspace.candidates_dir / left[-1].id
        if all((folder / name).is_file() for name in MODULE_FILES):
            sources = {name: (folder / name).read_text(encoding="utf-8") for name in MODULE_FILES}
            return sources, f"the modules of patch {left[-1].id[:8]}"
    return template_sources(), "the shipped template"


def roll_back(
    agent: Improver, error: str, iteration: int, *, to_template: bool = False
) -> list[PatchRecord]:
    """Undo the newest kept code patch (every one with `to_template`) after `error` in the
    run's worker; the workspace holds the version before it. Returns the rollback records."""
    active = standing(agent.outcomes, "code")
    undone = active if to_template else active[-1:]
    left = active[: len(active) - len(undone)]
    sources, version = _sources_after(agent, left)
    current = agent.workspace.sources()
    agent.workspace.restore(sources)
    failure = scrub_untrusted(error, 500)
    records = []
    for patch in reversed(undone):
        why = patch.reason.split(" -> ")[0]
        records.append(
            agent.record(
                PatchRecord(
                    id=uuid.uuid4().hex,
                    parent_id=patch.id,
                    kind="code",
                    target=patch.target,
                    op=ROLLBACK,
                    status="rejected",
                    stage="run",
                    reason=(
                        f"{why} -> kept at iteration {patch.iteration}, then failed in the run's "
                        f"worker at iteration {iteration}: {failure}; rolled back to {version}"
                    ),
                    diff=unified_diff(current[patch.target], sources[patch.target], patch.target),
                    iteration=iteration,
                    created_at=utc_now(),
                )
            )
        )
    logger.warning(
        "kept workspace code failed in the run's worker (%s); rolled back to %s", failure, version
    )
    return records

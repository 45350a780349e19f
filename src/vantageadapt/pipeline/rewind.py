"""On resume: bring the run's workspace back to what its saved iterations recorded."""

from __future__ import annotations

import logging
from typing import Any

from vantageadapt.agent.lineage import standing
from vantageadapt.agent.patches import ROLLBACK
from vantageadapt.agent.workspace import MODULE_FILES, template_sources
from vantageadapt.errors import ConfigError
from vantageadapt.pipeline.stages import RunParts
from vantageadapt.results import IterationResult

logger = logging.getLogger(__name__)


def saved_sources(
    workspace: Any, done: list[IterationResult], outcomes: list[Any]
) -> dict[str, str] | None:
    """The modules as the saved iterations left them; None when no kept code needs undoing."""
    patches = [p for item in done for p in item.patches]
    kept = [p.id for p in standing(patches, "code")]
    if not kept:
        # Back to pristine, the package's template, only to undo a kept patch (lost with a
        # cut-off iteration, or rolled back): otherwise the run keeps its own copy (made
        # from the template of the version it started with).
        ever = any(o.kind == "code" and o.status == "kept" for o in [*outcomes, *patches])
        return template_sources() if ever else None
    # A kept candidate's folder is the kept modules at staging with its target replaced.
    folder = workspace.candidates_dir / kept[-1]
    missing = [name for name in MODULE_FILES if not (folder / name).is_file()]
    if missing:
        raise ConfigError(
            f"cannot rewind the workspace: {folder} lacks {', '.join(missing)}; "
            "restore the run folder or start a new run"
        )
    return {name: (folder / name).read_text(encoding="utf-8") for name in MODULE_FILES}


def saved_prompt_versions(records: list[Any]) -> dict[str, int]:
    """Each prompt's version as the last saved iteration that recorded it left it."""
    versions: dict[str, int] = {}
    for record in records:
        for item in record.prompt_versions:
            versions[item.name] = item.version
    return versions


def rewind(parts: RunParts, done: list[IterationResult], records: list[Any]) -> None:
    """Undo what a cut-off iteration kept: modules, prompts, lineage and the round count."""
    workspace, prompts, agent = parts.workspace, parts.prompts, parts.agent
    wanted = saved_sources(workspace, done, agent.outcomes)
    if wanted is not None and workspace.sources() != wanted:
        logger.info("resume: workspace modules rewound to the last saved iteration")
        workspace.restore(wanted)
    versions = saved_prompt_versions(records)
    for name in prompts.names():
        version = versions.get(name, 1)
        by_version = {v.version: v.template for v in prompts.versions(name)}
        if prompts.get(name)[0] != by_version.get(version):
            logger.info("resume: prompt %s rewound to v%d", name, version)
            prompts.rollback(name, version)
    agent.forget({p.id for item in done for p in item.patches})
    # Every improvement round leaves at least one patch in its iteration (a rollback alone
    # is no round: it undoes kept code that failed in the run's worker).
    agent.rounds = sum(1 for item in done if any(p.op != ROLLBACK for p in item.patches))

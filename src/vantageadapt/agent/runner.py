"""One run's workers: one for the kept modules, a fresh one per candidate, one kept warm.

A worker binds an empty *slot* folder read-only when it starts, imports the trusted package
code, and waits; the modules are copied into its slot only when it is taken (for the kept
modules or a candidate). So a spare can start while the run does other work (the run starts
one as it begins when a round may come, the agent one as each round begins, before it
re-scores the parent, each candidate the next one's while a later round may come): the run
waits for a worker's start-up about once, and starts none only to close it.

While the workspace holds exactly the package's own shipped template, its hooks run in this
process (`TemplateHooks`: the same code as the package's, trusted like it), so a run whose
patches were all rejected starts a worker only per candidate. Where bubblewrap cannot start,
the kept modules must be that template and code patches are off; prompt changes go on.
"""

from __future__ import annotations

import functools
import logging
import shutil
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

from vantageadapt.agent.hooks import TemplateHooks, WorkspaceHooks
from vantageadapt.agent.sandbox import SandboxLimits, SandboxStatus, probe_sandbox
from vantageadapt.agent.worker import Worker
from vantageadapt.agent.workspace import MODULE_FILES, Workspace, template_sources, version_of
from vantageadapt.errors import SandboxError

logger = logging.getLogger(__name__)


@functools.cache
def _template() -> dict[str, str]:
    """The shipped template's sources (read once per process)."""
    return template_sources()


class WorkspaceRunner:
    """Starts, reuses and replaces the workers that run a workspace's code."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        limits: SandboxLimits = SandboxLimits(),
        status: SandboxStatus | None = None,
    ) -> None:
        self.workspace = workspace
        self.limits = limits
        self.status = status if status is not None else probe_sandbox()
        self.slots_dir = workspace.root / "slots"
        self._spare: Worker | None = None
        self._hooks: WorkspaceHooks | None = None
        self._warned = False
        self.started_workers = 0
        # Whether taking a candidate's worker starts the next candidate's; the caller turns
        # it off when no later round can come, so no worker is started only to be closed.
        self.prestart = True

    @property
    def isolated(self) -> bool:
        """Whether workspace code runs in bubblewrap here (and code patches are on)."""
        return self.status.ok

    def code_patches_off(self) -> str | None:
        """Why code patches cannot run here (warned about once), or None when they can."""
        if self.isolated:
            return None
        if not self._warned:
            logger.warning(
                "code patches are off: %s (see `vantage doctor`); prompt changes go on",
                self.status.reason,
            )
            self._warned = True
        return f"code patches are off: {self.status.reason}"

    # --- workers ------------------------------------------------------------------------------
    def start(self) -> None:
        """Start a spare worker now, so its start-up overlaps other work."""
        if self._spare is not None and not self._spare.alive:
            self._spare.close()  # died while waiting: drop it and its slot
            self._spare = None
        if self.isolated and self._spare is None:
            slot = self.slots_dir / uuid.uuid4().hex
            slot.mkdir(parents=True)
            self.started_workers += 1
            self._spare = Worker(slot, bwrap=self.status.bwrap, limits=self.limits)

    def _take(self, sources: Mapping[str, str], *, deadline: float | None) -> WorkspaceHooks:
        """The spare worker (started now if there is none), given `sources` to load."""
        self.start()
        worker, self._spare = self._spare, None
        assert worker is not None and worker.slot is not None
        for name in MODULE_FILES:
            (worker.slot / name).write_text(sources[name], encoding="utf-8")
        worker.deadline = deadline
        try:
            return WorkspaceHooks(worker, expected_version=version_of(sources))
        except BaseException:
            worker.close()
            raise

    def _refuse_kept_code(self, sources: Mapping[str, str]) -> None:
        """Without bubblewrap only the shipped template can run: say which modules differ."""
        changed = sorted(n for n, text in _template().items() if sources[n] != text)
        raise SandboxError(
            f"this run's workspace holds kept code patches ({', '.join(changed)}); they run "
            f"only inside bubblewrap, which cannot start here: {self.status.reason}; "
            "see `vantage doctor`"
        )

    # --- API ----------------------------------------------------------------------------------
    def current(self) -> WorkspaceHooks | TemplateHooks:
        """Hooks for the kept modules: the package's own template run here while the workspace
        holds exactly it (the same, trusted code), else the run's worker (replaced when they
        changed). A kept patch always runs in a worker."""
        sources = self.workspace.sources()
        hooks = self._hooks
        if sources == _template():
            if not isinstance(hooks, TemplateHooks):
                if hooks is not None:
                    hooks.close()
                self._hooks = TemplateHooks()
            assert self._hooks is not None
            return self._hooks
        if (
            isinstance(hooks, WorkspaceHooks)
            and hooks.version == version_of(sources)
            and hooks.worker.alive
        ):
            return hooks
        if hooks is not None:
            hooks.close()
            self._hooks = None
        if not self.isolated:
            self._refuse_kept_code(sources)
        self._hooks = self._take(sources, deadline=None)
        return self._hooks

    def runs_kept_code(self) -> bool:
        """Whether the kept modules differ from the shipped template (so run in a worker)."""
        return self.workspace.sources() != _template()

    def candidate(self, folder: Path) -> WorkspaceHooks:
        """A fresh worker for a staged candidate, limited to `limits.timeout_s` of wall time."""
        if not self.isolated:
            raise SandboxError(self.code_patches_off() or "code patches are off")
        sources = {name: (folder / name).read_text(encoding="utf-8") for name in MODULE_FILES}
        hooks = self._take(sources, deadline=time.monotonic() + self.limits.timeout_s)
        # The next candidate's worker starts (and warms up) while this one is evaluated, which
        # takes longer than a start-up; the round's own start() then finds it ready.
        if self.prestart:
            self.start()
        return hooks

    def adopt(self, candidate: WorkspaceHooks) -> None:
        """A kept candidate's worker becomes the run's worker: it holds the kept modules now."""
        if self._hooks is not None:
            self._hooks.close()
        assert candidate.worker is not None
        candidate.worker.deadline = None
        self._hooks = candidate

    def __enter__(self) -> WorkspaceRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End every worker of the run and remove their slots."""
        for worker in (self._spare, self._hooks.worker if self._hooks else None):
            if worker is not None:
                worker.close()
        self._spare, self._hooks = None, None
        shutil.rmtree(self.slots_dir, ignore_errors=True)

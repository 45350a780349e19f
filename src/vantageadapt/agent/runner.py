"""One run's workers: the long-lived one for the kept modules, a fresh one per candidate.

Where bubblewrap cannot start, the kept modules must be the package's own template (trusted
code, served by a plain child process) and code patches are off; prompt changes go on.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from vantageadapt.agent.hooks import WorkspaceHooks
from vantageadapt.agent.sandbox import SandboxLimits, SandboxStatus, probe_sandbox
from vantageadapt.agent.worker import Worker
from vantageadapt.agent.workspace import MODULE_FILES, Workspace, template_sources, version_of
from vantageadapt.errors import SandboxError

logger = logging.getLogger(__name__)


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
        self._pending: Worker | None = None
        self._hooks: WorkspaceHooks | None = None
        self._warned = False
        self.started_workers = 0
        self.startup_seconds = 0.0

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

    def _spawn(self, folder: Path | None, *, cpu_s: int | None = None, deadline=None) -> Worker:
        self.started_workers += 1
        return Worker(
            folder,
            bwrap=self.status.bwrap if self.isolated else None,
            limits=self.limits,
            cpu_s=cpu_s,
            deadline=deadline,
        )

    def start(self) -> None:
        """Start the run's worker now, so its start-up overlaps other work."""
        if self._hooks is None and self._pending is None:
            self._pending = self._spawn(self._folder())

    def _folder(self) -> Path | None:
        if self.isolated:
            return self.workspace.modules_dir
        sources = self.workspace.sources()
        if sources != template_sources():
            changed = sorted(n for n, text in template_sources().items() if sources[n] != text)
            raise SandboxError(
                f"this run's workspace holds kept code patches ({', '.join(changed)}); they run "
                f"only inside bubblewrap, which cannot start here: {self.status.reason}; "
                "see `vantage doctor`"
            )
        return None

    def current(self) -> WorkspaceHooks:
        """Hooks for the kept modules, from the run's worker (restarted when they changed)."""
        version = version_of(self.workspace.sources())
        hooks = self._hooks
        if hooks is not None and hooks.version == version and hooks.worker.alive:
            return hooks
        if hooks is not None:
            hooks.close()
            self._hooks = None
        worker, self._pending = self._pending, None
        if worker is None or not worker.alive:
            worker = self._spawn(self._folder())
        began = time.monotonic()
        try:
            self._hooks = WorkspaceHooks(worker, expected_version=version)
        except BaseException:
            worker.close()
            raise
        self.startup_seconds += time.monotonic() - began
        return self._hooks

    def candidate(self, folder: Path) -> WorkspaceHooks:
        """A fresh worker for a staged candidate, limited to `limits.timeout_s` of wall time."""
        if not self.isolated:
            raise SandboxError(self.code_patches_off() or "code patches are off")
        deadline = time.monotonic() + self.limits.timeout_s
        worker = self._spawn(folder, cpu_s=self.limits.cpu_s, deadline=deadline)
        try:
            return WorkspaceHooks(worker, expected_version=version_of(_sources(folder)))
        except BaseException:
            worker.close()
            raise

    def renew(self) -> None:
        """The kept modules changed: end the run's worker and start one for the new version."""
        if self._hooks is not None:
            self._hooks.close()
            self._hooks = None
        self.start()

    def __enter__(self) -> WorkspaceRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End every worker of the run."""
        for worker in (self._pending, self._hooks.worker if self._hooks else None):
            if worker is not None:
                worker.close()
        self._pending, self._hooks = None, None


def _sources(folder: Path) -> dict[str, str]:
    return {name: (folder / name).read_text(encoding="utf-8") for name in MODULE_FILES}

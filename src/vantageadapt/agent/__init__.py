"""The agent part: the strategist's trader, the Gödel agent, patch operations and the sandbox."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vantageadapt.agent.godel import GodelAgent, PatchOutcome
from vantageadapt.agent.hooks import WorkspaceHooks
from vantageadapt.agent.runner import WorkspaceRunner
from vantageadapt.agent.sandbox import SandboxLimits, probe_sandbox
from vantageadapt.agent.worker import WorkerError
from vantageadapt.agent.workspace import MODULE_FILES, Workspace

if TYPE_CHECKING:
    from vantageadapt.agent.strategic_trader import StrategicTrader

__all__ = [
    "MODULE_FILES",
    "GodelAgent",
    "PatchOutcome",
    "SandboxLimits",
    "StrategicTrader",
    "WorkerError",
    "Workspace",
    "WorkspaceHooks",
    "WorkspaceRunner",
    "probe_sandbox",
]


def __getattr__(name: str) -> Any:
    """StrategicTrader lives in the strategist's module; import it on first use."""
    if name == "StrategicTrader":
        from vantageadapt.agent.strategic_trader import StrategicTrader

        return StrategicTrader
    raise AttributeError(f"module 'vantageadapt.agent' has no attribute {name!r}")

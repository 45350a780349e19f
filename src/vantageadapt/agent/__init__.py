"""The agent part: the strategist's trader, the Gödel agent, patch operations and the sandbox.

Names are imported on first use, so the worker (`vantageadapt.agent.worker_main`) loads only
what it serves, not the Gödel agent or the numba backtester (start-up time per worker).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vantageadapt.lazy import lazy_exports

if TYPE_CHECKING:
    from vantageadapt.agent.godel import GodelAgent
    from vantageadapt.agent.hooks import WorkspaceHooks
    from vantageadapt.agent.runner import WorkspaceRunner
    from vantageadapt.agent.sandbox import SandboxLimits, probe_sandbox
    from vantageadapt.agent.strategic_trader import StrategicTrader
    from vantageadapt.agent.worker import WorkerError
    from vantageadapt.agent.workspace import MODULE_FILES, Workspace

_WHERE = {
    "MODULE_FILES": "workspace",
    "GodelAgent": "godel",
    "SandboxLimits": "sandbox",
    "StrategicTrader": "strategic_trader",
    "WorkerError": "worker",
    "Workspace": "workspace",
    "WorkspaceHooks": "hooks",
    "WorkspaceRunner": "runner",
    "probe_sandbox": "sandbox",
}

__all__ = [
    "MODULE_FILES",
    "GodelAgent",
    "SandboxLimits",
    "StrategicTrader",
    "WorkerError",
    "Workspace",
    "WorkspaceHooks",
    "WorkspaceRunner",
    "probe_sandbox",
]


__getattr__ = lazy_exports(__name__, {name: f".{module}" for name, module in _WHERE.items()})

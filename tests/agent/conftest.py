"""Agent test helpers: a run workspace and a scripted strategist (no LLM, no network)."""

from __future__ import annotations

import hashlib
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest

import vantageadapt
from vantageadapt.agent import GodelAgent, Workspace
from vantageadapt.agent.worker_main import import_modules
from vantageadapt.models import CodePatch, ImprovementContext, MarketRegime, PromptChange


class ScriptedStrategist:
    """Answers propose_patch / propose_prompt_change from fixed lists, in order."""

    def __init__(self, patches=(), prompt_changes=()):
        self.patches = list(patches)
        self.prompt_changes = list(prompt_changes)
        self.contexts: list[ImprovementContext] = []

    async def propose_patch(self, ctx: ImprovementContext) -> CodePatch:
        self.contexts.append(ctx)
        return self.patches.pop(0)

    async def propose_prompt_change(self, ctx: ImprovementContext) -> PromptChange:
        return self.prompt_changes.pop(0)


def make_context(**overrides) -> ImprovementContext:
    """An improvement context like the pipeline builds after a short-falling iteration."""
    values = {
        "theme": "breakout trading",
        "regime": MarketRegime.BREAKOUT,
        "in_sample": {"sortino_ratio": 2.5, "total_trades": 40.0, "max_drawdown": 0.2},
        "out_of_sample": {"sortino_ratio": 0.8, "total_trades": 12.0, "max_drawdown": 0.15},
        "unmet": ["total_trades 12 < 100", "sortino_ratio 0.8 < 2.0"],
        "parameters": {"take_profit": 0.3, "stop_loss": 0.05},
        "parameters_at_edge": {"take_profit": "high"},
    }
    values.update(overrides)
    return ImprovementContext(**values)


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    return Workspace.create(tmp_path / "run")


PACKAGE = Path(vantageadapt.__file__).resolve().parent
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_recorders: list[list[str]] = []


def _record_writes(event: str, args: tuple) -> None:
    if event != "open" or not _recorders or isinstance(args[0], int):
        return
    mode, flags = args[1], args[2]
    writing = bool(mode and any(c in str(mode) for c in "wax+")) or bool(flags & _WRITE_FLAGS)
    path = os.path.realpath(os.fsdecode(args[0]))
    if writing and path.startswith(str(PACKAGE)) and "__pycache__" not in path:
        for found in _recorders:
            found.append(path)


sys.addaudithook(_record_writes)


def _hashes(*folders: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for folder in folders
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@contextmanager
def package_untouched():
    """Assert the installed package is never written: no write opens, same bytes after.

    Other engineers edit other parts of the tree while the suite runs, so the byte check covers
    the folders the agent could reach (its own part and the prompt templates); the audit-hook
    check covers every file of the package for this process.
    """
    folders = (PACKAGE / "agent", PACKAGE / "prompts")
    before = _hashes(*folders)
    writes: list[str] = []
    _recorders.append(writes)
    try:
        yield
    finally:
        _recorders.remove(writes)
    assert writes == []
    assert _hashes(*folders) == before


@pytest.fixture
def agents():
    """Build GodelAgents whose workers are ended after the test."""
    made: list[GodelAgent] = []

    def make(*args, **kwargs) -> GodelAgent:
        agent = GodelAgent(*args, **kwargs)
        made.append(agent)
        return agent

    yield make
    for agent in made:
        agent.runner.close()


def import_folder(folder: Path) -> dict[str, ModuleType]:
    """Import workspace modules into the test process (our own modules, for fast checks)."""
    return import_modules(folder)[0]


def write_modules(folder: Path, sources: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in sources.items():
        (folder / name).write_text(source)
    return folder

"""Agent test helpers: a run workspace and a scripted strategist (no LLM, no network)."""

from __future__ import annotations

import pytest

from vantageadapt.agent import Workspace
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

"""Kept code patches that misbehave only later, in the run's own worker.

Each patch passes its contract tests and its evaluation (a confident market read), and is
kept; the next iteration's market read is unsure, and then its code raises, answers garbage,
hangs or kills its worker. Each time the run rolls the workspace back, records the rollback
as a rejected patch (stored, shown to the model, failure scrubbed), starts a fresh worker,
does the iteration again, and in the end finishes every iteration.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.escapes import FAKE_KEY
from helpers.fake_openai import (
    MARKET_CONTEXT,
    TRADING_RULES,
    FakeLLMServer,
    forced_tool,
    strategist_responder,
    tool_reply,
)
from vantageadapt.agent import code_round
from vantageadapt.agent.workspace import template_sources
from vantageadapt.pipeline import run_pipeline
from vantageadapt.settings import load_settings

from .pipeline_support import UNREACHABLE

# Trend rules while the market read is confident (the evaluation's), `{act}` when it is not.
_BOMB = '''def compose_rules(insight: Any, context: Any, theme: str) -> dict[str, Any] | None:
    """Trend rules for a confident market read."""
    if context.confidence < 0.5:
        {act}
    return {{
        "conditions": {{"entry": ["price > ma_20"], "exit": ["price < ma_20"]}},
        "parameters": {{"take_profit": 0.05, "stop_loss": 0.1, "order_size": 0.2}},
    }}
'''
# (what the kept code does for an unsure market, what the rollback's reason then says)
MISBEHAVIOURS = [
    ('raise ValueError("no rules for an unsure market")', "ValueError"),
    ("while True:\n            pass", "timed out"),
    (
        'return {"conditions": {"entry": ["price > nonsense_7"], "exit": ["price < ma_5"]}, '
        '"parameters": {}}',
        "nonsense",
    ),
    ("import os\n        os._exit(3)", "exited"),
]
# Rules that never trade: the bomb's trend rules beat them clearly on a rising market.
_IDLE_RULES = {
    "conditions": {"entry": ["price < low_50 * 0.5"], "exit": ["price > high_50 * 2"]},
    "parameters": {k: v for k, v in TRADING_RULES["parameters"].items() if k != "ma_window"},
}


def _rising_market(path: Path) -> Path:
    rng = np.random.default_rng(11)
    tables = []
    for n in range(3):
        rows = 3_000
        price = 100.0 * np.exp(np.cumsum(rng.normal(0.0008, 0.004, rows)))
        tables.append(
            pd.DataFrame(
                {
                    "symbol": f"UP{n}",
                    "timestamp": pd.date_range("2024-01-01", periods=rows, freq="min", tz="UTC"),
                    "price": price,
                    "volume": rng.lognormal(3.0, 0.5, rows),
                }
            )
        )
    pd.concat(tables).to_csv(path, index=False)
    return path


def _responder():
    """Market reads alternate confident / unsure; each confident iteration gets the next bomb."""
    reads, proposals = [], []

    def respond(body):
        name = forced_tool(body)
        if name == "report_market_context":
            reads.append(body)
            return tool_reply({**MARKET_CONTEXT, "confidence": 0.9 if len(reads) % 2 else 0.2})
        if name == "report_trading_rules":
            return tool_reply(_IDLE_RULES)
        if name == "propose_code_patch":
            proposals.append(body)
            if len(proposals) <= len(MISBEHAVIOURS):
                code = _BOMB.format(act=MISBEHAVIOURS[len(proposals) - 1][0])
                patch = {"target": "strategy_generator.py", "op": "modify_code", "code": code}
                return tool_reply({**patch, "name": "compose_rules", "reason": "trend rules"})
        return strategist_responder(body)

    return respond, proposals


def _stored_patches(run_id: str):
    from vantageadapt.store import DatabaseConnection

    async def read():
        async with DatabaseConnection(os.environ["VANTAGE_DATABASE_URL"]) as db:
            return await db.list_patches(run_id=run_id)

    return asyncio.run(read())


def test_kept_code_failing_later_is_rolled_back_and_the_run_finishes(tmp_path, monkeypatch):
    # The ast filter would stop `import os`: the crash shows what the worker's end does.
    monkeypatch.setattr(code_round, "check_source", lambda *args, **kwargs: None)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    respond, proposals = _responder()
    iterations = len(MISBEHAVIOURS) + 1
    with FakeLLMServer(respond) as server:
        flags = {
            "theme": "breakout trading",
            "iterations": iterations,
            "seed": 3,
            "thresholds": UNREACHABLE,
            "data": {"path": _rising_market(tmp_path / "rising.csv")},
            "optimize": {"trials": 4, "eval_trials": 2, "subset_size": 2, "hypotheses": 1},
            "agent": {"improvement_threshold": 0.0, "candidate_timeout": 20},
            "llm": {"provider": "openai", "model": "gpt-4o-mini", "base_url": server.base_url},
        }
        result = run_pipeline(load_settings(flags, dotenv=None))

    assert result.status == "finished"
    assert [it.index for it in result.iterations] == list(range(1, iterations + 1))
    stored = {p.id for p in _stored_patches(result.run_id)}
    for n, (_, says) in enumerate(MISBEHAVIOURS):
        [kept] = [p for p in result.iterations[n].patches if p.status == "kept"]
        assert kept.kind == "code" and kept.target == "strategy_generator.py", kept.reason
        rollback = result.iterations[n + 1].patches[0]
        assert (rollback.op, rollback.status) == ("rollback", "rejected")
        assert rollback.parent_id == kept.id and rollback.id in stored
        assert says in rollback.reason, rollback.reason
        assert "rolled back to the shipped template" in rollback.reason
        assert FAKE_KEY not in rollback.reason
        # The iteration was done again with the template: the strategist's rules stand.
        assert result.iterations[n + 1].rules["conditions"] == _IDLE_RULES["conditions"]
        if n + 1 < len(proposals):  # the next proposal's history shows the model what happened
            assert f"worker at iteration {n + 2}: " in json.dumps(proposals[n + 1])
    modules = Path(os.environ["VANTAGE_HOME"]) / "runs" / result.run_id / "workspace" / "modules"
    assert {p.name: p.read_text() for p in modules.glob("*.py")} == template_sources()


def test_resume_rewinds_to_the_patches_still_standing(tmp_path):
    from vantageadapt.agent import Workspace
    from vantageadapt.pipeline.rewind import saved_sources
    from vantageadapt.results import IterationResult, PatchRecord

    workspace = Workspace.create(tmp_path / "run")
    kept = PatchRecord(id="a" * 32, target="scoring.py", op="modify_code", status="kept", reason="")
    undo = PatchRecord(
        id="b" * 32,
        target="scoring.py",
        op="rollback",
        status="rejected",
        reason="failed in the run's worker",
        parent_id=kept.id,
    )
    folder = workspace.stage(kept.id, "scoring.py", "TRADE_PENALTY = 9.0\n")

    def iteration(index: int, patches: list) -> IterationResult:
        return IterationResult(
            index=index, regime="UNKNOWN", rules={}, parameters={}, in_sample={},
            out_of_sample={}, score=0.0, validation_score=0.0, patches=patches,
        )  # fmt: skip

    staged = {p.name: p.read_text() for p in folder.glob("*.py")}
    assert saved_sources(workspace, [iteration(1, [kept])], []) == staged
    done = [iteration(1, [kept]), iteration(2, [undo])]
    assert saved_sources(workspace, done, []) == template_sources()

"""One patch record from the agent to the database: every field, stage and time included,
comes back as the agent built it (through the run's results, the store and resume)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from vantageadapt.cli import app
from vantageadapt.pipeline import persist
from vantageadapt.results import IterationResult, PatchRecord
from vantageadapt.settings import RunSettings
from vantageadapt.store import DatabaseConnection

from .builders import run_record

WHEN = datetime(2026, 3, 4, 5, 6, 7, 890_000, tzinfo=UTC)


def _agent_patches() -> list[PatchRecord]:
    """What the Gödel agent records: a kept code patch and a prompt change rejected in the
    sandbox stage, each with its lineage, scores and the time its round began."""
    kept = PatchRecord(
        id="k" * 32,
        parent_id=None,
        kind="code",
        target="scoring.py",
        op="modify_code",
        status="kept",
        stage="accept",
        reason="[offline:weight:TRADE_PENALTY:4.0] -> kept",
        diff="--- a/scoring.py\n+++ b/scoring.py\n",
        score_before=0.25,
        score_after=0.5,
        iteration=1,
        created_at=WHEN,
    )
    rejected = kept.model_copy(
        update={
            "id": "r" * 32,
            "parent_id": kept.id,
            "kind": "prompt",
            "target": "rules/generate",
            "op": "update_prompt",
            "status": "rejected",
            "stage": "sandbox",
            "reason": "-> rejected at sandbox: contract failed",
            "score_after": None,
            "created_at": WHEN.replace(second=9),
        }
    )
    return [kept, rejected]


def _iteration(patches: list[PatchRecord]) -> IterationResult:
    metrics = {"total_return": 0.1, "sortino_ratio": 1.0, "win_rate": 0.5, "total_trades": 12}
    return IterationResult(
        index=1,
        regime="BREAKOUT",
        rules={
            "conditions": {"entry": ["price > high_20"], "exit": ["price < ma_20"]},
            "parameters": {"take_profit": 0.1, "stop_loss": 0.05},
        },
        parameters={"take_profit": 0.1, "stop_loss": 0.05},
        in_sample=metrics,
        out_of_sample=metrics,
        score=0.3,
        validation_score=0.4,
        patches=patches,
    )


async def test_a_patch_keeps_every_field_from_agent_to_database_and_back(db_url):
    patches = _agent_patches()
    record = persist.iteration_record(
        _iteration(patches), [], RunSettings(theme="breakout trading"), []
    )
    assert record.patches == patches  # the agent's records, not copies with fields dropped
    async with DatabaseConnection(db_url) as db:
        run = run_record()
        await db.save_run(run)
        await db.save_iteration(run.id, record)
        state = await db.resume_state(run.id)
        listed = await db.list_patches(run_id=run.id)
    stored = [p.model_copy(update={"run_id": None}) for p in listed]
    assert stored == patches
    assert [p.stage for p in listed] == ["accept", "sandbox"]
    assert [p.created_at for p in listed] == [WHEN, WHEN.replace(second=9)]
    assert persist.iteration_result(state.iterations[0]).patches == listed


@pytest.fixture
async def stored_patches(sqlite_url, monkeypatch):
    monkeypatch.setenv("VANTAGE_DATABASE_URL", sqlite_url)
    record = persist.iteration_record(
        _iteration(_agent_patches()), [], RunSettings(theme="breakout trading"), []
    )
    async with DatabaseConnection(sqlite_url) as db:
        run = run_record()
        await db.save_run(run)
        await db.save_iteration(run.id, record)
    return run.id


def test_patches_list_shows_stage_and_time(stored_patches):
    runner = CliRunner()
    table = runner.invoke(app, ["patches", "list"])
    assert table.exit_code == 0, table.output
    assert "stage" in table.stdout and "created (UTC)" in table.stdout
    rows = [line for line in table.stdout.splitlines() if "kkkkkkkkkkkk" in line]
    assert len(rows) == 1 and "2026-03-04 05:06:07" in rows[0] and "accept" in rows[0]
    rows = [line for line in table.stdout.splitlines() if "rrrrrrrrrrrr" in line]
    assert len(rows) == 1 and "2026-03-04 05:06:09" in rows[0] and "sandbox" in rows[0]
    listed = json.loads(runner.invoke(app, ["patches", "list", "--json"]).stdout)["patches"]
    assert [(p["stage"], p["created_at"]) for p in listed] == [
        ("accept", "2026-03-04T05:06:07.890000Z"),
        ("sandbox", "2026-03-04T05:06:09.890000Z"),
    ]
    shown = runner.invoke(app, ["patches", "show", "r" * 8]).stdout
    assert "stage:   sandbox" in shown and "created: 2026-03-04 05:06:09 UTC" in shown

"""`vantage patches list|show|export` read the store; the export applies to a checkout."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

import vantageadapt
from helpers.store_db import DatabaseForTests
from vantageadapt.agent.patch_ops import apply_patch, unified_diff
from vantageadapt.agent.workspace import template_sources
from vantageadapt.cli import app
from vantageadapt.models import CodePatch, PatchOp
from vantageadapt.store import PatchRecord, RunRecord

runner = CliRunner()


def _record(target, name, code, status, **kw) -> PatchRecord:
    before = template_sources()[target]
    after = apply_patch(
        before, CodePatch(target=target, op=PatchOp.modify_code, name=name, code=code, reason="r")
    )
    return PatchRecord(
        target=target,
        op="modify_code",
        status=status,
        reason=f"{name} {status}",
        diff=unified_diff(before, after, target),
        score_before=0.5,
        score_after=0.7,
        **kw,
    )


@pytest.fixture
async def stored():
    run = RunRecord(
        theme="breakout trading", provider="offline", data_path="d.pkl", data_fingerprint="f" * 64
    )
    kept = _record("scoring.py", "TRADE_PENALTY", "TRADE_PENALTY = 4.0", "kept")
    rejected = _record(
        "scoring.py", "DECAY_PENALTY", "DECAY_PENALTY = 1.0", "rejected", parent_id=kept.id
    )
    widened = _record(
        "search_space.py",
        "WIDEN",
        "WIDEN: dict[str, tuple[float, float]] = {'take_profit': (1.0, 1.5)}",
        "kept",
        parent_id=kept.id,
    )
    async with DatabaseForTests() as db:
        await db.save_run(run)
        for item in (kept, rejected, widened):
            await db.save_patch(run.id, item)
    return run.id, kept, rejected, widened


def test_list_shows_kept_and_rejected(stored):
    run_id, kept, rejected, widened = stored
    result = runner.invoke(app, ["patches", "list", "--json"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)["patches"]
    assert [p["id"] for p in items] == [kept.id, rejected.id, widened.id]
    assert [p["status"] for p in items] == ["kept", "rejected", "kept"]
    assert all(p["run_id"] == run_id for p in items)
    only = json.loads(
        runner.invoke(app, ["patches", "list", "--status", "rejected", "--json"]).stdout
    )
    assert [p["id"] for p in only["patches"]] == [rejected.id]
    table = runner.invoke(app, ["patches", "list"])
    assert table.exit_code == 0 and "3 patches (2 kept)" in table.stdout


def test_show_by_prefix_with_diff(stored):
    _, _, rejected, _ = stored
    result = runner.invoke(app, ["patches", "show", rejected.id[:10], "--diff"])
    assert result.exit_code == 0, result.output
    assert rejected.id in result.stdout and "DECAY_PENALTY = 1.0" in result.stdout
    assert "0.5 -> 0.7" in result.stdout
    data = json.loads(runner.invoke(app, ["patches", "show", rejected.id, "--json"]).stdout)
    assert data["parent_id"] == stored[1].id and data["diff"] == rejected.diff


def test_show_unknown_id_is_a_clear_error(stored):
    result = runner.invoke(app, ["patches", "show", "nope"])
    assert result.exit_code != 0
    assert "not found" in str(result.exception)


def test_export_applies_to_a_checkout(stored, tmp_path):
    run_id, *_ = stored
    result = runner.invoke(app, ["patches", "export", run_id, "--out", str(tmp_path / "run.patch")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "run.patch").read_text()
    assert "DECAY_PENALTY = 1.0" not in text  # rejected patches are not exported
    checkout = tmp_path / "checkout"
    home = checkout / "src/vantageadapt/agent/workspace_template"
    shutil.copytree(
        Path(vantageadapt.__file__).parent / "agent/workspace_template",
        home,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    subprocess.run(["git", "apply", str(tmp_path / "run.patch")], cwd=checkout, check=True)
    assert "TRADE_PENALTY = 4.0" in (home / "scoring.py").read_text()
    assert "'take_profit': (1.0, 1.5)" in (home / "search_space.py").read_text()


def test_export_of_unknown_run_fails(stored):
    result = runner.invoke(app, ["patches", "export", "missing-run"])
    assert result.exit_code != 0 and "not found" in str(result.exception)


def test_export_leaves_out_a_kept_patch_that_was_rolled_back(stored):
    run_id, _, _, widened = stored
    undo = PatchRecord(
        target=widened.target,
        op="rollback",
        status="rejected",
        reason="failed in the run's worker; rolled back",
        parent_id=widened.id,
    )

    async def save() -> None:
        async with DatabaseForTests() as db:
            await db.save_patch(run_id, undo)

    asyncio.run(save())
    result = runner.invoke(app, ["patches", "export", run_id])
    assert result.exit_code == 0, result.output
    assert "TRADE_PENALTY = 4.0" in result.stdout and "1 kept patch(es)" in result.stdout
    assert "'take_profit': (1.0, 1.5)" not in result.stdout

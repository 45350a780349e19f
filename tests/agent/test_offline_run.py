"""Done-when: a 5-iteration offline run on sample data keeps a patch, rejects one, records all."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest
from typer.testing import CliRunner

from vantageadapt.cli import app
from vantageadapt.data import write_sample_data
from vantageadapt.store import DatabaseConnection

from .conftest import package_untouched


async def _stored(run_id: str):
    async with DatabaseConnection() as db:
        return await db.list_patches(run_id=run_id)


@pytest.mark.slow
def test_offline_five_iteration_run_keeps_and_rejects(tmp_path):
    data = tmp_path / "sample.pkl"
    write_sample_data(data, assets=4, rows=20_000, seed=0)
    args = ["run", "--theme", "breakout trading", "--data", str(data), "--iterations", "5"]
    loaded = set(sys.modules)
    with package_untouched():
        result = CliRunner().invoke(app, [*args, "--json"])
    # Workspace code ran only in the run's workers: this process imported none of it.
    assert not [m for m in set(sys.modules) - loaded if m.startswith("vantage_workspace")]
    assert result.exit_code in (0, 1), result.output
    run = json.loads(result.stdout)
    patches = [p for it in run["iterations"] for p in it["patches"]]
    kept = [p for p in patches if p["status"] == "kept"]
    assert kept and any(p["status"] == "rejected" for p in patches)

    stored = {p.id: p for p in asyncio.run(_stored(run["run_id"]))}
    assert set(stored) == {p["id"] for p in patches}  # every patch recorded, kept or not
    for patch in kept:
        record = stored[patch["id"]]
        assert record.score_after >= record.score_before + 0.1  # the fixed evaluator said so
        assert record.diff.startswith(f"--- a/{record.target}")
    first_kept = min(
        it["index"] for it in run["iterations"] for p in it["patches"] if p["status"] == "kept"
    )
    later = [it for it in run["iterations"] if it["index"] > first_kept]
    if any(stored[p["id"]].target == "strategy_generator.py" for p in kept):
        # The kept strategy generator composes the rules of every later iteration.
        assert later and all(it["rules"] != run["iterations"][0]["rules"] for it in later)

"""Several runs writing to one database at once do not interfere."""

from __future__ import annotations

import asyncio

from helpers.store_db import DatabaseForTests
from vantageadapt.store import DatabaseConnection

from .builders import iteration_record, run_record

RUNS = 4
ITERATIONS = 5


async def _one_run(url: str, number: int) -> str:
    # Each run has its own connection pool, as separate `vantage run` processes would; all
    # four open a fresh database at once, so they also race to create the schema.
    async with DatabaseConnection(url) as db:
        run = run_record(theme=f"theme {number}")
        await db.save_run(run)
        for index in range(1, ITERATIONS + 1):
            record = iteration_record(
                index,
                theme=f"theme {number}",
                sortino_out=number + index / 10,
                patch_ids=(f"run{number}-it{index}",),
            )
            await db.save_iteration(run.id, record)
            await asyncio.sleep(0)
        await db.finish_run(
            run.id,
            met=False,
            best_iteration=ITERATIONS,
            test_metrics={"sortino_ratio": float(number)},
        )
        return run.id


async def _check(url: str) -> None:
    run_ids = await asyncio.gather(*(_one_run(url, n) for n in range(RUNS)))
    assert len(set(run_ids)) == RUNS
    async with DatabaseForTests(url) as db:
        for number, run_id in enumerate(run_ids):
            run = await db.get_run(run_id)
            assert (run.theme, run.status, run.test_metrics["sortino_ratio"]) == (
                f"theme {number}",
                "finished",
                float(number),
            )
            iterations = await db.list_iterations(run_id)
            assert [it.index for it in iterations] == list(range(1, ITERATIONS + 1))
            for it in iterations:
                assert it.strategy.theme == f"theme {number}"
                assert it.strategy.run_id == run_id
                assert (
                    it.strategy.aggregate("out_of_sample").sortino_ratio == number + it.index / 10
                )
                assert [p.id for p in it.patches] == [f"run{number}-it{it.index}"]
            assert len(await db.list_patches(run_id=run_id)) == ITERATIONS
        assert len(await db.list_strategies(limit=1_000)) == RUNS * ITERATIONS


async def test_four_runs_write_concurrently_to_postgres(postgres_url):
    await _check(postgres_url)


async def test_four_runs_write_concurrently_to_sqlite(sqlite_url):
    await _check(sqlite_url)

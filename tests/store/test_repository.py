"""The repository on SQLite and a real PostgreSQL: what is saved comes back, queries filter."""

from __future__ import annotations

from datetime import UTC

import pytest

from helpers.records import patch_record
from helpers.store_db import DatabaseForTests
from vantageadapt.errors import ConfigError
from vantageadapt.models import AggregateMetrics, LLMCall, MarketRegime
from vantageadapt.store import DatabaseConnection, PromptVersionRecord

from .builders import iteration_record, run_record


async def test_iteration_round_trip(db_url):
    async with DatabaseForTests(db_url) as db:
        run = run_record()
        assert await db.save_run(run) == run.id
        saved = iteration_record(1, patch_ids=("p-1",))
        iteration_id = await db.save_iteration(run.id, saved)
        [loaded] = await db.list_iterations(run.id)

    assert loaded.id == iteration_id
    assert loaded.model_dump(exclude={"id", "strategy", "patches"}) == saved.model_dump(
        exclude={"id", "strategy", "patches"}
    )
    assert loaded.strategy.model_dump(exclude={"id", "run_id", "iteration"}) == (
        saved.strategy.model_dump(exclude={"id", "run_id", "iteration"})
    )
    assert (loaded.strategy.run_id, loaded.strategy.iteration) == (run.id, 1)
    assert loaded.market_context.key_levels.resistance == 2.5
    assert (
        loaded.strategy.insight.regime_specific_rules[MarketRegime.BREAKOUT].take_profit_mult == 1.5
    )
    assert loaded.strategy.aggregate("in_sample").n_assets == 2
    assert loaded.strategy.aggregate("out_of_sample").sortino_ratio == 0.5
    assert loaded.created_at.tzinfo is not None
    [patch] = loaded.patches
    assert (patch.id, patch.run_id, patch.iteration, patch.status) == ("p-1", run.id, 1, "kept")
    assert loaded.llm_calls[0].response == {"conditions": {"entry": ["price > high_20"]}}


async def test_run_is_stored_and_finished_with_sealed_test(db_url):
    async with DatabaseConnection(db_url) as db:
        run = run_record()
        await db.save_run(run)
        await db.save_iteration(run.id, iteration_record(1))
        await db.save_iteration(run.id, iteration_record(2))
        started = await db.get_run(run.id)
        assert started.status == "running"
        assert started.settings == {"iterations": 3, "optimize": {"trials": 20}}
        assert started.started_at.tzinfo == UTC

        test = AggregateMetrics(total_return=0.05, sortino_ratio=1.1, total_trades=7, n_assets=2)
        for _ in range(2):  # a resumed run finishes a second time: rows replaced, not doubled
            await db.finish_run(
                run.id,
                met=False,
                best_iteration=2,
                unmet=["sortino_ratio 1.1 < 2.0"],
                test_metrics=test,
                test_per_asset={"AAA": {"total_return": 0.07}},
            )
        finished = await db.get_run(run.id)
        [best] = [s for s in await db.list_strategies() if s.iteration == 2]
        strategy = await db.get_strategy(best.id)

    assert (finished.status, finished.met, finished.best_iteration) == ("finished", False, 2)
    assert finished.unmet == ["sortino_ratio 1.1 < 2.0"]
    assert finished.test_metrics["sortino_ratio"] == 1.1
    assert finished.test_metrics["total_trades"] == 7
    assert finished.finished_at >= finished.started_at
    test_rows = {row.asset: row for row in strategy.performance if row.window == "test"}
    assert set(test_rows) == {None, "AAA"}
    assert test_rows[None].sortino_ratio == 1.1
    assert test_rows["AAA"].total_return == 0.07


async def test_resume_state_has_what_the_loop_needs(db_url):
    async with DatabaseForTests(db_url) as db:
        run = run_record()
        await db.save_run(run)
        assert await db.last_iteration(run.id) == 0
        for index, score in ((1, 0.1), (2, 0.9), (3, 0.4)):
            await db.save_iteration(
                run.id, iteration_record(index, validation_score=score, patch_ids=(f"p{index}",))
            )
        await db.finish_run(run.id, status="interrupted", message="ctrl-c")
        assert await db.last_iteration(run.id) == 3
        state = await db.resume_state(run.id)

    assert state.run.status == "interrupted"
    assert state.last_index == 3
    assert [item.index for item in state.iterations] == [1, 2, 3]
    assert state.best.index == 2
    assert [p.id for p in state.patches] == ["p1", "p2", "p3"]
    assert state.iterations[2].strategy.parameters["take_profit"] == pytest.approx(0.13)


async def test_unknown_run_is_a_clear_input_error(db_url):
    async with DatabaseConnection(db_url) as db:
        with pytest.raises(ConfigError, match="run nope not found"):
            await db.resume_state("nope")
        with pytest.raises(ConfigError, match="run nope not found"):
            await db.finish_run("nope")
        assert await db.get_run("nope") is None
        assert await db.get_strategy(12345) is None
        assert await db.get_patch("nope") is None


async def test_list_strategies_filters_and_orders(db_url):
    async with DatabaseConnection(db_url) as db:
        first, second = run_record("Breakout trading"), run_record("mean reversion")
        await db.save_run(first)
        await db.save_run(second)
        await db.save_iteration(
            first.id, iteration_record(1, theme="Breakout trading", sortino_out=2.5)
        )
        await db.save_iteration(
            first.id, iteration_record(2, theme="Breakout trading", sortino_out=0.7)
        )
        await db.save_iteration(
            second.id,
            iteration_record(1, theme="mean reversion", regime="RANGING_LOW_VOL", sortino_out=1.6),
        )
        everything = await db.list_strategies()
        by_theme = await db.list_strategies(theme="BREAKOUT")
        by_regime = await db.list_strategies(regime="RANGING_LOW_VOL")
        by_sortino = await db.list_strategies(min_sortino=1.5)
        combined = await db.list_strategies(theme="break", min_sortino=1.0)
        nothing = await db.list_strategies(theme="100%_sure")

    assert [s.out_of_sample_sortino for s in everything] == [2.5, 1.6, 0.7]
    assert {s.theme for s in by_theme} == {"Breakout trading"}
    assert [s.theme for s in by_regime] == ["mean reversion"]
    assert [s.out_of_sample_sortino for s in by_sortino] == [2.5, 1.6]
    assert [(s.run_id, s.iteration) for s in combined] == [(first.id, 1)]
    assert nothing == []
    top = everything[0]
    assert top.entry == ["price > high_20", "volume > volume_ma"]
    assert (top.in_sample_sortino, top.out_of_sample_trades) == (1.0, 12)
    assert top.out_of_sample_return == pytest.approx(0.1)


async def test_single_saves_and_patch_queries(db_url):
    async with DatabaseForTests(db_url) as db:
        run = run_record()
        await db.save_run(run)
        iteration_id = await db.save_iteration(run.id, iteration_record(1, patch_ids=("k1",)))
        await db.save_patch(
            run.id,
            patch_record(
                "r1", op="insert_code", status="rejected", reason="no gain", parent_id="k1"
            ),
            iteration_id=iteration_id,
        )
        strategy_id = await db.save_strategy(run.id, iteration_record(2).strategy)
        await db.save_performance(
            strategy_id,
            [iteration_record(2).strategy.performance[0].model_copy(update={"window": "test"})],
        )
        version_id = await db.save_prompt_version(
            PromptVersionRecord(name="market/analyze", version=2, template="t", reason="clearer"),
            run_id=run.id,
        )
        call_id = await db.save_llm_call(
            LLMCall(
                provider="openai",
                model="m",
                purpose="analyze_market",
                request_hash="x",
                request={},
                error="HTTP 429",
                cost_usd=0.002,
            ),
            run_id=run.id,
        )
        rejected = await db.list_patches(status="rejected")
        of_run = await db.list_patches(run_id=run.id)
        got = await db.get_patch("r1")
        strategy = await db.get_strategy(strategy_id)
        calls = await db.llm_calls(run.id)
        runs = await db.list_runs()

    assert [p.id for p in rejected] == ["r1"]
    assert {p.id for p in of_run} == {"k1", "r1"}
    assert (got.parent_id, got.iteration, got.status) == ("k1", 1, "rejected")
    assert strategy.iteration is None
    assert [r.window for r in strategy.performance if r.asset is None] == [
        "in_sample",
        "out_of_sample",
        "test",
    ]
    assert version_id > 0 and call_id > 0
    assert [c.error for c in calls] == [None, "HTTP 429"]
    assert calls[1].cost_usd == 0.002
    assert [r.id for r in runs] == [run.id]

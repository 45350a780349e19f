"""Property: any finite metrics and parameters come back from either backend unchanged."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.store_db import DatabaseForTests
from vantageadapt.store import PerformanceRecord

from .builders import iteration_record, run_record

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    parameters=st.dictionaries(names, finite, max_size=6),
    values=st.fixed_dictionaries(
        {
            "total_return": finite,
            "sortino_ratio": finite,
            "max_drawdown": finite,
            "total_trades": st.integers(min_value=0, max_value=2**31 - 1),
        }
    ),
    # Any text but NUL, which PostgreSQL text columns cannot hold.
    asset=st.text(
        st.characters(exclude_characters="\x00", exclude_categories=("Cs",)),
        min_size=1,
        max_size=30,
    ),
)
def test_values_survive_a_round_trip(db_url, parameters, values, asset):
    record = iteration_record(1)
    strategy = record.strategy.model_copy(
        update={
            "parameters": parameters,
            "performance": [
                PerformanceRecord.from_metrics("out_of_sample", values),
                PerformanceRecord.from_metrics("test", values, asset=asset),
            ],
        }
    )
    record = record.model_copy(update={"strategy": strategy, "optimization": {"p": parameters}})

    async def save_and_load():
        async with DatabaseForTests(db_url) as db:
            run = run_record()
            await db.save_run(run)
            await db.save_iteration(run.id, record)
            [loaded] = await db.list_iterations(run.id)
            return loaded

    loaded = asyncio.run(save_and_load())
    assert loaded.strategy.parameters == parameters
    # JSONB keeps numbers as numeric: a whole float in exponent form comes back as an int of
    # the same value, so free-form JSON is compared as numbers.
    assert {k: float(v) for k, v in loaded.optimization["p"].items()} == parameters
    assert loaded.strategy.performance == strategy.performance

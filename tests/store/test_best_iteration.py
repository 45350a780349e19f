"""One best-iteration rule: the run's best (pipeline) and a resumed run's best (store) agree."""

from __future__ import annotations

from vantageadapt.results import IterationResult, best_iteration
from vantageadapt.store import DatabaseConnection

from .builders import iteration_record, run_record

# (index, validation score, unmet): the highest score misses a threshold, two met ones tie.
ROWS = [(1, 5.0, ["sortino_ratio 1 < 2"]), (2, 1.0, []), (3, 1.0, []), (4, 0.5, [])]


def _result(index: int, score: float, unmet: list[str]) -> IterationResult:
    rules = {"conditions": {"entry": ["price > ma_20"], "exit": ["price < ma_20"]}}
    return IterationResult.model_validate(
        {"index": index, "regime": "BREAKOUT", "rules": {**rules, "parameters": {}},
         "parameters": {}, "in_sample": {}, "out_of_sample": {}, "score": 0.0,
         "validation_score": score, "unmet": unmet}
    )  # fmt: skip


async def test_the_store_and_the_pipeline_pick_the_same_best(db_url):
    async with DatabaseConnection(db_url) as db:
        run = run_record()
        await db.save_run(run)
        for index, score, unmet in ROWS:
            item = iteration_record(index, validation_score=score)
            await db.save_iteration(run.id, item.model_copy(update={"unmet": unmet}))
        state = await db.resume_state(run.id)

    from_results = best_iteration([_result(*row) for row in ROWS])
    assert state.best is not None and from_results is not None
    assert state.best.index == from_results.index == 2


def test_without_a_validation_score_the_search_score_decides():
    stored = [
        iteration_record(1, validation_score=None).model_copy(update={"score": 0.2}),
        iteration_record(2, validation_score=None).model_copy(update={"score": 0.7}),
    ]
    assert best_iteration(stored).index == 2
    assert best_iteration([]) is None

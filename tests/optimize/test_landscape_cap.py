"""The parameter-score landscape kept for the report's heatmap: the best rows, capped.

docs/internals.md: each iteration's landscape is "capped at 2,000 best rows" before it is
stored in `IterationRecord.optimization["landscape"]`. At the cap nothing is dropped; one row
over, exactly the lowest-scoring row goes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vantageadapt.pipeline.persist import MAX_LANDSCAPE_ROWS, landscape_rows


def _landscape(rows: int, seed: int = 0) -> pd.DataFrame:
    """One row per trial: two searched parameters and a score, in shuffled order."""
    rng = np.random.default_rng(seed)
    score = rng.permutation(rows).astype(np.float64) - rows / 2
    return pd.DataFrame(
        {"take_profit": 0.05 + score * 1e-5, "ma_window": score + rows, "score": score}
    )


def test_the_cap_is_two_thousand_rows():
    assert MAX_LANDSCAPE_ROWS == 2_000


def test_a_landscape_at_the_cap_is_kept_whole():
    frame = _landscape(MAX_LANDSCAPE_ROWS)
    kept = landscape_rows(frame)
    assert len(kept) == MAX_LANDSCAPE_ROWS
    assert sorted(r["score"] for r in kept) == sorted(frame["score"])


@pytest.mark.parametrize("extra", [1, 500])
def test_over_the_cap_the_best_rows_are_kept(extra):
    frame = _landscape(MAX_LANDSCAPE_ROWS + extra, seed=extra)
    kept = landscape_rows(frame)
    assert len(kept) == MAX_LANDSCAPE_ROWS
    best = frame.sort_values("score", ascending=False).head(MAX_LANDSCAPE_ROWS)
    assert sorted(r["score"] for r in kept) == sorted(best["score"])
    assert min(r["score"] for r in kept) > frame["score"].nsmallest(extra).max()
    # each kept row is a whole trial: its parameters travel with its score
    by_score = frame.set_index("score")
    for row in kept:
        assert row["ma_window"] == by_score.loc[row["score"], "ma_window"]
        assert row["take_profit"] == by_score.loc[row["score"], "take_profit"]

"""Inner holdout and walk-forward folds stay inside the train rows, in time order."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vantageadapt.errors import ConfigError
from vantageadapt.optimize import Fold, inner_holdout, walk_forward
from vantageadapt.optimize.splits import validation_starts


def test_inner_holdout_is_the_last_quarter():
    assert inner_holdout(1000) == Fold(0, 750, 1000)


def test_walk_forward_three_folds():
    assert walk_forward(100, 3) == [Fold(0, 25, 50), Fold(0, 50, 75), Fold(0, 75, 100)]


@settings(max_examples=50, deadline=None)
@given(rows=st.integers(40, 100_000), folds=st.integers(1, 8))
def test_folds_are_ordered_and_inside(rows, folds):
    out = walk_forward(rows, folds)
    assert len(out) == folds and out[-1].check_stop == rows
    for a, b in itertools.pairwise(out):
        assert a.fit_stop < b.fit_stop and a.check_stop <= b.check_stop
    assert all(0 == f.fit_start < f.fit_stop < f.check_stop <= rows for f in out)


def test_too_few_rows_and_bad_fractions():
    with pytest.raises(ConfigError, match="too few for 5 walk-forward folds"):
        walk_forward(8, 5)
    with pytest.raises(ConfigError, match=r"holdout fraction 1\.5"):
        inner_holdout(100, 1.5)
    with pytest.raises(ConfigError, match="validation fraction 0"):
        validation_starts({"A": 10}, 0.0)
    assert validation_starts({"A": 100, "B": 10}, 0.2) == {"A": 80, "B": 8}

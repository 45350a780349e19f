"""Rolling means of many windows in one pass: each row bit for bit the single-window kernel."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from vantageadapt.rules import indicators
from vantageadapt.rules.indicator_store import IndicatorStore
from vantageadapt.rules.indicators_many import rolling_means


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.lists(st.floats(-1e6, 1e6, allow_nan=False), max_size=150),
        # runs of equal values, an outlier leaving the window (the recompute), NaNs
        st.lists(st.sampled_from([0.0, -0.0, 1.0, 1.0, 3.0, 1e12, np.nan]), max_size=80),
    ),
    st.lists(st.integers(-1, 60), min_size=1, max_size=8),
)
@example([1.0, 1e12, 1.0, 2.0, 3.0, 1.0, 1.0, 1.0, np.nan, 2.0, 2.0], [1, 2, 3, 4, 11, 12])
def test_means_of_many_windows_equal_each_window_alone(values, windows):
    values = np.asarray(values, dtype=np.float64)
    many = rolling_means(values, np.asarray(windows))
    assert many.shape == (len(windows), len(values))
    for row, window in zip(many, windows, strict=True):
        alone = indicators.rolling_mean(values, window)
        np.testing.assert_array_equal(row.view(np.int64), alone.view(np.int64))


def test_prefetched_means_are_the_ones_get_computes():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {"price": 100 + np.cumsum(rng.normal(size=700)), "volume": rng.lognormal(size=700)}
    )
    store = IndicatorStore()
    cache = indicators.IndicatorCache(frame, store=store, key="k")
    wanted = [("ma", 5), ("ma", 50), ("volume_ma", 5), ("volume_ma", 9), ("ema", 3)]
    cache.prefetch(wanted)
    fresh = indicators.IndicatorCache(frame, store=IndicatorStore(), key="k")
    for name, window in wanted[:4]:
        assert ("k", name, window) in store
        np.testing.assert_array_equal(cache.get(name, window), fresh.get(name, window))
    assert ("k", "ema", 3) not in store  # left to get

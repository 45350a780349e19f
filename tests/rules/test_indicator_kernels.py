"""The numba indicator kernels against the pandas versions they replaced, and the store."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from vantageadapt.backtest import evaluate_grid
from vantageadapt.models import Conditions
from vantageadapt.rules import indicators
from vantageadapt.rules.indicator_store import IndicatorStore, content_key

from . import pandas_indicators as slow

prices = st.lists(st.floats(0.5, 2.0, allow_nan=False), min_size=1, max_size=120).map(
    lambda steps: 100.0 * np.cumprod(np.asarray(steps))
)
volumes = st.lists(
    st.one_of(st.floats(0.0, 1e6, allow_nan=False), st.just(1.0)), min_size=1, max_size=120
).map(np.asarray)


def _close(fast: np.ndarray, reference: np.ndarray) -> None:
    np.testing.assert_array_equal(np.isnan(fast), np.isnan(reference))
    scale = np.nanmax(np.abs(reference), initial=1.0)
    np.testing.assert_allclose(fast, reference, rtol=1e-12, atol=1e-12 * scale, equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(st.one_of(prices, volumes), st.integers(1, 40), st.sampled_from(sorted(slow.REFERENCES)))
def test_kernels_match_pandas(values, window, name):
    if name == "volatility":
        values = np.abs(values) + 1.0
        window = max(window, 2)
    _close(getattr(indicators, name)(values, window), slow.REFERENCES[name](values, window))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 30), st.integers(0, 30), st.floats(0.01, 1e4))
def test_flat_windows_are_exact(window, extra, level):
    values = np.full(window + extra, level)
    mean = indicators.rolling_mean(values, window)
    std = indicators.rolling_std(values, window)
    assert (mean[window - 1 :] == level).all() and (std[window - 1 :] == 0.0).all()


def test_nan_inside_a_window_gives_nan_like_pandas():
    values = np.arange(1.0, 31.0)
    values[[4, 17]] = np.nan
    for name in ("rolling_mean", "rolling_std", "previous_max", "previous_min"):
        _close(getattr(indicators, name)(values, 5), slow.REFERENCES[name](values, 5))


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.lists(st.floats(-5.0, 5.0, allow_nan=False), max_size=90),
        # ties of equal values with other bits (the later row's must win) and NaNs
        st.lists(st.sampled_from([0.0, -0.0, -1.0, 1.0, np.nan]), max_size=40),
    ),
    st.lists(st.integers(-1, 100), min_size=1, max_size=8),
    st.booleans(),
)
@example([-1.0, -0.0, -2.0, 0.0, -3.0, 0.0, -0.0, -1.0], [3, 4, 5, 6], True)
@example([1.0, 0.0, 2.0, -0.0, 3.0, -0.0, 0.0, 1.0], [3, 4, 5, 6], False)
def test_extremes_of_many_windows_equal_each_window_alone(values, windows, want_max):
    values = np.asarray(values, dtype=np.float64)
    many = indicators.previous_extremes(values, windows, want_max)
    alone = indicators.previous_max if want_max else indicators.previous_min
    assert many.shape == (len(windows), len(values))
    for row, window in zip(many, windows, strict=True):
        expected = alone(values, window)
        # bit for bit: NaN where the deque gives NaN, and the same zero sign on ties
        np.testing.assert_array_equal(row.view(np.int64), expected.view(np.int64))
        if window >= 1:  # and the deque itself against pandas
            _close(expected, slow.REFERENCES["previous_max" if want_max else "previous_min"](
                values, window))  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(
    st.one_of(
        prices,
        volumes,
        st.lists(st.sampled_from([1.0, 2.0, np.nan]), max_size=40).map(np.asarray),
    ),
    st.lists(st.integers(-1, 50), min_size=1, max_size=8),
)
def test_means_of_many_windows_equal_each_window_alone(values, windows):
    many = indicators.rolling_means(values, windows)
    assert many.shape == (len(windows), len(values))
    for row, window in zip(many, windows, strict=True):
        alone = indicators.rolling_mean(values, window)
        np.testing.assert_array_equal(row.view(np.int64), alone.view(np.int64))


def test_prefetch_batches_moving_averages_of_each_column():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {"price": 100 + np.cumsum(rng.normal(size=400)), "volume": rng.lognormal(size=400)}
    )
    store = IndicatorStore()
    cache = indicators.IndicatorCache(frame, store=store)
    wanted = [("ma", 5), ("ma", 40), ("volume_ma", 5), ("volume_ma", 9), ("ema", 5), ("ema", 9)]
    cache.prefetch(wanted)
    assert store.stats().misses == 4  # the moving averages; the EMAs are left to `get`
    for name, window in wanted[:4]:
        fresh = indicators.IndicatorCache(frame, store=IndicatorStore())
        np.testing.assert_array_equal(cache.get(name, window), fresh.get(name, window))
    assert store.stats().hits == 4
    # a frame without volume: the volume averages are left to `get`, which names the column
    bare = indicators.IndicatorCache(frame[["price"]], store=IndicatorStore())
    bare.prefetch([("volume_ma", 5), ("volume_ma", 9)])
    assert bare.store.stats().misses == 0


def test_prefetched_extremes_are_the_ones_get_computes():
    frame = pd.DataFrame({"price": 100 + np.cumsum(np.random.default_rng(3).normal(size=500))})
    store = IndicatorStore()
    cache = indicators.IndicatorCache(frame, store=store)
    cache.prefetch([("high", 7), ("high", 30), ("low", 7), ("low", 12), ("ma", 5)])
    assert store.stats().misses == 4  # the extremes, not the moving average
    for name, window in (("high", 7), ("high", 30), ("low", 7), ("low", 12)):
        fresh = indicators.IndicatorCache(frame, store=IndicatorStore())
        np.testing.assert_array_equal(cache.get(name, window), fresh.get(name, window))
    assert store.stats().hits == 4


def test_long_series_do_not_drift():
    """Exact two-pass values at sampled rows; pandas' running sums drift further than ours."""
    rng = np.random.default_rng(3)
    values = 1000.0 * np.exp(np.cumsum(rng.normal(0, 0.01, 200_000)))
    for window in (3, 50, 997):
        rows = rng.integers(window, values.shape[0], 500)
        spans = [values[t - window + 1 : t + 1] for t in rows]
        for name, exact in (("rolling_mean", np.mean), ("rolling_std", np.std)):
            truth = np.array([exact(span) for span in spans])
            ours = np.abs(getattr(indicators, name)(values, window)[rows] / truth - 1).max()
            theirs = np.abs(slow.REFERENCES[name](values, window)[rows] / truth - 1).max()
            assert ours < 1e-9 and ours <= max(theirs, 1e-14)


def _frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    price = 50 * np.exp(np.cumsum(rng.normal(0, 0.01, rows)))
    index = pd.date_range("2024-01-01", periods=rows, freq="min", tz="UTC", name="timestamp")
    return pd.DataFrame({"price": price, "volume": rng.lognormal(0, 1, rows)}, index=index)


RULE_SETS = [
    Conditions(entry=["price > high_{w}", "volume > volume_ma_{v}"], exit=["price < low_{v}"]),
    Conditions(entry=["price crosses_above bb_upper_{w}"], exit=["price < ma_{v}"]),
    Conditions(entry=["ema_{v} > ema_{w}", "volatility_{w} < 0.02"], exit=["std_{v} > 0.5"]),
    Conditions(entry=["macd > macd_signal"], exit=["macd_hist < 0", "drawdown > 0.03"]),
]


@pytest.mark.parametrize("conditions", RULE_SETS)
def test_metrics_equal_the_pandas_indicators(monkeypatch, conditions):
    frame = _frame(3_000, 7)
    sets = [
        {"w": w, "v": v, "take_profit": tp, "stop_loss": 0.02, "max_orders": 2, "order_size": 0.5}
        for w in (5, 20, 60) for v in (3, 30) for tp in (0.0, 0.03)
    ]  # fmt: skip
    fast = evaluate_grid(frame, conditions, sets, start=100, store=IndicatorStore())
    for name, reference in slow.REFERENCES.items():
        monkeypatch.setattr(indicators, name, reference)
    before = evaluate_grid(frame, conditions, sets, start=100, store=IndicatorStore())
    np.testing.assert_allclose(fast, before, rtol=1e-12, atol=1e-12)
    assert fast[:, 5].sum() > 0  # the rules trade


def test_store_evicts_least_recently_used_by_bytes():
    store = IndicatorStore(max_bytes=3 * 800)
    arrays = {k: np.full(100, float(k)) for k in range(4)}  # 800 bytes each
    for k in range(3):
        store.get(k, lambda k=k: arrays[k])
    store.get(0, lambda: pytest.fail("0 is stored"))  # 0 is now the most recent
    store.get(3, lambda: arrays[3])  # evicts 1, the least recently used
    stats = store.stats()
    assert (stats.hits, stats.misses, stats.evictions, stats.nbytes) == (1, 4, 1, 2400)
    calls = []
    store.get(1, lambda: calls.append(1) or arrays[1])
    assert calls == [1]
    with pytest.raises(ValueError):
        store.get(2, lambda: arrays[2])[0] = 5.0  # stored arrays are read-only


def test_store_stats_since_counts_the_difference_and_keeps_the_bytes_held():
    store = IndicatorStore()
    store.get("a", lambda: np.zeros(10))
    before = store.stats()
    store.get("a", lambda: pytest.fail("a is stored"))
    store.get("b", lambda: np.zeros(20))
    assert store.stats().since(before).to_dict() == {
        "hits": 1,
        "misses": 1,
        "evictions": 0,
        "bytes": 240,
    }


def test_content_key_follows_the_data():
    frame = _frame(50, 1)
    changed = frame.copy()
    changed.iloc[10, 0] *= 1.0001
    assert content_key(frame) == content_key(frame.copy()) != content_key(changed)
    assert content_key(frame) != content_key(frame.iloc[:40])


def test_std_after_an_outlier_leaves_the_window_is_exact():
    # Running sums lose their digits when a huge value leaves; hypothesis found this one.
    values = np.array([1.0, 1.0, 45360.0, 1.0, 1.0])
    returns = values[1:] / values[:-1] - 1.0
    exact = np.std(returns[-2:], ddof=1)
    assert abs(indicators.volatility(values, 2)[-1] - exact) <= 1e-12 * exact


def test_store_computes_a_key_once_when_threads_ask_together():
    store = IndicatorStore()
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow() -> np.ndarray:
        calls.append(1)
        started.set()
        release.wait(5)
        return np.arange(10.0)

    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(store.get, "k", slow)
        started.wait(5)
        others = [pool.submit(store.get, "k", slow) for _ in range(3)]
        release.set()
        values = [f.result(5) for f in [first, *others]]
    assert calls == [1]
    assert all(v is values[0] for v in values)
    stats = store.stats()
    assert (stats.hits, stats.misses) == (3, 1)  # as if the four had asked one by one


def test_store_waiters_compute_again_when_the_first_computation_fails():
    store = IndicatorStore()
    started, release = threading.Event(), threading.Event()

    def failing() -> np.ndarray:
        started.set()
        release.wait(5)
        raise ValueError("boom")

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(store.get, "k", failing)
        started.wait(5)
        second = pool.submit(store.get, "k", lambda: np.ones(3))
        release.set()
        with pytest.raises(ValueError, match="boom"):
            first.result(5)
        np.testing.assert_array_equal(second.result(5), np.ones(3))
    assert store.stats().misses == 2

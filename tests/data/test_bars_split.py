"""OHLCV bars against a slow reference; time splits and fingerprints."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vantageadapt.data import data_fingerprint, load_trade_data, split_frames, to_bars
from vantageadapt.errors import ConfigError, DataError


def _canonical(seconds, prices, volumes, **extra):
    index = pd.DatetimeIndex(pd.to_datetime(seconds, unit="s", utc=True), name="timestamp")
    return pd.DataFrame({"price": prices, "volume": volumes, **extra}, index=index.as_unit("ns"))


def _reference_bars(frame: pd.DataFrame, seconds: int) -> list[tuple]:
    buckets: dict[int, list[tuple]] = {}
    for stamp, row in zip(frame.index.asi8 // 10**9, frame.itertuples(index=False), strict=True):
        buckets.setdefault(int(stamp) // seconds * seconds, []).append(row)
    out = []
    for start in sorted(buckets):
        rows = buckets[start]
        prices = [r.price for r in rows]
        out.append(
            (
                start,
                prices[0],
                max(prices),
                min(prices),
                prices[-1],
                sum(r.volume for r in rows),
                len(rows),
            )
        )
    return out


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 400), st.floats(0.1, 100), st.floats(0, 10)),
        min_size=1,
        max_size=60,
    )
)
def test_bars_match_reference(rows):
    rows = sorted(rows, key=lambda r: r[0])
    frame = _canonical(*(list(c) for c in zip(*rows, strict=True)))
    bars = to_bars(frame, "1min")
    got = [
        (int(t.timestamp()), r.open, r.high, r.low, r.price, r.volume, r.trades)
        for t, r in zip(bars.index, bars.itertuples(index=False), strict=True)
    ]
    expected = _reference_bars(frame, 60)
    assert [g[0] for g in got] == [e[0] for e in expected]
    np.testing.assert_allclose([g[1:] for g in got], [e[1:] for e in expected], rtol=1e-12)


def test_bars_keep_last_pool_state_and_existing_ohlc():
    frame = _canonical(
        [0, 10, 70],
        [2.0, 3.0, 4.0],
        [1.0, 1.0, 1.0],
        open=[1.5, 2.5, 3.5],
        high=[9.0, 3.5, 4.5],
        low=[1.0, 0.5, 3.0],
        sol_pool=[10.0, 11.0, 12.0],
        coin_pool=[5.0, 4.0, 3.0],
        is_buy=[True, True, False],
    )
    bars = to_bars(frame, "1min")
    assert list(bars.columns) == [
        "open",
        "high",
        "low",
        "price",
        "volume",
        "trades",
        "sol_pool",
        "coin_pool",
    ]
    assert bars.iloc[0].tolist() == [1.5, 9.0, 0.5, 3.0, 2.0, 2, 11.0, 4.0]
    assert bars["price"].dtype == np.float64


def test_bars_on_sample_data(sample_pickle):
    bars = load_trade_data(sample_pickle, bar="5min")
    trades = load_trade_data(sample_pickle)
    for symbol, frame in bars.items():
        assert frame["trades"].sum() == len(trades[symbol])
        assert np.isclose(frame["volume"].sum(), trades[symbol]["volume"].sum())
        assert (frame["high"] >= frame["price"]).all() and (frame["low"] <= frame["price"]).all()
        assert (frame.index.to_series().diff().dropna() >= pd.Timedelta("5min")).all()


@pytest.mark.parametrize("bar", ["soon", "0min", "1M"])
def test_bad_bar(bar):
    with pytest.raises(ConfigError, match="--bar"):
        to_bars(_canonical([0], [1.0], [1.0]), bar)


def test_split_fractions_and_windows(sample_pickle):
    frames = load_trade_data(sample_pickle)
    split = split_frames(frames)
    for symbol, frame in frames.items():
        assert split.test_start[symbol] == 1_600 and split.validation_start[symbol] == 1_200
        assert len(split.dev[symbol]) == 1_600
        assert split.dev[symbol].index[-1] <= frame.index[1_600]
        assert split.full[symbol] is frame
    tail = {s: f.iloc[1_600:] for s, f in frames.items()}
    assert split.test_fingerprint == data_fingerprint(tail)


def test_split_with_odd_sizes_and_fractions():
    frame = _canonical(np.arange(7), np.ones(7), np.ones(7))
    split = split_frames({"A": frame}, validation_fraction=0.3, test_fraction=0.1)
    assert split.test_start["A"] == 6 and split.validation_start["A"] == 4
    with pytest.raises(DataError, match="'A': 2 rows are too few"):
        split_frames({"A": frame.iloc[:2]})
    with pytest.raises(ConfigError, match="leave rows for training"):
        split_frames({"A": frame}, validation_fraction=0.5, test_fraction=0.5)


def test_fingerprint_sees_every_value_but_not_symbol_order(sample_pickle):
    frames = load_trade_data(sample_pickle)
    base = data_fingerprint(frames)
    assert base == data_fingerprint(dict(reversed(list(frames.items()))))
    assert len(base) == 64
    symbol = next(iter(frames))
    for column in ("price", "volume", "is_buy"):
        changed = dict(frames)
        frame = frames[symbol].copy()
        frame.iloc[5, frame.columns.get_loc(column)] = (
            not frame[column].iloc[5] if column == "is_buy" else frame[column].iloc[5] * 1.0001
        )
        changed[symbol] = frame
        assert data_fingerprint(changed) != base
    shifted = dict(frames)
    shifted[symbol] = frames[symbol].set_axis(frames[symbol].index + pd.Timedelta("1s"))
    assert data_fingerprint(shifted) != base

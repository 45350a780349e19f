"""Sample DEX data: deterministic, on the constant-product curve, with regimes worth trading."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vantageadapt.data import load_trade_data, make_sample_data, write_sample_data
from vantageadapt.data.sample import COLUMNS, POOL_FEE, ar1
from vantageadapt.errors import ConfigError


def test_columns_and_types(sample_frames):
    assert list(sample_frames) == ["TOKEN00", "TOKEN01", "TOKEN02"]
    for frame in sample_frames.values():
        assert tuple(frame.columns) == COLUMNS
        assert len(frame) == 2_000
        assert frame["timestamp"].dtype == "datetime64[ns]"
        assert frame["is_buy"].dtype == bool
        assert (frame["timestamp"].dt.floor("s") == frame["timestamp"]).all()  # second data


def test_same_seed_same_data_other_seed_other_data():
    a = make_sample_data(assets=2, rows=500, seed=3)
    b = make_sample_data(assets=2, rows=500, seed=3)
    c = make_sample_data(assets=2, rows=500, seed=4)
    for symbol in a:
        pd.testing.assert_frame_equal(a[symbol], b[symbol])
        assert not np.array_equal(a[symbol]["dex_price"], c[symbol]["dex_price"])


def test_an_asset_does_not_depend_on_how_many_assets_are_made():
    few = make_sample_data(assets=1, rows=300, seed=5)
    many = make_sample_data(assets=3, rows=300, seed=5)
    pd.testing.assert_frame_equal(few["TOKEN00"], many["TOKEN00"])


def test_pool_reserves_follow_the_constant_product_curve(sample_frames):
    for frame in sample_frames.values():
        x = frame["sol_pool"].to_numpy()
        y = frame["coin_pool"].to_numpy()
        np.testing.assert_array_equal(frame["dex_price"].to_numpy(), x / y)
        k = x * y
        np.testing.assert_allclose(k, k[0], rtol=1e-12)
        # trade t moves the pool from row t to row t+1, priced by the AMM formula
        q, u, buy = (frame[c].to_numpy()[:-1] for c in ("sol_amount", "token_amount", "is_buy"))
        x0, y0, x1, y1 = x[:-1], y[:-1], x[1:], y[1:]
        out_buy = y0 - x0 * y0 / (x0 + q * (1 - POOL_FEE))
        out_sell = x0 - x0 * y0 / (y0 + u * (1 - POOL_FEE))
        np.testing.assert_allclose(u[buy], out_buy[buy], rtol=1e-6)
        np.testing.assert_allclose(q[~buy], out_sell[~buy], rtol=1e-6)
        np.testing.assert_allclose(x1[buy], x0[buy] + q[buy] * (1 - POOL_FEE), rtol=1e-9)
        np.testing.assert_allclose(y1[~buy], y0[~buy] + u[~buy] * (1 - POOL_FEE), rtol=1e-9)
        assert (q > 0).all() and (u > 0).all()


def test_realistic_shape():
    frame = make_sample_data(assets=1, rows=60_000, seed=11)["TOKEN00"]
    gaps = frame["timestamp"].diff().dt.total_seconds().to_numpy()[1:]
    assert (gaps >= 0).all()
    assert 0.02 < np.mean(gaps == 0) < 0.5  # irregular: many trades share a second
    assert np.percentile(gaps, 99) > 5 * np.median(gaps[gaps > 0])
    r = np.diff(np.log(frame["dex_price"].to_numpy()))
    assert pd.Series(r).kurt() > 5  # heavy tails
    assert 0.4 < frame["is_buy"].mean() < 0.6
    volume = frame["sol_amount"].to_numpy()
    assert volume.max() > 20 * np.median(volume)  # bursts
    # Windows of 2,000 trades: some trend strongly (|move| over 4 noise sd), some barely move.
    log_p = np.log(frame["dex_price"].to_numpy())
    moves = np.abs(log_p[2_000::2_000] - log_p[:-2_000:2_000])
    noise = np.std(r) * np.sqrt(2_000)
    assert moves.max() > 1.5 * noise and moves.min() < 0.5 * noise


def test_a_trend_rule_finds_money_in_the_default_data():
    """A plain breakout (new 500-trade high in, new 300-trade low out) wins after costs."""
    frames = make_sample_data(assets=3, rows=100_000, seed=0)
    results = []
    for frame in frames.values():
        price = frame["dex_price"]
        high = price.rolling(500).max().shift(1).to_numpy()
        low = price.rolling(300).min().shift(1).to_numpy()
        p = price.to_numpy()
        equity, entry = 1.0, 0.0
        for i in range(len(p)):
            if entry == 0.0 and p[i] > high[i]:
                entry = p[i] * 1.002
            elif entry and p[i] < low[i]:
                equity *= p[i] * 0.998 / entry
                entry = 0.0
        results.append(equity)
    assert max(results) > 1.5 and sum(r > 1.0 for r in results) >= 2


@pytest.mark.parametrize("name", ["s.pkl", "s.parquet", "s.csv"])
def test_files_are_byte_identical_for_a_seed_and_load(tmp_path, name):
    first, second = tmp_path / "a" / name, tmp_path / "b" / name
    write_sample_data(first, assets=2, rows=400, seed=9)
    write_sample_data(second, assets=2, rows=400, seed=9)
    assert first.read_bytes() == second.read_bytes()
    frames = load_trade_data(first)
    assert sorted(frames) == ["TOKEN00", "TOKEN01"]
    raw = make_sample_data(assets=2, rows=400, seed=9)["TOKEN01"]
    np.testing.assert_allclose(frames["TOKEN01"]["price"], raw["dex_price"], rtol=1e-15)


def test_bad_sample_requests(tmp_path):
    with pytest.raises(ConfigError, match=r"\.pkl, \.parquet or \.csv"):
        write_sample_data(tmp_path / "s.xlsx", assets=1, rows=10)
    with pytest.raises(ConfigError, match="rows >= 2"):
        make_sample_data(assets=1, rows=1)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(-10, 10), min_size=1, max_size=700),
    st.floats(0.0, 0.999),
)
def test_ar1_matches_the_recursion(shocks, phi):
    expected, carry = [], 0.0
    for shock in shocks:
        carry = phi * carry + shock
        expected.append(carry)
    np.testing.assert_allclose(ar1(np.array(shocks), phi), expected, rtol=1e-9, atol=1e-9)

"""Null versions of a data set: same moves, same times and volumes, no order left in them."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from vantageadapt.data import load_trade_data, make_sample_data, write_sample_data
from vantageadapt.data.nulls import null_frame, null_frames, shuffled_returns


@pytest.fixture(scope="module")
def trend_frames(tmp_path_factory):
    path = tmp_path_factory.mktemp("nulls") / "trend.pkl"
    write_sample_data(path, assets=2, rows=20_000, seed=5, edge="trend", edge_strength=2.0)
    return load_trade_data(path)


def _block_autocorrelation(price: np.ndarray, block: int) -> float:
    r = np.diff(np.log(price))
    sums = r[: len(r) // block * block].reshape(-1, block).sum(axis=1)
    return float(np.corrcoef(sums[:-1], sums[1:])[0, 1])


def test_moves_times_and_volumes_are_kept(trend_frames):
    nulls = null_frames(trend_frames, seed=1)
    for symbol, frame in trend_frames.items():
        null = nulls[symbol]
        assert null.index.equals(frame.index)
        np.testing.assert_array_equal(null["volume"], frame["volume"])
        before = np.diff(np.log(frame["price"].to_numpy()))
        after = np.diff(np.log(null["price"].to_numpy()))
        np.testing.assert_allclose(np.sort(after), np.sort(before), atol=1e-12)
        assert null["price"].iloc[0] == frame["price"].iloc[0]
        assert null["price"].iloc[-1] == pytest.approx(frame["price"].iloc[-1], rel=1e-9)


def test_the_serial_structure_is_gone(trend_frames):
    nulls = null_frames(trend_frames, seed=2)
    for symbol, frame in trend_frames.items():
        assert _block_autocorrelation(frame["price"].to_numpy(), 200) > 0.3
        assert abs(_block_autocorrelation(nulls[symbol]["price"].to_numpy(), 200)) < 0.2


def test_pools_stay_on_their_curve_at_the_new_price(trend_frames):
    frame = trend_frames["TOKEN00"]
    null = null_frame(frame, np.random.default_rng(3))
    np.testing.assert_allclose(null["sol_pool"] / null["coin_pool"], null["price"], rtol=1e-9)
    np.testing.assert_allclose(
        null["sol_pool"] * null["coin_pool"], frame["sol_pool"] * frame["coin_pool"], rtol=1e-9
    )


def test_same_seed_same_null_other_seed_other_null():
    frames = {
        "A": make_sample_data(assets=1, rows=500, seed=1)["TOKEN00"].rename(
            columns={"dex_price": "price", "sol_amount": "volume"}
        )
    }
    a, b, c = null_frames(frames, 4), null_frames(frames, 4), null_frames(frames, 5)
    np.testing.assert_array_equal(a["A"]["price"], b["A"]["price"])
    assert not np.array_equal(a["A"]["price"], c["A"]["price"])


def test_shuffled_blocks_keep_their_inside_order():
    values = np.arange(10.0)
    blocks = [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0]]
    orders = {
        tuple(itertools.chain.from_iterable(blocks[i] for i in p))
        for p in itertools.permutations(range(3))
    }
    for seed in range(5):
        out = shuffled_returns(values, np.random.default_rng(seed), 4)
        assert tuple(out.tolist()) in orders

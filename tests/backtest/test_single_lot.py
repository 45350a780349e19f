"""The grid kernel's single-lot path against the general `simulate_nb`, to the bit.

Hand-built rows hit each branch (stops exactly at their level, an exit and an entry on one
row, a lot opened on the last row, period ends inside a hold, empty and one-row windows,
stops off, level stops, each sizing, cash too small for a lot, gaps longer than a uint8
holds, troughs revisited to the ulp); hypothesis covers random rows and sets, and the skip
rule itself (a row between the floor and the peak changes nothing); `grid_nb` must give every
job the metrics `simulate_nb` gives, whichever path it takes.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vantageadapt.backtest import layout as lay
from vantageadapt.backtest.kernels import grid_nb, simulate_nb
from vantageadapt.backtest.single_lot import (
    GAP_CAP,
    _floor_nb,
    _track_nb,
    signal_gaps_nb,
    single_lot_fits,
    single_lot_nb,
)
from vantageadapt.backtest.streaming import drawdown_nb, period_starts_nb

EMPTY = np.empty(0)
NO_TRADES = np.empty(0, dtype=lay.TRADE_DTYPE)


def engine(*, fees=0.001, slippage=0.0, size="fraction", stop_level=False, init_cash=1e4):
    """An ENGINE_DTYPE record (price fills)."""
    rec = np.zeros(1, dtype=lay.ENGINE_DTYPE)[0]
    rec["init_cash"], rec["fees"], rec["slippage"] = init_cash, fees, slippage
    rec["size_type"], rec["stop_level"] = lay.SIZE_TYPES[size], stop_level
    rec["pool_fee"], rec["ann"] = 0.003, 8760.0
    return rec


def one_set(tp=0.0, sl=0.0, order_size=1.0, max_orders=1, target_vol=0.0):
    """A SET_DTYPE array of one set."""
    rec = np.zeros(1, dtype=lay.SET_DTYPE)
    rec["take_profit"], rec["stop_loss"], rec["order_size"] = tp, sl, order_size
    rec["max_orders"], rec["target_vol"] = max_orders, target_vol
    return rec


def both(price, entry, exit_, eng, params, window=None, *, period=None, hl=None, vol=None):
    """(single-lot metrics, simulate_nb metrics) of one set on one row window."""
    price = np.asarray(price, dtype=np.float64)
    n = price.shape[0]
    period = np.arange(n, dtype=np.int64) if period is None else np.asarray(period, np.int64)
    high, low = (EMPTY, EMPTY) if hl is None else (np.asarray(hl[0]), np.asarray(hl[1]))
    market = (price, high, low, EMPTY, EMPTY, period)
    entry, exit_ = np.asarray(entry, dtype=np.bool_), np.asarray(exit_, dtype=np.bool_)
    vol = EMPTY if vol is None else np.asarray(vol, dtype=np.float64)
    no_ops = np.empty(0, dtype=np.int64)
    signals = (entry, exit_, np.zeros((0, n)), no_ops, EMPTY, no_ops, EMPTY, vol)
    gaps = (np.empty(n + 1, np.uint8), np.empty(n + 1, np.uint8))
    signal_gaps_nb(entry, gaps[0])
    signal_gaps_nb(exit_, gaps[1])
    window = (0, n) if window is None else window
    starts = period_starts_nb(period)
    fast, general = np.full(lay.N_METRICS, -1.0), np.full(lay.N_METRICS, -1.0)
    single_lot_nb(market, starts, signals, gaps, eng, params[0], window, fast)
    simulate_nb(market, starts, signals, eng, params[0], window, NO_TRADES, EMPTY, general)
    return fast, general


def same(price, entry, exit_, eng, params, window=None, **extra):
    """The single-lot metrics, after checking they equal simulate_nb's to the bit."""
    fast, general = both(price, entry, exit_, eng, params, window, **extra)
    assert np.array_equal(fast, general), (fast, general)
    return fast


def flags(n, *rows):
    out = np.zeros(n, dtype=bool)
    out[list(rows)] = True
    return out


TRADES, WIN_RATE, EXPOSURE, TOTAL_RETURN, MDD = 5, 4, 8, 0, 3


@pytest.mark.parametrize("stop_level", [False, True])
def test_take_profit_and_stop_loss_at_exactly_their_level(stop_level):
    # fill 100, levels 125 and 75 exactly; the row after each stop re-enters
    price = [100.0, 110.0, 125.0, 100.0, 90.0, 75.0, 80.0]
    hl = (price, price) if stop_level else None
    m = same(price, flags(7, 0, 3), flags(7), engine(fees=0.0, stop_level=stop_level),
             one_set(0.25, 0.25), hl=hl)  # fmt: skip
    assert m[TRADES] == 2 and m[WIN_RATE] == 0.5
    assert m[TOTAL_RETURN] == pytest.approx(1.25 * 0.75 - 1.0)


def test_level_stops_fill_at_the_level_within_the_rows_range():
    price = [100.0, 101.0, 102.0, 100.0, 101.0]
    high = [100.0, 101.0, 130.0, 100.0, 101.0]
    low = [100.0, 101.0, 101.0, 100.0, 70.0]
    m = same(price, flags(5, 0, 3), flags(5), engine(fees=0.0, stop_level=True),
             one_set(0.2, 0.2), hl=(high, low))  # fmt: skip
    assert m[TRADES] == 2 and m[TOTAL_RETURN] == pytest.approx(1.2 * 0.8 - 1.0)


def test_exit_and_entry_on_the_same_row_and_a_lot_opened_on_the_last_row():
    price = [100.0, 101.0, 99.0, 98.0, 97.0, 96.0]
    m = same(price, flags(6, 0, 2, 5), flags(6, 2, 4), engine(), one_set())
    assert m[TRADES] == 2 and m[EXPOSURE] == pytest.approx(5 / 6)


def test_periods_end_inside_long_holds_and_gaps_longer_than_a_byte():
    rng = np.random.default_rng(3)
    n = 3 * GAP_CAP + 40
    price = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.003, n)))
    period = np.arange(n) // 7  # a period end every 7th row, inside every hold
    entry, exit_ = flags(n, 2 * GAP_CAP + 1, n - 3), flags(n, n - 5)
    for sl in (0.0, 0.5):
        m = same(price, entry, exit_, engine(), one_set(0.0, sl), period=period)
        assert m[TRADES] == 1 and m[MDD] > 0.0 and m[1] != 0.0
    long_hold = same(price, flags(n, 5), flags(n), engine(), one_set(), (3, n), period=period)
    assert long_hold[EXPOSURE] == pytest.approx((n - 5) / (n - 3))


@pytest.mark.parametrize("window", [(0, 0), (4, 4), (3, 4), (0, 1), (5, 6)])
def test_zero_and_one_row_windows(window):
    price = [100.0, 101.0, 102.0, 103.0, 104.0, 105.0]
    m = same(price, flags(6, 0, 3, 5), flags(6), engine(), one_set(0.01, 0.01), window)
    assert m[EXPOSURE] == (1.0 if window in ((3, 4), (0, 1), (5, 6)) else 0.0)


def test_stops_at_zero_mean_none_and_the_drawdown_deepens_and_recovers_in_a_hold():
    price = [100.0, 120.0, 90.0, 60.0, 130.0, 50.0, 140.0, 140.0]
    m = same(price, flags(8, 0), flags(8), engine(), one_set(0.0, 0.0))
    assert m[TRADES] == 0 and m[MDD] == pytest.approx(80.0 / 130.0, rel=1e-9)


def test_troughs_and_peaks_revisited_exactly_and_one_ulp_either_side():
    down, up = np.nextafter(90.0, 0.0), np.nextafter(90.0, 200.0)
    # the deepest trough (one ulp under 90, revisited) is the last: nothing later masks it
    price = [100.0, 95.0, 90.0, 93.0, 90.0, up, 90.0, 92.0, down, 92.0, down, 96.0, 100.0,
             101.0, 101.0, np.nextafter(101.0, 200.0), 95.0, 99.0, 101.0]  # fmt: skip
    n = len(price)
    for fees, cash in ((0.0, 100.0), (0.0, 1e4), (0.001, 1e4), (0.001, 3.0)):  # 100: 1 unit
        for order_size in (1.0, 0.4):
            for period in (None, np.arange(n) // 3):
                m = same(price, flags(n, 0), flags(n), engine(fees=fees, init_cash=cash),
                         one_set(order_size=order_size), period=period)  # fmt: skip
                assert m[MDD] > 0.0 and m[EXPOSURE] == 1.0


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False)


@settings(max_examples=400, deadline=None)
@given(st.floats(1e-3, 1e6), st.sampled_from([0.0, 1e-9, 0.1, 0.5, 0.999]), finite,
       st.lists(finite, min_size=1, max_size=6))  # fmt: skip
def test_rows_between_the_floor_and_the_peak_change_nothing(peak, mdd, first, later):
    # rows tracked with the skip rule give drawdown_nb's peak and drawdown on every row; then a
    # row at the floor, one ulp above it, the peak, or in between would change nothing
    floor, want = _floor_nb(peak, mdd), (peak, mdd)
    for eq in [first, *later]:
        want = drawdown_nb(*want, eq)
        peak, mdd, floor = _track_nb(eq, peak, mdd, floor)
        assert (peak, mdd) == want
        mid = floor + (peak - floor) * 0.37
        for e in (floor, np.nextafter(floor, np.inf), mid, peak):
            if floor <= e <= peak:
                assert drawdown_nb(peak, mdd, e) == (peak, mdd), (peak, mdd, floor, e)


@pytest.mark.parametrize("size", ["fraction", "amount", "volatility"])
def test_each_sizing_and_cash_too_small_for_a_lot(size):
    price = [100.0, 99.0, 101.0, 104.0, 97.0, 103.0]
    vol = [0.5, 0.05, 0.5, 0.01, 0.5, 0.3]
    entry, exit_ = flags(6, 0, 2, 4), flags(6, 1, 3)
    params = one_set(0.02, 0.02, order_size=0.5 if size != "amount" else 30.0, target_vol=0.1)
    m = same(price, entry, exit_, engine(size=size, slippage=0.002), params, vol=vol)
    assert m[TRADES] == 3
    broke = same(price, entry, exit_, engine(size=size, init_cash=1e-13), params, vol=vol)
    assert broke[TRADES] == 0 and broke[EXPOSURE] == 0.0


def test_signal_gaps_count_the_rows_to_the_next_flag_capped_at_a_byte():
    rng = np.random.default_rng(0)
    for density in (0.0, 0.002, 0.3):
        marks = rng.random(900) < density
        gaps = np.empty(901, np.uint8)
        signal_gaps_nb(marks, gaps)
        later = [np.flatnonzero(marks[t:]) for t in range(900)]
        want = [min(int(f[0]) if f.size else 900 - t, GAP_CAP) for t, f in enumerate(later)]
        assert gaps.tolist() == [*want, 0]


def test_only_single_lot_sets_without_programs_or_amm_take_the_fast_path():
    no_ops, ops = np.empty(0, np.int64), np.ones(2, np.int64)
    plain = (None, None, None, no_ops, None, no_ops)
    assert single_lot_fits(one_set(max_orders=1)[0], engine(), plain)
    assert single_lot_fits(one_set(max_orders=0)[0], engine(), plain)
    assert not single_lot_fits(one_set(max_orders=2)[0], engine(), plain)
    assert not single_lot_fits(one_set()[0], engine(), (None, None, None, ops, None, no_ops))
    assert not single_lot_fits(one_set()[0], engine(), (None, None, None, no_ops, None, ops))
    amm = engine()
    amm["amm"] = True
    assert not single_lot_fits(one_set()[0], amm, plain)


@st.composite
def runs(draw):
    n = draw(st.integers(1, 700))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    # prices on a 0.25 grid so that stops are often touched at exactly their level
    steps = rng.choice([-1.0, 0.0, 1.0], n) * draw(st.sampled_from([0.25, 1.0, 4.0]))
    price = np.maximum(100.0 + np.cumsum(steps), 1.0)
    entry = rng.random(n) < draw(st.sampled_from([0.0, 0.002, 0.05, 0.3, 1.0]))
    exit_ = rng.random(n) < draw(st.sampled_from([0.0, 0.002, 0.1, 0.5]))
    period = np.cumsum(rng.random(n) < draw(st.sampled_from([0.0, 0.05, 0.5, 1.0])))
    hl = None
    if draw(st.booleans()):
        spread = rng.choice([0.0, 0.25, 1.0], n)
        hl = (price + spread, price - rng.choice([0.0, 0.25, 1.0], n))
    size = draw(st.sampled_from(list(lay.SIZE_TYPES)))
    eng = engine(fees=draw(st.sampled_from([0.0, 0.001])), size=size, stop_level=hl is not None,
                 slippage=draw(st.sampled_from([0.0, 0.002])))  # fmt: skip
    levels = st.sampled_from([0.0, 0.0025, 0.01, 0.05, 0.25])
    params = one_set(draw(levels), draw(levels), draw(st.sampled_from([0.3, 1.0, 2.5])),
                     target_vol=draw(st.sampled_from([0.0, 0.01])))  # fmt: skip
    start = draw(st.integers(0, n))
    window = (start, draw(st.integers(start, n)))
    vol = rng.uniform(0.0, 0.03, n)
    return price, entry, exit_, eng, params, window, period - period[0], hl, vol


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs())
def test_single_lot_path_equals_simulate_nb_on_random_runs(run):
    price, entry, exit_, eng, params, window, period, hl, vol = run
    same(price, entry, exit_, eng, params, window, period=period, hl=hl, vol=vol)


def test_grid_gives_each_job_simulate_nbs_metrics_on_either_path():
    rng = np.random.default_rng(7)
    n = 600
    price = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.004, n)))
    period = np.arange(n, dtype=np.int64) // 30
    market = (price, EMPTY, EMPTY, EMPTY, EMPTY, period)
    entries, exits = rng.random((3, n)) < 0.08, rng.random((3, n)) < 0.2
    sets = np.concatenate([one_set(tp, sl, 0.6, most) for tp in (0.0, 0.01) for sl in (0.0, 0.006)
                           for most in (1, 3)] * 2)  # fmt: skip
    signal_of = np.arange(len(sets), dtype=np.int64) % 3
    no_ops = np.zeros((1, 1), np.int64)
    programs = (np.zeros((1, 0, n)), no_ops, np.zeros((1, 1)), np.zeros(1, np.int64), no_ops,
                np.zeros((1, 1)), np.zeros(1, np.int64), np.zeros((1, 0)))  # fmt: skip
    windows = np.array([[0, n], [100, 450], [599, 600], [7, 7]], dtype=np.int64)
    engines = np.array([engine(), engine(fees=0.0), engine(), engine()])
    out = grid_nb(market, (entries, exits, signal_of), programs, engines, sets, windows)
    starts = period_starts_nb(period)
    for s in range(len(sets)):
        signals = (entries[signal_of[s]], exits[signal_of[s]], np.zeros((0, n)),
                   no_ops[0, :0], EMPTY, no_ops[0, :0], EMPTY, EMPTY)  # fmt: skip
        for w, (a, b) in enumerate(windows):
            want = np.zeros(lay.N_METRICS)
            simulate_nb(market, starts, signals, engines[w], sets[s], (a, b), NO_TRADES, EMPTY,
                        want)  # fmt: skip
            assert np.array_equal(out[w, s], want), (s, w)
    assert out[0, :, TRADES].min() > 3

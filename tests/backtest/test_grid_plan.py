"""A batch's plan: sets that share signals share them, whatever their key order or sizing."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from vantageadapt.backtest import EngineConfig, evaluate_windows, run_backtest
from vantageadapt.models import METRIC_NAMES, Conditions

from .frames import random_frame, rules

CONDITIONS = Conditions(
    entry=["price > high_{w}", "volume > volume_ma_{v}"],
    exit=["price < low_{w}", "bars_held > hold"],
)
FRAME = random_frame(400, 21, pools=True)
SET = st.fixed_dictionaries(
    {
        "w": st.sampled_from([3, 5, 9]),
        "v": st.sampled_from([4, 10]),
        "hold": st.sampled_from([5.0, 30.0]),
        "take_profit": st.sampled_from([0.0, 0.02, 0.08]),
        "stop_loss": st.sampled_from([0.01, 0.05]),
        "target_vol": st.sampled_from([0.005, 0.02]),
    },
    optional={
        "max_orders": st.sampled_from([1, 2, 3]),
        "order_size": st.sampled_from([0.3, 1.0]),
        "vol_window": st.sampled_from([5, 12]),
    },
)


def _single(params, config, start, stop):
    """The slow reference: one backtest of one set on the rows before `stop`."""
    r = rules(CONDITIONS.entry, CONDITIONS.exit, **params)
    m = run_backtest(FRAME.iloc[:stop], r, config, start=start).metrics
    return [getattr(m, name) for name in METRIC_NAMES]


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.tuples(SET, st.booleans()), min_size=1, max_size=7),
    st.sampled_from(["fraction", "volatility"]),
)
def test_every_set_gets_its_own_signals_and_sizing(drawn, size_type):
    # some sets list their names in another order: the plan must not care
    sets = [dict(reversed(p.items())) if flip else p for p, flip in drawn]
    config = EngineConfig(size_type=size_type).resolve([FRAME])
    windows = [(50, 400)]
    out = evaluate_windows(FRAME, CONDITIONS, sets, config, windows=windows)
    for row, params in zip(out[0], sets, strict=True):
        np.testing.assert_allclose(row, _single(params, config, 50, 400), rtol=1e-12, atol=0)


def test_one_layout_serves_every_asset_as_its_own_would():
    """A layout worked out once (as the search does for a tuple of sets) gives each asset,
    whatever its rows, the metrics of a plan made for it alone, bit for bit."""
    from vantageadapt.backtest.grid import set_layout

    config = EngineConfig(size_type="volatility").resolve([FRAME])
    sets = tuple(
        {"w": w, "v": v, "hold": 5.0, "take_profit": 0.02, "stop_loss": 0.01, "target_vol": t}
        for w in (3, 9)
        for v in (4, 10)
        for t in (0.005, 0.02)
    )
    layout = set_layout(CONDITIONS, sets, config)
    for frame in (FRAME, random_frame(300, 5, pools=True)):
        windows = [(20, 150), (150, len(frame))]
        shared = evaluate_windows(frame, CONDITIONS, sets, config,
                                  windows=windows, layout=layout)  # fmt: skip
        alone = evaluate_windows(frame, CONDITIONS, list(sets), config, windows=windows)
        np.testing.assert_array_equal(shared, alone)

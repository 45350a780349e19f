"""set_table reads many parameter sets at once exactly as set_params reads each one."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vantageadapt.backtest.config import EngineConfig, set_params, set_records, set_table
from vantageadapt.errors import ConfigError

NUMBERS = st.one_of(
    st.floats(-2.0, 1500.0, allow_nan=False),
    st.sampled_from([0.0, -0.0, 0.5, 1.5, 2.5, 1000.4, 1000.5, 1000.6, math.nan, math.inf]),
    st.integers(-2, 1002),
)
PARAMS = st.dictionaries(
    st.sampled_from(
        ["take_profit", "stop_loss", "order_size", "max_orders", "target_vol", "vol_window", "w"]
    ),
    NUMBERS,
)


def _reference(sets, config):
    """set_params of each set in turn: its records and volatility windows, or its error."""
    try:
        params = [set_params(p, config) for p in sets]
    except ConfigError as exc:
        return str(exc)
    records = set_records(params, np.zeros(len(params), dtype=np.int64))
    return records, np.array([p.vol_window for p in params], dtype=np.int64)


@settings(max_examples=300, deadline=None)
@given(st.lists(PARAMS, max_size=6), st.sampled_from(["fraction", "amount", "volatility"]))
def test_set_table_matches_set_params_of_each_set(sets, size_type):
    config = EngineConfig(size_type=size_type)
    expected = _reference(sets, config)
    if isinstance(expected, str):
        with pytest.raises(ConfigError) as caught:
            set_table(sets, config)
        assert str(caught.value) == expected  # the first bad set's own error
        return
    records, windows = set_table(sets, config)
    np.testing.assert_array_equal(windows, expected[1])
    for name in records.dtype.names:
        np.testing.assert_array_equal(records[name], expected[0][name], err_msg=name)


def test_set_table_names_the_bad_set_like_set_params():
    sets = [{"order_size": 0.5}, {"order_size": -1.0}, {"max_orders": 0}]
    with pytest.raises(ConfigError, match=r"'order_size' -1.0 must be positive"):
        set_table(sets, EngineConfig())

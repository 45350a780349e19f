"""summarize_frame reads times in seconds whatever the index's resolution (pandas 3: us)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vantageadapt.data import summarize


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_spacing_and_span_in_seconds_for_every_index_unit(unit):
    index = pd.date_range("2024-01-01", periods=5, freq="min", tz="UTC", name="timestamp")
    frame = pd.DataFrame(
        {"price": [10.0, 11.0, 10.0, 11.0, 10.0], "volume": np.ones(5)},
        index=index.as_unit(unit),
    )
    summary = summarize({"A": frame})["A"]
    assert summary.span_seconds == 240.0
    assert summary.median_spacing_seconds == 60.0 and summary.mean_spacing_seconds == 60.0
    expected = summary.volatility_per_row * np.sqrt(365.25 * 86_400 / 60)
    assert summary.volatility_annualized == pytest.approx(expected, rel=1e-12)

"""Report building blocks, checked against slow obvious references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.records import patch_record
from vantageadapt.report import figures
from vantageadapt.report.page import lineage, metrics_table, render_page
from vantageadapt.results import IterationResult, PatchRecord, RunResult


def _times(n: int, start: str = "2024-01-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="min", tz="UTC", name="timestamp")


def test_thin_keeps_ends_and_limit():
    series = pd.Series(np.arange(10_000.0), index=_times(10_000))
    thinned = figures.thin(series, 100)
    assert len(thinned) == 100
    assert thinned.iloc[0] == 0.0 and thinned.iloc[-1] == 9_999.0
    assert figures.thin(series.iloc[:50], 100).equals(series.iloc[:50])


def test_portfolio_equity_is_mean_of_normalized_curves_on_the_row_share_axis():
    a = pd.Series([100.0, 110.0, 121.0], index=_times(3))
    b = pd.Series([50.0, 60.0, 70.0, 80.0, 100.0], index=_times(5))
    out = figures.portfolio_equity({"A": a, "B": b}, points=3)
    assert out.index.tolist() == [0.0, 0.5, 1.0]
    # Share 0.5 is row 1 of A (of 3) and row 2 of B (of 5).
    assert out.tolist() == pytest.approx([1.0, (1.1 + 1.4) / 2, (1.21 + 2.0) / 2])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(1.0, 1e6, allow_nan=False), min_size=1, max_size=60))
def test_drawdown_matches_loop_reference(values):
    series = pd.Series(values)
    expected, peak = [], -np.inf
    for v in values:
        peak = max(peak, v)
        expected.append(v / peak - 1.0)
    got = figures.drawdown(series).to_numpy()
    assert np.allclose(got, expected)
    assert (got <= 0).all()


def test_landscape_grid_takes_best_score_per_cell():
    rows = [
        {"take_profit": 0.1, "stop_loss": 0.02, "max_orders": 1, "score": 1.0},
        {"take_profit": 0.1, "stop_loss": 0.02, "max_orders": 1, "score": 3.0},
        {"take_profit": 0.3, "stop_loss": 0.02, "max_orders": 1, "score": 2.0},
        {"take_profit": 0.3, "stop_loss": 0.10, "max_orders": 1, "score": -1.0},
    ]
    frame = pd.DataFrame(rows)
    assert figures.pick_axes(frame) == ("stop_loss", "take_profit")
    xs, ys, z = figures.landscape_grid(frame, "take_profit", "stop_loss", bins=2)
    assert len(xs) == 2 and len(ys) == 2
    assert z[0, 0] == 3.0 and z[0, 1] == 2.0 and z[1, 1] == -1.0 and np.isnan(z[1, 0])
    assert figures.landscape_figure(rows, "t") is not None
    assert figures.landscape_figure(rows[:1], "t") is None  # one trial: nothing to map


def _iteration(index: int, patches: list[PatchRecord]) -> IterationResult:
    return IterationResult(
        index=index,
        regime="BREAKOUT",
        rules={
            "conditions": {"entry": ["price > high_20"], "exit": ["price < low_10"]},
            "parameters": {"take_profit": 0.1},
        },
        parameters={"take_profit": 0.12},
        in_sample={"total_return": 0.2},
        out_of_sample={"total_return": 0.1, "total_trades": 12},
        score=1.0,
        validation_score=0.5,
        patches=patches,
        context={"analysis": {"momentum": "rising <fast>"}, "confidence": 0.7},
        insight={"rationale": "buy the break"},
    )


def test_lineage_nests_children_and_escapes_diffs():
    parent = patch_record("p1", reason="reward trades", diff="-a\n+b <script>")
    child = patch_record(
        "p2",
        status="rejected",
        reason="too strict",
        parent_id="p1",
        score_before=1.0,
        score_after=0.9,
    )
    text = lineage([_iteration(1, [parent]), _iteration(2, [child])])
    assert "&lt;script&gt;" in text and "<script>" not in text
    # The child is rendered inside its parent's list item.
    assert text.index("reward trades") < text.index("too strict")
    assert text.count("<ul>") == 2
    assert "no patches" in lineage([_iteration(1, [])]).lower()


def test_page_inlines_plotly_once_and_shows_the_windows_apart():
    run = RunResult(
        run_id="r1",
        status="finished",
        theme="breakout",
        data_path="d.pkl",
        provider="offline",
        best_iteration=1,
        iterations=[_iteration(1, [])],
        test={"total_return": -0.05},
        test_fingerprint="abc" * 10,
        thresholds={"total_return": 0.5},
    )
    fig = figures.history_figure(run.iterations)
    html = render_page(
        run,
        [("History", fig), ("Again", fig), ("Empty", None)],
        {"train (in-sample)": {"total_return": 0.2}, "test (sealed)": run.test},
        {"iterations": 1},
    )
    assert html.count("plotly.js v") <= 2 and html.count('class="plotly-graph-div"') == 2
    assert "test (sealed)" in html and "-0.05" in html
    assert "Not enough data" in html
    assert "rising &lt;fast&gt;" in html
    assert metrics_table({"x": {"total_trades": 3}}).count("<tr>") == 2

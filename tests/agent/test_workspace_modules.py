"""The shipped workspace modules: numeric hooks against slow references and properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from vantageadapt.agent import WorkspaceRunner
from vantageadapt.agent.contracts import sample_context, sample_frame, sample_insight
from vantageadapt.agent.workspace import Workspace, template_sources
from vantageadapt.optimize.space import ParamSpec, SearchSpace

from .conftest import import_folder


def _zscore_reference(prices: list[float], window: int) -> list[float]:
    out = []
    for t in range(len(prices)):
        if t + 1 < window:
            out.append(math.nan)
            continue
        chunk = prices[t + 1 - window : t + 1]
        mean = sum(chunk) / window
        std = math.sqrt(sum((x - mean) ** 2 for x in chunk) / window)
        out.append((prices[t] - mean) / std if std > 1e-12 * abs(mean) else math.nan)
    return out


@settings(max_examples=40, deadline=None)
@given(
    prices=st.lists(st.floats(1.0, 1000.0), min_size=1, max_size=60),
    window=st.integers(2, 12),
)
def test_zscore_matches_a_slow_reference(tmp_path_factory, prices, window):
    modules = import_folder(Workspace.create(tmp_path_factory.mktemp("run")).modules_dir)
    frame = pd.DataFrame({"price": prices, "volume": 1.0})
    got = modules["indicators.py"].CUSTOM_INDICATORS["price_zscore"](frame, window)
    want = np.array(_zscore_reference(prices, window))
    finite = np.isfinite(want) & np.isfinite(got)
    assert np.allclose(got[finite], want[finite], rtol=1e-6, atol=1e-6)
    assert np.isnan(got[: window - 1]).all()


@settings(max_examples=60, deadline=None)
@given(
    low=st.floats(0.01, 0.2),
    span=st.floats(0.01, 0.5),
    factors=st.tuples(st.floats(0.1, 1.0), st.floats(1.0, 4.0)),
    window=st.integers(2, 400),
)
def test_widening_only_grows_ranges_within_limits(tmp_path_factory, low, span, factors, window):
    workspace = Workspace.create(tmp_path_factory.mktemp("run"))
    source = template_sources()["search_space.py"].replace(
        "WIDEN: dict[str, tuple[float, float]] = {}",
        f"WIDEN: dict[str, tuple[float, float]] = {{'take_profit': {factors!r}, "
        f"'breakout_window': {factors!r}}}",
    )
    (workspace.modules_dir / "search_space.py").write_text(source)
    adjust = import_folder(workspace.modules_dir)["search_space.py"].adjust_search_space
    space = SearchSpace(
        params=(
            ParamSpec(name="take_profit", low=low, high=low + span),
            ParamSpec(name="breakout_window", kind="int", low=window, high=window * 2),
            ParamSpec(name="stop_loss", low=0.02, high=0.15),
        )
    )
    wider = adjust(space)
    assert wider.names == space.names
    for before, after in zip(space.params, wider.params, strict=True):
        assert after.low <= before.low and after.high >= before.high
    assert wider.get("stop_loss") == space.get("stop_loss")
    assert wider.get("take_profit").high <= 2.0 and wider.get("take_profit").low >= 0.005
    assert wider.get("breakout_window").low >= 2


def test_shipped_modules_pass_their_contracts_in_their_worker(workspace):
    with WorkspaceRunner(workspace) as runner:
        hooks = runner.candidate(workspace.modules_dir)  # the template, in a worker
        assert hooks.worker.isolated and hooks.indicator_names == ("price_zscore",)
        notes = hooks.contracts()
        assert "indicator price_zscore ok" in notes and "search space valid" in notes
        # no trades, no growth: only the few-trades penalty (TRADE_PENALTY 2) is left
        calm = {"total_return": 0.0, "sortino_ratio": 1.0, "total_trades": 0.0, "max_drawdown": 0.0}
        assert hooks.score(calm, None, 10) == -2.0
        assert hooks.compose_rules(sample_insight(), sample_context(), "anything") is None
        frame = sample_frame()
        values = hooks.custom_indicators["price_zscore"](frame, 20)
        assert values.shape == (600,) and np.isnan(values[:19]).all()
        assert np.isfinite(values[19:]).all()
        local = import_folder(workspace.modules_dir)["indicators.py"].CUSTOM_INDICATORS
        assert np.allclose(values, local["price_zscore"](frame, 20), equal_nan=True)
        # A slice of a frame is another frame to the worker: the values follow the rows.
        head = hooks.custom_indicators["price_zscore"](frame.iloc[:300], 20)
        assert np.allclose(head, values[:300], equal_nan=True)
        # Registered frames: their row prefixes go by reference, computed on exactly those rows.
        hooks.register_frames({"A": frame})
        for stop in (40, 300, 600):
            got = hooks.custom_indicators["price_zscore"](frame.iloc[:stop], 30)
            want = local["price_zscore"](frame.iloc[:stop], 30)
            assert np.allclose(got, want, equal_nan=True)

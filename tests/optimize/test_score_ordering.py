"""On a market with a planted trend the default score ranks weak < medium < strong; the score the
workspace shipped before (Sortino capped at 5) ties them, and even ranks them backwards."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vantageadapt.agent
from vantageadapt.backtest import EngineConfig, evaluate_grid
from vantageadapt.models import Conditions
from vantageadapt.optimize import default_score
from vantageadapt.optimize.result import row_mapping

ROWS, CUT = 1_440, 1_080  # 60 days of hourly trades; the search's holdout is the last 15
HOLD = Conditions(entry=["price > 0"], exit=["price < 0"])
# Hand-made strategies: each banks 3 % moves of the trend and re-enters, with a tenth, three
# tenths or nine tenths of its equity. Noise is small beside the trend, so every drawdown
# stays under 1 %: the strong one makes about 13 times the weak one's money for the same pain.
STRATEGIES = {
    name: {"take_profit": 0.03, "order_size": size, "max_orders": 1}
    for name, size in (("weak", 0.1), ("medium", 0.3), ("strong", 0.9))
}


def _template_score():
    path = Path(vantageadapt.agent.__file__).parent / "workspace_template" / "scoring.py"
    spec = importlib.util.spec_from_file_location("template_scoring", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.score


def capped_sortino_score(
    in_sample: Mapping[str, float], holdout: Mapping[str, float] | None, rows: int
) -> float:
    """Today's score before this change, as the workspace template shipped it."""

    def quality(m: Mapping[str, float]) -> float:
        sortino = max(-5.0, min(5.0, m["sortino_ratio"]))
        trade_share = min(1.0, m["total_trades"] / (10.0 * m.get("n_assets", 1.0)))
        return sortino - 2.0 * (1.0 - trade_share) - 2.0 * min(1.0, abs(m["max_drawdown"]))

    q_in = quality(in_sample)
    q_out = quality(holdout) if holdout is not None else q_in
    return 0.5 * (q_in + q_out) - 0.5 * max(0.0, q_in - q_out)


@pytest.fixture(scope="module")
def windows() -> dict[str, tuple[dict[str, float], dict[str, float]]]:
    """Each strategy's metrics on the search's in-sample and holdout rows."""
    rng = np.random.default_rng(0)
    price = 10.0 * np.exp(np.cumsum(0.001 + rng.normal(0.0, 0.0015, ROWS)))
    index = pd.date_range("2024-01-01", periods=ROWS, freq="h", tz="UTC", name="timestamp")
    frame = pd.DataFrame({"price": price, "volume": 1.0}, index=index)
    config = EngineConfig().resolve([frame], [index[:CUT], index[CUT:]])
    assert config.metrics_period == "1h"
    out = {}
    for name, params in STRATEGIES.items():
        fit = evaluate_grid(frame, HOLD, [params], config, start=0, stop=CUT)[0]
        check = evaluate_grid(frame, HOLD, [params], config, start=CUT, stop=ROWS)[0]
        out[name] = (row_mapping(fit, 1), row_mapping(check, 1))
    return out


def _scores(score, windows) -> list[float]:
    return [score(*windows[name], CUT) for name in ("weak", "medium", "strong")]


def test_the_planted_trend_makes_every_strategy_look_excellent(windows):
    for fit, check in windows.values():
        assert fit["sortino_ratio"] > 50 and check["sortino_ratio"] > 50
        assert fit["max_drawdown"] < 0.01 and fit["total_trades"] >= 20
    returns = [windows[n][0]["total_return"] for n in ("weak", "medium", "strong")]
    assert returns[0] < 0.15 < returns[1] < 0.5 < 1.0 < returns[2]


@pytest.mark.parametrize("score", [default_score, _template_score()], ids=["package", "workspace"])
def test_default_score_orders_weak_medium_strong(windows, score):
    weak, medium, strong = _scores(score, windows)
    assert weak < medium < strong
    assert medium - weak > 1.0 and strong - medium > 1.0  # far apart, not a rounding


def test_the_old_capped_score_ties_them_and_fails_the_ordering(windows):
    weak, medium, strong = _scores(capped_sortino_score, windows)
    assert max(weak, medium, strong) - min(weak, medium, strong) < 0.02  # a tie at about 5
    assert not weak < medium < strong  # the ordering the new score gets right

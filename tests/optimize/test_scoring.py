"""Scores: the seed's formula, the default's penalties, the fixed validation score."""

from __future__ import annotations

import math

import pytest

from vantageadapt.errors import ConfigError
from vantageadapt.models import AggregateMetrics
from vantageadapt.optimize import default_score, get_score, seed_score, validation_score


def _m(**kw: float) -> dict[str, float]:
    base = {
        "total_return": 0.2,
        "sharpe_ratio": 1.0,
        "sortino_ratio": 2.0,
        "max_drawdown": 0.1,
        "win_rate": 0.5,
        "total_trades": 50.0,
        "profit_factor": 1.5,
        "avg_trade_return": 0.01,
        "exposure": 0.5,
        "n_assets": 1.0,
    }
    return {**base, **kw}


def test_seed_score_is_the_original_formula():
    assert seed_score(_m(), None, 1000) == pytest.approx(50 * 2.0 * (0.2 / 1000))
    assert seed_score(_m(), None, 0) == 0.0


def test_default_score_value_by_hand():
    ln = math.log
    # log growth per drawdown: ln(1.2) / 0.1, less 2 * drawdown 0.1 (50 trades: no shrink)
    assert default_score(_m(), None, 100) == pytest.approx(ln(1.2) / 0.1 - 0.2)
    # holdout: q_in as above, q_out on 5 % -> mean less half the decay
    q_in, q_out = ln(1.2) / 0.1 - 0.2, ln(1.05) / 0.1 - 0.2
    expected = 0.5 * (q_in + q_out) - 0.5 * (q_in - q_out)
    assert default_score(_m(), _m(total_return=0.05), 100) == pytest.approx(expected)
    # a few trades shrink the edge too: 3 trades -> 0.3 * edge - 2 * 0.7 - 0.2
    assert default_score(_m(total_trades=3), None, 100) == pytest.approx(
        0.3 * ln(1.2) / 0.1 - 1.4 - 0.2
    )
    # losses keep their full weight; tiny drawdowns count as the 2 % floor
    assert default_score(_m(total_return=-0.3, max_drawdown=0.4), None, 100) == pytest.approx(
        ln(0.7) / 0.4 - 0.8
    )
    assert default_score(_m(max_drawdown=0.001), None, 100) == pytest.approx(ln(1.2) / 0.02 - 0.002)


def test_default_score_never_saturates():
    # More growth for the same drawdown always ranks higher, however good both are.
    values = [default_score(_m(total_return=r), _m(total_return=r), 100) for r in (1, 3, 9, 27)]
    assert values == sorted(values) and values[-1] - values[-2] > 1.0


def test_default_score_punishes_few_trades_drawdown_and_decay():
    good = default_score(_m(), _m(), 100)
    assert default_score(_m(total_trades=2), _m(total_trades=2), 100) < good
    assert default_score(_m(max_drawdown=0.6), _m(max_drawdown=0.6), 100) < good
    assert default_score(_m(), _m(total_return=-0.05), 100) < good
    # a huge in-sample gain from a handful of trades does not win
    assert default_score(_m(total_return=0.4, total_trades=3), None, 100) < good


def test_trade_minimum_scales_with_assets():
    assert default_score(_m(total_trades=10, n_assets=1), None, 1) > default_score(
        _m(total_trades=10, n_assets=5), None, 1
    )


def test_validation_score_uses_out_of_sample_and_decay():
    ln = math.log
    ins = AggregateMetrics(total_return=0.3, total_trades=40, max_drawdown=0.1, n_assets=2)
    out = AggregateMetrics(total_return=0.1, total_trades=40, max_drawdown=0.1, n_assets=2)
    q_in, q_out = ln(1.3) / 0.1 - 0.2, ln(1.1) / 0.1 - 0.2
    assert validation_score(out, ins) == pytest.approx(q_out - 0.5 * (q_in - q_out))
    assert validation_score(ins, ins) == pytest.approx(q_in)


def test_unknown_score():
    with pytest.raises(ConfigError, match="unknown score 'sharpe'; choose one of default, seed"):
        get_score("sharpe")

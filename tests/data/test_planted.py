"""Planted markets: each edge is there (and only there), at its strength, with one volatility."""

from __future__ import annotations

import functools
import hashlib
import subprocess
import sys

import numpy as np
import pytest

from vantageadapt.data import load_trade_data, make_sample_data
from vantageadapt.data.sample import COLUMNS
from vantageadapt.errors import ConfigError

ROWS = 40_000


@functools.lru_cache
def _returns(edge: str, strength: float = 1.0, seed: int = 11) -> np.ndarray:
    frame = make_sample_data(assets=1, rows=ROWS, seed=seed, edge=edge, edge_strength=strength)
    return np.diff(np.log(frame["TOKEN00"]["dex_price"].to_numpy()))


def _block_autocorrelation(returns: np.ndarray, block: int) -> float:
    """Correlation of consecutive `block`-trade returns."""
    sums = returns[: len(returns) // block * block].reshape(-1, block).sum(axis=1)
    return float(np.corrcoef(sums[:-1], sums[1:])[0, 1])


def test_the_default_sample_is_unchanged_when_no_edge_is_asked_for():
    # The sample before planted markets existed, hashed column by column.
    frames = make_sample_data(assets=2, rows=5_000, seed=3)
    digest = hashlib.sha256()
    for symbol in sorted(frames):
        for column in COLUMNS:
            digest.update(np.ascontiguousarray(frames[symbol][column].to_numpy()).tobytes())
    assert digest.hexdigest() == "0a6501bdf61aef5c7fb170c97a76719c0fa2509250b8898d44a4d275d043a67f"


def test_trend_markets_persist_and_null_markets_do_not():
    assert _block_autocorrelation(_returns("trend"), 100) > 0.12
    assert abs(_block_autocorrelation(_returns("none"), 100)) < 0.15


def _variance_ratio(returns: np.ndarray, block: int) -> float:
    """Variance of `block`-trade returns over `block` times that of one trade (1: a walk)."""
    sums = returns[: len(returns) // block * block].reshape(-1, block).sum(axis=1)
    return float(sums.var() / (block * returns.var()))


def test_reversion_markets_give_back_their_moves():
    assert _variance_ratio(_returns("revert"), 200) < 0.7
    assert 0.75 < _variance_ratio(_returns("none"), 200) < 1.3


def test_volume_markets_rise_in_heavy_trading_only():
    frame = make_sample_data(assets=1, rows=ROWS, seed=4, edge="volume")["TOKEN00"]
    r = np.diff(np.log(frame["dex_price"].to_numpy()))
    heavy = frame["sol_amount"].to_numpy()[:-1] > np.quantile(frame["sol_amount"], 0.8)
    assert r[heavy].mean() > 0 > r[~heavy].mean()


def test_strength_zero_is_no_edge_and_strength_scales_it():
    assert abs(_block_autocorrelation(_returns("trend", 0.0), 100)) < 0.15
    weak = _block_autocorrelation(_returns("trend", 0.5), 100)
    strong = _block_autocorrelation(_returns("trend", 2.0), 100)
    assert strong > weak


def test_every_edge_has_about_the_same_volatility():
    vols = {edge: _returns(edge).std() for edge in ("none", "trend", "revert", "volume")}
    assert max(vols.values()) / min(vols.values()) < 1.6, vols


def test_planted_files_load_like_the_sample(tmp_path):
    from vantageadapt.data import write_sample_data

    path = tmp_path / "trend.pkl"
    write_sample_data(path, assets=2, rows=1_000, seed=1, edge="trend", edge_strength=2.0)
    frames = load_trade_data(path)
    assert sorted(frames) == ["TOKEN00", "TOKEN01"]
    assert all(len(f) == 1_000 for f in frames.values())


@pytest.mark.parametrize(("edge", "strength"), [("sideways", 1.0), ("trend", -1.0), ("trend", 9)])
def test_bad_edges_are_config_errors(edge, strength):
    with pytest.raises(ConfigError, match="--edge"):
        make_sample_data(assets=1, rows=100, edge=edge, edge_strength=strength)


def test_cli_writes_a_planted_market_and_rejects_a_bad_edge(tmp_path):
    out = tmp_path / "m.pkl"
    cmd = [sys.executable, "-m", "vantageadapt.cli", "data", "sample", "--out", str(out)]
    ok = subprocess.run(
        [*cmd, "--assets", "1", "--rows", "500", "--edge", "revert", "--edge-strength", "1.5"],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert out.exists()
    bad = subprocess.run([*cmd, "--edge", "moon"], capture_output=True, text=True)
    assert bad.returncode == 2
    assert "--edge 'moon'" in bad.stderr


REFERENCE = {
    # The research benchmark's reference rules (benchmarks/research.py).
    "trend": {
        "conditions": {"entry": ["ema_{fast} > ema_{slow}"], "exit": ["ema_{fast} < ema_{slow}"]},
        "parameters": {"fast": 20, "slow": 80},
    },
    "revert": {
        "conditions": {"entry": ["price < bb_lower_{w}"], "exit": ["price > ma_{w}"]},
        "parameters": {"w": 40},
    },
}


def _sealed_test_return(tmp_path, edge: str, rule: str, seed: int = 0) -> float:
    """The reference rule tuned by the optimizer on train/validation, at default engine settings."""
    from vantageadapt.backtest import EngineConfig, backtest_assets
    from vantageadapt.data import split_frames, write_sample_data
    from vantageadapt.models import TradingRules
    from vantageadapt.optimize import OptimizeSettings, run_parameter_optimization

    path = tmp_path / f"{edge}.pkl"
    write_sample_data(path, assets=3, rows=30_000, seed=100 + seed, edge=edge)
    split = split_frames(load_trade_data(path))
    spec = REFERENCE[rule]
    params = {**spec["parameters"], "take_profit": 0.3, "stop_loss": 0.15, "order_size": 0.5}
    rules = TradingRules.model_validate({**spec, "parameters": params})
    tuned = run_parameter_optimization(
        split.dev,
        rules,
        settings=OptimizeSettings(trials=60, seed=seed, significance=False),
        validation_start=split.validation_start,
    )
    best = TradingRules(conditions=rules.conditions, parameters=tuned.best_parameters)
    _, test = backtest_assets(split.full, best, EngineConfig(), start=split.test_start)
    return float(test.total_return)


@pytest.mark.parametrize("edge", ["trend", "revert"])
def test_planted_edges_pay_the_default_engine_costs_and_null_markets_do_not(tmp_path, edge):
    # "Tradeable": at default strength and default engine settings (AMM fills, pool fee, fees,
    # 10 SOL account) the reference rule earns on the sealed test of the planted market, and
    # the same rule tuned the same way does not on the null market of the same seed.
    assert _sealed_test_return(tmp_path, edge, edge) > 0.02
    assert _sealed_test_return(tmp_path, "none", edge) <= 0.005

"""`vantage backtest --fill-model amm --init-cash 10` against `--fill-model close` on the sample:
each differs from the other exactly as the slow constant-product reference says."""

from __future__ import annotations

import json

import pytest

from vantageadapt.backtest import EngineConfig, run_backtest
from vantageadapt.cli import main
from vantageadapt.data import load_trade_data, write_sample_data
from vantageadapt.models import TradingRules

from .reference import reference_backtest

RULES = {
    "conditions": {"entry": ["price > ma_20"], "exit": ["price < ma_50"]},
    "parameters": {"take_profit": 0.05, "stop_loss": 0.03, "order_size": 0.5, "max_orders": 2},
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    folder = tmp_path_factory.mktemp("amm")
    data = folder / "sample.pkl"
    write_sample_data(data, assets=2, rows=2_000, seed=11)
    rules = folder / "rules.json"
    rules.write_text(json.dumps(RULES))
    return data, rules


def _backtest(capsys, data, rules, *flags: str) -> dict:
    with pytest.raises(SystemExit) as exit_info:
        main(["backtest", "--data", str(data), "--rules", str(rules), "--json", *flags])
    assert exit_info.value.code == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("slippage", ["0", "0.01"])
def test_amm_and_close_fills_match_the_constant_product_reference(capsys, sample, slippage):
    data, rules_path = sample
    amm = _backtest(capsys, data, rules_path, "--fill-model", "amm", "--init-cash", "10",
                    "--slippage", slippage)  # fmt: skip
    close = _backtest(capsys, data, rules_path, "--fill-model", "close", "--init-cash", "10",
                      "--slippage", slippage)  # fmt: skip
    assert amm["engine"]["fill_model"] == "amm" and close["engine"]["fill_model"] == "close"
    assert amm["metrics_period"] == close["metrics_period"]
    frames = load_trade_data(data)
    rules = TradingRules.model_validate(RULES)
    traded = 0
    for symbol, frame in frames.items():
        for payload, fill in ((amm, "amm"), (close, "close")):
            config = EngineConfig(
                init_cash=10.0,
                fill_model=fill,
                slippage=float(slippage),
                metrics_period=payload["metrics_period"],
            )
            expected = reference_backtest(frame, rules, config).metrics
            assert payload["assets"][symbol] == pytest.approx(expected, rel=1e-9, abs=1e-12)
        got_amm, got_close = amm["assets"][symbol], close["assets"][symbol]
        traded += got_amm["total_trades"]
        if got_amm["total_trades"]:
            # 5 SOL lots in pools of a few hundred SOL pay visible price impact both ways
            assert got_amm["avg_trade_return"] < got_close["avg_trade_return"] - 1e-4
    assert traded > 10


def test_reference_amm_fill_is_the_constant_product_formula():
    # One lot by hand: 5 quote into x=100, y=1,000 (price 0.1); sold into the next row's pool.
    import pandas as pd

    index = pd.date_range("2024-01-01", periods=3, freq="min", tz="UTC", name="timestamp")
    frame = pd.DataFrame(
        {"price": [0.1, 0.1, 0.1], "volume": 1.0, "sol_pool": [100.0, 110.0, 110.0],
         "coin_pool": [1_000.0, 1_000.0 * 100 / 110, 1_000.0 * 100 / 110]},
        index=index,
    )  # fmt: skip
    rules = TradingRules.model_validate(
        {"conditions": {"entry": ["bars_held < 1"], "exit": ["bars_held >= 1"]},
         "parameters": {"order_size": 0.5, "max_orders": 1}}
    )  # fmt: skip
    config = EngineConfig(init_cash=10.0, fees=0.001, slippage=0.01, fill_model="amm")
    f, s, fee = 0.0025, 0.01, 0.001
    q = 10.0 * 0.5
    units = (1_000.0 - 100.0 * 1_000.0 / (100.0 + q * (1 - f))) / (1 + s)
    x, y = 110.0, 1_000.0 * 100 / 110
    gross = (x - x * y / (y + units * (1 - f))) * (1 - s)
    engine = run_backtest(frame, rules, config).trades.to_dict("records")
    for trades in (reference_backtest(frame, rules, config).trades, engine):
        first = trades[0]
        assert first["units"] == pytest.approx(units, rel=1e-12)
        assert first["pnl"] == pytest.approx(gross * (1 - fee) - q * (1 + fee), rel=1e-12)

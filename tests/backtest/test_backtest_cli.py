"""`vantage backtest`: one JSON object on stdout, a table, one-line errors with exit 2."""

from __future__ import annotations

import json
import math

import pytest

from vantageadapt.cli import main

from .frames import random_frame

RULES = {
    "conditions": {"entry": ["price > ma_20", "volume > volume_ma"],
                   "exit": ["price < ma_20", "drawdown > max_drawdown"]},
    "parameters": {"take_profit": 0.1, "stop_loss": 0.05, "order_size": 0.2, "max_orders": 3,
                   "max_drawdown": 0.1},
}  # fmt: skip


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


@pytest.fixture
def files(tmp_path):
    frame = random_frame(600, 3).reset_index()
    frame["symbol"] = "AAA"
    second = random_frame(400, 4).reset_index()
    second["symbol"] = "BBB"
    data = tmp_path / "prices"
    data.mkdir()
    frame.drop(columns="symbol").to_csv(data / "AAA.csv", index=False)
    second.drop(columns="symbol").to_csv(data / "BBB.csv", index=False)
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps(RULES))
    return data, rules


def test_json_has_assets_and_aggregate(capsys, files):
    data, rules = files
    code, out, _ = _cli(capsys, "backtest", "--data", str(data), "--rules", str(rules), "--json")
    assert code == 0
    payload = json.loads(out)
    assert set(payload) == {"engine", "metrics_period", "assets", "aggregate"}
    # price-only data: close fills on 10,000; 600 minute rows allow 1min periods, not 1h
    assert payload["engine"]["fill_model"] == "close" and payload["engine"]["init_cash"] == 1e4
    assert payload["metrics_period"] == payload["engine"]["metrics_period"] == "1min"
    assert set(payload["assets"]) == {"AAA", "BBB"}
    aggregate = payload["aggregate"]
    returns = [m["total_return"] for m in payload["assets"].values()]
    assert aggregate["total_return"] == pytest.approx(sum(returns) / 2)
    assert aggregate["total_trades"] == sum(m["total_trades"] for m in payload["assets"].values())
    assert all(math.isfinite(v) for m in payload["assets"].values() for v in m.values())


def test_table_lists_every_asset(capsys, files):
    data, rules = files
    code, out, _ = _cli(capsys, "backtest", "--data", str(data), "--rules", str(rules))
    assert code == 0
    assert "AAA" in out and "BBB" in out and "aggregate" in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "is not JSON"),
        (json.dumps({**RULES, "conditions": {"entry": ["price > nope_3"], "exit": ["price < 1"]}}),
         "unknown term 'nope_3'"),
        (json.dumps({"conditions": {"entry": ["price >"], "exit": ["price < 1"]},
                     "parameters": {}}), "expected a term"),
    ],
)  # fmt: skip
def test_bad_rules_exit_2_with_one_line(capsys, files, text, message):
    data, rules = files
    rules.write_text(text)
    code, out, err = _cli(capsys, "backtest", "--data", str(data), "--rules", str(rules), "--json")
    assert code == 2
    assert out == ""
    assert message in err
    assert len([line for line in err.splitlines() if "error" in line]) == 1


# The original system design's default rules, exactly: `max_drawdown` is not in parameters.
SEED_DEFAULT_RULES = {
    "conditions": {"entry": ["price > ma_20", "volume > volume_ma"],
                   "exit": ["price < ma_20", "drawdown > max_drawdown"]},
    "parameters": {"take_profit": 0.1, "stop_loss": 0.05, "order_size": 0.001, "max_orders": 3},
}  # fmt: skip


def test_the_seed_default_rules_run_as_written(capsys, files, tmp_path):
    data, _ = files
    seed_rules = tmp_path / "seed_rules.json"
    seed_rules.write_text(json.dumps(SEED_DEFAULT_RULES))
    code, out, err = _cli(
        capsys, "backtest", "--data", str(data), "--rules", str(seed_rules), "--json"
    )
    assert code == 0, err
    # max_drawdown is a known risk parameter defaulting to 0.1: the same as giving it.
    explicit = tmp_path / "explicit.json"
    given = {**SEED_DEFAULT_RULES["parameters"], "max_drawdown": 0.1}
    explicit.write_text(json.dumps({**SEED_DEFAULT_RULES, "parameters": given}))
    code, same, _ = _cli(
        capsys, "backtest", "--data", str(data), "--rules", str(explicit), "--json"
    )
    assert code == 0 and json.loads(out) == json.loads(same)
    # A different drawdown limit changes the trades, so the default is really used.
    tighter = tmp_path / "tighter.json"
    tighter.write_text(
        json.dumps({**SEED_DEFAULT_RULES, "parameters": {**given, "max_drawdown": 0.001}})
    )
    code, other, _ = _cli(
        capsys, "backtest", "--data", str(data), "--rules", str(tighter), "--json"
    )
    assert code == 0 and json.loads(other) != json.loads(out)

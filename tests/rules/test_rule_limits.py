"""Hostile conditions, parameters and rules files: a clear RuleError/ConfigError, never a crash."""

from __future__ import annotations

import pytest

from vantageadapt.commands.rules_file import load_rules_file
from vantageadapt.errors import ConfigError, RuleError
from vantageadapt.models import TradingRules
from vantageadapt.rules import check_rules, parse_condition
from vantageadapt.rules.parser import MAX_NESTING


def _rules(entry: str = "price > ma_20", **parameters: float) -> dict:
    return {"conditions": {"entry": [entry], "exit": ["price < ma_20"]}, "parameters": parameters}


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("(" * 120 + "price > 1" + ")" * 120, "nests 120 deep; the limit is 32"),
        ("not " * 40 + "price > 1", "nests 40 deep; the limit is 32"),
        ("price > " + "-" * 40 + "1", "nests 40 deep; the limit is 32"),
        ("not " * 1_000 + "price > 1", "characters long; the limit is 2,000"),
        (" + ".join(["price"] * 1_000) + " > 1", "characters long; the limit is 2,000"),
        (" + ".join(["ma_5"] * 150) + " > 1", "301 terms and operators; the limit is 200"),
        ("price > 1e999", "number 1e999 is too large"),
    ],
)
def test_hostile_conditions_are_rule_errors(condition, message):
    with pytest.raises(RuleError, match=message.replace("(", r"\(")):
        parse_condition(condition)


def test_conditions_at_the_limits_still_work():
    deep = "(" * MAX_NESTING + "price > ma_20" + ")" * MAX_NESTING
    long_sum = " + ".join(["drawdown"] * 99) + " > 1"
    check_rules([deep, "not " * (MAX_NESTING - 1) + "price > 1"], [long_sum], {})
    assert parse_condition("(price) - -1 > -(2)") is not None  # binary and unary minus


@pytest.mark.parametrize("name", ["take_profit", "stop_loss"])
def test_negative_stops_are_an_error_not_zero(name):
    with pytest.raises(RuleError, match=rf"parameter '{name}' is -0.05; a stop .* 0 or more"):
        TradingRules.model_validate(_rules(**{name: -0.05}))
    assert TradingRules.model_validate(_rules(**{name: 0.0})).parameters[name] == 0.0


@pytest.mark.parametrize(
    ("name", "kind"),
    [("price", "column"), ("ma_20", "indicator"), ("drawdown", "position"), ("macd", "macd"),
     ("volume_ma", "indicator")],
)  # fmt: skip
def test_a_parameter_named_like_a_term_is_an_error(name, kind):
    with pytest.raises(RuleError, match=rf"parameter '{name}' is already a term \({kind}\)"):
        TradingRules.model_validate(_rules(**{name: 3.0}))


def test_free_parameter_names_and_the_risk_parameters_stay_valid():
    rules = TradingRules.model_validate(
        _rules("price > ma_{w} * k", w=20, k=1.01, max_drawdown=0.1, macd_fast=12)
    )
    assert rules.parameters["w"] == 20


def test_non_finite_parameters_are_refused():
    with pytest.raises(RuleError, match="'k' is inf; give a finite number"):
        TradingRules.model_validate(_rules("price > k", k=float("inf")))


def test_rules_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "rules.json"
    path.write_bytes(b'{"conditions": "\xff"}')
    with pytest.raises(ConfigError, match=r"not UTF-8 text \(byte 0xff at offset 16\)"):
        load_rules_file(path)


def test_rules_file_with_a_bom_reads(tmp_path):
    path = tmp_path / "rules.json"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"conditions": {"entry": ["price > 1"], "exit": '
                     b'["price < 1"]}, "parameters": {}}')  # fmt: skip
    assert load_rules_file(path).conditions.entry == ["price > 1"]


def test_rules_file_nested_deep_or_too_big(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ConfigError, match="nests too deep"):
        load_rules_file(deep)
    big = tmp_path / "big.json"
    big.write_text(" " * 2_000_000 + "{}")
    with pytest.raises(ConfigError, match="over 1,000,000 bytes"):
        load_rules_file(big)


def test_too_many_conditions_is_an_error(tmp_path):
    from pydantic import ValidationError

    raw = _rules()
    raw["conditions"]["entry"] = ["price > 1"] * 33
    with pytest.raises(ValidationError, match="at most 32"):
        TradingRules.model_validate(raw)


def test_a_rules_file_that_is_a_device_is_not_read_forever():
    with pytest.raises(ConfigError, match="not a regular file"):
        load_rules_file("/dev/zero")

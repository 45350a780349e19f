"""The condition language: grammar, precedence, checks and error messages."""

from __future__ import annotations

import re

import pytest

from vantageadapt.errors import RuleError
from vantageadapt.rules import check_rules, known_terms, parse_condition
from vantageadapt.rules.checks import condition_parameters
from vantageadapt.rules.parser import Arith, BoolOp, Compare, Name, Neg, Not, Num, names_in


def test_precedence_and_shapes():
    node = parse_condition("price > ma_20 * 1.02 + 1 and not rsi_14 >= 70 or volume < 2")
    assert isinstance(node, BoolOp) and node.op == "or"
    left = node.operands[0]
    assert isinstance(left, BoolOp) and left.op == "and"
    cmp = left.operands[0]
    assert cmp == Compare(">", Name("price"), Arith("+", Arith("*", Name("ma_20"), Num(1.02)),
                                                    Num(1.0)))  # fmt: skip
    assert isinstance(left.operands[1], Not)
    assert parse_condition("-price < -(1 - 2)") == Compare(
        "<", Neg(Name("price")), Neg(Arith("-", Num(1.0), Num(2.0)))
    )
    crosses = parse_condition("ema_{fast} crosses_above ema_{slow}")
    assert crosses == Compare("crosses_above", Name("ema_{fast}"), Name("ema_{slow}"))


def test_nodes_sharing_a_shape_stay_distinct():
    # Neg/Not share the one-operand base and Arith/Compare the binary one, never equality.
    assert Neg(Name("a")) != Not(Name("a")) and Arith("<", Num(1.0), Num(2.0)) != Compare(
        "<", Num(1.0), Num(2.0)
    )
    assert parse_condition("a - b * c / d - e > 1") == Compare(
        ">",
        Arith("-", Arith("-", Name("a"), Arith("/", Arith("*", Name("b"), Name("c")), Name("d"))),
              Name("e")),
        Num(1.0),
    )  # fmt: skip
    node = parse_condition("not -x < y and (z crosses_above w or v > 2)")
    assert names_in(node) == ["x", "y", "z", "w", "v"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("price", "is a number, not a comparison"),
        ("price > ", "expected a term"),
        ("price > ma_20 )", "unexpected token"),
        ("(price > 1", "missing ')'"),
        ("1 < price < 2", "chained comparisons"),
        ("price > 1 + (volume > 2)", "needs numbers"),
        ("price > 1 and 2", "joins comparisons"),
        ("__import__('os').system('x') > 1", "unexpected character"),
        ("price.__class__ > 1", "unexpected character"),
        ("price == 1", "unexpected"),
    ],
)
def test_syntax_errors_name_the_condition(text, message):
    with pytest.raises(RuleError, match=re.escape(message)) as info:
        check_rules([text], ["price < 1"], {})
    assert repr(text) in str(info.value) or text == ""


@pytest.mark.parametrize(
    ("condition", "params", "message"),
    [
        ("price > fooma_20", {}, "unknown term 'fooma_20'"),
        ("price > ma_0", {}, "window 0.0"),
        ("price > volatility_1", {}, "between 2"),
        ("price > ma_{w}", {}, "window parameter 'w'"),
        ("price > ma_{w}", {"w": -3}, "window -3"),
        ("price > limit", {"limt": 1}, "did you mean 'limt'"),
        ("drawdown crosses_above 0.1", {}, "cannot use position terms"),
    ],
)
def test_unknown_terms_and_bad_windows(condition, params, message):
    with pytest.raises(RuleError, match=message) as info:
        check_rules([condition], ["price < 1"], params)
    if "unknown" in message or "did you mean" in message:
        assert "known terms:" in str(info.value) and "ma_N" in str(info.value)


def test_valid_rules_and_parameters():
    params = {"w": 20.0, "max_drawdown": 0.1, "macd_fast": 5}
    check_rules(
        ["price > ma_{w}", "macd_hist > 0", "volume > volume_ma", "price > bb_upper_10"],
        ["price < low_5 or drawdown > max_drawdown", "bars_held >= 10", "pnl < -0.05"],
        params,
    )
    assert condition_parameters(["price > ma_{w}", "drawdown > max_drawdown", "macd > 0"],
                                params) == ["w", "max_drawdown", "macd_fast"]  # fmt: skip
    with pytest.raises(RuleError, match="entry conditions are empty"):
        check_rules([], ["price < 1"], {})


def test_known_terms_lists_every_family():
    terms = known_terms()
    for term in ("price", "ma_N", "volume_ma_N", "rsi_N", "atr_N", "high_N", "bb_upper_N",
                 "macd_signal", "drawdown", "bars_held", "pnl"):  # fmt: skip
        assert term in terms

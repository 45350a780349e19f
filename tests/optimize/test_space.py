"""Search spaces: typed ranges, validation messages, file and CLI overrides, rule-named params."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vantageadapt.errors import ConfigError
from vantageadapt.models import TradingRules
from vantageadapt.optimize import ParamSpec, SearchSpace, default_search_space, parse_override
from vantageadapt.optimize.space import load_space_file, parse_spec


def _rules(**extra: float) -> TradingRules:
    params = {"take_profit": 0.1, "stop_loss": 0.05, "order_size": 0.1, "max_orders": 3, **extra}
    return TradingRules.model_validate(
        {
            "conditions": {
                "entry": ["price > ma_{ma_window}", "macd > macd_signal"],
                "exit": ["drawdown > max_drawdown"],
            },
            "parameters": params,
        }
    )


def test_default_space_has_design_ranges_and_rule_parameters():
    space = default_search_space(_rules(max_drawdown=0.1, ma_window=20, macd_fast=12, spare=4.0))
    by_name = {p.name: p for p in space.params}
    assert (by_name["take_profit"].low, by_name["take_profit"].high) == (0.05, 0.3)
    assert (by_name["stop_loss"].low, by_name["stop_loss"].high) == (0.02, 0.15)
    assert (by_name["order_size"].low, by_name["order_size"].high) == (0.05, 0.5)
    assert by_name["max_orders"].kind == "int" and by_name["max_orders"].values() == (1, 2, 3, 4, 5)
    assert by_name["max_drawdown"].kind == "float"
    assert by_name["ma_window"].kind == "int" and (
        by_name["ma_window"].low,
        by_name["ma_window"].high,
    ) == (10, 40)
    assert by_name["macd_fast"].kind == "int"
    assert "spare" not in by_name  # named by the rules but used by no condition: stays fixed


def test_amount_sizing_uses_the_seed_order_sizes():
    space = default_search_space(_rules(max_drawdown=0.1, ma_window=20), size_type="amount")
    spec = space.get("order_size")
    assert (spec.low, spec.high) == (0.0005, 0.005)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"kind": "float", "low": 0.3, "high": 0.1}, "min 0.3 > max 0.1"),
        ({"kind": "float", "low": 0.1, "high": 0.1}, "empty range"),
        ({"kind": "int", "low": 1.2, "high": 1.8}, "empty range"),
        ({"kind": "choice", "choices": []}, "empty range"),
        ({"kind": "log", "low": 0.0, "high": 1.0}, "log range needs low > 0"),
        ({"type": "cubic", "low": 0.0, "high": 1.0}, "unknown type 'cubic'"),
        ({"kind": "float", "low": 0.1}, "needs low and high"),
    ],
)
def test_bad_ranges_are_one_line_config_errors(raw, message):
    with pytest.raises(ConfigError, match=message) as info:
        parse_spec("take_profit", raw)
    assert "take_profit" in str(info.value) and "\n" not in str(info.value)


def test_unknown_override_names_the_parameter_and_suggests():
    space = default_search_space(_rules(max_drawdown=0.1, ma_window=20))
    with pytest.raises(
        ConfigError, match=r"unknown parameter 'take_proft'.*did you mean 'take_profit'"
    ):
        space.with_overrides({"take_proft": {"low": 0.1, "high": 0.2}}, allowed=[])


def test_overrides_replace_and_add_rule_parameters():
    rules = _rules(max_drawdown=0.1, ma_window=20, spare=4.0)
    space = default_search_space(rules).with_overrides(
        {"take_profit": {"low": 0.1, "high": 0.2}, "spare": {"type": "choice", "values": [2, 4]}},
        allowed=rules.parameters,
    )
    assert (space.get("take_profit").low, space.get("take_profit").high) == (0.1, 0.2)
    assert space.get("spare").choices == (2.0, 4.0)


def test_parse_override_forms():
    assert parse_override("take_profit=0.1:0.2")[1] == ParamSpec(
        name="take_profit", kind="float", low=0.1, high=0.2
    )
    assert parse_override("max_orders=1:3:int")[1].values() == (1, 2, 3)
    assert parse_override("ma_window=10,20,50")[1].choices == (10, 20, 50)
    assert parse_override("target_vol=0.01:0.1:log")[1].kind == "log"
    with pytest.raises(ConfigError, match="bad --param"):
        parse_override("take_profit")
    with pytest.raises(ConfigError, match="bad --param"):
        parse_override("take_profit=a:b")


def test_space_file_json_and_toml(tmp_path):
    (tmp_path / "s.json").write_text(
        json.dumps({"stop_loss": {"type": "float", "min": 0.01, "max": 0.2}})
    )
    (tmp_path / "s.toml").write_text('[max_orders]\ntype = "int"\nlow = 1\nhigh = 2\n')
    assert load_space_file(tmp_path / "s.json")["stop_loss"].high == 0.2
    assert load_space_file(tmp_path / "s.toml")["max_orders"].values() == (1, 2)
    (tmp_path / "bad.json").write_text("{nope")
    with pytest.raises(ConfigError, match=r"bad\.json does not parse"):
        load_space_file(tmp_path / "bad.json")
    with pytest.raises(ConfigError, match="cannot read search space file"):
        load_space_file(tmp_path / "missing.json")


def test_duplicate_names_rejected():
    spec = ParamSpec(name="a", low=0.0, high=1.0)
    with pytest.raises(ConfigError, match="more than once"):
        SearchSpace(params=(spec, spec))


def test_edges():
    spec = ParamSpec(name="a", low=0.0, high=1.0)
    assert (spec.edge(0.0), spec.edge(0.5), spec.edge(1.0)) == ("low", None, "high")


def test_window_parameters_draw_from_a_log_spaced_integer_grid():
    from vantageadapt.optimize.samplers import RandomSampler, TPESampler
    from vantageadapt.optimize.space import WINDOW_POINTS

    rules = TradingRules.model_validate(
        {
            "conditions": {"entry": ["price > high_{bw}"], "exit": ["price < ma_20"]},
            "parameters": {"bw": 100},
        }
    )
    spec = default_search_space(rules).get("bw")
    grid = spec.values()
    assert spec.points == WINDOW_POINTS and len(grid) <= WINDOW_POINTS
    assert grid[0] == 50 and grid[-1] == 200 and all(float(v).is_integer() for v in grid)
    ratios = np.diff(np.log(grid))
    assert ratios.max() - ratios.min() < 0.05  # evenly spaced in log
    space = SearchSpace(params=(spec,))
    drawn = {p["bw"] for p in RandomSampler(space, seed=1).ask(300)}
    assert drawn == set(grid)
    assert {p["bw"] for p in TPESampler(space, seed=1, startup=4).ask(20)} <= set(grid)
    narrow = ParamSpec(name="w", kind="int", low=3, high=9, points=12)
    assert narrow.values() == tuple(float(v) for v in range(3, 10))

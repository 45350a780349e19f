"""Indicators against slow loops, warm-up NaNs, no look-ahead, custom indicators."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vantageadapt.errors import RuleError
from vantageadapt.models import TradingRules
from vantageadapt.rules import (
    IndicatorCache,
    check_indicator_name,
    check_rules,
    compile_rules,
    known_terms,
)


def _frame(rows: int, seed: int = 0, hl: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    price = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, rows)))
    index = pd.date_range("2024-01-01", periods=rows, freq="h", tz="UTC", name="timestamp")
    cols = {"price": price, "volume": rng.lognormal(0, 1, rows)}
    if hl:
        cols["high"] = price * 1.01
        cols["low"] = price * 0.99
    return pd.DataFrame(cols, index=index)


def _slow(name: str, frame: pd.DataFrame, n: int) -> list[float]:
    p = list(frame["price"])
    v = list(frame["volume"])
    out = []
    for t in range(len(p)):
        win = p[t - n + 1 : t + 1] if t >= n - 1 else None
        if name == "ma":
            out.append(sum(win) / n if win else math.nan)
        elif name == "std":
            mean = sum(win) / n if win else math.nan
            out.append(math.sqrt(sum((x - mean) ** 2 for x in win) / n) if win else math.nan)
        elif name == "volume_ma":
            out.append(sum(v[t - n + 1 : t + 1]) / n if t >= n - 1 else math.nan)
        elif name == "high":
            out.append(max(p[t - n : t]) if t >= n else math.nan)
        elif name == "low":
            out.append(min(p[t - n : t]) if t >= n else math.nan)
        elif name == "returns":
            out.append(p[t] / p[t - n] - 1 if t >= n else math.nan)
        elif name == "volatility":
            if t < n:
                out.append(math.nan)
                continue
            r = [p[i] / p[i - 1] - 1 for i in range(t - n + 1, t + 1)]
            m = sum(r) / n
            out.append(math.sqrt(sum((x - m) ** 2 for x in r) / (n - 1)))
    return out


def _slow_ema(values: list[float], n: int) -> list[float]:
    alpha = 2 / (n + 1)
    out, e = [], values[0]
    for t, x in enumerate(values):
        e = x if t == 0 else alpha * x + (1 - alpha) * e
        out.append(e if t >= n - 1 else math.nan)
    return out


def _slow_rsi(p: list[float], n: int) -> list[float]:
    out = [math.nan] * len(p)
    ch = [p[i] - p[i - 1] for i in range(1, len(p))]
    if len(ch) < n:
        return out
    g = sum(max(c, 0) for c in ch[:n]) / n
    lo = sum(max(-c, 0) for c in ch[:n]) / n
    for t in range(n, len(p)):
        if t > n:
            c = ch[t - 1]
            g = (g * (n - 1) + max(c, 0)) / n
            lo = (lo * (n - 1) + max(-c, 0)) / n
        out[t] = 100.0 if lo == 0 and g > 0 else (50.0 if lo == 0 else 100 - 100 / (1 + g / lo))
    return out


def _slow_atr(frame: pd.DataFrame, n: int) -> list[float]:
    p, h, lo = list(frame["price"]), list(frame["high"]), list(frame["low"])
    tr = [math.nan] + [max(h[t] - lo[t], abs(h[t] - p[t - 1]), abs(lo[t] - p[t - 1]))
                       for t in range(1, len(p))]  # fmt: skip
    out = [math.nan] * len(p)
    if len(p) <= n:
        return out
    a = sum(tr[1 : n + 1]) / n
    out[n] = a
    for t in range(n + 1, len(p)):
        a = (a * (n - 1) + tr[t]) / n
        out[t] = a
    return out


@pytest.mark.parametrize("name", ["ma", "std", "volume_ma", "high", "low", "returns", "volatility"])
@pytest.mark.parametrize("n", [2, 5, 17])
def test_window_indicators_match_slow_loops(name, n):
    frame = _frame(80, seed=n)
    got = IndicatorCache(frame).get(name, n)
    np.testing.assert_allclose(got, _slow(name, frame, n), rtol=1e-9, equal_nan=True)


@pytest.mark.parametrize("n", [2, 9, 14])
def test_ema_rsi_atr_bbands_macd_match_slow_loops(n):
    frame = _frame(90, seed=100 + n)
    cache = IndicatorCache(frame)
    prices = list(frame["price"])
    np.testing.assert_allclose(cache.get("ema", n), _slow_ema(prices, n), equal_nan=True)
    np.testing.assert_allclose(cache.get("rsi", n), _slow_rsi(prices, n), equal_nan=True)
    np.testing.assert_allclose(cache.get("atr", n), _slow_atr(frame, n), equal_nan=True)
    ma, std = np.array(_slow("ma", frame, n)), np.array(_slow("std", frame, n))
    np.testing.assert_allclose(cache.get("bb_upper", n), ma + 2 * std, equal_nan=True)
    np.testing.assert_allclose(cache.get("bb_lower", n), ma - 2 * std, equal_nan=True)
    line = np.array(_slow_ema(prices, 4)) - np.array(_slow_ema(prices, 8))
    first = int(np.argmax(~np.isnan(line)))
    signal = np.full(len(line), np.nan)
    signal[first:] = _slow_ema(list(line[first:]), 3)
    np.testing.assert_allclose(cache.macd("macd", 4, 8, 3), line, equal_nan=True)
    np.testing.assert_allclose(cache.macd("macd_signal", 4, 8, 3), signal, equal_nan=True)
    np.testing.assert_allclose(cache.macd("macd_hist", 4, 8, 3), line - signal, equal_nan=True)


def test_rsi_flat_prices_is_defined():
    frame = _frame(30)
    frame["price"] = 10.0
    assert np.nanmax(IndicatorCache(frame).get("rsi", 5)) == 50.0


ALL_TERMS = ["ma_{w}", "ema_{w}", "rsi_{w}", "std_{w}", "atr_{w}", "high_{w}", "low_{w}",
             "bb_upper_{w}", "bb_lower_{w}", "returns_{w}", "volatility_{w}", "volume_ma_{w}",
             "macd", "macd_signal", "macd_hist"]  # fmt: skip


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 1000), st.integers(2, 15), st.integers(5, 70), st.sampled_from(ALL_TERMS))
def test_no_look_ahead(seed, w, cut, term):
    frame = _frame(80, seed)
    changed = frame.copy()
    rng = np.random.default_rng(seed + 1)
    changed.iloc[cut:, :] = changed.iloc[cut:, :].to_numpy() * rng.uniform(0.5, 2.0, (80 - cut, 1))
    rules = TradingRules.model_validate({
        "conditions": {"entry": [f"price > {term}", f"price crosses_above {term} * 1.001"],
                       "exit": [f"{term} < volume", f"{term} crosses_below price"]},
        "parameters": {"w": w},
    })  # fmt: skip
    a, b = compile_rules(rules, frame), compile_rules(rules, changed)
    assert (a.entry[:cut] == b.entry[:cut]).all() and (a.exit[:cut] == b.exit[:cut]).all()
    cache_a, cache_b = IndicatorCache(frame), IndicatorCache(changed)
    name = term.split("_{")[0]
    if name.startswith("macd"):
        x, y = cache_a.macd(name, 12, 26, 9), cache_b.macd(name, 12, 26, 9)
    else:
        x, y = cache_a.get(name, w), cache_b.get(name, w)
    np.testing.assert_array_equal(x[:cut], y[:cut])


def test_nan_comparisons_are_false_during_warmup():
    frame = _frame(30)
    rules = TradingRules.model_validate(
        {"conditions": {"entry": ["price > ma_10"], "exit": ["price <= ma_10"]}, "parameters": {}}
    )
    compiled = compile_rules(rules, frame)
    assert not compiled.entry[:9].any() and not compiled.exit[:9].any()
    assert (compiled.entry[9:] | compiled.exit[9:]).all()


def test_custom_indicators_are_terms_only_where_passed_in():
    frame = _frame(40)

    def zscore(f: pd.DataFrame, window: int) -> np.ndarray:
        s = f["price"]
        return ((s - s.rolling(window).mean()) / s.rolling(window).std()).to_numpy()

    data = {"conditions": {"entry": ["zscore_{w} > 0"], "exit": ["zscore_{w} < -1"]},
            "parameters": {"w": 5}}  # fmt: skip
    with pytest.raises(RuleError, match="unknown term 'zscore_"):
        TradingRules.model_validate(data)
    rules = TradingRules.checked(data, indicators=["zscore"])
    assert "zscore_N" in known_terms(["zscore"]) and "zscore_N" not in known_terms()
    # Nothing is remembered between calls: the next check without the name fails again.
    with pytest.raises(RuleError, match="unknown term"):
        check_rules(["zscore_5 > 0"], ["price < 1"], {})
    compiled = compile_rules(rules, frame, custom_indicators={"zscore": zscore})
    expected = zscore(frame, 5)
    np.testing.assert_array_equal(compiled.entry, np.nan_to_num(expected, nan=-1) > 0)
    with pytest.raises(RuleError, match="one value per row"):
        compile_rules(rules, frame, custom_indicators={"zscore": lambda f, w: np.ones(3)})
    with pytest.raises(RuleError, match="clashes"):
        check_indicator_name("ma")
    with pytest.raises(RuleError, match="lower_snake_case"):
        check_indicator_name("Bad-Name")


def test_missing_column_is_rule_error():
    frame = _frame(20, hl=False)
    rules = TradingRules.model_validate(
        {"conditions": {"entry": ["high > 1"], "exit": ["price < 1"]}, "parameters": {}}
    )
    with pytest.raises(RuleError, match="'high' column"):
        compile_rules(rules, frame)

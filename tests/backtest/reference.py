"""A slow, obvious pure-Python engine written straight from DESIGN.md, to check the numba one."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vantageadapt.backtest import EngineConfig
from vantageadapt.rules import IndicatorCache, parse_condition
from vantageadapt.rules.parser import Arith, BoolOp, Compare, Name, Neg, Not, Num
from vantageadapt.rules.terms import macd_windows, resolve_term


@dataclass
class Lot:
    units: float
    notional: float
    fee: float
    fill: float
    row: int
    peak: float

    @property
    def cost(self) -> float:
        return self.notional + self.fee


@dataclass
class Outcome:
    metrics: dict[str, float]
    equity: list[float]
    trades: list[dict] = field(default_factory=list)


class Evaluator:
    """Evaluates a parsed condition at one row, reading indicator arrays from the cache."""

    def __init__(self, cache: IndicatorCache, parameters: dict[str, float]) -> None:
        self.cache = cache
        self.parameters = parameters

    def value(self, node, t: int, pos: dict[str, float]):
        if isinstance(node, Num):
            return np.float64(node.value)
        if isinstance(node, Name):
            term = resolve_term(node.text, "", self.parameters, self.cache.custom)
            if term.kind == "position":
                return np.float64(pos[term.name])
            if term.kind == "param":
                return np.float64(term.value)
            if term.kind == "column":
                return self.cache.column(term.name)[t]
            if term.kind == "macd":
                return self.cache.macd(term.name, *macd_windows(self.parameters, ""))[t]
            return self.cache.get(term.name, term.window)[t]
        if isinstance(node, Neg):
            return -self.value(node.operand, t, pos)
        if isinstance(node, Arith):
            a, b = self.value(node.left, t, pos), self.value(node.right, t, pos)
            with np.errstate(all="ignore"):
                return {"+": a + b, "-": a - b, "*": a * b, "/": np.divide(a, b)}[node.op]
        if isinstance(node, Compare):
            a, b = self.value(node.left, t, pos), self.value(node.right, t, pos)
            if node.op == "crosses_above":
                if t == 0:
                    return False
                pa, pb = self.value(node.left, t - 1, pos), self.value(node.right, t - 1, pos)
                return bool(a > b) and bool(pa <= pb)
            if node.op == "crosses_below":
                if t == 0:
                    return False
                pa, pb = self.value(node.left, t - 1, pos), self.value(node.right, t - 1, pos)
                return bool(a < b) and bool(pa >= pb)
            return bool({">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}[node.op])
        if isinstance(node, BoolOp):
            parts = [self.value(o, t, pos) for o in node.operands]
            return all(parts) if node.op == "and" else any(parts)
        if isinstance(node, Not):
            return not self.value(node.operand, t, pos)
        raise TypeError(node)


def period_keys(index: pd.Index, period: str) -> list:
    """Each row's period: its own row number for `row`, else its timestamp floored."""
    if period == "row" or not isinstance(index, pd.DatetimeIndex):
        return list(range(len(index)))
    return [ts.floor(period) for ts in index]


def periods_per_year(index: pd.Index, period: str) -> float:
    """Distinct non-empty periods over the span in years (1.0 when the span is empty)."""
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 2:
        return 1.0
    years = (index[-1] - index[0]).total_seconds() / (365.25 * 86_400.0)
    return len(set(period_keys(index, period))) / years if years > 0 else 1.0


def last_of_each_period(values: list[float], keys: list) -> list[float]:
    """The last value of each run of equal keys, in order."""
    return [v for i, v in enumerate(values) if i == len(values) - 1 or keys[i + 1] != keys[i]]


def _position(lots: list[Lot], p: float, t: int) -> dict[str, float]:
    if not lots:
        return {"drawdown": 0.0, "bars_held": 0.0, "pnl": 0.0}
    cost = sum(lot.cost for lot in lots)
    value = sum(lot.units * p for lot in lots)
    return {
        "drawdown": (lots[0].peak - p) / lots[0].peak,
        "bars_held": float(t - lots[0].row),
        "pnl": (value - cost) / cost,
    }


def reference_backtest(
    frame: pd.DataFrame, rules, config: EngineConfig = EngineConfig(), *, start: int = 0,
    stop: int | None = None,
) -> Outcome:  # fmt: skip
    """Simulate row by row with Python objects; returns metrics, equity and trades."""
    stop = len(frame) if stop is None else stop
    if not config.resolved:
        config = config.resolve([frame], [frame.index[start:stop]])
    ann = periods_per_year(frame.index, config.metrics_period)  # over all the frame's rows
    keys = period_keys(frame.index[start:stop], config.metrics_period)
    frame = frame.iloc[:stop]
    params = rules.parameters
    cache = IndicatorCache(frame)
    ev = Evaluator(cache, params)
    entry_nodes = [parse_condition(c) for c in rules.conditions.entry]
    exit_nodes = [parse_condition(c) for c in rules.conditions.exit]
    tp = max(params.get("take_profit", 0.0), 0.0)
    sl = max(params.get("stop_loss", 0.0), 0.0)
    size = params.get("order_size", 1.0)
    max_orders = round(params.get("max_orders", 1))
    price = frame["price"].to_numpy()
    columns = {name: frame[name].to_numpy() for name in frame.columns}
    level_stops = config.stop_fill == "level" and {"high", "low"} <= set(frame.columns)
    amm = config.fill_model == "amm" and {"sol_pool", "coin_pool"} <= set(frame.columns)
    vol = None
    if config.size_type == "volatility":
        vol = cache.get("volatility", round(params.get("vol_window", 20)))
    cash = config.init_cash
    lots: list[Lot] = []
    trades: list[dict] = []
    equity: list[float] = []
    exposed = 0
    fees, slip, pf = config.fees, config.slippage, config.pool_fee

    def sell(lot: Lot, level: float, t: int, reason: str, pool: list[float]) -> float:
        if amm:
            x, y = pool
            out_q = x - x * y / (y + lot.units * (1 - pf))
            pool[0], pool[1] = x - out_q, y + lot.units
            gross = out_q * (1 - slip)
        else:
            gross = lot.units * level * (1 - slip)
        proceeds = gross - gross * fees
        pnl = proceeds - lot.cost
        trades.append(
            {"entry_row": lot.row, "exit_row": t, "entry_price": lot.fill,
             "exit_price": gross / lot.units, "units": lot.units, "notional": lot.notional,
             "fees": lot.fee + gross * fees, "pnl": pnl, "return": pnl / lot.cost,
             "reason": reason}
        )  # fmt: skip
        return proceeds

    for t in range(start, stop):
        p = price[t]
        pool = [columns["sol_pool"][t], columns["coin_pool"][t]] if amm else []
        for lot in lots:
            lot.peak = max(lot.peak, p)
        # 1. stops
        for lot in list(lots):
            tp_level = lot.fill * (1 + tp) if tp > 0 else math.inf
            sl_level = lot.fill * (1 - sl) if sl > 0 else -math.inf
            if level_stops:
                if columns["low"][t] <= sl_level:
                    hit, level = "stop_loss", sl_level
                elif columns["high"][t] >= tp_level:
                    hit, level = "take_profit", tp_level
                else:
                    hit = None
            else:
                level = p
                hit = "take_profit" if p >= tp_level else ("stop_loss" if p <= sl_level else None)
            if hit:
                cash += sell(lot, level, t, hit, pool)
                lots.remove(lot)
        # 2. exit signal
        if lots:
            pos = _position(lots, p, t)
            if any(ev.value(node, t, pos) for node in exit_nodes):
                for lot in list(lots):
                    cash += sell(lot, p, t, "signal", pool)
                lots.clear()
        # 3. entry
        pos = _position(lots, p, t)
        if len(lots) < max_orders and all(ev.value(node, t, pos) for node in entry_nodes):
            fill = p * (1 + slip)
            if config.size_type == "amount":
                if amm:
                    x, y = pool
                    want = size * (1 + slip)
                    notional = (x * y / (y - want) - x) / (1 - pf) if want < y else cash
                else:
                    notional = size * fill
            else:
                frac = size
                if vol is not None:
                    target = params["target_vol"]
                    if vol[t] > target and target > 0:
                        frac = size * target / vol[t]
                notional = frac * (cash + sum(lot.units for lot in lots) * p)
            capped = notional * (1 + fees) > cash
            if capped:
                notional = cash / (1 + fees)
            if notional > 1e-12:
                if amm:
                    x, y = pool
                    units = (y - x * y / (x + notional * (1 - pf))) / (1 + slip)
                    fill = notional / units
                else:
                    units = notional / fill
                cash = 0.0 if capped else max(cash - notional * (1 + fees), 0.0)
                lots.append(Lot(units, notional, notional * fees, fill, t, p))
        exposed += bool(lots)
        equity.append(cash + sum(lot.units for lot in lots) * p)
    for lot in lots:
        value = lot.units * price[stop - 1]
        trades.append(
            {"entry_row": lot.row, "exit_row": stop - 1, "entry_price": lot.fill,
             "exit_price": price[stop - 1], "units": lot.units, "notional": lot.notional,
             "fees": lot.fee, "pnl": value - lot.cost, "return": (value - lot.cost) / lot.cost,
             "reason": "open"}
        )  # fmt: skip
    return Outcome(
        _metrics(equity, trades, exposed, config.init_cash, ann, keys),
        equity,
        trades,
    )


def _metrics(equity, trades, exposed, init_cash, ann, keys) -> dict[str, float]:
    names = ("total_return", "sharpe_ratio", "sortino_ratio", "max_drawdown", "win_rate",
             "total_trades", "profit_factor", "avg_trade_return", "exposure")  # fmt: skip
    out = dict.fromkeys(names, 0.0)
    n = len(equity)
    if n == 0:
        return out
    eq = np.array(equity)
    ends = np.array(last_of_each_period(equity, keys))
    prev = np.concatenate([[init_cash], ends[:-1]])
    r = np.where(prev > 0, ends / prev - 1, 0.0)
    mean = r.mean()
    if len(r) > 1:
        std = math.sqrt(max(((r - mean) ** 2).sum() / (len(r) - 1), 0.0))
        if std > 1e-15:
            out["sharpe_ratio"] = mean / std * math.sqrt(ann)
    downside = math.sqrt((np.minimum(r, 0.0) ** 2).mean())
    if downside > 1e-15 and len(r) > 1:
        out["sortino_ratio"] = mean / downside * math.sqrt(ann)
    out["total_return"] = eq[-1] / init_cash - 1
    peak = np.maximum.accumulate(np.concatenate([[init_cash], eq]))
    out["max_drawdown"] = float(((peak - np.concatenate([[init_cash], eq])) / peak).max())
    closed = [tr for tr in trades if tr["reason"] != "open"]
    out["total_trades"] = len(closed)
    if closed:
        wins = [tr["pnl"] for tr in closed if tr["pnl"] > 0]
        losses = [-tr["pnl"] for tr in closed if tr["pnl"] <= 0]
        out["win_rate"] = len(wins) / len(closed)
        out["avg_trade_return"] = sum(tr["return"] for tr in closed) / len(closed)
        if sum(losses) > 0:
            out["profit_factor"] = min(sum(wins) / sum(losses), 100.0)
        elif wins:
            out["profit_factor"] = 100.0
    out["exposure"] = exposed / n
    return {k: (v if math.isfinite(v) else 0.0) for k, v in out.items()}

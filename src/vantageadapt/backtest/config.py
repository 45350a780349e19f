"""Engine settings and how rule parameters turn into the kernel's per-set numbers."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from vantageadapt.backtest.layout import ENGINE_DTYPE, SET_DTYPE, SIZE_TYPES
from vantageadapt.backtest.periods import (
    check_metrics_period,
    choose_metrics_period,
    period_ids,
    periods_per_year,
)
from vantageadapt.errors import ConfigError
from vantageadapt.rules.indicator_store import IndicatorStore

logger = logging.getLogger(__name__)

DEFAULT_ORDER_SIZE = 1.0
DEFAULT_VOL_WINDOW = 20
POOL_COLUMNS = ("sol_pool", "coin_pool")
FILL_MODELS = ("auto", "close", "amm")
STOP_FILLS = ("close", "level")
# The original's account: 10 SOL on pool data; a round 10,000 on price-only data.
AMM_INIT_CASH = 10.0
CLOSE_INIT_CASH = 10_000.0


def has_pools(frame: pd.DataFrame) -> bool:
    """Whether a frame carries the pool reserves AMM fills need."""
    return set(POOL_COLUMNS) <= set(frame.columns)


@dataclass(frozen=True)
class EngineConfig:
    """Account and fill settings shared by every parameter set (docs/internals.md, backtest).

    `fill_model="auto"`, `init_cash=None` and `metrics_period="auto"` are settled by `resolve`
    (once for a run, over all its assets and scored windows) or, left open, per asset.
    """

    init_cash: float | None = None
    fees: float = 0.001
    slippage: float = 0.0
    size_type: str = "fraction"
    stop_fill: str = "close"
    fill_model: str = "auto"
    pool_fee: float = 0.0025
    metrics_period: str = "auto"

    def __post_init__(self) -> None:
        if self.size_type not in SIZE_TYPES:
            raise ConfigError(f"size_type {self.size_type!r} must be one of {sorted(SIZE_TYPES)}")
        if self.stop_fill not in STOP_FILLS:
            raise ConfigError(f"stop_fill {self.stop_fill!r} must be 'close' or 'level'")
        if self.fill_model not in FILL_MODELS:
            raise ConfigError(
                f"fill_model {self.fill_model!r} must be one of {', '.join(FILL_MODELS)}"
            )
        check_metrics_period(self.metrics_period)
        if self.init_cash is not None and not self.init_cash > 0:
            raise ConfigError(f"init_cash {self.init_cash} must be positive")
        for name in ("fees", "slippage", "pool_fee"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ConfigError(f"{name} {value} must be in [0, 1)")

    @property
    def resolved(self) -> bool:
        """Whether no setting is left to `auto`."""
        return (
            self.fill_model != "auto"
            and self.init_cash is not None
            and self.metrics_period != "auto"
        )

    def resolve(
        self, frames: Iterable[pd.DataFrame], windows: Iterable[pd.Index] | None = None
    ) -> EngineConfig:
        """The settings with `auto` settled: AMM fills when every frame carries pool reserves,
        init_cash 10 (quote currency) with them else 10,000, and the metrics period that gives
        every scored window (default: each frame whole) at least 30 periods."""
        frames = list(frames)
        fill = self.fill_model
        if fill == "auto":
            pools = [has_pools(f) for f in frames]
            fill = "amm" if pools and all(pools) else "close"
            if any(pools) and not all(pools):
                logger.warning("only some assets carry sol_pool/coin_pool; using price fills")
        cash = self.init_cash
        if cash is None:
            cash = AMM_INIT_CASH if fill == "amm" else CLOSE_INIT_CASH
        scored = list(windows) if windows is not None else [f.index for f in frames]
        period = choose_metrics_period(scored, self.metrics_period)
        return replace(self, fill_model=fill, init_cash=cash, metrics_period=period)

    def summary(self) -> str:
        """One line for people: fills, account, costs and the period ratios are computed on."""
        fills = self.fill_model
        if fills == "amm":
            fills = f"amm (pool fee {self.pool_fee:g})"
        cash = "auto" if self.init_cash is None else f"{self.init_cash:g}"
        return (
            f"engine: fills {fills}, init_cash {cash}, fees {self.fees:g}, slippage "
            f"{self.slippage:g}, size {self.size_type}, stops {self.stop_fill}; "
            f"sharpe/sortino per {self.metrics_period} period"
        )

    def describe(self) -> dict[str, float | str | None]:
        """The settings as JSON-ready data (what the run stores and shows)."""
        return {
            "init_cash": self.init_cash,
            "fees": self.fees,
            "slippage": self.slippage,
            "fill_model": self.fill_model,
            "pool_fee": self.pool_fee,
            "size_type": self.size_type,
            "stop_fill": self.stop_fill,
            "metrics_period": self.metrics_period,
        }


@dataclass(frozen=True)
class SetParams:
    """The per-set numbers the kernel reads (0 disables a stop)."""

    take_profit: float
    stop_loss: float
    order_size: float
    max_orders: int
    target_vol: float
    vol_window: int


def _number(parameters: Mapping[str, float], name: str, default: float) -> float:
    value = float(parameters.get(name, default))
    if not np.isfinite(value):
        raise ConfigError(f"parameter {name!r} is {value}; give a finite number")
    return value


def set_params(parameters: Mapping[str, float], config: EngineConfig) -> SetParams:
    """Read take_profit, stop_loss, order_size, max_orders (and volatility sizing) from rules."""
    order_size = _number(parameters, "order_size", DEFAULT_ORDER_SIZE)
    if order_size <= 0:
        raise ConfigError(f"parameter 'order_size' {order_size} must be positive")
    max_orders = round(_number(parameters, "max_orders", 1))
    if max_orders < 1 or max_orders > 1000:
        raise ConfigError(f"parameter 'max_orders' {max_orders} must be between 1 and 1000")
    target_vol = 0.0
    vol_window = DEFAULT_VOL_WINDOW
    if config.size_type == "volatility":
        if "target_vol" not in parameters:
            raise ConfigError(
                "size_type 'volatility' needs parameter 'target_vol' (per-row return std, "
                "e.g. 0.01) and optionally 'vol_window' (default 20)"
            )
        target_vol = _number(parameters, "target_vol", 0.0)
        if target_vol <= 0:
            # order_size * min(1, target_vol / volatility) would never open a lot
            raise ConfigError(f"parameter 'target_vol' {target_vol} must be positive")
        vol_window = round(_number(parameters, "vol_window", DEFAULT_VOL_WINDOW))
        if vol_window < 2:
            raise ConfigError(f"parameter 'vol_window' {vol_window} must be at least 2")
    return SetParams(
        take_profit=max(_number(parameters, "take_profit", 0.0), 0.0),
        stop_loss=max(_number(parameters, "stop_loss", 0.0), 0.0),
        order_size=order_size,
        max_orders=int(max_orders),
        target_vol=target_vol,
        vol_window=int(vol_window),
    )


@dataclass(frozen=True)
class FrameArrays:
    """The frame columns the kernel reads, in kernel form."""

    price: np.ndarray
    high: np.ndarray
    low: np.ndarray
    x_pool: np.ndarray
    y_pool: np.ndarray
    stop_level: bool
    amm: bool
    ann: float
    period: np.ndarray

    @property
    def nbytes(self) -> int:
        """Bytes held (for bounded stores)."""
        arrays = (self.price, self.high, self.low, self.x_pool, self.y_pool, self.period)
        return sum(a.nbytes for a in arrays)


def frame_arrays(frame: pd.DataFrame, config: EngineConfig) -> FrameArrays:
    """Price, optional high/low for level stops, optional pool reserves for AMM fills, and
    each row's metrics period with the periods per year over all the frame's rows.

    `config` must be resolved (see `for_window`)."""
    empty = np.empty(0)
    price = np.ascontiguousarray(frame["price"].to_numpy(dtype=np.float64))
    stop_level = config.stop_fill == "level" and {"high", "low"} <= set(frame.columns)
    if config.stop_fill == "level" and not stop_level:
        logger.warning("stop_fill='level' needs high and low columns; stops fill at the price")
    amm = config.fill_model == "amm" and set(POOL_COLUMNS) <= set(frame.columns)
    if config.fill_model == "amm" and not amm:
        logger.warning("fill_model='amm' needs sol_pool and coin_pool columns; using price fills")

    def col(name: str, used: bool) -> np.ndarray:
        if not used:
            return empty
        return np.ascontiguousarray(frame[name].to_numpy(dtype=np.float64))

    return FrameArrays(
        price=price,
        high=col("high", stop_level),
        low=col("low", stop_level),
        x_pool=col("sol_pool", amm),
        y_pool=col("coin_pool", amm),
        stop_level=stop_level,
        amm=amm,
        ann=periods_per_year(frame.index, config.metrics_period),
        period=period_ids(frame.index, config.metrics_period),
    )


def stored_frame_arrays(
    frame: pd.DataFrame, config: EngineConfig, key: str, store: IndicatorStore
) -> FrameArrays:
    """`frame_arrays` of the whole frame, kept in `store` under its content key: every
    window, search and iteration on the same asset shares one copy (and one period count)."""
    settings = (config.fill_model, config.stop_fill, config.metrics_period)
    return store.get((key, "frame_arrays", settings), lambda: frame_arrays(frame, config))


def engine_record(config: EngineConfig, arrays: FrameArrays) -> np.void:
    """The kernel's ENGINE_DTYPE record for these settings and this frame."""
    record = np.zeros(1, dtype=ENGINE_DTYPE)[0]
    record["init_cash"] = config.init_cash
    record["fees"] = config.fees
    record["slippage"] = config.slippage
    record["size_type"] = SIZE_TYPES[config.size_type]
    record["stop_level"] = arrays.stop_level
    record["amm"] = arrays.amm
    record["pool_fee"] = config.pool_fee
    record["ann"] = arrays.ann
    return record


def set_records(sets: list[SetParams], groups: np.ndarray) -> np.ndarray:
    """The kernel's SET_DTYPE array: each set's numbers and the signal group it reads."""
    return _records(
        [p.take_profit for p in sets],
        [p.stop_loss for p in sets],
        [p.order_size for p in sets],
        [p.max_orders for p in sets],
        [p.target_vol for p in sets],
        groups,
    )


def _records(take_profit, stop_loss, order_size, max_orders, target_vol, groups) -> np.ndarray:
    records = np.zeros(len(groups), dtype=SET_DTYPE)
    records["take_profit"] = take_profit
    records["stop_loss"] = stop_loss
    records["order_size"] = order_size
    records["max_orders"] = max_orders
    records["target_vol"] = target_vol
    records["group"] = groups
    return records


def set_table(
    param_sets: Sequence[Mapping[str, float]], config: EngineConfig
) -> tuple[np.ndarray, np.ndarray]:
    """`set_params` of many sets at once, read column by column: their SET_DTYPE records
    (group 0) and volatility windows. A bad set raises `set_params`' error for it."""
    n = len(param_sets)

    def column(name: str, default: float) -> np.ndarray:
        return np.array([p.get(name, default) for p in param_sets], dtype=np.float64)

    take_profit, stop_loss = column("take_profit", 0.0), column("stop_loss", 0.0)
    order_size = column("order_size", DEFAULT_ORDER_SIZE)
    max_orders = np.round(column("max_orders", 1))
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(take_profit) & np.isfinite(stop_loss) & (order_size > 0)
        valid &= np.isfinite(order_size) & (max_orders >= 1) & (max_orders <= 1000)
        target_vol, vol_window = np.zeros(n), np.full(n, float(DEFAULT_VOL_WINDOW))
        if config.size_type == "volatility":
            target_vol = column("target_vol", np.nan)  # missing: an error, as set_params says
            vol_window = np.round(column("vol_window", DEFAULT_VOL_WINDOW))
            valid &= np.isfinite(target_vol) & (target_vol > 0)
            valid &= np.isfinite(vol_window) & (vol_window >= 2)
    if not valid.all():
        bad = int(np.argmin(valid))
        set_params(param_sets[bad], config)  # raises what is wrong with this set
        raise ConfigError(f"parameter set {bad} is invalid: {dict(param_sets[bad])}")
    records = _records(
        np.maximum(take_profit, 0.0),
        np.maximum(stop_loss, 0.0),
        order_size,
        max_orders.astype(np.int64),
        target_vol,
        np.zeros(n, dtype=np.int64),
    )
    return records, vol_window.astype(np.int64)


def market_arrays(arrays: FrameArrays) -> tuple[np.ndarray, ...]:
    """The kernel's market tuple: price, high, low, quote and token reserves, metrics periods."""
    return (arrays.price, arrays.high, arrays.low, arrays.x_pool, arrays.y_pool, arrays.period)


def for_window(config: EngineConfig, frame: pd.DataFrame, start: int, stop: int) -> EngineConfig:
    """`config` as given when resolved, else settled for this one asset's traded rows."""
    if config.resolved:
        return config
    return config.resolve([frame], [frame.index[start:stop]])

"""Synthetic DEX trade data in the original format, deterministic for a seed.

Each asset is a constant-product pool (sol_pool x coin_pool = k, fee taken outside the
pool). A regime-switching log-price path (trending, ranging and volatile spells,
Student-t shocks, jumps, volume bursts) fixes the pool's price before each trade; the trade
at row t is the swap that moves the pool from row t's reserves to row t+1's, so
`dex_price = sol_pool / coin_pool` and every row sits on the curve.
"""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from vantageadapt.data.planted import POOL_SOL, check_edge, planted_returns
from vantageadapt.data.shocks import ar1, bursts
from vantageadapt.errors import ConfigError
from vantageadapt.outputs import check_output_path, write_output

POOL_FEE = 0.0025
START = np.datetime64("2024-01-01T00:00:00", "s")
PICKLE_PROTOCOL = 5
COLUMNS = (
    "timestamp",
    "dex_price",
    "sol_amount",
    "token_amount",
    "is_buy",
    "sol_pool",
    "coin_pool",
)


@dataclass(frozen=True)
class _Spell:
    kind: str  # "trend" | "ranging" | "volatile"
    start: int
    stop: int


def _spells(rng: np.random.Generator, rows: int) -> list[_Spell]:
    spells, pos = [], 0
    while pos < rows:
        length = int(np.clip(rng.lognormal(np.log(4_000), 0.6), 800, 20_000))
        kind = str(rng.choice(["trend", "ranging", "volatile"], p=[0.5, 0.3, 0.2]))
        spells.append(_Spell(kind, pos, min(rows, pos + length)))
        pos += length
    return spells


def _log_returns(rng: np.random.Generator, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-trade log returns of the pool price, and the activity multiplier of each trade."""
    burst = bursts(rng, rows)
    shocks = rng.standard_t(3, size=rows) / np.sqrt(3.0) * burst  # unit-variance, heavy tails
    returns = np.empty(rows)
    activity = burst.copy()
    level = 0.0
    for spell in _spells(rng, rows):
        z = shocks[spell.start : spell.stop]
        if spell.kind == "trend":
            # Trends lean back toward the starting level so the price stays bounded.
            up = rng.random() < 1.0 / (1.0 + np.exp(level))
            drift = (1.0 if up else -1.0) * rng.uniform(5e-5, 1.5e-4)
            r = drift + 0.002 * z
        elif spell.kind == "ranging":
            wander = ar1(0.0025 * z, 0.997)
            r = np.diff(wander, prepend=0.0)
        else:
            n = len(z)
            r = 0.006 * z
            jumps = rng.random(n) < 0.002
            r[jumps] += rng.normal(0.0, 0.04, size=int(jumps.sum()))
            activity[spell.start : spell.stop] *= 2.0
        returns[spell.start : spell.stop] = r
        level += float(r.sum())
    return returns, activity


def _asset(rng: np.random.Generator, rows: int, edge: str = "", strength: float = 1.0):
    if edge:
        returns, activity = planted_returns(rng, rows, edge, strength)
    else:
        returns, activity = _log_returns(rng, rows)
    sol0 = rng.uniform(*(POOL_SOL if edge else (80.0, 400.0)))
    price0 = 10.0 ** rng.uniform(-7.0, -5.0)
    k = sol0 * sol0 / price0
    log_price = np.log(price0) + np.concatenate(([0.0], np.cumsum(returns)))
    price = np.exp(log_price)  # rows + 1 pool prices: before each trade, and after the last
    sol = np.sqrt(k * price)
    coin = np.sqrt(k / price)
    d_sol = np.diff(sol)
    is_buy = d_sol > 0
    sol_amount = np.where(is_buy, d_sol / (1.0 - POOL_FEE), -d_sol)
    d_coin = np.diff(coin)
    token_amount = np.where(is_buy, -d_coin, d_coin / (1.0 - POOL_FEE))
    gaps = rng.exponential(rng.uniform(3.0, 12.0), size=rows) / activity
    seconds = np.floor(rng.uniform(0, 3_600) + np.cumsum(gaps)).astype("int64")
    timestamp = (START + seconds.astype("timedelta64[s]")).astype("datetime64[ns]")
    sol_pool, coin_pool = sol[:-1], coin[:-1]
    return pd.DataFrame(
        {
            "timestamp": timestamp,
            "dex_price": sol_pool / coin_pool,
            "sol_amount": sol_amount,
            "token_amount": token_amount,
            "is_buy": is_buy,
            "sol_pool": sol_pool,
            "coin_pool": coin_pool,
        }
    )


def make_sample_data(
    *,
    assets: int = 10,
    rows: int = 100_000,
    seed: int = 0,
    edge: str | None = None,
    edge_strength: float = 1.0,
) -> dict[str, pd.DataFrame]:
    """{symbol: raw frame} of synthetic DEX trades in the original's columns.

    `edge=None` is the regime-switching default sample; `none|trend|revert|volume` is a
    planted market (see `vantageadapt.data.planted`) of that edge at `edge_strength`.
    """
    if assets < 1 or rows < 2:
        raise ConfigError(f"sample data needs assets >= 1 and rows >= 2 (got {assets}, {rows})")
    if edge is not None:
        check_edge(edge, edge_strength)
    children = np.random.SeedSequence(seed).spawn(assets)
    width = max(2, len(str(assets - 1)))
    return {
        f"TOKEN{i:0{width}d}": _asset(np.random.default_rng(child), rows, edge or "", edge_strength)
        for i, child in enumerate(children)
    }


def _long_table(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    parts = [frame.assign(symbol=symbol) for symbol, frame in frames.items()]
    table = pd.concat(parts, ignore_index=True)
    return table[["symbol", *COLUMNS]]


def _encode(frames: dict[str, pd.DataFrame], path: Path) -> bytes:
    name = path.name.lower()
    if name.endswith((".pkl", ".pickle")):
        return pickle.dumps(frames, protocol=PICKLE_PROTOCOL)
    buffer = io.BytesIO()
    if name.endswith((".parquet", ".pq")):
        _long_table(frames).to_parquet(buffer, index=False, compression="zstd")
    else:
        _long_table(frames).to_csv(buffer, index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
    return buffer.getvalue()


def write_sample_data(
    path: str | Path,
    *,
    assets: int = 10,
    rows: int = 100_000,
    seed: int = 0,
    edge: str | None = None,
    edge_strength: float = 1.0,
) -> None:
    """Write sample data to .pkl ({symbol: DataFrame}), .parquet or .csv (a `symbol` column).

    The same seed gives byte-identical files; the write is atomic.
    """
    path = Path(path)
    if not path.name.lower().endswith((".pkl", ".pickle", ".parquet", ".pq", ".csv")):
        raise ConfigError(f"--out {path}: use a .pkl, .parquet or .csv file name")
    check_output_path(path)  # before the data is made
    frames = make_sample_data(
        assets=assets, rows=rows, seed=seed, edge=edge, edge_strength=edge_strength
    )
    write_output(path, _encode(frames, path))

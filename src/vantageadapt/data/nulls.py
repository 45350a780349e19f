"""Null versions of a data set: the same assets with their serial structure destroyed.

Per asset, the log price returns are cut into blocks of `block` rows and the blocks shuffled;
the price is rebuilt from the first price. Timestamps (so spacing), volume and every other
column stay where they are; the size of each move is kept (volatility), only its order
changes, so whatever edge the order held is gone. The first and last prices are unchanged.
Pool reserves, where present, move along their constant-product curve to the new price, and
open/high/low scale with it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

NULL_BLOCK = 20
_SCALED = ("open", "high", "low")


def shuffled_returns(returns: np.ndarray, rng: np.random.Generator, block: int) -> np.ndarray:
    """The returns with their blocks of `block` rows in a random order (the last may be short)."""
    starts = np.arange(0, len(returns), block)
    order = rng.permutation(len(starts))
    return np.concatenate([returns[starts[i] : starts[i] + block] for i in order])


def null_frame(frame: pd.DataFrame, rng: np.random.Generator, block: int = NULL_BLOCK):
    """One asset's null version (see the module docstring)."""
    price = frame["price"].to_numpy(dtype=np.float64)
    if len(price) < 2:
        return frame.copy()
    moves = shuffled_returns(np.diff(np.log(price)), rng, block)
    new_price = price[0] * np.exp(np.concatenate(([0.0], np.cumsum(moves))))
    out = frame.copy()
    ratio = new_price / price
    out["price"] = new_price
    for column in _SCALED:
        if column in out.columns:
            out[column] = out[column].to_numpy(dtype=np.float64) * ratio
    if {"sol_pool", "coin_pool"} <= set(out.columns):
        k = out["sol_pool"].to_numpy(dtype=np.float64) * out["coin_pool"].to_numpy(np.float64)
        out["sol_pool"] = np.sqrt(k * new_price)
        out["coin_pool"] = np.sqrt(k / new_price)
    return out


def null_frames(
    frames: Mapping[str, pd.DataFrame], seed: int, block: int = NULL_BLOCK
) -> dict[str, pd.DataFrame]:
    """Every asset's null version, deterministic for a seed."""
    children = np.random.SeedSequence(seed).spawn(len(frames))
    return {
        symbol: null_frame(frame, np.random.default_rng(child), block)
        for (symbol, frame), child in zip(sorted(frames.items()), children, strict=True)
    }

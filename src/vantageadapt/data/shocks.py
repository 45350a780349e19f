"""Building blocks of synthetic returns: AR(1) paths and bursts of heavy trading."""

from __future__ import annotations

import numpy as np


def ar1(shocks: np.ndarray, phi: float) -> np.ndarray:
    """x[t] = phi * x[t-1] + shocks[t] from x[-1] = 0, for 0 <= phi < 1, vectorised in blocks.

    Inside a block x[j] = phi**j * (phi * carry + cumsum(shocks / phi**i)[j]); a block is
    short enough that phi**-block stays below about 4, so no precision is lost.
    """
    block = 1 if phi <= 0 else int(np.clip(1.4 / -np.log(phi), 1, 512))
    out = np.empty(len(shocks))
    carry = 0.0
    for start in range(0, len(shocks), block):
        chunk = shocks[start : start + block]
        powers = phi ** np.arange(len(chunk))
        x = powers * (phi * carry + np.cumsum(chunk / powers))
        out[start : start + len(chunk)] = x
        carry = float(x[-1])
    return out


def bursts(rng: np.random.Generator, rows: int, every: int = 4_000) -> np.ndarray:
    """Activity multiplier per trade: 1, or 2-4 inside short bursts of heavy trading."""
    mult = np.ones(rows)
    for start in rng.integers(0, rows, size=max(1, rows // every)):
        length = int(rng.integers(50, 400))
        mult[start : start + length] = rng.uniform(2.0, 4.0)
    return mult

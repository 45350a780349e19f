"""Probability of backtest overfitting by combinatorially symmetric cross-validation (CSCV).

Bailey, Borwein, Lopez de Prado and Zhu (2015), "The probability of backtest overfitting".
The trial matrix holds one column of period returns per trial, rows in time order. Its rows
are cut into S equal blocks; every choice of S/2 blocks is an in-sample set and the other
half its out-of-sample set. For each split the best trial in-sample (by Sharpe ratio) is
ranked out-of-sample among all trials, w = rank / (N + 1), and lambda = log(w / (1 - w)).
PBO is the share of splits with lambda <= 0: how often the in-sample winner is at best
median out of sample. Near 0: the search's choice holds up; near 1 (or about 0.5 and above):
the choice is luck.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations

import numpy as np

DEFAULT_BLOCKS = 16
FLAT = 1e-6  # a std below this share of the column's largest |return| counts as none
TIE = 1e-9  # Sharpe ratios closer than this (relative, at least absolute) are equal


def usable_blocks(rows: int, blocks: int = DEFAULT_BLOCKS) -> int:
    """The even number of blocks CSCV uses for `rows` rows: at most `blocks`, 2 rows each."""
    s = min(blocks, rows // 2)
    return s - s % 2


def _sharpe(
    total: np.ndarray, squares: np.ndarray, n: int, shift: np.ndarray, scale: np.ndarray
) -> np.ndarray:
    """Per-column mean / std (ddof=1) from sums of x and of (x - shift)^2 over n rows.

    A column whose std is below 1e-6 of its largest absolute value in the matrix (constant,
    e.g. a trial that never traded) has no ratio: it is called 0.
    """
    mean = total / n
    var = np.maximum(squares - n * (mean - shift) ** 2, 0.0) / (n - 1)
    std = np.sqrt(var)
    flat = std <= FLAT * scale + 1e-300
    return np.where(flat, 0.0, mean / np.where(flat, 1.0, std))


@lru_cache(maxsize=8)
def _splits(s: int) -> np.ndarray:
    """One row per way to pick half of `s` blocks in-sample: 1 for the blocks picked."""
    picks = np.array(list(combinations(range(s), s // 2)), dtype=np.int64)
    choose = np.zeros((len(picks), s))
    np.put_along_axis(choose, picks, 1.0, axis=1)
    choose.flags.writeable = False
    return choose


def logits(matrix: np.ndarray, blocks: int = DEFAULT_BLOCKS) -> np.ndarray:
    """CSCV logit of the in-sample winner's out-of-sample rank, one per split."""
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] < 2:
        raise ValueError("the trial matrix needs two dimensions and at least 2 trials")
    s = usable_blocks(m.shape[0], blocks)
    if s < 2:
        raise ValueError(f"the trial matrix needs at least 4 rows (got {m.shape[0]})")
    size = m.shape[0] // s
    m = np.nan_to_num(m[m.shape[0] - s * size :], nan=0.0)  # drop the oldest spare rows
    parts = m.reshape(s, size, m.shape[1])
    shift = m.mean(axis=0)  # sums of squares about the column mean keep their precision
    scale = np.abs(m).max(axis=0)
    sums, squares = parts.sum(axis=1), ((parts - shift) ** 2).sum(axis=1)
    choose = _splits(s)
    half = size * s // 2
    is_sharpe = _sharpe(choose @ sums, choose @ squares, half, shift, scale)
    oos_sum, oos_sq = sums.sum(axis=0) - choose @ sums, squares.sum(axis=0) - choose @ squares
    oos_sharpe = _sharpe(oos_sum, oos_sq, half, shift, scale)
    # Sharpes equal to within TIE are ties (the first such trial wins in-sample).
    top = is_sharpe.max(axis=1, keepdims=True)
    best = np.argmax(is_sharpe >= top - TIE * np.maximum(1.0, np.abs(top)), axis=1)
    chosen = oos_sharpe[np.arange(len(best)), best][:, None]
    tol = TIE * np.maximum(1.0, np.abs(chosen))
    below = (oos_sharpe < chosen - tol).sum(axis=1)
    ties = (np.abs(oos_sharpe - chosen) <= tol).sum(axis=1)
    rank = below + (ties + 1) / 2.0  # average rank, 1 = worst
    w = rank / (m.shape[1] + 1)
    return np.log(w / (1.0 - w))


def probability_of_backtest_overfitting(matrix: np.ndarray, blocks: int = DEFAULT_BLOCKS) -> float:
    """PBO in [0, 1] of a (periods x trials) matrix of period returns; NaN when too small."""
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] < 2 or usable_blocks(m.shape[0], blocks) < 2:
        return float("nan")
    return float(np.mean(logits(m, blocks) <= 0.0))

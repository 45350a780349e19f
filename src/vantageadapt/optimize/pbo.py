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
from numba import njit, prange
from threadpoolctl import ThreadpoolController

DEFAULT_BLOCKS = 16
FLAT = 1e-6  # a std below this share of the column's largest |return| counts as none
TIE = 1e-9  # Sharpe ratios closer than this (relative, at least absolute) are equal


def usable_blocks(rows: int, blocks: int = DEFAULT_BLOCKS) -> int:
    """The even number of blocks CSCV uses for `rows` rows: at most `blocks`, 2 rows each."""
    s = min(blocks, rows // 2)
    return s - s % 2


@njit(cache=True, nogil=True)
def _sharpe_nb(total, squares, n, shift, scale):
    """Mean / std (ddof=1) of n rows from their sum and their sum of (x - shift)^2.

    A std below 1e-6 of the column's largest absolute value in the matrix (constant, e.g.
    a trial that never traded) has no ratio: it is called 0."""
    mean = total / n
    d = mean - shift
    var = squares - n * (d * d)
    if var < 0.0:  # NaN stays NaN, as np.maximum keeps it
        var = 0.0
    std = np.sqrt(var / (n - 1))
    if std <= FLAT * scale + 1e-300:
        return 0.0
    return mean / std


@njit(cache=True, nogil=True)
def _at_least_one(x):
    """np.maximum(1.0, abs(x)) (NaN stays NaN)."""
    a = abs(x)
    if a != a or a > 1.0:
        return a
    return 1.0


@njit(cache=True, nogil=True, parallel=True)
def _ranks_nb(is_sums, is_squares, sums, squares, n, shift, scale):
    """Per split (row of the in-sample sums), the in-sample winner's out-of-sample rank
    w = rank / (N + 1): Sharpes within TIE of the best are ties (the first one wins), the
    rank is the average among out-of-sample ties, 1 = worst. The splits run in parallel."""
    splits, trials = is_sums.shape
    out = np.empty(splits)
    for i in prange(splits):
        is_sharpe = np.empty(trials)
        oos_sharpe = np.empty(trials)
        top = -np.inf
        for j in range(trials):
            a = _sharpe_nb(is_sums[i, j], is_squares[i, j], n, shift[j], scale[j])
            oos_sum, oos_sq = sums[j] - is_sums[i, j], squares[j] - is_squares[i, j]
            oos_sharpe[j] = _sharpe_nb(oos_sum, oos_sq, n, shift[j], scale[j])
            is_sharpe[j] = a
            if a != a or top != top:
                top = np.nan
            elif a > top:
                top = a
        level = top - TIE * _at_least_one(top)
        best = 0
        for j in range(trials):
            if is_sharpe[j] >= level:
                best = j
                break
        chosen = oos_sharpe[best]
        tol = TIE * _at_least_one(chosen)
        below = 0
        ties = 0
        for j in range(trials):
            if oos_sharpe[j] < chosen - tol:
                below += 1
            if abs(oos_sharpe[j] - chosen) <= tol:
                ties += 1
        out[i] = (below + (ties + 1) / 2.0) / (trials + 1)
    return out


@lru_cache(maxsize=8)
def _splits(s: int) -> np.ndarray:
    """One row per way to pick half of `s` blocks in-sample: 1 for the blocks picked."""
    picks = np.array(list(combinations(range(s), s // 2)), dtype=np.int64)
    choose = np.zeros((len(picks), s))
    np.put_along_axis(choose, picks, 1.0, axis=1)
    choose.flags.writeable = False
    return choose


@lru_cache(maxsize=1)
def _blas() -> ThreadpoolController:
    """The process's BLAS thread pools (found once)."""
    return ThreadpoolController()


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
    # The in-sample sums by BLAS, on one thread: the products are small, OpenBLAS's idle
    # threads spin for a while after use and take a core from the kernels that run next, and
    # its threaded products differ in the last bits with the number of cores. The rest per
    # split.
    with _blas().limit(limits=1, user_api="blas"):
        is_sums, is_squares = choose @ sums, choose @ squares
    totals, total_squares = sums.sum(axis=0), squares.sum(axis=0)
    w = _ranks_nb(is_sums, is_squares, totals, total_squares, half, shift, scale)
    return np.log(w / (1.0 - w))


def probability_of_backtest_overfitting(matrix: np.ndarray, blocks: int = DEFAULT_BLOCKS) -> float:
    """PBO in [0, 1] of a (periods x trials) matrix of period returns; NaN when too small."""
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] < 2 or usable_blocks(m.shape[0], blocks) < 2:
        return float("nan")
    return float(np.mean(logits(m, blocks) <= 0.0))

"""How sure a search's pick is: the trial matrix of period returns, its deflated Sharpe and PBO.

Every trial of a search (capped at `MAX_COLUMNS`, best first) is backtested again on the same
rows: the train rows of the assets the search used. Each asset's equity curve becomes calendar
period returns (the last equity of each non-empty period, E_0 = the start cash), the assets are
averaged (equal weight) into one portfolio return per period, one column per trial. The chosen
trial's column and the other columns' Sharpe ratios give the deflated Sharpe ratio on those same
periods; the whole matrix gives the probability of backtest overfitting (CSCV).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from vantageadapt.backtest.periods import period_floor
from vantageadapt.models import TradingRules
from vantageadapt.optimize.deflated import deflated_sharpe_ratio, sample_moments
from vantageadapt.optimize.pbo import probability_of_backtest_overfitting
from vantageadapt.rules.indicator_store import IndicatorStore, content_key

MAX_COLUMNS = 32


@dataclass(frozen=True)
class Significance:
    """The chosen trial's deflated Sharpe and the search's PBO, on `periods` periods."""

    deflated_sharpe: float
    pbo: float
    periods: int
    period: str


def period_ends(index: pd.DatetimeIndex, period: str) -> np.ndarray:
    """Positions of the last row of each non-empty period (every row for 'row')."""
    if period == "row":
        return np.arange(len(index))
    return _last_rows(period_floor(index, period))


def _last_rows(floors: np.ndarray) -> np.ndarray:
    """Positions of the rows whose period start differs from the next row's (and the last)."""
    return np.flatnonzero(np.append(floors[1:] != floors[:-1], True))


def period_returns(equity: np.ndarray, ends: np.ndarray, init_cash: float) -> np.ndarray:
    """r_k = E_k / E_(k-1) - 1 over the last equity of each period (E_0 = init_cash), along
    the last axis (one curve, or one row per curve)."""
    values = np.asarray(equity, dtype=np.float64)[..., ends]
    first = np.full((*values.shape[:-1], 1), float(init_cash))
    values = np.concatenate((first, values), axis=-1)
    return values[..., 1:] / values[..., :-1] - 1.0


@dataclass(frozen=True)
class TrialRows:
    """What trials are re-run on: the frames, each asset's rows [start, stop), the engine
    settings, the custom indicators the rules may read, and the indicator store (the
    process's shared one when None) with the frames' content keys when known."""

    frames: Mapping[str, pd.DataFrame]
    windows: Mapping[str, tuple[int, int]]
    config: Any
    custom_indicators: Mapping[str, Callable] | None = None
    store: IndicatorStore | None = None
    keys: Mapping[str, str] | None = None

    def resolved(self) -> TrialRows:
        """These rows with `auto` engine settings settled over the traded windows."""
        if self.config.resolved:
            return self
        frames = self.frames
        scored = [frames[s].index[a:b] for s, (a, b) in self.windows.items()]
        config = self.config.resolve((frames[s] for s in self.windows), scored)
        return replace(self, config=config)


def trial_matrix(rows: TrialRows, trials: Sequence[TradingRules], period: str) -> np.ndarray:
    """(periods, trials) equal-weight portfolio period returns of each tuned rule set.

    Each asset trades its rows; its period returns are 0 in periods where it has no row (for
    'row' periods, assets are lined up by position from the end). Trials with the same
    conditions run in one batched engine call per asset.
    """
    from vantageadapt.backtest import equity_curves
    from vantageadapt.backtest.grid import set_layout

    rows = rows.resolved()
    frames, windows, config = rows.frames, rows.windows, rows.config
    grid, slots = _period_grid(frames, windows, period)
    groups: dict[str, list[int]] = {}
    for j, tuned in enumerate(trials):
        groups.setdefault(tuned.conditions.model_dump_json(), []).append(j)
    # Which signals each group's sets read is the same on every asset: worked out once.
    batches = []
    for members in groups.values():
        sets = [trials[j].parameters for j in members]
        conditions = trials[members[0]].conditions
        layout = set_layout(conditions, sets, config, rows.custom_indicators)
        batches.append((members, conditions, sets, layout))
    matrix = np.zeros((len(grid), len(trials)))
    for sym, (start, stop) in windows.items():
        ends, where = slots[sym]
        key = rows.keys[sym] if rows.keys is not None else content_key(frames[sym])
        for members, conditions, sets, layout in batches:
            curves = equity_curves(
                frames[sym], conditions, sets, config, start=start, stop=stop,
                custom_indicators=rows.custom_indicators, store=rows.store, key=key,
                layout=layout,
            )  # fmt: skip
            matrix[np.ix_(where, members)] += period_returns(curves, ends, config.init_cash).T
    return matrix / len(windows)


def _period_grid(frames, windows, period):
    """The union of the assets' periods, and per asset (its period ends, their grid slots)."""
    if period == "row":
        ends = {s: np.arange(b - a) for s, (a, b) in windows.items()}
        n = min(len(e) for e in ends.values())
        return np.arange(n), {s: (e[-n:], np.arange(n)) for s, e in ends.items()}
    ends, keys = {}, {}
    for s, (a, b) in windows.items():
        floors = period_floor(frames[s].index[a:b], period)
        ends[s] = _last_rows(floors)
        keys[s] = floors[ends[s]]
    grid = np.unique(np.concatenate(list(keys.values())))
    return grid, {s: (ends[s], np.searchsorted(grid, keys[s])) for s in windows}


def sharpe_per_period(matrix: np.ndarray) -> np.ndarray:
    """Each column's mean / std (ddof=1); 0 for a flat column."""
    std = matrix.std(axis=0, ddof=1)
    mean = matrix.mean(axis=0)
    return np.divide(mean, std, out=np.zeros_like(mean), where=std > 1e-15)


def matrix_deflated_sharpe(matrix: np.ndarray, chosen: int, n_trials: int) -> float:
    """Deflated Sharpe of column `chosen` among the matrix's trials, `n_trials` counted."""
    sharpes = sharpe_per_period(matrix)
    column = matrix[:, chosen]
    flat = column.std() <= 1e-15
    skew, kurtosis = (0.0, 3.0) if flat else sample_moments(column)
    return deflated_sharpe_ratio(
        float(sharpes[chosen]),
        sharpes,
        len(column),
        trials=max(n_trials, matrix.shape[1]),
        skew=skew,
        kurtosis=kurtosis,
    )


def rules_significance(
    rows: TrialRows, trials: Sequence[TradingRules], n_trials: int
) -> Significance:
    """Significance of `trials[0]` (the pick) among `trials` re-run on `rows`, `n_trials`
    backtests counted."""
    rows = rows.resolved()
    # The run's metrics period: the deflated Sharpe and PBO use the ratios' period returns.
    period = rows.config.metrics_period
    matrix = trial_matrix(rows, trials, period)
    if matrix.shape[0] < 2:
        return Significance(0.0, float("nan"), matrix.shape[0], period)
    dsr = matrix_deflated_sharpe(matrix, 0, n_trials)
    return Significance(dsr, probability_of_backtest_overfitting(matrix), matrix.shape[0], period)


def top_trials(
    rules: TradingRules, params: Sequence[Mapping[str, float]], scores: Sequence[float], n: int
) -> list[TradingRules]:
    """The `n` best-scoring parameter sets as tuned rules, best first (ties: earliest)."""
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")[:n]
    # Copies of checked rules with searched numbers: no need to check every column again.
    return [
        rules.model_copy(update={"parameters": {**rules.parameters, **params[i]}}) for i in order
    ]

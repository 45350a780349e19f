"""Scores that rank parameter sets (pluggable, one signature) and the fixed validation score."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np

from vantageadapt.errors import ConfigError
from vantageadapt.models import AggregateMetrics
from vantageadapt.optimize.result import row_mappings

ScoreFn = Callable[[Mapping[str, float], Mapping[str, float] | None, int], float]
"""(in-sample metrics, inner-holdout metrics or None, rows) -> score; higher is better."""

BatchScoreFn = Callable[[np.ndarray, np.ndarray | None, int, int], np.ndarray]
"""(in-sample rows, holdout rows or None, n_assets, rows) -> one score per set.

The rows are (sets, METRIC_NAMES) aggregates; a batch is one call, so a score computed in
another process (the workspace's, in its worker) costs one round trip per batch.
"""

DRAWDOWN_FLOOR = 0.02
MIN_TRADES_PER_ASSET = 10.0
TRADE_PENALTY = 2.0
DRAWDOWN_PENALTY = 2.0
DECAY_PENALTY = 0.5


def seed_score(
    in_sample: Mapping[str, float], holdout: Mapping[str, float] | None, rows: int
) -> float:
    """The original optimizer's rank: trades * sortino * (total_return / rows)."""
    if rows <= 0:
        return 0.0
    return float(
        in_sample["total_trades"] * in_sample["sortino_ratio"] * (in_sample["total_return"] / rows)
    )


def quality(
    metrics: Mapping[str, float],
    *,
    drawdown_floor: float = DRAWDOWN_FLOOR,
    min_trades_per_asset: float = MIN_TRADES_PER_ASSET,
    trade_penalty: float = TRADE_PENALTY,
    drawdown_penalty: float = DRAWDOWN_PENALTY,
) -> float:
    """Log growth per unit of drawdown, shrunk when trades are few, less trade and drawdown costs.

    Growth is log(1 + total_return) and risk the max drawdown (at least `drawdown_floor`, so a
    smooth lucky run cannot divide by almost nothing): a log-return Calmar ratio. Nothing is
    capped, so a strategy that makes more for the same pain always ranks higher. The workspace's
    scoring.py calls it with its own weights.
    """
    growth = math.log(max(1.0 + float(metrics["total_return"]), 1e-9))
    drawdown = min(1.0, abs(float(metrics["max_drawdown"])))
    edge = growth / max(drawdown, drawdown_floor)
    assets = max(1.0, float(metrics.get("n_assets", 1.0)))
    trade_share = min(1.0, float(metrics["total_trades"]) / (min_trades_per_asset * assets))
    # A good ratio over too few trades is mostly luck: shrink it toward zero as well.
    if edge > 0:
        edge *= trade_share
    return edge - trade_penalty * (1.0 - trade_share) - drawdown_penalty * drawdown


def with_holdout(q_in: float, q_out: float | None, decay_penalty: float = DECAY_PENALTY) -> float:
    """The mean quality of both windows less `decay_penalty` times the quality lost between
    them; `q_in` alone without a holdout."""
    if q_out is None:
        return q_in
    return 0.5 * (q_in + q_out) - decay_penalty * max(0.0, q_in - q_out)


def default_score(
    in_sample: Mapping[str, float], holdout: Mapping[str, float] | None, rows: int
) -> float:
    """Log growth per drawdown, less penalties for few trades, deep drawdowns and decay.

    With a holdout the score is the mean quality of both windows less half the quality lost
    from in-sample to holdout, so a set that only fits the in-sample rows ranks low.
    """
    return with_holdout(quality(in_sample), None if holdout is None else quality(holdout))


SCORES: dict[str, ScoreFn] = {"default": default_score, "seed": seed_score}


def batched(score_fn: ScoreFn) -> BatchScoreFn:
    """A BatchScoreFn calling `score_fn` on each set; non-finite scores become -inf."""

    def batch(
        in_sample: np.ndarray, holdout: np.ndarray | None, n_assets: int, rows: int
    ) -> np.ndarray:
        scores = np.empty(len(in_sample))
        fits = row_mappings(in_sample, n_assets)
        helds = [None] * len(fits) if holdout is None else row_mappings(holdout, n_assets)
        for j, (fit, held) in enumerate(zip(fits, helds, strict=True)):
            value = score_fn(fit, held, rows)
            scores[j] = value if math.isfinite(value) else -math.inf
        return scores

    return batch


def get_score(name: str) -> ScoreFn:
    """The score called `name`; ConfigError listing the known ones otherwise."""
    try:
        return SCORES[name]
    except KeyError:
        raise ConfigError(f"unknown score {name!r}; choose one of {', '.join(SCORES)}") from None


def validation_score(out_of_sample: AggregateMetrics, in_sample: AggregateMetrics) -> float:
    """The fixed evaluator for the agent's acceptance: out-of-sample quality less decay."""
    q_out = quality(out_of_sample.model_dump())
    q_in = quality(in_sample.model_dump())
    value = q_out - DECAY_PENALTY * max(0.0, q_in - q_out)
    return value if math.isfinite(value) else -math.inf

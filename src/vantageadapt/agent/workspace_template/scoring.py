"""Workspace hook: the score the optimizer's search ranks parameter sets by (a ScoreFn).

Only the search uses it. Whether a change here is kept is decided by the package's fixed
validation score on data the search never saw, so this score cannot grade itself.
"""

from __future__ import annotations

from collections.abc import Mapping

SORTINO_CAP = 5.0
MIN_TRADES_PER_ASSET = 10.0
TRADE_PENALTY = 2.0
DRAWDOWN_PENALTY = 2.0
DECAY_PENALTY = 0.5
RETURN_WEIGHT = 1.0  # the size of the gain counts, not only its smoothness (as the package's)


def quality(metrics: Mapping[str, float]) -> float:
    """Capped sortino plus return, less penalties for too few trades and for deep drawdowns."""
    sortino = max(-SORTINO_CAP, min(SORTINO_CAP, float(metrics["sortino_ratio"])))
    assets = max(1.0, float(metrics.get("n_assets", 1.0)))
    trade_share = min(1.0, float(metrics["total_trades"]) / (MIN_TRADES_PER_ASSET * assets))
    drawdown = min(1.0, abs(float(metrics["max_drawdown"])))
    gain = max(-1.0, min(1.0, float(metrics.get("total_return", 0.0))))
    return (
        sortino
        + RETURN_WEIGHT * gain
        - TRADE_PENALTY * (1.0 - trade_share)
        - DRAWDOWN_PENALTY * drawdown
    )


def score(in_sample: Mapping[str, float], holdout: Mapping[str, float] | None, rows: int) -> float:
    """Mean quality of the in-sample and holdout windows less the quality lost between them."""
    q_in = quality(in_sample)
    if holdout is None:
        return q_in
    q_out = quality(holdout)
    return 0.5 * (q_in + q_out) - DECAY_PENALTY * max(0.0, q_in - q_out)

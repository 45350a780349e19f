"""Workspace hook: the score the optimizer's search ranks parameter sets by (a ScoreFn).

Only the search uses it. Whether a change here is kept is decided by the package's fixed
validation score on data the search never saw, so this score cannot grade itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

DRAWDOWN_FLOOR = 0.02
MIN_TRADES_PER_ASSET = 10.0
TRADE_PENALTY = 2.0
DRAWDOWN_PENALTY = 2.0
DECAY_PENALTY = 0.5


def quality(metrics: Mapping[str, float]) -> float:
    """Log growth per unit of drawdown (never capped), shrunk when trades are few, less
    penalties for too few trades and for deep drawdowns.

    Drawdowns below DRAWDOWN_FLOOR count as the floor, so a smooth lucky run cannot divide
    by almost nothing.
    """
    growth = math.log(max(1.0 + float(metrics["total_return"]), 1e-9))
    drawdown = min(1.0, abs(float(metrics["max_drawdown"])))
    edge = growth / max(drawdown, DRAWDOWN_FLOOR)
    assets = max(1.0, float(metrics.get("n_assets", 1.0)))
    trade_share = min(1.0, float(metrics["total_trades"]) / (MIN_TRADES_PER_ASSET * assets))
    if edge > 0:
        edge *= trade_share
    return edge - TRADE_PENALTY * (1.0 - trade_share) - DRAWDOWN_PENALTY * drawdown


def score(in_sample: Mapping[str, float], holdout: Mapping[str, float] | None, rows: int) -> float:
    """Mean quality of the in-sample and holdout windows less the quality lost between them."""
    q_in = quality(in_sample)
    if holdout is None:
        return q_in
    q_out = quality(holdout)
    return 0.5 * (q_in + q_out) - DECAY_PENALTY * max(0.0, q_in - q_out)

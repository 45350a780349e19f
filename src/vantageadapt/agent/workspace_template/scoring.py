"""Workspace hook: the score the optimizer's search ranks parameter sets by (a ScoreFn).

Only the search uses it. Whether a change here is kept is decided by the package's fixed
validation score on data the search never saw, so this score cannot grade itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from vantageadapt.optimize.scoring import quality as log_calmar
from vantageadapt.optimize.scoring import with_holdout

DRAWDOWN_FLOOR = 0.02
MIN_TRADES_PER_ASSET = 10.0
TRADE_PENALTY = 2.0
DRAWDOWN_PENALTY = 2.0
DECAY_PENALTY = 0.5


def quality(metrics: Mapping[str, float]) -> float:
    """Log growth per unit of drawdown (never capped), shrunk when trades are few, less
    penalties for too few trades and for deep drawdowns, with the weights above.

    Drawdowns below DRAWDOWN_FLOOR count as the floor, so a smooth lucky run cannot divide
    by almost nothing. The formula is the package's `vantageadapt.optimize.scoring.quality`;
    replace this body to score differently.
    """
    return log_calmar(
        metrics,
        drawdown_floor=DRAWDOWN_FLOOR,
        min_trades_per_asset=MIN_TRADES_PER_ASSET,
        trade_penalty=TRADE_PENALTY,
        drawdown_penalty=DRAWDOWN_PENALTY,
    )


def score(in_sample: Mapping[str, float], holdout: Mapping[str, float] | None, rows: int) -> float:
    """Mean quality of the in-sample and holdout windows less the quality lost between them."""
    q_out = None if holdout is None else quality(holdout)
    return with_holdout(quality(in_sample), q_out, DECAY_PENALTY)

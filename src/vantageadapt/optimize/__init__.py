"""Parameter optimization: search spaces, samplers, scores, out-of-sample checks, executors.

Names are imported on first use, so `optimize.space` and `optimize.scoring` (all the sandbox
worker needs) load without the numba backtester.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vantageadapt.lazy import lazy_exports

if TYPE_CHECKING:
    from vantageadapt.optimize.backtester import Backtester
    from vantageadapt.optimize.deflated import deflated_sharpe_ratio
    from vantageadapt.optimize.optimizer import run_parameter_optimization
    from vantageadapt.optimize.result import OptimizationResult
    from vantageadapt.optimize.scoring import (
        SCORES,
        ScoreFn,
        default_score,
        get_score,
        seed_score,
        validation_score,
    )
    from vantageadapt.optimize.settings import OptimizeSettings
    from vantageadapt.optimize.space import (
        ParamSpec,
        SearchSpace,
        default_search_space,
        load_space_file,
        parse_override,
    )
    from vantageadapt.optimize.splits import Fold, inner_holdout, walk_forward

_WHERE = {
    "Backtester": "backtester",
    "deflated_sharpe_ratio": "deflated",
    "run_parameter_optimization": "optimizer",
    "OptimizationResult": "result",
    "SCORES": "scoring",
    "ScoreFn": "scoring",
    "default_score": "scoring",
    "get_score": "scoring",
    "seed_score": "scoring",
    "validation_score": "scoring",
    "OptimizeSettings": "settings",
    "ParamSpec": "space",
    "SearchSpace": "space",
    "default_search_space": "space",
    "load_space_file": "space",
    "parse_override": "space",
    "Fold": "splits",
    "inner_holdout": "splits",
    "walk_forward": "splits",
}

__all__ = [
    "SCORES",
    "Backtester",
    "Fold",
    "OptimizationResult",
    "OptimizeSettings",
    "ParamSpec",
    "ScoreFn",
    "SearchSpace",
    "default_score",
    "default_search_space",
    "deflated_sharpe_ratio",
    "get_score",
    "inner_holdout",
    "load_space_file",
    "parse_override",
    "run_parameter_optimization",
    "seed_score",
    "validation_score",
    "walk_forward",
]


__getattr__ = lazy_exports(__name__, {name: f".{module}" for name, module in _WHERE.items()})

"""Parameter optimization: search spaces, samplers, scores, out-of-sample checks, executors."""

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

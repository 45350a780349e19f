"""Workspace hook: adjust the optimizer's search space before a search."""

from __future__ import annotations

from vantageadapt.optimize.space import ParamSpec, SearchSpace

# name -> (factor on the low bound, factor on the high bound); 1.0 keeps a bound.
WIDEN: dict[str, tuple[float, float]] = {}

# Hard limits a widened range never leaves (fractions stay fractions, windows stay >= 2).
LIMITS: dict[str, tuple[float, float]] = {
    "take_profit": (0.005, 2.0),
    "stop_loss": (0.005, 0.9),
    "order_size": (0.001, 1.0),
    "max_drawdown": (0.005, 0.9),
    "max_orders": (1.0, 20.0),
}
WINDOW_LIMITS = (2.0, 2000.0)


def _widened(spec: ParamSpec) -> ParamSpec:
    """One parameter's range scaled by its WIDEN factors and clipped to its limits."""
    if spec.name not in WIDEN or spec.kind == "choice" or spec.low is None or spec.high is None:
        return spec
    low_factor, high_factor = WIDEN[spec.name]
    floor, ceiling = LIMITS.get(spec.name, WINDOW_LIMITS if spec.kind == "int" else (1e-9, 1e9))
    low = max(floor, min(spec.low, spec.low * low_factor))
    high = min(ceiling, max(spec.high, spec.high * high_factor))
    if spec.kind == "int":
        low, high = float(int(low)), float(int(high + 0.999999))
    if high <= low:
        return spec
    return spec.model_copy(update={"low": low, "high": high})


def adjust_search_space(space: SearchSpace) -> SearchSpace:
    """The space with WIDEN applied; parameters not named there are unchanged."""
    return SearchSpace(params=tuple(_widened(spec) for spec in space.params))

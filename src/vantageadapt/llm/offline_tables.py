"""The offline improver's tables: theme rule sets, indicator filters, the indicators it may
add (their sources are package files under `indicator_templates/`) and prompt ideas."""

from __future__ import annotations

from importlib import resources

# Theme keyword -> (entry, exit, windows as multiples of the base window). Slower signals than
# the strategist's usual ones: on trade-by-trade data fees and noise eat fast signals.
THEME_SETS: dict[str, tuple[list[str], list[str], dict[str, float]]] = {
    "breakout": (
        ["price > high_{breakout_window}"],
        ["price < low_{exit_window}"],
        {"breakout_window": 1.0, "exit_window": 0.5},
    ),
    "reversion": (
        ["price_zscore_{z_window} < -2"],
        ["price_zscore_{z_window} > 0"],
        {"z_window": 1.0},
    ),
    "momentum": (
        ["ema_{fast_window} crosses_above ema_{slow_window}"],
        ["ema_{fast_window} crosses_below ema_{slow_window}"],
        {"fast_window": 0.25, "slow_window": 1.0},
    ),
    "trend": (
        ["price > ma_{trend_window}", "returns_{trend_window} > 0"],
        ["price < ma_{trend_window}"],
        {"trend_window": 1.0},
    ),
}
SLOWER = 4.0  # the composed base window: this many times the strategist's longest window
MIN_BASE_WINDOW = 50.0

# Theme keyword -> (indicator, "entry" or "exit", a condition on it, its parameters): a
# condition joins the theme's composed rules once the workspace ships its indicator, so a custom
# indicator changes the trades instead of sitting unused.
Filter = tuple[str, str, str, dict[str, float]]
FILTERS: dict[str, tuple[Filter, ...]] = {
    "breakout": (
        (
            "price_zscore",
            "entry",
            "price_zscore_{breakout_window} > min_zscore",
            {"min_zscore": 2.0},
        ),
        ("price_zscore", "exit", "price_zscore_{exit_window} < exit_zscore", {"exit_zscore": -1.0}),
        (
            "efficiency",
            "entry",
            "efficiency_{breakout_window} > min_efficiency",
            {"min_efficiency": 0.1},
        ),
    ),
    "reversion": (
        (
            "range_position",
            "entry",
            "range_position_{z_window} < max_position",
            {"max_position": 0.2},
        ),
        ("efficiency", "entry", "efficiency_{z_window} < max_efficiency", {"max_efficiency": 0.3}),
    ),
    "momentum": (
        ("price_zscore", "entry", "price_zscore_{slow_window} > min_zscore", {"min_zscore": 0.5}),
        (
            "efficiency",
            "entry",
            "efficiency_{slow_window} > min_efficiency",
            {"min_efficiency": 0.1},
        ),
    ),
    "trend": (
        ("price_zscore", "entry", "price_zscore_{trend_window} > min_zscore", {"min_zscore": 0.5}),
        (
            "efficiency",
            "entry",
            "efficiency_{trend_window} > min_efficiency",
            {"min_efficiency": 0.1},
        ),
    ),
}

# Indicators the agent may add, in the order it tries them (numpy/pandas only, no look-ahead).
INDICATOR_NAMES = ("range_position", "efficiency")


def indicator_source(name: str) -> str:
    """The source the agent inserts into the workspace's indicators module to add `name`."""
    folder = resources.files("vantageadapt") / "llm" / "indicator_templates"
    # The blank line first keeps the inserted definition apart from the code above it.
    return "\n" + (folder / f"{name}.py.tmpl").read_text(encoding="utf-8")


# Prompt idea -> (the template it goes to, its `# offline:` hint, the guidance in words for an
# LLM). Exit ideas go to the insight prompt: its exit indicators reach every rule composer.
PROMPT_IDEAS: dict[str, tuple[str, str, str]] = {
    "trades": (
        "rules/generate",
        "prefer=more_trades",
        "Prefer conditions that hold often enough to give many closed trades on every asset: "
        "a strategy with too few trades cannot be told apart from luck. Use shorter windows.",
    ),
    "decay": (
        "rules/generate",
        "window_scale=2",
        "Prefer few, simple conditions with windows that are parameters, so the optimizer can "
        "tune them: rules that fit the past closely tend to fail out of sample. Use longer "
        "windows.",
    ),
    "time": (
        "strategy/insight",
        "exit=time",
        "Close positions that go nowhere: include bars_held among the exit indicators, so "
        "capital is not tied up in trades that hit neither target nor stop.",
    ),
    "risk": (
        "strategy/insight",
        "exit=trailing",
        "Always include an exit that limits losses (drawdown among the exit indicators) so "
        "that one bad move cannot erase many winning trades.",
    ),
}

"""The offline strategist's code patches and prompt changes: concrete, valid, from the evidence.

Each proposal carries a tag `[offline:KEY]` at the start of its reason; a tag already in the
history is not proposed again, so a run walks down the list of ideas. Whether an idea is
kept is decided by the agent's fixed evaluator, never here.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from importlib import resources

from vantageadapt.models import CodePatch, ImprovementContext, PatchOp, PromptChange

_THEME_TYPE = "dict[str, tuple[list[str], list[str], dict[str, float]]]"
_TAG = re.compile(r"\[offline:([^\]]+)\]")
_ADDED = re.compile(r'^CUSTOM_INDICATORS\["(\w+)"\]', re.MULTILINE)

# Theme keyword -> (entry, exit, windows as multiples of the base window). Slower signals than
# the strategist's usual ones: on trade-by-trade data fees and noise eat fast signals.
_THEME_SETS: dict[str, tuple[list[str], list[str], dict[str, float]]] = {
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
_SLOWER = 4.0  # the composed base window: this many times the strategist's longest window
_MIN_BASE_WINDOW = 50.0

# Theme keyword -> (indicator, "entry" or "exit", a condition on it, its parameters): a
# condition joins the theme's composed rules once the workspace ships its indicator, so a custom
# indicator changes the trades instead of sitting unused.
_Filter = tuple[str, str, str, dict[str, float]]
_FILTERS: dict[str, tuple[_Filter, ...]] = {
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

# Indicators the agent may add: name -> function source (numpy/pandas only, no look-ahead).
_INDICATORS: dict[str, str] = {
    "range_position": '''
def range_position(frame: pd.DataFrame, window: int) -> np.ndarray:
    """Where price sits in its rolling high-low range of the last `window` rows (0 to 1)."""
    price = frame["price"].astype(np.float64)
    high = price.rolling(window).max()
    low = price.rolling(window).min()
    span = (high - low).where(high > low)
    return ((price - low) / span).to_numpy(dtype=np.float64)


CUSTOM_INDICATORS["range_position"] = range_position
''',
    "efficiency": '''
def efficiency(frame: pd.DataFrame, window: int) -> np.ndarray:
    """Kaufman's efficiency ratio: net move over the path travelled in `window` rows (0 to 1)."""
    price = frame["price"].astype(np.float64)
    net = (price - price.shift(window)).abs()
    path = price.diff().abs().rolling(window).sum()
    return (net / path.where(path > 0.0)).to_numpy(dtype=np.float64)


CUSTOM_INDICATORS["efficiency"] = efficiency
''',
}


# Prompt idea -> (the template it goes to, its `# offline:` hint, the guidance in words for an
# LLM). Exit ideas go to the insight prompt: its exit indicators reach every rule composer.
_PROMPT_IDEAS: dict[str, tuple[str, str, str]] = {
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


def _tried(ctx: ImprovementContext) -> set[str]:
    return {m for item in ctx.history for m in _TAG.findall(str(item.get("reason", "")))}


def _module_source(ctx: ImprovementContext, name: str) -> str:
    if name in ctx.modules:
        return ctx.modules[name]
    # The pristine module as shipped (package data; read, never imported).
    folder = resources.files("vantageadapt") / "agent" / "workspace_template"
    return (folder / name).read_text(encoding="utf-8")


def _constant(source: str, name: str) -> object:
    """The literal value assigned to a top-level `name` in a module source."""
    for node in ast.parse(source).body:
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        if isinstance(target, ast.Name) and target.id == name and node.value is not None:
            return ast.literal_eval(node.value)
    raise KeyError(name)


def _constant_keys(source: str, name: str) -> set[str]:
    """The string keys of a top-level dict display `name = {...}` (values need not be literals)."""
    for node in ast.parse(source).body:
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        if isinstance(target, ast.Name) and target.id == name and isinstance(node.value, ast.Dict):
            return {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
    return set()


def _metric(metrics: dict[str, float], name: str) -> float:
    return float(metrics.get(name, 0.0))


def _widen(ctx: ImprovementContext) -> Iterator[tuple[str, CodePatch]]:
    source = _module_source(ctx, "search_space.py")
    widen = dict(_constant(source, "WIDEN"))  # type: ignore[call-overload]
    limits = dict(_constant(source, "LIMITS"))  # type: ignore[call-overload]
    window_limits = tuple(_constant(source, "WINDOW_LIMITS"))  # type: ignore[arg-type]
    for name, edge in sorted(ctx.parameters_at_edge.items()):
        best = ctx.parameters.get(name)
        whole = best is not None and float(best).is_integer()
        floor, ceiling = limits.get(name, window_limits if whole else (1e-9, 1e9))
        if best is not None and (best <= floor if edge == "low" else best >= ceiling):
            continue  # already at the hard limit: widening that side would change nothing
        low, high = widen.get(name, (1.0, 1.0))
        low, high = (round(low * 0.5, 4), high) if edge == "low" else (low, round(high * 1.5, 4))
        new = {**widen, name: (low, high)}
        key = f"widen:{name}:{edge}:{low}:{high}"
        yield (
            key,
            CodePatch(
                target="search_space.py",
                op=PatchOp.modify_code,
                name="WIDEN",
                code=f"WIDEN: dict[str, tuple[float, float]] = {new!r}",
                reason=(
                    f"[offline:{key}] the best {name}={ctx.parameters.get(name, float('nan')):g} "
                    f"sits on the {edge} edge of its range; widen that side so the search can "
                    "look past it"
                ),
            ),
        )


def _weight(
    ctx: ImprovementContext, name: str, factor: float, why: str
) -> Iterator[tuple[str, CodePatch]]:
    value = float(_constant(_module_source(ctx, "scoring.py"), name))  # type: ignore[arg-type]
    new = round(value * factor, 4)
    key = f"weight:{name}:{new}"
    yield (
        key,
        CodePatch(
            target="scoring.py",
            op=PatchOp.modify_code,
            name=name,
            code=f"{name} = {new!r}",
            reason=f"[offline:{key}] {why}; {name} {value:g} -> {new:g}",
        ),
    )


def _trades(ctx: ImprovementContext) -> Iterator[tuple[str, CodePatch]]:
    if any(u.startswith("total_trades") for u in ctx.unmet):
        yield from _weight(
            ctx, "TRADE_PENALTY", 2.0, "total_trades is unmet: make the search punish few trades"
        )
        yield from _weight(
            ctx, "MIN_TRADES_PER_ASSET", 2.0, "total_trades is unmet: ask the search for more"
        )


def _decay(ctx: ImprovementContext) -> Iterator[tuple[str, CodePatch]]:
    gap = _metric(ctx.in_sample, "sortino_ratio") - _metric(ctx.out_of_sample, "sortino_ratio")
    if gap > 0.5:
        yield from _weight(
            ctx,
            "DECAY_PENALTY",
            2.0,
            f"in-sample sortino beats validation by {gap:.2f}: punish holdout decay harder",
        )
        yield from _weight(
            ctx,
            "DRAWDOWN_FLOOR",
            1.5,
            "raise the drawdown floor so smooth runs of a few lucky trades rank lower",
        )


def _drawdown(ctx: ImprovementContext) -> Iterator[tuple[str, CodePatch]]:
    depth = abs(_metric(ctx.out_of_sample, "max_drawdown"))
    if depth > 0.1:
        yield from _weight(
            ctx, "DRAWDOWN_PENALTY", 1.5, f"validation drawdown is {depth:.2f}: punish it harder"
        )


def _base_window(ctx: ImprovementContext) -> float:
    windows = [v for k, v in ctx.parameters.items() if k.endswith("window") and v > 0]
    return float(round(max(_MIN_BASE_WINDOW, _SLOWER * max(windows, default=0.0))))


def _theme_rules_patch(theme_rules: dict, reason: str) -> CodePatch:
    """A patch replacing the workspace strategy generator's THEME_RULES table."""
    return CodePatch(
        target="strategy_generator.py",
        op=PatchOp.modify_code,
        name="THEME_RULES",
        code=f"THEME_RULES: {_THEME_TYPE} = {theme_rules!r}",
        reason=reason,
    )


def _compose(ctx: ImprovementContext) -> Iterator[tuple[str, CodePatch]]:
    source = _module_source(ctx, "strategy_generator.py")
    current = dict(_constant(source, "THEME_RULES"))  # type: ignore[call-overload]
    theme = ctx.theme.lower()
    base = _base_window(ctx)
    for key_word, (entry, exit_, multiples) in _THEME_SETS.items():
        if key_word not in theme or key_word in current:
            continue
        windows = {name: float(max(2, round(base * m))) for name, m in multiples.items()}
        new = {**current, key_word: (entry, exit_, windows)}
        key = f"compose:{key_word}:{base:g}"
        yield (
            key,
            _theme_rules_patch(
                new,
                f"[offline:{key}] compose slower {key_word} rules (base window {base:g}, "
                f"{_SLOWER:g}x the strategist's longest) so fees and noise weigh less; their "
                "windows are parameters the search tunes",
            ),
        )


def _filter(ctx: ImprovementContext) -> Iterator[tuple[str, CodePatch]]:
    source = _module_source(ctx, "strategy_generator.py")
    current = dict(_constant(source, "THEME_RULES"))  # type: ignore[call-overload]
    indicators = _module_source(ctx, "indicators.py")
    shipped = _constant_keys(indicators, "CUSTOM_INDICATORS") | set(_ADDED.findall(indicators))
    base = _base_window(ctx)
    for key_word, filters in _FILTERS.items():
        if key_word not in ctx.theme.lower():
            continue
        entry, exit_, multiples = _THEME_SETS[key_word]
        fresh = {n: float(max(2, round(base * m))) for n, m in multiples.items()}
        entry, exit_, windows = current.get(key_word, (entry, exit_, fresh))
        for name, side, condition, extra in filters:
            if name not in shipped or condition in entry or condition in exit_:
                continue
            sides = (
                ([*entry, condition], exit_) if side == "entry" else (entry, [*exit_, condition])
            )
            new = {**current, key_word: (*sides, {**windows, **extra})}
            key = f"filter:{key_word}:{name}:{side}"
            yield (
                key,
                _theme_rules_patch(
                    new,
                    f"[offline:{key}] add the {side} condition {condition} on the workspace "
                    f"indicator {name} to the {key_word} rules; its threshold is a parameter the "
                    "search tunes",
                ),
            )


def _indicator(ctx: ImprovementContext) -> Iterator[tuple[str, CodePatch]]:
    have = _module_source(ctx, "indicators.py")
    used = {f[0] for k, fs in _FILTERS.items() if k in ctx.theme.lower() for f in fs}
    for name, code in _INDICATORS.items():
        if f'CUSTOM_INDICATORS["{name}"]' in have or (used and name not in used):
            continue
        key = f"indicator:{name}"
        yield (
            key,
            CodePatch(
                target="indicators.py",
                op=PatchOp.insert_code,
                after="CUSTOM_INDICATORS",
                code=code,
                reason=(
                    f"[offline:{key}] add {name}_N to the rule language; once kept, a filter "
                    "idea composes it into the theme's rules"
                ),
            ),
        )


_IDEAS: tuple[Callable[[ImprovementContext], Iterator[tuple[str, CodePatch]]], ...] = (
    _compose,
    _widen,
    _trades,
    _decay,
    _drawdown,
    _filter,
    _indicator,
)


def propose_patch_offline(ctx: ImprovementContext, seed: int) -> CodePatch:
    """The most relevant untried idea for this context (seed breaks ties among edges)."""
    tried = _tried(ctx)
    for idea in _IDEAS:
        fresh = [(k, p) for k, p in idea(ctx) if k not in tried]
        if fresh:
            return fresh[seed % len(fresh)][1] if idea is _widen else fresh[0][1]
    # Every idea tried: tighten the trade requirement once more, a fresh, honest variant.
    value = float(_constant(_module_source(ctx, "scoring.py"), "TRADE_PENALTY"))  # type: ignore[arg-type]
    new = round(value + 0.5 * ctx.iteration, 4)
    return CodePatch(
        target="scoring.py",
        op=PatchOp.modify_code,
        name="TRADE_PENALTY",
        code=f"TRADE_PENALTY = {new!r}",
        reason=f"[offline:weight:TRADE_PENALTY:{new}] retune the few-trades penalty",
    )


def _prompt(ctx: ImprovementContext, name: str) -> str:
    if name in ctx.prompts:
        return ctx.prompts[name]
    from vantageadapt.prompts import PromptManager

    return PromptManager().get(name)[0]


def _composer_covers(ctx: ImprovementContext) -> bool:
    """True when the kept strategy generator replaces the strategist's rules for this theme."""
    source = _module_source(ctx, "strategy_generator.py")
    return any(k in ctx.theme.lower() for k in _constant(source, "THEME_RULES"))  # type: ignore[attr-defined]


def propose_prompt_change_offline(ctx: ImprovementContext, seed: int) -> PromptChange:
    """Append one hint and its guidance, picked from what fell short, to a strategist prompt.

    While the workspace composes the theme's rules itself, only the insight's bars_held exit
    indicator reaches them, so only that idea is proposed then.
    """
    gap = _metric(ctx.in_sample, "sortino_ratio") - _metric(ctx.out_of_sample, "sortino_ratio")
    wanted = ["time"]
    if not _composer_covers(ctx):
        wanted = ["trades"] if any(u.startswith("total_trades") for u in ctx.unmet) else []
        wanted += (["decay"] if gap > 0.5 else []) + ["time", "risk"]
    templates = {k: _prompt(ctx, _PROMPT_IDEAS[k][0]) for k in wanted}
    tried = _tried(ctx)
    fresh = [
        k
        for k in wanted
        if f"prompt:{_PROMPT_IDEAS[k][0]}:{k}" not in tried
        and f"# offline: {_PROMPT_IDEAS[k][1]}" not in templates[k]
    ]
    key = fresh[0] if fresh else wanted[seed % len(wanted)]
    name, hint, guidance = _PROMPT_IDEAS[key]
    return PromptChange(
        name=name,
        template=f"{templates[key].rstrip()}\n\n# offline: {hint}\n{guidance}\n",
        reason=f"[offline:prompt:{name}:{key}] ask the strategist ({hint}): {guidance[:60]}...",
    )

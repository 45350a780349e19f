"""The offline strategist's code patches: seven ideas, each a concrete, valid patch of a
workspace module, proposed from the evidence of the iteration.

Each proposal carries a tag `[offline:KEY]` at the start of its reason; a tag already in the
history is not proposed again, so a run walks down the list of ideas. Whether an idea is
kept is decided by the agent's fixed evaluator, never here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from vantageadapt.llm.improvement_reading import (
    constant,
    constant_keys,
    decay_gap,
    metric,
    module_source,
    tried,
)
from vantageadapt.llm.offline_tables import (
    FILTERS,
    INDICATOR_NAMES,
    MIN_BASE_WINDOW,
    SLOWER,
    THEME_SETS,
    indicator_source,
)
from vantageadapt.models import CodePatch, ImprovementContext, PatchOp

_THEME_TYPE = "dict[str, tuple[list[str], list[str], dict[str, float]]]"
_ADDED = re.compile(r'^CUSTOM_INDICATORS\["(\w+)"\]', re.MULTILINE)


def _widen(ctx: ImprovementContext) -> Iterator[tuple[str, CodePatch]]:
    source = module_source(ctx, "search_space.py")
    widen = dict(constant(source, "WIDEN"))  # type: ignore[call-overload]
    limits = dict(constant(source, "LIMITS"))  # type: ignore[call-overload]
    window_limits = tuple(constant(source, "WINDOW_LIMITS"))  # type: ignore[arg-type]
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
    value = float(constant(module_source(ctx, "scoring.py"), name))  # type: ignore[arg-type]
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
    gap = decay_gap(ctx)
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
    depth = abs(metric(ctx.out_of_sample, "max_drawdown"))
    if depth > 0.1:
        yield from _weight(
            ctx, "DRAWDOWN_PENALTY", 1.5, f"validation drawdown is {depth:.2f}: punish it harder"
        )


def _base_window(ctx: ImprovementContext) -> float:
    windows = [v for k, v in ctx.parameters.items() if k.endswith("window") and v > 0]
    return float(round(max(MIN_BASE_WINDOW, SLOWER * max(windows, default=0.0))))


def _theme_rules(ctx: ImprovementContext) -> dict:
    """The workspace strategy generator's THEME_RULES table."""
    source = module_source(ctx, "strategy_generator.py")
    return dict(constant(source, "THEME_RULES"))  # type: ignore[call-overload]


def _windows(multiples: dict[str, float], base: float) -> dict[str, float]:
    return {name: float(max(2, round(base * m))) for name, m in multiples.items()}


def _theme_rules_idea(key: str, theme_rules: dict, why: str) -> tuple[str, CodePatch]:
    """An idea replacing the workspace strategy generator's THEME_RULES table."""
    patch = CodePatch(
        target="strategy_generator.py",
        op=PatchOp.modify_code,
        name="THEME_RULES",
        code=f"THEME_RULES: {_THEME_TYPE} = {theme_rules!r}",
        reason=f"[offline:{key}] {why}",
    )
    return key, patch


def _compose(ctx: ImprovementContext) -> Iterator[tuple[str, CodePatch]]:
    current = _theme_rules(ctx)
    base = _base_window(ctx)
    for key_word, (entry, exit_, multiples) in THEME_SETS.items():
        if key_word not in ctx.theme.lower() or key_word in current:
            continue
        yield _theme_rules_idea(
            f"compose:{key_word}:{base:g}",
            {**current, key_word: (entry, exit_, _windows(multiples, base))},
            f"compose slower {key_word} rules (base window {base:g}, {SLOWER:g}x the "
            "strategist's longest) so fees and noise weigh less; their windows are parameters "
            "the search tunes",
        )


def _filter(ctx: ImprovementContext) -> Iterator[tuple[str, CodePatch]]:
    current = _theme_rules(ctx)
    indicators = module_source(ctx, "indicators.py")
    shipped = constant_keys(indicators, "CUSTOM_INDICATORS") | set(_ADDED.findall(indicators))
    base = _base_window(ctx)
    for key_word, filters in FILTERS.items():
        if key_word not in ctx.theme.lower():
            continue
        entry, exit_, multiples = THEME_SETS[key_word]
        entry, exit_, windows = current.get(key_word, (entry, exit_, _windows(multiples, base)))
        for name, side, condition, extra in filters:
            if name not in shipped or condition in entry or condition in exit_:
                continue
            sides = (
                ([*entry, condition], exit_) if side == "entry" else (entry, [*exit_, condition])
            )
            yield _theme_rules_idea(
                f"filter:{key_word}:{name}:{side}",
                {**current, key_word: (*sides, {**windows, **extra})},
                f"add the {side} condition {condition} on the workspace indicator {name} to "
                f"the {key_word} rules; its threshold is a parameter the search tunes",
            )


def _indicator(ctx: ImprovementContext) -> Iterator[tuple[str, CodePatch]]:
    have = module_source(ctx, "indicators.py")
    used = {f[0] for k, fs in FILTERS.items() if k in ctx.theme.lower() for f in fs}
    for name in INDICATOR_NAMES:
        if f'CUSTOM_INDICATORS["{name}"]' in have or (used and name not in used):
            continue
        key = f"indicator:{name}"
        yield (
            key,
            CodePatch(
                target="indicators.py",
                op=PatchOp.insert_code,
                after="CUSTOM_INDICATORS",
                code=indicator_source(name),
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
    done = tried(ctx)
    for idea in _IDEAS:
        fresh = [(k, p) for k, p in idea(ctx) if k not in done]
        if fresh:
            return fresh[seed % len(fresh)][1] if idea is _widen else fresh[0][1]
    # Every idea tried: tighten the trade requirement once more, a fresh, honest variant.
    value = float(constant(module_source(ctx, "scoring.py"), "TRADE_PENALTY"))  # type: ignore[arg-type]
    new = round(value + 0.5 * ctx.iteration, 4)
    return CodePatch(
        target="scoring.py",
        op=PatchOp.modify_code,
        name="TRADE_PENALTY",
        code=f"TRADE_PENALTY = {new!r}",
        reason=f"[offline:weight:TRADE_PENALTY:{new}] retune the few-trades penalty",
    )

"""The five questions' tools, prompt values and answer checks (beyond the pydantic schema)."""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from vantageadapt.errors import ConfigError
from vantageadapt.llm.base import ToolSpec, inline_refs
from vantageadapt.llm.hypotheses import Hypotheses
from vantageadapt.models import (
    CodePatch,
    ImprovementContext,
    MarketContext,
    PatchOp,
    PromptChange,
    StrategyInsight,
    TradingRules,
)
from vantageadapt.prompts import PromptManager, placeholders

INDICATORS = (
    "ma_N, ema_N, rsi_N, std_N, atr_N, high_N, low_N, bb_upper_N, bb_lower_N, returns_N, "
    "volatility_N, volume_ma_N, macd, macd_signal, macd_hist"
)

_TOOLS: dict[str, tuple[str, str, type[BaseModel]]] = {
    "analyze_market": ("report_market_context", "Report the market regime.", MarketContext),
    "generate_strategy": ("report_strategy_insight", "Report the strategy plan.", StrategyInsight),
    "generate_trading_rules": ("report_trading_rules", "Report entry/exit rules.", TradingRules),
    "propose_patch": ("propose_code_patch", "Propose one workspace code patch.", CodePatch),
    "propose_prompt_change": ("propose_prompt_change", "Propose one new template.", PromptChange),
    "generate_hypotheses": ("report_hypotheses", "Report K candidate rule sets.", Hypotheses),
}


def tool_for(purpose: str, *, enums: dict[str, list[str]] | None = None) -> ToolSpec:
    """The forced tool for a question, its schema generated from the pydantic model.

    `enums` narrows top-level string fields to the values the checks accept (the workspace's
    modules for a patch target, the template names for a prompt change), so a grammar-bound
    model cannot name anything else.
    """
    name, description, model = _TOOLS[purpose]
    schema = inline_refs(model.model_json_schema())
    for field, values in (enums or {}).items():
        if values:
            schema["properties"][field] = {**schema["properties"][field], "enum": list(values)}
            schema["properties"][field].pop("anyOf", None)
    return ToolSpec(name, description, schema)


def dump_json(value: Any) -> str:
    """Compact, key-sorted JSON of a model or plain value (stable prompts, stable hashes)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    return json.dumps(value, sort_keys=True)


def improvement_values(ctx: ImprovementContext) -> dict[str, Any]:
    """Placeholder values both improvement prompts share."""
    return {
        "iteration": ctx.iteration,
        "theme": ctx.theme,
        "regime": ctx.regime.value,
        "unmet": "; ".join(ctx.unmet) or "none",
        "out_of_sample": dump_json(ctx.out_of_sample),
        "history": dump_json(ctx.history),
    }


def render_modules(ctx: ImprovementContext) -> str:
    """Workspace sources as `### file` headed code blocks."""
    return "\n\n".join(
        f"### {name}\n```python\n{src}\n```" for name, src in sorted(ctx.modules.items())
    )


def render_prompts(ctx: ImprovementContext) -> str:
    """Templates as `### name` with their text between <<< and >>> (so it can be cut out)."""
    return "\n\n".join(f"### {n}\n<<<\n{t}\n>>>" for n, t in sorted(ctx.prompts.items()))


def patch_check(ctx: ImprovementContext) -> Callable[[CodePatch], None]:
    """A check that a patch targets a shown module and that its code parses."""

    def check(patch: CodePatch) -> None:
        if ctx.modules and patch.target not in ctx.modules:
            raise ConfigError(
                f"target {patch.target!r} is not a workspace module; one of {sorted(ctx.modules)}"
            )
        if patch.op is not PatchOp.delete_code:
            try:
                ast.parse(patch.code)
            except SyntaxError as exc:
                raise ConfigError(f"code does not parse: {exc}") from None

    return check


def prompt_change_check(
    ctx: ImprovementContext, prompts: PromptManager
) -> Callable[[PromptChange], None]:
    """A check that a new template keeps exactly the placeholders of the current one."""

    def check(change: PromptChange) -> None:
        current = ctx.prompts.get(change.name)
        if current is None:
            current = prompts.get(change.name)[0]  # ConfigError names the known ones
        wanted = placeholders(current, name=change.name)
        got = placeholders(change.template, name=f"{change.name} (proposed)")
        if got != wanted:
            raise ConfigError(
                f"template must keep exactly the placeholders {sorted(wanted)}; "
                f"missing {sorted(wanted - got)}, unknown {sorted(got - wanted)}"
            )

    return check

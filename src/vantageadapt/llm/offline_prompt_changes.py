"""The offline strategist's prompt changes: one hint and its guidance, picked from what fell
short, appended to a strategist prompt (tagged `[offline:prompt:NAME:KEY]` like code ideas)."""

from __future__ import annotations

from vantageadapt.llm.improvement_reading import constant, decay_gap, module_source, tried
from vantageadapt.llm.offline_tables import PROMPT_IDEAS
from vantageadapt.models import ImprovementContext, PromptChange
from vantageadapt.prompts import PromptManager


def _prompt(ctx: ImprovementContext, name: str) -> str:
    if name in ctx.prompts:
        return ctx.prompts[name]
    return PromptManager().get(name)[0]


def _composer_covers(ctx: ImprovementContext) -> bool:
    """True when the kept strategy generator replaces the strategist's rules for this theme."""
    source = module_source(ctx, "strategy_generator.py")
    return any(k in ctx.theme.lower() for k in constant(source, "THEME_RULES"))  # type: ignore[attr-defined]


def propose_prompt_change_offline(ctx: ImprovementContext, seed: int) -> PromptChange:
    """Append one hint and its guidance, picked from what fell short, to a strategist prompt.

    While the workspace composes the theme's rules itself, only the insight's bars_held exit
    indicator reaches them, so only that idea is proposed then.
    """
    gap = decay_gap(ctx)
    wanted = ["time"]
    if not _composer_covers(ctx):
        wanted = ["trades"] if any(u.startswith("total_trades") for u in ctx.unmet) else []
        wanted += (["decay"] if gap > 0.5 else []) + ["time", "risk"]
    templates = {k: _prompt(ctx, PROMPT_IDEAS[k][0]) for k in wanted}
    done = tried(ctx)
    fresh = [
        k
        for k in wanted
        if f"prompt:{PROMPT_IDEAS[k][0]}:{k}" not in done
        and f"# offline: {PROMPT_IDEAS[k][1]}" not in templates[k]
    ]
    key = fresh[0] if fresh else wanted[seed % len(wanted)]
    name, hint, guidance = PROMPT_IDEAS[key]
    return PromptChange(
        name=name,
        template=f"{templates[key].rstrip()}\n\n# offline: {hint}\n{guidance}\n",
        reason=f"[offline:prompt:{name}:{key}] ask the strategist ({hint}): {guidance[:60]}...",
    )

"""Breadth per iteration: K diverse rule-set hypotheses in one structured answer.

Offline, the hypotheses are rule families (the theme's own first, then the others), steered
by feedback: families whose earlier hypotheses held on validation come back, families that
failed make way for untried ones. An LLM gets the rules prompt, the feedback and a request for
K hypotheses, and answers them all in one tool call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from vantageadapt.llm.offline_rules import (
    STYLE_INDICATORS,
    OfflineHints,
    offline_rules,
    theme_style,
)
from vantageadapt.models import MarketContext, StrategyInsight, TradingRules

MAX_HYPOTHESES = 8
# After the theme's own family: the other families, most different mechanisms first.
FAMILY_ORDER = (
    "trend_following",
    "mean_reversion",
    "breakout",
    "volume",
    "momentum",
    "volatility",
)


class Hypothesis(BaseModel):
    """One candidate rule set and the idea behind it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60, description="short name of the idea")
    rationale: str = Field(default="", max_length=600)
    rules: TradingRules


class Hypotheses(BaseModel):
    """K diverse hypotheses within the theme, each a complete rule set."""

    model_config = ConfigDict(extra="forbid")

    hypotheses: list[Hypothesis] = Field(min_length=1, max_length=MAX_HYPOTHESES)


class HypothesisOutcome(BaseModel):
    """How one earlier hypothesis did on validation (never the sealed test)."""

    model_config = ConfigDict(extra="forbid")

    iteration: int
    name: str
    held: bool
    validation_score: float
    validation_return: float


def family_order(theme: str, context: MarketContext, feedback: list[HypothesisOutcome]):
    """Families to try: held ones first, then untried, then ones that failed (theme first)."""
    own = theme_style(theme, context.regime)
    families = [own, *(f for f in FAMILY_ORDER if f != own)]
    held = {o.name for o in feedback if o.held}
    failed = {o.name for o in feedback if not o.held} - held
    return sorted(families, key=lambda f: 0 if f in held else 2 if f in failed else 1)


@dataclass(frozen=True)
class HypothesesAsk:
    """The question for K hypotheses: the iteration's insight and market read, the theme, K,
    and how the earlier hypotheses did."""

    insight: StrategyInsight
    context: MarketContext
    theme: str
    k: int
    feedback: list[HypothesisOutcome]


def offline_hypotheses(
    theme: str,
    insight: StrategyInsight,
    context: MarketContext,
    k: int,
    feedback: list[HypothesisOutcome],
    seed: int = 0,
    hints: OfflineHints | None = None,
) -> Hypotheses:
    """K rule families for the theme in this market, ordered by the feedback."""
    items = []
    for family in family_order(theme, context, feedback)[: max(1, k)]:
        items.append(
            Hypothesis(
                name=family,
                rationale=f"{family.replace('_', ' ')} rules built on "
                + ", ".join(STYLE_INDICATORS[family][0]),
                rules=offline_rules(theme, insight, context, seed, hints, style=family),
            )
        )
    return Hypotheses(hypotheses=items)


def feedback_text(feedback: list[HypothesisOutcome]) -> str:
    """The feedback as the LLM sees it: which hypotheses held on validation."""
    if not feedback:
        return "No earlier hypotheses yet."
    lines = [
        f"- iteration {o.iteration}, {o.name}: {'held' if o.held else 'failed'} on validation "
        f"(score {o.validation_score:.3g}, return {o.validation_return:.2%})"
        for o in feedback
    ]
    return "Earlier hypotheses, judged on validation rows only:\n" + "\n".join(lines)


def hypotheses_request(k: int, feedback: list[HypothesisOutcome]) -> str:
    """What the rules prompt gets appended when K hypotheses are asked for."""
    return (
        f"\n\nGive {k} diverse hypotheses within the theme, each a complete rule set with a "
        "short name, built on different mechanisms (for instance trend, mean reversion, "
        "breakout, volume), so the search can test them side by side. Keep or refine ideas "
        "that held on validation; replace ideas that failed.\n" + feedback_text(feedback)
    )


def outcomes_json(outcomes: list[HypothesisOutcome]) -> list[dict[str, Any]]:
    """JSON-ready outcomes."""
    return [o.model_dump() for o in outcomes]

"""StrategicTrader: the seed's façade over the strategist (market read, insight, rules)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from vantageadapt.llm.stats import MarketStats, compute_market_stats
from vantageadapt.llm.strategist import Strategist
from vantageadapt.models import MarketContext, StrategyInsight, TradingRules

if TYPE_CHECKING:
    import pandas as pd


class StrategicTrader:
    """Asks the strategist (an LLMInterface or any Strategist) and keeps the latest answers."""

    def __init__(self, llm: Strategist) -> None:
        self.llm = llm
        self.stats: MarketStats | None = None
        self.context: MarketContext | None = None
        self.insight: StrategyInsight | None = None
        self.theme: str = ""

    async def analyze_market(
        self, market_data: Mapping[str, pd.DataFrame] | MarketStats
    ) -> MarketContext:
        """Read the market from canonical frames (anonymized into stats first) or from stats."""
        stats = (
            market_data
            if isinstance(market_data, MarketStats)
            else compute_market_stats(market_data)
        )
        self.stats = stats
        self.context = await self.llm.analyze_market(stats)
        return self.context

    async def generate_strategy(
        self, theme: str, context: MarketContext | None = None
    ) -> StrategyInsight:
        """Plan a strategy for the theme (in the last market read when no context is given)."""
        context = context or self._context()
        self.theme = theme
        self.insight = await self.llm.generate_strategy(theme, context)
        return self.insight

    async def generate_trading_rules(
        self,
        insight: StrategyInsight | None = None,
        context: MarketContext | None = None,
        theme: str | None = None,
    ) -> TradingRules:
        """Rules for the insight and context (the last ones when not given)."""
        if insight is None:
            if self.insight is None:
                raise ValueError("call generate_strategy first or pass an insight")
            insight = self.insight
        return await self.llm.generate_trading_rules(
            insight, context or self._context(), self.theme if theme is None else theme
        )

    def _context(self) -> MarketContext:
        if self.context is None:
            raise ValueError("call analyze_market first or pass a market context")
        return self.context

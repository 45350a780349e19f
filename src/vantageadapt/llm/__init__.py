"""The strategist: LLMInterface over OpenAI-compatible, Anthropic or the offline strategist."""

from vantageadapt.llm.base import ProviderReply, RetryPolicy, ToolSpec
from vantageadapt.llm.interface import LLMInterface
from vantageadapt.llm.ledger import Budget, ResponseCache, cost_usd, price_of
from vantageadapt.llm.offline import OFFLINE_MODEL, classify_regime
from vantageadapt.llm.questions import tool_for
from vantageadapt.llm.stats import MarketStats, Summary, compute_market_stats

__all__ = [
    "OFFLINE_MODEL",
    "Budget",
    "LLMInterface",
    "MarketStats",
    "ProviderReply",
    "ResponseCache",
    "RetryPolicy",
    "Summary",
    "ToolSpec",
    "classify_regime",
    "compute_market_stats",
    "cost_usd",
    "price_of",
    "tool_for",
]

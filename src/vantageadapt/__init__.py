"""VantageAdapt: find, tune and check trading strategies, with a self-improving agent.

The seed's public names are importable from here (`from vantageadapt import Backtester`); each
loads its part on first use, so `import vantageadapt` itself loads no numba, pandas or
SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vantageadapt.lazy import lazy_exports

if TYPE_CHECKING:
    from vantageadapt.agent import GodelAgent, StrategicTrader
    from vantageadapt.data import load_trade_data
    from vantageadapt.llm import LLMInterface
    from vantageadapt.models import MarketContext, MarketRegime, StrategyInsight
    from vantageadapt.optimize import Backtester
    from vantageadapt.prompts import PromptManager
    from vantageadapt.store import DatabaseConnection

__version__ = "0.1.0"

__all__ = [
    "Backtester",
    "DatabaseConnection",
    "GodelAgent",
    "LLMInterface",
    "MarketContext",
    "MarketRegime",
    "PromptManager",
    "StrategicTrader",
    "StrategyInsight",
    "__version__",
    "load_trade_data",
]

# Each public name and the part that defines it (imported on first use).
_EXPORTS = {
    "load_trade_data": "vantageadapt.data",
    "Backtester": "vantageadapt.optimize",
    "StrategicTrader": "vantageadapt.agent",
    "LLMInterface": "vantageadapt.llm",
    "GodelAgent": "vantageadapt.agent",
    "PromptManager": "vantageadapt.prompts",
    "DatabaseConnection": "vantageadapt.store",
    "MarketRegime": "vantageadapt.models",
    "MarketContext": "vantageadapt.models",
    "StrategyInsight": "vantageadapt.models",
}


__getattr__ = lazy_exports(__name__, _EXPORTS)


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})

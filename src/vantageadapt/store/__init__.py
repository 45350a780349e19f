"""Persistence: every run, iteration, rule set, metric, patch, prompt and strategist call.

Import cost matters for `vantage --help`: import this package inside command functions.
"""

from vantageadapt.store.records import (
    IterationRecord,
    PatchRecord,
    PerformanceRecord,
    PromptVersionRecord,
    ResumeState,
    RunRecord,
    StrategyRecord,
    StrategySummary,
)
from vantageadapt.store.repository import DatabaseConnection
from vantageadapt.store.url import mask_url, resolve_database_url

__all__ = [
    "DatabaseConnection",
    "IterationRecord",
    "PatchRecord",
    "PerformanceRecord",
    "PromptVersionRecord",
    "ResumeState",
    "RunRecord",
    "StrategyRecord",
    "StrategySummary",
    "mask_url",
    "resolve_database_url",
]

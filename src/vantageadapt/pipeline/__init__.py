"""The full loop: load, split, iterate (analyze, rules, optimize, improve), test, report."""

from vantageadapt.pipeline.loop import run_pipeline
from vantageadapt.pipeline.progress import Progress, RichProgress
from vantageadapt.results import IterationResult, PatchSummary, RunResult

__all__ = [
    "IterationResult",
    "PatchSummary",
    "Progress",
    "RichProgress",
    "RunResult",
    "run_pipeline",
]

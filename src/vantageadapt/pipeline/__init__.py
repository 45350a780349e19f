"""The full loop: load, split, iterate (analyze, rules, optimize, improve), test, report."""

from vantageadapt.pipeline.loop import run_pipeline
from vantageadapt.pipeline.progress import Progress, RichProgress
from vantageadapt.results import IterationResult, PatchRecord, RunResult

__all__ = [
    "IterationResult",
    "PatchRecord",
    "Progress",
    "RichProgress",
    "RunResult",
    "run_pipeline",
]

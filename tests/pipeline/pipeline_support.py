"""Flags for quick end-to-end runs (a plain module: `from conftest import` is ambiguous)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Thresholds no strategy reaches: the loop runs every iteration and the agent gets its turn.
UNREACHABLE = {
    "total_return": 100.0,
    "sortino_ratio": 100.0,
    "win_rate": 1.0,
    "total_trades": 10**6,
}
# Thresholds every strategy reaches: the loop stops after the first iteration.
TRIVIAL = {"total_return": -1e9, "sortino_ratio": -1e9, "win_rate": 0.0, "total_trades": 0}


def thresholds_flag(thresholds: dict[str, float]) -> str:
    """The --thresholds value: name=value pairs joined by commas."""
    return ",".join(f"{k}={v}" for k, v in thresholds.items())


def run_argv(
    data: Path,
    *extra: str,
    theme: str = "breakout trading",
    iterations: int = 2,
    trials: int = 8,
    thresholds: dict[str, float] = UNREACHABLE,
) -> list[str]:
    """`vantage run` arguments for a quick run printing --json, with the `extra` flags."""
    return [
        "run",
        "--theme",
        theme,
        "--data",
        str(data),
        "--iterations",
        str(iterations),
        "--trials",
        str(trials),
        "--thresholds",
        thresholds_flag(thresholds),
        "--json",
        *extra,
    ]


def fast_flags(data: Path, **extra: Any) -> dict[str, Any]:
    """Settings flags for a quick offline run: 2 iterations, few trials."""
    flags: dict[str, Any] = {
        "theme": "breakout trading",
        "iterations": 2,
        "seed": 3,
        "thresholds": UNREACHABLE,
        "data": {"path": data},
        "optimize": {"trials": 12, "eval_trials": 6, "subset_size": 2},
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(flags.get(key), dict):
            flags[key] = {**flags[key], **value}
        else:
            flags[key] = value
    return flags

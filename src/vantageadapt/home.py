"""Where VantageAdapt keeps its files: runs, prompt overrides, the reply cache, logs."""

from __future__ import annotations

import os
from pathlib import Path


def vantage_home() -> Path:
    """`$VANTAGE_HOME`, default `.vantage` in the working folder (read at each call)."""
    return Path(os.environ.get("VANTAGE_HOME", ".vantage"))

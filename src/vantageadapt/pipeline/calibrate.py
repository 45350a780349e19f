"""`vantage calibrate`: the whole research process on null data, to measure how often it lies.

Each null run is the same loop with the same settings (strategist, agent, search) on a null
version of the data (data.nulls: serial structure destroyed, volatility, spacing and volume
kept). A null run whose best iteration is significant (deflated Sharpe >= 0.95) is a false
discovery; their share is the loop's false-discovery rate on this data. With a finished run,
the permutation p-value (Masters' Monte Carlo permutation test applied to the whole process)
is the share of null runs whose sealed-test score reaches the run's own.

Null runs keep their databases and workspaces in a temporary folder; only the calibration
is stored, in the user's database.
"""

from __future__ import annotations

import math
import os
import pickle
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from vantageadapt.errors import ConfigError
from vantageadapt.results import SIGNIFICANT, RunResult
from vantageadapt.settings import RunSettings

NULL_SEED_OFFSET = 1_000_003  # null data seeds, far from any run seed


def test_score(result: RunResult) -> float:
    """The fixed evaluator's score of a finished run's sealed test (its best iteration's train
    metrics as the in-sample side); -inf when the run has no test score."""
    from vantageadapt.models import AggregateMetrics
    from vantageadapt.optimize import validation_score

    best = result.best
    if best is None or not result.test:
        return -math.inf
    return float(
        validation_score(
            AggregateMetrics.model_validate(result.test),
            AggregateMetrics.model_validate(best.in_sample),
        )
    )


@contextmanager
def _scratch_home() -> Iterator[Path]:
    """A temporary VANTAGE_HOME for null runs' workspaces and reports, removed afterwards."""
    before = os.environ.get("VANTAGE_HOME")
    with tempfile.TemporaryDirectory(prefix="vantage-calibrate-") as folder:
        os.environ["VANTAGE_HOME"] = folder
        try:
            yield Path(folder)
        finally:
            if before is None:
                os.environ.pop("VANTAGE_HOME", None)
            else:
                os.environ["VANTAGE_HOME"] = before


def null_settings(settings: RunSettings, data_path: Path, home: Path) -> RunSettings:
    """The run's settings pointed at a null data file and a scratch database."""
    data = settings.data.model_copy(update={"path": data_path, "trust_pickle": False})
    store = settings.store.model_copy(update={"database_url": f"sqlite+aiosqlite:///{home}/n.db"})
    return settings.model_copy(
        update={"data": data, "store": store, "resume": None, "report": home / "null.html"}
    )


def run_nulls(
    settings: RunSettings,
    frames: dict[str, Any],
    nulls: int,
    on_done: Callable[[int, dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run the loop on `nulls` null versions of `frames`; one summary per null run."""
    from vantageadapt.data.nulls import null_frames
    from vantageadapt.pipeline.loop import run_pipeline

    if nulls < 1:
        raise ConfigError(f"--nulls {nulls}: run at least one null version")
    out = []
    with _scratch_home() as home:
        for i in range(nulls):
            path = home / f"null{i}.pkl"
            data = null_frames(frames, seed=NULL_SEED_OFFSET + settings.seed + i)
            path.write_bytes(pickle.dumps(data, protocol=5))
            result = run_pipeline(null_settings(settings, path, home))
            best = result.best
            summary = {
                "index": i + 1,
                "status": result.status,
                "best_iteration": result.best_iteration,
                "deflated_sharpe": best.deflated_sharpe if best else 0.0,
                "pbo": best.pbo if best else None,
                "discovery": bool(best and best.deflated_sharpe >= SIGNIFICANT),
                "test_score": _finite(test_score(result)),
                "test_return": float(result.test.get("total_return", 0.0)),
            }
            out.append(summary)
            if on_done is not None:
                on_done(i + 1, summary)
    return out


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def p_value(real: float, null_scores: list[float | None]) -> float:
    """Share of null runs whose sealed-test score reaches the real one (no score: never)."""
    reached = sum(1 for s in null_scores if s is not None and s >= real)
    return reached / len(null_scores)


def summarize(
    null_runs: list[dict[str, Any]], real: float | None
) -> tuple[int, float, float | None]:
    """(false discoveries, false-discovery rate, p-value or None)."""
    found = sum(1 for r in null_runs if r["discovery"])
    pv = None if real is None else p_value(real, [r["test_score"] for r in null_runs])
    return found, found / len(null_runs), pv

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
from typing import Any, NamedTuple

from vantageadapt.errors import BudgetExceeded, ConfigError
from vantageadapt.results import SIGNIFICANT, RunFailed, RunResult
from vantageadapt.settings import RunSettings

NULL_SEED_OFFSET = 1_000_003  # null data seeds, far from any run seed
# A null run's peak memory, as measured: 1.2 GB on the sample (10 x 100,000 trades, 47 MB).
RUN_MEMORY_BASE, RUN_MEMORY_PER_DATA_BYTE = 400 * 2**20, 25


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
    update = {"data": data, "store": store, "resume": None, "report": None}
    return settings.model_copy(update=update)


def auto_jobs(nulls: int, frames: dict[str, Any]) -> int:
    """Null runs at a time by default: one per CPU core this process may use, fewer when the
    memory available would not hold that many runs of this data."""
    import psutil

    data = sum(int(f.memory_usage(deep=True).sum()) for f in frames.values())
    per_run = RUN_MEMORY_BASE + RUN_MEMORY_PER_DATA_BYTE * data
    return max(1, min(nulls, _cores(), psutil.virtual_memory().available // per_run))


def _cores() -> int:
    """CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def run_nulls(
    settings: RunSettings,
    frames: dict[str, Any],
    nulls: int,
    on_done: Callable[[int, dict[str, Any]], None] | None = None,
    *,
    jobs: int = 1,
) -> list[dict[str, Any]]:
    """Run the loop on `nulls` null versions of `frames`, `jobs` at a time (each in its own
    process when more than one); one summary per null run, in index order.

    `on_done(finished, summary)` is called as each null run ends (in the order they end).
    """
    if nulls < 1:
        raise ConfigError(f"--nulls {nulls}: run at least one null version")
    if jobs < 1:
        raise ConfigError(f"--jobs {jobs}: run at least one null run at a time")
    jobs = min(jobs, nulls)
    out: list[dict[str, Any]] = []
    with _scratch_home() as home:
        if jobs == 1:
            finished = (null_run(settings, frames, home, i) for i in range(nulls))
        else:
            finished = _in_processes(settings, frames, home, nulls, jobs)
        for summary in finished:
            out.append(summary)
            if on_done is not None:
                on_done(len(out), summary)
    return sorted(out, key=lambda s: s["index"])


def null_run(settings: RunSettings, frames: dict[str, Any], home: Path, i: int) -> dict[str, Any]:
    """Null version `i` (0-based) of `frames` through the loop (no report); its summary."""
    from vantageadapt.data.nulls import null_frames
    from vantageadapt.pipeline.loop import run_pipeline

    path = home / f"null{i + 1}.pkl"
    data = null_frames(frames, seed=NULL_SEED_OFFSET + settings.seed + i)
    path.write_bytes(pickle.dumps(data, protocol=5))
    del data
    try:
        result = run_pipeline(null_settings(settings, path, home), report=False)
    except RunFailed as exc:
        # The cause alone: it names what failed and crosses a process boundary intact.
        raise type(exc.cause)(f"null run {i + 1}: {exc.cause}") from None
    finally:
        path.unlink(missing_ok=True)
    if result.status == "interrupted":
        raise KeyboardInterrupt  # the run caught Ctrl-C; the calibration stops with it
    if result.status != "finished":
        raise BudgetExceeded(f"null run {i + 1} stopped: {result.message}")
    best = result.best
    return {
        "index": i + 1,
        "status": result.status,
        "best_iteration": result.best_iteration,
        "deflated_sharpe": best.deflated_sharpe if best else 0.0,
        "pbo": best.pbo if best else None,
        "discovery": bool(best and best.deflated_sharpe >= SIGNIFICANT),
        "test_score": _finite(test_score(result)),
        "test_return": float(result.test.get("total_return", 0.0)),
        "seconds": round(result.wall_seconds, 1),
    }


def _in_processes(
    settings: RunSettings, frames: dict[str, Any], home: Path, nulls: int, jobs: int
) -> Iterator[dict[str, Any]]:
    """The null runs in `jobs` fresh processes (spawned: no threads or locks inherited), as
    they finish. Each process gets an equal share of the CPU cores for the engine's threads."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    pool = ProcessPoolExecutor(
        jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_share_cores,
        initargs=(max(1, _cores() // jobs),),
    )
    try:
        futures = [pool.submit(null_run, settings, frames, home, i) for i in range(nulls)]
        for future in as_completed(futures):
            yield future.result()
    except BaseException:
        # Ctrl-C or a failed null run: the others are of no use, stop their processes now
        # (ProcessPoolExecutor has no public way before Python 3.14's terminate_workers).
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _share_cores(threads: int) -> None:
    """In a null-run process, before numba is imported: its share of the cores."""
    os.environ.setdefault("NUMBA_NUM_THREADS", str(threads))


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def p_value(real: float, null_scores: list[float | None]) -> float:
    """Share of null runs whose sealed-test score reaches the real one (no score: never)."""
    reached = sum(1 for s in null_scores if s is not None and s >= real)
    return reached / len(null_scores)


class NullSummary(NamedTuple):
    """What the null runs add up to, named as a `CalibrationRecord`'s fields."""

    discoveries: int
    false_discovery_rate: float
    p_value: float | None


def summarize(null_runs: list[dict[str, Any]], real: float | None) -> NullSummary:
    """False discoveries, their rate, and the real score's p-value (None without one)."""
    found = sum(1 for r in null_runs if r["discovery"])
    pv = None if real is None else p_value(real, [r["test_score"] for r in null_runs])
    return NullSummary(found, found / len(null_runs), pv)

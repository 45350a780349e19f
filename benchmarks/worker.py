"""Sandbox overhead: a 5-iteration offline run with workspace code in bubblewrap workers
against the same run with it imported in-process (the way before the sandbox); one JSON line.

Without --quick it is the run the issue names: `vantage data sample`'s default sample (10
assets x 100,000 rows, seed 0) and `vantage run`'s default settings (trials included), with
thresholds no strategy reaches so all 5 iterations (and their self-improvement) run.

The reference swaps the run's WorkspaceRunner for one that imports the workspace modules into
this process (only our own offline improver's patches run here, so that is safe for a
benchmark); everything else, seed and data included, is the same.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

from vantageadapt import agent as agent_part
from vantageadapt.agent import WorkspaceRunner
from vantageadapt.agent.contracts import run_contracts
from vantageadapt.agent.worker_main import import_modules
from vantageadapt.agent.workspace import version_of
from vantageadapt.data import write_sample_data
from vantageadapt.optimize.scoring import batched
from vantageadapt.pipeline import run_pipeline
from vantageadapt.settings import RunSettings, load_settings

UNREACHABLE = {"total_return": 100.0, "sortino_ratio": 100.0, "win_rate": 1.0, "total_trades": 1e6}


class _InProcessHooks:
    """WorkspaceHooks' API over modules imported into this process (the reference)."""

    def __init__(self, folder: Path) -> None:
        modules, self.version = import_modules(folder)
        self._modules: dict[str, ModuleType] = modules
        table = modules["indicators.py"].CUSTOM_INDICATORS
        self.custom_indicators = dict(table)
        self.indicator_names = tuple(table)
        self.compose_rules = modules["strategy_generator.py"].compose_rules
        self.adjust_search_space = modules["search_space.py"].adjust_search_space
        self.score = modules["scoring.py"].score
        self.batch_score = batched(self.score)

    def contracts(self) -> list[str]:
        return run_contracts(self._modules)

    def register_frames(self, frames) -> None:
        """Nothing to send: the indicators run here."""

    def close(self) -> None:
        """Nothing to end."""


class _InProcessRunner(WorkspaceRunner):
    """The run's hooks without workers: what the pipeline did before the sandbox."""

    def current(self):  # type: ignore[override]
        version = version_of(self.workspace.sources())
        if self._hooks is None or self._hooks.version != version:
            self._hooks = _InProcessHooks(self.workspace.modules_dir)
        return self._hooks

    def candidate(self, folder: Path):  # type: ignore[override]
        return _InProcessHooks(folder)

    def start(self) -> None:
        """Nothing to start."""

    def adopt(self, candidate) -> None:  # type: ignore[override]
        self._hooks = candidate

    def close(self) -> None:
        self._hooks = None


def _run(data: Path, home: Path, iterations: int, trials: int) -> tuple[float, dict]:
    home.mkdir(parents=True, exist_ok=True)
    os.environ["VANTAGE_HOME"] = str(home)
    flags = {
        "theme": "breakout trading",
        "iterations": iterations,
        "seed": 0,
        "thresholds": UNREACHABLE,
        "data": {"path": data},
        "optimize": {"trials": trials},
        "store": {"database_url": f"sqlite+aiosqlite:///{home / 'vantage.db'}"},
    }
    began = time.perf_counter()
    result = run_pipeline(load_settings(flags, dotenv=None))
    seconds = time.perf_counter() - began
    patches = [p for it in result.iterations for p in it.patches if p.kind == "code"]
    return seconds, {
        "kept": sum(p.status == "kept" for p in patches),
        "validation_scores": [round(it.validation_score, 6) for it in result.iterations],
    }


def _waiting() -> dict[str, float]:
    """Count the seconds the run spends waiting on its workers (requests, start-up included)."""
    from vantageadapt.agent import worker

    waited = {"seconds": 0.0, "requests": 0}
    original = worker.Worker.request

    def timed(self, *args, **kwargs):
        began = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            waited["seconds"] += time.perf_counter() - began
            waited["requests"] += 1

    worker.Worker.request = timed  # type: ignore[method-assign]
    return waited


def main() -> None:
    """Run the loop both ways on the same sample, alternating; print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="4 assets x 20,000 rows, 20 trials")
    parser.add_argument("--assets", type=int, default=10)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--trials", type=int, default=None, help="default: the run's default")
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each way (best counts)")
    args = parser.parse_args()
    trials = args.trials or RunSettings().optimize.trials
    assets, rows, trials = (4, 20_000, 20) if args.quick else (args.assets, args.rows, trials)
    repeat = 1 if args.quick else args.repeat
    waited = _waiting()
    times: dict[str, list[float]] = {"worker": [], "in_process": []}
    info: dict[str, dict] = {}
    wait_seconds: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        data = root / "sample.pkl"
        write_sample_data(data, assets=assets, rows=rows, seed=0)
        # Warm numba's cache first so no timed run pays the compile.
        _run(data, root / "warm", 1, 4)
        # Alternate the two ways: a busy machine then slows both alike.
        for k in range(repeat):
            original = agent_part.WorkspaceRunner
            agent_part.WorkspaceRunner = _InProcessRunner  # type: ignore[misc]
            try:
                seconds, info["in_process"] = _run(data, root / f"in-{k}", args.iterations, trials)
            finally:
                agent_part.WorkspaceRunner = original  # type: ignore[misc]
            times["in_process"].append(seconds)
            waited["seconds"] = 0.0
            seconds, info["worker"] = _run(data, root / f"worker-{k}", args.iterations, trials)
            times["worker"].append(seconds)
            wait_seconds.append(waited["seconds"])
    after, before = min(times["worker"]), min(times["in_process"])
    overhead = after - before
    print(
        json.dumps(
            {
                "benchmark": "worker",
                "assets": assets,
                "rows_per_asset": rows,
                "iterations": args.iterations,
                "run_seconds_worker": round(after, 2),
                "run_seconds_in_process": round(before, 2),
                "overhead_seconds": round(overhead, 2),
                "overhead_fraction": round(overhead / after, 4),
                "ratio": round(after / before, 4),
                "budget_fraction": 0.15,
                # Measured inside the worker runs: time spent waiting on workers (start-up,
                # transfers and the workspace code's own compute), as a share of the run.
                "worker_wait_fraction": round(min(wait_seconds) / after, 4),
                "runs": {k: [round(t, 1) for t in v] for k, v in times.items()},
                "kept_code_patches": {k: v["kept"] for k, v in info.items()},
                "same_scores": info["worker"]["validation_scores"]
                == info["in_process"]["validation_scores"],
            }
        )
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()

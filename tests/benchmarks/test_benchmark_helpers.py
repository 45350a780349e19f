"""The speed benchmarks run end to end on tiny data (figures only sane, never timed)."""

from __future__ import annotations

import importlib.util
import math
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module", autouse=True)
def _importable():
    sys.path.insert(0, str(BENCHMARKS))  # the benchmarks import each other as scripts do
    yield
    sys.path.remove(str(BENCHMARKS))


def _load(name: str) -> ModuleType:
    """A benchmark script as a module (by path: `optimize` would find tests/optimize)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sane(figures: dict, *names: str) -> None:
    for name in names:
        value = figures[name]
        assert math.isfinite(value) and value > 0, (name, value)


def test_engine_benchmark_runs():
    engine = _load("engine")

    figures = engine.measure(3_000, 4, engine.grid()[:6], repeats=1)
    _sane(figures, "throughput", "ceiling_ratio", "ratio")
    assert figures["sets"] == 6 and figures["mean_trades"] > 0


def test_optimize_benchmark_runs():
    optimize = _load("optimize")

    figures = optimize.measure(2, 3_000, 4, optimize.grid_sets()[::125], repeats=1)
    _sane(figures, "throughput", "ceiling_ratio", "engine_ratio", "ratio")
    assert figures["sets"] == 8


def test_search_benchmark_runs_with_the_runs_engine_settings():
    search = _load("search")

    figures = search.measure(5, 3_000, 4, trials=6, repeats=1)
    _sane(figures, "throughput", "ceiling_ratio", "ratio")
    # the sample carries pool reserves: the run's settings are AMM fills on 10 units of quote
    assert figures["engine"]["fill_model"] == "amm" and figures["engine"]["init_cash"] == 10.0
    assert figures["trials"] == 6


def test_speed_clock_divides_our_bar_sets_by_each_sides_best_seconds():
    ceiling = _load("ceiling")
    clock = ceiling.SpeedClock(repeats=2)
    clock.seconds = {"ours": 2.0, "ceiling": 1.0, "vectorbt": 4.0}
    clock.vectorbt_sets, clock.vectorbt_bar_sets = 5, 100

    figures = clock.figures(1_000)
    assert figures["throughput"] == 500 and figures["ceiling_throughput"] == 1_000
    assert figures["ceiling_ratio"] == 0.5 and figures["vectorbt_throughput"] == 25
    assert figures["ratio"] == 20.0 and figures["seconds"] == 2.0
    assert figures["repeats"] == 2 and figures["vectorbt_sets"] == 5


def test_speed_clock_times_the_sides_in_turns_and_keeps_each_ones_fastest_run():
    ceiling = _load("ceiling")
    clock = ceiling.SpeedClock(repeats=3)
    order = []
    waits = {"ours": iter([0.0, 0.03, 0.0, 0.02]), "ceiling": iter([0.0, 0.02, 0.03, 0.01])}

    def side(name: str):
        def run() -> None:
            order.append(name)
            time.sleep(next(waits[name]) if name in waits else 0.0)

        return run

    clock.ours(side("ours"))
    clock.ceiling(side("ceiling"))
    clock.vectorbt(side("vectorbt"), 1, 10)
    assert order == ["ours", "ceiling", "vectorbt"]  # each once, untimed, when handed over
    assert clock.peak_mb > 0
    clock.race()
    assert order[3:] == ["ours", "ceiling", "vectorbt"] * 3
    assert clock.seconds["ours"] < 0.015 and 0.01 <= clock.seconds["ceiling"] < 0.02

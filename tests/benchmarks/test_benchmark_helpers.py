"""The speed benchmarks run end to end on tiny data (figures only sane, never timed)."""

from __future__ import annotations

import importlib.util
import math
import sys
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

    figures = engine.measure(3_000, 4, engine.grid()[:6])
    _sane(figures, "throughput", "ceiling_ratio", "ratio")
    assert figures["sets"] == 6 and figures["mean_trades"] > 0


def test_optimize_benchmark_runs():
    optimize = _load("optimize")

    figures = optimize.measure(2, 3_000, 4, optimize.grid_sets()[::125])
    _sane(figures, "throughput", "ceiling_ratio", "engine_ratio", "ratio")
    assert figures["sets"] == 8


def test_search_benchmark_runs_with_the_runs_engine_settings():
    search = _load("search")

    figures = search.measure(5, 3_000, 4, trials=6)
    _sane(figures, "throughput", "ceiling_ratio", "ratio")
    # the sample carries pool reserves: the run's settings are AMM fills on 10 units of quote
    assert figures["engine"]["fill_model"] == "amm" and figures["engine"]["init_cash"] == 10.0
    assert figures["trials"] == 6

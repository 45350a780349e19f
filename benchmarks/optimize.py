"""Whole-optimization throughput (10 assets x 1,000 sets) vs vectorbt and a numba ceiling.

Prints one JSON line. `throughput` counts bar-sets (one parameter set over one row) per second
of the whole `run_parameter_optimization` call: sampling, both windows of the inner holdout,
scoring, the best set's re-run on train and validation rows, aggregation. `ceiling_throughput`
is a minimal numba loop for this one strategy over exactly the same rows and sets (the fit and
check windows of every set, the best set's train and validation rows), so `ceiling_ratio`
compares like with like. `engine_throughput` is plain `evaluate_grid` over every asset's full
history for the same sets (so `engine_ratio` shows the optimizer's own overhead);
`vectorbt_throughput` is vectorbt's from_signals on the first sets, per bar-set.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np
import pandas as pd
from ceiling import ceiling_nb

from vantageadapt.backtest import EngineConfig, evaluate_grid
from vantageadapt.models import TradingRules
from vantageadapt.optimize import OptimizeSettings, ParamSpec, SearchSpace
from vantageadapt.optimize import run_parameter_optimization as optimize
from vantageadapt.optimize.splits import inner_holdout, validation_starts
from vantageadapt.rules.indicators import rolling_mean

WINDOWS = tuple(float(10 * (i + 1)) for i in range(10))
TAKE_PROFITS = tuple(round(0.01 * (i + 1), 3) for i in range(10))
STOP_LOSSES = tuple(round(0.005 * (i + 1), 4) for i in range(10))
FEES = 0.001
RULES = TradingRules.model_validate(
    {
        "conditions": {
            "entry": ["price > ma_{w}", "volume > volume_ma_{w}"],
            "exit": ["price < ma_{w}"],
        },
        "parameters": {
            "w": 20,
            "take_profit": 0.05,
            "stop_loss": 0.02,
            "order_size": 1.0,
            "max_orders": 1,
        },
    }
)
SPACE = SearchSpace(
    params=(
        ParamSpec(name="w", kind="choice", choices=WINDOWS),
        ParamSpec(name="take_profit", kind="choice", choices=TAKE_PROFITS),
        ParamSpec(name="stop_loss", kind="choice", choices=STOP_LOSSES),
    )
)


def make_frames(assets: int, rows: int) -> dict[str, pd.DataFrame]:
    """Random-walk prices and lognormal volumes at one-minute spacing."""
    index = pd.date_range("2020-01-01", periods=rows, freq="min", tz="UTC", name="timestamp")
    frames = {}
    for a in range(assets):
        rng = np.random.default_rng(a)
        price = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.002, rows)))
        frames[f"A{a:02d}"] = pd.DataFrame(
            {"price": price, "volume": rng.lognormal(0.0, 1.0, rows)}, index=index
        )
    return frames


def grid_sets() -> list[dict[str, float]]:
    """The 1,000 sets the grid sampler proposes, window-major."""
    return [
        {**RULES.parameters, "w": w, "take_profit": tp, "stop_loss": sl}
        for w in WINDOWS
        for tp in TAKE_PROFITS
        for sl in STOP_LOSSES
    ]


def run_windows(frames, settings) -> tuple[dict[str, list[tuple[int, int]]], dict]:
    """The row windows the search trades every set on, and the best set's final windows."""
    counts = {sym: len(frame) for sym, frame in frames.items()}
    starts = validation_starts(counts, settings.validation_fraction)
    search = {}
    for sym, stop in starts.items():
        fold = inner_holdout(stop, settings.holdout_fraction)
        search[sym] = [(fold.fit_start, fold.fit_stop), (fold.fit_stop, fold.check_stop)]
    finals = {sym: [(0, stop), (stop, counts[sym])] for sym, stop in starts.items()}
    return search, finals


def ceiling_seconds(frames, windows, finals, sets, best) -> float:
    """Seconds for the minimal loop over the same windows and sets (indicators included)."""

    def arrays(table: list[dict[str, float]]) -> tuple[np.ndarray, ...]:
        widx = np.array([WINDOWS.index(s["w"]) for s in table], dtype=np.int64)
        tps = np.array([s["take_profit"] for s in table])
        return widx, tps, np.array([s["stop_loss"] for s in table])

    every, chosen = arrays(sets), arrays([best])
    tiny = np.ones((len(WINDOWS), 20))
    ceiling_nb(np.ones(10), np.ones(10), tiny[:, 5:15], tiny[:, 5:15], *every, FEES, 1e4)
    began = time.perf_counter()
    for sym, frame in frames.items():
        price = np.array(frame["price"], dtype=np.float64)
        volume = np.array(frame["volume"], dtype=np.float64)
        mas = np.stack([rolling_mean(price, int(w)) for w in WINDOWS])
        vmas = np.stack([rolling_mean(volume, int(w)) for w in WINDOWS])
        jobs = [(w, every) for w in windows[sym]] + [(w, chosen) for w in finals[sym]]
        for (start, stop), (widx, tps, sls) in jobs:
            cut = slice(start, stop)
            ceiling_nb(price[cut], volume[cut], mas[:, cut], vmas[:, cut], widx, tps, sls, FEES,
                       1e4)  # fmt: skip
    return time.perf_counter() - began


def vectorbt_seconds(frame: pd.DataFrame, n_sets: int) -> float:
    """Seconds for vectorbt's from_signals on the first window's tp x sl sets (one asset)."""
    import vectorbt as vbt

    price, volume = frame["price"], frame["volume"]
    w = int(WINDOWS[0])
    ma, vma = price.rolling(w).mean(), volume.rolling(w).mean()
    entries = ((price > ma) & (volume > vma)).to_numpy()
    exits = (price < ma).to_numpy()
    tp = np.array([tp for tp in TAKE_PROFITS for _ in STOP_LOSSES])[:n_sets]
    sl = np.array([sl for _ in TAKE_PROFITS for sl in STOP_LOSSES])[:n_sets]

    def run(rows: int) -> None:
        def wide(values: np.ndarray) -> pd.DataFrame:
            return pd.DataFrame(np.repeat(values[:rows, None], n_sets, 1), index=price.index[:rows])

        portfolio = vbt.Portfolio.from_signals(
            wide(price.to_numpy()),
            entries=wide(entries),
            exits=wide(exits),
            sl_stop=sl,
            tp_stop=tp,
            fees=FEES,
            init_cash=10_000.0,
            freq="1min",
        )
        portfolio.total_return()
        portfolio.sortino_ratio()
        portfolio.max_drawdown()
        portfolio.trades.count()

    run(500)  # compile vectorbt's kernels outside the timing, as ours are
    began = time.perf_counter()
    run(len(price))
    return time.perf_counter() - began


def measure(assets: int, rows: int, vectorbt_sets: int, grid: list | None = None) -> dict:
    """Run the search, the engine, the ceiling and vectorbt on the same data; the figures.

    `grid` replaces the 1,000 parameter sets (tests use a few)."""
    frames = make_frames(assets, rows)
    sets = grid if grid is not None else grid_sets()
    config = EngineConfig(fees=FEES)
    settings = OptimizeSettings(sampler="grid", trials=len(sets), subset_size=assets)
    space = SPACE
    if grid is not None:
        space = SearchSpace(
            params=tuple(
                ParamSpec(name=n, kind="choice", choices=tuple(sorted({s[n] for s in sets})))
                for n in ("w", "take_profit", "stop_loss")
            )
        )

    began = time.perf_counter()
    evaluate_grid(make_frames(1, 2_000)["A00"], RULES.conditions, sets[:2], config)
    jit_seconds = time.perf_counter() - began

    began = time.perf_counter()
    result = optimize(frames, RULES, settings=settings, config=config, space=space)
    seconds = time.perf_counter() - began
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    windows, finals = run_windows(frames, settings)
    searched = sum(stop - start for w in windows.values() for start, stop in w)
    bar_sets = searched * result.trials + sum(b - a for w in finals.values() for a, b in w)
    throughput = bar_sets / seconds

    began = time.perf_counter()
    for frame in frames.values():
        evaluate_grid(frame, RULES.conditions, sets, config)
    engine = assets * rows * len(sets) / (time.perf_counter() - began)
    best = {name: result.best_parameters[name] for name in ("w", "take_profit", "stop_loss")}
    ceiling = bar_sets / ceiling_seconds(frames, windows, finals, sets, best)
    n_vbt = min(vectorbt_sets, len(sets))
    vectorbt_throughput = rows * n_vbt / vectorbt_seconds(next(iter(frames.values())), n_vbt)
    return {
        "assets": assets,
        "rows": rows,
        "sets": result.trials,
        "bar_sets": bar_sets,
        "seconds": round(seconds, 3),
        "throughput": round(throughput),
        "vectorbt_sets": n_vbt,
        "vectorbt_throughput": round(vectorbt_throughput),
        "ratio": round(throughput / vectorbt_throughput, 2),
        "ceiling_throughput": round(ceiling),
        "ceiling_ratio": round(throughput / ceiling, 3),
        "engine_throughput": round(engine),
        "engine_ratio": round(throughput / engine, 3),
        "jit_seconds": round(jit_seconds, 2),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "best_parameters": result.best_parameters,
        "out_of_sample_trades": result.out_of_sample.total_trades,
    }


def main() -> None:
    """Measure and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20,000 rows instead of 200,000")
    parser.add_argument("--vectorbt-sets", type=int, default=100)
    args = parser.parse_args()
    print(json.dumps(measure(10, 20_000 if args.quick else 200_000, args.vectorbt_sets)))


if __name__ == "__main__":
    main()

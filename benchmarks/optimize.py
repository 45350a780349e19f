"""Whole-optimization throughput (10 assets x 1,000 sets) vs vectorbt and a numba ceiling.

Prints one JSON line. `throughput` counts bar-sets (one parameter set over one row) per second
of the whole `run_parameter_optimization` call: sampling, both windows of the inner holdout,
scoring, the best set's re-run on train and validation rows, aggregation. `ceiling_throughput`
is a minimal numba loop for this one strategy over exactly the same rows and sets (the fit and
check windows of every set, the best set's train and validation rows), so `ceiling_ratio`
compares like with like. `engine_throughput` is plain `evaluate_grid` over every asset's full
history for the same sets (so `engine_ratio` shows the optimizer's own overhead);
`vectorbt_throughput` is vectorbt's from_signals on the first sets, per bar-set.

Each side runs once after its JIT warm-up, then the sides are timed in turns for `--repeats`
rounds (3), each side's fastest run counted; the search and the engine start each run with an
empty indicator store, as the ceiling computes its moving averages in each run.
"""

from __future__ import annotations

import ceiling
import numpy as np
import pandas as pd

from vantageadapt.backtest import EngineConfig, evaluate_grid
from vantageadapt.models import TradingRules
from vantageadapt.optimize import OptimizeSettings, ParamSpec, SearchSpace
from vantageadapt.optimize import run_parameter_optimization as optimize
from vantageadapt.optimize.splits import inner_holdout, validation_starts
from vantageadapt.rules.indicator_store import IndicatorStore
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


def ceiling_run(frames, windows, finals, sets, best):
    """The minimal loop over the same windows and sets, indicators included, as a timed call."""

    def arrays(table: list[dict[str, float]]) -> tuple[np.ndarray, ...]:
        widx = np.array([WINDOWS.index(s["w"]) for s in table], dtype=np.int64)
        tps = np.array([s["take_profit"] for s in table])
        return widx, tps, np.array([s["stop_loss"] for s in table])

    every, chosen = arrays(sets), arrays([best])
    tiny = np.ones((len(WINDOWS), 20))
    ceiling.ceiling_nb(np.ones(10), np.ones(10), tiny[:, 5:15], tiny[:, 5:15], *every, FEES, 1e4)

    def run() -> None:
        for sym, frame in frames.items():
            price = np.array(frame["price"], dtype=np.float64)
            volume = np.array(frame["volume"], dtype=np.float64)
            mas = np.stack([rolling_mean(price, int(w)) for w in WINDOWS])
            vmas = np.stack([rolling_mean(volume, int(w)) for w in WINDOWS])
            jobs = [(w, every) for w in windows[sym]] + [(w, chosen) for w in finals[sym]]
            for (start, stop), (widx, tps, sls) in jobs:
                cut = slice(start, stop)
                ceiling.ceiling_nb(price[cut], volume[cut], mas[:, cut], vmas[:, cut], widx,
                                   tps, sls, FEES, 1e4)  # fmt: skip

    return run


def vectorbt_run(frame: pd.DataFrame, n_sets: int):
    """vectorbt's from_signals on the first window's tp x sl sets (one asset), as a timed
    call (its JIT warmed on a short run)."""
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

        ceiling.vectorbt_from_signals(
            wide(price.to_numpy()), wide(entries), wide(exits), ratios=True,
            sl_stop=sl, tp_stop=tp, fees=FEES, init_cash=10_000.0, freq="1min",
        )  # fmt: skip

    run(500)  # compile vectorbt's kernels outside the timing, as ours are
    return lambda: run(len(price))


def measure(
    assets: int,
    rows: int,
    vectorbt_sets: int,
    grid: list | None = None,
    repeats: int = ceiling.REPEATS,
) -> dict:
    """Run the search, the engine, the ceiling and vectorbt on the same data, timed in turns
    for `repeats` rounds (`ceiling.SpeedClock`); the figures as a dict.

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

    clock = ceiling.SpeedClock(repeats)
    tiny = make_frames(1, 2_000)["A00"]
    clock.warm(lambda: evaluate_grid(tiny, RULES.conditions, sets[:2], config))
    results = []

    def search() -> None:  # a cold indicator store each run: the ceiling computes its own too
        store = IndicatorStore()
        results[:] = [optimize(frames, RULES, settings=settings, config=config, space=space,
                               store=store)]  # fmt: skip

    clock.ours(search)
    result = results[0]
    windows, finals = run_windows(frames, settings)
    searched = sum(stop - start for w in windows.values() for start, stop in w)
    bar_sets = searched * result.trials + sum(b - a for w in finals.values() for a, b in w)

    def engine_run() -> None:
        store = IndicatorStore()
        for frame in frames.values():
            evaluate_grid(frame, RULES.conditions, sets, config, store=store)

    best = {name: result.best_parameters[name] for name in ("w", "take_profit", "stop_loss")}
    clock.ceiling(ceiling_run(frames, windows, finals, sets, best))
    n_vbt = min(vectorbt_sets, len(sets))
    clock.vectorbt(vectorbt_run(next(iter(frames.values())), n_vbt), n_vbt, rows * n_vbt)
    clock.enter("engine", engine_run)
    clock.race()
    figures = clock.figures(bar_sets)
    engine = assets * rows * len(sets) / clock.seconds["engine"]
    return {
        "assets": assets,
        "rows": rows,
        "sets": result.trials,
        **figures,
        "engine_throughput": round(engine),
        "engine_ratio": round(figures["throughput"] / engine, 3),
        "best_parameters": result.best_parameters,
        "out_of_sample_trades": result.out_of_sample.total_trades,
    }


def main() -> None:
    """Measure and print one JSON line."""
    ceiling.speed_main(__doc__, measure, (20_000, 200_000), 100, 10)


if __name__ == "__main__":
    main()

"""The loop's own search (default sampler and trials, a breakout rule with window parameters)
against a minimal numba loop on the same rows and sets and vectorbt doing the same search.

Prints one JSON line. `throughput` counts bar-sets (one parameter set over one row) per second
of the whole `run_parameter_optimization` call on a cold indicator store: sampling, indicators,
signals, the fit and check windows of every subset asset, scoring, the best set's re-run on
every asset's train and validation rows. `ceiling_throughput` is a minimal numba loop for this
rule (lots, stops, exits, final equity only, indicators once per distinct window) over exactly
those rows and sets; `vectorbt_throughput` is vectorbt's from_signals (pandas rolling for the
indicators, the score's metrics read back) on the same windows for the first sets.

The search runs with the engine settings the run would settle on this data (`engine`: AMM
fills on the sample's pool reserves, 10 units of quote cash); the ceiling and vectorbt fill at
the price with the same cash and fees (fills are a small share of the rows either way).

Each side runs once after its JIT warm-up, then the sides are timed in turns for `--repeats`
rounds (3), each side's fastest run counted; every run of the search starts with an empty
indicator store and every run of the ceiling computes its indicators again.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import ceiling
import numpy as np
import pandas as pd

from vantageadapt.backtest import EngineConfig
from vantageadapt.data import load_trade_data, write_sample_data
from vantageadapt.models import TradingRules
from vantageadapt.optimize import OptimizeSettings
from vantageadapt.optimize import run_parameter_optimization as optimize
from vantageadapt.optimize.optimizer import resolve_engine
from vantageadapt.optimize.splits import inner_holdout, validation_starts
from vantageadapt.rules.indicator_store import IndicatorStore
from vantageadapt.rules.indicators import previous_max, previous_min, rolling_mean

RULES = TradingRules.model_validate(
    {
        "conditions": {
            "entry": ["price > high_{breakout_window}", "volume > volume_ma_{volume_window}"],
            "exit": ["price < low_{exit_window}"],
        },
        "parameters": {
            "breakout_window": 50,
            "volume_window": 20,
            "exit_window": 30,
            "take_profit": 0.1,
            "stop_loss": 0.05,
            "order_size": 0.2,
            "max_orders": 3,
        },
    }
)
WINDOWS = ("breakout_window", "volume_window", "exit_window")


def load_frames(assets: int, rows: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Synthetic DEX trades, as `vantage data sample` writes them, loaded the loop's way."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sample.pkl"
        write_sample_data(path, assets=assets, rows=rows, seed=seed)
        return load_trade_data(path)


def search_windows(frames, validation_start, settings) -> dict[str, list[tuple[int, int]]]:
    """The (start, stop) row windows the search trades on, per subset asset."""
    out = {}
    for sym, stop in validation_start.items():
        fold = inner_holdout(stop, settings.holdout_fraction)
        out[sym] = [(fold.fit_start, fold.fit_stop), (fold.fit_stop, fold.check_stop)]
    return out


def ceiling_run(frames, windows, finals, sets, best, fees, init_cash):
    """The minimal loop on the same windows and sets, indicators included, as a timed call."""
    tiny = np.ones((1, 10))
    ceiling.breakout_ceiling_nb(np.ones(10), np.ones(10), tiny, tiny, tiny, np.zeros((1, 7)), fees,
                        init_cash, 0, 10)  # fmt: skip

    def run() -> None:
        for sym, frame in frames.items():
            jobs = [(w, sets) for w in windows.get(sym, [])] + [(w, best) for w in finals[sym]]
            price = np.array(frame["price"], dtype=np.float64)  # a writable copy, as numba likes
            volume = np.array(frame["volume"], dtype=np.float64)
            keys = [np.unique(np.concatenate([sets[:, i], best[:, i]])) for i in range(3)]
            highs = np.stack([previous_max(price, int(w)) for w in keys[0]])
            vmas = np.stack([rolling_mean(volume, int(w)) for w in keys[1]])
            lows = np.stack([previous_min(price, int(w)) for w in keys[2]])
            for (start, stop), table in jobs:
                rows = table.copy()
                for i in range(3):
                    rows[:, i] = np.searchsorted(keys[i], table[:, i])
                ceiling.breakout_ceiling_nb(price, volume, highs, lows, vmas, rows, fees, init_cash,
                                    start, stop)  # fmt: skip

    return run


def vectorbt_run(frames, windows, sets: np.ndarray, fees: float, init_cash: float):
    """vectorbt's from_signals on the same windows for these sets, as a timed call (its JIT
    warmed on a short run)."""

    def run(frame: pd.DataFrame, start: int, stop: int) -> None:
        price, volume = frame["price"], frame["volume"]
        entries, exits = {}, {}
        highs, vmas, lows = {}, {}, {}  # one rolling per distinct window, as a user would
        for i, (bw, vw, ew, *_rest) in enumerate(sets):
            if bw not in highs:
                highs[bw] = price.rolling(int(bw)).max().shift(1)
            if vw not in vmas:
                vmas[vw] = volume.rolling(int(vw)).mean()
            if ew not in lows:
                lows[ew] = price.rolling(int(ew)).min().shift(1)
            high, vma, low = highs[bw], vmas[vw], lows[ew]
            entries[i] = ((price > high) & (volume > vma)).to_numpy()[start:stop]
            exits[i] = (price < low).to_numpy()[start:stop]
        index = price.index[start:stop]
        close = pd.DataFrame({i: price.to_numpy()[start:stop] for i in entries}, index=index)
        ceiling.vectorbt_from_signals(
            close, pd.DataFrame(entries, index=index), pd.DataFrame(exits, index=index),
            ratios=True, sl_stop=sets[:, 4], tp_stop=sets[:, 3], size=sets[:, 5],
            size_type="percent", fees=fees, init_cash=init_cash, freq="1s",
        )  # fmt: skip

    run(next(iter(frames.values())), 0, 500)  # compile vectorbt's kernels, untimed as ours are

    def every() -> None:
        for sym, frame in frames.items():
            for start, stop in windows.get(sym, []):
                run(frame, start, stop)

    return every


def search_config(frames, settings) -> EngineConfig:
    """The engine settings as the run settles them: `auto` resolved over every window the
    search scores (on the sample's pool data: AMM fills and 10 units of quote cash)."""
    counts = {sym: len(frame) for sym, frame in frames.items()}
    starts = validation_starts(counts, settings.validation_fraction)
    folds = {sym: [inner_holdout(stop, settings.holdout_fraction)] for sym, stop in starts.items()}
    return resolve_engine(EngineConfig(), frames, starts, folds)


def measure(
    assets: int,
    rows: int,
    vectorbt_sets: int,
    trials: int | None = None,
    repeats: int = ceiling.REPEATS,
) -> dict:
    """Run the search, the ceiling and vectorbt on the same data, timed in turns for `repeats`
    rounds (`ceiling.SpeedClock`); the figures as a dict.

    `trials` replaces the default budget (tests use a tiny one)."""
    frames = load_frames(assets, rows)
    settings = OptimizeSettings() if trials is None else OptimizeSettings(trials=trials)
    config = search_config(frames, settings)

    clock = ceiling.SpeedClock(repeats)
    small = load_frames(2, 3_000, seed=1)
    tiny = OptimizeSettings(trials=4)
    clock.warm(lambda: optimize(small, RULES, settings=tiny, store=IndicatorStore()))
    results = []

    def search() -> None:  # a cold indicator store each run, by design
        store = IndicatorStore()
        results[:] = [optimize(frames, RULES, settings=settings, config=config, store=store)]

    clock.ours(search)
    result = results[0]

    counts = {sym: len(frame) for sym, frame in frames.items()}
    validation_start = validation_starts(counts, settings.validation_fraction)
    windows = search_windows(frames, {s: validation_start[s] for s in result.subset}, settings)
    finals = {s: [(0, v), (v, counts[s])] for s, v in validation_start.items()}
    names = [*WINDOWS, "take_profit", "stop_loss", "order_size", "max_orders"]
    sets = result.landscape[names].to_numpy(dtype=np.float64)
    best = np.array([[result.best_parameters[n] for n in names]])
    searched = sum(stop - start for w in windows.values() for start, stop in w)
    finished = sum(stop - start for w in finals.values() for start, stop in w)
    bar_sets = searched * len(sets) + finished

    cash = float(config.init_cash)
    clock.ceiling(ceiling_run(frames, windows, finals, sets, best, config.fees, cash))
    n_vbt = min(vectorbt_sets, len(sets))
    clock.vectorbt(vectorbt_run(frames, windows, sets[:n_vbt], config.fees, cash), n_vbt,
                   searched * n_vbt)  # fmt: skip
    clock.race()
    return {
        "assets": assets,
        "rows": rows,
        "trials": len(sets),
        **clock.figures(bar_sets),
        "indicator_cache": result.indicator_cache,
        "engine": config.describe(),
        "best_score": result.score,
    }


def main() -> None:
    """Measure and print one JSON line."""
    ceiling.speed_main(__doc__, measure, (60_000, 300_000), 50, 5)


if __name__ == "__main__":
    main()

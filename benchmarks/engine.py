"""Engine throughput on a 10 x 10 x 10 grid vs vectorbt and a minimal numba loop; one JSON line."""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np
import pandas as pd
from ceiling import ceiling_nb

from vantageadapt.backtest import EngineConfig, evaluate_grid
from vantageadapt.models import Conditions
from vantageadapt.rules.indicators import rolling_mean

CONDITIONS = Conditions(entry=["price > ma_{w}", "volume > volume_ma_{w}"], exit=["price < ma_{w}"])
WINDOWS = [10 * (i + 1) for i in range(10)]
TAKE_PROFITS = [0.01 * (i + 1) for i in range(10)]
STOP_LOSSES = [0.005 * (i + 1) for i in range(10)]
FEES = 0.001


def make_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    """A random-walk price and lognormal volume at one-minute spacing."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2020-01-01", periods=rows, freq="min", tz="UTC", name="timestamp")
    price = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.002, rows)))
    volume = rng.lognormal(0.0, 1.0, rows)
    return pd.DataFrame({"price": price, "volume": volume}, index=index)


def grid() -> list[dict[str, float]]:
    """The 1,000 parameter sets, window-major."""
    return [
        {"w": w, "take_profit": tp, "stop_loss": sl, "order_size": 1.0, "max_orders": 1}
        for w in WINDOWS
        for tp in TAKE_PROFITS
        for sl in STOP_LOSSES
    ]


def run_ceiling(frame: pd.DataFrame, sets: list[dict[str, float]]) -> float:
    """Seconds for the minimal loop over every set (after its JIT)."""
    price = frame["price"].to_numpy()
    volume = frame["volume"].to_numpy()
    mas = np.stack([rolling_mean(price, w) for w in WINDOWS])
    vmas = np.stack([rolling_mean(volume, w) for w in WINDOWS])
    widx = np.array([WINDOWS.index(int(s["w"])) for s in sets], dtype=np.int64)
    tps = np.array([s["take_profit"] for s in sets])
    sls = np.array([s["stop_loss"] for s in sets])
    head = slice(0, 1000)
    ceiling_nb(price[head], volume[head], mas[:, head], vmas[:, head], widx, tps, sls, FEES, 1e4)
    began = time.perf_counter()
    ceiling_nb(price, volume, mas, vmas, widx, tps, sls, FEES, 1e4)
    return time.perf_counter() - began


def run_vectorbt(frame: pd.DataFrame, n_sets: int) -> float:
    """Seconds for vectorbt's from_signals on the first window's tp x sl sets (after its JIT)."""
    _vectorbt_once(make_frame(2_000, seed=2), n_sets)
    return _vectorbt_once(frame, n_sets)


def _vectorbt_once(frame: pd.DataFrame, n_sets: int) -> float:
    import vectorbt as vbt

    price = frame["price"]
    w = WINDOWS[0]
    ma = price.rolling(w).mean()
    vma = frame["volume"].rolling(w).mean()
    entries = (price > ma) & (frame["volume"] > vma)
    exits = price < ma
    tp = np.array([tp for tp in TAKE_PROFITS for _ in STOP_LOSSES])[:n_sets]
    sl = np.array([sl for _ in TAKE_PROFITS for sl in STOP_LOSSES])[:n_sets]
    columns = pd.RangeIndex(n_sets)
    began = time.perf_counter()
    close = pd.DataFrame(np.repeat(price.to_numpy()[:, None], n_sets, 1), price.index, columns)
    portfolio = vbt.Portfolio.from_signals(
        close,
        entries=pd.DataFrame(np.repeat(entries.to_numpy()[:, None], n_sets, 1), price.index),
        exits=pd.DataFrame(np.repeat(exits.to_numpy()[:, None], n_sets, 1), price.index),
        sl_stop=sl,
        tp_stop=tp,
        fees=FEES,
        init_cash=10_000.0,
        freq="1min",
    )
    # Only the cheapest outputs are timed (its sharpe_ratio() alone takes longer than the
    # simulation), so the comparison flatters vectorbt, never us.
    portfolio.total_return()
    portfolio.trades.count()
    return time.perf_counter() - began


def measure(rows: int, vectorbt_sets: int, sets: list | None = None) -> dict:
    """Time the engine, the ceiling and vectorbt on one frame; the figures as a dict.

    `sets` replaces the 1,000 parameter sets (tests use a few)."""
    frame = make_frame(rows)
    sets = sets if sets is not None else grid()
    config = EngineConfig(fees=FEES)

    began = time.perf_counter()
    evaluate_grid(make_frame(2_000, seed=1), CONDITIONS, sets[:2], config)
    jit_seconds = time.perf_counter() - began

    began = time.perf_counter()
    metrics = evaluate_grid(frame, CONDITIONS, sets, config)
    ours = time.perf_counter() - began
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    throughput = rows * len(sets) / ours

    ceiling = rows * len(sets) / run_ceiling(frame, sets)
    n_vbt = min(vectorbt_sets, len(sets))
    vectorbt_throughput = rows * n_vbt / run_vectorbt(frame, n_vbt)
    return {
        "rows": rows,
        "sets": len(sets),
        "seconds": round(ours, 3),
        "throughput": round(throughput),
        "vectorbt_sets": n_vbt,
        "vectorbt_throughput": round(vectorbt_throughput),
        "ratio": round(throughput / vectorbt_throughput, 2),
        "ceiling_throughput": round(ceiling),
        "ceiling_ratio": round(throughput / ceiling, 3),
        "jit_seconds": round(jit_seconds, 2),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "mean_trades": float(metrics[:, 5].mean()),
    }


def main() -> None:
    """Measure and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100,000 rows instead of 1,000,000")
    parser.add_argument("--vectorbt-sets", type=int, default=100)
    args = parser.parse_args()
    print(json.dumps(measure(100_000 if args.quick else 1_000_000, args.vectorbt_sets)))


if __name__ == "__main__":
    main()

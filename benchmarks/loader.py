"""Loader speed per asset (guarded .pkl, .parquet, .csv) vs a naive pandas read; one JSON line."""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd

from vantageadapt.data import load_trade_data, write_sample_data


def _best_of(repeat: int, fn) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _naive(path: Path) -> None:
    """What a user would write without the loader: read, parse times, sort."""
    if path.suffix == ".pkl":
        frames = pd.read_pickle(path)
    elif path.suffix == ".parquet":
        frames = dict(tuple(pd.read_parquet(path).groupby("symbol")))
    else:
        frames = dict(tuple(pd.read_csv(path).groupby("symbol")))
    for frame in frames.values():
        frame.assign(timestamp=pd.to_datetime(frame["timestamp"], utc=True)).sort_values(
            "timestamp", kind="stable"
        )


def main() -> None:
    """Write sample files, time load_trade_data and the naive read on each, print one line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 asset x 200k rows, 1 repeat")
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--assets", type=int, default=3)
    args = parser.parse_args()
    rows, assets, repeat = (200_000, 1, 1) if args.quick else (args.rows, args.assets, 3)
    result: dict[str, object] = {"benchmark": "loader", "rows_per_asset": rows, "assets": assets}
    with tempfile.TemporaryDirectory() as folder:
        for suffix in ("pkl", "parquet", "csv"):
            path = Path(folder) / f"sample.{suffix}"
            write_sample_data(path, assets=assets, rows=rows, seed=0)
            ours = _best_of(repeat, lambda p=path: load_trade_data(p)) / assets
            naive = _best_of(repeat, lambda p=path: _naive(p)) / assets
            result[f"{suffix}_seconds_per_asset"] = round(ours, 4)
            result[f"{suffix}_naive_seconds_per_asset"] = round(naive, 4)
            result[f"{suffix}_ratio_vs_naive"] = round(ours / naive, 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

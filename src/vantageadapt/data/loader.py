"""`load_trade_data`: any supported file or folder -> validated canonical frames."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from vantageadapt.data.bars import check_bar, to_bars
from vantageadapt.data.canonical import Unsorted, canonical_frame
from vantageadapt.data.readers import read_raw


def load_trade_data(
    path: str | Path,
    *,
    trust_pickle: bool = False,
    bar: str | None = None,
    unsorted: Unsorted = "sort",
) -> dict[str, pd.DataFrame]:
    """Load {symbol: canonical frame} from .pkl/.parquet/.csv or a folder of them.

    Args:
        path: a file, or a folder of per-symbol files.
        trust_pickle: read pickles with pandas' full reader (runs code the file names).
        bar: resample trades to bars of this span ("1min"); None keeps the rows.
        unsorted: "sort" stably sorts out-of-order rows with a warning; "error" refuses them.

    Raises:
        DataError: the file is missing, unsafe or malformed (the message names the file,
            symbol and column).
        ConfigError: `bar` is not a time span.
    """
    if bar is not None:
        check_bar(bar)
    raw = read_raw(Path(path), trust_pickle=trust_pickle)
    frames: dict[str, pd.DataFrame] = {}
    for symbol, (source, frame) in raw.items():
        canonical = canonical_frame(frame, source=str(source), symbol=symbol, unsorted=unsorted)
        frames[symbol] = to_bars(canonical, bar) if bar else canonical
    return frames

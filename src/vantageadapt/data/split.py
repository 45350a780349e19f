"""Time splits (train | validation | sealed test) and content fingerprints of frames."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vantageadapt.errors import ConfigError, DataError


@dataclass(frozen=True)
class DataSplit:
    """Each asset split in time; the loop sees `dev` only, the sealed test is scored once."""

    dev: dict[str, pd.DataFrame]
    validation_start: dict[str, int]
    full: dict[str, pd.DataFrame]
    test_start: dict[str, int]
    test_fingerprint: str


def split_frames(
    frames: Mapping[str, pd.DataFrame],
    *,
    validation_fraction: float = 0.2,
    test_fraction: float = 0.2,
) -> DataSplit:
    """Split every asset by row count: train, then validation, then the last rows as test."""
    if not (0 <= validation_fraction < 1 and 0 <= test_fraction < 1) or (
        validation_fraction + test_fraction >= 1
    ):
        raise ConfigError(
            f"validation_fraction {validation_fraction} and test_fraction {test_fraction} "
            "must be in [0, 1) and leave rows for training"
        )
    dev, validation_start, test_start, test_parts = {}, {}, {}, {}
    for symbol, frame in frames.items():
        n = len(frame)
        test_at = n - round(n * test_fraction)
        valid_at = test_at - round(n * validation_fraction)
        too_small = (
            valid_at < 1
            or (validation_fraction > 0 and valid_at == test_at)
            or (test_fraction > 0 and test_at == n)
        )
        if too_small:
            raise DataError(
                f"symbol {symbol!r}: {n} rows are too few to split into train, validation "
                "and test; give more rows or smaller fractions"
            )
        dev[symbol] = frame.iloc[:test_at]
        validation_start[symbol] = valid_at
        test_start[symbol] = test_at
        test_parts[symbol] = frame.iloc[test_at:]
    return DataSplit(
        dev=dev,
        validation_start=validation_start,
        full=dict(frames),
        test_start=test_start,
        test_fingerprint=data_fingerprint(test_parts),
    )


def _column_bytes(values: pd.Series | pd.Index) -> bytes:
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values):
        return pd.DatetimeIndex(values).as_unit("ns").asi8.tobytes()
    if pd.api.types.is_numeric_dtype(values.dtype) and isinstance(values.dtype, np.dtype):
        return np.ascontiguousarray(values.to_numpy()).tobytes()
    values = pd.Series(values, copy=False)
    return pd.util.hash_pandas_object(values, index=False).to_numpy().tobytes()


def data_fingerprint(frames: Mapping[str, pd.DataFrame]) -> str:
    """sha256 over symbols, index, column names, dtypes and values (symbol order ignored)."""
    digest = hashlib.sha256()
    for symbol in sorted(frames):
        frame = frames[symbol]
        digest.update(f"symbol:{symbol}:{len(frame)}\0".encode())
        digest.update(_column_bytes(frame.index))
        for column in frame.columns:
            digest.update(f"column:{column}:{frame[column].dtype}\0".encode())
            digest.update(_column_bytes(frame[column]))
    return digest.hexdigest()

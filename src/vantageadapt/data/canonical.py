"""Turn one raw frame into the canonical frame (docs/internals.md, "Canonical frame")."""

from __future__ import annotations

import logging
from typing import Literal

import numpy as np
import pandas as pd

from vantageadapt.errors import DataError

log = logging.getLogger("vantageadapt.data")

TIME_NAMES = ("timestamp", "time", "date")
PRICE_NAMES = ("price", "dex_price", "close")
VOLUME_NAMES = ("volume", "sol_volume", "sol_amount", "amount", "qty")
OHLC_NAMES = ("open", "high", "low")

# Epoch magnitudes: a number of seconds since 1970 below 1e11 is before year 5138, so the
# first bound that holds for the median absolute value picks the unit.
_EPOCH_UNITS = ((1e11, "s"), (1e14, "ms"), (1e17, "us"))

Unsorted = Literal["sort", "error"]


def _where(source: str, symbol: str, column: str | None = None) -> str:
    text = f"{source}: symbol {symbol!r}"
    return f"{text}, column {column!r}" if column else text


def _find(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    """The first column matching one of `names` (case-insensitive), in the order of `names`."""
    lowered = {str(c).strip().lower(): c for c in reversed(list(frame.columns))}
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


def _epoch_unit(values: np.ndarray) -> str:
    magnitude = float(np.median(np.abs(values)))
    for bound, unit in _EPOCH_UNITS:
        if magnitude < bound:
            return unit
    return "ns"


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _maybe_numeric(values: pd.Series) -> pd.Series | None:
    """The values as numbers when every present one is a number (epoch), else None."""
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        present = values.dropna()
        if present.empty:
            return None
        try:
            float(present.iloc[0])
        except (TypeError, ValueError):
            return None
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().sum() != values.notna().sum():
        return None
    return numeric


def parse_timestamps(raw: pd.Series | pd.Index, where: str) -> pd.DatetimeIndex:
    """Epoch s/ms/us/ns numbers, ISO text or datetimes -> a UTC DatetimeIndex at ns."""
    values = pd.Series(raw, copy=False).reset_index(drop=True)
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values):
        parsed = pd.to_datetime(values, utc=True)
    else:
        numeric = _maybe_numeric(values)
        if numeric is not None:
            number = numeric.to_numpy(dtype="float64")
            finite = np.isfinite(number)
            if not finite.all():
                row = _first_bad(~finite)
                raise DataError(f"{where}: missing timestamp at row {row}; drop or fill that row")
            unit = _epoch_unit(number)
            as_int = numeric.to_numpy()
            parsed = pd.to_datetime(as_int, unit=unit, utc=True, errors="coerce")
            parsed = pd.Series(parsed)
        else:
            parsed = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
    bad = parsed.isna().to_numpy()
    if bad.any():
        row = _first_bad(bad)
        raise DataError(
            f"{where}: unparseable timestamp {values.iloc[row]!r} at row {row} "
            f"({int(bad.sum())} bad in all); use epoch s/ms/us/ns or ISO 8601 text"
        )
    return pd.DatetimeIndex(parsed, name="timestamp").as_unit("ns")


def _to_float(frame: pd.DataFrame, column: str, where: str) -> np.ndarray:
    series = frame[column]
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        numeric = pd.to_numeric(series, errors="coerce")
        failed = (numeric.isna() & series.notna()).to_numpy()
        if failed.any() or pd.api.types.is_bool_dtype(series):
            row = _first_bad(failed) if failed.any() else 0
            raise DataError(
                f"{where}: non-numeric value {series.iloc[row]!r} at row {row}; "
                "the column must hold numbers"
            )
        series = numeric
    values = series.to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(values)
    if missing.any():
        row = _first_bad(missing)
        raise DataError(
            f"{where}: {int(missing.sum())} missing (NaN) values, first at row {row}; "
            "drop those rows (df.dropna()) or fill them"
        )
    if np.isinf(values).any():
        row = _first_bad(np.isinf(values))
        raise DataError(f"{where}: infinite value at row {row}; the column must be finite")
    return values


def _time_source(frame: pd.DataFrame) -> tuple[pd.Series | pd.Index, str | None]:
    column = _find(frame, TIME_NAMES)
    if column is not None:
        return frame[column], column
    index = frame.index
    if isinstance(index, pd.DatetimeIndex) or str(index.name).lower() in TIME_NAMES:
        return index, None
    raise DataError(
        f"no timestamp: expected a column or index named one of {', '.join(TIME_NAMES)} "
        "(or a DatetimeIndex)"
    )


def _duplicated(rows: pd.DataFrame) -> np.ndarray:
    flat = rows.reset_index()
    try:
        return flat.duplicated(keep="first").to_numpy()
    except TypeError:  # unhashable cells (lists) in an extra column: compare the rest
        hashable = [c for c in flat.columns if flat[c].dtype != object]
        return flat.duplicated(subset=hashable, keep="first").to_numpy()


def _dedupe_and_sort(
    frame: pd.DataFrame, where: str, time_name: str, unsorted: Unsorted
) -> pd.DataFrame:
    steps = np.diff(frame.index.asi8)
    if (steps < 0).any():
        backwards = int(np.count_nonzero(steps < 0))
        if unsorted == "error":
            row = _first_bad(steps < 0) + 1
            raise DataError(
                f"{where}, column {time_name!r}: timestamps go backwards at row {row} "
                f"({backwards} times); sort the rows by time"
            )
        log.warning(
            "%s: timestamps went backwards %d times; rows sorted by time (stable)",
            where,
            backwards,
        )
        frame = frame.iloc[np.argsort(frame.index.asi8, kind="stable")]
        steps = np.diff(frame.index.asi8)
    # Exact duplicates share a timestamp, so after the stable sort (which keeps file order
    # within a timestamp) only rows next to an equal timestamp need comparing.
    same = steps == 0
    if same.any():
        candidates = np.zeros(len(frame), dtype=bool)
        candidates[1:] |= same
        candidates[:-1] |= same
        rows = np.flatnonzero(candidates)
        dup = rows[_duplicated(frame.iloc[rows])]
        if len(dup):
            log.warning("%s: dropped %d exact duplicate rows", where, len(dup))
            keep = np.ones(len(frame), dtype=bool)
            keep[dup] = False
            frame = frame.iloc[keep]
    return frame


def canonical_frame(
    raw: pd.DataFrame, *, source: str, symbol: str, unsorted: Unsorted = "sort"
) -> pd.DataFrame:
    """Validate and normalise one asset's raw frame; DataError names file, symbol, column."""
    if not isinstance(raw, pd.DataFrame):
        raise DataError(
            f"{_where(source, symbol)}: expected a pandas DataFrame, got {type(raw).__name__}"
        )
    if len(raw) == 0:
        raise DataError(f"{_where(source, symbol)}: no rows")
    try:
        time_raw, time_column = _time_source(raw)
    except DataError as exc:
        raise DataError(f"{_where(source, symbol)}: {exc}") from None
    index = parse_timestamps(time_raw, _where(source, symbol, time_column or "<index>"))

    price_col = _find(raw, PRICE_NAMES)
    if price_col is None:
        raise DataError(
            f"{_where(source, symbol, 'price')}: missing; expected one of "
            f"{', '.join(PRICE_NAMES)} (columns: {', '.join(map(str, raw.columns[:12]))})"
        )
    volume_col = _find(raw, VOLUME_NAMES)
    if volume_col is None:
        raise DataError(
            f"{_where(source, symbol, 'volume')}: missing; expected one of "
            f"{', '.join(VOLUME_NAMES)} (add a volume column, zeros if you have none)"
        )
    price = _to_float(raw, price_col, _where(source, symbol, str(price_col)))
    if (price <= 0).any():
        row = _first_bad(price <= 0)
        raise DataError(
            f"{_where(source, symbol, str(price_col))}: non-positive price {price[row]!r} "
            f"at row {row}; prices must be > 0"
        )
    volume = _to_float(raw, volume_col, _where(source, symbol, str(volume_col)))
    if (volume < 0).any():
        row = _first_bad(volume < 0)
        raise DataError(
            f"{_where(source, symbol, str(volume_col))}: negative volume {volume[row]!r} "
            f"at row {row}; give unsigned volume (abs) and the side in another column"
        )
    columns: dict[str, np.ndarray | pd.Series] = {"price": price, "volume": volume}
    used = {price_col, volume_col, time_column}
    for name in OHLC_NAMES:
        col = _find(raw, (name,))
        if col is not None:
            columns[name] = _to_float(raw, col, _where(source, symbol, str(col)))
            used.add(col)
    for col in raw.columns:
        if col not in used and str(col) not in columns:
            columns[str(col)] = raw[col].reset_index(drop=True)
    frame = pd.DataFrame(columns)
    frame.index = index
    return _dedupe_and_sort(frame, _where(source, symbol), time_column or "<index>", unsorted)

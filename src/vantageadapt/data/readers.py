"""Read trade files (.pkl guarded, .parquet, .csv, folders of them) into raw per-symbol frames."""

from __future__ import annotations

import gzip
import logging
import zlib
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from vantageadapt.data.safe_pickle import safe_load, trusted_load
from vantageadapt.errors import DataError

log = logging.getLogger("vantageadapt.data")

PICKLE_SUFFIXES = (".pkl", ".pickle")
PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".csv.gz")
SUFFIXES = PICKLE_SUFFIXES + PARQUET_SUFFIXES + CSV_SUFFIXES
SYMBOL_COLUMN = "symbol"
MAX_CSV_LINE = 1 << 20  # bytes; a trade row is a few hundred at most
MAX_PARQUET_BYTES = 1 << 30  # decoded, per file


def data_suffix(path: Path) -> str | None:
    """The supported suffix `path` ends with (".csv.gz" counts as one), or None."""
    name = path.name.lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return None


def _stem(path: Path) -> str:
    suffix = data_suffix(path) or path.suffix
    return path.name[: len(path.name) - len(suffix)]


def _split_by_symbol(frame: pd.DataFrame, path: Path) -> dict[str, pd.DataFrame]:
    """One table -> {symbol: frame}: by its `symbol` column, or the whole table as the file stem."""
    if SYMBOL_COLUMN not in frame.columns:
        return {_stem(path): frame}
    if frame[SYMBOL_COLUMN].isna().any():
        raise DataError(f"{path}: column 'symbol' has empty values; fill or drop those rows")
    groups = frame.groupby(SYMBOL_COLUMN, sort=True, observed=True)
    return {
        str(name): part.drop(columns=SYMBOL_COLUMN).reset_index(drop=True) for name, part in groups
    }


def _from_pickled(obj: object, path: Path) -> dict[str, pd.DataFrame]:
    if isinstance(obj, pd.DataFrame):
        return _split_by_symbol(obj, path)
    if not isinstance(obj, Mapping):
        raise DataError(
            f"{path}: the pickle holds a {type(obj).__name__}; expected a dict "
            "{symbol: DataFrame} or one DataFrame"
        )
    return {str(symbol): frame for symbol, frame in obj.items()}


def read_pickle(path: Path, *, trust_pickle: bool) -> dict[str, pd.DataFrame]:
    """A pickled {symbol: DataFrame} dict (or one DataFrame), through the guarded reader."""
    with path.open("rb") as stream:
        if trust_pickle:
            obj = trusted_load(stream, source=str(path))
        else:
            obj = safe_load(stream, source=str(path))
    return _from_pickled(obj, path)


def _check_parquet_size(path: Path) -> None:
    """Refuse a parquet file whose columns would decode past the memory budget.

    The estimate is 8 bytes per cell plus the column chunks' own sizes (strings): run-length
    and dictionary encoding let a few KB of file stand for gigabytes of rows.
    """
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    cells = meta.num_rows * meta.num_columns * 8
    chunks = sum(
        meta.row_group(g).column(c).total_uncompressed_size
        for g in range(meta.num_row_groups)
        for c in range(meta.num_columns)
    )
    if cells + chunks > MAX_PARQUET_BYTES:
        raise DataError(
            f"{path}: {meta.num_rows:,} rows x {meta.num_columns} columns decode to about "
            f"{(cells + chunks) / 1e9:.1f} GB, over the {MAX_PARQUET_BYTES / 1e9:.1f} GB this "
            "reader allows per file; split it into a folder of per-symbol files"
        )


def read_parquet(path: Path) -> dict[str, pd.DataFrame]:
    """A parquet table; a `symbol` column splits it into assets."""
    try:
        _check_parquet_size(path)
        frame = pd.read_parquet(path)
    except DataError:
        raise
    except Exception as exc:  # pyarrow raises many types for a bad file
        raise DataError(f"{path}: not a readable parquet file ({exc})") from exc
    return _split_by_symbol(frame, path)


def check_csv_text(path: Path) -> None:
    """Refuse binary data and overlong lines before the parser buffers them (bounded memory)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    run = 0  # bytes since the last newline; blocks are no longer than the line limit, so
    # only a line that spans blocks can pass it
    with opener(path, "rb") as stream:
        while block := stream.read(MAX_CSV_LINE):
            if b"\0" in block:
                raise DataError(f"{path}: holds NUL bytes: binary data, not a CSV text file")
            first = block.find(b"\n")
            if first < 0 or run + first > MAX_CSV_LINE:
                run += len(block) if first < 0 else first
            else:
                run = len(block) - block.rfind(b"\n") - 1
            if run > MAX_CSV_LINE:
                raise DataError(
                    f"{path}: a line is longer than {MAX_CSV_LINE:,} bytes; not a trade table"
                )


def read_csv(path: Path) -> dict[str, pd.DataFrame]:
    """A CSV table with a header row; a `symbol` column splits it into assets."""
    try:
        check_csv_text(path)
        frame = pd.read_csv(path, low_memory=False)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: empty CSV (no header, no rows)") from None
    except (pd.errors.ParserError, ValueError, OSError, EOFError, MemoryError, zlib.error) as exc:
        raise DataError(f"{path}: not a readable CSV file ({exc})") from exc
    return _split_by_symbol(frame, path)


def _read_file(path: Path, *, trust_pickle: bool) -> dict[str, pd.DataFrame]:
    suffix = data_suffix(path)
    if suffix in PICKLE_SUFFIXES:
        return read_pickle(path, trust_pickle=trust_pickle)
    if suffix in PARQUET_SUFFIXES:
        return read_parquet(path)
    if suffix in CSV_SUFFIXES:
        return read_csv(path)
    raise DataError(
        f"{path}: unknown file type {path.suffix or '(none)'!r}; use "
        f"{', '.join(SUFFIXES)} or a folder of such files"
    )


def _read_folder(path: Path, *, trust_pickle: bool) -> dict[str, tuple[Path, pd.DataFrame]]:
    files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    data_files = [p for p in files if data_suffix(p) is not None]
    skipped = [p.name for p in files if data_suffix(p) is None]
    if skipped:
        log.warning(
            "%s: skipped %d files of unknown type: %s", path, len(skipped), ", ".join(skipped[:5])
        )
    if not data_files:
        raise DataError(f"{path}: folder holds no {', '.join(SUFFIXES)} files")
    out: dict[str, tuple[Path, pd.DataFrame]] = {}
    for file in data_files:
        for symbol, frame in _read_file(file, trust_pickle=trust_pickle).items():
            if symbol in out:
                raise DataError(
                    f"{file}: symbol {symbol!r} also comes from {out[symbol][0].name}; "
                    "rename one of the files"
                )
            out[symbol] = (file, frame)
    return out


def read_raw(path: Path, *, trust_pickle: bool = False) -> dict[str, tuple[Path, pd.DataFrame]]:
    """{symbol: (file it came from, raw frame)} for a file or a folder of files."""
    if not path.exists():
        raise DataError(f"{path}: no such file or folder; check the --data path")
    if path.is_dir():
        raw = _read_folder(path, trust_pickle=trust_pickle)
    elif not path.is_file():  # a device or pipe (/dev/zero) would be read forever
        raise DataError(f"{path}: not a regular file or folder; check the --data path")
    else:
        raw = {s: (path, f) for s, f in _read_file(path, trust_pickle=trust_pickle).items()}
    if not raw:
        raise DataError(f"{path}: holds no symbols (empty dict); expected {{symbol: DataFrame}}")
    return raw

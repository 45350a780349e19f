"""CSV and parquet inputs are sized up before pandas reads them: one DataError, bounded memory."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from vantageadapt.data import load_trade_data, readers
from vantageadapt.errors import DataError


def _trades(rows: int = 50) -> pd.DataFrame:
    return pd.DataFrame(
        {"timestamp": pd.date_range("2024-01-01", periods=rows, freq="s"),
         "price": 1.0 + pd.Series(range(rows)) / 100, "volume": 1.0}
    )  # fmt: skip


def test_a_long_line_is_refused_before_parsing(tmp_path):
    path = tmp_path / "A.csv"
    path.write_bytes(b"timestamp,price,volume\n" + b"1" * (readers.MAX_CSV_LINE + 10) + b"\n")
    with pytest.raises(DataError, match="a line is longer than 1,048,576 bytes"):
        load_trade_data(path)


def test_lines_just_under_the_limit_across_blocks_are_fine(tmp_path):
    path = tmp_path / "A.csv"
    _trades().to_csv(path, index=False)
    body = path.read_bytes()
    padding = b"#" * (readers.MAX_CSV_LINE - 100) + b"\n"  # a long comment-like line
    path.write_bytes(padding + body)
    readers.check_csv_text(path)  # passes the size check (pandas would then read it)


def test_nuls_inside_a_gzip_csv_are_found(tmp_path):
    path = tmp_path / "A.csv.gz"
    path.write_bytes(gzip.compress(b"\x00" * 5_000_000))
    with pytest.raises(DataError, match="NUL bytes"):
        load_trade_data(path)


def test_a_corrupt_gzip_csv_is_one_line(tmp_path):
    path = tmp_path / "A.csv.gz"
    path.write_bytes(gzip.compress(b"timestamp,price\n1,2\n")[:-12] + b"garbage!")
    with pytest.raises(DataError) as caught:
        load_trade_data(path)
    assert "\n" not in str(caught.value)


def test_parquet_that_unpacks_past_the_budget_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "A.parquet"
    _trades(5_000).to_parquet(path)
    assert set(load_trade_data(path)) == {"A"}
    bomb = tmp_path / "B.parquet"
    pd.DataFrame({"price": [1.0] * 200_000, "volume": 1.0}).to_parquet(bomb)  # compresses ~100x
    monkeypatch.setattr(readers, "MAX_PARQUET_BYTES", 1_000_000)  # 3.6 KB of file, 3.2 MB
    with pytest.raises(DataError, match=r"B\.parquet: 200,000 rows x 2 columns decode to"):
        load_trade_data(bomb)


def test_a_corrupt_parquet_is_one_line(tmp_path):
    path = tmp_path / "A.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 100 + b"PAR1")
    with pytest.raises(DataError, match="not a readable parquet file"):
        load_trade_data(path)


def test_a_device_is_not_read_forever(tmp_path):
    link = tmp_path / "zero.pkl"
    link.symlink_to("/dev/zero")
    with pytest.raises(DataError, match="not a regular file"):
        load_trade_data(link)

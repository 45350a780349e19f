"""load_trade_data: every format, the canonical frame, and a clear DataError for bad input."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vantageadapt.data import load_trade_data
from vantageadapt.errors import ConfigError, DataError

EPOCH = 1_700_000_000  # 2023-11-14T22:13:20Z


def _write_pickle(path, obj):
    path.write_bytes(pickle.dumps(obj, protocol=5))
    return path


def _trades(n=4, **overrides):
    frame = pd.DataFrame(
        {
            "timestamp": EPOCH + np.arange(n),
            "dex_price": np.linspace(1.0, 2.0, n),
            "sol_amount": np.arange(1.0, n + 1.0),
            "is_buy": np.arange(n) % 2 == 0,
        }
    )
    for key, value in overrides.items():
        frame[key] = value
    return frame


def test_sample_pickle_becomes_canonical(sample_pickle, sample_frames):
    frames = load_trade_data(sample_pickle)
    assert list(frames) == list(sample_frames)
    for symbol, frame in frames.items():
        raw = sample_frames[symbol]
        assert isinstance(frame.index, pd.DatetimeIndex)
        assert frame.index.name == "timestamp" and str(frame.index.tz) == "UTC"
        assert frame.index.is_monotonic_increasing
        assert frame["price"].dtype == np.float64 and frame["volume"].dtype == np.float64
        assert list(frame.columns[:2]) == ["price", "volume"]
        # extra columns kept; same-second distinct trades kept
        assert {"token_amount", "is_buy", "sol_pool", "coin_pool"} <= set(frame.columns)
        assert len(frame) == len(raw)
        np.testing.assert_array_equal(frame["price"].to_numpy(), raw["dex_price"].to_numpy())
        np.testing.assert_array_equal(frame["volume"].to_numpy(), raw["sol_amount"].to_numpy())
        assert frame.index.duplicated().any()


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".csv.gz"])
def test_table_formats_split_by_symbol_column(tmp_path, sample_frames, suffix):
    table = pd.concat([f.assign(symbol=s) for s, f in sample_frames.items()], ignore_index=True)
    path = tmp_path / f"trades{suffix}"
    if suffix == ".parquet":
        table.to_parquet(path)
    else:
        table.to_csv(path, index=False)
    frames = load_trade_data(path)
    reference = load_trade_data(_write_pickle(tmp_path / "ref.pkl", sample_frames))
    assert list(frames) == list(reference)
    for symbol in frames:
        pd.testing.assert_index_equal(frames[symbol].index, reference[symbol].index)
        np.testing.assert_allclose(frames[symbol]["price"], reference[symbol]["price"], rtol=1e-15)


def test_folder_of_per_symbol_files(tmp_path, sample_frames, data_warnings):
    names = list(sample_frames)
    sample_frames[names[0]].to_parquet(tmp_path / f"{names[0]}.parquet")
    sample_frames[names[1]].to_csv(tmp_path / f"{names[1]}.csv", index=False)
    _write_pickle(tmp_path / "more.pkl", {names[2]: sample_frames[names[2]]})
    (tmp_path / "README.txt").write_text("notes")
    frames = load_trade_data(tmp_path)
    assert sorted(frames) == sorted(names)
    assert all(len(f) == 2_000 for f in frames.values())
    assert "README.txt" in data_warnings.text


def test_folder_with_a_symbol_twice_is_refused(tmp_path, sample_frames):
    frame = next(iter(sample_frames.values()))
    frame.to_csv(tmp_path / "AAA.csv", index=False)
    _write_pickle(tmp_path / "b.pkl", {"AAA": frame})
    with pytest.raises(DataError, match="'AAA' also comes from"):
        load_trade_data(tmp_path)


def test_a_single_pickled_frame_is_one_symbol_named_after_the_file(tmp_path):
    frames = load_trade_data(_write_pickle(tmp_path / "SOLBONK.pkl", _trades()))
    assert list(frames) == ["SOLBONK"]


@pytest.mark.parametrize(
    ("price", "volume"),
    [
        ("dex_price", "sol_amount"),
        ("close", "volume"),
        ("price", "qty"),
        ("Close", "Volume"),
        ("price", "sol_volume"),
        ("price", "amount"),
    ],
)
def test_input_names_map_to_price_and_volume(tmp_path, price, volume):
    raw = pd.DataFrame({"time": EPOCH + np.arange(3), price: [1.0, 2.0, 3.0], volume: [1, 2, 3]})
    frame = load_trade_data(_write_pickle(tmp_path / "x.pkl", {"A": raw}))["A"]
    assert list(frame.columns) == ["price", "volume"]
    assert frame["volume"].dtype == np.float64
    np.testing.assert_array_equal(frame["price"], [1.0, 2.0, 3.0])


@pytest.mark.parametrize("unit,scale", [("s", 1), ("ms", 1_000), ("us", 10**6), ("ns", 10**9)])
def test_epoch_units_are_inferred(tmp_path, unit, scale):
    raw = _trades(timestamp=(EPOCH + np.arange(4)) * scale)
    frame = load_trade_data(_write_pickle(tmp_path / "x.pkl", {"A": raw}))["A"]
    assert frame.index[0] == pd.Timestamp("2023-11-14T22:13:20Z")
    assert frame.index[3] - frame.index[0] == pd.Timedelta(seconds=3)


def test_iso_text_with_offsets_becomes_utc(tmp_path):
    raw = pd.DataFrame(
        {
            "date": ["2024-01-01T00:00:00Z", "2024-01-01T02:00:01+02:00", "2024-01-01 00:00:02"],
            "close": [1.0, 2.0, 3.0],
            "volume": [1.0, 1.0, 1.0],
        }
    )
    path = tmp_path / "A.csv"
    raw.to_csv(path, index=False)
    frame = load_trade_data(path)["A"]
    assert list(frame.index) == list(pd.date_range("2024-01-01", periods=3, freq="s", tz="UTC"))
    assert frame.index.dtype == "datetime64[ns, UTC]"


def test_datetime_index_is_used_and_converted_to_utc(tmp_path):
    index = pd.date_range("2024-01-01 09:00", periods=3, freq="min", tz="Asia/Tokyo")
    raw = pd.DataFrame({"price": [1.0, 2.0, 3.0], "volume": [1.0, 2.0, 3.0]}, index=index)
    frame = load_trade_data(_write_pickle(tmp_path / "x.pkl", {"A": raw}))["A"]
    assert frame.index[0] == pd.Timestamp("2024-01-01T00:00:00Z")


def test_unsorted_rows_are_stably_sorted_with_a_warning(tmp_path, data_warnings):
    raw = pd.DataFrame(
        {
            "timestamp": [EPOCH + 2, EPOCH, EPOCH + 1, EPOCH, EPOCH + 2],
            "dex_price": [5.0, 1.0, 3.0, 2.0, 6.0],
            "sol_amount": [1.0] * 5,
        }
    )
    frame = load_trade_data(_write_pickle(tmp_path / "x.pkl", {"A": raw}))["A"]
    np.testing.assert_array_equal(frame["price"], [1.0, 2.0, 3.0, 5.0, 6.0])
    assert "rows sorted by time" in data_warnings.text and "'A'" in data_warnings.text


def test_unsorted_rows_can_be_refused(tmp_path):
    raw = _trades(timestamp=[EPOCH + 1, EPOCH, EPOCH + 2, EPOCH + 3])
    with pytest.raises(DataError, match=r"x\.pkl: symbol 'A', column 'timestamp'.*backwards"):
        load_trade_data(_write_pickle(tmp_path / "x.pkl", {"A": raw}), unsorted="error")


def test_exact_duplicates_dropped_but_same_second_trades_kept(tmp_path, data_warnings):
    raw = pd.DataFrame(
        {
            "timestamp": [EPOCH, EPOCH, EPOCH, EPOCH + 1],
            "dex_price": [1.0, 1.0, 1.1, 1.2],
            "sol_amount": [2.0, 2.0, 2.0, 1.0],
        }
    )
    frame = load_trade_data(_write_pickle(tmp_path / "x.pkl", {"A": raw}))["A"]
    np.testing.assert_array_equal(frame["price"], [1.0, 1.1, 1.2])
    assert "dropped 1 exact duplicate rows" in data_warnings.text


def test_missing_values_in_extra_columns_are_kept(tmp_path):
    raw = _trades(note=["a", None, "c", None])
    frame = load_trade_data(_write_pickle(tmp_path / "x.pkl", {"A": raw}))["A"]
    assert frame["note"].isna().sum() == 2


def test_bar_option_resamples(tmp_path):
    raw = _trades(n=180, timestamp=EPOCH - 20 + np.arange(180))
    frames = load_trade_data(_write_pickle(tmp_path / "x.pkl", {"A": raw}), bar="1min")
    assert list(frames["A"]["trades"]) == [60, 60, 60]
    with pytest.raises(ConfigError, match="--bar 'soon'"):
        load_trade_data(tmp_path / "x.pkl", bar="soon")


# --- bad input: one DataError each, naming file, symbol and column -------------------------


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"nope\.pkl: no such file"):
        load_trade_data(tmp_path / "nope.pkl")


def test_unknown_extension(tmp_path):
    (tmp_path / "x.xlsx").write_bytes(b"PK")
    with pytest.raises(DataError, match=r"x\.xlsx: unknown file type '\.xlsx'"):
        load_trade_data(tmp_path / "x.xlsx")


def test_empty_dict(tmp_path):
    with pytest.raises(DataError, match=r"x\.pkl: holds no symbols"):
        load_trade_data(_write_pickle(tmp_path / "x.pkl", {}))


def test_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="folder holds no"):
        load_trade_data(tmp_path / "empty")


def test_wrong_pickle_content(tmp_path):
    with pytest.raises(DataError, match="holds a list"):
        load_trade_data(_write_pickle(tmp_path / "x.pkl", [1, 2]))
    with pytest.raises(DataError, match="symbol 'A': expected a pandas DataFrame, got int"):
        load_trade_data(_write_pickle(tmp_path / "y.pkl", {"A": 3}))


def test_empty_frame(tmp_path):
    with pytest.raises(DataError, match=r"x\.pkl: symbol 'B': no rows"):
        load_trade_data(_write_pickle(tmp_path / "x.pkl", {"A": _trades(), "B": _trades(0)}))


def test_empty_csv(tmp_path):
    (tmp_path / "A.csv").write_text("")
    with pytest.raises(DataError, match="empty CSV"):
        load_trade_data(tmp_path / "A.csv")


def test_missing_price_column(tmp_path):
    raw = _trades().drop(columns="dex_price")
    with pytest.raises(DataError, match=r"symbol 'A', column 'price': missing.*dex_price"):
        load_trade_data(_write_pickle(tmp_path / "x.pkl", {"A": raw}))


def test_missing_volume_column(tmp_path):
    raw = _trades().drop(columns="sol_amount")
    with pytest.raises(DataError, match=r"column 'volume': missing"):
        load_trade_data(_write_pickle(tmp_path / "x.pkl", {"A": raw}))


def test_missing_timestamp(tmp_path):
    raw = _trades().drop(columns="timestamp")
    with pytest.raises(DataError, match=r"symbol 'A': no timestamp"):
        load_trade_data(_write_pickle(tmp_path / "x.pkl", {"A": raw}))


def test_non_numeric_price(tmp_path):
    raw = _trades(dex_price=["1.0", "2.0", "oops", "4"])
    with pytest.raises(DataError, match=r"column 'dex_price': non-numeric value 'oops' at row 2"):
        load_trade_data(_write_pickle(tmp_path / "x.pkl", {"A": raw}))


@pytest.mark.parametrize("bad", [0.0, -1.5])
def test_non_positive_price(tmp_path, bad):
    raw = _trades(dex_price=[1.0, bad, 2.0, 3.0])
    with pytest.raises(DataError, match=r"column 'dex_price': non-positive price .* at row 1"):
        load_trade_data(_write_pickle(tmp_path / "x.pkl", {"A": raw}))


def test_infinite_price(tmp_path):
    raw = _trades(dex_price=[1.0, np.inf, 2.0, 3.0])
    with pytest.raises(DataError, match=r"column 'dex_price': infinite value at row 1"):
        load_trade_data(_write_pickle(tmp_path / "x.pkl", {"A": raw}))


def test_negative_volume(tmp_path):
    raw = _trades(sol_amount=[1.0, -1.0, 2.0, 3.0])
    with pytest.raises(DataError, match=r"column 'sol_amount': negative volume"):
        load_trade_data(_write_pickle(tmp_path / "x.pkl", {"A": raw}))


@pytest.mark.parametrize("column", ["dex_price", "sol_amount"])
def test_nan_rows(tmp_path, column):
    raw = _trades()
    raw.loc[2, column] = np.nan
    with pytest.raises(DataError, match=rf"column '{column}': 1 missing \(NaN\).*row 2.*dropna"):
        load_trade_data(_write_pickle(tmp_path / "x.pkl", {"A": raw}))


def test_all_nan_row(tmp_path):
    raw = _trades().drop(columns="is_buy").astype({"timestamp": "float64"})
    raw.loc[1, :] = np.nan
    with pytest.raises(
        DataError, match=r"symbol 'A', column 'timestamp': missing timestamp at row 1"
    ):
        load_trade_data(_write_pickle(tmp_path / "x.pkl", {"A": raw}))


@pytest.mark.parametrize("bad", ["yesterday", None])
def test_unparseable_timestamps(tmp_path, bad):
    raw = _trades(timestamp=["2024-01-01T00:00:00", "2024-01-01T00:00:01", bad, "2024-01-02"])
    with pytest.raises(DataError, match=r"column 'timestamp': unparseable timestamp .* at row 2"):
        load_trade_data(_write_pickle(tmp_path / "x.pkl", {"A": raw}))


def test_corrupt_parquet(tmp_path):
    (tmp_path / "x.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError, match=r"x\.parquet: not a readable parquet file"):
        load_trade_data(tmp_path / "x.parquet")


# --- property: the loader equals a slow, obvious reference --------------------------------


def _reference(raw: pd.DataFrame) -> pd.DataFrame:
    rows = sorted(
        {
            (int(t), float(p), float(v), i)
            for i, (t, p, v) in enumerate(raw.itertuples(index=False))
        },
        key=lambda r: (r[0], r[3]),
    )
    kept, seen = [], set()
    for t, p, v, _ in rows:
        if (t, p, v) not in seen:
            seen.add((t, p, v))
            kept.append((t, p, v))
    index = pd.DatetimeIndex([pd.Timestamp(t, unit="s", tz="UTC") for t, _, _ in kept])
    return pd.DataFrame(
        {"price": [p for _, p, _ in kept], "volume": [v for _, _, v in kept]},
        index=index.rename("timestamp").as_unit("ns"),
    )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5),
            st.sampled_from([1.0, 2.0, 3.5]),
            st.sampled_from([0.0, 1.0]),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_normalisation_matches_reference(tmp_path_factory, rows):
    raw = pd.DataFrame(rows, columns=["timestamp", "dex_price", "sol_amount"])
    raw["timestamp"] += EPOCH
    path = tmp_path_factory.mktemp("prop") / "x.pkl"
    frame = load_trade_data(_write_pickle(path, {"A": raw}))["A"]
    pd.testing.assert_frame_equal(frame, _reference(raw))

"""The guarded unpickler rebuilds real pandas/numpy data and refuses anything that runs code."""

from __future__ import annotations

import datetime
import os
import pickle
import subprocess
import zoneinfo

import numpy as np
import pandas as pd
import pytest

from vantageadapt.data.safe_pickle import safe_loads
from vantageadapt.errors import DataError


def _rich_frame() -> pd.DataFrame:
    stamps = pd.date_range("2024-01-01", periods=5, freq="s")
    frame = pd.DataFrame(
        {
            "timestamp": stamps,
            "dex_price": np.arange(1.0, 6.0),
            "is_buy": [True, False, True, True, False],
            "text": list("abcde"),
            "count": np.arange(5),
            "cat": pd.Categorical(list("aabba")),
            "utc": stamps.tz_localize("UTC"),
            "ny": stamps.tz_localize("America/New_York"),
            "ms": stamps.astype("datetime64[ms]"),
            "nullable": pd.array([1, None, 3, 4, 5], dtype="Int64"),
            "flt": pd.array([1.0, None, 3, 4, 5], dtype="Float64"),
            "flag": pd.array([True, None, True, False, True], dtype="boolean"),
            "pystr": pd.array(list("abcde"), dtype="string[python]"),
            "delta": pd.to_timedelta(np.arange(5), unit="s"),
            "obj": np.array([1, "x", 2.5, None, pd.Timestamp("2024-01-01")], dtype=object),
        }
    )
    return frame


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_sample_data_pickles_round_trip(sample_frames, protocol):
    data = pickle.dumps(sample_frames, protocol=protocol)
    loaded = safe_loads(data)
    assert list(loaded) == list(sample_frames)
    for symbol, frame in sample_frames.items():
        pd.testing.assert_frame_equal(loaded[symbol], frame)


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_pandas_types_and_indexes_round_trip(protocol):
    frame = _rich_frame()
    objects = {
        "rich": frame,
        "dt_index": frame.set_index("timestamp"),
        "utc_index": frame.set_index("utc"),
        "multi": frame.set_index(["timestamp", "text"]),
        "series": frame["dex_price"],
        "array": np.arange(4.0),
        "scalar": np.float64(2.5),
        "stamp": pd.Timestamp("2024-01-01", tz="Europe/London"),
        "nat": pd.NaT,
        "delta": pd.Timedelta(3),
        "py": datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
        "zone": zoneinfo.ZoneInfo("Asia/Tokyo"),
    }
    loaded = safe_loads(pickle.dumps(objects, protocol=protocol))
    for key in ("rich", "dt_index", "utc_index", "multi"):
        pd.testing.assert_frame_equal(loaded[key], objects[key])
    pd.testing.assert_series_equal(loaded["series"], objects["series"])
    np.testing.assert_array_equal(loaded["array"], objects["array"])
    assert loaded["stamp"] == objects["stamp"] and loaded["nat"] is pd.NaT
    assert loaded["zone"] == objects["zone"] and loaded["scalar"] == 2.5


class _System:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class _Popen:
    def __init__(self, marker) -> None:
        self.marker = marker

    def __reduce__(self):
        return (subprocess.Popen, (["touch", str(self.marker)],))


class _Eval:
    def __init__(self, marker) -> None:
        self.marker = marker

    def __reduce__(self):
        return (eval, (f"open({str(self.marker)!r}, 'w')",))


class _GetattrEscape:
    """getattr(DataFrame, 'to_csv') would let a file write data anywhere."""

    def __reduce__(self):
        return (getattr, (pd.DataFrame, "to_csv"))


class _ReadPickle:
    def __reduce__(self):
        return (pd.read_pickle, ("/nonexistent.pkl",))


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        (lambda m: _System(f"touch {m}"), "system"),
        (lambda m: _Popen(m), "subprocess.Popen"),
        (lambda m: _Eval(m), "builtins.eval"),
        (lambda m: _ReadPickle(), "read_pickle"),
    ],
)
def test_code_running_pickles_are_refused_and_do_nothing(tmp_path, payload, named):
    marker = tmp_path / "pwned"
    data = pickle.dumps({"AAA": payload(marker)})
    with pytest.raises(DataError, match=rf"refused to unpickle.*{named}.*--trust-pickle"):
        safe_loads(data, source="evil.pkl")
    assert not marker.exists()


def test_payload_hidden_in_an_object_column_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    frame = pd.DataFrame({"dex_price": [1.0], "note": np.array([None], dtype=object)})
    frame.loc[0, "note"] = _System(f"touch {marker}")
    with pytest.raises(DataError, match=r"posix\.system"):
        safe_loads(pickle.dumps({"A": frame}))
    assert not marker.exists()


def test_getattr_is_limited_to_zoneinfo():
    with pytest.raises(DataError, match="getattr"):
        safe_loads(pickle.dumps(_GetattrEscape()))


@pytest.mark.parametrize("data", [b"", b"not a pickle", pickle.dumps({"A": 1})[:-3]])
def test_garbage_is_a_data_error(data):
    with pytest.raises(DataError, match=r"bad\.pkl"):
        safe_loads(data, source="bad.pkl")


def test_arrow_arrays_with_bad_offsets_are_refused():
    """A string column whose offsets were tampered with is rejected, not read out of bounds."""
    strings = pd.Series(pd.array(["ab", "cd"], dtype="string"))
    data = pickle.dumps(strings, protocol=5)
    assert safe_loads(data).tolist() == ["ab", "cd"]
    offsets = np.array([0, 2, 4], dtype=np.int64).tobytes()
    assert data.count(offsets) == 1
    tampered = data.replace(offsets, np.array([0, 4, 2], dtype=np.int64).tobytes())
    with pytest.raises(DataError, match="invalid arrow array"):
        safe_loads(tampered)

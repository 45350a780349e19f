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
            "text": ["a", "b", None, "d", "e"],
            "count": np.arange(5),
            "small": np.arange(5, dtype=np.int16),
            "utc": stamps.tz_localize("UTC"),
            "ny": stamps.tz_localize("America/New_York"),
            "ms": stamps.astype("datetime64[ms]"),
            "pystr": pd.array(list("abcde"), dtype="string[python]"),
            "delta": pd.to_timedelta(np.arange(5), unit="s"),
            "obj": np.array([1, "x", 2.5, None, True], dtype=object),
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
def test_data_frames_and_plain_values_round_trip(protocol):
    frame = _rich_frame()
    objects = {
        "rich": frame,
        "dt_index": frame.set_index("timestamp"),
        "utc_index": frame.set_index("utc"),
        "ny_index": frame.set_index("ny"),
        "text_index": frame.set_index("text"),
        "array": np.arange(4.0),
        "scalar": np.float64(2.5),
        "plain": [1, 2.5, "x", None, (1, b"y"), {"k": frozenset({3})}],
    }
    loaded = safe_loads(pickle.dumps(objects, protocol=protocol))
    for key in ("rich", "dt_index", "utc_index", "ny_index", "text_index"):
        pd.testing.assert_frame_equal(loaded[key], objects[key], check_freq=False)
    np.testing.assert_array_equal(loaded["array"], objects["array"])
    assert loaded["scalar"] == 2.5 and loaded["plain"] == objects["plain"]


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (pd.DataFrame({"c": pd.Categorical(["a"])}), "Categorical"),
        (pd.DataFrame({"n": pd.array([1, None], dtype="Int64")}), "IntegerArray"),
        (pd.DataFrame({"a": [1.0]}).set_index(pd.MultiIndex.from_tuples([(1, 2)])), "Multi"),
        (pd.Series([1.0]), "Series"),
        (pd.Timestamp("2024-01-01"), "timestamp"),
        (datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC), "datetime"),
        (zoneinfo.ZoneInfo("Asia/Tokyo"), "zone"),
        (range(10**9), "range"),
    ],
)
def test_what_a_trade_table_does_not_need_is_refused(value, named):
    with pytest.raises(DataError, match=rf"refused to unpickle.*{named}"):
        safe_loads(pickle.dumps(value, protocol=5))


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
    frame = pd.DataFrame({"s": pd.array(["ab", "cd"], dtype="str")})
    data = pickle.dumps(frame, protocol=5)
    assert safe_loads(data)["s"].tolist() == ["ab", "cd"]
    offsets = np.array([0, 2, 4], dtype=np.int64).tobytes()
    assert data.count(offsets) == 1
    for bad in ([0, 4, 2], [0, 2, 400]):
        tampered = data.replace(offsets, np.array(bad, dtype=np.int64).tobytes())
        with pytest.raises(DataError, match="invalid arrow array"):
            safe_loads(tampered)

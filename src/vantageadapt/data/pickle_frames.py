"""Build fresh numpy arrays and DataFrames from what the guarded unpickler recorded.

Every shape, dtype, length and block placement is checked against the others before one
byte is copied; pandas only ever sees plain, already-valid numpy arrays and labels.
"""

from __future__ import annotations

import datetime
import math
import re
import zoneinfo
from typing import Any

import numpy as np
import pandas as pd

from vantageadapt.data import pickle_stubs as s

MAX_NESTING = 64
MAX_ROWS = 2**40
_NUMERIC = {"f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"}
_TIME_UNITS = {b"s", b"ms", b"us", b"ns"}
_ZONE_KEY = re.compile(r"^[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+){0,3}$")
_SCALARS = (str, int, float, bool, type(None))
_NAME_TYPES = (str, int, float, bool, type(None))


class BadPickle(ValueError):
    """What the pickle recorded is not a valid frame or array; the message says why."""


def _need(condition: bool, message: str) -> None:
    if not condition:
        raise BadPickle(message)


def _int(value: Any, what: str, low: int = 0, high: int = MAX_ROWS) -> int:
    _need(type(value) is int and low <= value <= high, f"{what} {value!r} is out of range")
    return value


def dtype_of(stub: Any) -> np.dtype:
    """A numpy dtype from a recorded `numpy.dtype(name, align, copy)` + state."""
    _need(isinstance(stub, s.Dtype), f"expected a numpy dtype, got {type(stub).__name__}")
    name = stub.args[0] if stub.args else None
    state = stub.state
    _need(isinstance(state, tuple) and len(state) in (8, 9), f"dtype {name!r} has a bad state")
    order = state[1]
    _need(order in ("<", ">", "|", "="), f"dtype {name!r} has byte order {order!r}")
    _need(state[2:5] == (None, None, None), "structured numpy dtypes are not supported")
    if name in ("M8", "m8"):
        # state[8] is (metadata, (unit, count, 1, 1))
        extra = state[8] if len(state) == 9 else None
        meta = extra[1] if isinstance(extra, tuple) and len(extra) == 2 else None
        _need(
            isinstance(meta, tuple) and len(meta) == 4 and meta[0] in _TIME_UNITS and meta[1] == 1,
            f"dtype {name!r} has a bad time unit",
        )
        dtype = np.dtype(f"{name}[{meta[0].decode()}]")
    elif name == "O8":
        return np.dtype(object)
    else:
        _need(name in _NUMERIC, f"numpy dtype {name!r} is not a data type this reader admits")
        dtype = np.dtype(name)
    return dtype.newbyteorder(">") if order == ">" else dtype


def _shape(value: Any) -> tuple[int, ...]:
    _need(isinstance(value, tuple) and len(value) <= 2, f"array shape {value!r} is not 1-D/2-D")
    shape = tuple(_int(n, "array dimension") for n in value)
    _need(math.prod(shape) <= MAX_ROWS, f"array shape {shape} is too large")
    return shape


def _from_bytes(raw: Any, dtype: np.dtype, shape: tuple[int, ...], fortran: bool) -> np.ndarray:
    _need(isinstance(raw, bytes | bytearray), "array data is not bytes")
    _need(dtype != np.dtype(object), "an object array cannot come from raw bytes")
    _need(
        len(raw) == math.prod(shape) * dtype.itemsize,
        f"array of shape {shape} and dtype {dtype} needs {math.prod(shape) * dtype.itemsize} "
        f"bytes, the pickle holds {len(raw)}",
    )
    flat = np.frombuffer(raw, dtype=dtype).copy()
    if dtype.kind == "b":
        _need(not (flat.view(np.uint8) > 1).any(), "boolean array holds values other than 0/1")
    out = flat.reshape(shape, order="F" if fortran else "C")
    return out if out.dtype.isnative else out.astype(out.dtype.newbyteorder("="))


def _object_array(items: Any, shape: tuple[int, ...], depth: int) -> np.ndarray:
    _need(isinstance(items, list) and len(items) == math.prod(shape), "object array is malformed")
    values = [plain(item, depth + 1) for item in items]
    _need(
        all(isinstance(v, _SCALARS) for v in values),
        "object columns may hold only str, int, float, bool or None",
    )
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out.reshape(shape)


def array_of(stub: Any, depth: int = 0) -> np.ndarray:
    """A fresh, checked ndarray from a recorded `_reconstruct` or `_frombuffer`."""
    if isinstance(stub, s.FromBuffer):
        _need(len(stub.args) == 4, "_frombuffer has the wrong arguments")
        raw, dtype_stub, shape, order = stub.args
        _need(order in ("C", "F"), f"array order {order!r}")
        return _from_bytes(raw, dtype_of(dtype_stub), _shape(shape), order == "F")
    _need(isinstance(stub, s.Reconstructed), f"expected an array, got {type(stub).__name__}")
    _need(len(stub.args) == 3 and stub.args[0] is s.NDARRAY, "only plain numpy arrays")
    state = stub.state
    _need(isinstance(state, tuple) and len(state) == 5 and state[0] == 1, "bad ndarray state")
    _, shape_raw, dtype_stub, fortran, raw = state
    shape, dtype = _shape(shape_raw), dtype_of(dtype_stub)
    _need(type(fortran) is bool, "bad ndarray state")
    if dtype == np.dtype(object):
        _need(not fortran, "bad object array")
        return _object_array(raw, shape, depth)
    return _from_bytes(raw, dtype, shape, fortran)


def scalar_of(stub: Any) -> Any:
    """A Python number from a recorded numpy scalar."""
    _need(len(stub.args) == 2, "numpy scalar has the wrong arguments")
    dtype = dtype_of(stub.args[0])
    _need(dtype.kind in "fiub", f"numpy scalar of dtype {dtype} is not admitted")
    return _from_bytes(stub.args[1], dtype, (), False).item()


def plain(obj: Any, depth: int = 0, seen: dict[int, Any] | None = None) -> Any:
    """A plain value (containers, scalars, arrays, frames) with every stub resolved."""
    _need(depth <= MAX_NESTING, f"objects nest more than {MAX_NESTING} levels deep")
    if isinstance(obj, (*_SCALARS, bytes, complex)):
        return obj
    if obj is s.NA:
        return None
    seen = {} if seen is None else seen
    if id(obj) in seen:
        return seen[id(obj)]
    if isinstance(obj, s.Frame):
        out: Any = frame_of(obj)
    elif isinstance(obj, s.Reconstructed | s.FromBuffer):
        out = array_of(obj, depth)
    elif isinstance(obj, s.Scalar):
        out = scalar_of(obj)
    elif isinstance(obj, list | tuple | set | frozenset):
        out = type(obj)(plain(item, depth + 1, seen) for item in obj)
    elif isinstance(obj, dict):
        out = {plain(k, depth + 1, seen): plain(v, depth + 1, seen) for k, v in obj.items()}
    else:
        what = obj.kind if isinstance(obj, s.Stub) else type(obj).__name__
        raise BadPickle(f"a {what} outside a DataFrame is not something this reader rebuilds")
    seen[id(obj)] = out
    return out


def _zone(stub: Any) -> Any:
    if isinstance(stub, s.Zone):
        key = stub.args[0] if stub.args else None
        _need(isinstance(key, str) and bool(_ZONE_KEY.match(key)), f"time zone {key!r}")
        try:
            return zoneinfo.ZoneInfo(key)
        except Exception:  # missing zone, a folder, a corrupt tzdata file
            raise BadPickle(f"unknown time zone {key!r}") from None
    if isinstance(stub, s.Timezone) and stub.args and isinstance(stub.args[0], s.Timedelta):
        days, seconds, micros = (*stub.args[0].args, 0, 0, 0)[:3]
        offset = _int(days, "tz days", -1, 0) * 86400 + _int(seconds, "tz seconds", 0, 86399)
        _need(micros == 0 and abs(offset) < 86400, "bad time zone offset")
        return datetime.timezone(datetime.timedelta(seconds=offset))
    raise BadPickle("only UTC offsets and IANA time zones are admitted")


def _datetimes(stub: Any, rows: int) -> list[Any]:
    """Columns of a DatetimeArray/TimedeltaArray (an M8/m8 array plus an optional zone)."""
    _need(len(stub.args) >= 1 and stub.args[0] in s.ARRAY_CLASSES.values(), "bad pandas array")
    state = stub.state
    _need(isinstance(state, tuple) and len(state) in (2, 3), "bad pandas array state")
    dtype_stub, values = state[0], array_of(state[1])
    if values.ndim == 1:
        values = values[None, :]
    zone = None
    if isinstance(dtype_stub, s.TZDtype):
        info = dtype_stub.state if isinstance(dtype_stub.state, dict) else {}
        zone = _zone(info.get("tz", info.get("_tz")))
        _need(values.dtype.kind == "M", "a zoned array must hold datetimes")
    else:
        _need(dtype_of(dtype_stub) == values.dtype, "array and dtype disagree")
    _need(values.dtype.kind in "Mm" and values.shape[1] == rows, "time array has the wrong shape")
    if zone is None:
        return list(values)
    return [pd.DatetimeIndex(row).tz_localize("UTC").tz_convert(zone).array for row in values]


def _arrow_strings(stub: Any) -> list[str | None]:
    """The strings of a pickled pyarrow string array, decoded and bounds-checked by hand."""
    state = stub.state if isinstance(stub.state, dict) else {}
    array = state.get("_pa_array")
    _need(isinstance(array, s.ArrowArray) and len(array.args) == 1, "bad arrow string array")
    fields = array.args[0]
    _need(isinstance(fields, tuple) and len(fields) == 7, "bad arrow array state")
    kind, length, nulls, offset, buffers, children, dictionary = fields
    _need(
        isinstance(kind, s.ArrowType) and kind.args in (("string",), ("large_string",)),
        "only arrow string arrays are admitted",
    )
    _need(children == [] and dictionary is None, "nested arrow arrays are not admitted")
    length, offset = _int(length, "arrow length"), _int(offset, "arrow offset")
    _need(isinstance(buffers, list) and len(buffers) == 3, "bad arrow buffers")
    raw = [b.args[0] if isinstance(b, s.ArrowBuffer) and b.args else b for b in buffers]
    _need(all(b is None or isinstance(b, bytes | bytearray) for b in raw), "bad arrow buffers")
    validity, offsets_raw, data = raw[0], raw[1], raw[2] or b""
    width = np.dtype("<i8") if kind.args == ("large_string",) else np.dtype("<i4")
    _need(offsets_raw is not None and len(offsets_raw) >= (offset + length + 1) * width.itemsize,
          "arrow offsets are too short")  # fmt: skip
    offs = np.frombuffer(offsets_raw, dtype=width, count=offset + length + 1)[offset:]
    _need(bool((np.diff(offs) >= 0).all()) and offs[0] >= 0 and offs[-1] <= len(data),
          "invalid arrow array: offsets out of bounds")  # fmt: skip
    valid = np.ones(length, dtype=bool)
    if validity is not None:
        _need(len(validity) * 8 >= offset + length, "arrow validity bitmap is too short")
        bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
        valid = bits[offset : offset + length].astype(bool)
    _need(type(nulls) is int, "bad arrow null count")
    text = bytes(data)
    return [
        text[offs[i] : offs[i + 1]].decode("utf-8") if valid[i] else None for i in range(length)
    ]


def _columns_of(values: Any, count: int, rows: int) -> list[Any]:
    """The `count` columns a block holds, each `rows` long."""
    if isinstance(values, s.Backed):
        if values.args and values.args[0] is s.ARRAY_CLASSES["StringArray"]:
            _need(isinstance(values.state, tuple) and len(values.state) >= 2, "bad string array")
            strings = array_of(values.state[1])
            _need(strings.dtype == object and strings.ndim == 1, "bad string array")
            columns = [pd.array(strings, dtype="string[python]")]
        else:
            columns = _datetimes(values, rows)
    elif isinstance(values, s.ArrowString):
        columns = [pd.array(_arrow_strings(values), dtype="str")]
    else:
        array = array_of(values)
        columns = list(array[None, :] if array.ndim == 1 else array)
    _need(len(columns) == count, f"a block holds {len(columns)} columns, its placement {count}")
    _need(all(len(c) == rows for c in columns), "a block's length differs from the index's")
    return columns


def _placement(locs: Any, width: int) -> list[int]:
    if isinstance(locs, slice):
        start, stop, step = locs.start or 0, locs.stop, locs.step or 1
        _need(type(stop) is int and 0 <= start <= stop < 2**62 and step > 0, "bad placement")
        places = range(start, stop, step)
        _need(not places or places[-1] < width, "block placement lies outside the frame")
        return list(places)
    array = array_of(locs)
    _need(array.ndim == 1 and array.dtype.kind in "iu", "block placement must be integers")
    _need(bool(((array >= 0) & (array < width)).all()), "block placement lies outside the frame")
    return [int(i) for i in array]


def index_of(stub: Any) -> pd.Index:
    """A fresh Index (RangeIndex, Index of numbers or strings, DatetimeIndex)."""
    _need(isinstance(stub, s.NewIndex) and len(stub.args) == 2, "bad index")
    cls, fields = stub.args
    _need(isinstance(fields, dict), "bad index state")
    name = fields.get("name")
    _need(isinstance(name, _NAME_TYPES), "index names must be strings or numbers")
    if cls is s.INDEX_CLASSES["RangeIndex"]:
        start, stop, step = (fields.get(k) for k in ("start", "stop", "step"))
        bound = 2**62
        _need(all(type(v) is int and -bound < v < bound for v in (start, stop, step)), "range")
        _need(step != 0 and len(range(start, stop, step)) <= MAX_ROWS, "bad RangeIndex")
        return pd.RangeIndex(start, stop, step, name=name)
    _need(cls in (s.INDEX_CLASSES["Index"], s.INDEX_CLASSES["DatetimeIndex"]), "bad index")
    data = fields.get("data")
    if isinstance(data, s.Backed):
        (column,) = _datetimes(data, _backed_len(data))
        return pd.Index(column, name=name)
    if isinstance(data, s.ArrowString):
        return pd.Index(_arrow_strings(data), name=name, dtype="str")
    array = array_of(data)
    _need(array.ndim == 1, "an index must be one-dimensional")
    return pd.Index(array, name=name)


def _backed_len(stub: Any) -> int:
    state = stub.state
    _need(isinstance(state, tuple) and len(state) >= 2, "bad pandas array state")
    return array_of(state[1]).shape[-1]


def _manager_parts(manager: Any) -> tuple[list[Any], list[tuple[Any, Any]]]:
    """(axes, [(values, placement)]) from a BlockManager pickled either way pandas does."""
    _need(isinstance(manager, s.Manager), "a DataFrame must hold a BlockManager")
    if manager.args:  # pandas 3: BlockManager(blocks, axes)
        _need(len(manager.args) == 2, "bad BlockManager")
        blocks, axes = manager.args
        _need(isinstance(blocks, tuple | list), "bad BlockManager blocks")
        parts = []
        for block in blocks:
            _need(isinstance(block, s.Block) and len(block.args) == 3, "bad block")
            _need(block.args[2] == 2, "a DataFrame block must be two-dimensional")
            parts.append((block.args[0], block.args[1]))
        return list(axes) if isinstance(axes, list | tuple) else [], parts
    state = manager.state  # older pandas: NEWOBJ + BUILD with a versioned state
    _need(isinstance(state, tuple) and len(state) >= 4 and isinstance(state[3], dict), "bad state")
    inner = state[3].get("0.14.1")
    _need(isinstance(inner, dict), "pre-0.14.1 BlockManager pickles are not supported")
    axes, blocks = inner.get("axes"), inner.get("blocks")
    _need(isinstance(axes, list) and isinstance(blocks, list), "bad BlockManager state")
    _need(all(isinstance(b, dict) for b in blocks), "bad BlockManager state")
    return axes, [(b.get("values"), b.get("mgr_locs")) for b in blocks]


def frame_of(stub: Any) -> pd.DataFrame:
    """A fresh DataFrame from a recorded DataFrame pickle, every part checked first."""
    state = stub.state
    _need(isinstance(state, dict), "bad DataFrame state")
    _need(state.get("_typ", "dataframe") == "dataframe", "only DataFrames are admitted")
    axes, parts = _manager_parts(state.get("_mgr", state.get("_data")))
    _need(len(axes) == 2, "a DataFrame has two axes")
    columns, index = index_of(axes[0]), index_of(axes[1])
    width, rows = len(columns), len(index)
    slots: list[Any] = [None] * width
    for values, locs in parts:
        places = _placement(locs, width)
        for place, column in zip(places, _columns_of(values, len(places), rows), strict=True):
            _need(slots[place] is None, f"two blocks claim column {place}")
            slots[place] = column
    _need(all(slot is not None for slot in slots), "some columns belong to no block")
    frame = pd.DataFrame(dict(enumerate(slots)), index=index)
    frame.columns = columns
    return frame

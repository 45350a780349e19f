"""Inert stand-ins for the callables a pandas/numpy data pickle names.

The guarded unpickler never hands a pickle a real pandas or numpy constructor: a crafted
`BlockManager` state or dtype state makes pandas write past its buffers. Each allowed
global resolves to one of these classes instead, which only records its arguments and
state; `pickle_frames` then checks what was recorded and builds fresh arrays and frames.
"""

from __future__ import annotations

import _compat_pickle
import pickle
from typing import Any


class Refused(pickle.UnpicklingError):
    """The pickle names a callable outside the allow-list, or calls one with bad arguments."""

    def __init__(self, qualified: str, why: str = "") -> None:
        super().__init__(qualified)
        self.qualified = qualified
        self.why = why


class Stub:
    """Records how the pickle built an object; never computes anything."""

    kind = "stub"
    args: tuple[Any, ...] = ()  # NEWOBJ makes instances without calling __init__
    state: Any = None

    def __init__(self, *args: Any) -> None:
        self.args = args
        self.state: Any = None

    def __setstate__(self, state: Any) -> None:
        self.state = state


def _stub(kind: str) -> type[Stub]:
    return type(f"{kind.title().replace('_', '')}Stub", (Stub,), {"kind": kind})


class Marker:
    """A class the pickle passes as an argument (`numpy.ndarray`, `pandas.Index`, ...)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, *args: Any) -> Any:
        raise Refused(self.name, "called directly")

    def __repr__(self) -> str:
        return self.name


Frame = _stub("frame")
Manager = _stub("manager")
Block = _stub("block")
Dtype = _stub("dtype")
Reconstructed = _stub("ndarray")  # numpy's _reconstruct(ndarray, shape, typecode) + BUILD
FromBuffer = _stub("frombuffer")  # numpy's _frombuffer(buffer, dtype, shape, order)
Scalar = _stub("scalar")
Backed = _stub("backed")  # pandas' NDArrayBacked arrays (DatetimeArray, TimedeltaArray, ...)
ArrowString = _stub("arrow_string")
ArrowArray = _stub("arrow_array")
ArrowType = _stub("arrow_type")
ArrowBuffer = _stub("arrow_buffer")
StringDtype = _stub("string_dtype")
TZDtype = _stub("tz_dtype")
NewIndex = _stub("index")
Zone = _stub("zone")
Timezone = _stub("timezone")
Timedelta = _stub("timedelta")
Opaque = _stub("opaque")  # a DatetimeIndex's freq: dropped

NDARRAY = Marker("numpy.ndarray")
OBJECT = Marker("builtins.object")
ZONEINFO = Marker("zoneinfo.ZoneInfo")
NA = Marker("pandas.NA")  # a missing value: read as None
INDEX_CLASSES = {name: Marker(name) for name in ("Index", "RangeIndex", "DatetimeIndex")}
ARRAY_CLASSES = {name: Marker(name) for name in ("DatetimeArray", "TimedeltaArray", "StringArray")}


def _latin1(text: Any, encoding: Any = "utf-8") -> bytes:
    # Protocol 2 pickles bytes as _codecs.encode(text, "latin1").
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise Refused("_codecs.encode", "only encode(str, 'latin1') is allowed")
    return text.encode("latin1")


def _bytearray(value: Any = b"", encoding: Any = None) -> bytes:
    if isinstance(value, bytes | bytearray) and encoding is None:
        return bytes(value)
    if isinstance(value, str) and encoding in ("latin1", "latin-1"):
        return value.encode("latin1")
    raise Refused("builtins.bytearray", "only bytearray(bytes) is allowed")


def _set_of(kind: type) -> Any:
    # Protocol 2 pickles sets as set([items]) / frozenset([items]).
    def build(items: Any = ()) -> Any:
        if not isinstance(items, list | tuple):
            raise Refused(f"builtins.{kind.__name__}", "only from a list of items")
        return kind(items)

    return build


def _slice(*args: Any) -> slice:
    if len(args) > 3 or any(a is not None and type(a) is not int for a in args):
        raise Refused("builtins.slice", "arguments must be integers")
    return slice(*args)


def _getattr(obj: Any, name: Any) -> Any:
    if obj is ZONEINFO and name == "_unpickle":
        return Zone
    raise Refused("builtins.getattr", "only getattr(ZoneInfo, '_unpickle') is allowed")


def _reconstructor(cls: Any, base: Any, state: Any = None) -> Stub:
    # Protocol 0/1 pickles build objects as copyreg._reconstructor(cls, object, None).
    if not (isinstance(cls, type) and issubclass(cls, Stub)) or base is not OBJECT:
        raise Refused("copyreg._reconstructor", "only for allowed pandas classes")
    return cls()


_FRAME = ("pandas", "pandas.core.frame")
_BLOCKS = ("pandas._libs.internals", "pandas.core.internals.blocks")
_INDEXES = ("pandas", "pandas.core.indexes.base", "pandas.core.indexes.range")

STUBS: dict[tuple[str, str], Any] = {
    **{(module, "DataFrame"): Frame for module in _FRAME},
    ("pandas.core.internals.managers", "BlockManager"): Manager,
    **{(module, name): Block for module in _BLOCKS for name in ("_unpickle_block", "new_block")},
    ("numpy", "dtype"): Dtype,
    ("numpy", "ndarray"): NDARRAY,
    ("numpy._core.multiarray", "_reconstruct"): Reconstructed,
    ("numpy._core.multiarray", "scalar"): Scalar,
    ("numpy._core.numeric", "_frombuffer"): FromBuffer,
    ("pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked"): Backed,
    ("pyarrow.lib", "_restore_array"): ArrowArray,
    ("pyarrow.lib", "type_for_alias"): ArrowType,
    ("pyarrow.lib", "py_buffer"): ArrowBuffer,
    ("pandas.core.indexes.base", "_new_Index"): NewIndex,
    ("pandas.core.indexes.datetimes", "_new_DatetimeIndex"): NewIndex,
    ("builtins", "object"): OBJECT,
    ("builtins", "slice"): _slice,
    ("builtins", "bytearray"): _bytearray,
    ("builtins", "set"): _set_of(set),
    ("builtins", "frozenset"): _set_of(frozenset),
    ("builtins", "getattr"): _getattr,
    ("_codecs", "encode"): _latin1,
    ("copyreg", "_reconstructor"): _reconstructor,
    ("zoneinfo", "ZoneInfo"): ZONEINFO,
    ("pandas", "NA"): NA,
    ("pandas._libs.missing", "NA"): NA,
    ("datetime", "timezone"): Timezone,
    ("datetime", "timedelta"): Timedelta,
}
for _module in ("pandas", "pandas.arrays", "pandas.core.arrays.string_arrow"):
    STUBS[(_module, "ArrowStringArray")] = ArrowString
for _module in ("pandas", "pandas.core.arrays.string_"):
    STUBS[(_module, "StringDtype")] = StringDtype
for _module in ("pandas", "pandas.core.dtypes.dtypes"):
    STUBS[(_module, "DatetimeTZDtype")] = TZDtype
for _name, _marker in INDEX_CLASSES.items():
    for _module in (*_INDEXES, "pandas.core.indexes.datetimes"):
        STUBS[(_module, _name)] = _marker
for _name, _marker in ARRAY_CLASSES.items():
    for _module in (
        "pandas.arrays",
        "pandas.core.arrays.datetimes",
        "pandas.core.arrays.timedeltas",
        "pandas.core.arrays.string_",
    ):
        STUBS[(_module, _name)] = _marker

_OFFSETS = "pandas._libs.tslibs.offsets"


def normalise(module: str, name: str) -> tuple[str, str]:
    """Map Python 2 and numpy 1 spellings to the names this table uses."""
    module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
    module = _compat_pickle.IMPORT_MAPPING.get(module, module)
    if module == "numpy.core" or module.startswith("numpy.core."):
        module = "numpy._core" + module[len("numpy.core") :]
    return module, name


def find_stub(module: str, name: str) -> Any:
    """The stand-in for `module.name`; Refused for anything not on the allow-list."""
    key = normalise(module, name)
    if key in STUBS:
        return STUBS[key]
    if key[0] == _OFFSETS and key[1].isidentifier() and not key[1].startswith("_"):
        return Opaque
    raise Refused(f"{module}.{name}")

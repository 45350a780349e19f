"""A pickle reader that rebuilds pandas/numpy/builtin data and refuses everything else.

Unpickling calls whatever callables the file names, so an unrestricted load can run any
code. This reader resolves only the globals on an explicit allow-list (the ones pandas 3
and numpy 2 pickles of DataFrames actually reference, plus the older names pandas' own
compat reader maps), never imports a module the file names, and refuses the rest before
anything is called.
"""

from __future__ import annotations

import _compat_pickle
import importlib
import io
import pickle
from typing import Any, BinaryIO

from vantageadapt.errors import DataError

# (module, name) pairs a pandas/numpy data pickle may reference. Names that do not exist
# in the installed versions are skipped when the table is built.
_ALLOWED: dict[str, tuple[str, ...]] = {
    "builtins": (
        "bool",
        "int",
        "float",
        "complex",
        "str",
        "bytes",
        "bytearray",
        "list",
        "tuple",
        "dict",
        "set",
        "frozenset",
        "slice",
        "range",
        "object",
    ),
    "_codecs": ("encode",),
    "copyreg": ("_reconstructor",),
    "datetime": ("datetime", "date", "time", "timedelta", "timezone"),
    "zoneinfo": ("ZoneInfo",),
    "pytz": ("_p", "_UTC", "utc"),
    "numpy": ("ndarray", "dtype"),
    "numpy._core.multiarray": ("_reconstruct", "scalar"),
    "numpy._core.numeric": ("_frombuffer",),
    "pandas": (
        "DataFrame",
        "Series",
        "Index",
        "DatetimeIndex",
        "TimedeltaIndex",
        "RangeIndex",
        "MultiIndex",
        "CategoricalIndex",
        "PeriodIndex",
        "Categorical",
        "CategoricalDtype",
        "DatetimeTZDtype",
        "PeriodDtype",
        "BooleanDtype",
        "StringDtype",
        "Int8Dtype",
        "Int16Dtype",
        "Int32Dtype",
        "Int64Dtype",
        "UInt8Dtype",
        "UInt16Dtype",
        "UInt32Dtype",
        "UInt64Dtype",
        "Float32Dtype",
        "Float64Dtype",
        "NA",
        "NaT",
        "Timestamp",
        "Timedelta",
        "Period",
    ),
    "pandas.arrays": (
        "ArrowStringArray",
        "BooleanArray",
        "DatetimeArray",
        "FloatingArray",
        "IntegerArray",
        "StringArray",
        "TimedeltaArray",
        "PeriodArray",
    ),
    "pandas.core.frame": ("DataFrame",),
    "pandas.core.series": ("Series",),
    "pandas.core.indexes.base": ("_new_Index", "Index"),
    "pandas.core.indexes.datetimes": ("_new_DatetimeIndex", "DatetimeIndex"),
    "pandas.core.indexes.range": ("RangeIndex",),
    "pandas.core.indexes.multi": ("MultiIndex",),
    "pandas.core.indexes.timedeltas": ("TimedeltaIndex",),
    "pandas.core.arrays.datetimes": ("DatetimeArray",),
    "pandas.core.arrays.timedeltas": ("TimedeltaArray",),
    "pandas.core.arrays.categorical": ("Categorical",),
    "pandas.core.arrays.integer": ("IntegerArray",),
    "pandas.core.arrays.floating": ("FloatingArray",),
    "pandas.core.arrays.boolean": ("BooleanArray",),
    "pandas.core.arrays.string_": ("StringArray", "StringDtype"),
    "pandas.core.arrays.string_arrow": ("ArrowStringArray",),
    "pandas.core.dtypes.dtypes": ("DatetimeTZDtype", "CategoricalDtype", "PeriodDtype"),
    "pandas.core.internals.managers": ("BlockManager", "SingleBlockManager"),
    "pandas._libs.internals": ("_unpickle_block", "BlockPlacement"),
    "pandas._libs.arrays": ("__pyx_unpickle_NDArrayBacked",),
    "pandas._libs.tslibs.timestamps": ("_unpickle_timestamp", "Timestamp"),
    "pandas._libs.tslibs.timedeltas": ("_timedelta_unpickle", "Timedelta"),
    "pandas._libs.tslibs.nattype": ("_nat_unpickle",),
    "pandas._libs.missing": ("NA",),
    "pyarrow.lib": ("_restore_array", "py_buffer", "type_for_alias"),
}

# Frequency offsets (a DatetimeIndex's `freq`) are plain data classes.
_OFFSET_MODULES = ("pandas._libs.tslibs.offsets",)

# Old names that pandas' own pickle compat maps to current ones.
_RENAMED: dict[tuple[str, str], tuple[str, str]] = {
    ("pandas.core.internals.blocks", "new_block"): ("pandas._libs.internals", "_unpickle_block"),
    ("pandas._libs.tslibs.nattype", "__nat_unpickle"): (
        "pandas._libs.tslibs.nattype",
        "_nat_unpickle",
    ),
    ("pandas.core.indexes.numeric", "Int64Index"): ("pandas.core.indexes.base", "Index"),
    ("pandas.core.indexes.numeric", "UInt64Index"): ("pandas.core.indexes.base", "Index"),
    ("pandas.core.indexes.numeric", "Float64Index"): ("pandas.core.indexes.base", "Index"),
}

_table: dict[tuple[str, str], Any] | None = None


def _zoneinfo_getattr(obj: object, name: str) -> Any:
    """The one `getattr` zoneinfo pickles need: `ZoneInfo._unpickle`, nothing else."""
    from zoneinfo import ZoneInfo

    if obj is ZoneInfo and name == "_unpickle":
        return ZoneInfo._unpickle
    raise pickle.UnpicklingError(f"getattr({type(obj).__name__}, {name!r}) is not allowed")


def _validated_arrow_array(*args: Any) -> Any:
    """pyarrow's array rebuild, then a full check: crafted buffers must not reach pandas."""
    import pyarrow as pa
    import pyarrow.lib

    array = pyarrow.lib._restore_array(*args)
    try:
        array.validate(full=True)
    except pa.ArrowInvalid as exc:
        raise pickle.UnpicklingError(f"invalid arrow array in the pickle: {exc}") from None
    return array


def _build_table() -> dict[tuple[str, str], Any]:
    table: dict[tuple[str, str], Any] = {}
    for module_name, names in _ALLOWED.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name in names:
            if hasattr(module, name):
                table[(module_name, name)] = getattr(module, name)
    from pandas._libs.tslibs.offsets import BaseOffset

    for module_name in _OFFSET_MODULES:
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if isinstance(value, type) and issubclass(value, BaseOffset):
                table[(module_name, name)] = value
    table[("builtins", "getattr")] = _zoneinfo_getattr
    if ("pyarrow.lib", "_restore_array") in table:
        table[("pyarrow.lib", "_restore_array")] = _validated_arrow_array
    return table


def allowed_globals() -> dict[tuple[str, str], Any]:
    """The (module, name) -> object table the restricted reader resolves from."""
    global _table
    if _table is None:
        _table = _build_table()
    return _table


def _normalise(module: str, name: str) -> tuple[str, str]:
    # Protocol 0-2 pickles use Python 2 names (`__builtin__`, `copy_reg`).
    module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
    module = _compat_pickle.IMPORT_MAPPING.get(module, module)
    module, name = _RENAMED.get((module, name), (module, name))
    if module == "numpy.core" or module.startswith("numpy.core."):
        module = "numpy._core" + module[len("numpy.core") :]
    return module, name


class RefusedGlobal(pickle.UnpicklingError):
    """The pickle names a callable outside the allow-list."""

    def __init__(self, module: str, name: str) -> None:
        super().__init__(f"{module}.{name}")
        self.qualified = f"{module}.{name}"


def _restricted_base() -> type:
    """pandas' compat unpickler (reads pickles of older pandas) when present, else pickle's."""
    try:
        from pandas.compat.pickle_compat import Unpickler
    except ImportError:  # pragma: no cover - pandas moved it
        return pickle.Unpickler
    return Unpickler


def _make_unpickler(stream: BinaryIO) -> pickle.Unpickler:
    base = _restricted_base()
    table = allowed_globals()

    def find_class(self: Any, module: str, name: str) -> Any:
        key = _normalise(module, name)
        try:
            return table[key]
        except KeyError:
            raise RefusedGlobal(module, name) from None

    def persistent_load(self: Any, pid: object) -> Any:
        raise pickle.UnpicklingError("persistent ids are not allowed")

    cls = type(
        "RestrictedUnpickler",
        (base,),
        {"find_class": find_class, "persistent_load": persistent_load},
    )
    return cls(stream)


def safe_load(stream: BinaryIO, *, source: str) -> Any:
    """Unpickle `stream` admitting only pandas/numpy/builtin data types.

    Raises:
        DataError: the pickle references anything else (nothing it names is called), or it
            is not a readable pickle.
    """
    try:
        return _make_unpickler(stream).load()
    except RefusedGlobal as exc:
        raise DataError(
            f"{source}: refused to unpickle: it references {exc.qualified}, which is not a "
            "pandas/numpy/builtin data type (a pickle can run code when loaded); if you "
            "made this file yourself, pass --trust-pickle"
        ) from exc
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
        KeyError,
        ImportError,
        MemoryError,
    ) as exc:
        raise DataError(
            f"{source}: not a readable pandas pickle ({type(exc).__name__}: {exc}); "
            "re-save it with pandas (df.to_pickle) or as .parquet, or pass --trust-pickle "
            "if you made it yourself"
        ) from exc


def safe_loads(data: bytes, *, source: str = "<bytes>") -> Any:
    """`safe_load` over an in-memory pickle."""
    return safe_load(io.BytesIO(data), source=source)


def trusted_load(stream: BinaryIO, *, source: str) -> Any:
    """Unpickle with pandas' full reader: runs whatever the file says (`--trust-pickle`)."""
    import pandas as pd

    try:
        return pd.read_pickle(stream)
    except Exception as exc:  # any failure of an arbitrary pickle is a bad input
        raise DataError(f"{source}: could not unpickle ({type(exc).__name__}: {exc})") from exc

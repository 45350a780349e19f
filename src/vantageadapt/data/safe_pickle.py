"""A pickle reader that admits plain data and rebuilds DataFrames itself.

Unpickling calls whatever callables the file names, so an unrestricted load can run any
code, and even pandas' own classes write past their buffers when handed a crafted
BlockManager state. So nothing the file names is ever called: a dry run over the opcodes
first bounds nesting depth and object count (`pickle_scan`), then every allowed global
resolves to an inert stand-in that only records its arguments (`pickle_stubs`), and the
frames are built from checked numpy arrays (`pickle_frames`). What the reader admits:
plain containers and scalars, numeric/bool/datetime numpy arrays, and DataFrames of
such columns (plus strings and time zones) with a range, numeric, string or datetime index.
"""

from __future__ import annotations

import io
import pickle
from typing import Any, BinaryIO

import pandas as pd

from vantageadapt.data.pickle_frames import BadPickle, plain
from vantageadapt.data.pickle_scan import scan_pickle
from vantageadapt.data.pickle_stubs import Refused, find_stub
from vantageadapt.errors import DataError

_FIX = (
    "re-save it with pandas (df.to_pickle) or as .parquet, or pass --trust-pickle if you "
    "made it yourself"
)


class _StubUnpickler(pickle.Unpickler):
    """Resolves globals to inert stand-ins; refuses persistent ids."""

    def find_class(self, module: str, name: str) -> Any:
        return find_stub(module, name)

    def persistent_load(self, pid: object) -> Any:
        raise Refused("persistent id", "persistent ids are not allowed")


def _refused(source: str, exc: Refused) -> DataError:
    if exc.why:
        return DataError(f"{source}: refused to unpickle: {exc.qualified}: {exc.why}; {_FIX}")
    return DataError(
        f"{source}: refused to unpickle: it references {exc.qualified}, which is not a "
        "pandas/numpy/builtin data type this reader admits (a pickle can run code when "
        "loaded); if you made this file yourself, pass --trust-pickle"
    )


def safe_loads(data: bytes, *, source: str = "<bytes>") -> Any:
    """Unpickle `data` admitting only plain data, numpy arrays and DataFrames.

    Raises:
        DataError: the pickle is malformed, too deep or too large, references anything
            outside the allow-list (nothing it names is called), or holds an invalid frame.
    """
    scan_pickle(data, source=source)
    try:
        recorded = _StubUnpickler(io.BytesIO(data)).load()
        return plain(recorded)
    except Refused as exc:
        raise _refused(source, exc) from None
    except BadPickle as exc:
        raise DataError(f"{source}: refused to unpickle: {exc}; {_FIX}") from None
    except RecursionError:
        raise DataError(f"{source}: refused to unpickle: objects nest too deep") from None
    except Exception as exc:  # anything else the unpickler raises on a malformed file
        raise DataError(
            f"{source}: not a readable pickle ({type(exc).__name__}: {exc}); {_FIX}"
        ) from None


def safe_load(stream: BinaryIO, *, source: str) -> Any:
    """`safe_loads` over a binary stream (read whole: the size bounds the work)."""
    try:
        data = stream.read()
    except OSError as exc:
        raise DataError(f"{source}: cannot read ({exc.strerror or exc})") from None
    except MemoryError:
        raise DataError(f"{source}: too large to read into memory") from None
    return safe_loads(data, source=source)


def trusted_load(stream: BinaryIO, *, source: str) -> Any:
    """Unpickle with pandas' full reader: runs whatever the file says (`--trust-pickle`)."""
    try:
        return pd.read_pickle(stream)
    except Exception as exc:  # any failure of an arbitrary pickle is a bad input
        raise DataError(f"{source}: could not unpickle ({type(exc).__name__}: {exc})") from exc

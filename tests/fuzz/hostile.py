"""Hostile pickles built by hand, opcode by opcode, or by tampering with a real frame's."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd


def frame_pickle() -> bytes:
    """A real pandas pickle of a small trade frame (float block placed by an int array)."""
    frame = pd.DataFrame(
        {"dex_price": [1.0, 2.0, 3.0], "is_buy": [True, False, True], "sol_amount": [1.0] * 3,
         "token_amount": [2.0] * 3}
    )  # fmt: skip
    return pickle.dumps({"AAA": frame}, protocol=5)


def deep_key(depth: int) -> bytes:
    """{((...(0,)...),): 1}: a dict key nested `depth` tuples deep."""
    return b"\x80\x02}K\x00" + b"\x85" * depth + b"K\x01s."


def _global(module: str, name: str) -> bytes:
    return f"c{module}\n{name}\n".encode()


def _slice(start: int, stop: int) -> bytes:
    return (
        _global("builtins", "slice")
        + b"J"
        + np.int32(start).tobytes()
        + b"J"
        + (np.int32(stop).tobytes() + b"K\x01\x87R")
    )


def _array(values: np.ndarray) -> bytes:
    """numpy's own pickle of an array (protocol 2 opcodes, no framing)."""
    body = pickle.dumps(values, protocol=2)
    return body[2:-1]  # strip PROTO and STOP


def legacy_block_manager(mgr_locs: bytes, rows: int = 3) -> bytes:
    """A DataFrame whose BlockManager comes back through NEWOBJ + BUILD (pandas < 3 style)
    with a block placement chosen by the caller (`mgr_locs`: the pickled placement)."""
    values = _array(np.ones((2, rows)))
    columns = _global("pandas.core.indexes.base", "_new_Index") + _global("pandas", "Index")
    columns += b"}(X\x04\x00\x00\x00data" + _array(np.array(["a", "b"], dtype=object))
    columns += b"X\x04\x00\x00\x00nameNu\x86R"
    index = _global("pandas.core.indexes.base", "_new_Index") + _global("pandas", "RangeIndex")
    index += b"}(X\x05\x00\x00\x00startK\x00X\x04\x00\x00\x00stopK" + bytes([rows])
    index += b"X\x04\x00\x00\x00stepK\x01u\x86R"
    block = b"}(X\x06\x00\x00\x00values" + values + b"X\x08\x00\x00\x00mgr_locs" + mgr_locs + b"u"
    state = b"(N" + b"N" + b"N" + b"}X\x06\x00\x00\x000.14.1}(X\x04\x00\x00\x00axes]("
    state += columns + index + b"eX\x06\x00\x00\x00blocks](" + block + b"eus" + b"t"
    manager = _global("pandas.core.internals.managers", "BlockManager") + b")\x81" + state + b"b"
    frame = (
        _global("pandas", "DataFrame") + b")\x81}(X\x04\x00\x00\x00_typX\x09\x00\x00\x00dataframe"
    )
    frame += b"X\x04\x00\x00\x00_mgr" + manager + b"ub"
    return b"\x80\x02}X\x03\x00\x00\x00AAA" + frame + b"s."


def placement_outside() -> bytes:
    """Block placement [0, 7] in a two-column frame."""
    return legacy_block_manager(_array(np.array([0, 7], dtype=np.int64)))


def placement_huge() -> bytes:
    """Block placement slice(2**31 - 2, 2**31) in a two-column frame."""
    return legacy_block_manager(_slice(2**31 - 3, 2**31 - 1))


def placement_valid() -> bytes:
    """The same hand-built pickle with a placement that fits: it must load."""
    return legacy_block_manager(_array(np.array([0, 1], dtype=np.int64)))


def many_objects(count: int) -> bytes:
    """A list of `count` small ints: one opcode each."""
    return b"\x80\x02(" + b"K\x00" * count + b"l."


def many_sets(count: int) -> bytes:
    """A list of `count` empty sets: the largest objects one opcode makes."""
    return b"\x80\x04(" + b"\x8f" * count + b"l."

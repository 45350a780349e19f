"""The pickle scanner's opcode walk against pickletools.genops, its slow reference."""

from __future__ import annotations

import pickle
import pickletools

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from vantageadapt.data.pickle_scan import _PAYLOADS, opcodes

_LEAVES = st.one_of(
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.binary(max_size=300),
    st.binary(max_size=300).map(bytearray),
    st.none(),
)
_OBJECTS = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=5), inner, max_size=5),
    ),
    max_leaves=30,
)


def _walk(ops):
    return [(op.name, pos, None if op.name in _PAYLOADS else repr(arg)) for op, arg, pos in ops]


def _outcome(ops_of, data):
    try:
        return "ok", _walk(ops_of(data))
    except ValueError:
        return "error", None


@settings(max_examples=200, deadline=None)
@given(_OBJECTS, st.integers(2, 5))
def test_opcodes_match_genops(obj, protocol):
    data = pickle.dumps(obj, protocol=protocol)
    assert _walk(opcodes(data)) == _walk(pickletools.genops(data))


@settings(max_examples=200, deadline=None)
@given(_OBJECTS, st.integers(2, 5), st.data())
def test_cut_pickles_fail_alike(obj, protocol, data):
    whole = pickle.dumps(obj, protocol=protocol)
    cut = whole[: data.draw(st.integers(0, len(whole)))]
    assert _outcome(opcodes, cut)[0] == _outcome(pickletools.genops, cut)[0]


def test_a_frame_pickle_steps_over_its_arrays():
    frame = pd.DataFrame({"price": np.arange(50_000.0), "volume": np.ones(50_000)})
    for protocol in (2, 4, 5):
        data = pickle.dumps({"A": frame}, protocol=protocol)
        walked = _walk(opcodes(data))
        assert walked == _walk(pickletools.genops(data))
        skipped = [name for name, _, _ in walked if name in _PAYLOADS]
        assert protocol == 2 or skipped  # protocol 2 writes bytes through codecs.encode

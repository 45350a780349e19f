"""Random, mutated and hand-built hostile pickles: one DataError each, never a crash."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vantageadapt.data import pickle_scan
from vantageadapt.data.safe_pickle import safe_loads
from vantageadapt.errors import DataError

from . import hostile

WORKER = Path(__file__).with_name("pickle_worker.py")
BUDGET = settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _load_in_subprocess(
    tmp_path: Path, cases: list[bytes], *options: str
) -> tuple[list[dict], dict]:
    """Each case's outcome, and the worker's memory ({"peak_mb", "grew_mb"})."""
    paths = []
    for i, data in enumerate(cases):
        path = tmp_path / f"case{i}.pkl"
        path.write_bytes(data)
        paths.append(str(path))
    proc = subprocess.run(
        [sys.executable, str(WORKER), *options, *paths], capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, f"worker died (code {proc.returncode}): {proc.stderr[-2000:]}"
    *results, memory = [json.loads(line) for line in proc.stdout.splitlines()]
    assert memory["peak_mb"] < 1024
    assert len(results) == len(cases)
    for result in results:
        assert result["outcome"] != "unexpected", result
        assert "\n" not in result["message"]
    return results, memory


def test_hand_built_hostile_pickles_are_refused_in_one_line(tmp_path):
    cases = {
        "deep key": hostile.deep_key(200_000),
        "placement outside the frame": hostile.placement_outside(),
        "huge placement": hostile.placement_huge(),
        "truncated BININT": b"\x80\x02J\x01\x02",
        "range(10**9)": pickle.dumps(range(10**9), protocol=2),
        "list(range(5*10**7))": (
            b"\x80\x02c__builtin__\nlist\nc__builtin__\nrange\n"
            b"J\x80\xf0\xfa\x02\x85R\x85R."
        ),
        "timedelta(999999999999)": (
            b"\x80\x02cdatetime\ntimedelta\n\x8a\x05\xff\x0f\xa5\xd4\xe8\x00\x85R."
        ),
        "ZoneInfo('America')": (
            b"\x80\x02c__builtin__\ngetattr\nczoneinfo\nZoneInfo\nX\t\x00\x00\x00_unpickle"
            b"\x86RX\x07\x00\x00\x00AmericaK\x01\x86R."
        ),
    }  # fmt: skip
    results, _ = _load_in_subprocess(tmp_path, list(cases.values()))
    for name, result in zip(cases, results, strict=True):
        assert result["outcome"] == "refused", name
    assert "nest more than" in results[0]["message"]
    assert "outside the frame" in results[1]["message"]


def test_a_valid_hand_built_legacy_frame_still_loads():
    frame = safe_loads(hostile.placement_valid())["AAA"]
    assert list(frame.columns) == ["a", "b"] and frame.shape == (3, 2)


def test_object_count_is_bounded(monkeypatch):
    monkeypatch.setattr(pickle_scan, "MAX_OBJECTS", 1_000)
    assert safe_loads(hostile.many_objects(900)) == [0] * 900
    with pytest.raises(DataError, match="more than 1,000 objects"):
        safe_loads(hostile.many_objects(1_001))


_MUTATION = st.tuples(
    st.sampled_from(["flip", "truncate", "insert", "delete"]),
    st.integers(min_value=0, max_value=10**6),
    st.binary(min_size=1, max_size=4),
)


def _mutate(data: bytes, mutations: list[tuple[str, int, bytes]]) -> bytes:
    out = bytearray(data)
    for kind, where, payload in mutations:
        at = where % max(len(out), 1)
        if kind == "flip":
            out[at : at + len(payload)] = payload
        elif kind == "truncate":
            del out[at:]
        elif kind == "insert":
            out[at:at] = payload
        else:
            del out[at : at + len(payload)]
    return bytes(out)


@BUDGET
@given(
    mutated=st.lists(st.lists(_MUTATION, min_size=1, max_size=3), min_size=30, max_size=30),
    random=st.lists(st.binary(max_size=200), min_size=10, max_size=10),
)
def test_mutated_and_random_pickles_never_crash(tmp_path_factory, mutated, random):
    base = hostile.frame_pickle()
    legacy = hostile.placement_valid()
    cases = [_mutate(base if i % 2 else legacy, m) for i, m in enumerate(mutated)]
    cases += [b"\x80\x05" + r for r in random]
    _load_in_subprocess(tmp_path_factory.mktemp("pickles"), cases)


def test_memory_grows_at_most_linearly_to_under_1_gb_at_the_budget(tmp_path):
    """At a tenth of the object budget, the biggest objects one opcode makes take under a
    tenth of 1 GB (the whole budget is linear in it, so under 1 GB; measured here fast)."""
    budget = pickle_scan.MAX_OBJECTS // 10
    cases = [hostile.many_sets(budget // 6 - 10), hostile.many_sets(budget)]
    results, memory = _load_in_subprocess(tmp_path, cases, f"--max-objects={budget}")
    assert [r["outcome"] for r in results] == ["loaded", "refused"]
    assert memory["grew_mb"] < 100

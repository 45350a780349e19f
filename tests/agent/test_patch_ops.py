"""Patch operations address functions, classes, assignments or line ranges, or fail loudly."""

from __future__ import annotations

import importlib.util
import subprocess

import pytest

from vantageadapt.agent.patch_ops import apply_patch, blocks, unified_diff
from vantageadapt.errors import PatchRejected
from vantageadapt.models import CodePatch, PatchOp

SOURCE = '''"""A module."""

WEIGHT = 1.0


@staticmethod
def helper(x):
    return x + 1


class Scorer:
    def rank(self, x):
        return x * 2

    def other(self):
        return 0


def last():
    return 3
'''


def _load(folder, text):
    """Import patched text as a module (as the workspace does), to check it behaves."""
    path = folder / "patched.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("patched_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _patch(op, **kw) -> CodePatch:
    return CodePatch(target="mod.py", op=PatchOp(op), reason="test", **kw)


def test_blocks_cover_decorators_methods_and_assignments():
    found = blocks(SOURCE)
    assert (found["helper"].start, found["helper"].end) == (6, 8)
    assert (found["WEIGHT"].start, found["WEIGHT"].end) == (3, 3)
    assert (found["Scorer.rank"].start, found["Scorer.rank"].indent) == (12, 4)


def test_modify_function_replaces_only_its_block(tmp_path):
    out = apply_patch(
        SOURCE, _patch("modify_code", name="helper", code="def helper(x):\n    return x - 1\n")
    )
    assert "return x - 1" in out and "@staticmethod" not in out
    assert "def last():" in out and "WEIGHT = 1.0" in out
    assert _load(tmp_path, out).helper(5) == 4


def test_modify_method_is_reindented(tmp_path):
    out = apply_patch(
        SOURCE,
        _patch("modify_code", name="Scorer.rank", code="def rank(self, x):\n    return x * 3"),
    )
    module = _load(tmp_path, out)
    assert module.Scorer().rank(2) == 6
    assert module.Scorer().other() == 0


def test_modify_assignment_by_name():
    out = apply_patch(SOURCE, _patch("modify_code", name="WEIGHT", code="WEIGHT = 2.5"))
    assert "WEIGHT = 2.5" in out and "WEIGHT = 1.0" not in out


def test_insert_after_name_and_at_end():
    out = apply_patch(
        SOURCE, _patch("insert_code", after="helper", code="def extra():\n    return 9")
    )
    assert out.index("def extra") > out.index("def helper") and out.index("def extra") < out.index(
        "class Scorer"
    )
    end = apply_patch(SOURCE, _patch("insert_code", code="Z = 1"))
    assert end.rstrip().endswith("Z = 1")


def test_delete_by_name_and_by_line_range():
    out = apply_patch(SOURCE, _patch("delete_code", name="last"))
    assert "def last" not in out and "class Scorer" in out
    out = apply_patch(SOURCE, _patch("delete_code", line_start=3, line_end=3))
    assert "WEIGHT" not in out


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"op": "modify_code", "name": "helpr", "code": "x = 1"}, "did you mean 'helper'"),
        ({"op": "delete_code", "line_start": 50, "line_end": 60}, "outside the file"),
        ({"op": "delete_code"}, "names no function/class"),
        ({"op": "modify_code", "name": "helper", "code": ""}, "carries no code"),
        ({"op": "modify_code", "name": "WEIGHT", "code": "WEIGHT = 1.0"}, "changes nothing"),
    ],
)
def test_edits_that_do_not_apply_fail_loudly(kw, message):
    op = kw.pop("op")
    with pytest.raises(PatchRejected, match=message):
        apply_patch(SOURCE, _patch(op, **kw))


def test_diff_applies_with_git(tmp_path):
    out = apply_patch(SOURCE, _patch("modify_code", name="WEIGHT", code="WEIGHT = 3.0"))
    (tmp_path / "mod.py").write_text(SOURCE)
    (tmp_path / "p.diff").write_text(unified_diff(SOURCE, out, "mod.py"))
    subprocess.run(["git", "apply", "p.diff"], cwd=tmp_path, check=True)
    assert (tmp_path / "mod.py").read_text() == out

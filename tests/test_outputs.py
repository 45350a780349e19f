"""Output paths are checked before work starts; writes are whole or nothing, errors one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from vantageadapt.errors import ConfigError
from vantageadapt.outputs import check_output_path, write_output


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("{tmp}", "is a folder"),
        ("/proc/x.html", "cannot write in /proc"),
        ("/dev/full", "is not a regular file"),
        ("/proc/self/status", "cannot write in"),
    ],
)
def test_unwritable_paths_are_one_line_config_errors(tmp_path, path, message):
    with pytest.raises(ConfigError, match=message) as caught:
        check_output_path(Path(path.format(tmp=tmp_path)), flag="--out")
    assert "\n" not in str(caught.value) and caught.value.exit_code == 2
    assert str(caught.value).startswith("--out ")


def test_a_missing_parent_is_fine_and_the_check_leaves_nothing(tmp_path):
    (root := tmp_path / "w").mkdir()
    target = root / "new" / "deeper" / "report.html"
    assert check_output_path(target) == target
    assert list(root.iterdir()) == []


def test_write_output_is_atomic_and_makes_the_folder(tmp_path):
    target = tmp_path / "out" / "file.txt"
    write_output(target, "hello")
    assert target.read_text() == "hello"
    assert [p.name for p in target.parent.iterdir()] == ["file.txt"]


def test_a_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    (root := tmp_path / "w").mkdir()
    target = root / "file.txt"

    def full_disk(self, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full_disk)
    with pytest.raises(ConfigError, match=r"--out .*file.txt: writing failed \(No space left"):
        write_output(target, b"data")
    assert list(root.iterdir()) == []

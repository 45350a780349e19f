"""The kernels' numba cache is dropped exactly when a source they read changed."""

from __future__ import annotations

from pathlib import Path

import vantageadapt.backtest  # noqa: F401  (its import brings the real cache in step)
from vantageadapt.backtest import jit_cache


def _tree(tmp_path: Path) -> tuple[Path, tuple[Path, ...]]:
    sources = (tmp_path / "kernels.py", tmp_path / "lots.py")
    sources[0].write_text("def grid_nb(): ...\n")
    sources[1].write_text("STOP = 1\n")
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    return cache, sources


def _cached(cache: Path) -> set[str]:
    for name in ("kernels.grid_nb-1.py311.nbi", "kernels.grid_nb-1.py311.1.nbc"):
        (cache / name).write_bytes(b"machine code")
    (cache / "kernels.cpython-311.pyc").write_bytes(b"bytecode")
    return {p.name for p in cache.iterdir()}


def test_cache_is_kept_while_the_sources_stay_and_dropped_when_any_changes(tmp_path):
    cache, sources = _tree(tmp_path)
    _cached(cache)
    # no stamp: nothing cached can be vouched for
    assert jit_cache.drop_stale(cache, sources) is True
    assert {p.name for p in cache.iterdir()} == {"kernels.cpython-311.pyc", jit_cache.STAMP}
    before = _cached(cache)
    assert jit_cache.drop_stale(cache, sources) is False
    assert {p.name for p in cache.iterdir()} == before
    sources[1].write_text("STOP = 2\n")  # a helper changes; the kernel's own file does not
    assert jit_cache.drop_stale(cache, sources) is True
    assert not [p for p in cache.iterdir() if p.suffix in (".nbi", ".nbc")]
    assert (cache / "kernels.cpython-311.pyc").exists()


def test_a_read_only_cache_folder_is_left_alone(tmp_path, monkeypatch):
    # as a sandboxed worker sees it (root here ignores file modes, so writes are refused below)
    cache, sources = _tree(tmp_path)
    before = _cached(cache)

    def refuse(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(Path, "unlink", refuse)
    monkeypatch.setattr(Path, "write_text", refuse)
    assert jit_cache.drop_stale(cache, sources) is True  # stale, but nothing could be done
    assert {p.name for p in cache.iterdir()} == before


def test_the_package_cache_is_stamped_with_every_kernel_source():
    names = {p.name for p in jit_cache.SOURCES}
    assert {"kernels.py", "single_lot.py", "lots.py", "streaming.py", "layout.py"} <= names
    assert "opcodes.py" in names
    stamp = jit_cache.PACKAGE / "__pycache__" / jit_cache.STAMP
    assert stamp.read_text(encoding="ascii") == jit_cache.sources_digest()

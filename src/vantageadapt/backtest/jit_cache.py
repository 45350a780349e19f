"""Keeps numba's on-disk cache of the engine's kernels in step with all of their sources.

numba checks a cached function against the stamp of the one file that defines it, but the
kernels compile in helpers and constants from their sibling modules (`lots`, `streaming`,
`single_lot`, `layout`, the opcodes): after a change to one of those alone, a warm cache would
go on running the old machine code. `drop_stale` keys the cache on every source the kernels
read and removes the cached kernels when any of them changed, so they compile afresh.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
SOURCES = (*sorted(PACKAGE.glob("*.py")), PACKAGE.parent / "rules" / "opcodes.py")
STAMP = "kernel-sources.sha256"  # in the cache folder, next to the files numba writes


def sources_digest(sources: tuple[Path, ...] = SOURCES) -> str:
    """sha256 over the kernels' sources, names and bytes."""
    digest = hashlib.sha256()
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def drop_stale(cache: Path = PACKAGE / "__pycache__", sources: tuple[Path, ...] = SOURCES) -> bool:
    """Remove the cached kernels in `cache` unless they were compiled from these sources;
    whether it held stale ones. A read-only tree (a sandboxed worker's) is left as it is."""
    digest = sources_digest(sources)
    stamp = cache / STAMP
    try:
        if stamp.read_text(encoding="ascii") == digest:
            return False
    except OSError:
        pass  # no stamp yet: whatever is cached cannot be vouched for
    stale = [*cache.glob("*.nbi"), *cache.glob("*.nbc")]
    try:
        for path in stale:
            path.unlink(missing_ok=True)
        cache.mkdir(exist_ok=True)
        fresh = cache / f"{STAMP}.{os.getpid()}"
        fresh.write_text(digest, encoding="ascii")
        fresh.replace(stamp)  # atomic: another process reads the old stamp or this one
    except OSError:
        pass  # read-only: the process that can write there brings the cache in step
    return bool(stale)

"""Output files: checked before any work starts, written whole or not at all."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from vantageadapt.errors import ConfigError


def _nearest_folder(path: Path) -> Path:
    for parent in path.parents:
        if parent.exists():
            return parent
    return Path(path.anchor or ".")


def check_output_path(path: str | Path, *, flag: str = "--out") -> Path:
    """The path, if a file can be written there; ConfigError (exit 2) naming why not.

    A parent folder that does not exist yet is fine when it can be made; nothing is left
    behind by the check.
    """
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{flag} {path}: is a folder; give a file name inside it")
    if path.exists() and not path.is_file():
        raise ConfigError(f"{flag} {path}: is not a regular file; give a file path")
    folder = path.parent if path.parent.exists() else _nearest_folder(path)
    if not folder.is_dir():
        raise ConfigError(f"{flag} {path}: {folder} is not a folder")
    probe = folder / f".vantage-probe-{os.getpid()}"
    try:
        with open(probe, "xb"):
            pass
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"{flag} {path}: cannot write in {folder} ({reason})") from None
    return path


def write_output(path: str | Path, data: str | bytes, *, flag: str = "--out") -> Path:
    """Write `data` to `path` atomically (a partial file, then a rename); ConfigError on failure."""
    path = check_output_path(path, flag=flag)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(payload)
        os.replace(partial, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"{flag} {path}: writing failed ({reason})") from None
    return path

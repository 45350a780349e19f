"""Run candidate workspace modules in a separate, limited, killable process."""

from __future__ import annotations

import json
import logging
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


@dataclass(frozen=True)
class SandboxLimits:
    """Wall time, CPU seconds, address space and largest file a sandboxed check may use."""

    timeout_s: float = 90.0
    memory_mb: int = 1536
    file_mb: int = 64

    @property
    def cpu_s(self) -> int:
        """CPU-second limit: the wall timeout rounded up (a busy loop dies by either)."""
        return int(self.timeout_s) + 1


@dataclass(frozen=True)
class SandboxResult:
    """What a sandboxed check found: ok, or the reason it was rejected."""

    ok: bool
    reason: str
    seconds: float
    notes: tuple[str, ...] = field(default_factory=tuple)


def _limit(limits: SandboxLimits) -> Callable[[], None]:
    memory = limits.memory_mb * 1024 * 1024
    size = limits.file_mb * 1024 * 1024

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _environment(scratch: Path) -> dict[str, str]:
    """A minimal environment: no keys, no user paths; one thread per numeric library."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(scratch), "TMPDIR": str(scratch), "LANG": "C.UTF-8"}
    # Arrow's default pools reserve address space up front and fail under RLIMIT_AS.
    env["ARROW_DEFAULT_MEMORY_POOL"] = "system"
    env.update(dict.fromkeys(_THREAD_VARS, "1"))
    if "NUMBA_CACHE_DIR" in os.environ:
        env["NUMBA_CACHE_DIR"] = os.environ["NUMBA_CACHE_DIR"]
    return env


def _signal_reason(code: int, limits: SandboxLimits) -> str:
    number = -code
    if number == signal.SIGXCPU:
        return f"killed: CPU limit of {limits.cpu_s}s reached"
    if number == signal.SIGXFSZ:
        return f"killed: file size limit of {limits.file_mb} MB reached"
    if number == signal.SIGKILL:
        return "killed (SIGKILL), likely out of memory"
    return f"crashed with signal {signal.Signals(number).name}"


def _tail(path: Path, size: int = 8192) -> str:
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - size))
        return handle.read().decode("utf-8", errors="replace")


def run_sandboxed(
    modules_dir: Path, scratch: Path, limits: SandboxLimits = SandboxLimits()
) -> SandboxResult:
    """Run the contract tests and a short backtest on `modules_dir` in a child process."""
    scratch.mkdir(parents=True, exist_ok=True)
    stdout_path, stderr_path = scratch / "stdout.txt", scratch / "stderr.txt"
    nonce = secrets.token_hex(16)
    command = [
        sys.executable,
        "-I",
        "-B",
        "-m",
        "vantageadapt.agent.sandbox_child",
        str(scratch.resolve()),
        str(modules_dir.resolve()),
    ]
    start = time.monotonic()
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        child = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
            cwd=scratch,
            env=_environment(scratch),
            preexec_fn=_limit(limits),
            start_new_session=True,
        )
        try:
            child.communicate(input=f"{nonce}\n".encode(), timeout=limits.timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            seconds = time.monotonic() - start
            return SandboxResult(False, f"timed out after {limits.timeout_s:g}s; killed", seconds)
    seconds = time.monotonic() - start
    report = None
    for line in reversed(_tail(stdout_path).splitlines()):
        if line.startswith(nonce + " "):
            report = json.loads(line[len(nonce) + 1 :])
            break
    if child.returncode < 0:
        return SandboxResult(False, _signal_reason(child.returncode, limits), seconds)
    if report is None:
        detail = _tail(stderr_path, 600).strip().splitlines()[-1:] or ["no output"]
        return SandboxResult(
            False, f"sandbox exited {child.returncode} without a report: {detail[0]}", seconds
        )
    if not report["ok"]:
        error = report.get("error", "unknown error")
        if error.startswith("MemoryError"):
            error = f"memory limit of {limits.memory_mb} MB reached ({error})"
        return SandboxResult(False, f"failed at {report['stage']}: {error}", seconds)
    return SandboxResult(
        True, "contracts and short backtest passed", seconds, tuple(report["notes"])
    )


def clear_scratch(scratch: Path) -> None:
    """Remove one check's scratch folder (its output files and caches)."""
    shutil.rmtree(scratch, ignore_errors=True)

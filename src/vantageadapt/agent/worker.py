"""The main process's side of a worker: start it, send requests, read data back, kill it.

Every answer is untrusted data: sizes are capped, arrays are `.npy` without pickles, and the
error text a worker sends (or prints) is cut and scrubbed of secrets before anyone sees it.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from vantageadapt.agent.protocol import ProtocolError, decode, encode
from vantageadapt.agent.sandbox import (
    WORKSPACE_MOUNT,
    SandboxLimits,
    bwrap_command,
    limiter,
)
from vantageadapt.agent.seccomp import worker_filter
from vantageadapt.errors import SandboxError
from vantageadapt.logs import scrub_untrusted

logger = logging.getLogger(__name__)
_STDERR_KEEP = 64 * 1024
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


class WorkerError(SandboxError):
    """A worker failed, hung, broke a limit or answered with garbage (text already scrubbed)."""


class Worker:
    """One worker process: isolated by bubblewrap, or a plain child for the package template."""

    def __init__(
        self,
        modules_dir: Path | None,
        *,
        bwrap: str | None,
        limits: SandboxLimits = SandboxLimits(),
        deadline: float | None = None,
    ) -> None:
        """Start the worker; `modules_dir` None (no bwrap) serves the package's own template.

        An isolated worker binds `modules_dir` read-only; it is its *slot*, removed on close.
        """
        self.limits = limits
        self.slot = modules_dir if bwrap is not None else None
        self.deadline = deadline  # time.monotonic() after which every request fails
        self.isolated = bwrap is not None
        module = [sys.executable, "-I", "-B", "-m", "vantageadapt.agent.worker_main"]
        if bwrap is not None:
            if modules_dir is None:
                raise ValueError("an isolated worker needs a modules folder")
            argv = [*module, WORKSPACE_MOUNT]
            seccomp = worker_filter()
            if seccomp.ok:  # else bubblewrap's namespaces alone (`vantage doctor` says why)
                argv += ["--seccomp", seccomp.argument()]
            command = bwrap_command(bwrap, modules_dir, argv, tmpfs_mb=limits.tmpfs_mb)
        else:
            command = [*module, "--template"]
        self._stderr: collections.deque[bytes] = collections.deque()
        self._stderr_size = 0
        self._lock = threading.Lock()
        self.started = time.monotonic()
        try:
            self._proc = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={},  # bwrap itself gets no environment: /proc/1/environ is bwrap's
                cwd="/",
                preexec_fn=limiter(limits),
                start_new_session=True,
            )
        except OSError as exc:
            raise WorkerError(f"cannot start the sandbox worker: {exc}") from None
        os.set_blocking(self._proc.stdin.fileno(), False)  # type: ignore[union-attr]
        for pipe in (self._proc.stdin, self._proc.stdout):
            # Indicator arrays are hundreds of KB: a larger pipe means fewer context switches.
            with contextlib.suppress(OSError):
                fcntl.fcntl(pipe.fileno(), _F_SETPIPE_SZ, 1 << 20)  # type: ignore[union-attr]
        self._drain = threading.Thread(target=self._read_stderr, daemon=True)
        self._drain.start()
        self._buffer = b""

    # --- plumbing ---------------------------------------------------------------------------
    def _read_stderr(self) -> None:
        stream = self._proc.stderr
        assert stream is not None
        for chunk in iter(lambda: stream.read1(4096), b""):
            self._stderr.append(chunk)
            self._stderr_size += len(chunk)
            while self._stderr_size > _STDERR_KEEP and len(self._stderr) > 1:
                self._stderr_size -= len(self._stderr.popleft())

    def stderr_tail(self, size: int = 600) -> str:
        """The end of what the worker wrote to stderr, scrubbed."""
        return scrub_untrusted(b"".join(self._stderr)[-size:].decode("utf-8", "replace"), size)

    def _fill(self, until: float) -> None:
        fd = self._proc.stdout.fileno()  # type: ignore[union-attr]
        left = until - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimeoutError
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            raise EOFError
        self._buffer += chunk

    def _send(self, data: bytes, until: float) -> None:
        """Write all of `data` before `until` (a worker that stops reading cannot block us)."""
        fd, view, sent = self._proc.stdin.fileno(), memoryview(data), 0  # type: ignore[union-attr]
        while sent < len(view):
            left = until - time.monotonic()
            if left <= 0 or not select.select([], [fd], [], left)[1]:
                raise TimeoutError
            try:
                sent += os.write(fd, view[sent : sent + (1 << 20)])
            except BlockingIOError:
                continue

    def _reader(self, until: float):
        def read_line(limit: int) -> bytes:
            while b"\n" not in self._buffer[:limit]:
                if len(self._buffer) >= limit:
                    return self._buffer[:limit]
                self._fill(until)
            cut = self._buffer.index(b"\n") + 1
            line, self._buffer = self._buffer[:cut], self._buffer[cut:]
            return line

        def read_exact(size: int) -> bytes:
            while len(self._buffer) < size:
                self._fill(until)
            data, self._buffer = self._buffer[:size], self._buffer[size:]
            return data

        return read_line, read_exact

    def _fail(self, what: str) -> WorkerError:
        self.kill()
        code = self._proc.returncode
        if code is not None and code < 0:
            what += f" ({_signal_text(-code, self.limits)})"
        tail = self.stderr_tail().strip().splitlines()[-1:]
        return WorkerError(what + (f": {tail[0]}" if tail else ""))

    # --- API ----------------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        """Whether the process is still running."""
        return self._proc.poll() is None

    def request(
        self,
        op: str,
        args: dict[str, Any] | None = None,
        arrays: dict[str, np.ndarray] | None = None,
        *,
        timeout: float | None = None,
    ) -> tuple[Any, dict[str, np.ndarray]]:
        """Send one request; the worker's answer (result, arrays), or WorkerError."""
        with self._lock:
            now = time.monotonic()
            until = now + (timeout if timeout is not None else self.limits.request_s)
            if self.deadline is not None:
                until = min(until, self.deadline)
            if not self.alive:
                raise self._fail("the sandbox worker has exited")
            try:
                self._send(encode({"op": op, "args": args or {}}, arrays), until)
                body, out = decode(*self._reader(until))
            except TimeoutError:
                raise self._fail(f"timed out after {until - now:.0f}s; killed") from None
            except (EOFError, BrokenPipeError, ProtocolError, OSError) as exc:
                detail = str(exc) if isinstance(exc, ProtocolError) else "exited"
                raise self._fail(f"the sandbox worker {detail}") from None
        if body.get("ok") is True:
            return body.get("result"), out
        if body.get("ok") is False:
            error = scrub_untrusted(str(body.get("error", "unknown error")), 500)
            if error.startswith("MemoryError"):
                error = f"memory limit of {self.limits.memory_mb} MB reached ({error})"
            raise WorkerError(error)
        raise self._fail("the sandbox worker answered without a status")

    def kill(self) -> None:
        """Kill the worker's whole process group (bwrap and everything inside)."""
        if self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc.wait()

    def close(self) -> None:
        """End the worker (killed: it holds nothing worth a clean exit, and an interpreter's
        shutdown with pandas loaded costs ~0.5 s the run would wait for); drop its slot."""
        self.kill()
        if self.slot is not None and self.slot.parent.name == "slots":
            shutil.rmtree(self.slot, ignore_errors=True)


def _signal_text(number: int, limits: SandboxLimits) -> str:
    if number == signal.SIGXCPU:
        return "CPU time limit reached"
    if number == signal.SIGXFSZ:
        return f"file size limit of {limits.file_mb} MB reached"
    if number == signal.SIGKILL:
        return "killed"
    return f"signal {signal.Signals(number).name}"

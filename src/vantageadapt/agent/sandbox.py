"""The OS boundary for workspace code: a bubblewrap command, its limits, and a probe for it.

Workspace and candidate modules are untrusted (a model wrote them). They run only in a worker
process that bubblewrap starts with new user, pid, network, ipc and uts namespaces; the
interpreter, site-packages and the installed package bound read-only; the modules folder bound
read-only at `/workspace`; a private tmpfs as the only writable place; an empty environment
(for bwrap itself too: bwrap is pid 1 inside and its `/proc/1/environ` is readable); rlimits;
and die-with-parent.
"""

from __future__ import annotations

import functools
import resource
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

WORKSPACE_MOUNT = "/workspace"
_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
_SYSTEM_DIRS = ("/usr", "/etc/ld.so.cache", "/etc/alternatives", "/etc/localtime")


@dataclass(frozen=True)
class SandboxLimits:
    """Wall time of a candidate and of a request; CPU, memory, file size and process limits."""

    timeout_s: float = 300.0  # a candidate's contract tests plus its evaluation, wall clock
    request_s: float = 120.0  # one request to any worker, wall clock
    # CPU seconds of one worker: a backstop (the run's worker lives as long as the run;
    # a candidate's is stopped by timeout_s first).
    cpu_s: int = 6 * 3600
    memory_mb: int = 3072
    file_mb: int = 64
    tmpfs_mb: int = 512  # the private /tmp, the only writable place
    processes: int = 256


@dataclass(frozen=True)
class SandboxStatus:
    """Whether bubblewrap can start an isolated worker here, and why not."""

    ok: bool
    reason: str
    bwrap: str | None


def interpreter_paths() -> list[Path]:
    """Folders the worker's interpreter needs, read-only: the base install, venv, package."""
    package = Path(__file__).resolve().parents[1]  # the installed vantageadapt package
    found = {
        Path(sys.base_prefix).resolve(),
        Path(sys.prefix).resolve(),
        Path(sysconfig.get_paths()["purelib"]).resolve(),
        Path(sysconfig.get_paths()["platlib"]).resolve(),
        package,
    }
    # Drop folders already inside another one: bwrap binds each once.
    ordered = sorted(found, key=lambda p: len(p.parts))
    kept: list[Path] = []
    for path in ordered:
        if not any(path.is_relative_to(parent) for parent in kept):
            kept.append(path)
    return kept


def bwrap_command(
    bwrap: str, modules_dir: Path | None, argv: list[str], *, tmpfs_mb: int = 512
) -> list[str]:
    """The bubblewrap command line that runs `argv` in a fresh, isolated sandbox."""
    command = [
        bwrap,
        "--unshare-user",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--hostname",
        "sandbox",
    ]
    for system in _SYSTEM_DIRS:
        if Path(system).exists():
            command += ["--ro-bind", system, system]
    for link, target in (("/lib", "usr/lib"), ("/lib64", "usr/lib64"), ("/bin", "usr/bin")):
        if Path(link).is_symlink():
            command += ["--symlink", target, link]
        elif Path(link).is_dir():
            command += ["--ro-bind", link, link]
    command += ["--proc", "/proc", "--dev", "/dev", "--size", str(tmpfs_mb * 2**20)]
    command += ["--tmpfs", "/tmp"]
    # After the tmpfs: a venv or package under /tmp (a clone there) must not be hidden by it.
    for path in interpreter_paths():
        command += ["--ro-bind", str(path), str(path)]
    if modules_dir is not None:
        command += ["--ro-bind", str(Path(modules_dir).resolve()), WORKSPACE_MOUNT]
    env = {
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PATH": "/usr/bin:/bin",
        "NUMBA_CACHE_DIR": "/tmp/numba-cache",
        "MPLCONFIGDIR": "/tmp",
        "PYTHONDONTWRITEBYTECODE": "1",
        "ARROW_DEFAULT_MEMORY_POOL": "system",  # Arrow's pools reserve address space up front
        **dict.fromkeys(_THREAD_VARS, "1"),
    }
    for name, value in env.items():
        command += ["--setenv", name, value]
    return [*command, "--chdir", "/tmp", *argv]


def limiter(limits: SandboxLimits) -> Callable[[], None]:
    """A preexec function applying the rlimits to bwrap (and so to everything it starts)."""
    memory = limits.memory_mb * 1024 * 1024
    size = limits.file_mb * 1024 * 1024

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


@functools.lru_cache(maxsize=4)
def probe_sandbox(bwrap: str | None = None) -> SandboxStatus:
    """Try to start an empty bubblewrap sandbox once; the answer is cached per process."""
    if not sys.platform.startswith("linux"):
        return SandboxStatus(False, f"bubblewrap needs Linux (this is {sys.platform})", None)
    path = bwrap or shutil.which("bwrap")
    if path is None:
        return SandboxStatus(
            False, "bubblewrap (bwrap) is not installed; apt-get install bubblewrap", None
        )
    command = bwrap_command(path, None, [str(Path(sys.executable)), "-I", "-S", "-c", "pass"])
    try:
        done = subprocess.run(command, env={}, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return SandboxStatus(False, f"bubblewrap did not start: {exc}", path)
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        return SandboxStatus(
            False,
            f"bubblewrap cannot create its namespaces here ({detail[0]}); "
            "user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone)",
            path,
        )
    return SandboxStatus(True, "bubblewrap starts isolated workers", path)

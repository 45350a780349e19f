"""A seccomp filter for the worker: no new processes, no programs, no sockets but AF_UNIX.

The main process compiles the filter with libseccomp (through `pyseccomp`, a ctypes binding;
Debian `libseccomp2`) and passes the BPF program to the worker on its command line; the
worker loads it itself (`load_filter`) before it serves any request, so before any workspace
code is imported. bubblewrap's own `--seccomp` would load it before bwrap executes the
worker, so it could not deny `execve`; this way it can. Threads stay allowed (numba and
numpy use them): `clone` is denied unless it creates a thread, and `clone3`, whose flags a
filter cannot read, answers ENOSYS, so the C library falls back to `clone`. With the filter
on, the process-count rlimit (which does not bind root) no longer matters: nothing forks.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import socket
import tempfile
from dataclasses import dataclass

_CLONE_THREAD = 0x00010000
_DENIED = (  # each answers EPERM
    "fork", "vfork", "execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev",
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "move_mount", "open_tree",
    "fsopen", "fsmount", "fsconfig", "fspick", "mount_setattr", "keyctl", "add_key",
    "request_key", "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "kexec_load", "kexec_file_load", "init_module", "finit_module",
    "delete_module", "reboot", "swapon", "swapoff", "acct", "quotactl", "syslog",
    "settimeofday", "clock_settime", "adjtimex", "name_to_handle_at", "open_by_handle_at",
    "fanotify_init", "iopl", "ioperm", "personality", "uselib",
)  # fmt: skip
_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_TSYNC = 1


@dataclass(frozen=True)
class SeccompStatus:
    """Whether the worker filter can be built here, why not, its BPF program, and the number
    of the `seccomp` system call that loads it (this machine's architecture)."""

    ok: bool
    reason: str
    program: bytes = b""
    syscall: int = 0

    def argument(self) -> str:
        """The filter as one command-line argument for the worker: `NUMBER:HEX`."""
        return f"{self.syscall}:{self.program.hex()}"


@functools.cache
def worker_filter() -> SeccompStatus:
    """The worker's filter as a BPF program for this machine's architecture (cached)."""
    try:
        import pyseccomp as seccomp
    except (ImportError, RuntimeError, OSError) as exc:
        reason = f"libseccomp is not usable ({exc}); apt-get install libseccomp2"
        return SeccompStatus(False, reason)
    try:
        rules = seccomp.SyscallFilter(seccomp.ALLOW)
        for name in _DENIED:
            try:
                rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
            except (OSError, ValueError, RuntimeError):
                continue  # a call this kernel or libseccomp does not know cannot be made either
        # A new process (clone without CLONE_THREAD) is refused; a thread is not.
        not_thread = seccomp.Arg(0, seccomp.MASKED_EQ, _CLONE_THREAD, 0)
        rules.add_rule(seccomp.ERRNO(errno.EPERM), "clone", not_thread)
        rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
        other_family = seccomp.Arg(0, seccomp.NE, socket.AF_UNIX)
        rules.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", other_family)
        with tempfile.TemporaryFile() as handle:
            rules.export_bpf(handle)
            handle.seek(0)
            program = handle.read()
        number = seccomp.resolve_syscall(seccomp.system_arch(), "seccomp")
    except (OSError, ValueError, RuntimeError) as exc:
        return SeccompStatus(False, f"libseccomp could not build the filter ({exc})")
    if not program or len(program) % 8:
        return SeccompStatus(False, "libseccomp exported an empty or broken BPF program")
    size = len(program) // 8
    reason = f"denies fork, exec, ptrace, mount and non-AF_UNIX sockets ({size} BPF instructions)"
    return SeccompStatus(True, reason, program, int(number))


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def load_filter(argument: str) -> None:
    """Load the filter given as `NUMBER:HEX` (`SeccompStatus.argument`) for every thread of
    this process, for good: it cannot be undone. OSError when the kernel refuses."""
    number, _, text = argument.partition(":")
    program = bytes.fromhex(text)
    count = len(program) // 8
    instructions = (_SockFilter * count).from_buffer_copy(program)
    fprog = _SockFprog(count, ctypes.cast(instructions, ctypes.POINTER(_SockFilter)))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"prctl(PR_SET_NO_NEW_PRIVS) failed: {os.strerror(code)}")
    # TSYNC: threads the interpreter's imports started (numpy's, the allocator's) get it too.
    done = libc.syscall(
        int(number), _SECCOMP_SET_MODE_FILTER, _SECCOMP_FILTER_FLAG_TSYNC, ctypes.byref(fprog)
    )
    if done != 0:
        code = ctypes.get_errno() if done < 0 else 0
        detail = os.strerror(code) if code else f"thread {done} could not be synchronized"
        raise OSError(code, f"the seccomp filter was not loaded: {detail}")

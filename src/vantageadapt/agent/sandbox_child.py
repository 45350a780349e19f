"""The sandbox's child process: load candidate workspace modules, run their contracts, report.

Run as `python -I -B -m vantageadapt.agent.sandbox_child SCRATCH MODULES_DIR` with a nonce on
stdin; prints one line `<nonce> <json>` as its last line. Trusted package code is imported
and warmed up first; then an audit hook refuses writes outside SCRATCH, process creation,
sockets and native library loading before any workspace code is imported.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path

_BLOCKED_EVENTS = frozenset(
    {
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "os.kill",
        "os.killpg",
        "os.putenv",
        "os.unsetenv",
        "subprocess.Popen",
        "pty.spawn",
        "socket.__new__",
        "socket.connect",
        "socket.bind",
        "socket.getaddrinfo",
        "ctypes.dlopen",
        "webbrowser.open",
        "sys.addaudithook",
        "sys.settrace",
        "sys.setprofile",
    }
)
# Events whose first argument(s) are paths that get changed: allowed only inside scratch.
_PATH_EVENTS = frozenset(
    {
        "os.remove",
        "os.rmdir",
        "os.mkdir",
        "os.rename",
        "os.chmod",
        "os.chown",
        "os.link",
        "os.symlink",
        "os.truncate",
        "os.utime",
        "shutil.rmtree",
        "shutil.copyfile",
        "shutil.move",
    }
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _inside(path: object, scratch: str) -> bool:
    if isinstance(path, int):
        return True  # an already-open descriptor: its opening was checked
    try:
        real = os.path.realpath(os.fsdecode(path))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return real == scratch or real.startswith(scratch + os.sep)


def install_guard(scratch: str) -> None:
    """Refuse writes outside `scratch`, new processes, sockets and native loads from now on."""
    scratch = os.path.realpath(scratch)

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = (*tuple(args), None, None, None)[:3]
            writing = bool(mode and any(c in str(mode) for c in "wax+")) or bool(
                isinstance(flags, int) and flags & _WRITE_FLAGS
            )
            if writing and path is not None and not _inside(path, scratch):
                raise PermissionError(f"sandbox: writing {path!r} outside the scratch folder")
        elif event in _BLOCKED_EVENTS:
            raise PermissionError(f"sandbox: {event} is not allowed")
        elif event in _PATH_EVENTS:
            paths = [a for a in args[:2] if isinstance(a, str | bytes | os.PathLike)]
            if not all(_inside(p, scratch) for p in paths):
                raise PermissionError(f"sandbox: {event} outside the scratch folder")

    sys.addaudithook(hook)


def _warm_up() -> None:
    """Import trusted parts and compile the engine before any workspace code is loaded.

    Either path loads LLVM's native library now: native loads are refused once the guard is on.
    """
    from vantageadapt.agent import contracts

    for name in ("vantageadapt.rules", "vantageadapt.optimize", "vantageadapt.optimize.space"):
        contracts.optional_module(name)
    backtest = contracts.optional_module("vantageadapt.backtest", "run_backtest")
    if backtest is not None and contracts.optional_module("vantageadapt.rules", "check_rules"):
        from vantageadapt.models import TradingRules

        rules = TradingRules.model_validate(contracts.FALLBACK_RULES)
        backtest.run_backtest(contracts.sample_frame(), rules)
    else:
        import numba
        import numpy as np

        numba.njit(lambda x: x + 1.0)(np.float64(1.0))


def _load(folder: Path) -> dict:
    import importlib.util

    from vantageadapt.agent.workspace import MODULE_FILES

    loaded = {}
    for name in MODULE_FILES:
        spec = importlib.util.spec_from_file_location(
            f"vantage_candidate_{name.removesuffix('.py')}", folder / name
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        loaded[name] = module
    return loaded


def main(argv: list[str]) -> int:
    """Check the candidate modules in argv[1] with scratch argv[0]; report on stdout."""
    scratch, folder = argv[0], Path(argv[1])
    nonce = sys.stdin.readline().strip()
    stage = "warm-up"
    report: dict = {"ok": False, "stage": stage, "notes": []}
    try:
        _warm_up()
        numba = sys.modules.get("numba")
        if numba is not None:
            # Workspace code that jit-compiles with cache=True writes its cache into scratch.
            numba.config.CACHE_DIR = os.path.join(scratch, "numba-cache")
        install_guard(scratch)
        from vantageadapt.agent import contracts

        stage = "import"
        modules = _load(folder)
        stage = "contracts"
        report["notes"] = contracts.run_contracts(modules)
        report.update(ok=True, stage="done")
    except BaseException as exc:  # the candidate's failure is the report, whatever it is
        tail = traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:]
        report.update(
            ok=False,
            stage=stage,
            error=f"{type(exc).__name__}: {exc}"[:500],
            traceback="".join(tail)[-1500:],
        )
    sys.stdout.write(f"\n{nonce} {json.dumps(report)}\n")
    sys.stdout.flush()
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""`vantage doctor`: what works on this machine (sandbox, seccomp, database, browser, numba
cache)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import typer

import vantageadapt

CHROMEDRIVER = "/usr/bin/chromedriver"
Check = tuple[str, bool, str]  # (what, ok, detail)


def register(app: typer.Typer) -> None:
    """Add the `doctor` command to the root app."""
    app.command("doctor")(doctor)


def _bubblewrap() -> Check:
    from vantageadapt.agent.sandbox import probe_sandbox

    status = probe_sandbox()
    return "bubblewrap", status.ok, f"{status.reason} ({status.bwrap or 'no bwrap'})"


def _namespaces() -> Check:
    values = {}
    for path in (
        "/proc/sys/user/max_user_namespaces",
        "/proc/sys/kernel/unprivileged_userns_clone",
    ):
        try:
            values[Path(path).name] = Path(path).read_text().strip()
        except OSError:
            continue
    if not values:
        return "user namespaces", sys.platform.startswith("linux"), "no sysctl found"
    ok = (
        values.get("max_user_namespaces", "1") != "0"
        and values.get("unprivileged_userns_clone", "1") != "0"
    ) or os.geteuid() == 0
    return "user namespaces", ok, ", ".join(f"{k}={v}" for k, v in values.items())


def _seccomp() -> Check:
    from vantageadapt.agent.seccomp import worker_filter

    status = worker_filter()
    detail = f"{status.reason}; each worker loads it before any workspace code runs"
    return "seccomp filter", status.ok, detail if status.ok else status.reason


def _worker() -> Check:
    from vantageadapt.agent.sandbox import probe_sandbox
    from vantageadapt.agent.worker import Worker
    from vantageadapt.agent.workspace import template_sources

    status = probe_sandbox()
    if not status.ok:
        return "sandbox worker", False, "code patches are off: " + status.reason

    with tempfile.TemporaryDirectory() as folder:
        for name, text in template_sources().items():
            Path(folder, name).write_text(text, encoding="utf-8")
        began = time.monotonic()
        worker = Worker(Path(folder), bwrap=status.bwrap)
        try:
            result, _ = worker.request("load", timeout=120)
        except Exception as exc:
            return "sandbox worker", False, str(exc)
        finally:
            worker.close()
    seconds = time.monotonic() - began
    names = ", ".join(result.get("indicators", []))
    return "sandbox worker", True, f"started and loaded the template in {seconds:.1f}s ({names})"


def _database(url: str | None) -> Check:
    from vantageadapt.store.url import mask_url, normalize_url, resolve_database_url

    resolved = normalize_url(resolve_database_url(url))
    shown = mask_url(resolved.render_as_string(hide_password=False))
    if resolved.drivername.startswith("sqlite"):
        # Connecting would create the file; say where it is and whether it can be written.
        path = Path(resolved.database or "")
        folder = path.parent if str(path.parent) else Path(".")
        ok = path.is_file() or os.access(folder, os.W_OK)
        state = "exists" if path.is_file() else "will be created on first use"
        return "database", ok, f"{shown}: SQLite file {state}"

    async def ping() -> None:
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(resolved)
        try:
            async with engine.connect() as conn:
                await conn.execute(text("select 1"))
        finally:
            await engine.dispose()

    try:
        asyncio.run(asyncio.wait_for(ping(), timeout=10))
    except Exception as exc:
        return "database", False, f"{shown}: {type(exc).__name__}: {exc}"[:300]
    return "database", True, f"{shown} answers"


def _chromium() -> Check:
    browser = shutil.which("chromium")
    driver = Path(CHROMEDRIVER).exists()
    ok = browser is not None and driver
    detail = f"chromium {'at ' + browser if browser else 'missing'}, chromedriver " + (
        "present" if driver else "missing"
    )
    return "chromium (report test)", ok, detail


def _numba_cache() -> Check:
    folder = os.environ.get("NUMBA_CACHE_DIR")
    where = (
        Path(folder) if folder else Path(vantageadapt.__file__).parent / "backtest" / "__pycache__"
    )
    cached = list(where.rglob("*.nbi")) if where.is_dir() else []
    writable = os.access(where if where.exists() else where.parent, os.W_OK)
    detail = f"{where}: {len(cached)} cached kernels, {'writable' if writable else 'read-only'}"
    return "numba cache", writable, detail + ("" if cached else " (first run compiles)")


def doctor(
    db: str = typer.Option(
        None, "--db", help="Database URL to try (default VANTAGE_DATABASE_URL)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the checks as JSON on stdout."),
) -> None:
    """Check what works here: bubblewrap sandbox, namespaces, seccomp filter, worker, database,
    Chromium, numba cache."""
    checks: list[Callable[[], Check]] = [
        _bubblewrap,
        _namespaces,
        _seccomp,
        _worker,
        lambda: _database(db),
        _chromium,
        _numba_cache,
    ]
    rows = [check() for check in checks]
    if as_json:
        payload = [{"check": name, "ok": ok, "detail": detail} for name, ok, detail in rows]
        sys.stdout.write(json.dumps(payload) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="vantage doctor")
    for column in ("check", "status", "detail"):
        table.add_column(column)
    for name, ok, detail in rows:
        table.add_row(name, "[green]ok[/]" if ok else "[red]missing[/]", detail)
    Console().print(table)
    if not rows[0][1]:
        typer.echo("without bubblewrap, code patches are off (prompt changes go on)", err=True)

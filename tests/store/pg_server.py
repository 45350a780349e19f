"""A real, throwaway PostgreSQL server for the store tests: initdb, start, stop, clean up."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

PASSWORD = "pg-Secret-7Hq"
USER = "postgres"


def find_bin() -> Path | None:
    """The newest installed PostgreSQL server's bin folder, if any."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parent.parent.name),
    )
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    """A server on 127.0.0.1 (password auth) with a trusted local socket for admin work."""

    bin: Path
    base: Path
    port: int = 0

    @property
    def _as_owner(self) -> list[str]:
        # PostgreSQL refuses to run as root: run its tools as the postgres user then.
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            [*self._as_owner, *args], capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            log = self.base / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{' '.join(args)} failed ({result.returncode}): {result.stderr}{result.stdout}"
                f"\n{tail}"
            )

    def start(self) -> None:
        """initdb and start on a free port (retried if the port was taken meanwhile)."""
        self._start_watchdog()
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        pwfile = self.base / "pwfile"
        pwfile.write_text(PASSWORD + "\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.base / "data"),
            "-U",
            USER,
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            f"--pwfile={pwfile}",
            "--encoding=UTF8",
            "--no-sync",
        )
        for attempt in range(5):
            self.port = _free_port()
            options = (
                f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            try:
                self._run(
                    str(self.bin / "pg_ctl"),
                    "-D",
                    str(self.base / "data"),
                    "-l",
                    str(self.base / "server.log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                )
                return
            except RuntimeError:
                if attempt == 4:
                    raise
                time.sleep(0.2)

    def _start_watchdog(self) -> None:
        # If pytest is killed (timeout, ctrl-c twice) its teardown never runs: a detached shell
        # stops the server (if it got as far as starting) and removes its files once this
        # process is gone. Started before initdb, so no kill can fall between the two.
        owner = " ".join(self._as_owner)
        script = (
            f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
            f"{owner} {self.bin / 'pg_ctl'} -D {self.base / 'data'} -m immediate -w stop "
            f">/dev/null 2>&1; rm -rf {self.base}"
        )
        subprocess.Popen(
            ["sh", "-c", script],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        """Stop the server and delete its files."""
        try:
            self._run(
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.base / "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            )
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def _admin(self, tool: str, *args: str) -> None:
        self._run(
            str(self.bin / tool), "-h", str(self.base), "-p", str(self.port), "-U", USER, *args
        )

    def create_database(self) -> str:
        """A new empty database; returns its asyncpg URL (with the password)."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        self._admin("createdb", name)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, closing whatever is still connected."""
        self._admin("dropdb", "--force", "--if-exists", name)

    def terminate_connections(self, database: str) -> None:
        """Cut every client connection to a database, as a server restart would."""
        self._admin(
            "psql",
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            # With a timeout it waits until each backend is gone (PostgreSQL 14+).
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
            f"WHERE datname = '{database}' AND pid <> pg_backend_pid()",
        )

    def url(self, database: str, *, password: str = PASSWORD) -> str:
        """The asyncpg URL of one database over TCP."""
        return f"postgresql+asyncpg://{USER}:{password}@127.0.0.1:{self.port}/{database}"


def start_server() -> PostgresServer:
    """Start a new server; a clear failure when the binaries are missing (never a skip)."""
    bin_dir = find_bin()
    if bin_dir is None:
        raise RuntimeError(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; run "
            "`bash scripts/system-deps.sh` (make test runs it first)"
        )
    # /tmp, not pytest's tmp folder: the postgres user must be able to reach it.
    server = PostgresServer(bin=bin_dir, base=Path(tempfile.mkdtemp(prefix="vantage-pg-")))
    try:
        server.start()
    except Exception:
        shutil.rmtree(server.base, ignore_errors=True)
        raise
    return server

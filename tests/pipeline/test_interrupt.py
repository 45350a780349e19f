"""Ctrl-C during a real `vantage run` process: the database stays consistent, the run resumes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from vantageadapt.pipeline import run_pipeline
from vantageadapt.settings import load_settings

from .pipeline_support import run_argv


def _count(db: Path, table: str) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db, timeout=5) as conn:
        try:
            return conn.execute(f"select count(*) from {table}").fetchone()[0]
        except sqlite3.OperationalError:  # schema not created yet
            return 0


def test_sigint_marks_run_interrupted_and_resume_completes(sample_path: Path, tmp_path: Path):
    db = Path(os.environ["VANTAGE_HOME"]) / "vantage.db"
    argv = run_argv(sample_path, "--no-improve", iterations=40, trials=40)
    cmd = [sys.executable, "-m", "vantageadapt.cli", *argv]
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 120
        while _count(db, "iterations") < 1:
            assert proc.poll() is None, proc.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "no iteration saved within 120 s"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err[-2000:]
    payload = json.loads(out)
    assert payload["status"] == "interrupted"
    run_id = payload["run_id"]
    saved = _count(db, "iterations")
    assert 1 <= saved < 40
    assert len(payload["iterations"]) == saved  # nothing half-written: saved == reported
    with sqlite3.connect(db) as conn:
        status = conn.execute("select status from runs where id = ?", (run_id,)).fetchone()[0]
        strategies = conn.execute("select count(*) from strategies").fetchone()[0]
    assert status == "interrupted"
    assert strategies == saved  # each saved iteration has its strategy (one transaction)

    result = run_pipeline(load_settings({"resume": run_id, "iterations": saved + 1}, dotenv=None))
    assert result.status == "finished" and result.run_id == run_id
    assert [it.index for it in result.iterations] == list(range(1, saved + 2))
    assert result.test and result.best_iteration is not None

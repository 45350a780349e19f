"""`vantage doctor`: one table (or JSON) of what works here."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from vantageadapt.cli import app


def test_doctor_reports_each_check_and_masks_passwords(tmp_path):
    url = "postgresql://user:hunter2-secret@127.0.0.1:1/nowhere"
    result = CliRunner().invoke(app, ["doctor", "--json", "--db", url])
    assert result.exit_code == 0, result.output
    checks = {row["check"]: row for row in json.loads(result.stdout)}
    assert set(checks) == {
        "bubblewrap",
        "user namespaces",
        "seccomp filter",
        "sandbox worker",
        "database",
        "chromium (report test)",
        "numba cache",
    }
    assert checks["bubblewrap"]["ok"] and checks["sandbox worker"]["ok"]
    assert checks["seccomp filter"]["ok"] and "fork" in checks["seccomp filter"]["detail"]
    assert "price_zscore" in checks["sandbox worker"]["detail"]
    assert not checks["database"]["ok"] and "hunter2" not in checks["database"]["detail"]
    assert not list(tmp_path.glob("*.db"))  # looking never creates a database


def test_doctor_table_names_bubblewrap():
    result = CliRunner().invoke(app, ["doctor"], env={"COLUMNS": "160"})
    assert (
        result.exit_code == 0 and "bubblewrap" in result.output and "numba cache" in result.output
    )

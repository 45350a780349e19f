"""`vantage db` and `vantage strategies` through the real CLI, on both backends."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from vantageadapt.cli import main
from vantageadapt.store import DatabaseConnection
from vantageadapt.store.migrate import head_revision

from .builders import iteration_record, run_record
from .pg_server import PostgresServer


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def _seed(url: str) -> list[str]:
    async def write() -> list[str]:
        async with DatabaseConnection(url) as db:
            first, second = run_record("breakout trading"), run_record("mean reversion")
            await db.save_run(first)
            await db.save_run(second)
            await db.save_iteration(first.id, iteration_record(1, sortino_out=2.5))
            await db.save_iteration(first.id, iteration_record(2, sortino_out=0.4))
            await db.save_iteration(
                second.id,
                iteration_record(
                    1, theme="mean reversion", regime="RANGING_LOW_VOL", sortino_out=1.2
                ),
            )
            return [first.id, second.id]

    return asyncio.run(write())


def test_db_commands(db_url, capsys):
    head = head_revision()
    code, out, _ = _cli(capsys, "db", "current", "--db", db_url)
    assert code == 0 and "empty (no schema)" in out
    code, out, _ = _cli(capsys, "db", "upgrade", "--db", db_url)
    assert code == 0 and f"at revision {head} (head)" in out
    code, out, _ = _cli(capsys, "db", "history", "--db", db_url)
    assert code == 0 and f" -> {head} (head, current):" in out and "<base> -> " in out
    code, out, _ = _cli(capsys, "db", "downgrade", "base", "--db", db_url)
    assert code == 0 and "empty (no schema)" in out
    code, _, err = _cli(capsys, "db", "downgrade", "nonsense", "--db", db_url)
    assert code == 2 and "cannot downgrade to revision 'nonsense'" in err
    code, out, _ = _cli(capsys, "db", "upgrade", head, "--db", db_url)
    assert code == 0 and f"at revision {head}" in out
    if "sqlite" in db_url:
        # Without --db the environment's URL (a temp SQLite file from the suite) is used.
        code, out, _ = _cli(capsys, "db", "current")
        assert code == 0 and "empty (no schema)" in out


def test_strategies_list_show_export(db_url, capsys, tmp_path):
    first_run, second_run = _seed(db_url)
    code, out, _ = _cli(capsys, "strategies", "list", "--json", "--db", db_url)
    assert code == 0 and out.count("\n") == 1
    listed = json.loads(out)["strategies"]
    assert [s["out_of_sample_sortino"] for s in listed] == [2.5, 1.2, 0.4]

    code, out, _ = _cli(
        capsys,
        "strategies",
        "list",
        "--json",
        "--db",
        db_url,
        "--theme",
        "Breakout",
        "--min-sortino",
        "1",
    )
    [only] = json.loads(out)["strategies"]
    assert (only["run_id"], only["iteration"]) == (first_run, 1)
    code, out, _ = _cli(
        capsys, "strategies", "list", "--json", "--db", db_url, "--regime", "ranging_low_vol"
    )
    assert [s["run_id"] for s in json.loads(out)["strategies"]] == [second_run]

    code, out, _ = _cli(capsys, "strategies", "list", "--db", db_url)
    assert code == 0 and "3 strategies" in out
    assert "RANGING_LOW_VOL" in out and "breakout trading" in out

    code, out, _ = _cli(capsys, "strategies", "show", str(only["id"]), "--json", "--db", db_url)
    shown = json.loads(out)
    assert shown["insight"]["rationale"] == "buy strength above the 20-row high"
    assert {(p["window"], p["asset"]) for p in shown["performance"]} == {
        ("in_sample", None),
        ("out_of_sample", None),
        ("in_sample", "AAA"),
        ("in_sample", "BBB"),
    }
    code, out, _ = _cli(capsys, "strategies", "show", str(only["id"]), "--db", db_url)
    assert code == 0 and "price > high_20 & volume > volume_ma" in out and "(all)" in out

    code, out, _ = _cli(capsys, "strategies", "export", str(only["id"]), "--db", db_url)
    assert code == 0
    assert json.loads(out) == {
        "conditions": {
            "entry": ["price > high_20", "volume > volume_ma"],
            "exit": ["price < ma_20"],
        },
        "parameters": {"take_profit": 0.11, "stop_loss": 0.05, "max_orders": 3.0},
    }
    out_file = tmp_path / "rules.json"
    code, _, _ = _cli(
        capsys, "strategies", "export", str(only["id"]), "--out", str(out_file), "--db", db_url
    )
    assert code == 0 and json.loads(out_file.read_text()) == json.loads(out)


def test_strategies_input_errors_exit_two(capsys):
    code, _, err = _cli(capsys, "strategies", "show", "999")
    assert code == 2 and "strategy 999 not found" in err
    code, _, err = _cli(capsys, "strategies", "export", "999")
    assert code == 2 and "see `vantage strategies list`" in err
    code, _, err = _cli(capsys, "strategies", "list", "--regime", "sideways")
    assert code == 2 and "not a market regime" in err and "BREAKOUT" in err


@pytest.mark.postgres
def test_bad_credentials_one_masked_line_exit_three(postgres_server: PostgresServer, capsys):
    url = postgres_server.url("postgres", password="Wr0ng-Secret")
    # A real process once, for the exact stdout/stderr/exit code contract ...
    done = subprocess.run(
        [sys.executable, "-m", "vantageadapt.cli", "db", "current", "--db", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # ... and in-process for another command using the store.
    code, out, err = _cli(capsys, "strategies", "list", "--db", url)
    for returncode, stdout, stderr in (
        (done.returncode, done.stdout, done.stderr),
        (code, out, err),
    ):
        assert returncode == 3
        assert stdout == ""
        lines = stderr.strip().splitlines()
        assert len(lines) == 1, stderr
        assert "Wr0ng-Secret" not in stderr
        assert "postgres:***@127.0.0.1" in lines[0]
        assert "password authentication failed" in lines[0]


@pytest.mark.postgres
def test_exported_rules_run_with_backtest_after_a_real_run(postgres_url, capsys, tmp_path):
    from vantageadapt.data import write_sample_data

    data = tmp_path / "sample.pkl"
    write_sample_data(data, assets=2, rows=2_000, seed=5)
    code, out, _ = _cli(
        capsys,
        "run",
        "--theme",
        "breakout trading",
        "--data",
        str(data),
        "--iterations",
        "1",
        "--trials",
        "6",
        "--no-improve",
        "--db",
        postgres_url,
        "--json",
    )
    assert code in (0, 1)
    run_id = json.loads(out)["run_id"]

    code, out, _ = _cli(capsys, "strategies", "list", "--json", "--db", postgres_url)
    [listed] = json.loads(out)["strategies"]
    assert (listed["run_id"], listed["iteration"]) == (run_id, 1)
    rules = tmp_path / "best.json"
    code, _, _ = _cli(
        capsys, "strategies", "export", str(listed["id"]), "--out", str(rules), "--db", postgres_url
    )
    assert code == 0
    code, out, _ = _cli(capsys, "backtest", "--data", str(data), "--rules", str(rules), "--json")
    assert code == 0
    assert json.loads(out)  # one JSON object: the rules ran as stored
    assert Path(rules).read_text().startswith("{")
